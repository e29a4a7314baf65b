/* gemm_ref.c — the portable reference micro-kernel: what gemm_avx2.c computes, in plain
 * C, always built and tested. */
#include "gemm.h"

void k_gemm_micro_ref(int64_t kc, const float *restrict a, const float *restrict b,
                      float *restrict c, int64_t ldc, int m, int n, bool accumulate)
{
	float tile[GEMM_MR][GEMM_NR] = {{0}};
	for (int64_t p = 0; p < kc; p++)
		for (int r = 0; r < GEMM_MR; r++)
			for (int j = 0; j < GEMM_NR; j++)
				tile[r][j] += a[p * GEMM_MR + r] * b[p * GEMM_NR + j];
	for (int r = 0; r < m; r++)
		for (int j = 0; j < n; j++)
			c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r][j] : tile[r][j];
}
