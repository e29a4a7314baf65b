/* test_errors.c — every broken file in tests/errors/ and every file in tests/warnings/
 * gets exactly its golden diagnostics from `descent check` (the .err next to it), with
 * exit status 1 for errors and 0 for warnings alone. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct golden_case {
	char path[128]; /* the .nn file */
	int status;     /* the exit status expected */
};

static void free_cases(struct criterion_test_params *params)
{
	cr_free(params->params);
}

/* Both folders as parameters (cr_malloc: the cases cross into the test processes). */
static struct criterion_test_params golden_cases(void)
{
	static const struct { const char *dir; int status; } dirs[] = {
		{"tests/errors", 1}, {"tests/warnings", 0},
	};
	int n[2];
	char **files[2];
	for (int d = 0; d < 2; d++)
		files[d] = list_files(dirs[d].dir, ".nn", &n[d]);
	struct golden_case *cases = cr_malloc(sizeof *cases * (size_t)(n[0] + n[1]));
	int k = 0;
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < n[d]; i++, k++) {
			snprintf(cases[k].path, sizeof cases[k].path, "%s", files[d][i]);
			cases[k].status = dirs[d].status;
		}
		free_names(files[d]);
	}
	return cr_make_param_array(struct golden_case, cases, (size_t)k, free_cases);
}

ParameterizedTestParameters(errors, match_their_golden_diagnostics)
{
	return golden_cases();
}

ParameterizedTest(struct golden_case *c, errors, match_their_golden_diagnostics)
{
	char golden_path[160];
	snprintf(golden_path, sizeof golden_path, "%.*s.err", (int)strlen(c->path) - 3, c->path);
	char *golden = slurp(golden_path, NULL), *err;
	cr_assert_not_null(golden, "no golden %s", golden_path);
	const char *args[] = {"check", c->path, NULL};
	int status = run_descent(args, NULL, NULL, &err);
	cr_expect_eq(status, c->status, "%s: exit %d", c->path, status);
	cr_expect_str_eq(err, golden, "%s", c->path);
	free(err);
	free(golden);
}

Test(errors, cover_at_least_forty_broken_files)
{
	int n;
	char **files = list_files("tests/errors", ".nn", &n);
	free_names(files);
	cr_expect_geq(n, 40);
}
