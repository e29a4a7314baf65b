/* check.h — everything `descent check` finds before anything runs: unknown names (with
 * "did you mean"), missing or repeated keys, wrong types, values out of range, schedules
 * that cannot be composed, references to undeclared blocks, and the teaching warnings of
 * LANGUAGE.md section 8.
 *
 * For: a folded file (fold.h); it reads the tree and changes nothing in it but one
 * annotation: each call it checks keeps its binding to its schema row (schema.h `struct
 * bound`), which the lowering reads instead of matching the arguments again. Not for:
 * syntax (parser.y) or anything that needs the data files (the lowering reads those).
 */
#ifndef DESCENT_CHECK_H
#define DESCENT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* What a checked file declares, for the summary line of `descent check`. */
struct check_summary {
	int lets, data, networks, trains, sweeps, minimizes; /* declarations of each kind */
};

/* Checks a folded file; reports to d and returns true when d holds no error (fold's
 * included: a value fold refused stands as NaN in the tree, and must not be lowered). */
bool check_file(const struct ast *file, struct diag *d, struct check_summary *summary);

/* Checks one schedule expression on its own (`descent schedule`); true when valid. */
bool check_schedule_expr(const struct ast *expr, struct diag *d);
/* Checks one optimizer call on its own (`descent explain`); true when valid. */
bool check_optimizer_expr(const struct ast *expr, struct diag *d);

/* The block of the given kind and name in file, or NULL. */
const struct ast *check_find_block(const struct ast *file, int block, const char *name);

/* The name of layer statement i of network block net: the one given, or the layer's kind
 * numbered among the layers of that kind before it ("dense2"). Into buf; returns buf. */
const char *check_layer_name(const struct ast *net, int i, char *buf, size_t size);

#endif
