/* test_trustfix.c — findings of a new-user trial, each refused or right end to end:
 * command-line outputs that would replace an output of the file (range, predict),
 * numbers beyond float32 in data files, the rerun's column in summary.csv, messages
 * about settings hashes, `best` on a metric that cannot be made, the checkpoint notice
 * under --quiet, small wording fixes, and options given twice. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
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

/* Writes a float64 NPY array of shape (n) or (n, 2) holding values to path. */
static void write_npy_f64(const char *path, const double *values, int n, bool pairs)
{
	char header[128];
	int len = snprintf(header, sizeof header, "{'descr': '<f8', 'fortran_order': False, "
	                   "'shape': (%d,%s), }", pairs ? n / 2 : n, pairs ? " 2" : "");
	while ((10 + len + 1) % 64)
		header[len++] = ' ';
	header[len++] = '\n';
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	fwrite("\x93NUMPY\x01\x00", 1, 8, f);
	unsigned char hl[2] = {(unsigned char)(len & 0xff), (unsigned char)(len >> 8)};
	fwrite(hl, 1, 2, f);
	fwrite(header, 1, (size_t)len, f);
	fwrite(values, sizeof *values, (size_t)n, f);
	cr_assert_eq(fclose(f), 0);
}

/* Runs `descent run` on dir/f.nn holding data (a data block named d) and a small model;
 * expects exit 1 and says in the error. */
static void data_refused(const char *dir, const char *data, bool regression, const char *says)
{
	char nn[128], text[1024], *err;
	snprintf(nn, sizeof nn, "%s/f.nn", dir);
	snprintf(text, sizeof text, "%s\nnetwork n { dense(%d) }\n"
	         "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n"
	         " batch = 2\n%s}\n", data, regression ? 1 : 2, regression ? " loss = mse\n" : "");
	cr_assert_eq(write_text(nn, text), 0);
	cr_expect_eq(RUN(NULL, &err, "run", nn), 1, "%s", err);
	cr_expect(strstr(err, says), "wanted '%s' in: %s", says, err);
	cr_expect(!strstr(err, "lr"), "%s", err);
	free(err);
}

Test(trustfix, numbers_beyond_float32_are_refused_where_they_are)
{
	char dir[64], path[128];
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/c.csv", dir);
	cr_assert_eq(write_text(path, "a,b,label\n0,1,x\n1,1e39,y\n1,1,x\n0,0,y\n"), 0);
	data_refused(dir, "data d { train = csv(\"c.csv\", label = \"label\") }", false,
	             "c.csv:3: column 'b': 1e39 is beyond float32's range");
	snprintf(path, sizeof path, "%s/r.csv", dir);
	cr_assert_eq(write_text(path, "a,b,y\n0,1,1\n1,1,2\n1,1,1e300\n0,0,3\n"), 0);
	data_refused(dir, "data d {\n train = csv(\"r.csv\", label = \"y\")\n targets = values\n}",
	             true, "r.csv:4: column 'y': 1e300 is beyond float32's range");
	/* 3.4028235e38 is FLT_MAX rounded: it stays finite as float32 and is taken */
	snprintf(path, sizeof path, "%s/x.npy", dir);
	double x[8] = {0, 1, 1, 0, 3.4028235e38, 1, 0, 0}, y[4] = {0, 1, 0, 1};
	write_npy_f64(path, x, 8, true);
	snprintf(path, sizeof path, "%s/y.npy", dir);
	write_npy_f64(path, y, 4, false);
	char nn[128], *err;
	snprintf(nn, sizeof nn, "%s/ok.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = npy(\"x.npy\", \"y.npy\") }\n"
	                            "network n { dense(2) }\n"
	                            "train t {\n network = n\n data = d\n optimizer = sgd(lr = 1e-30)\n"
	                            " epochs = 1\n batch = 2\n}\n"), 0);
	int status = RUN(NULL, &err, "run", nn);
	cr_expect(status != 1 && !strstr(err, "beyond"), "%d: %s", status, err);
	free(err);
	x[5] = -1e39;
	snprintf(path, sizeof path, "%s/x.npy", dir);
	write_npy_f64(path, x, 8, true);
	data_refused(dir, "data d { train = npy(\"x.npy\", \"y.npy\") }", false,
	             "x.npy: offset 168: element 5 (sample 2): -1e+39 is beyond float32's range");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(trustfix, sweep_says_that_the_data_files_count_in_a_rows_settings)
{
	char dir[64], nn[128], data[128], *err;
	cr_assert(scratch_dir(dir));
	snprintf(data, sizeof data, "%s/c.csv", dir);
	cr_assert_eq(write_text(data, "a,b,label\n0,1,x\n1,1,y\n1,0,x\n0,0,y\n"), 0);
	snprintf(nn, sizeof nn, "%s/f.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = csv(\"c.csv\", label = \"label\") }\n"
	                            "network n { dense(2) }\n"
	                            "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	                            " epochs = 1\n batch = 2\n}\n"
	                            "sweep {\n optimizer.lr in [0.1, 0.2]\n metric = max train_acc\n}\n"),
	             0);
	cr_assert_eq(RUN(NULL, &err, "sweep", nn, "--quiet"), 0, "%s", err);
	free(err);
	struct timespec when[2] = {{1000000000, 0}, {1000000000, 0}};
	cr_assert_eq(utimensat(AT_FDCWD, data, when, 0), 0);
	const char *why = "the data files' size or modification time";
	cr_expect_eq(RUN(NULL, &err, "sweep", nn, "--summary"), 1, "%s", err);
	cr_expect(strstr(err, "no row made with the current settings") && strstr(err, why), "%s",
	          err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "sweep", nn, "--quiet"), 0, "%s", err);
	cr_expect(strstr(err, "2 rerun because their settings changed (--set values, the file's "
	                      "blocks, or the data files' size or modification time)"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Expects `descent check` of a train block with extra keys on blobs (class labels, no
 * validation or test set) to exit 1 with says, and no mere warning. */
static void check_refused(const char *extra, const char *says)
{
	char dir[64], nn[128], text[1024], *err;
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/f.nn", dir);
	snprintf(text, sizeof text, "data d { train = blobs(64, classes = 3, dim = 4) }\n"
	         "network n { dense(3) }\n"
	         "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n"
	         "%s}\n", extra);
	cr_assert_eq(write_text(nn, text), 0);
	cr_expect_eq(RUN(NULL, &err, "check", nn), 1, "%s", err);
	cr_expect(strstr(err, says) && strstr(err, ": error: "), "wanted '%s' in: %s", says, err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(trustfix, best_on_a_metric_the_run_never_has_is_an_error_without_save_best_too)
{
	check_refused(" best = max test_acc\n", "best watches 'test_acc', but data 'd' has no test set");
	check_refused(" best = min train_rmse\n", "'train_rmse' is a regression metric, and data "
	              "'d' has class labels");
	check_refused(" best = max test_acc\n save_best = \"b.safetensors\"\n",
	              "best watches 'test_acc', but data 'd' has no test set");
}

Test(trustfix, quiet_still_says_that_a_checkpoint_will_be_replaced)
{
	char dir[64], nn[128], *err, *out;
	trained(dir, nn);
	cr_expect_eq(RUN(NULL, &err, "run", nn, "--quiet"), 0, "%s", err);
	cr_expect(strstr(err, "/runs/t.ckpt exists; without --resume this run starts over and "
	                      "replaces it\n"), "%s", err);
	free(err);
	cr_expect_eq(RUN(&out, &err, "run", "--help"), 0, "%s", err);
	cr_expect(strstr(out, "--quiet prints\nonly the final tables, warnings and errors"), "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* What command prints on standard output (owned), or NULL. */
static char *shell_output(const char *command)
{
	FILE *p = popen(command, "r");
	cr_assert(p, "%s", command);
	size_t size = 0, len = 0;
	char *text = NULL, chunk[4096];
	for (size_t n; (n = fread(chunk, 1, sizeof chunk, p)) > 0; len += n) {
		char *grown = realloc(text, len + n + 1);
		cr_assert(grown);
		text = grown;
		memcpy(text + len, chunk, n);
		size = len + n;
	}
	pclose(p);
	if (text)
		text[size] = '\0';
	return text;
}

Test(trustfix, small_wording_fixes)
{
	/* the man page: the two clip calls each in their own quotes */
	char *man = shell_output("groff -mdoc -Tascii -P-c docs/descent.1 2>/dev/null");
	cr_assert(man, "groff rendered nothing");
	cr_expect(strstr(man, "('norm(max)', 'value(max)'), as PyTorch's"), "clip's calls badly "
	          "quoted");
	free(man);
	/* an empty label list is called empty, and only that is said */
	char dir[64], nn[128], *out, *err;
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/e.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = csv(\"x.csv\", label = []) }\n"
	                            "network n { dense(2) }\n"
	                            "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	                            " epochs = 1\n}\n"), 0);
	cr_expect_eq(RUN(NULL, &err, "check", nn), 1, "%s", err);
	cr_expect(strstr(err, ", found an empty list\n") && strstr(err, "1 error,"), "%s", err);
	free(err);
	/* descent help --help wraps its sentence where the line is full */
	cr_expect_eq(RUN(&out, &err, "help", "--help"), 0, "%s", err);
	cr_expect(strstr(out, "The rules and formulas are in docs/language.md and\n"), "%s", out);
	free(out);
	free(err);
	/* range names adamw as the file does */
	cr_assert_eq(write_text(nn, "data d { train = blobs(64, classes = 3, dim = 4) }\n"
	                            "network n { dense(3) }\n"
	                            "train t {\n network = n\n data = d\n"
	                            " optimizer = adamw(lr = 0.01, wd = 0.01)\n epochs = 1\n"
	                            " batch = 16\n}\n"), 0);
	cr_expect_eq(RUN(&out, &err, "range", nn, "--steps", "5"), 0, "%s", err);
	cr_expect(strstr(out, "(network n, data d, adamw, batch 16)"), "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Expects args (NULL-terminated) to exit 2 saying "OPTION is given twice". */
static void given_twice(const char *const *args, const char *option)
{
	char *err, want[64];
	cr_expect_eq(run_descent(args, NULL, NULL, &err), 2, "%s", err);
	snprintf(want, sizeof want, ": %s is given twice", option);
	cr_expect(strstr(err, want), "wanted '%s' in: %s", want, err);
	free(err);
}

Test(trustfix, an_option_given_twice_is_misuse_in_every_command)
{
	char dir[64], nn[128], weights[192], *err;
	trained(dir, nn);
	snprintf(weights, sizeof weights, "%s/runs/t.safetensors", dir);
	given_twice((const char *const[]){"predict", nn, "--weights", weights, "--weights", weights,
	                                  NULL}, "--weights");
	char a[160], b[160];
	snprintf(a, sizeof a, "%s/a.csv", dir);
	snprintf(b, sizeof b, "--out=%s/b.csv", dir);
	given_twice((const char *const[]){"predict", nn, "--weights", weights, "--out", a, b, NULL},
	            "--out");
	given_twice((const char *const[]){"eval", nn, "--weights", weights, "--json", "--json",
	                                  NULL}, "--json");
	given_twice((const char *const[]){"sweep", nn, "--shard", "0/3", "--shard", "1/3", NULL},
	            "--shard");
	given_twice((const char *const[]){"sweep", nn, "--jobs=1", "--jobs", "2", NULL}, "--jobs");
	given_twice((const char *const[]){"run", nn, "--threads", "1", "--threads", "2", NULL},
	            "--threads");
	given_twice((const char *const[]){"range", nn, "--steps", "5", "--steps=6", NULL},
	            "--steps");
	given_twice((const char *const[]){"schedule", "cosine(10)", "--lr", "1", "--steps", "10",
	                                  "--lr", "2", NULL}, "--lr");
	given_twice((const char *const[]){"explain", nn, "--lr", "1", "--lr", "2", NULL}, "--lr");
	/* --set adds one more each time */
	cr_expect_eq(RUN(NULL, &err, "run", nn, "--quiet", "--set", "epochs=1", "--set",
	                 "seed=4"), 0, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(trustfix, predict_refuses_a_number_beyond_float32_instead_of_printing_nan)
{
	char dir[64], nn[128], path[160], weights[160], *out, *err;
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/c.csv", dir);
	cr_assert_eq(write_text(path, "a,b,label\n0,1,x\n1,1,y\n1,0,x\n0,0,y\n"), 0);
	snprintf(nn, sizeof nn, "%s/c.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = csv(\"c.csv\", label = \"label\") }\n"
	                            "network n { dense(2) }\n"
	                            "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	                            " epochs = 1\n batch = 2\n save = \"c.safetensors\"\n}\n"), 0);
	cr_assert_eq(RUN(NULL, &err, "run", nn, "--quiet"), 0, "%s", err);
	free(err);
	snprintf(path, sizeof path, "%s/p.csv", dir);
	cr_assert_eq(write_text(path, "a,b\n1,2\n1e39,1\n"), 0);
	snprintf(weights, sizeof weights, "%s/c.safetensors", dir);
	cr_expect_eq(RUN(&out, &err, "predict", nn, "--weights", weights, path), 1, "%s", out);
	cr_expect(strstr(err, "p.csv:3: column 0: 1e39 is beyond float32's range"), "%s", err);
	cr_expect(!strstr(out, "nan"), "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}
