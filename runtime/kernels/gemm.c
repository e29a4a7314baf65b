/* gemm.c — the blocked, packed driver and the table of micro-kernels (see gemm.h).
 * Loops as in BLIS: jc over NC columns, pc over KC of the shared dimension (in order:
 * the sums' order is fixed), ic over MC rows, then MR×NR micro-tiles. Threads own whole
 * row blocks, in one parallel region per product, opened only when the product is worth
 * it (k_gemm_threads). */
#include "gemm.h"

#include "isa.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads(void) { return 1; }
static int omp_get_thread_num(void) { return 0; }
static int omp_get_num_threads(void) { return 1; }
static int omp_in_parallel(void) { return 0; }
#endif

/* kc rows of `width` contiguous floats from src (ld apart) to out. Inlined with each
 * width copy_panel knows, so that every memcpy has a constant size and is inlined too (a
 * copy of a size known only at run time was a call to memmove per row). */
static inline __attribute__((always_inline)) void copy_rows(const float *src, int64_t ld,
                                                             int64_t kc, int64_t width,
                                                             float *restrict out)
{
	for (int64_t p = 0; p < kc; p++)
		memcpy(out + p * width, src + p * ld, (size_t)width * sizeof *out);
}

/* One whole panel of a pack that is not transposed: kc rows of `panel` (a kernel's MR or
 * NR) floats. */
static void copy_panel(const float *src, int64_t ld, int64_t kc, int64_t panel,
                       float *restrict out)
{
	switch (panel) {
	case 6: copy_rows(src, ld, kc, 6, out); break;
	case 8: copy_rows(src, ld, kc, 8, out); break;
	case 16: copy_rows(src, ld, kc, 16, out); break;
	case 32: copy_rows(src, ld, kc, 32, out); break;
	default: copy_rows(src, ld, kc, panel, out); break;
	}
}

/* Packs columns j0..j0+nc of the kc rows k0.. of M (M[p][j] is m[j * ld + p] when
 * transposed, m[p * ld + j] otherwise) into panels of `panel` columns: a panel holds, for
 * each p, its `panel` values of row p (zeros past the edge). op(B) packs as M = op(B) in
 * panels of NR, op(A) as M = op(A) transposed in panels of MR. The transposed case reads
 * across rows; with avx2 (the AVX2 and AVX-512 kernels' products) it goes 8×8 blocks at
 * a time (k_gemm_pack_t_avx2), to the same floats. */
static void pack(bool transposed, const float *m, int64_t ld, int64_t k0, int64_t kc,
                 int64_t j0, int64_t nc, int64_t panel, float *restrict out, bool avx2)
{
	for (int64_t q = 0; q < nc; q += panel) {
		int64_t width = nc - q < panel ? nc - q : panel;
		if (transposed && avx2) { /* the strided case, in 8×8 blocks */
			k_gemm_pack_t_avx2(m + (j0 + q) * ld + k0, ld, kc, width, panel, out);
			out += kc * panel;
			continue;
		}
		if (!transposed && width == panel) {
			copy_panel(m + k0 * ld + j0 + q, ld, kc, panel, out);
			out += kc * panel;
			continue;
		}
		for (int64_t p = 0; p < kc; p++, out += panel) {
			for (int64_t j = 0; j < width; j++)
				out[j] = transposed ? m[(j0 + q + j) * ld + k0 + p] : m[(k0 + p) * ld + j0 + q + j];
			for (int64_t j = width; j < panel; j++)
				out[j] = 0;
		}
	}
}

/* The floats of one thread's part of the workspace, for any kernel: its packed B and its
 * packed A. */
static int64_t thread_work(void)
{
	return (int64_t)GEMM_KC * (GEMM_NC + GEMM_NR_MAX) + (int64_t)GEMM_MC * GEMM_KC;
}

int64_t k_gemm_workspace(void)
{
	return (int64_t)omp_get_max_threads() * thread_work();
}

/* k_gemm_threads for a kernel of mr rows. */
static int threads_for(int mr, int64_t m, int64_t n, int64_t k)
{
	double flops = 2.0 * (double)m * (double)n * (double)k;
	int64_t worth = (int64_t)(flops / GEMM_GRAIN), tiles = (m + mr - 1) / mr;
	int64_t t = omp_in_parallel() ? 1 : omp_get_max_threads();
	t = worth < t ? worth : t;
	t = tiles < t ? tiles : t;
	return t > 1 ? (int)t : 1;
}

int k_gemm_threads(int64_t m, int64_t n, int64_t k)
{
	return threads_for(k_gemm_kernel()->mr, m, n, k);
}

/* How the m rows are cut for `threads` threads: into blocks of at most MC rows, as many as
 * a multiple of the threads so that each thread gets as many (M = 128 at two threads and
 * MR = 6: 66 and 62 rows, not 72 and 56), each a whole number of mr-row tiles; returns
 * the block's rows, *blocks their number. */
static int64_t block_rows(int64_t m, int mr, int threads, int64_t *blocks)
{
	int64_t count = (m + GEMM_MC - 1) / GEMM_MC;
	count = (count + threads - 1) / threads * threads;
	int64_t rows = (m + count - 1) / count;
	rows = (rows + mr - 1) / mr * mr;
	*blocks = (m + rows - 1) / rows;
	return rows;
}

/* What every thread of one product shares. */
struct product {
	const struct gemm_kernel *kernel;
	bool transa, transb, accumulate;
	int64_t m, n, k, lda, ldb, ldc;
	const float *a, *b;
	float *c;
};

/* Whether every row of a matrix starts a cache line (64 bytes): then a panel's NR floats
 * of a row are whole lines (one at NR = 16, two at 32), as in a packed panel. */
static bool starts_lines(const float *m, int64_t ld)
{
	return (uintptr_t)m % 64 == 0 && ld % 16 == 0;
}

/* Rows r0..r1 of C (whole blocks of mc rows) for one thread, with its own packed B and A
 * in work (thread_work() floats): the loops of BLIS, K summed in order. An operand that
 * is not transposed already holds what the micro-kernel reads side by side, and is read
 * in place: a tile's row r at a + r·lda + p, and, where B's rows start cache lines, a
 * panel's NR values of step p at b + p·ldb + j. Only the edge tile and the edge panel,
 * narrower than MR and NR, are packed; the sums are the same. (Measured: a transposed
 * operand read in place, each step of a tile on another line, and a B whose panel rows
 * straddle two lines, as a convolution's 196-float rows, were slower than packed.) */
static void product_rows(const struct product *p, int64_t r0, int64_t r1, int64_t mc,
                         float *work)
{
	const int64_t mr = p->kernel->mr, nr = p->kernel->nr;
	const bool avx2 = p->kernel->avx2_packing;
	float *packed_b = work, *packed_a = work + (int64_t)GEMM_KC * (GEMM_NC + GEMM_NR_MAX);
	for (int64_t jc = 0; jc < p->n; jc += GEMM_NC) {
		int64_t nc = p->n - jc < GEMM_NC ? p->n - jc : GEMM_NC;
		/* B's columns read in place: its whole panels, where its rows start lines */
		int64_t b_there = p->transb || !starts_lines(p->b, p->ldb) ? 0 : nc / nr * nr;
		for (int64_t pc = 0; pc < p->k; pc += GEMM_KC) {
			int64_t kc = p->k - pc < GEMM_KC ? p->k - pc : GEMM_KC;
			bool add = p->accumulate || pc > 0;
			pack(p->transb, p->b, p->ldb, pc, kc, jc + b_there, nc - b_there, nr, packed_b,
			     avx2);
			for (int64_t ic = r0; ic < r1; ic += mc) {
				int64_t rows = r1 - ic < mc ? r1 - ic : mc;
				int64_t a_there = p->transa ? 0 : rows / mr * mr; /* rows in place */
				pack(!p->transa, p->a, p->lda, pc, kc, ic + a_there, rows - a_there, mr,
				     packed_a, avx2);
				for (int64_t jr = 0; jr < nc; jr += nr) {
					bool b_in = jr < b_there;
					const float *b = b_in ? p->b + pc * p->ldb + jc + jr
					                      : packed_b + (jr - b_there) * kc;
					for (int64_t ir = 0; ir < rows; ir += mr) {
						bool a_in = ir < a_there;
						const float *a = a_in ? p->a + (ic + ir) * p->lda + pc
						                      : packed_a + (ir - a_there) * kc;
						p->kernel->micro(kc, a, a_in ? p->lda : 1, a_in ? 1 : mr, b,
						                 b_in ? p->ldb : nr, p->c + (ic + ir) * p->ldc + jc + jr,
						                 p->ldc, (int)(rows - ir < mr ? rows - ir : mr),
						                 (int)(nc - jr < nr ? nc - jr : nr), add);
					}
				}
			}
		}
	}
}

void k_gemm_with(const struct gemm_kernel *kernel, bool transa, bool transb, int64_t m,
                 int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc, bool accumulate, float *work)
{
	if (m <= 0 || n <= 0)
		return;
	if (k <= 0) { /* an empty sum: C stays, or becomes 0 */
		for (int64_t i = 0; !accumulate && i < m; i++)
			memset(c + i * ldc, 0, (size_t)n * sizeof *c);
		return;
	}
	struct product p = {kernel, transa, transb, accumulate, m, n, k, lda, ldb, ldc, a, b, c};
	int threads = threads_for(kernel->mr, m, n, k);
	int64_t blocks, mc = block_rows(m, kernel->mr, threads, &blocks);
	if (threads == 1) { /* no region at all: even one that does not fork costs ~0.3 µs,
	                     * a tenth of a small product */
		product_rows(&p, 0, m, mc, work);
		return;
	}
	/* one region, no barrier inside: each thread packs what it needs itself and owns its
	 * row blocks; each element of C is summed by one thread over k in the same order,
	 * whatever the number of threads */
#pragma omp parallel num_threads(threads)
	{
		int t = omp_get_thread_num(), team = omp_get_num_threads();
		int64_t first = blocks * t / team, last = blocks * (t + 1) / team;
		int64_t r1 = last * mc < m ? last * mc : m;
		if (first * mc < r1)
			product_rows(&p, first * mc, r1, mc, work + (int64_t)t * thread_work());
	}
}

/* The table, from the reference up (STYLE.md's kernels), indexed by k_isa(). */
static const struct gemm_kernel *const kernels[] = {
	[K_PORTABLE] = &k_gemm_portable, [K_AVX2] = &k_gemm_avx2, [K_AVX512] = &k_gemm_avx512,
};

/* What the driver assumes of every tile: blocks of MC rows hold whole tiles (block_rows
 * rounds a block up to MR rows, and the packed A holds MC of them), NC columns whole
 * panels, and the workspace the widest panel. */
_Static_assert(GEMM_MC % 6 == 0 && GEMM_MC % 8 == 0 && GEMM_MR_MAX == 8,
               "MC must hold whole tiles of every kernel (6 and 8 rows)");
_Static_assert(GEMM_NC % 16 == 0 && GEMM_NC % 32 == 0 && GEMM_NR_MAX == 32,
               "NC must hold whole panels of every kernel (16 and 32 columns)");

const struct gemm_kernel *k_gemm_kernel(void)
{
	return kernels[k_isa()];
}

bool k_gemm_same_sums(const char *a, const char *b)
{
	const struct gemm_kernel *ka = NULL, *kb = NULL;
	for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
		ka = strcmp(a, kernels[i]->name) == 0 ? kernels[i] : ka;
		kb = strcmp(b, kernels[i]->name) == 0 ? kernels[i] : kb;
	}
	return strcmp(a, b) == 0 || (ka && kb && ka->sums == kb->sums);
}

void k_gemm(bool transa, bool transb, int64_t m, int64_t n, int64_t k, const float *a,
            int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate,
            float *work)
{
	k_gemm_with(k_gemm_kernel(), transa, transb, m, n, k, a, lda, b, ldb, c, ldc,
	            accumulate, work);
}
