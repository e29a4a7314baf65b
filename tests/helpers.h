/* helpers.h — what the Criterion suites share: running the parse/fold/check pipeline in
 * memory, running the `descent` binary, and reading files. */
#ifndef DESCENT_TEST_HELPERS_H
#define DESCENT_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "parse.h"

/* The outcome of checking a text in memory. */
struct checked {
	int errors;      /* errors reported */
	int warnings;    /* warnings reported */
	char *messages;  /* everything printed (owned; free it) */
};

/* Parses text in mode; the diagnostics go to *messages (owned by the caller, may be NULL).
 * The returned tree must be freed with ast_free and the source with source_free. */
struct ast *parse_text(const char *text, enum parse_mode mode, struct source **src,
                       int *errors, char **messages);
/* Parses, folds and checks text as a whole file. */
struct checked check_text(const char *text);
/* Parses and folds text as a file and returns it (for looking at folded values). */
struct ast *fold_text(const char *text, struct source **src, int *errors);

/* Runs the descent binary ($DESCENT, or ./descent) with args (NULL-terminated, without
 * argv[0]), feeding input on standard input if not NULL; returns the exit status and
 * fills *out and *err with what it printed (owned by the caller; pass NULL to drop). */
int run_descent(const char *const *args, const char *input, char **out, char **err);

/* The whole file at path, NUL-terminated (NULL if unreadable); *len its size. */
char *slurp(const char *path, size_t *len);
/* The number after "key": in the JSON text (a log line, eval --json), or NAN. */
double json_number(const char *text, const char *key);
/* Writes text to path; 0, or -1. */
int write_text(const char *path, const char *text);
/* A JSON Lines log without its "seconds" fields (wall time: the one field two runs of the
 * same file do not share); NULL if unreadable. */
char *log_without_seconds(const char *path);
/* The values of "key" in each line of the JSON Lines file at path (at most max); returns
 * how many, or -1 when the file cannot be read. */
int log_values(const char *path, const char *key, double *out, int max);
/* Whether the run folders one and two hold the same weights file (byte for byte) and the
 * same log but for its seconds, both named relative to the folders: NULL, or what differs
 * (a static string). */
const char *runs_differ(const char *one, const char *two, const char *weights, const char *log);

/* Makes a new empty folder /tmp/descent-test-XXXXXX, its path in dir (64 bytes); false if
 * it cannot. */
bool scratch_dir(char *dir);
/* Removes dir and everything in it; 0 on success. */
int remove_tree(const char *dir);
/* Calls each(line) for every line of the manifest at path that is not a '#' comment (the
 * line is writable); returns how many. */
int each_case(const char *path, void (*each)(char *line));

/* The files in dir whose names end with suffix, sorted, NULL-terminated; *n their count.
 * Each name is "dir/file". Free with free_names. */
char **list_files(const char *dir, const char *suffix, int *n);
void free_names(char **names);

/* Writes images.idx (images.idx.gz when gz) with n uint8 images (h, w) and labels.idx
 * with labels 0, 1, 2, 0, ... into dir; 0, or -1 when a write failed. */
int write_idx_pair(const char *dir, int n, int h, int w, bool gz);
/* Writes a float32 NPY array of the given shape (values 0..6 repeating) to path; 0 or -1. */
int write_npy_f32(const char *path, const int64_t *shape, int ndim);

#endif
