/* pace.c — a run's thread count from its own steps' times (see pace.h). */
#include "pace.h"

#ifdef _OPENMP
#include <omp.h>
#else
static void omp_set_num_threads(int n) { (void)n; }
static int omp_get_max_threads(void) { return 1; }
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

/* Starts a probe: PACE_PROBE steps at each count, alternated, most first. */
static int probe(struct pace *p)
{
	p->phase = PACE_TRY;
	p->left = 2 * PACE_PROBE;
	p->spent[0] = p->spent[1] = 0;
	p->probes++;
	return use(p, p->most);
}

/* Ends a probe: the faster count for a period, which doubles while the answer stays. */
static int choose(struct pace *p)
{
	int best = p->spent[1] < p->spent[0] ? p->most : 1;
	p->expected = (best == 1 ? p->spent[0] : p->spent[1]) / PACE_PROBE;
	p->period = best == p->last_choice ? p->period * 2 : PACE_FIRST;
	p->period = p->period > PACE_LONGEST ? PACE_LONGEST : p->period;
	p->last_choice = best;
	p->phase = PACE_KEEP;
	p->left = p->period;
	p->window = 0;
	p->in_window = 0;
	return use(p, best);
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

/* A step of the period: probes at its end, or at once when a window of steps is much
 * slower than the probe measured. */
static int keep(struct pace *p, double per_sample)
{
	p->window += per_sample;
	if (++p->in_window == PACE_WINDOW) {
		bool slower = p->window / PACE_WINDOW > PACE_SLOWER * p->expected;
		p->window = 0;
		p->in_window = 0;
		if (slower) {
			p->last_choice = 0; /* the machine changed: short periods again */
			return probe(p);
		}
	}
	return --p->left > 0 ? p->threads : probe(p);
}

int pace_step(struct pace *p, double seconds, int64_t rows)
{
	double per_sample = seconds / (double)(rows > 0 ? rows : 1);
	switch (p->phase) {
	case PACE_OFF:
		return p->threads;
	case PACE_WARM:
		return --p->left > 0 ? p->threads : probe(p);
	case PACE_TRY:
		p->spent[p->threads == p->most] += per_sample;
		if (--p->left == 0)
			return choose(p);
		return use(p, p->threads == p->most ? 1 : p->most);
	case PACE_KEEP:
		return keep(p, per_sample);
	}
	return p->threads;
}

void pace_finish(struct pace *p)
{
	use(p, p->most);
	p->phase = PACE_OFF;
}
