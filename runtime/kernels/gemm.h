/* gemm.h — C = op(A)·op(B) (+ C), single precision, for the three products training
 * needs: Y = X·Wᵀ (forward), dX = dY·W and dW = dYᵀ·X (backward).
 *
 * Legend: op(A) is M×K, op(B) is K×N, C is M×N; all row-major with leading dimensions
 * lda, ldb, ldc. Blocked and packed after BLIS: panels of op(B) (KC×NR) and op(A)
 * (MR×KC) in a workspace the caller provides (kernels never allocate); an operand that is
 * not transposed is read in place instead (A always, B where its rows start cache lines),
 * but for its edge tile or panel. An MR×NR micro-kernel from a table chosen once (isa.h):
 * AVX-512 (8×32, gemm_avx512.c), AVX2+FMA (6×16, gemm_avx2.c) or the portable reference
 * (6×16, gemm_ref.c). Blocks of at most MC rows go to OpenMP threads (k_gemm_threads:
 * only where the work pays); each element of C is summed over K in the same order, in
 * blocks of KC, by one thread, so neither the number of threads, nor reading in place,
 * nor the tile's shape can change a result: the AVX2 and AVX-512 kernels, both a fused
 * multiply-add per step, give the same bits. The portable kernel multiplies then adds.
 */
#ifndef DESCENT_GEMM_H
#define DESCENT_GEMM_H

#include <stdbool.h>
#include <stdint.h>

/* KC fixes the sums (every kernel adds each block of KC products to C), so it is the same
 * for all; MC and NC are multiples of every kernel's MR and NR (gemm.c checks); MR_MAX
 * and NR_MAX are the largest tile's. */
enum { GEMM_KC = 256, GEMM_MC = 72, GEMM_NC = 3072, GEMM_MR_MAX = 8, GEMM_NR_MAX = 32 };
/* Flops a thread must get for a product to be split: 2^21 (about 25 µs of one core's
 * work), so that opening a parallel region costs a few percent at most. */
#define GEMM_GRAIN 2097152.0

/* A micro-kernel (each static in its kernel's file): an MR×NR tile of A times B, written
 * to the m×n corner of C (ldc), added to what is there if accumulate: over kc steps p,
 * A's value of row r is a[r·ar + p·as] and B's NR values are b[p·bs + j]. Packed panels
 * have ar = 1, as = MR and bs = NR; the driver passes an operand's own rows where they
 * hold a whole tile's values (A: ar = lda, as = 1; B: bs = ldb): the kernel reads all MR
 * and NR values of every step, whatever m and n. */
typedef void gemm_micro_fn(int64_t kc, const float *restrict a, int64_t ar, int64_t as,
                           const float *restrict b, int64_t bs, float *restrict c, int64_t ldc,
                           int m, int n, bool accumulate);

/* How a kernel's sums round: kernels with the same sums give the same bits, whatever
 * their tiles. */
enum gemm_sums {
	GEMM_MUL_ADD, /* a multiply, then an add, per step of k */
	GEMM_FMA,     /* a fused multiply-add per step of k */
};

/* A micro-kernel and what the driver must know of it; each kernel's file defines its
 * entry. */
struct gemm_kernel {
	const char *name;     /* "portable", "avx2" or "avx512": k_isa_name of its isa */
	gemm_micro_fn *micro; /* the tile's product */
	int mr, nr;           /* its tile: MR rows of A, NR columns of B */
	enum gemm_sums sums;  /* how its sums round */
	bool avx2_packing;    /* transposed operands pack with k_gemm_pack_t_avx2 */
};

extern const struct gemm_kernel k_gemm_portable; /* gemm_ref.c */
extern const struct gemm_kernel k_gemm_avx2;     /* gemm_avx2.c */
extern const struct gemm_kernel k_gemm_avx512;   /* gemm_avx512.c */

/* One panel of a transposed pack, with AVX2 (8×8 blocks turned in registers): out[p][j]
 * (kc × panel, panel 6 or a multiple of 8) = rows[j·ld + p] for j < width, 0 past it. The
 * same floats as gemm.c's scalar packing; used only with the AVX2 and AVX-512 kernels. */
void k_gemm_pack_t_avx2(const float *restrict rows, int64_t ld, int64_t kc, int64_t width,
                        int64_t panel, float *restrict out);

/* The kernel in use: the one of k_isa() (isa.h). */
const struct gemm_kernel *k_gemm_kernel(void);

/* Whether products by the kernels named a and b (struct gemm_kernel's names, as a
 * checkpoint records them) give the same bits: the same name, or two kernels of the same
 * sums (avx2 and avx512). */
bool k_gemm_same_sums(const char *a, const char *b);

/* Floats of workspace k_gemm needs (for any sizes, at the current number of threads):
 * each thread its own packed B and packed A. */
int64_t k_gemm_workspace(void);

/* The threads an m×n×k product uses: at most the current number, one per GEMM_GRAIN
 * flops and per MR rows (of the kernel in use), and 1 inside a parallel region (small
 * products run on one thread: opening a region would cost more than it saves). */
int k_gemm_threads(int64_t m, int64_t n, int64_t k);

/* C = op(A)·op(B), plus C if accumulate. transa: A is stored K×M (op(A) = Aᵀ); transb: B
 * is stored N×K. work: k_gemm_workspace() floats, 64-byte aligned. */
void k_gemm(bool transa, bool transb, int64_t m, int64_t n, int64_t k, const float *a,
            int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate,
            float *work);

/* The same product in double, the textbook triple loop (each sum over k in order): the
 * layers' double path, which the gradient tests check against finite differences. work
 * is unused (the signature is k_gemm's, so that one layer source serves both types). */
void k_gemm_f64(bool transa, bool transb, int64_t m, int64_t n, int64_t k, const double *a,
                int64_t lda, const double *b, int64_t ldb, double *c, int64_t ldc,
                bool accumulate, float *work);

/* The same with a given kernel, for tests and benchmarks. */
void k_gemm_with(const struct gemm_kernel *kernel, bool transa, bool transb, int64_t m,
                 int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc, bool accumulate, float *work);

#endif
