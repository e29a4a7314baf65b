/* ops.h — the op table of the network IR (after KANN): one row per op with its name, its
 * shape rule, its plan (parameters, running statistics, activation-category buffers,
 * workspace), init, forward and backward rules, and how `descent ir` prints it. net.c
 * walks the table; nothing else switches on the op.
 *
 * Adding a layer: one enum value and one row here (with its kernels in layers.h), one
 * schema row (interp/schema.c), and its arguments in interp/lower_train.c.
 *
 * Legend: shapes are per sample (shape.h).
 * Not for: memory layout of the whole network, or the update (net.c).
 */
#ifndef DESCENT_OPS_H
#define DESCENT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "layers.h"
#include "shape.h"

enum ir_op {
	IR_INPUT,     /* the data's sample shape, checked; a view */
	IR_DENSE,     /* y = x·Wᵀ + b */
	IR_ACT,       /* y = act(x) */
	IR_SOFTMAX,   /* y = softmax(x); the identity when fused into cross-entropy */
	IR_DROPOUT,   /* y = mask ⊙ x in training (layers.h, struct dropout) */
	IR_BATCHNORM, /* y = γ·x̂ + β per feature, batch or running statistics */
	IR_FLATTEN,   /* (C, H, W) → (C·H·W); a view */
	IR_CONV2D,    /* y = W ∗ x + b over (C, H, W), im2col and the GEMM (conv.h) */
	IR_MAXPOOL,   /* the maximum of each window, its place kept for the backward pass */
	IR_AVGPOOL,   /* the mean of each window */
	IR_GLOBAL_AVGPOOL, /* (C, H, W) → (C): the mean over H and W */
	IR_OP_COUNT
};

/* Each op's own arguments: one member of the layer's union. */
struct op_input { struct shape shape; };
struct op_dense { int64_t units; bool bias; enum init init; };
struct op_act { enum activation act; double slope; };
struct op_dropout { double keep; bool inverted; };
struct op_batchnorm { double momentum, eps; };
/* kernel (kh, kw), stride (sh, sw), padding (ph, pw) on both sides; same: padding so that
 * H and W stay (stride 1, odd kernel); threads: the kernels' workspace slots, at plan */
struct op_conv {
	int64_t filters, kh, kw, sh, sw, ph, pw;
	bool same, bias;
	enum init init;
	int threads;
};
struct op_pool { int64_t kh, kw, sh, sw; int threads; };

union op_args {
	struct op_input input;
	struct op_dense dense;
	struct op_act act;
	struct op_dropout dropout;
	struct op_batchnorm batchnorm;
	struct op_conv conv;
	struct op_pool pool;
};

struct net;
struct net_layer;

/* Why a shape rule refuses: a sentence, and a help line (or ""). */
struct op_error {
	char message[256], help[256];
};

/* One op. Hooks that an op does not need are NULL: no plan (nothing to reserve), no init,
 * no forward or backward (a view: its output is its input, its delta its output's). */
struct op {
	const char *name;  /* as in the .nn file and `descent ir` */
	bool view;         /* the output aliases the input (a reshape or a check) */
	/* the layer's own activation buffer (B, out) as `descent ir` shows it, or NULL */
	const char *buffer, *buffer_note;
	/* the layer's kind as written, when it is not the op's name (relu for an activation) */
	const char *(*label)(const struct net_layer *l);
	/* out from in and the layer's arguments; 0, or -1 with why in err */
	int (*shape)(const struct net_layer *l, const struct shape *in, struct shape *out,
	             struct op_error *err);
	/* at add time: reserves the layer's tensors (net_reserve) */
	void (*reserve)(struct net *n, struct net_layer *l);
	/* at plan time (batch B known): activation-category buffers (net_buffer, e.g. a mask
	 * or an argmax) and workspace (net_workspace) */
	void (*plan)(struct net *n, struct net_layer *l, int64_t batch);
	void (*init)(struct net *n, struct net_layer *l, uint64_t seed);
	void (*forward)(struct net *n, struct net_layer *l, int64_t rows);
	/* din NULL for the first layer: parameter gradients only */
	void (*backward)(struct net *n, const struct net_layer *l, float *din, const float *dout,
	                 int64_t rows);
	/* its lines of `descent ir`'s forward and backward listings (in: the input's name) */
	void (*print_forward)(FILE *out, const struct net_layer *l, const char *in);
	void (*print_backward)(FILE *out, const struct net_layer *l, const char *in, bool first);
};

extern const struct op ops[IR_OP_COUNT];

/* The padding of conv c on each side of its rows (or columns): padding = same resolved. */
int64_t op_conv_padding(const struct op_conv *c, bool rows);

#endif
