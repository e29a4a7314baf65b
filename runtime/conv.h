/* conv.h — the kernels of image layers over (B, C, H, W) batches in PyTorch's layout:
 * 2-D convolution (im2col into a workspace, then k_gemm), max and average pooling,
 * global average pooling, and batch normalization per channel (BatchNorm2d); in float
 * (training) and double (finite-difference checks), from one source (conv_impl.h).
 *
 * Legend: a sample is (C, H, W) row-major, an output (F or C, OH, OW); weights (F, C, KH,
 * KW) and bias (F) as nn.Conv2d. Signatures as layers.h: outputs first, backward functions
 * accumulate (+=) into parameter gradients and overwrite input gradients (din may be
 * NULL for a first layer). Threads work on samples; every sum has one order whatever
 * their number (weight gradients are summed in CONV_PARTS fixed parts, then the parts in
 * order), so results are bit-identical across --threads.
 * Not for: shape rules or refusals (ops.c).
 */
#ifndef DESCENT_CONV_H
#define DESCENT_CONV_H

#include <stdbool.h>
#include <stdint.h>

/* Weight gradients are summed over the batch in this many parts (of consecutive samples). */
enum { CONV_PARTS = 8 };

/* The geometry of a convolution or a pooling: input (C, H, W), kernel, stride, padding
 * (top/left; bottom/right the same), output (F, OH, OW) (F = C for pooling); threads is
 * the number of workspace slots (the threads the kernels may use). */
struct conv_geom {
	int64_t C, H, W, F, KH, KW, SH, SW, PH, PW, OH, OW;
	int threads;
};

#define CONV_DECLS(REAL, SUFFIX)                                                            \
	int64_t conv_workspace_##SUFFIX(const struct conv_geom *g);                             \
	void conv_forward_##SUFFIX(REAL *out, const REAL *in, const REAL *w, const REAL *b,      \
	                           int64_t B, const struct conv_geom *g, REAL *work);           \
	void conv_backward_##SUFFIX(REAL *din, REAL *dw, REAL *db, const REAL *dout,             \
	                            const REAL *in, const REAL *w, int64_t B,                   \
	                            const struct conv_geom *g, REAL *work);                     \
	void maxpool_forward_##SUFFIX(REAL *out, int32_t *argmax, const REAL *in, int64_t B,    \
	                              const struct conv_geom *g);                               \
	void maxpool_backward_##SUFFIX(REAL *din, const REAL *dout, const int32_t *argmax,      \
	                               int64_t B, const struct conv_geom *g);                   \
	void avgpool_forward_##SUFFIX(REAL *out, const REAL *in, int64_t B,                     \
	                              const struct conv_geom *g);                               \
	void avgpool_backward_##SUFFIX(REAL *din, const REAL *dout, int64_t B,                  \
	                               const struct conv_geom *g);                              \
	void batchnorm2d_forward_##SUFFIX(REAL *out, REAL *saved, REAL *running_mean,            \
	                                  REAL *running_var, const REAL *in, const REAL *gamma,  \
	                                  const REAL *beta, int64_t B, int64_t C, int64_t HW,   \
	                                  double momentum, double eps, bool training);          \
	void batchnorm2d_backward_##SUFFIX(REAL *din, REAL *dgamma, REAL *dbeta,                 \
	                                   const REAL *dout, const REAL *in, REAL *saved,        \
	                                   const REAL *gamma, int64_t B, int64_t C, int64_t HW);

/* conv_workspace: the REALs of work conv_forward/backward need for g (per thread: two
 * im2col matrices and, in float, a k_gemm workspace; and CONV_PARTS partial gradients).
 * conv_forward: out (B, F, OH, OW) = W ∗ in + b, zero padding. conv_backward: dW, db +=
 * the batch's sums; din (B, C, H, W) = the input gradient.
 * maxpool_forward: argmax (B, C, OH, OW) gets the index in the (H, W) plane of each
 * window's maximum (the first in row-major order on ties, as PyTorch); backward adds
 * dout to those pixels. avgpool: the window's mean (global average pooling is the
 * window H × W). No padding in pooling.
 * batchnorm2d_forward/backward: layers.h's batchnorm over (B, C, HW) per channel c,
 * over the B·HW values of it; saved (4, C). */
CONV_DECLS(float, f32)
CONV_DECLS(double, f64)

#endif
