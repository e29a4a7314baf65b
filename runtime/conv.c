/* conv.c — instantiates conv_impl.h for float (through k_gemm, one thread's packing per
 * workspace slot) and double (through a plain product, for gradient checks); see conv.h. */
#include "conv.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_thread_num(void) { return 0; }
#endif

#include "gemm.h"

/* The double product, as layers.c's: C = op(A)·op(B) (+ C). */
static void matmul_f64(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double *a,
                       int64_t lda, const double *b, int64_t ldb, double *c, int64_t ldc,
                       bool accumulate, float *work)
{
	(void)work;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double sum = accumulate ? c[i * ldc + j] : 0;
			for (int64_t p = 0; p < k; p++)
				sum += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
			c[i * ldc + j] = sum;
		}
}

/* k_gemm inside a thread of the batch loop runs on that thread alone (OpenMP does not
 * nest), but a team of one thread may let it start its own: a slot has k_gemm's whole
 * workspace. */
#define REAL float
#define SUFFIX f32
#define MATMUL k_gemm
#define GEMM_WORK k_gemm_workspace()
#define GEMM_AT(p) (p)
#include "conv_impl.h"
#undef REAL
#undef SUFFIX
#undef MATMUL
#undef GEMM_WORK
#undef GEMM_AT

#define REAL double
#define SUFFIX f64
#define MATMUL matmul_f64
#define GEMM_WORK 0
#define GEMM_AT(p) ((void)(p), (float *)NULL)
#include "conv_impl.h"
#undef REAL
#undef SUFFIX
#undef MATMUL
#undef GEMM_WORK
#undef GEMM_AT
