/* lr_range.h — the learning-rate range test (Smith 2017, "Cyclical Learning Rates for
 * Training Neural Networks", section 3.3): train with a rate that grows from a minimum to
 * a maximum, one batch a step, record the loss of every step, stop when it explodes, and
 * read suggested bounds for a cyclical or one-cycle schedule off the curve.
 *
 * For: `descent range` (interp/range.c), which lowers the train block and writes the
 * files. Not for: files, printing, or the language.
 *
 * Rules (stated once, here):
 * - rate at step k of N: exponential min·(max/min)^(k/(N−1)) (default), or linear
 *   min + (max − min)·k/(N−1); the file's schedule and momentum schedule are not used;
 * - the loss of a step is its batch's mean loss before the update; the smoothed loss is
 *   fastai's debiased moving average, a_k = β·a_{k−1} + (1−β)·loss_k, s_k = a_k/(1−β^(k+1)),
 *   β = LR_RANGE_BETA;
 * - the test stops after the first step whose loss is not finite or whose smoothed loss
 *   exceeds LR_RANGE_EXPLOSION times the lowest smoothed loss so far (fastai's rule);
 * - suggestions: `lr_at_min` is the rate at the lowest smoothed loss; `steepest` the rate
 *   where the smoothed loss falls fastest against log10(rate) (before that minimum);
 *   the suggested peak (triangular's lr, one_cycle's lr) is lr_at_min / 10 (fastai's
 *   "minimum / 10"), and triangular's min_lr is a quarter of it (Smith 2017 §3.3: "set
 *   base_lr to 1/3 or 1/4 of max_lr").
 */
#ifndef DESCENT_LR_RANGE_H
#define DESCENT_LR_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "data.h"
#include "net.h"
#include "train.h"

#define LR_RANGE_BETA 0.98
enum { LR_RANGE_EXPLOSION = 4 };

struct lr_range_config {
	double min, max; /* the first and last rates, 0 < min < max */
	int steps;       /* N ≥ 2 */
	bool linear;     /* linear growth instead of exponential */
};

struct lr_range_result {
	int rows;             /* steps made (≤ steps) */
	double *lr, *loss, *smooth; /* (steps) each step's rate, loss, smoothed loss */
	bool exploded;        /* it stopped early: the loss exploded or was not finite */
	int best;             /* the step of the lowest smoothed loss */
	int steepest;         /* the step where the smoothed loss falls fastest, or -1 */
	bool suggested;       /* the loss fell somewhere, so the suggestions below exist */
	double lr_at_min;     /* lr[best] */
	double peak, min_lr;  /* the suggested peak rate and triangular's min_lr */
};

/* The rate at step k (0 … steps−1). */
double lr_range_rate(const struct lr_range_config *rc, int k);

/* Runs the test on n (planned and initialised) with batches of c->batch rows of train,
 * shuffled from c->seed as train_run shuffles them, epoch after epoch as needed. Fills
 * r (arrays owned: lr_range_free). TRAIN_OK, TRAIN_INTERRUPTED (*interrupt set; the
 * steps made are kept) or TRAIN_NO_MEMORY. */
enum train_status lr_range_run(struct net *n, const struct dataset *train,
                               const struct data_transform *tf, const struct train_config *c,
                               const struct lr_range_config *rc,
                               const volatile sig_atomic_t *interrupt,
                               struct lr_range_result *r);

/* Fills r's smoothed losses, best, steepest and suggestions from its rows' losses (what
 * lr_range_run ends with; for tests on made-up curves). */
void lr_range_suggest(struct lr_range_result *r);

void lr_range_free(struct lr_range_result *r);

#endif
