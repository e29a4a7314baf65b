/* test_trustfix.c — findings of a new-user trial, each refused or right end to end:
 * command-line outputs that would replace an output of the file (range, predict),
 * numbers beyond float32 in data files, the rerun's column in summary.csv, messages
 * about settings hashes, `best` on a metric that cannot be made, the checkpoint notice
 * under --quiet, small wording fixes, and options given twice. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define RUN(out, err, ...) run_descent((const char *const[]){__VA_ARGS__, NULL}, NULL, out, err)

static const char tiny[] =
	"data d { train = blobs(64, classes = 3, dim = 4) }\n"
	"network n {\n    dense(8)\n    relu\n    dense(3)\n}\n"
	"train t {\n    network = n\n    data = d\n    optimizer = sgd(lr = 0.1)\n"
	"    batch = 16\n    seed = 3\n    epochs = 1\n"
	"    log = \"runs/t.jsonl\"\n    save = \"runs/t.safetensors\"\n"
	"    checkpoint = \"runs/t.ckpt\"\n}\n";

/* A scratch folder with tiny.nn trained once; its path in dir, the file's in nn. */
static void trained(char *dir, char *nn)
{
	cr_assert(scratch_dir(dir));
	snprintf(nn, 128, "%s/tiny.nn", dir);
	cr_assert_eq(write_text(nn, tiny), 0);
	char *err;
	cr_assert_eq(RUN(NULL, &err, "run", nn, "--quiet"), 0, "%s", err);
	free(err);
}

/* Expects args to exit 1 naming path and what it is, and path to be unchanged. */
static void refused(const char *const *args, const char *path, const char *what)
{
	size_t before_len, after_len;
	char *before = slurp(path, &before_len), *err;
	cr_assert(before, "%s missing", path);
	cr_expect_eq(run_descent(args, NULL, NULL, &err), 1, "%s", err);
	cr_expect(strstr(err, what) && strstr(err, "never overwrites"), "%s", err);
	char *after = slurp(path, &after_len);
	cr_expect(after && before_len == after_len && memcmp(before, after, before_len) == 0,
	          "%s changed", path);
	free(before);
	free(after);
	free(err);
}

Test(trustfix, range_never_writes_over_an_output_of_the_file)
{
	char dir[64], nn[128], path[192], dotted[192];
	trained(dir, nn);
	snprintf(path, sizeof path, "%s/runs/t.safetensors", dir);
	refused((const char *const[]){"range", nn, "--steps", "5", "--csv", path, NULL}, path,
	        "the save \"runs/t.safetensors\" of train 't'");
	snprintf(path, sizeof path, "%s/runs/t.jsonl", dir);
	snprintf(dotted, sizeof dotted, "%s/./runs/../runs/t.jsonl", dir);
	refused((const char *const[]){"range", nn, "--steps", "5", "--plot", dotted, NULL}, path,
	        "the log \"runs/t.jsonl\"");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(trustfix, predict_out_never_writes_over_an_output_of_the_file)
{
	char dir[64], nn[128], weights[192], path[192], hard[192];
	trained(dir, nn);
	snprintf(weights, sizeof weights, "%s/runs/t.safetensors", dir);
	snprintf(path, sizeof path, "%s/runs/t.ckpt", dir);
	refused((const char *const[]){"predict", nn, "--weights", weights, "--out", path, NULL},
	        path, "the checkpoint \"runs/t.ckpt\"");
	snprintf(path, sizeof path, "%s/runs/t.jsonl", dir);
	snprintf(hard, sizeof hard, "%s/hard.jsonl", dir);
	cr_assert_eq(link(path, hard), 0);
	refused((const char *const[]){"predict", nn, "--weights", weights, "--out", hard, NULL},
	        path, "the log \"runs/t.jsonl\"");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(trustfix, range_never_writes_into_the_sweep_folder)
{
	char dir[64], nn[128], path[192], *err;
	trained(dir, nn);
	char text[sizeof tiny + 128];
	snprintf(text, sizeof text, "%ssweep {\n optimizer.lr in [0.1, 0.2]\n}\n", tiny);
	cr_assert_eq(write_text(nn, text), 0);
	snprintf(path, sizeof path, "%s/runs/tiny-sweep/results.csv", dir);
	cr_expect_eq(RUN(NULL, &err, "range", nn, "--steps", "5", "--csv", path), 1, "%s", err);
	cr_expect(strstr(err, "runs/tiny-sweep, the folder of the file's sweep"), "%s", err);
	free(err);
	cr_expect_eq(access(path, F_OK), -1, "%s was written", path);
	cr_expect_eq(remove_tree(dir), 0);
}
