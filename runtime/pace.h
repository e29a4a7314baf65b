/* pace.h — threads that never hurt: on its default settings, a training run measures its
 * own steps and uses its threads only while they make the steps faster than one thread.
 *
 * On a machine where other processes keep the cores busy, every parallel region waits for
 * the thread the scheduler took away, and two threads can be many times slower than one
 * (30× a step was seen with a load average of 19 on two cores). No setting known before
 * the run tells this, so the run tries: after a short warm-up it alternates steps on one
 * thread and on all (a probe; a pair where one count takes twice the other's time ends it
 * at once), keeps the faster count for a period of steps, and probes again at the period's
 * end. A period is twice the last one when the answer stays, and always long enough that
 * the probe's extra time is at most PACE_BUDGET of it: a probe on a busy machine, whose
 * all-threads steps are slow, is followed by a long period. While all the threads are in
 * use, a window of steps much slower than the probe measured (a competitor came) makes it
 * probe at once. Results do not depend on any of this: every kernel gives the same bits at
 * any number of threads.
 *
 * Legend: "most" is the thread count the run was given (the CPUs it may use); times are
 * seconds per sample of a step. The pace is only on when pace_set_auto(true) was called
 * (descent run and sweep without --threads or OMP_NUM_THREADS); off, pace_step never
 * changes the count. How one op splits its work among the threads it has is the op's
 * grain: k_gemm_threads for products, pace_threads_for below for element-wise work.
 */
#ifndef DESCENT_PACE_H
#define DESCENT_PACE_H

#include <stdbool.h>
#include <stdint.h>

enum {
	PACE_WARMUP = 2,       /* first steps, not measured (pages, thread start-up) */
	PACE_PROBE = 4,        /* pairs of steps (one thread, all) in a probe, at most */
	PACE_FIRST = 32,       /* steps of the first period */
	PACE_LONGEST = 1 << 16, /* the longest period */
	PACE_WINDOW = 16,      /* steps of the check between probes */
};
/* A probe's extra time (over its steps at the faster count) is at most this share of the
 * period after it. */
#define PACE_BUDGET 0.02
/* Between probes on all threads, a window of steps this much slower than the probe's
 * figure makes the run probe again at once; a pair of probe steps where one count is this
 * much slower than the other ends the probe. */
#define PACE_SLOWER 1.5
#define PACE_CLEAR 2.0

enum pace_phase {
	PACE_OFF,   /* fixed: the count as given */
	PACE_WARM,  /* warming up at most threads */
	PACE_TRY,   /* probing: one thread, then all, in pairs */
	PACE_KEEP,  /* a period at the chosen count */
};

struct pace {
	enum pace_phase phase;
	int most;           /* the threads the run was given */
	int threads;        /* the count of the next step */
	int64_t left;       /* steps left in the phase */
	int64_t period;     /* steps of the last period */
	double spent[2];    /* probe: time summed at one thread [0] and at most [1] */
	int taken[2];       /* probe: steps at each */
	double expected;    /* time of a step at the chosen count (the probe's) */
	double window;      /* time summed over the current window */
	int in_window;      /* steps in it */
	int last_choice;    /* the previous probe's answer (threads), or 0 */
	int64_t probes;     /* probes made */
};

/* Element-wise work (the optimizer's update, a batch's gather) is split among the threads
 * only where each gets this many elements (PyTorch's grain size for element-wise work). */
enum { PACE_GRAIN = 1 << 15 };
/* The threads element-wise work over count elements uses: one per PACE_GRAIN, at most
 * the current count (omp_get_max_threads()), at least one; one inside a parallel region. */
int pace_threads_for(int64_t count);

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
