/* test_layers.c — dense layers, activations and losses: gradients against central finite
 * differences in double through a small network, for every activation and loss; the
 * float path (k_gemm) against the double one; loss values against closed forms; and the
 * initialisers' ranges and variances. */
#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "layers.h"

enum { B = 3, I = 4, H = 5 };

/* The parameters and input of in (B, I) → dense(H) → act → dense(C) → loss. */
struct net {
	double x[B * I], w1[H * I], b1[H], w2[H * 3], b2[3];
};

static double forward(struct net *n, int64_t C, enum activation act, enum loss loss,
                      const int32_t *y, struct net *grad)
{
	double h[B * H], a[B * H], z[B * 3], dz[B * 3], da[B * H], dh[B * H];
	dense_forward_f64(h, n->x, n->w1, n->b1, B, I, H, NULL);
	act_forward_f64(a, h, B * H, act, 0.1);
	dense_forward_f64(z, a, n->w2, n->b2, B, H, C, NULL);
	double total = loss_f64(grad ? dz : NULL, z, y, B, C, loss, 1.0 / B) / B;
	if (grad) {
		memset(grad, 0, sizeof *grad);
		dense_backward_f64(da, grad->w2, grad->b2, dz, a, n->w2, B, H, C, NULL);
		act_backward_f64(dh, da, h, a, B * H, act, 0.1);
		dense_backward_f64(grad->x, grad->w1, grad->b1, dh, n->x, n->w1, B, I, H, NULL);
	}
	return total;
}

static void gradient_check(enum activation act, enum loss loss, int64_t C)
{
	struct net n, g;
	double *p = (double *)&n;
	size_t count = sizeof n / sizeof(double);
	for (size_t i = 0; i < count; i++)
		p[i] = sin(1.7 * (double)i + act + 3 * loss) * 1.3;
	int32_t y[B] = {1 % (int32_t)C, 0, C > 2 ? 2 : 1};
	forward(&n, C, act, loss, y, &g);
	double *dp = (double *)&g;
	for (size_t i = 0; i < count; i++) {
		if (i >= offsetof(struct net, w2) / sizeof(double) + (size_t)(H * C)
		    && i < offsetof(struct net, b2) / sizeof(double))
			continue; /* rows of w2 beyond C are unused */
		if (i >= offsetof(struct net, b2) / sizeof(double) + (size_t)C)
			continue;
		double keep = p[i], h = 1e-6;
		p[i] = keep + h;
		double up = forward(&n, C, act, loss, y, NULL);
		p[i] = keep - h;
		double down = forward(&n, C, act, loss, y, NULL);
		p[i] = keep;
		double fd = (up - down) / (2 * h);
		cr_expect_leq(fabs(dp[i] - fd), 1e-6 * fmax(1, fabs(fd)),
		              "act %d loss %d C %ld, parameter %zu: %.10g vs %.10g", act, loss, (long)C, i,
		              dp[i], fd);
	}
}

Test(layers, gradients_match_finite_differences_for_every_activation_and_loss)
{
	for (int act = ACT_IDENTITY; act <= ACT_GELU; act++) {
		gradient_check(act, LOSS_CROSS_ENTROPY, 3);
		gradient_check(act, LOSS_MSE, 3);
		gradient_check(act, LOSS_BCE, 3);
		gradient_check(act, LOSS_BCE, 1);
	}
}

Test(layers, float_path_follows_the_double_one)
{
	enum { NB = 37, NI = 29, NO = 19 };
	static float x[NB * NI], w[NO * NI], b[NO], out[NB * NO], dout[NB * NO], din[NB * NI];
	static float dw[NO * NI], db[NO];
	static double xd[NB * NI], wd[NO * NI], bd[NO], outd[NB * NO], doutd[NB * NO];
	static double dind[NB * NI], dwd[NO * NI], dbd[NO];
	float *work = aligned_alloc(64, (size_t)k_gemm_workspace() * sizeof *work);
	for (int i = 0; i < NB * NI; i++)
		xd[i] = x[i] = (float)sin(i * 0.3);
	for (int i = 0; i < NO * NI; i++)
		wd[i] = w[i] = (float)cos(i * 0.7);
	for (int i = 0; i < NO; i++)
		bd[i] = b[i] = (float)(i * 0.01);
	for (int i = 0; i < NB * NO; i++)
		doutd[i] = dout[i] = (float)sin(i * 1.1);
	dense_forward_f32(out, x, w, b, NB, NI, NO, work);
	dense_forward_f64(outd, xd, wd, bd, NB, NI, NO, NULL);
	dense_backward_f32(din, dw, db, dout, x, w, NB, NI, NO, work);
	dense_backward_f64(dind, dwd, dbd, doutd, xd, wd, NB, NI, NO, NULL);
	for (int i = 0; i < NB * NO; i++)
		cr_expect_leq(fabs(out[i] - outd[i]), 1e-5 * (1 + fabs(outd[i])), "out %d", i);
	for (int i = 0; i < NB * NI; i++)
		cr_expect_leq(fabs(din[i] - dind[i]), 1e-5 * (1 + fabs(dind[i])), "din %d", i);
	for (int i = 0; i < NO * NI; i++)
		cr_expect_leq(fabs(dw[i] - dwd[i]), 1e-5 * (1 + fabs(dwd[i])), "dw %d", i);
	for (int i = 0; i < NO; i++)
		cr_expect_leq(fabs(db[i] - dbd[i]), 1e-5 * (1 + fabs(dbd[i])), "db %d", i);
	free(work);
}

Test(layers, losses_have_their_closed_form_values)
{
	const double z[3] = {1, 2, 3};
	const int32_t y[1] = {2};
	/* log(e + e² + e³) − 3 */
	cr_expect_float_eq(loss_f64(NULL, z, y, 1, 3, LOSS_CROSS_ENTROPY, 1), 0.40760596444438030,
	                   1e-15);
	/* ((1−0)² + (2−0)² + (3−1)²) / 3 */
	cr_expect_float_eq(loss_f64(NULL, z, y, 1, 3, LOSS_MSE, 1), 3.0, 1e-15);
	/* one logit 0.5 with label 1: log(1 + e^−0.5) */
	const double one[1] = {0.5};
	const int32_t pos[1] = {1};
	cr_expect_float_eq(loss_f64(NULL, one, pos, 1, 1, LOSS_BCE, 1), log1p(exp(-0.5)), 1e-15);
	/* a huge logit does not overflow */
	const double big[2] = {1000, -1000};
	const int32_t first[1] = {0};
	cr_expect_float_eq(loss_f64(NULL, big, first, 1, 2, LOSS_CROSS_ENTROPY, 1), 0, 1e-12);
	cr_expect(isfinite(loss_f64(NULL, big, first, 1, 2, LOSS_BCE, 1)));
}

Test(layers, counts_correct_predictions)
{
	const float z[6] = {0.1f, 0.9f, 0.0f, 2, 1, 3}; /* argmaxes 1 and 2 */
	const int32_t y[2] = {1, 0};
	cr_expect_eq(correct_f32(z, y, 2, 3), 1);
	const float logit[3] = {-1, 2, 0.5f};
	const int32_t binary[3] = {0, 1, 0};
	cr_expect_eq(correct_f32(logit, binary, 3, 1), 2);
}

Test(layers, initialises_within_each_scheme_and_the_same_way_twice)
{
	enum { IN = 400, OUT = 300 };
	static float w[IN * OUT], w2[IN * OUT], b[OUT];
	for (int scheme = INIT_DEFAULT; scheme <= INIT_XAVIER; scheme++) {
		init_dense(w, b, IN, OUT, scheme, 42, 1);
		init_dense(w2, NULL, IN, OUT, scheme, 42, 1);
		cr_expect_eq(memcmp(w, w2, sizeof w), 0, "scheme %d is not deterministic", scheme);
		double sum = 0, sq = 0, top = 0;
		for (int i = 0; i < IN * OUT; i++) {
			sum += w[i];
			sq += (double)w[i] * w[i];
			top = fmax(top, fabs(w[i]));
		}
		double mean = sum / (IN * OUT), var = sq / (IN * OUT) - mean * mean;
		double want = scheme == INIT_HE ? 2.0 / IN : scheme == INIT_XAVIER
			? 6.0 / (IN + OUT) / 3 : 1.0 / IN / 3; /* U(±a) has variance a²/3 */
		cr_expect_leq(fabs(mean), 5 * sqrt(want / (IN * OUT)), "scheme %d mean %g", scheme, mean);
		cr_expect_leq(fabs(var / want - 1), 0.02, "scheme %d variance %g, want %g", scheme, var, want);
		if (scheme != INIT_HE)
			cr_expect_leq(top, scheme == INIT_XAVIER ? sqrt(6.0 / (IN + OUT)) : 1 / sqrt(IN));
		for (int o = 0; o < OUT; o++)
			cr_expect(scheme == INIT_DEFAULT ? fabs(b[o]) <= 1 / sqrt(IN) : b[o] == 0);
	}
	init_dense(w2, NULL, IN, OUT, INIT_DEFAULT, 42, 2);
	init_dense(w, NULL, IN, OUT, INIT_DEFAULT, 42, 1);
	cr_expect_neq(memcmp(w, w2, sizeof w), 0, "two layers got the same weights");
}

Test(layers, float_kernels_follow_the_double_reference_at_odd_sizes)
{
	static const int64_t sizes[] = {1, 7, 17, 129};
	for (size_t k = 0; k < 4; k++) {
		int64_t n = sizes[k], rows = n, cols = 10;
		float *x = malloc((size_t)(n * cols) * sizeof *x), *y = malloc((size_t)(n * cols) * sizeof *y);
		float *dy = malloc((size_t)(n * cols) * sizeof *dy), *dx = malloc((size_t)(n * cols) * sizeof *dx);
		double *xd = malloc((size_t)(n * cols) * sizeof *xd), *yd = malloc((size_t)(n * cols) * sizeof *yd);
		double *dyd = malloc((size_t)(n * cols) * sizeof *dyd), *dxd = malloc((size_t)(n * cols) * sizeof *dxd);
		int32_t *labels = malloc((size_t)rows * sizeof *labels);
		for (int64_t i = 0; i < n * cols; i++) {
			xd[i] = x[i] = (float)(3 * sin(1.3 * (double)i));
			dyd[i] = dy[i] = (float)cos(0.7 * (double)i);
		}
		for (int64_t r = 0; r < rows; r++)
			labels[r] = (int32_t)(r % cols);
		for (int act = ACT_IDENTITY; act <= ACT_GELU; act++) {
			act_forward_f32(y, x, n * cols, act, 0.1);
			act_forward_f64(yd, xd, n * cols, act, 0.1);
			act_backward_f32(dx, dy, x, y, n * cols, act, 0.1);
			act_backward_f64(dxd, dyd, xd, yd, n * cols, act, 0.1);
			for (int64_t i = 0; i < n * cols; i++) {
				cr_expect_leq(fabs(y[i] - yd[i]), 1e-6 * (1 + fabs(yd[i])), "act %d n %ld", act, (long)n);
				cr_expect_leq(fabs(dx[i] - dxd[i]), 1e-6 * (1 + fabs(dxd[i])), "act %d n %ld", act, (long)n);
			}
		}
		softmax_forward_f32(y, x, rows, cols);
		softmax_forward_f64(yd, xd, rows, cols);
		softmax_backward_f32(dx, dy, y, rows, cols);
		softmax_backward_f64(dxd, dyd, yd, rows, cols);
		for (int64_t i = 0; i < n * cols; i++) {
			cr_expect_leq(fabs(y[i] - yd[i]), 1e-6, "softmax n %ld", (long)n);
			cr_expect_leq(fabs(dx[i] - dxd[i]), 1e-6, "softmax backward n %ld", (long)n);
		}
		for (int loss = LOSS_CROSS_ENTROPY; loss <= LOSS_BCE; loss++) {
			double lf = loss_f32(dx, x, labels, rows, cols, loss, 1.0 / (double)rows);
			double ld = loss_f64(dxd, xd, labels, rows, cols, loss, 1.0 / (double)rows);
			cr_expect_leq(fabs(lf - ld), 1e-5 * (1 + fabs(ld)), "loss %d n %ld", loss, (long)n);
			for (int64_t i = 0; i < n * cols; i++)
				cr_expect_leq(fabs(dx[i] - dxd[i]), 1e-6, "loss %d gradient n %ld", loss, (long)n);
		}
		cr_expect_eq(correct_f32(x, labels, rows, cols), correct_f64(xd, labels, rows, cols));
		void *blocks[] = {x, y, dy, dx, xd, yd, dyd, dxd, labels};
		for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
			free(blocks[b]);
	}
}

Test(layers, gradients_match_finite_differences_from_every_init)
{
	for (int scheme = INIT_DEFAULT; scheme <= INIT_XAVIER; scheme++) {
		struct net n, g;
		float w1[H * I], b1[H], w2[3 * H], b2[3];
		init_dense(w1, b1, I, H, scheme, 5, 1);
		init_dense(w2, b2, H, 3, scheme, 5, 2);
		for (int i = 0; i < B * I; i++)
			n.x[i] = sin(0.9 * i);
		for (int i = 0; i < H * I; i++)
			n.w1[i] = w1[i];
		for (int i = 0; i < H; i++)
			n.b1[i] = b1[i];
		for (int i = 0; i < 3 * H; i++)
			n.w2[i] = w2[i];
		for (int i = 0; i < 3; i++)
			n.b2[i] = b2[i];
		int32_t y[B] = {0, 2, 1};
		forward(&n, 3, ACT_TANH, LOSS_CROSS_ENTROPY, y, &g);
		double *p = (double *)&n, *dp = (double *)&g;
		for (size_t i = 0; i < sizeof n / sizeof(double); i++) {
			double keep = p[i], h = 1e-6;
			p[i] = keep + h;
			double up = forward(&n, 3, ACT_TANH, LOSS_CROSS_ENTROPY, y, NULL);
			p[i] = keep - h;
			double down = forward(&n, 3, ACT_TANH, LOSS_CROSS_ENTROPY, y, NULL);
			p[i] = keep;
			cr_expect_leq(fabs(dp[i] - (up - down) / (2 * h)), 1e-6 * fmax(1, fabs(dp[i])),
			              "init %d parameter %zu", scheme, i);
		}
	}
}

Test(dropout, keeps_a_fraction_within_three_deviations_of_q)
{
	enum { N = 200000 };
	for (int k = 0; k < 3; k++) {
		double q = (double[]){0.2, 0.5, 0.9}[k];
		struct dropout d = {q, true, 7, 3, 1};
		int64_t kept = 0;
		for (int64_t i = 0; i < N; i++)
			kept += dropout_keeps(&d, i);
		double sd = sqrt(N * q * (1 - q));
		cr_expect_leq(fabs((double)kept - N * q), 3 * sd, "q %g: kept %ld of %d", q, (long)kept, N);
	}
}

Test(dropout, the_mask_is_dropout_keeps_unit_by_unit)
{
	/* the forward pass draws with an integer threshold (and AVX2 where there is one):
	 * it must keep exactly the units dropout_keeps says, for keeps of every kind */
	enum { N = 4099 };
	static float x[N], y[N], mask[N];
	for (int i = 0; i < N; i++)
		x[i] = 1;
	const double keeps[] = {1, 0.5, 0.7, 0.2, 1e-3, 0.9999999999999999, 0x1.0000000000001p-1};
	for (size_t k = 0; k < sizeof keeps / sizeof *keeps; k++) {
		struct dropout d = {keeps[k], false, 42, 7, 3};
		dropout_forward_f32(y, mask, x, 1, N, &d, true);
		int wrong = 0;
		for (int64_t i = 0; i < N; i++)
			wrong += (mask[i] != 0) != dropout_keeps(&d, i);
		cr_expect_eq(wrong, 0, "keep %a: %d units differ", keeps[k], wrong);
	}
}

Test(dropout, inverted_scaling_keeps_the_expected_output)
{
	/* the mean over many steps of each unit's output is its input (within 3σ) */
	enum { UNITS = 50, STEPS = 4000 };
	float x[UNITS], y[UNITS], mask[UNITS];
	double mean[UNITS] = {0};
	for (int u = 0; u < UNITS; u++)
		x[u] = (float)(1 + u % 7);
	for (int64_t s = 0; s < STEPS; s++) {
		struct dropout d = {0.7, true, 11, s, 2};
		dropout_forward_f32(y, mask, x, 1, UNITS, &d, true);
		for (int u = 0; u < UNITS; u++)
			mean[u] += y[u] / STEPS;
	}
	for (int u = 0; u < UNITS; u++) {
		double sd = x[u] * sqrt(0.3 / 0.7 / STEPS); /* of the mean of x·Bernoulli(q)/q */
		cr_expect_leq(fabs(mean[u] - x[u]), 3 * sd, "unit %d: mean %g, input %g", u, mean[u],
		              (double)x[u]);
	}
}

Test(dropout, test_scaling_multiplies_by_q_at_evaluation_only)
{
	float x[5] = {1, -2, 3, 4, 5}, y[5], mask[5];
	struct dropout d = {0.8, false, 1, 0, 0};
	dropout_forward_f32(y, mask, x, 1, 5, &d, false);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(y[i], 0.8f * x[i]);
	dropout_forward_f32(y, mask, x, 1, 5, &d, true); /* training: kept units unscaled */
	for (int i = 0; i < 5; i++)
		cr_expect(y[i] == x[i] || y[i] == 0);
	d.inverted = true;
	dropout_forward_f32(y, mask, x, 1, 5, &d, false); /* inverted: the identity at evaluation */
	for (int i = 0; i < 5; i++)
		cr_expect_eq(y[i], x[i]);
}

Test(dropout, gradient_matches_finite_differences_with_a_fixed_mask)
{
	/* loss = Σ c_i · dropout(x)_i with the mask of one step: d/dx_i = c_i · mask_i / q */
	enum { N = 64 };
	double x[N], c[N], y[N], dx[N], mask[N];
	struct dropout d = {0.6, true, 5, 9, 3};
	for (int i = 0; i < N; i++) {
		x[i] = sin(i * 0.4);
		c[i] = cos(i * 1.3);
	}
	dropout_forward_f64(y, mask, x, 1, N, &d, true);
	dropout_backward_f64(dx, c, mask, 1, N);
	for (int i = 0; i < N; i++) {
		double keep = x[i], h = 1e-6, up = 0, down = 0;
		x[i] = keep + h;
		dropout_forward_f64(y, mask, x, 1, N, &d, true);
		for (int j = 0; j < N; j++)
			up += c[j] * y[j];
		x[i] = keep - h;
		dropout_forward_f64(y, mask, x, 1, N, &d, true);
		for (int j = 0; j < N; j++)
			down += c[j] * y[j];
		x[i] = keep;
		cr_expect_leq(fabs(dx[i] - (up - down) / (2 * h)), 1e-8, "unit %d", i);
	}
}

/* The loss of x (6, 4) → batchnorm (training) → Σ c ⊙ out, for the gradient check. */
static double batchnorm_loss(const double *x, const double *gamma, const double *beta,
                             const double *c, double *dx, double *dgamma, double *dbeta)
{
	double out[24], saved[16], mean[4] = {0}, var[4] = {1, 1, 1, 1}, loss = 0;
	batchnorm_forward_f64(out, saved, mean, var, x, gamma, beta, 6, 4, 0.1, 1e-5, true);
	for (int i = 0; i < 24; i++)
		loss += c[i] * out[i];
	if (dx) {
		memset(dgamma, 0, 4 * sizeof *dgamma);
		memset(dbeta, 0, 4 * sizeof *dbeta);
		batchnorm_backward_f64(dx, dgamma, dbeta, c, x, saved, gamma, 6, 4);
	}
	return loss;
}

Test(batchnorm, gradients_match_finite_differences_in_training_mode)
{
	double x[24], gamma[4] = {1.5, 0.7, -1.1, 2}, beta[4] = {0.1, -0.2, 0.3, 0}, c[24];
	double dx[24], dgamma[4], dbeta[4];
	for (int i = 0; i < 24; i++) {
		x[i] = sin(1.9 * i) * 2 + (i % 4);
		c[i] = cos(0.8 * i);
	}
	batchnorm_loss(x, gamma, beta, c, dx, dgamma, dbeta);
	double *params[] = {x, gamma, beta}, *grads[] = {dx, dgamma, dbeta};
	int counts[] = {24, 4, 4};
	for (int p = 0; p < 3; p++)
		for (int i = 0; i < counts[p]; i++) {
			double keep = params[p][i], h = 1e-6;
			params[p][i] = keep + h;
			double up = batchnorm_loss(x, gamma, beta, c, NULL, NULL, NULL);
			params[p][i] = keep - h;
			double down = batchnorm_loss(x, gamma, beta, c, NULL, NULL, NULL);
			params[p][i] = keep;
			cr_expect_leq(fabs(grads[p][i] - (up - down) / (2 * h)), 1e-6,
			              "tensor %d element %d: %.10g vs %.10g", p, i, grads[p][i],
			              (up - down) / (2 * h));
		}
}

Test(batchnorm, updates_running_statistics_as_pytorch_and_uses_them_at_evaluation)
{
	/* two features over a batch of 4: {1, 2, 3, 4} and {0, -3, 3, 0}: means 2.5 and 0,
	 * biased variances 1.25 and 4.5, unbiased 5/3 and 6 */
	const float x[8] = {1, 0, 2, -3, 3, 3, 4, 0};
	const float gamma[2] = {1, 1}, beta[2] = {0, 0};
	float out[8], saved[8], mean[2] = {0, 0}, var[2] = {1, 1};
	batchnorm_forward_f32(out, saved, mean, var, x, gamma, beta, 4, 2, 0.1, 1e-5, true);
	cr_expect_float_eq(mean[0], 0.25f, 1e-7);            /* 0.9·0 + 0.1·2.5 */
	cr_expect_float_eq(var[0], 0.9f + 0.1f * 5 / 3, 1e-6); /* unbiased: 1.25·4/3 */
	cr_expect_float_eq(var[1], 0.9f + 0.1f * 6, 1e-6);
	cr_expect_float_eq(out[0], (float)((1 - 2.5) / sqrt(1.25 + 1e-5)), 1e-6);
	batchnorm_forward_f32(out, saved, mean, var, x, gamma, beta, 4, 2, 0.1, 1e-5, false);
	cr_expect_float_eq(out[0], (float)((1 - 0.25) / sqrt(var[0] + 1e-5)), 1e-6);
}

/* One line "name v1 v2 ..." of bn_unit.txt into values; returns how many. */
static int golden_line(FILE *f, const char *name, double *values, int max)
{
	char word[32];
	cr_assert_eq(fscanf(f, "%31s", word), 1);
	cr_assert_str_eq(word, name);
	int n = 0;
	while (n < max && fscanf(f, " %lf", &values[n]) == 1)
		n++;
	return n;
}

Test(batchnorm, matches_pytorch_forward_backward_and_running_statistics)
{
	FILE *f = fopen("tests/golden/train/bn_unit.txt", "r");
	cr_assert_not_null(f);
	double x[40], gamma[5], beta[5], dout[40], y[40], dx[40], dgamma[5], dbeta[5], rm[5], rv[5];
	static const char *const names[] = {"x", "gamma", "beta", "dout", "y", "dx", "dgamma",
	                                     "dbeta", "running_mean", "running_var"};
	double *into[] = {x, gamma, beta, dout, y, dx, dgamma, dbeta, rm, rv};
	for (int k = 0; k < 10; k++) {
		int want = k == 0 || k == 3 || k == 4 || k == 5 ? 40 : 5;
		cr_assert_eq(golden_line(f, names[k], into[k], want), want, "%s", names[k]);
	}
	fclose(f);
	float xf[40], gf[5], bf[5], df[40], out[40], saved[20], mean[5] = {0}, var[5] = {1, 1, 1, 1, 1};
	float dxf[40], dg[5] = {0}, db[5] = {0};
	for (int i = 0; i < 40; i++) {
		xf[i] = (float)x[i];
		df[i] = (float)dout[i];
	}
	for (int j = 0; j < 5; j++) {
		gf[j] = (float)gamma[j];
		bf[j] = (float)beta[j];
	}
	batchnorm_forward_f32(out, saved, mean, var, xf, gf, bf, 8, 5, 0.1, 1e-5, true);
	batchnorm_backward_f32(dxf, dg, db, df, xf, saved, gf, 8, 5);
	for (int i = 0; i < 40; i++) {
		cr_expect_leq(fabs(out[i] - y[i]), 1e-5 * fabs(y[i]) + 1e-6, "y[%d] %g vs %g", i,
		              (double)out[i], y[i]);
		cr_expect_leq(fabs(dxf[i] - dx[i]), 1e-5 * fabs(dx[i]) + 1e-6, "dx[%d] %g vs %g", i,
		              (double)dxf[i], dx[i]);
	}
	for (int j = 0; j < 5; j++) {
		cr_expect_leq(fabs(dg[j] - dgamma[j]), 1e-5 * fabs(dgamma[j]) + 1e-6, "dgamma[%d]", j);
		cr_expect_leq(fabs(db[j] - dbeta[j]), 1e-5 * fabs(dbeta[j]) + 1e-6, "dbeta[%d]", j);
	}
	for (int i = 0; i < 40; i++) /* the two more batches PyTorch saw */
		xf[i] = (float)(x[i] * 2);
	batchnorm_forward_f32(out, saved, mean, var, xf, gf, bf, 8, 5, 0.1, 1e-5, true);
	for (int i = 0; i < 40; i++)
		xf[i] = (float)(x[i] - 1);
	batchnorm_forward_f32(out, saved, mean, var, xf, gf, bf, 8, 5, 0.1, 1e-5, true);
	for (int j = 0; j < 5; j++) {
		cr_expect_leq(fabs(mean[j] - rm[j]), 1e-5 * fabs(rm[j]) + 1e-6, "running_mean[%d] %g vs %g",
		              j, (double)mean[j], rm[j]);
		cr_expect_leq(fabs(var[j] - rv[j]), 1e-5 * fabs(rv[j]) + 1e-6, "running_var[%d] %g vs %g",
		              j, (double)var[j], rv[j]);
	}
}
