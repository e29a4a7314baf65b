/* test_predict_regression.c — `descent predict` and `descent eval` on the weights of a
 * regression run (targets = values) end to end: predictions against PyTorch on frozen
 * weights (tests/golden/predict/regression.*, made by make_regression_golden.py), eval's
 * loss, rmse, mae and r2 against the training log (CSV and NPY), the columns' names, the
 * target columns predict ignores, and the refusals (data of another width, weights of
 * another network, an eval CSV without a target column, targets of another count); and
 * eval's loss of a classifier trained with label smoothing. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define GOLDEN "tests/golden/predict/"

/* Runs descent with args; returns its status, with stdout and stderr in *out and *err. */
static int descent(const char *const *args, char **out, char **err)
{
	return run_descent(args, NULL, out, err);
}

/* Copies the golden files into dir. */
static void copy_golden(const char *dir)
{
	const char *files[] = {"reg_train.csv", "reg_test.csv", "regression.nn",
	                       "regression.safetensors"};
	for (int i = 0; i < 4; i++) {
		char from[128], to[128];
		snprintf(from, sizeof from, GOLDEN "%s", files[i]);
		snprintf(to, sizeof to, "%s/%s", dir, files[i]);
		size_t len;
		char *text = slurp(from, &len);
		cr_assert(text, "cannot read %s", from);
		FILE *f = fopen(to, "wb");
		cr_assert(f && fwrite(text, 1, len, f) == len && fclose(f) == 0);
		free(text);
	}
}

/* Reads the numbers of a CSV line "row,v0,v1,..." into v (at most max); how many. */
static int parse_values(char *line, int *row, double *v, int max)
{
	char *save, *field = strtok_r(line, ",", &save);
	*row = field ? atoi(field) : -1;
	int n = 0;
	while (n < max && (field = strtok_r(NULL, ",", &save)))
		v[n++] = strtod(field, NULL);
	return n;
}

Test(predict_regression, matches_pytorch_on_the_golden_model)
{
	char *out, *err;
	int status = descent((const char *const[]){"predict", GOLDEN "regression.nn", "--weights",
	                     GOLDEN "regression.safetensors", GOLDEN "reg_test.csv", NULL}, &out, &err);
	cr_assert_eq(status, 0, "%s", err);
	char *want = slurp(GOLDEN "reg_expected.csv", NULL);
	cr_assert(want);
	char *save_out, *save_want;
	char *line = strtok_r(out, "\n", &save_out), *torch = strtok_r(want, "\n", &save_want);
	cr_assert_str_eq(line, "row,progression,s5", "the header");
	cr_assert_str_eq(torch, "row,progression,s5");
	int n = 0;
	while ((torch = strtok_r(NULL, "\n", &save_want))) {
		line = strtok_r(NULL, "\n", &save_out);
		cr_assert(line, "row %d is missing", n);
		double v[4], w[4];
		int row, torch_row, k = parse_values(line, &row, v, 4);
		cr_assert_eq(k, 2, "row %d", n);
		cr_assert_eq(parse_values(torch, &torch_row, w, 4), 2);
		cr_expect_eq(row, torch_row);
		for (int c = 0; c < k; c++)
			cr_expect_leq(fabs(v[c] - w[c]), 1e-5 * fabs(w[c]) + 1e-5,
			              "row %d target %d: %.9g, torch %.9g", row, c, v[c], w[c]);
		n++;
	}
	cr_expect_eq(n, 30);
	cr_expect_null(strtok_r(NULL, "\n", &save_out), "more rows than the data");
	free(out);
	free(err);
	free(want);
}

/* Trains dir/regression.nn anew with seed and checks that eval (--json) gives the last
 * epoch's test_loss, test_rmse, test_mae and test_r2 of its log, bit for bit. */
static void expect_logs_figures(const char *dir, const char *seed, const char *const *data)
{
	char nn[128], log[128], weights[128], *out, *err;
	snprintf(nn, sizeof nn, "%s/regression.nn", dir);
	snprintf(log, sizeof log, "%s/regression.jsonl", dir);
	snprintf(weights, sizeof weights, "%s/regression.safetensors", dir);
	cr_assert_eq(descent((const char *const[]){"run", "--quiet", "--set", seed, nn, NULL}, NULL,
	                     &err), 0, "%s", err);
	free(err);
	const char *args[10] = {"eval", nn, "--weights", weights, "--json"};
	int n = 5;
	for (int i = 0; data && data[i]; i++)
		args[n++] = data[i];
	args[n] = NULL;
	cr_assert_eq(descent(args, &out, &err), 0, "%s", err);
	const char *keys[] = {"loss", "rmse", "mae", "r2"};
	for (int k = 0; k < 4; k++) {
		char key[32];
		double logged[80];
		snprintf(key, sizeof key, "test_%s", keys[k]);
		int epochs = log_values(log, key, logged, 80);
		cr_assert_gt(epochs, 0, "%s", key);
		cr_expect_eq(json_number(out, keys[k]), logged[epochs - 1], "%s: eval %.17g, log %.17g",
		             keys[k], json_number(out, keys[k]), logged[epochs - 1]);
	}
	free(out);
	free(err);
}

Test(eval_regression, gives_the_logs_test_loss_rmse_mae_and_r2)
{
	char dir[64], test[128], *out, *err;
	cr_assert(scratch_dir(dir));
	copy_golden(dir);
	/* huber(delta = 20): the loss depends on the delta the weights were trained with */
	expect_logs_figures(dir, "seed=7", NULL);
	snprintf(test, sizeof test, "%s/reg_test.csv", dir);
	expect_logs_figures(dir, "seed=8", (const char *const[]){test, NULL});
	char nn[128], weights[128];
	snprintf(nn, sizeof nn, "%s/regression.nn", dir);
	snprintf(weights, sizeof weights, "%s/regression.safetensors", dir);
	cr_assert_eq(descent((const char *const[]){"eval", nn, "--weights", weights, NULL}, &out,
	                     &err), 0, "%s", err);
	cr_expect(strstr(out, "on data diabetes (its test part): 30 rows\n"), "%s", out);
	cr_expect(strstr(out, "\ntargets  progression, s5\nloss     "), "%s", out);
	cr_expect(strstr(out, "\nrmse     ") && strstr(out, "\nmae      ")
	          && strstr(out, "\nr2       "), "%s", out);
	cr_expect_null(strstr(out, "accuracy"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(descent((const char *const[]){"eval", nn, "--weights", weights, "--json", NULL},
	                     &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "\"rows\": 30, ") && strstr(out, "\"targets\": [\"progression\", "
	          "\"s5\"]}\n"), "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Writes dir/name with the columns of from's lines but those of drop (indices, -1 ends);
 * with fill, those columns hold fill instead (but in the header line). */
static void write_columns(const char *dir, const char *name, const char *from, const int *drop,
                          const char *fill)
{
	char path[128], *text = slurp(from, NULL), *save;
	cr_assert(text);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	int lines = 0;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), lines++) {
		char *fsave;
		int c = 0, written = 0;
		for (char *field = strtok_r(line, ",", &fsave); field;
		     field = strtok_r(NULL, ",", &fsave), c++) {
			bool skip = false;
			for (int k = 0; drop[k] >= 0; k++)
				skip |= drop[k] == c;
			if (!skip || fill)
				fprintf(f, "%s%s", written++ ? "," : "", skip && lines ? fill : field);
		}
		fputc('\n', f);
	}
	cr_assert_eq(fclose(f), 0);
	free(text);
}

Test(predict_regression, ignores_the_target_columns_and_works_without_them)
{
	char dir[64], nn[128], weights[128], with[128], without[128], *a, *b, *err;
	cr_assert(scratch_dir(dir));
	copy_golden(dir);
	snprintf(nn, sizeof nn, "%s/regression.nn", dir);
	snprintf(weights, sizeof weights, "%s/regression.safetensors", dir);
	snprintf(with, sizeof with, "%s/reg_test.csv", dir);
	snprintf(without, sizeof without, "%s/features.csv", dir);
	write_columns(dir, "features.csv", GOLDEN "reg_test.csv", (const int[]){8, 10, -1}, NULL);
	cr_assert_eq(descent((const char *const[]){"predict", nn, "--weights", weights, with, NULL},
	                     &a, &err), 0, "%s", err);
	free(err);
	cr_assert_eq(descent((const char *const[]){"predict", nn, "--weights", weights, without,
	                     NULL}, &b, &err), 0, "%s", err);
	cr_expect_str_eq(a, b);
	free(b);
	free(err);
	/* what the target columns hold is not read */
	write_columns(dir, "unknown.csv", GOLDEN "reg_test.csv", (const int[]){8, 10, -1}, "?");
	snprintf(without, sizeof without, "%s/unknown.csv", dir);
	cr_assert_eq(descent((const char *const[]){"predict", nn, "--weights", weights, without,
	                     NULL}, &b, &err), 0, "%s", err);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	free(err);
	/* eval needs them: a CSV without the column s5 is refused, naming it */
	write_columns(dir, "half.csv", GOLDEN "reg_test.csv", (const int[]){8, -1}, NULL);
	snprintf(without, sizeof without, "%s/half.csv", dir);
	cr_expect_eq(descent((const char *const[]){"eval", nn, "--weights", weights, without, NULL},
	                     NULL, &err), 1);
	cr_expect(strstr(err, "descent eval: ") && strstr(err, "'s5'"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* One target given by index, no header: columns y0; the label column is ignored by
 * predict whatever it holds. */
Test(predict_regression, names_targets_given_by_index_y0_and_ignores_their_text)
{
	char dir[64], nn[128], data[128], weights[128], log[128], *out, *err;
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/r.nn", dir);
	snprintf(data, sizeof data, "%s/d.csv", dir);
	snprintf(weights, sizeof weights, "%s/r.safetensors", dir);
	snprintf(log, sizeof log, "%s/r.jsonl", dir);
	cr_assert_eq(write_text(data, "1,0.5,2\n2,1.5,4\n3,2.5,6.5\n4,0.1,8\n5,1,9.5\n6,2,12\n"), 0);
	cr_assert_eq(write_text(nn, "data d {\n train = csv(\"d.csv\", label = 2, header = false)\n"
	                        " test = csv(\"d.csv\", label = 2, header = false)\n"
	                        " targets = values\n}\nnetwork n {\n dense(1)\n}\n"
	                        "train t {\n network = n\n data = d\n loss = mae\n"
	                        " optimizer = sgd(lr = 0.05)\n epochs = 3\n batch = 4\n"
	                        " log = \"r.jsonl\"\n save = \"r.safetensors\"\n}\n"), 0);
	cr_assert_eq(descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, &err), 0,
	             "%s", err);
	free(err);
	cr_assert_eq(descent((const char *const[]){"predict", nn, "--weights", weights, NULL}, &out,
	                     &err), 0, "%s", err);
	cr_expect(strncmp(out, "row,y0\n0,", 9) == 0, "%s", out);
	char *block = out;
	free(err);
	char other[128];
	snprintf(other, sizeof other, "%s/unknown.csv", dir);
	cr_assert_eq(write_text(other, "1,0.5,?\n2,1.5,?\n3,2.5,?\n4,0.1,?\n5,1,?\n6,2,?\n"), 0);
	cr_assert_eq(descent((const char *const[]){"predict", nn, "--weights", weights, other, NULL},
	                     &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, block);
	free(out);
	free(block);
	free(err);
	double mae[3];
	cr_assert_eq(log_values(log, "test_mae", mae, 3), 3);
	cr_assert_eq(descent((const char *const[]){"eval", nn, "--weights", weights, "--json", NULL},
	                     &out, &err), 0, "%s", err);
	cr_expect_eq(json_number(out, "mae"), mae[2]);
	cr_expect(strstr(out, "\"targets\": [\"y0\"]"), "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(predict_regression, reads_npy_features_and_eval_npy_targets)
{
	char dir[64], nn[128], x[128], y[128], weights[128], log[128], *out, *err;
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/r.nn", dir);
	snprintf(x, sizeof x, "%s/x.npy", dir);
	snprintf(y, sizeof y, "%s/y.npy", dir);
	snprintf(weights, sizeof weights, "%s/r.safetensors", dir);
	snprintf(log, sizeof log, "%s/r.jsonl", dir);
	cr_assert_eq(write_npy_f32(x, (const int64_t[]){10, 3}, 2), 0);
	cr_assert_eq(write_npy_f32(y, (const int64_t[]){10, 2}, 2), 0);
	cr_assert_eq(write_text(nn, "data d {\n train = npy(\"x.npy\", \"y.npy\")\n"
	                        " test = npy(\"x.npy\", \"y.npy\")\n targets = values\n"
	                        " normalize = minmax\n}\nnetwork n {\n dense(4)\n tanh\n dense(2)\n}\n"
	                        "train t {\n network = n\n data = d\n loss = mse\n"
	                        " optimizer = adam(lr = 0.1)\n epochs = 4\n batch = 3\n"
	                        " log = \"r.jsonl\"\n save = \"r.safetensors\"\n}\n"), 0);
	cr_assert_eq(descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, &err), 0,
	             "%s", err);
	free(err);
	cr_assert_eq(descent((const char *const[]){"predict", nn, "--weights", weights, x, NULL},
	                     &out, &err), 0, "%s", err);
	int lines = 0;
	for (const char *p = out; (p = strchr(p, '\n')); p++)
		lines++;
	cr_expect_eq(lines, 11, "%s", out);
	cr_expect(strncmp(out, "row,y0,y1\n", 10) == 0, "%s", out);
	free(out);
	free(err);
	cr_assert_eq(descent((const char *const[]){"eval", nn, "--weights", weights, x, y, "--json",
	                     NULL}, &out, &err), 0, "%s", err);
	double loss[4], r2[4];
	cr_assert_eq(log_values(log, "test_loss", loss, 4), 4);
	cr_assert_eq(log_values(log, "test_r2", r2, 4), 4);
	cr_expect_eq(json_number(out, "loss"), loss[3]);
	cr_expect_eq(json_number(out, "r2"), r2[3]);
	free(out);
	free(err);
	/* targets of another count than the outputs */
	char y3[128];
	snprintf(y3, sizeof y3, "%s/y3.npy", dir);
	cr_assert_eq(write_npy_f32(y3, (const int64_t[]){10, 3}, 2), 0);
	cr_expect_eq(descent((const char *const[]){"eval", nn, "--weights", weights, x, y3, NULL},
	                     NULL, &err), 1);
	cr_expect(strstr(err, "3 target values a row, but network 'n' predicts 2"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(predict_regression, refuses_data_of_another_width_and_weights_of_another_network)
{
	char dir[64], nn[128], weights[128], narrow[128], *err;
	cr_assert(scratch_dir(dir));
	copy_golden(dir);
	snprintf(nn, sizeof nn, "%s/regression.nn", dir);
	snprintf(weights, sizeof weights, "%s/regression.safetensors", dir);
	snprintf(narrow, sizeof narrow, "%s/narrow.csv", dir);
	write_columns(dir, "narrow.csv", GOLDEN "reg_test.csv", (const int[]){0, 8, 10, -1}, NULL);
	cr_expect_eq(descent((const char *const[]){"predict", nn, "--weights", weights, narrow,
	                     NULL}, NULL, &err), 1);
	cr_expect(strstr(err, "8 features a row, but network 'fit' takes 9"), "%s", err);
	free(err);
	/* the same file with a wider hidden layer: its weights do not fit */
	char *text = slurp(nn, NULL), *p = text ? strstr(text, "dense(16)") : NULL;
	cr_assert(p);
	memcpy(p, "dense(17)", 9);
	cr_assert_eq(write_text(nn, text), 0);
	free(text);
	cr_expect_eq(descent((const char *const[]){"predict", nn, "--weights", weights, NULL}, NULL,
	                     &err), 1);
	cr_expect(strstr(err, "network 'fit'"), "%s", err);
	cr_expect_null(strstr(err, "regression yet"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* A classifier's eval uses the label smoothing it was trained with: its loss is the
 * log's. */
Test(eval_regression, a_classifiers_loss_keeps_its_label_smoothing)
{
	char dir[64], nn[128], weights[128], log[128], *out, *err;
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/c.nn", dir);
	snprintf(weights, sizeof weights, "%s/c.safetensors", dir);
	snprintf(log, sizeof log, "%s/c.jsonl", dir);
	cr_assert_eq(write_text(nn, "data d {\n train = blobs(60, classes = 3)\n"
	                        " test = blobs(30, classes = 3)\n}\nnetwork n {\n dense(3)\n}\n"
	                        "train t {\n network = n\n data = d\n"
	                        " loss = cross_entropy(smoothing = 0.2)\n optimizer = sgd(lr = 0.1)\n"
	                        " epochs = 2\n log = \"c.jsonl\"\n save = \"c.safetensors\"\n}\n"), 0);
	cr_assert_eq(descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, &err), 0,
	             "%s", err);
	free(err);
	double loss[2];
	cr_assert_eq(log_values(log, "test_loss", loss, 2), 2);
	cr_assert_eq(descent((const char *const[]){"eval", nn, "--weights", weights, "--json", NULL},
	                     &out, &err), 0, "%s", err);
	cr_expect_eq(json_number(out, "loss"), loss[1], "eval %.17g, log %.17g",
	             json_number(out, "loss"), loss[1]);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(predict_regression, help_mentions_regression)
{
	char *out;
	cr_assert_eq(descent((const char *const[]){"predict", "--help", NULL}, &out, NULL), 0);
	cr_expect(strstr(out, "Regression") && strstr(out, "row,TARGET"), "%s", out);
	free(out);
	cr_assert_eq(descent((const char *const[]){"eval", "--help", NULL}, &out, NULL), 0);
	cr_expect(strstr(out, "Regression") && strstr(out, "rmse") && strstr(out, "r2"), "%s", out);
	free(out);
}

/* --data of a block whose kind of targets is not the weights': eval refuses it. */
Test(eval_regression, refuses_class_labels_for_regression_weights_and_the_reverse)
{
	char dir[64], nn[128], weights[128], *err;
	cr_assert(scratch_dir(dir));
	copy_golden(dir);
	snprintf(nn, sizeof nn, "%s/regression.nn", dir);
	snprintf(weights, sizeof weights, "%s/regression.safetensors", dir);
	char *text = slurp(nn, NULL);
	cr_assert(text);
	size_t len = strlen(text) + 400;
	char *more = malloc(len);
	cr_assert(more);
	/* nine features (all but s5) and the label sex (1 or 2) */
	write_columns(dir, "cls.csv", GOLDEN "reg_test.csv", (const int[]){8, -1}, NULL);
	snprintf(more, len, "%sdata classes {\n train = csv(\"cls.csv\", label = \"sex\")\n}\n"
	         "data values {\n train = csv(\"cls.csv\", label = \"sex\")\n"
	         " targets = values\n}\nnetwork two {\n dense(3)\n}\n"
	         "train other {\n network = two\n data = classes\n optimizer = sgd(lr = 0.1)\n"
	         " epochs = 1\n save = \"two.safetensors\"\n}\n", text);
	cr_assert_eq(write_text(nn, more), 0);
	free(text);
	free(more);
	cr_expect_eq(descent((const char *const[]){"eval", nn, "--weights", weights, "--data",
	                     "classes", NULL}, NULL, &err), 1);
	cr_expect(strstr(err, "classes: holds class labels, but") && strstr(err, "regression run"),
	          "%s", err);
	free(err);
	cr_assert_eq(descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, &err), 0,
	             "%s", err);
	free(err);
	snprintf(weights, sizeof weights, "%s/two.safetensors", dir);
	cr_expect_eq(descent((const char *const[]){"eval", nn, "--weights", weights, "--data",
	                     "values", NULL}, NULL, &err), 1);
	cr_expect(strstr(err, "values: holds target values (targets = values), but"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}
