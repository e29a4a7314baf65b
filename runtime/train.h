/* train.h — the training loop: epochs of batches through a planned network, with the
 * learning rate and momentum from their schedules, evaluation of the validation and test
 * sets after every epoch, and a stop when the run diverges (TRAIN_EXPLOSION below).
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
	bool has_regression;        /* a regression run: the fits below are set, the
	                             * accuracies mean nothing */
	struct train_fit train_fit, val_fit, test_fit; /* of the sets that exist */
};

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
