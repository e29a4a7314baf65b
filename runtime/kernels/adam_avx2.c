/* adam_avx2.c — the AdamW pass (adam.h) 8 floats at a time. Compiled with -mavx2 -mfma
 * like every *_avx2.c, but written with separate multiplies and adds (and the project
 * builds with -std=c11, i.e. -ffp-contract=off), so that no operation is fused and each
 * element gets the bits of k_adam_f32_ref. Called only where CPUID says AVX2. */
#include "adam.h"

#include <immintrin.h>

void k_adam_f32_avx2(const struct k_adam *p, float *restrict theta, const float *restrict g,
                     float *restrict m, float *restrict v, size_t n)
{
	const __m256 keep = _mm256_set1_ps(p->keep);
	const __m256 beta1 = _mm256_set1_ps(p->beta1), rest1 = _mm256_set1_ps(p->rest1);
	const __m256 beta2 = _mm256_set1_ps(p->beta2), rest2 = _mm256_set1_ps(p->rest2);
	const __m256 neg_step = _mm256_set1_ps(p->neg_step);
	const __m256 correction2 = _mm256_set1_ps(p->correction2), eps = _mm256_set1_ps(p->eps);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 gi = _mm256_loadu_ps(g + i);
		__m256 kept = _mm256_mul_ps(_mm256_loadu_ps(theta + i), keep);
		__m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), beta1),
		                          _mm256_mul_ps(rest1, gi));
		__m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), beta2),
		                          _mm256_mul_ps(_mm256_mul_ps(rest2, gi), gi));
		_mm256_storeu_ps(m + i, mi);
		_mm256_storeu_ps(v + i, vi);
		__m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), correction2), eps);
		__m256 step = _mm256_mul_ps(neg_step, _mm256_div_ps(mi, denom));
		_mm256_storeu_ps(theta + i, _mm256_add_ps(kept, step));
	}
	if (i < n)
		k_adam_f32_ref(p, theta + i, g + i, m + i, v + i, n - i);
}
