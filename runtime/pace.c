/* pace.c — a run's thread count from its own steps' times (see pace.h). */
#include "pace.h"

#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#else
static void omp_set_num_threads(int n) { (void)n; }
static int omp_get_max_threads(void) { return 1; }
static int omp_in_parallel(void) { return 0; }
#endif

/* The process's policy, as OpenMP's thread count is the process's. */
static bool automatic;

void pace_set_auto(bool on)
{
	automatic = on;
}

bool pace_auto(void)
{
	return automatic;
}

/* Makes count the threads of the next steps. */
static int use(struct pace *p, int count)
{
	if (count != p->threads)
		omp_set_num_threads(count);
	p->threads = count;
	return count;
}

/* Starts a probe: pairs of steps, one thread first. */
static int probe(struct pace *p)
{
	p->phase = PACE_TRY;
	p->spent[0] = p->spent[1] = 0;
	p->taken[0] = p->taken[1] = 0;
	p->probes++;
	return use(p, 1);
}

/* The steps of a period after a probe that chose best: twice the last period when the
 * answer stays (else PACE_FIRST), and enough that the probe's extra time is at most
 * PACE_BUDGET of the period's. */
static int64_t period_after(const struct pace *p, int best, double mean)
{
	double extra = p->spent[0] + p->spent[1] - (p->taken[0] + p->taken[1]) * mean;
	double needed = mean > 0 ? extra / (PACE_BUDGET * mean) : 0;
	double steps = best == p->last_choice ? 2.0 * (double)p->period : PACE_FIRST;
	steps = needed > steps ? needed : steps;
	return steps < PACE_LONGEST ? (int64_t)ceil(steps) : PACE_LONGEST;
}

/* Ends a probe: the faster count, for a period. */
static int choose(struct pace *p)
{
	double one = p->spent[0] / p->taken[0], all = p->spent[1] / p->taken[1];
	int best = all < one ? p->most : 1;
	p->expected = best == 1 ? one : all;
	p->period = period_after(p, best, p->expected);
	p->last_choice = best;
	p->phase = PACE_KEEP;
	p->left = p->period;
	p->window = 0;
	p->in_window = 0;
	return use(p, best);
}

/* A step of the probe: the next of its pair, or the answer once the pairs are done or a
 * pair is clear (one count PACE_CLEAR times slower). */
static int try_step(struct pace *p, double time)
{
	int arm = p->threads == p->most;
	p->spent[arm] += time;
	p->taken[arm]++;
	if (arm == 0)
		return use(p, p->most);
	double one = p->spent[0] / p->taken[0], all = p->spent[1] / p->taken[1];
	bool clear = all > PACE_CLEAR * one || one > PACE_CLEAR * all;
	return clear || p->taken[1] == PACE_PROBE ? choose(p) : use(p, 1);
}

int pace_threads_for(int64_t count)
{
	int most = omp_in_parallel() ? 1 : omp_get_max_threads(); /* no nested regions */
	int64_t worth = count / PACE_GRAIN;
	return worth < most ? (worth > 1 ? (int)worth : 1) : most;
}

int pace_most(void)
{
	return omp_get_max_threads();
}

void pace_start(struct pace *p, int most)
{
	*p = (struct pace){.phase = automatic && most > 1 ? PACE_WARM : PACE_OFF,
	                   .most = most, .threads = most, .left = PACE_WARMUP,
	                   .period = PACE_FIRST};
}

/* A step of the period: probes at its end, or at once when, on all threads, a window of
 * steps is much slower than the probe measured (one thread cannot be hurt by others). */
static int keep(struct pace *p, double time)
{
	p->window += time;
	if (p->threads > 1 && ++p->in_window == PACE_WINDOW) {
		bool slower = p->window / PACE_WINDOW > PACE_SLOWER * p->expected;
		p->window = 0;
		p->in_window = 0;
		if (slower)
			return probe(p);
	}
	return --p->left > 0 ? p->threads : probe(p);
}

int pace_step(struct pace *p, double seconds, int64_t rows)
{
	double time = seconds / (double)(rows > 0 ? rows : 1);
	switch (p->phase) {
	case PACE_OFF:
		return p->threads;
	case PACE_WARM:
		return --p->left > 0 ? p->threads : probe(p);
	case PACE_TRY:
		return try_step(p, time);
	case PACE_KEEP:
		return keep(p, time);
	}
	return p->threads;
}

void pace_finish(struct pace *p)
{
	use(p, p->most);
	p->phase = PACE_OFF;
}
