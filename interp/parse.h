/* parse.h — text to syntax tree: the entry points around the flex scanner and the bison
 * parser, and the context they share (no globals: one context per parse).
 *
 * For: files, --set values and schedule expressions. Not for: meaning; the tree that
 * comes back has only been checked for syntax.
 */
#ifndef DESCENT_PARSE_H
#define DESCENT_PARSE_H

#include "ast.h"
#include "diag.h"

/* What a parse reads; the scanner hands this to the parser as its first token. */
enum parse_mode {
	PARSE_FILE = 1, /* a whole .nn file: an AST_FILE */
	PARSE_SET,      /* KEY = EXPR, as given to --set: an AST_ENTRY */
	PARSE_EXPR,     /* one expression, as given to `descent schedule`: its node */
};

/* A bracket the scanner has seen open and not yet close. */
struct parse_bracket {
	char ch;        /* '(', '[' or '{' */
	struct loc loc; /* where it is */
};

enum { PARSE_MAX_DEPTH = 256 };

/* Shared by scanner and parser during one parse. */
struct parse_ctx {
	void *scanner;             /* the flex scanner (yyscan_t) */
	const struct source *src;  /* what is read */
	struct diag *diag;         /* where errors go */
	struct ast *result;        /* the tree, set by the start rule */
	int start_token;           /* token to hand out first, then 0 */
	int last_token;            /* the previous token, for the newline rules */
	int line, column;          /* position of the next byte */
	struct parse_bracket open[PARSE_MAX_DEPTH]; /* open brackets, innermost last */
	int nopen;                 /* entries in open */
	int lost_open;             /* brackets opened beyond PARSE_MAX_DEPTH */
	int stray_line;            /* line of the last stray character reported */
};

/* Parses src in mode; returns the tree, or NULL when there were errors (reported to d,
 * which counts them) or memory ran out. The caller owns the tree; src must outlive it,
 * as every location points to it. */
struct ast *parse_source(const struct source *src, enum parse_mode mode, struct diag *d);

#endif
