/* isa.h — the instruction set the kernels use, chosen once for the whole process from
 * CPUID: AVX-512 (AVX-512F with AVX2 and FMA, which the AVX-512 products' packing uses),
 * else AVX2+FMA, else the portable C kernels. DESCENT_KERNELS caps it: "portable" or
 * "avx2" (for comparisons and tests), "avx512" (no cap); the command line refuses any
 * other value. The GEMM and the AdamW pass follow the same choice; a checkpoint records
 * it.
 *
 * What it means for results: the AVX2 and AVX-512 kernels give the same bits (the same
 * IEEE operations per element, in the same order); the portable GEMM sums without fused
 * multiply-adds and so ends a training run on other bits (gemm.h).
 */
#ifndef DESCENT_ISA_H
#define DESCENT_ISA_H

#include <stdbool.h>

enum k_isa {
	K_PORTABLE, /* C only */
	K_AVX2,     /* AVX2 and FMA */
	K_AVX512,   /* AVX-512F, AVX2 and FMA */
};

/* The cap a DESCENT_KERNELS value asks for, into *cap: "portable", "avx2", or "avx512"
 * (none); false for any other value. */
bool k_isa_parse(const char *want, enum k_isa *cap);

/* What the processor (and its operating system, which must save the wide registers)
 * supports, without DESCENT_KERNELS. */
enum k_isa k_isa_supported(void);

/* The instruction set in use: k_isa_supported() capped by DESCENT_KERNELS (a value
 * k_isa_parse refuses caps nothing); read once, safe from any thread. */
enum k_isa k_isa(void);

/* "portable", "avx2" or "avx512". */
const char *k_isa_name(enum k_isa isa);

#endif
