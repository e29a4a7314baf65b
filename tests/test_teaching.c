/* test_teaching.c — every claim of examples/teaching/README.md checked against the trace
 * committed beside its example. tests/test_examples.c reruns every example and compares
 * its traces with these committed ones, so together they check the claims against what
 * the program computes today. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

enum { MAX_COLS = 32, MAX_ROWS = 2048 };

/* A trace: its column names and its rows as numbers (NaN where a field is empty; the
 * optimizer column is 0). */
struct trace {
	int ncols, nrows;
	char names[MAX_COLS][32];
	double (*rows)[MAX_COLS];
};

static struct trace load(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "examples/teaching/%s", name);
	char *text = slurp(path, NULL);
	cr_assert_not_null(text, "%s", path);
	struct trace t = {0};
	t.rows = calloc(MAX_ROWS, sizeof *t.rows);
	char *line = text, *next;
	for (int r = -1; line && *line; r++, line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		cr_assert_lt(r, MAX_ROWS);
		int c = 0;
		for (char *f = line;; c++) {
			size_t len = strcspn(f, ",");
			cr_assert_lt(c, MAX_COLS);
			if (r < 0)
				snprintf(t.names[c], sizeof t.names[c], "%.*s", (int)len, f);
			else
				t.rows[r][c] = len == 0 ? NAN : atof(f);
			if (!f[len])
				break;
			f += len + 1;
		}
		if (r < 0)
			t.ncols = c + 1;
		else
			t.nrows = r + 1;
	}
	free(text);
	return t;
}

/* Value of column `col` at `step` of run `run` (start 0). */
static double at(const struct trace *t, int run, int step, const char *col)
{
	int c = 0;
	while (c < t->ncols && strcmp(t->names[c], col) != 0)
		c++;
	cr_assert_lt(c, t->ncols, "no column %s", col);
	for (int r = 0; r < t->nrows; r++)
		if (t->rows[r][0] == run && t->rows[r][3] == step && t->rows[r][2] == 0)
			return t->rows[r][c];
	cr_assert_fail("no row for run %d step %d", run, step);
	return NAN;
}

/* Value at a start other than 0. */
static double at_start(const struct trace *t, int run, int start, int step, const char *col)
{
	int c = 0;
	while (c < t->ncols && strcmp(t->names[c], col) != 0)
		c++;
	cr_assert_lt(c, t->ncols, "no column %s", col);
	for (int r = 0; r < t->nrows; r++)
		if (t->rows[r][0] == run && t->rows[r][2] == start && t->rows[r][3] == step)
			return t->rows[r][c];
	cr_assert_fail("no row for run %d start %d step %d", run, start, step);
	return NAN;
}

/* How many of steps 1..steps change the sign of col. */
static int sign_changes(const struct trace *t, int run, int steps, const char *col)
{
	int n = 0;
	for (int k = 1; k <= steps; k++)
		n += at(t, run, k, col) * at(t, run, k - 1, col) < 0;
	return n;
}

#define NEAR(a, b, tol) cr_expect_leq(fabs((a) - (b)), (tol), "%s = %.17g, want %.17g", #a, \
                                      (double)(a), (double)(b))

Test(teaching, adagrad_first_step_is_lr_per_coordinate_and_G_only_grows)
{
	struct trace t = load("adagrad.csv");
	NEAR(at(&t, 0, 1, "x"), 1.0, 1e-9);  /* 1.5 − 0.5 */
	NEAR(at(&t, 0, 1, "y"), 0.5, 1e-9);  /* 1 − 0.5 */
	for (int k = 1; k <= 10; k++) {
		cr_expect_geq(at(&t, 0, k, "G_x"), at(&t, 0, k - 1, "G_x"));
		cr_expect_geq(at(&t, 0, k, "G_y"), at(&t, 0, k - 1, "G_y"));
		if (k >= 2) /* the steps shrink */
			cr_expect_leq(fabs(at(&t, 0, k, "x") - at(&t, 0, k - 1, "x")),
			              fabs(at(&t, 0, k - 1, "x") - at(&t, 0, k - 2, "x")) + 1e-12);
	}
	for (int k = 1; k <= 10; k++) /* from (−1.5, 0.5) y is 0 after one step */
		NEAR(at_start(&t, 0, 1, k, "y"), 0, 1e-9);
	free(t.rows);
}

Test(teaching, momentum_sgd_zigzags_and_momentum_averages_it_away)
{
	struct trace t = load("momentum.csv");
	NEAR(at(&t, 0, 0, "lr"), 0.18, 1e-15);
	cr_expect(0.18 > 1.0 / 10 && 0.18 < 2.0 / 10, "between 1/L_y and the limit 2/L_y");
	cr_expect_eq(sign_changes(&t, 0, 60, "y"), 60, "plain SGD flips y at every step");
	NEAR(at(&t, 0, 1, "y"), -0.8, 1e-12);
	NEAR(at(&t, 0, 60, "x"), -1.345, 5e-4);
	cr_expect_eq(sign_changes(&t, 0, 60, "x"), 0, "SGD crawls along x");
	cr_expect_eq(sign_changes(&t, 1, 60, "y"), 8, "momentum: 8 sign changes");
	NEAR(at(&t, 1, 60, "x"), -1.37, 5e-3);
	double sgd_step = 0, heavy_step = 0;
	for (int k = 1; k <= 60; k++) {
		sgd_step = fmax(sgd_step, fabs(at(&t, 0, k, "x") - at(&t, 0, k - 1, "x")));
		heavy_step = fmax(heavy_step, fabs(at(&t, 2, k, "x") - at(&t, 2, k - 1, "x")));
	}
	NEAR(sgd_step, 0.072, 5e-4);
	NEAR(heavy_step, 0.34, 5e-3);
	double top = -INFINITY;
	for (int k = 0; k <= 60; k++)
		top = fmax(top, at(&t, 2, k, "x"));
	NEAR(top, 1.09, 5e-3); /* the heavy ball overshoots the minimum at x = 0 */
	NEAR(at(&t, 2, 60, "f"), 0.0098, 1e-4);
	NEAR(at(&t, 0, 60, "f"), 0.090, 1e-3);
	cr_expect_lt(at(&t, 2, 60, "f"), at(&t, 1, 60, "f"));
	free(t.rows);
}

Test(teaching, adagrads_G_never_comes_down_and_rmsprop_walks_on)
{
	struct trace t = load("adagrad_vs_rmsprop.csv");
	int falls = 0;
	for (int k = 1; k <= 400; k++) {
		cr_expect_geq(at(&t, 0, k, "G_x"), at(&t, 0, k - 1, "G_x"));
		cr_expect_geq(at(&t, 0, k, "G_y"), at(&t, 0, k - 1, "G_y"));
		falls += at(&t, 1, k, "v_y") < at(&t, 1, k - 1, "v_y");
	}
	cr_expect_gt(falls, 200, "RMSProp's v forgets the steep start");
	cr_expect_lt(at(&t, 1, 400, "f"), at(&t, 0, 400, "f"), "RMSProp ends lower");
	/* AdaGrad stalls: its last 100 steps move less than RMSProp's */
	double ada = fabs(at(&t, 0, 400, "x") - at(&t, 0, 300, "x"));
	double rms = fabs(at(&t, 1, 400, "x") - at(&t, 1, 300, "x"));
	cr_expect_lt(ada, rms);
	free(t.rows);
}

Test(teaching, adam_steps_are_about_lr_with_small_eps)
{
	struct trace t = load("adam_eps.csv");
	NEAR(fabs(at(&t, 0, 1, "x") - 1.5), 0.1, 1e-8);
	for (int k = 1; k <= 60; k++) /* |Δθ| ≲ η per coordinate */
		cr_expect_leq(fabs(at(&t, 0, k, "x") - at(&t, 0, k - 1, "x")), 0.1 * 1.01);
	/* eps = 1: the first step is η·m̂/(√v̂ + 1) = 0.1·3/4; f above the other run's for
	 * 16 steps, then below; fewer rises near the minimum, a lower end */
	NEAR(fabs(at(&t, 1, 1, "x") - 1.5), 0.075, 1e-12);
	int rises[2] = {0, 0};
	for (int k = 1; k <= 60; k++) {
		for (int run = 0; run < 2; run++)
			rises[run] += at(&t, run, k, "f") > at(&t, run, k - 1, "f");
		if (k <= 16)
			cr_expect_geq(at(&t, 1, k, "f"), at(&t, 0, k, "f"), "step %d", k);
	}
	cr_expect_lt(at(&t, 1, 17, "f"), at(&t, 0, 17, "f"));
	NEAR(at(&t, 1, 10, "f"), 0.76, 5e-3);
	NEAR(at(&t, 0, 10, "f"), 0.31, 5e-3);
	cr_expect_eq(rises[0], 14);
	cr_expect_eq(rises[1], 7);
	NEAR(at(&t, 1, 60, "f"), 0.00053, 5e-6);
	NEAR(at(&t, 0, 60, "f"), 0.0057, 5e-5);
	free(t.rows);
}

Test(teaching, bias_correction_undoes_the_shrunk_start)
{
	struct trace t = load("bias_correction.csv");
	for (int run = 0; run < 2; run++) { /* g = (3, 6) at (1.5, 1) */
		NEAR(at(&t, run, 1, "m_x"), 0.3, 1e-15);
		NEAR(at(&t, run, 1, "v_x"), 0.009, 1e-15);
	}
	NEAR(at(&t, 0, 1, "mhat_x"), 3, 1e-12);
	NEAR(at(&t, 0, 1, "vhat_x"), 9, 1e-12);
	cr_expect(isnan(at(&t, 1, 1, "mhat_x")), "no m̂ without bias correction");
	NEAR(1.5 - at(&t, 0, 1, "x"), 0.1, 1e-8);
	NEAR(1.5 - at(&t, 1, 1, "x"), 0.1 * 0.1 / sqrt(0.001), 1e-6); /* eps aside */
	for (int k = 1; k <= 13; k++)
		cr_expect_lt(at(&t, 0, k, "f"), at(&t, 0, k - 1, "f"), "corrected, step %d", k);
	NEAR(at(&t, 0, 40, "vhat_x") / at(&t, 0, 40, "v_x"), 25.5, 0.05);
	cr_expect_lt(at(&t, 1, 4, "x"), 0, "uncorrected: x < 0 by step 4");
	cr_expect_gt(at(&t, 0, 4, "x"), 0);
	NEAR(at(&t, 1, 3, "f"), 0.17, 5e-3);
	NEAR(at(&t, 1, 6, "f"), 2.0, 0.01);
	free(t.rows);
}

Test(teaching, l2_and_wd_end_where_the_table_says)
{
	struct trace l2 = load("l2.csv"), wd = load("wd.csv");
	static const double table[2][2][2] = { /* [optimizer][l2, wd][x, y] */
		{{2.4000, 0.8000}, {2.4000, 0.8000}},
		{{2.4006, 0.8002}, {2.9268, 0.9756}},
	};
	for (int o = 0; o < 2; o++) {
		NEAR(at(&l2, o, 150, "x"), table[o][0][0], 5e-5);
		NEAR(at(&l2, o, 150, "y"), table[o][0][1], 5e-5);
		NEAR(at(&wd, o, 150, "x"), table[o][1][0], 5e-5);
		NEAR(at(&wd, o, 150, "y"), table[o][1][1], 5e-5);
	}
	/* wd's fixed point under momentum: that of an l2 (1 − μ) = 10 times weaker,
	 * 2(x − 3) + 0.1·0.5·x = 0 */
	NEAR(at(&wd, 1, 150, "x"), 6 / (2 + 0.1 * 0.5), 1e-4);
	free(l2.rows);
	free(wd.rows);
}

Test(teaching, the_gallery_follows_its_schedules)
{
	struct trace t = load("warmup_constant.csv");
	double lr = at(&t, 0, 40, "lr");
	NEAR(at(&t, 0, 0, "lr"), 0, 1e-15);
	NEAR(at(&t, 0, 10, "lr"), lr / 2, 1e-12);
	NEAR(at(&t, 0, 20, "lr"), lr, 1e-15);
	free(t.rows);
}
