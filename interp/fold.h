/* fold.h — constant folding: `let` names replaced by their values, arithmetic on numbers
 * and calls of the math functions on numbers computed, at check time.
 *
 * For: turning `lr = base_lr * batch / 256` into a number before the checker looks at it.
 * Not for: deciding whether a value is allowed where it stands (check.c); names that are
 * not constants (`relu`, `mlp`, a minimize variable) are left as they are.
 */
#ifndef DESCENT_FOLD_H
#define DESCENT_FOLD_H

#include "ast.h"
#include "diag.h"

/* The file's `let`s so far, hashed by name (fold.c): what a lookup that reaches the
 * chain of lets consults instead of walking it. */
struct fold_lets;

/* The names in scope, innermost first. value NULL marks a name that is not a constant
 * (a minimize variable), which hides any outer constant of that name. */
struct fold_env {
	const char *name;            /* the name */
	const struct ast *value;     /* its folded value (not owned), or NULL */
	struct loc defined;          /* where it was defined, for notes */
	const struct fold_env *next; /* the enclosing names */
	const struct fold_lets *lets; /* on the file's lets: this one and all before it */
};

/* Folds node, which it consumes; returns the folded tree (NULL only when memory runs
 * out). Errors (division by zero, a result that is not a finite number) go to d. */
struct ast *fold_expr(struct ast *node, const struct fold_env *env, struct diag *d);

/* Folds every declaration of a file in order: each `let` is folded and then visible to
 * the declarations after it; inside a train block, `batch` and `epochs` also name that
 * block's values. Reports a `let` defined twice, a declaration that substitution made
 * too deep (it is then dropped), and every let, used or not, with a name that is not a
 * let above it, a block or a word of the language (a let defined later, a cycle of lets,
 * an undefined name; such a let becomes NaN, so its uses say nothing more). Returns false
 * when memory runs out. */
bool fold_file(struct ast *file, struct diag *d);

/* Looks name up in env; NULL if it is not there. */
const struct fold_env *fold_lookup(const struct fold_env *env, const char *name);

/* The math functions of LANGUAGE.md section 7, NULL-terminated. */
extern const char *const fold_functions[];
/* Applies the function `name` to x; false if name is not one of them. */
bool fold_apply(const char *name, double x, double *out);

#endif
