/* diag.c — the one printer of every diagnostic (see diag.h).
 *
 * Layout, as LANGUAGE.md section 8 asks:
 *
 *     run.nn:7:17: error: unknown optimizer 'adamx'
 *         7 |     optimizer = adamx(lr = 1e-3)
 *           |                 ^~~~~
 *     help: did you mean 'adamw'?
 *
 * Columns in the first line count characters, not bytes; the caret line copies the
 * source line's tabs and gives wide characters two cells, so the caret stays under the
 * culprit whatever the line holds.
 */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Reads all of f into a new source named name; NULL with errno EFBIG past
 * SOURCE_MAX_BYTES (it reads one byte more than that, no further). */
static struct source *source_slurp(FILE *f, const char *name)
{
	struct source *src = calloc(1, sizeof *src);
	size_t cap = 4096;
	if (!src || !(src->text = malloc(cap)) || !(src->name = strdup(name)))
		goto fail;
	size_t n;
	while ((n = fread(src->text + src->len, 1, cap - src->len - 1, f)) > 0) {
		src->len += n;
		if (src->len > SOURCE_MAX_BYTES) {
			source_free(src);
			errno = EFBIG;
			return NULL;
		}
		if (cap - src->len - 1 == 0) {
			char *bigger = realloc(src->text, cap * 2);
			if (!bigger)
				goto fail;
			src->text = bigger;
			cap *= 2;
		}
	}
	if (ferror(f))
		goto fail;
	src->text[src->len] = '\0';
	return src;
fail:
	source_free(src);
	return NULL;
}

struct source *source_read(const char *path)
{
	if (strcmp(path, "-") == 0)
		return source_slurp(stdin, "<stdin>");
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > SOURCE_MAX_BYTES) {
		fclose(f); /* refused before reading a byte */
		errno = EFBIG;
		return NULL;
	}
	struct source *src = source_slurp(f, path);
	int saved = errno;
	fclose(f);
	errno = saved;
	return src;
}

struct source *source_from_string(const char *name, const char *text)
{
	struct source *src = calloc(1, sizeof *src);
	if (!src)
		return NULL;
	src->name = strdup(name);
	src->text = strdup(text);
	src->len = strlen(text);
	if (!src->name || !src->text) {
		source_free(src);
		return NULL;
	}
	return src;
}

void source_free(struct source *src)
{
	if (!src)
		return;
	free(src->name);
	free(src->text);
	free(src);
}

void diag_init(struct diag *d, FILE *out)
{
	*d = (struct diag){.out = out, .max_errors = 50};
}

/* Start of line `line` in src, or NULL if the source has fewer lines. */
static const char *line_start(const struct source *src, int line)
{
	const char *p = src->text, *end = src->text + src->len;
	for (int l = 1; l < line; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			return NULL;
		p++;
	}
	return p;
}

static size_t line_length(const char *start, const struct source *src)
{
	const char *end = src->text + src->len;
	const char *nl = memchr(start, '\n', (size_t)(end - start));
	size_t n = nl ? (size_t)(nl - start) : (size_t)(end - start);
	if (n > 0 && start[n - 1] == '\r')
		n--;
	return n;
}

/* Decodes one UTF-8 character at s (n bytes available); returns its length, and the
 * code point in *cp (U+FFFD for a malformed byte, which then counts as one character). */
static int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	int len = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3
		: (s[0] >> 3) == 30 ? 4 : 0;
	if (len == 0 || (size_t)len > n) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return len;
}

/* Terminal cells taken by a code point: 0 for combining marks, 2 for East Asian wide
 * and emoji ranges, 1 otherwise (a short table; wcwidth would depend on the locale). */
static int cell_width(uint32_t cp)
{
	if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x200B && cp <= 0x200F))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF)
	    || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF)
	    || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60)
	    || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF)
	    || (cp >= 0x20000 && cp <= 0x3FFFD))
		return 2;
	return 1;
}

int diag_display_column(const struct source *src, int line, int col)
{
	const char *start = line_start(src, line);
	if (!start)
		return col;
	size_t n = line_length(start, src), byte = 0;
	int chars = 1;
	while (byte + 1 < (size_t)col && byte < n) {
		uint32_t cp;
		byte += (size_t)utf8_decode((const unsigned char *)start + byte, n - byte, &cp);
		chars++;
	}
	return chars + (int)((size_t)col - 1 - byte);
}

/* Writes the padding or underline for bytes [from, to) of a line: tabs are copied so
 * that the terminal expands them as it did above, other characters take their cells. */
static void put_cells(FILE *out, const char *line, size_t n, size_t from, size_t to, char fill)
{
	size_t byte = 0;
	while (byte < to) {
		uint32_t cp = ' ';
		int len = byte < n ? utf8_decode((const unsigned char *)line + byte, n - byte, &cp) : 1;
		if (byte >= from) {
			int w = cp == '\t' ? 1 : cell_width(cp);
			for (int i = 0; i < w; i++)
				fputc(cp == '\t' && fill == ' ' ? '\t' : fill, out);
		}
		byte += (size_t)len;
	}
}

/* Writes line[from, to) with control characters (but tabs) shown as '?', one cell each. */
static void put_source(FILE *out, const char *line, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)line[i];
		fputc((c < 0x20 && c != '\t') || c == 0x7F ? '?' : c, out);
	}
}

/* Moves byte offset i of line back to the start of its UTF-8 character. */
static size_t char_start(const char *line, size_t i)
{
	while (i > 0 && ((unsigned char)line[i] & 0xC0) == 0x80)
		i--;
	return i;
}

enum { EXCERPT_CONTEXT = 60 }; /* bytes shown each side of the culprit on a long line */

static void print_excerpt(struct diag *d, struct loc at)
{
	const char *line = line_start(at.src, at.first_line);
	if (!line)
		return;
	size_t n = line_length(line, at.src);
	size_t first = at.first_column > 0 ? (size_t)at.first_column - 1 : 0;
	size_t last = at.last_line == at.first_line && at.last_column > at.first_column
		? (size_t)at.last_column - 1 : n;
	if (last <= first)
		last = first + 1;
	/* a long line is shown as a window around the culprit */
	size_t from = 0, to = n;
	if (n > 2 * EXCERPT_CONTEXT + 20) {
		from = first > EXCERPT_CONTEXT ? char_start(line, first - EXCERPT_CONTEXT) : 0;
		size_t end = (last < first + EXCERPT_CONTEXT ? last : first + 1) + EXCERPT_CONTEXT;
		to = end < n ? char_start(line, end) : n;
		if (last > to)
			last = to > first + 1 ? to : first + 1;
	}
	const char *cut = from > 0 ? "..." : "";
	fprintf(d->out, "%5d | %s", at.first_line, cut);
	put_source(d->out, line, from, to);
	fprintf(d->out, "%s\n      | %s", to < n ? "..." : "", from > 0 ? "   " : "");
	line += from;
	n -= from;
	first -= from;
	last -= from;
	put_cells(d->out, line, n, 0, first, ' ');
	fputs(d->color ? "\033[1;32m" : "", d->out);
	fputc('^', d->out);
	uint32_t culprit = ' ';
	if (first < n && utf8_decode((const unsigned char *)line + first, n - first, &culprit) > 1
	    && cell_width(culprit) == 2)
		fputc('~', d->out); /* the caret's character is two cells wide */
	size_t after_caret = first + 1;
	while (after_caret < n && ((unsigned char)line[after_caret] & 0xC0) == 0x80)
		after_caret++;
	if (last > after_caret)
		put_cells(d->out, line, n, after_caret, last, '~');
	fputs(d->color ? "\033[0m" : "", d->out);
	fputc('\n', d->out);
}

enum level { LEVEL_ERROR, LEVEL_WARNING, LEVEL_NOTE };

static const char *const level_name[] = {"error", "warning", "note"};
static const char *const level_color[] = {"\033[1;31m", "\033[1;35m", "\033[1;36m"};

static void report(struct diag *d, enum level level, struct loc at, const char *fmt, va_list ap)
{
	if (level == LEVEL_ERROR && ++d->errors > d->max_errors && d->max_errors > 0) {
		if (d->errors == d->max_errors + 1 && d->out)
			fprintf(d->out, "error: too many errors (%d); stopping here\n", d->max_errors);
		d->muted = true;
		return;
	}
	if (level == LEVEL_WARNING)
		d->warnings++;
	if (level != LEVEL_NOTE)
		d->muted = !d->out;
	if (d->muted)
		return;
	if (at.src)
		fprintf(d->out, "%s:%d:%d: ", at.src->name, at.first_line,
		        diag_display_column(at.src, at.first_line, at.first_column));
	fprintf(d->out, "%s%s:%s ", d->color ? level_color[level] : "", level_name[level],
	        d->color ? "\033[0m" : "");
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	if (at.src)
		print_excerpt(d, at);
}

void diag_error(struct diag *d, struct loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, LEVEL_ERROR, at, fmt, ap);
	va_end(ap);
}

void diag_warning(struct diag *d, struct loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, LEVEL_WARNING, at, fmt, ap);
	va_end(ap);
}

void diag_note(struct diag *d, struct loc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, LEVEL_NOTE, at, fmt, ap);
	va_end(ap);
}

void diag_help(struct diag *d, const char *fmt, ...)
{
	if (d->muted)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(d->out, "%shelp:%s ", d->color ? "\033[1;32m" : "", d->color ? "\033[0m" : "");
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	va_end(ap);
}

struct loc loc_span(struct loc a, struct loc b)
{
	a.last_line = b.last_line;
	a.last_column = b.last_column;
	return a;
}

int diag_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	int row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diagonal = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int best = diagonal + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = up;
		}
	}
	return row[lb];
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;
	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

const char *diag_closest(const char *name, const char *const *candidates)
{
	size_t len = strlen(name);
	int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	const char *best = NULL;
	int best_distance = limit + 1;
	for (; *candidates; candidates++) {
		int dist = diag_edit_distance(name, *candidates);
		/* ties: the longer shared beginning wins ('unit': 'units', not 'init'), then
		 * the same length (a typo rather than a missing letter: 'adamx': 'adamw') */
		bool better = dist < best_distance;
		if (dist == best_distance && best) {
			size_t p = common_prefix(name, *candidates), q = common_prefix(name, best);
			better = p > q || (p == q && strlen(*candidates) == len && strlen(best) != len);
		}
		if (better) {
			best = *candidates;
			best_distance = dist;
		}
	}
	return best;
}
