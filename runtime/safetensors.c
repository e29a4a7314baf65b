/* safetensors.c — reading and writing safetensors files (see safetensors.h). The header
 * is read by a small JSON scanner that knows the three shapes a safetensors header has:
 * an object of objects, strings, and arrays of integers. */
#include "safetensors.h"

#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends s to the JSON text buf as a quoted string. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

int64_t st_count(const struct st_tensor *t)
{
	int64_t count = 1;
	for (int k = 0; !t->i64 && k < t->ndim; k++)
		count *= t->shape[k];
	return count;
}

static int64_t bytes_of(const struct st_tensor *t)
{
	return st_count(t) * (t->i64 || t->f64 ? 8 : 4);
}

static const char *dtype_of(const struct st_tensor *t)
{
	return t->i64 ? "I64" : t->f64 ? "F64" : "F32";
}

/* Where a tensor's values are, whatever its dtype. */
static void *values_of(const struct st_tensor *t)
{
	return t->i64 ? (void *)t->i64 : t->f64 ? (void *)t->f64 : (void *)t->data;
}

/* A unique temporary beside path (files.h), open for writing; NULL with errno set. */
static FILE *temporary(const char *path, char *tmp, size_t size)
{
	int fd = file_temporary(path, tmp, size);
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (fd >= 0 && !out) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
	}
	return out;
}

int st_save(const char *path, const struct st_tensor *tensors, int n, const struct st_meta *meta,
            int nmeta, char *err, size_t size)
{
	char *header = NULL;
	size_t len = 0;
	FILE *h = open_memstream(&header, &len);
	if (!h)
		return fail(err, size, "%s: out of memory", path);
	fputs("{\"__metadata__\":{", h);
	for (int i = 0; i < nmeta; i++) {
		fputs(i ? "," : "", h);
		json_string(h, meta[i].key);
		fputc(':', h);
		json_string(h, meta[i].value);
	}
	fputc('}', h);
	int64_t offset = 0;
	for (int i = 0; i < n; i++) {
		int64_t bytes = bytes_of(&tensors[i]);
		fputc(',', h);
		json_string(h, tensors[i].name);
		fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", dtype_of(&tensors[i]));
		for (int k = 0; !tensors[i].i64 && k < tensors[i].ndim; k++)
			fprintf(h, "%s%lld", k ? "," : "", (long long)tensors[i].shape[k]);
		fprintf(h, "],\"data_offsets\":[%lld,%lld]}", (long long)offset, (long long)(offset + bytes));
		offset += bytes;
	}
	fputc('}', h);
	while ((ftell(h) % 8) != 0) /* the data starts 8-byte aligned */
		fputc(' ', h);
	fclose(h);
	char tmp[4200];
	FILE *out = temporary(path, tmp, sizeof tmp);
	bool ok = out != NULL;
	unsigned char prefix[8];
	for (int b = 0; b < 8; b++)
		prefix[b] = (unsigned char)((uint64_t)len >> (8 * b));
	ok = ok && fwrite(prefix, 1, 8, out) == 8 && fwrite(header, 1, len, out) == len;
	for (int i = 0; ok && i < n; i++) /* little-endian machine: the values as they are */
		ok = fwrite(values_of(&tensors[i]), 1, (size_t)bytes_of(&tensors[i]), out)
			== (size_t)bytes_of(&tensors[i]);
	ok = ok && fflush(out) == 0 && fsync(fileno(out)) == 0;
	int saved = errno;
	if (out && fclose(out) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	free(header);
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		if (out)
			unlink(tmp);
		return fail(err, size, "%s: %s", path, strerror(saved ? saved : EIO));
	}
	file_sync_folder(path);
	return 0;
}

/* ---- reading ---- */

struct scanner {
	const char *p, *end; /* the header text left */
};

static void skip_space(struct scanner *s)
{
	while (s->p < s->end && strchr(" \t\r\n", *s->p))
		s->p++;
}

static bool expect(struct scanner *s, char c)
{
	skip_space(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* Four hex digits at s->p, or -1. */
static long scan_hex4(struct scanner *s)
{
	if (s->end - s->p < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		char c = *s->p++;
		int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (digit < 0)
			return -1;
		v = v * 16 + digit;
	}
	return v;
}

/* The UTF-8 bytes of code point c into out (4 bytes); returns how many. */
static int utf8(unsigned long c, char *out)
{
	int n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
	for (int i = n - 1; i > 0; i--, c >>= 6)
		out[i] = (char)(0x80 | (c & 0x3F));
	out[0] = (char)(lead[n] | c);
	return n;
}

/* One character of a JSON string after a backslash, decoded into out; how many bytes, or
 * -1 for an escape JSON does not have. A lone surrogate becomes U+FFFD. */
static int scan_escape(struct scanner *s, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (s->p >= s->end)
		return -1;
	char c = *s->p++;
	const char *simple = c ? strchr(from, c) : NULL;
	if (simple)
		return out[0] = to[simple - from], 1;
	long u = c == 'u' ? scan_hex4(s) : -1;
	if (u < 0)
		return -1;
	if (u >= 0xD800 && u < 0xDC00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
		struct scanner low = {s->p + 2, s->end};
		long v = scan_hex4(&low);
		if (v >= 0xDC00 && v < 0xE000) {
			s->p = low.p;
			return utf8(0x10000 + ((unsigned long)(u - 0xD800) << 10) + (unsigned long)(v - 0xDC00), out);
		}
	}
	return utf8(u >= 0xD800 && u < 0xE000 ? 0xFFFD : (unsigned long)u, out);
}

/* A JSON string, decoded into buf (size bytes; longer strings are cut). */
static bool scan_string(struct scanner *s, char *buf, size_t size)
{
	if (!expect(s, '"'))
		return false;
	size_t n = 0;
	while (s->p < s->end && *s->p != '"') {
		char c[4] = {*s->p++};
		int len = c[0] == '\\' ? scan_escape(s, c) : 1;
		if (len < 0)
			return false;
		for (int i = 0; i < len && n + 1 < size; i++)
			buf[n++] = c[i];
	}
	buf[n] = '\0';
	return expect(s, '"');
}

/* Skips any JSON value (for metadata and keys we do not need). */
static bool skip_value(struct scanner *s, int depth)
{
	char scratch[8];
	skip_space(s);
	if (s->p >= s->end || depth > 8)
		return false;
	if (*s->p == '"')
		return scan_string(s, scratch, sizeof scratch);
	if (*s->p == '{' || *s->p == '[') {
		char close = *s->p == '{' ? '}' : ']';
		s->p++;
		if (expect(s, close))
			return true;
		do {
			if (close == '}' && (!scan_string(s, scratch, sizeof scratch) || !expect(s, ':')))
				return false;
			if (!skip_value(s, depth + 1))
				return false;
		} while (expect(s, ','));
		return expect(s, close);
	}
	while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
		s->p++;
	return true;
}

/* An array of up to max integers; returns how many, or -1. */
static int scan_ints(struct scanner *s, int64_t *out, int max)
{
	int n = 0;
	if (!expect(s, '['))
		return -1;
	if (expect(s, ']'))
		return 0;
	do {
		skip_space(s);
		char *end;
		long long v = strtoll(s->p, &end, 10);
		if (end == s->p || n >= max)
			return -1;
		out[n++] = v;
		s->p = end;
	} while (expect(s, ','));
	return expect(s, ']') ? n : -1;
}

struct entry {
	char name[256], dtype[16];
	int ndim;
	int64_t shape[8], begin, end;
};

/* One tensor's description {"dtype": ..., "shape": [...], "data_offsets": [...]}. */
static bool scan_entry(struct scanner *s, struct entry *e)
{
	char key[32];
	int64_t offsets[2];
	e->ndim = -1;
	e->begin = e->end = -1;
	if (!expect(s, '{'))
		return false;
	do {
		if (!scan_string(s, key, sizeof key) || !expect(s, ':'))
			return false;
		if (strcmp(key, "dtype") == 0) {
			if (!scan_string(s, e->dtype, sizeof e->dtype))
				return false;
		} else if (strcmp(key, "shape") == 0) {
			if ((e->ndim = scan_ints(s, e->shape, 8)) < 0)
				return false;
		} else if (strcmp(key, "data_offsets") == 0) {
			if (scan_ints(s, offsets, 2) != 2)
				return false;
			e->begin = offsets[0];
			e->end = offsets[1];
		} else if (!skip_value(s, 0)) {
			return false;
		}
	} while (expect(s, ','));
	return expect(s, '}') && e->ndim >= 0 && e->begin >= 0;
}

/* Checks entry e against the tensor asked for, and reads its data. */
static int read_tensor(FILE *f, const char *path, int64_t data_start, int64_t file_size,
                       const struct entry *e, struct st_tensor *t, char *err, size_t size)
{
	bool same = strcmp(e->dtype, dtype_of(t)) == 0 && e->ndim == t->ndim;
	for (int k = 0; same && k < t->ndim; k++)
		same = e->shape[k] == t->shape[k];
	if (!same) {
		char want[128], got[128] = "";
		if (t->i64)
			snprintf(want, sizeof want, "I64 []");
		else
			snprintf(want, sizeof want, "%s [", dtype_of(t));
		for (int k = 0; !t->i64 && k < t->ndim; k++)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", k ? ", " : "",
			         (long long)t->shape[k]);
		if (!t->i64)
			snprintf(want + strlen(want), sizeof want - strlen(want), "]");
		for (int d = 0; d < e->ndim && strlen(got) < 100; d++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "",
			         (long long)e->shape[d]);
		return fail(err, size, "%s: '%s' is %s [%s]; the network needs %s", path, e->name,
		            e->dtype, got, want);
	}
	int64_t bytes = bytes_of(t);
	if (e->end - e->begin != bytes || e->begin < 0 || data_start + e->end > file_size)
		return fail(err, size, "%s: the data of '%s' (bytes %lld to %lld) is not inside the "
		            "file or not its size", path, e->name, (long long)e->begin, (long long)e->end);
	if (fseek(f, (long)(data_start + e->begin), SEEK_SET) != 0
	    || fread(values_of(t), 1, (size_t)bytes, f) != (size_t)bytes)
		return fail(err, size, "%s: cannot read '%s'", path, e->name);
	return 0;
}

/* Opens path and reads its header: *f is left open (close it), *header holds *len bytes
 * and a NUL (free it), *file_size is the file's size. 0, or -1 with a message and nothing open. */
static int read_header(const char *path, FILE **f, char **header, uint64_t *len,
                       int64_t *file_size, char *err, size_t size)
{
	*header = NULL;
	if (!(*f = fopen(path, "rb")))
		return fail(err, size, "%s: cannot open: %s", path, strerror(errno));
	unsigned char prefix[8] = {0};
	fseek(*f, 0, SEEK_END);
	*file_size = ftell(*f);
	fseek(*f, 0, SEEK_SET);
	*len = 0;
	int status = 0;
	if (fread(prefix, 1, 8, *f) != 8)
		status = fail(err, size, "%s: offset 0: too short to be a safetensors file", path);
	for (int b = 7; b >= 0; b--)
		*len = *len << 8 | prefix[b];
	if (status == 0 && (*len == 0 || *len > (uint64_t)*file_size - 8 || *len > 100 << 20))
		status = fail(err, size, "%s: offset 0: a header of %llu bytes does not fit the file "
		              "(%lld bytes); not a safetensors file, or a truncated one", path,
		              (unsigned long long)*len, (long long)*file_size);
	if (status == 0 && (!(*header = malloc(*len + 1)) || fread(*header, 1, *len, *f) != *len))
		status = fail(err, size, "%s: cannot read the header", path);
	if (status == 0)
		(*header)[*len] = '\0'; /* strtoll, reading a number, stops there */
	if (status != 0) {
		free(*header);
		*header = NULL;
		fclose(*f);
		*f = NULL;
	}
	return status;
}

/* st_load, and st_load_some when extra is true. */
static int load(const char *path, struct st_tensor *tensors, int n, bool extra, char *err,
                size_t size)
{
	FILE *f;
	char *header;
	uint64_t len;
	int64_t file_size;
	if (read_header(path, &f, &header, &len, &file_size, err, size) != 0)
		return -1;
	bool *found = calloc((size_t)n + 1, sizeof *found);
	int status = found ? 0 : fail(err, size, "%s: out of memory", path);
	struct scanner s = {header, header + len};
	struct entry e;
	if (status == 0 && !expect(&s, '{'))
		status = fail(err, size, "%s: offset 8: the header is not a JSON object", path);
	while (status == 0 && !expect(&s, '}')) {
		if (!scan_string(&s, e.name, sizeof e.name) || !expect(&s, ':')) {
			status = fail(err, size, "%s: offset %lld: the header is not valid JSON", path,
			              (long long)(8 + (s.p - header)));
			break;
		}
		if (strcmp(e.name, "__metadata__") == 0) {
			if (!skip_value(&s, 0))
				status = fail(err, size, "%s: the __metadata__ is not valid JSON", path);
		} else if (!scan_entry(&s, &e)) {
			status = fail(err, size, "%s: offset %lld: the entry of '%s' is not valid", path,
			              (long long)(8 + (s.p - header)), e.name);
		} else {
			int i = 0;
			while (i < n && strcmp(tensors[i].name, e.name) != 0)
				i++;
			if (i == n) { /* not asked for: an error, or skipped */
				if (!extra)
					status = fail(err, size, "%s: holds '%s', which the network does not "
					              "have", path, e.name);
			} else if (read_tensor(f, path, 8 + (int64_t)len, file_size, &e, &tensors[i], err,
			                     size) != 0)
				status = -1;
			else
				found[i] = true;
		}
		expect(&s, ',');
	}
	for (int i = 0; status == 0 && i < n; i++)
		if (!found[i])
			status = fail(err, size, "%s: has no '%s'", path, tensors[i].name);
	free(header);
	free(found);
	fclose(f);
	return status;
}

int st_load(const char *path, struct st_tensor *tensors, int n, char *err, size_t size)
{
	return load(path, tensors, n, false, err, size);
}

int st_load_some(const char *path, struct st_tensor *tensors, int n, char *err, size_t size)
{
	return load(path, tensors, n, true, err, size);
}

/* The pairs of the __metadata__ object at s into *meta (grown as it goes, *n pairs);
 * key and value are scratch buffers as long as the header. */
static bool scan_metadata(struct scanner *s, struct st_meta **meta, int *n, char *key,
                          char *value, size_t size)
{
	if (!expect(s, '{'))
		return false;
	if (expect(s, '}'))
		return true;
	do {
		if (!scan_string(s, key, size) || !expect(s, ':') || !scan_string(s, value, size))
			return false;
		struct st_meta *more = realloc(*meta, (size_t)(*n + 1) * sizeof *more);
		if (!more)
			return false;
		*meta = more;
		struct st_meta *pair = &more[(*n)++];
		*pair = (struct st_meta){strdup(key), strdup(value)};
		if (!pair->key || !pair->value)
			return false;
	} while (expect(s, ','));
	return expect(s, '}');
}

int st_metadata(const char *path, struct st_meta **meta, int *n, char *err, size_t size)
{
	FILE *f;
	char *header;
	uint64_t len;
	int64_t file_size;
	*meta = NULL;
	*n = 0;
	if (read_header(path, &f, &header, &len, &file_size, err, size) != 0)
		return -1;
	fclose(f);
	char *key = malloc(len + 1), *value = malloc(len + 1), name[256];
	struct scanner s = {header, header + len};
	bool ok = key && value && expect(&s, '{');
	while (ok && !expect(&s, '}')) {
		ok = scan_string(&s, name, sizeof name) && expect(&s, ':');
		if (ok && strcmp(name, "__metadata__") == 0)
			ok = scan_metadata(&s, meta, n, key, value, len + 1);
		else if (ok)
			ok = skip_value(&s, 0);
		expect(&s, ',');
	}
	if (!ok) {
		fail(err, size, "%s: offset %lld: the header is not valid JSON", path,
		     (long long)(8 + (s.p - header)));
		st_meta_free(*meta, *n);
		*meta = NULL;
		*n = 0;
	}
	free(key);
	free(value);
	free(header);
	return ok ? 0 : -1;
}

void st_meta_free(struct st_meta *meta, int n)
{
	for (int i = 0; i < n; i++) {
		free((void *)(uintptr_t)meta[i].key); /* st_metadata allocated them */
		free((void *)(uintptr_t)meta[i].value);
	}
	free(meta);
}
