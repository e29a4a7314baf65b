/* test_kernels.c — GEMM against a naive double-precision reference: every micro-kernel
 * the processor runs, the three forms training uses (A·Bᵀ, A·B, Aᵀ·B, and Aᵀ·Bᵀ for
 * completeness), odd sizes that cross every block size, accumulation, and leading
 * dimensions wider than the matrix. Tolerance: 1e-5 of Σ|a||b| per element, a bound on
 * float rounding. Then what must hold bit for bit: operands in place against packed, and
 * the AVX-512 kernel against the AVX2 one. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "adam.h"
#include "gemm.h"
#include "isa.h"

static float value(int64_t i, int64_t j, int salt)
{
	return (float)sin(0.37 * (double)i + 0.91 * (double)j + salt) * 2;
}

static void check(const struct gemm_kernel *kernel, bool ta, bool tb, int64_t m,
                  int64_t n, int64_t k, bool accumulate)
{
	int64_t pad = 3; /* leading dimensions wider than the rows */
	int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
	int64_t arows = ta ? k : m, brows = tb ? n : k;
	float *a = malloc((size_t)(arows * lda + 1) * sizeof *a);
	float *b = malloc((size_t)(brows * ldb + 1) * sizeof *b);
	float *c = malloc((size_t)((m + 1) * ldc + 1) * sizeof *c); /* a row past C: a guard */
	float *work = aligned_alloc(64, (size_t)k_gemm_workspace() * sizeof *work);
	for (int64_t i = 0; i < arows * lda; i++)
		a[i] = value(i / lda, i % lda, 1);
	for (int64_t i = 0; i < brows * ldb; i++)
		b[i] = value(i / ldb, i % ldb, 2);
	for (int64_t i = 0; i < (m + 1) * ldc; i++)
		c[i] = value(i / ldc, i % ldc, 3);
	float *before = malloc((size_t)((m + 1) * ldc + 1) * sizeof *before);
	memcpy(before, c, (size_t)((m + 1) * ldc) * sizeof *c);
	k_gemm_with(kernel, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
	const char *name = kernel->name;
	int bad = 0;
	cr_expect(memcmp(c + m * ldc, before + m * ldc, (size_t)ldc * sizeof *c) == 0,
	          "%s m=%ld n=%ld k=%ld: the row past C was written", name, (long)m, (long)n, (long)k);
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

static void check_all(const struct gemm_kernel *kernel)
{
	static const int64_t sizes[] = {1, 7, 17, 129, 300};
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < 5; i++)
			for (size_t j = 0; j < 5; j++)
				check(kernel, t & 1, t & 2, sizes[i], sizes[j], sizes[(i + j) % 5], t == 1);
	check(kernel, false, true, 128, 256, 784, false); /* Y = X·Wᵀ of the MLP */
	check(kernel, true, false, 256, 784, 128, true);  /* dW += dYᵀ·X */
	check(kernel, false, false, 5, 9, 0, false);      /* an empty sum */
	check(kernel, false, false, 0, 9, 4, false);
}

Test(kernels, portable_gemm_matches_the_reference)
{
	check_all(&k_gemm_portable);
}

Test(kernels, avx2_gemm_matches_the_reference)
{
	if (k_isa_supported() < K_AVX2)
		cr_skip_test("this processor has no AVX2+FMA");
	check_all(&k_gemm_avx2);
}

Test(kernels, avx512_gemm_matches_the_reference)
{
	if (k_isa_supported() < K_AVX512)
		cr_skip_test("this processor has no AVX-512");
	check_all(&k_gemm_avx512);
}

/* Operands that are not transposed are read in place (B where its rows start cache lines),
 * transposed ones packed: the same A and B either way must give the same bits. m×n×k with
 * whole tiles and an edge, whole panels and an edge, k across KC, padded leading
 * dimensions; on threads threads (m = 150: row blocks that start past row 0). */
static void check_in_place(const struct gemm_kernel *kernel, int64_t m, int64_t n,
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
	k_gemm_with(kernel, false, false, m, n, k, a, lda, b, ldb, c, n, accumulate, work);
	k_gemm_with(kernel, true, true, m, n, k, at, m, bt, k, c + m * n, n, accumulate, work);
	cr_expect(memcmp(c, c + m * n, m * n * sizeof *c) == 0,
	          "%s %ldx%ld on %d threads: operands in place and packed gave other bits", kernel->name,
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
	const struct gemm_kernel *kernels[] = {&k_gemm_portable, &k_gemm_avx2, &k_gemm_avx512};
	for (int kk = 0; kk <= (int)k_isa_supported(); kk++)
		for (int accumulate = 0; accumulate < 2; accumulate++) {
			check_in_place(kernels[kk], 13, 37, 1, accumulate);
			check_in_place(kernels[kk], 150, 69, 2, accumulate);
		}
}

/* The AVX-512 kernel's 8×32 tiles against the AVX2 kernel's 6×16, same operands: the
 * same bits, at sizes around both tiles and across KC, in the four forms, with and
 * without accumulation; on two threads for products large enough to use them (whose
 * row blocks are cut at other rows for each tile). */
static void same_bits(bool ta, bool tb, int64_t m, int64_t n, int64_t k, bool accumulate,
                      int threads)
{
	int64_t lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 1;
	float *a = malloc((size_t)((ta ? k : m) * lda + 1) * sizeof *a);
	float *b = malloc((size_t)((tb ? n : k) * ldb + 1) * sizeof *b);
	float *c = malloc((size_t)(2 * m * n + 1) * sizeof *c);
	omp_set_num_threads(threads);
	float *work = aligned_alloc(64, (size_t)k_gemm_workspace() * sizeof *work);
	cr_assert(threads == 1 || k_gemm_threads(m, n, k) == threads, "m=%ld n=%ld k=%ld: one thread",
	          (long)m, (long)n, (long)k);
	for (int64_t i = 0; i < (ta ? k : m) * lda; i++)
		a[i] = value(i / lda, i % lda, 7);
	for (int64_t i = 0; i < (tb ? n : k) * ldb; i++)
		b[i] = value(i / ldb, i % ldb, 8);
	for (int64_t i = 0; i < m * n; i++)
		c[i] = c[m * n + i] = value(i, 1, 9);
	k_gemm_with(&k_gemm_avx2, ta, tb, m, n, k, a, lda, b, ldb, c, n, accumulate, work);
	k_gemm_with(&k_gemm_avx512, ta, tb, m, n, k, a, lda, b, ldb, c + m * n, n, accumulate,
	            work);
	cr_expect(memcmp(c, c + m * n, (size_t)(m * n) * sizeof *c) == 0,
	          "%c%c m=%ld n=%ld k=%ld%s on %d threads: avx512 and avx2 gave other bits",
	          ta ? 'T' : 'N', tb ? 'T' : 'N', (long)m, (long)n, (long)k,
	          accumulate ? " accumulated" : "", threads);
	free(a);
	free(b);
	free(c);
	free(work);
}

Test(kernels, avx512_gives_the_bits_of_avx2)
{
	if (k_isa_supported() < K_AVX512)
		cr_skip_test("this processor has no AVX-512");
	static const int64_t sizes[] = {1, 7, 8, 9, 31, 33, 130, 300};
	for (int t = 0; t < 4; t++)
		for (size_t i = 0; i < 8; i++)
			for (size_t j = 0; j < 8; j++)
				same_bits(t & 1, t & 2, sizes[i], sizes[j], sizes[(i + 3 * j) % 8],
				          (i + j + (size_t)t) % 2, 1);
	for (int t = 0; t < 8; t++) /* row blocks of 150 rows: tiles and an edge on each thread */
		same_bits(t & 1, t & 2, 150, 130, 300, t & 4, 2);
	same_bits(false, true, 128, 256, 784, false, 2); /* the Fashion MLP's products */
	same_bits(true, false, 256, 784, 128, true, 2);
	same_bits(false, false, 128, 256, 128, false, 2);
}

Test(kernels, descent_kernels_portable_forces_the_reference)
{
	setenv("DESCENT_KERNELS", "portable", 1);
	cr_expect_eq(k_gemm_kernel(), &k_gemm_portable);
	cr_expect_str_eq(k_gemm_kernel()->name, "portable");
	cr_expect_eq(k_isa(), K_PORTABLE);
}

Test(kernels, descent_kernels_avx2_caps_the_choice_at_avx2)
{
	if (k_isa_supported() < K_AVX2)
		cr_skip_test("this processor has no AVX2+FMA");
	setenv("DESCENT_KERNELS", "avx2", 1);
	cr_expect_eq(k_gemm_kernel(), &k_gemm_avx2);
	cr_expect_eq(k_adam_f32(), k_adam_f32_avx2);
}

Test(kernels, without_descent_kernels_the_widest_kernel_is_used)
{
	unsetenv("DESCENT_KERNELS");
	cr_expect_eq(k_isa(), k_isa_supported());
	cr_expect_str_eq(k_gemm_kernel()->name, k_isa_name(k_isa_supported()));
}

Test(kernels, fused_kernels_give_the_same_sums)
{
	cr_expect(k_gemm_same_sums("avx2", "avx512"));
	cr_expect(k_gemm_same_sums("avx512", "avx2"));
	cr_expect(k_gemm_same_sums("portable", "portable"));
	cr_expect(!k_gemm_same_sums("portable", "avx2"));
	cr_expect(!k_gemm_same_sums("avx512", "portable"));
	cr_expect(!k_gemm_same_sums("avx512", "sse9"));
}
