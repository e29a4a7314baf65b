/* schedule.c — learning-rate schedules as functions of the step (see schedule.h).
 * Each formula is the one of LANGUAGE.md section 5; where PyTorch has a twin, the
 * comment names it (tests/golden/schedules/ holds its values). */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>

static double fraction_done(double t, double total)
{
	return total > 0 ? fmin(t, total) / total : 1.0;
}

/* Half a cosine from start (pct = 0) to end (pct = 1), as PyTorch's _annealing_cos. */
static double cosine_anneal(double start, double end, double pct)
{
	return end + (start - end) / 2.0 * (cos(M_PI * pct) + 1.0);
}

/* SGDR (Loshchilov & Hutter 2017), PyTorch's CosineAnnealingWarmRestarts: cycle i lasts
 * T0·T_mult^i steps; the cycles are walked in whole steps, so no log rounds wrongly. */
static double restart_value(const struct sched *s, double eta, double t)
{
	double t_i = s->u.restart.t0, t_cur = t;
	if (s->u.restart.t_mult == 1.0)
		t_cur = fmod(t, t_i);
	else
		while (t_cur >= t_i) {
			t_cur -= t_i;
			t_i *= s->u.restart.t_mult;
		}
	double eta_min = s->u.restart.eta_min;
	return eta_min + (eta - eta_min) * (1.0 + cos(M_PI * t_cur / t_i)) / 2.0;
}

/* Cyclical learning rates (Smith 2017), PyTorch's CyclicLR with step_size_up = down. */
static double cyclic_value(const struct sched *s, double eta, double t)
{
	double step_size = s->u.cyclic.step_size, min_lr = s->u.cyclic.min_lr;
	double cycle = floor(1.0 + t / (2.0 * step_size));
	double x = fabs(t / step_size - 2.0 * cycle + 1.0);
	double scale = s->u.cyclic.mode == CYCLE_TRIANGULAR ? 1.0
		: s->u.cyclic.mode == CYCLE_TRIANGULAR2 ? 1.0 / pow(2.0, cycle - 1.0)
		: pow(s->u.cyclic.gamma, t);
	return min_lr + (eta - min_lr) * fmax(0.0, 1.0 - x) * scale;
}

/* PyTorch's OneCycleLR (Smith & Topin 2018), two phases annealed by cosine: from
 * eta/div up to eta until step pct_start·total - 1, then down to eta/div/final_div at
 * step total - 1, where it stays. */
static double one_cycle_value(const struct sched *s, double eta, double t)
{
	double total = s->u.one_cycle.total;
	double initial = eta / s->u.one_cycle.div, lowest = initial / s->u.one_cycle.final_div;
	double end_up = s->u.one_cycle.pct_start * total - 1.0, end_down = total - 1.0;
	t = fmin(t, end_down);
	if (t <= end_up)
		return cosine_anneal(initial, eta, end_up > 0 ? t / end_up : 1.0);
	double span = end_down - end_up;
	return cosine_anneal(eta, lowest, span > 0 ? (t - end_up) / span : 1.0);
}

double sched_value(const struct sched *s, double eta, double t)
{
	switch (s->kind) {
	case SCHED_CONSTANT:
		return eta;
	case SCHED_STEP: /* StepLR */
		return eta * pow(s->u.step.gamma, floor(t / s->u.step.every));
	case SCHED_MULTISTEP: { /* MultiStepLR */
		int passed = 0;
		for (int i = 0; i < s->u.multistep.n; i++)
			passed += s->u.multistep.at[i] <= t;
		return eta * pow(s->u.multistep.gamma, passed);
	}
	case SCHED_EXPONENTIAL: /* ExponentialLR */
		return eta * pow(s->u.exponential.gamma, t);
	case SCHED_INV_TIME: /* Robbins & Monro's 1/t family; no twin */
		return eta / pow(1.0 + s->u.inv_time.k * t, s->u.inv_time.power);
	case SCHED_POLY: /* PolynomialLR when end = 0 */
		return (eta - s->u.poly.end)
			* pow(1.0 - fraction_done(t, s->u.poly.total), s->u.poly.power)
			+ s->u.poly.end;
	case SCHED_LINEAR: /* LinearLR */
		return eta * (s->u.linear.start_factor
			+ (s->u.linear.end_factor - s->u.linear.start_factor)
			* fraction_done(t, s->u.linear.total));
	case SCHED_COSINE: /* CosineAnnealingLR up to total, then flat */
		return cosine_anneal(eta, s->u.cosine.eta_min, fraction_done(t, s->u.cosine.total));
	case SCHED_COSINE_RESTART:
		return restart_value(s, eta, t);
	case SCHED_TRIANGULAR:
		return cyclic_value(s, eta, t);
	case SCHED_ONE_CYCLE:
		return one_cycle_value(s, eta, t);
	case SCHED_WARMUP: /* LinearLR(start_factor, 1, duration) */
		if (t >= s->u.warmup.duration)
			return eta;
		return eta * (s->u.warmup.start_factor
			+ (1.0 - s->u.warmup.start_factor) * t / s->u.warmup.duration);
	case SCHED_THEN: { /* SequentialLR with one milestone */
		double switch_at = sched_length(s->u.then.first);
		return t < switch_at ? sched_value(s->u.then.first, eta, t)
			: sched_value(s->u.then.second, eta, t - switch_at);
	}
	case SCHED_FOR:
		return sched_value(s->u.for_.first, eta, t);
	}
	return eta;
}

double sched_value_or(const struct sched *s, double eta, double t)
{
	return s ? sched_value(s, eta, t) : eta;
}

double sched_length(const struct sched *s)
{
	switch (s->kind) {
	case SCHED_POLY: return s->u.poly.total;
	case SCHED_LINEAR: return s->u.linear.total;
	case SCHED_COSINE: return s->u.cosine.total;
	case SCHED_ONE_CYCLE: return s->u.one_cycle.total;
	case SCHED_WARMUP: return s->u.warmup.duration;
	case SCHED_FOR: return s->u.for_.length;
	case SCHED_THEN: return sched_length(s->u.then.first) + sched_length(s->u.then.second);
	default: return INFINITY;
	}
}

struct sched *sched_new(enum sched_kind kind)
{
	struct sched *s = calloc(1, sizeof *s);
	if (s)
		s->kind = kind;
	return s;
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	if (s->kind == SCHED_MULTISTEP)
		free(s->u.multistep.at);
	else if (s->kind == SCHED_THEN) {
		sched_free(s->u.then.first);
		sched_free(s->u.then.second);
	} else if (s->kind == SCHED_FOR)
		sched_free(s->u.for_.first);
	free(s);
}
