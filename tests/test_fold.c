/* test_fold.c — constant folding: lets, arithmetic, functions, the train block's own
 * batch and epochs, minimize variables, and errors reported once. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

/* The folded value of key in the first block named block_name. */
static const struct ast *entry(const struct ast *file, const char *block_name, const char *key)
{
	for (int i = 0; i < file->nkids; i++) {
		const struct ast *b = file->kids[i];
		if (!b->str || strcmp(b->str, block_name) != 0)
			continue;
		for (int j = 0; j < b->nkids; j++)
			if (b->kids[j]->str && strcmp(b->kids[j]->str, key) == 0)
				return b->kids[j]->a;
	}
	cr_assert_fail("no %s in %s", key, block_name);
	abort(); /* not reached: the failed assertion ends the test */
}

static const char net[] = "data d { train = xor(64) }\nnetwork n { dense(2) }\n";

Test(fold, substitutes_lets_and_computes_arithmetic)
{
	struct source *src;
	int errors;
	char text[512];
	snprintf(text, sizeof text, "let base = 1e-3\nlet warm = 2\n%s"
	         "train t {\n network = n\n data = d\n batch = 128\n epochs = 4 * warm\n"
	         " optimizer = adamw(lr = base * batch / 256, wd = sqrt(1e-4))\n}\n", net);
	struct ast *f = fold_text(text, &src, &errors);
	cr_assert_eq(errors, 0);
	const struct ast *opt = entry(f, "t", "optimizer");
	cr_expect_eq(entry(f, "t", "epochs")->num, 8);
	cr_expect_float_eq(ast_call_arg(opt, "lr")->num, 5e-4, 1e-18);
	cr_expect_float_eq(ast_call_arg(opt, "wd")->num, 1e-2, 1e-18);
	ast_free(f);
	source_free(src);
}

Test(fold, names_batch_32_when_the_block_does_not_set_it)
{
	struct source *src;
	int errors;
	char text[512];
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 1\n"
	         " optimizer = sgd(lr = batch / 320)\n}\n", net);
	struct ast *f = fold_text(text, &src, &errors);
	cr_assert_eq(errors, 0);
	cr_expect_float_eq(ast_call_arg(entry(f, "t", "optimizer"), "lr")->num, 0.1, 1e-15);
	ast_free(f);
	source_free(src);
}

Test(fold, lets_a_minimize_variable_hide_a_constant)
{
	struct source *src;
	int errors;
	struct ast *f = fold_text("let x = 3\nminimize f(x) = x^2 + x {\n from = x\n"
	                          " optimizer = sgd(lr = 0.1)\n steps = 5\n}\n", &src, &errors);
	cr_assert_eq(errors, 0);
	const struct ast *fn = f->kids[1]->a;
	cr_expect_eq(fn->kind, AST_BINOP);
	cr_expect_eq(fn->b->kind, AST_NAME);
	cr_expect_eq(entry(f, "f", "from")->num, 3, "outside the function x is the constant");
	ast_free(f);
	source_free(src);
}

Test(fold, a_let_sees_the_lets_before_it_and_the_latest_of_a_name)
{
	struct source *src;
	int errors;
	struct ast *f = fold_text("let b = c\nlet a = 1\nlet a = 2\nlet c = a + 10\n", &src, &errors);
	cr_expect_eq(errors, 2, "a defined twice; c is not defined yet where b is");
	cr_expect(isnan(f->kids[0]->a->num), "b, reported, is NaN: its uses say nothing more");
	cr_expect_eq(f->kids[3]->a->num, 12, "the second a counts");
	ast_free(f);
	source_free(src);
}

Test(fold, reports_each_bad_value_once)
{
	struct checked c = check_text("let a = 1 / 0\nlet b = a * 2\nlet c = log(-1)\n"
	                              "network n { dense(a) }\n");
	cr_expect_eq(c.errors, 2, "%s", c.messages);
	cr_expect(strstr(c.messages, "division by zero") != NULL, "%s", c.messages);
	cr_expect(strstr(c.messages, "log(-1) is not a finite number") != NULL, "%s", c.messages);
	free(c.messages);
}

Test(fold, substitutes_whole_values_not_only_numbers)
{
	struct checked c = check_text("let opt = adamw(lr = 3e-4)\nlet sched = warmup(2) then "
	                              "cosine(10)\nminimize f(x) = x^2 {\n from = 1\n"
	                              " optimizer = opt\n schedule = sched\n steps = 12\n}\n");
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
}
