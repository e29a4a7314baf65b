/* adam.h — AdamW's whole update of one float tensor in one pass: the decoupled decay, the
 * two moments and the step, per element in PyTorch 1.13's order:
 *   θ ← θ·keep; m ← m·β₁ + (1−β₁)·g; v ← v·β₂ + (1−β₂)·g·g;
 *   θ ← θ + (−step_size)·(m / (√v / correction2 + eps)).
 * Each element sees the same IEEE operations (mul, add, div, sqrt; no fused multiply-add)
 * in the same order in every kernel, so all kernels give the same bits; keep = 1 (no
 * decay) leaves θ exact. The kernel follows the GEMM's choice (isa.h): AVX-512
 * (adam_avx512.c, 16 floats a step), AVX2 (adam_avx2.c, 8) or the portable loop
 * (adam_ref.c).
 */
#ifndef DESCENT_ADAM_H
#define DESCENT_ADAM_H

#include <stddef.h>

/* The per-step scalars, already rounded to float as the update uses them. */
struct k_adam {
	float keep;        /* 1 − η·wd (1: no decay) */
	float beta1, rest1; /* β₁, 1 − β₁ */
	float beta2, rest2; /* β₂, 1 − β₂ */
	float neg_step;    /* −η/(1 − β₁ᵗ) */
	float correction2; /* √(1 − β₂ᵗ) */
	float eps;
};

typedef void k_adam_fn(const struct k_adam *p, float *restrict theta, const float *restrict g,
                       float *restrict m, float *restrict v, size_t n);

k_adam_fn k_adam_f32_ref;
k_adam_fn k_adam_f32_avx2;
k_adam_fn k_adam_f32_avx512;

/* The kernel in use: the one of k_isa() (isa.h). */
k_adam_fn *k_adam_f32(void);

#endif
