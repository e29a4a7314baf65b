/* pace.h — threads that never hurt: on its default settings, a training run measures its
 * own steps and uses its threads only while they make the steps faster than one thread.
 *
 * On a machine where another process keeps a core busy, every parallel region waits for
 * the thread the scheduler took away, and two threads can be several times slower than
 * one. No setting known before the run tells this, so the run tries: after a short warm-up
 * it alternates steps at all its threads and at one (a probe), keeps the faster count for
 * a period of steps, and probes again at the period's end; the period doubles (up to
 * PACE_LONGEST) while the answer stays, and starts over when it changes or when the steps
 * become much slower than the probe said (a competitor came). Results do not depend on
 * it: every kernel gives the same bits at any number of threads.
 *
 * Legend: "most" is the thread count the run was given (the CPUs it may use). The pace is
 * only on when pace_set_auto(true) was called (descent run and sweep without --threads or
 * OMP_NUM_THREADS); off, pace_step never changes the count. Not for: how a kernel splits
 * its work (k_gemm_threads, net_update_threads: the per-op grain).
 */
#ifndef DESCENT_PACE_H
#define DESCENT_PACE_H

#include <stdbool.h>
#include <stdint.h>

enum {
	PACE_WARMUP = 2,     /* first steps, not measured (pages, thread start-up) */
	PACE_PROBE = 4,      /* steps at each count in a probe, alternated */
	PACE_FIRST = 32,     /* steps between the first probes */
	PACE_LONGEST = 1024, /* the longest period between probes */
	PACE_WINDOW = 16,    /* steps of the check between probes */
};
/* Between probes, a window of steps this much slower than the probe's figure for the
 * count in use makes the run probe again at once. */
#define PACE_SLOWER 1.5

enum pace_phase {
	PACE_OFF,   /* fixed: the count as given */
	PACE_WARM,  /* warming up at most threads */
	PACE_TRY,   /* probing: alternating most and 1 */
	PACE_KEEP,  /* a period at the chosen count */
};

struct pace {
	enum pace_phase phase;
	int most;           /* the threads the run was given */
	int threads;        /* the count of the next step */
	int64_t left;       /* steps left in the phase */
	int64_t period;     /* steps of the next period */
	double spent[2];    /* probe: per-sample seconds summed, at 1 [0] and most [1] threads */
	double expected;    /* per-sample seconds of a step at the chosen count (the probe's) */
	double window;      /* per-sample seconds summed over the current window */
	int in_window;      /* steps in it */
	int last_choice;    /* the previous probe's answer (threads), or 0 */
	int64_t probes;     /* probes made (for tests and `--verbose`-style reports) */
};

/* Whether runs of this process adapt their thread count (default false). */
void pace_set_auto(bool on);
bool pace_auto(void);

/* The threads a run starting now is given (omp_get_max_threads()). */
int pace_most(void);
/* Starts the pace of a run given most threads. */
void pace_start(struct pace *p, int most);
/* After a step of rows samples that took seconds: returns the thread count of the next
 * step and sets it (omp_set_num_threads) when it changes. */
int pace_step(struct pace *p, double seconds, int64_t rows);
/* At the end of a run: the count goes back to most. */
void pace_finish(struct pace *p);

#endif
