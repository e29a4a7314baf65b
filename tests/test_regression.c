/* test_regression.c — regression (`targets = values`) and label smoothing: the losses
 * against finite differences and PyTorch (tests/golden/regression/, made by
 * make_goldens.py there), the rmse/mae/r2 figures in the log, table, checkpoint and
 * sweep, the loaders of numeric targets, the checker's refusals, and the diabetes example.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.h"
#include "golden_weights.h"
#include "helpers.h"
#include "layers.h"

/* ---- the losses ---- */

/* Expects dz (the gradient loss_smoothed_f64 or loss_values_f64 wrote) to match central
 * differences of the summed loss f over z (n values). */
static void expect_gradient(double (*f)(double *z, int n, const void *ctx), double *z, int n,
                            const double *dz, const void *ctx, const char *what)
{
	for (int i = 0; i < n; i++) {
		double keep = z[i], h = 1e-6;
		z[i] = keep + h;
		double up = f(z, n, ctx);
		z[i] = keep - h;
		double down = f(z, n, ctx);
		z[i] = keep;
		cr_expect_leq(fabs((up - down) / (2 * h) - dz[i]), 1e-6, "%s: d/dz[%d] %.9g vs %.9g",
		              what, i, (up - down) / (2 * h), dz[i]);
	}
}

static const int32_t smooth_y[2] = {2, 0};

static double smoothed_sum(double *z, int n, const void *ctx)
{
	(void)n;
	return loss_smoothed_f64(NULL, z, smooth_y, 2, 3, *(const double *)ctx, 1);
}

Test(regression_losses, label_smoothing_has_its_closed_form_and_gradient)
{
	double z[6] = {0.5, -1, 2, 3, 0.25, -0.5}, dz[6], eps = 0.1;
	double total = loss_smoothed_f64(dz, z, smooth_y, 2, 3, eps, 1);
	double expect = 0;
	for (int r = 0; r < 2; r++) { /* −Σ q log p with q = (1 − ε)·onehot + ε/C */
		double lse = log(exp(z[3 * r]) + exp(z[3 * r + 1]) + exp(z[3 * r + 2]));
		for (int c = 0; c < 3; c++)
			expect -= ((1 - eps) * (c == smooth_y[r]) + eps / 3) * (z[3 * r + c] - lse);
	}
	cr_expect_float_eq(total, expect, 1e-12);
	expect_gradient(smoothed_sum, z, 6, dz, &eps, "smoothing 0.1");
	double plain = loss_f64(NULL, z, smooth_y, 2, 3, LOSS_CROSS_ENTROPY, 1);
	cr_expect_float_eq(loss_smoothed_f64(NULL, z, smooth_y, 2, 3, 0, 1), plain, 1e-12,
	                   "smoothing 0 is plain cross-entropy");
}

struct values_case {
	enum loss loss;
	double delta;
};

static const float value_t[6] = {1, -2, 0.5f, 4, 0, -1};

static double values_sum(double *z, int n, const void *ctx)
{
	const struct values_case *c = ctx;
	return loss_values_f64(NULL, z, value_t, n / 2, 2, c->loss, c->delta, 1);
}

Test(regression_losses, mse_mae_and_huber_have_their_closed_forms_and_gradients)
{
	/* errors z − t: 0.5, 3, −1.5, −0.25, 0.75, 2 */
	double z[6] = {1.5, 1, -1, 3.75, 0.75, 1}, dz[6];
	double e[6], mse = 0, mae = 0, huber = 0;
	for (int i = 0; i < 6; i++) {
		e[i] = z[i] - value_t[i];
		mse += e[i] * e[i] / 2;
		mae += fabs(e[i]) / 2;
		huber += (fabs(e[i]) < 1 ? 0.5 * e[i] * e[i] : fabs(e[i]) - 0.5) / 2;
	}
	const struct values_case cases[] = {{LOSS_MSE, 1}, {LOSS_MAE, 1}, {LOSS_HUBER, 1},
	                                    {LOSS_HUBER, 2.5}};
	const double sums[] = {mse, mae, huber};
	for (int k = 0; k < 4; k++) {
		double total = loss_values_f64(dz, z, value_t, 3, 2, cases[k].loss, cases[k].delta, 1);
		if (k < 3)
			cr_expect_float_eq(total, sums[k], 1e-12, "case %d: %.17g vs %.17g", k, total, sums[k]);
		expect_gradient(values_sum, z, 6, dz, &cases[k], "values");
	}
	double zero[2] = {1, -2}, d0[2];
	loss_values_f64(d0, zero, value_t, 1, 2, LOSS_MAE, 1, 1);
	cr_expect(d0[0] == 0 && d0[1] == 0, "L1's derivative at 0 is 0, as PyTorch's");
}

/* ---- data ---- */

Test(regression_data, csv_reads_one_or_several_target_columns_by_name_or_index)
{
	char dir[64], path[128];
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/r.csv", dir);
	cr_assert_eq(write_text(path, "a,y,b,z\n1,0.5,2,10\n3,-1.25,4,20\n"), 0);
	struct dataset ds;
	struct data_error err;
	const char *one[] = {"y"};
	int64_t none[1] = {0};
	cr_assert_eq(data_load_csv_values(path, one, none, 1, true, &ds, &err), 0, "%s", err.message);
	cr_expect(ds.n == 2 && ds.d == 3 && ds.targets == 1);
	cr_expect(ds.t[0] == 0.5f && ds.t[1] == -1.25f);
	cr_expect(ds.f32[0] == 1 && ds.f32[1] == 2 && ds.f32[2] == 10 && ds.f32[5] == 20);
	data_free(&ds);
	const char *two[] = {"z", NULL};
	int64_t idx[2] = {0, 1};
	cr_assert_eq(data_load_csv_values(path, two, idx, 2, true, &ds, &err), 0, "%s", err.message);
	cr_expect(ds.d == 2 && ds.targets == 2);
	cr_expect(ds.t[0] == 10 && ds.t[1] == 0.5f && ds.t[2] == 20 && ds.t[3] == -1.25f,
	          "targets in the order given");
	cr_expect(ds.f32[0] == 1 && ds.f32[1] == 2);
	data_free(&ds);
	const char *twice[] = {"y", NULL};
	int64_t again[2] = {0, 1};
	cr_expect_eq(data_load_csv_values(path, twice, again, 2, true, &ds, &err), -1);
	cr_expect(strstr(err.message, "given twice"), "%s", err.message);
	cr_assert_eq(write_text(path, "a,y\n1,cat\n"), 0);
	cr_expect_eq(data_load_csv_values(path, one, none, 1, true, &ds, &err), -1);
	cr_expect(strstr(err.message, "r.csv:2: column 'y': 'cat' is not a finite number"),
	          "%s", err.message);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(regression_data, npy_reads_targets_of_shape_n_or_n_t_and_splits_keep_them)
{
	char dir[64], x[128], y[128];
	cr_assert(scratch_dir(dir));
	snprintf(x, sizeof x, "%s/x.npy", dir);
	snprintf(y, sizeof y, "%s/y.npy", dir);
	cr_assert_eq(write_npy_f32(x, (const int64_t[]){10, 3}, 2), 0);
	cr_assert_eq(write_npy_f32(y, (const int64_t[]){10, 2}, 2), 0);
	struct dataset ds, train, val;
	struct data_error err;
	cr_assert_eq(data_load_npy_values(x, y, &ds, &err), 0, "%s", err.message);
	cr_expect(ds.targets == 2 && ds.t[3] == 3 && ds.t[19] == 19 % 7);
	cr_expect_eq(data_split(&ds, 0.3, 1, &train, &val), 0);
	cr_expect(train.targets == 2 && val.targets == 2 && train.n == 7 && val.n == 3);
	/* rows keep their targets: row i has x0 = 3i mod 7 and y = (2i mod 7, 2i + 1 mod 7),
	 * so i mod 7 = 5·x0 mod 7 (3·5 = 15 = 1 mod 7) */
	for (int64_t k = 0; k < train.n; k++) {
		int i7 = 5 * (int)train.f32[3 * k] % 7;
		cr_expect(train.t[2 * k] == (float)(2 * i7 % 7) && train.t[2 * k + 1] == (float)((2 * i7 + 1) % 7),
		          "train row %d", (int)k);
	}
	data_free(&train);
	data_free(&val);
	data_free(&ds);
	cr_assert_eq(write_npy_f32(y, (const int64_t[]){10}, 1), 0);
	cr_assert_eq(data_load_npy_values(x, y, &ds, &err), 0, "%s", err.message);
	cr_expect(ds.targets == 1 && ds.t[9] == 2);
	data_free(&ds);
	cr_assert_eq(write_npy_f32(y, (const int64_t[]){10, 2, 2}, 3), 0);
	cr_expect_eq(data_load_npy_values(x, y, &ds, &err), -1);
	cr_expect(strstr(err.message, "(N,) or (N, T)"), "%s", err.message);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- end to end ---- */

/* Writes text as dir/t.nn and runs `descent ARGS dir/t.nn`; returns the exit status with
 * stdout and stderr in *out and *err (owned; NULL to drop). */
static int run_file(const char *dir, const char *text, const char *command, const char *flag,
                    char **out, char **err)
{
	char nn[128];
	snprintf(nn, sizeof nn, "%s/t.nn", dir);
	cr_assert_eq(write_text(nn, text), 0);
	const char *args[] = {command, flag ? flag : nn, flag ? nn : NULL, NULL};
	return run_descent(args, NULL, out, err);
}

/* The data block of the regression goldens: their train.csv and test.csv, targets
 * `label`, inputs × 0.01, file order. */
static void golden_data(char *buf, size_t size, const char *label)
{
	char *cwd = getcwd(NULL, 0);
	snprintf(buf, size, "data d {\n train = csv(\"%s/tests/golden/regression/train.csv\", "
	         "label = %s)\n test = csv(\"%s/tests/golden/regression/test.csv\", label = %s)\n"
	         " targets = values\n scale = 0.01\n shuffle = false\n}\n", cwd, label, cwd, label);
	free(cwd);
}

/* Trains the golden case name (loss, target columns label, T of them, optimizer) for 20
 * full-batch epochs and compares each epoch's training and test figures and the final
 * weights with PyTorch's NAME.txt and NAME.safetensors. */
static void compare_regression(const char *name, const char *loss, const char *label, int T,
                               const char *optimizer)
{
	char dir[64], data[1200], text[2400], path[160], *err;
	cr_assert(scratch_dir(dir));
	golden_data(data, sizeof data, label);
	char *cwd = getcwd(NULL, 0);
	snprintf(text, sizeof text, "%snetwork n {\n dense(16)\n relu\n dense(%d)\n}\n"
	         "train t {\n network = n\n data = d\n loss = %s\n optimizer = %s\n epochs = 20\n"
	         " batch = 64\n load = \"%s/tests/golden/regression/init_%s.safetensors\"\n"
	         " log = \"t.jsonl\"\n save = \"t.safetensors\"\n}\n", data, T, loss, optimizer, cwd,
	         name);
	free(cwd);
	cr_assert_eq(run_file(dir, text, "run", "--quiet", NULL, &err), 0, "%s: %s", name, err);
	free(err);
	static const char *const keys[8] = {"train_loss", "train_rmse", "train_mae", "train_r2",
	                                    "test_loss", "test_rmse", "test_mae", "test_r2"};
	double ours[8][20], torch[20][8];
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	for (int k = 0; k < 8; k++)
		cr_assert_eq(log_values(path, keys[k], ours[k], 20), 20, "%s: %s", name, keys[k]);
	snprintf(path, sizeof path, "tests/golden/regression/%s.txt", name);
	FILE *f = fopen(path, "r");
	cr_assert(f);
	for (int s = 0; s < 20; s++)
		for (int k = 0; k < 8; k++) {
			cr_assert_eq(fscanf(f, "%lf", &torch[s][k]), 1);
			cr_expect_leq(fabs(ours[k][s] - torch[s][k]), 1e-4 * fabs(torch[s][k]) + 1e-5,
			              "%s epoch %d %s: %.9g vs %.9g", name, s + 1, keys[k], ours[k][s],
			              torch[s][k]);
		}
	fclose(f);
	const struct golden_tensor specs[] = {{"dense1.weight", 16, 11 - T}, {"dense1.bias", 16, 1},
	                                      {"dense2.weight", T, 16}, {"dense2.bias", T, 1},
	                                      {NULL, 0, 0}};
	char golden[160];
	snprintf(path, sizeof path, "%s/t.safetensors", dir);
	snprintf(golden, sizeof golden, "tests/golden/regression/%s.safetensors", name);
	golden_expect_weights(name, path, golden, specs);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(regression, mse_and_mae_match_pytorch_for_20_steps)
{
	compare_regression("mse", "mse", "\"progression\"", 1, "adam(lr = 0.05)");
	compare_regression("mae", "mae", "\"progression\"", 1, "adam(lr = 0.05)");
}

Test(regression, huber_and_two_targets_match_pytorch_for_20_steps)
{
	compare_regression("huber", "huber(delta = 1)", "\"s5\"", 1,
	                   "sgd(lr = 0.05, momentum = 0.9)");
	compare_regression("mse2", "mse", "[\"s5\", \"s6\"]", 2, "adam(lr = 0.02)");
}

Test(regression, label_smoothing_matches_pytorch_for_20_steps)
{
	char dir[64], text[1600], path[160], *err, *cwd = getcwd(NULL, 0);
	cr_assert(scratch_dir(dir));
	snprintf(text, sizeof text,
	         "data d {\n train = csv(\"%s/tests/golden/train/tiny.csv\", label = \"digit\")\n"
	         " scale = 1/16\n shuffle = false\n}\nnetwork n {\n dense(32)\n relu\n dense(10)\n}\n"
	         "train t {\n network = n\n data = d\n loss = cross_entropy(smoothing = 0.1)\n"
	         " optimizer = sgd(lr = 0.1, momentum = 0.9)\n epochs = 20\n batch = 64\n"
	         " load = \"%s/tests/golden/train/init.safetensors\"\n log = \"t.jsonl\"\n"
	         " save = \"t.safetensors\"\n}\n", cwd, cwd);
	free(cwd);
	cr_assert_eq(run_file(dir, text, "run", "--quiet", NULL, &err), 0, "%s", err);
	free(err);
	double ours[20], torch;
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	cr_assert_eq(log_values(path, "train_loss", ours, 20), 20);
	FILE *f = fopen("tests/golden/regression/smoothing.losses", "r");
	cr_assert(f);
	for (int s = 0; s < 20; s++) {
		cr_assert_eq(fscanf(f, "%lf", &torch), 1);
		cr_expect_leq(fabs(ours[s] - torch), 1e-4 * fabs(torch), "step %d: %.9g vs %.9g",
		              s + 1, ours[s], torch);
	}
	fclose(f);
	snprintf(path, sizeof path, "%s/t.safetensors", dir);
	golden_expect_weights("smoothing", path, "tests/golden/regression/smoothing.safetensors",
	                      golden_plain);
	cr_expect_eq(remove_tree(dir), 0);
}

/* A small regression file on the golden data with a validation split; extra lines go
 * into the train block. */
static void small_file(char *buf, size_t size, const char *loss, const char *extra)
{
	char *cwd = getcwd(NULL, 0);
	snprintf(buf, size, "data d {\n train = csv(\"%s/tests/golden/regression/train.csv\", "
	         "label = \"progression\")\n targets = values\n normalize = standard\n"
	         " validation = 0.25\n}\nnetwork n {\n dense(8)\n relu\n dense(1)\n}\n"
	         "train t {\n network = n\n data = d\n loss = %s\n optimizer = adam(lr = 0.1)\n"
	         " epochs = 4\n batch = 16\n seed = 5\n log = \"t.jsonl\"\n%s}\n", cwd, loss, extra);
	free(cwd);
}

Test(regression, log_and_table_show_rmse_mae_r2_and_no_accuracy)
{
	char dir[64], text[1600], path[160], *out, *err;
	cr_assert(scratch_dir(dir));
	small_file(text, sizeof text, "huber(delta = 20)", "");
	cr_assert_eq(run_file(dir, text, "run", NULL, &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "train_rmse") && strstr(out, "val_r2") && !strstr(out, "acc"),
	          "%s", out);
	cr_expect(strstr(err, "val_rmse"), "%s", err);
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	char *log = slurp(path, NULL);
	cr_assert(log);
	cr_expect(strstr(log, "\"train_mae\": ") && strstr(log, "\"val_r2\": ")
	          && !strstr(log, "_acc"), "%s", log);
	double rmse[4], mae[4];
	cr_assert_eq(log_values(path, "val_rmse", rmse, 4), 4);
	cr_assert_eq(log_values(path, "val_mae", mae, 4), 4);
	for (int e = 0; e < 4; e++)
		cr_expect(mae[e] > 0 && mae[e] <= rmse[e], "epoch %d: mae %g, rmse %g", e + 1, mae[e],
		          rmse[e]);
	/* normalize = standard scales the inputs only: the targets (25 to 346) keep their
	 * units, and 4 epochs from small weights leave errors of tens of them */
	cr_expect_gt(rmse[3], 10, "val_rmse %g: were the targets normalized?", rmse[3]);
	free(log);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(regression, the_checkpoint_keeps_the_fits_of_every_epoch)
{
	char dir[64], text[1600], log[128], *err;
	cr_assert(scratch_dir(dir));
	small_file(text, sizeof text, "mse", " checkpoint = \"t.ckpt\"\n save = \"t.safetensors\"\n");
	cr_assert_eq(run_file(dir, text, "run", "--quiet", NULL, &err), 0, "%s", err);
	free(err);
	snprintf(log, sizeof log, "%s/t.jsonl", dir);
	char *before = slurp(log, NULL);
	cr_assert(before && strstr(before, "\"val_r2\": "));
	/* a finished run resumed rewrites its log from the checkpoint's figures alone */
	cr_assert_eq(run_file(dir, text, "run", "--resume", NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "resuming from"), "%s", err);
	free(err);
	char *after = slurp(log, NULL);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- what the checker refuses ---- */

/* The data blocks the refusal tests share: r regression on train.csv, c its classes. */
static void refusal_file(char *buf, size_t size, const char *rest)
{
	char *cwd = getcwd(NULL, 0);
	snprintf(buf, size, "data r {\n train = csv(\"%s/tests/golden/regression/train.csv\", "
	         "label = \"progression\")\n targets = values\n validation = 0.25\n}\n"
	         "data c {\n train = csv(\"%s/tests/golden/regression/train.csv\", label = \"sex\")\n"
	         " validation = 0.25\n}\nnetwork lin { dense(1) }\nnetwork two { dense(2) }\n%s", cwd,
	         cwd, rest);
	free(cwd);
}

/* Expects `descent check` of the refusal file with rest to fail with status 1 and
 * message in its stderr. */
static void expect_refused(const char *rest, const char *message)
{
	char dir[64], text[2400], *err;
	cr_assert(scratch_dir(dir));
	refusal_file(text, sizeof text, rest);
	cr_expect_eq(run_file(dir, text, "check", NULL, NULL, &err), 1, "%s", rest);
	cr_expect(strstr(err, message), "%s\nwanted: %s\ngot:\n%s", rest, message, err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(regression_check, refuses_losses_that_do_not_fit_the_targets)
{
	expect_refused("train t { network = lin\n data = r\n optimizer = sgd(lr = 0.1)\n epochs = 1 }\n",
	               "error: the default loss cross_entropy needs class labels, but data 'r' has "
	               "targets = values");
	expect_refused("train t { network = lin\n data = r\n loss = cross_entropy(smoothing = 0.1)\n"
	               " optimizer = sgd(lr = 0.1)\n epochs = 1 }\n",
	               "t.nn:14:9: error: cross_entropy needs class labels");
	expect_refused("train t { network = lin\n data = r\n loss = bce\n optimizer = sgd(lr = 0.1)\n"
	               " epochs = 1 }\n", "error: bce needs class labels");
	expect_refused("train t { network = two\n data = c\n loss = mae\n optimizer = sgd(lr = 0.1)\n"
	               " epochs = 1 }\n", "error: mae needs target values, but data 'c' has class "
	               "labels");
	expect_refused("train t { network = two\n data = c\n loss = huber\n optimizer = sgd(lr = 0.1)\n"
	               " epochs = 1 }\n", "error: huber needs target values");
}

Test(regression_check, refuses_bad_loss_arguments_softmax_and_wrong_widths)
{
	expect_refused("train t { network = lin\n data = r\n loss = huber(delta = 0)\n"
	               " optimizer = sgd(lr = 0.1)\n epochs = 1 }\n", "'delta' must be > 0, not 0");
	expect_refused("train t { network = two\n data = c\n loss = cross_entropy(smoothing = 1.5)\n"
	               " optimizer = sgd(lr = 0.1)\n epochs = 1 }\n",
	               "'smoothing' must be in [0, 1], not 1.5");
	expect_refused("train t { network = two\n data = c\n loss = cross_entropy(eps = 0.1)\n"
	               " optimizer = sgd(lr = 0.1)\n epochs = 1 }\n", "eps");
	expect_refused("network s { dense(1)\n softmax }\ntrain t { network = s\n data = r\n"
	               " loss = mse\n optimizer = sgd(lr = 0.1)\n epochs = 1 }\n",
	               "error: network 's' ends with softmax, but data 'r' has targets = values");
	expect_refused("train t { network = two\n data = r\n loss = mse\n optimizer = sgd(lr = 0.1)\n"
	               " epochs = 1 }\n", "error: network 'two' ends with 2 outputs, but data 'r' "
	               "has 1 target column\n");
}

Test(regression_check, refuses_targets_that_cannot_be_values_and_label_lists_for_classes)
{
	expect_refused("data g { train = spirals(100)\n targets = values }\n",
	               "error: targets = values needs numeric targets from csv(...) or npy(...); "
	               "spirals(...) gives class labels");
	expect_refused("data l { train = csv(\"x.csv\", label = [\"a\", \"b\"]) }\n",
	               "error: a list of label columns names regression targets");
	expect_refused("data v { train = csv(\"x.csv\", label = \"a\")\n targets = numbers }\n",
	               "unknown targets 'numbers'");
	expect_refused("data n { train = csv(\"x.csv\", label = [\"a\", [1]])\n targets = values }\n",
	               "'label' expects a column name or index, found a list");
}

Test(regression_check, refuses_sweep_metrics_of_the_other_kind)
{
	const char *train = "train t { network = lin\n data = r\n loss = mse\n"
	                    " optimizer = sgd(lr = 0.1)\n epochs = 1 }\n"
	                    "train k { network = two\n data = c\n optimizer = sgd(lr = 0.1)\n"
	                    " epochs = 1 }\n";
	char rest[1200];
	snprintf(rest, sizeof rest, "%ssweep { run = t\n seed in 1..2 }\n", train);
	expect_refused(rest, "error: the default metric 'test_acc' is an accuracy, and data 'r' "
	               "has targets = values");
	snprintf(rest, sizeof rest, "%ssweep { run = t\n seed in 1..2\n metric = max val_acc }\n", train);
	expect_refused(rest, "error: 'val_acc' is an accuracy");
	snprintf(rest, sizeof rest, "%ssweep { run = k\n seed in 1..2\n metric = min val_rmse }\n",
	         train);
	expect_refused(rest, "error: 'val_rmse' is a regression metric, and data 'c' has class labels");
}

/* ---- sweeps, help, npy, the example ---- */

Test(regression, a_sweep_ranks_by_val_rmse_and_names_loss_calls)
{
	char dir[64], text[2400], path[128], *out, *err;
	cr_assert(scratch_dir(dir));
	refusal_file(text, sizeof text, "train t { network = lin\n data = r\n loss = mse\n"
	             " optimizer = adam(lr = 0.1)\n epochs = 2 }\n"
	             "sweep { run = t\n loss in [mse, huber(delta = 10)]\n metric = min val_rmse\n"
	             " out = \"sw\" }\n");
	cr_assert_eq(run_file(dir, text, "sweep", NULL, &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "ranked by min val_rmse") && strstr(out, "loss=huber(delta = 10)"),
	          "%s", out);
	snprintf(path, sizeof path, "%s/sw/results.csv", dir);
	char *csv = slurp(path, NULL);
	cr_assert(csv);
	cr_expect(strstr(csv, "test_acc,train_rmse,train_mae,train_r2,val_rmse,val_mae,val_r2,"
	                      "test_rmse,test_mae,test_r2,seconds"), "%s", csv);
	cr_expect(strstr(csv, "\"huber(delta = 10)\""), "%s", csv);
	free(csv);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(regression, help_names_the_losses_with_their_parameters_and_the_metrics)
{
	char *out;
	cr_assert_eq(run_descent((const char *const[]){"help", "losses", NULL}, NULL, &out, NULL), 0);
	cr_expect(strstr(out, "cross_entropy(smoothing = 0)") && strstr(out, "huber(delta = 1)")
	          && strstr(out, "mae ") && strstr(out, "for target values (targets = values)"),
	          "%s", out);
	free(out);
	cr_assert_eq(run_descent((const char *const[]){"help", "metrics", NULL}, NULL, &out, NULL), 0);
	cr_expect(strstr(out, "val_rmse     regression (targets = values) only")
	          && strstr(out, "test_r2 "), "%s", out);
	free(out);
}

Test(regression, npy_targets_train_a_two_output_network)
{
	char dir[64], x[128], y[128], text[1200], path[128], *err;
	cr_assert(scratch_dir(dir));
	snprintf(x, sizeof x, "%s/x.npy", dir);
	snprintf(y, sizeof y, "%s/y.npy", dir);
	cr_assert_eq(write_npy_f32(x, (const int64_t[]){40, 3}, 2), 0);
	cr_assert_eq(write_npy_f32(y, (const int64_t[]){40, 2}, 2), 0);
	snprintf(text, sizeof text, "data a {\n train = npy(\"x.npy\", \"y.npy\")\n targets = values\n}\n"
	         "network n { dense(2) }\ntrain t {\n network = n\n data = a\n loss = mae\n"
	         " optimizer = sgd(lr = 0.01)\n epochs = 2\n log = \"t.jsonl\"\n}\n");
	cr_assert_eq(run_file(dir, text, "check", NULL, NULL, &err), 0, "%s", err);
	free(err);
	cr_assert_eq(run_file(dir, text, "run", "--quiet", NULL, &err), 0, "%s", err);
	free(err);
	double mae[2];
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	cr_expect_eq(log_values(path, "train_mae", mae, 2), 2);
	cr_expect(mae[1] > 0 && isfinite(mae[1]));
	char *wide = strstr(text, "dense(2)");
	wide[6] = '3';
	cr_expect_eq(run_file(dir, text, "check", NULL, NULL, &err), 1);
	cr_expect(strstr(err, "network 'n' ends with 3 outputs, but data 'a' has 2 target columns"),
	          "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(regression, the_diabetes_example_reaches_a_sensible_val_r2)
{
	char dir[64], nn[128], log[128], *cwd = getcwd(NULL, 0), data[4200], *err;
	snprintf(data, sizeof data, "%s/examples", cwd);
	setenv("DESCENT_DATA", data, 1);
	free(cwd);
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/diabetes.nn", dir);
	char *text = slurp("examples/diabetes.nn", NULL);
	cr_assert(text);
	cr_assert_eq(write_text(nn, text), 0);
	free(text);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	double r2[100];
	snprintf(log, sizeof log, "%s/runs/diabetes.jsonl", dir);
	int epochs = log_values(log, "val_r2", r2, 100);
	cr_assert_gt(epochs, 0);
	cr_expect(r2[epochs - 1] > 0.35 && r2[epochs - 1] < 0.7, "val_r2 %g", r2[epochs - 1]);
	cr_expect_eq(remove_tree(dir), 0);
}

/* stop and best watch a regression metric as any other: best_epoch is the epoch of the
 * highest val_r2, and the run stops by val_rmse. */
Test(regression, stop_and_best_watch_rmse_and_r2)
{
	char dir[64], nn[128], log[128], *cwd = getcwd(NULL, 0), data[4200], *err;
	snprintf(data, sizeof data, "%s/examples", cwd);
	setenv("DESCENT_DATA", data, 1);
	free(cwd);
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/diabetes.nn", dir);
	char *text = slurp("examples/diabetes.nn", NULL), *at = text ? strstr(text, "    log ") : NULL;
	cr_assert(at);
	char changed[4096];
	snprintf(changed, sizeof changed, "%.*s    stop      = patience(2, min val_rmse)\n"
	         "    save_best = \"runs/best.safetensors\"\n    best      = max val_r2\n%s",
	         (int)(at - text), text, at);
	free(text);
	cr_assert_eq(write_text(nn, changed), 0);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	double r2[100], best[100];
	snprintf(log, sizeof log, "%s/runs/diabetes.jsonl", dir);
	int epochs = log_values(log, "val_r2", r2, 100);
	cr_assert_eq(log_values(log, "best_epoch", best, 100), epochs);
	cr_assert_gt(epochs, 0);
	int argmax = 0;
	for (int e = 1; e < epochs; e++)
		if (r2[e] > r2[argmax])
			argmax = e;
	cr_expect_eq(best[epochs - 1], argmax + 1, "best_epoch %g, highest val_r2 at %d",
	             best[epochs - 1], argmax + 1);
	char *lines = slurp(log, NULL);
	cr_expect(epochs == 40 || (lines && strstr(lines, "\"stopped\": \"val_rmse did not improve")),
	          "%s", lines);
	free(lines);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(regression, the_ir_names_the_loss_with_its_argument)
{
	char dir[64], text[2400], *out;
	cr_assert(scratch_dir(dir));
	refusal_file(text, sizeof text, "train t { network = lin\n data = r\n loss = huber(delta = 5)\n"
	             " optimizer = sgd(lr = 0.1)\n epochs = 1 }\n"
	             "network three { dense(3) }\n"
	             "train k { network = three\n data = c\n loss = cross_entropy(smoothing = 0.2)\n"
	             " optimizer = sgd(lr = 0.1)\n epochs = 1 }\n");
	cr_assert_eq(run_file(dir, text, "ir", NULL, &out, NULL), 0);
	cr_expect(strstr(out, "loss huber(delta = 5)\n") && strstr(out, "loss = huber(dense1, targets)")
	          && strstr(out, "loss cross_entropy(smoothing = 0.2)\n"), "%s", out);
	free(out);
	cr_expect_eq(remove_tree(dir), 0);
}
