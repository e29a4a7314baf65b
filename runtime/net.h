/* net.h — the IR of a train block and its executor: a sequence of layers over float
 * buffers, all carved by a planner from one arena allocation, with the forward pass, the
 * backward pass derived from each layer's rule, one update per parameter tensor
 * (optim.h), and evaluation. What each op does is its row of the op table (ops.h); this
 * module walks the table and never asks which op a layer is.
 *
 * Legend: B the batch (the largest; a last, smaller batch uses the first rows), shapes
 * per sample (shape.h), widths W0 (inputs) .. WL (outputs) their sizes. A view (input,
 * flatten) or a fused softmax has its input as its output: no buffer, no pass. Memory by category: parameters, gradients, optimizer
 * state (only the arrays the optimizer uses), activations (every layer's output, kept for
 * the backward pass), two deltas used in turn by the backward pass (a delta lives only
 * until the layer below has consumed it), and the GEMM workspace. Nothing is allocated
 * after net_plan. Not for: data, schedules over epochs, or files (train.c, interp/).
 */
#ifndef DESCENT_NET_H
#define DESCENT_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "layers.h"
#include "ops.h"
#include "optim.h"

enum { NET_MAX_LAYERS = 256, NET_MAX_TENSORS = 6 };

/* Where a layer's tensor lives. */
enum net_store {
	NET_PARAM, /* trained: in the parameters, with a gradient and optimizer state */
	NET_STAT,  /* running statistics: saved, not trained */
	NET_COUNT, /* an int64 scalar: the layer's `tracked` */
};

/* One tensor of a layer, in PyTorch's name and layout ("weight", (O, I)). */
struct net_tensor {
	const char *part;    /* after "<layer>." */
	enum net_store store;
	int64_t offset;      /* in the parameters or the statistics */
	struct shape shape;
	bool bias_like;      /* decayed only with decay_biases */
};

struct net_layer {
	enum ir_op op;
	char name[64];        /* "dense1", or the name the file gave */
	union op_args a;      /* the op's own arguments */
	struct shape ishape, oshape; /* per sample */
	int64_t in, out;      /* their sizes (widths) */
	int index;            /* the layer's counter block for init and dropout: the number of
	                       * layers before it that are not views */
	int ntensors;
	struct net_tensor tensors[NET_MAX_TENSORS]; /* in save order */
	int64_t tracked;      /* batchnorm's num_batches_tracked */
	union {               /* the layer's own buffer in the activations, or -1 */
		int64_t mask;     /* dropout: the step's multipliers (B, out) */
		int64_t saved;    /* batchnorm: mean, 1/σ, two sums (4, out or channels) */
		int64_t argmax;   /* maxpool: each output's place in its input plane, int32 (B, out) */
	};
	int64_t x, y;         /* offsets of the input (B, in) and output (B, out) activations */
};

struct net {
	struct shape input;     /* the data's sample shape (W0 its size) */
	int nlayers;
	struct net_layer layers[NET_MAX_LAYERS];
	int64_t batch;          /* B */
	enum loss loss;         /* after the last layer */
	double smoothing;       /* cross_entropy's label smoothing ε, or 0 */
	double huber_delta;     /* huber's delta */
	int64_t targets;        /* T: target values per sample (regression), or 0 (classes) */
	bool fused_softmax;     /* a last softmax folded into cross-entropy */
	int lowest;             /* the lowest layer that computes (not a view): its backward
	                         * needs no input gradient; nlayers if none does */
	struct optim_config opt; /* the optimizer, as given */
	double l2;              /* λ of regularize = l2(λ), or 0 */
	bool decay_biases;      /* whether l2 and wd touch biases too */
	bool training;          /* forward as in training (dropout on) or evaluation */
	uint64_t seed;          /* the run's seed, for dropout masks */
	int64_t step;           /* the optimizer step being computed, for dropout masks */
	/* sizes in floats, by category */
	int64_t nparams, nstate, nact, ndelta, nwork, nstats;
	float *arena;           /* the one allocation */
	float *params, *grads, *acts, *delta[2], *work;
	float *stats;           /* batchnorm's running statistics (nstats): not trained */
	struct optim_state_f32 state; /* each nparams long, or NULL where unused */
};

/* Appends layer l (op, name and arguments set; the rest is filled): its input is the
 * previous layer's output (n->input for the first), its output shape the op's rule.
 * 0; -1 with why in err (the shape rule refuses, or more than NET_MAX_LAYERS). */
int net_add(struct net *n, const struct net_layer *l, char *err, size_t size);

/* For ops: reserves a tensor of layer l (parameters or statistics); returns its offset. */
int64_t net_reserve(struct net *n, struct net_layer *l, const char *part, enum net_store store,
                    struct shape shape, bool bias_like);
/* For ops at plan time: reserves count floats of the activations; returns the offset. */
int64_t net_buffer(struct net *n, int64_t count);
/* For ops at plan time: asks for a workspace of count floats (shared by every layer, so
 * the largest request is the workspace). */
void net_workspace(struct net *n, int64_t count);
/* The floats of layer l's tensor t (NULL for NET_COUNT). */
float *net_tensor_data(const struct net *n, const struct net_layer *l, int t);
/* The dropout of layer l at the current step. */
struct dropout net_dropout(const struct net *n, const struct net_layer *l);

/* Shorthands of net_add for flat layers (tests, benchmarks); in is checked against the
 * previous layer. */
int net_add_dense(struct net *n, const char *name, int64_t in, int64_t units, bool bias,
                  enum init init);
int net_add_act(struct net *n, const char *name, int64_t width, enum activation act, double slope);
int net_add_softmax(struct net *n, const char *name, int64_t width);
int net_add_dropout(struct net *n, const char *name, int64_t width, double keep, bool inverted);
int net_add_batchnorm(struct net *n, const char *name, int64_t width, double momentum, double eps);

/* Plans the memory for batch B and allocates the arena; 0, or -1 when it does not fit
 * (err says how much it wanted). */
int net_plan(struct net *n, int64_t batch, char *err, size_t size);
void net_free(struct net *n);

/* Initial weights from seed (layer k of the network is init counter block k). */
void net_init(struct net *n, uint64_t seed);
/* Fresh optimizer state. */
void net_reset_state(struct net *n);

/* The input activations (B, W0): where a batch goes before net_forward. */
float *net_input(struct net *n);
/* Forward pass over rows rows of the input (as in training if n->training, with the
 * dropout masks of n->step); returns the outputs (rows, WL). */
const float *net_forward(struct net *n, int64_t rows);
/* Loss of the last forward pass against y (rows): its sum over the rows; with backward,
 * also the gradients of the mean loss (over `total` samples of the step), which then
 * the update applies. correct gets the number of right predictions. */
double net_loss(struct net *n, const int32_t *y, int64_t rows, bool backward, int64_t *correct);
/* As net_loss for regression (n->targets > 0): the loss against target values t
 * (rows, T). */
double net_loss_values(struct net *n, const float *t, int64_t rows, bool backward);
/* One optimizer update of every parameter tensor with the step's rate and momentum, in
 * one parallel region over all the parameters when they are many (pace_threads_for). */
void net_update(struct net *n, const struct optim_step *step);

/* The tensors of the network in PyTorch's names and layouts, for save and load: each
 * dense layer's weight and bias, each batchnorm's weight, bias, running_mean,
 * running_var and num_batches_tracked (an int64 scalar: *i64 set, *data NULL). */
int net_tensor_count(const struct net *n);
void net_tensor(struct net *n, int i, char *name, size_t size, int *ndim,
                int64_t shape[SHAPE_MAX], float **data, int64_t **i64);

/* Prints the model summary: a table of the layers (name, op, output shape, parameters)
 * and the total. */
void net_print_summary(FILE *out, const struct net *n);
/* Prints the IR: the summary, buffers with shapes and sizes, the forward, backward and update ops, and
 * the memory of each category. */
void net_print(FILE *out, const struct net *n, const char *title);

#endif
