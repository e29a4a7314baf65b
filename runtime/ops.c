/* ops.c — the rows of the op table (see ops.h): each op's shape rule, plan, init,
 * forward and backward rules over the network's buffers, and its `descent ir` lines. */
#include "ops.h"

#include <stdarg.h>
#include <string.h>

#include "net.h"

/* The floats of tensor t of layer l: its values, and its gradient. */
static float *value(const struct net *n, const struct net_layer *l, int t)
{
	return net_tensor_data(n, l, t);
}

static float *grad(const struct net *n, const struct net_layer *l, int t)
{
	return n->grads + l->tensors[t].offset;
}

static int refuse(struct op_error *err, const char *help, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(err->message, sizeof err->message, format, ap);
	va_end(ap);
	snprintf(err->help, sizeof err->help, "%s", help);
	return -1;
}

/* The shape rule of ops that keep their input's shape. */
static int same_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                      struct op_error *err)
{
	(void)l, (void)err;
	*out = *in;
	return 0;
}

/* The shape rule of ops that need one dimension of features. */
static int flat_only(const struct net_layer *l, const struct shape *in, struct shape *out,
                     struct op_error *err)
{
	char s[64];
	if (in->ndim != 1)
		return refuse(err, "add `flatten` before it (PyTorch's nn.Flatten, Keras' Flatten)",
		              "%s takes one dimension of features, but its input has shape %s",
		              ops[l->op].name, shape_format(in, s, sizeof s));
	*out = *in;
	return 0;
}

/* ---- input: the data's sample shape, checked ---- */

static int input_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                       struct op_error *err)
{
	const struct shape *want = &l->a.input.shape;
	char a[64], b[64];
	if (shape_equal(want, in)) {
		*out = *in;
		return 0;
	}
	if (want->ndim == 1 && in->ndim == 1)
		return refuse(err, "", "input(%lld), but the data has %lld features",
		              (long long)want->dim[0], (long long)in->dim[0]);
	return refuse(err, in->ndim > 1 && want->ndim == 1 && shape_size(in) == want->dim[0]
	              ? "write the sample's shape, or put `flatten` after input(...)" : "",
	              "input%s, but the data's samples have shape %s", shape_format(want, a, sizeof a),
	              shape_format(in, b, sizeof b));
}

/* ---- flatten: (C, H, W) → (C·H·W) ---- */

static int flatten_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                         struct op_error *err)
{
	(void)l, (void)err;
	*out = shape_flat(shape_size(in));
	return 0;
}

static void flatten_print(FILE *out, const struct net_layer *l, const char *in)
{
	char a[64], b[64];
	fprintf(out, "  %s = flatten(%s), a view: %s → %s\n", l->name, in,
	        shape_format(&l->ishape, a, sizeof a), shape_format(&l->oshape, b, sizeof b));
}

/* ---- dense: y = x·Wᵀ + b ---- */

static int dense_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                       struct op_error *err)
{
	char s[64];
	if (in->ndim != 1)
		return refuse(err, "add `flatten` before it (PyTorch's nn.Flatten, Keras' Flatten)",
		              "dense takes one dimension of features, but its input has shape %s",
		              shape_format(in, s, sizeof s));
	*out = shape_flat(l->a.dense.units);
	return 0;
}

static void dense_reserve(struct net *n, struct net_layer *l)
{
	net_reserve(n, l, "weight", NET_PARAM, (struct shape){2, {l->out, l->in}}, false);
	if (l->a.dense.bias)
		net_reserve(n, l, "bias", NET_PARAM, shape_flat(l->out), true);
}

static void dense_init(struct net *n, struct net_layer *l, uint64_t seed)
{
	init_dense(value(n, l, 0), l->a.dense.bias ? value(n, l, 1) : NULL, l->in, l->out,
	           l->a.dense.init, seed, l->index);
}

static void dense_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	dense_forward_f32(n->acts + l->y, n->acts + l->x, value(n, l, 0),
	                  l->a.dense.bias ? value(n, l, 1) : NULL, rows, l->in, l->out, n->work);
}

static void dense_backward(struct net *n, const struct net_layer *l, float *din,
                           const float *dout, int64_t rows)
{
	dense_backward_f32(din, grad(n, l, 0), l->a.dense.bias ? grad(n, l, 1) : NULL, dout,
	                   n->acts + l->x, value(n, l, 0), rows, l->in, l->out, n->work);
}

static void dense_print(FILE *out, const struct net_layer *l, const char *in)
{
	fprintf(out, "  %s = %s · %s.weightᵀ%s%s\n", l->name, in, l->name,
	        l->a.dense.bias ? " + " : "", l->a.dense.bias ? "bias" : "");
}

static void dense_print_backward(FILE *out, const struct net_layer *l, const char *in, bool first)
{
	fprintf(out, "  d%s.weight += d%sᵀ · %s\n", l->name, l->name, in);
	if (l->a.dense.bias)
		fprintf(out, "  d%s.bias += Σ d%s\n", l->name, l->name);
	if (!first)
		fprintf(out, "  d%s = d%s · %s.weight\n", in, l->name, l->name);
}

/* ---- activations ---- */

static const char *act_name(enum activation act)
{
	static const char *const names[] = {
		[ACT_IDENTITY] = "identity", [ACT_RELU] = "relu", [ACT_LEAKY_RELU] = "leaky_relu",
		[ACT_TANH] = "tanh", [ACT_SIGMOID] = "sigmoid", [ACT_GELU] = "gelu",
	};
	return names[act];
}

static const char *act_label(const struct net_layer *l)
{
	return act_name(l->a.act.act);
}

static void act_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	act_forward_f32(n->acts + l->y, n->acts + l->x, rows * l->out, l->a.act.act, l->a.act.slope);
}

static void act_backward(struct net *n, const struct net_layer *l, float *din,
                         const float *dout, int64_t rows)
{
	if (din)
		act_backward_f32(din, dout, n->acts + l->x, n->acts + l->y, rows * l->out,
		                 l->a.act.act, l->a.act.slope);
}

static void act_print(FILE *out, const struct net_layer *l, const char *in)
{
	fprintf(out, "  %s = %s(%s)\n", l->name, act_name(l->a.act.act), in);
}

static void act_print_backward(FILE *out, const struct net_layer *l, const char *in, bool first)
{
	if (!first)
		fprintf(out, "  d%s = d%s ⊙ %s'(%s)\n", in, l->name, act_name(l->a.act.act), in);
}

/* ---- softmax (a last one before cross-entropy is fused: net.c makes it a view) ---- */

static void softmax_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	softmax_forward_f32(n->acts + l->y, n->acts + l->x, rows, l->out);
}

static void softmax_backward(struct net *n, const struct net_layer *l, float *din,
                             const float *dout, int64_t rows)
{
	if (din)
		softmax_backward_f32(din, dout, n->acts + l->y, rows, l->out);
}

static void softmax_print(FILE *out, const struct net_layer *l, const char *in)
{
	fprintf(out, "  %s = softmax(%s)\n", l->name, in);
}

static void softmax_print_backward(FILE *out, const struct net_layer *l, const char *in,
                                   bool first)
{
	if (!first)
		fprintf(out, "  d%s = softmax backward of d%s\n", in, l->name);
}

/* ---- dropout ---- */

static void dropout_plan(struct net *n, struct net_layer *l, int64_t batch)
{
	l->mask = net_buffer(n, batch * l->out);
}

static void dropout_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	struct dropout d = net_dropout(n, l);
	dropout_forward_f32(n->acts + l->y, n->acts + l->mask, n->acts + l->x, rows, l->out, &d,
	                    n->training);
}

static void dropout_backward(struct net *n, const struct net_layer *l, float *din,
                             const float *dout, int64_t rows)
{
	if (din)
		dropout_backward_f32(din, dout, n->acts + l->mask, rows, l->out);
}

static void dropout_print(FILE *out, const struct net_layer *l, const char *in)
{
	fprintf(out, "  %s = %s ⊙ %s.mask (dropout, keep %g, %s scaling; the mask drawn "
	        "from seed, step, layer, unit)\n", l->name, in, l->name, l->a.dropout.keep,
	        l->a.dropout.inverted ? "train" : "test");
}

static void dropout_print_backward(FILE *out, const struct net_layer *l, const char *in,
                                   bool first)
{
	if (!first)
		fprintf(out, "  d%s = d%s ⊙ %s.mask\n", in, l->name, l->name);
}

/* ---- batchnorm: per feature; tensors weight (γ), bias (β), running_mean, running_var,
 * num_batches_tracked ---- */

static void batchnorm_reserve(struct net *n, struct net_layer *l)
{
	net_reserve(n, l, "weight", NET_PARAM, l->oshape, true);
	net_reserve(n, l, "bias", NET_PARAM, l->oshape, true);
	net_reserve(n, l, "running_mean", NET_STAT, l->oshape, false);
	net_reserve(n, l, "running_var", NET_STAT, l->oshape, false);
	net_reserve(n, l, "num_batches_tracked", NET_COUNT, (struct shape){0}, false);
}

static void batchnorm_plan(struct net *n, struct net_layer *l, int64_t batch)
{
	(void)batch;
	l->saved = net_buffer(n, 4 * l->out); /* mean, 1/σ, and the backward pass's two sums */
}

static void batchnorm_init(struct net *n, struct net_layer *l, uint64_t seed)
{
	(void)seed;
	float *gamma = value(n, l, 0), *beta = value(n, l, 1), *mean = value(n, l, 2),
	      *var = value(n, l, 3);
	for (int64_t j = 0; j < l->out; j++) { /* γ = 1, β = 0; mean 0, variance 1 */
		gamma[j] = 1;
		beta[j] = 0;
		mean[j] = 0;
		var[j] = 1;
	}
	l->tracked = 0;
}

static void batchnorm_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	batchnorm_forward_f32(n->acts + l->y, n->acts + l->saved, value(n, l, 2), value(n, l, 3),
	                      n->acts + l->x, value(n, l, 0), value(n, l, 1), rows, l->out,
	                      l->a.batchnorm.momentum, l->a.batchnorm.eps, n->training);
	l->tracked += n->training;
}

static void batchnorm_backward(struct net *n, const struct net_layer *l, float *din,
                               const float *dout, int64_t rows)
{
	batchnorm_backward_f32(din, grad(n, l, 0), grad(n, l, 1), dout, n->acts + l->x,
	                       n->acts + l->saved, value(n, l, 0), rows, l->out);
}

static void batchnorm_print(FILE *out, const struct net_layer *l, const char *in)
{
	fprintf(out, "  %s = %s.weight ⊙ normalize(%s) + %s.bias (batch statistics in "
	        "training, running ones at evaluation; momentum %g, eps %g)\n", l->name, l->name,
	        in, l->name, l->a.batchnorm.momentum, l->a.batchnorm.eps);
}

static void batchnorm_print_backward(FILE *out, const struct net_layer *l, const char *in,
                                     bool first)
{
	fprintf(out, "  d%s.weight += Σ d%s ⊙ x̂, d%s.bias += Σ d%s\n", l->name, l->name, l->name,
	        l->name);
	if (!first)
		fprintf(out, "  d%s = batchnorm backward of d%s\n", in, l->name);
}

/* ---- the table ---- */

const struct op ops[IR_OP_COUNT] = {
	[IR_INPUT] = {"input", .view = true, .shape = input_shape},
	[IR_FLATTEN] = {"flatten", .view = true, .shape = flatten_shape, .print_forward = flatten_print},
	[IR_DENSE] = {"dense", .shape = dense_shape, .reserve = dense_reserve, .init = dense_init,
	              .forward = dense_forward, .backward = dense_backward,
	              .print_forward = dense_print, .print_backward = dense_print_backward},
	[IR_ACT] = {"activation", .label = act_label, .shape = same_shape, .forward = act_forward,
	            .backward = act_backward, .print_forward = act_print,
	            .print_backward = act_print_backward},
	[IR_SOFTMAX] = {"softmax", .shape = flat_only, .forward = softmax_forward,
	                .backward = softmax_backward, .print_forward = softmax_print,
	                .print_backward = softmax_print_backward},
	[IR_DROPOUT] = {"dropout", .buffer = "mask", .buffer_note = "the step's multipliers",
	                .shape = same_shape, .plan = dropout_plan,
	                .forward = dropout_forward, .backward = dropout_backward,
	                .print_forward = dropout_print, .print_backward = dropout_print_backward},
	[IR_BATCHNORM] = {"batchnorm", .shape = flat_only, .reserve = batchnorm_reserve,
	                  .plan = batchnorm_plan, .init = batchnorm_init,
	                  .forward = batchnorm_forward, .backward = batchnorm_backward,
	                  .print_forward = batchnorm_print,
	                  .print_backward = batchnorm_print_backward},
};
