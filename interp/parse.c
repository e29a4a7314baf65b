/* parse.c — runs the flex scanner and the bison parser over one source (see parse.h). */
#include "parse.h"

#include <limits.h>

#include "parser.h"
#include "lexer.h"

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
		diag_error(d, deep->loc, "this is nested too deeply (more than %d levels)",
		           AST_MAX_DEPTH);
	if (status != 0 || d->errors > errors) {
		ast_free(ctx.result);
		return NULL;
	}
	return ctx.result;
}
