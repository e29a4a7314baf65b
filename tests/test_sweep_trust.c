/* test_sweep_trust.c — what a rerun of `descent sweep` may reuse: rows carry the hash of
 * their trial's settings, so --set, an edited file, a reordered list or a changed data
 * file reruns what changed; two sweeps of one folder run each trial once; a torn last
 * row is repaired; a trial another process holds is skipped and said; a configuration
 * with a diverged trial is never ranked; trials never write the same output path. End
 * to end, on the built binary. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* A sweep over `lr` (a list, as written) and seeds 1..seeds of a small MLP on blobs. */
static const char sweep_file[] =
	"# %s\n"
	"data d { train = blobs(120, classes = 3, dim = 4)\n test = blobs(60, classes = 3, dim = 4) }\n"
	"network n {\n dense(16)\n relu\n dense(3)\n}\n"
	"train t {\n network = n\n data = d\n optimizer = sgd(lr = %s)\n epochs = %d\n}\n"
	"sweep {\n optimizer.lr in [%s]\n seed in 1..%d\n}\n";

/* Writes dir/s.nn (dir made if empty); nn gets its path. */
static void write_sweep(char *dir, char *nn, const char *comment, const char *base_lr,
                        int epochs, const char *rates, int seeds)
{
	if (!*dir)
		cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	char text[2048];
	snprintf(text, sizeof text, sweep_file, comment, base_lr, epochs, rates, seeds);
	cr_assert_eq(write_text(nn, text), 0);
}

/* Runs `descent sweep --quiet [extra] nn`; its exit status; stderr into *err (owned). */
static int sweep(const char *nn, const char *extra, char **err)
{
	const char *args[6] = {"sweep", "--quiet"};
	int n = 2;
	if (extra) {
		args[n++] = "--set";
		args[n++] = extra;
	}
	args[n++] = nn;
	args[n] = NULL;
	return run_descent(args, NULL, NULL, err);
}

/* Field k (from 0) of a CSV line as a new string, quotes respected. */
static char *field(const char *line, int k)
{
	bool quoted = false;
	const char *start = line;
	for (const char *p = line;; p++) {
		if (*p == '"')
			quoted = !quoted;
		if ((*p == ',' && !quoted) || *p == '\n' || *p == '\0') {
			if (k-- == 0)
				return strndup(start, (size_t)(p - start));
			if (*p != ',')
				return NULL;
			start = p + 1;
		}
	}
}

static int fields(const char *line)
{
	int n = 1;
	bool quoted = false;
	for (const char *p = line; *p && *p != '\n'; p++) {
		quoted ^= *p == '"';
		n += *p == ',' && !quoted;
	}
	return n;
}

/* results.csv of the sweep in dir, checked well-formed: it ends with a newline and every
 * line has the header's number of fields. Returns its rows (NULL-terminated, owned). */
static char **results(const char *dir, int *n)
{
	char path[200];
	snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
	size_t len;
	char *text = slurp(path, &len), *save;
	cr_assert_not_null(text, "no %s", path);
	cr_assert(len > 0 && text[len - 1] == '\n', "results.csv ends without a newline:\n%s", text);
	int columns = fields(text);
	char **rows = calloc(1000, sizeof *rows);
	*n = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cr_expect_eq(fields(line), columns, "a malformed line: %s", line);
		if (strncmp(line, "trial,", 6) != 0 && *n < 999)
			rows[(*n)++] = strdup(line);
	}
	free(text);
	return rows;
}

static void free_rows(char **rows, int n)
{
	for (int i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

/* The lines of dir's trial-k.jsonl. */
static int log_lines(const char *dir, int k)
{
	char path[200];
	snprintf(path, sizeof path, "%s/runs/s-sweep/trial-%d.jsonl", dir, k);
	char *text = slurp(path, NULL);
	int n = 0;
	for (char *p = text; p && (p = strchr(p, '\n')); p++)
		n++;
	free(text);
	return n;
}

/* The value of "key": in the last line of dir's trial-k.jsonl, as written. */
static char *log_value(const char *dir, int k, const char *key)
{
	char path[200], pattern[64];
	snprintf(path, sizeof path, "%s/runs/s-sweep/trial-%d.jsonl", dir, k);
	snprintf(pattern, sizeof pattern, "\"%s\": ", key);
	char *text = slurp(path, NULL), *found = NULL;
	for (char *p = text; p && (p = strstr(p, pattern)); p++)
		found = p + strlen(pattern);
	char *value = found ? strndup(found, strcspn(found, ",}")) : NULL;
	free(text);
	return value;
}

/* Each row's trial appears once, and its row agrees with its log: the same lr (field 2)
 * and train_loss (field 4); every log has epochs lines. */
static void expect_rows_match_logs(const char *dir, int ntrials, int epochs)
{
	int n;
	char **rows = results(dir, &n);
	int *seen = calloc((size_t)ntrials, sizeof *seen);
	cr_expect_eq(n, ntrials, "rows: %d", n);
	for (int i = 0; i < n; i++) {
		int k = atoi(rows[i]);
		cr_assert(k >= 0 && k < ntrials, "%s", rows[i]);
		seen[k]++;
		char *lr = field(rows[i], 2), *loss = field(rows[i], 4);
		char *log_lr = log_value(dir, k, "lr"), *log_loss = log_value(dir, k, "train_loss");
		cr_expect(log_lr && strcmp(lr, log_lr) == 0, "trial %d: row lr %s, log lr %s", k, lr,
		          log_lr);
		cr_expect(log_loss && strcmp(loss, log_loss) == 0, "trial %d: row loss %s, log %s", k,
		          loss, log_loss);
		cr_expect_eq(log_lines(dir, k), epochs, "trial %d's log", k);
		free(lr);
		free(loss);
		free(log_lr);
		free(log_loss);
	}
	for (int k = 0; k < ntrials; k++)
		cr_expect_eq(seen[k], 1, "trial %d has %d rows", k, seen[k]);
	free(seen);
	free_rows(rows, n);
}

Test(sweep_trust, a_set_value_dropped_on_rerun_retrains_every_trial)
{
	char dir[64] = "", nn[128], *err;
	write_sweep(dir, nn, "", "0.05", 2, "0.02, 0.05", 2);
	cr_assert_eq(sweep(nn, "epochs=1", NULL), 0);
	expect_rows_match_logs(dir, 4, 1);
	cr_assert_eq(sweep(nn, NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "0 trials reused") && strstr(err, "4 rerun because their settings "
	                                                         "changed"), "%s", err);
	free(err);
	expect_rows_match_logs(dir, 4, 2);
	cr_assert_eq(sweep(nn, NULL, &err), 0); /* now nothing changed */
	cr_expect(strstr(err, "4 trials reused") && strstr(err, "0 rerun"), "%s", err);
	free(err);
	expect_rows_match_logs(dir, 4, 2);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, an_edited_file_reruns_what_changed_and_a_comment_changes_nothing)
{
	char dir[64] = "", nn[128], *err;
	write_sweep(dir, nn, "first", "0.05", 2, "0.02, 0.05", 2);
	cr_assert_eq(sweep(nn, NULL, NULL), 0);
	write_sweep(dir, nn, "a comment edited", "0.05", 2, "0.02, 0.05", 2);
	cr_assert_eq(sweep(nn, NULL, &err), 0);
	cr_expect(strstr(err, "4 trials reused") && strstr(err, "0 rerun"), "%s", err);
	free(err);
	write_sweep(dir, nn, "", "0.05", 2, "0.02, 0.03", 2); /* the second lr changed */
	cr_assert_eq(sweep(nn, NULL, &err), 0);
	cr_expect(strstr(err, "2 trials reused") && strstr(err, "2 rerun because"), "%s", err);
	free(err);
	expect_rows_match_logs(dir, 4, 2);
	char path[200];
	snprintf(path, sizeof path, "%s/runs/s-sweep/summary.csv", dir);
	char *summary = slurp(path, NULL);
	cr_expect(summary && strstr(summary, ",0.029999999999999999,2,")
	          && !strstr(summary, ",0.050000000000000003,"), "%s", summary);
	free(summary);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, a_reordered_list_reuses_every_row_under_its_new_number)
{
	char dir[64] = "", nn[128];
	write_sweep(dir, nn, "", "0.05", 2, "0.01, 0.02, 0.05", 2);
	cr_assert_eq(sweep(nn, NULL, NULL), 0);
	write_sweep(dir, nn, "", "0.05", 2, "0.05, 0.02, 0.01", 2);
	char *err;
	cr_assert_eq(sweep(nn, NULL, &err), 0);
	cr_expect(strstr(err, "6 trials reused") && strstr(err, "(4 found under another number")
	          && strstr(err, "0 rerun"), "the rows are moved, not rerun: %s", err);
	free(err);
	expect_rows_match_logs(dir, 6, 2);
	int n;
	char **rows = results(dir, &n);
	for (int i = 0; i < n; i++) { /* trials 0 and 1 are now lr 0.05 */
		char *lr = field(rows[i], 2);
		int k = atoi(rows[i]);
		cr_expect_eq(strcmp(lr, k < 2 ? "0.050000000000000003" : k < 4 ? "0.02"
		                    : "0.01"), 0, "%s", rows[i]);
		free(lr);
	}
	free_rows(rows, n);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, a_changed_data_file_reruns_its_trials)
{
	char dir[64], nn[128], csv[128], *err;
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	sprintf(csv, "%s/d.csv", dir);
	cr_assert_eq(write_text(csv, "0.1,0.2,0\n0.9,0.8,1\n0.2,0.1,0\n0.8,0.9,1\n"), 0);
	cr_assert_eq(write_text(nn, "data d { train = csv(\"d.csv\", label = 2) }\n"
	                            "network n { dense(2) }\ntrain t {\n network = n\n data = d\n"
	                            " optimizer = sgd(lr = 0.1)\n epochs = 1\n}\n"
	                            "sweep {\n seed in 1..2\n metric = min train_loss\n}\n"), 0);
	cr_assert_eq(sweep(nn, NULL, NULL), 0);
	cr_assert_eq(sweep(nn, NULL, &err), 0);
	cr_expect(strstr(err, "2 trials reused"), "%s", err);
	free(err);
	cr_assert_eq(write_text(csv, "0.1,0.2,0\n0.9,0.8,1\n0.2,0.1,0\n0.8,0.9,1\n0.5,0.5,1\n"), 0);
	cr_assert_eq(sweep(nn, NULL, &err), 0);
	cr_expect(strstr(err, "0 trials reused") && strstr(err, "2 rerun because"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* Starts `descent sweep --quiet --jobs 1 nn` in the background; its pid. */
static pid_t start_sweep(const char *nn)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		const char *bin = getenv("DESCENT") ? getenv("DESCENT") : "./descent";
		execl(bin, bin, "sweep", "--quiet", "--jobs", "1", nn, (char *)NULL);
		_exit(127);
	}
	return pid;
}

Test(sweep_trust, two_sweeps_of_one_folder_run_each_trial_once)
{
	char dir[64] = "", nn[128];
	write_sweep(dir, nn, "", "0.05", 40, "0.01, 0.02, 0.05", 2);
	pid_t a = start_sweep(nn), b = start_sweep(nn);
	int how_a, how_b;
	waitpid(a, &how_a, 0);
	waitpid(b, &how_b, 0);
	cr_expect(WIFEXITED(how_a) && WEXITSTATUS(how_a) == 0, "status %d", how_a);
	cr_expect(WIFEXITED(how_b) && WEXITSTATUS(how_b) == 0, "status %d", how_b);
	expect_rows_match_logs(dir, 6, 40);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, a_torn_last_row_is_rerun_and_the_file_stays_well_formed)
{
	char dir[64] = "", nn[128], path[200], *err;
	write_sweep(dir, nn, "", "0.05", 2, "0.02, 0.05", 2);
	cr_assert_eq(sweep(nn, NULL, NULL), 0);
	snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
	size_t len;
	char *text = slurp(path, &len);
	cr_assert_not_null(text);
	char *last = text + len - 1; /* the last row: from the newline before it */
	while (last > text && last[-1] != '\n')
		last--;
	int trial = atoi(last);
	cr_assert_eq(truncate(path, (off_t)(len - 30)), 0); /* cut in the middle of the row */
	free(text);
	cr_assert_eq(sweep(nn, NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "removed a torn last row") && strstr(err, "3 trials reused")
	          && strstr(err, "1 new"), "%s", err);
	free(err);
	expect_rows_match_logs(dir, 4, 2);
	int n;
	char **rows = results(dir, &n);
	bool found = false;
	for (int i = 0; i < n; i++)
		found |= atoi(rows[i]) == trial;
	cr_expect(found, "trial %d was not rerun", trial);
	free_rows(rows, n);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, a_results_file_without_hashes_is_refused_naming_it)
{
	char dir[64] = "", nn[128], path[200], *err;
	write_sweep(dir, nn, "", "0.05", 1, "0.05", 1);
	snprintf(path, sizeof path, "%s/runs", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/runs/s-sweep", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
	const char *old = "trial,status,optimizer.lr,seed,train_loss,train_acc,val_loss,val_acc,"
		"test_loss,test_acc,seconds,message\n0,ok,0.050000000000000003,1,1,0.5,,,1,0.5,0.1,\"\"\n";
	cr_assert_eq(write_text(path, old), 0);
	cr_expect_eq(sweep(nn, NULL, &err), 1);
	cr_expect(strstr(err, "descent sweep: ") && strstr(err, "runs/s-sweep/results.csv: its columns")
	          && strstr(err, "another `out`"), "%s", err);
	free(err);
	char *after = slurp(path, NULL);
	cr_expect(after && strcmp(after, old) == 0, "the old file was changed: %s", after);
	free(after);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, a_configuration_with_a_diverged_seed_is_not_ranked)
{
	char dir[64], nn[128], path[200], *out;
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	/* a linear model on blobs: at lr 2 the loss explodes (a divergence) for seed 4, not 5 */
	cr_assert_eq(write_text(nn, "data d { train = blobs(60, classes = 3, dim = 4)\n"
	                            " test = blobs(30, classes = 3, dim = 4) }\nnetwork n { dense(3) }\n"
	                            "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	                            " epochs = 2\n}\nsweep {\n optimizer.lr in [0.05, 2]\n"
	                            " seed in 4..5\n}\n"), 0);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", nn, NULL}, NULL, &out,
	                         NULL), 0);
	int n, ok = 0, diverged = 0;
	char **rows = results(dir, &n);
	for (int i = 0; i < n; i++) {
		ok += strstr(rows[i], ",ok,2,") != NULL;
		diverged += strstr(rows[i], ",diverged,2,") != NULL;
	}
	free_rows(rows, n);
	cr_assert(ok > 0 && diverged > 0, "the case needs ok and diverged seeds: %d ok, %d diverged",
	          ok, diverged);
	const char *line = strstr(out, "optimizer.lr=2 ");
	cr_assert_not_null(line, "%s", out);
	cr_expect(strncmp(line - 5, "  -  ", 5) == 0, "ranked: %s", out);
	char expected[80];
	snprintf(expected, sizeof expected, "not ranked: %d of 2 trials diverged\n", diverged);
	cr_expect(strstr(line, expected) && !strstr(line, "mean"), "%s", out);
	cr_expect(strstr(out, "  1  optimizer.lr=0.05 ") != NULL, "%s", out);
	free(out);
	snprintf(path, sizeof path, "%s/runs/s-sweep/summary.csv", dir);
	char *summary = slurp(path, NULL);
	cr_expect(summary && strstr(summary, "\n0,0.050000000000000003,2,")
	          && strstr(summary, "\n1,2,") && strstr(summary, ",nan,nan,nan,nan,nan\n")
	          && strstr(summary, "\n0,") < strstr(summary, "\n1,"), "%s", summary);
	free(summary);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, trials_write_weights_and_pictures_of_their_own)
{
	char dir[64], nn[128], path[200];
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = xor(64) }\nnetwork n { dense(2) }\n"
	                            "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	                            " epochs = 1\n save = \"w.safetensors\"\n plot = \"p.svg\"\n}\n"
	                            "sweep {\n seed in 1..2\n}\n"), 0);
	cr_assert_eq(sweep(nn, NULL, NULL), 0);
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof path, "%s/runs/s-sweep/trial-%d.safetensors", dir, k);
		cr_expect_eq(access(path, F_OK), 0, "no %s", path);
		snprintf(path, sizeof path, "%s/runs/s-sweep/trial-%d.svg", dir, k);
		cr_expect_eq(access(path, F_OK), 0, "no %s", path);
	}
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	cr_expect_neq(access(path, F_OK), 0, "the trials shared %s", path);
	snprintf(path, sizeof path, "%s/p.svg", dir);
	cr_expect_neq(access(path, F_OK), 0, "the trials shared %s", path);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_trust, a_trial_another_process_holds_is_skipped_and_said)
{
	char dir[64] = "", nn[128], path[200], *err;
	write_sweep(dir, nn, "", "0.05", 1, "0.05", 3);
	snprintf(path, sizeof path, "%s/runs", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/runs/s-sweep", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/runs/s-sweep/.sweep.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	cr_assert(fd >= 0);
	/* this process claims trial 1, as a worker of another sweep would */
	struct flock claim = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 1 + 1, .l_len = 1};
	cr_assert_eq(fcntl(fd, F_SETLK, &claim), 0);
	cr_assert_eq(sweep(nn, NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "sweep: 1 trial skipped: another process was running it (1)"), "%s",
	          err);
	free(err);
	int n;
	char **rows = results(dir, &n);
	cr_expect_eq(n, 2);
	for (int i = 0; i < n; i++)
		cr_expect_neq(atoi(rows[i]), 1, "the claimed trial ran: %s", rows[i]);
	free_rows(rows, n);
	close(fd); /* the claim ends with it */
	cr_assert_eq(sweep(nn, NULL, &err), 0);
	cr_expect(strstr(err, "2 trials reused") && strstr(err, "1 new"), "%s", err);
	free(err);
	expect_rows_match_logs(dir, 3, 1);
	cr_expect_eq(remove_tree(dir), 0);
}

/* A swept value is set before the block is folded, so an expression of the block's own
 * batch follows it: lr = 0.1 * batch / 32 is 0.1 at batch 32 and 0.2 at batch 64. */
Test(sweep_trust, a_swept_batch_reaches_expressions_of_batch)
{
	char dir[64], nn[128];
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = xor(128) }\nnetwork n { dense(2) }\n"
	                            "train t {\n network = n\n data = d\n"
	                            " optimizer = sgd(lr = 0.1 * batch / 32)\n epochs = 1\n}\n"
	                            "sweep {\n batch in [32, 64]\n}\n"), 0);
	cr_assert_eq(sweep(nn, NULL, NULL), 0);
	const char *expected[] = {"0.10000000000000001", "0.20000000000000001"};
	for (int k = 0; k < 2; k++) {
		char *lr = log_value(dir, k, "lr");
		cr_expect(lr && strcmp(lr, expected[k]) == 0, "trial %d: lr %s, not %s", k,
		          lr ? lr : "(none)", expected[k]);
		free(lr);
	}
	cr_expect_eq(remove_tree(dir), 0);
}
