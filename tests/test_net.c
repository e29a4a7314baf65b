/* test_net.c — runtime/net.c as a whole: the gradients its backward pass leaves, through
 * every kind of layer the planner lays out (dropout's stored mask, batchnorm's saved
 * statistics), against central finite differences of its own forward pass; and updates
 * of a tensor split among threads against one thread and one optimizer call. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "net.h"
#include "pace.h"

/* dense(4 → 8) → batchnorm → tanh → dropout(keep 0.5) → dense(8 → 3), cross-entropy, a
 * batch of 6 rows at step 5 of seed 9, in training mode. */
static void build(struct net *n)
{
	char err[200];
	*n = (struct net){.opt = {.kind = OPT_SGD, .lr = 0.1}, .loss = LOSS_CROSS_ENTROPY};
	cr_assert_eq(net_add_dense(n, "dense1", 4, 8, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_add_batchnorm(n, "batchnorm1", 8, 0.1, 1e-5), 0);
	cr_assert_eq(net_add_act(n, "tanh1", 8, ACT_TANH, 0), 0);
	cr_assert_eq(net_add_dropout(n, "dropout1", 8, 0.5, true), 0);
	cr_assert_eq(net_add_dense(n, "dense2", 8, 3, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_plan(n, 6, err, sizeof err), 0, "%s", err);
	net_init(n, 9);
	n->training = true;
	n->seed = 9;
	n->step = 5;
}

/* The mean loss of the batch, the running statistics put back (a forward pass in
 * training moves them, which must not leak from one evaluation into the next). */
static double loss_at(struct net *n, const float *x, const int32_t *y, bool backward)
{
	float stats[16];
	memcpy(stats, n->stats, sizeof stats);
	memcpy(net_input(n), x, 6 * 4 * sizeof *x);
	net_forward(n, 6);
	double sum = net_loss(n, y, 6, backward, NULL);
	memcpy(n->stats, stats, sizeof stats);
	return sum / 6;
}

Test(net, gradients_through_dropout_and_batchnorm_match_finite_differences)
{
	struct net n;
	build(&n);
	float x[24];
	int32_t y[6] = {0, 1, 2, 1, 0, 2};
	for (int i = 0; i < 24; i++)
		x[i] = (float)sin(1.7 * i);
	loss_at(&n, x, y, true);
	float *grad = malloc((size_t)n.nparams * sizeof *grad);
	memcpy(grad, n.grads, (size_t)n.nparams * sizeof *grad);
	int dropped = 0; /* the mask must drop some units, or the test shows nothing */
	for (int i = 0; i < 6 * 8; i++)
		dropped += n.acts[n.layers[3].mask + i] == 0;
	cr_assert(dropped > 5 && dropped < 43, "%d of 48 dropped", dropped);
	for (int64_t p = 0; p < n.nparams; p++) {
		float keep = n.params[p], h = 1e-2f;
		n.params[p] = keep + h;
		double up = loss_at(&n, x, y, false);
		n.params[p] = keep - h;
		double down = loss_at(&n, x, y, false);
		n.params[p] = keep;
		double fd = (up - down) / (2.0 * h);
		cr_expect_leq(fabs(grad[p] - fd), 2e-3 + 2e-2 * fabs(fd), "parameter %lld: %g against %g",
		              (long long)p, (double)grad[p], fd);
	}
	free(grad);
	net_free(&n);
}

/* dense(300 → 200) with AdamW and l2: a weight tensor above PACE_GRAIN. */
static void build_wide(struct net *n)
{
	char err[200];
	*n = (struct net){.opt = {.kind = OPT_ADAM, .lr = 1e-2, .momentum = 0.9, .beta2 = 0.999,
	                          .eps = 1e-8, .wd = 0.01}, .l2 = 1e-3, .loss = LOSS_CROSS_ENTROPY};
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

Test(net, a_large_tensor_updated_by_several_threads_gets_the_same_bits)
{
	struct net one, three;
	build_wide(&one);
	build_wide(&three);
	three_updates(&one, 1);
	three_updates(&three, 3);
	size_t bytes = (size_t)one.nparams * sizeof(float);
	cr_expect_eq(memcmp(one.params, three.params, bytes), 0);
	cr_expect_eq(memcmp(one.state.avg, three.state.avg, bytes), 0);
	cr_expect_eq(memcmp(one.state.sq, three.state.sq, bytes), 0);
	/* and the same as one call of the optimizer over the whole tensor (the reference) */
	struct net ref;
	build_wide(&ref);
	for (long t = 1; t <= 3; t++) {
		for (int64_t i = 0; i < ref.nparams; i++) /* l2 on the weights only */
			ref.grads[i] = (float)sin(0.37 * (double)i + (double)t)
				+ (i < 300 * 200 ? 1e-3f * ref.params[i] : 0);
		struct optim_step s = {.lr = 1e-2, .momentum = 0.9, .t = t};
		struct optim_config weights = ref.opt, bias = ref.opt;
		bias.wd = 0;
		struct optim_state_f32 st = ref.state;
		optim_update_f32(&weights, &s, ref.params, ref.grads, &st, 300 * 200);
		st = (struct optim_state_f32){NULL, ref.state.sq + 300 * 200, ref.state.avg + 300 * 200,
		                              NULL};
		optim_update_f32(&bias, &s, ref.params + 300 * 200, ref.grads + 300 * 200, &st, 200);
		/* (the bias: no l2, no decay, as decay_biases is false) */
	}
	cr_expect_eq(memcmp(one.params, ref.params, bytes), 0, "against one optim_update_f32 call");
	net_free(&one);
	net_free(&three);
	net_free(&ref);
}
