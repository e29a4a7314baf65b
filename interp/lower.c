/* lower.c — schedule expressions to runtime schedules (see lower.h). */
#include "lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* A checked duration in steps. */
static bool duration_steps(const struct ast *v, double steps_per_epoch, struct diag *d,
                           double *out)
{
	if (v->kind == AST_NUM) {
		*out = v->num;
		return true;
	}
	double n = v->a->num;
	if (strncmp(v->b->str, "step", 4) == 0) {
		*out = n;
		return true;
	}
	if (steps_per_epoch <= 0) {
		diag_error(d, v->loc, "this duration is in epochs, but the steps per epoch are not "
		           "known");
		diag_help(d, "give --steps-per-epoch K, or write the duration in steps");
		return false;
	}
	*out = round(n * steps_per_epoch);
	if (*out < 1) {
		diag_error(d, v->loc, "%g epochs of %g steps is less than one step", n, steps_per_epoch);
		return false;
	}
	return true;
}

/* The named parameter of a bound schedule call as steps. */
static bool param_steps(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                        const char *name, double spe, struct diag *d, double *out)
{
	return duration_steps(vals[schema_index(sig, name)], spe, d, out);
}

static struct sched *lower_multistep(struct sched *s, const struct sig *sig,
                                     const struct ast *const vals[SIG_MAX_PARAMS], double spe,
                                     struct diag *d)
{
	const struct ast *at = vals[schema_index(sig, "at")];
	s->u.multistep.gamma = schema_number(sig, vals, "gamma");
	s->u.multistep.n = at->nkids;
	s->u.multistep.at = calloc((size_t)at->nkids + 1, sizeof *s->u.multistep.at);
	if (!s->u.multistep.at)
		goto fail;
	for (int i = 0; i < at->nkids; i++)
		if (!duration_steps(at->kids[i], spe, d, &s->u.multistep.at[i]))
			goto fail;
	return s;
fail:
	sched_free(s);
	return NULL;
}

static struct sched *lower_call(const struct ast *v, double spe, struct diag *d)
{
	static const enum sched_kind kinds[] = {
		SCHED_CONSTANT, SCHED_STEP, SCHED_MULTISTEP, SCHED_EXPONENTIAL, SCHED_INV_TIME,
		SCHED_POLY, SCHED_LINEAR, SCHED_COSINE, SCHED_COSINE_RESTART, SCHED_TRIANGULAR,
		SCHED_ONE_CYCLE, SCHED_WARMUP,
	}; /* in the order of schema_schedules */
	const struct sig *sig = schema_find(schema_schedules, v->str);
	const struct ast *vals[SIG_MAX_PARAMS];
	schema_bind(sig, v, vals, NULL);
	struct sched *s = sched_new(kinds[sig - schema_schedules]);
	if (!s)
		return NULL;
#define NUM(name) schema_number(sig, vals, name)
#define STEPS(name, field) if (!param_steps(sig, vals, name, spe, d, &(field))) goto fail
	switch (s->kind) {
	case SCHED_CONSTANT: break;
	case SCHED_STEP:
		STEPS("every", s->u.step.every);
		s->u.step.gamma = NUM("gamma");
		break;
	case SCHED_MULTISTEP:
		return lower_multistep(s, sig, vals, spe, d);
	case SCHED_EXPONENTIAL: s->u.exponential.gamma = NUM("gamma"); break;
	case SCHED_INV_TIME:
		s->u.inv_time.k = NUM("k");
		s->u.inv_time.power = NUM("power");
		break;
	case SCHED_POLY:
		STEPS("total", s->u.poly.total);
		s->u.poly.power = NUM("power");
		s->u.poly.end = NUM("end");
		break;
	case SCHED_LINEAR:
		STEPS("total", s->u.linear.total);
		s->u.linear.start_factor = NUM("start_factor");
		s->u.linear.end_factor = NUM("end_factor");
		break;
	case SCHED_COSINE:
		STEPS("total", s->u.cosine.total);
		s->u.cosine.eta_min = NUM("eta_min");
		break;
	case SCHED_COSINE_RESTART:
		STEPS("T0", s->u.restart.t0);
		s->u.restart.t_mult = NUM("T_mult");
		s->u.restart.eta_min = NUM("eta_min");
		break;
	case SCHED_TRIANGULAR: {
		STEPS("step_size", s->u.cyclic.step_size);
		s->u.cyclic.min_lr = NUM("min_lr");
		s->u.cyclic.gamma = NUM("gamma");
		const struct ast *mode = vals[schema_index(sig, "mode")];
		s->u.cyclic.mode = !mode || strcmp(mode->str, "triangular") == 0 ? CYCLE_TRIANGULAR
			: strcmp(mode->str, "triangular2") == 0 ? CYCLE_TRIANGULAR2 : CYCLE_EXP_RANGE;
		break;
	}
	case SCHED_ONE_CYCLE:
		STEPS("total", s->u.one_cycle.total);
		s->u.one_cycle.pct_start = NUM("pct_start");
		s->u.one_cycle.div = NUM("div");
		s->u.one_cycle.final_div = NUM("final_div");
		break;
	case SCHED_WARMUP:
		STEPS("duration", s->u.warmup.duration);
		s->u.warmup.start_factor = NUM("start_factor");
		break;
	default:
		break;
	}
#undef NUM
#undef STEPS
	return s;
fail:
	sched_free(s);
	return NULL;
}

struct sched *lower_schedule(const struct ast *expr, double steps_per_epoch, struct diag *d)
{
	struct sched *s = NULL;
	switch (expr->kind) {
	case AST_THEN:
		if (!(s = sched_new(SCHED_THEN)))
			return NULL;
		s->u.then.first = lower_schedule(expr->a, steps_per_epoch, d);
		s->u.then.second = lower_schedule(expr->b, steps_per_epoch, d);
		if (!s->u.then.first || !s->u.then.second) {
			sched_free(s);
			return NULL;
		}
		return s;
	case AST_FOR:
		if (!(s = sched_new(SCHED_FOR)))
			return NULL;
		s->u.for_.first = lower_schedule(expr->a, steps_per_epoch, d);
		if (!s->u.for_.first
		    || !duration_steps(expr->b, steps_per_epoch, d, &s->u.for_.length)) {
			sched_free(s);
			return NULL;
		}
		return s;
	default:
		return lower_call(expr, steps_per_epoch, d);
	}
}
