/* optim.h — the optimizers of LANGUAGE.md section 4 as element-wise updates over flat
 * arrays, in double (minimize) and float (networks) from one source (optim_impl.h), and
 * the table that says, per optimizer, what state it keeps and under which PyTorch names.
 *
 * Legend: n elements of one parameter tensor θ with gradient g (λθ already added by l2);
 * t the 1-based step; lr the scheduled rate η_t; momentum the (scheduled) μ, γ or β1.
 * Adding an optimizer: its enum member, its row in optim_table (optim.c), its update in
 * optim_impl.h, and its row in interp/schema.c's schema_optimizers.
 * Not for: schedules (schedule.h), or deciding what a parameter is.
 */
#ifndef DESCENT_OPTIM_H
#define DESCENT_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "schedule.h"

enum optim_kind {
	OPT_SGD,      /* PyTorch SGD: momentum, dampening, nesterov */
	OPT_MOMENTUM, /* the course's eq. (1): v ← γv + (1−γ)g */
	OPT_ADAGRAD,  /* Duchi et al. 2011, as PyTorch */
	OPT_RMSPROP,  /* Hinton's RMSProp, as PyTorch (centered, momentum) */
	OPT_ADAM,     /* Kingma & Ba 2015, as PyTorch (amsgrad); adamw is this with wd */
	OPT_NADAM,    /* Dozat 2016, as PyTorch ≥ 2.0 */
	OPT_RADAM,    /* Liu et al. 2020, as PyTorch 1.13 */
	OPT_LION,     /* Chen et al. 2023, as optax's lion */
	OPT_KINDS     /* how many */
};

struct optim_config {
	enum optim_kind kind;
	double lr;        /* base rate η; a schedule scales from it */
	double momentum;  /* sgd μ, momentum γ, rmsprop μ, adam/nadam/radam/lion β1: what
	                     momentum_schedule drives */
	double dampening; /* sgd */
	bool nesterov;    /* sgd */
	double alpha;     /* rmsprop smoothing */
	double beta2;     /* adam, nadam, radam, lion */
	double eps;       /* adagrad, rmsprop, adam, nadam, radam */
	double lr_decay;  /* adagrad */
	double initial;   /* adagrad's G0 */
	bool centered;    /* rmsprop */
	bool amsgrad;     /* adam */
	bool uncorrected; /* adam with bias_correction = false: no 1−βᵗ divisions */
	double momentum_decay; /* nadam's ψ */
	double wd;        /* decoupled weight decay: θ ← θ − η·wd·θ before the update */
};

/* What one step uses. */
struct optim_step {
	double lr;       /* η_t */
	double momentum; /* μ, γ or β1 at this step */
	long t;          /* 1, 2, ... */
};

/* The slots of an optimizer's state: four arrays of n elements, and one scalar for the
 * whole tensor (NAdam's Π). A kind uses some of them (optim_table says which, and their
 * PyTorch names). */
enum optim_slot {
	OPT_BUF,    /* sgd/rmsprop momentum buffer b; the course's v */
	OPT_SQ,     /* adagrad's sum G; the average of g² v of rmsprop, adam, nadam, radam */
	OPT_AVG,    /* m of adam, nadam, radam, lion; centered rmsprop's average ḡ */
	OPT_MAX,    /* amsgrad's running max of v */
	OPT_SCALAR, /* one value per tensor: nadam's product of the μ_t */
	OPT_SLOTS   /* how many */
};

/* An optimizer's state for one tensor: the slots of enum optim_slot, NULL where unused.
 * The updates read and write one value at scalar (optim_advance steps it once per tensor
 * and step, so that a tensor split into parts among threads steps it once); optim_init
 * fills n values there (see it). */
struct optim_state_f64 {
	double *buf, *sq, *avg, *max; /* n elements each */
	double *scalar;               /* the tensor's one value */
};
struct optim_state_f32 {
	float *buf, *sq, *avg, *max; /* as in optim_state_f64 */
	float *scalar;
};

/* The array (or scalar) of slot k of st, for code that walks the slots. */
double *optim_slot_f64(const struct optim_state_f64 *st, enum optim_slot k);
float *optim_slot_f32(const struct optim_state_f32 *st, enum optim_slot k);

/* The element-wise update of n elements (one tensor, or a part of it). */
typedef void optim_update_f64_fn(const struct optim_config *c, const struct optim_step *s,
                                 double *theta, const double *g, struct optim_state_f64 *st,
                                 size_t n);
typedef void optim_update_f32_fn(const struct optim_config *c, const struct optim_step *s,
                                 float *theta, const float *g, struct optim_state_f32 *st,
                                 size_t n);

/* One row of optim_table: everything the runtime knows of an optimizer. */
struct optim_def {
	const char *name;               /* as section 4 writes it */
	const char *state[OPT_SLOTS];   /* PyTorch's name of each slot it may use, else NULL */
	unsigned (*needs)(const struct optim_config *c); /* the slots used, a mask of 1 << slot */
	double (*start)(const struct optim_config *c, enum optim_slot k); /* a slot's first
	                                   value, or NULL for 0 everywhere */
	double (*advance)(const struct optim_config *c, const struct optim_step *s,
	                  double scalar); /* the scalar after step s, once per tensor, or NULL */
	optim_update_f64_fn *update_f64; /* one formula (optim_impl.h), in double */
	optim_update_f32_fn *update_f32; /* and in float */
	enum optim_slot (*norm)(const struct optim_config *c, const struct optim_step *s,
	                        double *scale); /* the slot the teaching plots take the norm of,
	                                           and the scale of its elements */
};

extern const struct optim_def optim_table[OPT_KINDS];

/* The momentum (μ, γ or β1) of the update after `step` updates (0, 1, ...): the
 * momentum_schedule's value from the base c->momentum, or the base without a schedule.
 * A base of 0 stays 0 at every step, whatever the schedule (an optimizer without momentum
 * keeps none, as check's warning says), so optim_needs, which sees only the base, always
 * knows the state the steps use. minimize and training both take their momentum here. */
double optim_momentum(const struct optim_config *c, const struct sched *momentum_schedule,
                      double step);

/* Which state slots the config uses, as a mask of OPT_NEEDS_* (1 << slot): the others may
 * be NULL. Its schedules need nothing more (see optim_momentum). */
enum {
	OPT_NEEDS_BUF = 1 << OPT_BUF, OPT_NEEDS_SQ = 1 << OPT_SQ, OPT_NEEDS_AVG = 1 << OPT_AVG,
	OPT_NEEDS_MAX = 1 << OPT_MAX, OPT_NEEDS_SCALAR = 1 << OPT_SCALAR,
};
unsigned optim_needs(const struct optim_config *c);

/* Sets n values of every slot the kind uses to their start (adagrad's G to `initial`,
 * nadam's Π to 1, all else 0); slots it does not use may be NULL. The scalar slot too
 * holds n values: a network keeps its tensors' scalars in an array beside the
 * parameters, each tensor's at its first element. */
void optim_init_f64(const struct optim_config *c, struct optim_state_f64 *st, size_t n);
void optim_init_f32(const struct optim_config *c, struct optim_state_f32 *st, size_t n);

/* One update of a whole tensor θ (n elements) with gradient g: optim_advance, then
 * optim_update_part. */
void optim_update_f64(const struct optim_config *c, const struct optim_step *s, double *theta,
                      const double *g, struct optim_state_f64 *st, size_t n);
void optim_update_f32(const struct optim_config *c, const struct optim_step *s, float *theta,
                      const float *g, struct optim_state_f32 *st, size_t n);

/* A tensor updated in parts (by several threads): optim_advance once for the tensor, then
 * optim_update_part for each part, with the state of that part and the tensor's scalar. */
void optim_advance_f64(const struct optim_config *c, const struct optim_step *s,
                       struct optim_state_f64 *st);
void optim_advance_f32(const struct optim_config *c, const struct optim_step *s,
                       struct optim_state_f32 *st);
void optim_update_part_f64(const struct optim_config *c, const struct optim_step *s,
                           double *theta, const double *g, struct optim_state_f64 *st, size_t n);
void optim_update_part_f32(const struct optim_config *c, const struct optim_step *s,
                           float *theta, const float *g, struct optim_state_f32 *st, size_t n);

/* The norm of what the optimizer accumulates, for the teaching plots: AdaGrad's G,
 * RMSProp's v, v̂ = v/(1 − β2^t) of adam (amsgrad: of the max; v without bias
 * correction), nadam and radam, SGD's and momentum's buffer, lion's m. */
double optim_state_norm_f64(const struct optim_config *c, const struct optim_step *s,
                            const struct optim_state_f64 *st, size_t n);

#endif
