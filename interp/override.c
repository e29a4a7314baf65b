/* override.c — `--set KEY=VALUE`: a value given on the command line replaces (or adds) a
 * key of the train blocks before folding and checking, so a value may use the file's
 * lets, and every message about it points into the command line (see override.h).
 *
 * KEY is a train key (`epochs`), or dotted into the optimizer or schedule call
 * (`optimizer.lr`, `schedule.T0`); a first part naming a train block (`baseline.epochs`)
 * picks that block; otherwise every train block whose optimizer or schedule has the
 * parameter gets the value, and it is an error only when none has.
 */
#include "override.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_NAMES = 64 };

/* Sets key of block to a copy of value (the copy keeps value's locations). */
static bool set_key(struct ast *block, const char *key, const struct ast *value, struct loc at)
{
	struct ast *copy = ast_copy_at(value, value->loc);
	struct ast *entry = ast_entry(block, key);
	if (!copy)
		return false;
	if (entry) {
		ast_free(entry->a);
		entry->a = copy;
		return true;
	}
	char *name = strdup(key);
	struct ast *added = name ? ast_named(AST_ENTRY, at, name, at) : NULL;
	if (!added) {
		ast_free(copy);
		return false;
	}
	added->a = copy;
	return ast_push(block, added) != NULL;
}

/* Sets the named argument param of a call (a bare name becomes a call). */
static bool set_argument(struct ast *call, const char *param, const struct ast *value, struct loc at)
{
	call->kind = AST_CALL;
	for (int i = 0; i < call->nkids; i++)
		if (call->kids[i]->kind == AST_ARG && strcmp(call->kids[i]->str, param) == 0) {
			struct ast *copy = ast_copy_at(value, value->loc);
			if (!copy)
				return false;
			ast_free(call->kids[i]->a);
			call->kids[i]->a = copy;
			return true;
		}
	/* a positional argument for param goes: the named one replaces it */
	const struct sig *sig = schema_find(schema_optimizers, call->str);
	if (!sig)
		sig = schema_find(schema_schedules, call->str);
	int at_index = sig ? schema_index(sig, param) : -1;
	if (at_index >= 0 && at_index < call->nkids && call->kids[at_index]->kind != AST_ARG) {
		ast_free(call->kids[at_index]);
		memmove(call->kids + at_index, call->kids + at_index + 1,
		        (size_t)(call->nkids - at_index - 1) * sizeof *call->kids);
		call->nkids--;
	}
	char *name = strdup(param);
	struct ast *copy = ast_copy_at(value, value->loc);
	struct ast *arg = name && copy ? ast_named(AST_ARG, at, name, at) : NULL;
	if (!arg) {
		if (!name)
			ast_free(copy);
		return false;
	}
	arg->a = copy;
	return ast_push(call, arg) != NULL;
}

struct key_path override_split(const char *key)
{
	const char *dot = strchr(key, '.');
	if (!dot)
		return (struct key_path){KEY_TRAIN, key};
	size_t head = (size_t)(dot - key);
	enum key_target target = head == 9 && strncmp(key, "optimizer", 9) == 0 ? KEY_OPTIMIZER
		: head == 8 && strncmp(key, "schedule", 8) == 0 ? KEY_SCHEDULE : KEY_NOWHERE;
	return (struct key_path){target, dot + 1};
}

const struct ast *override_schedule_call(const struct ast *v, const char *param,
                                         const struct sig **sig)
{
	if (v->kind == AST_THEN || v->kind == AST_FOR) {
		const struct ast *found = override_schedule_call(v->a, param, sig);
		return found || v->kind == AST_FOR ? found : override_schedule_call(v->b, param, sig);
	}
	if (v->kind != AST_CALL && v->kind != AST_NAME)
		return NULL;
	*sig = schema_find(schema_schedules, v->str);
	return *sig && schema_param((*sig)->params, param) ? v : NULL;
}

/* Reports an unknown name among candidates at the key's place in the command line. */
static void unknown(struct diag *d, struct loc at, const char *what, const char *name,
                    const char *const *candidates)
{
	diag_error(d, at, "unknown %s '%s'", what, name);
	const char *close = diag_closest(name, candidates);
	if (close)
		diag_help(d, "did you mean '%s'?", close);
}

/* Applies key (already stripped of a block name) with value to one train block. With d
 * NULL, a parameter the block does not have is skipped silently. Returns 1 when applied,
 * 0 when not (reported if d), -1 when memory runs out. */
static int apply(struct ast *block, const char *key, const struct ast *value, struct loc at,
                 struct diag *d)
{
	const char *names[MAX_NAMES];
	struct key_path path = override_split(key);
	if (path.target == KEY_TRAIN) {
		if (!schema_param(schema_train_keys, key)) {
			if (d)
				unknown(d, at, "key", key, schema_param_names(schema_train_keys, names, MAX_NAMES));
			return 0;
		}
		return set_key(block, key, value, at) ? 1 : -1;
	}
	const char *param = path.param;
	bool optimizer = path.target == KEY_OPTIMIZER, schedule = path.target == KEY_SCHEDULE;
	if (!optimizer && !schedule) {
		if (d)
			diag_error(d, at, "'%s' reaches into nothing: only optimizer.KEY and schedule.KEY "
			           "do", key);
		return 0;
	}
	struct ast *entry = ast_entry(block, optimizer ? "optimizer" : "schedule");
	struct ast *call = NULL;
	if (entry && optimizer && (entry->a->kind == AST_CALL || entry->a->kind == AST_NAME)) {
		const struct sig *sig = schema_find(schema_optimizers, entry->a->str);
		if (sig && !schema_param(sig->params, param)) {
			if (d)
				unknown(d, at, "parameter", param, schema_param_names(sig->params, names,
				                                                       MAX_NAMES));
			return 0;
		}
		call = entry->a;
	} else if (entry && schedule) {
		const struct sig *sig;
		/* the tree is the caller's to change: the call found is one of its nodes */
		call = (struct ast *)(uintptr_t)override_schedule_call(entry->a, param, &sig);
	}
	if (!call) {
		if (d)
			diag_error(d, at, "the %s of train '%s' has no parameter '%s' to set",
			           optimizer ? "optimizer" : "schedule", block->str ? block->str : "", param);
		return 0;
	}
	return set_argument(call, param, value, at) ? 1 : -1;
}

const char *override_key(const struct ast *file, const char *key, const struct ast **block)
{
	const char *dot = strchr(key, '.');
	size_t len = dot ? (size_t)(dot - key) : 0;
	*block = NULL;
	for (int i = 0; dot && i < file->nkids; i++) { /* a first part naming a train block */
		const struct ast *b = file->kids[i];
		if (b->kind == AST_BLOCK && b->op == BLOCK_TRAIN && b->str && strlen(b->str) == len
		    && strncmp(b->str, key, len) == 0) {
			*block = b;
			return dot + 1;
		}
	}
	return key;
}

bool override_apply(struct ast *file, const struct ast *entry, struct diag *d)
{
	const char *key = entry->str;
	const struct ast *only;
	const char *rest = override_key(file, key, &only);
	struct ast *first = NULL;
	int applied = 0;
	for (int i = 0; i < file->nkids; i++) {
		struct ast *b = file->kids[i];
		if (b->kind != AST_BLOCK || b->op != BLOCK_TRAIN || (only && b != only))
			continue;
		first = first ? first : b;
		/* one block named: report there; all blocks: apply where the key fits */
		int status = apply(b, rest, entry->a, entry->name_loc, only ? d : NULL);
		if (status < 0)
			return false;
		applied += status;
	}
	if (!first)
		diag_error(d, entry->name_loc, "the file has no train block to set '%s' in", key);
	else if (!only && applied == 0 && apply(first, rest, entry->a, entry->name_loc, d) < 0)
		return false; /* nowhere: the first block says why */
	return true;
}
