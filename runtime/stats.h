/* stats.h — the statistics a sweep reports: mean and standard deviation over seeds, and
 * Welch's t-test for "is this difference larger than the seed noise?".
 *
 * For: summary tables. Not for: anything inside training.
 */
#ifndef DESCENT_STATS_H
#define DESCENT_STATS_H

/* Mean and sample standard deviation (n − 1) of x (n values; std 0 when n < 2). */
void stats_mean_std(const double *x, int n, double *mean, double *std);

/* Welch's unequal-variance t-test of two samples given by mean, sample standard
 * deviation and size (each n >= 2): t, the Welch–Satterthwaite degrees of freedom and the
 * two-sided p-value. */
struct welch {
	double t, df, p;
};
struct welch stats_welch(double mean1, double std1, int n1, double mean2, double std2, int n2);

/* P(|T| >= |t|) for Student's t with df degrees of freedom (two-sided). */
double stats_t_two_sided(double t, double df);

#endif
