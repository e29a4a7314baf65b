/* outputs.c — the files `descent run` writes: resolved, refused when they would overwrite
 * an input or another output, tested before the first step, locked while a block runs,
 * and written whole through unique temporaries (see outputs.h for the rules).
 *
 * Not for: what the files hold (the writers are in runtime/ and run*.c).
 */
#include "outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "lower.h"
#include "run.h"

enum { DATA_FILES = 4 }; /* a data block reads at most two files for train, two for test */

/* Prints "descent run: PATH: reason" for errno e; returns -1. */
static int report(const char *path, int e)
{
	fprintf(stderr, "descent run: %s: %s\n", path, strerror(e ? e : EIO));
	return -1;
}

/* ---- where a path goes ---- */

/* Copies the strings of parts (NULL-terminated) one after the other into out, cut to
 * size bytes (paths longer than PATH_MAX are not paths the system takes anyway). */
static void join(char *out, size_t size, const char *const *parts)
{
	size_t len = 0;
	for (int i = 0; parts[i]; i++) {
		size_t n = strlen(parts[i]);
		n = n < size - 1 - len ? n : size - 1 - len;
		memcpy(out + len, parts[i], n);
		len += n;
	}
	out[len] = '\0';
}

/* Resolves abs (absolute, modified) into out: realpath where it exists, else its folder
 * resolved and the last name appended ("." dropped, ".." going up). */
static void resolve(char *abs, char *out, size_t size)
{
	char real[PATH_MAX];
	if (realpath(abs, real)) {
		snprintf(out, size, "%s", real);
		return;
	}
	char *slash = strrchr(abs, '/');
	const char *name = slash + 1;
	if (slash == abs) {
		snprintf(out, size, "/");
	} else {
		*slash = '\0';
		resolve(abs, out, size);
	}
	if (*name == '\0' || strcmp(name, ".") == 0)
		return;
	if (strcmp(name, "..") == 0) {
		char *up = strrchr(out, '/');
		if (up)
			up[up == out] = '\0'; /* "/x" goes up to "/" */
		return;
	}
	size_t len = strlen(out);
	join(out + len, size - len, (const char *const[]){len && out[len - 1] == '/' ? "" : "/",
	                                                   name, NULL});
}

/* The absolute, resolved form of path (see resolve). */
static void canonical(const char *path, char *out, size_t size)
{
	char abs[2 * PATH_MAX + 2], cwd[PATH_MAX];
	bool relative = path[0] != '/';
	join(abs, sizeof abs, (const char *const[]){relative && getcwd(cwd, sizeof cwd) ? cwd : "",
	                                            relative ? "/" : "", path, NULL});
	resolve(abs, out, size);
}

/* Fills f's target, dest and what stat says of the target, from f->path. */
static void locate(struct out_file *f)
{
	struct stat st;
	canonical(f->path, f->target, sizeof f->target);
	bool link = lstat(f->path, &st) == 0 && S_ISLNK(st.st_mode);
	f->link_to_nothing = link && stat(f->path, &st) != 0;
	snprintf(f->dest, sizeof f->dest, "%s", link ? f->target : f->path);
	f->exists = stat(f->target, &st) == 0;
	if (f->exists) {
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->mode = st.st_mode;
	}
}

/* Adds an output to s (room made by the caller). */
static void add(struct out_set *s, const struct ast *block, const char *key,
                const struct ast *node, const char *path)
{
	struct out_file *f = &s->files[s->n++];
	*f = (struct out_file){node, block, key, .fd = -1, .lock = -1};
	if (node)
		run_output_path(s->nn, node->str, f->path, sizeof f->path);
	else
		snprintf(f->path, sizeof f->path, "%s", path);
	locate(f);
}

/* Whether block writes files, and which keys name them. */
static const char *const *output_keys(const struct ast *block)
{
	static const char *const train[] = {"log", "save", "checkpoint", "plot", "save_best", NULL};
	static const char *const minimize[] = {"trace", "plot", NULL};
	if (block->kind == AST_MINIMIZE)
		return minimize;
	return block->kind == AST_BLOCK && block->op == BLOCK_TRAIN ? train : NULL;
}

/* Adds the outputs of one block (its log replaced by log_path when given). */
static void add_block(struct out_set *s, const struct ast *block, const char *log_path)
{
	const char *const *keys = output_keys(block);
	for (int k = 0; keys && keys[k]; k++) {
		const struct ast *v = ast_value(block, keys[k]);
		if (log_path && strcmp(keys[k], "log") == 0)
			add(s, block, "log", NULL, log_path);
		else if (v && v->kind == AST_STR)
			add(s, block, keys[k], v, NULL);
	}
}

int out_list(struct out_set *s, const char *nn, const struct ast *tree,
             const struct ast *block, const char *log_path)
{
	int blocks = tree ? tree->nkids : 1;
	*s = (struct out_set){calloc((size_t)blocks * 5 + 1, sizeof *s->files), 0, nn};
	if (!s->files)
		return -1;
	for (int i = 0; i < blocks; i++) {
		const struct ast *b = tree ? tree->kids[i] : block;
		add_block(s, b, b == block ? log_path : NULL);
	}
	return 0;
}

/* ---- what an output must not be ---- */

/* A file to compare outputs with: resolved, and its identity when it exists. */
struct input {
	char path[PATH_MAX];   /* as found */
	char target[PATH_MAX]; /* resolved */
	bool exists;
	dev_t dev;
	ino_t ino;
	const struct ast *data; /* the data block that reads it; NULL for the .nn file */
};

static void input_at(struct input *in, const char *path, const struct ast *data)
{
	struct stat st;
	join(in->path, sizeof in->path, (const char *const[]){path, NULL});
	canonical(path, in->target, sizeof in->target);
	in->exists = stat(in->target, &st) == 0;
	in->dev = in->exists ? st.st_dev : 0;
	in->ino = in->exists ? st.st_ino : 0;
	in->data = data;
}

/* Whether output f and a file (target, existence, identity) are one file. */
static bool same(const struct out_file *f, const char *target, bool exists, dev_t dev, ino_t ino)
{
	return strcmp(f->target, target) == 0 || (f->exists && exists && f->dev == dev && f->ino == ino);
}

/* The .nn file and every data file of tree's data blocks, into *in (owned); how many. */
static int list_inputs(const char *nn, const struct ast *tree, struct input **in)
{
	int blocks = tree ? tree->nkids : 0, n = 0;
	*in = malloc(((size_t)blocks * DATA_FILES + 1) * sizeof **in);
	if (!*in)
		return 0;
	if (strcmp(nn, "-") != 0)
		input_at(&(*in)[n++], nn, NULL);
	char found[DATA_FILES][PATH_MAX];
	for (int i = 0; i < blocks; i++) {
		const struct ast *b = tree->kids[i];
		if (b->kind != AST_BLOCK || b->op != BLOCK_DATA)
			continue;
		int files = lower_data_files(b, nn, found, DATA_FILES);
		for (int k = 0; k < files; k++)
			input_at(&(*in)[n++], found[k], b);
	}
	return n;
}

/* "train 'fast'", "minimize 'rosen'" or "the train block on line 12", for messages. */
static void block_words(const struct ast *block, char *buf, size_t size)
{
	const char *kind = block->kind == AST_MINIMIZE ? "minimize" : "train";
	if (block->str)
		snprintf(buf, size, "%s '%s'", kind, block->str);
	else
		snprintf(buf, size, "the %s block on line %d", kind, block->loc.first_line);
}

/* How messages name f: as written in the file, or the path given. */
static const char *written(const struct out_file *f)
{
	return f->node ? f->node->str : f->path;
}

/* Where an error about f points: its key's value, or its block. */
static struct loc where(const struct out_file *f)
{
	return f->node ? f->node->loc : f->block->loc;
}

/* What a file that is not regular is, for messages. */
static const char *kind_of(mode_t mode)
{
	return S_ISDIR(mode) ? "a folder" : S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode)
		? "a character device" : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket"
		: "not a regular file";
}

/* Refuses f when it is not a file that descent can replace; whether it was refused. */
static bool refuse_kind(const struct out_file *f, struct diag *d)
{
	if (f->link_to_nothing) {
		diag_error(d, where(f), "the %s \"%s\" is a symbolic link to a file that does not "
		           "exist", f->key, written(f));
		diag_help(d, "descent writes through a link to its target: remove the link, or "
		          "create its target");
		return true;
	}
	if (!f->exists || S_ISREG(f->mode))
		return false;
	diag_error(d, where(f), "the %s \"%s\" is %s, not a regular file", f->key, written(f),
	           kind_of(f->mode));
	if (S_ISDIR(f->mode))
		diag_help(d, "an output is one file, which descent replaces: name a file inside "
		          "the folder, such as \"%s/%s%s\"", written(f),
		          f->block->str ? f->block->str : f->key,
		          strcmp(f->key, "checkpoint") == 0 ? ".ckpt"
		          : strcmp(f->key, "save") == 0 || strcmp(f->key, "save_best") == 0
		          ? ".safetensors" : strcmp(f->key, "log") == 0 ? ".jsonl"
		          : strcmp(f->key, "trace") == 0 ? ".csv" : ".svg");
	else
		diag_help(d, "descent writes an output to a temporary file and renames it over the "
		          "old one, which would replace this node: name a file instead");
	return true;
}

/* Refuses f when it is one of the inputs; whether it was refused. */
static bool refuse_input(const struct out_file *f, const struct input *in, int n, struct diag *d)
{
	for (int i = 0; i < n; i++) {
		if (!same(f, in[i].target, in[i].exists, in[i].dev, in[i].ino))
			continue;
		if (!in[i].data)
			diag_error(d, where(f), "the %s \"%s\" would overwrite the .nn file itself",
			           f->key, written(f));
		else
			diag_error(d, where(f), "the %s \"%s\" would overwrite %s, a data file of data "
			           "'%s'", f->key, written(f), in[i].path, in[i].data->str);
		diag_help(d, "outputs never overwrite inputs: write it to another file, such as "
		          "one under runs/");
		return true;
	}
	return false;
}

/* Refuses f when an earlier output of s (files[0..i)) is the same file. */
static bool refuse_twice(const struct out_set *s, int i, struct diag *d)
{
	const struct out_file *f = &s->files[i];
	for (int j = 0; j < i; j++) {
		const struct out_file *g = &s->files[j];
		if (!same(f, g->target, g->exists, g->dev, g->ino))
			continue;
		char theirs[128];
		block_words(g->block, theirs, sizeof theirs);
		diag_error(d, where(f), "the %s \"%s\" is the same file as the %s \"%s\" of %s",
		           f->key, written(f), g->key, written(g), theirs);
		diag_note(d, where(g), "that %s is written here", g->key);
		diag_help(d, "two outputs of one file would overwrite each other: give them "
		          "different files");
		return true;
	}
	return false;
}

int out_verify(const struct out_set *s, const struct ast *tree, struct diag *d)
{
	struct input *in;
	int n = list_inputs(s->nn, tree, &in), errors = 0;
	for (int i = 0; i < s->n; i++)
		errors += refuse_kind(&s->files[i], d) || refuse_input(&s->files[i], in, n, d)
			|| refuse_twice(s, i, d);
	free(in);
	return errors;
}

/* ---- an output named on the command line ---- */

/* The folder of a sweep block (run_sweep_folder), canonical, into out. */
static void sweep_folder(const char *nn, const struct ast *sweep, char *out, size_t size)
{
	char given[PATH_MAX], path[PATH_MAX];
	run_sweep_folder(nn, sweep, given, sizeof given, path, sizeof path);
	canonical(path, out, size);
}

/* Whether f is inside (or is) a sweep folder of tree; the folder as the file gives it
 * into shown. */
static bool in_sweep_folder(const struct out_file *f, const char *nn, const struct ast *tree,
                            char *shown, size_t size)
{
	for (int i = 0; i < tree->nkids; i++) {
		const struct ast *b = tree->kids[i];
		if (b->kind != AST_BLOCK || b->op != BLOCK_SWEEP)
			continue;
		char folder[PATH_MAX];
		sweep_folder(nn, b, folder, sizeof folder);
		size_t len = strlen(folder);
		if (strncmp(f->target, folder, len) == 0
		    && (f->target[len] == '\0' || f->target[len] == '/')) {
			snprintf(shown, size, "%s", folder);
			return true;
		}
	}
	return false;
}

/* Why path collides with an input or output of the file, into why; whether it does. */
static bool given_collides(const struct out_file *g, const char *nn, const struct ast *tree,
                           char *why, size_t size)
{
	struct input *in;
	int n = list_inputs(nn, tree, &in);
	for (int i = 0; i < n && !*why; i++) {
		if (!same(g, in[i].target, in[i].exists, in[i].dev, in[i].ino))
			continue;
		if (in[i].data)
			snprintf(why, size, "is a data file of '%s' (%s), an input", in[i].data->str,
			         in[i].path);
		else
			snprintf(why, size, "is the .nn file itself, an input");
	}
	free(in);
	struct out_set s;
	if (!*why && out_list(&s, nn, tree, NULL, NULL) == 0) {
		for (int i = 0; i < s.n && !*why; i++) {
			const struct out_file *f = &s.files[i];
			char block[128];
			block_words(f->block, block, sizeof block);
			if (same(g, f->target, f->exists, f->dev, f->ino))
				snprintf(why, size, "is the %s \"%s\" of %s in %s, an output of the file",
				         f->key, written(f), block, nn);
		}
		out_release(&s);
	}
	char folder[PATH_MAX];
	if (!*why && in_sweep_folder(g, nn, tree, folder, sizeof folder))
		snprintf(why, size, "is in %s, the folder of the file's sweep", folder);
	return *why != '\0';
}

int out_refuse_given(const char *command, const char *path, const char *nn,
                     const struct ast *tree)
{
	struct out_file g = {.key = "output", .fd = -1, .lock = -1};
	snprintf(g.path, sizeof g.path, "%s", path);
	locate(&g);
	char why[3 * PATH_MAX] = "";
	if (g.exists && !S_ISREG(g.mode))
		snprintf(why, sizeof why, "is %s, not a regular file", kind_of(g.mode));
	else if (g.link_to_nothing)
		snprintf(why, sizeof why, "is a symbolic link to a file that does not exist");
	if (!*why && !given_collides(&g, nn, tree, why, sizeof why))
		return 0;
	fprintf(stderr, "descent %s: %s: %s; descent never overwrites an input or another "
	        "output of the file\n", command, path, why);
	return -1;
}

/* ---- writing ---- */

int out_make_parents(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		int e = mkdir(dir, 0777) == 0 ? 0 : errno;
		if (e && !(stat(dir, &st) == 0 && S_ISDIR(st.st_mode))) {
			errno = e == EEXIST ? ENOTDIR : e; /* EEXIST: a file where a folder should be */
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int out_probe(struct out_set *s)
{
	int status = 0;
	for (int i = 0; i < s->n; i++) {
		struct out_file *f = &s->files[i];
		char tmp[sizeof f->tmp];
		int fd = out_make_parents(f->dest) == 0 ? file_temporary(f->dest, tmp, sizeof tmp) : -1;
		if (fd < 0) {
			status = report(f->path, errno);
			continue;
		}
		close(fd);
		unlink(tmp);
	}
	return status;
}

/* The lock file of dest: ".NAME.lock" beside it. */
static void lock_path(const char *dest, char *out, size_t size)
{
	const char *slash = strrchr(dest, '/');
	if (slash)
		snprintf(out, size, "%.*s/.%s.lock", (int)(slash - dest), dest, slash + 1);
	else
		snprintf(out, size, ".%s.lock", dest);
}

/* Takes f's lock (an fcntl write lock on its lock file). A holder unlinks the file
 * before it lets go, so a lock taken on a file no longer at its path is taken again. */
static int take_lock(struct out_file *f)
{
	char path[PATH_MAX + 16];
	lock_path(f->dest, path, sizeof path);
	for (;;) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, file_new_mode());
		if (fd < 0)
			return report(f->path, errno);
		struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(fd, F_SETLK, &l) != 0) {
			int e = errno;
			close(fd);
			if (e != EACCES && e != EAGAIN)
				return report(f->path, e);
			fprintf(stderr, "descent run: %s: another process is writing it (it holds %s); "
			        "wait for it to end, or write elsewhere\n", f->path, path);
			return -1;
		}
		struct stat mine, now;
		if (fstat(fd, &mine) == 0 && stat(path, &now) == 0 && mine.st_dev == now.st_dev
		    && mine.st_ino == now.st_ino) {
			f->lock = fd;
			return 0;
		}
		close(fd);
	}
}

int out_open(struct out_set *s, const struct ast *block, bool lock)
{
	for (int i = 0; i < s->n; i++) {
		struct out_file *f = &s->files[i];
		if (f->block != block)
			continue;
		if (out_make_parents(f->dest) != 0)
			return report(f->path, errno);
		if (lock && take_lock(f) != 0)
			return -1;
		if ((f->fd = file_temporary(f->dest, f->tmp, sizeof f->tmp)) < 0) {
			f->tmp[0] = '\0';
			return report(f->path, errno);
		}
	}
	return 0;
}

struct out_file *out_find(struct out_set *s, const struct ast *node)
{
	for (int i = 0; node && i < s->n; i++)
		if (s->files[i].node == node)
			return &s->files[i];
	return NULL;
}

int out_commit(struct out_file *f)
{
	if (fsync(f->fd) != 0)
		return report(f->path, errno);
	if (rename(f->tmp, f->dest) != 0)
		return report(f->path, errno);
	f->tmp[0] = '\0';
	file_sync_folder(f->dest);
	return 0;
}

int out_finish(struct out_file *f)
{
	int status = fsync(f->fd) != 0 ? report(f->path, errno) : 0;
	if (close(f->fd) != 0 && status == 0)
		status = report(f->path, errno);
	f->fd = -1;
	return status;
}

int out_append(struct out_file *f, const char *bytes, size_t len)
{
	off_t start = lseek(f->fd, 0, SEEK_END);
	for (size_t done = 0; done < len;) {
		ssize_t n = write(f->fd, bytes + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			if (start >= 0 && ftruncate(f->fd, start) != 0)
				e = e ? e : errno; /* the reason stays the write's */
			return report(f->path, e);
		}
		done += (size_t)n;
	}
	return 0;
}

int out_write(struct out_file *f, int (*write)(FILE *, const void *), const void *data)
{
	FILE *stream = fdopen(f->fd, "w");
	if (!stream)
		return report(f->path, errno);
	errno = 0;
	int status = write(stream, data) != 0 || ferror(stream) || fflush(stream) != 0
		? report(f->path, errno) : out_commit(f);
	errno = 0;
	if (fclose(stream) != 0 && status == 0)
		status = report(f->path, errno);
	f->fd = -1;
	return status;
}

void out_drop(struct out_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp[0])
		unlink(f->tmp);
	f->fd = -1;
	f->tmp[0] = '\0';
}

void out_release(struct out_set *s)
{
	for (int i = 0; i < s->n; i++) {
		struct out_file *f = &s->files[i];
		out_drop(f);
		if (f->lock >= 0) {
			char path[PATH_MAX + 16];
			lock_path(f->dest, path, sizeof path);
			unlink(path); /* before letting go: see take_lock */
			close(f->lock);
		}
	}
	free(s->files);
	*s = (struct out_set){0};
}

int out_write_atomic(const char *path, int (*write)(FILE *, const void *), const void *data,
                     char *err, size_t size)
{
	char tmp[PATH_MAX + 16];
	int fd = out_make_parents(path) == 0 ? file_temporary(path, tmp, sizeof tmp) : -1;
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	int e = out ? 0 : errno;
	if (!out && fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (out) {
		errno = 0;
		bool ok = write(out, data) == 0 && !ferror(out) && fflush(out) == 0
			&& fsync(fileno(out)) == 0;
		e = ok ? 0 : errno ? errno : EIO;
		if (fclose(out) != 0 && ok)
			e = errno;
		if (e == 0 && rename(tmp, path) != 0)
			e = errno;
		if (e != 0)
			unlink(tmp);
		else
			file_sync_folder(path);
	}
	if (e != 0)
		snprintf(err, size, "%s: %s", path, strerror(e));
	return e ? -1 : 0;
}
