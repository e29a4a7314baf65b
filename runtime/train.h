/* train.h — the training loop: epochs of batches through a planned network, with the
 * learning rate and momentum from their schedules, gradient clipping, evaluation of the
 * validation and test sets after every epoch, early stopping and the best epoch (struct
 * train_track), and a stop when the run diverges (TRAIN_EXPLOSION below). Also the one
 * table of the metrics a log has (TRAIN_METRIC_LIST), for everything that names them.
 *
 * For: train blocks. Not for: printing or files; the caller's hooks see the progress and
 * every epoch's metrics (interp/cli.c writes the log, the table, the plot).
 */
#ifndef DESCENT_TRAIN_H
#define DESCENT_TRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "data.h"
#include "net.h"
#include "schedule.h"

/* Every metric of a run's log, in the log's order: X(name, field, set, higher, targets)
 * for the double `field` of struct train_metrics, measured on set (TRAIN_SET_*), where
 * higher says whether a larger value is better (for messages; a user says `max` or
 * `min`) and targets which runs have it (TRAIN_FOR_*). THE ONE LIST of metrics: the
 * checker's names (schema_metrics), `stop`, `best`, the sweep's `metric` and columns and
 * `descent help metrics` all read it through train_metric_table; a new metric is a
 * field of struct train_metrics and a line here. */
#define TRAIN_METRIC_LIST(X)                                                   \
	X(train_loss, train_loss, TRAIN_SET_TRAIN, false, TRAIN_FOR_ANY)          \
	X(train_acc, train_acc, TRAIN_SET_TRAIN, true, TRAIN_FOR_CLASSES)         \
	X(val_loss, val_loss, TRAIN_SET_VAL, false, TRAIN_FOR_ANY)                \
	X(val_acc, val_acc, TRAIN_SET_VAL, true, TRAIN_FOR_CLASSES)               \
	X(test_loss, test_loss, TRAIN_SET_TEST, false, TRAIN_FOR_ANY)             \
	X(test_acc, test_acc, TRAIN_SET_TEST, true, TRAIN_FOR_CLASSES)            \
	X(train_rmse, train_fit.rmse, TRAIN_SET_TRAIN, false, TRAIN_FOR_VALUES)   \
	X(train_mae, train_fit.mae, TRAIN_SET_TRAIN, false, TRAIN_FOR_VALUES)     \
	X(train_r2, train_fit.r2, TRAIN_SET_TRAIN, true, TRAIN_FOR_VALUES)        \
	X(val_rmse, val_fit.rmse, TRAIN_SET_VAL, false, TRAIN_FOR_VALUES)         \
	X(val_mae, val_fit.mae, TRAIN_SET_VAL, false, TRAIN_FOR_VALUES)           \
	X(val_r2, val_fit.r2, TRAIN_SET_VAL, true, TRAIN_FOR_VALUES)              \
	X(test_rmse, test_fit.rmse, TRAIN_SET_TEST, false, TRAIN_FOR_VALUES)      \
	X(test_mae, test_fit.mae, TRAIN_SET_TEST, false, TRAIN_FOR_VALUES)        \
	X(test_r2, test_fit.r2, TRAIN_SET_TEST, true, TRAIN_FOR_VALUES)

/* Which runs have a metric: every run, classification (integer or string labels) or
 * regression (targets = values) only. */
enum train_targets { TRAIN_FOR_ANY, TRAIN_FOR_CLASSES, TRAIN_FOR_VALUES };

enum train_set {
	TRAIN_SET_TRAIN, /* the training batches of the epoch */
	TRAIN_SET_VAL,   /* the validation split, after the epoch */
	TRAIN_SET_TEST,  /* the test set, after the epoch */
};

/* A row of the metric table (TRAIN_METRIC_LIST). */
struct train_metric {
	const char *name;   /* as written: val_loss */
	size_t offset;      /* of its double in struct train_metrics */
	enum train_set set; /* what it is measured on */
	bool higher;        /* whether larger is better */
	enum train_targets targets; /* which runs have it */
};

extern const struct train_metric train_metric_table[]; /* ends with a NULL name */

/* How gradients are clipped before each update (PyTorch's torch.nn.utils). */
enum train_clip {
	TRAIN_CLIP_NONE,
	TRAIN_CLIP_NORM,  /* clip_grad_norm_: all gradients × min(1, max / (‖g‖₂ + 1e-6)) */
	TRAIN_CLIP_VALUE, /* clip_grad_value_: each gradient clamped to [−max, max] */
};

/* A metric watched after every epoch (stop's and best's): which, and which way is better. */
struct train_watch {
	bool on;       /* whether the run has it */
	int metric;    /* index in train_metric_table */
	bool maximize; /* `max NAME`, else `min NAME` */
};

/* What the loop keeps track of besides the figures (clip, stop, best): per epoch, so
 * that a checkpoint holds it and a resumed run goes on exactly. Keras's EarlyStopping
 * rule: after each epoch the stop metric improves when it is better than stop_best by
 * more than min_delta; then stop_best takes its value and stop_wait is 0, else stop_wait
 * grows by 1; the run stops once stop_wait reaches patience. The best epoch (save_best)
 * is the first one with the best value of its metric (a strict improvement). */
struct train_track {
	int64_t clipped;   /* steps of the epoch whose gradients clipping changed */
	int stop_wait;     /* epochs since the stop metric last improved by > min_delta */
	double stop_best;  /* its value then (±inf before the first epoch) */
	int best_epoch;    /* the best epoch so far by `best` (0: none yet) */
	double best_value; /* its value */
	bool stopped;      /* stop ended the run after this epoch */
};

struct train_config {
	int epochs;                         /* how many */
	int64_t batch;                      /* samples per step; the last batch is smaller */
	uint64_t seed;                      /* the order of the batches derives from it */
	bool shuffle;                       /* a new order every epoch, or the file's order */
	const struct sched *schedule;       /* the learning rate's, or NULL */
	const struct sched *momentum_schedule; /* the momentum's, or NULL */
	int start_epoch;                    /* epochs already done (a resumed run), else 0 */
	double start_seconds;               /* the seconds those epochs took */
	double first_epoch_loss;            /* when start_epoch > 0: epoch 1's train_loss */
	enum train_clip clip;               /* gradient clipping, or TRAIN_CLIP_NONE */
	double clip_max;                    /* its max (norm or value), > 0 */
	struct train_watch stop;            /* stop = patience(...)'s metric */
	int patience;                       /* epochs without improvement that stop the run */
	double min_delta;                   /* the least change that is an improvement, >= 0 */
	struct train_watch best;            /* save_best's metric (best) */
	struct train_track start_track;     /* when start_epoch > 0: the last epoch's */
};

/* A run diverges at the first batch whose loss is not finite, or after an epoch whose
 * mean training loss exceeds TRAIN_EXPLOSION times a positive reference: for epoch 1 the
 * loss of the first batch before any update, for every later epoch epoch 1's mean
 * training loss (which a checkpoint keeps, so a resumed run applies the same rule). */
enum { TRAIN_EXPLOSION = 10 };

/* The regression figures of one set (targets = values), over its N samples and T
 * targets: the root of the mean squared error and the mean absolute error over all N·T
 * outputs, and R² = 1 − SSE/SST per target (SST about the set's own mean), averaged
 * over the targets (scikit-learn's r2_score; a target whose SST is 0 counts 1 if its SSE
 * is 0, else 0, as its force_finite). */
struct train_fit {
	double rmse, mae, r2;
};

/* One epoch's figures (means over samples; accuracies in [0, 1]). */
struct train_metrics {
	int epoch;                  /* 1, 2, ... */
	int64_t step;               /* optimizer steps so far */
	double lr;                  /* the rate of the epoch's last step */
	double train_loss, train_acc;
	bool has_val, has_test;     /* whether those sets exist */
	double val_loss, val_acc, test_loss, test_acc;
	double seconds;             /* since the run began */
	struct train_track track;   /* clip, stop and best after this epoch */
	bool has_regression;        /* a regression run: the fits below are set, the
	                             * accuracies mean nothing */
	struct train_fit train_fit, val_fit, test_fit; /* of the sets that exist */
};

/* The index in train_metric_table of the metric called name, or -1. */
int train_metric_find(const char *name);

/* The value of metric (an index in train_metric_table) in m into *value; false (and
 * NAN) when m has none (no epoch, or a set the run does not have). */
bool train_metric_value(const struct train_metrics *m, int metric, double *value);

struct train_hooks {
	/* after every step: where it is, the batch's mean loss, the rate, samples per second */
	void (*progress)(void *ctx, int epoch, int64_t batch, int64_t batches, double loss,
	                 double lr, double samples_per_second);
	/* after every epoch; a non-zero return stops the run */
	int (*epoch_end)(void *ctx, const struct train_metrics *m);
	void *ctx;
	/* when not NULL and non-zero (a signal handler sets it), the run stops after the
	 * current step */
	const volatile sig_atomic_t *interrupt;
};

/* Where a run stopped early: at the step whose loss was not finite, after the last step
 * of an epoch whose loss exploded, or after the last step an interruption let it finish. */
struct train_failure {
	int epoch;        /* 1, 2, ... */
	int64_t step;     /* that step, 1, 2, ... */
	double lr;        /* its rate */
	double loss;      /* its batch's mean loss (inf or nan), or the exploded epoch's mean */
	bool exploded;    /* the epoch's mean loss exceeded TRAIN_EXPLOSION × reference */
	double reference; /* that reference (see TRAIN_EXPLOSION), when exploded */
	const char *evaluated; /* "validation" or "test": its loss after the epoch was not
	                        * finite (the updates made the outputs overflow), or NULL */
};

enum train_status {
	TRAIN_OK = 0,
	TRAIN_DIVERGED = 1,    /* a loss was not finite or exploded (*failure says where) */
	TRAIN_STOPPED = 2,     /* epoch_end asked to stop */
	TRAIN_INTERRUPTED = 3, /* *hooks->interrupt was set (*failure gives the epoch and step) */
	TRAIN_NO_MEMORY = -1,
};

/* The caller's buffers for one batch: labels (batch), and for regression targets
 * (batch · T); with sse (T) and abs, the batch's squared and absolute errors are added
 * there (the epoch's fit). */
struct train_batch_buffers {
	int32_t *labels;
	float *targets;
	double *sse, *abs;
};

/* One training batch, rows[0..count) of ds, at optimizer step `step`: the batch gathered,
 * the forward pass, and the summed loss with its gradient (classes or target values, as
 * n has); *hits counts the right classes (0 for regression). What train_run and the
 * range test share. */
double train_batch_loss(struct net *n, const struct dataset *ds, const struct data_transform *tf,
                        const int64_t *rows, int64_t count, uint64_t seed, int64_t step,
                        const struct train_batch_buffers *b, int64_t *hits);
/* Clips the gradients as c says (clip_grad_norm_ / clip_grad_value_); whether it changed
 * them. */
bool train_clip(struct net *n, const struct train_config *c);
/* The rows of one epoch (from 1), shuffled from (seed, epoch) or in the file's order. */
void train_epoch_order(int64_t *order, int64_t n, const struct train_config *c, int epoch);

/* Trains n (planned, initialised, or restored after c->start_epoch epochs) on train,
 * evaluating val and test (either may be NULL) after every epoch; inputs go through tf. */
enum train_status train_run(struct net *n, const struct dataset *train, const struct dataset *val,
                            const struct dataset *test, const struct data_transform *tf,
                            const struct train_config *c, const struct train_hooks *hooks,
                            struct train_failure *failure);

/* Mean loss and accuracy of n on ds, in batches of the planned size, in the file's order. */
void train_evaluate(struct net *n, const struct dataset *ds, const struct data_transform *tf,
                    int32_t *labels, int64_t *rows, double *loss, double *acc);

/* For regression (n->targets > 0): the mean loss and the fit of n on ds, in batches of
 * the planned size, in the file's order; labels, t and rows have room for a batch
 * (t: (batch, T)). */
void train_evaluate_values(struct net *n, const struct dataset *ds,
                           const struct data_transform *tf, int32_t *labels, float *t,
                           int64_t *rows, double *loss, struct train_fit *fit);

/* The picture of a run: loss and accuracy per epoch (train, validation, test), and the
 * learning rate per step (lr, steps values). */
int train_plot(FILE *out, const char *title, const struct train_metrics *m, int epochs,
               const double *lr, int64_t steps);

#endif
