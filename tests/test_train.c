/* test_train.c — train blocks end to end: agreement with PyTorch step by step
 * (tests/golden/train/, made by make_goldens.py), the digits demo's accuracy, determinism,
 * safetensors round trips, the IR printout, and failures (divergence, bad data). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden_weights.h"
#include "helpers.h"
#include "safetensors.h"

/* Trains network (text) from init for 20 full-batch steps of optimizer and compares the
 * losses and final tensors with PyTorch's golden NAME.losses and NAME.safetensors. */
static void compare_with_torch(const char *name, const char *optimizer, bool decay_biases,
                               const char *network, const char *init,
                               const struct golden_tensor *specs)
{
	char dir[64], nn[128], text[1600], log[128], saved[128], golden[128];
	cr_assert(scratch_dir(dir));
	char *cwd = getcwd(NULL, 0);
	snprintf(nn, sizeof nn, "%s/t.nn", dir);
	snprintf(text, sizeof text,
	         "data d {\n train = csv(\"%s/tests/golden/train/tiny.csv\", label = \"digit\")\n"
	         " scale = 1/16\n shuffle = false\n}\nnetwork n {\n%s}\n"
	         "train t {\n network = n\n data = d\n optimizer = %s\n decay_biases = %s\n"
	         " epochs = 20\n batch = 64\n load = \"%s/tests/golden/train/%s\"\n"
	         " log = \"t.jsonl\"\n save = \"t.safetensors\"\n}\n", cwd, network, optimizer,
	         decay_biases ? "true" : "false", cwd, init);
	cr_assert_eq(write_text(nn, text), 0);
	char *err;
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	double ours[20], torch[20];
	snprintf(log, sizeof log, "%s/t.jsonl", dir);
	cr_assert_eq(log_values(log, "train_loss", ours, 20), 20);
	snprintf(golden, sizeof golden, "tests/golden/train/%s.losses", name);
	FILE *f = fopen(golden, "r");
	for (int s = 0; s < 20; s++) {
		cr_assert_eq(fscanf(f, "%lf", &torch[s]), 1);
		cr_expect_leq(fabs(ours[s] - torch[s]), 1e-4 * fabs(torch[s]), "%s step %d: %.9g vs %.9g",
		              name, s + 1, ours[s], torch[s]);
	}
	fclose(f);
	snprintf(saved, sizeof saved, "%s/t.safetensors", dir);
	snprintf(golden, sizeof golden, "tests/golden/train/%s.safetensors", name);
	golden_expect_weights(name, saved, golden, specs);
	free(cwd);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(train, matches_pytorch_for_20_steps_with_sgd_momentum_and_adamw)
{
	const char *network = " dense(32)\n relu\n dense(10)\n";
	compare_with_torch("sgd_momentum", "sgd(lr = 0.1, momentum = 0.9)", false, network,
	                   "init.safetensors", golden_plain);
	compare_with_torch("adamw", "adamw(lr = 0.01, wd = 0.01)", true, network, "init.safetensors",
	                   golden_plain);
}

Test(train, matches_pytorch_with_batchnorm_for_20_steps)
{
	const char *network = " dense(32, bias = false)\n batchnorm()\n relu\n dense(10)\n";
	compare_with_torch("bn_sgd_momentum", "sgd(lr = 0.1, momentum = 0.9)", false, network,
	                   "init_bn.safetensors", golden_with_batchnorm);
	compare_with_torch("bn_adamw", "adamw(lr = 0.01, wd = 0.01)", true, network,
	                   "init_bn.safetensors", golden_with_batchnorm);
}

/* Runs examples/digits.nn in a scratch folder (its data found through DESCENT_DATA),
 * with --threads threads. */
static void run_digits_threads(const char *dir, const char *threads)
{
	char nn[128], *cwd = getcwd(NULL, 0), data[4200];
	snprintf(data, sizeof data, "%s/examples", cwd);
	setenv("DESCENT_DATA", data, 1);
	snprintf(nn, sizeof nn, "%s/digits.nn", dir);
	char *text = slurp("examples/digits.nn", NULL);
	cr_assert_eq(write_text(nn, text), 0);
	free(text);
	char *err;
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--threads", threads, nn, NULL},
	                         NULL, NULL, &err), 0, "%s", err);
	free(err);
	free(cwd);
}

static void run_digits(const char *dir)
{
	run_digits_threads(dir, "2");
}

Test(train, the_digits_demo_reaches_95_percent_test_accuracy)
{
	char dir[64], log[128];
	cr_assert(scratch_dir(dir));
	run_digits(dir);
	double acc[64];
	snprintf(log, sizeof log, "%s/runs/digits.jsonl", dir);
	int epochs = log_values(log, "test_acc", acc, 64);
	cr_expect_eq(epochs, 30);
	cr_expect_geq(acc[epochs - 1], 0.95, "test accuracy %g", acc[epochs - 1]);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Runs digits twice (with these thread counts) and compares weights and logs. */
static void expect_same_runs(const char *threads_one, const char *threads_two)
{
	char one[64], two[64];
	cr_assert(scratch_dir(one));
	cr_assert(scratch_dir(two));
	run_digits_threads(one, threads_one);
	run_digits_threads(two, threads_two);
	const char *differ = runs_differ(one, two, "runs/digits.safetensors", "runs/digits.jsonl");
	cr_expect_null(differ, "%s", differ);
	cr_expect_eq(remove_tree(one), 0);
	cr_expect_eq(remove_tree(two), 0);
}

Test(train, the_same_seed_gives_the_same_weights_and_log)
{
	expect_same_runs("2", "2");
}

Test(train, one_thread_and_two_give_the_same_weights_and_log)
{
	expect_same_runs("1", "2");
}

Test(train, safetensors_round_trip_bit_exactly_and_refuse_wrong_shapes)
{
	char dir[64], path[128], err[300];
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	float w[6] = {1.5f, -2, 3e-8f, 4, NAN, -0.0f}, b[3] = {7, 8, 9}, w2[6], b2[3];
	struct st_tensor out[2] = {{"l.weight", 2, {3, 2}, w}, {"l.bias", 1, {3, 1}, b}};
	struct st_meta meta[1] = {{"note", "quote \" and backslash \\"}};
	cr_assert_eq(st_save(path, out, 2, meta, 1, err, sizeof err), 0, "%s", err);
	struct st_tensor in[2] = {{"l.bias", 1, {3, 1}, b2}, {"l.weight", 2, {3, 2}, w2}};
	cr_assert_eq(st_load(path, in, 2, err, sizeof err), 0, "%s", err);
	cr_expect_eq(memcmp(w, w2, sizeof w), 0);
	cr_expect_eq(memcmp(b, b2, sizeof b), 0);
	struct st_tensor wrong[2] = {{"l.bias", 1, {3, 1}, b2}, {"l.weight", 2, {2, 3}, w2}};
	cr_expect_eq(st_load(path, wrong, 2, err, sizeof err), -1);
	cr_expect(strstr(err, "'l.weight' is F32 [3, 2]; the network needs F32 [2, 3]") != NULL, "%s", err);
	struct st_tensor missing[1] = {{"l.bias", 1, {3, 1}, b2}};
	cr_expect_eq(st_load(path, missing, 1, err, sizeof err), -1);
	cr_expect(strstr(err, "holds 'l.weight', which the network does not have") != NULL, "%s", err);
	FILE *f = fopen(path, "r+b"); /* a header longer than the file */
	fputc(0xFF, f);
	fclose(f);
	cr_expect_eq(st_load(path, in, 2, err, sizeof err), -1);
	cr_expect(strstr(err, "does not fit the file") != NULL, "%s", err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(train, prints_the_ir_with_its_memory)
{
	char *out, *err, *cwd = getcwd(NULL, 0), data[4200];
	snprintf(data, sizeof data, "%s/examples", cwd);
	setenv("DESCENT_DATA", data, 1);
	cr_assert_eq(run_descent((const char *const[]){"ir", "examples/digits.nn", NULL}, NULL, &out,
	                         &err), 0, "%s", err);
	cr_expect(strstr(out, "dense1.weight            parameter  (128, 64)") != NULL, "%s", out);
	cr_expect(strstr(out, "ddense1.weight += ddense1ᵀ · x") != NULL, "%s", out);
	cr_expect(strstr(out, "dense2.weight ← update(dense2.weight, ddense2.weight), with decoupled wd")
	          != NULL, "%s", out);
	cr_expect(strstr(out, "  parameters                 9610 floats") != NULL, "%s", out);
	cr_expect(strstr(out, "  total                                                              9610 ")
	          != NULL, "the model summary's total: %s", out);
	free(out);
	free(err);
	free(cwd);
}

Test(train, stops_a_diverging_run_with_its_step_and_rate)
{
	char *err;
	int status = run_descent((const char *const[]){"run", "--quiet", "-", NULL},
		"data d { train = blobs(200, classes = 3, dim = 4) }\n"
		"network n {\n dense(16)\n dense(3)\n}\n"
		"train big {\n network = n\n data = d\n optimizer = sgd(lr = 1e3)\n epochs = 5\n}\n",
		NULL, &err);
	cr_expect_eq(status, 3, "%s", err);
	cr_expect(strstr(err, "<stdin>:6:7: error: big diverged at step ") != NULL, "%s", err);
	cr_expect(strstr(err, "the loss is nan") != NULL || strstr(err, "the loss is inf") != NULL,
	          "%s", err);
	cr_expect(strstr(err, "help: the rate was 1000; try a smaller lr") != NULL, "%s", err);
	free(err);
}

Test(train, names_the_file_and_line_of_bad_data)
{
	char dir[64], nn[128], csv[128], text[512];
	cr_assert(scratch_dir(dir));
	snprintf(csv, sizeof csv, "%s/bad.csv", dir);
	cr_assert_eq(write_text(csv, "a,b,label\n1,2,0\n3,oops,1\n"), 0);
	snprintf(nn, sizeof nn, "%s/t.nn", dir);
	snprintf(text, sizeof text, "data d { train = csv(\"bad.csv\", label = \"label\") }\n"
	         "network n { dense(2) }\ntrain { network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	         " epochs = 1 }\n");
	cr_assert_eq(write_text(nn, text), 0);
	char *err;
	cr_expect_eq(run_descent((const char *const[]){"run", nn, NULL}, NULL, NULL, &err), 1);
	cr_expect(strstr(err, "t.nn:1:18: error: ") != NULL, "%s", err);
	cr_expect(strstr(err, "bad.csv:3: column 'b': 'oops' is not a number") != NULL, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(train, refuses_a_network_whose_outputs_do_not_fit_the_classes)
{
	char *err;
	int status = run_descent((const char *const[]){"run", "-", NULL},
		"data d { train = blobs(100, classes = 4) }\nnetwork n { dense(3) }\n"
		"train { network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1 }\n", NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "network 'n' ends with 3 outputs, but data 'd' has 4 classes") != NULL,
	          "%s", err);
	cr_expect(strstr(err, "help: make the last dense layer dense(4)") != NULL, "%s", err);
	free(err);
}

Test(train, saved_weights_predict_the_same_in_plain_python)
{
	if (system("python3 -c 'import json, struct' 2>/dev/null") != 0)
		cr_skip_test("python3 is not installed");
	char dir[64], nn[128], cmd[1200], *cwd = getcwd(NULL, 0), text[900];
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/p.nn", dir);
	snprintf(text, sizeof text,
	         "data d {\n train = csv(\"%s/examples/data/digits_train.csv\", label = \"digit\")\n"
	         " test = csv(\"%s/examples/data/digits_test.csv\", label = \"digit\")\n scale = 1/16\n}\n"
	         "network n {\n dense(32)\n relu\n dense(10)\n}\ntrain p {\n network = n\n data = d\n"
	         " optimizer = adam(lr = 3e-3)\n epochs = 5\n log = \"p.jsonl\"\n save = \"p.safetensors\"\n}\n",
	         cwd, cwd);
	cr_assert_eq(write_text(nn, text), 0);
	char *err;
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	double acc[8];
	snprintf(cmd, sizeof cmd, "%s/p.jsonl", dir);
	cr_assert_eq(log_values(cmd, "test_acc", acc, 8), 5);
	snprintf(cmd, sizeof cmd, "python3 tests/golden/train/predict.py %s/p.safetensors "
	         "examples/data/digits_test.csv digit 0.0625", dir);
	FILE *p = popen(cmd, "r");
	int right = -1;
	cr_assert_eq(fscanf(p, "%d", &right), 1);
	pclose(p);
	cr_expect_eq(right, (int)lround(acc[4] * 359), "python counts %d right, descent's log says %g",
	             right, acc[4] * 359);
	free(cwd);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(train, dropout_masks_do_not_depend_on_threads)
{
	char dirs[2][64], nn[256], path[256], text[700];
	char *weights[2];
	size_t len[2];
	for (int k = 0; k < 2; k++) {
		cr_assert(scratch_dir(dirs[k]));
		snprintf(nn, sizeof nn, "%.64s/d.nn", dirs[k]);
		snprintf(text, sizeof text, "data d { train = blobs(600, classes = 3, dim = 8) }\n"
		         "network n {\n dropout(rate = 0.1)\n dense(150)\n relu\n dropout(keep = 0.5, "
		         "scaling = test)\n dense(3)\n}\ntrain t {\n network = n\n data = d\n"
		         " optimizer = sgd(lr = 0.05, momentum = 0.9)\n epochs = 3\n batch = 100\n"
		         " seed = 4\n save = \"d.safetensors\"\n}\n");
		cr_assert_eq(write_text(nn, text), 0);
		char *err;
		cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--threads", k ? "2" : "1",
		                                                nn, NULL}, NULL, NULL, &err), 0, "%s", err);
		free(err);
		snprintf(path, sizeof path, "%.64s/d.safetensors", dirs[k]);
		weights[k] = slurp(path, &len[k]);
		cr_assert_not_null(weights[k]);
	}
	cr_expect(len[0] == len[1] && memcmp(weights[0], weights[1], len[0]) == 0);
	for (int k = 0; k < 2; k++) {
		free(weights[k]);
		cr_expect_eq(remove_tree(dirs[k]), 0);
	}
}

/* The weights of a small network after 50 full-batch steps of optimizer, with extra keys. */
static void weights_after(const char *optimizer, const char *extra, float *out, int64_t count,
                          char **messages)
{
	char dir[64], nn[256], text[900], path[256];
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%.64s/r.nn", dir);
	snprintf(text, sizeof text, "data d { train = blobs(64, classes = 3, dim = 6) }\n"
	         "network n {\n dense(16)\n tanh\n dense(3)\n}\ntrain t {\n network = n\n data = d\n"
	         " optimizer = %s\n%s epochs = 50\n batch = 64\n seed = 3\n decay_biases = true\n"
	         " save = \"r.safetensors\"\n}\n", optimizer, extra);
	cr_assert_eq(write_text(nn, text), 0);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL,
	                         messages), 0, "%s", *messages);
	snprintf(path, sizeof path, "%.64s/r.safetensors", dir);
	size_t len;
	char *file = slurp(path, &len);
	cr_assert(file && len >= (size_t)count * 4);
	memcpy(out, file + len - (size_t)count * 4, (size_t)count * 4); /* the last tensors' data */
	free(file);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(train, l2_and_wd_agree_for_plain_sgd_and_differ_for_adam_on_a_network)
{
	enum { COUNT = 16 * 6 + 16 + 3 * 16 + 3 };
	float a[COUNT], b[COUNT];
	char *messages;
	weights_after("sgd(lr = 0.05)", " regularize = l2(0.1)\n", a, COUNT, &messages);
	free(messages);
	weights_after("sgd(lr = 0.05, wd = 0.1)", "", b, COUNT, &messages);
	free(messages);
	for (int i = 0; i < COUNT; i++) /* the same algebra; only rounding may differ */
		cr_expect_leq(fabs(a[i] - b[i]), 1e-5 * fabs(a[i]) + 1e-6, "sgd: %d: %g vs %g", i,
		              (double)a[i], (double)b[i]);
	weights_after("adam(lr = 0.01)", " regularize = l2(0.1)\n", a, COUNT, &messages);
	cr_expect(strstr(messages, "warning: l2 with adam") != NULL, "%s", messages);
	free(messages);
	weights_after("adam(lr = 0.01, wd = 0.1)", "", b, COUNT, &messages);
	free(messages);
	double differ = 0;
	for (int i = 0; i < COUNT; i++)
		differ = fmax(differ, fabs(a[i] - b[i]));
	cr_expect_gt(differ, 1e-3, "adam: l2 and wd gave the same weights");
}

Test(train, the_ir_lists_batchnorm_parameters_statistics_and_the_dropout_mask)
{
	char *out, *err;
	cr_assert_eq(run_descent((const char *const[]){"ir", "-", NULL},
		"data d { train = blobs(64, classes = 3, dim = 4) }\n"
		"network n {\n dense(8, bias = false)\n batchnorm\n relu\n dropout(rate = 0.5)\n dense(3)\n}\n"
		"train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n batch = 16\n}\n",
		&out, &err), 0, "%s", err);
	cr_expect(strstr(out, "batchnorm1.weight        parameter  (8), and its gradient") != NULL, "%s", out);
	cr_expect(strstr(out, "batchnorm1.running_var   statistic  (8)") != NULL, "%s", out);
	cr_expect(strstr(out, "dropout1.mask            activation (16, 8), the step's multipliers") != NULL,
	          "%s", out);
	cr_expect(strstr(out, "drelu1 = ddropout1 ⊙ dropout1.mask") != NULL, "%s", out);
	free(out);
	free(err);
}
