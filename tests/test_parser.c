/* test_parser.c — the shape of the tree: precedence, associativity, every construct,
 * the three parse modes, and error recovery. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "helpers.h"

static struct ast *expr(const char *text, struct source **src)
{
	int errors;
	char *messages;
	struct ast *e = parse_text(text, PARSE_EXPR, src, &errors, &messages);
	cr_assert_eq(errors, 0, "%s: %s", text, messages);
	free(messages);
	return e;
}

static double folded(const char *text)
{
	struct source *src;
	struct diag d;
	diag_init(&d, NULL);
	struct ast *e = fold_expr(expr(text, &src), NULL, &d);
	cr_assert_eq(e->kind, AST_NUM, "%s did not fold", text);
	double x = e->num;
	ast_free(e);
	source_free(src);
	return x;
}

Test(parser, gives_power_precedence_over_minus_and_right_associativity)
{
	cr_expect_eq(folded("-2^2"), -4);
	cr_expect_eq(folded("2^3^2"), 512);
	cr_expect_eq(folded("2^-1"), 0.5);
	cr_expect_eq(folded("1 + 2 * 3 - 4 / 2"), 5);
	cr_expect_eq(folded("(1 + 2) * 3"), 9);
	cr_expect_eq(folded("10 - 4 - 3"), 3);
}

Test(parser, binds_for_tighter_than_then_and_then_to_the_left)
{
	struct source *src;
	struct ast *e = expr("a then b for 3 steps then c", &src);
	cr_assert_eq(e->kind, AST_THEN);
	cr_assert_eq(e->a->kind, AST_THEN);
	cr_expect_str_eq(e->a->a->str, "a");
	cr_assert_eq(e->a->b->kind, AST_FOR);
	cr_expect_str_eq(e->a->b->a->str, "b");
	cr_expect_eq(e->a->b->b->kind, AST_DURATION);
	cr_expect_str_eq(e->b->str, "c");
	ast_free(e);
	source_free(src);
	e = expr("(a then b) for 10", &src);
	cr_expect_eq(e->kind, AST_FOR);
	cr_expect_eq(e->a->kind, AST_THEN);
	ast_free(e);
	source_free(src);
}

Test(parser, reads_durations_ranges_tuples_and_lists)
{
	struct source *src;
	struct ast *e = expr("[n / 2 epochs, 1..5, (1.5, -1), [], (3), f()]", &src);
	cr_assert_eq(e->kind, AST_LIST);
	cr_assert_eq(e->nkids, 6);
	cr_expect_eq(e->kids[0]->kind, AST_DURATION);
	cr_expect_eq(e->kids[0]->a->kind, AST_BINOP);
	cr_expect_str_eq(e->kids[0]->b->str, "epochs");
	cr_expect_eq(e->kids[1]->kind, AST_RANGE);
	cr_expect_eq(e->kids[2]->kind, AST_TUPLE);
	cr_expect_eq(e->kids[2]->nkids, 2);
	cr_expect_eq(e->kids[3]->kind, AST_LIST);
	cr_expect_eq(e->kids[3]->nkids, 0);
	cr_expect_eq(e->kids[4]->kind, AST_NUM);
	cr_expect_eq(e->kids[5]->kind, AST_CALL);
	ast_free(e);
	source_free(src);
}

Test(parser, keeps_positional_then_named_arguments_in_order)
{
	struct source *src;
	struct ast *e = expr("sgd(0.1, momentum = 0.9, nesterov = true,)", &src);
	cr_assert_eq(e->kind, AST_CALL);
	cr_expect_str_eq(e->str, "sgd");
	cr_assert_eq(e->nkids, 3);
	cr_expect_eq(e->kids[0]->kind, AST_NUM);
	cr_expect_eq(e->kids[1]->kind, AST_ARG);
	cr_expect_str_eq(e->kids[1]->str, "momentum");
	cr_expect_eq(e->kids[2]->a->kind, AST_BOOL);
	ast_free(e);
	source_free(src);
}

Test(parser, reads_a_set_value_as_a_dotted_entry)
{
	int errors;
	struct source *src;
	struct ast *e = parse_text("baseline.optimizer.lr=3e-4 * 2", PARSE_SET, &src, &errors, NULL);
	cr_assert_not_null(e);
	cr_expect_eq(e->kind, AST_ENTRY);
	cr_expect_str_eq(e->str, "baseline.optimizer.lr");
	cr_expect_eq(e->a->kind, AST_BINOP);
	ast_free(e);
	source_free(src);
}

Test(parser, builds_every_declaration)
{
	int errors;
	struct source *src;
	struct ast *f = parse_text(
		"let a = 1\ndata d { train = xor(10) }\nnetwork n {\n h: dense(2)\n relu\n}\n"
		"train { x = 1 }\ntrain t { y = 2 }\nsweep { seed in 1..3 }\n"
		"minimize g(x, y,) = x*y { steps = 1 }\n", PARSE_FILE, &src, &errors, NULL);
	cr_assert_not_null(f);
	cr_assert_eq(f->nkids, 7);
	cr_expect_eq(f->kids[0]->kind, AST_LET);
	cr_expect_eq(f->kids[1]->op, BLOCK_DATA);
	cr_expect_eq(f->kids[2]->op, BLOCK_NETWORK);
	cr_expect_str_eq(f->kids[2]->kids[0]->str, "h");
	cr_expect_null(f->kids[2]->kids[1]->str);
	cr_expect_null(f->kids[3]->str);
	cr_expect_str_eq(f->kids[4]->str, "t");
	cr_expect_eq(f->kids[5]->kids[0]->kind, AST_AXIS);
	cr_expect_eq(f->kids[6]->kind, AST_MINIMIZE);
	cr_expect_eq(f->kids[6]->b->nkids, 2);
	ast_free(f);
	source_free(src);
}

Test(parser, reports_several_syntax_errors_in_one_pass)
{
	int errors;
	struct source *src;
	char *messages;
	struct ast *f = parse_text("train {\n a = (1\n b = 2\n}\nlet = 3\nnetwork n {\n dense(3))\n"
	                           " relu\n}\n", PARSE_FILE, &src, &errors, &messages);
	cr_expect_null(f);
	cr_expect_eq(errors, 3, "%s", messages);
	cr_expect(strstr(messages, "(to close '(' at 2:6)") != NULL, "%s", messages);
	cr_expect(strstr(messages, "test.nn:5:5: error: unexpected '='") != NULL, "%s", messages);
	cr_expect(strstr(messages, "test.nn:7:10: error: unexpected ')'") != NULL, "%s", messages);
	free(messages);
	source_free(src);
}

Test(parser, survives_deep_nesting)
{
	char *text = malloc(30000 + 16);
	strcpy(text, "let v = ");
	memset(text + 8, '(', 30000);
	strcpy(text + 30008, "1\n");
	int errors;
	struct source *src;
	char *messages;
	struct ast *f = parse_text(text, PARSE_FILE, &src, &errors, &messages);
	cr_expect_null(f);
	cr_expect_geq(errors, 1, "%s", messages);
	free(messages);
	free(text);
	source_free(src);
}

Test(parser, refuses_a_chain_deeper_than_the_passes_after_it_allow)
{
	size_t terms = 50000;
	char *text = malloc(16 + 2 * terms);
	char *p = text + sprintf(text, "let v = 1");
	for (size_t i = 1; i < terms; i++)
		p += sprintf(p, "+1");
	strcpy(p, "\n");
	int errors;
	struct source *src;
	char *messages;
	struct ast *f = parse_text(text, PARSE_FILE, &src, &errors, &messages);
	cr_expect_null(f);
	cr_expect_eq(errors, 1);
	cr_expect(strstr(messages, "nested too deeply (more than 1000 levels)") != NULL, "%s",
	          messages);
	free(messages);
	free(text);
	source_free(src);
}

Test(parser, refuses_constants_nested_too_deeply_by_substitution)
{
	/* each let is 600 deep and holds the one before: fine alone, too deep together (a
	 * schedule, since numbers fold away and a name a let uses must be defined) */
	char *text = malloc(64 * 1024), *p = text;
	for (int k = 0; k < 5; k++) {
		p += sprintf(p, "let c%d = %s", k, k ? "" : "cosine(1)");
		if (k)
			p += sprintf(p, "c%d", k - 1);
		for (int i = 0; i < 600; i++)
			p += sprintf(p, " then cosine(1)");
		p += sprintf(p, "\n");
	}
	struct checked c = check_text(text);
	cr_expect_geq(c.errors, 1);
	cr_expect(strstr(c.messages, "nested too deeply once its constants are substituted") != NULL,
	          "%.300s", c.messages);
	free(c.messages);
	free(text);
}
