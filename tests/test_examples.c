/* test_examples.c — every file of examples/teaching/ runs as written, and every trace
 * it writes equals the one committed beside it (to 1e-12 relative: `make examples`
 * regenerates them). Each example runs in a scratch folder, so the committed files stay
 * as they are. */
#include <criterion/criterion.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* Compares two trace CSVs field by field: text equal, numbers to 1e-12 relative. */
static void compare_traces(const char *ours_path, const char *golden_path)
{
	char *ours = slurp(ours_path, NULL), *golden = slurp(golden_path, NULL);
	cr_assert_not_null(ours, "%s was not written", ours_path);
	cr_assert_not_null(golden, "%s is not committed (make examples)", golden_path);
	char *a_save, *b_save;
	char *a = strtok_r(ours, ",\n", &a_save), *b = strtok_r(golden, ",\n", &b_save);
	int fields = 0;
	for (; a && b; a = strtok_r(NULL, ",\n", &a_save), b = strtok_r(NULL, ",\n", &b_save)) {
		char *end_a, *end_b;
		double x = strtod(a, &end_a), y = strtod(b, &end_b);
		if (*end_a || *end_b)
			cr_expect_str_eq(a, b, "%s field %d", golden_path, fields);
		else
			cr_expect_leq(fabs(x - y), 1e-12 * fabs(y) + 1e-300, "%s field %d: %.17g vs %.17g",
			              golden_path, fields, x, y);
		fields++;
	}
	cr_expect(!a && !b, "%s: the traces differ in length", golden_path);
	cr_expect_gt(fields, 8);
	free(ours);
	free(golden);
}

Test(examples, teaching_files_run_and_write_the_committed_traces)
{
	int n;
	char **files = list_files("examples/teaching", ".nn", &n);
	cr_expect_geq(n, 6);
	for (int i = 0; i < n; i++) {
		char dir[] = "/tmp/descent-example-XXXXXX", copy[256], cmd[600];
		cr_assert_not_null(mkdtemp(dir));
		snprintf(copy, sizeof copy, "%s/example.nn", dir);
		char *text = slurp(files[i], NULL);
		if (strstr(text, "\nsweep {")) { /* descent sweep runs it: tests/test_rerun_best.c */
			free(text);
			rmdir(dir);
			continue;
		}
		FILE *f = fopen(copy, "w");
		fputs(text, f);
		fclose(f);
		free(text);
		char *err;
		int status = run_descent((const char *const[]){"run", "--quiet", copy, NULL}, NULL,
		                         NULL, &err);
		cr_expect_eq(status, 0, "%s: %s", files[i], err);
		free(err);
		int ntraces;
		char **traces = list_files(dir, ".csv", &ntraces);
		cr_expect_geq(ntraces, 1, "%s wrote no trace", files[i]);
		for (int t = 0; t < ntraces; t++) {
			char golden[300];
			snprintf(golden, sizeof golden, "examples/teaching/%s", basename(traces[t]));
			compare_traces(traces[t], golden);
		}
		free_names(traces);
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		cr_expect_eq(system(cmd), 0);
	}
	free_names(files);
}

Test(examples, adagrad_prints_a_table_of_its_ten_steps)
{
	char dir[] = "/tmp/descent-table-XXXXXX", copy[128], cmd[200];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(copy, sizeof copy, "%s/adagrad.nn", dir);
	char *text = slurp("examples/teaching/adagrad.nn", NULL);
	FILE *f = fopen(copy, "w");
	fputs(text, f);
	fclose(f);
	free(text);
	char *out;
	cr_assert_eq(run_descent((const char *const[]){"run", copy, NULL}, NULL, &out, NULL), 0);
	cr_expect(strstr(out, "f: adagrad(lr = 0.5) from (1.5, 1)\n"
	                      "  step  lr            f               x             y           \n"
	                      "     0  0.5           5.25            1.5           1           \n"
	                      "     1  0.5           1.75            1             0.5         \n")
	          != NULL, "%s", out);
	cr_expect(strstr(out, "\n    10  0.5 ") != NULL, "%s", out);
	cr_expect(strstr(out, "f: adagrad(lr = 0.5) from (-1.5, 0.5)") != NULL, "%s", out);
	free(out);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}
