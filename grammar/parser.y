/* parser.y — the syntax of LANGUAGE.md sections 2-7 as a tree (interp/ast.h).
 *
 * For: structure only. Every action is one constructor call; what a name, key or call
 * means is decided later, in interp/check.c. Errors are recovered at the end of a line
 * (the scanner also ends the line before every '}'), so one run reports several.
 *
 * Precedence, loosest first: `then`; `for`; a duration `E unit` and a range `a..b`;
 * + -; * /; unary -; ^ (right-associative, so -2^2 is -(2^2) and 2^-1 works).
 */
%define api.pure full
%locations
%define api.location.type {struct loc}
/* custom, not detailed: the message names the bracket a ')' would close, as Lua's does,
 * and the unexpected token with its text ("name 'epochs'"). */
%define parse.error custom
%define parse.lac full
%expect 0
%param {struct parse_ctx *ctx}

%code requires {
#include "ast.h"
#include "diag.h"
struct parse_ctx;
}

%code provides {
/* The flex scanner (grammar/lexer.l), reached through the context. */
int nn_scan(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);
}

%code {
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                               \
	do {                                                                      \
		if (N) {                                                          \
			(Cur) = YYRHSLOC(Rhs, 1);                                 \
			(Cur).last_line = YYRHSLOC(Rhs, N).last_line;             \
			(Cur).last_column = YYRHSLOC(Rhs, N).last_column;         \
		} else {                                                          \
			(Cur) = YYRHSLOC(Rhs, 0);                                 \
			(Cur).first_line = (Cur).last_line;                       \
			(Cur).first_column = (Cur).last_column;                   \
		}                                                                 \
	} while (0)

static void yyerror(YYLTYPE *loc, struct parse_ctx *ctx, const char *msg);

static int yylex(YYSTYPE *lval, YYLTYPE *lloc, struct parse_ctx *ctx)
{
	return nn_scan(lval, lloc, ctx->scanner);
}
}

%union {
	double num;       /* NUMBER */
	char *str;        /* IDENT, STRING: owned */
	struct ast *node; /* owned */
}

%token START_FILE START_SET START_EXPR
%token NL "end of line"
%token <num> NUMBER "number"
%token <str> IDENT "name"
%token <str> STRING "string"
%token LET "'let'" DATA "'data'" NETWORK "'network'" TRAIN "'train'" SWEEP "'sweep'"
%token MINIMIZE "'minimize'" THEN "'then'" FOR "'for'" IN "'in'"
%token TRUE "'true'" FALSE "'false'" DOTDOT "'..'"

%type <node> decls decl body lines stmt key expr sched forx dur arith term unary power
%type <node> primary args arg_list arg items item_list item names name_list

%destructor { free($$); } <str>
%destructor { ast_free($$); } <node>

%%

start
	: START_FILE decls          { ctx->result = $2; }
	| START_SET key '=' expr NL { ctx->result = ast_bind(AST_ENTRY, @$, $2, $4); }
	| START_EXPR expr NL        { ctx->result = $2; }
	;

decls
	: %empty           { $$ = ast_new(AST_FILE, @$); }
	| decls NL         { $$ = $1; }
	| decls decl NL    { $$ = ast_push($1, $2); }
	| decls error NL   { $$ = $1; }
	;

decl
	: LET key '=' expr               { $$ = ast_bind(AST_LET, @$, $2, $4); }
	| DATA IDENT nls body            { $$ = ast_block(@$, BLOCK_DATA, $2, @2, $4); }
	| NETWORK IDENT nls body         { $$ = ast_block(@$, BLOCK_NETWORK, $2, @2, $4); }
	| TRAIN IDENT nls body           { $$ = ast_block(@$, BLOCK_TRAIN, $2, @2, $4); }
	| TRAIN nls body                 { $$ = ast_block(@$, BLOCK_TRAIN, NULL, @1, $3); }
	| SWEEP IDENT nls body           { $$ = ast_block(@$, BLOCK_SWEEP, $2, @2, $4); }
	| SWEEP nls body                 { $$ = ast_block(@$, BLOCK_SWEEP, NULL, @1, $3); }
	| MINIMIZE IDENT '(' names ')' '=' expr nls body
	                                 { $$ = ast_minimize(@$, $2, @2, $4, $7, $9); }
	;

nls
	: %empty
	| nls NL
	;

body
	: '{' lines '}'    { $$ = $2; }
	;

lines
	: %empty           { $$ = ast_new(AST_BLOCK, @$); }
	| lines NL         { $$ = $1; }
	| lines stmt NL    { $$ = ast_push($1, $2); }
	| lines error NL   { $$ = $1; }
	;

stmt
	: key '=' expr     { $$ = ast_bind(AST_ENTRY, @$, $1, $3); }
	| key IN expr      { $$ = ast_bind(AST_AXIS, @$, $1, $3); }
	| IDENT ':' expr   { $$ = ast_bind(AST_LAYER, @$, ast_named(AST_NAME, @1, $1, @1), $3); }
	| expr             { $$ = ast_unary(AST_LAYER, @$, $1); }
	;

key
	: IDENT            { $$ = ast_named(AST_NAME, @$, $1, @1); }
	| key '.' IDENT    { $$ = ast_key_extend($1, $3, @3); }
	;

expr
	: sched
	;

sched
	: forx
	| sched THEN forx  { $$ = ast_binary(AST_THEN, @$, 0, $1, $3); }
	;

forx
	: dur
	| forx FOR dur     { $$ = ast_binary(AST_FOR, @$, 0, $1, $3); }
	;

dur
	: arith
	| arith IDENT      { $$ = ast_binary(AST_DURATION, @$, 0, $1, ast_named(AST_NAME, @2, $2, @2)); }
	| arith DOTDOT arith { $$ = ast_binary(AST_RANGE, @$, 0, $1, $3); }
	;

arith
	: term
	| arith '+' term   { $$ = ast_binary(AST_BINOP, @$, '+', $1, $3); }
	| arith '-' term   { $$ = ast_binary(AST_BINOP, @$, '-', $1, $3); }
	;

term
	: unary
	| term '*' unary   { $$ = ast_binary(AST_BINOP, @$, '*', $1, $3); }
	| term '/' unary   { $$ = ast_binary(AST_BINOP, @$, '/', $1, $3); }
	;

unary
	: power
	| '-' unary        { $$ = ast_unary(AST_NEG, @$, $2); }
	;

power
	: primary
	| primary '^' unary { $$ = ast_binary(AST_BINOP, @$, '^', $1, $3); }
	;

primary
	: NUMBER           { $$ = ast_num(@$, $1); }
	| STRING           { $$ = ast_named(AST_STR, @$, $1, @1); }
	| TRUE             { $$ = ast_bool(@$, 1); }
	| FALSE            { $$ = ast_bool(@$, 0); }
	| IDENT            { $$ = ast_named(AST_NAME, @$, $1, @1); }
	| IDENT '(' args ')' { $$ = ast_rename($3, AST_CALL, @$, $1, @1); }
	| '(' expr ')'     { $$ = ast_relocate($2, @$); }
	| '(' expr ',' items ')' { $$ = ast_rename(ast_prepend($4, $2), AST_TUPLE, @$, NULL, @$); }
	| '[' items ']'    { $$ = ast_rename($2, AST_LIST, @$, NULL, @$); }
	;

args
	: %empty           { $$ = ast_new(AST_CALL, @$); }
	| arg_list
	| arg_list ','
	;

arg_list
	: arg              { $$ = ast_push(ast_new(AST_CALL, @$), $1); }
	| arg_list ',' arg { $$ = ast_push($1, $3); }
	;

arg
	: expr
	| IDENT '=' expr   { $$ = ast_bind(AST_ARG, @$, ast_named(AST_NAME, @1, $1, @1), $3); }
	;

items
	: %empty           { $$ = ast_new(AST_LIST, @$); }
	| item_list
	| item_list ','
	;

item_list
	: item             { $$ = ast_push(ast_new(AST_LIST, @$), $1); }
	| item_list ',' item { $$ = ast_push($1, $3); }
	;

item
	: expr
	;

names
	: name_list
	| name_list ','
	;

name_list
	: IDENT            { $$ = ast_push(ast_new(AST_LIST, @$), ast_named(AST_NAME, @1, $1, @1)); }
	| name_list ',' IDENT { $$ = ast_push($1, ast_named(AST_NAME, @3, $3, @3)); }
	;

%%

/* Words for a token in a message: its text where that helps ("name 'epochs'"). */
static void describe_token(char *buf, size_t size, yysymbol_kind_t kind, YYLTYPE at)
{
	const char *text = at.src->text, *end = text + at.src->len;
	/* a --set value or a schedule expression on the command line is no file */
	const char *eof = at.src->name[0] == '-' || (at.src->name[0] == '<'
		&& strcmp(at.src->name, "<stdin>") != 0) ? "end of the value" : "end of file";
	const char *p = text;
	for (int line = 1; line < at.first_line && p < end; p++)
		if (*p == '\n')
			line++;
	p += at.first_column - 1;
	int len = at.last_line == at.first_line ? at.last_column - at.first_column : 0;
	if (p > end)
		p = end;
	if (len > 40 || p + len > end)
		len = p + 40 <= end ? 40 : (int)(end - p);
	switch (kind) {
	case YYSYMBOL_IDENT: snprintf(buf, size, "name '%.*s'", len, p); break;
	case YYSYMBOL_NUMBER: snprintf(buf, size, "number '%.*s'", len, p); break;
	case YYSYMBOL_STRING: snprintf(buf, size, "a string"); break;
	case YYSYMBOL_YYEOF: snprintf(buf, size, "%s", eof); break;
	case YYSYMBOL_NL:
		snprintf(buf, size, "%s", p < end && *p == '}' ? "'}'" : p >= end ? eof : "end of line");
		break;
	default: snprintf(buf, size, "%s", yysymbol_name(kind)); break;
	}
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, struct parse_ctx *ctx)
{
	enum { MAX_LISTED = 4 };
	yysymbol_kind_t expected[YYNTOKENS];
	int n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
	YYLTYPE at = *yypcontext_location(yyctx);
	char got[96];
	describe_token(got, sizeof got, yypcontext_token(yyctx), at);

	/* An open bracket whose closer would fit here: say so, with where it opened. */
	if (ctx->nopen > 0) {
		const struct parse_bracket *open = &ctx->open[ctx->nopen - 1];
		char closer = open->ch == '(' ? ')' : open->ch == '[' ? ']' : '}';
		yysymbol_kind_t want = YYTRANSLATE((int)closer);
		for (int i = 0; i < n; i++)
			if (expected[i] == want) {
				diag_error(ctx->diag, at,
				           "unexpected %s; '%c' expected (to close '%c' at %d:%d)", got,
				           closer, open->ch, open->loc.first_line,
				           diag_display_column(open->loc.src, open->loc.first_line,
				                               open->loc.first_column));
				return 0;
			}
	}
	for (int i = 0; i < n; i++)
		if (expected[i] == YYSYMBOL_LET) {
			diag_error(ctx->diag, at, "unexpected %s; expected a declaration", got);
			diag_help(ctx->diag, "a file declares: let NAME = ..., data NAME { }, network NAME "
			          "{ }, train NAME { }, sweep { }, minimize F(x) = ... { }");
			return 0;
		}
	if (n < 1 || n > MAX_LISTED) {
		diag_error(ctx->diag, at, "unexpected %s", got);
		return 0;
	}
	char list[256] = "";
	for (int i = 0; i < n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%s",
		         i == 0 ? "" : i == n - 1 ? " or " : ", ", yysymbol_name(expected[i]));
	}
	diag_error(ctx->diag, at, "unexpected %s; expected %s", got, list);
	return 0;
}

/* Bison's own messages; with parse.error custom only its stack limit reaches here. */
static void yyerror(YYLTYPE *loc, struct parse_ctx *ctx, const char *msg)
{
	if (strcmp(msg, "memory exhausted") == 0)
		diag_error(ctx->diag, *loc, "this is nested too deeply (more than %d levels)",
		           YYMAXDEPTH);
	else
		diag_error(ctx->diag, *loc, "%s", msg);
}
