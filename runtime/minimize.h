/* minimize.h — runs a `minimize` block: every optimizer from every start, in double
 * precision with exact gradients, and writes what it saw (trace CSV, table, picture).
 *
 * Legend: V variables; S steps; row k of a path is the point after k updates, with the
 * rate of the update that leaves it. Not for: parsing or checking (the plan comes from
 * interp/lower.c), or networks.
 */
#ifndef DESCENT_MINIMIZE_H
#define DESCENT_MINIMIZE_H

#include <stdbool.h>
#include <stdio.h>

#include "optim.h"
#include "scalar.h"
#include "schedule.h"

struct minimize_plan {
	const char *name;                  /* the function's name, f */
	int nvars;                         /* V */
	const char *const *vars;           /* (V) variable names */
	const struct sc_program *fn;       /* the function */
	int nstarts;                       /* starts */
	const double *starts;              /* (nstarts, V) */
	int nopts;                         /* optimizers to compare */
	const struct optim_config *opts;   /* (nopts) */
	const char *const *opt_names;      /* (nopts) "adagrad", for the trace */
	const char *const *opt_labels;     /* (nopts) "adagrad(lr = 0.5)", for the picture */
	const struct sched *schedule;      /* the learning rate's, or NULL for constant */
	const struct sched *momentum_schedule; /* the momentum's, or NULL */
	double l2;                         /* λ of regularize = l2(λ): adds λ/2·‖x‖² to f */
	int steps;                         /* S */
};

/* One optimizer from one start. */
struct minimize_path {
	int opt, start;      /* which */
	double *x;           /* (S+1, V) points */
	double *f;           /* (S+1) f at each point, without the l2 term */
	double *lr;          /* (S+1) the rate of the update leaving each point */
	double *state;       /* (S+1) the norm of the optimizer's state after k updates */
	double *slots;       /* (S+1, OPT_SLOTS, V) the optimizer's state after k updates, as
	                        struct optim_state_f64 lays it out (the scalar slot: V values,
	                        its first the tensor's) */
	int rows;            /* rows filled: S+1 unless the path failed */
	bool failed;         /* stopped early */
	int failed_step;     /* at which step, if failed */
	struct sc_error error; /* why, if failed (instr -1: the update left the reals) */
};

struct minimize_result {
	struct minimize_path *paths; /* (nopts × nstarts), optimizer-major */
	int npaths;                  /* entries */
	int failures;                /* paths that failed */
};

/* Runs every path; returns 0, or -1 when memory runs out. Failed paths keep the rows they
 * reached and say why. */
int minimize_run(const struct minimize_plan *p, struct minimize_result *r);
void minimize_free(struct minimize_result *r);

/* The trace CSV of LANGUAGE.md section 8: run,optimizer,start,step,lr,f,<variables>, then
 * the optimizer state per variable, in the course's letters: for each variable x the
 * columns of minimize_state_names that some optimizer of the block keeps (m_x, v_x, G_x,
 * b_x, gbar_x, mhat_x, vhat_x, vmax_x), empty on the rows of an optimizer without it and
 * for m̂ and v̂ at step 0 (no update yet, 1 − βᵗ = 0). A block whose optimizers keep no state
 * (plain SGD) has no state columns. */
int minimize_write_trace(FILE *out, const struct minimize_plan *p, const struct minimize_result *r);
/* A readable table of every path: all rows up to 20 steps, about 20 rows beyond. */
void minimize_print_table(FILE *out, const struct minimize_plan *p, const struct minimize_result *r);
/* The picture: contour lines of f with every path (two variables; the curve of f for one;
 * beyond two, the slice through the first path's last point), and per step f, the
 * learning rate and the optimizer's state norm. */
int minimize_plot(FILE *out, const struct minimize_plan *p, const struct minimize_result *r);

/* The optimizer state a trace and a picture show, in the course's letters. */
enum minimize_state {
	MSTATE_M,    /* m: Adam's, NAdam's, RAdam's first moment, Lion's m */
	MSTATE_V,    /* v: momentum's velocity; RMSProp's and Adam's average of g² */
	MSTATE_G,    /* G: AdaGrad's sum of g² */
	MSTATE_B,    /* b: SGD's and RMSProp's momentum buffer */
	MSTATE_GBAR, /* gbar: centered RMSProp's average ḡ of g */
	MSTATE_MHAT, /* mhat: m̂ = m/(1 − β₁ᵗ) (not without bias correction) */
	MSTATE_VHAT, /* vhat: v̂ = v/(1 − β₂ᵗ) (amsgrad: of the running max) */
	MSTATE_VMAX, /* vmax: amsgrad's running max of v */
	MSTATE_COUNT /* how many */
};
extern const char *const minimize_state_names[MSTATE_COUNT];

/* Whether optimizer c keeps state s. */
bool minimize_state_kept(const struct optim_config *c, enum minimize_state s);
/* State s of variable v of a path after k updates (row k; m̂ and v̂ with the β of update
 * k, as the update used them); false when it has none there (not kept, or m̂, v̂ at k = 0). */
bool minimize_state_value(const struct minimize_plan *p, const struct minimize_path *path,
                          enum minimize_state s, int k, int v, double *out);

#endif
