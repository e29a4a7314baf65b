/* optim.c — instantiates the update rules of optim_impl.h for double and float, and the
 * state norm of the teaching plots (see optim.h). */
#include "optim.h"

#include <math.h>

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
#include "optim_impl.h"
#undef REAL
#undef SUFFIX
#undef SQRT

double optim_state_norm_f64(const struct optim_config *c, const struct optim_step *s,
                            const struct optim_state_f64 *st, size_t n)
{
	const double *a = c->kind == OPT_SGD || c->kind == OPT_MOMENTUM ? st->buf
		: c->kind == OPT_ADAM && c->amsgrad ? st->max : st->sq;
	double scale = c->kind == OPT_ADAM ? 1 / (1 - pow(c->beta2, (double)s->t)) : 1;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += a[i] * scale * a[i] * scale;
	return sqrt(sum);
}

double optim_momentum(const struct optim_config *c, const struct sched *momentum_schedule,
                      double step)
{
	if (!momentum_schedule || c->momentum == 0)
		return c->momentum;
	return sched_value(momentum_schedule, c->momentum, step);
}

unsigned optim_needs(const struct optim_config *c)
{
	switch (c->kind) {
	case OPT_SGD: return c->momentum != 0 ? OPT_NEEDS_BUF : 0;
	case OPT_MOMENTUM: return OPT_NEEDS_BUF;
	case OPT_ADAGRAD: return OPT_NEEDS_SQ;
	case OPT_RMSPROP:
		return OPT_NEEDS_SQ | (c->centered ? OPT_NEEDS_AVG : 0) | (c->momentum > 0 ? OPT_NEEDS_BUF : 0);
	case OPT_ADAM: return OPT_NEEDS_SQ | OPT_NEEDS_AVG | (c->amsgrad ? OPT_NEEDS_MAX : 0);
	}
	return 0;
}
