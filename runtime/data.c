/* data.c — loading, generating, splitting and batching data sets (see data.h).
 *
 * Files are read through zlib's gz* functions, which read gzip and plain files alike;
 * offsets in messages count bytes of the (uncompressed) data. Buffers grow as data
 * arrives, so a header that claims more than the file holds ends in "truncated at offset
 * N", never in an allocation of what the header claims.
 */
#include "data.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_thread_num(void) { return 0; }
static int omp_get_num_threads(void) { return 1; }
#endif

#include "pace.h"
#include "rng.h"

enum { CHUNK = 64 << 20 }; /* bytes read, and grown, at a time */

static int fail(struct data_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct data_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- reading files ---- */

struct reader {
	gzFile f;         /* the open file */
	const char *path; /* its name, for messages */
	int64_t offset;   /* bytes of data read so far */
};

static int reader_open(struct reader *r, const char *path, struct data_error *err)
{
	errno = 0;
	*r = (struct reader){gzopen(path, "rb"), path, 0};
	if (!r->f)
		return fail(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
	gzbuffer(r->f, 1 << 17);
	return 0;
}

static void reader_close(struct reader *r)
{
	if (r->f)
		gzclose(r->f);
	r->f = NULL;
}

/* Reads up to n bytes; returns how many (fewer only at the end), or -1 (reported). */
static int64_t reader_some(struct reader *r, void *buf, int64_t n, struct data_error *err)
{
	int64_t got = 0;
	while (got < n) {
		unsigned want = n - got > (1 << 30) ? 1u << 30 : (unsigned)(n - got);
		int k = gzread(r->f, (char *)buf + got, want);
		int code = Z_OK;
		const char *why = k <= 0 ? gzerror(r->f, &code) : "";
		if (k < 0 || code == Z_BUF_ERROR || code == Z_DATA_ERROR) {
			if (code == Z_ERRNO)
				return fail(err, "%s: offset %lld: cannot read: %s", r->path,
				            (long long)(r->offset + got), strerror(errno));
			size_t skip = strncmp(why, r->path, strlen(r->path)) == 0 ? strlen(r->path) + 2 : 0;
			return fail(err, "%s: byte %lld of the file: the gzip data is %s (%s)", r->path,
			            (long long)gzoffset(r->f), code == Z_BUF_ERROR ? "truncated" : "corrupt",
			            strlen(why) >= skip ? why + skip : why);
		}
		if (k == 0)
			break;
		got += k;
	}
	r->offset += got;
	return got;
}

/* Reads exactly n bytes of `what`, or says where the file ended. */
static int reader_exact(struct reader *r, void *buf, int64_t n, const char *what,
                        struct data_error *err)
{
	int64_t start = r->offset, got = reader_some(r, buf, n, err);
	if (got < 0)
		return -1;
	if (got < n)
		return fail(err, "%s: truncated at offset %lld: %s take %lld bytes from offset %lld, "
		            "but only %lld are there", r->path, (long long)r->offset, what,
		            (long long)n, (long long)start, (long long)got);
	return 0;
}

/* Reads n bytes of `what` into a new buffer, grown as the data arrives. */
static void *reader_alloc(struct reader *r, int64_t n, const char *what, struct data_error *err)
{
	int64_t start = r->offset, have = 0, got = 0;
	char *buf = malloc(1);
	while (buf && have < n) {
		int64_t chunk = n - have < CHUNK ? n - have : CHUNK;
		char *bigger = realloc(buf, (size_t)(have + chunk));
		if (!bigger) {
			free(buf);
			fail(err, "%s: out of memory for %lld bytes of %s", r->path, (long long)n, what);
			return NULL;
		}
		buf = bigger;
		if ((got = reader_some(r, buf + have, chunk, err)) < 0)
			break;
		have += got;
		if (got < chunk) {
			fail(err, "%s: truncated at offset %lld: %s take %lld bytes from offset %lld, "
			     "but only %lld are there", r->path, (long long)r->offset, what, (long long)n,
			     (long long)start, (long long)have);
			break;
		}
	}
	if (buf && have < n) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Reads to the end of the file into a new NUL-terminated buffer. */
static char *reader_all(struct reader *r, int64_t *len, struct data_error *err)
{
	int64_t cap = 1 << 16, n = 0, got;
	char *buf = malloc((size_t)cap + 1);
	while (buf && (got = reader_some(r, buf + n, cap - n, err)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger = realloc(buf, (size_t)(cap *= 2) + 1);
			if (!bigger) {
				free(buf);
				buf = NULL;
			}
			buf = bigger;
		}
	}
	if (!buf) {
		fail(err, "%s: out of memory after %lld bytes", r->path, (long long)n);
		return NULL;
	}
	if (got < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Fails if anything follows offset: a file with more than its header describes. */
static int reader_expect_end(struct reader *r, struct data_error *err)
{
	char extra;
	int64_t got = reader_some(r, &extra, 1, err);
	if (got < 0)
		return -1;
	if (got > 0)
		return fail(err, "%s: offset %lld: more data than the header describes",
		            r->path, (long long)(r->offset - 1));
	return 0;
}

void data_free(struct dataset *ds)
{
	free(ds->u8);
	free(ds->f32);
	free(ds->y);
	free(ds->t);
	for (int c = 0; ds->names && c < ds->classes; c++)
		free(ds->names[c]);
	free(ds->names);
	*ds = (struct dataset){0};
}

/* Appends name to the JSON text at out (room for every byte escaped as \u00XX). */
static char *json_string(char *out, const char *name)
{
	*out++ = '"';
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '"' || *p == '\\')
			out += sprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			out += sprintf(out, "\\u%04x", *p);
		else
			*out++ = (char)*p;
	*out++ = '"';
	return out;
}

char *data_label_list(const struct dataset *ds)
{
	if (!ds->names)
		return NULL;
	size_t size = 3;
	for (int c = 0; c < ds->classes; c++)
		size += 6 * strlen(ds->names[c]) + 4;
	char *text = malloc(size), *p = text;
	if (!text)
		return NULL;
	*p++ = '[';
	for (int c = 0; c < ds->classes; c++) {
		if (c)
			p += sprintf(p, ", ");
		p = json_string(p, ds->names[c]);
	}
	*p++ = ']';
	*p = '\0';
	return text;
}

/* Sets classes to 1 + the largest label. */
static void count_classes(struct dataset *ds)
{
	ds->classes = 0;
	for (int64_t i = 0; i < ds->n; i++)
		if (ds->y[i] + 1 > ds->classes)
			ds->classes = ds->y[i] + 1;
}

/* ---- IDX ---- */

/* Reads an IDX header of unsigned bytes with min_dims..max_dims dimensions; returns the
 * number of samples (first dimension), in *rest the product of the others and in *sample
 * their shape (shape_of_sample). */
static int64_t idx_header(struct reader *r, int min_dims, int max_dims, int64_t *rest,
                          struct shape *sample, struct data_error *err)
{
	unsigned char magic[4], size[4];
	if (reader_exact(r, magic, 4, "the IDX magic number", err) != 0)
		return -1;
	if (magic[0] != 0 || magic[1] != 0)
		return fail(err, "%s: offset 0: not an IDX file (it starts with %02x %02x, not 00 00)",
		            r->path, magic[0], magic[1]);
	if (magic[2] != 0x08)
		return fail(err, "%s: offset 2: IDX type 0x%02x is not supported (only 0x08, "
		            "unsigned bytes)", r->path, magic[2]);
	if (magic[3] < min_dims || magic[3] > max_dims)
		return fail(err, "%s: offset 3: %d dimensions; expected %d%s", r->path, magic[3],
		            min_dims, min_dims == max_dims ? "" : " or more");
	int64_t n = 0, dims[4];
	*rest = 1;
	for (int k = 0; k < magic[3]; k++) {
		if (reader_exact(r, size, 4, "the IDX dimensions", err) != 0)
			return -1;
		int64_t dim = (int64_t)size[0] << 24 | size[1] << 16 | size[2] << 8 | size[3];
		if (dim == 0)
			return fail(err, "%s: offset %lld: dimension %d is 0", r->path,
			            (long long)(r->offset - 4), k + 1);
		if (k == 0) {
			n = dim;
		} else if (dim > ((int64_t)1 << 32) / *rest) { /* checked before it can overflow */
			return fail(err, "%s: offset %lld: %lld × %lld values per sample is absurd",
			            r->path, (long long)(r->offset - 4), (long long)*rest, (long long)dim);
		} else {
			*rest *= dim;
		}
		if (k > 0)
			dims[k - 1] = dim;
	}
	*sample = shape_of_sample(dims, magic[3] - 1);
	return n;
}

int data_load_idx(const char *images, const char *labels, struct dataset *out,
                  struct data_error *err)
{
	struct reader ri = {0}, rl = {0};
	*out = (struct dataset){.type = DATA_U8};
	int64_t d, one;
	struct shape sample, none;
	int64_t n = reader_open(&ri, images, err) == 0 ? idx_header(&ri, 2, 4, &d, &sample, err) : -1;
	if (n > 0 && n > ((int64_t)1 << 40) / d) {
		fail(err, "%s: offset 4: %lld images of %lld bytes is absurd", images, (long long)n,
		     (long long)d);
		goto fail;
	}
	if (n < 0 || !(out->u8 = reader_alloc(&ri, n * d, "the images", err))
	    || reader_expect_end(&ri, err) != 0)
		goto fail;
	int64_t m = reader_open(&rl, labels, err) == 0 ? idx_header(&rl, 1, 1, &one, &none, err) : -1;
	if (m < 0)
		goto fail;
	if (m != n) {
		fail(err, "%s holds %lld images but %s holds %lld labels", images, (long long)n,
		     labels, (long long)m);
		goto fail;
	}
	uint8_t *bytes = reader_alloc(&rl, n, "the labels", err);
	if (!bytes || reader_expect_end(&rl, err) != 0 || !(out->y = malloc((size_t)n * sizeof *out->y))) {
		free(bytes);
		if (!out->y && bytes)
			fail(err, "%s: out of memory", labels);
		goto fail;
	}
	for (int64_t i = 0; i < n; i++)
		out->y[i] = bytes[i];
	free(bytes);
	out->n = n;
	out->d = d;
	out->shape = sample;
	count_classes(out);
	reader_close(&ri);
	reader_close(&rl);
	return 0;
fail:
	reader_close(&ri);
	reader_close(&rl);
	data_free(out);
	return -1;
}

int data_sample_shape_idx(const char *images, struct shape *out, struct data_error *err)
{
	struct reader r;
	int64_t d;
	int64_t n = reader_open(&r, images, err) == 0 ? idx_header(&r, 2, 4, &d, out, err) : -1;
	reader_close(&r);
	return n < 0 ? -1 : 0;
}

/* ---- CSV ---- */

/* The fields of one line, split at commas; "quoted, fields" with "" for a quote. The
 * line is cut in place. Returns the number of fields (at most max), or -1 for an
 * unterminated quote. */
static int csv_fields(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		char *start = p, *w = p;
		if (*p == '"') {
			start = w = ++p;
			for (;; p++) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"')
					*w++ = *p++;
				else if (*p == '"')
					break;
				else
					*w++ = *p;
			}
			p++;
			while (*p && *p != ',')
				p++;
		} else {
			while (*p && *p != ',')
				p++;
			w = p;
			while (w > start && (w[-1] == ' ' || w[-1] == '\t' || w[-1] == '\r'))
				w--;
		}
		char sep = *p;
		*w = '\0';
		if (n < max)
			fields[n] = start;
		n++;
		if (sep != ',')
			return n;
		p++;
	}
}

/* A whole finite number: *out; false if text is not one. */
static bool csv_number(const char *text, double *out)
{
	char *end;
	*out = strtod(text, &end);
	return *text && !*end;
}

/* Whether the finite double v is beyond float32's range: it would round to an infinity
 * (from FLT_MAX plus half a unit of its last place, as round-to-nearest-even does). */
static bool beyond_float32(double v)
{
	return fabs(v) >= 0x1.ffffffp127;
}

/* The class id of a label name, adding it if new. */
static int csv_class(struct dataset *ds, const char *name)
{
	for (int c = 0; c < ds->classes; c++)
		if (strcmp(ds->names[c], name) == 0)
			return c;
	char **grown = realloc(ds->names, (size_t)(ds->classes + 1) * sizeof *grown);
	if (!grown)
		return -1;
	ds->names = grown;
	if (!(ds->names[ds->classes] = strdup(name)))
		return -1;
	return ds->classes++;
}

struct csv_table {
	char **lines;   /* the data lines (cut in place), not empty */
	int64_t *line_numbers; /* their 1-based numbers in the file */
	int64_t rows;   /* entries */
	int columns;    /* fields per line */
	char **header;  /* column names (columns), or NULL */
};

enum { CSV_MAX_COLUMNS = 1 << 16 };

/* Splits data line i of t into fields, which must number the table's columns; 0, or -1
 * (reported with the file's line number). */
static int csv_row(const struct csv_table *t, int64_t i, const char *path, char **fields,
                   struct data_error *err)
{
	long long line = (long long)t->line_numbers[i];
	int n = csv_fields(t->lines[i], fields, CSV_MAX_COLUMNS);
	if (n < 0)
		return fail(err, "%s:%lld: a quote is not closed", path, line);
	if (n != t->columns)
		return fail(err, "%s:%lld: %d fields; the %s has %d", path, line, n,
		            t->header ? "header" : "first line", t->columns);
	return 0;
}

/* Cuts text into lines; the first non-empty one is the header if header is true. */
static int csv_lines(char *text, bool header, const char *path, struct csv_table *t,
                     char **fields, struct data_error *err)
{
	int64_t cap = 1024, line_no = 0;
	t->lines = malloc((size_t)cap * sizeof *t->lines);
	t->line_numbers = malloc((size_t)cap * sizeof *t->line_numbers);
	for (char *line = text, *next; t->lines && t->line_numbers && line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line_no++;
		if (line[strspn(line, " \t\r")] == '\0')
			continue;
		if (header && !t->header) {
			int n = csv_fields(line, fields, CSV_MAX_COLUMNS);
			if (n < 0 || n > CSV_MAX_COLUMNS)
				return fail(err, "%s:%lld: %s", path, (long long)line_no,
				            n < 0 ? "a quote is not closed" : "too many columns");
			t->columns = n;
			t->header = malloc((size_t)n * sizeof *t->header);
			if (!t->header)
				break;
			memcpy(t->header, fields, (size_t)n * sizeof *fields);
			continue;
		}
		if (t->rows == cap) {
			cap *= 2;
			char **l = realloc(t->lines, (size_t)cap * sizeof *l);
			int64_t *ln = realloc(t->line_numbers, (size_t)cap * sizeof *ln);
			if (l)
				t->lines = l;
			if (ln)
				t->line_numbers = ln;
			if (!l || !ln)
				break;
		}
		t->line_numbers[t->rows] = line_no;
		t->lines[t->rows++] = line;
	}
	if (!t->lines || !t->line_numbers || (header && t->columns && !t->header))
		return fail(err, "%s: out of memory", path);
	return 0;
}

static void csv_table_free(struct csv_table *t)
{
	free(t->lines);
	free(t->line_numbers);
	free(t->header);
}

/* Finds the label column: by name in the header, or by index. */
static int csv_label_column(const struct csv_table *t, const char *path, const char *name,
                            int64_t index, struct data_error *err)
{
	if (name) {
		if (!t->header)
			return fail(err, "%s: the label is the column named '%s', but the file has no "
			            "header line", path, name);
		for (int c = 0; c < t->columns; c++)
			if (strcmp(t->header[c], name) == 0)
				return c;
		char list[256] = "";
		for (int c = 0; c < t->columns && strlen(list) < 200; c++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", c ? ", " : "",
			         t->header[c]);
		return fail(err, "%s:1: no column is named '%s'; the columns are %s", path, name, list);
	}
	if (index >= t->columns)
		return fail(err, "%s: the label is column %lld, but the file has %d columns (0 to %d)",
		            path, (long long)index, t->columns, t->columns - 1);
	return (int)index;
}

/* The 1-based line of the first row whose label is a name, or 0 if every one is a
 * number (then the labels are class ids). */
static int64_t csv_first_name(const struct csv_table *t, int label, char **fields)
{
	for (int64_t i = 0; i < t->rows; i++) {
		char *copy = strdup(t->lines[i]);
		double v;
		bool name = copy && csv_fields(copy, fields, CSV_MAX_COLUMNS) > label
			&& !csv_number(fields[label], &v);
		free(copy);
		if (name)
			return t->line_numbers[i];
	}
	return 0;
}

/* Gives ds the label names of known (a training set's), so that its ids mean the same. */
static int csv_take_names(struct dataset *ds, const struct dataset *known)
{
	ds->names = calloc((size_t)known->classes, sizeof *ds->names);
	ds->classes = known->classes;
	for (int c = 0; ds->names && c < known->classes; c++)
		if (!(ds->names[c] = strdup(known->names[c])))
			return -1;
	return ds->names ? 0 : -1;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The class id of a name among known's (sorted) names, or -1. */
static int known_class(const struct dataset *known, const char *name)
{
	char *const *hit = bsearch(&name, known->names, (size_t)known->classes,
	                           sizeof *known->names, compare_names);
	return hit ? (int)(hit - known->names) : -1;
}

/* Fails for a label of path's line that known (the training file's labels) lacks. */
static int csv_unknown_label(const struct dataset *known, const char *path, long long line,
                             const char *where, const char *name, struct data_error *err)
{
	char list[200] = "";
	for (int c = 0; c < known->classes && strlen(list) < 150; c++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%.40s'", c ? ", " : "",
		         known->names[c]);
	return fail(err, "%s:%lld: %s: the label '%.60s' is not a label of the training file, "
	            "whose %d labels are %s%s", path, line, where, name, known->classes, list,
	            strlen(list) >= 150 ? ", ..." : "");
}

/* Numbers ds's label names in sorted order (LANGUAGE.md section 3): the names are sorted
 * and every y moved to its name's new place. */
static int csv_sort_names(struct dataset *ds)
{
	int k = ds->classes;
	int32_t *rank = malloc((size_t)(k ? k : 1) * sizeof *rank);
	char **sorted = malloc((size_t)(k ? k : 1) * sizeof *sorted);
	if (!rank || !sorted) {
		free(rank);
		free(sorted);
		return -1;
	}
	memcpy(sorted, ds->names, (size_t)k * sizeof *sorted);
	qsort(sorted, (size_t)k, sizeof *sorted, compare_names);
	for (int c = 0; c < k; c++) /* the new id of old id c */
		rank[c] = (int32_t)((char **)bsearch(&ds->names[c], sorted, (size_t)k, sizeof *sorted,
		                                     compare_names) - sorted);
	for (int64_t i = 0; i < ds->n; i++)
		ds->y[i] = rank[ds->y[i]];
	free(ds->names);
	ds->names = sorted;
	free(rank);
	return 0;
}

/* Reads the rows: features into ds->f32, labels (numbers or names) into ds->y. With
 * known (a training set), names take its ids, and names where it has numbers fail. */
static int csv_rows(const struct csv_table *t, const char *path, int label, char **fields,
                    const struct dataset *known, struct dataset *ds, struct data_error *err)
{
	int64_t d = t->columns - 1, first_name = csv_first_name(t, label, fields);
	bool names = first_name > 0 || (known && known->names);
	if (known && !known->names && first_name > 0)
		return fail(err, "%s:%lld: the labels of this file are names, but the training "
		            "file's are class ids (whole numbers)", path, (long long)first_name);
	ds->f32 = malloc((size_t)(t->rows * (d ? d : 1)) * sizeof *ds->f32);
	ds->y = malloc((size_t)(t->rows ? t->rows : 1) * sizeof *ds->y);
	if (!ds->f32 || !ds->y || (known && known->names && csv_take_names(ds, known) != 0))
		return fail(err, "%s: out of memory for %lld rows", path, (long long)t->rows);
	for (int64_t i = 0; i < t->rows; i++) {
		long long line = (long long)t->line_numbers[i];
		if (csv_row(t, i, path, fields, err) != 0)
			return -1;
		int n = t->columns;
		for (int c = 0, j = 0; c < n; c++) {
			double v;
			char where[96];
			if (t->header)
				snprintf(where, sizeof where, "column '%.60s'", t->header[c]);
			else
				snprintf(where, sizeof where, "column %d", c);
			if (c == label && names && known && known->names) {
				if ((ds->y[i] = known_class(known, fields[c])) < 0)
					return csv_unknown_label(known, path, line, where, fields[c], err);
				continue;
			}
			if (c == label && names) {
				if ((ds->y[i] = csv_class(ds, fields[c])) < 0)
					return fail(err, "%s: out of memory", path);
				continue;
			}
			if (!csv_number(fields[c], &v))
				return fail(err, "%s:%lld: %s: '%.40s' is not a number", path, line, where,
				            fields[c]);
			if (!isfinite(v))
				return fail(err, "%s:%lld: %s: %s is not a finite number", path, line, where,
				            fields[c]);
			if (beyond_float32(v))
				return fail(err, "%s:%lld: %s: %s is beyond float32's range", path, line,
				            where, fields[c]);
			if (c != label) {
				ds->f32[i * d + j++] = (float)v;
			} else if (v < 0 || v != floor(v) || v > 1e6) {
				return fail(err, "%s:%lld: %s: the label %s is not a class id (a whole number "
				            "from 0)", path, line, where, fields[c]);
			} else {
				ds->y[i] = (int32_t)v;
			}
		}
	}
	return 0;
}

/* Reads the CSV file at path into t (its lines cut in *text, which the caller frees):
 * fails for a file without data rows or with fewer than `least` columns. */
static int csv_read_table(const char *path, bool header, int least, struct csv_table *t,
                          char **text, char **fields, struct data_error *err)
{
	struct reader r;
	int64_t len;
	if (reader_open(&r, path, err) != 0)
		return -1;
	*text = reader_all(&r, &len, err);
	reader_close(&r);
	if (!*text || csv_lines(*text, header, path, t, fields, err) != 0)
		return -1;
	if (!t->header && t->rows > 0) { /* no header: the first line gives the width */
		char *copy = strdup(t->lines[0]);
		t->columns = copy ? csv_fields(copy, fields, CSV_MAX_COLUMNS) : 0;
		free(copy);
	}
	if (t->rows == 0)
		return fail(err, "%s: no data rows", path);
	if (t->columns < 0)
		return fail(err, "%s:%lld: a quote is not closed", path, (long long)t->line_numbers[0]);
	if (t->columns < least && least == 2)
		return fail(err, "%s: %d column; a label and at least one feature are needed", path,
		            t->columns);
	if (t->columns < least)
		return fail(err, "%s: %d columns; %d target columns and at least one feature are "
		            "needed", path, t->columns, least - 1);
	return 0;
}

/* Keeps the header names of t but column skip (-1: none), copied, in *names. */
static int csv_copy_names(const struct csv_table *t, int skip, char ***names, int *count)
{
	*count = 0;
	*names = malloc((size_t)(t->columns ? t->columns : 1) * sizeof **names);
	for (int c = 0; *names && c < t->columns; c++) {
		if (c == skip)
			continue;
		if (!((*names)[*count] = strdup(t->header[c])))
			return -1;
		++*count;
	}
	return *names ? 0 : -1;
}

int data_csv_columns(const char *path, const char *label_name, int64_t label_index,
                     int64_t width, char ***names, int *count, struct data_error *err)
{
	struct csv_table t = {0};
	char *text = NULL, **fields = malloc(CSV_MAX_COLUMNS * sizeof *fields);
	*names = NULL;
	*count = 0;
	int status = fields ? csv_read_table(path, true, 1, &t, &text, fields, err)
		: fail(err, "%s: out of memory", path);
	int skip = -1;
	for (int c = 0; status == 0 && label_name && c < t.columns; c++)
		skip = strcmp(t.header[c], label_name) == 0 ? c : skip;
	if (!label_name && label_index >= 0 && label_index < t.columns
	    && (width < 0 || t.columns == width + 1))
		skip = (int)label_index;
	if (status == 0 && csv_copy_names(&t, skip, names, count) != 0)
		status = fail(err, "%s: out of memory", path);
	if (status != 0) {
		data_names_free(*names, *count);
		*names = NULL;
		*count = 0;
	}
	csv_table_free(&t);
	free(text);
	free(fields);
	return status;
}

int data_load_csv(const char *path, const char *label_name, int64_t label_index, bool header,
                  struct dataset *out, struct data_error *err)
{
	return data_load_csv_as(path, label_name, label_index, header, NULL, out, err);
}

int data_load_csv_as(const char *path, const char *label_name, int64_t label_index,
                     bool header, const struct dataset *known, struct dataset *out,
                     struct data_error *err)
{
	struct csv_table t = {0};
	*out = (struct dataset){.type = DATA_F32};
	char *text = NULL, **fields = malloc(CSV_MAX_COLUMNS * sizeof *fields);
	if (!fields) {
		fail(err, "%s: out of memory", path);
		return -1;
	}
	if (csv_read_table(path, header, 2, &t, &text, fields, err) != 0)
		goto fail;
	int label = csv_label_column(&t, path, label_name, label_index, err);
	if (label < 0 || csv_rows(&t, path, label, fields, known, out, err) != 0)
		goto fail;
	out->n = t.rows;
	out->d = t.columns - 1;
	out->shape = shape_flat(out->d);
	if (!out->names)
		count_classes(out);
	else if (!known && csv_sort_names(out) != 0) {
		fail(err, "%s: out of memory", path);
		goto fail;
	}
	csv_table_free(&t);
	free(fields);
	free(text);
	return 0;
fail:
	csv_table_free(&t);
	free(fields);
	free(text);
	data_free(out);
	return -1;
}

/* The columns of the targets (names[k], or indices[k] where names[k] is NULL; count of
 * them) into col (count), each once. */
static int csv_target_columns(const struct csv_table *t, const char *path,
                              const char *const *names, const int64_t *indices, int count,
                              int *col, struct data_error *err)
{
	for (int k = 0; k < count; k++) {
		if ((col[k] = csv_label_column(t, path, names[k], indices[k], err)) < 0)
			return -1;
		for (int j = 0; j < k; j++)
			if (col[j] == col[k])
				return fail(err, "%s: target column %d is given twice", path, col[k]);
	}
	return 0;
}

/* Reads the rows of a regression table: the columns col (count) into ds->t (N, T), the
 * others into ds->f32; every field a finite number. */
static int csv_value_rows(const struct csv_table *t, const char *path, const int *col,
                          int count, char **fields, struct dataset *ds, struct data_error *err)
{
	int64_t d = t->columns - count;
	ds->f32 = malloc((size_t)(t->rows * d) * sizeof *ds->f32);
	ds->t = malloc((size_t)(t->rows * count) * sizeof *ds->t);
	ds->y = calloc((size_t)t->rows, sizeof *ds->y);
	if (!ds->f32 || !ds->t || !ds->y)
		return fail(err, "%s: out of memory for %lld rows", path, (long long)t->rows);
	for (int64_t i = 0; i < t->rows; i++) {
		long long line = (long long)t->line_numbers[i];
		if (csv_row(t, i, path, fields, err) != 0)
			return -1;
		int n = t->columns;
		for (int c = 0, j = 0; c < n; c++) {
			double v;
			int k = 0;
			while (k < count && col[k] != c)
				k++;
			bool number = csv_number(fields[c], &v) && isfinite(v);
			if (!number || beyond_float32(v)) {
				char where[96];
				if (t->header)
					snprintf(where, sizeof where, "column '%.60s'", t->header[c]);
				else
					snprintf(where, sizeof where, "column %d", c);
				if (number)
					return fail(err, "%s:%lld: %s: %s is beyond float32's range", path, line,
					            where, fields[c]);
				return fail(err, "%s:%lld: %s: '%.40s' is not a finite number%s", path, line,
				            where, fields[c], k < count ? " (targets = values needs numeric "
				            "targets)" : "");
			}
			if (k < count)
				ds->t[i * count + k] = (float)v;
			else
				ds->f32[i * d + j++] = (float)v;
		}
	}
	return 0;
}

int data_load_csv_values(const char *path, const char *const *names, const int64_t *indices,
                         int count, bool header, struct dataset *out, struct data_error *err)
{
	struct csv_table t = {0};
	*out = (struct dataset){.type = DATA_F32};
	char *text = NULL, **fields = malloc(CSV_MAX_COLUMNS * sizeof *fields);
	int *col = malloc((size_t)(count > 0 ? count : 1) * sizeof *col);
	int status = -1;
	if (!fields || !col)
		fail(err, "%s: out of memory", path);
	else if (csv_read_table(path, header, count + 1, &t, &text, fields, err) == 0
	         && csv_target_columns(&t, path, names, indices, count, col, err) == 0
	         && csv_value_rows(&t, path, col, count, fields, out, err) == 0)
		status = 0;
	if (status == 0) {
		out->n = t.rows;
		out->d = t.columns - count;
		out->shape = shape_flat(out->d);
		out->targets = count;
	}
	csv_table_free(&t);
	free(fields);
	free(col);
	free(text);
	if (status != 0)
		data_free(out);
	return status;
}

/* The first line of r holding more than blanks (as csv_lines skips), in a new string,
 * or NULL (reported) when the file has none or memory runs out. Reads up to its end. */
static char *csv_first_line(struct reader *r, struct data_error *err)
{
	size_t cap = 4096, len = 0;
	char *line = malloc(cap);
	for (int c; line && (c = gzgetc(r->f)) != -1;) {
		if (c != '\n') {
			char *more = len + 1 < cap ? line : realloc(line, cap *= 2);
			if (!more)
				free(line);
			line = more;
			if (line)
				line[len++] = (char)c;
			continue;
		}
		line[len] = '\0';
		if (line[strspn(line, " \t\r")] != '\0')
			return line;
		len = 0;
	}
	if (line && len > 0) { /* a last line without its newline */
		line[len] = '\0';
		if (line[strspn(line, " \t\r")] != '\0')
			return line;
	}
	fail(err, "%s: %s", r->path, line ? "no data rows" : "out of memory");
	free(line);
	return NULL;
}

int data_sample_shape_csv(const char *path, struct shape *out, struct data_error *err)
{
	struct reader r;
	char *line = NULL, **fields = malloc(CSV_MAX_COLUMNS * sizeof *fields);
	int n = -1;
	if (fields && reader_open(&r, path, err) == 0) {
		line = csv_first_line(&r, err);
		reader_close(&r);
	}
	if (line)
		n = csv_fields(line, fields, CSV_MAX_COLUMNS);
	free(line);
	free(fields);
	if (n < 2 || n > CSV_MAX_COLUMNS)
		return fail(err, "%s: not a table of a label and features", path);
	*out = shape_flat(n - 1);
	return 0;
}

/* ---- NPY ---- */

struct npy_header {
	char kind;       /* 'f' float, 'u' unsigned, 'i' signed */
	int size;        /* bytes per value */
	int64_t n, rest; /* first dimension, product of the others */
	int64_t dims[8]; /* the others (the first 8) */
	int ndims;       /* how many others */
};

/* Parses the header dictionary of an NPY file. */
static int npy_header(struct reader *r, struct npy_header *h, struct data_error *err)
{
	unsigned char head[10];
	if (reader_exact(r, head, 8, "the 8 bytes of the NPY magic string", err) != 0)
		return -1;
	if (memcmp(head, "\x93NUMPY", 6) != 0)
		return fail(err, "%s: offset 0: not an NPY file (no \\x93NUMPY magic string)", r->path);
	int width = head[6] == 1 ? 2 : 4;
	if (head[6] < 1 || head[6] > 3)
		return fail(err, "%s: offset 6: NPY format %d.%d is not supported", r->path, head[6],
		            head[7]);
	if (reader_exact(r, head, width, "the NPY header length", err) != 0)
		return -1;
	int64_t len = head[0] | head[1] << 8 | (width == 4 ? (int64_t)head[2] << 16 | (int64_t)head[3] << 24 : 0);
	if (len > 1 << 20)
		return fail(err, "%s: offset 8: a header of %lld bytes is absurd", r->path, (long long)len);
	char *dict = malloc((size_t)len + 1);
	if (!dict || reader_exact(r, dict, len, "the NPY header", err) != 0) {
		free(dict);
		return dict ? -1 : fail(err, "%s: out of memory", r->path);
	}
	dict[len] = '\0';
	const char *descr = strstr(dict, "'descr':"), *order = strstr(dict, "'fortran_order':");
	const char *shape = strstr(dict, "'shape':");
	int status = 0;
	char endian = 0;
	int fields = descr ? sscanf(descr + 8, " '%c%c%d'", &endian, &h->kind, &h->size) : 0;
	if (fields >= 2 && h->kind == 'O')
		status = fail(err, "%s: an NPY array of Python objects (dtype object) is not "
		              "supported; save numbers (float32, float64, uint8, int32, int64) with "
		              "numpy.asarray(a, dtype=...)", r->path);
	else if (!descr || !order || !shape || fields != 3)
		status = fail(err, "%s: offset %d: the NPY header lacks descr, fortran_order or shape",
		              r->path, 8 + width);
	else if (endian == '>' || (endian != '<' && endian != '|' && endian != '='))
		status = fail(err, "%s: big-endian NPY data is not supported", r->path);
	else if (strncmp(order + 16, " True", 5) == 0)
		status = fail(err, "%s: Fortran-order NPY data is not supported; save it with "
		              "numpy.ascontiguousarray", r->path);
	else if (!((h->kind == 'f' && (h->size == 4 || h->size == 8))
	           || ((h->kind == 'u' || h->kind == 'i') && (h->size == 1 || h->size == 4 || h->size == 8))))
		status = fail(err, "%s: NPY type %c%d is not supported (float32, float64, uint8, int32, "
		              "int64)", r->path, h->kind, h->size);
	if (status == 0) {
		const char *p = strchr(shape, '(');
		h->n = -1;
		h->rest = 1;
		h->ndims = 0;
		for (int k = 0; p && *p != ')'; k++) {
			char *end;
			long long dim = strtoll(p + 1, &end, 10);
			if (end == p + 1)
				break;
			if (k > 0 && k <= 8)
				h->dims[k - 1] = dim;
			h->ndims = k;
			if (k == 0)
				h->n = dim;
			else if (dim <= 0 || dim > ((int64_t)1 << 32) / h->rest) /* before it overflows */
				h->n = -1;
			else
				h->rest *= dim;
			p = end + strspn(end, " ,");
			p--;
		}
		if (h->n <= 0 || h->n > ((int64_t)1 << 36) / h->rest)
			status = fail(err, "%s: the NPY shape is empty or absurd", r->path);
	}
	free(dict);
	return status;
}

/* Reads the NPY values as doubles into a new *out (n·rest of them), checking they are
 * finite. The raw data is read first, so a header that claims more than the file holds
 * ends in "truncated", not in an allocation of what it claims. */
static int npy_values(struct reader *r, const struct npy_header *h, double **out,
                      struct data_error *err)
{
	int64_t count = h->n * h->rest;
	unsigned char *raw = reader_alloc(r, count * h->size, "the NPY data", err);
	*out = NULL;
	if (!raw || reader_expect_end(r, err) != 0) {
		free(raw);
		return -1;
	}
	double *v = malloc((size_t)count * sizeof *v);
	if (!v) {
		free(raw);
		return fail(err, "%s: out of memory for %lld values", r->path, (long long)count);
	}
	for (int64_t i = 0; i < count; i++) {
		const unsigned char *p = raw + i * h->size;
		union { float f; double d; int32_t i4; int64_t i8; } u;
		memcpy(&u, p, (size_t)h->size); /* little-endian machine, little-endian data */
		v[i] = h->kind == 'f' ? (h->size == 4 ? u.f : u.d)
			: h->size == 1 ? (h->kind == 'u' ? p[0] : (int8_t)p[0])
			: h->size == 4 ? u.i4 : (double)u.i8;
		if (!isfinite(v[i])) {
			const char *what = isnan(v[i]) ? "nan" : "infinite";
			free(raw);
			free(v);
			return fail(err, "%s: offset %lld: element %lld (sample %lld) is %s, not a "
			            "finite number", r->path, (long long)(r->offset - (count - i) * h->size),
			            (long long)i, (long long)(i / h->rest), what);
		}
		if (beyond_float32(v[i])) {
			double x = v[i];
			free(raw);
			free(v);
			return fail(err, "%s: offset %lld: element %lld (sample %lld): %.9g is beyond "
			            "float32's range", r->path,
			            (long long)(r->offset - (count - i) * h->size), (long long)i,
			            (long long)(i / h->rest), x);
		}
	}
	free(raw);
	*out = v;
	return 0;
}

/* One sample's shape: the dimensions after the first (flat beyond the first 8). */
static struct shape npy_sample_shape(const struct npy_header *h)
{
	return h->ndims <= 8 ? shape_of_sample(h->dims, h->ndims) : shape_flat(h->rest);
}

/* Loads features x and labels y (values: target values of shape (N) or (N, T) into
 * out->t instead of class ids). */
static int npy_load(const char *x, const char *y, bool values, struct dataset *out,
                    struct data_error *err)
{
	struct reader rx = {0}, ry = {0};
	struct npy_header hx, hy;
	double *vx = NULL, *vy = NULL;
	*out = (struct dataset){.type = DATA_F32};
	if (reader_open(&rx, x, err) != 0 || npy_header(&rx, &hx, err) != 0
	    || reader_open(&ry, y, err) != 0 || npy_header(&ry, &hy, err) != 0)
		goto fail;
	if (values && (hy.n != hx.n || hy.ndims > 1)) {
		fail(err, "%s holds %lld samples but %s holds %lld rows of targets%s", x,
		     (long long)hx.n, y, (long long)hy.n, hy.ndims > 1 ? " in more than two "
		     "dimensions: targets have shape (N,) or (N, T)" : "");
		goto fail;
	}
	if (!values && (hy.rest != 1 || hy.n != hx.n)) {
		fail(err, "%s holds %lld samples but %s holds %lld labels%s", x, (long long)hx.n, y,
		     (long long)hy.n, hy.rest != 1 ? " per row: labels have shape (N,)" : "");
		goto fail;
	}
	if (npy_values(&rx, &hx, &vx, err) != 0 || npy_values(&ry, &hy, &vy, err) != 0)
		goto fail;
	out->f32 = malloc((size_t)(hx.n * hx.rest) * sizeof *out->f32);
	out->y = calloc((size_t)hy.n + 1, sizeof *out->y);
	out->t = values ? malloc((size_t)(hy.n * hy.rest + 1) * sizeof *out->t) : NULL;
	if (!out->f32 || !out->y || (values && !out->t)) {
		fail(err, "%s: out of memory", x);
		goto fail;
	}
	for (int64_t i = 0; i < hx.n * hx.rest; i++)
		out->f32[i] = (float)vx[i];
	for (int64_t i = 0; values && i < hy.n * hy.rest; i++)
		out->t[i] = (float)vy[i];
	for (int64_t i = 0; !values && i < hy.n; i++) {
		if (vy[i] < 0 || vy[i] != floor(vy[i]) || vy[i] > 1e6) {
			fail(err, "%s: label %lld is %g, not a class id (a whole number from 0)", y,
			     (long long)i, vy[i]);
			goto fail;
		}
		out->y[i] = (int32_t)vy[i];
	}
	out->n = hx.n;
	out->d = hx.rest;
	out->shape = npy_sample_shape(&hx);
	if (values)
		out->targets = hy.rest;
	else
		count_classes(out);
	free(vx);
	free(vy);
	reader_close(&rx);
	reader_close(&ry);
	return 0;
fail:
	free(vx);
	free(vy);
	reader_close(&rx);
	reader_close(&ry);
	data_free(out);
	return -1;
}

int data_load_npy(const char *x, const char *y, struct dataset *out, struct data_error *err)
{
	return npy_load(x, y, false, out, err);
}

int data_load_npy_values(const char *x, const char *y, struct dataset *out,
                         struct data_error *err)
{
	return npy_load(x, y, true, out, err);
}

int data_sample_shape_npy(const char *x, struct shape *out, struct data_error *err)
{
	struct reader r;
	struct npy_header h;
	int status = reader_open(&r, x, err) == 0 ? npy_header(&r, &h, err) : -1;
	reader_close(&r);
	if (status == 0)
		*out = npy_sample_shape(&h);
	return status;
}

/* ---- generated sets ---- */

/* The counter of draw k of sample i of a part: parts are 2^40 draws apart. */
static uint64_t draw(uint64_t part, int64_t i, int k)
{
	return (part << 40) + (uint64_t)i * 16 + (uint64_t)k;
}

static int generated(struct dataset *ds, int64_t n, int64_t d, int classes)
{
	*ds = (struct dataset){.n = n, .d = d, .shape = shape_flat(d), .type = DATA_F32,
	                       .classes = classes};
	ds->f32 = malloc((size_t)(n * d) * sizeof *ds->f32);
	ds->y = malloc((size_t)n * sizeof *ds->y);
	if (!ds->f32 || !ds->y) {
		data_free(ds);
		return -1;
	}
	return 0;
}

/* CS231n's spirals: class c's points lie on the arm r·(sin t, cos t), t from 4c to
 * 4c + 4 as r goes from 0 to 1, plus noise·N(0, 1) on each coordinate. */
int data_spirals(int64_t n, int classes, double noise, uint64_t part, struct dataset *out)
{
	if (generated(out, n, DATA_SPIRALS_DIM, classes) != 0)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		int c = (int)(i % classes);
		int64_t per = n / classes + (c < n % classes), k = i / classes;
		double r = per > 1 ? (double)k / (double)(per - 1) : 0, t = 4.0 * (c + r);
		out->f32[2 * i] = (float)(r * sin(t) + noise * rng_normal(0, RNG_DATA, draw(part, i, 0)));
		out->f32[2 * i + 1] = (float)(r * cos(t) + noise * rng_normal(0, RNG_DATA, draw(part, i, 1)));
		out->y[i] = c;
	}
	return 0;
}

/* As scikit-learn's make_blobs: centres uniform in [-10, 10]^dim (the same for every
 * part), points centre + N(0, 1). */
int data_blobs(int64_t n, int classes, int dim, uint64_t part, struct dataset *out)
{
	if (generated(out, n, dim, classes) != 0)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		int c = (int)(i % classes);
		for (int j = 0; j < dim; j++) {
			double centre = -10 + 20 * rng_uniform(1, RNG_DATA, (uint64_t)c * 65536 + (uint64_t)j);
			out->f32[i * dim + j] = (float)(centre + rng_normal(0, RNG_DATA, draw(part, i, j)));
		}
		out->y[i] = c;
	}
	return 0;
}

/* Points uniform in [-1, 1]², class 1 where the signs of x and y differ. */
int data_xor(int64_t n, uint64_t part, struct dataset *out)
{
	if (generated(out, n, DATA_XOR_DIM, 2) != 0)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		double x = 2 * rng_uniform(0, RNG_DATA, draw(part, i, 0)) - 1;
		double y = 2 * rng_uniform(0, RNG_DATA, draw(part, i, 1)) - 1;
		out->f32[2 * i] = (float)x;
		out->f32[2 * i + 1] = (float)y;
		out->y[i] = (x > 0) != (y > 0);
	}
	return 0;
}

/* ---- splitting and batching ---- */

/* A copy of the rows of src whose mask equals want, in order. */
static int take_rows(const struct dataset *src, const unsigned char *mask, int want,
                     struct dataset *dst)
{
	int64_t n = 0;
	for (int64_t i = 0; i < src->n; i++)
		n += mask[i] == want;
	size_t width = src->type == DATA_U8 ? 1 : sizeof(float);
	*dst = (struct dataset){.n = n, .d = src->d, .shape = src->shape, .type = src->type,
	                        .classes = src->classes};
	void *x = malloc((size_t)(n * src->d) * width + 1);
	dst->y = malloc((size_t)n * sizeof *dst->y + 1);
	if (src->names)
		dst->names = calloc((size_t)src->classes, sizeof *dst->names);
	if (src->type == DATA_U8)
		dst->u8 = x;
	else
		dst->f32 = x;
	dst->targets = src->targets;
	if (src->t)
		dst->t = malloc((size_t)(n * src->targets) * sizeof *dst->t + 1);
	if (!x || !dst->y || (src->names && !dst->names) || (src->t && !dst->t))
		goto fail;
	for (int c = 0; src->names && c < src->classes; c++)
		if (!(dst->names[c] = strdup(src->names[c])))
			goto fail;
	const char *from = src->type == DATA_U8 ? (const void *)src->u8 : (const void *)src->f32;
	for (int64_t i = 0, k = 0; i < src->n; i++)
		if (mask[i] == want) {
			memcpy((char *)x + (size_t)(k * src->d) * width, from + (size_t)(i * src->d) * width,
			       (size_t)src->d * width);
			if (src->t)
				memcpy(dst->t + k * src->targets, src->t + i * src->targets,
				       (size_t)src->targets * sizeof *dst->t);
			dst->y[k++] = src->y[i];
		}
	return 0;
fail:
	data_free(dst);
	return -1;
}

int data_split(const struct dataset *all, double fraction, uint64_t seed, struct dataset *train,
               struct dataset *validation)
{
	int64_t nv = (int64_t)llround(fraction * (double)all->n);
	int64_t *perm = malloc((size_t)(all->n ? all->n : 1) * sizeof *perm);
	unsigned char *mask = calloc((size_t)(all->n ? all->n : 1), 1);
	int status = -1;
	*train = *validation = (struct dataset){0};
	if (perm && mask) {
		rng_permutation(seed, RNG_SPLIT, 0, perm, all->n);
		for (int64_t i = 0; i < nv; i++)
			mask[perm[i]] = 1;
		status = take_rows(all, mask, 0, train) != 0 || take_rows(all, mask, 1, validation) != 0
			? -1 : 0;
	}
	free(perm);
	free(mask);
	if (status != 0) {
		data_free(train);
		data_free(validation);
	}
	return status;
}

int data_split_take(struct dataset *all, double fraction, uint64_t seed, struct dataset *train,
                    struct dataset *validation)
{
	if (llround(fraction * (double)all->n) != 0) { /* two parts: copies, as data_split */
		int status = data_split(all, fraction, seed, train, validation);
		if (status == 0)
			data_free(all);
		return status;
	}
	unsigned char *mask = calloc((size_t)(all->n ? all->n : 1), 1); /* no validation row */
	*train = *validation = (struct dataset){0};
	int status = mask ? take_rows(all, mask, 1, validation) : -1; /* empty, all's labels */
	free(mask);
	if (status == 0) { /* all of it trains: its arrays as they are */
		*train = *all;
		*all = (struct dataset){0};
	}
	return status;
}

static double feature(const struct dataset *ds, int64_t i, int64_t j)
{
	return ds->type == DATA_U8 ? ds->u8[i * ds->d + j] : ds->f32[i * ds->d + j];
}

int data_fit(const struct dataset *train, double scale, enum data_normalize mode,
             struct data_transform *tf)
{
	int64_t d = train->d, n = train->n;
	*tf = (struct data_transform){.d = d, .scale = (float)scale, .mode = mode};
	tf->shift = calloc((size_t)(d ? d : 1), sizeof *tf->shift);
	tf->mul = malloc((size_t)(d ? d : 1) * sizeof *tf->mul);
	double *lo = malloc((size_t)(d ? d : 1) * 4 * sizeof *lo), *hi = lo + d, *sum = hi + d, *sq = sum + d;
	if (!tf->shift || !tf->mul || !lo) {
		free(lo);
		data_transform_free(tf);
		return -1;
	}
	for (int64_t j = 0; j < d; j++) {
		lo[j] = INFINITY;
		hi[j] = -INFINITY;
		sum[j] = sq[j] = 0;
		tf->mul[j] = 1;
	}
	/* row by row, as the data lies in memory: sums, then squared deviations */
	for (int64_t i = 0; mode != NORMALIZE_NONE && i < n; i++)
		for (int64_t j = 0; j < d; j++) {
			double x = feature(train, i, j) * (float)scale;
			lo[j] = x < lo[j] ? x : lo[j];
			hi[j] = x > hi[j] ? x : hi[j];
			sum[j] += x;
		}
	for (int64_t i = 0; mode == NORMALIZE_STANDARD && i < n; i++)
		for (int64_t j = 0; j < d; j++) {
			double x = feature(train, i, j) * (float)scale - sum[j] / (double)n;
			sq[j] += x * x;
		}
	for (int64_t j = 0; j < d && n > 0; j++) {
		double mean = sum[j] / (double)n, std = sqrt(sq[j] / (double)n); /* population, as StandardScaler */
		if (mode == NORMALIZE_STANDARD) {
			tf->shift[j] = (float)mean;
			tf->mul[j] = std > 0 ? (float)(1 / std) : 1;
		} else if (mode == NORMALIZE_MINMAX) {
			tf->shift[j] = (float)lo[j];
			tf->mul[j] = hi[j] > lo[j] ? (float)(1 / (hi[j] - lo[j])) : 1;
		}
	}
	free(lo);
	return 0;
}

void data_transform_free(struct data_transform *tf)
{
	free(tf->shift);
	free(tf->mul);
	*tf = (struct data_transform){0};
}

/* Rows lo..hi of the batch (see data_batch). */
static void gather(const struct dataset *ds, const struct data_transform *tf,
                   const int64_t *rows, int64_t lo, int64_t hi, float *x, int32_t *y)
{
	int64_t d = ds->d;
	const float scale = tf->scale, *restrict shift = tf->shift, *restrict mul = tf->mul;
	for (int64_t k = lo; k < hi; k++) {
		int64_t i = rows[k];
		float *restrict out = x + k * d;
		if (ds->type == DATA_U8)
			for (int64_t j = 0; j < d; j++)
				out[j] = ((float)ds->u8[i * d + j] * scale - shift[j]) * mul[j];
		else
			for (int64_t j = 0; j < d; j++)
				out[j] = (ds->f32[i * d + j] * scale - shift[j]) * mul[j];
		y[k] = ds->y[i];
	}
}

void data_batch(const struct dataset *ds, const struct data_transform *tf, const int64_t *rows,
                int64_t count, float *x, int32_t *y)
{
	/* the rows of a shuffled batch lie anywhere in the set, and their gather waits on
	 * memory most of its time: with threads, each waits for its own part of the rows */
	int threads = pace_threads_for(count * ds->d);
	if (threads == 1) {
		gather(ds, tf, rows, 0, count, x, y);
		return;
	}
#pragma omp parallel num_threads(threads)
	{
		int t = omp_get_thread_num(), team = omp_get_num_threads();
		gather(ds, tf, rows, count * t / team, count * (t + 1) / team, x, y);
	}
}

/* ---- for `descent predict` and `descent eval` ---- */

/* Appends "key": [v0, v1, ...] (count floats with %.9g) at p; returns the new end. */
static char *json_floats(char *p, const char *key, const float *v, int64_t count)
{
	p += sprintf(p, "\"%s\": [", key);
	for (int64_t j = 0; j < count; j++)
		p += sprintf(p, "%s%.9g", j ? ", " : "", (double)v[j]);
	return p + sprintf(p, "]");
}

char *data_transform_json(const struct data_transform *tf)
{
	static const char *const modes[] = {[NORMALIZE_NONE] = "none",
	                                    [NORMALIZE_STANDARD] = "standard",
	                                    [NORMALIZE_MINMAX] = "minmax"};
	char *text = malloc(128 + 2 * 20 * (size_t)tf->d), *p = text;
	if (!text)
		return NULL;
	p += sprintf(p, "{\"mode\": \"%s\", \"scale\": %.9g, ", modes[tf->mode], (double)tf->scale);
	p = json_floats(p, "shift", tf->shift, tf->d);
	p += sprintf(p, ", ");
	p = json_floats(p, "mul", tf->mul, tf->d);
	sprintf(p, "}");
	return text;
}

/* Reads the list of d numbers after "key": [ in text into v; 0, or -1 (reported). */
static int parse_floats(const char *text, const char *key, float *v, int64_t d,
                        struct data_error *err)
{
	char pattern[32];
	snprintf(pattern, sizeof pattern, "\"%s\": [", key);
	const char *p = strstr(text, pattern);
	if (!p)
		return fail(err, "the normalize metadata has no %s list", key);
	p += strlen(pattern);
	for (int64_t j = 0; j < d; j++) {
		char *end;
		double x = strtod(p, &end);
		if (end == p || !isfinite(x))
			return fail(err, "the normalize metadata's %s list has %lld numbers; the network "
			            "takes %lld features", key, (long long)j, (long long)d);
		v[j] = (float)x;
		p = end + strspn(end, " ");
		if (*p == ',')
			p++;
	}
	if (*p != ']')
		return fail(err, "the normalize metadata's %s list has more than the %lld numbers "
		            "of the network's features", key, (long long)d);
	return 0;
}

int data_transform_parse(const char *text, int64_t d, struct data_transform *tf,
                         struct data_error *err)
{
	*tf = (struct data_transform){.d = d};
	const char *scale = strstr(text, "\"scale\": "), *mode = strstr(text, "\"mode\": \"");
	char *end = NULL;
	double s = scale ? strtod(scale + 9, &end) : NAN;
	if (!scale || end == scale + 9 || !isfinite(s) || !mode)
		return fail(err, "the normalize metadata has no mode or scale");
	tf->scale = (float)s;
	tf->mode = strncmp(mode + 9, "standard\"", 9) == 0 ? NORMALIZE_STANDARD
		: strncmp(mode + 9, "minmax\"", 7) == 0 ? NORMALIZE_MINMAX : NORMALIZE_NONE;
	tf->shift = malloc((size_t)(d ? d : 1) * sizeof *tf->shift);
	tf->mul = malloc((size_t)(d ? d : 1) * sizeof *tf->mul);
	if (!tf->shift || !tf->mul) {
		data_transform_free(tf);
		return fail(err, "out of memory");
	}
	if (parse_floats(text, "shift", tf->shift, d, err) != 0
	    || parse_floats(text, "mul", tf->mul, d, err) != 0) {
		data_transform_free(tf);
		return -1;
	}
	return 0;
}

/* Reads the JSON string at *p (after its opening quote) into a new string, as
 * json_string wrote it; *p moves past the closing quote. NULL if it is not one. */
/* Whether text starts with four hex digits; their value in *code. (sscanf's %4x would
 * take fewer, and the caller would then skip past the string's end.) */
static bool hex4(const char *text, unsigned *code)
{
	*code = 0;
	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)text[i]))
			return false;
		*code = *code * 16 + (unsigned)(isdigit((unsigned char)text[i]) ? text[i] - '0'
			: tolower((unsigned char)text[i]) - 'a' + 10);
	}
	return true;
}

static char *json_read_string(const char **p)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1), *w = out;
	for (; out && *s && *s != '"'; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		s++;
		unsigned code;
		if (*s == '"' || *s == '\\' || *s == '/')
			*w++ = *s;
		else if (*s == 'u' && hex4(s + 1, &code) && code < 0x80 && code > 0)
			*w++ = (char)code, s += 4;
		else
			break;
	}
	if (!out || *s != '"') {
		free(out);
		return NULL;
	}
	*w = '\0';
	*p = s + 1;
	return out;
}

void data_names_free(char **names, int count)
{
	for (int c = 0; names && c < count; c++)
		free(names[c]);
	free(names);
}

/* Reads the names of the JSON list at p (after its '[') into *names; 0 with the place
 * after its ']' in *end, or -1. */
static int read_names(const char *p, char ***names, int *count, const char **end)
{
	for (p += strspn(p, " "); *p && *p != ']'; p += strspn(p, " ")) {
		char **grown = realloc(*names, (size_t)(*count + 1) * sizeof *grown);
		if (!grown)
			return -1;
		*names = grown;
		if (*p++ != '"' || !((*names)[*count] = json_read_string(&p)))
			return -1;
		(*count)++;
		p += strspn(p, " ");
		if (*p == ',')
			p++;
	}
	*end = p + 1;
	return *p == ']' ? 0 : -1;
}

int data_label_parse(const char *text, char ***names, int *count)
{
	const char *p = text + strspn(text, " "), *end;
	*names = NULL;
	*count = 0;
	if (*p == '[' && read_names(p + 1, names, count, &end) == 0 && end[strspn(end, " ")] == '\0')
		return 0;
	data_names_free(*names, *count);
	*names = NULL;
	*count = 0;
	return -1;
}

/* Labels of an unlabeled set: n zeros. */
static int no_labels(struct dataset *ds, int64_t n)
{
	ds->y = calloc((size_t)(n ? n : 1), sizeof *ds->y);
	ds->classes = 1;
	return ds->y ? 0 : -1;
}

/* Marks in skip (t->columns) the label columns t has (see data_load_csv_features_of);
 * returns how many. */
static int csv_optional_labels(const struct csv_table *t, const char *const *names,
                               const int64_t *indices, int count, int64_t width, bool *skip)
{
	int marked = 0;
	for (int k = 0; k < count; k++) {
		int col = -1;
		for (int c = 0; names[k] && t->header && c < t->columns && col < 0; c++)
			if (strcmp(t->header[c], names[k]) == 0)
				col = c;
		if (!names[k] && t->columns == width + count && indices[k] >= 0
		    && indices[k] < t->columns)
			col = (int)indices[k];
		if (col >= 0 && !skip[col]) {
			skip[col] = true;
			marked++;
		}
	}
	return marked;
}

/* Reads every row's features (all columns but those skip marks, nskip of them) into
 * ds->f32. */
static int csv_feature_rows(const struct csv_table *t, const char *path, const bool *skip,
                            int nskip, char **fields, struct dataset *ds, struct data_error *err)
{
	int64_t d = t->columns - nskip;
	ds->f32 = malloc((size_t)(t->rows * (d ? d : 1)) * sizeof *ds->f32);
	if (!ds->f32 || no_labels(ds, t->rows) != 0)
		return fail(err, "%s: out of memory for %lld rows", path, (long long)t->rows);
	for (int64_t i = 0; i < t->rows; i++) {
		long long line = (long long)t->line_numbers[i];
		if (csv_row(t, i, path, fields, err) != 0)
			return -1;
		int n = t->columns;
		for (int c = 0, j = 0; c < n; c++) {
			double v;
			if (skip[c])
				continue;
			if (!csv_number(fields[c], &v) || !isfinite(v))
				return fail(err, "%s:%lld: column %d: '%.40s' is not a finite number", path,
				            line, c, fields[c]);
			if (beyond_float32(v))
				return fail(err, "%s:%lld: column %d: %s is beyond float32's range", path,
				            line, c, fields[c]);
			ds->f32[i * d + j++] = (float)v;
		}
	}
	ds->n = t->rows;
	ds->d = d;
	ds->shape = shape_flat(d);
	return 0;
}

int data_load_csv_features(const char *path, const char *label_name, int64_t label_index,
                           bool header, int64_t width, struct dataset *out,
                           struct data_error *err)
{
	return data_load_csv_features_of(path, &label_name, &label_index, 1, header, width, out,
	                                 err);
}

int data_load_csv_features_of(const char *path, const char *const *names,
                              const int64_t *indices, int count, bool header, int64_t width,
                              struct dataset *out, struct data_error *err)
{
	struct csv_table t = {0};
	*out = (struct dataset){.type = DATA_F32};
	char *text = NULL, **fields = malloc(CSV_MAX_COLUMNS * sizeof *fields);
	if (!fields)
		return fail(err, "%s: out of memory", path);
	int status = csv_read_table(path, header, 1, &t, &text, fields, err);
	bool *skip = status == 0 ? calloc((size_t)t.columns + 1, sizeof *skip) : NULL;
	if (status == 0)
		status = !skip ? fail(err, "%s: out of memory", path)
			: csv_feature_rows(&t, path, skip, csv_optional_labels(&t, names, indices, count,
			                                                        width, skip),
			                   fields, out, err);
	free(skip);
	csv_table_free(&t);
	free(fields);
	free(text);
	if (status != 0)
		data_free(out);
	return status;
}

int data_load_npy_features(const char *x, struct dataset *out, struct data_error *err)
{
	struct reader r;
	struct npy_header h;
	double *v = NULL;
	*out = (struct dataset){.type = DATA_F32};
	int status = reader_open(&r, x, err) == 0 && npy_header(&r, &h, err) == 0
		&& npy_values(&r, &h, &v, err) == 0 ? 0 : -1;
	reader_close(&r);
	if (status == 0 && (!(out->f32 = malloc((size_t)(h.n * h.rest) * sizeof *out->f32))
	                    || no_labels(out, h.n) != 0))
		status = fail(err, "%s: out of memory", x);
	for (int64_t i = 0; status == 0 && i < h.n * h.rest; i++)
		out->f32[i] = (float)v[i];
	free(v);
	if (status != 0) {
		data_free(out);
		return -1;
	}
	out->n = h.n;
	out->d = h.rest;
	out->shape = npy_sample_shape(&h);
	return 0;
}

int data_load_idx_images(const char *images, struct dataset *out, struct data_error *err)
{
	struct reader r;
	int64_t d;
	struct shape sample;
	*out = (struct dataset){.type = DATA_U8};
	int64_t n = reader_open(&r, images, err) == 0 ? idx_header(&r, 2, 4, &d, &sample, err) : -1;
	if (n > 0 && n > ((int64_t)1 << 40) / d)
		n = fail(err, "%s: offset 4: %lld images of %lld bytes is absurd", images,
		         (long long)n, (long long)d);
	int status = n < 0 || !(out->u8 = reader_alloc(&r, n * d, "the images", err))
		|| reader_expect_end(&r, err) != 0 ? -1
		: no_labels(out, n) != 0 ? fail(err, "%s: out of memory", images) : 0;
	if (status != 0) {
		reader_close(&r);
		data_free(out);
		return -1;
	}
	reader_close(&r);
	out->n = n;
	out->d = d;
	out->shape = sample;
	return 0;
}

void data_targets(const struct dataset *ds, const int64_t *rows, int64_t count, float *t)
{
	for (int64_t k = 0; k < count; k++)
		memcpy(t + k * ds->targets, ds->t + rows[k] * ds->targets,
		       (size_t)ds->targets * sizeof *t);
}
