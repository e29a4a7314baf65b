/* test_optim.c — the float instantiation of the update rules (the one networks will use)
 * agrees with the double one that test_minimize.c checks against PyTorch. */
#include <criterion/criterion.h>
#include <math.h>

#include "optim.h"

enum { N = 37, STEPS = 25 };

static void run_both(const struct optim_config *c, double *theta64, float *theta32)
{
	double buf64[4][N] = {{0}};
	float buf32[4][N] = {{0}};
	struct optim_state_f64 s64 = {buf64[0], buf64[1], buf64[2], buf64[3]};
	struct optim_state_f32 s32 = {buf32[0], buf32[1], buf32[2], buf32[3]};
	optim_init_f64(c, &s64, N);
	optim_init_f32(c, &s32, N);
	for (int i = 0; i < N; i++)
		theta32[i] = (float)(theta64[i] = sin(i + 1.0) * 2);
	for (long t = 1; t <= STEPS; t++) {
		double g64[N];
		float g32[N];
		for (int i = 0; i < N; i++) /* the gradient of sum (i+1)/10·θ² + cos(θ) */
			g32[i] = (float)(g64[i] = (i + 1) / 5.0 * theta64[i] - sin(theta64[i]));
		struct optim_step s = {c->lr * (1 - 0.01 * (double)t), c->momentum, t};
		optim_update_f64(c, &s, theta64, g64, &s64, N);
		optim_update_f32(c, &s, theta32, g32, &s32, N);
	}
}

Test(optim, float_updates_follow_the_double_ones)
{
	const struct optim_config configs[] = {
		{OPT_SGD, .lr = 0.05},
		{OPT_SGD, .lr = 0.05, .momentum = 0.9, .dampening = 0.1, .wd = 0.01},
		{OPT_SGD, .lr = 0.05, .momentum = 0.9, .nesterov = true},
		{OPT_MOMENTUM, .lr = 0.05, .momentum = 0.9, .wd = 0.01},
		{OPT_ADAGRAD, .lr = 0.1, .eps = 1e-10, .lr_decay = 0.01, .initial = 0.1},
		{OPT_RMSPROP, .lr = 0.01, .alpha = 0.99, .eps = 1e-8},
		{OPT_RMSPROP, .lr = 0.01, .alpha = 0.9, .eps = 1e-8, .momentum = 0.5, .centered = true},
		{OPT_ADAM, .lr = 0.01, .momentum = 0.9, .beta2 = 0.999, .eps = 1e-8},
		{OPT_ADAM, .lr = 0.01, .momentum = 0.8, .beta2 = 0.99, .eps = 1e-8, .amsgrad = true,
		 .wd = 0.01},
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

Test(optim, decoupled_decay_shrinks_before_the_step)
{
	/* with a zero gradient, only the decay acts: θ ← θ(1 − η·wd) */
	const struct optim_config c = {OPT_ADAM, .lr = 0.1, .momentum = 0.9, .beta2 = 0.999,
	                               .eps = 1e-8, .wd = 0.5};
	double theta[3] = {1, -2, 4}, g[3] = {0, 0, 0}, buf[4][3] = {{0}};
	struct optim_state_f64 st = {buf[0], buf[1], buf[2], buf[3]};
	optim_init_f64(&c, &st, 3);
	optim_update_f64(&c, &(struct optim_step){0.1, 0.9, 1}, theta, g, &st, 3);
	cr_expect_float_eq(theta[0], 0.95, 1e-15);
	cr_expect_float_eq(theta[1], -1.9, 1e-15);
	cr_expect_float_eq(theta[2], 3.8, 1e-15);
}
