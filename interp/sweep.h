/* sweep.h — a checked sweep block as a list of trials: the Cartesian product of its grid
 * axes, or, with `trials = N`, N configurations drawn from its sampled axes (with the
 * sweep's sample_seed) times the grid of the rest; the reruns of rerun_best appended
 * once the search has chosen them; and the share of one shard.
 *
 * For: `descent sweep`, which runs each trial as its train block with the trial's values
 * set (override.h). Not for: running anything.
 */
#ifndef DESCENT_SWEEP_H
#define DESCENT_SWEEP_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

/* One value of one axis in a trial. */
struct sweep_value {
	const char *key;   /* the axis's key, "optimizer.lr" (points into the tree) */
	struct ast *value; /* owned: a copy of a listed value, or a drawn number */
};

struct sweep_trial {
	int index;                 /* 0, 1, ... in the sweep's order */
	int config;                /* trials differing only in `seed` share it */
	int searched;              /* a rerun's configuration in the search (else 0) */
	struct sweep_value *values; /* (nvalues), owned */
	int nvalues;
};

struct sweep_plan {
	struct sweep_trial *trials; /* (ntrials), owned */
	int ntrials;
	int nconfigs;               /* of the search */
	int nsearch;                /* the search's trials, 0 .. nsearch-1; reruns follow */
};

/* Expands a checked sweep block; 0, or -1 when memory runs out or the sweep is larger than
 * 100,000 trials (reported). The first axis varies slowest, as itertools.product. */
int sweep_expand(const struct ast *sweep, struct sweep_plan *plan, struct diag *d);
void sweep_free(struct sweep_plan *plan);

/* rerun_best's N in a checked sweep block, or 0 without it. */
int sweep_rerun_count(const struct ast *sweep);

/* Gives every trial without a `seed` value one: seed (the train block's), so that
 * results.csv has a seed column the reruns fill. 0, or -1 when memory runs out. */
int sweep_add_seed(struct sweep_plan *plan, double seed);

/* Schmidt et al.'s reruns: appends, for each trial best[i] (one trial of the
 * configuration to rerun), n trials with its values and seeds first_seed, first_seed + 1,
 * ..., numbered after the plan's trials and with configuration nconfigs + i. 0, or -1
 * when memory runs out (the plan is then fit only for sweep_free). */
int sweep_add_reruns(struct sweep_plan *plan, const int *best, int nbest, int n,
                     double first_seed);

/* Whether trial index belongs to shard `shard` of `shards` (index ≡ shard mod shards). */
bool sweep_in_shard(int index, int shard, int shards);

/* Reads a --shard value: "I/N" (0 <= I < N, shards count from 0), "auto" or "auto/N".
 * auto takes this process's place in a job array from the environment:
 * SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN, _STEP and _COUNT (or _MAX) of a Slurm
 * array, any first index and step (--array=1-4, --array=0-30:10); else
 * JOB_COMPLETION_INDEX of a Kubernetes Indexed Job, whose count N must be given
 * ("auto/N": Kubernetes sets no variable for it). With Slurm, an N given must be the
 * array's count. 0 with *shard and *shards set, or -1 with why (one sentence, no
 * newline) in why. */
int sweep_shard_parse(const char *spec, int *shard, int *shards, char *why, size_t size);

#endif
