/* adam_ref.c — the portable AdamW pass (adam.h) and the choice of kernel. */
#include "adam.h"

#include "isa.h"

#include <math.h>

void k_adam_f32_ref(const struct k_adam *p, float *restrict theta, const float *restrict g,
                    float *restrict m, float *restrict v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float kept = theta[i] * p->keep;
		float mi = m[i] * p->beta1 + p->rest1 * g[i];
		float vi = v[i] * p->beta2 + p->rest2 * g[i] * g[i];
		m[i] = mi;
		v[i] = vi;
		theta[i] = kept + p->neg_step * (mi / (sqrtf(vi) / p->correction2 + p->eps));
	}
}

k_adam_fn *k_adam_f32(void)
{
	static k_adam_fn *const kernels[] = {
		[K_PORTABLE] = k_adam_f32_ref, [K_AVX2] = k_adam_f32_avx2,
		[K_AVX512] = k_adam_f32_avx512,
	};
	return kernels[k_isa()];
}
