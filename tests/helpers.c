/* helpers.c — shared by the Criterion suites (see helpers.h). */
#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "diag.h"
#include "fold.h"

struct ast *parse_text(const char *text, enum parse_mode mode, struct source **src,
                       int *errors, char **messages)
{
	size_t size;
	char *buf = NULL;
	FILE *out = open_memstream(&buf, &size);
	struct diag d;
	diag_init(&d, out);
	*src = source_from_string("test.nn", text);
	struct ast *tree = parse_source(*src, mode, &d);
	fclose(out);
	*errors = d.errors;
	if (messages)
		*messages = buf;
	else
		free(buf);
	return tree;
}

struct checked check_text(const char *text)
{
	size_t size;
	struct checked result = {0};
	FILE *out = open_memstream(&result.messages, &size);
	struct diag d;
	diag_init(&d, out);
	struct source *src = source_from_string("test.nn", text);
	struct ast *file = parse_source(src, PARSE_FILE, &d);
	if (file && fold_file(file, &d))
		check_file(file, &d, NULL);
	fclose(out);
	result.errors = d.errors;
	result.warnings = d.warnings;
	ast_free(file);
	source_free(src);
	return result;
}

struct ast *fold_text(const char *text, struct source **src, int *errors)
{
	struct ast *file = parse_text(text, PARSE_FILE, src, errors, NULL);
	struct diag d;
	diag_init(&d, NULL);
	if (file)
		fold_file(file, &d);
	*errors += d.errors;
	return file;
}

char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

char *log_without_seconds(const char *path)
{
	char *text = slurp(path, NULL);
	for (char *p = text; p && (p = strstr(p, ", \"seconds\": "));)
		memmove(p, strchr(p, '}'), strlen(strchr(p, '}')) + 1);
	return text;
}

/* Whether the files one/name and two/name have the same bytes (or the same log lines
 * without seconds). */
static bool same_file(const char *one, const char *two, const char *name, bool log)
{
	char path[4200];
	size_t len_one = 0, len_two = 0;
	snprintf(path, sizeof path, "%s/%s", one, name);
	char *a = log ? log_without_seconds(path) : slurp(path, &len_one);
	snprintf(path, sizeof path, "%s/%s", two, name);
	char *b = log ? log_without_seconds(path) : slurp(path, &len_two);
	bool same = a && b && (log ? strcmp(a, b) == 0 : len_one == len_two && memcmp(a, b, len_one) == 0);
	free(a);
	free(b);
	return same;
}

const char *runs_differ(const char *one, const char *two, const char *weights, const char *log)
{
	if (!same_file(one, two, weights, false))
		return "the weights differ (or one is missing)";
	if (!same_file(one, two, log, true))
		return "the logs differ beyond their seconds (or one is missing)";
	return NULL;
}

bool scratch_dir(char *dir)
{
	strcpy(dir, "/tmp/descent-test-XXXXXX");
	return mkdtemp(dir) != NULL;
}

int remove_tree(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

int each_case(const char *path, void (*each)(char *line))
{
	char *text = slurp(path, NULL), *save;
	int n = 0;
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#') {
			each(line);
			n++;
		}
	free(text);
	return n;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **list_files(const char *dir, const char *suffix, int *n)
{
	DIR *d = opendir(dir);
	char **names = calloc(1, sizeof *names);
	*n = 0;
	struct dirent *e;
	while (d && names && (e = readdir(d))) {
		size_t len = strlen(e->d_name), slen = strlen(suffix);
		if (len < slen || strcmp(e->d_name + len - slen, suffix) != 0 || e->d_name[0] == '.')
			continue;
		names = realloc(names, (size_t)(*n + 2) * sizeof *names);
		names[*n] = malloc(strlen(dir) + len + 2);
		sprintf(names[*n], "%s/%s", dir, e->d_name);
		names[++*n] = NULL;
	}
	if (d)
		closedir(d);
	qsort(names, (size_t)*n, sizeof *names, compare_names);
	return names;
}

void free_names(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

/* A temporary file holding text (or empty), opened for reading; its name is unlinked. */
static int temp_fd(const char *text)
{
	char name[] = "/tmp/descent-test-XXXXXX";
	int fd = mkstemp(name);
	if (fd < 0)
		return -1;
	unlink(name);
	if (text) {
		size_t len = strlen(text);
		if (write(fd, text, len) != (ssize_t)len)
			return -1;
		lseek(fd, 0, SEEK_SET);
	}
	return fd;
}

static char *read_fd(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)size + 1);
	lseek(fd, 0, SEEK_SET);
	ssize_t got = buf ? read(fd, buf, (size_t)size) : -1;
	if (buf)
		buf[got > 0 ? got : 0] = '\0';
	close(fd);
	return buf;
}

int run_descent(const char *const *args, const char *input, char **out, char **err)
{
	const char *binary = getenv("DESCENT") ? getenv("DESCENT") : "./descent";
	int argc = 0;
	while (args[argc])
		argc++;
	char **argv = calloc((size_t)argc + 2, sizeof *argv);
	argv[0] = strdup(binary);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = strdup(args[i]);
	int in = temp_fd(input ? input : ""), fd_out = temp_fd(NULL), fd_err = temp_fd(NULL);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in, 0);
		dup2(fd_out, 1);
		dup2(fd_err, 2);
		execv(binary, argv);
		_exit(127);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	for (int i = 0; i <= argc; i++)
		free(argv[i]);
	free(argv);
	close(in);
	char *o = read_fd(fd_out), *e = read_fd(fd_err);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The values of "key": in each line of a JSON Lines file; returns how many. */
int log_values(const char *path, const char *key, double *out, int max)
{
	char *text = slurp(path, NULL), pattern[64];
	if (!text)
		return -1;
	snprintf(pattern, sizeof pattern, "\"%s\": ", key);
	int n = 0;
	for (char *p = text; n < max && (p = strstr(p, pattern)); p += strlen(pattern))
		out[n++] = strtod(p + strlen(pattern), NULL);
	free(text);
	return n;
}

int write_idx_pair(const char *dir, int n, int h, int w, bool gz)
{
	char path[4200];
	size_t size = 16 + (size_t)n * (size_t)h * (size_t)w;
	unsigned char *buf = malloc(size);
	if (!buf)
		return -1;
	unsigned char head[16] = {0, 0, 8, 3, 0, 0, (unsigned char)(n >> 8), (unsigned char)n,
	                          0, 0, 0, (unsigned char)h, 0, 0, 0, (unsigned char)w};
	memcpy(buf, head, 16);
	for (size_t i = 0; i + 16 < size; i++)
		buf[16 + i] = (unsigned char)((i * 37 + i / 7) % 251);
	snprintf(path, sizeof path, "%s/images.idx%s", dir, gz ? ".gz" : "");
	int ok;
	if (gz) {
		gzFile g = gzopen(path, "wb");
		ok = g && gzwrite(g, buf, (unsigned)size) == (int)size;
		ok &= g && gzclose(g) == Z_OK;
	} else {
		FILE *f = fopen(path, "wb");
		ok = f && fwrite(buf, 1, size, f) == size;
		ok &= f && fclose(f) == 0;
	}
	free(buf);
	snprintf(path, sizeof path, "%s/labels.idx", dir);
	FILE *f = fopen(path, "wb");
	unsigned char lhead[8] = {0, 0, 8, 1, 0, 0, (unsigned char)(n >> 8), (unsigned char)n};
	ok &= f && fwrite(lhead, 1, 8, f) == 8;
	for (int i = 0; f && i < n; i++)
		fputc(i % 3, f);
	ok &= f && fclose(f) == 0;
	return ok ? 0 : -1;
}

int write_npy_f32(const char *path, const int64_t *shape, int ndim)
{
	char dims[128] = "", header[256];
	int64_t count = 1;
	for (int k = 0; k < ndim; k++) {
		snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%lld,%s", (long long)shape[k],
		         k + 1 < ndim ? " " : "");
		count *= shape[k];
	}
	int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, "
	                   "'shape': (%s), }", dims);
	while ((10 + len + 1) % 64)
		header[len++] = ' ';
	header[len++] = '\n';
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite("\x93NUMPY\x01\x00", 1, 8, f);
	unsigned char hl[2] = {(unsigned char)(len & 0xff), (unsigned char)(len >> 8)};
	fwrite(hl, 1, 2, f);
	fwrite(header, 1, (size_t)len, f);
	for (int64_t i = 0; i < count; i++) {
		float v = (float)(i % 7);
		fwrite(&v, 4, 1, f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

double json_number(const char *text, const char *key)
{
	char pattern[64];
	snprintf(pattern, sizeof pattern, "\"%s\": ", key);
	const char *p = strstr(text, pattern);
	return p ? strtod(p + strlen(pattern), NULL) : NAN;
}
