/* train.c — the training loop (see train.h). */
#include "train.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pace.h"
#include "rng.h"
#include "svg.h"

/* The metric table: one row per line of TRAIN_METRIC_LIST (train.h). */
#define TRAIN_METRIC_ROW(name, field, set, higher, targets) \
	{#name, offsetof(struct train_metrics, field), set, higher, targets},
const struct train_metric train_metric_table[] = {
	TRAIN_METRIC_LIST(TRAIN_METRIC_ROW) {NULL, 0, 0, false, 0},
};
#undef TRAIN_METRIC_ROW

int train_metric_find(const char *name)
{
	for (int i = 0; train_metric_table[i].name; i++)
		if (strcmp(train_metric_table[i].name, name) == 0)
			return i;
	return -1;
}

bool train_metric_value(const struct train_metrics *m, int metric, double *value)
{
	const struct train_metric *row = &train_metric_table[metric];
	bool kind = row->targets == TRAIN_FOR_ANY
		|| (row->targets == TRAIN_FOR_VALUES) == m->has_regression;
	bool present = m->epoch > 0 && kind && (row->set == TRAIN_SET_TRAIN
		|| (row->set == TRAIN_SET_VAL && m->has_val) || (row->set == TRAIN_SET_TEST && m->has_test));
	double v;
	memcpy(&v, (const char *)m + row->offset, sizeof v);
	*value = present ? v : NAN;
	return present;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void train_evaluate(struct net *n, const struct dataset *ds, const struct data_transform *tf,
                    int32_t *labels, int64_t *rows, double *loss, double *acc)
{
	double sum = 0;
	int64_t right = 0;
	n->training = false;
	for (int64_t start = 0; start < ds->n; start += n->batch) {
		int64_t count = ds->n - start < n->batch ? ds->n - start : n->batch, hits;
		for (int64_t k = 0; k < count; k++)
			rows[k] = start + k;
		data_batch(ds, tf, rows, count, net_input(n), labels);
		net_forward(n, count);
		sum += net_loss(n, labels, count, false, &hits);
		right += hits;
	}
	*loss = ds->n ? sum / (double)ds->n : NAN;
	*acc = ds->n ? (double)right / (double)ds->n : NAN;
}

/* Adds the squared error per target (sse, (T)) and the sum of absolute errors (*abs) of
 * outputs z (rows, T) against targets t (rows, T). */
static void fit_add(double *sse, double *abs, const float *z, const float *t, int64_t rows,
                    int64_t T)
{
	for (int64_t r = 0; r < rows; r++)
		for (int64_t k = 0; k < T; k++) {
			double e = (double)z[r * T + k] - (double)t[r * T + k];
			sse[k] += e * e;
			*abs += fabs(e);
		}
}

/* The fit of ds from the sums of its errors (see struct train_fit): SST per target about
 * the set's mean, in two passes. */
static struct train_fit fit_of(const struct dataset *ds, const double *sse, double abs)
{
	int64_t n = ds->n, T = ds->targets;
	double total = 0, r2 = 0;
	for (int64_t k = 0; k < T; k++) {
		double mean = 0, sst = 0;
		for (int64_t i = 0; i < n; i++)
			mean += ds->t[i * T + k];
		mean /= (double)n;
		for (int64_t i = 0; i < n; i++)
			sst += (ds->t[i * T + k] - mean) * (ds->t[i * T + k] - mean);
		r2 += sst > 0 ? 1 - sse[k] / sst : sse[k] == 0 ? 1 : 0;
		total += sse[k];
	}
	double count = (double)(n * T);
	return n && T ? (struct train_fit){sqrt(total / count), abs / count, r2 / (double)T}
		: (struct train_fit){NAN, NAN, NAN};
}

void train_evaluate_values(struct net *n, const struct dataset *ds,
                           const struct data_transform *tf, int32_t *labels, float *t,
                           int64_t *rows, double *loss, struct train_fit *fit)
{
	double sum = 0, abs = 0, *sse = calloc((size_t)ds->targets + 1, sizeof *sse);
	*loss = NAN;
	*fit = (struct train_fit){NAN, NAN, NAN};
	if (!sse || ds->n == 0) {
		free(sse);
		return;
	}
	n->training = false;
	for (int64_t start = 0; start < ds->n; start += n->batch) {
		int64_t count = ds->n - start < n->batch ? ds->n - start : n->batch;
		for (int64_t k = 0; k < count; k++)
			rows[k] = start + k;
		data_batch(ds, tf, rows, count, net_input(n), labels);
		data_targets(ds, rows, count, t);
		fit_add(sse, &abs, net_forward(n, count), t, count, ds->targets);
		sum += net_loss_values(n, t, count, false);
	}
	*loss = sum / (double)ds->n;
	*fit = fit_of(ds, sse, abs);
	free(sse);
}

void train_epoch_order(int64_t *order, int64_t n, const struct train_config *c, int epoch)
{
	if (c->shuffle)
		rng_permutation(c->seed, RNG_SHUFFLE, (uint64_t)epoch << 40, order, n);
	else
		for (int64_t i = 0; i < n; i++)
			order[i] = i;
}

/* What the steps of a run share. */
struct loop {
	struct net *n;
	const struct dataset *train;
	const struct data_transform *tf;
	const struct train_config *c;
	const struct train_hooks *hooks;
	int64_t *order;      /* (train->n) the epoch's rows */
	int32_t *labels;     /* (batch) */
	int64_t batches;     /* steps an epoch */
	int64_t step;        /* optimizer steps so far */
	double start;        /* when the run began (earlier epochs' seconds included) */
	double reference;    /* the divergence rule's reference loss (TRAIN_EXPLOSION), or NAN */
	float *targets;      /* (batch, T) a regression batch's target values, or NULL */
	double *sse;         /* (T) the epoch's squared errors per target (regression) */
	struct pace pace;    /* the thread count, from the steps' times (pace.h) */
};

/* What one epoch's training batches add up to. */
struct epoch_sums {
	double loss;   /* Σ of the batches' summed losses */
	int64_t right; /* samples classified right */
	double lr;     /* the rate of the last step */
	int64_t clipped; /* steps whose gradients clipping changed */
	double abs;    /* Σ of the absolute errors (regression; sse in struct loop) */
};

/* torch.nn.utils.clip_grad_norm_ over all of n's gradients g (nparams): the global norm
 * ‖g‖₂ (summed in double, in order), then g ← g · c with c = max / (‖g‖₂ + 1e-6) when
 * c < 1, computed in float as PyTorch does. Whether it changed g. */
static bool clip_norm(struct net *n, double max)
{
	double squares = 0;
	for (int64_t i = 0; i < n->nparams; i++)
		squares += (double)n->grads[i] * (double)n->grads[i];
	float total = (float)sqrt(squares);
	float coef = (float)max / (total + 1e-6f);
	if (!(coef < 1.0f))
		return false;
	for (int64_t i = 0; i < n->nparams; i++)
		n->grads[i] *= coef;
	return true;
}

/* torch.nn.utils.clip_grad_value_: each gradient clamped to [−max, max]. Whether it
 * changed one. */
static bool clip_value(struct net *n, double max)
{
	float hi = (float)max;
	bool changed = false;
	for (int64_t i = 0; i < n->nparams; i++) {
		float g = n->grads[i];
		if (g > hi || g < -hi) {
			n->grads[i] = g > hi ? hi : -hi;
			changed = true;
		}
	}
	return changed;
}

/* Clips the step's gradients as c says (before l2 and the update, as PyTorch clips
 * before optimizer.step); whether clipping changed them. */
bool train_clip(struct net *n, const struct train_config *c)
{
	switch (c->clip) {
	case TRAIN_CLIP_NORM: return clip_norm(n, c->clip_max);
	case TRAIN_CLIP_VALUE: return clip_value(n, c->clip_max);
	case TRAIN_CLIP_NONE: break;
	}
	return false;
}

/* The rate and momentum of the update after `step` updates. */
static struct optim_step step_of(const struct net *n, const struct train_config *c, int64_t step)
{
	return (struct optim_step){
		.lr = sched_value_or(c->schedule, n->opt.lr, (double)step),
		.momentum = optim_momentum(&n->opt, c->momentum_schedule, (double)step),
		.t = step + 1,
	};
}

double train_batch_loss(struct net *n, const struct dataset *ds, const struct data_transform *tf,
                        const int64_t *rows, int64_t count, uint64_t seed, int64_t step,
                        const struct train_batch_buffers *b, int64_t *hits)
{
	data_batch(ds, tf, rows, count, net_input(n), b->labels);
	n->training = true;
	n->step = step;
	n->seed = seed;
	*hits = 0;
	if (n->targets == 0) {
		net_forward(n, count);
		return net_loss(n, b->labels, count, true, hits);
	}
	data_targets(ds, rows, count, b->targets); /* regression: targets, errors, loss */
	const float *z = net_forward(n, count);
	if (b->sse)
		fit_add(b->sse, b->abs, z, b->targets, count, n->targets);
	return net_loss_values(n, b->targets, count, true);
}

/* Trains batch b of the epoch: forward, loss, backward, update. TRAIN_OK, or
 * TRAIN_DIVERGED (its loss is not finite; no update) or TRAIN_INTERRUPTED, with *failure. */
static enum train_status train_batch(struct loop *l, int epoch, int64_t b, struct epoch_sums *e,
                                     struct train_failure *failure)
{
	struct net *n = l->n;
	const struct train_config *c = l->c;
	double began = now();
	int64_t first = b * c->batch;
	int64_t count = l->train->n - first < c->batch ? l->train->n - first : c->batch, hits;
	double sum = train_batch_loss(n, l->train, l->tf, l->order + first, count, c->seed, l->step,
	                              &(struct train_batch_buffers){l->labels, l->targets, l->sse,
	                                                            &e->abs}, &hits);
	struct optim_step s = step_of(n, c, l->step);
	e->lr = s.lr;
	if (!isfinite(sum)) {
		*failure = (struct train_failure){epoch, l->step + 1, s.lr, sum / (double)count};
		return TRAIN_DIVERGED;
	}
	if (l->step == 0)
		l->reference = sum / (double)count; /* the first batch, before any update */
	e->clipped += train_clip(n, c);
	net_update(n, &s);
	l->step++;
	e->loss += sum;
	e->right += hits;
	pace_step(&l->pace, now() - began, count);
	const struct train_hooks *h = l->hooks;
	if (h && h->progress)
		h->progress(h->ctx, epoch, b + 1, l->batches, sum / (double)count, s.lr,
		            (double)(l->step * c->batch) / (now() - l->start));
	if (h && h->interrupt && *h->interrupt) {
		*failure = (struct train_failure){epoch, l->step, s.lr, sum / (double)count};
		return TRAIN_INTERRUPTED;
	}
	return TRAIN_OK;
}

/* Whether epoch m's mean training loss exploded (TRAIN_EXPLOSION); then fills *failure.
 * After epoch 1 the reference becomes its mean loss. */
static bool exploded(struct loop *l, const struct train_metrics *m, struct train_failure *failure)
{
	if (l->reference > 0 && m->train_loss > TRAIN_EXPLOSION * l->reference) {
		*failure = (struct train_failure){m->epoch, m->step, m->lr, m->train_loss, true,
		                                  l->reference};
		return true;
	}
	if (m->epoch == 1)
		l->reference = m->train_loss;
	return false;
}

/* Whether the evaluation after epoch m gave a loss that is not finite (the epoch's last
 * update made the outputs overflow); then fills *failure. */
static bool evaluation_failed(const struct train_metrics *m, struct train_failure *failure)
{
	const char *which = m->has_val && !isfinite(m->val_loss) ? "validation"
		: m->has_test && !isfinite(m->test_loss) ? "test" : NULL;
	if (which)
		*failure = (struct train_failure){m->epoch, m->step, m->lr,
		                                  which[0] == 'v' ? m->val_loss : m->test_loss,
		                                  .evaluated = which};
	return which != NULL;
}

/* The tracking before epoch 1: no clipping, no best value yet (±inf, Keras's start). */
static struct train_track first_track(const struct train_config *c)
{
	return (struct train_track){
		.stop_best = c->stop.maximize ? -INFINITY : INFINITY,
		.best_value = c->best.maximize ? -INFINITY : INFINITY,
	};
}

/* Whether v is better than ref by more than delta, in watch w's direction. */
static bool improves(const struct train_watch *w, double v, double ref, double delta)
{
	return w->maximize ? v - delta > ref : v + delta < ref;
}

/* Epoch m's tracking (clipped already set) from the previous epoch's, prev: the stop
 * rule and the best epoch (see struct train_track). The run stops early only before its
 * last epoch. */
static void track_epoch(const struct train_config *c, const struct train_track *prev,
                        struct train_metrics *m)
{
	struct train_track *t = &m->track;
	int64_t clipped = t->clipped;
	*t = *prev;
	t->clipped = clipped;
	double v;
	if (c->stop.on && train_metric_value(m, c->stop.metric, &v)) {
		if (improves(&c->stop, v, t->stop_best, c->min_delta)) {
			t->stop_best = v;
			t->stop_wait = 0;
		} else {
			t->stop_wait++;
		}
		t->stopped = t->stop_wait >= c->patience && m->epoch < c->epochs;
	}
	if (c->best.on && train_metric_value(m, c->best.metric, &v)
	    && improves(&c->best, v, t->best_value, 0)) {
		t->best_value = v;
		t->best_epoch = m->epoch;
	}
}

enum train_status train_run(struct net *n, const struct dataset *train, const struct dataset *val,
                            const struct dataset *test, const struct data_transform *tf,
                            const struct train_config *c, const struct train_hooks *hooks,
                            struct train_failure *failure)
{
	int64_t *order = malloc((size_t)train->n * sizeof *order);
	int64_t *rows = malloc((size_t)n->batch * sizeof *rows);
	int32_t *labels = malloc((size_t)n->batch * sizeof *labels);
	int64_t T = n->targets;
	float *targets = T ? malloc((size_t)(n->batch * T) * sizeof *targets) : NULL;
	double *sse = T ? malloc((size_t)T * sizeof *sse) : NULL;
	enum train_status status = order && rows && labels && (!T || (targets && sse)) ? TRAIN_OK
		: TRAIN_NO_MEMORY;
	int64_t batches = (train->n + c->batch - 1) / c->batch;
	struct loop l = {n, train, tf, c, hooks, order, labels, batches, c->start_epoch * batches,
	                 now() - c->start_seconds, c->start_epoch > 0 ? c->first_epoch_loss : NAN,
	                 targets, sse};
	struct train_track track = c->start_epoch > 0 ? c->start_track : first_track(c);
	pace_start(&l.pace, pace_most());
	for (int epoch = c->start_epoch + 1; status == TRAIN_OK && epoch <= c->epochs
	     && !track.stopped; epoch++) {
		train_epoch_order(order, train->n, c, epoch);
		struct epoch_sums e = {0, 0, n->opt.lr, 0};
		for (int64_t k = 0; k < T; k++)
			sse[k] = 0;
		for (int64_t b = 0; status == TRAIN_OK && b < batches; b++)
			status = train_batch(&l, epoch, b, &e, failure);
		if (status != TRAIN_OK)
			break;
		struct train_metrics m = {
			.epoch = epoch, .step = l.step, .lr = e.lr,
			.train_loss = e.loss / (double)train->n,
			.train_acc = (double)e.right / (double)train->n,
			.has_val = val != NULL, .has_test = test != NULL, .has_regression = T > 0,
			.track.clipped = e.clipped,
		};
		if (T)
			m.train_fit = fit_of(train, sse, e.abs);
		if (exploded(&l, &m, failure)) {
			status = TRAIN_DIVERGED;
			break;
		}
		if (val && T)
			train_evaluate_values(n, val, tf, labels, targets, rows, &m.val_loss, &m.val_fit);
		else if (val)
			train_evaluate(n, val, tf, labels, rows, &m.val_loss, &m.val_acc);
		if (test && T)
			train_evaluate_values(n, test, tf, labels, targets, rows, &m.test_loss, &m.test_fit);
		else if (test)
			train_evaluate(n, test, tf, labels, rows, &m.test_loss, &m.test_acc);
		if (evaluation_failed(&m, failure)) {
			status = TRAIN_DIVERGED;
			break;
		}
		m.seconds = now() - l.start;
		track_epoch(c, &track, &m);
		track = m.track;
		if (hooks && hooks->epoch_end && hooks->epoch_end(hooks->ctx, &m) != 0)
			status = TRAIN_STOPPED;
	}
	pace_finish(&l.pace);
	free(order);
	free(rows);
	free(labels);
	free(targets);
	free(sse);
	return status;
}

int train_plot(FILE *out, const char *title, const struct train_metrics *m, int epochs,
               const double *lr, int64_t steps)
{
	double *x = malloc((size_t)(epochs + 1) * 7 * sizeof *x), *t = malloc((size_t)steps * sizeof *t);
	if (!x || !t) {
		free(x);
		free(t);
		return -1;
	}
	double *col[7];
	for (int c = 0; c < 7; c++)
		col[c] = x + c * (epochs + 1);
	for (int e = 0; e < epochs; e++) {
		col[0][e] = m[e].epoch;
		col[1][e] = m[e].train_loss;
		col[2][e] = m[e].has_val ? m[e].val_loss : NAN;
		col[3][e] = m[e].has_test ? m[e].test_loss : NAN;
		bool fit = m[e].has_regression; /* the second panel shows R² instead */
		col[4][e] = fit ? m[e].train_fit.r2 : m[e].train_acc;
		col[5][e] = !m[e].has_val ? NAN : fit ? m[e].val_fit.r2 : m[e].val_acc;
		col[6][e] = !m[e].has_test ? NAN : fit ? m[e].test_fit.r2 : m[e].test_acc;
	}
	for (int64_t s = 0; s < steps; s++)
		t[s] = (double)s;
	bool val = epochs > 0 && m[0].has_val, test = epochs > 0 && m[0].has_test;
	struct svg_series loss[3] = {{"train", col[0], col[1], epochs},
	                             {val ? "validation" : NULL, col[0], col[2], val ? epochs : 0},
	                             {test ? "test" : NULL, col[0], col[3], test ? epochs : 0}};
	struct svg_series acc[3] = {{"train", col[0], col[4], epochs},
	                            {val ? "validation" : NULL, col[0], col[5], val ? epochs : 0},
	                            {test ? "test" : NULL, col[0], col[6], test ? epochs : 0}};
	struct svg_series rate = {NULL, t, lr, (int)steps};
	struct svg_panel p[3] = {{.left = 80, .top = 40, .width = 300, .height = 300, .xint = true},
	                         {.left = 460, .top = 40, .width = 300, .height = 300, .xint = true},
	                         {.left = 840, .top = 40, .width = 300, .height = 300, .xint = true}};
	svg_fit(&p[0], loss, 3);
	svg_fit(&p[1], acc, 3);
	svg_fit(&p[2], &rate, 1);
	double legend = svg_legend_height(680, loss, 3); /* under the loss and accuracy panels */
	svg_begin(out, 1180, 390 + (int)legend);
	char heading[160];
	snprintf(heading, sizeof heading, "%s: loss per epoch", title);
	svg_axes(out, &p[0], &(struct svg_axes){heading, "epoch", "mean loss"});
	bool r2 = epochs > 0 && m[0].has_regression;
	svg_axes(out, &p[1], &(struct svg_axes){r2 ? "R² per epoch" : "accuracy per epoch", "epoch",
	                                        r2 ? "R²" : "accuracy"});
	svg_axes(out, &p[2], &(struct svg_axes){"learning rate per step", "step", "lr"});
	for (int s = 0; s < 3; s++) {
		svg_line(out, &p[0], &loss[s], svg_color(s), 1.8);
		svg_markers(out, &p[0], &loss[s], svg_color(s), 2.5);
		svg_line(out, &p[1], &acc[s], svg_color(s), 1.8);
		svg_markers(out, &p[1], &acc[s], svg_color(s), 2.5);
	}
	svg_line(out, &p[2], &rate, svg_color(0), 1.4);
	svg_legend(out, p[0].left, 384, 680, loss, 3);
	free(x);
	free(t);
	return svg_end(out);
}
