/* test_numerics.c — training numbers that no other suite pins: PyTorch goldens of training
 * under schedules (with a momentum cycle), with a partial last batch, and with batchnorm
 * under weight decay that spares γ and β (tests/golden/train/, made by make_goldens.py);
 * relu's and leaky_relu's derivative at exactly 0; a run whose loss explodes (exit 3, also
 * after --resume); and a momentum_schedule on an optimizer without momentum, in train and
 * minimize blocks alike. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden_weights.h"
#include "helpers.h"
#include "layers.h"
#include "optim.h"
#include "safetensors.h"

/* The numbers of a golden file, one a line; returns how many. */
static int golden_values(const char *name, const char *ext, double *out, int max)
{
	char path[128];
	snprintf(path, sizeof path, "tests/golden/train/%s%s", name, ext);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "no golden %s", path);
	int n = 0;
	while (n < max && fscanf(f, "%lf", &out[n]) == 1)
		n++;
	fclose(f);
	return n;
}

enum { MAX_EPOCHS = 32 };

/* One golden case: descent's keys for what PyTorch ran. */
struct golden_case {
	const char *name;      /* NAME of NAME.losses, NAME.lrs, NAME.safetensors */
	const char *network;   /* the network block's lines */
	const char *init;      /* the initial weights (a golden file) */
	const struct golden_tensor *specs;
	const char *keys;      /* optimizer, schedules, batch, epochs, ... */
	int epochs;
};

static const char *const plain_net = " dense(32)\n relu\n dense(10)\n";
static const char *const batchnorm_net = " dense(32, bias = false)\n batchnorm()\n relu\n dense(10)\n";

/* Trains c's block on tiny.csv in file order from c->init, and compares each epoch's
 * train_loss and lr in the log, and the final tensors, with PyTorch's. */
static void expect_golden(const struct golden_case *c)
{
	char dir[64], nn[128], text[2000], path[128], golden[128];
	cr_assert(scratch_dir(dir));
	char *cwd = getcwd(NULL, 0);
	snprintf(nn, sizeof nn, "%s/t.nn", dir);
	snprintf(text, sizeof text,
	         "data d {\n train = csv(\"%s/tests/golden/train/tiny.csv\", label = \"digit\")\n"
	         " scale = 1/16\n shuffle = false\n}\nnetwork n {\n%s}\n"
	         "train t {\n network = n\n data = d\n%s load = \"%s/tests/golden/train/%s\"\n"
	         " log = \"t.jsonl\"\n save = \"t.safetensors\"\n}\n", cwd, c->network, c->keys,
	         cwd, c->init);
	cr_assert_eq(write_text(nn, text), 0);
	char *err;
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	double ours[MAX_EPOCHS], rates[MAX_EPOCHS], torch[MAX_EPOCHS], torch_rates[MAX_EPOCHS];
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	cr_assert_eq(log_values(path, "train_loss", ours, MAX_EPOCHS), c->epochs);
	cr_assert_eq(log_values(path, "lr", rates, MAX_EPOCHS), c->epochs);
	cr_assert_eq(golden_values(c->name, ".losses", torch, MAX_EPOCHS), c->epochs);
	cr_assert_eq(golden_values(c->name, ".lrs", torch_rates, MAX_EPOCHS), c->epochs);
	for (int e = 0; e < c->epochs; e++) {
		cr_expect_leq(fabs(ours[e] - torch[e]), 1e-4 * fabs(torch[e]),
		              "%s epoch %d: loss %.9g vs %.9g", c->name, e + 1, ours[e], torch[e]);
		cr_expect_leq(fabs(rates[e] - torch_rates[e]), 1e-12 * fabs(torch_rates[e]) + 1e-15,
		              "%s epoch %d: lr %.17g vs %.17g", c->name, e + 1, rates[e], torch_rates[e]);
	}
	snprintf(path, sizeof path, "%s/t.safetensors", dir);
	snprintf(golden, sizeof golden, "tests/golden/train/%s.safetensors", c->name);
	golden_expect_weights(c->name, path, golden, c->specs);
	free(cwd);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(golden, training_with_warmup_then_cosine_matches_pytorch)
{
	expect_golden(&(struct golden_case){
		"sched_warmup_cosine", plain_net, "init.safetensors", golden_plain,
		" optimizer = sgd(lr = 0.1, momentum = 0.9)\n"
		" schedule = warmup(5, start_factor = 0.2) then cosine(15)\n epochs = 20\n batch = 64\n",
		20});
}

Test(golden, training_with_warm_restarts_matches_pytorch)
{
	expect_golden(&(struct golden_case){
		"sched_sgdr", plain_net, "init.safetensors", golden_plain,
		" optimizer = adam(lr = 0.01)\n schedule = cosine_restart(T0 = 4, T_mult = 2)\n"
		" epochs = 20\n batch = 64\n", 20});
}

/* OneCycleLR's momentum cycle (0.95 → 0.85 over 5 steps, back over 14) written as a
 * momentum_schedule: see make_goldens.py. */
Test(golden, training_with_one_cycle_and_its_momentum_matches_pytorch)
{
	expect_golden(&(struct golden_case){
		"sched_one_cycle", plain_net, "init.safetensors", golden_plain,
		" optimizer = sgd(lr = 0.1, momentum = 0.95)\n schedule = one_cycle(20)\n"
		" momentum_schedule = cosine(5, eta_min = 0.85) then "
		"one_cycle(total = 30, pct_start = 0.5, div = 0.95 / 0.85)\n epochs = 20\n batch = 64\n",
		20});
}

Test(golden, training_with_a_partial_last_batch_matches_pytorch)
{
	expect_golden(&(struct golden_case){
		"partial_batch", plain_net, "init.safetensors", golden_plain,
		" optimizer = sgd(lr = 0.1, momentum = 0.9)\n epochs = 10\n batch = 48\n", 10});
}

Test(golden, weight_decay_spares_batchnorm_gamma_and_beta_without_decay_biases)
{
	expect_golden(&(struct golden_case){
		"bn_wd_no_bias_decay", batchnorm_net, "init_bn.safetensors", golden_with_batchnorm,
		" optimizer = adamw(lr = 0.01, wd = 0.5)\n decay_biases = false\n epochs = 20\n"
		" batch = 64\n", 20});
}

/* PyTorch's threshold backward: relu passes nothing at exactly 0 (either sign of zero),
 * leaky_relu passes slope times the gradient there. */
Test(activations, relu_and_leaky_relu_derivatives_at_zero_are_pytorchs)
{
	const float in32[3] = {0.0f, -0.0f, 1e-30f}, dout32[3] = {2, 3, 5};
	const double in64[3] = {0.0, -0.0, 1e-300}, dout64[3] = {2, 3, 5};
	float d32[3];
	double d64[3];
	act_backward_f32(d32, dout32, in32, in32, 3, ACT_RELU, 0);
	act_backward_f64(d64, dout64, in64, in64, 3, ACT_RELU, 0);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(d32[i], 0.0f, "relu'(%g) passes %g", (double)in32[i], (double)d32[i]);
		cr_expect_eq(d64[i], 0.0, "relu'(%g) passes %g", in64[i], d64[i]);
	}
	cr_expect_eq(d32[2], 5.0f);
	cr_expect_eq(d64[2], 5.0);
	act_backward_f32(d32, dout32, in32, in32, 3, ACT_LEAKY_RELU, 0.25);
	act_backward_f64(d64, dout64, in64, in64, 3, ACT_LEAKY_RELU, 0.25);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(d32[i], 0.25f * dout32[i], "leaky_relu'(%g) passes %g", (double)in32[i],
		             (double)d32[i]);
		cr_expect_eq(d64[i], 0.25 * dout64[i], "leaky_relu'(%g) passes %g", in64[i], d64[i]);
	}
	cr_expect_eq(d32[2], 5.0f);
	cr_expect_eq(d64[2], 5.0);
}

/* A block that trains blobs with the optimizer and extra keys; the log, weights and
 * checkpoint go to e.jsonl, e.safetensors, e.ckpt beside it. */
static void write_blobs_file(const char *nn, const char *optimizer, const char *extra)
{
	char text[1200];
	snprintf(text, sizeof text,
	         "data d { train = blobs(200, classes = 2, dim = 4) }\n"
	         "network n {\n dense(16)\n relu\n dense(2)\n}\n"
	         "train big {\n network = n\n data = d\n optimizer = %s\n%s epochs = 3\n"
	         " log = \"e.jsonl\"\n save = \"e.safetensors\"\n}\n", optimizer, extra);
	cr_assert_eq(write_text(nn, text), 0);
}

/* The path dir/name (in a static buffer of each call's own). */
static const char *in_dir(char buf[200], const char *dir, const char *name)
{
	snprintf(buf, 200, "%s/%s", dir, name);
	return buf;
}

Test(divergence, an_exploding_loss_stops_the_run_with_exit_3_its_step_and_loss)
{
	char dir[64], nn[200], path[200];
	cr_assert(scratch_dir(dir));
	write_blobs_file(in_dir(nn, dir, "e.nn"), "sgd(lr = 1e6)", "");
	char *err;
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             3, "%s", err);
	cr_expect(strstr(err, "e.nn:7:7: error: big diverged at step 7 (epoch 1): the epoch's mean "
	                      "training loss ") != NULL, "%s", err);
	cr_expect(strstr(err, " is more than 10 times the first batch's loss before any update (")
	          != NULL, "%s", err);
	cr_expect(strstr(err, "help: the rate was 1e+06; try a smaller lr") != NULL, "%s", err);
	free(err);
	cr_expect_neq(access(in_dir(path, dir, "e.safetensors"), F_OK), 0, "a diverged run saved weights");
	/* a log replaces the old one only with a whole epoch's line: here none was written */
	cr_expect_neq(access(in_dir(path, dir, "e.jsonl"), F_OK), 0, "the diverged epoch was logged");
	cr_expect_eq(remove_tree(dir), 0);
}

/* One update at lr 1e38 leaves a finite training loss (computed before it) and weights
 * whose outputs overflow: the test loss after the epoch is nan. That is a divergence, not
 * an "ok" run with "test_loss": -nan in its log (which is not even JSON). */
Test(divergence, a_test_loss_that_is_not_finite_after_the_epoch_is_a_divergence)
{
	char dir[64], nn[200], path[200];
	cr_assert(scratch_dir(dir));
	cr_assert_eq(write_text(in_dir(nn, dir, "e.nn"),
	                        "data d {\n train = blobs(60, classes = 3, dim = 4)\n"
	                        " test = blobs(30, classes = 3, dim = 4)\n}\n"
	                        "network n { dense(3) }\n"
	                        "train big {\n network = n\n data = d\n batch = 60\n"
	                        " optimizer = sgd(lr = 1e38)\n epochs = 1\n log = \"e.jsonl\"\n}\n"), 0);
	char *err;
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             3, "%s", err);
	cr_expect(strstr(err, "error: big diverged at step 1 (epoch 1): the test loss after the "
	                      "epoch is nan, though its training loss was finite") != NULL, "%s", err);
	free(err);
	cr_expect_neq(access(in_dir(path, dir, "e.jsonl"), F_OK), 0, "the diverged epoch was logged");
	cr_expect_eq(remove_tree(dir), 0);
}

/* The line of err that says why the run diverged. */
static char *why(const char *err)
{
	const char *p = strstr(err, "error: big diverged");
	cr_assert_not_null(p, "%s", err);
	return strndup(p, strcspn(p, "\n"));
}

/* The rate grows 1e6 times after epoch 1, so epoch 2 explodes against epoch 1's mean
 * loss: a run resumed from the checkpoint of epoch 1 must say the same. */
Test(divergence, a_resumed_run_applies_the_same_rule)
{
	char dir[64], nn[200], path[200];
	cr_assert(scratch_dir(dir));
	write_blobs_file(in_dir(nn, dir, "e.nn"), "sgd(lr = 0.5)",
	                 " schedule = multistep(at = [1 epochs], gamma = 1e6)\n"
	                 " checkpoint = \"e.ckpt\"\n");
	char *first, *again;
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL,
	                         &first), 3, "%s", first);
	char *once = why(first);
	cr_expect(strstr(once, "(epoch 2): the epoch's mean training loss ") != NULL, "%s", once);
	cr_expect(strstr(once, " is more than 10 times epoch 1's mean training loss (") != NULL,
	          "%s", once);
	cr_expect_eq(access(in_dir(path, dir, "e.ckpt"), F_OK), 0, "no checkpoint of epoch 1");
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", "--resume", nn, NULL}, NULL,
	                         NULL, &again), 3, "%s", again);
	char *twice = why(again);
	cr_expect_str_eq(twice, once);
	cr_expect_neq(access(in_dir(path, dir, "e.safetensors"), F_OK), 0);
	free(once);
	free(twice);
	free(first);
	free(again);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Runs path, which must succeed; returns its stderr. */
static char *run_ok(const char *path)
{
	char *err;
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", path, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	return err;
}

/* The trained weights' bytes: the end of the file, after its header (which holds the
 * block's text). */
static char *weights_data(const char *path, size_t *len)
{
	enum { FLOATS = 16 * 4 + 16 + 2 * 16 + 2 };
	size_t all;
	char *file = slurp(path, &all);
	cr_assert(file && all >= FLOATS * 4, "no weights %s", path);
	memmove(file, file + all - FLOATS * 4, FLOATS * 4);
	*len = FLOATS * 4;
	return file;
}

/* optimizer with the momentum_schedule trains exactly as without it (check's warning says
 * it has no effect), and does not crash. */
static void expect_no_effect(const char *optimizer)
{
	char dirs[2][64], nn[200], path[200];
	char *weights[2], *logs[2];
	size_t len[2];
	for (int k = 0; k < 2; k++) {
		cr_assert(scratch_dir(dirs[k]));
		write_blobs_file(in_dir(nn, dirs[k], "e.nn"), optimizer,
		                 k ? " momentum_schedule = cosine(total = 10, eta_min = 0.5)\n" : "");
		char *err = run_ok(nn);
		cr_expect_eq(strstr(err, "momentum_schedule has no effect") != NULL, k == 1, "%s", err);
		free(err);
		weights[k] = weights_data(in_dir(path, dirs[k], "e.safetensors"), &len[k]);
		logs[k] = log_without_seconds(in_dir(path, dirs[k], "e.jsonl"));
	}
	cr_expect(memcmp(weights[0], weights[1], len[0]) == 0, "%s: the schedule moved the weights",
	          optimizer);
	cr_expect_str_eq(logs[0], logs[1]);
	for (int k = 0; k < 2; k++) {
		free(weights[k]);
		free(logs[k]);
		cr_expect_eq(remove_tree(dirs[k]), 0);
	}
}

Test(momentum_schedule, has_no_effect_in_training_without_momentum)
{
	expect_no_effect("sgd(lr = 0.1)");
	expect_no_effect("rmsprop(lr = 0.01)");
}

Test(momentum_schedule, has_no_effect_in_minimize_without_momentum)
{
	char dir[64], nn[200], path[200], text[600], name[24];
	char *traces[2];
	cr_assert(scratch_dir(dir));
	for (int k = 0; k < 2; k++) {
		snprintf(text, sizeof text,
		         "minimize f(x, y) = x^2 + 3*y^2 {\n from = (1.5, 1.0)\n"
		         " optimizer = [sgd(lr = 0.1), rmsprop(lr = 0.01)]\n%s steps = 20\n"
		         " trace = \"f%d.csv\"\n}\n",
		         k ? " momentum_schedule = cosine(total = 10, eta_min = 0.5)\n" : "", k);
		cr_assert_eq(write_text(in_dir(nn, dir, "f.nn"), text), 0);
		free(run_ok(nn));
		snprintf(name, sizeof name, "f%d.csv", k);
		traces[k] = slurp(in_dir(path, dir, name), NULL);
		cr_assert_not_null(traces[k]);
	}
	cr_expect_str_eq(traces[0], traces[1]);
	free(traces[0]);
	free(traces[1]);
	cr_expect_eq(remove_tree(dir), 0);
}

/* The one rule behind both: a base of 0 stays 0 at every step (so optim_needs, which sees
 * the base, knows every state a step uses); any other base follows its schedule. */
Test(momentum_schedule, scales_a_non_zero_base_and_leaves_zero_at_zero)
{
	struct sched cosine = {.kind = SCHED_COSINE, .u.cosine = {10, 0.5}};
	struct optim_config none = {.kind = OPT_SGD, .lr = 0.1};
	struct optim_config some = {.kind = OPT_SGD, .lr = 0.1, .momentum = 0.9};
	for (int t = 0; t <= 12; t++) {
		cr_expect_eq(optim_momentum(&none, &cosine, t), 0.0, "step %d", t);
		cr_expect_eq(optim_momentum(&some, &cosine, t), sched_value(&cosine, 0.9, t), "step %d", t);
		cr_expect_eq(optim_momentum(&some, NULL, t), 0.9);
	}
	cr_expect_eq(optim_needs(&none), 0u);
	cr_expect_eq(optim_needs(&(struct optim_config){.kind = OPT_RMSPROP}), (unsigned)OPT_NEEDS_SQ);
}
