/* adam_avx512.c — the AdamW pass (adam.h) 16 floats at a time: adam_avx2.c's operations
 * on zmm registers, so the same bits. Worth it because the divisions and the square root
 * bound the pass, and cores with full-width AVX-512 divide 16 floats in the time of 8
 * (bench/RESULTS.md). Compiled with -mavx512f (this file only), built with -std=c11
 * (no contraction into fused multiply-adds); called only where CPUID says AVX-512F. */
#include "adam.h"

#include <immintrin.h>

void k_adam_f32_avx512(const struct k_adam *p, float *restrict theta, const float *restrict g,
                       float *restrict m, float *restrict v, size_t n)
{
	const __m512 keep = _mm512_set1_ps(p->keep);
	const __m512 beta1 = _mm512_set1_ps(p->beta1), rest1 = _mm512_set1_ps(p->rest1);
	const __m512 beta2 = _mm512_set1_ps(p->beta2), rest2 = _mm512_set1_ps(p->rest2);
	const __m512 neg_step = _mm512_set1_ps(p->neg_step);
	const __m512 correction2 = _mm512_set1_ps(p->correction2), eps = _mm512_set1_ps(p->eps);
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		__m512 gi = _mm512_loadu_ps(g + i);
		__m512 kept = _mm512_mul_ps(_mm512_loadu_ps(theta + i), keep);
		__m512 mi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(m + i), beta1),
		                          _mm512_mul_ps(rest1, gi));
		__m512 vi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(v + i), beta2),
		                          _mm512_mul_ps(_mm512_mul_ps(rest2, gi), gi));
		_mm512_storeu_ps(m + i, mi);
		_mm512_storeu_ps(v + i, vi);
		__m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), correction2), eps);
		__m512 step = _mm512_mul_ps(neg_step, _mm512_div_ps(mi, denom));
		_mm512_storeu_ps(theta + i, _mm512_add_ps(kept, step));
	}
	_mm256_zeroupper();
	if (i < n)
		k_adam_f32_ref(p, theta + i, g + i, m + i, v + i, n - i);
}
