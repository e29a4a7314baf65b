/* safetensors.c — reading and writing safetensors files (see safetensors.h). The header
 * is read by a small JSON scanner that knows the three shapes a safetensors header has:
 * an object of objects, strings, and arrays of integers. */
#include "safetensors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int64_t count_of(const struct st_tensor *t)
{
	return t->i64 ? 1 : t->ndim == 1 ? t->shape[0] : t->shape[0] * t->shape[1];
}

static int64_t bytes_of(const struct st_tensor *t)
{
	return count_of(t) * (t->i64 ? 8 : 4);
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
		if (tensors[i].i64)
			fputs(":{\"dtype\":\"I64\",\"shape\":[", h);
		else
			fprintf(h, ":{\"dtype\":\"F32\",\"shape\":[%lld", (long long)tensors[i].shape[0]);
		if (!tensors[i].i64 && tensors[i].ndim == 2)
			fprintf(h, ",%lld", (long long)tensors[i].shape[1]);
		fprintf(h, "],\"data_offsets\":[%lld,%lld]}", (long long)offset, (long long)(offset + bytes));
		offset += bytes;
	}
	fputc('}', h);
	while ((ftell(h) % 8) != 0) /* the data starts 8-byte aligned */
		fputc(' ', h);
	fclose(h);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *out = fopen(tmp, "wb");
	bool ok = out != NULL;
	unsigned char prefix[8];
	for (int b = 0; b < 8; b++)
		prefix[b] = (unsigned char)((uint64_t)len >> (8 * b));
	ok = ok && fwrite(prefix, 1, 8, out) == 8 && fwrite(header, 1, len, out) == len;
	for (int i = 0; ok && i < n; i++) /* little-endian machine: the values as they are */
		ok = tensors[i].i64 ? fwrite(tensors[i].i64, 8, 1, out) == 1
			: fwrite(tensors[i].data, 4, (size_t)count_of(&tensors[i]), out)
				== (size_t)count_of(&tensors[i]);
	ok = ok && fflush(out) == 0 && fsync(fileno(out)) == 0;
	if (out)
		ok = fclose(out) == 0 && ok;
	free(header);
	if (!ok || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		return fail(err, size, "%s: cannot write: %s", path, strerror(saved));
	}
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

/* A JSON string into buf (escapes \" and \\ kept simple; \u skipped as '?'). */
static bool scan_string(struct scanner *s, char *buf, size_t size)
{
	if (!expect(s, '"'))
		return false;
	size_t n = 0;
	while (s->p < s->end && *s->p != '"') {
		char c = *s->p++;
		if (c == '\\' && s->p < s->end) {
			c = *s->p++;
			if (c == 'u') {
				s->p += s->end - s->p >= 4 ? 4 : s->end - s->p;
				c = '?';
			}
		}
		if (n + 1 < size)
			buf[n++] = c;
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
	bool same = t->i64 ? strcmp(e->dtype, "I64") == 0 && e->ndim == 0
		: strcmp(e->dtype, "F32") == 0 && e->ndim == t->ndim && e->shape[0] == t->shape[0]
		  && (t->ndim == 1 || e->shape[1] == t->shape[1]);
	if (!same) {
		char want[64], got[128] = "";
		if (t->i64)
			snprintf(want, sizeof want, "I64 []");
		else
			snprintf(want, sizeof want, t->ndim == 1 ? "F32 [%lld]" : "F32 [%lld, %lld]",
			         (long long)t->shape[0], (long long)t->shape[1]);
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
	    || (t->i64 ? fread(t->i64, 8, 1, f) != 1
	        : fread(t->data, 4, (size_t)count_of(t), f) != (size_t)count_of(t)))
		return fail(err, size, "%s: cannot read '%s'", path, e->name);
	return 0;
}

int st_load(const char *path, struct st_tensor *tensors, int n, char *err, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, size, "%s: cannot open: %s", path, strerror(errno));
	unsigned char prefix[8];
	fseek(f, 0, SEEK_END);
	int64_t file_size = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint64_t len = 0;
	if (fread(prefix, 1, 8, f) != 8) {
		fclose(f);
		return fail(err, size, "%s: offset 0: too short to be a safetensors file", path);
	}
	for (int b = 7; b >= 0; b--)
		len = len << 8 | prefix[b];
	if (len == 0 || len > (uint64_t)file_size - 8 || len > 100 << 20) {
		fclose(f);
		return fail(err, size, "%s: offset 0: a header of %llu bytes does not fit the file "
		            "(%lld bytes); not a safetensors file, or a truncated one", path,
		            (unsigned long long)len, (long long)file_size);
	}
	char *header = malloc(len);
	bool *found = calloc((size_t)n + 1, sizeof *found);
	int status = 0;
	if (!header || !found || fread(header, 1, len, f) != len) {
		status = fail(err, size, "%s: cannot read the header", path);
		goto out;
	}
	struct scanner s = {header, header + len};
	struct entry e;
	if (!expect(&s, '{'))
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
			if (i == n)
				status = fail(err, size, "%s: holds '%s', which the network does not have",
				              path, e.name);
			else if (read_tensor(f, path, 8 + (int64_t)len, file_size, &e, &tensors[i], err,
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
out:
	free(header);
	free(found);
	fclose(f);
	return status;
}
