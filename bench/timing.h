/* timing.h — what the benchmark programs share: a monotonic clock and the order of
 * doubles for qsort (their medians). Header-only: each benchmark is one program. */
#ifndef DESCENT_BENCH_TIMING_H
#define DESCENT_BENCH_TIMING_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* qsort's comparison of two doubles. */
static inline int bench_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#endif
