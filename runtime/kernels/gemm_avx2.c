/* gemm_avx2.c — the AVX2+FMA micro-kernel: a 6×16 tile in twelve ymm accumulators,
 * one broadcast of A and two loads of B per step of k. Compiled with -mavx2 -mfma (this
 * file only) and called only when CPUID says the processor has both. */
#include "gemm.h"

#include <immintrin.h>

/* One step of k: row r of A broadcast against B's two halves b0, b1. */
#define ROW(r)                                                        \
	do {                                                          \
		__m256 ar = _mm256_broadcast_ss(a + (r));             \
		c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);           \
		c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);           \
	} while (0)

void k_gemm_micro_avx2(int64_t kc, const float *restrict a, const float *restrict b,
                       float *restrict c, int64_t ldc, int m, int n, bool accumulate)
{
	/* the twelve accumulators named, so that they stay in registers */
	__m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
	__m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
	for (int64_t p = 0; p < kc; p++, a += GEMM_MR, b += GEMM_NR) {
		__m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
		ROW(0);
		ROW(1);
		ROW(2);
		ROW(3);
		ROW(4);
		ROW(5);
	}
	__m256 acc[GEMM_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41},
	                          {c50, c51}};
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

#undef ROW
