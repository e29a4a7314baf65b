/* override.h — `--set KEY=VALUE` applied to a parsed file, before fold and check. */
#ifndef DESCENT_OVERRIDE_H
#define DESCENT_OVERRIDE_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"
#include "schema.h"

/* What a key of a sweep axis or a --set (without its block prefix) reaches. */
enum key_target {
	KEY_TRAIN,     /* a train key: `epochs` */
	KEY_OPTIMIZER, /* a parameter of the optimizer call: `optimizer.lr` */
	KEY_SCHEDULE,  /* a parameter of a call of the schedule: `schedule.T0` */
	KEY_NOWHERE,   /* dotted into anything else: `loss.x` */
};

struct key_path {
	enum key_target target;
	const char *param; /* the train key, or the part after the dot (points into key) */
};

/* Splits key: the one place dotted keys are read, for the checker, --set and sweeps. */
struct key_path override_split(const char *key);

/* The first call of schedule chain v that has a parameter param, or NULL; *sig gets the
 * schedule row looked at last (the one a message names), or NULL. */
const struct ast *override_schedule_call(const struct ast *v, const char *param,
                                         const struct sig **sig);

/* Applies entry (an AST_ENTRY parsed from one --set argument, in its own source) to the
 * train blocks of file; it is copied, not consumed. Unknown keys and parameters are
 * reported to d at the key's place in the command line, with "did you mean". Returns
 * false only when memory runs out. */
bool override_apply(struct ast *file, const struct ast *entry, struct diag *d);

/* A --set key without its block prefix: for "base.optimizer.lr", where train block
 * `base` exists, *block gets it and "optimizer.lr" is returned; otherwise *block is NULL
 * and key is returned as it is. */
const char *override_key(const struct ast *file, const char *key, const struct ast **block);

#endif
