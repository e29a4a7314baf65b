/* diag.h — source texts, locations and the one printer of every diagnostic.
 *
 * For: turning "this range of this source is wrong because ..." into the layout of
 * LANGUAGE.md section 8 (FILE:LINE:COL: error: MESSAGE, the source line, a caret
 * underline, then note:/help: lines) and counting errors so that the next stage runs
 * only when there are none. Not for: deciding what is wrong (that is check.c).
 */
#ifndef DESCENT_DIAG_H
#define DESCENT_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A text that was parsed: a file, standard input, or one --set value. */
struct source {
	char *name;  /* as shown in messages ("examples/iris.nn", "<stdin>", "--set") */
	char *text;  /* the whole text, NUL-terminated */
	size_t len;  /* bytes in text, without the NUL */
};

/* A range of a source. Lines are 1-based; columns are 1-based byte columns, last_column
 * one past the last byte. Messages show columns in characters (diag.c converts). */
struct loc {
	const struct source *src; /* NULL for "no location" */
	int first_line;           /* line of the first byte */
	int first_column;         /* column of the first byte */
	int last_line;            /* line of the last byte */
	int last_column;          /* column after the last byte */
};

/* Collects and prints diagnostics of one command. */
struct diag {
	FILE *out;      /* where messages go; NULL counts them without printing */
	int errors;     /* errors reported so far */
	int warnings;   /* warnings reported so far */
	int max_errors; /* stop printing after this many errors (0: no limit) */
	bool color;     /* ANSI colours (a terminal without NO_COLOR) */
	bool muted;     /* the last error was held back by max_errors; so are its notes */
};

/* The most a .nn text may hold (a file, standard input): 16 MiB. Reading stops there, so
 * `descent check /dev/zero` is refused instead of filling the memory. */
enum { SOURCE_MAX_BYTES = 16 << 20 };

/* Reads a whole file ("-" is standard input) into a new source; NULL with errno set on
 * failure (EFBIG: more than SOURCE_MAX_BYTES). The caller owns the result and frees it
 * with source_free. */
struct source *source_read(const char *path);
/* A source holding a copy of text; the caller owns it. */
struct source *source_from_string(const char *name, const char *text);
void source_free(struct source *src);

void diag_init(struct diag *d, FILE *out);

/* The reporting functions; each takes a printf format. */
void diag_error(struct diag *d, struct loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(struct diag *d, struct loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note with a location of its own ("first set here"), after an error or warning. */
void diag_note(struct diag *d, struct loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An unlocated "help: ..." line after an error or warning. */
void diag_help(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The range from the start of a to the end of b. */
struct loc loc_span(struct loc a, struct loc b);

/* The display column (1-based, in characters) of byte column col on line of src. */
int diag_display_column(const struct source *src, int line, int col);

/* Levenshtein distance between two short names, for "did you mean". */
int diag_edit_distance(const char *a, const char *b);
/* The closest of candidates (NULL-terminated) to name, or NULL if none is close. */
const char *diag_closest(const char *name, const char *const *candidates);

#endif
