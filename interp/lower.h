/* lower.h — checked trees to what the runtime executes: schedule expressions to runtime
 * schedules (durations in epochs turned into steps), optimizer calls to their
 * configuration, and minimize blocks to a plan of runtime/minimize.h.
 *
 * For: `descent schedule` and `descent run`, and `descent check`'s walk of the shapes on
 * the data files' headers (lower_check_shapes). Not for: checking (the trees given here have
 * passed check.c, and every call in them carries the binding check.c recorded: the
 * lowering reads it, schema_bound, and never matches arguments to parameters again).
 */
#ifndef DESCENT_LOWER_H
#define DESCENT_LOWER_H

#include <limits.h>

#include "ast.h"
#include "diag.h"
#include "data.h"
#include "minimize.h"
#include "net.h"
#include "optim.h"
#include "scalar.h"
#include "schedule.h"
#include "train.h"

/* The runtime schedule of a checked schedule expression; `N epochs` becomes
 * round(N × steps_per_epoch) steps (steps_per_epoch 0: not known, and an epoch duration
 * is an error). NULL when reported to d, or when memory runs out. Caller frees. */
struct sched *lower_schedule(const struct ast *expr, double steps_per_epoch, struct diag *d);

/* The configuration of a checked optimizer call (adamw is adam with its own wd default);
 * label gets "adagrad(lr = 0.5)", the call with the arguments given. */
struct optim_config lower_optimizer(const struct ast *call, char *label, size_t size);

/* The loss of a checked train block into net: loss, its smoothing (cross_entropy) and its
 * delta (huber); what run, predict and eval read alike. */
void lower_loss(const struct ast *block, struct net *net);

/* A minimize block ready to run, and everything its plan points to (owned). */
struct minimize_lowered {
	struct minimize_plan plan;  /* what runtime/minimize.c runs */
	struct sc_program fn;       /* the function */
	struct loc *locs;           /* (fn.n) where each instruction came from */
	const char **vars;          /* variable names (in the tree) */
	double *starts;             /* (nstarts, V) */
	struct optim_config *opts;  /* (nopts) */
	const char **names;         /* (nopts) optimizer names (in the tree) */
	char (*labels)[128];        /* (nopts) optimizer calls as text */
	const char **label_ptrs;    /* (nopts) pointers into labels */
	struct sched *schedule, *momentum_schedule; /* NULL: none */
	const struct ast *trace, *plot;             /* the output paths given, or NULL */
};

/* Lowers a checked minimize block; 0, or -1 when memory runs out (reported to d). */
int lower_minimize(const struct ast *block, struct minimize_lowered *m, struct diag *d);
void lower_minimize_free(struct minimize_lowered *m);

/* A train block ready to run: its network, data and settings (all owned). */
struct train_lowered {
	char name[64];             /* the block's name, or "train1", "train2", ... */
	char network[64], data[64]; /* the names of its blocks */
	struct net net;            /* planned, not yet initialised */
	struct dataset train, val, test; /* val and test empty (n 0) when absent */
	struct data_transform tf;  /* fitted on train */
	struct train_config config;
	struct sched *schedule, *momentum_schedule; /* NULL: none */
	const struct ast *log, *save, *load, *plot, *checkpoint, *save_best; /* the paths
	                                                                      * given, or NULL */
	int64_t steps_per_epoch;
};

/* Lowers the checked train block (the index-th of the file, from 1) of the file at
 * nn_path: loads its data, builds and plans its network. Returns 0, or 1 after reporting
 * an error in the input (a data file, shapes that do not fit). */
int lower_train(const struct ast *file, const struct ast *block, int index, const char *nn_path,
                struct train_lowered *t, struct diag *d);
void lower_train_free(struct train_lowered *t);

/* Builds the layers of the checked network block on a sample of shape input into n (its
 * input set here), each through its op's shape rule; 0, or 1 after reporting the first
 * refusal at its layer's line, with the shapes. Lowering and `descent check` both walk it. */
int lower_layers(const struct ast *network, struct shape input, struct net *n, struct diag *d);

/* For `descent check`: walks each train block's network (lower_layers) on its data's
 * sample shape read from the data file's header only (IDX, NPY, the CSV's first line;
 * a generated set's width); a data file not found or not readable is passed over (the run
 * reports it). 0, or 1 after reporting a refusal. */
int lower_check_shapes(const struct ast *file, const char *nn_path, struct diag *d);

/* Where the data file named by given (an AST_STR) is, by the path search of LANGUAGE.md
 * section 3 (beside the .nn file at nn_path, $DESCENT_DATA, /usr/share/datasets): 0 with
 * the path in out, or -1 (nothing reported) when it is nowhere. */
int lower_data_path(const char *nn_path, const struct ast *given, char *out, size_t size);

/* The header names of the file of csv source call `call` (or of the file at path instead,
 * when not NULL), when the call says it has a header: with features_only, without the
 * label column (see data_csv_columns; width: the feature count, or -1). 1 when call is
 * not a csv with a header (no names), 0 with *names and *count (data_names_free), or -1
 * (err says why). */
int lower_csv_columns(const struct ast *call, const char *nn_path, const char *path,
                      bool features_only, int64_t width, char ***names, int *count,
                      struct data_error *err);

/* The first place where the column names a (na) and b (nb) differ, or -1: none. */
int lower_columns_differ(char *const *a, int na, char *const *b, int nb);
/* The files the checked data block reads (train, then test), found by lower_train's path
 * search, into out (at most max); files not found are left out (lowering reports them).
 * For refusing outputs that would overwrite them (outputs.c). */
int lower_data_files(const struct ast *data, const char *nn_path, char (*out)[PATH_MAX], int max);

/* For predict and eval: loads one source call of a data block as lowering does (part 0
 * for a train part, 1 for a test part: generated sets differ; values: targets = values);
 * a CSV's string labels take the ids of known's names (NULL: sorted names of its own).
 * 0, or -1 after reporting. */
int lower_source(const struct ast *call, const char *nn_path, uint64_t part,
                 const struct dataset *known, bool values, struct dataset *out,
                 struct diag *d);
/* For predict and eval: one sample's shape of the data block's training set from its
 * file's header alone (as `descent check` reads it); 0, or -1 (nothing reported) when
 * the file is not found or cannot be read. */
int lower_sample_shape(const struct ast *data, const char *nn_path, struct shape *out);

#endif
