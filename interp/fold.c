/* fold.c — constant folding (see fold.h).
 *
 * A fold that fails (division by zero, log of a negative number) reports the error and
 * leaves a NaN number in the tree: the checker takes NaN as "already reported" and says
 * nothing more about it, so one mistake gives one message.
 */
#include "fold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const fold_functions[] = {
	"sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", NULL,
};

bool fold_apply(const char *name, double x, double *out)
{
	static const struct { const char *name; double (*fn)(double); } table[] = {
		{"sin", sin}, {"cos", cos}, {"tan", tan}, {"exp", exp}, {"log", log},
		{"sqrt", sqrt}, {"abs", fabs}, {"tanh", tanh},
	};
	if (strcmp(name, "sigmoid") == 0) {
		*out = 1.0 / (1.0 + exp(-x));
		return true;
	}
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(name, table[i].name) == 0) {
			*out = table[i].fn(x);
			return true;
		}
	return false;
}

/* An open-addressing table of the lets defined so far: a name's latest definition. */
struct fold_lets {
	const struct fold_env **slots; /* (size), NULL where empty */
	size_t size;                   /* a power of two, at least twice the lets */
};

static size_t hash_name(const char *name)
{
	size_t h = 14695981039346656037u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211u;
	return h;
}

/* The slot of name: where it is, or the empty one where it would go. */
static const struct fold_env **lets_slot(const struct fold_lets *t, const char *name)
{
	size_t i = hash_name(name) & (t->size - 1);
	while (t->slots[i] && strcmp(t->slots[i]->name, name) != 0)
		i = (i + 1) & (t->size - 1);
	return &t->slots[i];
}

const struct fold_env *fold_lookup(const struct fold_env *env, const char *name)
{
	for (; env; env = env->next) {
		if (env->lets)
			return *lets_slot(env->lets, name);
		if (strcmp(env->name, name) == 0)
			return env;
	}
	return NULL;
}

/* Turns node into the number value, freeing its operands. */
static struct ast *become_number(struct ast *node, double value)
{
	ast_free(node->a);
	ast_free(node->b);
	for (int i = 0; i < node->nkids; i++)
		ast_free(node->kids[i]);
	node->nkids = 0;
	node->a = node->b = NULL;
	node->kind = AST_NUM;
	node->num = value;
	return node;
}

/* Like become_number, but a value that is not finite is reported (what says how it came
 * about) and becomes NaN. */
static struct ast *become_finite(struct ast *node, double value, const char *what,
                                 struct diag *d)
{
	if (!isfinite(value)) {
		diag_error(d, node->loc, "%s is not a finite number", what);
		value = NAN;
	}
	return become_number(node, value);
}

static struct ast *fold_binop(struct ast *node, struct diag *d)
{
	if (node->a->kind != AST_NUM || node->b->kind != AST_NUM)
		return node;
	double x = node->a->num, y = node->b->num;
	if (isnan(x) || isnan(y))
		return become_number(node, NAN);
	char what[96];
	snprintf(what, sizeof what, "%g %c %g", x, node->op, y);
	switch (node->op) {
	case '+': return become_finite(node, x + y, what, d);
	case '-': return become_finite(node, x - y, what, d);
	case '*': return become_finite(node, x * y, what, d);
	case '/':
		if (y == 0) {
			diag_error(d, node->b->loc, "division by zero");
			return become_number(node, NAN);
		}
		return become_finite(node, x / y, what, d);
	default:
		if (x < 0 && y != floor(y)) {
			diag_error(d, node->loc, "%g ^ %g is not a real number", x, y);
			return become_number(node, NAN);
		}
		return become_finite(node, pow(x, y), what, d);
	}
}

/* sin(0.5) and friends: a known function of one number. */
static struct ast *fold_call(struct ast *node, struct diag *d)
{
	if (node->nkids != 1 || node->kids[0]->kind != AST_NUM)
		return node;
	double x = node->kids[0]->num, value;
	if (!fold_apply(node->str, x, &value))
		return node;
	char what[96];
	snprintf(what, sizeof what, "%s(%g)", node->str, x);
	return isnan(x) ? become_number(node, NAN) : become_finite(node, value, what, d);
}

struct ast *fold_expr(struct ast *node, const struct fold_env *env, struct diag *d)
{
	if (!node)
		return NULL;
	if (node->kind == AST_NAME) {
		const struct fold_env *bound = fold_lookup(env, node->str);
		if (!bound || !bound->value)
			return node;
		struct ast *copy = ast_copy_at(bound->value, node->loc);
		ast_free(node);
		return copy;
	}
	if (node->a && !(node->a = fold_expr(node->a, env, d)))
		return NULL;
	/* a duration's unit (b) is a word, not a constant: `epochs` may also be a key */
	if (node->b && node->kind != AST_DURATION && !(node->b = fold_expr(node->b, env, d)))
		return NULL;
	for (int i = 0; i < node->nkids; i++)
		if (!(node->kids[i] = fold_expr(node->kids[i], env, d)))
			return NULL;
	switch (node->kind) {
	case AST_NEG:
		if (node->a->kind == AST_NUM)
			return become_number(node, -node->a->num);
		return node;
	case AST_BINOP:
		return fold_binop(node, d);
	case AST_CALL:
		return fold_call(node, d);
	default:
		return node;
	}
}

/* Folds the statements of a block; a train block first folds its `batch` and `epochs`,
 * which the others may then use by name. */
static bool fold_block(struct ast *block, const struct fold_env *lets, struct diag *d)
{
	static const char *const local_names[] = {"batch", "epochs"};
	struct fold_env locals[2];
	struct ast *first_pass[2] = {NULL, NULL};
	struct ast *default_batch = NULL;
	const struct fold_env *env = lets;
	bool ok = true;
	if (block->kind == AST_BLOCK && block->op == BLOCK_TRAIN) {
		for (int i = 0; i < 2 && ok; i++) {
			struct ast *entry = first_pass[i] = ast_entry(block, local_names[i]);
			if (entry)
				ok = (entry->a = fold_expr(entry->a, lets, d)) != NULL;
			else if (i == 0)
				ok = (default_batch = ast_num(block->loc, 32)) != NULL;
			else
				continue;
			locals[i] = (struct fold_env){local_names[i], entry ? entry->a : default_batch,
			                              entry ? entry->loc : block->loc, env};
			env = &locals[i];
		}
	}
	for (int i = 0; i < block->nkids && ok; i++) {
		struct ast *stmt = block->kids[i];
		if (stmt->a && stmt != first_pass[0] && stmt != first_pass[1])
			ok = (stmt->a = fold_expr(stmt->a, env, d)) != NULL;
	}
	ast_free(default_batch);
	return ok;
}

/* Folds a minimize block: its function, where the variables hide constants of the same
 * name, and its statements. */
static bool fold_minimize(struct ast *decl, const struct fold_env *lets, struct diag *d)
{
	struct fold_env *vars = calloc((size_t)decl->b->nkids + 1, sizeof *vars);
	if (!vars)
		return false;
	const struct fold_env *env = lets;
	for (int v = 0; v < decl->b->nkids; v++) {
		vars[v] = (struct fold_env){decl->b->kids[v]->str, NULL, decl->b->kids[v]->loc, env};
		env = &vars[v];
	}
	bool ok = (decl->a = fold_expr(decl->a, env, d)) != NULL && fold_block(decl, lets, d);
	free(vars);
	return ok;
}

/* Reports node if substitution made it deeper than the later passes take. */
static bool too_deep(const struct ast *node, struct diag *d)
{
	const struct ast *deep = ast_too_deep(node, 2 * AST_MAX_DEPTH);
	if (deep)
		diag_error(d, deep->loc, "this is nested too deeply once its constants are "
		           "substituted (more than %d levels)", 2 * AST_MAX_DEPTH);
	return deep != NULL;
}

/* Replaces *node by a NaN number at the same place: reported, nothing more to say. */
static bool poison(struct ast **node)
{
	struct loc at = (*node)->loc;
	ast_free(*node);
	*node = ast_num(at, NAN);
	return *node != NULL;
}

bool fold_file(struct ast *file, struct diag *d)
{
	struct fold_env *lets = calloc((size_t)file->nkids + 1, sizeof *lets);
	struct fold_lets table = {NULL, 2};
	while (table.size < 2 * ((size_t)file->nkids + 1))
		table.size *= 2;
	table.slots = calloc(table.size, sizeof *table.slots);
	const struct fold_env *env = NULL;
	bool ok = lets && table.slots;
	for (int i = 0; i < file->nkids && ok; i++) {
		struct ast *decl = file->kids[i];
		if (decl->kind == AST_LET) {
			const struct fold_env *old = fold_lookup(env, decl->str);
			if (old) {
				diag_error(d, decl->name_loc, "'%s' is already defined", decl->str);
				diag_note(d, old->defined, "'%s' is first defined here", decl->str);
			}
			ok = (decl->a = fold_expr(decl->a, env, d)) != NULL;
			if (ok && too_deep(decl->a, d))
				ok = poison(&decl->a); /* its name stays defined, as NaN */
			lets[i] = (struct fold_env){decl->str, decl->a, decl->name_loc, env, &table};
			env = &lets[i];
			*lets_slot(&table, decl->str) = env; /* a second definition takes the name */
		} else {
			ok = decl->kind == AST_MINIMIZE ? fold_minimize(decl, env, d)
				: fold_block(decl, env, d);
			if (ok && too_deep(decl, d))
				ok = poison(&file->kids[i]); /* check_file skips it */
		}
	}
	free(lets);
	free(table.slots);
	return ok;
}
