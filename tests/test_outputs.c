/* test_outputs.c — interp/outputs.c and the output files of `descent run`: an output that
 * would overwrite the .nn file, a data file or another output, or that is not a regular
 * file, is refused before the first step and leaves the node as it was; an output that
 * cannot be written is found before the first step; a failed write stops the run with
 * the path and the real reason and leaves whole lines; a rerun that fails before its
 * first epoch keeps the old log; a second run writing an output another holds refuses.
 *
 * Read-only and full file systems are made with tmpfs mounts in a mount namespace of the
 * test's own (they vanish with it); without the right to mount (not root) those tests
 * are skipped. A file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes writes fail with
 * EFBIG without any privilege. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "helpers.h"
#include "files.h"
#include "outputs.h"

/* A small classification set: 40 rows of two features. */
static void write_data(const char *dir)
{
	char path[160], text[2048] = "a,b,label\n";
	for (int i = 0; i < 40; i++) {
		double x = (i * 37 % 101) / 101.0, y = (i * 53 % 97) / 97.0;
		snprintf(text + strlen(text), sizeof text - strlen(text), "%.3f,%.3f,%d\n", x, y, x > y);
	}
	snprintf(path, sizeof path, "%s/train.csv", dir);
	cr_assert_eq(write_text(path, text), 0);
}

/* Writes dir/f.nn: a train block t on train.csv for epochs epochs with the output keys
 * given in outputs (lines such as "save = \"w.st\"\n"); its path in nn (160 bytes). */
static void write_nn(const char *dir, char *nn, int epochs, const char *outputs)
{
	char text[2048];
	snprintf(text, sizeof text,
	         "data d {\n    train = csv(\"train.csv\", label = \"label\")\n}\n"
	         "network n {\n    dense(4)\n    relu\n    dense(2)\n}\n"
	         "train t {\n    network = n\n    data = d\n    epochs = %d\n"
	         "    optimizer = sgd(lr = 0.1)\n%s}\n", epochs, outputs);
	snprintf(nn, 160, "%s/f.nn", dir);
	cr_assert_eq(write_text(nn, text), 0);
}

/* A scratch folder with the data and f.nn (see write_nn). */
static void scratch(char *dir, char *nn, int epochs, const char *outputs)
{
	cr_assert(scratch_dir(dir));
	write_data(dir);
	write_nn(dir, nn, epochs, outputs);
}

/* `descent run --quiet nn`: its exit status, stdout in *out and stderr in *err (owned). */
static int run(const char *nn, char **out, char **err)
{
	return run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, out, err);
}

static char *path_in(const char *dir, const char *name, char *buf)
{
	snprintf(buf, 200, "%s/%s", dir, name);
	return buf;
}

/* Whether dir holds a file whose name starts with prefix (a temporary or a lock). */
static bool has_file_starting(const char *dir, const char *prefix)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q '^%s'", dir, prefix);
	return system(cmd) == 0;
}

/* Runs nn expecting a refusal (exit 1, message in err) and nothing trained. */
static void expect_refused(const char *nn, const char *message)
{
	char *out, *err;
	cr_expect_eq(run(nn, &out, &err), 1, "%s", err);
	cr_expect(strstr(err, message) != NULL, "wanted '%s' in:\n%s", message, err);
	cr_expect(strstr(out, "epoch") == NULL, "it trained:\n%s", out);
	free(out);
	free(err);
}

Test(outputs, a_plot_onto_the_nn_file_is_refused_and_the_file_kept)
{
	char dir[64], nn[160];
	scratch(dir, nn, 1, "    plot = \"f.nn\"\n");
	char *before = slurp(nn, NULL);
	expect_refused(nn, "f.nn:14:12: error: the plot \"f.nn\" would overwrite the .nn file itself");
	char *after = slurp(nn, NULL);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_save_onto_a_data_file_is_refused_and_the_data_kept)
{
	char dir[64], nn[160], path[200];
	scratch(dir, nn, 1, "    save = \"./train.csv\"\n");
	char *before = slurp(path_in(dir, "train.csv", path), NULL);
	expect_refused(nn, "error: the save \"./train.csv\" would overwrite ");
	expect_refused(nn, "train.csv, a data file of data 'd'");
	char *after = slurp(path, NULL);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_hard_link_to_a_data_file_is_that_data_file)
{
	char dir[64], nn[160], path[200], data[200];
	scratch(dir, nn, 1, "    save = \"copy.csv\"\n");
	cr_assert_eq(link(path_in(dir, "train.csv", data), path_in(dir, "copy.csv", path)), 0);
	char *before = slurp(data, NULL);
	expect_refused(nn, "error: the save \"copy.csv\" would overwrite ");
	char *after = slurp(data, NULL);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, two_spellings_of_one_path_are_one_output)
{
	char dir[64], nn[160], path[200];
	scratch(dir, nn, 1, "    log = \"runs/./x.jsonl\"\n    save = \"runs/x.jsonl\"\n");
	expect_refused(nn, "error: the save \"runs/x.jsonl\" is the same file as the log "
	               "\"runs/./x.jsonl\" of train 't'");
	cr_expect_neq(access(path_in(dir, "runs/x.jsonl", path), F_OK), 0);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, outputs_of_two_blocks_through_a_dotdot_are_one_file)
{
	char dir[64], nn[160];
	scratch(dir, nn, 1, "    save = \"runs/w.st\"\n}\ntrain u {\n    network = n\n    data = d\n"
	        "    epochs = 1\n    optimizer = sgd(lr = 0.1)\n    save = \"runs/sub/../w.st\"\n");
	expect_refused(nn, "error: the save \"runs/sub/../w.st\" is the same file as the save "
	               "\"runs/w.st\" of train 't'");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_save_onto_a_fifo_is_refused_and_the_fifo_kept)
{
	char dir[64], nn[160], path[200];
	scratch(dir, nn, 1, "    save = \"fifo\"\n");
	cr_assert_eq(mkfifo(path_in(dir, "fifo", path), 0644), 0);
	expect_refused(nn, "error: the save \"fifo\" is a FIFO, not a regular file");
	struct stat st;
	cr_expect(stat(path, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
	cr_expect_eq(remove_tree(dir), 0);
}

/* Makes dir/name a character device like /dev/null (1, 3) or /dev/full (1, 7): the
 * real ones are never named, since a run that does not refuse would replace them
 * (as root, the old code turned /dev/full into a regular file). Needs root. */
static void make_device(const char *dir, const char *name, unsigned minor, char *path)
{
	if (mknod(path_in(dir, name, path), S_IFCHR | 0666, makedev(1, minor)) != 0)
		cr_skip_test("cannot make a device node (%s): needs root", strerror(errno));
}

Test(outputs, a_save_onto_a_device_is_refused_and_the_device_kept)
{
	char dir[64], nn[160], path[200];
	scratch(dir, nn, 1, "    save = \"null\"\n");
	make_device(dir, "null", 3, path);
	expect_refused(nn, "error: the save \"null\" is a character device, not a regular file");
	struct stat st;
	cr_expect(stat(path, &st) == 0 && S_ISCHR(st.st_mode), "the device was replaced");
	write_nn(dir, nn, 1, "    log = \"full\"\n");
	make_device(dir, "full", 7, path);
	expect_refused(nn, "error: the log \"full\" is a character device, not a regular file");
	cr_expect(stat(path, &st) == 0 && S_ISCHR(st.st_mode), "the device was replaced");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_log_that_is_a_folder_is_refused_with_a_true_message)
{
	char dir[64], nn[160], path[200];
	scratch(dir, nn, 1, "    log = \"runs\"\n");
	cr_assert_eq(mkdir(path_in(dir, "runs", path), 0755), 0);
	expect_refused(nn, "error: the log \"runs\" is a folder, not a regular file");
	expect_refused(nn, "help: an output is one file, which descent replaces: name a file "
	               "inside the folder, such as \"runs/t.jsonl\"");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_trace_onto_the_nn_file_is_refused)
{
	char dir[64], nn[160];
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/m.nn", dir);
	cr_assert_eq(write_text(nn, "minimize f(x) = x^2 {\n    from = [(1.0)]\n"
	                            "    optimizer = sgd(lr = 0.1)\n    steps = 3\n"
	                            "    trace = \"m.nn\"\n}\n"), 0);
	char *before = slurp(nn, NULL);
	expect_refused(nn, "error: the trace \"m.nn\" would overwrite the .nn file itself");
	char *after = slurp(nn, NULL);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_symbolic_link_is_written_through_to_its_target)
{
	char dir[64], nn[160], path[200], target[200];
	scratch(dir, nn, 1, "    save = \"link.st\"\n");
	cr_assert_eq(write_text(path_in(dir, "old.st", target), "old"), 0);
	cr_assert_eq(symlink("old.st", path_in(dir, "link.st", path)), 0);
	char *out, *err;
	cr_expect_eq(run(nn, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	struct stat st;
	cr_expect(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
	cr_expect(stat(target, &st) == 0 && st.st_size > 100, "the target was not written");
	/* a link to nothing is refused */
	cr_assert_eq(unlink(target), 0);
	expect_refused(nn, "error: the save \"link.st\" is a symbolic link to a file that does "
	               "not exist");
	cr_expect_eq(remove_tree(dir), 0);
}

/* Enters a mount namespace of the test's own (mounts vanish with the process) and mounts
 * a tmpfs with options at dir; skips the test where mounting is not allowed. */
static void mount_tmpfs(const char *dir, const char *options)
{
	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		cr_skip_test("cannot make a mount namespace (%s): needs root", strerror(errno));
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(mount("tmpfs", dir, "tmpfs", 0, options), 0, "%s", strerror(errno));
}

Test(outputs, an_output_on_a_read_only_file_system_is_found_before_the_first_step)
{
	char dir[64], nn[160], path[200];
	/* block t would train; block u's plot cannot be written: nothing may run */
	scratch(dir, nn, 1, "    log = \"runs/t.jsonl\"\n}\ntrain u {\n    network = n\n"
	        "    data = d\n    epochs = 1\n    optimizer = sgd(lr = 0.1)\n    plot = \"ro/sub/u.svg\"\n");
	mount_tmpfs(path_in(dir, "ro", path), "ro,size=64k");
	char *out, *err;
	cr_expect_eq(run(nn, &out, &err), 1, "%s", err);
	cr_expect(strstr(err, "descent run: ") && strstr(err, "ro/sub/u.svg: Read-only file system"),
	          "%s", err);
	cr_expect_str_eq(out, "", "a block ran");
	cr_expect_neq(access(path_in(dir, "runs/t.jsonl", path), F_OK), 0, "block t logged");
	free(out);
	free(err);
	umount2(path_in(dir, "ro", path), MNT_DETACH);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_full_disk_stops_the_run_naming_the_log_and_the_reason)
{
	char dir[64], nn[160], path[200];
	scratch(dir, nn, 200, "    log = \"full/t.jsonl\"\n");
	mount_tmpfs(path_in(dir, "full", path), "size=16k");
	/* leave one page free: the log fills it after a dozen epochs */
	char fill[12288];
	memset(fill, 'x', sizeof fill - 1);
	fill[sizeof fill - 1] = '\0';
	cr_assert_eq(write_text(path_in(dir, "full/fill", path), fill), 0);
	char *out, *err;
	cr_expect_eq(run(nn, &out, &err), 1, "%s", err);
	cr_expect(strstr(err, "full/t.jsonl: No space left on device") != NULL, "%s", err);
	free(out);
	free(err);
	size_t len;
	char *log = slurp(path_in(dir, "full/t.jsonl", path), &len);
	cr_assert_not_null(log, "the log of the finished epochs is gone");
	cr_expect(len > 0 && log[len - 1] == '\n', "the log ends in half a line");
	free(log);
	umount2(path_in(dir, "full", path), MNT_DETACH);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Runs nn with a limit of limit bytes on any file it writes (SIGXFSZ ignored, so a write
 * past it fails with EFBIG); its status, stderr in *err. */
static int run_limited(const char *nn, rlim_t limit, char **err)
{
	struct rlimit old, small;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = (struct rlimit){limit, old.rlim_max};
	void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	int status = run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, was);
	return status;
}

Test(outputs, a_log_write_that_fails_stops_the_run_with_whole_lines)
{
	char dir[64], nn[160], path[200], *err;
	scratch(dir, nn, 20, "    log = \"runs/t.jsonl\"\n");
	cr_expect_eq(run_limited(nn, 1000, &err), 1, "%s", err);
	cr_expect(strstr(err, "descent run: ") && strstr(err, "runs/t.jsonl: File too large"), "%s",
	          err);
	free(err);
	size_t len;
	char *log = slurp(path_in(dir, "runs/t.jsonl", path), &len);
	cr_assert_not_null(log);
	cr_expect(len > 0 && len <= 1000 && log[len - 1] == '\n', "the log ends in half a line:\n%s",
	          log);
	free(log);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_checkpoint_that_cannot_be_written_stops_the_run)
{
	char dir[64], nn[160], path[200], *err;
	scratch(dir, nn, 5, "    log = \"runs/t.jsonl\"\n    checkpoint = \"runs/t.ckpt\"\n");
	/* the log's first line fits, the checkpoint does not */
	cr_expect_eq(run_limited(nn, 600, &err), 1, "%s", err);
	cr_expect(strstr(err, "runs/t.ckpt: File too large") != NULL, "%s", err);
	free(err);
	char *log = slurp(path_in(dir, "runs/t.jsonl", path), NULL);
	cr_assert_not_null(log);
	cr_expect_eq(strchr(log, '\n') - log + 1, (long)strlen(log), "the run went on:\n%s", log);
	free(log);
	cr_expect(!has_file_starting(path_in(dir, "runs", path), "\\.t\\.ckpt\\."),
	          "a temporary was left");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_rerun_that_fails_before_its_first_epoch_keeps_the_old_log)
{
	char dir[64], nn[160], path[200], *err;
	scratch(dir, nn, 2, "    log = \"runs/t.jsonl\"\n");
	cr_assert_eq(run(nn, NULL, &err), 0, "%s", err);
	free(err);
	size_t len_before, len_after;
	char *before = slurp(path_in(dir, "runs/t.jsonl", path), &len_before);
	cr_assert_not_null(before);
	/* diverges in its first step */
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", "--set",
	                                                "optimizer.lr = 1e30", nn, NULL},
	                         NULL, NULL, &err), 3, "%s", err);
	free(err);
	char *after = slurp(path, &len_after);
	cr_assert_not_null(after);
	cr_expect(len_after == len_before && memcmp(before, after, len_before) == 0,
	          "the old log changed:\n%s", after);
	cr_expect(!has_file_starting(path_in(dir, "runs", path), "\\.t\\.jsonl\\."),
	          "a temporary was left");
	free(before);
	free(after);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(outputs, a_second_run_writing_a_locked_output_refuses_at_start)
{
	char dir[64], nn[160], path[200], *out, *err;
	scratch(dir, nn, 1, "    save = \"runs/w.st\"\n");
	cr_assert_eq(mkdir(path_in(dir, "runs", path), 0755), 0);
	/* this process plays the first run: it holds the lock of runs/w.st */
	int fd = open(path_in(dir, "runs/.w.st.lock", path), O_RDWR | O_CREAT, 0644);
	cr_assert(fd >= 0);
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	cr_assert_eq(fcntl(fd, F_SETLK, &l), 0);
	cr_expect_eq(run(nn, &out, &err), 1, "%s", err);
	cr_expect(strstr(err, "runs/w.st: another process is writing it") != NULL, "%s", err);
	cr_expect_str_eq(out, "", "it trained");
	free(out);
	free(err);
	cr_expect_neq(access(path_in(dir, "runs/w.st", path), F_OK), 0);
	close(fd); /* the first run ends: the second may go */
	cr_expect_eq(run(nn, NULL, &err), 0, "%s", err);
	free(err);
	cr_expect_eq(access(path_in(dir, "runs/w.st", path), F_OK), 0);
	cr_expect(!has_file_starting(path_in(dir, "runs", path), "\\.w\\.st\\.lock"),
	          "the lock file was left");
	cr_expect_eq(remove_tree(dir), 0);
}

static int write_hello(FILE *out, const void *data)
{
	(void)data;
	return fputs("hello\n", out) < 0;
}

static int write_half_then_fail(FILE *out, const void *data)
{
	(void)data;
	fputs("half", out);
	return -1;
}

Test(outputs, temporaries_are_unique_and_removed_on_failure)
{
	char dir[64], path[200], a[300], b[300], err[600];
	cr_assert(scratch_dir(dir));
	path_in(dir, "sub/x.csv", path);
	cr_assert_eq(out_make_parents(path), 0);
	int fa = file_temporary(path, a, sizeof a), fb = file_temporary(path, b, sizeof b);
	cr_assert(fa >= 0 && fb >= 0);
	cr_expect_str_neq(a, b);
	char prefix[200];
	snprintf(prefix, sizeof prefix, "%s/sub/.x.csv.", dir);
	cr_expect(strncmp(a, prefix, strlen(prefix)) == 0, "%s", a);
	close(fa);
	close(fb);
	unlink(a);
	unlink(b);
	cr_assert_eq(out_write_atomic(path, write_hello, NULL, err, sizeof err), 0, "%s", err);
	cr_expect_eq(out_write_atomic(path, write_half_then_fail, NULL, err, sizeof err), -1);
	char *text = slurp(path, NULL);
	cr_expect_str_eq(text, "hello\n", "a failed write touched the file");
	free(text);
	cr_expect(!has_file_starting(path_in(dir, "sub", a), "\\.x\\.csv\\."), "a temporary was left");
	cr_expect_eq(remove_tree(dir), 0);
}
