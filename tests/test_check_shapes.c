/* test_check_shapes.c — `descent check` walks each network on its data's sample shape read
 * from the data files' headers alone (issue #12): a conv on flat CSV rows, a dense on IDX
 * images without flatten, a pool that leaves no pixels of NPY images are errors at the
 * layer's line, with the shapes, before anything runs; a valid CNN and a file whose data
 * is elsewhere still check clean. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Writes a float32 NPY array of the given shape to dir/name. */
static void write_npy_in(const char *dir, const char *name, const int64_t *shape, int ndim)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	cr_assert_eq(write_npy_f32(path, shape, ndim), 0, "%s", path);
}

/* Runs `descent check` on dir/t.nn holding a data block of source (line 2), the network
 * (from line 5) and a train block; returns the exit status, *out and *err its output. */
static int check_with(const char *dir, const char *source, const char *network, char **out,
                      char **err)
{
	char path[160], text[2000];
	snprintf(text, sizeof text,
	         "data d {\n train = %s\n}\nnetwork n {\n%s}\n"
	         "train t {\n network = n\n data = d\n optimizer = adam(lr = 0.01)\n epochs = 2\n"
	         " batch = 4\n}\n", source, network);
	snprintf(path, sizeof path, "%s/t.nn", dir);
	cr_assert_eq(write_text(path, text), 0);
	return run_descent((const char *const[]){"check", path, NULL}, NULL, out, err);
}

/* Expects check to refuse network over source with message (and help, unless NULL). */
static void expect_refused(const char *dir, const char *source, const char *network,
                           const char *message, const char *help)
{
	char *out, *err;
	cr_expect_eq(check_with(dir, source, network, &out, &err), 1, "%s%s", out, err);
	cr_expect(strstr(err, message) != NULL, "%s", err);
	cr_expect(!help || strstr(err, help) != NULL, "%s", err);
	cr_expect(strstr(out, ": ok (") == NULL, "%s", out);
	free(out);
	free(err);
}

static void expect_clean(const char *dir, const char *source, const char *network)
{
	char *out, *err;
	cr_expect_eq(check_with(dir, source, network, &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "t.nn: ok (") != NULL, "%s", out);
	free(out);
	free(err);
}

Test(check_shapes, a_conv_over_csv_rows_is_an_error_at_its_line)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	char path[160];
	snprintf(path, sizeof path, "%s/rows.csv", dir);
	cr_assert_eq(write_text(path, "a,b,c,label\n1,2,3,0\n4,5,6,1\n"), 0);
	expect_refused(dir, "csv(\"rows.csv\", label = \"label\")", " conv2d(4, 3)\n flatten\n dense(2)\n",
	               "t.nn:5:2: error: conv2d takes images (C, H, W), but its input has shape (3)",
	               "help: a flat input has no pixels");
	snprintf(path, sizeof path, "%s/plain.csv", dir); /* no header: the first row's width */
	cr_assert_eq(write_text(path, "\n1,2,3,4,5,0\n4,5,6,7,8,1\n"), 0);
	expect_refused(dir, "csv(\"plain.csv\", label = 5, header = false)", " dense(3)\n maxpool(2)\n",
	               "t.nn:6:2: error: maxpool takes images (C, H, W), but its input has shape (3)",
	               NULL);
	expect_clean(dir, "csv(\"plain.csv\", label = 5, header = false)", " dense(3)\n relu\n dense(2)\n");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(check_shapes, a_dense_on_idx_images_without_flatten_is_an_error_with_the_shape)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	for (int gz = 0; gz < 2; gz++) {
		cr_assert_eq(write_idx_pair(dir, 6, 8, 8, gz), 0);
		const char *source = gz ? "idx(\"images.idx.gz\", \"labels.idx\")"
			: "idx(\"images.idx\", \"labels.idx\")";
		expect_refused(dir, source, " dense(16)\n relu\n dense(3)\n",
		               "t.nn:5:2: error: dense takes one dimension of features, but its input has "
		               "shape (1, 8, 8)", "help: add `flatten` before it");
		expect_refused(dir, source, " conv2d(4, 3)\n relu\n dense(3)\n",
		               "t.nn:7:2: error: dense takes one dimension of features, but its input has "
		               "shape (4, 6, 6)", "help: add `flatten` before it");
		expect_clean(dir, source, " conv2d(4, 3)\n relu\n maxpool(2)\n flatten\n dense(3)\n");
	}
	cr_expect_eq(remove_tree(dir), 0);
}

Test(check_shapes, a_pool_that_leaves_no_pixels_of_npy_images_is_an_error_with_the_shapes)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	write_npy_in(dir, "x.npy", (const int64_t[]){6, 5, 5}, 3);
	write_npy_in(dir, "y.npy", (const int64_t[]){6}, 1);
	write_npy_in(dir, "x4.npy", (const int64_t[]){6, 2, 5, 5}, 4);
	write_npy_in(dir, "flat.npy", (const int64_t[]){6, 7}, 2);
	expect_refused(dir, "npy(\"x.npy\", \"y.npy\")",
	               " conv2d(2, 3)\n maxpool(4)\n flatten\n dense(3)\n",
	               "t.nn:6:2: error: maxpool's kernel (4, 4) is larger than its input (3, 3) of "
	               "shape (2, 3, 3): no pixels left", NULL);
	expect_refused(dir, "npy(\"x4.npy\", \"y.npy\")", " avgpool(6)\n flatten\n dense(3)\n",
	               "t.nn:5:2: error: avgpool's kernel (6, 6) is larger than its input (5, 5) of "
	               "shape (2, 5, 5): no pixels left", NULL);
	expect_refused(dir, "npy(\"flat.npy\", \"y.npy\")", " dense(3)\n conv2d(2, 1)\n",
	               "t.nn:6:2: error: conv2d takes images (C, H, W), but its input has shape (3)",
	               NULL);
	expect_clean(dir, "npy(\"x4.npy\", \"y.npy\")", " conv2d(2, 3)\n maxpool(3)\n flatten\n dense(3)\n");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(check_shapes, generated_sets_are_flat)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	expect_refused(dir, "blobs(n = 30, classes = 3, dim = 5)", " conv2d(2, 3)\n dense(3)\n",
	               "t.nn:5:2: error: conv2d takes images (C, H, W), but its input has shape (5)",
	               NULL);
	expect_refused(dir, "spirals(n = 30, classes = 3)", " maxpool(2)\n dense(3)\n",
	               "t.nn:5:2: error: maxpool takes images (C, H, W), but its input has shape (2)",
	               NULL);
	expect_clean(dir, "xor(n = 30)", " dense(4)\n relu\n dense(2)\n");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(check_shapes, a_data_file_that_is_not_there_says_nothing_of_shapes)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	expect_clean(dir, "idx(\"nowhere.idx\", \"labels.idx\")", " dense(16)\n dense(3)\n");
	char path[160];
	snprintf(path, sizeof path, "%s/images.idx", dir); /* not IDX: the run says so */
	cr_assert_eq(write_text(path, "hello\n"), 0);
	expect_clean(dir, "idx(\"images.idx\", \"labels.idx\")", " conv2d(2, 3)\n dense(3)\n");
	cr_expect_eq(remove_tree(dir), 0);
}
