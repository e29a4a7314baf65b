/* test_check.c — valid files check clean, every table entry is accepted with its
 * defaults, and rules across values hold (the error and warning goldens are in
 * test_errors.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "schema.h"

/* No errors; and examples, which teach, trip no teaching warning either. */
static void expect_clean_file(const char *path, bool example)
{
	char *text = slurp(path, NULL);
	cr_assert_not_null(text, "cannot read %s", path);
	struct checked c = check_text(text);
	cr_expect_eq(c.errors, 0, "%s:\n%s", path, c.messages);
	if (example)
		cr_expect_eq(c.warnings, 0, "%s:\n%s", path, c.messages);
	free(c.messages);
	free(text);
}

Test(check, accepts_every_valid_file_and_example)
{
	/* regularization/ shows the l2-with-adam warning on purpose: errors only there */
	static const char *const dirs[] = {"tests/check", "examples/regularization", "examples",
	                                   "examples/teaching"};
	int total = 0;
	for (int d = 0; d < 4; d++) {
		int n;
		char **files = list_files(dirs[d], ".nn", &n);
		for (int i = 0; i < n; i++)
			expect_clean_file(files[i], d > 1);
		total += n;
		free_names(files);
	}
	cr_expect_geq(total, 3);
}

Test(check, accepts_the_whole_file_of_language_md_section_1)
{
	char *text = slurp("tests/check/language_section1.nn", NULL);
	cr_assert_not_null(text);
	struct checked c = check_text(text);
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	/* its dense(hidden) before batchnorm keeps a bias the batchnorm cancels */
	cr_expect_eq(c.warnings, 1, "%s", c.messages);
	free(c.messages);
	free(text);
}

/* A train block using optimizer and schedule as written. */
static struct checked check_train(const char *optimizer, const char *schedule)
{
	char text[1024];
	snprintf(text, sizeof text, "data d { train = xor(64) }\nnetwork n { dense(2) }\n"
	         "train { network = n\n data = d\n optimizer = %s\n schedule = %s\n epochs = 100\n}\n",
	         optimizer, schedule);
	return check_text(text);
}

Test(check, accepts_every_optimizer_and_schedule_with_its_defaults)
{
	for (const struct sig *o = schema_optimizers; o->name; o++) {
		char call[256];
		snprintf(call, sizeof call, "%s(lr = 0.1)", o->name);
		struct checked c = check_train(call, "constant");
		cr_expect_eq(c.errors, 0, "%s: %s", call, c.messages);
		free(c.messages);
	}
	for (const struct sig *s = schema_schedules; s->name; s++) {
		char call[256] = "", *p = call + sprintf(call, "%s(", s->name);
		for (const struct param *q = s->params; q->name; q++) /* required ones only */
			if (q->required)
				p += sprintf(p, "%s%s = %s", p[-1] == '(' ? "" : ", ", q->name,
				             q->type == T_DURS ? "[10, 20]" : "10");
		strcat(call, ")");
		if (strcmp(s->name, "triangular") == 0)
			strcpy(call, "triangular(step_size = 10, min_lr = 0.01)");
		struct checked c = check_train("sgd(lr = 0.1)", call);
		cr_expect_eq(c.errors, 0, "%s: %s", call, c.messages);
		free(c.messages);
	}
}

Test(check, accepts_every_layer_bare_or_called)
{
	for (const struct sig *l = schema_layers; l->name; l++) {
		char text[256];
		const char *layer = strcmp(l->name, "input") == 0 ? "input(2)"
			: strcmp(l->name, "dense") == 0 ? "dense(4)"
			: strcmp(l->name, "dropout") == 0 ? "dropout(0.5)"
			: strcmp(l->name, "conv2d") == 0 ? "conv2d(4, 3)"
			: strcmp(l->name, "maxpool") == 0 ? "maxpool(2)"
			: strcmp(l->name, "avgpool") == 0 ? "avgpool(2)" : l->name;
		snprintf(text, sizeof text, "network n {\n %s\n dense(2)\n}\n", layer);
		if (strcmp(l->name, "softmax") == 0)
			snprintf(text, sizeof text, "network n {\n dense(2)\n softmax()\n}\n");
		struct checked c = check_text(text);
		cr_expect_eq(c.errors, 0, "%s: %s", layer, c.messages);
		free(c.messages);
	}
}

Test(check, requires_a_length_before_then_and_accepts_one_given_by_for)
{
	struct checked bad = check_train("sgd(lr = 0.1)", "step(5) then constant");
	struct checked good = check_train("sgd(lr = 0.1)", "step(5) for 20 then constant");
	struct checked chained = check_train("sgd(lr = 0.1)", "warmup(5) then linear(10) then constant");
	cr_expect_eq(bad.errors, 1, "%s", bad.messages);
	cr_expect_eq(good.errors, 0, "%s", good.messages);
	cr_expect_eq(chained.errors, 0, "%s", chained.messages);
	free(bad.messages);
	free(good.messages);
	free(chained.messages);
}

Test(check, warns_about_a_zero_rate_only_when_the_run_outlasts_it)
{
	struct checked early = check_train("sgd(lr = 0.1)", "cosine(50 epochs)");
	struct checked exact = check_train("sgd(lr = 0.1)", "cosine(100 epochs)");
	struct checked floor = check_train("sgd(lr = 0.1)", "cosine(50 epochs, eta_min = 1e-4)");
	struct checked cut = check_train("sgd(lr = 0.1)", "cosine(50 epochs) for 20 epochs then constant");
	cr_expect_eq(early.warnings, 1, "%s", early.messages);
	cr_expect_eq(exact.warnings, 0, "%s", exact.messages);
	cr_expect_eq(floor.warnings, 0, "%s", floor.messages);
	cr_expect_eq(cut.warnings, 0, "%s", cut.messages);
	free(early.messages);
	free(exact.messages);
	free(floor.messages);
	free(cut.messages);
}

Test(check, tells_l2_from_decoupled_decay_by_optimizer)
{
	static const char *const adaptive[] = {"adagrad()", "rmsprop()", "adam()", "adamw()"};
	static const char *const plain[] = {"sgd(lr = 0.1)", "sgd(lr = 0.1, momentum = 0.9)",
	                                    "momentum(lr = 0.1)"};
	char text[512];
	for (int i = 0; i < 4 + 3; i++) {
		const char *opt = i < 4 ? adaptive[i] : plain[i - 4];
		snprintf(text, sizeof text, "minimize f(x) = x^2 {\n from = 1\n optimizer = %s\n"
		         " regularize = l2(0.1)\n steps = 10\n}\n", opt);
		struct checked c = check_text(text);
		cr_expect_eq(c.warnings, i < 4, "%s: %s", opt, c.messages);
		free(c.messages);
	}
}
