/* ops.c — the rows of the op table (see ops.h): each op's shape rule, plan, init,
 * forward and backward rules over the network's buffers, and its `descent ir` lines. */
#include "ops.h"

#include <stdarg.h>
#include <string.h>

#include "conv.h"
#include "net.h"

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads(void) { return 1; }
#endif

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

/* ---- batchnorm: per feature (F), or per channel of images (C, H, W) as BatchNorm2d;
 * tensors weight (γ), bias (β), running_mean, running_var, num_batches_tracked ---- */

static int batchnorm_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                           struct op_error *err)
{
	(void)l;
	char s[64];
	if (in->ndim != 1 && in->ndim != 3)
		return refuse(err, "", "batchnorm takes features (F) or images (C, H, W), but its "
		              "input has shape %s", shape_format(in, s, sizeof s));
	*out = *in;
	return 0;
}

/* The number of normalized features: F, or C of images. */
static int64_t batchnorm_width(const struct net_layer *l)
{
	return l->ishape.dim[0];
}

static void batchnorm_reserve(struct net *n, struct net_layer *l)
{
	struct shape per = shape_flat(batchnorm_width(l));
	net_reserve(n, l, "weight", NET_PARAM, per, true);
	net_reserve(n, l, "bias", NET_PARAM, per, true);
	net_reserve(n, l, "running_mean", NET_STAT, per, false);
	net_reserve(n, l, "running_var", NET_STAT, per, false);
	net_reserve(n, l, "num_batches_tracked", NET_COUNT, (struct shape){0}, false);
}

static void batchnorm_plan(struct net *n, struct net_layer *l, int64_t batch)
{
	(void)batch; /* mean, 1/σ, and the backward pass's two sums */
	l->saved = net_buffer(n, 4 * batchnorm_width(l));
}

static void batchnorm_init(struct net *n, struct net_layer *l, uint64_t seed)
{
	(void)seed;
	float *gamma = value(n, l, 0), *beta = value(n, l, 1), *mean = value(n, l, 2),
	      *var = value(n, l, 3);
	for (int64_t j = 0; j < batchnorm_width(l); j++) { /* γ = 1, β = 0; mean 0, variance 1 */
		gamma[j] = 1;
		beta[j] = 0;
		mean[j] = 0;
		var[j] = 1;
	}
	l->tracked = 0;
}

static void batchnorm_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	if (l->ishape.ndim == 3)
		batchnorm2d_forward_f32(n->acts + l->y, n->acts + l->saved, value(n, l, 2),
		                        value(n, l, 3), n->acts + l->x, value(n, l, 0), value(n, l, 1),
		                        rows, l->ishape.dim[0], l->in / l->ishape.dim[0],
		                        l->a.batchnorm.momentum, l->a.batchnorm.eps, n->training);
	else
		batchnorm_forward_f32(n->acts + l->y, n->acts + l->saved, value(n, l, 2), value(n, l, 3),
	                      n->acts + l->x, value(n, l, 0), value(n, l, 1), rows, l->out,
	                      l->a.batchnorm.momentum, l->a.batchnorm.eps, n->training);
	l->tracked += n->training;
}

static void batchnorm_backward(struct net *n, const struct net_layer *l, float *din,
                               const float *dout, int64_t rows)
{
	if (l->ishape.ndim == 3)
		batchnorm2d_backward_f32(din, grad(n, l, 0), grad(n, l, 1), dout, n->acts + l->x,
		                         n->acts + l->saved, value(n, l, 0), rows, l->ishape.dim[0],
		                         l->in / l->ishape.dim[0]);
	else
		batchnorm_backward_f32(din, grad(n, l, 0), grad(n, l, 1), dout, n->acts + l->x,
		                       n->acts + l->saved, value(n, l, 0), rows, l->out);
}

static void batchnorm_print(FILE *out, const struct net_layer *l, const char *in)
{
	fprintf(out, "  %s = %s.weight ⊙ normalize(%s) + %s.bias (%sbatch statistics in "
	        "training, running ones at evaluation; momentum %g, eps %g)\n", l->name, l->name,
	        in, l->name, l->ishape.ndim == 3 ? "per channel over (B, H, W), " : "",
	        l->a.batchnorm.momentum, l->a.batchnorm.eps);
}

static void batchnorm_print_backward(FILE *out, const struct net_layer *l, const char *in,
                                     bool first)
{
	fprintf(out, "  d%s.weight += Σ d%s ⊙ x̂, d%s.bias += Σ d%s\n", l->name, l->name, l->name,
	        l->name);
	if (!first)
		fprintf(out, "  d%s = batchnorm backward of d%s\n", in, l->name);
}

/* ---- conv2d, maxpool, avgpool, global_avgpool over images (C, H, W) (conv.h) ---- */

/* Refuses an input that is not an image (C, H, W). */
static int need_image(const struct net_layer *l, const struct shape *in, struct op_error *err)
{
	char s[64];
	if (in->ndim == 3)
		return 0;
	return refuse(err, in->ndim == 1 ? "a flat input has no pixels: give the network images "
	              "(IDX or NPY samples of shape (H, W) or (C, H, W)), and no flatten before it"
	              : "", "%s takes images (C, H, W), but its input has shape %s",
	              ops[l->op].name, shape_format(in, s, sizeof s));
}

/* The padding of conv c along one side: (k − 1)/2 for padding = same (an odd kernel at
 * stride 1 keeps the size), else the given one. */
static int64_t conv_padding(const struct op_conv *c, bool rows)
{
	return c->same ? ((rows ? c->kh : c->kw) - 1) / 2 : rows ? c->ph : c->pw;
}

int64_t op_conv_padding(const struct op_conv *c, bool rows)
{
	return conv_padding(c, rows);
}

/* Refuses a window (kh, kw) larger than the (padded) input (h, w). */
static int no_pixels(const struct net_layer *l, const struct shape *in, int64_t h, int64_t w,
                     int64_t kh, int64_t kw, struct op_error *err)
{
	char s[64];
	return refuse(err, "a smaller kernel, padding, or fewer pooling layers before it",
	              "%s's kernel (%lld, %lld) is larger than its %sinput (%lld, %lld) of shape "
	              "%s: no pixels left", ops[l->op].name, (long long)kh, (long long)kw,
	              h != in->dim[1] || w != in->dim[2] ? "padded " : "", (long long)h,
	              (long long)w, shape_format(in, s, sizeof s));
}

static int conv_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                      struct op_error *err)
{
	const struct op_conv *c = &l->a.conv;
	if (need_image(l, in, err) != 0)
		return -1;
	if (c->same && (c->sh != 1 || c->sw != 1))
		return refuse(err, "give padding as a number (PyTorch refuses padding='same' with "
		              "strides too)", "padding = same needs stride 1, not (%lld, %lld)",
		              (long long)c->sh, (long long)c->sw);
	if (c->same && (c->kh % 2 == 0 || c->kw % 2 == 0))
		return refuse(err, "use an odd kernel, or give padding as a number",
		              "padding = same with an even kernel (%lld, %lld) would pad one side "
		              "more than the other; descent pads both sides alike",
		              (long long)c->kh, (long long)c->kw);
	int64_t h = in->dim[1] + 2 * conv_padding(c, true);
	int64_t w = in->dim[2] + 2 * conv_padding(c, false);
	if (h < c->kh || w < c->kw)
		return no_pixels(l, in, h, w, c->kh, c->kw, err);
	*out = (struct shape){3, {c->filters, (h - c->kh) / c->sh + 1, (w - c->kw) / c->sw + 1}};
	return 0;
}

/* The geometry of conv layer l (padding = same resolved). */
static struct conv_geom conv_geom_of(const struct net_layer *l)
{
	const struct op_conv *c = &l->a.conv;
	return (struct conv_geom){
		l->ishape.dim[0], l->ishape.dim[1], l->ishape.dim[2], c->filters, c->kh, c->kw,
		c->sh, c->sw, conv_padding(c, true), conv_padding(c, false),
		l->oshape.dim[1], l->oshape.dim[2], c->threads,
	};
}

static void conv_reserve(struct net *n, struct net_layer *l)
{
	const struct op_conv *c = &l->a.conv;
	net_reserve(n, l, "weight", NET_PARAM,
	            (struct shape){4, {c->filters, l->ishape.dim[0], c->kh, c->kw}}, false);
	if (c->bias)
		net_reserve(n, l, "bias", NET_PARAM, shape_flat(c->filters), true);
}

static void conv_plan(struct net *n, struct net_layer *l, int64_t batch)
{
	(void)batch;
	l->a.conv.threads = omp_get_max_threads();
	struct conv_geom g = conv_geom_of(l);
	net_workspace(n, conv_workspace_f32(&g));
}

/* As nn.Conv2d: the dense rule over fan_in = C·KH·KW (weight (F, C·KH·KW) row by row). */
static void conv_init(struct net *n, struct net_layer *l, uint64_t seed)
{
	const struct op_conv *c = &l->a.conv;
	init_dense(value(n, l, 0), c->bias ? value(n, l, 1) : NULL,
	           l->ishape.dim[0] * c->kh * c->kw, c->filters, c->init, seed, l->index);
}

static void conv_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	struct conv_geom g = conv_geom_of(l);
	conv_forward_f32(n->acts + l->y, n->acts + l->x, value(n, l, 0),
	                 l->a.conv.bias ? value(n, l, 1) : NULL, rows, &g, n->work);
}

static void conv_backward(struct net *n, const struct net_layer *l, float *din,
                          const float *dout, int64_t rows)
{
	struct conv_geom g = conv_geom_of(l);
	conv_backward_f32(din, grad(n, l, 0), l->a.conv.bias ? grad(n, l, 1) : NULL, dout,
	                  n->acts + l->x, value(n, l, 0), rows, &g, n->work);
}

static void conv_print(FILE *out, const struct net_layer *l, const char *in)
{
	struct conv_geom g = conv_geom_of(l);
	fprintf(out, "  %s = conv2d(%s, %s.weight, stride (%lld, %lld), padding (%lld, %lld))%s%s, "
	        "per sample: im2col (%lld, %lld) in the workspace, then %s.weight (%lld, %lld) · it\n",
	        l->name, in, l->name, (long long)g.SH, (long long)g.SW, (long long)g.PH,
	        (long long)g.PW, l->a.conv.bias ? " + " : "", l->a.conv.bias ? "bias" : "",
	        (long long)(g.C * g.KH * g.KW), (long long)(g.OH * g.OW), l->name, (long long)g.F,
	        (long long)(g.C * g.KH * g.KW));
}

static void conv_print_backward(FILE *out, const struct net_layer *l, const char *in, bool first)
{
	fprintf(out, "  d%s.weight += Σ d%s · im2col(%s)ᵀ (in %d fixed parts, summed in order)\n",
	        l->name, l->name, in, CONV_PARTS);
	if (l->a.conv.bias)
		fprintf(out, "  d%s.bias += Σ d%s\n", l->name, l->name);
	if (!first)
		fprintf(out, "  d%s = col2im(%s.weightᵀ · d%s)\n", in, l->name, l->name);
}

static int pool_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                      struct op_error *err)
{
	const struct op_pool *p = &l->a.pool;
	if (need_image(l, in, err) != 0)
		return -1;
	if (in->dim[1] < p->kh || in->dim[2] < p->kw)
		return no_pixels(l, in, in->dim[1], in->dim[2], p->kh, p->kw, err);
	*out = (struct shape){3, {in->dim[0], (in->dim[1] - p->kh) / p->sh + 1,
	                          (in->dim[2] - p->kw) / p->sw + 1}};
	return 0;
}

static int global_shape(const struct net_layer *l, const struct shape *in, struct shape *out,
                        struct op_error *err)
{
	if (need_image(l, in, err) != 0)
		return -1;
	*out = shape_flat(in->dim[0]);
	return 0;
}

/* The geometry of a pooling layer (global: the whole plane is the window). */
static struct conv_geom pool_geom_of(const struct net_layer *l)
{
	const struct op_pool *p = &l->a.pool;
	int64_t C = l->ishape.dim[0], H = l->ishape.dim[1], W = l->ishape.dim[2];
	if (l->op == IR_GLOBAL_AVGPOOL)
		return (struct conv_geom){C, H, W, C, H, W, 1, 1, 0, 0, 1, 1, p->threads};
	return (struct conv_geom){C, H, W, C, p->kh, p->kw, p->sh, p->sw, 0, 0,
	                          l->oshape.dim[1], l->oshape.dim[2], p->threads};
}

static void pool_plan(struct net *n, struct net_layer *l, int64_t batch)
{
	(void)n, (void)batch;
	l->a.pool.threads = omp_get_max_threads();
}

static void maxpool_plan(struct net *n, struct net_layer *l, int64_t batch)
{
	pool_plan(n, l, batch);
	l->argmax = net_buffer(n, batch * l->out); /* int32s in float-sized cells */
}

/* The argmax buffer of maxpool layer l. */
static int32_t *argmax_of(const struct net *n, const struct net_layer *l)
{
	return (int32_t *)(void *)(n->acts + l->argmax);
}

static void maxpool_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	struct conv_geom g = pool_geom_of(l);
	maxpool_forward_f32(n->acts + l->y, argmax_of(n, l), n->acts + l->x, rows, &g);
}

static void maxpool_backward(struct net *n, const struct net_layer *l, float *din,
                             const float *dout, int64_t rows)
{
	struct conv_geom g = pool_geom_of(l);
	if (din)
		maxpool_backward_f32(din, dout, argmax_of(n, l), rows, &g);
}

static void avgpool_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	struct conv_geom g = pool_geom_of(l);
	avgpool_forward_f32(n->acts + l->y, n->acts + l->x, rows, &g);
}

static void avgpool_backward(struct net *n, const struct net_layer *l, float *din,
                             const float *dout, int64_t rows)
{
	(void)n;
	struct conv_geom g = pool_geom_of(l);
	if (din)
		avgpool_backward_f32(din, dout, rows, &g);
}

static void global_forward(struct net *n, struct net_layer *l, int64_t rows)
{
	avgpool_forward(n, l, rows);
}

static void global_backward(struct net *n, const struct net_layer *l, float *din,
                            const float *dout, int64_t rows)
{
	avgpool_backward(n, l, din, dout, rows);
}

static void pool_print(FILE *out, const struct net_layer *l, const char *in)
{
	struct conv_geom g = pool_geom_of(l);
	if (l->op == IR_GLOBAL_AVGPOOL)
		fprintf(out, "  %s = mean of %s over H and W\n", l->name, in);
	else
		fprintf(out, "  %s = %s of %s over windows (%lld, %lld), stride (%lld, %lld)%s\n",
		        l->name, l->op == IR_MAXPOOL ? "max" : "mean", in, (long long)g.KH,
		        (long long)g.KW, (long long)g.SH, (long long)g.SW,
		        l->op == IR_MAXPOOL ? ", each maximum's place into its argmax" : "");
}

static void pool_print_backward(FILE *out, const struct net_layer *l, const char *in,
                                bool first)
{
	if (!first)
		fprintf(out, "  d%s = d%s %s\n", in, l->name, l->op == IR_MAXPOOL
		        ? "to each window's maximum (argmax)" : "spread evenly over each window");
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
	[IR_BATCHNORM] = {"batchnorm", .shape = batchnorm_shape, .reserve = batchnorm_reserve,
	                  .plan = batchnorm_plan, .init = batchnorm_init,
	                  .forward = batchnorm_forward, .backward = batchnorm_backward,
	                  .print_forward = batchnorm_print,
	                  .print_backward = batchnorm_print_backward},
	[IR_CONV2D] = {"conv2d", .shape = conv_shape, .reserve = conv_reserve, .plan = conv_plan,
	               .init = conv_init, .forward = conv_forward, .backward = conv_backward,
	               .print_forward = conv_print, .print_backward = conv_print_backward},
	[IR_MAXPOOL] = {"maxpool", .buffer = "argmax", .buffer_note = "each output's place in "
	                "its input (int32)", .shape = pool_shape, .plan = maxpool_plan,
	                .forward = maxpool_forward, .backward = maxpool_backward,
	                .print_forward = pool_print, .print_backward = pool_print_backward},
	[IR_AVGPOOL] = {"avgpool", .shape = pool_shape, .plan = pool_plan,
	                .forward = avgpool_forward, .backward = avgpool_backward,
	                .print_forward = pool_print, .print_backward = pool_print_backward},
	[IR_GLOBAL_AVGPOOL] = {"global_avgpool", .shape = global_shape, .plan = pool_plan,
	                       .forward = global_forward, .backward = global_backward,
	                       .print_forward = pool_print, .print_backward = pool_print_backward},
};
