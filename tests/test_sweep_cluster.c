/* test_sweep_cluster.c — sweeps as a cluster runs them (issue 16): --shard auto from a
 * Slurm job array or a Kubernetes Indexed Job, --shard 4/4 refused saying shards count
 * from 0, --list, a shard that says how many trials of the whole sweep have results
 * instead of a table that looks final, --summary that refuses while trials are missing,
 * summary files replaced by rename, the interrupt hint that repeats --shard and --set,
 * and exit 1 when a trial failed. Unit tests of sweep_shard_parse, then end to end on
 * the built binary. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sweep.h"

/* Clears every variable --shard auto reads. */
static void clear_array_env(void)
{
	static const char *const names[] = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
	                                    "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP",
	                                    "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		unsetenv(names[i]);
}

/* Sets a Slurm array's variables: this task's id, the first index, step and count. */
static void slurm_array(const char *id, const char *min, const char *step, const char *count)
{
	clear_array_env();
	setenv("SLURM_ARRAY_TASK_ID", id, 1);
	setenv("SLURM_ARRAY_TASK_MIN", min, 1);
	setenv("SLURM_ARRAY_TASK_STEP", step, 1);
	setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
}

Test(sweep_cluster, shard_auto_places_a_one_based_slurm_array)
{
	int shard = -1, shards = -1;
	char why[400] = "";
	slurm_array("3", "1", "1", "4"); /* --array=1-4, task 3 */
	cr_assert_eq(sweep_shard_parse("auto", &shard, &shards, why, sizeof why), 0, "%s", why);
	cr_expect(shard == 2 && shards == 4, "%d/%d", shard, shards);
	slurm_array("20", "0", "10", "4"); /* --array=0-30:10, task 20 */
	cr_assert_eq(sweep_shard_parse("auto", &shard, &shards, why, sizeof why), 0, "%s", why);
	cr_expect(shard == 2 && shards == 4, "%d/%d", shard, shards);
	cr_expect_eq(sweep_shard_parse("auto/4", &shard, &shards, why, sizeof why), 0, "%s", why);
	cr_expect_eq(sweep_shard_parse("auto/3", &shard, &shards, why, sizeof why), -1);
	cr_expect(strstr(why, "the Slurm array has 4 tasks"), "%s", why);
	slurm_array("5", "0", "10", "4"); /* not an index of --array=0-30:10 */
	cr_expect_eq(sweep_shard_parse("auto", &shard, &shards, why, sizeof why), -1);
	cr_expect(strstr(why, "array index 5 is not one of the 4 indices 0, 10, ..."), "%s", why);
}

Test(sweep_cluster, shard_auto_takes_a_kubernetes_index_with_its_count)
{
	int shard = -1, shards = -1;
	char why[400] = "";
	clear_array_env();
	setenv("JOB_COMPLETION_INDEX", "2", 1);
	cr_assert_eq(sweep_shard_parse("auto/3", &shard, &shards, why, sizeof why), 0, "%s", why);
	cr_expect(shard == 2 && shards == 3, "%d/%d", shard, shards);
	cr_expect_eq(sweep_shard_parse("auto", &shard, &shards, why, sizeof why), -1);
	cr_expect(strstr(why, "give --shard auto/N"), "%s", why);
	cr_expect_eq(sweep_shard_parse("auto/2", &shard, &shards, why, sizeof why), -1);
	cr_expect(strstr(why, "JOB_COMPLETION_INDEX is 2, not below 2"), "%s", why);
}

Test(sweep_cluster, shard_auto_without_an_array_is_refused_naming_both_variables)
{
	int shard, shards;
	char why[400] = "";
	clear_array_env();
	cr_expect_eq(sweep_shard_parse("auto", &shard, &shards, why, sizeof why), -1);
	cr_expect(strstr(why, "SLURM_ARRAY_TASK_ID") && strstr(why, "JOB_COMPLETION_INDEX"), "%s",
	          why);
	cr_expect_eq(sweep_shard_parse("1/3x", &shard, &shards, why, sizeof why), -1);
	cr_expect_eq(sweep_shard_parse("3/3", &shard, &shards, why, sizeof why), -1);
	cr_expect(strstr(why, "shards count from 0, so the shards of 3 are 0/3 to 2/3"), "%s", why);
}

/* A sweep of 2 learning rates x 3 seeds (6 trials) of a tiny model; dir made, nn its
 * file. epochs as given (a huge number: trials that run until stopped). */
static void write_sweep(char *dir, char *nn, const char *epochs)
{
	char text[1024];
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	snprintf(text, sizeof text, "data d { train = blobs(60, classes = 3, dim = 4)\n"
	         " test = blobs(30, classes = 3, dim = 4) }\nnetwork n { dense(3) }\n"
	         "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = %s\n}\n"
	         "sweep {\n optimizer.lr in [0.05, 0.1]\n seed in 1..3\n}\n", epochs);
	cr_assert_eq(write_text(nn, text), 0);
}

/* Runs descent sweep --quiet with the arguments (up to 6, NULL-terminated) and nn. */
static int sweep(const char *nn, const char *a, const char *b, const char *c, char **out,
                 char **err)
{
	const char *args[8] = {"sweep", "--quiet", nn};
	int n = 3;
	for (const char *const *x = (const char *const[]){a, b, c, NULL}; n < 6 && *x; x++)
		args[n++] = *x;
	args[n] = NULL;
	return run_descent(args, NULL, out, err);
}

static bool exists(const char *dir, const char *name)
{
	char path[300];
	snprintf(path, sizeof path, "%s/runs/s-sweep/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* The trial numbers of the rows of dir's results.csv, counted into seen (6 of them). */
static void count_rows(const char *dir, int seen[6])
{
	char path[300], *save;
	snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
	char *text = slurp(path, NULL);
	cr_assert_not_null(text);
	memset(seen, 0, 6 * sizeof *seen);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "trial,", 6) != 0 && atoi(line) >= 0 && atoi(line) < 6)
			seen[atoi(line)]++;
	free(text);
}

Test(sweep_cluster, shard_4_of_4_is_refused_saying_shards_count_from_0)
{
	char dir[64], nn[128], *err;
	write_sweep(dir, nn, "1");
	cr_expect_eq(sweep(nn, "--shard", "4/4", NULL, NULL, &err), 2);
	cr_expect(strstr(err, "descent sweep: --shard 4/4: shards count from 0") && strstr(err,
	          "--shard auto"), "%s", err);
	free(err);
	cr_expect(!exists(dir, "results.csv"), "a refused shard ran");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_cluster, shard_auto_runs_the_share_of_a_one_based_array_task)
{
	char dir[64], nn[128], *err;
	int seen[6];
	write_sweep(dir, nn, "1");
	clear_array_env();
	cr_expect_eq(sweep(nn, "--shard", "auto", NULL, NULL, &err), 2);
	cr_expect(strstr(err, "neither SLURM_ARRAY_TASK_ID"), "%s", err);
	free(err);
	slurm_array("2", "1", "1", "2"); /* --array=1-2, the second task: shard 1/2 */
	cr_assert_eq(sweep(nn, "--shard", "auto", NULL, NULL, NULL), 0);
	count_rows(dir, seen);
	for (int t = 0; t < 6; t++)
		cr_expect_eq(seen[t], t % 2, "trial %d: %d rows", t, seen[t]);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_cluster, list_prints_the_trials_and_their_count_and_runs_nothing)
{
	char dir[64], nn[128], *out;
	write_sweep(dir, nn, "1");
	cr_assert_eq(sweep(nn, "--list", NULL, NULL, &out, NULL), 0);
	cr_expect(strstr(out, "trial  config  seed  values\n"
	                      "    0       0     1  optimizer.lr=0.05\n"
	                      "    1       0     2  optimizer.lr=0.05\n"
	                      "    2       0     3  optimizer.lr=0.05\n"
	                      "    3       1     1  optimizer.lr=0.1\n"), "%s", out);
	cr_expect(strstr(out, "\n6 trials, 2 configurations\n"), "%s", out);
	free(out);
	cr_assert_eq(sweep(nn, "--list", "--shard", "1/2", &out, NULL), 0);
	cr_expect(strstr(out, "    5       1     3  optimizer.lr=0.1\n3 of 6 trials (shard 1/2)")
	          && !strstr(out, "\n    0       0     1"), "%s", out);
	free(out);
	char path[200];
	snprintf(path, sizeof path, "%s/runs", dir);
	cr_expect_neq(access(path, F_OK), 0, "--list made %s", path);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_cluster, a_shard_says_what_the_whole_sweep_has_and_prints_no_table)
{
	char dir[64], nn[128], *out, *last;
	write_sweep(dir, nn, "1");
	cr_assert_eq(sweep(nn, "--shard", "0/2", NULL, &out, NULL), 0);
	cr_expect(strstr(out, "sweep of t (shard 0/2): 3 of 6 trials of the whole sweep have "
	                      "results; no row yet: 1, 3, 5\n") && !strstr(out, "ranked by")
	          && strstr(out, "--summary"), "%s", out);
	free(out);
	cr_expect(!exists(dir, "summary.csv") && !exists(dir, "summary.svg"),
	          "a shard wrote a summary of part of the sweep");
	/* the last shard completes the sweep: its table is final */
	cr_assert_eq(sweep(nn, "--shard", "1/2", NULL, &last, NULL), 0);
	cr_expect(strstr(last, "sweep of t: 6 trials, 2 configurations, ranked by max test_acc\n"),
	          "%s", last);
	cr_expect(exists(dir, "summary.csv") && exists(dir, "summary.svg"));
	free(last);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_cluster, summary_refuses_naming_the_missing_trials_then_equals_one_machine)
{
	char dir[64], nn[128], one[64], nn_one[128], path[300], *out, *err, *whole;
	write_sweep(dir, nn, "1");
	cr_expect_eq(sweep(nn, "--summary", NULL, NULL, NULL, &err), 1);
	cr_expect(strstr(err, "results.csv: No such file or directory"), "%s", err);
	free(err);
	cr_assert_eq(sweep(nn, "--shard", "1/3", NULL, NULL, NULL), 0);
	cr_expect_eq(sweep(nn, "--summary", NULL, NULL, NULL, &err), 1);
	cr_expect(strstr(err, "4 of 6 trials have no row made with the current settings: 0, 2, 3, "
	                      "5; no summary until every trial has one"), "%s", err);
	free(err);
	cr_expect(!exists(dir, "summary.csv"), "a refused summary wrote summary.csv");
	cr_assert_eq(sweep(nn, "--shard", "0/3", NULL, NULL, NULL), 0);
	cr_assert_eq(sweep(nn, "--shard", "2/3", NULL, NULL, NULL), 0);
	snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
	char *rows = slurp(path, NULL);
	cr_assert_eq(sweep(nn, "--summary", NULL, NULL, &out, NULL), 0);
	char *after = slurp(path, NULL);
	cr_expect(rows && after && strcmp(rows, after) == 0, "--summary changed results.csv");
	free(rows);
	free(after);
	/* the same sweep on one machine ranks the same way (seconds aside: no time in it) */
	write_sweep(one, nn_one, "1");
	cr_assert_eq(sweep(nn_one, NULL, NULL, NULL, &whole, NULL), 0);
	cr_expect_str_eq(out, whole);
	free(out);
	free(whole);
	char *a, *b;
	snprintf(path, sizeof path, "%s/runs/s-sweep/summary.csv", dir);
	a = slurp(path, NULL);
	snprintf(path, sizeof path, "%s/runs/s-sweep/summary.csv", one);
	b = slurp(path, NULL);
	cr_expect(a && b && strcmp(a, b) == 0, "summary.csv differs:\n%s\n%s", a, b);
	free(a);
	free(b);
	cr_expect_eq(remove_tree(dir), 0);
	cr_expect_eq(remove_tree(one), 0);
}

/* summary.csv is replaced by a rename, never rewritten in place: a hard link made to the
 * old one keeps the old text (a reader, or a shard ending meanwhile, sees one or the
 * other whole). */
Test(sweep_cluster, summary_files_are_replaced_by_rename)
{
	char dir[64], nn[128], path[300], link_path[300];
	write_sweep(dir, nn, "1");
	cr_assert_eq(sweep(nn, NULL, NULL, NULL, NULL, NULL), 0);
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "summary.svg" : "summary.csv";
		snprintf(path, sizeof path, "%s/runs/s-sweep/%s", dir, name);
		snprintf(link_path, sizeof link_path, "%s/old-%s", dir, name);
		cr_assert_eq(write_text(path, "old\n"), 0);
		cr_assert_eq(link(path, link_path), 0);
	}
	cr_assert_eq(sweep(nn, "--summary", NULL, NULL, NULL, NULL), 0);
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "summary.svg" : "summary.csv";
		snprintf(link_path, sizeof link_path, "%s/old-%s", dir, name);
		snprintf(path, sizeof path, "%s/runs/s-sweep/%s", dir, name);
		char *old = slurp(link_path, NULL), *now = slurp(path, NULL);
		cr_expect(old && strcmp(old, "old\n") == 0, "%s rewritten in place: %s", name, old);
		cr_expect(now && strcmp(now, "old\n") != 0, "%s not written", name);
		free(old);
		free(now);
	}
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep_cluster, a_failed_trial_ends_the_sweep_with_1_naming_it)
{
	char dir[64], nn[128], *err;
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = xor(64) }\n"
	                            "data missing { train = csv(\"no_such.csv\", label = 0) }\n"
	                            "network n { dense(2) }\ntrain t {\n network = n\n data = d\n"
	                            " optimizer = sgd(lr = 0.1)\n epochs = 1\n}\n"
	                            "sweep {\n data in [d, missing]\n}\n"), 0);
	cr_expect_eq(sweep(nn, NULL, NULL, NULL, NULL, &err), 1);
	cr_expect(strstr(err, "descent sweep: 1 trial of this run failed (1); the message column of "
	                      "results.csv says why"), "%s", err);
	free(err);
	/* a rerun runs nothing (both trials have rows): the summary alone, 0 */
	cr_expect_eq(sweep(nn, NULL, NULL, NULL, NULL, NULL), 0);
	cr_expect_eq(remove_tree(dir), 0);
}

/* SIGINT to a shard's sweep: its hint is the command that runs the rest, with the shard
 * and the --set values (quoted for a shell). The trials never end on their own. */
Test(sweep_cluster, the_interrupt_hint_repeats_shard_and_set)
{
	char dir[64], nn[128], errs[200], results[200];
	write_sweep(dir, nn, "100000");
	snprintf(errs, sizeof errs, "%s/stderr", dir);
	snprintf(results, sizeof results, "%s/runs/s-sweep/results.csv", dir);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY), err = open(errs, O_WRONLY | O_CREAT, 0644);
		dup2(null, 1);
		dup2(err, 2);
		const char *bin = getenv("DESCENT") ? getenv("DESCENT") : "./descent";
		execl(bin, bin, "sweep", "--quiet", "--jobs", "1", nn, "--shard", "1/2", "--set",
		      "t.optimizer = sgd(lr = 0.1)", (char *)NULL);
		_exit(127);
	}
	/* results.csv exists once the sweep has caught SIGINT and opened its folder */
	for (int waited = 0; waited < 3000 && access(results, F_OK) != 0; waited++)
		nanosleep(&(struct timespec){0, 10000000}, NULL); /* at most 30 s */
	nanosleep(&(struct timespec){0, 50000000}, NULL);
	kill(pid, SIGINT);
	int how;
	waitpid(pid, &how, 0);
	cr_expect(WIFSIGNALED(how) && WTERMSIG(how) == SIGINT, "status %d", how);
	char *err = slurp(errs, NULL), expected[400];
	snprintf(expected, sizeof expected, "); descent sweep %s --shard 1/2 --set "
	         "'t.optimizer = sgd(lr = 0.1)' runs the rest\n", nn);
	cr_expect(err && strstr(err, expected), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}
