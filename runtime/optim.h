/* optim.h — the optimizers of LANGUAGE.md section 4 as element-wise updates over flat
 * arrays, in double (minimize) and float (networks) from one source (optim_impl.h).
 *
 * Legend: n elements of one parameter tensor θ with gradient g (λθ already added by l2);
 * t the 1-based step; lr the scheduled rate η_t; momentum the (scheduled) μ, γ or β1.
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
};

struct optim_config {
	enum optim_kind kind;
	double lr;        /* base rate η; a schedule scales from it */
	double momentum;  /* sgd μ, momentum γ, rmsprop μ, adam β1: what momentum_schedule drives */
	double dampening; /* sgd */
	bool nesterov;    /* sgd */
	double alpha;     /* rmsprop smoothing */
	double beta2;     /* adam */
	double eps;       /* adagrad, rmsprop, adam */
	double lr_decay;  /* adagrad */
	double initial;   /* adagrad's G0 */
	bool centered;    /* rmsprop */
	bool amsgrad;     /* adam */
	double wd;        /* decoupled weight decay: θ ← θ − η·wd·θ before the update */
};

/* What one step uses. */
struct optim_step {
	double lr;       /* η_t */
	double momentum; /* μ, γ or β1 at this step */
	long t;          /* 1, 2, ... */
};

/* An optimizer's state for one tensor: n elements each, as the kind needs them. */
struct optim_state_f64 {
	double *buf; /* sgd/rmsprop momentum buffer b; the course's v */
	double *sq;  /* adagrad's sum G; rmsprop's and adam's average of g² v */
	double *avg; /* adam's m; centered rmsprop's average ḡ */
	double *max; /* amsgrad's running max of v */
};
struct optim_state_f32 {
	float *buf, *sq, *avg, *max; /* as in optim_state_f64 */
};

/* The momentum (μ, γ or β1) of the update after `step` updates (0, 1, ...): the
 * momentum_schedule's value from the base c->momentum, or the base without a schedule.
 * A base of 0 stays 0 at every step, whatever the schedule (an optimizer without momentum
 * keeps none, as check's warning says), so optim_needs, which sees only the base, always
 * knows the state the steps use. minimize and training both take their momentum here. */
double optim_momentum(const struct optim_config *c, const struct sched *momentum_schedule,
                      double step);

/* Which state arrays a kind uses, as a mask of OPT_NEEDS_*: the others may be NULL. */
enum { OPT_NEEDS_BUF = 1, OPT_NEEDS_SQ = 2, OPT_NEEDS_AVG = 4, OPT_NEEDS_MAX = 8 };
unsigned optim_needs(const struct optim_config *c);

/* Sets the state of n elements to its start (adagrad's G to `initial`, all else 0);
 * arrays the kind does not use may be NULL. */
void optim_init_f64(const struct optim_config *c, struct optim_state_f64 *st, size_t n);
void optim_init_f32(const struct optim_config *c, struct optim_state_f32 *st, size_t n);

/* One update of θ (n elements) with gradient g. */
void optim_update_f64(const struct optim_config *c, const struct optim_step *s, double *theta,
                      const double *g, struct optim_state_f64 *st, size_t n);
void optim_update_f32(const struct optim_config *c, const struct optim_step *s, float *theta,
                      const float *g, struct optim_state_f32 *st, size_t n);

/* The norm of what the optimizer accumulates, for the teaching plots: AdaGrad's G,
 * RMSProp's v, Adam's v̂ = v/(1 − β2^t) (amsgrad: of the max), SGD's and momentum's
 * buffer. */
double optim_state_norm_f64(const struct optim_config *c, const struct optim_step *s,
                            const struct optim_state_f64 *st, size_t n);

#endif
