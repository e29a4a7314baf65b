/* lr_range.c — the learning-rate range test (see lr_range.h for its rules). */
#include "lr_range.h"

#include <math.h>
#include <stdlib.h>


double lr_range_rate(const struct lr_range_config *rc, int k)
{
	double f = rc->steps > 1 ? (double)k / (rc->steps - 1) : 0;
	return rc->linear ? rc->min + (rc->max - rc->min) * f : rc->min * pow(rc->max / rc->min, f);
}

/* Smoothed losses of rows 0 … k (fastai's debiased moving average). */
static void smooth_losses(struct lr_range_result *r)
{
	double avg = 0, debias = 1;
	for (int k = 0; k < r->rows; k++) {
		avg = LR_RANGE_BETA * avg + (1 - LR_RANGE_BETA) * r->loss[k];
		debias *= LR_RANGE_BETA;
		r->smooth[k] = avg / (1 - debias);
	}
}

/* The step before r->best where the smoothed loss falls fastest per decade of rate. */
static int steepest_step(const struct lr_range_result *r)
{
	int at = -1;
	double slope = 0;
	for (int k = 1; k + 1 <= r->best; k++) {
		double run = log10(r->lr[k + 1]) - log10(r->lr[k - 1]);
		double s = run > 0 ? (r->smooth[k + 1] - r->smooth[k - 1]) / run : 0;
		if (isfinite(s) && s < slope) {
			slope = s;
			at = k;
		}
	}
	return at;
}

void lr_range_suggest(struct lr_range_result *r)
{
	smooth_losses(r);
	r->best = 0;
	for (int k = 1; k < r->rows; k++)
		if (isfinite(r->smooth[k]) && r->smooth[k] < r->smooth[r->best])
			r->best = k;
	r->steepest = steepest_step(r);
	r->suggested = r->rows > 0 && r->best > 0 && r->smooth[r->best] < r->smooth[0];
	r->lr_at_min = r->rows > 0 ? r->lr[r->best] : NAN;
	r->peak = r->suggested ? r->lr_at_min / 10 : NAN;
	r->min_lr = r->suggested ? r->peak / 4 : NAN;
}

/* One step, as training takes it (train.c): the batch's mean loss before the update
 * (classes or target values), then clipping as the block says, then the update. */
static double range_step(struct net *n, const struct dataset *train,
                         const struct data_transform *tf, const int64_t *rows, int64_t count,
                         const struct train_batch_buffers *b, const struct train_config *c,
                         int64_t k, double lr)
{
	int64_t hits;
	double loss = train_batch_loss(n, train, tf, rows, count, c->seed, k, b, &hits)
		/ (double)count;
	if (!isfinite(loss))
		return loss;
	train_clip(n, c);
	struct optim_step s = {lr, optim_momentum(&n->opt, NULL, (double)k), k + 1};
	net_update(n, &s);
	return loss;
}

/* Whether the test stops after row k: a loss that is not finite, or a smoothed loss over
 * LR_RANGE_EXPLOSION times the lowest so far (*lowest follows it). */
static bool explodes(const struct lr_range_result *r, int k, double avg, double *lowest)
{
	double smooth = avg / (1 - pow(LR_RANGE_BETA, k + 1));
	if (!isfinite(r->loss[k]) || !isfinite(smooth))
		return true;
	if (k > 0 && smooth > LR_RANGE_EXPLOSION * *lowest)
		return true;
	*lowest = k == 0 ? smooth : fmin(*lowest, smooth);
	return false;
}

enum train_status lr_range_run(struct net *n, const struct dataset *train,
                               const struct data_transform *tf, const struct train_config *c,
                               const struct lr_range_config *rc,
                               const volatile sig_atomic_t *interrupt,
                               struct lr_range_result *r)
{
	*r = (struct lr_range_result){0};
	size_t steps = (size_t)rc->steps;
	r->lr = malloc(steps * sizeof *r->lr);
	r->loss = malloc(steps * sizeof *r->loss);
	r->smooth = malloc(steps * sizeof *r->smooth);
	int64_t *order = malloc((size_t)train->n * sizeof *order);
	int32_t *labels = malloc((size_t)c->batch * sizeof *labels);
	float *targets = n->targets ? malloc((size_t)(c->batch * n->targets) * sizeof *targets) : NULL;
	struct train_batch_buffers buffers = {labels, targets, NULL, NULL};
	enum train_status status = r->lr && r->loss && r->smooth && order && labels
		&& (targets || !n->targets) ? TRAIN_OK : TRAIN_NO_MEMORY;
	int64_t batches = (train->n + c->batch - 1) / c->batch;
	double avg = 0, lowest = INFINITY;
	for (int k = 0; status == TRAIN_OK && k < rc->steps; k++) {
		int64_t b = k % batches, first = b * c->batch;
		if (b == 0)
			train_epoch_order(order, train->n, c, (int)(k / batches) + 1);
		int64_t count = train->n - first < c->batch ? train->n - first : c->batch;
		r->lr[k] = lr_range_rate(rc, k);
		r->loss[k] = range_step(n, train, tf, order + first, count, &buffers, c, k, r->lr[k]);
		r->rows = k + 1;
		avg = LR_RANGE_BETA * avg + (1 - LR_RANGE_BETA) * r->loss[k];
		if (explodes(r, k, avg, &lowest)) {
			r->exploded = true;
			break;
		}
		if (interrupt && *interrupt)
			status = TRAIN_INTERRUPTED;
	}
	free(order);
	free(labels);
	free(targets);
	if (status != TRAIN_NO_MEMORY)
		lr_range_suggest(r);
	return status;
}

void lr_range_free(struct lr_range_result *r)
{
	free(r->lr);
	free(r->loss);
	free(r->smooth);
	*r = (struct lr_range_result){0};
}
