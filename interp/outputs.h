/* outputs.h — the files `descent run` writes (log, save, checkpoint, plot, save_best,
 * trace): where
 * each one goes, whether it may be written there, and writing it whole.
 *
 * Rules (LANGUAGE.md section 8): an output never overwrites an input or another output,
 * is a regular file (or nothing yet), and can be written; all of this is found before the
 * first step. Each output is written into a temporary with a unique name beside it
 * (".NAME.XXXXXX") and renamed over it once whole, so a failed or killed run leaves the
 * previous file as it was and two runs never mix their bytes; while a block runs it holds
 * a lock on each of its outputs (an fcntl lock on ".NAME.lock" beside it, which dies
 * with the process), so a second run writing one of them refuses at its start.
 *
 * Paths: relative to the .nn file's folder; compared after resolving the folders that
 * exist (realpath) and "." and ".." in the rest, and by device and inode where the file
 * exists. A symbolic link is followed: the output is its target, written by renaming
 * over the target (the link stays a link); a link to nothing is refused.
 *
 * For: run.c and run_train.c (and anything that writes a file whole: out_write_atomic).
 * Not for: what the files hold (runtime/), or outputs with the same literal path (check.c).
 * Errors about a key go to the diag at its value; errors of the file system are printed
 * as "descent run: PATH: reason" with the real errno.
 */
#ifndef DESCENT_OUTPUTS_H
#define DESCENT_OUTPUTS_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "ast.h"
#include "diag.h"

/* One file a block writes. */
struct out_file {
	const struct ast *node;  /* the key's value (for messages); NULL for a path given */
	const struct ast *block; /* the block that writes it */
	const char *key;         /* "log", "save", "checkpoint", "plot", "save_best", "trace" */
	char path[PATH_MAX];     /* as messages show it: relative to the .nn file's folder */
	char target[PATH_MAX];   /* absolute, folders and links resolved: for comparisons */
	char dest[PATH_MAX];     /* the file replaced: path, or a link's target */
	char tmp[PATH_MAX + 16]; /* the unique temporary beside target, "" when none */
	int fd;                  /* open on tmp, or -1 */
	int lock;                /* open on the lock file, locked, or -1 */
	bool link_to_nothing;    /* path is a symbolic link whose target does not exist */
	bool exists;             /* target exists (then dev, ino, mode are its stat) */
	dev_t dev;
	ino_t ino;
	mode_t mode;
};

/* The outputs of a file (or of one block). */
struct out_set {
	struct out_file *files; /* (n), owned */
	int n;
	const char *nn;         /* the .nn file's path ("-": standard input) */
};

/* Collects the outputs of every train and minimize block of tree (of block alone when
 * tree is NULL), resolved against the .nn file at nn; log_path, when not NULL, replaces
 * the log of block (a sweep trial's log). 0, or -1 when memory runs out. */
int out_list(struct out_set *s, const char *nn, const struct ast *tree,
             const struct ast *block, const char *log_path);

/* Refuses (to d, at each key) an output that is the .nn file, a data file of the file's
 * data blocks, the same file as another output, or that exists and is not a regular
 * file. Returns the number of errors reported. */
int out_verify(const struct out_set *s, const struct ast *tree, struct diag *d);

/* Refuses path, an output named on the command line of `descent COMMAND` (relative to
 * the working folder), when it is the .nn file nn, a data file of tree's data blocks, an
 * output of the file (log, save, checkpoint, plot, save_best or trace of any block, or
 * inside a sweep's folder), or exists and is not a regular file; resolved as outputs are
 * (folders, links, "." and "..", device and inode). 0, or -1 after printing
 * "descent COMMAND: PATH: reason". */
int out_refuse_given(const char *command, const char *path, const char *nn,
                     const struct ast *tree);

/* Makes sure every output of s can be written: creates its folders and a temporary
 * beside it, then removes the temporary. 0, or -1 after printing the path and reason
 * of each output that cannot be written. */
int out_probe(struct out_set *s);

/* Prepares the outputs of block for writing: folders, the lock (when lock is true), and
 * an open temporary. 0, or -1 after printing the path and reason (another run holding
 * the lock, EROFS, EACCES, ENOSPC, ...). */
int out_open(struct out_set *s, const struct ast *block, bool lock);

/* The output of s named by node (a key's value), or NULL. */
struct out_file *out_find(struct out_set *s, const struct ast *node);

/* Makes f's temporary durable (fsync) and renames it over f->dest, then syncs the
 * folder; f->fd stays open for more writes (the log), now on the file itself.
 * 0, or -1 after printing the path and reason. */
int out_commit(struct out_file *f);

/* Appends len bytes to f's open file with write(2); on failure the file is cut back to
 * where it was, so it never ends in half a line. 0, or -1 after printing why. */
int out_append(struct out_file *f, const char *bytes, size_t len);

/* Fsyncs and closes f->fd (committed or not). 0, or -1 after printing why. */
int out_finish(struct out_file *f);

/* Writes f whole through write(stream, data) into its temporary, then commits and
 * closes it. 0, or -1 after printing the path and reason. */
int out_write(struct out_file *f, int (*write)(FILE *, const void *), const void *data);

/* Closes and removes f's temporary, for an output another writer makes whole (st_save
 * writes save and checkpoint through temporaries of its own); the probe has been made. */
void out_drop(struct out_file *f);

/* Removes the temporaries still there, releases the locks, frees s. */
void out_release(struct out_set *s);

/* Writes path whole through write(stream, data): its folders made, into a unique
 * temporary beside it, flushed, fsynced, renamed over path, the folder synced; nothing
 * is left behind on failure. For any file written at once (sweep summaries too).
 * 0, or -1 with "PATH: reason" in err (size bytes). */
int out_write_atomic(const char *path, int (*write)(FILE *, const void *), const void *data,
                     char *err, size_t size);

/* Creates the folders above path, as mkdir -p; 0, or -1 with errno set (the folder that
 * could not be made names the reason: EROFS, EACCES, ENOTDIR, ...). */
int out_make_parents(const char *path);


#endif
