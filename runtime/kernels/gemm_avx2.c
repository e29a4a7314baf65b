/* gemm_avx2.c — the AVX2+FMA micro-kernel: a 6×16 tile in twelve ymm accumulators,
 * one broadcast of A and two loads of B per step of k. Compiled with -mavx2 -mfma (this
 * file only) and called only when CPUID says the processor has both. */
#include "gemm.h"

#include <immintrin.h>

enum { MR = 6, NR = 16 }; /* its tile */

/* One step of k: row r of A (ar floats after row r - 1) broadcast against B's two halves
 * b0, b1. */
#define ROW(r)                                                        \
	do {                                                          \
		__m256 x = _mm256_broadcast_ss(a + (r) * ar);         \
		c##r##0 = _mm256_fmadd_ps(x, b0, c##r##0);            \
		c##r##1 = _mm256_fmadd_ps(x, b1, c##r##1);            \
	} while (0)

static void micro(int64_t kc, const float *restrict a, int64_t ar, int64_t as,
                  const float *restrict b, int64_t bs, float *restrict c, int64_t ldc, int m,
                  int n, bool accumulate)
{
	/* the twelve accumulators named, so that they stay in registers */
	__m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
	__m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
	/* B is aligned either way (packed, or rows that start lines): loadu costs nothing more */
	for (int64_t p = 0; p < kc; p++, a += as, b += bs) {
		__m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
		ROW(0);
		ROW(1);
		ROW(2);
		ROW(3);
		ROW(4);
		ROW(5);
	}
	__m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41},
	                          {c50, c51}};
	if (m == MR && n == NR) { /* a whole tile: straight to C */
		for (int r = 0; r < MR; r++) {
			float *row = c + r * ldc;
			if (accumulate) {
				acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(row));
				acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(row + 8));
			}
			_mm256_storeu_ps(row, acc[r][0]);
			_mm256_storeu_ps(row + 8, acc[r][1]);
		}
	} else { /* an edge tile: through a buffer, the corner that exists */
		float tile[MR][NR];
		for (int r = 0; r < MR; r++) {
			_mm256_storeu_ps(tile[r], acc[r][0]);
			_mm256_storeu_ps(tile[r] + 8, acc[r][1]);
		}
		for (int r = 0; r < m; r++)
			for (int j = 0; j < n; j++)
				/* tile + C, as a whole tile adds (and the AVX-512 kernel): even two
				 * NaNs give the same payload */
				c[r * ldc + j] = accumulate ? tile[r][j] + c[r * ldc + j] : tile[r][j];
	}
	_mm256_zeroupper();
}

#undef ROW

const struct gemm_kernel k_gemm_avx2 = {
	.name = "avx2", .micro = micro, .mr = MR, .nr = NR, .sums = GEMM_FMA,
	.avx2_packing = true,
};

/* Eight rows r[0..7] of 8 floats turned into their eight columns, in place: r[q] becomes
 * (r[0][q], ..., r[7][q]). */
static void transpose8(__m256 r[8])
{
	__m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
	__m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
	__m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
	__m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
	__m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
	__m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
	__m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
	__m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
	__m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
	__m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
	__m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
	__m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
	r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
	r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
	r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
	r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
	r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
	r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
	r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
	r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

void k_gemm_pack_t_avx2(const float *restrict rows, int64_t ld, int64_t kc, int64_t width,
                        int64_t panel, float *restrict out)
{
	/* early return: nothing to pack */
	if (kc <= 0)
		return;
	/* vector count: eight values of k at a time, for each group of eight rows */
	int64_t full = kc / 8 * 8;
	for (int64_t g = 0; g < panel; g += 8) {
		int64_t store = panel - g < 8 ? panel - g : 8; /* 8, or 6 for MR's panels */
		for (int64_t p = 0; p < full; p += 8) {
			__m256 r[8];
			for (int i = 0; i < 8; i++) /* rows past the matrix's edge pack as zeros */
				r[i] = g + i < width ? _mm256_loadu_ps(rows + (g + i) * ld + p)
					: _mm256_setzero_ps();
			transpose8(r);
			for (int q = 0; q < 8; q++) { /* column q of the block is row p + q of the panel */
				float *row = out + (p + q) * panel + g;
				if (store == 8) {
					_mm256_storeu_ps(row, r[q]);
				} else { /* 4 + 2 floats: a masked store is slow on AMD's cores */
					_mm_storeu_ps(row, _mm256_castps256_ps128(r[q]));
					_mm_storel_pi((__m64 *)(row + 4), _mm256_extractf128_ps(r[q], 1));
				}
			}
		}
	}
	_mm256_zeroupper();
	/* scalar tail: the last kc % 8 values of k */
	for (int64_t p = full; p < kc; p++)
		for (int64_t j = 0; j < panel; j++)
			out[p * panel + j] = j < width ? rows[j * ld + p] : 0;
}
