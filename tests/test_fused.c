/* test_fused.c — the fused passes of issue #13's second speed pass give the bits of the
 * passes they replace: the AVX2 and AVX-512 AdamW kernels against the portable one
 * (bit-equal, odd lengths for the tail), and AdamW through the optimizer table (decay
 * fused into the update, float and double, with and without amsgrad) against the two
 * passes written out here in the old order: decay, then moments, then the step. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "isa.h"
#include "optim.h"

#define N 1037 /* not a multiple of 8 or 16: the vector loop and its scalar tail */

static float wave(size_t i, double salt)
{
	return (float)(sin(0.731 * (double)i + salt) * (1 + (double)(i % 7)));
}

static void fill(float *a, size_t n, double salt, bool positive)
{
	for (size_t i = 0; i < n; i++)
		a[i] = positive ? fabsf(wave(i, salt)) * 0.01f : wave(i, salt);
}

static void kernels_agree(k_adam_fn *kernel, enum k_isa needs, float keep)
{
	if (k_isa_supported() < needs)
		cr_skip_test("no %s on this processor", k_isa_name(needs));
	const struct k_adam p = {keep, 0.9f, 0.1f, 0.999f, 0.001f, -3e-3f / 0.19f, 0.0447f, 1e-8f};
	/* lengths with no vector step, one, one and a tail, and many: the kernel updates n
	 * elements and leaves the rest of the arrays (as the reference does) */
	static const size_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, N};
	for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
		size_t n = lengths[k];
		float t1[N], g[N], m1[N], v1[N], t2[N], m2[N], v2[N];
		fill(t1, N, 1, false), fill(g, N, 2, false), fill(m1, N, 3, false);
		fill(v1, N, 4, true);
		memcpy(t2, t1, sizeof t1), memcpy(m2, m1, sizeof m1), memcpy(v2, v1, sizeof v1);
		for (int step = 0; step < 3; step++) {
			k_adam_f32_ref(&p, t1, g, m1, v1, n);
			kernel(&p, t2, g, m2, v2, n);
		}
		cr_expect_eq(memcmp(t1, t2, sizeof t1), 0, "n = %zu: theta differs", n);
		cr_expect_eq(memcmp(m1, m2, sizeof m1), 0, "n = %zu: m differs", n);
		cr_expect_eq(memcmp(v1, v2, sizeof v1), 0, "n = %zu: v differs", n);
	}
}

Test(fused, adam_avx2_is_bit_equal_to_portable_with_decay)
{
	kernels_agree(k_adam_f32_avx2, K_AVX2, 1 - 3e-3f * 0.01f);
}

Test(fused, adam_avx2_is_bit_equal_to_portable_without_decay)
{
	kernels_agree(k_adam_f32_avx2, K_AVX2, 1);
}

Test(fused, adam_avx512_is_bit_equal_to_portable_with_decay)
{
	kernels_agree(k_adam_f32_avx512, K_AVX512, 1 - 3e-3f * 0.01f);
}

Test(fused, adam_avx512_is_bit_equal_to_portable_without_decay)
{
	kernels_agree(k_adam_f32_avx512, K_AVX512, 1);
}

/* The old AdamW, in two passes: θ·(1−η·wd), then PyTorch's moments and step. */
#define TWO_PASSES(REAL, SQRT)                                                              \
	do {                                                                                \
		const REAL keep = (REAL)(1.0 - s.lr * c.wd);                                \
		for (size_t i = 0; i < N; i++)                                              \
			rt[i] *= keep;                                                      \
		const REAL ss = (REAL)(s.lr / (1 - pow(s.momentum, (double)s.t)));          \
		const REAL c2 = (REAL)sqrt(1 - pow(c.beta2, (double)s.t));                  \
		const REAL b1 = (REAL)s.momentum, r1 = (REAL)(1 - s.momentum);              \
		const REAL b2 = (REAL)c.beta2, r2 = (REAL)(1 - c.beta2), e = (REAL)c.eps;   \
		for (size_t i = 0; i < N; i++) {                                            \
			rm[i] = rm[i] * b1 + r1 * g[i];                                     \
			rv[i] = rv[i] * b2 + r2 * g[i] * g[i];                              \
		}                                                                           \
		REAL *w = rv;                                                               \
		if (c.amsgrad) {                                                            \
			for (size_t i = 0; i < N; i++)                                      \
				rx[i] = rx[i] > rv[i] ? rx[i] : rv[i];                      \
			w = rx;                                                             \
		}                                                                           \
		for (size_t i = 0; i < N; i++)                                              \
			rt[i] += -ss * (rm[i] / (SQRT(w[i]) / c2 + e));                     \
	} while (0)

static struct optim_config adamw(bool amsgrad)
{
	return (struct optim_config){.kind = OPT_ADAM, .lr = 3e-3, .momentum = 0.9, .beta2 = 0.999,
	                             .eps = 1e-8, .amsgrad = amsgrad, .wd = 0.01};
}

static void table_f32_matches_two_passes(bool amsgrad)
{
	const struct optim_config c = adamw(amsgrad);
	static float t[N], g[N], m[N], v[N], x[N], rt[N], rm[N], rv[N], rx[N];
	fill(t, N, 5, false), memcpy(rt, t, sizeof t);
	memset(m, 0, sizeof m), memset(v, 0, sizeof v), memset(x, 0, sizeof x);
	memset(rm, 0, sizeof m), memset(rv, 0, sizeof v), memset(rx, 0, sizeof x);
	struct optim_state_f32 st = {NULL, v, m, amsgrad ? x : NULL, NULL};
	for (long step = 1; step <= 4; step++) {
		fill(g, N, 6 + (double)step, false);
		struct optim_step s = {c.lr * 0.8, c.momentum, step};
		optim_update_f32(&c, &s, t, g, &st, N);
		TWO_PASSES(float, sqrtf);
	}
	cr_expect_eq(memcmp(t, rt, sizeof t), 0, "theta differs from decay-then-update");
	cr_expect_eq(memcmp(m, rm, sizeof m), 0, "m differs");
	cr_expect_eq(memcmp(v, rv, sizeof v), 0, "v differs");
}

Test(fused, adamw_f32_is_decay_then_update)
{
	table_f32_matches_two_passes(false);
}

Test(fused, adamw_f32_amsgrad_is_decay_then_update)
{
	table_f32_matches_two_passes(true);
}

Test(fused, adamw_f64_amsgrad_is_decay_then_update)
{
	const struct optim_config c = adamw(true);
	static double t[N], g[N], m[N], v[N], x[N], rt[N], rm[N], rv[N], rx[N];
	for (size_t i = 0; i < N; i++)
		t[i] = rt[i] = wave(i, 5);
	struct optim_state_f64 st = {NULL, v, m, x, NULL};
	for (long step = 1; step <= 4; step++) {
		for (size_t i = 0; i < N; i++)
			g[i] = wave(i, 6 + (double)step);
		struct optim_step s = {c.lr * 0.8, c.momentum, step};
		optim_update_f64(&c, &s, t, g, &st, N);
		TWO_PASSES(double, sqrt);
	}
	cr_expect_eq(memcmp(t, rt, sizeof t), 0, "theta differs from decay-then-update");
	cr_expect_eq(memcmp(x, rx, sizeof x), 0, "max differs");
}
