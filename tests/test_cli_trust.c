/* test_cli_trust.c — the command line refuses what it cannot take, clearly: inputs over
 * their caps, --set values that do not parse or repeat a key, `descent ir` of a file with
 * no train block; and it prints what its help promises: the final tables under --quiet,
 * long runs elided in the middle, huge losses within their columns, a minimize path
 * stopped by a derivative that is not finite named by that derivative. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "schema.h"

#define RUN(out, err, ...) run_descent((const char *const[]){__VA_ARGS__, NULL}, NULL, out, err)

static const char tiny_train[] =
	"data d { train = xor(64) }\n"
	"network n { dense(2) }\n"
	"train t {\n"
	"    data = d\n"
	"    network = n\n"
	"    batch = 64\n"
	"    optimizer = sgd(lr = 0.1)\n"
	"    epochs = 2\n"
	"}\n";

static const char tiny_minimize[] =
	"minimize f(x) = (x - 1)^2 {\n"
	"    from = 3\n"
	"    optimizer = sgd(lr = 0.25)\n"
	"    steps = 4\n"
	"}\n";

/* Writes text to dir/name, its path in path (256 bytes). */
static void put_file(const char *dir, const char *name, const char *text, char *path)
{
	snprintf(path, 256, "%s/%s", dir, name);
	cr_assert_eq(write_text(path, text), 0, "%s", path);
}

/* How many lines of text start with prefix. */
static int lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

Test(cli_trust, refuses_a_file_over_16_mib_naming_it_and_the_limit)
{
	char dir[64], path[256], *err;
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/huge.nn", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(ftruncate(fileno(f), (17 << 20)), 0); /* sparse: 17 MiB of zeros */
	fclose(f);
	cr_expect_eq(RUN(NULL, &err, "check", path), 1);
	cr_expect(strstr(err, path) && strstr(err, "more than 16 MiB"), "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "check", "/dev/zero"), 1, "read until the cap, then refused");
	cr_expect(strstr(err, "descent: /dev/zero: more than 16 MiB, the most a .nn file may hold"),
	          "%s", err);
	free(err);
	remove_tree(dir);
}

Test(cli_trust, refuses_standard_input_over_16_mib)
{
	size_t n = (16u << 20) + 2;
	char *text = malloc(n + 1), *err;
	cr_assert_not_null(text);
	memset(text, '\n', n);
	text[n] = '\0';
	int status = run_descent((const char *const[]){"check", "-", NULL}, text, NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "descent: <stdin>: more than 16 MiB"), "%s", err);
	free(err);
	free(text);
}

Test(cli_trust, takes_a_set_value_that_does_not_parse_as_misuse)
{
	char dir[64], path[256], *err;
	cr_assert(scratch_dir(dir));
	put_file(dir, "t.nn", tiny_train, path);
	cr_expect_eq(RUN(NULL, &err, "run", "--set", "epochs=", path), 2);
	cr_expect(strncmp(err, "--set:1:", 8) == 0, "%s", err);
	cr_expect(strstr(err, "try 'descent run --help'"), "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "sweep", "--set", "epochs 2", path), 2);
	free(err);
	remove_tree(dir);
}

/* A value on the command line has no "file" to end: its end is the value's. */
Test(cli_trust, a_set_value_cut_short_ends_as_a_value_not_a_file)
{
	char dir[64], path[256], *err;
	cr_assert(scratch_dir(dir));
	put_file(dir, "t.nn", tiny_train, path);
	cr_expect_eq(RUN(NULL, &err, "run", "--set", "epochs=", path), 2);
	cr_expect(strstr(err, "--set:1:8: error: unexpected end of the value\n"), "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "schedule", "cosine(", "--lr", "1", "--steps", "3"), 1);
	cr_expect(strstr(err, "error: unexpected end of the value; ')' expected"), "%s", err);
	free(err);
	remove_tree(dir);
}

Test(cli_trust, refuses_one_key_set_twice_naming_both)
{
	char dir[64], path[256], *err;
	cr_assert(scratch_dir(dir));
	put_file(dir, "t.nn", tiny_train, path);
	cr_expect_eq(RUN(NULL, &err, "run", "--set", "epochs=1", "--set", "epochs = 3", path), 2);
	cr_expect(strstr(err, "'epochs' is set twice: --set epochs=1 and --set epochs = 3"),
	          "%s", err);
	free(err);
	remove_tree(dir);
}

Test(cli_trust, refuses_a_set_value_over_4096_bytes)
{
	char dir[64], path[256], *err;
	cr_assert(scratch_dir(dir));
	put_file(dir, "t.nn", tiny_train, path);
	char *value = malloc(5000);
	cr_assert_not_null(value);
	strcpy(value, "epochs=1");
	for (size_t i = strlen(value); i < 4997; i += 2)
		strcpy(value + i, "+0");
	cr_expect_eq(RUN(NULL, &err, "run", "--set", value, path), 2);
	cr_expect(strstr(err, "a --set value may hold at most 4096"), "%s", err);
	free(err);
	free(value);
	remove_tree(dir);
}

Test(cli_trust, prints_a_minimize_table_under_quiet)
{
	char dir[64], path[256], *out;
	cr_assert(scratch_dir(dir));
	put_file(dir, "m.nn", tiny_minimize, path);
	cr_expect_eq(RUN(&out, NULL, "run", "--quiet", path), 0);
	cr_expect(strstr(out, "f: sgd(lr = 0.25) from (3)\n  step  lr"), "%s", out);
	cr_expect_eq(lines_starting(out, "     4  0.25"), 1, "%s", out);
	free(out);
	remove_tree(dir);
}

Test(cli_trust, says_a_file_without_a_train_block_has_no_ir)
{
	char dir[64], path[256], *out, *err;
	cr_assert(scratch_dir(dir));
	put_file(dir, "m.nn", tiny_minimize, path);
	cr_expect_eq(RUN(&out, &err, "ir", path), 1);
	cr_expect_str_eq(out, "");
	cr_expect(strstr(err, "descent ir: ") && strstr(err, "m.nn: no train block"), "%s", err);
	free(out);
	free(err);
	remove_tree(dir);
}

Test(cli_trust, elides_the_middle_of_a_long_final_table_not_the_log)
{
	char dir[64], path[256], log[256], *out;
	cr_assert(scratch_dir(dir));
	char text[1024];
	snprintf(text, sizeof text, "%.*s    epochs = 30\n    log = \"a.jsonl\"\n}\n",
	         (int)(strstr(tiny_train, "    epochs") - tiny_train), tiny_train);
	put_file(dir, "t.nn", text, path);
	cr_expect_eq(RUN(&out, NULL, "run", "--quiet", path), 0);
	cr_expect_eq(lines_starting(out, "     1  "), 1, "%s", out);
	cr_expect_eq(lines_starting(out, "    10  "), 1, "%s", out);
	cr_expect_eq(lines_starting(out, "    11  "), 0, "%s", out);
	cr_expect_eq(lines_starting(out, "   ...\n"), 1, "%s", out);
	cr_expect_eq(lines_starting(out, "    20  "), 0, "%s", out);
	cr_expect_eq(lines_starting(out, "    21  "), 1, "%s", out);
	cr_expect_eq(lines_starting(out, "    30  "), 1, "%s", out);
	free(out);
	snprintf(log, sizeof log, "%s/a.jsonl", dir);
	char *lines = slurp(log, NULL);
	cr_assert_not_null(lines);
	cr_expect_eq(lines_starting(lines, "{\"run\""), 30, "the log keeps every epoch");
	free(lines);
	remove_tree(dir);
}

Test(cli_trust, keeps_the_columns_of_the_table_for_huge_losses)
{
	char dir[64], path[256], *out;
	cr_assert(scratch_dir(dir));
	/* inputs of 1e6 give a loss of about 6e10 that a tiny rate keeps there: huge, but no
	 * divergence (the loss does not grow) */
	const char *text = "data d {\n    train = xor(64)\n    scale = 1e6\n}\n"
		"network n { dense(2) }\n"
		"train t {\n    data = d\n    network = n\n    batch = 64\n"
		"    optimizer = sgd(lr = 1e-20)\n    loss = mse\n    epochs = 3\n}\n";
	put_file(dir, "t.nn", text, path);
	cr_expect_eq(RUN(&out, NULL, "run", "--quiet", path), 0);
	const char *header = strstr(out, " epoch  train_loss");
	cr_assert_not_null(header, "%s", out);
	size_t width = strcspn(header, "\n");
	int rows = 0;
	for (const char *p = strchr(header, '\n') + 1; *p; p = strchr(p, '\n') + 1, rows++)
		cr_expect_eq(strcspn(p, "\n"), width, "a row as wide as the header:\n%s", out);
	cr_expect_eq(rows, 3);
	cr_expect(strstr(out, "e+"), "losses past 1e5 in exponent form:\n%s", out);
	free(out);
	remove_tree(dir);
}

Test(cli_trust, names_the_derivative_that_is_not_finite)
{
	char dir[64], path[256], *err;
	cr_assert(scratch_dir(dir));
	put_file(dir, "m.nn", "minimize f(x, y) = sqrt(x^2 + y^2) {\n    from = (0, 0)\n"
	         "    optimizer = sgd(lr = 0.1)\n    steps = 5\n}\n", path);
	cr_expect_eq(RUN(NULL, &err, "run", "--quiet", path), 3);
	cr_expect(strstr(err, "stopped at step 0: ∂f/∂x and ∂f/∂y are not finite at x = 0, y = 0"),
	          "%s", err);
	cr_expect(strstr(err, "help: 'sqrt' has no finite derivative where its operand is 0"),
	          "%s", err);
	cr_expect(!strstr(err, "diverged"), "a point without a gradient is no divergence: %s", err);
	free(err);
	remove_tree(dir);
}

/* `descent help TOPIC` prints every row of the checker's own table, signature first, so
 * the list cannot drift from what check accepts. */
static void expect_every_signature(const char *topic, const struct sig *table)
{
	char *out;
	cr_assert_eq(RUN(&out, NULL, "help", topic), 0);
	for (const struct sig *sig = table; sig->name; sig++) {
		char line[512], want[600];
		snprintf(want, sizeof want, "\n  %s\n", sig->params[0].name
		         ? schema_signature(sig, line, sizeof line) : sig->name);
		cr_expect(strstr(out, want), "descent help %s lacks %s", topic, want);
	}
	free(out);
}

Test(cli_trust, help_lists_every_layer_optimizer_and_schedule_of_the_tables)
{
	expect_every_signature("layers", schema_layers);
	expect_every_signature("optimizers", schema_optimizers);
	expect_every_signature("schedules", schema_schedules);
	char *out, *err;
	cr_assert_eq(RUN(&out, NULL, "help", "losses"), 0);
	cr_expect(strstr(out, "one of cross_entropy, mse, bce"), "%s", out);
	free(out);
	cr_assert_eq(RUN(&out, NULL, "help", "metrics"), 0);
	for (const char *const *m = schema_metrics; *m; m++)
		cr_expect(strstr(out, *m), "no %s in:\n%s", *m, out);
	free(out);
	cr_expect_eq(RUN(NULL, &err, "help", "schedule"), 2);
	cr_expect(strstr(err, "did you mean 'schedules'?"), "%s", err);
	free(err);
}
