/* test_range.c — the learning-rate range test: the rate's growth, the smoothing, the
 * explosion rule and the suggestions on made-up curves (runtime/lr_range.c), and
 * `descent range` end to end on a tiny generated data set: it stops at an explosion,
 * suggests sane rates, writes the same CSV twice, draws a picture, and refuses bad
 * options and outputs that would overwrite inputs. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "lr_range.h"

#define RUN(out, err, ...) run_descent((const char *const[]){__VA_ARGS__, NULL}, NULL, out, err)

Test(lr_range, grows_the_rate_exponentially_or_linearly_from_min_to_max)
{
	struct lr_range_config e = {1e-6, 1, 7, false}, l = {0.5, 2, 4, true};
	cr_expect_float_eq(lr_range_rate(&e, 0), 1e-6, 1e-18);
	cr_expect_float_eq(lr_range_rate(&e, 3), 1e-3, 1e-15);
	cr_expect_float_eq(lr_range_rate(&e, 6), 1, 1e-12);
	cr_expect_float_eq(lr_range_rate(&l, 0), 0.5, 1e-15);
	cr_expect_float_eq(lr_range_rate(&l, 1), 1.0, 1e-15);
	cr_expect_float_eq(lr_range_rate(&l, 3), 2, 1e-15);
}

/* A made-up test: rates 10^(−4 … 1) over 51 steps, the loss flat at 2, falling linearly
 * in log10(rate) between 1e-3 and 1e-1 to 0.5, then rising steeply. */
static void made_up(struct lr_range_result *r, double *lr, double *loss, double *smooth)
{
	*r = (struct lr_range_result){.rows = 51, .lr = lr, .loss = loss, .smooth = smooth};
	for (int k = 0; k < 51; k++) {
		double e = -4 + k * 0.1;
		lr[k] = pow(10, e);
		loss[k] = e < -3 ? 2 : e <= -1 ? 2 - 1.5 * (e + 3) / 2 : 0.5 + 3 * (e + 1);
	}
}

Test(lr_range, smooths_as_fastai_and_suggests_a_tenth_of_the_best_rate)
{
	double lr[51], loss[51], smooth[51];
	struct lr_range_result r;
	made_up(&r, lr, loss, smooth);
	lr_range_suggest(&r);
	/* the debiased average: s_0 = loss_0, s_1 = (0.98·0.02·l0 + 0.02·l1)/(1 − 0.98²) */
	cr_expect_float_eq(smooth[0], 2, 1e-15);
	double a = 0;
	for (int k = 0; k < 51; k++)
		a = 0.98 * a + 0.02 * loss[k];
	cr_expect_float_eq(smooth[50], a / (1 - pow(0.98, 51)), 1e-12);
	/* the smoothed loss lags: its lowest point is after the raw one (step 30), before
	 * the end */
	cr_expect(r.best > 30 && r.best < 50, "best %d", r.best);
	cr_expect(r.suggested);
	cr_expect_float_eq(r.lr_at_min, lr[r.best], 0);
	cr_expect_float_eq(r.peak, lr[r.best] / 10, 1e-15);
	cr_expect_float_eq(r.min_lr, r.peak / 4, 1e-15);
	/* the steepest fall of the smoothed loss is where the raw loss falls, before best */
	cr_expect(r.steepest > 10 && r.steepest < r.best, "steepest %d", r.steepest);
}

Test(lr_range, suggests_nothing_when_the_loss_never_falls)
{
	double lr[51], loss[51], smooth[51];
	struct lr_range_result r;
	made_up(&r, lr, loss, smooth);
	for (int k = 0; k < 51; k++)
		loss[k] = 1 + k;
	lr_range_suggest(&r);
	cr_expect_eq(r.best, 0);
	cr_expect(!r.suggested);
	cr_expect(isnan(r.peak) && isnan(r.min_lr));
}

static const char tiny[] =
	"data d { train = blobs(256, classes = 3, dim = 4) }\n"
	"network n {\n    dense(16)\n    relu\n    dense(3)\n}\n"
	"train t {\n    network = n\n    data = d\n    optimizer = sgd(lr = 0.1, momentum = 0.9)\n"
	"    batch = 16\n    seed = 3\n    epochs = 1\n}\n";

/* A scratch folder with tiny.nn; its path in dir, the file's in nn. */
static void setup(char *dir, char *nn)
{
	cr_assert(scratch_dir(dir));
	snprintf(nn, 128, "%s/tiny.nn", dir);
	cr_assert_eq(write_text(nn, tiny), 0);
}

/* The rows of a range CSV: lr, loss, smoothed loss; returns how many (header checked). */
static int read_rows(const char *path, double *lr, double *loss, double *smooth, int max)
{
	char *text = slurp(path, NULL);
	cr_assert_not_null(text, "%s", path);
	cr_assert(strncmp(text, "step,lr,loss,smoothed_loss\n", 27) == 0, "%s", text);
	int n = 0, step;
	for (const char *p = strchr(text, '\n'); p && p[1] && n < max; p = strchr(p + 1, '\n')) {
		cr_assert_eq(sscanf(p + 1, "%d,%lf,%lf,%lf", &step, &lr[n], &loss[n], &smooth[n]), 4);
		cr_assert_eq(step, n);
		n++;
	}
	free(text);
	return n;
}

/* The number printed after `key` in text. */
static double printed(const char *text, const char *key)
{
	const char *at = strstr(text, key);
	cr_assert_not_null(at, "'%s' in:\n%s", key, text);
	return strtod(at + strlen(key), NULL);
}

Test(range, stops_at_the_explosion_and_suggests_rates_below_it)
{
	char dir[64], nn[128], csv[160], svg[160], *out;
	setup(dir, nn);
	cr_assert_eq(RUN(&out, NULL, "range", nn, "--min", "1e-4", "--max", "100", "--steps", "80"),
	             0);
	snprintf(csv, sizeof csv, "%s/tiny-range.csv", dir);
	snprintf(svg, sizeof svg, "%s/tiny-range.svg", dir);
	double lr[80], loss[80], smooth[80];
	int n = read_rows(csv, lr, loss, smooth, 80);
	cr_expect(n > 10 && n < 80, "stopped early at an explosion: %d rows", n);
	cr_expect_float_eq(lr[0], 1e-4, 1e-18);
	double lowest = INFINITY;
	for (int k = 0; k + 1 < n; k++) {
		lowest = fmin(lowest, smooth[k]);
		cr_expect(smooth[k] <= 4 * lowest, "no explosion before the last row (row %d)", k);
	}
	cr_expect(!isfinite(smooth[n - 1]) || smooth[n - 1] > 4 * lowest, "the last row explodes");
	cr_expect(strstr(out, "exceeded 4 times its lowest") != NULL, "%s", out);
	double best = printed(out, "at lr "), peak = printed(out, "optimizer lr = ");
	double min_lr = printed(out, "triangular(step_size, min_lr = ");
	cr_expect(best > lr[0] && best < lr[n - 1], "%s", out);
	cr_expect(fabs(peak - best / 10) <= 0.01 * peak, "peak %g, best %g", peak, best);
	cr_expect(fabs(min_lr - peak / 4) <= 0.01 * min_lr, "min_lr %g, peak %g", min_lr, peak);
	char *picture = slurp(svg, NULL);
	cr_assert_not_null(picture);
	cr_expect(strstr(picture, "learning rate (log scale)") && strstr(picture, "<polyline")
	          && strstr(picture, "suggested peak lr"));
	free(picture);
	free(out);
	remove_tree(dir);
}

Test(range, writes_the_same_csv_twice_whatever_the_threads)
{
	char dir[64], nn[128], csv[160], again[160];
	setup(dir, nn);
	snprintf(csv, sizeof csv, "%s/a.csv", dir);
	snprintf(again, sizeof again, "%s/b.csv", dir);
	cr_assert_eq(RUN(NULL, NULL, "range", nn, "--steps", "50", "--csv", csv, "--threads", "1"),
	             0);
	cr_assert_eq(RUN(NULL, NULL, "range", nn, "--steps", "50", "--csv", again, "--plot",
	                 "/dev/null/../x.svg", "--threads", "2"), 1, "an unwritable plot fails");
	cr_assert_eq(RUN(NULL, NULL, "range", nn, "--steps", "50", "--csv", again, "--threads", "2"),
	             0);
	size_t la, lb;
	char *a = slurp(csv, &la), *b = slurp(again, &lb);
	cr_assert(a && b);
	cr_expect(la == lb && memcmp(a, b, la) == 0, "the two runs' CSVs differ");
	free(a);
	free(b);
	remove_tree(dir);
}

Test(range, grows_linearly_with_linear)
{
	char dir[64], nn[128], csv[160];
	setup(dir, nn);
	snprintf(csv, sizeof csv, "%s/l.csv", dir);
	cr_assert_eq(RUN(NULL, NULL, "range", nn, "--linear", "--min", "0.001", "--max", "0.101",
	                 "--steps", "11", "--csv", csv), 0);
	double lr[11], loss[11], smooth[11];
	int n = read_rows(csv, lr, loss, smooth, 11);
	cr_assert(n >= 3);
	for (int k = 0; k < n; k++)
		cr_expect_float_eq(lr[k], 0.001 + 0.01 * k, 1e-12, "row %d", k);
	remove_tree(dir);
}

Test(range, refuses_bad_options_as_misuse)
{
	char dir[64], nn[128], *err;
	setup(dir, nn);
	const char *bad[][4] = {
		{"--min", "0", NULL, NULL},      {"--max", "-1", NULL, NULL},
		{"--min", "2", "--max", "1"},    {"--steps", "1", NULL, NULL},
		{"--steps", "2.5", NULL, NULL},  {"--steps", "abc", NULL, NULL},
		{"--threads", "0", NULL, NULL},  {"--bogus", NULL, NULL, NULL},
		{"--min", NULL, NULL, NULL},     {"other.nn", NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *args[8] = {"range", nn};
		for (int k = 0; k < 4 && bad[i][k]; k++)
			args[2 + k] = bad[i][k];
		cr_expect_eq(run_descent(args, NULL, NULL, &err), 2, "case %zu", i);
		cr_expect(strstr(err, "descent range: ") && strstr(err, "try 'descent range --help'"),
		          "case %zu: %s", i, err);
		free(err);
	}
	cr_expect_eq(RUN(NULL, &err, "range"), 2);
	cr_expect(strstr(err, "which file?") != NULL, "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "range", nn, "--min", "2", "--max", "1"), 2);
	cr_expect(strstr(err, "the rate must grow") != NULL, "%s", err);
	free(err);
	char *out;
	cr_expect_eq(RUN(&out, NULL, "range", "--help"), 0);
	cr_expect(strstr(out, "usage: descent range FILE.nn") != NULL);
	free(out);
	remove_tree(dir);
}

Test(range, refuses_outputs_that_would_overwrite_an_input)
{
	char dir[64], nn[128], other[160], *err;
	setup(dir, nn);
	cr_expect_eq(RUN(NULL, &err, "range", nn, "--csv", nn), 1);
	cr_expect(strstr(err, "is the .nn file itself") != NULL, "%s", err);
	free(err);
	snprintf(other, sizeof other, "%s/same.out", dir);
	cr_expect_eq(RUN(NULL, &err, "range", nn, "--csv", other, "--plot", other), 1);
	cr_expect(strstr(err, "given as both --csv and --plot") != NULL, "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "range", nn, "--plot", dir), 1);
	cr_expect(strstr(err, "not a regular file") != NULL, "%s", err);
	free(err);
	/* a data file: the CSV the block trains on, named by another spelling of its path */
	char data[160], other_name[200], csv_nn[160];
	snprintf(data, sizeof data, "%s/train.csv", dir);
	cr_assert_eq(write_text(data, "a,b,label\n0,1,x\n1,0,y\n1,1,x\n0,0,y\n"), 0);
	snprintf(csv_nn, sizeof csv_nn, "%s/c.nn", dir);
	cr_assert_eq(write_text(csv_nn, "data d { train = csv(\"train.csv\", label = \"label\") }\n"
	                                "network n { dense(2) }\n"
	                                "train t {\n network = n\n data = d\n"
	                                " optimizer = sgd(lr = 0.1)\n epochs = 1\n batch = 2\n}\n"), 0);
	snprintf(other_name, sizeof other_name, "%s/./train.csv", dir);
	size_t before;
	char *kept = slurp(data, &before);
	cr_expect_eq(RUN(NULL, &err, "range", csv_nn, "--steps", "4", "--csv", other_name), 1);
	cr_expect(strstr(err, "is a data file of 'd'") != NULL, "%s", err);
	free(err);
	size_t after;
	char *now = slurp(data, &after);
	cr_expect(kept && now && before == after && memcmp(kept, now, after) == 0,
	          "the data file is untouched");
	free(kept);
	free(now);
	cr_assert_eq(write_text(nn, "minimize f(x) = x^2 {\n from = (1)\n optimizer = sgd(lr = 0.1)\n"
	                            " steps = 2\n}\n"), 0);
	cr_expect_eq(RUN(NULL, &err, "range", nn), 1);
	cr_expect(strstr(err, "no train block") != NULL, "%s", err);
	free(err);
	remove_tree(dir);
}

Test(range, says_so_when_the_loss_never_falls_and_still_draws_it)
{
	char dir[64], nn[128], svg[160], *out;
	setup(dir, nn);
	cr_assert_eq(RUN(&out, NULL, "range", nn, "--min", "1e8", "--max", "1e9", "--steps", "10"),
	             0);
	cr_expect(strstr(out, "no suggestion: the smoothed loss never fell") != NULL, "%s", out);
	cr_expect(strstr(out, "suggested") == NULL, "%s", out);
	cr_expect(strstr(out, "wrote ") != NULL, "%s", out);
	snprintf(svg, sizeof svg, "%s/tiny-range.svg", dir);
	char *picture = slurp(svg, NULL);
	cr_assert_not_null(picture);
	cr_expect(strstr(picture, "nan") == NULL && strstr(picture, "inf") == NULL,
	          "no coordinate is not finite");
	cr_expect(strstr(picture, "suggested peak") == NULL);
	free(picture);
	free(out);
	remove_tree(dir);
}

/* Found in review: the range test trained a regression block (targets = values) against
 * class 0 instead of its targets (a loss of 0.05 where the targets run 25 to 346). It
 * takes each step as training does now: its first loss is the untrained network's mean
 * squared error, in the targets' units squared. */
Test(range, trains_a_regression_block_on_its_targets)
{
	char dir[64], nn[128], csv[160], *cwd = getcwd(NULL, 0), data[4200];
	snprintf(data, sizeof data, "%s/examples", cwd);
	setenv("DESCENT_DATA", data, 1);
	free(cwd);
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/diabetes.nn", dir);
	char *text = slurp("examples/diabetes.nn", NULL);
	cr_assert(text);
	cr_assert_eq(write_text(nn, text), 0);
	free(text);
	snprintf(csv, sizeof csv, "%s/r.csv", dir);
	cr_assert_eq(run_descent((const char *const[]){"range", nn, "--steps", "5", "--csv", csv,
	                                                NULL}, NULL, NULL, NULL), 0);
	char *rows = slurp(csv, NULL), *line = rows ? strchr(rows, '\n') : NULL;
	cr_assert(line, "%s", rows);
	int step;
	double lr, loss;
	cr_assert_eq(sscanf(line + 1, "%d,%lf,%lf", &step, &lr, &loss), 3, "%s", rows);
	cr_expect_gt(loss, 1000, "the first loss %g is not a mean squared error of the targets", loss);
	free(rows);
	cr_expect_eq(remove_tree(dir), 0);
}
