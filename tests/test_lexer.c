/* test_lexer.c — tokens: numbers, strings, comments, the newline rules, locations. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* The folded value of `let v = EXPR` (the file's only let). */
static struct ast *let_value(const char *text, struct source **src, struct ast **file)
{
	int errors;
	*file = fold_text(text, src, &errors);
	cr_assert_eq(errors, 0, "errors in: %s", text);
	cr_assert_not_null(*file);
	return (*file)->kids[0]->a;
}

static double number_of(const char *text)
{
	struct source *src;
	struct ast *file;
	struct ast *v = let_value(text, &src, &file);
	cr_assert_eq(v->kind, AST_NUM, "not a number: %s", text);
	double x = v->num;
	ast_free(file);
	source_free(src);
	return x;
}

Test(lexer, reads_every_form_of_number)
{
	cr_expect_eq(number_of("let v = 3"), 3);
	cr_expect_eq(number_of("let v = 0.5"), 0.5);
	cr_expect_eq(number_of("let v = 1e-3"), 1e-3);
	cr_expect_eq(number_of("let v = .5"), 0.5);
	cr_expect_eq(number_of("let v = 2.5E+2"), 250);
}

Test(lexer, resolves_string_escapes)
{
	struct source *src;
	struct ast *file;
	struct ast *v = let_value("let v = \"a\\\"b\\\\c\\nd\\te\"", &src, &file);
	cr_assert_eq(v->kind, AST_STR);
	cr_expect_str_eq(v->str, "a\"b\\c\nd\te");
	ast_free(file);
	source_free(src);
}

Test(lexer, skips_comments_and_blank_lines)
{
	struct checked c = check_text("# a comment\n\n\nlet x = 3 # another\n\n"
	                              "minimize f(x) = x^2 { # here too\n from = 1\n"
	                              " optimizer = sgd(lr = 0.1)\n steps = 3\n}\n");
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
}

Test(lexer, continues_lines_inside_brackets_and_after_operators)
{
	struct checked c = check_text(
		"let lr = 1e-3 *\n    2\n"
		"minimize f(x, y) = x^2 +\n    3*y^2 {\n"
		"    from = [(1, 2),\n            (3, 4)]\n"
		"    optimizer = [sgd(lr = lr,\n                     momentum = 0.9),\n"
		"                 adam()]\n"
		"    schedule = warmup(3) then\n        cosine(10)\n"
		"    steps = 10\n}\n");
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
}

Test(lexer, ends_a_statement_at_a_newline)
{
	/* `let` starts a declaration only at the start of a line; here it is a stray word */
	struct checked c = check_text("let a = 1\nlet b = 2 let c = 3\n");
	cr_expect_eq(c.errors, 1, "%s", c.messages);
	cr_expect(strncmp(c.messages, "test.nn:2:", 10) == 0, "%s", c.messages);
	free(c.messages);
}

Test(lexer, needs_no_newline_before_a_brace_or_the_end)
{
	struct checked c = check_text("network n { dense(3) }\nlet x = 1");
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
}

Test(lexer, reads_block_words_as_keys_inside_blocks)
{
	struct checked c = check_text(
		"data data { train = xor(100) }\nnetwork network { dense(2) }\n"
		"train train { network = network\n data = data\n optimizer = sgd(lr = 0.1)\n"
		" epochs = 1 }\n");
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
}

Test(lexer, accepts_crlf_line_ends)
{
	struct checked c = check_text("let a = 1\r\nnetwork n {\r\n  dense(2)\r\n}\r\n");
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
}

Test(lexer, locates_tokens_by_line_and_column)
{
	int errors;
	struct source *src;
	struct ast *file = parse_text("\n\nlet  rate = adamw(lr = 1)\n", PARSE_FILE, &src, &errors, NULL);
	cr_assert_not_null(file);
	struct ast *let = file->kids[0], *call = let->a;
	cr_expect_eq(let->name_loc.first_line, 3);
	cr_expect_eq(let->name_loc.first_column, 6);
	cr_expect_eq(let->name_loc.last_column, 10);
	cr_expect_eq(call->loc.first_column, 13);
	cr_expect_eq(call->loc.last_column, 26);
	cr_expect_eq(call->kids[0]->name_loc.first_column, 19);
	ast_free(file);
	source_free(src);
}

Test(lexer, reports_bad_numbers_strings_and_characters)
{
	static const char *const cases[][2] = {
		{"let v = 1e\n", "bad number '1e'"},
		{"let v = 3x\n", "bad number '3x'"},
		{"let v = 1e400\n", "number '1e400' is too large"},
		{"let v = \"open\n", "unterminated string"},
		{"let v = \"\\z\"\n", "unknown escape '\\z'"},
		{"let v = 3 @\n", "unexpected character '@'"},
		{"let v = \x01\n", "unexpected byte 0x01"},
		{"let v = ×\n", "unexpected character '×'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct checked c = check_text(cases[i][0]);
		cr_expect_eq(c.errors, 1, "%s", c.messages);
		cr_expect(strstr(c.messages, cases[i][1]) != NULL, "wanted '%s' in: %s", cases[i][1],
		          c.messages);
		free(c.messages);
	}
}
