/* adam_ref.c — the portable AdamW pass (adam.h) and the choice of kernel. */
#include "adam.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

/* Called by the update's threads: the choice is read and written atomically (two threads
 * that both choose store the same kernel). */
k_adam_fn *k_adam_f32(void)
{
	static k_adam_fn *chosen;
	k_adam_fn *kernel = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
	if (!kernel) {
		const char *want = getenv("DESCENT_KERNELS");
		bool portable = want && strcmp(want, "portable") == 0;
		__builtin_cpu_init();
		kernel = !portable && __builtin_cpu_supports("avx2") ? k_adam_f32_avx2
		                                                     : k_adam_f32_ref;
		__atomic_store_n(&chosen, kernel, __ATOMIC_RELEASE);
	}
	return kernel;
}
