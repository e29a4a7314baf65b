/* sweep_store.h — a sweep's output folder as several processes share it: results.csv
 * (one row per finished trial, each carrying the hash of the settings it ran with) and
 * the lock file `.sweep.lock` beside it.
 *
 * Byte 0 of the lock file guards results.csv: every read, append and rewrite holds it
 * (POSIX record locks, which the kernel drops when a process dies, also over NFS).
 * Byte 1 + k is the claim of trial k: the process that holds it is the only one that
 * runs trial k, writes its files (trial-k.jsonl, ...) or changes its rows.
 *
 * Shared file systems (shards on several machines, one folder on NFS): O_APPEND alone is
 * not atomic there (the client picks the offset from its cached size), but fcntl record
 * locks are honoured (NFSv3 through lockd, NFSv4 in the protocol), and every append
 * opens results.csv after taking byte 0 and closes it (fsync first) before letting go:
 * close-to-open consistency then gives each writer the size the previous one left, and
 * each reader what was written. So one results.csv under the lock, not a file per trial:
 * rows stay where reuse, repair and claims already look. A mount with `nolock` or
 * `local_lock=all` keeps locks on one machine: shards must then not share the folder.
 * The header is created with O_EXCL, never written twice.
 *
 * For: run_sweep.c. Not for: what a row says (run_sweep.c builds and reads the fields).
 */
#ifndef DESCENT_SWEEP_STORE_H
#define DESCENT_SWEEP_STORE_H

#include <stdbool.h>
#include <stdint.h>

/* One sweep folder, open for the life of the sweep. */
struct sweep_store {
	char results[4200];  /* <out>/results.csv */
	char lock[4200];     /* <out>/.sweep.lock */
	int fd;              /* the lock file (-1: not open) */
	int columns;         /* fields in a row (the header's) */
	int hash_column;     /* which of them is the hash, from 0 */
	bool held;           /* store_lock holds results.csv */
};

/* One well-formed row of results.csv. */
struct sweep_row {
	int index;           /* the trial's number */
	uint64_t hash;       /* the settings it ran with */
	const char *status;  /* "ok", "diverged" or "failed" (points into line) */
	const char *line;    /* the whole row without its newline (in the rows' text) */
};

struct sweep_rows {
	char *text;             /* owned: the file, lines cut at their newlines */
	struct sweep_row *row;  /* (n), owned */
	int n;
};

/* Opens the sweep folder out (made if missing), its lock file, and results.csv: created
 * with header (which ends with a newline; O_EXCL) if missing, written if empty; else its first line must
 * be header, or it is refused. A torn last row (no newline: a crash or a full disk while
 * it was written) and malformed rows are removed, saying so on stderr. 0, or -1 after
 * printing why (naming the path). */
int store_open(struct sweep_store *st, const char *out, const char *header, int hash_column);
void store_close(struct sweep_store *st);

/* The well-formed rows of results.csv, read under the lock; 0 or -1 (out of memory, or
 * unreadable: then no rows). */
int store_read(struct sweep_store *st, struct sweep_rows *rows);
void store_rows_free(struct sweep_rows *rows);

/* Claims trial index for this process, without waiting: true if it now holds it (until
 * it ends or releases it), false if another process does. */
bool store_claim(struct sweep_store *st, int index);
void store_release(struct sweep_store *st, int index);

/* Appends row (one line, ending with a newline) with one write and fsync, under the lock;
 * a torn end left by an earlier crash is cut off first, and a write that fails is undone.
 * 0, or -1 with errno. */
int store_append(struct sweep_store *st, const char *row);

/* Rewrites results.csv without the rows of trial index (the caller holds its claim: the
 * rows were made with other settings, and the trial runs again). 0, or -1 with errno. */
int store_drop(struct sweep_store *st, int index);

/* Rewrites results.csv with the rows of each trial k < n numbered to[k] (the caller holds
 * the claims of both numbers). 0, or -1 with errno. */
int store_renumber(struct sweep_store *st, const int *to, int n);

/* Holds results.csv for this process until store_unlock: the calls above then work
 * under this one lock, so that several make one change no other process sees half of. */
void store_lock(struct sweep_store *st);
void store_unlock(struct sweep_store *st);

/* The number of fields of a results.csv line (ended by '\n' or NUL), quotes respected;
 * the start of field k in *field (NULL if the line is shorter). */
int sweep_csv_fields(const char *line, int k, const char **field);

#endif
