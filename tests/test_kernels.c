/* test_kernels.c — GEMM against a naive double-precision reference: both micro-kernels,
 * the three forms training uses (A·Bᵀ, A·B, Aᵀ·B, and Aᵀ·Bᵀ for completeness), odd sizes
 * that cross every block size, accumulation, and leading dimensions wider than the
 * matrix. Tolerance: 1e-5 of Σ|a||b| per element, a bound on float rounding. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "gemm.h"

static float value(int64_t i, int64_t j, int salt)
{
	return (float)sin(0.37 * (double)i + 0.91 * (double)j + salt) * 2;
}

static void check(gemm_micro_fn *micro, const char *name, bool ta, bool tb, int64_t m,
                  int64_t n, int64_t k, bool accumulate)
{
	int64_t pad = 3; /* leading dimensions wider than the rows */
	int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
	int64_t arows = ta ? k : m, brows = tb ? n : k;
	float *a = malloc((size_t)(arows * lda + 1) * sizeof *a);
	float *b = malloc((size_t)(brows * ldb + 1) * sizeof *b);
	float *c = malloc((size_t)(m * ldc + 1) * sizeof *c);
	float *work = aligned_alloc(64, (size_t)k_gemm_workspace() * sizeof *work);
	for (int64_t i = 0; i < arows * lda; i++)
		a[i] = value(i / lda, i % lda, 1);
	for (int64_t i = 0; i < brows * ldb; i++)
		b[i] = value(i / ldb, i % ldb, 2);
	for (int64_t i = 0; i < m * ldc; i++)
		c[i] = value(i / ldc, i % ldc, 3);
	float *before = malloc((size_t)(m * ldc + 1) * sizeof *before);
	memcpy(before, c, (size_t)(m * ldc) * sizeof *c);
	k_gemm_with(micro, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
	int bad = 0;
	for (int64_t i = 0; i < m && bad < 3; i++)
		for (int64_t j = 0; j < n + pad && bad < 3; j++) {
			if (j >= n) { /* beyond the matrix: untouched */
				if (c[i * ldc + j] != before[i * ldc + j]) {
					bad++;
					cr_expect_fail("%s: C(%ld,%ld) past the edge was written", name, (long)i,
					               (long)j);
				}
				continue;
			}
			double want = accumulate ? before[i * ldc + j] : 0, bound = 0;
			for (int64_t p = 0; p < k; p++) {
				double x = ta ? a[p * lda + i] : a[i * lda + p];
				double y = tb ? b[j * ldb + p] : b[p * ldb + j];
				want += x * y;
				bound += fabs(x * y);
			}
			if (fabs(c[i * ldc + j] - want) > 1e-5 * (bound + 1)) {
				bad++;
				cr_expect_fail("%s %c%c m=%ld n=%ld k=%ld: C(%ld,%ld) = %.7g, want %.7g", name,
				               ta ? 'T' : 'N', tb ? 'T' : 'N', (long)m, (long)n, (long)k,
				               (long)i, (long)j, (double)c[i * ldc + j], want);
			}
		}
	free(a);
	free(b);
	free(c);
	free(before);
	free(work);
}

static void check_all(gemm_micro_fn *micro, const char *name)
{
	static const int64_t sizes[] = {1, 7, 17, 129, 300};
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < 5; i++)
			for (size_t j = 0; j < 5; j++)
				check(micro, name, t & 1, t & 2, sizes[i], sizes[j], sizes[(i + j) % 5], t == 1);
	check(micro, name, false, true, 128, 256, 784, false); /* Y = X·Wᵀ of the MLP */
	check(micro, name, true, false, 256, 784, 128, true);  /* dW += dYᵀ·X */
	check(micro, name, false, false, 5, 9, 0, false);       /* an empty sum */
	check(micro, name, false, false, 0, 9, 4, false);
}

Test(kernels, portable_gemm_matches_the_reference)
{
	check_all(k_gemm_micro_ref, "portable");
}

Test(kernels, avx2_gemm_matches_the_reference)
{
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		cr_skip_test("this processor has no AVX2+FMA");
	check_all(k_gemm_micro_avx2, "avx2");
}

/* Operands that are not transposed are read in place (B where its rows start cache lines),
 * transposed ones packed: the same A and B either way must give the same bits. m×n×k with
 * whole tiles and an edge, whole panels and an edge, k across KC, padded leading
 * dimensions; on threads threads (m = 150: row blocks that start past row 0). */
static void check_in_place(gemm_micro_fn *micro, const char *name, int64_t m, int64_t n,
                           int threads, bool accumulate)
{
	int64_t k = 300, lda = k + 2, ldb = (n + 15) / 16 * 16 + 16;
	float *a = malloc(m * lda * sizeof *a), *b = aligned_alloc(64, k * ldb * sizeof *b);
	float *at = malloc(k * m * sizeof *at), *bt = malloc(n * k * sizeof *bt);
	float *c = malloc(2 * m * n * sizeof *c);
	omp_set_num_threads(threads);
	float *work = aligned_alloc(64, (size_t)k_gemm_workspace() * sizeof *work);
	cr_assert_eq(k_gemm_threads(m, n, k), threads);
	for (int64_t i = 0; i < m; i++)
		for (int64_t p = 0; p < lda; p++)
			a[i * lda + p] = value(i, p, 4);
	for (int64_t p = 0; p < k; p++)
		for (int64_t j = 0; j < ldb; j++)
			b[p * ldb + j] = value(p, j, 5);
	for (int64_t p = 0; p < k; p++) {
		for (int64_t i = 0; i < m; i++)
			at[p * m + i] = a[i * lda + p];
		for (int64_t j = 0; j < n; j++)
			bt[j * k + p] = b[p * ldb + j];
	}
	for (int64_t i = 0; i < 2 * m * n; i++)
		c[i] = value(i % (m * n), 0, 6);
	k_gemm_with(micro, false, false, m, n, k, a, lda, b, ldb, c, n, accumulate, work);
	k_gemm_with(micro, true, true, m, n, k, at, m, bt, k, c + m * n, n, accumulate, work);
	cr_expect(memcmp(c, c + m * n, m * n * sizeof *c) == 0,
	          "%s %ldx%ld on %d threads: operands in place and packed gave other bits", name,
	          (long)m, (long)n, threads);
	free(a);
	free(b);
	free(at);
	free(bt);
	free(c);
	free(work);
}

Test(kernels, operands_read_in_place_give_the_bits_of_packed_ones)
{
	__builtin_cpu_init();
	bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	for (int accumulate = 0; accumulate < 2; accumulate++) {
		check_in_place(k_gemm_micro_ref, "portable", 13, 37, 1, accumulate);
		check_in_place(k_gemm_micro_ref, "portable", 150, 69, 2, accumulate);
		if (avx2) {
			check_in_place(k_gemm_micro_avx2, "avx2", 13, 37, 1, accumulate);
			check_in_place(k_gemm_micro_avx2, "avx2", 150, 69, 2, accumulate);
		}
	}
}

Test(kernels, descent_kernels_portable_forces_the_reference)
{
	setenv("DESCENT_KERNELS", "portable", 1);
	const char *name;
	cr_expect_eq(k_gemm_micro(&name), k_gemm_micro_ref);
	cr_expect_str_eq(name, "portable");
}
