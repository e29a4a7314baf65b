/* test_diag.c — the diagnostic layout: columns, carets under tabs and UTF-8, notes,
 * "did you mean", and the error limit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "helpers.h"

static char *report(const struct source *src, struct loc at, int max_errors, int count)
{
	char *buf;
	size_t size;
	FILE *out = open_memstream(&buf, &size);
	struct diag d;
	diag_init(&d, out);
	d.max_errors = max_errors;
	for (int i = 0; i < count; i++) {
		at.src = src;
		diag_error(&d, at, "wrong %d", i);
		diag_help(&d, "help %d", i);
	}
	fclose(out);
	return buf;
}

Test(diag, prints_file_line_column_source_and_caret)
{
	struct source *src = source_from_string("x.nn", "let a = 1\n    lr = bad\n");
	char *out = report(src, (struct loc){NULL, 2, 10, 2, 13}, 50, 1);
	cr_expect_str_eq(out, "x.nn:2:10: error: wrong 0\n"
	                      "    2 |     lr = bad\n"
	                      "      |          ^~~\n"
	                      "help: help 0\n");
	free(out);
	source_free(src);
}

Test(diag, keeps_the_caret_under_the_culprit_after_tabs_and_utf8)
{
	/* "\tnom = \"é日\" + x": x is byte 18, character 15, and 14 cells after the tab
	 * (é takes one cell, 日 two) */
	struct source *src = source_from_string("x.nn", "\tnom = \"é日\" + x\n");
	char *out = report(src, (struct loc){NULL, 1, 18, 1, 19}, 50, 1);
	cr_expect_str_eq(out, "x.nn:1:15: error: wrong 0\n"
	                      "    1 | \tnom = \"é日\" + x\n"
	                      "      | \t              ^\n"
	                      "help: help 0\n");
	free(out);
	source_free(src);
}

Test(diag, counts_display_columns_in_characters)
{
	struct source *src = source_from_string("x.nn", "a\nαβγ x\n");
	cr_expect_eq(diag_display_column(src, 2, 1), 1);
	cr_expect_eq(diag_display_column(src, 2, 8), 5);
	source_free(src);
}

Test(diag, stops_printing_after_the_error_limit)
{
	struct source *src = source_from_string("x.nn", "a\n");
	char *out = report(src, (struct loc){NULL, 1, 1, 1, 2}, 2, 5);
	cr_expect(strstr(out, "wrong 1") != NULL);
	cr_expect(strstr(out, "wrong 2") == NULL);
	cr_expect(strstr(out, "help 2") == NULL);
	cr_expect(strstr(out, "too many errors (2)") != NULL, "%s", out);
	free(out);
	source_free(src);
}

Test(diag, measures_edit_distance)
{
	cr_expect_eq(diag_edit_distance("kitten", "sitting"), 3);
	cr_expect_eq(diag_edit_distance("", "abc"), 3);
	cr_expect_eq(diag_edit_distance("adamw", "adamw"), 0);
}

Test(diag, suggests_the_likeliest_name)
{
	const char *const optimizers[] = {"sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", NULL};
	const char *const params[] = {"units", "bias", "init", NULL};
	cr_expect_str_eq(diag_closest("adamx", optimizers), "adamw");
	cr_expect_str_eq(diag_closest("rmsprp", optimizers), "rmsprop");
	cr_expect_str_eq(diag_closest("unit", params), "units");
	cr_expect_null(diag_closest("newton", optimizers));
}

Test(diag, shows_a_window_of_a_long_line)
{
	char text[1100];
	memset(text, 'a', 1000);
	memcpy(text + 500, " bad ", 5);
	strcpy(text + 1000, "\n");
	struct source *src = source_from_string("x.nn", text);
	char *out = report(src, (struct loc){NULL, 1, 502, 1, 505}, 50, 1);
	char *lines[3];
	lines[0] = strtok(out, "\n");
	lines[1] = strtok(NULL, "\n");
	lines[2] = strtok(NULL, "\n");
	cr_expect(strlen(lines[1]) < 140, "source line of %zu bytes", strlen(lines[1]));
	cr_expect(strstr(lines[1], "... bad ") != NULL || strstr(lines[1], " bad ") != NULL);
	cr_expect(strncmp(lines[1] + strlen(lines[1]) - 3, "...", 3) == 0, "%s", lines[1]);
	/* the caret is under "bad" in the window */
	size_t caret = (size_t)(strchr(lines[2], '^') - lines[2]);
	cr_expect_eq(strncmp(lines[1] + caret, "bad", 3), 0, "%s\n%s", lines[1], lines[2]);
	free(out);
	source_free(src);
}

Test(diag, shows_control_bytes_as_question_marks)
{
	struct source *src = source_from_string("x.nn", "a\001b = c\n");
	char *out = report(src, (struct loc){NULL, 1, 7, 1, 8}, 50, 1);
	cr_expect(strstr(out, "    1 | a?b = c\n      |       ^\n") != NULL, "%s", out);
	free(out);
	source_free(src);
}
