/* run.h — `descent run`'s work on each block, and the output files it writes.
 *
 * For: cli.c, which parses the command line and calls these in file order. Not for:
 * lowering (lower.c, lower_train.c) or the loops themselves (runtime/).
 * Each returns an exit status: RUN_OK, RUN_INPUT (an error in the input, reported),
 * RUN_DIVERGED.
 */
#ifndef DESCENT_RUN_H
#define DESCENT_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ast.h"
#include "diag.h"

#define DESCENT_VERSION "0.1.0"

enum run_status {
	RUN_OK = 0,
	RUN_INPUT = 1,
	RUN_DIVERGED = 3,
	RUN_INTERRUPTED = 130, /* stopped by *interrupt (reported); cli.c re-raises the signal */
};

/* How `descent run` runs a train block. */
struct run_options {
	bool quiet;         /* only the final tables */
	bool resume;        /* continue from the block's checkpoint, where there is one */
	bool trial;         /* one trial of a sweep: no checkpoint (see run_train_trial) */
	const char *source; /* a fingerprint of the file and its --set values (for checkpoints) */
	const char *sets;   /* the --set values as a JSON list of strings, or NULL: none */
	const char *again;  /* the --set options quoted for a shell (" --set 'k=v'"), or "" */
	const volatile sig_atomic_t *interrupt; /* set by SIGINT/SIGTERM: stop after the step */
};

/* Runs a checked minimize block of the file at file: table on stdout, trace, plot. */
int run_minimize(const char *file, const struct ast *block, struct diag *d);

/* Runs the index-th (from 1) checked train block of the parsed file at file: progress on
 * stderr (a live line on a terminal), log, checkpoint, save, plot, and a table on stdout. */
int run_train(const char *file, const struct ast *tree, const struct ast *block, int index,
              const struct run_options *o, struct diag *d);

/* One trial of a sweep: trains the block quietly, logging to log_path, and gives the last
 * epoch's metrics in *last; weights and pictures go where the block says (run_sweep.c
 * points them at the trial's own files), but no checkpoint (a sweep resumes by whole
 * trials, and its trials run side by side). sets: what the weights record as their --set
 * values (a JSON list: the sweep's and the trial's), or NULL. */
struct train_metrics;
int run_train_trial(const char *file, const struct ast *tree, const struct ast *block, int index,
                    const char *log_path, const char *sets, struct train_metrics *last,
                    struct diag *d);

/* Runs the first sweep block of the checked file at file (see run_sweep.c): tree is
 * folded and checked, unfolded the same file before folding, which each trial copies,
 * sets its values in and folds (so `lr = base * batch / 32` follows a swept batch). */
struct sweep_options {
	int jobs;           /* worker processes at once */
	bool jobs_given;    /* --jobs: the sweep block's `jobs` does not apply */
	int shard, shards;  /* run the trials with index ≡ shard mod shards */
	bool quiet;         /* no progress lines */
	bool list;          /* --list: print the trials, run nothing */
	bool summary;       /* --summary: only summarize, refusing while trials lack a row */
	const char *again;  /* the --set options, quoted for a shell (" --set 'k=v'"), or "" */
	const char *const *sets; /* (nsets) the --set texts no axis replaces, as typed */
	int nsets;
	const volatile sig_atomic_t *interrupt; /* set by SIGINT/SIGTERM: stop the trials */
};
/* Where sweep block `sweep` of file puts its files: its `out`, else
 * runs/<file's name without .nn>-sweep; as the file gives it into given, and resolved
 * beside the file (run_output_path) into out. */
void run_sweep_folder(const char *file, const struct ast *sweep, char *given, size_t given_size,
                      char *out, size_t size);
int run_sweep(const char *file, struct ast *tree, const struct ast *unfolded,
              const struct sweep_options *o, struct diag *d);

/* The value of the option at argv[*i] ("--name=value", or "--name value" moving *i to
 * the value), or NULL when argv[*i] is not that option or has no value: how every
 * command reads its options. */
const char *run_option_value(int argc, char **argv, int *i, const char *name);

/* The text of a block as its file has it (its first to its last line), allocated; what
 * saved weights record as "train", and predict and eval compare. NULL out of memory. */
char *run_block_text(const struct ast *block);

/* Where an output path given in a file goes: relative to the file's folder. */
void run_output_path(const char *file, const char *given, char *out, size_t size);
/* Creates the folders above path, as mkdir -p. */
void run_make_parents(const char *path);
/* Writes a file through write(out, data): into a unique temporary beside it, renamed
 * over PATH only once complete, so a failed run never leaves half a file where a good
 * one was (out_write_atomic; a failure is printed as "descent run: PATH: reason"). */
int run_write_output(const char *path, int (*write)(FILE *, const void *), const void *data);

/* The CPUs this process may use: those of its affinity mask (taskset, a cgroup, a Slurm
 * step's binding), and no more than SLURM_CPUS_PER_TASK when Slurm sets it; at least 1. */
int run_cpus(void);
/* The threads one run or one sweep worker uses by default, out of cpus shared by jobs
 * workers: OMP_NUM_THREADS when it is set, else cpus / jobs (at least 1). */
int run_threads(int cpus, int jobs);

/* Before anything of the file at file runs: refuses (to d) every output of tree that
 * would overwrite the .nn file, a data file or another output, or is not a regular
 * file, and makes sure each can be written (its folders, a temporary beside it).
 * RUN_OK, or RUN_INPUT after reporting. See outputs.h. */
int run_check_outputs(const char *file, const struct ast *tree, struct diag *d);

#endif
