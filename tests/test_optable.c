/* test_optable.c — the op table of the IR and shapes end to end: gradients through a
 * softmax inside a network and through a flatten view, each sample's shape from the data
 * (IDX images (1, H, W), NPY trailing dimensions), flatten and input(C, H, W) checked
 * against it, dense on images refused at its line, `descent ir`'s model summary, N-d
 * safetensors, and flatten shifting neither names nor weights. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.h"
#include "helpers.h"
#include "net.h"
#include "safetensors.h"

enum { ROWS = 5 };

/* flatten (1, 2, 2) → dense(4 → 6) → softmax → dense(6 → 3), mse: a softmax that is not
 * the last layer, so not fused into the loss. */
static void build_softmax_inside(struct net *n)
{
	char err[600];
	*n = (struct net){.opt = {.kind = OPT_SGD, .lr = 0.1}, .loss = LOSS_MSE};
	n->input = (struct shape){3, {1, 2, 2}};
	const struct net_layer layers[] = {
		{.op = IR_FLATTEN, .name = "flatten1"},
		{.op = IR_DENSE, .name = "dense1", .a.dense = {6, true, INIT_DEFAULT}},
		{.op = IR_SOFTMAX, .name = "softmax1"},
		{.op = IR_DENSE, .name = "dense2", .a.dense = {3, true, INIT_XAVIER}},
	};
	for (int i = 0; i < 4; i++)
		cr_assert_eq(net_add(n, &layers[i], err, sizeof err), 0, "%s", err);
	cr_assert_eq(net_plan(n, ROWS, err, sizeof err), 0, "%s", err);
	net_init(n, 3);
	n->training = true;
}

static double mean_loss(struct net *n, const float *x, const int32_t *y, bool backward)
{
	memcpy(net_input(n), x, ROWS * 4 * sizeof *x);
	net_forward(n, ROWS);
	return net_loss(n, y, ROWS, backward, NULL) / ROWS;
}

Test(optable, gradients_through_a_softmax_inside_the_network_match_finite_differences)
{
	struct net n;
	build_softmax_inside(&n);
	cr_assert(!n.fused_softmax);
	cr_assert_neq(n.layers[2].y, n.layers[2].x, "the inner softmax has its own output");
	cr_assert_eq(n.layers[0].y, n.layers[0].x, "flatten is a view");
	float x[ROWS * 4];
	int32_t y[ROWS] = {0, 2, 1, 1, 0};
	for (int i = 0; i < ROWS * 4; i++)
		x[i] = (float)(2 * cos(0.9 * i));
	mean_loss(&n, x, y, true);
	float *grad = malloc((size_t)n.nparams * sizeof *grad);
	memcpy(grad, n.grads, (size_t)n.nparams * sizeof *grad);
	double largest = 0;
	for (int64_t p = 0; p < n.nparams; p++) {
		float keep = n.params[p], h = 1e-2f;
		n.params[p] = keep + h;
		double up = mean_loss(&n, x, y, false);
		n.params[p] = keep - h;
		double down = mean_loss(&n, x, y, false);
		n.params[p] = keep;
		double fd = (up - down) / (2.0 * h);
		largest = fmax(largest, fabs(fd));
		cr_expect_leq(fabs(grad[p] - fd), 1e-4 + 2e-2 * fabs(fd), "parameter %lld: %g against %g",
		              (long long)p, (double)grad[p], fd);
	}
	cr_expect_gt(largest, 1e-3, "the gradients are all near 0: the test shows nothing");
	/* dense1's gradient goes through the softmax: it must not vanish */
	double dense1 = 0;
	for (int64_t p = 0; p < 6 * 4; p++)
		dense1 = fmax(dense1, fabs(grad[n.layers[1].tensors[0].offset + p]));
	cr_expect_gt(dense1, 1e-4);
	free(grad);
	net_free(&n);
}

Test(optable, the_shape_rule_refuses_dense_on_images_with_a_help)
{
	struct net n = {.input = {3, {1, 28, 28}}};
	struct net_layer dense = {.op = IR_DENSE, .name = "dense1", .a.dense = {10, true, INIT_DEFAULT}};
	char err[600];
	cr_assert_eq(net_add(&n, &dense, err, sizeof err), -1);
	cr_expect(strstr(err, "dense takes one dimension of features, but its input has shape "
	                 "(1, 28, 28)\nadd `flatten` before it") != NULL, "%s", err);
	struct net_layer flatten = {.op = IR_FLATTEN, .name = "flatten1"};
	cr_assert_eq(net_add(&n, &flatten, err, sizeof err), 0, "%s", err);
	cr_assert_eq(net_add(&n, &dense, err, sizeof err), 0, "%s", err);
	cr_expect_eq(n.layers[0].out, 784);
	cr_expect_eq(n.layers[1].index, 0, "a view takes no counter block of init and dropout");
	cr_expect_eq(n.nparams, 7850);
}

/* ---- data ---- */

#define GOOD "tests/data/good/"

Test(optable, idx_images_keep_their_shape)
{
	struct dataset ds;
	struct data_error err;
	cr_assert_eq(data_load_idx(GOOD "images.idx", GOOD "labels.idx", &ds, &err), 0, "%s",
	             err.message);
	cr_expect_eq(ds.shape.ndim, 3);
	cr_expect(ds.shape.dim[0] == 1 && ds.shape.dim[1] == 2 && ds.shape.dim[2] == 2);
	struct dataset train, val;
	cr_assert_eq(data_split(&ds, 0.4, 1, &train, &val), 0);
	cr_expect(shape_equal(&train.shape, &ds.shape) && shape_equal(&val.shape, &ds.shape));
	data_free(&train);
	data_free(&val);
	data_free(&ds);
}

static struct shape npy_shape(const char *dir, const int64_t *shape, int ndim)
{
	char x[128], y[128];
	snprintf(x, sizeof x, "%s/x.npy", dir);
	snprintf(y, sizeof y, "%s/y.npy", dir);
	cr_assert_eq(write_npy_f32(x, shape, ndim), 0);
	cr_assert_eq(write_npy_f32(y, shape, 1), 0);
	struct dataset ds;
	struct data_error err;
	cr_assert_eq(data_load_npy(x, y, &ds, &err), 0, "%s", err.message);
	struct shape s = ds.shape;
	cr_expect_eq(shape_size(&s), ds.d);
	data_free(&ds);
	return s;
}

Test(optable, npy_keeps_the_trailing_dimensions)
{
	char dir[64], text[64];
	cr_assert(scratch_dir(dir));
	struct shape s = npy_shape(dir, (int64_t[]){4, 5}, 2);
	cr_expect_str_eq(shape_format(&s, text, sizeof text), "(5)");
	s = npy_shape(dir, (int64_t[]){4, 3, 2}, 3);
	cr_expect_str_eq(shape_format(&s, text, sizeof text), "(1, 3, 2)");
	s = npy_shape(dir, (int64_t[]){4, 2, 3, 2}, 4);
	cr_expect_str_eq(shape_format(&s, text, sizeof text), "(2, 3, 2)");
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- end to end ---- */

/* A file over the test IDX images (3 images 2×2, classes 0..2) with the given network. */
static int run_idx(const char *command, const char *network, char **out, char **err)
{
	char *cwd = getcwd(NULL, 0), text[2000];
	snprintf(text, sizeof text,
	         "data d {\n train = idx(\"%s/" GOOD "images.idx\", \"%s/" GOOD "labels.idx\")\n}\n"
	         "network n {\n%s}\n"
	         "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n"
	         " batch = 3\n}\n", cwd, cwd, network);
	free(cwd);
	return run_descent((const char *const[]){command, "-", NULL}, text, out, err);
}

Test(optable, dense_on_idx_images_is_an_error_at_its_line_with_a_help)
{
	char *err;
	cr_expect_eq(run_idx("run", " relu\n dense(3)\n", NULL, &err), 1);
	cr_expect(strstr(err, "<stdin>:6:2: error: dense takes one dimension of features, but its "
	                 "input has shape (1, 2, 2)") != NULL, "%s", err);
	cr_expect(strstr(err, "help: add `flatten` before it (PyTorch's nn.Flatten, Keras' Flatten)")
	          != NULL, "%s", err);
	free(err);
}

Test(optable, flatten_makes_idx_images_features)
{
	char *out, *err;
	cr_expect_eq(run_idx("run", " flatten\n dense(3)\n", &out, &err), 0, "%s", err);
	free(out);
	free(err);
}

Test(optable, input_is_checked_against_the_sample_shape)
{
	char *out, *err;
	cr_expect_eq(run_idx("run", " input(1, 2, 2)\n flatten\n dense(3)\n", &out, &err), 0, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(run_idx("run", " input(4)\n flatten\n dense(3)\n", NULL, &err), 1);
	cr_expect(strstr(err, "error: input(4), but the data's samples have shape (1, 2, 2)") != NULL,
	          "%s", err);
	cr_expect(strstr(err, "help: write the sample's shape, or put `flatten` after input(...)")
	          != NULL, "%s", err);
	free(err);
	cr_expect_eq(run_idx("run", " input(1, 2)\n flatten\n dense(3)\n", NULL, &err), 1);
	cr_expect(strstr(err, "error: input takes one size or three, not two") != NULL, "%s", err);
	free(err);
}

Test(optable, ir_prints_the_model_summary_with_shapes_and_parameters)
{
	char *out, *err;
	cr_assert_eq(run_idx("ir", " flatten\n dense(5, bias = false)\n batchnorm\n relu\n dense(3)\n",
	                     &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "summary\n"
	                 "  layer                    op           output shape           parameters       memory\n"
	                 "  flatten1                 flatten      (4)                             0     0.000 MB\n"
	                 "  dense1                   dense        (5)                            20     0.000 MB\n"
	                 "  batchnorm1               batchnorm    (5)                            10     0.000 MB\n"
	                 "  relu1                    relu         (5)                             0     0.000 MB\n"
	                 "  dense2                   dense        (3)                            18     0.000 MB\n"
	                 "  total                                                                48     0.001 MB\n")
	          != NULL, "%s", out);
	cr_expect(strstr(out, "flatten1 = flatten(x), a view: (1, 2, 2) → (4)") != NULL, "%s", out);
	cr_expect(strstr(out, "  x                        activation (3, 1, 2, 2)\n") != NULL, "%s", out);
	cr_expect(strstr(out, "ddense1.weight += ddense1ᵀ · flatten1\n") != NULL, "%s", out);
	cr_expect(strstr(out, "dflatten1 = ") == NULL, "no input gradient below a first view: %s", out);
	free(out);
	free(err);
}

/* Runs text (a file writing t.safetensors and t.jsonl) in dir. */
static void run_in(const char *dir, const char *network)
{
	char path[128], text[1200], *err;
	snprintf(text, sizeof text,
	         "data d { train = blobs(60, classes = 3, dim = 4) }\n"
	         "network n {\n%s}\n"
	         "train t {\n network = n\n data = d\n optimizer = adam(lr = 0.01)\n epochs = 2\n"
	         " batch = 8\n seed = 5\n save = \"t.safetensors\"\n log = \"t.jsonl\"\n}\n", network);
	snprintf(path, sizeof path, "%s/t.nn", dir);
	cr_assert_eq(write_text(path, text), 0);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", path, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
}

/* Zeroes the network's hash in the model metadata of dir's weights file name. */
static void blank_network_id(const char *dir, const char *name)
{
	char path[128];
	size_t len;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *text = slurp(path, &len), *at = text ? strstr(text + 8, "\\\"network\\\": \\\"") : NULL;
	cr_assert(at, "no network hash in %s", path);
	memset(at + strlen("\\\"network\\\": \\\""), '0', 16);
	FILE *f = fopen(path, "wb");
	cr_assert(f && fwrite(text, 1, len, f) == len && fclose(f) == 0);
	free(text);
}

Test(optable, flatten_shifts_neither_names_nor_weights)
{
	char one[64], two[64];
	cr_assert(scratch_dir(one));
	cr_assert(scratch_dir(two));
	run_in(one, " dense(8)\n relu\n dropout(rate = 0.3)\n dense(3)\n");
	run_in(two, " flatten\n dense(8)\n relu\n dropout(rate = 0.3)\n flatten\n dense(3)\n");
	/* the weights record their network's hash (model_id.h), which flatten changes */
	blank_network_id(one, "t.safetensors");
	blank_network_id(two, "t.safetensors");
	const char *differ = runs_differ(one, two, "t.safetensors", "t.jsonl");
	cr_expect(differ == NULL, "%s", differ);
	cr_expect_eq(remove_tree(one), 0);
	cr_expect_eq(remove_tree(two), 0);
}

Test(optable, safetensors_round_trips_a_4d_tensor)
{
	char dir[64], path[128], err[300];
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	float w[2 * 3 * 2 * 2], back[24];
	for (int i = 0; i < 24; i++)
		w[i] = (float)i / 3;
	struct st_tensor out = {"conv1.weight", 4, {2, 3, 2, 2}, w};
	cr_assert_eq(st_save(path, &out, 1, NULL, 0, err, sizeof err), 0, "%s", err);
	size_t len;
	char *text = slurp(path, &len);
	cr_assert(text);
	cr_expect(strstr(text + 8, "\"shape\":[2,3,2,2]") != NULL);
	free(text);
	struct st_tensor in = {"conv1.weight", 4, {2, 3, 2, 2}, back};
	cr_assert_eq(st_load(path, &in, 1, err, sizeof err), 0, "%s", err);
	cr_expect_eq(memcmp(w, back, sizeof w), 0);
	struct st_tensor wrong = {"conv1.weight", 4, {2, 3, 1, 4}, back};
	cr_expect_eq(st_load(path, &wrong, 1, err, sizeof err), -1);
	cr_expect(strstr(err, "is F32 [2, 3, 2, 2]; the network needs F32 [2, 3, 1, 4]") != NULL,
	          "%s", err);
	cr_expect_eq(remove_tree(dir), 0);
}
