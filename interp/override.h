/* override.h — `--set KEY=VALUE` applied to a parsed file, before fold and check. */
#ifndef DESCENT_OVERRIDE_H
#define DESCENT_OVERRIDE_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

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
