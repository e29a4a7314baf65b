/* explain.h — `descent explain`: the course's rules with a file's numbers, as plain text
 * under 80 columns that reads aloud. For each optimizer its update in EMA form, Adam's
 * bias-correction factors and step bound, what l2 becomes under it against wd; for each
 * schedule its formula and key moments (computed by runtime/schedule.c); for each layer
 * its formula, shapes and trained or running parameters.
 *
 * For: the CLI (interp/cli.c) and tests. Every optimizer kind (enum optim_kind) and every
 * schedule kind (enum sched_kind) has its explanation; a kind without one prints
 * EXPLAIN_MISSING, which tests/test_explain.c looks for over the schema's tables.
 * Not for: checking (the trees given here have passed check.c) or running anything.
 */
#ifndef DESCENT_EXPLAIN_H
#define DESCENT_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "diag.h"
#include "optim.h"
#include "schedule.h"

/* What a kind without an explanation prints (never, if the tables are complete). */
#define EXPLAIN_MISSING "(no explanation yet)"

/* A schedule's setting: the base rate and how long it runs. */
struct explain_run {
	double eta;      /* the base value (the optimizer's lr, or its momentum) */
	bool relative;   /* eta is unknown: values are printed as multiples of η */
	double steps;    /* updates in the run (the last rate is at steps - 1), 0: unknown */
	const char *what; /* "learning rate" or "momentum" */
};

/* The rule of optimizer c (label: the call as written), with its wd. */
void explain_optimizer(FILE *out, const struct optim_config *c, const char *label);
/* What l2(λ) (lambda > 0 given, or 0 for a general λ) and wd do under c; decay_biases 1 or
 * 0 says what they touch, -1 says nothing of it. */
void explain_l2_wd(FILE *out, const struct optim_config *c, double lambda, int decay_biases);
/* The formula of schedule s (text: as written) and its key moments over the run. */
void explain_schedule(FILE *out, const struct sched *s, const char *text,
                      const struct explain_run *run);

/* Explains every train and minimize block of a checked file (train blocks load their data,
 * as `descent ir`, for the steps per epoch and the layers' shapes). 0, or 1 after
 * reporting an error in the input to d. */
int explain_file(FILE *out, const struct ast *file, const char *nn_path, struct diag *d);

/* Explains one folded, unchecked expression: an optimizer call or a schedule (checked
 * here, errors reported to d as `descent check` does). A schedule runs from base lr
 * (0: relative to η) for steps updates (0: its own length, if any); `N epochs` needs
 * steps_per_epoch. 0, or 1 after reporting. */
int explain_expr(FILE *out, const struct ast *expr, double lr, double steps,
                 double steps_per_epoch, struct diag *d);

#endif
