/* layers.h — the forward and backward rules of dense layers, activations and losses, in
 * float (training, through k_gemm) and double (finite-difference checks), from one source
 * (layers_impl.h); and weight initialisation.
 *
 * Legend: B batch, I inputs, O outputs, C classes; weights W (O, I) and bias b (O) as
 * PyTorch's nn.Linear. Signatures: outputs first, inputs const, sizes last, d for
 * gradients; backward functions accumulate (+=) into parameter gradients and overwrite
 * input gradients. Not for: deciding the order of layers (the IR does).
 */
#ifndef DESCENT_LAYERS_H
#define DESCENT_LAYERS_H

#include <stdbool.h>
#include <stdint.h>

enum activation {
	ACT_IDENTITY,   /* x */
	ACT_RELU,       /* max(0, x); derivative 0 at 0, as PyTorch */
	ACT_LEAKY_RELU, /* x, or slope·x below 0 */
	ACT_TANH,       /* tanh x */
	ACT_SIGMOID,    /* 1 / (1 + e^−x) */
	ACT_GELU,       /* x·Φ(x), the exact form (PyTorch's default) */
};

enum loss {
	LOSS_CROSS_ENTROPY, /* softmax then −log p[y], the softmax fused in */
	LOSS_MSE,           /* (z − onehot(y))², PyTorch's MSELoss on one-hot targets */
	LOSS_BCE,           /* BCEWithLogitsLoss; one output: y ∈ {0, 1}; more: one-hot */
	LOSS_MAE,           /* |z − t| against target values, PyTorch's L1Loss */
	LOSS_HUBER,         /* ½e² for |e| < delta, else delta·(|e| − ½delta): HuberLoss */
};

enum init {
	INIT_DEFAULT, /* W, b ~ U(±1/√I), as nn.Linear */
	INIT_HE,      /* W ~ N(0, 2/I), b = 0 (Kaiming normal, fan_in) */
	INIT_XAVIER,  /* W ~ U(±√(6/(I+O))), b = 0 (Glorot uniform) */
};

/* A dropout layer at one step. Unit u of row r is kept with probability keep, drawn from
 * the counter-based generator at (seed, step, layer, r·width + u): the mask depends on
 * nothing else (not on threads, batch order or a resumed run). The forward pass keeps it
 * as multipliers for the backward pass, which would otherwise draw it again. */
struct dropout {
	double keep;      /* q = 1 − rate */
	bool inverted;    /* scaling = train: kept units ×1/q in training, identity at evaluation;
	                   * scaling = test: kept units as they are, all ×q at evaluation */
	uint64_t seed;    /* the run's seed */
	int64_t step;     /* the optimizer step (0-based) */
	int layer;        /* the layer's index in the network */
};

/* Whether dropout d keeps unit `index` (row·width + unit). */
bool dropout_keeps(const struct dropout *d, int64_t index);

#define LAYER_DECLS(REAL, SUFFIX)                                                           \
	void dense_forward_##SUFFIX(REAL *out, const REAL *in, const REAL *w, const REAL *b,   \
	                            int64_t B, int64_t I, int64_t O, float *work);             \
	void dense_backward_##SUFFIX(REAL *din, REAL *dw, REAL *db, const REAL *dout,          \
	                             const REAL *in, const REAL *w, int64_t B, int64_t I,      \
	                             int64_t O, float *work);                                   \
	void act_forward_##SUFFIX(REAL *out, const REAL *in, int64_t n, enum activation act,   \
	                          double slope);                                                \
	void act_backward_##SUFFIX(REAL *din, const REAL *dout, const REAL *in, const REAL *out,\
	                           int64_t n, enum activation act, double slope);              \
	void softmax_forward_##SUFFIX(REAL *out, const REAL *in, int64_t B, int64_t C);        \
	void softmax_backward_##SUFFIX(REAL *din, const REAL *dout, const REAL *out, int64_t B, \
	                               int64_t C);                                             \
	void dropout_forward_##SUFFIX(REAL *out, REAL *mask, const REAL *in, int64_t rows,       \
	                              int64_t width, const struct dropout *d, bool training);  \
	void dropout_backward_##SUFFIX(REAL *din, const REAL *dout, const REAL *mask,           \
	                               int64_t rows, int64_t width);                           \
	void batchnorm_forward_##SUFFIX(REAL *out, REAL *saved, REAL *running_mean,              \
	                                REAL *running_var, const REAL *in, const REAL *gamma,    \
	                                const REAL *beta, int64_t B, int64_t W,                 \
	                                double momentum, double eps, bool training);            \
	void batchnorm_backward_##SUFFIX(REAL *din, REAL *dgamma, REAL *dbeta, const REAL *dout,\
	                                 const REAL *in, REAL *saved, const REAL *gamma,        \
	                                 int64_t B, int64_t W);                                 \
	double loss_##SUFFIX(REAL *dz, const REAL *z, const int32_t *y, int64_t B, int64_t C,  \
	                     enum loss loss, double scale);                                     \
	int64_t correct_##SUFFIX(const REAL *z, const int32_t *y, int64_t B, int64_t C);        \
	double loss_smoothed_##SUFFIX(REAL *dz, const REAL *z, const int32_t *y, int64_t B,     \
	                              int64_t C, double eps, double scale);                    \
	double loss_values_##SUFFIX(REAL *dz, const REAL *z, const float *t, int64_t B,         \
	                            int64_t T, enum loss loss, double delta, double scale);

/* dense_forward: out (B, O) = in (B, I)·Wᵀ + b. work: k_gemm_workspace() floats (float
 * version; the double one ignores it). dense_backward: dW += doutᵀ·in, db += Σ dout,
 * din = dout·W (din may be NULL for the first layer).
 * act_forward/backward: element-wise; backward gets both the input and the output.
 * softmax_forward/backward: row-wise, for a softmax that is not fused into cross-entropy.
 * dropout_forward: in training, mask (rows, width) gets d's multipliers (0 for a dropped
 * unit, 1/keep or 1 for a kept one) and out = in·mask; at evaluation, the identity
 * (inverted) or ×keep, mask untouched. dropout_backward: din = dout·mask.
 * batchnorm_forward, per feature of in (B, W): in training, x̂ = (x − μ)/√(σ² + eps) with
 * the batch mean μ and biased variance σ², out = γ·x̂ + β, saved (4, W) gets μ and
 * 1/√(σ² + eps) (and room for the backward pass's sums), and the running mean and
 * variance move by momentum towards μ and the
 * unbiased variance (PyTorch's rule); at evaluation, the running statistics replace the
 * batch's. batchnorm_backward (training mode): dγ += Σ dout·x̂, dβ += Σ dout, and
 * din = γ/√(σ²+eps) · (dout − mean(dout) − x̂·mean(dout·x̂)).
 * loss: returns the sum over the batch of each sample's loss (mean over its C outputs
 * for mse and bce, as PyTorch's mean reduction over B·C divided back by B); with dz,
 * writes scale × the gradient of that sum (scale = 1/samples gives the mean's gradient).
 * correct: how many argmax(z) equal y (one output: z > 0 means class 1).
 * loss_smoothed: cross-entropy against (1 − eps)·onehot(y) + eps/C, PyTorch's
 * CrossEntropyLoss(label_smoothing = eps); as loss, the sum over the batch.
 * loss_values: regression against target values t (B, T), for mse, mae or huber (delta):
 * the sum over the batch of each sample's mean over its T outputs (PyTorch's mean over
 * B·T, times B); with dz, scale × the gradient of that sum. */
LAYER_DECLS(float, f32)
LAYER_DECLS(double, f64)

/* Initialises W (O, I) and b (O) of dense layer number `layer` from seed: a pure function
 * of (seed, layer, element), so the same file gives the same weights. */
void init_dense(float *w, float *b, int64_t I, int64_t O, enum init init, uint64_t seed,
                int layer);

#endif
