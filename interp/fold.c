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

#include "schema.h"

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
				ok = (default_batch = ast_num(block->loc, schema_param(schema_train_keys,
				                                                   "batch")->dflt)) != NULL;
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

/* ---- the names a let uses ----
 *
 * A let is folded where it stands, so each name in its value must be known there: a let
 * above it, a block of the file, or a word of the language (relu, adamw, standard...);
 * in arithmetic only a let can stand. A let that breaks this is reported once, at the
 * name, and becomes NaN, so its uses say nothing more: a let defined further down is
 * named with its place (or, when it leads back to this let, as a cycle), another name is
 * "not defined". Every let is checked, used or not.
 */

/* A named declaration: a let or a block, by name then place (sorted for lookups). */
struct decl_name {
	const char *name; /* its name */
	int index;        /* in the file's kids */
	bool let;         /* a let (else a block or minimize) */
};

/* What a let's names are resolved against. */
struct let_scope {
	const struct ast *file;       /* the whole file */
	const struct decl_name *decls; /* its named declarations, sorted */
	int ndecls;
	const struct fold_env *env;   /* the lets above the one being checked */
	int at;                       /* that let's index in the file */
	struct diag *d;
	int *seen;                    /* (file's kids) the search that last went through a let,
	                                 or CYCLE_REPORTED */
	int search;                   /* the current search's number */
	int visits;                   /* lets the current search went through */
};

static int compare_decls(const void *x, const void *y)
{
	const struct decl_name *a = x, *b = y;
	int by_name = strcmp(a->name, b->name);
	return by_name ? by_name : (a->index > b->index) - (a->index < b->index);
}

/* The first declaration named name in the sorted decls, or NULL. */
static const struct decl_name *first_decl(const struct let_scope *s, const char *name)
{
	int lo = 0, hi = s->ndecls;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (strcmp(s->decls[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->ndecls && strcmp(s->decls[lo].name, name) == 0 ? &s->decls[lo] : NULL;
}

/* The let named name that a let at index `from` would mean: the last one above it, else
 * the first at or below it; -1 if no let has that name. */
static int let_meant(const struct let_scope *s, const char *name, int from)
{
	const struct decl_name *d = first_decl(s, name), *end = s->decls + s->ndecls;
	int above = -1, below = -1;
	for (; d && d < end && strcmp(d->name, name) == 0; d++) {
		if (!d->let)
			continue;
		if (d->index < from)
			above = d->index;
		else if (below < 0)
			below = d->index;
	}
	return above >= 0 ? above : below;
}

/* Whether name is a block of the file. */
static bool is_block(const struct let_scope *s, const char *name)
{
	const struct decl_name *d = first_decl(s, name), *end = s->decls + s->ndecls;
	for (; d && d < end && strcmp(d->name, name) == 0; d++)
		if (!d->let)
			return true;
	return false;
}

static bool in_list(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

static bool in_params(const struct param *params, const char *name)
{
	for (; params->name; params++)
		if (in_list(params->choices, name))
			return true;
	return false;
}

/* Whether name is a word of the language a value may be: an optimizer, schedule, layer,
 * source, regularizer or sampler, a choice of some key, a metric, max or min. */
static bool is_word(const char *name)
{
	static const char *const extremes[] = {"max", "min", NULL};
	const struct sig *const tables[] = {schema_optimizers, schema_schedules, schema_layers,
	                                    schema_sources, schema_regularizers, schema_samplers,
	                                    schema_clips, schema_stops};
	const struct param *const keys[] = {schema_data_keys, schema_train_keys,
	                                    schema_sweep_keys, schema_minimize_keys};
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
		for (const struct sig *sig = tables[t]; sig->name; sig++)
			if (strcmp(sig->name, name) == 0 || in_params(sig->params, name))
				return true;
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (in_params(keys[k], name))
			return true;
	return in_list(schema_metrics, name) || in_list(extremes, name);
}

/* How far a cycle is looked for: through CYCLE_MAX lets in a row and SEARCH_MAX lets in
 * all; a longer one is reported as a let defined later. */
enum { CYCLE_MAX = 16, SEARCH_MAX = 256, CYCLE_REPORTED = -1 };

/* Whether the raw value of let `from` leads back, through the lets its names mean, to the
 * let s->at; the lets on the way go into path[depth...], *len the cycle's length. */
static bool leads_back(struct let_scope *s, const struct ast *node, int from, int *path,
                       int depth, int *len);

static bool let_leads_back(struct let_scope *s, int let, int *path, int depth, int *len)
{
	if (depth == CYCLE_MAX || s->seen[let] == s->search || s->visits++ == SEARCH_MAX)
		return false;
	s->seen[let] = s->search;
	path[depth] = let;
	return leads_back(s, s->file->kids[let]->a, let, path, depth + 1, len);
}

static bool leads_back(struct let_scope *s, const struct ast *node, int from, int *path,
                       int depth, int *len)
{
	if (!node)
		return false;
	if (node->kind == AST_NAME) {
		int meant = let_meant(s, node->str, from);
		if (meant == s->at) {
			*len = depth;
			return true;
		}
		return meant >= 0 && let_leads_back(s, meant, path, depth, len);
	}
	if (node->kind != AST_DURATION && leads_back(s, node->b, from, path, depth, len))
		return true;
	if (leads_back(s, node->a, from, path, depth, len))
		return true;
	for (int i = 0; i < node->nkids; i++)
		if (leads_back(s, node->kids[i], from, path, depth, len))
			return true;
	return false;
}

/* Reports name (a let at or below the current one): a cycle, or a let defined later. */
static void report_later(struct let_scope *s, const struct ast *name, int later)
{
	int path[CYCLE_MAX + 1], len = 0;
	s->search++;
	s->visits = 0;
	const char *self = s->file->kids[s->at]->str;
	const struct ast *def = s->file->kids[later];
	path[0] = s->at;
	if (later == s->at) {
		diag_error(s->d, name->loc, "'%s' is defined in terms of itself", self);
		diag_help(s->d, "a let can use only the lets defined above it");
		return;
	}
	if (let_leads_back(s, later, path, 1, &len)) {
		char cycle[512] = "";
		for (int i = 0; i <= len; i++)
			snprintf(cycle + strlen(cycle), sizeof cycle - strlen(cycle), "%s%s",
			         i ? " -> " : "", s->file->kids[path[i % len]]->str);
		diag_error(s->d, name->loc, "the lets %s form a cycle: none of them has a value", cycle);
		for (int i = 1; i < len; i++)
			s->seen[path[i]] = CYCLE_REPORTED; /* said once, here */
	} else {
		diag_error(s->d, name->loc, "'%s' is defined later, at %d:%d; a let can use only "
		           "the lets defined above it", name->str, def->name_loc.first_line,
		           def->name_loc.first_column);
	}
	diag_note(s->d, def->name_loc, "'%s' is defined here", def->str);
}

/* Reports a name that is no let at all: "not defined", with the closest let above. */
static void report_undefined(const struct let_scope *s, const struct ast *name, bool arithmetic)
{
	if (arithmetic && (is_block(s, name->str) || is_word(name->str))) {
		diag_error(s->d, name->loc, "'%s' is not a number; arithmetic takes numbers and the "
		           "lets that hold them", name->str);
		return;
	}
	const char *names[129];
	int n = 0;
	for (const struct fold_env *e = s->env; e && n < 128; e = e->next)
		names[n++] = e->name;
	names[n] = NULL;
	diag_error(s->d, name->loc, "'%s' is not defined", name->str);
	const char *close = diag_closest(name->str, names);
	if (close)
		diag_help(s->d, "did you mean '%s'?", close);
}

/* Checks the names of a let's raw value; arithmetic tells whether node is an operand of
 * + - * / ^, unary -, a math function or a range. Returns the errors reported. */
static int check_let_names(struct let_scope *s, const struct ast *node, bool arithmetic)
{
	if (!node)
		return 0;
	if (node->kind == AST_NAME) {
		if (fold_lookup(s->env, node->str))
			return 0;
		int later = let_meant(s, node->str, s->at);
		if (later >= 0)
			report_later(s, node, later);
		else if (arithmetic || !(is_block(s, node->str) || is_word(node->str)))
			report_undefined(s, node, arithmetic);
		else
			return 0;
		return 1;
	}
	bool operands = node->kind == AST_NEG || node->kind == AST_BINOP || node->kind == AST_RANGE
		|| (node->kind == AST_CALL && in_list(fold_functions, node->str));
	int errors = check_let_names(s, node->a, operands);
	if (node->kind != AST_DURATION) /* a duration's b is its unit, a word */
		errors += check_let_names(s, node->b, operands);
	for (int i = 0; i < node->nkids; i++)
		errors += check_let_names(s, node->kids[i], operands);
	return errors;
}

/* The file's lets and blocks by name, sorted (NULL when memory runs out). */
static struct decl_name *named_decls(const struct ast *file, int *n)
{
	struct decl_name *decls = malloc(((size_t)file->nkids + 1) * sizeof *decls);
	*n = 0;
	for (int i = 0; decls && i < file->nkids; i++) {
		const struct ast *decl = file->kids[i];
		if (decl->str && decl->kind != AST_NUM)
			decls[(*n)++] = (struct decl_name){decl->str, i, decl->kind == AST_LET};
	}
	if (decls)
		qsort(decls, (size_t)*n, sizeof *decls, compare_decls);
	return decls;
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
	struct let_scope scope = {file, NULL, 0, NULL, 0, d, NULL, 0, 0};
	struct decl_name *decls = named_decls(file, &scope.ndecls);
	scope.decls = decls;
	scope.seen = calloc((size_t)file->nkids + 1, sizeof *scope.seen);
	bool ok = lets && table.slots && decls && scope.seen;
	for (int i = 0; i < file->nkids && ok; i++) {
		struct ast *decl = file->kids[i];
		if (decl->kind == AST_LET) {
			const struct fold_env *old = fold_lookup(env, decl->str);
			if (old) {
				diag_error(d, decl->name_loc, "'%s' is already defined", decl->str);
				diag_note(d, old->defined, "'%s' is first defined here", decl->str);
			}
			scope.env = env;
			scope.at = i;
			if (scope.seen[i] == CYCLE_REPORTED || check_let_names(&scope, decl->a, false) > 0)
				ok = poison(&decl->a); /* reported; its name stays defined, as NaN */
			else
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
	free(decls);
	free(scope.seen);
	return ok;
}
