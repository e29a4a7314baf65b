/* parse.c — runs the flex scanner and the bison parser over one source (see parse.h). */
#include "parse.h"

#include <limits.h>

#include "parser.h"
#include "lexer.h"

/* Whether x continues a run of node's operator: the same kind and operator. */
static bool same_operator(const struct ast *x, const struct ast *node)
{
	return x && x->kind == node->kind && x->op == node->op;
}

/* The longest run of one operator in node, each the operand of the next, as in
 * 1 + 1 + ... + 1 (*top its outermost node). A run is followed in a loop; only the other
 * operands recurse, and nesting them needs brackets, so the recursion stays shallow (it
 * gives up below AST_MAX_DEPTH anyway). */
static int longest_run(const struct ast *node, int depth, const struct ast **top)
{
	int best = 0;
	const struct ast *found = NULL;
	if (!node || depth > AST_MAX_DEPTH)
		return 0;
	bool op = node->kind == AST_BINOP || node->kind == AST_NEG || node->kind == AST_THEN;
	int len = 0;
	for (const struct ast *n = node; n; len++) {
		const struct ast *next = !op ? NULL : same_operator(n->a, n) ? n->a
			: same_operator(n->b, n) ? n->b : NULL;
		const struct ast *t;
		int r;
		if (n->a != next && (r = longest_run(n->a, depth + 1, &t)) > best)
			best = r, found = t;
		if (n->b != next && (r = longest_run(n->b, depth + 1, &t)) > best)
			best = r, found = t;
		for (int i = 0; i < n->nkids; i++)
			if ((r = longest_run(n->kids[i], depth + 1, &t)) > best)
				best = r, found = t;
		n = next;
	}
	if (op && len > best)
		best = len, found = node;
	*top = found;
	return best;
}

/* Reports a tree deeper than AST_MAX_DEPTH: deep is where the limit was reached. A long
 * run of one operator (a sum of 999 terms) is named as such, with the reason and the
 * way out, since nothing in it looks nested to the one who wrote it. */
static void report_too_deep(const struct ast *tree, const struct ast *deep, struct diag *d)
{
	const struct ast *top = NULL;
	int run = longest_run(tree, 0, &top);
	if (!top || run <= AST_MAX_DEPTH / 2) {
		diag_error(d, deep->loc, "this is nested too deeply (more than %d levels)",
		           AST_MAX_DEPTH);
		return;
	}
	char what[96];
	const char *why = "each operator is a level, as a + b + c is (a + b) + c";
	if (top->kind == AST_THEN) {
		snprintf(what, sizeof what, "chain of %d schedules joined by 'then'", run + 1);
		why = "each 'then' is a level";
	} else if (top->kind == AST_NEG) {
		snprintf(what, sizeof what, "run of %d minus signs", run);
		why = "each '-' is a level";
	} else {
		snprintf(what, sizeof what, "%s of %d %s", top->op == '+' ? "sum" : top->op == '*'
		         ? "product" : top->op == '^' ? "tower of powers" : "chain",
		         run + 1, top->op == '*' ? "factors" : "terms");
		if (top->op == '^')
			why = "each '^' is a level, as a ^ b ^ c is a ^ (b ^ c)";
	}
	diag_error(d, top->loc, "this %s is nested too deeply (more than %d levels): %s, and "
	           "the declarations around it count too", what, AST_MAX_DEPTH, why);
	diag_help(d, "descent stops at %d levels so that its passes, which recurse, stay within "
	          "the stack; split it with lets of at most %d terms each (let part1 = ..., then "
	          "part1 + part2)", AST_MAX_DEPTH, AST_MAX_DEPTH / 2);
}

struct ast *parse_source(const struct source *src, enum parse_mode mode, struct diag *d)
{
	static const int start_token[] = {
		[PARSE_FILE] = START_FILE, [PARSE_SET] = START_SET, [PARSE_EXPR] = START_EXPR,
	};
	if (src->len > INT_MAX / 2) {
		diag_error(d, (struct loc){0}, "%s is too large to be a .nn file (%zu bytes)",
		           src->name, src->len);
		return NULL;
	}
	struct parse_ctx ctx = {
		.src = src, .diag = d, .start_token = start_token[mode], .line = 1, .column = 1,
	};
	yyscan_t scanner;
	if (yylex_init_extra(&ctx, &scanner) != 0)
		return NULL;
	ctx.scanner = scanner;
	YY_BUFFER_STATE buffer = yy_scan_bytes(src->text, (int)src->len, scanner);
	int errors = d->errors;
	int status = buffer ? yyparse(&ctx) : 2;
	if (buffer)
		yy_delete_buffer(buffer, scanner);
	yylex_destroy(scanner);
	if (status == 2 && d->errors == errors)
		diag_error(d, (struct loc){0}, "out of memory while reading %s", src->name);
	const struct ast *deep = ast_too_deep(ctx.result, AST_MAX_DEPTH);
	if (deep && d->errors == errors)
		report_too_deep(ctx.result, deep, d);
	if (status != 0 || d->errors > errors) {
		ast_free(ctx.result);
		return NULL;
	}
	return ctx.result;
}
