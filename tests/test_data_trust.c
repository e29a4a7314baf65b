/* test_data_trust.c — data a run can trust (issue #10): string labels numbered once, in
 * sorted order of the training file, shared by the test file and saved with the weights
 * (and `load` refuses weights of other labels); batchnorm never trained on one row; data
 * files that exist but cannot be read stop the search with a true message; NPY object
 * arrays and non-finite elements; and the warnings on classes and batch sizes. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data.h"
#include "helpers.h"
#include "safetensors.h"

/* dog and cat swap places between the files: numbered per file, each would get id 0. */
static const char train_csv[] = "a,b,label\n1,0,dog\n0,1,cat\n1,0,dog\n0,1,cat\n";
static const char test_csv[] = "a,b,label\n0,1,cat\n1,0,dog\n";

/* Writes text to dir/name. */
static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	cr_assert_eq(write_text(path, text), 0, "%s", path);
}

/* A .nn file in dir: data from train (and test, if not NULL) CSV files, network lines,
 * batch, and extra train keys; written to dir/t.nn. */
static void put_nn(const char *dir, const char *train, const char *test, const char *network,
                   int batch, const char *extra)
{
	char text[2048], test_line[128] = "";
	if (test)
		snprintf(test_line, sizeof test_line, "    test = csv(\"%s\", label = \"label\")\n", test);
	snprintf(text, sizeof text,
	         "data d {\n    train = csv(\"%s\", label = \"label\")\n%s    shuffle = false\n}\n"
	         "network n {\n%s}\n"
	         "train t {\n    network = n\n    data = d\n    optimizer = sgd(lr = 0.5)\n"
	         "    epochs = 30\n    batch = %d\n%s}\n", train, test_line, network, batch, extra);
	put(dir, "t.nn", text);
}

/* Runs `descent VERB dir/t.nn`; returns the exit status, *err what it printed on stderr. */
static int run_nn(const char *verb, const char *dir, char **err)
{
	char nn[128];
	snprintf(nn, sizeof nn, "%s/t.nn", dir);
	if (strcmp(verb, "run") == 0)
		return run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, err);
	return run_descent((const char *const[]){verb, nn, NULL}, NULL, NULL, err);
}

/* The last value of "key": in the JSON Lines log at path, or -1. */
static double last_value(const char *path, const char *key)
{
	char *text = slurp(path, NULL), want[64];
	double v = -1;
	snprintf(want, sizeof want, "\"%s\": ", key);
	for (const char *p = text; p && (p = strstr(p, want)); p += strlen(want))
		v = strtod(p + strlen(want), NULL);
	free(text);
	return v;
}

/* ---- one label mapping ---- */

Test(labels, are_numbered_in_sorted_order_of_the_training_file)
{
	char dir[64], path[128];
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	snprintf(path, sizeof path, "%s/train.csv", dir);
	struct dataset ds;
	struct data_error err;
	cr_assert_eq(data_load_csv(path, "label", 0, true, &ds, &err), 0, "%s", err.message);
	cr_assert_eq(ds.classes, 2);
	cr_expect_str_eq(ds.names[0], "cat");
	cr_expect_str_eq(ds.names[1], "dog");
	cr_expect(ds.y[0] == 1 && ds.y[1] == 0 && ds.y[2] == 1 && ds.y[3] == 0);
	data_free(&ds);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, of_the_test_file_take_the_training_ids)
{
	char dir[64], a[128], b[128];
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	put(dir, "test.csv", "a,b,label\n1,0,dog\n0,1,cat\n1,0,dog\n");
	snprintf(a, sizeof a, "%s/train.csv", dir);
	snprintf(b, sizeof b, "%s/test.csv", dir);
	struct dataset train, test;
	struct data_error err;
	cr_assert_eq(data_load_csv(a, "label", 0, true, &train, &err), 0, "%s", err.message);
	cr_assert_eq(data_load_csv_as(b, "label", 0, true, &train, &test, &err), 0, "%s",
	             err.message);
	cr_expect_eq(test.classes, 2);
	cr_expect_str_eq(test.names[0], "cat");
	cr_expect(test.y[0] == 1 && test.y[1] == 0 && test.y[2] == 1);
	data_free(&train);
	data_free(&test);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, shared_by_train_and_test_give_the_right_test_accuracy)
{
	char dir[64], log[128], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	put(dir, "test.csv", test_csv);
	put_nn(dir, "train.csv", "test.csv", "    dense(2)\n", 4, "    log = \"t.jsonl\"\n");
	cr_assert_eq(run_nn("run", dir, &err), 0, "%s", err);
	free(err);
	snprintf(log, sizeof log, "%s/t.jsonl", dir);
	cr_expect_eq(last_value(log, "train_acc"), 1.0);
	cr_expect_eq(last_value(log, "test_acc"), 1.0);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, a_test_label_training_never_saw_is_an_error_naming_it_and_its_line)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	put(dir, "test.csv", "a,b,label\n0,1,cat\n1,1,bird\n");
	put_nn(dir, "train.csv", "test.csv", "    dense(2)\n", 4, "");
	cr_expect_eq(run_nn("run", dir, &err), 1);
	cr_expect(strstr(err, "test.csv:3: column 'label': the label 'bird' is not a label of the "
	                      "training file, whose 2 labels are 'cat', 'dog'"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, names_in_the_test_file_where_training_has_class_ids_are_an_error)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", "a,b,label\n1,0,1\n0,1,0\n");
	put(dir, "test.csv", test_csv);
	put_nn(dir, "train.csv", "test.csv", "    dense(2)\n", 2, "");
	cr_expect_eq(run_nn("run", dir, &err), 1);
	cr_expect(strstr(err, "test.csv:2: the labels of this file are names, but the training "
	                      "file's are class ids"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, class_ids_in_the_test_set_where_training_has_names_are_an_error)
{
	char dir[64], text[800], *err, *cwd = getcwd(NULL, 0);
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	snprintf(text, sizeof text,
	         "data d {\n    train = csv(\"train.csv\", label = \"label\")\n"
	         "    test = npy(\"%s/tests/data/good/x_f4.npy\", \"%s/tests/data/good/y_i8.npy\")\n}\n"
	         "network n {\n    dense(5)\n}\n"
	         "train {\n    network = n\n    data = d\n    optimizer = sgd(lr = 0.5)\n"
	         "    epochs = 3\n    batch = 4\n}\n", cwd, cwd);
	put(dir, "t.nn", text);
	cr_expect_eq(run_nn("run", dir, &err), 1);
	cr_expect(strstr(err, "t.nn:3:12: error: the labels of this test set are class ids, but the "
	                      "training labels are names (cat, ...)"), "%s", err);
	free(err);
	free(cwd);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, a_test_class_id_beyond_the_outputs_is_an_error)
{
	/* today's behaviour, kept: not a silent wrong accuracy */
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", "a,b,label\n1,0,1\n0,1,0\n");
	put(dir, "test.csv", "a,b,label\n1,0,2\n");
	put_nn(dir, "train.csv", "test.csv", "    dense(2)\n", 2, "");
	cr_expect_eq(run_nn("run", dir, &err), 1);
	cr_expect(strstr(err, "ends with 2 outputs, but data 'd' has 3 classes"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, are_saved_in_the_metadata_of_the_weights)
{
	char dir[64], path[128], *err, msg[600];
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	put_nn(dir, "train.csv", NULL, "    dense(2)\n", 4, "    save = \"w.safetensors\"\n");
	cr_assert_eq(run_nn("run", dir, &err), 0, "%s", err);
	free(err);
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	struct st_meta *meta;
	int n;
	cr_assert_eq(st_metadata(path, &meta, &n, msg, sizeof msg), 0, "%s", msg);
	const char *labels = NULL;
	for (int i = 0; i < n; i++)
		if (strcmp(meta[i].key, "labels") == 0)
			labels = meta[i].value;
	cr_expect(labels && strcmp(labels, "[\"cat\", \"dog\"]") == 0, "%s", labels ? labels : "none");
	st_meta_free(meta, n);
	char *raw = slurp(path, NULL); /* the header as a plain JSON reader sees it */
	cr_expect(raw && strstr(raw + 8, "\"labels\":\"[\\\"cat\\\", \\\"dog\\\"]\""), "%s", raw + 8);
	free(raw);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Trains on `train` in dir and saves w.safetensors, then runs a second file in dir that
 * loads it with data `other`; returns the second run's status and *err its stderr. */
static int load_with(const char *dir, const char *train, const char *other, char **err)
{
	put(dir, "a.csv", train);
	put(dir, "b.csv", other);
	put_nn(dir, "a.csv", NULL, "    dense(3)\n", 4, "    save = \"w.safetensors\"\n");
	cr_assert_eq(run_nn("run", dir, err), 0, "%s", *err);
	free(*err);
	put_nn(dir, "b.csv", NULL, "    dense(3)\n", 4, "    load = \"w.safetensors\"\n");
	return run_nn("run", dir, err);
}

static const char three[] = "a,b,label\n1,0,dog\n0,1,cat\n1,1,emu\n0,0,cat\n";

Test(labels, load_refuses_weights_trained_on_other_labels)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	cr_expect_eq(load_with(dir, three, "a,b,label\n1,0,dog\n0,1,cat\n1,1,ant\n", &err), 1);
	cr_expect(strstr(err, "w.safetensors: trained on the labels [\"cat\", \"dog\", \"emu\"], "
	                      "but this data has the labels [\"ant\", \"cat\", \"dog\"]"), "%s", err);
	free(err);
	cr_expect_eq(load_with(dir, three, "a,b,label\n1,0,1\n0,1,0\n1,1,2\n", &err), 1);
	cr_expect(strstr(err, "but this data's labels are class ids"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(labels, load_accepts_the_same_labels_and_weights_without_labels)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	cr_expect_eq(load_with(dir, three, "a,b,label\n1,1,emu\n0,1,dog\n1,0,cat\n", &err), 0, "%s",
	             err);
	free(err);
	/* class ids write no labels: like older weights, they load into any data */
	cr_expect_eq(load_with(dir, "a,b,label\n1,0,1\n0,1,0\n1,1,2\n", three, &err), 0, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- batchnorm needs two rows ---- */

Test(batchnorm, batch_1_is_a_check_error_at_the_batch_key)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	put_nn(dir, "train.csv", NULL, "    dense(4)\n    batchnorm\n    dense(2)\n", 1, "");
	cr_expect_eq(run_nn("check", dir, &err), 1);
	cr_expect(strstr(err, "t.nn:15:13: error: batch = 1 gives batchnorm one row per training "
	                      "batch"), "%s", err);
	cr_expect(strstr(err, "t.nn:7:5: note: the batchnorm layer of network 'n'"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(batchnorm, a_last_batch_of_one_row_is_refused_before_training)
{
	char dir[64], log[128], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", "a,b,label\n1,0,dog\n0,1,cat\n1,0,dog\n0,1,cat\n1,1,cat\n");
	put_nn(dir, "train.csv", NULL, "    dense(4)\n    batchnorm\n    dense(2)\n", 4,
	       "    log = \"t.jsonl\"\n");
	cr_expect_eq(run_nn("run", dir, &err), 1);
	cr_expect(strstr(err, "t.nn:15:13: error: the last batch of every epoch holds one row (5 "
	                      "training rows, batch = 4)"), "%s", err);
	cr_expect(strstr(err, "help: choose another batch size, e.g. batch = 3"), "%s", err);
	free(err);
	snprintf(log, sizeof log, "%s/t.jsonl", dir);
	cr_expect_neq(access(log, F_OK), 0, "no epoch may run");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(batchnorm, a_last_batch_of_one_row_counts_the_rows_after_the_validation_split)
{
	char dir[64], text[600], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "six.csv", "a,b,label\n1,0,dog\n0,1,cat\n1,0,dog\n0,1,cat\n1,1,cat\n1,1,dog\n");
	snprintf(text, sizeof text,
	         "data d {\n    train = csv(\"six.csv\", label = \"label\")\n    validation = 0.2\n}\n"
	         "network n {\n    dense(4, bias = false)\n    batchnorm\n    dense(2)\n}\n"
	         "train {\n    network = n\n    data = d\n    optimizer = sgd(lr = 0.5)\n"
	         "    epochs = 3\n    batch = 4\n}\n");
	put(dir, "t.nn", text);
	cr_expect_eq(run_nn("run", dir, &err), 1);
	cr_expect(strstr(err, "t.nn:15:13: error: the last batch of every epoch holds one row (5 "
	                      "training rows after the validation split of 1, batch = 4)"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- data files that exist but cannot be read ---- */

/* dir/x.csv is what make_bad left there; a good x.csv waits in dir/elsewhere, which
 * $DESCENT_DATA names: the search must stop at the first and never load the second. */
static void expect_unreadable(void (*make_bad)(const char *path), const char *why)
{
	char dir[64], path[128], other[128], *err;
	cr_assert(scratch_dir(dir));
	snprintf(other, sizeof other, "%s/elsewhere", dir);
	cr_assert_eq(mkdir(other, 0755), 0);
	put(other, "x.csv", train_csv);
	setenv("DESCENT_DATA", other, 1);
	snprintf(path, sizeof path, "%s/x.csv", dir);
	make_bad(path);
	put_nn(dir, "x.csv", NULL, "    dense(2)\n", 4, "");
	cr_expect_eq(run_nn("run", dir, &err), 1);
	cr_expect(strstr(err, "t.nn:2:17: error: cannot read the data file \"x.csv\": "), "%s", err);
	cr_expect(strstr(err, why), "%s", err);
	cr_expect(strstr(err, "the search stops at the first file of that name"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

static void dangling_link(const char *path)
{
	cr_assert_eq(symlink("nowhere.csv", path), 0);
}

static void folder(const char *path)
{
	cr_assert_eq(mkdir(path, 0755), 0);
}

Test(data_files, a_link_to_nothing_stops_the_search)
{
	expect_unreadable(dangling_link, "x.csv: it is a symbolic link to a file that does not exist");
}

Test(data_files, a_folder_stops_the_search)
{
	expect_unreadable(folder, "x.csv: it is a folder, not a file");
}

/* Copies the file at from to to, executable by everyone; 0 or -1. */
static int copy_program(const char *from, const char *to)
{
	size_t len;
	char *bytes = slurp(from, &len);
	FILE *f = bytes ? fopen(to, "wb") : NULL;
	int status = f && fwrite(bytes, 1, len, f) == len ? 0 : -1;
	if (f && fclose(f) != 0)
		status = -1;
	free(bytes);
	return status == 0 ? chmod(to, 0755) : -1;
}

Test(data_files, one_without_read_permission_stops_the_search)
{
	/* root reads anything: as root the run drops to user nobody with setpriv */
	bool root = geteuid() == 0;
	if (root && access("/usr/bin/setpriv", X_OK) != 0)
		cr_skip_test("running as root without /usr/bin/setpriv to drop the permission");
	char dir[64], other[128], path[128], cmd[600];
	cr_assert(scratch_dir(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(other, sizeof other, "%s/elsewhere", dir);
	cr_assert_eq(mkdir(other, 0755), 0);
	put(other, "x.csv", train_csv);
	put(dir, "x.csv", train_csv);
	snprintf(path, sizeof path, "%s/x.csv", dir);
	cr_assert_eq(chmod(path, 0), 0);
	put_nn(dir, "x.csv", NULL, "    dense(2)\n", 4, "");
	snprintf(path, sizeof path, "%s/t.nn", dir);
	cr_assert_eq(chmod(path, 0644), 0);
	snprintf(path, sizeof path, "%s/descent", dir);
	const char *program = getenv("DESCENT") ? getenv("DESCENT") : "./descent";
	cr_assert_eq(copy_program(program, path), 0, "%s", program);
	snprintf(cmd, sizeof cmd, "cd %s && DESCENT_DATA=%s %s ./descent run --quiet t.nn "
	         "2> err.txt", dir, other, root ? "setpriv --reuid=65534 --regid=65534 "
	         "--clear-groups" : "");
	int status = system(cmd);
	snprintf(path, sizeof path, "%s/err.txt", dir);
	char *err = slurp(path, NULL);
	cr_assert(err);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d: %s", status, err);
	cr_expect(strstr(err, "t.nn:2:17: error: cannot read the data file \"x.csv\": ./x.csv: "
	                      "permission denied"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- NPY ---- */

Test(npy, object_arrays_are_refused_as_such)
{
	struct dataset ds;
	struct data_error err;
	cr_expect_eq(data_load_npy("tests/data/bad/object.npy", "tests/data/good/y_i8.npy", &ds,
	                           &err), -1);
	cr_expect(strstr(err.message, "object.npy: an NPY array of Python objects (dtype object) "
	                              "is not supported"), "%s", err.message);
}

Test(npy, a_nan_names_its_element_and_sample)
{
	struct dataset ds;
	struct data_error err;
	cr_expect_eq(data_load_npy("tests/data/bad/nan.npy", "tests/data/good/y_i8.npy", &ds, &err),
	             -1);
	cr_expect(strstr(err.message, "nan.npy: offset 136: element 2 (sample 1) is nan, not a "
	                              "finite number"), "%s", err.message);
}

/* ---- warnings ---- */

Test(warnings, more_outputs_than_classes)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	put_nn(dir, "train.csv", NULL, "    dense(5)\n", 4, "");
	cr_expect_eq(run_nn("run", dir, &err), 0, "%s", err);
	cr_expect(strstr(err, "t.nn:5:9: warning: network 'n' ends with 5 outputs, but data 'd' "
	                      "has 2 classes: outputs 2 to 4 stand for no class"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(warnings, a_data_set_of_one_class)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", "a,b,label\n1,0,dog\n0,1,dog\n1,1,dog\n");
	put_nn(dir, "train.csv", NULL, "    dense(1)\n", 3, "");
	cr_expect_eq(run_nn("run", dir, &err), 0, "%s", err);
	cr_expect(strstr(err, "t.nn:2:13: warning: data 'd' has one class: every one of its 3 "
	                      "training rows has the label 'dog'"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(warnings, a_batch_larger_than_the_data)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	put(dir, "train.csv", train_csv);
	put_nn(dir, "train.csv", NULL, "    dense(2)\n", 64, "");
	cr_expect_eq(run_nn("run", dir, &err), 0, "%s", err);
	cr_expect(strstr(err, "t.nn:13:13: warning: batch = 64 is larger than the 4 training rows"),
	          "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}
