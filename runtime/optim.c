/* optim.c — the optimizer table (see optim.h): per optimizer its state slots with their
 * PyTorch names, the state a config needs, its start and its scalar's step, its update
 * in double and float (instantiated from optim_impl.h), and the state the teaching plots
 * draw. */
#include "optim.h"

#include "adam.h"

#include <math.h>

/* NAdam's momentum coefficient μ_t = β₁(1 − ½·0.96^(t·ψ)) (Dozat 2016, as PyTorch). */
static double nadam_mu(const struct optim_config *c, double beta1, double t)
{
	return beta1 * (1. - 0.5 * pow(0.96, t * c->momentum_decay));
}

#define REAL double
#define SUFFIX f64
#define SQRT sqrt
#include "optim_impl.h"
#undef REAL
#undef SUFFIX
#undef SQRT

#define REAL float
#define SUFFIX f32
#define SQRT sqrtf
#define ADAM_KERNEL
#include "optim_impl.h"
#undef ADAM_KERNEL
#undef REAL
#undef SUFFIX
#undef SQRT

/* ---- what each optimizer needs, its start, its scalar, its plotted state ---- */

static unsigned sgd_needs(const struct optim_config *c)
{
	return c->momentum != 0 ? OPT_NEEDS_BUF : 0;
}

static unsigned buf_needs(const struct optim_config *c)
{
	(void)c;
	return OPT_NEEDS_BUF;
}

static unsigned sq_needs(const struct optim_config *c)
{
	(void)c;
	return OPT_NEEDS_SQ;
}

static unsigned rmsprop_needs(const struct optim_config *c)
{
	return OPT_NEEDS_SQ | (c->centered ? OPT_NEEDS_AVG : 0) | (c->momentum > 0 ? OPT_NEEDS_BUF : 0);
}

static unsigned adam_needs(const struct optim_config *c)
{
	return OPT_NEEDS_SQ | OPT_NEEDS_AVG | (c->amsgrad ? OPT_NEEDS_MAX : 0);
}

static unsigned moments_needs(const struct optim_config *c)
{
	(void)c;
	return OPT_NEEDS_SQ | OPT_NEEDS_AVG;
}

static unsigned nadam_needs(const struct optim_config *c)
{
	(void)c;
	return OPT_NEEDS_SQ | OPT_NEEDS_AVG | OPT_NEEDS_SCALAR;
}

static unsigned avg_needs(const struct optim_config *c)
{
	(void)c;
	return OPT_NEEDS_AVG;
}

/* AdaGrad's G₀ = initial. */
static double adagrad_start(const struct optim_config *c, enum optim_slot k)
{
	return k == OPT_SQ ? c->initial : 0;
}

/* NAdam's Π₀ = 1. */
static double nadam_start(const struct optim_config *c, enum optim_slot k)
{
	(void)c;
	return k == OPT_SCALAR ? 1 : 0;
}

/* NAdam's Π_t = Π_{t−1}·μ_t. */
static double nadam_advance(const struct optim_config *c, const struct optim_step *s,
                            double product)
{
	return product * nadam_mu(c, s->momentum, (double)s->t);
}

static enum optim_slot buf_norm(const struct optim_config *c, const struct optim_step *s,
                                double *scale)
{
	(void)c, (void)s;
	*scale = 1;
	return OPT_BUF;
}

static enum optim_slot sq_norm(const struct optim_config *c, const struct optim_step *s,
                               double *scale)
{
	(void)c, (void)s;
	*scale = 1;
	return OPT_SQ;
}

/* v̂ = v/(1 − β2^t): what adam, nadam and radam divide by (adam's amsgrad: its max; adam
 * without bias correction: v itself). */
static enum optim_slot corrected_norm(const struct optim_config *c, const struct optim_step *s,
                                      double *scale)
{
	*scale = c->uncorrected ? 1 : 1 / (1 - pow(c->beta2, (double)s->t));
	return c->kind == OPT_ADAM && c->amsgrad ? OPT_MAX : OPT_SQ;
}

static enum optim_slot avg_norm(const struct optim_config *c, const struct optim_step *s,
                                double *scale)
{
	(void)c, (void)s;
	*scale = 1;
	return OPT_AVG;
}

#define UPDATES(name) .update_f64 = name##_f64, .update_f32 = name##_f32

const struct optim_def optim_table[OPT_KINDS] = {
	[OPT_SGD] = {"sgd", {[OPT_BUF] = "momentum_buffer"}, sgd_needs, NULL, NULL,
	             UPDATES(sgd), .norm = buf_norm},
	[OPT_MOMENTUM] = {"momentum", {[OPT_BUF] = "momentum_buffer"}, buf_needs, NULL, NULL,
	                  UPDATES(momentum), .norm = buf_norm},
	[OPT_ADAGRAD] = {"adagrad", {[OPT_SQ] = "sum"}, sq_needs, adagrad_start, NULL,
	                 UPDATES(adagrad), .norm = sq_norm},
	[OPT_RMSPROP] = {"rmsprop", {[OPT_BUF] = "momentum_buffer", [OPT_SQ] = "square_avg",
	                             [OPT_AVG] = "grad_avg"},
	                 rmsprop_needs, NULL, NULL, UPDATES(rmsprop), .norm = sq_norm},
	[OPT_ADAM] = {"adam", {[OPT_SQ] = "exp_avg_sq", [OPT_AVG] = "exp_avg",
	                       [OPT_MAX] = "max_exp_avg_sq"},
	              adam_needs, NULL, NULL, UPDATES(adam), .norm = corrected_norm},
	[OPT_NADAM] = {"nadam", {[OPT_SQ] = "exp_avg_sq", [OPT_AVG] = "exp_avg",
	                         [OPT_SCALAR] = "mu_product"},
	               nadam_needs, nadam_start, nadam_advance, UPDATES(nadam), .norm = corrected_norm},
	[OPT_RADAM] = {"radam", {[OPT_SQ] = "exp_avg_sq", [OPT_AVG] = "exp_avg"},
	               moments_needs, NULL, NULL, UPDATES(radam), .norm = corrected_norm},
	[OPT_LION] = {"lion", {[OPT_AVG] = "exp_avg"}, avg_needs, NULL, NULL, UPDATES(lion),
	              .norm = avg_norm},
};

double optim_state_norm_f64(const struct optim_config *c, const struct optim_step *s,
                            const struct optim_state_f64 *st, size_t n)
{
	double scale;
	const double *a = optim_slot_f64(st, optim_table[c->kind].norm(c, s, &scale));
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += a[i] * scale * a[i] * scale;
	return sqrt(sum);
}

double optim_momentum(const struct optim_config *c, const struct sched *momentum_schedule,
                      double step)
{
	return c->momentum == 0 ? c->momentum : sched_value_or(momentum_schedule, c->momentum, step);
}

unsigned optim_needs(const struct optim_config *c)
{
	return optim_table[c->kind].needs(c);
}
