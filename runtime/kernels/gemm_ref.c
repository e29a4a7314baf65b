/* gemm_ref.c — the portable reference micro-kernel: the vector kernels' tile product in
 * plain C, always built and tested, but with a multiply and an add per step where they
 * fuse the two (GEMM_MUL_ADD: each product rounded before its add, so other last bits).
 * One row of the tile at a time, so that its sixteen sums stay in registers whatever the
 * compiler unrolls; each sum runs over k in order. Also the double product, k_gemm_f64. */
#include "gemm.h"

enum { MR = 6, NR = 16 }; /* its tile */

static void micro(int64_t kc, const float *restrict a, int64_t ar, int64_t as,
                  const float *restrict b, int64_t bs, float *restrict c, int64_t ldc, int m,
                  int n, bool accumulate)
{
	for (int r = 0; r < m; r++) {
		float row[NR] = {0};
		for (int64_t p = 0; p < kc; p++) {
			const float x = a[r * ar + p * as];
			for (int j = 0; j < NR; j++)
				row[j] += x * b[p * bs + j];
		}
		for (int j = 0; j < n; j++)
			c[r * ldc + j] = accumulate ? c[r * ldc + j] + row[j] : row[j];
	}
}

const struct gemm_kernel k_gemm_portable = {
	.name = "portable", .micro = micro, .mr = MR, .nr = NR, .sums = GEMM_MUL_ADD,
	.avx2_packing = false,
};

void k_gemm_f64(bool transa, bool transb, int64_t m, int64_t n, int64_t k, const double *a,
                int64_t lda, const double *b, int64_t ldb, double *c, int64_t ldc,
                bool accumulate, float *work)
{
	(void)work;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double sum = accumulate ? c[i * ldc + j] : 0;
			for (int64_t p = 0; p < k; p++)
				sum += (transa ? a[p * lda + i] : a[i * lda + p])
					* (transb ? b[j * ldb + p] : b[p * ldb + j]);
			c[i * ldc + j] = sum;
		}
}
