/* ast.h — the syntax tree of a .nn file, a --set value or a schedule expression.
 *
 * For: holding what the parser read, with the source range of every node, until the
 * checker and the lowering have looked at it. Not for: meaning (check.c decides what a
 * name or a call stands for).
 *
 * Ownership: a node owns its children (a, b and every kid); constructors take ownership
 * of the nodes and strings they are given; ast_free frees a node and its whole subtree,
 * and ast_free(NULL) does nothing. Constructors return NULL only when memory runs out,
 * having freed what they were given.
 */
#ifndef DESCENT_AST_H
#define DESCENT_AST_H

#include <stdint.h>

#include "diag.h"

enum ast_kind {
	/* expressions */
	AST_NUM,      /* a number: num */
	AST_STR,      /* a string literal, escapes resolved: str */
	AST_BOOL,     /* true or false: num is 1 or 0 */
	AST_NAME,     /* an identifier: str */
	AST_NEG,      /* -a */
	AST_BINOP,    /* a op b, op one of + - * / ^ */
	AST_CALL,     /* str(kids): positional arguments, then AST_ARG for named ones */
	AST_ARG,      /* a named argument str = a */
	AST_LIST,     /* [kids] */
	AST_TUPLE,    /* (kids), two or more */
	AST_RANGE,    /* a..b, integers, both ends included */
	AST_DURATION, /* a steps (op 's') or a epochs (op 'e') */
	AST_THEN,     /* schedule a then schedule b */
	AST_FOR,      /* schedule a for duration b */
	/* statements inside a block */
	AST_ENTRY,    /* str = a, str possibly dotted ("optimizer.lr") */
	AST_AXIS,     /* str in a (a sweep axis) */
	AST_LAYER,    /* a network layer a, named str (NULL if unnamed) */
	/* declarations */
	AST_LET,      /* let str = a */
	AST_BLOCK,    /* data/network/train/sweep (op: enum ast_block) named str, kids statements */
	AST_MINIMIZE, /* minimize str(b: AST_LIST of AST_NAME) = a { kids } */
	AST_FILE,     /* kids declarations */
};

enum ast_block { BLOCK_DATA, BLOCK_NETWORK, BLOCK_TRAIN, BLOCK_SWEEP };

struct bound; /* schema.h: a call matched to its schema row, recorded by the checker */

struct ast {
	enum ast_kind kind;
	struct loc loc;      /* the whole node */
	struct loc name_loc; /* where str is, for names, keys and block names */
	int op;              /* operator, duration unit or block kind, per kind */
	double num;          /* AST_NUM and AST_BOOL */
	char *str;           /* name, key, string value or call name (owned) */
	struct ast *a, *b;   /* operands, per kind */
	struct ast **kids;   /* arguments, elements, statements or declarations */
	int nkids;           /* entries in kids */
	int cap;             /* allocated entries in kids */
	struct bound *bound; /* a call's binding to its schema row (schema_bind), or NULL;
	                      * owned; not copied by ast_copy */
};

struct ast *ast_new(enum ast_kind kind, struct loc loc);
struct ast *ast_num(struct loc loc, double value);
struct ast *ast_bool(struct loc loc, int value);
/* A node with a string (AST_STR, AST_NAME, AST_CALL, AST_ARG, AST_ENTRY, ...). */
struct ast *ast_named(enum ast_kind kind, struct loc loc, char *str, struct loc name_loc);
struct ast *ast_unary(enum ast_kind kind, struct loc loc, struct ast *a);
struct ast *ast_binary(enum ast_kind kind, struct loc loc, int op, struct ast *a, struct ast *b);
/* Appends kid to node's kids; returns node (NULL, both freed, when memory runs out). */
struct ast *ast_push(struct ast *node, struct ast *kid);

/* Reuses node (a list of kids being built) as a node of another kind, range and name
 * (str NULL keeps the name it has). */
struct ast *ast_rename(struct ast *node, enum ast_kind kind, struct loc loc, char *str,
                       struct loc name_loc);
/* Gives node the range loc (a parenthesised expression covers its parentheses). */
struct ast *ast_relocate(struct ast *node, struct loc loc);
/* Puts first before the kids of list. */
struct ast *ast_prepend(struct ast *list, struct ast *first);
/* key.part: appends ".part" to key's name (an AST_NAME) and widens its range. */
struct ast *ast_key_extend(struct ast *key, char *part, struct loc at);
/* A statement (AST_ENTRY, AST_AXIS, AST_LAYER, AST_LET) binding key's name to value;
 * key, an AST_NAME, is consumed. */
struct ast *ast_bind(enum ast_kind kind, struct loc loc, struct ast *key, struct ast *value);
/* Turns body, the statements read between braces, into a block of the given kind. */
struct ast *ast_block(struct loc loc, int block, char *name, struct loc name_loc,
                      struct ast *body);
/* Turns body into the minimize block NAME(vars) = fn { body }. */
struct ast *ast_minimize(struct loc loc, char *name, struct loc name_loc, struct ast *vars,
                         struct ast *fn, struct ast *body);
/* A deep copy; every node of the copy gets the location at (as a let's value does when
 * it is substituted where the name is used). */
struct ast *ast_copy_at(const struct ast *node, struct loc at);
/* A deep copy with every location kept. */
struct ast *ast_copy(const struct ast *node);
void ast_free(struct ast *node);

/* Deepest nesting the later passes (fold, check, lowering; all recursive) accept. */
enum { AST_MAX_DEPTH = 1000 };
/* A node more than limit levels below node, or NULL if there is none. */
const struct ast *ast_too_deep(const struct ast *node, int limit);

/* The named argument `name` of a call, or NULL. */
const struct ast *ast_call_arg(const struct ast *call, const char *name);
/* The first entry `key = ...` of a block (NULL is no block), or NULL. */
struct ast *ast_entry(const struct ast *block, const char *key);
/* The value of that entry, or NULL. */
const struct ast *ast_value(const struct ast *block, const char *key);
/* Short words for a node in messages: "a string", "the name 'relu'", "a list". */
const char *ast_describe(const struct ast *node, char *buf, size_t size);
/* The name of a block kind as written ("data", "network", "train", "sweep"). */
const char *ast_block_name(int block);

/* FNV-1a (64 bits), for identities of trees (sweep trials, saved models): start from
 * AST_HASH_SEED and fold in bytes, a string (NULL allowed), or a tree: its kinds,
 * operators, numbers, names and children, not locations (comments and layout do not
 * count). */
#define AST_HASH_SEED UINT64_C(0xcbf29ce484222325)
uint64_t ast_hash_bytes(uint64_t h, const void *p, size_t len);
uint64_t ast_hash_text(uint64_t h, const char *text);
uint64_t ast_hash(uint64_t h, const struct ast *node);

#endif
