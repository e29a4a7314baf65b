/* net.c — the planner and executor of a network's IR (see net.h). */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads(void) { return 1; }
#endif

#include "gemm.h"

static struct net_layer *add(struct net *n, enum net_op op, const char *name, int64_t in,
                             int64_t out)
{
	if (n->nlayers == NET_MAX_LAYERS)
		return NULL;
	struct net_layer *l = &n->layers[n->nlayers++];
	*l = (struct net_layer){.op = op, .in = in, .out = out, .w = -1, .b = -1};
	snprintf(l->name, sizeof l->name, "%s", name);
	return l;
}

int net_add_dense(struct net *n, const char *name, int64_t in, int64_t units, bool bias,
                  enum init init)
{
	struct net_layer *l = add(n, NET_DENSE, name, in, units);
	if (!l)
		return -1;
	l->bias = bias;
	l->init = init;
	l->w = n->nparams;
	n->nparams += in * units;
	if (bias) {
		l->b = n->nparams;
		n->nparams += units;
	}
	return 0;
}

int net_add_act(struct net *n, const char *name, int64_t width, enum activation act, double slope)
{
	struct net_layer *l = add(n, NET_ACT, name, width, width);
	if (!l)
		return -1;
	l->act = act;
	l->slope = slope;
	return 0;
}

int net_add_softmax(struct net *n, const char *name, int64_t width)
{
	return add(n, NET_SOFTMAX, name, width, width) ? 0 : -1;
}

int net_add_dropout(struct net *n, const char *name, int64_t width, double keep, bool inverted)
{
	struct net_layer *l = add(n, NET_DROPOUT, name, width, width);
	if (!l)
		return -1;
	l->keep = keep;
	l->inverted = inverted;
	return 0;
}

int net_add_batchnorm(struct net *n, const char *name, int64_t width, double momentum, double eps)
{
	struct net_layer *l = add(n, NET_BATCHNORM, name, width, width);
	if (!l)
		return -1;
	l->momentum = momentum;
	l->eps = eps;
	l->bias = true;
	l->w = n->nparams;
	l->b = n->nparams + width;
	n->nparams += 2 * width;
	l->stats = n->nstats;
	n->nstats += 2 * width;
	return 0;
}

/* The dropout of layer i at the current step. */
static struct dropout dropout_of(const struct net *n, int i)
{
	return (struct dropout){n->layers[i].keep, n->layers[i].inverted, n->seed, n->step, i};
}

/* Rounds a count of floats up to a whole cache line. */
static int64_t lines(int64_t floats)
{
	return (floats + 15) / 16 * 16;
}

int net_plan(struct net *n, int64_t batch, char *err, size_t size)
{
	struct net_layer *last = &n->layers[n->nlayers - 1];
	n->batch = batch;
	n->fused_softmax = last->op == NET_SOFTMAX && n->loss == LOSS_CROSS_ENTROPY;
	int64_t widest = n->layers[0].in, at = batch * n->layers[0].in;
	for (int i = 0; i < n->nlayers; i++) {
		struct net_layer *l = &n->layers[i];
		l->x = i == 0 ? 0 : n->layers[i - 1].y;
		widest = l->out > widest ? l->out : widest;
		if (l == last && n->fused_softmax) {
			l->y = l->x; /* the logits themselves: the loss applies the softmax */
			continue;
		}
		l->y = at;
		at += batch * l->out;
		if (l->op == NET_BATCHNORM) {
			l->saved = at;
			at += 4 * l->out; /* mean, 1/σ, and the backward pass's two sums */
		}
		if (l->op == NET_DROPOUT) {
			l->mask = at;
			at += batch * l->out;
		}
	}
	unsigned needs = optim_needs(&n->opt);
	int arrays = 0; /* the scalar slot too is an array beside the parameters (optim.h) */
	for (int k = 0; k < OPT_SLOTS; k++)
		arrays += !!(needs & (1u << k));
	n->nact = at;
	n->ndelta = batch * widest;
	n->nstate = arrays * n->nparams;
	n->nwork = k_gemm_workspace();
	double total = 4.0 * (double)(2 * lines(n->nparams) + arrays * lines(n->nparams)
	                              + lines(n->nact) + 2 * lines(n->ndelta) + lines(n->nwork)
	                              + lines(n->nstats));
	if (total > 16e9) {
		snprintf(err, size, "this network needs %.1f GB (%lld parameters, %lld activation "
		         "values at batch %lld); more than this machine should give it", total / 1e9,
		         (long long)n->nparams, (long long)n->nact, (long long)batch);
		return -1;
	}
	n->arena = aligned_alloc(64, (size_t)total);
	if (!n->arena) {
		snprintf(err, size, "cannot allocate %.1f MB for the network", total / 1e6);
		return -1;
	}
	float *p = n->arena;
	n->params = p, p += lines(n->nparams);
	n->grads = p, p += lines(n->nparams);
	float **arrays_of[OPT_SLOTS] = {&n->state.buf, &n->state.sq, &n->state.avg, &n->state.max,
	                                &n->state.scalar};
	for (int a = 0; a < OPT_SLOTS; a++)
		if (needs & (1u << a))
			*arrays_of[a] = p, p += lines(n->nparams);
	n->acts = p, p += lines(n->nact);
	n->stats = p, p += lines(n->nstats);
	n->delta[0] = p, p += lines(n->ndelta);
	n->delta[1] = p, p += lines(n->ndelta);
	n->work = p;
	return 0;
}

void net_free(struct net *n)
{
	free(n->arena);
	n->arena = NULL;
}

void net_init(struct net *n, uint64_t seed)
{
	for (int i = 0; i < n->nlayers; i++) {
		struct net_layer *l = &n->layers[i];
		if (l->op == NET_DENSE)
			init_dense(n->params + l->w, l->bias ? n->params + l->b : NULL, l->in, l->out,
			           l->init, seed, i);
		if (l->op != NET_BATCHNORM)
			continue;
		for (int64_t j = 0; j < l->out; j++) { /* γ = 1, β = 0; mean 0, variance 1 */
			n->params[l->w + j] = 1;
			n->params[l->b + j] = 0;
			n->stats[l->stats + j] = 0;
			n->stats[l->stats + l->out + j] = 1;
		}
		l->tracked = 0;
	}
}

void net_reset_state(struct net *n)
{
	optim_init_f32(&n->opt, &n->state, (size_t)n->nparams);
}

float *net_input(struct net *n)
{
	return n->acts;
}

const float *net_forward(struct net *n, int64_t rows)
{
	float *a = n->acts, *p = n->params;
	for (int i = 0; i < n->nlayers; i++) {
		struct net_layer *l = &n->layers[i];
		switch (l->op) {
		case NET_DENSE:
			dense_forward_f32(a + l->y, a + l->x, p + l->w, l->bias ? p + l->b : NULL, rows,
			                  l->in, l->out, n->work);
			break;
		case NET_ACT:
			act_forward_f32(a + l->y, a + l->x, rows * l->out, l->act, l->slope);
			break;
		case NET_SOFTMAX:
			if (l->y != l->x)
				softmax_forward_f32(a + l->y, a + l->x, rows, l->out);
			break;
		case NET_DROPOUT: {
			struct dropout d = dropout_of(n, i);
			dropout_forward_f32(a + l->y, a + l->mask, a + l->x, rows, l->out, &d, n->training);
			break;
		}
		case NET_BATCHNORM:
			batchnorm_forward_f32(a + l->y, a + l->saved, n->stats + l->stats,
			                      n->stats + l->stats + l->out, a + l->x, p + l->w, p + l->b,
			                      rows, l->out, l->momentum, l->eps, n->training);
			l->tracked += n->training;
			break;
		}
	}
	return a + n->layers[n->nlayers - 1].y;
}

/* The backward pass from the loss's gradient in delta[0]. */
static void backward(struct net *n, int64_t rows)
{
	float *a = n->acts, *p = n->params, *g = n->grads;
	int cur = 0; /* delta[cur]: the gradient of the current layer's output */
	memset(g, 0, (size_t)n->nparams * sizeof *g);
	for (int i = n->nlayers - 1; i >= 0; i--) {
		const struct net_layer *l = &n->layers[i];
		float *dout = n->delta[cur], *din = i > 0 ? n->delta[1 - cur] : NULL;
		switch (l->op) {
		case NET_DENSE:
			dense_backward_f32(din, g + l->w, l->bias ? g + l->b : NULL, dout, a + l->x,
			                   p + l->w, rows, l->in, l->out, n->work);
			break;
		case NET_ACT:
			if (din)
				act_backward_f32(din, dout, a + l->x, a + l->y, rows * l->out, l->act, l->slope);
			break;
		case NET_SOFTMAX:
			if (l->y == l->x)
				continue; /* fused: the loss gave the logits' gradient already */
			if (din)
				softmax_backward_f32(din, dout, a + l->y, rows, l->out);
			break;
		case NET_DROPOUT:
			if (din)
				dropout_backward_f32(din, dout, a + l->mask, rows, l->out);
			break;
		case NET_BATCHNORM:
			batchnorm_backward_f32(din, g + l->w, g + l->b, dout, a + l->x, a + l->saved,
			                       p + l->w, rows, l->out);
			break;
		}
		cur = 1 - cur;
	}
}

double net_loss(struct net *n, const int32_t *y, int64_t rows, bool do_backward, int64_t *correct)
{
	const struct net_layer *last = &n->layers[n->nlayers - 1];
	const float *z = n->acts + last->y;
	double sum = loss_f32(do_backward ? n->delta[0] : NULL, z, y, rows, last->out, n->loss,
	                      1.0 / (double)rows);
	if (correct)
		*correct = correct_f32(z, y, rows, last->out);
	if (do_backward)
		backward(n, rows);
	return sum;
}

/* The state arrays of the parameter slice at offset, of the tensor at `tensor` (whose
 * scalar is at its first element). */
static struct optim_state_f32 state_at(const struct net *n, int64_t offset, int64_t tensor)
{
	const struct optim_state_f32 *s = &n->state;
	return (struct optim_state_f32){
		s->buf ? s->buf + offset : NULL, s->sq ? s->sq + offset : NULL,
		s->avg ? s->avg + offset : NULL, s->max ? s->max + offset : NULL,
		s->scalar ? s->scalar + tensor : NULL,
	};
}

/* Updates count elements of the parameters from offset: l2 into the gradient if decayed,
 * then the optimizer under c. */
static void update_range(const struct net *n, const struct optim_config *c, bool decayed,
                         int64_t tensor, int64_t offset, int64_t count,
                         const struct optim_step *step)
{
	float *theta = n->params + offset, *g = n->grads + offset;
	if (decayed && n->l2 != 0)
		for (int64_t i = 0; i < count; i++)
			g[i] += (float)n->l2 * theta[i];
	struct optim_state_f32 st = state_at(n, offset, tensor);
	optim_update_part_f32(c, step, theta, g, &st, (size_t)count);
}

/* Updates one tensor (decay, by wd or l2, only if decayed). Every element's update is its
 * own, so a large tensor is split among the threads with the same result. */
static void update_tensor(struct net *n, int64_t offset, int64_t count, bool decayed,
                          const struct optim_step *step)
{
	struct optim_config c = n->opt;
	if (!decayed)
		c.wd = 0;
	struct optim_state_f32 whole = state_at(n, offset, offset);
	optim_advance_f32(&c, step, &whole); /* the tensor's scalar, once whatever the parts */
	int parts = count >= NET_UPDATE_SPLIT ? omp_get_max_threads() : 1;
#pragma omp parallel for schedule(static) if (parts > 1)
	for (int k = 0; k < parts; k++) {
		int64_t first = count * k / parts, last = count * (k + 1) / parts;
		update_range(n, &c, decayed, offset, offset + first, last - first, step);
	}
}

void net_update(struct net *n, const struct optim_step *step)
{
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		if (l->op == NET_DENSE) {
			update_tensor(n, l->w, l->in * l->out, true, step);
			if (l->bias)
				update_tensor(n, l->b, l->out, n->decay_biases, step);
		} else if (l->op == NET_BATCHNORM) { /* γ and β decay only with decay_biases */
			update_tensor(n, l->w, l->out, n->decay_biases, step);
			update_tensor(n, l->b, l->out, n->decay_biases, step);
		}
	}
}

int net_tensor_count(const struct net *n)
{
	int count = 0;
	for (int i = 0; i < n->nlayers; i++)
		count += n->layers[i].op == NET_DENSE ? 1 + n->layers[i].bias
			: n->layers[i].op == NET_BATCHNORM ? 5 : 0;
	return count;
}

void net_tensor(struct net *n, int index, char *name, size_t size, int *ndim, int64_t shape[2],
                float **data, int64_t **i64)
{
	static const char *const bn_parts[] = {"weight", "bias", "running_mean", "running_var",
	                                       "num_batches_tracked"};
	*i64 = NULL;
	for (int i = 0; i < n->nlayers; i++) {
		struct net_layer *l = &n->layers[i];
		int parts = l->op == NET_DENSE ? 1 + l->bias : l->op == NET_BATCHNORM ? 5 : 0;
		if (index >= parts) {
			index -= parts;
			continue;
		}
		*ndim = l->op == NET_DENSE && index == 0 ? 2 : 1;
		shape[0] = l->out;
		shape[1] = *ndim == 2 ? l->in : 1;
		if (l->op == NET_DENSE) {
			snprintf(name, size, "%s.%s", l->name, index == 0 ? "weight" : "bias");
			*data = n->params + (index == 0 ? l->w : l->b);
			return;
		}
		snprintf(name, size, "%s.%s", l->name, bn_parts[index]);
		float *where[] = {n->params + l->w, n->params + l->b, n->stats + l->stats,
		                  n->stats + l->stats + l->out, NULL};
		*data = where[index];
		if (index == 4) {
			*ndim = 0;
			*i64 = &l->tracked;
		}
		return;
	}
}

static const char *act_name(enum activation act)
{
	static const char *const names[] = {
		[ACT_IDENTITY] = "identity", [ACT_RELU] = "relu", [ACT_LEAKY_RELU] = "leaky_relu",
		[ACT_TANH] = "tanh", [ACT_SIGMOID] = "sigmoid", [ACT_GELU] = "gelu",
	};
	return names[act];
}

static const char *loss_name(enum loss loss)
{
	static const char *const names[] = {
		[LOSS_CROSS_ENTROPY] = "cross_entropy", [LOSS_MSE] = "mse", [LOSS_BCE] = "bce",
	};
	return names[loss];
}

/* The name of the value layer i reads: the input, or the layer before. */
static const char *input_of(const struct net *n, int i)
{
	return i == 0 ? "x" : n->layers[i - 1].name;
}

static void print_bytes(FILE *out, const char *what, int64_t floats)
{
	fprintf(out, "  %-18s %12lld floats %10.3f MB\n", what, (long long)floats,
	        4.0 * (double)floats / 1e6);
}

void net_print(FILE *out, const struct net *n, const char *title)
{
	int64_t B = n->batch;
	fprintf(out, "%s: batch %lld, %d layers, loss %s%s\n\nbuffers\n", title, (long long)B,
	        n->nlayers, loss_name(n->loss), n->fused_softmax ? " (softmax fused)" : "");
	fprintf(out, "  %-24s activation (%lld, %lld)\n", "x", (long long)B, (long long)n->layers[0].in);
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		if (l->op == NET_DENSE) {
			char name[96];
			snprintf(name, sizeof name, "%s.weight", l->name);
			fprintf(out, "  %-24s parameter  (%lld, %lld), and its gradient\n", name,
			        (long long)l->out, (long long)l->in);
			snprintf(name, sizeof name, "%s.bias", l->name);
			if (l->bias)
				fprintf(out, "  %-24s parameter  (%lld), and its gradient\n", name,
				        (long long)l->out);
		}
		if (l->op == NET_BATCHNORM) {
			static const char *const parts[] = {"weight", "bias", "running_mean", "running_var"};
			for (int part = 0; part < 4; part++) {
				char name[96];
				snprintf(name, sizeof name, "%s.%s", l->name, parts[part]);
				fprintf(out, "  %-24s %s (%lld)%s\n", name, part < 2 ? "parameter " : "statistic ",
				        (long long)l->out, part < 2 ? ", and its gradient" : "");
			}
		}
		if (l->y != l->x || i == 0)
			fprintf(out, "  %-24s activation (%lld, %lld)\n", l->name, (long long)B,
			        (long long)l->out);
		if (l->op == NET_DROPOUT) {
			char name[96];
			snprintf(name, sizeof name, "%s.mask", l->name);
			fprintf(out, "  %-24s activation (%lld, %lld), the step's multipliers\n", name,
			        (long long)B, (long long)l->out);
		}
	}
	fputs("\nforward\n", out);
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		if (l->op == NET_DENSE)
			fprintf(out, "  %s = %s · %s.weightᵀ%s%s\n", l->name, input_of(n, i), l->name,
			        l->bias ? " + " : "", l->bias ? "bias" : "");
		else if (l->op == NET_ACT)
			fprintf(out, "  %s = %s(%s)\n", l->name, act_name(l->act), input_of(n, i));
		else if (l->op == NET_DROPOUT)
			fprintf(out, "  %s = %s ⊙ %s.mask (dropout, keep %g, %s scaling; the mask drawn "
			        "from seed, step, layer, unit)\n", l->name, input_of(n, i), l->name, l->keep,
			        l->inverted ? "train" : "test");
		else if (l->op == NET_BATCHNORM)
			fprintf(out, "  %s = %s.weight ⊙ normalize(%s) + %s.bias (batch statistics in "
			        "training, running ones at evaluation; momentum %g, eps %g)\n", l->name,
			        l->name, input_of(n, i), l->name, l->momentum, l->eps);
		else if (l->y != l->x)
			fprintf(out, "  %s = softmax(%s)\n", l->name, input_of(n, i));
	}
	const struct net_layer *last = &n->layers[n->nlayers - 1];
	fprintf(out, "  loss = %s(%s, y)\n\nbackward\n", loss_name(n->loss),
	        n->fused_softmax ? input_of(n, n->nlayers - 1) : last->name);
	fprintf(out, "  d%s = gradient of the mean loss\n",
	        n->fused_softmax ? input_of(n, n->nlayers - 1) : last->name);
	for (int i = n->nlayers - 1; i >= 0; i--) {
		const struct net_layer *l = &n->layers[i];
		const char *in = input_of(n, i);
		if (l->op == NET_DENSE) {
			fprintf(out, "  d%s.weight += d%sᵀ · %s\n", l->name, l->name, in);
			if (l->bias)
				fprintf(out, "  d%s.bias += Σ d%s\n", l->name, l->name);
			if (i > 0)
				fprintf(out, "  d%s = d%s · %s.weight\n", in, l->name, l->name);
		} else if (l->op == NET_ACT && i > 0) {
			fprintf(out, "  d%s = d%s ⊙ %s'(%s)\n", in, l->name, act_name(l->act), in);
		} else if (l->op == NET_BATCHNORM) {
			fprintf(out, "  d%s.weight += Σ d%s ⊙ x̂, d%s.bias += Σ d%s\n", l->name, l->name,
			        l->name, l->name);
			if (i > 0)
				fprintf(out, "  d%s = batchnorm backward of d%s\n", in, l->name);
		} else if (l->op == NET_DROPOUT && i > 0) {
			fprintf(out, "  d%s = d%s ⊙ %s.mask\n", in, l->name, l->name);
		} else if (l->op == NET_SOFTMAX && l->y != l->x && i > 0) {
			fprintf(out, "  d%s = softmax backward of d%s\n", in, l->name);
		}
	}
	fputs("\nupdate\n", out);
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		if (l->op != NET_DENSE && l->op != NET_BATCHNORM)
			continue;
		for (int part = 0; part < 2; part++) {
			if (part == 1 && !l->bias)
				continue;
			char name[96];
			snprintf(name, sizeof name, "%s.%s", l->name, part ? "bias" : "weight");
			bool bias = part == 1 || l->op == NET_BATCHNORM;
			fprintf(out, "  %s ← update(%s, d%s)%s%s\n", name, name, name,
			        n->l2 != 0 && (!bias || n->decay_biases) ? ", with l2" : "",
			        n->opt.wd != 0 && (!bias || n->decay_biases) ? ", with decoupled wd" : "");
		}
	}
	fputs("\nmemory (one arena)\n", out);
	print_bytes(out, "parameters", n->nparams);
	print_bytes(out, "gradients", n->nparams);
	print_bytes(out, "optimizer state", n->nstate);
	print_bytes(out, "activations", n->nact);
	print_bytes(out, "running statistics", n->nstats);
	print_bytes(out, "deltas (2, reused)", 2 * n->ndelta);
	print_bytes(out, "gemm workspace", n->nwork);
	print_bytes(out, "total", 2 * n->nparams + n->nstate + n->nact + n->nstats + 2 * n->ndelta
	            + n->nwork);
}
