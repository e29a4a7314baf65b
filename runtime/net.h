/* net.h — the IR of a train block and its executor: a sequence of layers over float
 * buffers, all carved by a planner from one arena allocation, with the forward pass, the
 * backward pass derived from each layer's rule (layers.h), one update per parameter
 * tensor (optim.h), and evaluation.
 *
 * Legend: B the batch (the largest; a last, smaller batch uses the first rows), widths
 * W0 (inputs) .. WL (outputs). Memory by category: parameters, gradients, optimizer
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
#include "optim.h"

enum net_op {
	NET_DENSE,   /* y = x·Wᵀ + b */
	NET_ACT,     /* y = act(x) */
	NET_SOFTMAX, /* y = softmax(x); the identity when fused into cross-entropy */
	NET_DROPOUT, /* y = mask ⊙ x in training (layers.h, struct dropout) */
	NET_BATCHNORM, /* y = γ·x̂ + β per feature, batch or running statistics */
};

enum { NET_MAX_LAYERS = 256 };
/* Parameter tensors of at least this many elements are updated by all the threads. */
enum { NET_UPDATE_SPLIT = 1 << 15 };

struct net_layer {
	enum net_op op;
	char name[64];        /* "dense1", or the name the file gave */
	int64_t in, out;      /* widths */
	enum activation act;  /* NET_ACT */
	double slope;         /* leaky_relu */
	bool bias;            /* NET_DENSE: has b */
	enum init init;       /* NET_DENSE */
	double keep;          /* NET_DROPOUT: 1 − rate */
	bool inverted;        /* NET_DROPOUT: scaling = train */
	double momentum, eps; /* NET_BATCHNORM (γ at w, β at b in the parameters) */
	int64_t stats;        /* NET_BATCHNORM: running mean (out), then variance (out) */
	int64_t saved;        /* NET_BATCHNORM: batch mean, 1/σ, two sums (4, out) in the activations */
	int64_t mask;         /* NET_DROPOUT: the step's multipliers (B, out) in the activations */
	int64_t tracked;      /* NET_BATCHNORM: num_batches_tracked */
	int64_t w, b;         /* offsets of W (out, in) and b (out) in the parameters, b -1 if none */
	int64_t x, y;         /* offsets of the input (B, in) and output (B, out) activations */
};

struct net {
	int nlayers;
	struct net_layer layers[NET_MAX_LAYERS];
	int64_t batch;          /* B */
	enum loss loss;         /* after the last layer */
	bool fused_softmax;     /* a last softmax folded into cross-entropy */
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

/* Appends a layer; widths chain from the previous layer (in0 for the first). */
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
/* One optimizer update of every parameter tensor with the step's rate and momentum. */
void net_update(struct net *n, const struct optim_step *step);

/* The tensors of the network in PyTorch's names and layouts, for save and load: each
 * dense layer's weight and bias, each batchnorm's weight, bias, running_mean,
 * running_var and num_batches_tracked (an int64 scalar: *i64 set, *data NULL). */
int net_tensor_count(const struct net *n);
void net_tensor(struct net *n, int i, char *name, size_t size, int *ndim, int64_t shape[2],
                float **data, int64_t **i64);

/* Prints the IR: buffers with shapes and sizes, the forward, backward and update ops, and
 * the memory of each category. */
void net_print(FILE *out, const struct net *n, const char *title);

#endif
