/* test_explain.c — `descent explain` against its golden outputs (tests/golden/explain/,
 * made by make_goldens.sh there), every optimizer and schedule of the checker's tables
 * explained, errors reported as check's; the optimizer state in minimize traces (checked
 * against closed forms of the first step) and its panel in the picture. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "helpers.h"
#include "schema.h"

/* The widest line of text, in UTF-8 characters. */
static int widest_line(const char *text)
{
	int widest = 0, col = 0;
	for (const char *c = text; *c; c++) {
		if (*c == '\n') {
			col = 0;
			continue;
		}
		col += ((unsigned char)*c & 0xC0) != 0x80;
		if (col > widest)
			widest = col;
	}
	return widest;
}

/* Runs descent explain with args and compares its output with the golden file. */
static void expect_golden(const char *const *args, const char *golden)
{
	char path[256], *out, *err;
	snprintf(path, sizeof path, "tests/golden/explain/%s", golden);
	int status = run_descent(args, NULL, &out, &err);
	cr_expect_eq(status, 0, "%s: %s", golden, err);
	char *want = slurp(path, NULL);
	cr_assert_not_null(want, "%s is not committed (tests/golden/explain/make_goldens.sh)", path);
	cr_expect_str_eq(out, want, "%s differs:\n%s", golden, out);
	cr_expect_leq(widest_line(out), 80, "%s has a line over 80 columns", golden);
	free(want);
	free(out);
	free(err);
}

Test(explain, adamw_call_matches_its_golden)
{
	expect_golden((const char *const[]){"explain", "adamw(lr = 1e-3, wd = 0.01)", NULL},
	              "adamw.txt");
}

Test(explain, momentum_call_matches_its_golden)
{
	expect_golden((const char *const[]){"explain", "momentum(lr = 0.01, gamma = 0.9)", NULL},
	              "momentum.txt");
}

Test(explain, schedule_in_epochs_matches_its_golden)
{
	expect_golden((const char *const[]){"explain",
	              "warmup(1 epochs) then cosine_restart(T0 = 3 epochs, T_mult = 2)", "--lr",
	              "1e-3", "--steps", "4220", "--steps-per-epoch", "422", NULL}, "schedule.txt");
}

Test(explain, schedule_without_lr_is_relative_to_eta)
{
	expect_golden((const char *const[]){"explain", "one_cycle(100)", NULL}, "one_cycle.txt");
}

Test(explain, mlp_file_matches_its_golden)
{
	expect_golden((const char *const[]){"explain", "tests/golden/explain/mlp.nn", NULL},
	              "mlp.txt");
}

Test(explain, cnn_file_matches_its_golden)
{
	expect_golden((const char *const[]){"explain", "tests/golden/explain/cnn.nn", NULL},
	              "cnn.txt");
}

Test(explain, minimize_file_matches_its_golden)
{
	expect_golden((const char *const[]){"explain", "examples/teaching/adagrad.nn", NULL},
	              "adagrad.txt");
}

Test(explain, l2_and_wd_under_sgd_match_their_golden)
{
	expect_golden((const char *const[]){"explain", "examples/teaching/l2_vs_wd.nn", NULL},
	              "l2_vs_wd.txt");
}

/* The goldens' key numbers, computed here from the formulas rather than read back. */
Test(explain, goldens_hold_the_numbers_of_the_formulas)
{
	char *adamw = slurp("tests/golden/explain/adamw.txt", NULL);
	char *schedule = slurp("tests/golden/explain/schedule.txt", NULL);
	cr_assert(adamw && schedule);
	char line[128];
	snprintf(line, sizeof line, "%8d  %12.4g  %12.4g\n", 10, 1 - pow(0.9, 10), 1 - pow(0.999, 10));
	cr_expect(strstr(adamw, line), "bias-correction factors at step 10: %s", line);
	cr_expect(strstr(adamw, "|Δθ| ≲ η = 0.001"));
	cr_expect(strstr(adamw, "θ ← 0.99999·θ"), "1 − η·wd = 1 − 1e-3·0.01");
	/* warmup of 422 steps, then T0 = 1266: restarts at 422 + 1266; 4220 is the end */
	cr_expect(strstr(schedule, "end of warmup at step 422: η = 0.001\n"));
	cr_expect(strstr(schedule, "restarts at steps 1688\n"));
	snprintf(line, sizeof line, "step 4219 (the last update): η = %g\n",
	         0.5e-3 * (1 + cos(M_PI * (4219 - 1688) / 2532.0)));
	cr_expect(strstr(schedule, line), "%s", line);
	free(adamw);
	free(schedule);
}

/* A call of sig with every required parameter given (a duration 10, milestones [5, 8],
 * a number 0.5), into buf. */
static const char *required_call(const struct sig *sig, char *buf, size_t size)
{
	int used = snprintf(buf, size, "%s(", sig->name);
	bool first = true;
	for (const struct param *p = sig->params; p->name; p++) {
		if (!p->required)
			continue;
		const char *v = p->type == T_DUR ? "10" : p->type == T_DURS ? "[5, 8]" : "0.5";
		used += snprintf(buf + used, size - (size_t)used, "%s%s = %s", first ? "" : ", ",
		                 p->name, v);
		first = false;
	}
	snprintf(buf + used, size - (size_t)used, ")");
	return buf;
}

static void expect_explained(const struct sig *table, const char *heading)
{
	int n = 0;
	for (const struct sig *sig = table; sig->name; sig++, n++) {
		char call[256], *out, *err;
		required_call(sig, call, sizeof call);
		int status = run_descent((const char *const[]){"explain", call, "--lr", "1", "--steps",
		                                               "40", NULL}, NULL, &out, &err);
		cr_expect_eq(status, 0, "%s: %s", call, err);
		cr_expect(strstr(out, heading) && strstr(out, sig->name), "%s:\n%s", call, out);
		cr_expect(!strstr(out, EXPLAIN_MISSING), "%s has no explanation:\n%s", call, out);
		cr_expect_leq(widest_line(out), 80, "%s:\n%s", call, out);
		free(out);
		free(err);
	}
	cr_expect_geq(n, 8);
}

Test(explain, every_optimizer_of_the_table_is_explained)
{
	expect_explained(schema_optimizers, "optimizer ");
}

Test(explain, every_schedule_of_the_table_is_explained)
{
	expect_explained(schema_schedules, "learning-rate schedule");
}

/* Gives schedule s (of a leaf kind) parameters that make sense. */
static void sample_schedule(struct sched *s)
{
	static double milestones[] = {10, 20};
	switch (s->kind) {
	case SCHED_STEP: s->u.step.every = 10; s->u.step.gamma = 0.5; break;
	case SCHED_MULTISTEP:
		s->u.multistep.at = malloc(sizeof milestones);
		memcpy(s->u.multistep.at, milestones, sizeof milestones);
		s->u.multistep.n = 2;
		s->u.multistep.gamma = 0.5;
		break;
	case SCHED_EXPONENTIAL: s->u.exponential.gamma = 0.9; break;
	case SCHED_INV_TIME: s->u.inv_time.k = 0.1; s->u.inv_time.power = 1; break;
	case SCHED_POLY: s->u.poly.total = 30; s->u.poly.power = 1; break;
	case SCHED_LINEAR: s->u.linear.total = 30; s->u.linear.start_factor = 1; break;
	case SCHED_COSINE: s->u.cosine.total = 30; break;
	case SCHED_COSINE_RESTART: s->u.restart.t0 = 10; s->u.restart.t_mult = 1; break;
	case SCHED_TRIANGULAR: s->u.cyclic.step_size = 5; s->u.cyclic.min_lr = 0.01; break;
	case SCHED_ONE_CYCLE:
		s->u.one_cycle.total = 30;
		s->u.one_cycle.pct_start = 0.3;
		s->u.one_cycle.div = 25;
		s->u.one_cycle.final_div = 1e4;
		break;
	case SCHED_WARMUP: s->u.warmup.duration = 10; break;
	default: break;
	}
}

/* The runtime's own tables: every optimizer kind (optim_table) and every schedule kind
 * (enum sched_kind) has its rule, whatever the checker's tables list. */
Test(explain, every_kind_of_the_runtime_tables_has_a_rule)
{
	for (int k = 0; k < OPT_KINDS; k++) {
		char *text = NULL;
		size_t size = 0;
		FILE *out = open_memstream(&text, &size);
		struct optim_config c = {.kind = (enum optim_kind)k, .lr = 0.1, .momentum = 0.9,
		                         .alpha = 0.99, .beta2 = 0.999, .eps = 1e-8,
		                         .momentum_decay = 4e-3};
		explain_optimizer(out, &c, optim_table[k].name);
		explain_l2_wd(out, &c, 0.1, 0);
		fclose(out);
		cr_expect(!strstr(text, EXPLAIN_MISSING), "%s:\n%s", optim_table[k].name, text);
		cr_expect_gt(strlen(text), 200, "%s:\n%s", optim_table[k].name, text);
		free(text);
	}
	for (int k = SCHED_CONSTANT; k <= SCHED_WARMUP; k++) {
		char *text = NULL;
		size_t size = 0;
		FILE *out = open_memstream(&text, &size);
		struct sched *s = sched_new((enum sched_kind)k);
		sample_schedule(s);
		explain_schedule(out, s, "s", &(struct explain_run){0.1, false, 40, "learning-rate"});
		fclose(out);
		cr_expect(!strstr(text, EXPLAIN_MISSING), "kind %d:\n%s", k, text);
		sched_free(s);
		free(text);
	}
}

Test(explain, an_unknown_name_is_reported_as_check_does)
{
	char *out, *err;
	int status = run_descent((const char *const[]){"explain", "adamx(lr = 1)", NULL}, NULL,
	                         &out, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "<explain>:1:1: error: unknown optimizer or schedule 'adamx'\n"), "%s",
	          err);
	cr_expect(strstr(err, "help: did you mean 'adamw'?"), "%s", err);
	cr_expect_str_eq(out, "");
	free(out);
	free(err);
}

Test(explain, a_value_out_of_range_is_reported_as_check_does)
{
	char *err;
	int status = run_descent((const char *const[]){"explain", "adam(lr = -1)", NULL}, NULL,
	                         NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "<explain>:1:11: error: 'lr' must be > 0, not -1"), "%s", err);
	free(err);
	status = run_descent((const char *const[]){"explain", "cosine(2 epochs)", NULL}, NULL,
	                     NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "steps per epoch are not known"), "%s", err);
	free(err);
}

Test(explain, a_file_with_an_error_is_reported_as_check_does)
{
	char dir[64], path[128], *err;
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/bad.nn", dir);
	write_text(path, "minimize f(x) = x^2 {\n from = 1\n optimizer = adamx(lr = 1)\n"
	           " steps = 3\n}\n");
	int status = run_descent((const char *const[]){"explain", path, NULL}, NULL, NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "bad.nn:3:14: error: unknown optimizer 'adamx'"), "%s", err);
	free(err);
	remove_tree(dir);
}

Test(explain, misuse_is_status_2)
{
	const char *const *cases[] = {
		(const char *const[]){"explain", NULL},
		(const char *const[]){"explain", "adam", "sgd", NULL},
		(const char *const[]){"explain", "adam", "--frobnicate", NULL},
		(const char *const[]){"explain", "cosine(10)", "--steps", "0", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *err;
		cr_expect_eq(run_descent(cases[i], NULL, NULL, &err), 2, "case %zu: %s", i, err);
		cr_expect(strstr(err, "try 'descent explain --help'"), "%s", err);
		free(err);
	}
}

/* ---- the optimizer's state in minimize traces ---- */

/* Runs a minimize block in a scratch folder; returns its trace and (if svg) picture. */
static char *run_trace(const char *block, char **svg)
{
	char dir[64], path[128], *err;
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/t.nn", dir);
	write_text(path, block);
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", path, NULL}, NULL, NULL,
	                         &err), 0, "%s", err);
	free(err);
	snprintf(path, sizeof path, "%s/t.csv", dir);
	char *csv = slurp(path, NULL);
	snprintf(path, sizeof path, "%s/t.svg", dir);
	if (svg)
		*svg = slurp(path, NULL);
	remove_tree(dir);
	cr_assert_not_null(csv);
	return csv;
}

/* Field `col` (0-based) of line `row` (0 the header) of csv, into buf. */
static const char *field(const char *csv, int row, int col, char *buf, size_t size)
{
	const char *p = csv;
	for (int r = 0; r < row && p; r++)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	for (int c = 0; c < col && p; c++)
		p = strpbrk(p, ",\n") && *strpbrk(p, ",\n") == ',' ? strpbrk(p, ",\n") + 1 : NULL;
	cr_assert_not_null(p, "row %d column %d", row, col);
	size_t len = strcspn(p, ",\n");
	snprintf(buf, size, "%.*s", (int)len, p);
	return buf;
}

Test(trace, has_the_state_of_every_optimizer_after_the_existing_columns)
{
	char *csv = run_trace("minimize f(x, y) = x^2 + 3*y^2 {\n from = (1.5, 1)\n"
	                      " optimizer = [adam(lr = 0.1), momentum(lr = 0.1), sgd(lr = 0.1)]\n"
	                      " steps = 3\n trace = \"t.csv\"\n}\n", NULL);
	static const char header[] = "run,optimizer,start,step,lr,f,x,y,m_x,v_x,mhat_x,vhat_x,"
		"m_y,v_y,mhat_y,vhat_y\n";
	cr_expect(strncmp(csv, header, strlen(header)) == 0, "%.100s", csv);
	char b[64];
	/* step 0: m = v = 0, no m̂, v̂ yet (1 − β⁰ = 0) */
	cr_expect_str_eq(field(csv, 1, 8, b, sizeof b), "0");
	cr_expect_str_eq(field(csv, 1, 10, b, sizeof b), "");
	/* step 1 from (1.5, 1): g = (3, 6); m = 0.1·g, v = 0.001·g², m̂ = g, v̂ = g² */
	double want[] = {0.3, 0.009, 3, 9, 0.6, 0.036, 6, 36};
	for (int c = 0; c < 8; c++)
		cr_expect_leq(fabs(atof(field(csv, 2, 8 + c, b, sizeof b)) - want[c]),
		              1e-12 * want[c], "column %d: %s, want %g", 8 + c, b, want[c]);
	/* momentum's v (the course's: v ← 0.9·v + 0.1·g) in v_x; no m, m̂, v̂ */
	cr_expect_str_eq(field(csv, 6, 1, b, sizeof b), "momentum");
	cr_expect_leq(fabs(atof(field(csv, 6, 9, b, sizeof b)) - 0.3), 1e-15);
	cr_expect_str_eq(field(csv, 6, 8, b, sizeof b), "");
	/* plain SGD keeps nothing: every state field empty */
	cr_expect_str_eq(field(csv, 9, 1, b, sizeof b), "sgd");
	for (int c = 8; c < 16; c++)
		cr_expect_str_eq(field(csv, 9, c, b, sizeof b), "", "column %d", c);
	free(csv);
}

Test(trace, names_each_optimizers_own_state)
{
	char *csv = run_trace("minimize f(x) = x^2 {\n from = 1\n optimizer = [adagrad(lr = 0.5), "
	                      "rmsprop(centered = true, momentum = 0.5), sgd(lr = 0.1, momentum = "
	                      "0.9), adam(amsgrad = true), adam(bias_correction = false), lion(lr "
	                      "= 0.1)]\n steps = 2\n trace = \"t.csv\"\n}\n", NULL);
	static const char header[] = "run,optimizer,start,step,lr,f,x,m_x,v_x,G_x,b_x,gbar_x,"
		"mhat_x,vhat_x,vmax_x\n";
	cr_expect(strncmp(csv, header, strlen(header)) == 0, "%.100s", csv);
	char b[64];
	/* adagrad from x = 1: g = 2, G = 4 after one step */
	cr_expect_str_eq(field(csv, 2, 9, b, sizeof b), "4");
	/* adam without bias correction has no m̂, v̂ */
	cr_expect_str_eq(field(csv, 14, 1, b, sizeof b), "adam");
	cr_expect_str_eq(field(csv, 14, 12, b, sizeof b), "");
	cr_expect_neq(strlen(field(csv, 14, 7, b, sizeof b)), 0);
	free(csv);
}

Test(trace, adagrads_G_only_grows_in_the_committed_example)
{
	char *csv = slurp("examples/teaching/adagrad_vs_rmsprop.csv", NULL);
	cr_assert_not_null(csv);
	char b[64];
	cr_expect_str_eq(field(csv, 0, 8, b, sizeof b), "v_x");
	cr_expect_str_eq(field(csv, 0, 9, b, sizeof b), "G_x");
	double last = 0;
	int drops = 0;
	for (int row = 1; row <= 401; row++) {
		double g = atof(field(csv, row, 9, b, sizeof b));
		cr_expect_geq(g, last, "AdaGrad's G_x fell at step %d", row - 1);
		last = g;
	}
	for (int row = 402; row < 402 + 400; row++) /* RMSProp's v forgets: it falls */
		drops += atof(field(csv, row + 1, 8, b, sizeof b)) < atof(field(csv, row, 8, b, sizeof b));
	cr_expect_gt(drops, 100);
	free(csv);
}

Test(trace, the_picture_has_a_panel_of_the_state)
{
	char *svg;
	char *csv = run_trace("minimize f(x, y) = x^2 + 3*y^2 {\n from = (1.5, 1)\n"
	                      " optimizer = adagrad(lr = 0.5)\n steps = 5\n trace = \"t.csv\"\n"
	                      " plot = \"t.svg\"\n}\n", &svg);
	cr_assert_not_null(svg);
	cr_expect(strstr(svg, ">sums and averages of g²: v, vhat, G, vmax</text>"), "the panel's title");
	cr_expect(strstr(svg, ">adagrad (run 0): G_x</text>"), "the legend names G_x");
	cr_expect(strstr(svg, ">adagrad (run 0): G_y</text>"));
	cr_expect(!strstr(svg, ">averages of g: m, mhat"), "AdaGrad keeps no average of g");
	free(svg);
	free(csv);
}
