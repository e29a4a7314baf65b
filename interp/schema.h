/* schema.h — what LANGUAGE.md allows, as tables: every block's keys, every optimizer,
 * schedule, layer, data source, regularizer and sampler with its parameters, types,
 * defaults and ranges.
 *
 * For: the checker (which reports against these tables), the lowering (which reads
 * defaults from them) and messages (which print signatures from them). Not for: rules
 * that involve more than one value (check.c).
 */
#ifndef DESCENT_SCHEMA_H
#define DESCENT_SCHEMA_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"
#include "ops.h"

enum schema_type {
	T_NUM,     /* a number */
	T_INT,     /* a whole number */
	T_BOOL,    /* true or false */
	T_STR,     /* a string */
	T_DUR,     /* a duration: N steps, N epochs, or a whole number of steps */
	T_DURS,    /* a list of durations, increasing (milestones) */
	T_CHOICE,  /* one of the names in choices */
	T_PAIR,    /* two numbers (b1, b2) */
	T_SIZE2,   /* a whole number or a pair (h, w) of them; or one of choices, if any */
	T_COLUMN,  /* a CSV column: its name (a string) or 0-based index */
	T_OPTIM,   /* an optimizer call */
	T_OPTIMS,  /* an optimizer, or a list of them to compare */
	T_SCHED,   /* a schedule expression */
	T_REG,     /* a regularizer call */
	T_CLIP,    /* a gradient clipping call: norm(max) or value(max) */
	T_STOP,    /* an early stopping call: patience(epochs, metric, min_delta) */
	T_SOURCE,  /* a data source call */
	T_NETWORK, /* the name of a network block */
	T_DATA,    /* the name of a data block */
	T_TRAIN,   /* the name of a train block */
	T_METRIC,  /* max NAME or min NAME */
	T_POINTS,  /* a start point (a tuple, or a number for one variable), or a list of them */
	T_LOSS,    /* a loss: one of choices, or a call of its row of schema_losses */
};

/* What an optimizer's parameter sets in the lowered struct optim_config (optim.h). */
enum optim_field {
	OF_NONE, OF_LR, OF_MOMENTUM /* the one momentum_schedule drives */, OF_DAMPENING,
	OF_NESTEROV, OF_ALPHA, OF_BETA2, OF_BETAS /* (b1, b2): momentum and beta2 */, OF_EPS,
	OF_LR_DECAY, OF_INITIAL, OF_CENTERED, OF_AMSGRAD, OF_BIAS_CORRECTION,
	OF_MOMENTUM_DECAY, OF_WD,
};

struct param {
	const char *name;              /* as written in calls and blocks */
	enum schema_type type;         /* what it takes */
	bool required;                 /* no default: must be given */
	double dflt;                   /* default number (bool: 0 or 1) */
	const char *dflt_name;         /* default of a T_CHOICE, or text shown for others */
	double lo, hi;                 /* allowed numbers */
	bool lo_open, hi_open;         /* whether lo and hi themselves are excluded */
	const char *const *choices;    /* T_CHOICE: the names, NULL-terminated */
	enum optim_field field;        /* an optimizer's parameter: what it sets */
};

enum sig_flag {
	SIG_ADAPTIVE = 2, /* an optimizer that scales by gradient statistics */
};

enum { SIG_MAX_PARAMS = 8 };

/* What a data source row loads, and what a sampler row draws (their rows' kind). */
enum source_kind { SOURCE_IDX, SOURCE_CSV, SOURCE_NPY, SOURCE_SPIRALS, SOURCE_BLOBS, SOURCE_XOR };
enum sampler_kind { SAMPLE_LOGUNIFORM, SAMPLE_UNIFORM, SAMPLE_CHOICE };
/* The data a loss row fits: a data block's `targets` (classes or values), or either. */
enum loss_targets { TARGETS_EITHER, TARGETS_CLASSES, TARGETS_VALUES };

/* A callable: optimizer, schedule, layer, source, regularizer or sampler. */
struct sig {
	const char *name;            /* as written */
	const struct param *params;  /* in positional order, ending with a NULL name */
	unsigned flags;              /* enum sig_flag */
	const char *length;          /* a schedule's parameter that is its length (it may stand
	                              * before `then`), or NULL: it has none */
	const char *zero_end;        /* a schedule's parameter whose 0 makes it end at 0
	                              * (cosine's eta_min, poly's end), or NULL */
	/* layers: the IR op (ops.h), a variant the arguments read (an activation), and how
	 * the arguments of a bound call become the op's (NULL: it has none) */
	enum ir_op op;
	int variant;
	void (*args)(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
	             union op_args *out);
	int kind;                    /* what the row lowers to: an optimizer's enum optim_kind,
	                              * a schedule's enum sched_kind, a source's enum
	                              * source_kind, a sampler's enum sampler_kind */
	int files;                   /* a source: how many file paths lead its parameters */
	const char *decoupled;       /* an optimizer that wd > 0 turns into another one, named
	                              * here (adam: "adamw"), or NULL */
	enum loss_targets targets;   /* a loss: the targets it fits */
};

extern const struct sig schema_optimizers[];
extern const struct sig schema_schedules[];
extern const struct sig schema_layers[];
extern const struct sig schema_sources[];
extern const struct sig schema_regularizers[];
extern const struct sig schema_samplers[];
extern const struct sig schema_clips[];   /* kind: enum train_clip (train.h) */
extern const struct sig schema_stops[];
extern const struct sig schema_losses[];

extern const struct param schema_data_keys[];
extern const struct param schema_train_keys[];
extern const struct param schema_sweep_keys[];
extern const struct param schema_minimize_keys[];

/* Names the metrics of a run's log (train_loss, ..., test_acc, then the regression
 * ones train_rmse, ..., test_r2), NULL-terminated: made from runtime/train.h's
 * TRAIN_METRIC_LIST, the one list of them. */
extern const char *const schema_metrics[];

/* The entry of table called name, or NULL. Tables end with a NULL name. */
const struct sig *schema_find(const struct sig *table, const char *name);
/* The parameter or key called name, or NULL. */
const struct param *schema_param(const struct param *params, const char *name);
/* Index of the parameter called name in sig, or -1. */
int schema_index(const struct sig *sig, const char *name);

/* Fills names (room for max, NULL-terminated) with the names of a table, for "did you
 * mean"; returns names. */
const char **schema_sig_names(const struct sig *table, const char **names, int max);
const char **schema_param_names(const struct param *params, const char **names, int max);

/* Writes what p takes, in words, into buf: its type, its allowed range or names, and
 * "required" (e.g. "a number > 0, required", "one of train, test"). For `descent help`. */
const char *schema_describe(const struct param *p, char *buf, size_t size);

/* Writes sig's signature, "sgd(lr, momentum = 0, ...)", into buf. */
const char *schema_signature(const struct sig *sig, char *buf, size_t size);

/* A call matched to its schema row: the row, and the value given for each parameter
 * (vals[i] for params[i]; NULL: its default). Made once, by the checker, and kept on the
 * call node (ast.h `bound`), where the lowering, sweeps and messages read it. */
struct bound {
	const struct sig *sig;
	const struct ast *vals[SIG_MAX_PARAMS];
};

/* The checker's binding: matches the arguments of call (an AST_CALL, or an AST_NAME for a
 * call without parentheses) to sig's parameters, positional ones in order, then named
 * ones, into vals, and records the binding on call. With d, reports too many arguments,
 * unknown or repeated names and missing required parameters, and returns false if there
 * were any (or memory ran out). */
bool schema_bind(const struct sig *sig, const struct ast *call,
                 const struct ast *vals[SIG_MAX_PARAMS], struct diag *d);

/* A copy of node (ast_copy_at, every location at) that keeps the bindings the checker
 * recorded in node's subtree, so a value a sweep copies from a checked list is as
 * checked as the list; NULL when memory runs out. */
struct ast *schema_copy_at(const struct ast *node, struct loc at);

/* The binding of a checked call of a row of table: the one the checker recorded. A call
 * the checker never saw (a copy made by ast_copy rather than schema_copy_at, a unit
 * test's unchecked tree) is bound here, silently, the first time it is asked for. NULL if call names no row of table or memory
 * runs out. */
const struct bound *schema_bound(const struct sig *table, const struct ast *call);

/* The index, among p's choices, of the name v gives (a checked T_CHOICE value; NULL: p's
 * default). Tables list choices in the order of the runtime's enum (enum loss, ...). */
int schema_choice(const struct param *p, const struct ast *v);

/* The number the entry `key = ...` of block gives (a checked number or bool), or the
 * default keys give it: the one place a block's defaults (batch = 32, ...) are read. */
double schema_setting(const struct param *keys, const struct ast *block, const char *key);

/* The momentum an optimizer call gives (the value momentum_schedule scales): the first of
 * its betas if they are given as a pair, else its row's momentum parameter; 0 for an
 * optimizer without momentum. The lowering's optim_config.momentum is this number. */
double schema_momentum(const struct bound *b);

/* The number given for parameter i of a bound call, or its default. */
double schema_number_at(const struct bound *b, int i);

/* The number given for parameter name of a bound call, or its default. */
double schema_number(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                     const char *name);

#endif
