/* isa.h — the instruction set the kernels use, chosen once for the whole process from
 * CPUID: AVX-512 (AVX-512F, which implies AVX2 and FMA), else AVX2+FMA, else the portable
 * C kernels. DESCENT_KERNELS caps it: "portable" or "avx2" (for comparisons and tests;
 * "avx512" or anything else asks for nothing below what the processor has). The GEMM and
 * the AdamW pass follow the same choice, so a run's log names one.
 *
 * Not a promise about results: the AVX2 and AVX-512 kernels give the same bits (the same
 * IEEE operations per element, in the same order); the portable GEMM sums without fused
 * multiply-adds and so ends a training run on other bits (gemm.h).
 */
#ifndef DESCENT_ISA_H
#define DESCENT_ISA_H

enum k_isa { K_PORTABLE, K_AVX2, K_AVX512 };

/* What the processor (and its operating system, which must save the wide registers)
 * supports, without DESCENT_KERNELS. */
enum k_isa k_isa_supported(void);

/* The instruction set in use: k_isa_supported() capped by DESCENT_KERNELS; read once,
 * safe from any thread. */
enum k_isa k_isa(void);

/* "portable", "avx2" or "avx512". */
const char *k_isa_name(enum k_isa isa);

#endif
