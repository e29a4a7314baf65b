/* gemm_avx2.c — the AVX2+FMA micro-kernel: a 6×16 tile in twelve ymm accumulators,
 * one broadcast of A and two loads of B per step of k. Compiled with -mavx2 -mfma (this
 * file only) and called only when CPUID says the processor has both. */
#include "gemm.h"

#include <immintrin.h>

void k_gemm_micro_avx2(int64_t kc, const float *restrict a, const float *restrict b,
                       float *restrict c, int64_t ldc, int m, int n, bool accumulate)
{
	__m256 acc[GEMM_MR][2];
	for (int r = 0; r < GEMM_MR; r++)
		acc[r][0] = acc[r][1] = _mm256_setzero_ps();
	for (int64_t p = 0; p < kc; p++) {
		/* the two halves of B's row p, then each row of A broadcast against them */
		__m256 b0 = _mm256_load_ps(b + p * GEMM_NR), b1 = _mm256_load_ps(b + p * GEMM_NR + 8);
		for (int r = 0; r < GEMM_MR; r++) {
			__m256 ar = _mm256_broadcast_ss(a + p * GEMM_MR + r);
			acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
			acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
		}
	}
	if (m == GEMM_MR && n == GEMM_NR) { /* a whole tile: straight to C */
		for (int r = 0; r < GEMM_MR; r++) {
			float *row = c + r * ldc;
			if (accumulate) {
				acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(row));
				acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(row + 8));
			}
			_mm256_storeu_ps(row, acc[r][0]);
			_mm256_storeu_ps(row + 8, acc[r][1]);
		}
	} else { /* an edge tile: through a buffer, the corner that exists */
		float tile[GEMM_MR][GEMM_NR];
		for (int r = 0; r < GEMM_MR; r++) {
			_mm256_storeu_ps(tile[r], acc[r][0]);
			_mm256_storeu_ps(tile[r] + 8, acc[r][1]);
		}
		for (int r = 0; r < m; r++)
			for (int j = 0; j < n; j++)
				c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r][j] : tile[r][j];
	}
	_mm256_zeroupper();
}
