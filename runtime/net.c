/* net.c — the planner and executor of a network's IR (see net.h): it walks the op table
 * (ops.h) and never asks which op a layer is. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_thread_num(void) { return 0; }
static int omp_get_num_threads(void) { return 1; }
#endif

#include "gemm.h"
#include "pace.h"

static const struct op *op_of(const struct net_layer *l)
{
	return &ops[l->op];
}

int net_add(struct net *n, const struct net_layer *layer, char *err, size_t size)
{
	if (n->nlayers == NET_MAX_LAYERS) {
		snprintf(err, size, "more than %d layers", NET_MAX_LAYERS);
		return -1;
	}
	struct net_layer *l = &n->layers[n->nlayers];
	*l = *layer;
	l->ishape = n->nlayers == 0 ? n->input : n->layers[n->nlayers - 1].oshape;
	struct op_error why = {"", ""};
	if (op_of(l)->shape(l, &l->ishape, &l->oshape, &why) != 0) {
		snprintf(err, size, "%s%s%s", why.message, *why.help ? "\n" : "", why.help);
		return -1;
	}
	l->in = shape_size(&l->ishape);
	l->out = shape_size(&l->oshape);
	l->index = 0;
	for (int i = 0; i < n->nlayers; i++)
		l->index += !ops[n->layers[i].op].view;
	l->ntensors = 0;
	l->mask = -1;
	if (op_of(l)->reserve)
		op_of(l)->reserve(n, l);
	n->nlayers++;
	return 0;
}

int64_t net_reserve(struct net *n, struct net_layer *l, const char *part, enum net_store store,
                    struct shape shape, bool bias_like)
{
	int64_t *count = store == NET_PARAM ? &n->nparams : &n->nstats;
	int64_t offset = store == NET_COUNT ? 0 : *count;
	if (store != NET_COUNT)
		*count += shape_size(&shape);
	l->tensors[l->ntensors++] = (struct net_tensor){part, store, offset, shape, bias_like};
	return offset;
}

int64_t net_buffer(struct net *n, int64_t count)
{
	int64_t offset = n->nact; /* during net_plan, the activations laid out so far */
	n->nact += count;
	return offset;
}

void net_workspace(struct net *n, int64_t count)
{
	n->nwork = count > n->nwork ? count : n->nwork;
}

float *net_tensor_data(const struct net *n, const struct net_layer *l, int t)
{
	const struct net_tensor *tensor = &l->tensors[t];
	return tensor->store == NET_PARAM ? n->params + tensor->offset
		: tensor->store == NET_STAT ? n->stats + tensor->offset : NULL;
}

struct dropout net_dropout(const struct net *n, const struct net_layer *l)
{
	return (struct dropout){l->a.dropout.keep, l->a.dropout.inverted, n->seed, n->step, l->index};
}

/* Adds a flat layer of input width in (the network's input when it is the first). */
static int add_flat(struct net *n, enum ir_op op, const char *name, int64_t in, union op_args a)
{
	struct net_layer l = {.op = op, .a = a};
	snprintf(l.name, sizeof l.name, "%s", name);
	if (n->nlayers == 0)
		n->input = shape_flat(in);
	char err[600];
	return net_add(n, &l, err, sizeof err);
}

int net_add_dense(struct net *n, const char *name, int64_t in, int64_t units, bool bias,
                  enum init init)
{
	return add_flat(n, IR_DENSE, name, in, (union op_args){.dense = {units, bias, init}});
}

int net_add_act(struct net *n, const char *name, int64_t width, enum activation act, double slope)
{
	return add_flat(n, IR_ACT, name, width, (union op_args){.act = {act, slope}});
}

int net_add_softmax(struct net *n, const char *name, int64_t width)
{
	return add_flat(n, IR_SOFTMAX, name, width, (union op_args){0});
}

int net_add_dropout(struct net *n, const char *name, int64_t width, double keep, bool inverted)
{
	return add_flat(n, IR_DROPOUT, name, width, (union op_args){.dropout = {keep, inverted}});
}

int net_add_batchnorm(struct net *n, const char *name, int64_t width, double momentum, double eps)
{
	return add_flat(n, IR_BATCHNORM, name, width,
	                (union op_args){.batchnorm = {momentum, eps}});
}

/* Rounds a count of floats up to a whole cache line. */
static int64_t lines(int64_t floats)
{
	return (floats + 15) / 16 * 16;
}

/* Whether layer l computes nothing: its output is its input (a view, or a fused softmax). */
static bool aliases(const struct net_layer *l)
{
	return l->y == l->x;
}

int net_plan(struct net *n, int64_t batch, char *err, size_t size)
{
	struct net_layer *last = &n->layers[n->nlayers - 1];
	n->batch = batch;
	n->fused_softmax = last->op == IR_SOFTMAX && n->loss == LOSS_CROSS_ENTROPY;
	int64_t widest = n->layers[0].in;
	n->nact = batch * n->layers[0].in; /* the input */
	n->nwork = k_gemm_workspace();     /* ops' plans may ask for more (net_workspace) */
	for (int i = 0; i < n->nlayers; i++) {
		struct net_layer *l = &n->layers[i];
		l->x = i == 0 ? 0 : n->layers[i - 1].y;
		widest = l->out > widest ? l->out : widest;
		if (op_of(l)->view || (l == last && n->fused_softmax)) {
			l->y = l->x; /* a view; or the logits themselves: the loss applies the softmax */
			continue;
		}
		l->y = net_buffer(n, batch * l->out);
		if (op_of(l)->plan)
			op_of(l)->plan(n, l, batch);
	}
	for (n->lowest = 0; n->lowest < n->nlayers && aliases(&n->layers[n->lowest]); n->lowest++)
		continue;
	unsigned needs = optim_needs(&n->opt);
	int arrays = 0; /* the scalar slot too is an array beside the parameters (optim.h) */
	for (int k = 0; k < OPT_SLOTS; k++)
		arrays += !!(needs & (1u << k));
	n->ndelta = batch * widest;
	n->nstate = arrays * n->nparams;
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
	for (int i = 0; i < n->nlayers; i++)
		if (op_of(&n->layers[i])->init)
			op_of(&n->layers[i])->init(n, &n->layers[i], seed);
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
	for (int i = 0; i < n->nlayers; i++)
		if (!aliases(&n->layers[i]))
			op_of(&n->layers[i])->forward(n, &n->layers[i], rows);
	return n->acts + n->layers[n->nlayers - 1].y;
}

/* The backward pass from the loss's gradient in delta[0]. A layer that aliases its input
 * passes its delta on as it is. */
static void backward(struct net *n, int64_t rows)
{
	int cur = 0; /* delta[cur]: the gradient of the current layer's output */
	memset(n->grads, 0, (size_t)n->nparams * sizeof *n->grads);
	for (int i = n->nlayers - 1; i >= 0; i--) {
		const struct net_layer *l = &n->layers[i];
		if (aliases(l))
			continue;
		/* the lowest layer that computes needs no input gradient */
		op_of(l)->backward(n, l, i == n->lowest ? NULL : n->delta[1 - cur], n->delta[cur], rows);
		cur = 1 - cur;
	}
}

double net_loss(struct net *n, const int32_t *y, int64_t rows, bool do_backward, int64_t *correct)
{
	const struct net_layer *last = &n->layers[n->nlayers - 1];
	const float *z = n->acts + last->y;
	float *dz = do_backward ? n->delta[0] : NULL;
	double sum = n->smoothing > 0
		? loss_smoothed_f32(dz, z, y, rows, last->out, n->smoothing, 1.0 / (double)rows)
		: loss_f32(dz, z, y, rows, last->out, n->loss, 1.0 / (double)rows);
	if (correct)
		*correct = correct_f32(z, y, rows, last->out);
	if (do_backward)
		backward(n, rows);
	return sum;
}

double net_loss_values(struct net *n, const float *t, int64_t rows, bool do_backward)
{
	const struct net_layer *last = &n->layers[n->nlayers - 1];
	double sum = loss_values_f32(do_backward ? n->delta[0] : NULL, n->acts + last->y, t, rows,
	                             last->out, n->loss, n->huber_delta, 1.0 / (double)rows);
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

/* Updates the elements lo..hi of the parameters (offsets), tensor by tensor; decayed
 * tensors (by wd or l2) under decayed, the others (biases without decay_biases) under
 * undecayed. */
static void update_slice(const struct net *n, const struct optim_config *decayed,
                         const struct optim_config *undecayed, int64_t lo, int64_t hi,
                         const struct optim_step *step)
{
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		for (int t = 0; t < l->ntensors; t++) {
			const struct net_tensor *tensor = &l->tensors[t];
			int64_t first = tensor->offset, last = first + shape_size(&tensor->shape);
			first = first > lo ? first : lo;
			last = last < hi ? last : hi;
			bool decays = !tensor->bias_like || n->decay_biases;
			if (tensor->store == NET_PARAM && first < last)
				update_range(n, decays ? decayed : undecayed, decays, tensor->offset, first,
				             last - first, step);
		}
	}
}

void net_update(struct net *n, const struct optim_step *step)
{
	struct optim_config undecayed = n->opt;
	undecayed.wd = 0;
	for (int i = 0; i < n->nlayers; i++) { /* each tensor's scalar, once whatever the parts */
		const struct net_layer *l = &n->layers[i];
		for (int t = 0; t < l->ntensors; t++) {
			const struct net_tensor *tensor = &l->tensors[t];
			if (tensor->store != NET_PARAM)
				continue;
			struct optim_state_f32 whole = state_at(n, tensor->offset, tensor->offset);
			optim_advance_f32(&n->opt, step, &whole);
		}
	}
	/* every element's update is its own: the threads take equal slices of all the
	 * parameters in one region, with the same result as one thread */
	int threads = pace_threads_for(n->nparams);
	if (threads == 1) { /* without a region, as in k_gemm_with */
		update_slice(n, &n->opt, &undecayed, 0, n->nparams, step);
		return;
	}
#pragma omp parallel num_threads(threads)
	{
		int t = omp_get_thread_num(), team = omp_get_num_threads();
		update_slice(n, &n->opt, &undecayed, n->nparams * t / team,
		             n->nparams * (t + 1) / team, step);
	}
}

int net_tensor_count(const struct net *n)
{
	int count = 0;
	for (int i = 0; i < n->nlayers; i++)
		count += n->layers[i].ntensors;
	return count;
}

void net_tensor(struct net *n, int index, char *name, size_t size, int *ndim,
                int64_t shape[SHAPE_MAX], float **data, int64_t **i64)
{
	for (int i = 0; i < n->nlayers; i++) {
		struct net_layer *l = &n->layers[i];
		if (index >= l->ntensors) {
			index -= l->ntensors;
			continue;
		}
		const struct net_tensor *t = &l->tensors[index];
		snprintf(name, size, "%s.%s", l->name, t->part);
		*ndim = t->shape.ndim;
		for (int k = 0; k < SHAPE_MAX; k++)
			shape[k] = k < t->shape.ndim ? t->shape.dim[k] : 1;
		*data = net_tensor_data(n, l, index);
		*i64 = t->store == NET_COUNT ? &l->tracked : NULL;
		return;
	}
}

static const char *loss_name(enum loss loss)
{
	static const char *const names[] = {
		[LOSS_CROSS_ENTROPY] = "cross_entropy", [LOSS_MSE] = "mse", [LOSS_BCE] = "bce",
		[LOSS_MAE] = "mae", [LOSS_HUBER] = "huber",
	};
	return names[loss];
}

/* The loss as the file gives it: its name, with smoothing or delta when they matter. */
static const char *loss_text(const struct net *n, char *buf, size_t size)
{
	if (n->loss == LOSS_CROSS_ENTROPY && n->smoothing > 0)
		snprintf(buf, size, "cross_entropy(smoothing = %g)", n->smoothing);
	else if (n->loss == LOSS_HUBER)
		snprintf(buf, size, "huber(delta = %g)", n->huber_delta);
	else
		snprintf(buf, size, "%s", loss_name(n->loss));
	return buf;
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

/* The number of trained values of layer l. */
static int64_t layer_params(const struct net_layer *l)
{
	int64_t count = 0;
	for (int t = 0; t < l->ntensors; t++)
		if (l->tensors[t].store == NET_PARAM)
			count += shape_size(&l->tensors[t].shape);
	return count;
}

/* The floats layer l holds once planned: its parameters with their gradients and
 * optimizer state, its statistics, its output and its own activation buffer. */
static int64_t layer_floats(const struct net *n, const struct net_layer *l)
{
	int64_t stats = 0, arrays = n->nparams ? n->nstate / n->nparams : 0;
	for (int t = 0; t < l->ntensors; t++)
		if (l->tensors[t].store == NET_STAT)
			stats += shape_size(&l->tensors[t].shape);
	return (2 + arrays) * layer_params(l) + stats + (aliases(l) ? 0 : n->batch * l->out)
		+ (op_of(l)->buffer && l->mask >= 0 ? n->batch * l->out : 0);
}

void net_print_summary(FILE *out, const struct net *n)
{
	char shape[64];
	int64_t total = 0, floats = 0;
	bool planned = n->arena != NULL; /* the memory column needs the batch */
	fprintf(out, "  %-24s %-12s %-20s %12s%s\n", "layer", "op", "output shape", "parameters",
	        planned ? "       memory" : "");
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		const struct op *op = op_of(l);
		fprintf(out, "  %-24s %-12s %-20s %12lld", l->name, op->label ? op->label(l) : op->name,
		        shape_format(&l->oshape, shape, sizeof shape), (long long)layer_params(l));
		if (planned)
			fprintf(out, " %9.3f MB", 4.0 * (double)layer_floats(n, l) / 1e6);
		fputc('\n', out);
		total += layer_params(l);
		floats += layer_floats(n, l);
	}
	fprintf(out, "  %-24s %-12s %-20s %12lld", "total", "", "", (long long)total);
	if (planned)
		fprintf(out, " %9.3f MB", 4.0 * (double)floats / 1e6);
	fputc('\n', out);
}

/* The buffers of layer i: its tensors, its output and its own activation buffer. */
static void print_buffers(FILE *out, const struct net *n, int i)
{
	const struct net_layer *l = &n->layers[i];
	char name[96], shape[64];
	for (int t = 0; t < l->ntensors; t++) {
		const struct net_tensor *tensor = &l->tensors[t];
		if (tensor->store == NET_COUNT)
			continue;
		snprintf(name, sizeof name, "%s.%s", l->name, tensor->part);
		fprintf(out, "  %-24s %s %s%s\n", name, tensor->store == NET_PARAM ? "parameter "
		        : "statistic ", shape_format(&tensor->shape, shape, sizeof shape),
		        tensor->store == NET_PARAM ? ", and its gradient" : "");
	}
	if (!aliases(l) || (i == 0 && !op_of(l)->view))
		fprintf(out, "  %-24s activation (%lld, %lld)\n", l->name, (long long)n->batch,
		        (long long)l->out);
	if (op_of(l)->buffer && l->mask >= 0) {
		snprintf(name, sizeof name, "%s.%s", l->name, op_of(l)->buffer);
		fprintf(out, "  %-24s activation (%lld, %lld), %s\n", name, (long long)n->batch,
		        (long long)l->out, op_of(l)->buffer_note);
	}
}

void net_print(FILE *out, const struct net *n, const char *title)
{
	int64_t B = n->batch;
	char loss[64];
	fprintf(out, "%s: batch %lld, %d layers, loss %s%s\n\nsummary\n", title, (long long)B,
	        n->nlayers, loss_text(n, loss, sizeof loss), n->fused_softmax ? " (softmax fused)" : "");
	net_print_summary(out, n);
	char input[64]; /* the batch's shape: B, then the sample's */
	shape_format(&n->layers[0].ishape, input, sizeof input);
	fprintf(out, "\nbuffers\n  %-24s activation (%lld, %s\n", "x", (long long)B, input + 1);
	for (int i = 0; i < n->nlayers; i++)
		print_buffers(out, n, i);
	fputs("\nforward\n", out);
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		if ((!aliases(l) || op_of(l)->view) && op_of(l)->print_forward)
			op_of(l)->print_forward(out, l, input_of(n, i));
	}
	const struct net_layer *last = &n->layers[n->nlayers - 1];
	fprintf(out, "  loss = %s(%s, %s)\n\nbackward\n", loss_name(n->loss),
	        n->fused_softmax ? input_of(n, n->nlayers - 1) : last->name, n->targets ? "targets" : "y");
	fprintf(out, "  d%s = gradient of the mean loss\n",
	        n->fused_softmax ? input_of(n, n->nlayers - 1) : last->name);
	for (int i = n->nlayers - 1; i >= 0; i--) {
		const struct net_layer *l = &n->layers[i];
		if (!aliases(l) && op_of(l)->print_backward)
			op_of(l)->print_backward(out, l, input_of(n, i), i == n->lowest);
	}
	fputs("\nupdate\n", out);
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		for (int t = 0; t < l->ntensors; t++) {
			const struct net_tensor *tensor = &l->tensors[t];
			if (tensor->store != NET_PARAM)
				continue;
			char name[96];
			snprintf(name, sizeof name, "%s.%s", l->name, tensor->part);
			bool decayed = !tensor->bias_like || n->decay_biases;
			fprintf(out, "  %s ← update(%s, d%s)%s%s\n", name, name, name,
			        n->l2 != 0 && decayed ? ", with l2" : "",
			        n->opt.wd != 0 && decayed ? ", with decoupled wd" : "");
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
