/* sweep_plot.h — summary.svg, the picture of a sweep: the metric of every trial by
 * configuration (a strip plot over seeds, best first, the mean as a bar) beside the
 * per-epoch curve of that metric in every trial's log, coloured by configuration, and one
 * legend under both; with reruns (rerun_best), a row under them: each optimizer's best
 * configuration over the new seeds, every seed a point, its mean a bar and its range a
 * line, with a legend of its own.
 *
 * For: run_sweep.c's summary. Not for: ranking or statistics (run_sweep.c, stats.h).
 */
#ifndef DESCENT_SWEEP_PLOT_H
#define DESCENT_SWEEP_PLOT_H

#include <stdbool.h>
#include <stdio.h>

/* One ranked configuration and its trials. */
struct sweep_plot_config {
	const char *label;    /* "1: optimizer=sgd(lr = 0.1)" */
	double mean;          /* the metric's mean over its trials */
	const int *trials;    /* (ntrials) the trials' numbers (their logs: trial-N.jsonl) */
	const double *values; /* (ntrials) each trial's final metric, NaN where none */
	int ntrials;
};

struct sweep_plot {
	const char *folder;   /* the sweep's folder, where the trials' logs are */
	const char *metric;   /* a key of the logs: "test_acc" */
	bool maximize;        /* higher is better */
	const struct sweep_plot_config *configs; /* (nconfigs) ranked, the best first */
	int nconfigs;
	const struct sweep_plot_config *reruns; /* (nreruns) each optimizer's rerun, the best
	                                         * first; none without rerun_best */
	int nreruns;
	int rerun_seeds;      /* rerun_best's N */
};

/* Draws the picture (plot is a const struct sweep_plot *: the shape out_write_atomic
 * takes); 0, or -1 when memory runs out or a write fails. A log that cannot be read
 * leaves its trial without a curve. */
int sweep_plot_write(FILE *out, const void *plot);

#endif
