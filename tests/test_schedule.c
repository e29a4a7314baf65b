/* test_schedule.c — every schedule of LANGUAGE.md section 5 and their compositions
 * against golden learning rates from PyTorch's torch.optim.lr_scheduler (or the closed
 * form where PyTorch has no twin): tests/golden/schedules/, made by make_goldens.py.
 * Tolerance: |ours - golden| <= 1e-12·|golden| + 1e-15·lr (the absolute part only matters
 * where the golden is 0, e.g. the end of a cosine). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fold.h"
#include "helpers.h"
#include "lower.h"
#include "schedule.h"

/* The runtime schedule of an expression, through the same path `descent schedule` takes. */
static struct sched *build(const char *text, double steps_per_epoch)
{
	int errors;
	struct source *src;
	char *messages;
	struct ast *e = parse_text(text, PARSE_EXPR, &src, &errors, &messages);
	cr_assert_not_null(e, "%s: %s", text, messages);
	free(messages);
	struct diag d;
	diag_init(&d, stderr);
	e = fold_expr(e, NULL, &d);
	cr_assert(check_schedule_expr(e, &d), "%s does not check", text);
	struct sched *s = lower_schedule(e, steps_per_epoch, &d);
	cr_assert_not_null(s, "%s does not lower", text);
	ast_free(e);
	source_free(src);
	return s;
}

/* One line of cases.tsv: name, expression, lr, steps, steps per epoch, source. */
static void compare_case(char *line)
{
	char *save;
	char *name = strtok_r(line, "\t", &save), *expr = strtok_r(NULL, "\t", &save);
	double lr = atof(strtok_r(NULL, "\t", &save));
	int steps = atoi(strtok_r(NULL, "\t", &save));
	double per_epoch = atof(strtok_r(NULL, "\t", &save));
	char path[256];
	snprintf(path, sizeof path, "tests/golden/schedules/%s.csv", name);
	char *csv = slurp(path, NULL);
	cr_assert_not_null(csv, "missing %s", path);
	struct sched *s = build(expr, per_epoch);
	char *row = strchr(csv, '\n') + 1;
	int t = 0;
	for (; *row && t < steps; t++) {
		int step;
		double golden;
		cr_assert_eq(sscanf(row, "%d,%lf", &step, &golden), 2);
		cr_assert_eq(step, t);
		double ours = sched_value(s, lr, t);
		cr_expect_leq(fabs(ours - golden), 1e-12 * fabs(golden) + 1e-15 * lr,
		              "%s at step %d: %.17g, golden %.17g", name, t, ours, golden);
		row = strchr(row, '\n') + 1;
	}
	cr_expect_eq(t, steps, "%s has %d rows", name, t);
	sched_free(s);
	free(csv);
}

Test(schedule, matches_pytorch_and_closed_form_goldens)
{
	cr_expect_geq(each_case("tests/golden/schedules/cases.tsv", compare_case), 20);
}

Test(schedule, gives_compositions_the_sum_of_their_lengths)
{
	struct sched *s = build("warmup(5) then cosine(20) then constant", 0);
	cr_expect(isinf(sched_length(s)));
	struct sched *t = build("warmup(5) then (cosine(20) for 7)", 0);
	cr_expect_eq(sched_length(t), 12);
	struct sched *u = build("warmup(2 epochs) then linear(3 epochs)", 100);
	cr_expect_eq(sched_length(u), 500);
	sched_free(s);
	sched_free(t);
	sched_free(u);
}

Test(schedule, starts_the_right_side_of_then_on_its_own_clock)
{
	struct sched *s = build("warmup(4) then exponential(0.5)", 0);
	cr_expect_float_eq(sched_value(s, 1, 3), 0.75, 1e-15);
	cr_expect_float_eq(sched_value(s, 1, 4), 1.0, 1e-15);
	cr_expect_float_eq(sched_value(s, 1, 6), 0.25, 1e-15);
	sched_free(s);
}

Test(schedule, rounds_epoch_durations_to_whole_steps)
{
	struct sched *s = build("step(0.5 epochs)", 7); /* 3.5 steps: 4 */
	cr_expect_eq(s->u.step.every, 4);
	sched_free(s);
}
