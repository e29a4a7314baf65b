/* schedule.h — the learning-rate schedules of LANGUAGE.md section 5, as plain functions
 * of the step, for `descent schedule`, `minimize` and training alike.
 *
 * Legend: t is the optimizer step (0, 1, 2, ...; the value at t is the rate of the
 * (t+1)-th update); eta is the base value (the optimizer's lr, or its momentum for a
 * momentum_schedule); every duration is in steps (the caller has turned epochs into steps).
 * Not for: parsing or checking schedules (interp/), or knowing what an epoch is.
 */
#ifndef DESCENT_SCHEDULE_H
#define DESCENT_SCHEDULE_H

enum sched_kind {
	SCHED_CONSTANT,       /* eta */
	SCHED_STEP,           /* eta·gamma^floor(t/every) */
	SCHED_MULTISTEP,      /* eta·gamma^(number of milestones <= t) */
	SCHED_EXPONENTIAL,    /* eta·gamma^t */
	SCHED_INV_TIME,       /* eta/(1 + k·t)^power */
	SCHED_POLY,           /* (eta - end)·(1 - min(t,total)/total)^power + end */
	SCHED_LINEAR,         /* eta·(s + (e - s)·min(t,total)/total) */
	SCHED_COSINE,         /* cosine annealing to eta_min, then eta_min */
	SCHED_COSINE_RESTART, /* SGDR: cosine cycles of T0·T_mult^i steps */
	SCHED_TRIANGULAR,     /* cyclical rates between min_lr and eta (Smith 2017) */
	SCHED_ONE_CYCLE,      /* PyTorch's OneCycleLR, learning rate only */
	SCHED_WARMUP,         /* linear from eta·start_factor to eta over duration */
	SCHED_THEN,           /* first for t < its length, then second on its own clock */
	SCHED_FOR,            /* first, given the length `length` */
};

enum sched_cycle_mode {
	CYCLE_TRIANGULAR,  /* constant amplitude */
	CYCLE_TRIANGULAR2, /* amplitude halved every cycle */
	CYCLE_EXP_RANGE,   /* amplitude times gamma^t */
};

struct sched {
	enum sched_kind kind;
	union {
		struct { double every, gamma; } step;
		struct { double *at; int n; double gamma; } multistep; /* at: owned, steps */
		struct { double gamma; } exponential;
		struct { double k, power; } inv_time;
		struct { double total, power, end; } poly;
		struct { double total, start_factor, end_factor; } linear;
		struct { double total, eta_min; } cosine;
		struct { double t0, t_mult, eta_min; } restart;
		struct { double step_size, min_lr, gamma; enum sched_cycle_mode mode; } cyclic;
		struct { double total, pct_start, div, final_div; } one_cycle;
		struct { double duration, start_factor; } warmup;
		struct { struct sched *first, *second; } then; /* owned */
		struct { struct sched *first; double length; } for_; /* first owned */
	} u;
};

/* The value at step t of schedule s with base value eta. */
double sched_value(const struct sched *s, double eta, double t);

/* The value at step t of schedule s with base value eta, or eta itself when there is no
 * schedule (s NULL): the one place a "scheduled value or base" is computed. */
double sched_value_or(const struct sched *s, double eta, double t);

/* Steps after which `then` moves on: the schedule's own length, INFINITY for schedules
 * that never end (constant, step, multistep, exponential, inv_time, cosine_restart,
 * triangular). */
double sched_length(const struct sched *s);

/* A new schedule of the given kind, parameters zeroed; NULL when memory runs out. */
struct sched *sched_new(enum sched_kind kind);
/* Frees s and what it owns; sched_free(NULL) does nothing. */
void sched_free(struct sched *s);

#endif
