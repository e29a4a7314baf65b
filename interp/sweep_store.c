/* sweep_store.c — results.csv and the claims of a sweep folder shared by processes (see
 * sweep_store.h).
 *
 * results.csv is appended to, one whole row per write(), and rewritten (into
 * results.csv.tmp, fsync, rename, fsync of the folder) only to drop or renumber rows;
 * both under the lock, so a reader never sees half of either.
 */
#include "sweep_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "run.h"

/* Locks (F_WRLCK, F_RDLCK) or unlocks (F_UNLCK) byte at of the lock file; waits when
 * wait. 0, or -1 (with !wait: another process holds it). */
static int lock_byte(const struct sweep_store *st, off_t at, short type, bool wait)
{
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
	int status;
	do
		status = fcntl(st->fd, wait ? F_SETLKW : F_SETLK, &l);
	while (status != 0 && errno == EINTR);
	return status;
}

/* Locks or unlocks results.csv, unless store_lock holds it already. */
static void lock_results(const struct sweep_store *st, short type)
{
	if (!st->held)
		lock_byte(st, 0, type, true);
}

/* The whole file at path, NUL-terminated; *len its size. NULL if missing or unreadable
 * (errno says which). */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t cap = 0;
	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len + 4097 > cap) {
			char *bigger = realloc(text, cap = 2 * cap + 8192);
			if (!bigger) {
				free(text);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			text = bigger;
		}
		size_t got = fread(text + *len, 1, 4096, f);
		*len += got;
		if (got < 4096)
			break;
	}
	text[*len] = '\0';
	fclose(f);
	return text;
}

int sweep_csv_fields(const char *line, int k, const char **field)
{
	bool quoted = false;
	int n = 1;
	*field = k == 0 ? line : NULL;
	for (const char *p = line; *p && *p != '\n'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted && ++n - 1 == k)
			*field = p + 1;
	}
	return n;
}

/* Parses line (without its newline) as a row; false if it is not a well-formed one. */
static bool parse_row(const struct sweep_store *st, const char *line, struct sweep_row *row)
{
	const char *status, *hash;
	char *end;
	if (sweep_csv_fields(line, 1, &status) != st->columns)
		return false;
	sweep_csv_fields(line, st->hash_column, &hash);
	if (line[0] < '0' || line[0] > '9')
		return false;
	long index = strtol(line, &end, 10);
	if (*end != ',' || index > 1000000)
		return false;
	if (strncmp(status, "ok,", 3) != 0 && strncmp(status, "diverged,", 9) != 0
	    && strncmp(status, "failed,", 7) != 0)
		return false;
	if (strspn(hash, "0123456789abcdef") != 16 || (hash[16] != ',' && hash[16] != '\0'))
		return false;
	*row = (struct sweep_row){(int)index, strtoull(hash, NULL, 16), status, line};
	return true;
}

/* Writes len bytes at text to fd; 0, or -1 with errno. */
static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? ENOSPC : errno;
			return -1;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Makes text (len bytes) the content of results.csv: a unique temporary beside it,
 * fsync, rename, fsync of the folder (files.h). The caller holds the lock. 0, or -1 with
 * errno. */
static int replace_results(const struct sweep_store *st, const char *text, size_t len)
{
	char tmp[4300];
	int fd = file_temporary(st->results, tmp, sizeof tmp);
	if (fd < 0)
		return -1;
	int failed = write_all(fd, text, len) != 0 || fsync(fd) != 0;
	int saved = errno;
	failed |= close(fd) != 0;
	if (failed || rename(tmp, st->results) != 0) {
		saved = failed ? saved : errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	file_sync_folder(st->results);
	return 0;
}

/* What rebuild changes besides dropping torn and malformed rows. */
struct change {
	int drop;      /* the trial whose rows go, or -1 */
	const int *to; /* (nto) the new number of the rows of each trial, or NULL */
	int nto;
};

/* results.csv's text without its torn last row, its malformed rows and the rows of trial
 * c->drop, and with rows renumbered by c->to, into *out (owned, *out_len bytes); *torn
 * and *malformed count what was left out. NULL when memory runs out or there is no
 * header. */
static char *rebuild(const struct sweep_store *st, const char *text, size_t len,
                     const struct change *c, size_t *out_len, int *torn, int *malformed)
{
	size_t n, lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	char *out = malloc(len + 16 * lines + 1), *row = NULL; /* a number grows by < 16 */
	const char *end = text + len, *p = strchr(text, '\n');
	*torn = *malformed = 0;
	if (!out || !p)
		return free(out), NULL;
	n = (size_t)(p + 1 - text);
	memcpy(out, text, n); /* the header */
	for (const char *nl; ++p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl) {
		struct sweep_row parsed;
		free(row);
		if (!(row = strndup(p, (size_t)(nl - p)))) {
			free(out);
			return NULL;
		}
		bool valid = parse_row(st, row, &parsed), keep = valid && parsed.index != c->drop;
		*malformed += !valid;
		if (keep && parsed.index < c->nto && c->to[parsed.index] != parsed.index) {
			n += (size_t)sprintf(out + n, "%d%s\n", c->to[parsed.index], strchr(row, ','));
		} else if (keep) {
			memcpy(out + n, p, (size_t)(nl + 1 - p));
			n += (size_t)(nl + 1 - p);
		}
	}
	*torn = p < end; /* bytes after the last newline */
	free(row);
	*out_len = n;
	return out;
}

/* Creates results.csv holding header, with O_EXCL: if another process made it meanwhile
 * (two shards starting together on a file system whose locks were not honoured), that
 * one's file stays and this process reads it. 0 (made, or made by another: *raced), or
 * -1 with errno. */
static int create_results(const struct sweep_store *st, const char *header, bool *raced)
{
	int fd = open(st->results, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, file_new_mode());
	*raced = fd < 0 && errno == EEXIST;
	if (fd < 0)
		return *raced ? 0 : -1;
	int failed = write_all(fd, header, strlen(header)) != 0 || fsync(fd) != 0;
	int saved = errno;
	failed |= close(fd) != 0;
	if (failed) {
		unlink(st->results); /* no header cut short left behind */
		errno = saved;
		return -1;
	}
	file_sync_folder(st->results);
	return 0;
}

/* Refuses a results.csv whose first line is not header (another sweep's, or one made
 * before rows carried their hash). */
static int refuse_header(const struct sweep_store *st, const char *text, const char *header)
{
	fprintf(stderr, "descent sweep: %s: its columns are\n  %.*s\nbut this sweep writes\n  %s"
	        "(the folder holds another sweep, or one run before rows carried the hash of "
	        "their settings); move it away, or give this sweep another `out`\n", st->results,
	        (int)strcspn(text, "\n"), text, header);
	return -1;
}

/* Under the lock: creates results.csv, checks its header, repairs it. */
static int prepare_results(struct sweep_store *st, const char *header)
{
	size_t len;
	bool raced = false;
	char *text = read_all(st->results, &len);
	if (!text && errno == ENOENT) { /* a new sweep: the header, made whole or not at all */
		if (create_results(st, header, &raced) != 0) {
			fprintf(stderr, "descent sweep: cannot write %s: %s\n", st->results,
			        strerror(errno));
			return -1;
		}
		if (!raced)
			return 0;
		text = read_all(st->results, &len);
	}
	if (!text) {
		fprintf(stderr, "descent sweep: cannot read %s: %s\n", st->results, strerror(errno));
		return -1;
	}
	size_t first = strcspn(text, "\n");
	bool whole_header = text[first] == '\n';
	if (len == 0 || (!whole_header && strncmp(header, text, len) == 0)) {
		free(text); /* empty, or a header cut short (a crash of an older version): write it */
		if (replace_results(st, header, strlen(header)) == 0)
			return 0;
		fprintf(stderr, "descent sweep: cannot write %s: %s\n", st->results, strerror(errno));
		return -1;
	}
	if (!whole_header || strncmp(text, header, first + 1) != 0 || strlen(header) != first + 1) {
		int status = refuse_header(st, text, header);
		free(text);
		return status;
	}
	int torn, malformed, status = 0;
	size_t out_len;
	char *out = rebuild(st, text, len, &(struct change){-1, NULL, 0}, &out_len, &torn,
	                    &malformed);
	if (out && (torn || malformed)) {
		status = replace_results(st, out, out_len);
		if (status != 0)
			fprintf(stderr, "descent sweep: cannot repair %s: %s\n", st->results,
			        strerror(errno));
		else
			fprintf(stderr, "descent sweep: %s: removed %s%s%s, left by writes that never "
			        "finished; those trials run again\n", st->results,
			        torn ? "a torn last row" : "", torn && malformed ? " and " : "",
			        malformed ? "malformed rows" : "");
	}
	free(out);
	free(text);
	return status;
}

int store_open(struct sweep_store *st, const char *out, const char *header, int hash_column)
{
	*st = (struct sweep_store){.fd = -1, .hash_column = hash_column};
	const char *dummy;
	st->columns = sweep_csv_fields(header, 0, &dummy);
	snprintf(st->results, sizeof st->results, "%s/results.csv", out);
	snprintf(st->lock, sizeof st->lock, "%s/.sweep.lock", out);
	run_make_parents(st->results);
	st->fd = open(st->lock, O_RDWR | O_CREAT, 0644);
	if (st->fd < 0) {
		fprintf(stderr, "descent sweep: cannot write %s: %s\n", st->lock, strerror(errno));
		return -1;
	}
	lock_results(st, F_WRLCK);
	int status = prepare_results(st, header);
	lock_results(st, F_UNLCK);
	if (status != 0)
		store_close(st);
	return status;
}

void store_close(struct sweep_store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

int store_read(struct sweep_store *st, struct sweep_rows *rows)
{
	size_t len;
	*rows = (struct sweep_rows){0};
	lock_results(st, F_RDLCK);
	rows->text = read_all(st->results, &len);
	lock_results(st, F_UNLCK);
	if (!rows->text)
		return -1;
	int lines = 0;
	for (char *p = rows->text; (p = strchr(p, '\n')); p++)
		lines++;
	rows->row = calloc((size_t)lines + 1, sizeof *rows->row);
	if (!rows->row) {
		store_rows_free(rows);
		return -1;
	}
	char *line = strchr(rows->text, '\n'); /* after the header */
	for (char *nl; line && (nl = strchr(++line, '\n')); line = nl) {
		*nl = '\0';
		rows->n += parse_row(st, line, &rows->row[rows->n]);
	}
	return 0;
}

void store_rows_free(struct sweep_rows *rows)
{
	free(rows->text);
	free(rows->row);
	*rows = (struct sweep_rows){0};
}

bool store_claim(struct sweep_store *st, int index)
{
	return lock_byte(st, 1 + (off_t)index, F_WRLCK, false) == 0;
}

void store_release(struct sweep_store *st, int index)
{
	lock_byte(st, 1 + (off_t)index, F_UNLCK, false);
}

/* Where the last whole line of the file fd (size bytes) ends: size itself when the file
 * ends with a newline, else just after the last newline (0 if none). */
static off_t whole_end(int fd, off_t size)
{
	char buf[4096];
	for (off_t end = size; end > 0;) {
		off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
		ssize_t got = pread(fd, buf, (size_t)(end - from), from);
		if (got != end - from)
			return size; /* cannot tell: leave it */
		for (ssize_t i = got - 1; i >= 0; i--)
			if (buf[i] == '\n')
				return from + i + 1;
		end = from;
	}
	return 0;
}

int store_append(struct sweep_store *st, const char *row)
{
	lock_results(st, F_WRLCK);
	int fd = open(st->results, O_RDWR | O_APPEND), status = -1, saved = 0;
	struct stat info;
	if (fd >= 0 && fstat(fd, &info) == 0) {
		off_t end = whole_end(fd, info.st_size);
		if (end > 0 && (end == info.st_size || ftruncate(fd, end) == 0)) {
			status = write_all(fd, row, strlen(row));
			if (status == 0)
				status = fsync(fd);
			saved = errno;
			if (status != 0 && ftruncate(fd, end) == 0)
				fsync(fd); /* no half row left behind */
		}
	}
	saved = saved ? saved : errno;
	if (fd >= 0)
		close(fd);
	lock_results(st, F_UNLCK);
	errno = saved;
	return status;
}

/* Rewrites results.csv as rebuild does with c. */
static int change_results(struct sweep_store *st, const struct change *c)
{
	size_t len, out_len;
	int torn, malformed, status = -1;
	lock_results(st, F_WRLCK);
	char *text = read_all(st->results, &len), *out = NULL;
	if (text)
		out = rebuild(st, text, len, c, &out_len, &torn, &malformed);
	if (out)
		status = replace_results(st, out, out_len);
	int saved = errno;
	free(text);
	free(out);
	lock_results(st, F_UNLCK);
	errno = saved;
	return status;
}

int store_drop(struct sweep_store *st, int index)
{
	return change_results(st, &(struct change){index, NULL, 0});
}

int store_renumber(struct sweep_store *st, const int *to, int n)
{
	return change_results(st, &(struct change){-1, to, n});
}

void store_lock(struct sweep_store *st)
{
	lock_byte(st, 0, F_WRLCK, true);
	st->held = true;
}

void store_unlock(struct sweep_store *st)
{
	st->held = false;
	lock_byte(st, 0, F_UNLCK, true);
}
