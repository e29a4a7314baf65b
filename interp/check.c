/* check.c — the checker of a folded .nn file (see check.h).
 *
 * It walks each declaration against the tables of schema.c. Values a fold already
 * reported (NaN numbers) are skipped silently. Teaching warnings, each with the
 * reason a student should know:
 *   l2 with an adaptive optimizer      (Loshchilov & Hutter 2019: prefer decoupled wd)
 *   adam(wd = ...)                     (that is AdamW; PyTorch's Adam(weight_decay) is l2)
 *   dropout as the last layer          (drops outputs the loss needs)
 *   batchnorm right after a biased dense (the mean subtraction cancels the bias)
 *   a schedule that reaches 0 early    (the rest of the run does not move)
 *   warmup longer than the run
 *   inv_time with power outside (1/2, 1] (Robbins-Monro conditions fail)
 *   momentum_schedule without momentum, decay_biases without decay, dropout that drops
 *   nothing, a cyclical min_lr above the peak.
 */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "optim.h"
#include "override.h"
#include "schedule.h"
#include "schema.h"
#include "train.h"

enum { MAX_NAMES = 128 };

/* A named declaration of the file and its place in it. */
struct named {
	const struct ast *decl;
	int index; /* in the file's kids */
};

struct checker {
	struct diag *d;         /* where reports go */
	const struct ast *file; /* the whole file, for references */
	bool steps_only;        /* inside minimize: durations in epochs make no sense */
	struct named *names;    /* its named blocks and minimizes by kind, name, place; or NULL */
	int nnames;
};

/* A length of time: steps plus epochs (not comparable with each other before the data
 * is known), or infinite. */
struct span {
	double steps, epochs; /* the two parts */
	bool infinite;        /* never ends */
};

/* What a schedule does over time, for the warnings. */
struct sched_facts {
	bool has_warmup;      /* a warmup segment exists */
	struct span warmup_end; /* when the last warmup ends */
	struct loc warmup_loc;  /* that warmup */
	bool reaches_zero;    /* the last segment ends at 0 and stays there */
	struct span zero_at;  /* when */
	struct loc zero_loc;  /* that segment */
	const struct ast *min_lr; /* a triangular schedule's min_lr, or NULL */
};

static struct span span_add(struct span a, struct span b)
{
	return (struct span){a.steps + b.steps, a.epochs + b.epochs, a.infinite || b.infinite};
}

/* -1, 0, 1 as a is shorter, equal or longer than b; 2 when they cannot be compared. */
static int span_cmp(struct span a, struct span b)
{
	if (a.infinite || b.infinite)
		return a.infinite && b.infinite ? 2 : a.infinite ? 1 : -1;
	double x, y;
	if (a.epochs == 0 && b.epochs == 0) {
		x = a.steps;
		y = b.steps;
	} else if (a.steps == 0 && b.steps == 0) {
		x = a.epochs;
		y = b.epochs;
	} else {
		return 2;
	}
	return x < y ? -1 : x > y;
}

static const char *span_text(struct span s, char *buf, size_t size)
{
	if (s.epochs == 0)
		snprintf(buf, size, "%g step%s", s.steps, s.steps == 1 ? "" : "s");
	else
		snprintf(buf, size, "%g epoch%s", s.epochs, s.epochs == 1 ? "" : "s");
	return buf;
}

/* ---- basic values ---- */

/* The `let` names of the file, for "did you mean" on an unknown name. */
static const char **let_names(const struct checker *ck, const char **names)
{
	int n = 0;
	for (int i = 0; i < ck->file->nkids && n < MAX_NAMES - 1; i++)
		if (ck->file->kids[i]->kind == AST_LET)
			names[n++] = ck->file->kids[i]->str;
	names[n] = NULL;
	return names;
}

/* The name that keeps v from being a value: v itself, or the first name in its
 * arithmetic (`nosuch * 2`); NULL if none. */
static const struct ast *unknown_name(const struct ast *v)
{
	if (v->kind == AST_NAME)
		return v;
	bool operands = v->kind == AST_NEG || v->kind == AST_BINOP;
	for (const char *const *f = fold_functions; v->kind == AST_CALL && *f; f++)
		operands |= strcmp(*f, v->str) == 0;
	const struct ast *found = operands && v->a ? unknown_name(v->a) : NULL;
	if (!found && operands && v->b)
		found = unknown_name(v->b);
	for (int i = 0; !found && operands && i < v->nkids; i++)
		found = unknown_name(v->kids[i]);
	return found;
}

/* The let named name, or NULL: one left unsubstituted is defined below its use. */
static const struct ast *let_named(const struct checker *ck, const char *name)
{
	for (int i = 0; i < ck->file->nkids; i++)
		if (ck->file->kids[i]->kind == AST_LET && strcmp(ck->file->kids[i]->str, name) == 0)
			return ck->file->kids[i];
	return NULL;
}

/* When v is a name that only a let defined below it gives a value, says so (true). */
static bool later_let(struct checker *ck, const char *key, const struct ast *v)
{
	const struct ast *let = v->kind == AST_NAME ? let_named(ck, v->str) : NULL;
	if (!let)
		return false;
	diag_error(ck->d, v->loc, "'%s' takes the let '%s', which is defined later, at %d:%d",
	           key, v->str, let->name_loc.first_line, let->name_loc.first_column);
	diag_help(ck->d, "a let can be used only below its definition: move it up");
	return true;
}

static void type_error(struct checker *ck, const char *key, const char *expected,
                       const struct ast *v)
{
	char found[96];
	const struct ast *name = unknown_name(v);
	const struct ast *later = name ? let_named(ck, name->str) : NULL;
	if (v->kind == AST_NUM && isnan(v->num))
		return; /* a let that was reported where it is defined */
	if (later) {
		diag_error(ck->d, name->loc, "'%s' expects %s; '%s' is defined later, at %d:%d",
		           key, expected, name->str, later->name_loc.first_line,
		           later->name_loc.first_column);
		diag_help(ck->d, "a let can be used only below its definition: move it up");
	} else if (name) {
		const char *names[MAX_NAMES];
		const char *close = diag_closest(name->str, let_names(ck, names));
		diag_error(ck->d, name->loc, "'%s' expects %s; '%s' is not defined", key, expected,
		           name->str);
		if (close)
			diag_help(ck->d, "did you mean '%s'?", close);
	} else {
		diag_error(ck->d, v->loc, "'%s' expects %s, found %s", key, expected,
		           ast_describe(v, found, sizeof found));
	}
}

/* The allowed range of p as words; for wide ranges only the side that x breaks. */
static const char *range_text(const struct param *p, double x, char *buf, size_t size)
{
	if (p->hi <= 1000 && p->lo > -INFINITY)
		snprintf(buf, size, "in %c%.15g, %.15g%c", p->lo_open ? '(' : '[', p->lo, p->hi,
		         p->hi_open ? ')' : ']');
	else if (x > p->hi || (p->hi_open && x == p->hi))
		snprintf(buf, size, "%s %.15g", p->hi_open ? "<" : "<=", p->hi);
	else
		snprintf(buf, size, "%s %.15g", p->lo_open ? ">" : ">=", p->lo);
	return buf;
}

static bool in_range(const struct param *p, double x)
{
	return (p->lo_open ? x > p->lo : x >= p->lo) && (p->hi_open ? x < p->hi : x <= p->hi);
}

static bool check_number(struct checker *ck, const struct param *p, const struct ast *v)
{
	bool whole = p->type == T_INT;
	if (v->kind != AST_NUM) {
		type_error(ck, p->name, whole ? "a whole number" : "a number", v);
		return false;
	}
	if (isnan(v->num))
		return false;
	char range[64];
	if (whole && v->num != floor(v->num)) {
		diag_error(ck->d, v->loc, "'%s' must be a whole number, not %g", p->name, v->num);
		return false;
	}
	if (!in_range(p, v->num)) {
		diag_error(ck->d, v->loc, "'%s' must be %s, not %g", p->name,
		           range_text(p, v->num, range, sizeof range), v->num);
		return false;
	}
	return true;
}

static bool check_kind(struct checker *ck, const struct param *p, const struct ast *v,
                       enum ast_kind kind, const char *expected)
{
	if (v->kind == kind)
		return true;
	type_error(ck, p->name, expected, v);
	return false;
}

static bool check_choice(struct checker *ck, const struct param *p, const struct ast *v)
{
	if (v->kind == AST_NAME)
		for (const char *const *c = p->choices; *c; c++)
			if (strcmp(*c, v->str) == 0)
				return true;
	if (later_let(ck, p->name, v))
		return false;
	char list[160] = "";
	for (const char *const *c = p->choices; *c; c++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		         c == p->choices ? "" : ", ", *c);
	if (v->kind != AST_NAME) {
		type_error(ck, p->name, "a name", v);
	} else {
		const char *close = diag_closest(v->str, p->choices);
		diag_error(ck->d, v->loc, "unknown %s '%s'", p->name, v->str);
		if (close) {
			diag_help(ck->d, "did you mean '%s'?", close);
			return false;
		}
	}
	diag_help(ck->d, "'%s' is one of: %s", p->name, list);
	return false;
}

/* A duration: `N steps`, `N epochs`, or a whole number of steps; its span in *out. */
static bool check_duration(struct checker *ck, const char *key, const struct ast *v,
                           struct span *out)
{
	static const char *const units[] = {"steps", "epochs", NULL}; /* for suggestions */
	*out = (struct span){0};
	const struct ast *count = v->kind == AST_DURATION ? v->a : v;
	if (count->kind != AST_NUM) {
		type_error(ck, key, "a duration (N steps or N epochs)", v);
		return false;
	}
	if (isnan(count->num))
		return false;
	bool epochs = false;
	if (v->kind == AST_DURATION) {
		const char *unit = v->b->str;
		if (strcmp(unit, "epochs") == 0 || strcmp(unit, "epoch") == 0) {
			epochs = true;
		} else if (strcmp(unit, "steps") != 0 && strcmp(unit, "step") != 0) {
			const char *close = diag_closest(unit, units);
			diag_error(ck->d, v->b->loc, "unknown unit '%s'", unit);
			diag_help(ck->d, close ? "did you mean '%s'?" : "a duration is N steps or N epochs",
			          close);
			return false;
		}
	}
	if (epochs && ck->steps_only) {
		diag_error(ck->d, v->loc, "a minimize block has no epochs; give '%s' in steps", key);
		return false;
	}
	if (count->num <= 0 || (!epochs && count->num != floor(count->num))) {
		diag_error(ck->d, count->loc, "'%s' must be %s, not %g", key,
		           epochs ? "a positive number of epochs" : "a positive whole number of steps",
		           count->num);
		return false;
	}
	*out = epochs ? (struct span){0, count->num, false} : (struct span){count->num, 0, false};
	return true;
}

/* An increasing list of durations (multistep milestones). */
static bool check_durations(struct checker *ck, const struct param *p, const struct ast *v)
{
	if (!check_kind(ck, p, v, AST_LIST, "a list of durations"))
		return false;
	bool ok = true;
	struct span prev = {0}, now;
	for (int i = 0; i < v->nkids; i++) {
		if (!check_duration(ck, p->name, v->kids[i], &now)) {
			ok = false;
			continue;
		}
		if (i > 0 && span_cmp(now, prev) != 1 && span_cmp(now, prev) != 2) {
			diag_error(ck->d, v->kids[i]->loc, "the milestones of '%s' must increase",
			           p->name);
			ok = false;
		}
		prev = now;
	}
	return ok;
}

static bool check_pair(struct checker *ck, const struct param *p, const struct ast *v)
{
	if (v->kind != AST_TUPLE || v->nkids != 2) {
		type_error(ck, p->name, "a pair (b1, b2)", v);
		return false;
	}
	return check_number(ck, p, v->kids[0]) & check_number(ck, p, v->kids[1]);
}

/* A size of a conv or a pool: a whole number or a pair (h, w) in p's range, or one of
 * p's choices (padding = same). */
static bool check_size2(struct checker *ck, const struct param *p, const struct ast *v)
{
	struct param whole = *p;
	whole.type = T_INT;
	if (p->choices && v->kind == AST_NAME)
		return check_choice(ck, p, v);
	if (v->kind == AST_TUPLE && v->nkids == 2)
		return check_number(ck, &whole, v->kids[0]) & check_number(ck, &whole, v->kids[1]);
	if (v->kind == AST_NUM)
		return check_number(ck, &whole, v);
	type_error(ck, p->name, p->choices ? "a whole number, a pair (h, w) or same"
	           : "a whole number or a pair (h, w)", v);
	return false;
}

static bool check_column(struct checker *ck, const struct param *p, const struct ast *v)
{
	if (v->kind == AST_STR)
		return true;
	static const struct param index = {"label", T_INT, .lo = 0, .hi = 1e9};
	if (v->kind == AST_NUM)
		return check_number(ck, &index, v);
	if (v->kind == AST_LIST && v->nkids > 0) { /* several targets (targets = values) */
		bool ok = true;
		for (int i = 0; i < v->nkids; i++) {
			const struct ast *column = v->kids[i];
			if (column->kind == AST_LIST) /* no lists in the list */
				type_error(ck, p->name, "a column name or index", column);
			ok = column->kind != AST_LIST && check_column(ck, p, column) && ok;
		}
		return ok;
	}
	type_error(ck, p->name, "a column name (a string) or a 0-based column index, or a list "
	           "of them", v);
	return false;
}

/* ---- calls ---- */

/* Checks a call (or a bare name) against table; fills vals and returns its entry, or
 * NULL if the name is unknown. what names the table in messages ("optimizer"). */
static bool check_value(struct checker *ck, const struct param *p, const struct ast *v);

static const struct sig *check_call(struct checker *ck, const struct sig *table, const char *what,
                                    const struct ast *v, const struct ast *vals[SIG_MAX_PARAMS])
{
	if (v->kind != AST_NAME && v->kind != AST_CALL) {
		char expected[64];
		snprintf(expected, sizeof expected, "%s %s", strchr("aeiou", what[0]) ? "an" : "a",
		         what);
		type_error(ck, what, expected, v);
		return NULL;
	}
	const struct sig *sig = schema_find(table, v->str);
	if (!sig && later_let(ck, what, v))
		return NULL;
	if (!sig) {
		const char *names[MAX_NAMES];
		const char *close = diag_closest(v->str, schema_sig_names(table, names, MAX_NAMES));
		diag_error(ck->d, v->name_loc, "unknown %s '%s'", what, v->str);
		if (close)
			diag_help(ck->d, "did you mean '%s'?", close);
		if (table == schema_layers || table == schema_optimizers || table == schema_schedules)
			diag_help(ck->d, "'descent help %ss' lists them all, with their parameters", what);
		return NULL;
	}
	schema_bind(sig, v, vals, ck->d);
	for (int i = 0; sig->params[i].name; i++)
		if (vals[i])
			check_value(ck, &sig->params[i], vals[i]);
	return sig;
}

/* The optimizer's rules beyond single values; returns its entry and bound values. */
static const struct sig *check_optimizer(struct checker *ck, const struct ast *v,
                                         const struct ast *vals[SIG_MAX_PARAMS])
{
	const struct sig *sig = check_call(ck, schema_optimizers, "optimizer", v, vals);
	if (!sig)
		return NULL;
	if (sig->kind == OPT_SGD && schema_number(sig, vals, "nesterov") != 0
	    && (schema_number(sig, vals, "momentum") <= 0
	        || schema_number(sig, vals, "dampening") != 0)) {
		diag_error(ck->d, v->loc, "nesterov needs momentum > 0 and dampening = 0");
		diag_help(ck->d, "as in PyTorch: sgd(lr = 0.1, momentum = 0.9, nesterov = true)");
	}
	int betas = schema_index(sig, "betas");
	if (betas >= 0 && vals[betas]
	    && (vals[schema_index(sig, "beta1")] || vals[schema_index(sig, "beta2")])) {
		diag_error(ck->d, vals[betas]->loc, "give 'betas' or 'beta1'/'beta2', not both");
	}
	int wd = schema_index(sig, "wd");
	if (sig->decoupled && vals[wd] && vals[wd]->kind == AST_NUM && vals[wd]->num > 0) {
		diag_warning(ck->d, vals[wd]->loc, "%s(wd = ...) is decoupled weight decay, which "
		             "makes it %s", sig->name, sig->decoupled);
		diag_help(ck->d, "write adamw(...) to say so; PyTorch's Adam(weight_decay = λ) is "
		                 "adam() with regularize = l2(λ)");
	}
	return sig;
}

/* The length of a schedule call that has one (warmup's duration, cosine's total). */
static struct span call_length(struct checker *ck, const struct sig *sig,
                               const struct ast *const vals[SIG_MAX_PARAMS])
{
	struct span len = {0, 0, true};
	int at = sig->length ? schema_index(sig, sig->length) : -1;
	struct diag quiet = {.out = NULL}; /* counted, not printed: reported already */
	struct checker silent = {&quiet, ck->file, ck->steps_only};
	if (at >= 0 && vals[at] && !check_duration(&silent, sig->length, vals[at], &len))
		len.infinite = true;
	return len;
}

/* Whether a schedule call's last value is 0: its row's zero_end parameter (cosine's
 * eta_min, poly's end, linear's end_factor) is 0. */
static bool ends_at_zero(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS])
{
	return sig->zero_end && schema_number(sig, vals, sig->zero_end) == 0;
}

static bool check_schedule_call(struct checker *ck, const struct ast *v, struct span at,
                                struct sched_facts *f, struct span *len)
{
	const struct ast *vals[SIG_MAX_PARAMS];
	int errors = ck->d->errors;
	const struct sig *sig = check_call(ck, schema_schedules, "schedule", v, vals);
	*len = (struct span){0, 0, true};
	if (!sig || ck->d->errors > errors)
		return false;
	*len = call_length(ck, sig, vals);
	f->reaches_zero = ends_at_zero(sig, vals);
	if (f->reaches_zero) {
		f->zero_at = span_add(at, *len);
		f->zero_loc = v->loc;
	}
	if (sig->kind == SCHED_WARMUP) {
		f->has_warmup = true;
		f->warmup_end = span_add(at, *len);
		f->warmup_loc = v->loc;
	}
	if (sig->kind == SCHED_TRIANGULAR)
		f->min_lr = vals[schema_index(sig, "min_lr")];
	double power = schema_number(sig, vals, "power");
	if (sig->kind == SCHED_INV_TIME && !(power > 0.5 && power <= 1)) {
		diag_warning(ck->d, v->loc, "inv_time with power = %g does not meet Robbins-Monro's "
		             "conditions (sum of rates infinite, sum of squares finite)", power);
		diag_help(ck->d, "those need 1/2 < power <= 1");
	}
	return true;
}

/* Checks a schedule expression starting at time at; *len is its length. */
static bool check_schedule(struct checker *ck, const struct ast *v, struct span at,
                           struct sched_facts *f, struct span *len)
{
	struct span first, second;
	bool ok;
	switch (v->kind) {
	case AST_THEN:
		ok = check_schedule(ck, v->a, at, f, &first);
		if (ok && first.infinite) {
			char text[256] = "";
			if (v->a->kind == AST_NAME || v->a->kind == AST_CALL)
				snprintf(text, sizeof text, "'%s' ", v->a->str);
			diag_error(ck->d, v->a->loc, "the schedule %shas no length, so 'then' cannot "
			           "tell when to switch", text);
			diag_help(ck->d, "give it one with 'for': ... for 10 epochs");
			ok = false;
		}
		ok &= check_schedule(ck, v->b, span_add(at, first), f, &second);
		*len = span_add(first, second);
		return ok;
	case AST_FOR:
		ok = check_schedule(ck, v->a, at, f, &first);
		ok &= check_duration(ck, "for", v->b, len);
		if (f->reaches_zero && span_cmp(*len, first) != 1)
			f->reaches_zero = false; /* cut before it gets there */
		return ok;
	case AST_NAME:
	case AST_CALL:
		return check_schedule_call(ck, v, at, f, len);
	default:
		type_error(ck, "schedule", "a schedule", v);
		*len = (struct span){0, 0, true};
		return false;
	}
}

/* ---- references ---- */

const struct ast *check_find_block(const struct ast *file, int block, const char *name)
{
	for (int i = 0; i < file->nkids; i++) {
		const struct ast *decl = file->kids[i];
		if (decl->kind == AST_BLOCK && decl->op == block && decl->str
		    && strcmp(decl->str, name) == 0)
			return decl;
	}
	return NULL;
}

/* Whether n comes before (< 0), with (0) or after (> 0) declarations of that kind, block
 * and name. */
static int order(const struct named *n, int kind, int block, const char *name)
{
	if ((int)n->decl->kind != kind)
		return (int)n->decl->kind < kind ? -1 : 1;
	if (n->decl->op != block)
		return n->decl->op < block ? -1 : 1;
	return strcmp(n->decl->str, name);
}

/* Orders declarations by kind, block, name, then place in the file. */
static int compare_named(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int by_name = order(a, (int)b->decl->kind, b->decl->op, b->decl->str);
	return by_name ? by_name : (a->index > b->index) - (a->index < b->index);
}

/* The checker's index of named declarations (sorted; left NULL if memory runs out, and
 * the lookups then scan the file). */
static void index_names(struct checker *ck)
{
	ck->names = malloc((size_t)(ck->file->nkids + 1) * sizeof *ck->names);
	ck->nnames = 0;
	for (int i = 0; ck->names && i < ck->file->nkids; i++) {
		const struct ast *decl = ck->file->kids[i];
		if (decl->str && (decl->kind == AST_BLOCK || decl->kind == AST_MINIMIZE))
			ck->names[ck->nnames++] = (struct named){decl, i};
	}
	if (ck->names)
		qsort(ck->names, (size_t)ck->nnames, sizeof *ck->names, compare_named);
}

/* The first block of kind `block` named name, through the index: check_find_block in
 * O(log n), so that a file of thousands of blocks checks in linear time. */
static const struct ast *find_block(const struct checker *ck, int block, const char *name)
{
	if (!ck->names)
		return check_find_block(ck->file, block, name);
	int lo = 0, hi = ck->nnames; /* the first entry not before the name */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (order(&ck->names[mid], AST_BLOCK, block, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ck->nnames && order(&ck->names[lo], AST_BLOCK, block, name) == 0
		? ck->names[lo].decl : NULL;
}

static bool check_reference(struct checker *ck, const struct param *p, const struct ast *v,
                            int block)
{
	const char *kind = ast_block_name(block);
	if (v->kind == AST_NAME && find_block(ck, block, v->str))
		return true;
	if (later_let(ck, p->name, v))
		return false;
	if (v->kind != AST_NAME) {
		char expected[64];
		snprintf(expected, sizeof expected, "the name of a %s block", kind);
		type_error(ck, p->name, expected, v);
		return false;
	}
	const char *names[MAX_NAMES];
	int n = 0;
	for (int i = 0; i < ck->file->nkids && n < MAX_NAMES - 1; i++) {
		const struct ast *decl = ck->file->kids[i];
		if (decl->kind == AST_BLOCK && decl->op == block && decl->str)
			names[n++] = decl->str;
	}
	names[n] = NULL;
	diag_error(ck->d, v->loc, "no %s block is named '%s'", kind, v->str);
	const char *close = diag_closest(v->str, names);
	if (close)
		diag_help(ck->d, "did you mean '%s'?", close);
	else if (n == 0)
		diag_help(ck->d, "declare one: %s %s { ... }", kind, v->str);
	return false;
}

/* `max NAME` or `min NAME`: the parser reads it as a duration with unit NAME. */
static bool check_metric(struct checker *ck, const struct param *p, const struct ast *v)
{
	if (v->kind != AST_DURATION || v->a->kind != AST_NAME
	    || (strcmp(v->a->str, "max") != 0 && strcmp(v->a->str, "min") != 0)) {
		type_error(ck, p->name, "'max NAME' or 'min NAME'", v);
		return false;
	}
	for (const char *const *m = schema_metrics; *m; m++)
		if (strcmp(*m, v->b->str) == 0)
			return true;
	const char *close = diag_closest(v->b->str, schema_metrics);
	diag_error(ck->d, v->b->loc, "unknown metric '%s'", v->b->str);
	if (close) {
		diag_help(ck->d, "did you mean '%s'?", close);
		return false;
	}
	char list[512];
	size_t used = 0;
	for (const char *const *m = schema_metrics; *m && used < sizeof list; m++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", m == schema_metrics
		                         ? "" : m[1] ? ", " : " and ", *m);
	diag_help(ck->d, "the metrics are %s", list);
	return false;
}

static bool check_value(struct checker *ck, const struct param *p, const struct ast *v)
{
	const struct ast *vals[SIG_MAX_PARAMS];
	struct sched_facts facts = {0};
	struct span span;
	switch (p->type) {
	case T_NUM: case T_INT: return check_number(ck, p, v);
	case T_BOOL: return check_kind(ck, p, v, AST_BOOL, "true or false");
	case T_STR: return check_kind(ck, p, v, AST_STR, "a string");
	case T_DUR: return check_duration(ck, p->name, v, &span);
	case T_DURS: return check_durations(ck, p, v);
	case T_CHOICE: return check_choice(ck, p, v);
	case T_PAIR: return check_pair(ck, p, v);
	case T_SIZE2: return check_size2(ck, p, v);
	case T_COLUMN: return check_column(ck, p, v);
	case T_OPTIM: return check_optimizer(ck, v, vals) != NULL;
	case T_OPTIMS:
		if (v->kind != AST_LIST)
			return check_optimizer(ck, v, vals) != NULL;
		if (v->nkids == 0)
			diag_error(ck->d, v->loc, "an empty list of optimizers");
		for (int i = 0; i < v->nkids; i++)
			check_optimizer(ck, v->kids[i], vals);
		return v->nkids > 0;
	case T_SCHED: return check_schedule(ck, v, (struct span){0}, &facts, &span);
	case T_REG: return check_call(ck, schema_regularizers, "regularizer", v, vals) != NULL;
	case T_CLIP: return check_call(ck, schema_clips, "clipping", v, vals) != NULL;
	case T_STOP: return check_call(ck, schema_stops, "stopping rule", v, vals) != NULL;
	case T_SOURCE: return check_call(ck, schema_sources, "data source", v, vals) != NULL;
	case T_NETWORK: return check_reference(ck, p, v, BLOCK_NETWORK);
	case T_DATA: return check_reference(ck, p, v, BLOCK_DATA);
	case T_TRAIN: return check_reference(ck, p, v, BLOCK_TRAIN);
	case T_METRIC: return check_metric(ck, p, v);
	case T_POINTS: return true; /* needs the variables: check_minimize */
	case T_LOSS:
		return v->kind == AST_CALL ? check_call(ck, schema_losses, "loss", v, vals) != NULL
			: check_choice(ck, p, v);
	}
	return false;
}

/* ---- blocks ---- */

/* Words for a block in messages: "train 'baseline'", "sweep". */
static const char *block_words(const struct ast *block, char *buf, size_t size)
{
	const char *kind = block->kind == AST_MINIMIZE ? "minimize" : ast_block_name(block->op);
	if (block->str)
		snprintf(buf, size, "%s '%s'", kind, block->str);
	else
		snprintf(buf, size, "the %s block", kind);
	return buf;
}

/* For a key whose string is a file's path (one a block writes, or reads weights from),
 * an example of one; NULL for other keys. */
static const char *path_example(const char *key)
{
	static const char *const examples[][2] = {
		{"log", "runs/a.jsonl"}, {"save", "runs/a.safetensors"}, {"plot", "runs/a.svg"},
		{"checkpoint", "runs/a.ckpt"}, {"trace", "runs/a.csv"},
		{"save_best", "runs/best.safetensors"},
		{"load", "runs/a.safetensors"}, {"out", "runs/sweep"},
	};
	for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
		if (strcmp(examples[i][0], key) == 0)
			return examples[i][1];
	return NULL;
}

/* An empty path names no file: refused here, not when the run first writes. */
static void check_path(struct checker *ck, const struct param *p, const struct ast *v)
{
	const char *example = path_example(p->name);
	if (v->kind != AST_STR || v->str[0] != '\0' || !example)
		return;
	diag_error(ck->d, v->loc, "'%s' is an empty path", p->name);
	diag_help(ck->d, "give a path, as in %s = \"%s\", or leave the key out", p->name,
	          example);
}

/* Checks the `key = value` entries of a block against keys; vals[i] is the value of
 * keys[i] or NULL. Axes (`KEY in ...`) are left to the caller when axes is true. The
 * key "schedule" is checked with its facts into *facts. */
static void check_entries(struct checker *ck, const struct ast *block, const struct param *keys,
                          const struct ast **vals, bool axes, struct sched_facts *facts)
{
	char words[128];
	int nkeys = 0;
	while (keys[nkeys].name)
		vals[nkeys++] = NULL;
	for (int i = 0; i < block->nkids; i++) {
		const struct ast *stmt = block->kids[i];
		if (stmt->kind == AST_AXIS && axes)
			continue;
		if (stmt->kind != AST_ENTRY) {
			diag_error(ck->d, stmt->loc, "expected 'key = value' in %s",
			           block_words(block, words, sizeof words));
			if (stmt->kind == AST_AXIS)
				diag_help(ck->d, "'%s in ...' lists values to try; it belongs in a sweep",
				          stmt->str);
			continue;
		}
		const struct param *p = schema_param(keys, stmt->str);
		if (!p) {
			const char *names[MAX_NAMES];
			const char *close = diag_closest(stmt->str,
			                                 schema_param_names(keys, names, MAX_NAMES));
			diag_error(ck->d, stmt->name_loc, "unknown key '%s' in %s", stmt->str,
			           block_words(block, words, sizeof words));
			if (close)
				diag_help(ck->d, "did you mean '%s'?", close);
			else if (override_split(stmt->str).target != KEY_TRAIN)
				diag_help(ck->d, "dotted keys reach into a value in sweeps and --set only");
			continue;
		}
		int at = (int)(p - keys);
		if (vals[at]) {
			diag_error(ck->d, stmt->name_loc, "'%s' is set twice", stmt->str);
			for (int j = 0; j < i; j++)
				if (block->kids[j]->kind == AST_ENTRY && block->kids[j]->a == vals[at])
					diag_note(ck->d, block->kids[j]->loc, "first set here");
			continue;
		}
		vals[at] = stmt->a;
		struct span len;
		if (p->type == T_SCHED && facts && strcmp(p->name, "schedule") == 0)
			check_schedule(ck, stmt->a, (struct span){0}, facts, &len);
		else if (check_value(ck, p, stmt->a))
			check_path(ck, p, stmt->a);
	}
	for (int i = 0; i < nkeys; i++)
		if (keys[i].required && !vals[i]) {
			diag_error(ck->d, block->name_loc, "%s needs '%s'",
			           block_words(block, words, sizeof words), keys[i].name);
			diag_help(ck->d, "add a line '%s = ...'", keys[i].name);
		}
}

static const struct ast *key_value(const struct param *keys, const struct ast *const *vals,
                                   const char *name)
{
	return vals[schema_param(keys, name) - keys];
}

/* The schedule warnings that need the run's length. */
static void warn_schedule(struct checker *ck, const struct sched_facts *f, struct span run,
                          double lr)
{
	char a[64], b[64];
	if (f->has_warmup && span_cmp(f->warmup_end, run) == 1)
		diag_warning(ck->d, f->warmup_loc, "the warmup lasts %s, longer than the run (%s)",
		             span_text(f->warmup_end, a, sizeof a), span_text(run, b, sizeof b));
	if (f->reaches_zero && span_cmp(f->zero_at, run) == -1) {
		diag_warning(ck->d, f->zero_loc, "the learning rate reaches 0 after %s and stays "
		             "there; the run lasts %s", span_text(f->zero_at, a, sizeof a),
		             span_text(run, b, sizeof b));
		diag_help(ck->d, "updates with a rate of 0 change nothing: end the schedule with the "
		          "run, or give it a floor (eta_min, end, end_factor)");
	}
	if (f->min_lr && f->min_lr->kind == AST_NUM && f->min_lr->num >= lr)
		diag_warning(ck->d, f->min_lr->loc, "min_lr = %g is not below the optimizer's lr = %g; "
		             "the cycle runs upside down", f->min_lr->num, lr);
}

/* Warnings on an optimizer with the train or minimize keys around it. */
static void warn_optimizer(struct checker *ck, const struct ast *opt, const struct ast *reg,
                           const struct ast *momentum_schedule)
{
	const struct bound *b = opt->kind == AST_CALL || opt->kind == AST_NAME
		? schema_bound(schema_optimizers, opt) : NULL;
	if (!b)
		return;
	const struct sig *sig = b->sig;
	if (reg && (sig->flags & SIG_ADAPTIVE)) {
		diag_warning(ck->d, reg->loc, "l2 with %s: the penalty's gradient is divided by the "
		             "adaptive scale, so large weights are decayed less", sig->name);
		diag_help(ck->d, "prefer decoupled weight decay, %s(wd = ...) (Loshchilov & Hutter 2019)",
		          sig->decoupled ? sig->decoupled : sig->name);
	}
	if (momentum_schedule && schema_momentum(b) == 0)
		diag_warning(ck->d, momentum_schedule->loc, "momentum_schedule has no effect: %s has "
		             "no momentum", sig->name);
}

static double optimizer_lr(const struct ast *opt)
{
	const struct bound *b = opt->kind == AST_CALL || opt->kind == AST_NAME
		? schema_bound(schema_optimizers, opt) : NULL;
	return b ? schema_number(b->sig, b->vals, "lr") : NAN;
}

/* batch = 1 with a batchnorm layer in the network: batchnorm needs more than one value
 * per feature in a training batch (PyTorch refuses it too). The last batch of one row
 * depends on the data, and lower_train.c refuses it once the data is loaded. */
static void check_batchnorm_batch(struct checker *ck, const struct ast *batch,
                                  const struct ast *network)
{
	const struct ast *net = network && network->kind == AST_NAME
		? find_block(ck, BLOCK_NETWORK, network->str) : NULL;
	if (!net || !batch || batch->kind != AST_NUM || batch->num != 1)
		return;
	for (int i = 0; i < net->nkids; i++) {
		const struct ast *layer = net->kids[i]->a;
		const struct sig *sig = net->kids[i]->kind == AST_LAYER && layer && layer->str
			? schema_find(schema_layers, layer->str) : NULL;
		if (!sig || sig->op != IR_BATCHNORM)
			continue;
		diag_error(ck->d, batch->loc, "batch = 1 gives batchnorm one row per training batch, "
		           "and it needs more than one value per feature");
		diag_note(ck->d, layer->loc, "the batchnorm layer of network '%s'", net->str);
		diag_help(ck->d, "use batch = 2 or more, or remove the batchnorm layer");
		return;
	}
}

/* Whether data block `data` (checked) says targets = values. */
static bool values_data(const struct ast *data)
{
	const struct ast *t = data ? ast_value(data, "targets") : NULL;
	return t && t->kind == AST_NAME && strcmp(t->str, "values") == 0;
}

/* A metric its run never has, by the data's targets (an accuracy under targets = values,
 * a regression metric with class labels): an error at at, naming it as `what` says ("",
 * or "the default metric "). */
static void check_metric_targets(struct checker *ck, const struct ast *data, const char *metric,
                                 struct loc at, const char *what)
{
	int index = train_metric_find(metric);
	if (!data || index < 0)
		return;
	enum train_targets targets = train_metric_table[index].targets;
	if (values_data(data) && targets == TRAIN_FOR_CLASSES) {
		diag_error(ck->d, at, "%s'%s' is an accuracy, and data '%s' has targets = values "
		           "(regression)", what, metric, data->str);
		diag_help(ck->d, "a regression run has *_loss, *_rmse, *_mae and *_r2: e.g. "
		          "min val_rmse or max val_r2");
	} else if (!values_data(data) && targets == TRAIN_FOR_VALUES) {
		diag_error(ck->d, at, "%s'%s' is a regression metric, and data '%s' has class labels",
		           what, metric, data->str);
		diag_help(ck->d, "with classes: *_loss or *_acc, e.g. max val_acc");
	}
}

/* The data block a checked train block names, or NULL. */
static const struct ast *train_data(struct checker *ck, const struct ast *train)
{
	const struct ast *name = ast_value(train, "data");
	return name && name->kind == AST_NAME ? find_block(ck, BLOCK_DATA, name->str) : NULL;
}

/* A metric measured on a set the train block's data does not have (a val_ metric
 * without a validation split, a test_ one without test data) could never be watched:
 * an error at at, saying what uses it (`what`). */
static void check_metric_set(struct checker *ck, const struct ast *train, const char *metric,
                             struct loc at, const char *what)
{
	const struct ast *data = train_data(ck, train);
	int index = train_metric_find(metric);
	if (!data || index < 0)
		return;
	check_metric_targets(ck, data, metric, at, "");
	enum train_set set = train_metric_table[index].set;
	const struct ast *split = ast_value(data, "validation");
	if (set == TRAIN_SET_VAL && !(split && split->kind == AST_NUM && split->num > 0)) {
		diag_error(ck->d, at, "%s watches '%s', which needs a validation split", what, metric);
		diag_help(ck->d, "set 'validation = 0.1' in data '%s'", data->str);
	} else if (set == TRAIN_SET_TEST && !ast_value(data, "test")) {
		diag_error(ck->d, at, "%s watches '%s', but data '%s' has no test set", what, metric,
		           data->str);
		diag_help(ck->d, "add 'test = ...' to data '%s', or watch a val_ metric", data->str);
	}
}

/* The rules of clip, stop, save_best and best beyond single values: their metrics need
 * the sets they are measured on (an error, for best with or without save_best); best
 * without save_best does nothing (a warning). */
static void check_watching(struct checker *ck, const struct ast *train, const struct ast *stop,
                           const struct ast *save_best, const struct ast *best)
{
	const struct bound *b = stop && (stop->kind == AST_CALL || stop->kind == AST_NAME)
		? schema_bound(schema_stops, stop) : NULL;
	const struct ast *metric = b ? b->vals[schema_index(b->sig, "metric")] : NULL;
	if (metric && metric->kind == AST_DURATION)
		check_metric_set(ck, train, metric->b->str, metric->loc, "stop");
	if (best && best->kind == AST_DURATION) /* impossible even without save_best */
		check_metric_set(ck, train, best->b->str, best->loc, "best");
	else if (save_best && !best)
		check_metric_set(ck, train, "val_loss", save_best->loc,
		                 "save_best (by best's default, min val_loss)");
	if (best && !save_best)
		diag_warning(ck->d, best->loc, "best has no effect without save_best");
}

/* The loss against the data's targets (LANGUAGE.md section 3): cross_entropy and bce need
 * classes, mae and huber values; with values, a last softmax makes no sense. */
static void check_loss_targets(struct checker *ck, const struct ast *train,
                               const struct ast *loss, const struct ast *data_name,
                               const struct ast *network)
{
	const struct ast *data = data_name && data_name->kind == AST_NAME
		? find_block(ck, BLOCK_DATA, data_name->str) : NULL;
	const char *name = loss && (loss->kind == AST_NAME || loss->kind == AST_CALL) ? loss->str
		: "cross_entropy";
	const struct sig *sig = schema_find(schema_losses, name);
	if (!data || !sig || (loss && loss->kind != AST_NAME && loss->kind != AST_CALL))
		return;
	bool values = values_data(data);
	if (values && sig->targets == TARGETS_CLASSES) {
		diag_error(ck->d, loss ? loss->loc : train->name_loc, "%s%s needs class labels, but "
		           "data '%s' has targets = values", loss ? "" : "the default loss ", name,
		           data->str);
		diag_help(ck->d, "for regression: loss = mse, mae or huber(delta = 1)");
	} else if (!values && sig->targets == TARGETS_VALUES) {
		diag_error(ck->d, loss->loc, "%s needs target values, but data '%s' has class "
		           "labels", name, data->str);
		diag_help(ck->d, "set 'targets = values' in data '%s' for regression", data->str);
	}
	const struct ast *net = values && network && network->kind == AST_NAME
		? find_block(ck, BLOCK_NETWORK, network->str) : NULL;
	const struct ast *last = net && net->nkids > 0 ? net->kids[net->nkids - 1] : NULL;
	if (last && last->kind == AST_LAYER && last->a && last->a->str
	    && strcmp(last->a->str, "softmax") == 0) {
		diag_error(ck->d, last->loc, "network '%s' ends with softmax, but data '%s' has "
		           "targets = values: regression outputs are the values themselves",
		           net->str, data->str);
		diag_help(ck->d, "remove the softmax layer");
	}
}

static void check_train(struct checker *ck, const struct ast *train)
{
	const struct param *keys = schema_train_keys;
	const struct ast *vals[32];
	struct sched_facts facts = {0};
	check_entries(ck, train, keys, vals, false, &facts);
	const struct ast *opt = key_value(keys, vals, "optimizer");
	const struct ast *reg = key_value(keys, vals, "regularize");
	const struct ast *epochs = key_value(keys, vals, "epochs");
	check_batchnorm_batch(ck, key_value(keys, vals, "batch"), key_value(keys, vals, "network"));
	check_loss_targets(ck, train, key_value(keys, vals, "loss"), key_value(keys, vals, "data"),
	                   key_value(keys, vals, "network"));
	if (opt)
		warn_optimizer(ck, opt, reg, key_value(keys, vals, "momentum_schedule"));
	if (epochs && epochs->kind == AST_NUM)
		warn_schedule(ck, &facts, (struct span){0, epochs->num, false},
		              opt ? optimizer_lr(opt) : NAN);
	const struct ast *decay = key_value(keys, vals, "decay_biases");
	if (decay && decay->kind == AST_BOOL && decay->num && !reg) {
		const struct bound *b = opt && (opt->kind == AST_CALL || opt->kind == AST_NAME)
			? schema_bound(schema_optimizers, opt) : NULL;
		if (b && schema_number(b->sig, b->vals, "wd") == 0)
			diag_warning(ck->d, decay->loc, "decay_biases has no effect without l2 or wd");
	}
	check_watching(ck, train, key_value(keys, vals, "stop"), key_value(keys, vals, "save_best"),
	               key_value(keys, vals, "best"));
}

static void check_data(struct checker *ck, const struct ast *data)
{
	const struct ast *vals[16];
	check_entries(ck, data, schema_data_keys, vals, false, NULL);
	const char *const parts[] = {"train", "test"};
	for (int i = 0; i < 2; i++) {
		const struct ast *src = key_value(schema_data_keys, vals, parts[i]);
		const struct sig *sig = src && (src->kind == AST_CALL || src->kind == AST_NAME)
			? schema_find(schema_sources, src->str) : NULL;
		if (!sig)
			continue;
		const struct bound *b = sig->kind == SOURCE_CSV ? schema_bound(schema_sources, src)
			: NULL;
		const struct ast *label = b ? b->vals[schema_index(sig, "label")] : NULL;
		if (values_data(data) && sig->kind != SOURCE_CSV && sig->kind != SOURCE_NPY) {
			diag_error(ck->d, src->loc, "targets = values needs numeric targets from csv(...) "
			           "or npy(...); %s(...) gives class labels", sig->name);
		} else if (!values_data(data) && label && label->kind == AST_LIST
		           && label->nkids > 0) { /* an empty list: said by its type */
			diag_error(ck->d, label->loc, "a list of label columns names regression targets");
			diag_help(ck->d, "set 'targets = values' in data '%s'", data->str);
		}
	}
}

const char *check_layer_name(const struct ast *net, int i, char *buf, size_t size)
{
	const struct ast *stmt = net->kids[i];
	if (stmt->str) {
		snprintf(buf, size, "%s", stmt->str);
		return buf;
	}
	int k = 1;
	for (int j = 0; j < i; j++) {
		const struct ast *other = net->kids[j];
		k += other->kind == AST_LAYER && other->a && other->a->str && stmt->a->str
			&& strcmp(other->a->str, stmt->a->str) == 0;
	}
	snprintf(buf, size, "%s%d", stmt->a->str ? stmt->a->str : "layer", k);
	return buf;
}

static void check_network(struct checker *ck, const struct ast *net)
{
	const struct ast *names[MAX_NAMES];   /* layer names as nodes, for notes */
	char auto_names[MAX_NAMES][40];
	int nlayers = 0;
	const struct sig *prev = NULL;
	const struct ast *prev_vals[SIG_MAX_PARAMS];
	for (int i = 0; i < net->nkids; i++) {
		const struct ast *stmt = net->kids[i];
		if (stmt->kind != AST_LAYER) {
			diag_error(ck->d, stmt->loc, "a network lists layers, one per line; '%s %s ...' "
			           "is not a layer", stmt->str, stmt->kind == AST_AXIS ? "in" : "=");
			continue;
		}
		const struct ast *layer = stmt->a, *vals[SIG_MAX_PARAMS];
		const struct sig *sig = check_call(ck, schema_layers, "layer", layer, vals);
		if (!sig)
			continue;
		bool last = i == net->nkids - 1;
		/* the layer's name, given or <kind><n>, must be unique */
		if (nlayers < MAX_NAMES) {
			check_layer_name(net, i, auto_names[nlayers], sizeof auto_names[0]);
			const char *name = stmt->str ? stmt->str : auto_names[nlayers];
			for (int j = 0; j < nlayers; j++) {
				const char *other = names[j]->str ? names[j]->str : auto_names[j];
				if (strcmp(other, name) == 0) {
					diag_error(ck->d, stmt->str ? stmt->name_loc : layer->loc,
					           "two layers are named '%s'", name);
					diag_note(ck->d, names[j]->loc, "the other '%s'", name);
				}
			}
			names[nlayers++] = stmt;
		}
		if (sig->op == IR_INPUT && i > 0)
			diag_error(ck->d, layer->loc, "input(...) can only be the first layer");
		if (sig->op == IR_INPUT && !vals[1] != !vals[2]) {
			diag_error(ck->d, layer->loc, "input takes one size or three, not two");
			diag_help(ck->d, "input(N) for N features, input(C, H, W) for images");
		}
		if (sig->op == IR_SOFTMAX && !last)
			diag_error(ck->d, layer->loc, "softmax can only be the last layer");
		if (sig->op == IR_DROPOUT) {
			const struct ast *rate = vals[0], *keep = vals[1];
			if (rate && keep)
				diag_error(ck->d, layer->loc, "give dropout 'rate' or 'keep', not both");
			else if (!rate && !keep) {
				diag_error(ck->d, layer->loc, "dropout needs 'rate' or 'keep'");
				diag_help(ck->d, "dropout(rate = p) drops each unit with probability p; "
				          "dropout(keep = q) keeps it with probability q = 1 - p");
			} else if ((rate && rate->kind == AST_NUM && rate->num == 0)
			           || (keep && keep->kind == AST_NUM && keep->num == 1))
				diag_warning(ck->d, layer->loc, "this dropout drops nothing");
			const struct ast *next = last ? NULL : net->kids[i + 1]->a;
			const struct sig *after = next && next->str ? schema_find(schema_layers, next->str)
				: NULL;
			if (last || (i + 2 == net->nkids && after && after->op == IR_SOFTMAX))
				diag_warning(ck->d, layer->loc, "dropout right before the output drops "
				             "outputs the loss needs");
		}
		if (sig->op == IR_BATCHNORM && prev && prev->op == IR_DENSE
		    && schema_number(prev, prev_vals, "bias") != 0) {
			diag_warning(ck->d, net->kids[i - 1]->loc, "this bias is cancelled by the "
			             "batchnorm after it, which subtracts the batch mean");
			diag_help(ck->d, "write dense(..., bias = false); batchnorm's beta is the bias");
		}
		prev = sig;
		memcpy(prev_vals, vals, sizeof vals);
	}
	if (net->nkids == 0)
		diag_error(ck->d, net->name_loc, "network '%s' has no layers", net->str);
}

/* ---- sweep ---- */

/* The only train block, or the one `run` names; NULL (reported) if neither. */
static const struct ast *sweep_run(struct checker *ck, const struct ast *sweep,
                                   const struct ast *run)
{
	if (run)
		return run->kind == AST_NAME ? find_block(ck, BLOCK_TRAIN, run->str) : NULL;
	const struct ast *only = NULL;
	int n = 0;
	for (int i = 0; i < ck->file->nkids; i++) {
		const struct ast *decl = ck->file->kids[i];
		if (decl->kind == AST_BLOCK && decl->op == BLOCK_TRAIN) {
			only = decl;
			n++;
		}
	}
	if (n == 1)
		return only;
	diag_error(ck->d, sweep->name_loc, n == 0 ? "a sweep needs a train block to copy"
	           : "this file has %d train blocks; say which one the sweep copies", n);
	if (n > 1)
		diag_help(ck->d, "add a line 'run = NAME'");
	return NULL;
}

/* What a sweep key stands for in the run: a train key, or a parameter of the run's
 * optimizer or schedule (`optimizer.lr`, `schedule.T0`); NULL (reported) if nothing. */
static const struct param *axis_param(struct checker *ck, const struct ast *train,
                                      const struct ast *axis)
{
	const char *key = axis->str;
	const char *names[MAX_NAMES];
	struct key_path path = override_split(key);
	if (path.target == KEY_TRAIN) {
		const struct param *p = schema_param(schema_train_keys, key);
		if (!p) {
			const char *close = diag_closest(key, schema_param_names(schema_train_keys, names,
			                                                          MAX_NAMES));
			diag_error(ck->d, axis->name_loc, "unknown key '%s'", key);
			if (close)
				diag_help(ck->d, "did you mean '%s'?", close);
		}
		return p;
	}
	const char *field = path.param;
	bool optimizer = path.target == KEY_OPTIMIZER, schedule = path.target == KEY_SCHEDULE;
	if (!optimizer && !schedule) {
		diag_error(ck->d, axis->name_loc, "'%s' reaches into nothing: only optimizer.KEY "
		           "and schedule.KEY do", key);
		return NULL;
	}
	const struct ast *value = ast_value(train, optimizer ? "optimizer" : "schedule");
	if (!train || (optimizer && !value))
		return NULL; /* already reported */
	const struct sig *sig = NULL;
	if (optimizer && (value->kind == AST_CALL || value->kind == AST_NAME))
		sig = schema_find(schema_optimizers, value->str);
	else if (schedule && value)
		override_schedule_call(value, field, &sig);
	else if (schedule)
		sig = &schema_schedules[0]; /* constant */
	if (!sig)
		return NULL;
	const struct param *p = schema_param(sig->params, field);
	if (!p) {
		const char *close = diag_closest(field, schema_param_names(sig->params, names,
		                                                            MAX_NAMES));
		diag_error(ck->d, axis->name_loc, "the run's %s %s has no parameter '%s'",
		           optimizer ? "optimizer" : "schedule", sig->name, field);
		if (close)
			diag_help(ck->d, "did you mean '%s'?", close);
	}
	return p;
}

/* Checks the values of one axis; *sampled tells whether they are drawn at random. */
static void check_axis(struct checker *ck, const struct param *p, const struct ast *values,
                       bool *sampled)
{
	const struct ast *vals[SIG_MAX_PARAMS];
	*sampled = false;
	switch (values->kind) {
	case AST_LIST:
		if (values->nkids == 0)
			diag_error(ck->d, values->loc, "an empty list of values to try");
		for (int i = 0; i < values->nkids; i++)
			check_value(ck, p, values->kids[i]);
		return;
	case AST_RANGE:
		if (p->type != T_INT && p->type != T_NUM)
			diag_error(ck->d, values->loc, "'%s' does not take numbers", p->name);
		else if (check_number(ck, p, values->a) & check_number(ck, p, values->b)) {
			if (values->a->num != floor(values->a->num)
			    || values->b->num != floor(values->b->num))
				diag_error(ck->d, values->loc, "a range a..b takes whole numbers");
			else if (values->a->num > values->b->num)
				diag_error(ck->d, values->loc, "the range %g..%g is empty", values->a->num,
				           values->b->num);
		}
		return;
	case AST_CALL: {
		const struct sig *sig = schema_find(schema_samplers, values->str);
		if (!sig)
			break;
		*sampled = true;
		if (!schema_bind(sig, values, vals, ck->d))
			return;
		if (sig->kind == SAMPLE_CHOICE) {
			check_axis(ck, p, vals[0], sampled);
			*sampled = true;
			return;
		}
		if (p->type != T_INT && p->type != T_NUM) {
			diag_error(ck->d, values->loc, "'%s' does not take numbers", p->name);
			return;
		}
		if (!(check_number(ck, p, vals[0]) & check_number(ck, p, vals[1])))
			return;
		if (vals[1]->num <= vals[0]->num)
			diag_error(ck->d, values->loc, "%s(low, high) needs low < high", sig->name);
		else if (sig->kind == SAMPLE_LOGUNIFORM && vals[0]->num <= 0)
			diag_error(ck->d, vals[0]->loc, "loguniform needs low > 0");
		return;
	}
	default:
		break;
	}
	diag_error(ck->d, values->loc, "'%s in' takes a list [a, b], a range a..b, or "
	           "loguniform(a, b), uniform(a, b), choice([...])", p->name);
}

/* A sweep's metric against its run's targets (the default metric, max test_acc,
 * included). */
static void check_sweep_metric(struct checker *ck, const struct ast *sweep,
                               const struct ast *metric, const struct ast *train)
{
	if (train && (!metric || metric->kind == AST_DURATION))
		check_metric_targets(ck, train_data(ck, train), metric ? metric->b->str : "test_acc",
		                     metric ? metric->loc : sweep->name_loc,
		                     metric ? "" : "the default metric ");
}

static void check_sweep(struct checker *ck, const struct ast *sweep)
{
	const struct param *keys = schema_sweep_keys;
	const struct ast *vals[16];
	check_entries(ck, sweep, keys, vals, true, NULL);
	const struct ast *train = sweep_run(ck, sweep, key_value(keys, vals, "run"));
	const struct ast *first_sampled = NULL;
	int axes = 0;
	for (int i = 0; i < sweep->nkids; i++) {
		const struct ast *axis = sweep->kids[i];
		if (axis->kind != AST_AXIS)
			continue;
		axes++;
		for (int j = 0; j < i; j++)
			if (sweep->kids[j]->kind == AST_AXIS && strcmp(sweep->kids[j]->str, axis->str) == 0) {
				diag_error(ck->d, axis->name_loc, "'%s' is swept twice", axis->str);
				diag_note(ck->d, sweep->kids[j]->loc, "first swept here");
			}
		const struct param *p = axis_param(ck, train, axis);
		bool sampled;
		if (p)
			check_axis(ck, p, axis->a, &sampled);
		if (p && sampled && !first_sampled)
			first_sampled = axis;
	}
	const struct ast *trials = key_value(keys, vals, "trials");
	if (first_sampled && !trials) {
		diag_error(ck->d, first_sampled->loc, "values drawn at random need 'trials = N'");
	} else if (trials && !first_sampled) {
		diag_error(ck->d, trials->loc, "'trials' draws values at random, but no axis is "
		           "sampled");
		diag_help(ck->d, "sample one: optimizer.lr in loguniform(1e-4, 1e-1)");
	}
	if (axes == 0)
		diag_warning(ck->d, sweep->name_loc, "this sweep sweeps nothing");
	const struct ast *metric = key_value(keys, vals, "metric");
	check_sweep_metric(ck, sweep, metric, train);
	if (metric && metric->kind == AST_DURATION && train && strncmp(metric->b->str, "val_", 4) == 0) {
		const struct ast *data_name = ast_value(train, "data");
		const struct ast *data = data_name && data_name->kind == AST_NAME
			? find_block(ck, BLOCK_DATA, data_name->str) : NULL;
		const struct ast *split = ast_value(data, "validation");
		if (data && !(split && split->kind == AST_NUM && split->num > 0)) {
			diag_error(ck->d, metric->loc, "'%s' needs a validation split", metric->b->str);
			diag_help(ck->d, "set 'validation = 0.1' in data '%s'", data->str);
		}
	}
}

/* ---- minimize ---- */

static void check_function(struct checker *ck, const struct ast *m, const struct ast *v)
{
	const char *names[MAX_NAMES];
	switch (v->kind) {
	case AST_NUM:
		return;
	case AST_NAME:
		for (int i = 0; i < m->b->nkids; i++)
			if (strcmp(m->b->kids[i]->str, v->str) == 0)
				return;
		int n = 0;
		for (int i = 0; i < m->b->nkids && n < MAX_NAMES - 1; i++)
			names[n++] = m->b->kids[i]->str;
		names[n] = NULL;
		diag_error(ck->d, v->loc, "'%s' is not a variable of %s", v->str, m->str);
		const char *close = diag_closest(v->str, names);
		if (close)
			diag_help(ck->d, "did you mean '%s'?", close);
		return;
	case AST_NEG:
		check_function(ck, m, v->a);
		return;
	case AST_BINOP:
		check_function(ck, m, v->a);
		check_function(ck, m, v->b);
		return;
	case AST_CALL:
		for (const char *const *f = fold_functions; *f; f++)
			if (strcmp(*f, v->str) == 0) {
				if (v->nkids != 1 || v->kids[0]->kind == AST_ARG)
					diag_error(ck->d, v->loc, "%s takes one argument", v->str);
				else
					check_function(ck, m, v->kids[0]);
				return;
			}
		diag_error(ck->d, v->name_loc, "unknown function '%s'", v->str);
		const char *near = diag_closest(v->str, fold_functions);
		diag_help(ck->d, near ? "did you mean '%s'?" : "the functions are sin cos tan exp log "
		          "sqrt abs tanh sigmoid", near);
		return;
	default:
		diag_error(ck->d, v->loc, "%s can use numbers, its variables, + - * / ^ and functions "
		           "such as sin and exp, nothing else", m->str);
	}
}

/* One start point: a tuple of one number per variable (a plain number for one). */
static void check_point(struct checker *ck, const struct ast *m, const struct ast *v)
{
	static const struct param coordinate = {"from", T_NUM, .lo = -INFINITY, .hi = INFINITY};
	int n = m->b->nkids;
	if (n == 1 && v->kind == AST_NUM) {
		check_number(ck, &coordinate, v);
		return;
	}
	if (v->kind != AST_TUPLE || v->nkids != n) {
		char expected[64];
		snprintf(expected, sizeof expected, "a point of %d coordinates, like (1.5, 1.0)", n);
		if (v->kind == AST_TUPLE)
			diag_error(ck->d, v->loc, "this point has %d coordinates; %s has %d variables",
			           v->nkids, m->str, n);
		else
			type_error(ck, "from", expected, v);
		return;
	}
	for (int i = 0; i < n; i++)
		check_number(ck, &coordinate, v->kids[i]);
}

static void check_minimize(struct checker *ck, const struct ast *m)
{
	const struct param *keys = schema_minimize_keys;
	const struct ast *vals[16];
	struct sched_facts facts = {0};
	for (int i = 0; i < m->b->nkids; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(m->b->kids[i]->str, m->b->kids[j]->str) == 0)
				diag_error(ck->d, m->b->kids[i]->loc, "the variable '%s' is listed twice",
				           m->b->kids[i]->str);
	check_function(ck, m, m->a);
	ck->steps_only = true;
	check_entries(ck, m, keys, vals, false, &facts);
	ck->steps_only = false;
	const struct ast *from = key_value(keys, vals, "from");
	if (from && from->kind == AST_LIST) {
		if (from->nkids == 0)
			diag_error(ck->d, from->loc, "an empty list of start points");
		for (int i = 0; i < from->nkids; i++)
			check_point(ck, m, from->kids[i]);
	} else if (from) {
		check_point(ck, m, from);
	}
	const struct ast *opt = key_value(keys, vals, "optimizer");
	const struct ast *reg = key_value(keys, vals, "regularize");
	const struct ast *momentum = key_value(keys, vals, "momentum_schedule");
	const struct ast *steps = key_value(keys, vals, "steps");
	for (int i = 0; opt && i < (opt->kind == AST_LIST ? opt->nkids : 1); i++) {
		const struct ast *one = opt->kind == AST_LIST ? opt->kids[i] : opt;
		warn_optimizer(ck, one, reg, momentum);
		if (steps && steps->kind == AST_NUM)
			warn_schedule(ck, &facts, (struct span){steps->num, 0, false}, optimizer_lr(one));
		facts.has_warmup = facts.reaches_zero = false; /* say it once */
	}
}

/* ---- the file ---- */

/* Two blocks of one kind with one name. */
/* A name declared twice for one kind of block is an error at each later declaration,
 * reported in file order with a note at the first. */
static void check_unique(struct checker *ck)
{
	const struct ast **first = ck->names ? calloc((size_t)ck->file->nkids + 1, sizeof *first) : NULL;
	if (!first)
		return;
	for (int i = 1; i < ck->nnames; i++) /* the index puts a name's declarations together */
		if (order(&ck->names[i - 1], (int)ck->names[i].decl->kind, ck->names[i].decl->op,
		          ck->names[i].decl->str) == 0)
			first[ck->names[i].index] = first[ck->names[i - 1].index]
				? first[ck->names[i - 1].index] : ck->names[i - 1].decl;
	for (int i = 0; i < ck->file->nkids; i++) {
		if (!first[i])
			continue;
		char words[128];
		diag_error(ck->d, ck->file->kids[i]->name_loc, "%s is declared twice",
		           block_words(ck->file->kids[i], words, sizeof words));
		diag_note(ck->d, first[i]->name_loc, "first declared here");
	}
	free(first);
}

/* A file a block writes: its path, the block and the key that name it. */
struct output {
	const struct ast *path, *block;
	const char *key;
	int order;                   /* in the file */
	const struct output *first;  /* the first output of the same path, if not this one */
};

/* Orders outputs by path, then place in the file. */
static int compare_outputs(const void *x, const void *y)
{
	const struct output *a = *(const struct output *const *)x, *b = *(const struct output *const *)y;
	int by_path = strcmp(a->path->str, b->path->str);
	return by_path ? by_path : (a->order > b->order) - (a->order < b->order);
}

/* Every file a block writes, collected in file order into out (room for OUTPUT_KEYS a
 * block). */
enum { OUTPUT_KEYS = 6 };

static int list_outputs(const struct ast *file, struct output *out)
{
	static const char *const keys[OUTPUT_KEYS] = {"log", "save", "checkpoint", "plot", "trace",
	                                              "save_best"};
	int n = 0;
	for (int i = 0; i < file->nkids; i++) {
		const struct ast *block = file->kids[i];
		bool writes = block->kind == AST_MINIMIZE
			|| (block->kind == AST_BLOCK && block->op == BLOCK_TRAIN);
		for (size_t k = 0; writes && k < sizeof keys / sizeof *keys; k++) {
			const struct ast *v = ast_value(block, keys[k]);
			if (v && v->kind == AST_STR && v->str[0]) { /* "" is reported by check_path */
				out[n] = (struct output){v, block, keys[k], n, NULL};
				n++;
			}
		}
	}
	return n;
}

/* Two writers of one path would lose one's data (a checkpoint overwritten by a log, two
 * blocks' weights in one file): an error at each later writer, in file order. */
static void check_outputs(struct checker *ck)
{
	struct output *out = malloc((size_t)(OUTPUT_KEYS * ck->file->nkids + 1) * sizeof *out);
	const struct output **sorted = malloc((size_t)(OUTPUT_KEYS * ck->file->nkids + 1)
	                                      * sizeof *sorted);
	int n = out && sorted ? list_outputs(ck->file, out) : 0;
	for (int i = 0; i < n; i++)
		sorted[i] = &out[i];
	qsort(sorted, (size_t)n, sizeof *sorted, compare_outputs);
	for (int i = 1; i < n; i++)
		if (strcmp(sorted[i]->path->str, sorted[i - 1]->path->str) == 0)
			out[sorted[i]->order].first = sorted[i - 1]->first ? sorted[i - 1]->first : sorted[i - 1];
	for (int i = 0; i < n; i++) {
		const struct output *o = &out[i], *f = o->first;
		if (!f)
			continue;
		char mine[128], theirs[128];
		diag_error(ck->d, o->path->loc, "'%s' is written twice: as the %s of %s and the %s of "
		           "%s", o->path->str, f->key, block_words(f->block, theirs, sizeof theirs),
		           o->key, block_words(o->block, mine, sizeof mine));
		diag_note(ck->d, f->path->loc, "first written here");
	}
	free(out);
	free(sorted);
}

bool check_file(const struct ast *file, struct diag *d, struct check_summary *summary)
{
	struct checker ck = {d, file, false, NULL, 0};
	struct check_summary counts = {0};
	if (file->nkids == 0) {
		struct loc start = {file->loc.src, 1, 1, 1, 1};
		diag_error(d, start, "the file declares nothing");
		diag_help(d, "a file declares data, network, train, sweep or minimize blocks "
		          "(LANGUAGE.md section 1)");
	}
	index_names(&ck);
	check_unique(&ck);
	check_outputs(&ck);
	for (int i = 0; i < file->nkids; i++) {
		const struct ast *decl = file->kids[i];
		if (decl->kind == AST_NUM) {
			continue; /* dropped by fold_file, which said why */
		} else if (decl->kind == AST_LET) {
			counts.lets++;
		} else if (decl->kind == AST_MINIMIZE) {
			counts.minimizes++;
			check_minimize(&ck, decl);
		} else if (decl->op == BLOCK_DATA) {
			counts.data++;
			check_data(&ck, decl);
		} else if (decl->op == BLOCK_NETWORK) {
			counts.networks++;
			check_network(&ck, decl);
		} else if (decl->op == BLOCK_TRAIN) {
			counts.trains++;
			check_train(&ck, decl);
		} else {
			counts.sweeps++;
			check_sweep(&ck, decl);
		}
	}
	free(ck.names);
	if (summary)
		*summary = counts;
	return d->errors == 0; /* fold's errors too: a value it refused is NaN in the tree */
}

bool check_schedule_expr(const struct ast *expr, struct diag *d)
{
	struct ast empty = {.kind = AST_FILE};
	struct checker ck = {d, &empty, false};
	struct sched_facts facts = {0};
	struct span len;
	check_schedule(&ck, expr, (struct span){0}, &facts, &len);
	return d->errors == 0; /* fold's errors too, as check_file */
}

bool check_optimizer_expr(const struct ast *expr, struct diag *d)
{
	struct ast empty = {.kind = AST_FILE};
	struct checker ck = {d, &empty, false};
	const struct ast *vals[SIG_MAX_PARAMS];
	check_optimizer(&ck, expr, vals);
	return d->errors == 0; /* fold's errors too, as check_file */
}
