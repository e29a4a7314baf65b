/* test_modelid.c — weights that say what made them: `save` and `save_best` record the
 * model (the resolved loss, data and network, after --set), predict and eval take --set
 * and refuse weights of another model, naming what differs and the --set values the
 * weights were saved with; weights of before that record are refused when their block's
 * text changed; eval computes the run's own loss (label smoothing); a resume whose
 * save_best file is gone is refused. Every run here is on the frozen iris model of
 * tests/golden/predict/ (model.nn), copied to a scratch folder. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define GOLDEN "tests/golden/predict/"

/* A scratch folder holding the golden model's data; its model.nn is the golden one with
 * `add` inserted before the golden block's `epochs` line (when add is not NULL). */
static void model_copy(char *dir, const char *add)
{
	cr_assert(scratch_dir(dir));
	const char *files[] = {"train.csv", "test.csv", "model.nn", "model.safetensors",
	                       "binary_train.csv", "binary_test.csv"};
	for (int i = 0; i < 6; i++) {
		char from[128], to[128];
		snprintf(from, sizeof from, GOLDEN "%s", files[i]);
		snprintf(to, sizeof to, "%s/%s", dir, files[i]);
		size_t len;
		char *text = slurp(from, &len);
		cr_assert(text, "cannot read %s", from);
		char *at = add && i == 2 ? strstr(text, "    epochs    = 4\n") : NULL;
		FILE *f = fopen(to, "wb");
		cr_assert(f);
		if (at) {
			cr_assert(fwrite(text, 1, (size_t)(at - text), f) == (size_t)(at - text));
			cr_assert(fputs(add, f) >= 0);
			len -= (size_t)(at - text);
			memmove(text, at, len);
		}
		cr_assert(fwrite(text, 1, len, f) == len && fclose(f) == 0);
		free(text);
	}
}

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* Runs descent; returns its status; stdout and stderr freed. */
static int status_of(const char *const *args, char **err)
{
	char *out;
	int status = run_descent(args, NULL, &out, err);
	free(out);
	return status;
}

/* ---- A1: the model the weights record ---- */

Test(modelid, weights_saved_under_set_loss_are_refused_without_it_and_taken_with_it)
{
	char dir[64], nn[128], *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, "--set", "golden.loss=mse",
	                       "--set", "golden.save=\"w.safetensors\"", "--set", "golden.epochs=1",
	                       NULL}, &err), 0, "%s", err);
	free(err);
	char weights[128];
	path_in(weights, sizeof weights, dir, "w.safetensors");
	for (int eval = 0; eval < 2; eval++) {
		const char *command = eval ? "eval" : "predict";
		cr_expect_eq(status_of((const char *const[]){command, nn, "--weights", weights, NULL},
		                       &err), 1, "%s", err);
		cr_expect(strstr(err, "trained with another loss than train block 'golden'"), "%s", err);
		cr_expect(strstr(err, "--set 'golden.loss=mse' --set 'golden.save=\"w.safetensors\"'"
		                 " --set 'golden.epochs=1'"), "%s", err);
		free(err);
		cr_expect_eq(status_of((const char *const[]){command, nn, "--weights", weights, "--set",
		                       "golden.loss=mse", NULL}, &err), 0, "%s", err);
		free(err);
	}
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, predict_under_set_loss_mse_prints_the_raw_outputs)
{
	char dir[64], nn[128], weights[128], *out, *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(weights, sizeof weights, dir, "w.safetensors");
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, "--set", "golden.loss=mse",
	                       "--set", "golden.save=\"w.safetensors\"", "--set", "golden.epochs=1",
	                       NULL}, &err), 0, "%s", err);
	free(err);
	cr_assert_eq(run_descent((const char *const[]){"predict", nn, "--weights", weights, "--set",
	                         "golden.loss=mse", NULL}, NULL, &out, &err), 0, "%s", err);
	/* softmax rows sum to 1; after one epoch under mse the raw outputs do not */
	double p[3];
	const char *row = strchr(out, '\n');
	cr_assert(row && sscanf(row + 1, "0,%*[^,],%lf,%lf,%lf", &p[0], &p[1], &p[2]) == 3, "%s", out);
	cr_expect_gt(fabs(p[0] + p[1] + p[2] - 1), 1e-3, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, weights_saved_under_set_data_are_refused_naming_the_data)
{
	char dir[64], nn[128], weights[128], *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(weights, sizeof weights, dir, "w.safetensors");
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, "--set", "golden.data=pair",
	                       "--set", "golden.save=\"w.safetensors\"", "--set", "golden.epochs=1",
	                       NULL}, &err), 0, "%s", err);
	free(err);
	cr_expect_eq(status_of((const char *const[]){"eval", nn, "--weights", weights, NULL}, &err), 1,
	             "%s", err);
	cr_expect(strstr(err, "trained with another data than train block 'golden'"), "%s", err);
	cr_expect(strstr(err, "--set 'golden.data=pair'"), "%s", err);
	free(err);
	cr_expect_eq(status_of((const char *const[]){"eval", nn, "--weights", weights, "--set",
	                       "golden.data=pair", NULL}, &err), 0, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, weights_whose_data_block_was_edited_since_are_refused)
{
	char dir[64], nn[128], weights[128], *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(weights, sizeof weights, dir, "w.safetensors");
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, "--set",
	                       "golden.save=\"w.safetensors\"", "--set", "golden.epochs=1", NULL},
	                       &err), 0, "%s", err);
	free(err);
	/* the same block text, its data normalized another way */
	size_t len;
	char *text = slurp(nn, &len), *at = strstr(text, "normalize = standard");
	cr_assert(at);
	memcpy(at, "normalize = minmax  ", strlen("normalize = standard"));
	cr_assert_eq(write_text(nn, text), 0);
	free(text);
	cr_expect_eq(status_of((const char *const[]){"eval", nn, "--weights", weights, "--set",
	                       "golden.epochs=1", NULL}, &err), 1, "%s", err);
	cr_expect(strstr(err, "trained with another data than"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, a_changed_epochs_or_optimizer_keeps_the_weights)
{
	char dir[64], nn[128], weights[128], *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(weights, sizeof weights, dir, "w.safetensors");
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, "--set",
	                       "golden.save=\"w.safetensors\"", "--set", "golden.epochs=1", NULL},
	                       &err), 0, "%s", err);
	free(err);
	cr_expect_eq(status_of((const char *const[]){"eval", nn, "--weights", weights, "--set",
	                       "golden.optimizer.lr=0.5", NULL}, &err), 0, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, old_weights_of_a_block_whose_text_changed_are_refused)
{
	char dir[64], nn[128], weights[128], *err;
	/* the golden weights record the block's text but no model; the block now has a loss */
	model_copy(dir, "    loss      = mse\n");
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(weights, sizeof weights, dir, "model.safetensors");
	cr_expect_eq(status_of((const char *const[]){"eval", nn, "--weights", weights, NULL}, &err), 1,
	             "%s", err);
	cr_expect(strstr(err, "saved before descent recorded what they mean"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, predict_and_eval_take_set_as_run_does)
{
	char *err;
	cr_expect_eq(status_of((const char *const[]){"eval", GOLDEN "model.nn", "--weights",
	                       GOLDEN "model.safetensors", "--set", "nosuchkey=1", NULL}, &err), 1,
	             "%s", err);
	cr_expect(strstr(err, "nosuchkey"), "%s", err);
	free(err);
	cr_expect_eq(status_of((const char *const[]){"predict", GOLDEN "model.nn", "--weights",
	                       GOLDEN "model.safetensors", "--set", NULL}, &err), 2, "%s", err);
	free(err);
}

/* ---- A4: eval's loss is the run's ---- */

Test(modelid, eval_gives_the_logs_test_loss_under_label_smoothing)
{
	char dir[64], nn[128], log[128], weights[128], *out, *err;
	model_copy(dir, "    loss      = cross_entropy(smoothing = 0.1)\n");
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(log, sizeof log, dir, "model.jsonl");
	path_in(weights, sizeof weights, dir, "model.safetensors");
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, NULL}, &err), 0, "%s", err);
	free(err);
	double loss[8];
	int epochs = log_values(log, "test_loss", loss, 8);
	cr_assert_gt(epochs, 0);
	cr_assert_eq(run_descent((const char *const[]){"eval", nn, "--weights", weights, "--json",
	                         NULL}, NULL, &out, &err), 0, "%s", err);
	cr_expect_eq(json_number(out, "loss"), loss[epochs - 1], "eval %.17g, log %.17g",
	             json_number(out, "loss"), loss[epochs - 1]);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- A5: resuming without the save_best file ---- */

Test(modelid, resume_with_the_save_best_file_gone_is_refused)
{
	char dir[64], nn[128], best[128], *err;
	model_copy(dir, "    checkpoint = \"lb.ckpt\"\n    save_best = \"lb.best.safetensors\"\n"
	           "    best = min test_loss\n");
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(best, sizeof best, dir, "lb.best.safetensors");
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, NULL}, &err), 0, "%s", err);
	free(err);
	cr_assert_eq(remove(best), 0);
	cr_expect_eq(status_of((const char *const[]){"run", "--quiet", "--resume", nn, NULL}, &err), 1,
	             "%s", err);
	cr_expect(strstr(err, "lb.best.safetensors held the best epoch so far (epoch "), "%s", err);
	cr_expect(strstr(err, "restore it, or run without --resume"), "%s", err);
	free(err);
	FILE *f = fopen(best, "rb");
	cr_expect_null(f, "no best file written");
	if (f)
		fclose(f);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- A3: CSV columns by name ---- */

/* Writes the CSV at from to to with its first and third columns swapped (no quotes). */
static void swap_columns(const char *from, const char *to)
{
	char *text = slurp(from, NULL), *save;
	FILE *out = fopen(to, "wb");
	cr_assert(text && out);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8], *s2;
		int n = 0;
		for (char *p = strtok_r(line, ",", &s2); p && n < 8; p = strtok_r(NULL, ",", &s2))
			f[n++] = p;
		cr_assert_eq(n, 5);
		fprintf(out, "%s,%s,%s,%s,%s\n", f[2], f[1], f[0], f[3], f[4]);
	}
	cr_assert_eq(fclose(out), 0);
	free(text);
}

Test(modelid, a_test_csv_with_its_columns_in_another_order_is_refused)
{
	char dir[64], nn[128], test[128], *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(test, sizeof test, dir, "test.csv");
	swap_columns(GOLDEN "test.csv", test);
	cr_expect_eq(status_of((const char *const[]){"run", "--quiet", nn, NULL}, &err), 1, "%s", err);
	cr_expect(strstr(err, "test.csv:1: column 1 is 'petal_length', but the training file's "
	                 "column 1 is 'sepal_length'"), "%s", err);
	cr_expect(strstr(err, "model.nn:7:12: error:"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, a_renamed_test_csv_column_is_refused)
{
	char dir[64], nn[128], test[128], *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(test, sizeof test, dir, "test.csv");
	char *text = slurp(GOLDEN "test.csv", NULL), *at = text ? strstr(text, "petal_width") : NULL;
	cr_assert(at);
	memcpy(at, "petal_wide ", 11);
	cr_assert_eq(write_text(test, text), 0);
	free(text);
	cr_expect_eq(status_of((const char *const[]){"run", "--quiet", nn, NULL}, &err), 1, "%s", err);
	cr_expect(strstr(err, "column 4 is 'petal_wide', but the training file's column 4 is "
	                 "'petal_width'"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, predict_and_eval_refuse_a_data_csv_with_its_columns_in_another_order)
{
	char dir[64], nn[128], data[128], weights[128], *err;
	model_copy(dir, NULL);
	path_in(nn, sizeof nn, dir, "model.nn");
	path_in(data, sizeof data, dir, "swapped.csv");
	path_in(weights, sizeof weights, dir, "w.safetensors");
	swap_columns(GOLDEN "test.csv", data);
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, "--set",
	                       "golden.save=\"w.safetensors\"", "--set", "golden.epochs=1", NULL},
	                       &err), 0, "%s", err);
	free(err);
	for (int eval = 0; eval < 2; eval++) {
		cr_expect_eq(status_of((const char *const[]){eval ? "eval" : "predict", nn, "--weights",
		                       weights, data, NULL}, &err), 1, "%s", err);
		cr_expect(strstr(err, "swapped.csv:1: feature column 1 is 'petal_length', but in the "
		                 "data"), "%s", err);
		cr_expect(strstr(err, "[\"sepal_length\", \"sepal_width\", \"petal_length\", "
		                 "\"petal_width\"]"), "%s", err);
		free(err);
	}
	/* the same columns in the same order pass */
	char same[128];
	path_in(same, sizeof same, dir, "test.csv");
	cr_expect_eq(status_of((const char *const[]){"eval", nn, "--weights", weights, same, NULL},
	                       &err), 0, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(modelid, regression_weights_are_refused_by_a_block_edited_to_classification)
{
	char dir[64], nn[128], csv[128], weights[128], *err;
	cr_assert(scratch_dir(dir));
	path_in(nn, sizeof nn, dir, "r.nn");
	path_in(csv, sizeof csv, dir, "r.csv");
	path_in(weights, sizeof weights, dir, "w.safetensors");
	cr_assert_eq(write_text(csv, "a,b,y1,y2\n0,1,0,1\n1,0,1,0\n1,1,0,1\n0,0,1,0\n2,1,0,1\n"
	                        "1,2,1,0\n2,2,0,1\n0,2,1,0\n"), 0);
	const char *network = "network n {\n dense(2)\n}\n";
	const char *train = "train t {\n network = n\n data = r\n loss = mse\n"
	                    " optimizer = sgd(lr = 0.01)\n epochs = 1\n batch = 4\n"
	                    " save = \"w.safetensors\"\n}\n";
	char text[1024];
	snprintf(text, sizeof text, "data r {\n train = csv(\"r.csv\", label = [\"y1\", \"y2\"])\n"
	         " targets = values\n}\n%s%s", network, train);
	cr_assert_eq(write_text(nn, text), 0);
	cr_assert_eq(status_of((const char *const[]){"run", "--quiet", nn, NULL}, &err), 0, "%s", err);
	free(err);
	snprintf(text, sizeof text, "data r {\n train = csv(\"r.csv\", label = \"y1\")\n}\n%s%s",
	         network, train);
	cr_assert_eq(write_text(nn, text), 0);
	cr_expect_eq(status_of((const char *const[]){"eval", nn, "--weights", weights, NULL}, &err), 1,
	             "%s", err);
	cr_expect(strstr(err, "trained with another data than train block 't'"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}
