/* test_optim_table.c — the optimizer table (runtime/optim.h): every optimizer's row is
 * whole; nadam, radam, lion and adam's bias_correction = false train as their references
 * do (tests/golden/train/, made by make_goldens.py; the minimize goldens are in
 * test_minimize.c); each optimizer's state goes into a checkpoint under PyTorch's names and
 * comes back so that a run stopped after epoch k and resumed ends with the same bits;
 * NAdam's per-tensor scalar steps once per tensor however many threads share the tensor;
 * and the language takes the new optimizers (their defaults, required lr, warnings). */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "helpers.h"
#include "lower.h"
#include "pace.h"
#include "safetensors.h"
#include "schema.h"
#include "train.h"

/* ---- the table ---- */

Test(optim_table, every_row_is_whole_and_every_state_it_needs_has_a_pytorch_name)
{
	const char *const names[OPT_KINDS] = {"sgd", "momentum", "adagrad", "rmsprop", "adam",
	                                      "nadam", "radam", "lion"};
	for (int k = 0; k < OPT_KINDS; k++) {
		const struct optim_def *d = &optim_table[k];
		cr_assert_not_null(d->name, "kind %d has no row", k);
		cr_expect_str_eq(d->name, names[k]);
		cr_expect(d->needs && d->update_f64 && d->update_f32 && d->norm, "%s", d->name);
		/* with every option on, every slot it needs is named */
		struct optim_config c = {(enum optim_kind)k, .momentum = 0.9, .centered = true,
		                         .amsgrad = true};
		unsigned needs = optim_needs(&c);
		for (int s = 0; s < OPT_SLOTS; s++)
			cr_expect(!(needs & (1u << s)) || d->state[s], "%s: slot %d has no name", d->name, s);
	}
	/* every optimizer of the language lowers to the row of its name (adamw to adam's) */
	for (const struct sig *s = schema_optimizers; s->name; s++)
		cr_expect(strncmp(optim_table[s->kind].name, s->name, strlen(optim_table[s->kind].name))
		          == 0, "%s lowers to %s", s->name, optim_table[s->kind].name);
}

enum { N = 37 };

/* 25 steps of c on sum (i+1)/10·θ² + cos(θ) from the same start in double and float. */
static void run_both(const struct optim_config *c, double *theta64, float *theta32)
{
	double s64[OPT_SLOTS][N] = {{0}};
	float s32[OPT_SLOTS][N] = {{0}};
	struct optim_state_f64 st64 = {s64[0], s64[1], s64[2], s64[3], s64[4]};
	struct optim_state_f32 st32 = {s32[0], s32[1], s32[2], s32[3], s32[4]};
	optim_init_f64(c, &st64, N);
	optim_init_f32(c, &st32, N);
	for (int i = 0; i < N; i++)
		theta32[i] = (float)(theta64[i] = sin(i + 1.0) * 2);
	for (long t = 1; t <= 25; t++) {
		double g64[N];
		float g32[N];
		for (int i = 0; i < N; i++)
			g32[i] = (float)(g64[i] = (i + 1) / 5.0 * theta64[i] - sin(theta64[i]));
		struct optim_step s = {c->lr * (1 - 0.01 * (double)t), c->momentum, t};
		optim_update_f64(c, &s, theta64, g64, &st64, N);
		optim_update_f32(c, &s, theta32, g32, &st32, N);
	}
}

Test(optim_table, float_updates_of_the_new_optimizers_follow_the_double_ones)
{
	const struct optim_config configs[] = {
		{OPT_NADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8,
		 .momentum_decay = 4e-3, .wd = 0.01},
		{OPT_RADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8},
		{OPT_ADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8, .uncorrected = true},
	};
	for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
		double theta64[N];
		float theta32[N];
		run_both(&configs[k], theta64, theta32);
		for (int i = 0; i < N; i++)
			cr_expect_leq(fabs(theta32[i] - theta64[i]), 2e-5 * fmax(1, fabs(theta64[i])),
			              "config %zu, element %d: float %.9g, double %.9g", k, i,
			              (double)theta32[i], theta64[i]);
	}
}

Test(optim_table, lion_moves_each_element_by_lr_and_not_at_all_where_the_sign_is_zero)
{
	const struct optim_config c = {OPT_LION, .lr = 0.1, .momentum = 0.9, .beta2 = 0.99};
	double theta[3] = {1, 1, 1}, g[3] = {2e-9, 0, -300}, avg[3] = {0};
	struct optim_state_f64 st = {.avg = avg};
	optim_init_f64(&c, &st, 3);
	optim_update_f64(&c, &(struct optim_step){0.1, 0.9, 1}, theta, g, &st, 3);
	cr_expect_eq(theta[0], 0.9);
	cr_expect_eq(theta[1], 1.0);
	cr_expect_eq(theta[2], 1.1);
	cr_expect_float_eq(avg[2], -3.0, 1e-12);
}

Test(optim_table, the_plotted_state_is_lions_m_and_the_corrected_v_of_nadam_and_radam)
{
	double sq[2] = {3, 4}, avg[2] = {6, 8}, product = 0.5;
	struct optim_state_f64 st = {.sq = sq, .avg = avg, .scalar = &product};
	const struct optim_step s = {.t = 2};
	struct optim_config c = {OPT_LION, .beta2 = 0.5};
	cr_expect_float_eq(optim_state_norm_f64(&c, &s, &st, 2), 10, 1e-12);
	c.kind = OPT_NADAM; /* v/(1 − β2²) = v/0.75 */
	cr_expect_float_eq(optim_state_norm_f64(&c, &s, &st, 2), 5 / 0.75, 1e-12);
	c.kind = OPT_RADAM;
	cr_expect_float_eq(optim_state_norm_f64(&c, &s, &st, 2), 5 / 0.75, 1e-12);
	c = (struct optim_config){OPT_ADAM, .beta2 = 0.5, .uncorrected = true};
	cr_expect_float_eq(optim_state_norm_f64(&c, &s, &st, 2), 5, 1e-12);
}

/* The config of `optimizer = TEXT` in a minimize block, as lowering makes it. */
static struct optim_config lowered(const char *text)
{
	char file[512];
	snprintf(file, sizeof file, "minimize f(x) = x^2 {\n from = 1\n optimizer = %s\n steps = 1\n}\n",
	         text);
	struct source *src;
	int errors;
	struct ast *tree = fold_text(file, &src, &errors);
	cr_assert_eq(errors, 0, "%s", file);
	const struct ast *block = tree->kids[tree->nkids - 1];
	const struct ast *call = NULL;
	for (int i = 0; i < block->nkids; i++)
		if (block->kids[i]->kind == AST_ENTRY && strcmp(block->kids[i]->str, "optimizer") == 0)
			call = block->kids[i]->a;
	cr_assert_not_null(call);
	char label[256];
	struct optim_config c = lower_optimizer(call, label, sizeof label);
	ast_free(tree);
	source_free(src);
	return c;
}

Test(optim_table, lowering_gives_section_4s_defaults_and_reads_every_parameter_by_name)
{
	struct optim_config c = lowered("nadam");
	cr_expect_eq(c.kind, OPT_NADAM);
	cr_expect(c.lr == 2e-3 && c.momentum == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8
	          && c.momentum_decay == 4e-3 && c.wd == 0);
	c = lowered("radam(betas = (0.8, 0.99), wd = 0.1)");
	cr_expect(c.kind == OPT_RADAM && c.lr == 1e-3 && c.momentum == 0.8 && c.beta2 == 0.99
	          && c.wd == 0.1);
	c = lowered("lion(3e-4)");
	cr_expect(c.kind == OPT_LION && c.lr == 3e-4 && c.momentum == 0.9 && c.beta2 == 0.99);
	c = lowered("adamw(bias_correction = false)");
	cr_expect(c.kind == OPT_ADAM && c.uncorrected && c.wd == 0.01);
	cr_expect(!lowered("adam").uncorrected);
	c = lowered("rmsprop(momentum = 0.5, centered = true)");
	cr_expect(c.kind == OPT_RMSPROP && c.momentum == 0.5 && c.centered && c.alpha == 0.99);
}

Test(optim_table, the_checker_knows_the_new_optimizers)
{
	struct checked r = check_text("minimize f(x) = x^2 {\n from = 1\n optimizer = lion\n steps = 3\n}\n");
	cr_expect_eq(r.errors, 1);
	cr_expect(strstr(r.messages, "lion needs 'lr'") != NULL, "%s", r.messages);
	free(r.messages);
	r = check_text("minimize f(x) = x^2 {\n from = 1\n optimizer = nadam(beta1 = 0.8, betas = (0.9, 0.9))\n"
	               " steps = 3\n}\n");
	cr_expect(strstr(r.messages, "give 'betas' or 'beta1'/'beta2', not both") != NULL, "%s",
	          r.messages);
	free(r.messages);
	r = check_text("minimize f(x) = x^2 {\n from = 1\n optimizer = [radam, lion(1e-3, beta1 = 0)]\n"
	               " regularize = l2(0.1)\n momentum_schedule = cosine(3)\n steps = 3\n}\n");
	cr_expect_eq(r.errors, 0, "%s", r.messages);
	cr_expect(strstr(r.messages, "l2 with radam") != NULL, "%s", r.messages);
	cr_expect(strstr(r.messages, "momentum_schedule has no effect: lion has no momentum") != NULL,
	          "%s", r.messages);
	free(r.messages);
}

/* ---- training against the references ---- */

static const char *const weights[] = {"dense1.weight", "dense1.bias", "dense2.weight",
                                      "dense2.bias"};
static const int64_t shapes[4][2] = {{32, 64}, {32, 1}, {10, 32}, {10, 1}};

/* Loads the four tensors of the plain network from path into new arrays. */
static void load_plain(const char *path, float *data[4])
{
	struct st_tensor t[4];
	char err[256];
	for (int i = 0; i < 4; i++) {
		data[i] = malloc((size_t)(shapes[i][0] * shapes[i][1]) * sizeof(float));
		t[i] = (struct st_tensor){weights[i], shapes[i][1] == 1 ? 1 : 2,
		                          {shapes[i][0], shapes[i][1]}, data[i], NULL, NULL};
	}
	cr_assert_eq(st_load(path, t, 4, err, sizeof err), 0, "%s", err);
}

/* The values of "train_loss" in a JSON Lines log; how many. */
static int train_losses(const char *path, double *out, int max)
{
	char *text = slurp(path, NULL);
	cr_assert_not_null(text, "no log %s", path);
	int n = 0;
	for (char *p = text; n < max && (p = strstr(p, "\"train_loss\": ")); p += 14)
		out[n++] = strtod(p + 14, NULL);
	free(text);
	return n;
}

/* Trains the plain network of tests/golden/train (dense(32), relu, dense(10) from
 * init.safetensors) for 20 full-batch steps of optimizer, decay_biases = true, and
 * compares the losses and final weights with NAME.losses and NAME.safetensors. */
static void compare_with_reference(const char *name, const char *optimizer)
{
	char dir[64], nn[128], text[1600], path[256];
	cr_assert(scratch_dir(dir));
	char *cwd = getcwd(NULL, 0);
	snprintf(nn, sizeof nn, "%s/t.nn", dir);
	snprintf(text, sizeof text,
	         "data d {\n train = csv(\"%s/tests/golden/train/tiny.csv\", label = \"digit\")\n"
	         " scale = 1/16\n shuffle = false\n}\nnetwork n {\n dense(32)\n relu\n dense(10)\n}\n"
	         "train t {\n network = n\n data = d\n optimizer = %s\n decay_biases = true\n"
	         " epochs = 20\n batch = 64\n load = \"%s/tests/golden/train/init.safetensors\"\n"
	         " log = \"t.jsonl\"\n save = \"t.safetensors\"\n}\n", cwd, optimizer, cwd);
	cr_assert_eq(write_text(nn, text), 0);
	char *err;
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	double ours[20], theirs[20];
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	cr_assert_eq(train_losses(path, ours, 20), 20);
	snprintf(path, sizeof path, "tests/golden/train/%s.losses", name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	for (int s = 0; s < 20; s++) {
		cr_assert_eq(fscanf(f, "%lf", &theirs[s]), 1);
		cr_expect_leq(fabs(ours[s] - theirs[s]), 1e-4 * fabs(theirs[s]),
		              "%s step %d: %.9g vs %.9g", name, s + 1, ours[s], theirs[s]);
	}
	fclose(f);
	float *a[4], *b[4];
	snprintf(path, sizeof path, "%s/t.safetensors", dir);
	load_plain(path, a);
	snprintf(path, sizeof path, "tests/golden/train/%s.safetensors", name);
	load_plain(path, b);
	for (int i = 0; i < 4; i++) {
		for (int64_t k = 0; k < shapes[i][0] * shapes[i][1]; k++)
			cr_expect_leq(fabs(a[i][k] - b[i][k]), 1e-4 * fabs(b[i][k]) + 1e-6,
			              "%s %s[%ld]: %g vs %g", name, weights[i], (long)k, (double)a[i][k],
			              (double)b[i][k]);
		free(a[i]);
		free(b[i]);
	}
	free(cwd);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(optim_table, nadam_radam_lion_and_uncorrected_adam_train_as_their_references_for_20_steps)
{
	compare_with_reference("nadam", "nadam(lr = 0.01)");
	compare_with_reference("radam", "radam(lr = 0.01, wd = 0.01)");
	compare_with_reference("lion", "lion(lr = 1e-3, wd = 0.5)");
	compare_with_reference("adam_uncorrected", "adam(lr = 0.01, bias_correction = false)");
}

/* ---- state in networks: threads, checkpoints, resume ---- */

/* dense(300 → 200) under c: a weight tensor above PACE_GRAIN. */
static void build_wide(struct net *n, const struct optim_config *c)
{
	char err[200];
	*n = (struct net){.opt = *c, .loss = LOSS_CROSS_ENTROPY};
	cr_assert_eq(net_add_dense(n, "dense1", 300, 200, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_plan(n, 4, err, sizeof err), 0, "%s", err);
	cr_assert_geq(300 * 200, PACE_GRAIN);
	net_init(n, 3);
	net_reset_state(n);
}

/* Three updates with gradients made from the step, on `threads` threads. */
static void three_updates(struct net *n, int threads)
{
	omp_set_num_threads(threads);
	for (long t = 1; t <= 3; t++) {
		for (int64_t i = 0; i < n->nparams; i++)
			n->grads[i] = (float)sin(0.37 * (double)i + (double)t);
		net_update(n, &(struct optim_step){.lr = 1e-2, .momentum = 0.9, .t = t});
	}
}

Test(optim_table, nadam_steps_its_scalar_once_per_tensor_however_many_threads_share_it)
{
	const struct optim_config c = {OPT_NADAM, .lr = 1e-2, .momentum = 0.9, .beta2 = 0.999,
	                               .eps = 1e-8, .momentum_decay = 4e-3};
	struct net one, three;
	build_wide(&one, &c);
	build_wide(&three, &c);
	three_updates(&one, 1);
	three_updates(&three, 3);
	cr_expect_eq(memcmp(one.params, three.params, (size_t)one.nparams * sizeof(float)), 0);
	/* Π₃ = μ₁μ₂μ₃, rounded to float after each step as the state is a float */
	float product = 1;
	for (int t = 1; t <= 3; t++)
		product = (float)((double)product * 0.9 * (1 - 0.5 * pow(0.96, t * 4e-3)));
	cr_expect_eq(three.state.scalar[0], product, "weight Π %.9g, want %.9g",
	             (double)three.state.scalar[0], (double)product);
	cr_expect_eq(three.state.scalar[300 * 200], product, "bias Π %.9g, want %.9g",
	             (double)three.state.scalar[300 * 200], (double)product);
	net_free(&one);
	net_free(&three);
	omp_set_num_threads(omp_get_num_procs());
}

static const struct checkpoint_id id = {"descent test", "t", "0123", "train t {}", "avx2"};

/* The configs every state test runs: each optimizer, with every state slot it has. */
static const struct optim_config every_optimizer[] = {
	{OPT_SGD, .lr = 0.05, .momentum = 0.9, .nesterov = true},
	{OPT_MOMENTUM, .lr = 0.05, .momentum = 0.9, .wd = 0.01},
	{OPT_ADAGRAD, .lr = 0.05, .eps = 1e-10, .lr_decay = 0.01, .initial = 0.1},
	{OPT_RMSPROP, .lr = 0.005, .alpha = 0.9, .eps = 1e-8, .momentum = 0.5, .centered = true},
	{OPT_ADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8, .amsgrad = true},
	{OPT_ADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8, .uncorrected = true,
	 .wd = 0.01},
	{OPT_NADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8,
	 .momentum_decay = 4e-3},
	{OPT_RADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8, .wd = 0.01},
	{OPT_LION, .lr = 1e-3, .momentum = 0.9, .beta2 = 0.99, .wd = 0.1},
};
enum { CONFIGS = sizeof every_optimizer / sizeof every_optimizer[0] };

/* dense(16) → relu → dense(3) on 4 inputs under c, batch 8, initialised from seed 1. */
static void small_net(struct net *n, const struct optim_config *c)
{
	char err[200];
	*n = (struct net){.opt = *c, .loss = LOSS_CROSS_ENTROPY, .decay_biases = true};
	cr_assert_eq(net_add_dense(n, "dense1", 4, 16, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_add_act(n, "relu1", 16, ACT_RELU, 0), 0);
	cr_assert_eq(net_add_dense(n, "dense2", 16, 3, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_plan(n, 8, err, sizeof err), 0, "%s", err);
	net_init(n, 1);
	net_reset_state(n);
}

Test(optim_table, a_checkpoint_names_every_optimizers_state_as_pytorch_does)
{
	const char *const want[CONFIGS] = {
		"momentum_buffer", "momentum_buffer", "sum", "square_avg grad_avg momentum_buffer",
		"exp_avg exp_avg_sq max_exp_avg_sq", "exp_avg exp_avg_sq", "exp_avg exp_avg_sq mu_product",
		"exp_avg exp_avg_sq", "exp_avg"};
	const char *const all[] = {"momentum_buffer", "sum", "square_avg", "grad_avg", "exp_avg",
	                           "exp_avg_sq", "max_exp_avg_sq", "mu_product"};
	char dir[64], path[128], err[600];
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/c.ckpt", dir);
	for (int k = 0; k < CONFIGS; k++) {
		struct net n;
		small_net(&n, &every_optimizer[k]);
		struct train_metrics m = {.epoch = 1, .step = 1, .lr = 0.1, .train_loss = 1};
		cr_assert_eq(checkpoint_save(path, &n, &m, 1, &id, err, sizeof err), 0, "%s", err);
		net_free(&n);
		char *file = slurp(path, NULL), name[64];
		for (size_t s = 0; s < sizeof all / sizeof *all; s++) {
			snprintf(name, sizeof name, "\"dense2.bias.%s\"", all[s]);
			char word[32];
			snprintf(word, sizeof word, " %s ", all[s]);
			char padded[80];
			snprintf(padded, sizeof padded, " %s ", want[k]);
			bool wanted = strstr(padded, word) != NULL;
			cr_expect_eq(strstr(file + 8, name) != NULL, wanted, "%s: %s %s",
			             optim_table[every_optimizer[k].kind].name, name,
			             wanted ? "missing" : "not expected");
		}
		if (every_optimizer[k].kind == OPT_NADAM)
			cr_expect(strstr(file + 8, "\"dense1.weight.mu_product\":{\"dtype\":\"F32\",\"shape\":[1],")
			          != NULL, "%s", file + 8);
		free(file);
	}
	cr_expect_eq(remove_tree(dir), 0);
}

/* 40 rows of 4 features in 3 classes, a fixed function of the row. */
static struct dataset toy_data(void)
{
	struct dataset ds = {.n = 40, .d = 4, .type = DATA_F32, .classes = 3};
	ds.f32 = malloc(40 * 4 * sizeof *ds.f32);
	ds.y = malloc(40 * sizeof *ds.y);
	for (int i = 0; i < 40; i++) {
		for (int j = 0; j < 4; j++)
			ds.f32[i * 4 + j] = (float)sin(1.3 * i + 0.7 * j);
		ds.y[i] = i % 3;
	}
	return ds;
}

/* Stops the run after the epoch *ctx says (an int), or never if it is 0. */
static int stop_after(void *ctx, const struct train_metrics *m)
{
	return *(int *)ctx != 0 && m->epoch == *(int *)ctx;
}

/* Trains a fresh small_net(c) for 6 epochs (batch 8, shuffled, a momentum schedule), in one
 * go into whole, or stopped after epoch 2, checkpointed, restored into a new network and
 * resumed into resumed. */
static void whole_and_resumed(const struct optim_config *c, struct net *whole,
                              struct net *resumed, const char *path)
{
	struct dataset ds = toy_data();
	struct data_transform tf;
	cr_assert_eq(data_fit(&ds, 1, NORMALIZE_NONE, &tf), 0);
	struct sched cosine = {.kind = SCHED_COSINE, .u.cosine = {30, 0.5}};
	struct train_config cfg = {.epochs = 6, .batch = 8, .seed = 5, .shuffle = true,
	                           .momentum_schedule = &cosine};
	int never = 0, two = 2;
	struct train_failure failure;
	small_net(whole, c);
	cr_assert_eq(train_run(whole, &ds, NULL, NULL, &tf, &cfg,
	                       &(struct train_hooks){.epoch_end = stop_after, .ctx = &never},
	                       &failure), TRAIN_OK);
	struct net stopped;
	small_net(&stopped, c);
	struct train_metrics m[6];
	cr_assert_eq(train_run(&stopped, &ds, NULL, NULL, &tf, &cfg,
	                       &(struct train_hooks){.epoch_end = stop_after, .ctx = &two},
	                       &failure), TRAIN_STOPPED);
	char err[600];
	m[0] = (struct train_metrics){.epoch = 1, .step = 5, .train_loss = 1};
	m[1] = (struct train_metrics){.epoch = 2, .step = 10, .train_loss = 1};
	cr_assert_eq(checkpoint_save(path, &stopped, m, 2, &id, err, sizeof err), 0, "%s", err);
	net_free(&stopped);
	small_net(resumed, c);
	for (int64_t i = 0; i < resumed->nparams; i++) /* nothing of the new run's start survives */
		resumed->params[i] = NAN;
	struct checkpoint_found found;
	cr_assert_eq(checkpoint_load(path, resumed, m, 6, &found, &id, err, sizeof err), 0, "%s", err);
	cfg.start_epoch = found.epochs;
	cfg.first_epoch_loss = m[0].train_loss;
	cr_assert_eq(train_run(resumed, &ds, NULL, NULL, &tf, &cfg,
	                       &(struct train_hooks){.epoch_end = stop_after, .ctx = &never},
	                       &failure), TRAIN_OK);
	data_transform_free(&tf);
	data_free(&ds);
}

Test(optim_table, every_optimizer_stopped_after_epoch_2_and_resumed_ends_with_the_same_bits)
{
	char dir[64], path[128];
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/r.ckpt", dir);
	for (int k = 0; k < CONFIGS; k++) {
		struct net whole, resumed;
		whole_and_resumed(&every_optimizer[k], &whole, &resumed, path);
		const char *name = optim_table[every_optimizer[k].kind].name;
		cr_expect_eq(memcmp(whole.params, resumed.params, (size_t)whole.nparams * sizeof(float)),
		             0, "config %d (%s): the weights differ", k, name);
		for (int s = 0; s < OPT_SLOTS; s++) {
			const float *a = optim_slot_f32(&whole.state, (enum optim_slot)s);
			const float *b = optim_slot_f32(&resumed.state, (enum optim_slot)s);
			cr_expect_eq(a == NULL, b == NULL);
			if (a)
				cr_expect_eq(memcmp(a, b, (size_t)whole.nparams * sizeof(float)), 0,
				             "config %d (%s): state slot %d differs", k, name, s);
		}
		net_free(&whole);
		net_free(&resumed);
	}
	cr_expect_eq(remove_tree(dir), 0);
}
