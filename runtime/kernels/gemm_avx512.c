/* gemm_avx512.c — the AVX-512 micro-kernel: an 8×32 tile in sixteen zmm accumulators,
 * one broadcast of A and two loads of B per step of k. Per element it is the AVX2
 * kernel's arithmetic (a fused multiply-add per step of k, from 0, then C added once), so
 * the same bits; only the tile is wider. Worth it where the cores execute 512-bit
 * operations at full width: twice the AVX2 kernel's flops on this project's machines
 * (bench/RESULTS.md). Compiled with -mavx512f (this file only) and called only where
 * CPUID says the processor has it. */
#include "gemm.h"

#include <immintrin.h>

enum { MR = 8, NR = 32 }; /* its tile */

/* One step of k: row r of A (ar floats after row r - 1) broadcast against B's two halves
 * b0, b1. */
#define ROW(r)                                                        \
	do {                                                          \
		__m512 x = _mm512_set1_ps(a[(r) * ar]);               \
		c##r##0 = _mm512_fmadd_ps(x, b0, c##r##0);            \
		c##r##1 = _mm512_fmadd_ps(x, b1, c##r##1);            \
	} while (0)

static void micro(int64_t kc, const float *restrict a, int64_t ar, int64_t as,
                  const float *restrict b, int64_t bs, float *restrict c, int64_t ldc, int m,
                  int n, bool accumulate)
{
	/* the sixteen accumulators named, so that they stay in registers */
	__m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
	__m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
	__m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
	for (int64_t p = 0; p < kc; p++, a += as, b += bs) {
		__m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
		ROW(0);
		ROW(1);
		ROW(2);
		ROW(3);
		ROW(4);
		ROW(5);
		ROW(6);
		ROW(7);
	}
	__m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41},
	                     {c50, c51}, {c60, c61}, {c70, c71}};
	/* the columns that exist, as two masks of 16 (an edge tile: masked loads and stores
	 * touch nothing past n, and skip the rows past m) */
	__mmask16 k0 = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
	__mmask16 k1 = n >= NR ? 0xffff : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
	for (int r = 0; r < MR; r++) { /* to MR, not m: a constant trip count unrolls, and
	                                 * acc stays in registers */
		if (r >= m)
			break;
		float *row = c + r * ldc;
		if (accumulate) {
			acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_maskz_loadu_ps(k0, row));
			acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_maskz_loadu_ps(k1, row + 16));
		}
		_mm512_mask_storeu_ps(row, k0, acc[r][0]);
		_mm512_mask_storeu_ps(row + 16, k1, acc[r][1]);
	}
	_mm256_zeroupper();
}

#undef ROW

const struct gemm_kernel k_gemm_avx512 = {
	.name = "avx512", .micro = micro, .mr = MR, .nr = NR, .sums = GEMM_FMA,
	.avx2_packing = true,
};
