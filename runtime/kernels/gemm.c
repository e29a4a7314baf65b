/* gemm.c — the blocked, packed driver and the choice of micro-kernel (see gemm.h).
 * Loops as in BLIS: jc over NC columns, pc over KC of the shared dimension (in order:
 * the sums' order is fixed), ic over MC rows, then MR×NR micro-tiles. */
#include "gemm.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads(void) { return 1; }
static int omp_get_thread_num(void) { return 0; }
#endif

/* Packs columns j0..j0+nc of the kc rows k0.. of M (M[p][j] is m[j * ld + p] when
 * transposed, m[p * ld + j] otherwise) into panels of `panel` columns: a panel holds, for
 * each p, its `panel` values of row p (zeros past the edge). op(B) packs as M = op(B) in
 * panels of NR, op(A) as M = op(A) transposed in panels of MR. */
static void pack(bool transposed, const float *m, int64_t ld, int64_t k0, int64_t kc,
                 int64_t j0, int64_t nc, int64_t panel, float *restrict out)
{
	for (int64_t q = 0; q < nc; q += panel) {
		int64_t width = nc - q < panel ? nc - q : panel;
		for (int64_t p = 0; p < kc; p++, out += panel) {
			for (int64_t j = 0; j < width; j++)
				out[j] = transposed ? m[(j0 + q + j) * ld + k0 + p] : m[(k0 + p) * ld + j0 + q + j];
			for (int64_t j = width; j < panel; j++)
				out[j] = 0;
		}
	}
}

int64_t k_gemm_workspace(void)
{
	/* one packed B, and a packed A for each thread */
	return (int64_t)GEMM_KC * (GEMM_NC + GEMM_NR)
		+ (int64_t)omp_get_max_threads() * GEMM_MC * GEMM_KC;
}

void k_gemm_with(gemm_micro_fn *micro, bool transa, bool transb, int64_t m, int64_t n,
                 int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                 float *c, int64_t ldc, bool accumulate, float *work)
{
	if (m <= 0 || n <= 0)
		return;
	if (k <= 0) { /* an empty sum: C stays, or becomes 0 */
		for (int64_t i = 0; !accumulate && i < m; i++)
			memset(c + i * ldc, 0, (size_t)n * sizeof *c);
		return;
	}
	float *packed_b = work, *packed_a0 = work + (int64_t)GEMM_KC * (GEMM_NC + GEMM_NR);
	for (int64_t jc = 0; jc < n; jc += GEMM_NC) {
		int64_t nc = n - jc < GEMM_NC ? n - jc : GEMM_NC;
		for (int64_t pc = 0; pc < k; pc += GEMM_KC) {
			int64_t kc = k - pc < GEMM_KC ? k - pc : GEMM_KC;
			bool add = accumulate || pc > 0;
			pack(transb, b, ldb, pc, kc, jc, nc, GEMM_NR, packed_b);
			/* row blocks to threads: each element of C is still summed by one thread,
			 * over k in the same order, whatever the number of threads */
#pragma omp parallel for schedule(static) if (m > GEMM_MC)
			for (int64_t ic = 0; ic < m; ic += GEMM_MC) {
				int64_t mc = m - ic < GEMM_MC ? m - ic : GEMM_MC;
				float *packed_a = packed_a0 + (int64_t)omp_get_thread_num() * GEMM_MC * GEMM_KC;
				pack(!transa, a, lda, pc, kc, ic, mc, GEMM_MR, packed_a);
				for (int64_t jr = 0; jr < nc; jr += GEMM_NR)
					for (int64_t ir = 0; ir < mc; ir += GEMM_MR)
						micro(kc, packed_a + ir * kc, packed_b + jr * kc,
						      c + (ic + ir) * ldc + jc + jr, ldc,
						      (int)(mc - ir < GEMM_MR ? mc - ir : GEMM_MR),
						      (int)(nc - jr < GEMM_NR ? nc - jr : GEMM_NR), add);
			}
		}
	}
}

gemm_micro_fn *k_gemm_micro(const char **name)
{
	static gemm_micro_fn *chosen;
	static const char *chosen_name;
	if (!chosen) {
		const char *want = getenv("DESCENT_KERNELS");
		bool portable = want && strcmp(want, "portable") == 0;
		__builtin_cpu_init();
		if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
			chosen = k_gemm_micro_avx2;
			chosen_name = "avx2";
		} else {
			chosen = k_gemm_micro_ref;
			chosen_name = "portable";
		}
	}
	if (name)
		*name = chosen_name;
	return chosen;
}

void k_gemm(bool transa, bool transb, int64_t m, int64_t n, int64_t k, const float *a,
            int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate,
            float *work)
{
	k_gemm_with(k_gemm_micro(NULL), transa, transb, m, n, k, a, lda, b, ldb, c, ldc,
	            accumulate, work);
}
