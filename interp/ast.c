/* ast.c — constructors, copy and free of the syntax tree (ownership rule in ast.h). */
#include "ast.h"

#include <stdlib.h>
#include <string.h>

struct ast *ast_new(enum ast_kind kind, struct loc loc)
{
	struct ast *node = calloc(1, sizeof *node);
	if (!node)
		return NULL;
	node->kind = kind;
	node->loc = loc;
	node->name_loc = loc;
	return node;
}

struct ast *ast_num(struct loc loc, double value)
{
	struct ast *node = ast_new(AST_NUM, loc);
	if (node)
		node->num = value;
	return node;
}

struct ast *ast_bool(struct loc loc, int value)
{
	struct ast *node = ast_new(AST_BOOL, loc);
	if (node)
		node->num = value != 0;
	return node;
}

struct ast *ast_named(enum ast_kind kind, struct loc loc, char *str, struct loc name_loc)
{
	struct ast *node = ast_new(kind, loc);
	if (!node) {
		free(str);
		return NULL;
	}
	node->str = str;
	node->name_loc = name_loc;
	return node;
}

struct ast *ast_unary(enum ast_kind kind, struct loc loc, struct ast *a)
{
	struct ast *node = a ? ast_new(kind, loc) : NULL;
	if (!node) {
		ast_free(a);
		return NULL;
	}
	node->a = a;
	return node;
}

struct ast *ast_binary(enum ast_kind kind, struct loc loc, int op, struct ast *a, struct ast *b)
{
	struct ast *node = a && b ? ast_new(kind, loc) : NULL;
	if (!node) {
		ast_free(a);
		ast_free(b);
		return NULL;
	}
	node->op = op;
	node->a = a;
	node->b = b;
	return node;
}

struct ast *ast_push(struct ast *node, struct ast *kid)
{
	if (!node || !kid) {
		ast_free(node);
		ast_free(kid);
		return NULL;
	}
	if (node->nkids == node->cap) {
		int cap = node->cap ? node->cap * 2 : 4;
		struct ast **kids = realloc(node->kids, (size_t)cap * sizeof *kids);
		if (!kids) {
			ast_free(node);
			ast_free(kid);
			return NULL;
		}
		node->kids = kids;
		node->cap = cap;
	}
	node->kids[node->nkids++] = kid;
	return node;
}

struct ast *ast_rename(struct ast *node, enum ast_kind kind, struct loc loc, char *str,
                       struct loc name_loc)
{
	if (!node) {
		free(str);
		return NULL;
	}
	node->kind = kind;
	node->loc = loc;
	node->name_loc = name_loc;
	if (str) {
		free(node->str);
		node->str = str;
	}
	return node;
}

struct ast *ast_relocate(struct ast *node, struct loc loc)
{
	if (node)
		node->loc = loc;
	return node;
}

struct ast *ast_prepend(struct ast *list, struct ast *first)
{
	if (!(list = ast_push(list, first)))
		return NULL;
	memmove(list->kids + 1, list->kids, (size_t)(list->nkids - 1) * sizeof *list->kids);
	list->kids[0] = first;
	return list;
}

struct ast *ast_key_extend(struct ast *key, char *part, struct loc at)
{
	char *dotted = key && part ? malloc(strlen(key->str) + strlen(part) + 2) : NULL;
	if (!dotted) {
		ast_free(key);
		free(part);
		return NULL;
	}
	sprintf(dotted, "%s.%s", key->str, part);
	free(part);
	free(key->str);
	key->str = dotted;
	key->loc = key->name_loc = loc_span(key->loc, at);
	return key;
}

struct ast *ast_bind(enum ast_kind kind, struct loc loc, struct ast *key, struct ast *value)
{
	struct ast *node = key && value ? ast_named(kind, loc, key->str, key->name_loc) : NULL;
	if (!node) {
		ast_free(key);
		ast_free(value);
		return NULL;
	}
	key->str = NULL;
	ast_free(key);
	node->a = value;
	return node;
}

struct ast *ast_block(struct loc loc, int block, char *name, struct loc name_loc,
                      struct ast *body)
{
	if (!body) {
		free(name);
		return NULL;
	}
	body->kind = AST_BLOCK;
	body->loc = loc;
	body->op = block;
	body->str = name;
	body->name_loc = name ? name_loc : loc;
	return body;
}

struct ast *ast_minimize(struct loc loc, char *name, struct loc name_loc, struct ast *vars,
                         struct ast *fn, struct ast *body)
{
	if (!vars || !fn || !body) {
		free(name);
		ast_free(vars);
		ast_free(fn);
		ast_free(body);
		return NULL;
	}
	body->kind = AST_MINIMIZE;
	body->loc = loc;
	body->str = name;
	body->name_loc = name_loc;
	body->a = fn;
	body->b = vars;
	return body;
}

/* A deep copy of node, every location replaced by *at, or kept when at is NULL. */
static struct ast *copy(const struct ast *node, const struct loc *at)
{
	if (!node)
		return NULL;
	struct ast *c = ast_new(node->kind, at ? *at : node->loc);
	if (!c)
		return NULL;
	if (!at)
		c->name_loc = node->name_loc;
	c->op = node->op;
	c->num = node->num;
	if (node->str && !(c->str = strdup(node->str)))
		goto fail;
	if ((node->a && !(c->a = copy(node->a, at))) || (node->b && !(c->b = copy(node->b, at))))
		goto fail;
	for (int i = 0; i < node->nkids; i++)
		if (!(c = ast_push(c, copy(node->kids[i], at))))
			return NULL;
	return c;
fail:
	ast_free(c);
	return NULL;
}

struct ast *ast_copy_at(const struct ast *node, struct loc at)
{
	return copy(node, &at);
}

struct ast *ast_copy(const struct ast *node)
{
	return copy(node, NULL);
}

/* Iterative, with a stack of its own: a chain like 1+1+...+1 is a tree deeper than the C
 * stack, and the parser frees such trees before it reports them. */
void ast_free(struct ast *node)
{
	struct ast **stack = NULL;
	size_t n = 0, cap = 0;
	while (node) {
		size_t need = n + 2 + (size_t)node->nkids;
		if (need > cap) {
			size_t bigger = need * 2;
			struct ast **grown = realloc(stack, bigger * sizeof *stack);
			if (!grown)
				break; /* out of memory: leak the rest rather than crash */
			stack = grown;
			cap = bigger;
		}
		stack[n++] = node->a;
		stack[n++] = node->b;
		for (int i = 0; i < node->nkids; i++)
			stack[n++] = node->kids[i];
		free(node->kids);
		free(node->str);
		free(node->bound);
		free(node);
		node = NULL;
		while (n > 0 && !node)
			node = stack[--n];
	}
	free(stack);
}

const struct ast *ast_too_deep(const struct ast *node, int limit)
{
	if (!node || limit <= 0)
		return node;
	const struct ast *deep = ast_too_deep(node->a, limit - 1);
	if (!deep)
		deep = ast_too_deep(node->b, limit - 1);
	for (int i = 0; !deep && i < node->nkids; i++)
		deep = ast_too_deep(node->kids[i], limit - 1);
	return deep;
}

const struct ast *ast_call_arg(const struct ast *call, const char *name)
{
	for (int i = 0; i < call->nkids; i++)
		if (call->kids[i]->kind == AST_ARG && strcmp(call->kids[i]->str, name) == 0)
			return call->kids[i]->a;
	return NULL;
}

struct ast *ast_entry(const struct ast *block, const char *key)
{
	for (int i = 0; block && i < block->nkids; i++)
		if (block->kids[i]->kind == AST_ENTRY && strcmp(block->kids[i]->str, key) == 0)
			return block->kids[i];
	return NULL;
}

const struct ast *ast_value(const struct ast *block, const char *key)
{
	const struct ast *entry = ast_entry(block, key);
	return entry ? entry->a : NULL;
}

const char *ast_describe(const struct ast *node, char *buf, size_t size)
{
	switch (node->kind) {
	case AST_NUM: snprintf(buf, size, "the number %g", node->num); break;
	case AST_STR: snprintf(buf, size, "a string"); break;
	case AST_BOOL: snprintf(buf, size, "%s", node->num ? "true" : "false"); break;
	case AST_NAME: snprintf(buf, size, "the name '%s'", node->str); break;
	case AST_CALL: snprintf(buf, size, "a call to '%s'", node->str); break;
	case AST_LIST: snprintf(buf, size, node->nkids ? "a list" : "an empty list"); break;
	case AST_TUPLE: snprintf(buf, size, "a tuple"); break;
	case AST_RANGE: snprintf(buf, size, "a range"); break;
	case AST_DURATION: snprintf(buf, size, "a duration"); break;
	case AST_THEN: case AST_FOR: snprintf(buf, size, "a schedule"); break;
	default: snprintf(buf, size, "an expression"); break;
	}
	return buf;
}

const char *ast_block_name(int block)
{
	static const char *const names[] = {
		[BLOCK_DATA] = "data", [BLOCK_NETWORK] = "network",
		[BLOCK_TRAIN] = "train", [BLOCK_SWEEP] = "sweep",
	};
	return names[block];
}

uint64_t ast_hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3u;
	return h;
}

/* A string with its NUL (a separator), or a marker for none. */
uint64_t ast_hash_text(uint64_t h, const char *text)
{
	return text ? ast_hash_bytes(h, text, strlen(text) + 1) : ast_hash_bytes(h, "\xff", 1);
}

uint64_t ast_hash(uint64_t h, const struct ast *node)
{
	if (!node)
		return ast_hash_bytes(h, "\xfe", 1);
	int32_t head[3] = {(int32_t)node->kind, node->op, node->nkids};
	h = ast_hash_bytes(h, head, sizeof head);
	if (node->kind == AST_NUM || node->kind == AST_BOOL)
		h = ast_hash_bytes(h, &node->num, sizeof node->num);
	h = ast_hash(ast_hash(ast_hash_text(h, node->str), node->a), node->b);
	for (int i = 0; i < node->nkids; i++)
		h = ast_hash(h, node->kids[i]);
	return h;
}
