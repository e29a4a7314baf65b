/* test_sweep.c — expanding sweeps: grid order and size, configurations over seeds, random
 * sampling (the same sample_seed gives the same trials), and shards that partition. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sweep.h"

static const char head[] = "data d { train = xor(64) }\nnetwork n { dense(2) }\n"
	"train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n}\n";

/* Parses, folds and checks head + sweep, and expands its sweep. */
static struct ast *expand(const char *sweep, struct sweep_plan *plan, struct source **src)
{
	char text[1024];
	snprintf(text, sizeof text, "%s%s", head, sweep);
	int errors;
	struct ast *file = fold_text(text, src, &errors);
	cr_assert_eq(errors, 0);
	struct checked c = check_text(text);
	cr_assert_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
	struct diag d;
	diag_init(&d, NULL);
	cr_assert_eq(sweep_expand(file->kids[file->nkids - 1], plan, &d), 0);
	return file;
}

Test(sweep, expands_a_grid_with_the_first_axis_slowest)
{
	struct sweep_plan plan;
	struct source *src;
	struct ast *file = expand("sweep {\n optimizer.lr in [0.1, 0.2, 0.3]\n seed in 1..5\n}\n",
	                          &plan, &src);
	cr_assert_eq(plan.ntrials, 15);
	cr_expect_eq(plan.nconfigs, 3);
	cr_expect_str_eq(plan.trials[0].values[0].key, "optimizer.lr");
	cr_expect_eq(plan.trials[0].values[0].value->num, 0.1);
	cr_expect_eq(plan.trials[0].values[1].value->num, 1);
	cr_expect_eq(plan.trials[4].values[1].value->num, 5);
	cr_expect_eq(plan.trials[5].values[0].value->num, 0.2);
	cr_expect_eq(plan.trials[5].values[1].value->num, 1);
	for (int t = 0; t < 15; t++)
		cr_expect_eq(plan.trials[t].config, t / 5, "trial %d", t);
	sweep_free(&plan);
	ast_free(file);
	source_free(src);
}

/* The drawn learning rates of a sampled sweep with this sample_seed. */
static void sampled(int sample_seed, double lr[8], double batch[8])
{
	char sweep[256];
	snprintf(sweep, sizeof sweep, "sweep {\n trials = 4\n sample_seed = %d\n"
	         " optimizer.lr in loguniform(1e-4, 1e-1)\n batch in choice([32, 64])\n"
	         " seed in 1..2\n}\n", sample_seed);
	struct sweep_plan plan;
	struct source *src;
	struct ast *file = expand(sweep, &plan, &src);
	cr_assert_eq(plan.ntrials, 8);
	cr_expect_eq(plan.nconfigs, 4);
	for (int t = 0; t < 8; t++) {
		lr[t] = plan.trials[t].values[0].value->num;
		batch[t] = plan.trials[t].values[1].value->num;
		cr_expect(lr[t] >= 1e-4 && lr[t] <= 1e-1, "lr %g", lr[t]);
		cr_expect(batch[t] == 32 || batch[t] == 64, "batch %g", batch[t]);
		cr_expect_eq(plan.trials[t].config, t / 2);
	}
	cr_expect_eq(lr[0], lr[1], "the two seeds of a configuration share its draw");
	sweep_free(&plan);
	ast_free(file);
	source_free(src);
}

Test(sweep, samples_the_same_trials_from_the_same_sample_seed)
{
	double a[8], b[8], c[8], ba[8], bb[8], bc[8];
	sampled(3, a, ba);
	sampled(3, b, bb);
	sampled(4, c, bc);
	cr_expect_eq(memcmp(a, b, sizeof a), 0);
	cr_expect_eq(memcmp(ba, bb, sizeof ba), 0);
	cr_expect_neq(memcmp(a, c, sizeof a), 0);
}

Test(sweep, shards_partition_the_trials)
{
	int seen[100] = {0};
	for (int shard = 0; shard < 3; shard++)
		for (int t = 0; t < 100; t++)
			seen[t] += sweep_in_shard(t, shard, 3);
	for (int t = 0; t < 100; t++)
		cr_expect_eq(seen[t], 1, "trial %d in %d shards", t, seen[t]);
	cr_expect(sweep_in_shard(41, 0, 1));
}

/* ---- descent sweep end to end ---- */

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char sweep_file[] =
	"data d { train = blobs(300, classes = 3, dim = 4)\n test = blobs(90, classes = 3, dim = 4) }\n"
	"data missing { train = csv(\"no_such.csv\", label = 0) }\n"
	"network n {\n dense(64)\n relu\n dense(3)\n}\n"
	"train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.05)\n epochs = %d\n}\n"
	"sweep {\n optimizer.lr in [%s]\n seed in 1..%d\n metric = max test_acc\n}\n";

/* Writes the sweep file into a new scratch folder; dir gets its path. */
static void sweep_scratch(char *dir, int epochs, const char *rates, int seeds, char *nn)
{
	strcpy(dir, "/tmp/descent-sweep-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	sprintf(nn, "%s/s.nn", dir);
	FILE *f = fopen(nn, "w");
	fprintf(f, sweep_file, epochs, rates, seeds);
	fclose(f);
}

/* results.csv's rows without their seconds (the rest must not depend on the run). */
static char **rows_of(const char *dir, int *n)
{
	char path[200];
	snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
	char *text = slurp(path, NULL), *save;
	cr_assert_not_null(text, "no %s", path);
	char **rows = calloc(1000, sizeof *rows);
	*n = 0;
	for (char *line = strtok_r(text, "\n", &save); line && *n < 1000;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "trial,", 6) == 0)
			continue;
		/* cut seconds and message: after trial, status, 2 swept values and 6 metrics */
		char *seconds = line;
		for (int k = 0; k < 10 && seconds; k++)
			seconds = strchr(seconds + 1, ',');
		if (seconds)
			*seconds = '\0';
		rows[(*n)++] = strdup(line);
	}
	free(text);
	return rows;
}

static int compare_rows(const void *a, const void *b)
{
	return atoi(*(char *const *)a) - atoi(*(char *const *)b);
}

Test(sweep, runs_every_trial_once_and_skips_finished_ones_on_rerun)
{
	char dir[64], nn[128], *out;
	sweep_scratch(dir, 2, "0.01, 0.05, 1e4", 2, nn);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--jobs", "2", nn, NULL},
	                         NULL, &out, NULL), 0);
	cr_expect(strstr(out, "sweep of t: 6 trials, 3 configurations, ranked by max test_acc") != NULL,
	          "%s", out);
	free(out);
	int n;
	char **rows = rows_of(dir, &n);
	cr_expect_eq(n, 6);
	int diverged = 0;
	for (int i = 0; i < n; i++) {
		diverged += strstr(rows[i], ",diverged,") != NULL;
		free(rows[i]);
	}
	free(rows);
	cr_expect_eq(diverged, 2, "lr = 1e4 diverges, and the sweep goes on");
	char path[200];
	snprintf(path, sizeof path, "%s/runs/s-sweep/summary.csv", dir);
	char *summary = slurp(path, NULL);
	cr_assert_not_null(summary);
	cr_expect(strncmp(summary, "config,optimizer.lr,n,mean,std,min,max,p_vs_best\n", 49) == 0,
	          "%s", summary);
	free(summary);
	snprintf(path, sizeof path, "%s/runs/s-sweep/summary.svg", dir);
	char *svg = slurp(path, NULL);
	cr_expect(svg && strstr(svg, "<circle") && strstr(svg, "rank of the configuration"));
	free(svg);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", nn, NULL}, NULL, NULL, NULL), 0);
	rows = rows_of(dir, &n);
	cr_expect_eq(n, 6, "a rerun added rows");
	for (int i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep, survives_a_sigkill_and_ends_as_an_uninterrupted_sweep)
{
	char whole[64], killed[64], nn_whole[128], nn_killed[128];
	sweep_scratch(whole, 40, "0.01, 0.02, 0.05", 4, nn_whole);
	sweep_scratch(killed, 40, "0.01, 0.02, 0.05", 4, nn_killed);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--jobs", "1", nn_whole,
	                                                NULL}, NULL, NULL, NULL), 0);
	/* start the other sweep in a process group of its own, kill it all after two rows */
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		const char *bin = getenv("DESCENT") ? getenv("DESCENT") : "./descent";
		execl(bin, bin, "sweep", "--quiet", "--jobs", "1", nn_killed, (char *)NULL);
		_exit(127);
	}
	char results[200];
	snprintf(results, sizeof results, "%s/runs/s-sweep/results.csv", killed);
	for (int waited = 0; waited < 3000; waited++) { /* at most 30 s */
		char *text = slurp(results, NULL);
		int lines = 0;
		for (char *p = text; p && (p = strchr(p, '\n')); p++)
			lines++;
		free(text);
		if (lines >= 3)
			break;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	int before;
	char **rows = rows_of(killed, &before);
	for (int i = 0; i < before; i++)
		free(rows[i]);
	free(rows);
	cr_expect(before >= 2 && before < 12, "killed after %d rows", before);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--jobs", "1", nn_killed,
	                                                NULL}, NULL, NULL, NULL), 0);
	int n_whole, n_killed;
	char **a = rows_of(whole, &n_whole), **b = rows_of(killed, &n_killed);
	cr_assert_eq(n_whole, 12);
	cr_assert_eq(n_killed, 12, "each trial exactly once after the rerun");
	qsort(b, (size_t)n_killed, sizeof *b, compare_rows);
	for (int i = 0; i < 12; i++) {
		cr_expect_str_eq(a[i], b[i]);
		free(a[i]);
		free(b[i]);
	}
	free(a);
	free(b);
	cr_expect_eq(remove_tree(whole), 0);
	cr_expect_eq(remove_tree(killed), 0);
}

Test(sweep, records_a_failed_trial_with_its_message_and_goes_on)
{
	char dir[64], nn[128];
	strcpy(dir, "/tmp/descent-sweep-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	sprintf(nn, "%s/s.nn", dir);
	FILE *f = fopen(nn, "w");
	fputs("data d { train = xor(64) }\ndata missing { train = csv(\"no_such.csv\", label = 0) }\n"
	      "network n { dense(2) }\ntrain t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	      " epochs = 1\n}\nsweep {\n data in [missing, d]\n}\n", f);
	fclose(f);
	/* it goes on with the other trials, and ends with 1: a trial of this run failed */
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", nn, NULL}, NULL, NULL, NULL), 1);
	char path[200];
	snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
	char *text = slurp(path, NULL);
	cr_assert_not_null(text);
	cr_expect(strstr(text, "0,failed,\"missing\",") != NULL, "%s", text);
	cr_expect(strstr(text, "cannot find the data file \\\"no_such.csv\\\"") != NULL
	          || strstr(text, "cannot find the data file 'no_such.csv'") != NULL, "%s", text);
	cr_expect(strstr(text, "\n1,ok,\"d\",") != NULL, "%s", text);
	free(text);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep, takes_set_values_for_the_base_block_and_its_own_values_win)
{
	char dir[64], nn[128], path[200], *out;
	sweep_scratch(dir, 3, "0.05", 1, nn);
	/* epochs=1 shortens every trial; the sweep's own lr overrides the diverging 1e4 */
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--set", "epochs=1",
	                                               "--set", "optimizer.lr=1e4", nn, NULL},
	                         NULL, &out, NULL), 0);
	cr_expect(strstr(out, "sweep of t: 1 trial, 1 configuration, ranked by") != NULL, "%s", out);
	free(out);
	snprintf(path, sizeof path, "%s/runs/s-sweep/trial-0.jsonl", dir);
	char *log = slurp(path, NULL);
	cr_assert_not_null(log, "no %s", path);
	cr_expect(strstr(log, "\"epoch\": 1,") && !strstr(log, "\"epoch\": 2,"), "%s", log);
	free(log);
	int n;
	char **rows = rows_of(dir, &n);
	cr_assert_eq(n, 1);
	cr_expect(strncmp(rows[0], "0,ok,0.05", 9) == 0, "%s", rows[0]);
	free(rows[0]);
	free(rows);
	char *err;
	cr_expect_eq(run_descent((const char *const[]){"sweep", "--set", "epoch=1", nn, NULL},
	                         NULL, NULL, &err), 1);
	cr_expect(strstr(err, "--set:1:1: error: unknown key 'epoch'"), "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* A trial's weights record its values and the sweep's --set values that no axis
 * replaces: predict on a trial of the other network says which --set values to give,
 * and with them predicts. */
static const char networks_file[] =
	"data d { train = blobs(90, classes = 3, dim = 4) }\n"
	"network small {\n dense(8)\n relu\n dense(3)\n}\n"
	"network wide {\n dense(32)\n relu\n dense(3)\n}\n"
	"train t {\n network = small\n data = d\n optimizer = sgd(lr = 0.05)\n epochs = 1\n"
	" save = \"runs/t.safetensors\"\n}\n"
	"sweep {\n network in [small, wide]\n optimizer.lr in [3e-2]\n metric = max train_acc\n}\n";

Test(sweep, a_trials_weights_say_which_set_values_predict_needs)
{
	char dir[64] = "/tmp/descent-sweep-XXXXXX", nn[128], weights[200], *err, *out;
	cr_assert_not_null(mkdtemp(dir));
	snprintf(nn, sizeof nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, networks_file), 0);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--set", "batch = 16",
	                                               "--set", "optimizer.lr=1", nn, NULL},
	                         NULL, NULL, &err), 0, "%s", err);
	free(err);
	snprintf(weights, sizeof weights, "%s/runs/s-sweep/trial-1.safetensors", dir);
	cr_expect_eq(run_descent((const char *const[]){"predict", nn, "--weights", weights,
	                                               "--data", "d", NULL}, NULL, NULL, &err), 1);
	/* the swept lr's --set is left out (the trial's value replaced it); 3e-2 as 0.03 */
	cr_expect(strstr(err, "help: the weights were saved with --set 'batch = 16' --set "
	                 "'t.network=wide' --set 't.optimizer.lr=0.03': give the same values")
	          != NULL, "%s", err);
	free(err);
	cr_expect_eq(run_descent((const char *const[]){"predict", nn, "--weights", weights,
	                                               "--data", "d", "--set", "batch = 16",
	                                               "--set", "t.network=wide", "--set",
	                                               "t.optimizer.lr=0.03", NULL},
	                         NULL, &out, &err), 0, "%s", err);
	cr_expect(strncmp(out, "row,label,p_0,p_1,p_2\n", 22) == 0, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep, shards_sharing_a_folder_merge_into_one_summary)
{
	char dir[64], nn[128], path[200];
	sweep_scratch(dir, 1, "0.01, 0.05", 3, nn);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--shard", "0/2", nn,
	                                               NULL}, NULL, NULL, NULL), 0);
	int n;
	char **rows = rows_of(dir, &n);
	cr_expect_eq(n, 3, "shard 0/2 of 6 trials");
	for (int i = 0; i < n; i++) {
		cr_expect_eq(atoi(rows[i]) % 2, 0, "%s", rows[i]);
		free(rows[i]);
	}
	free(rows);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--shard", "1/2", nn,
	                                               NULL}, NULL, NULL, NULL), 0);
	rows = rows_of(dir, &n);
	qsort(rows, n, sizeof *rows, compare_rows);
	cr_expect_eq(n, 6);
	for (int i = 0; i < n; i++) {
		cr_expect_eq(atoi(rows[i]), i, "each trial once: %s", rows[i]);
		free(rows[i]);
	}
	free(rows);
	snprintf(path, sizeof path, "%s/runs/s-sweep/summary.csv", dir);
	char *summary = slurp(path, NULL);
	cr_assert_not_null(summary);
	/* both configurations over all three seeds: n (the third field) is 3 in each row */
	int configs = 0;
	char *save;
	for (char *line = strtok_r(summary, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "config,", 7) == 0)
			continue;
		const char *n_field = strchr(strchr(line, ',') + 1, ',') + 1;
		cr_expect_eq(atoi(n_field), 3, "%s", line);
		configs++;
	}
	cr_expect_eq(configs, 2);
	free(summary);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep, trials_write_no_checkpoint)
{
	char dir[64], nn[128], path[160];
	sweep_scratch(dir, 1, "0.01", 2, nn);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--jobs", "2", "--set",
	                                                "checkpoint = \"runs/t.ckpt\"", nn, NULL},
	                         NULL, NULL, NULL), 0);
	snprintf(path, sizeof path, "%s/runs/t.ckpt", dir);
	cr_expect_neq(access(path, F_OK), 0, "a trial wrote a checkpoint (trials run side by side)");
	cr_expect_eq(remove_tree(dir), 0);
}

/* How many trials ran beside the first to end: its progress line's "N running" (a
 * worker is reaped, the line printed, and only then the next started, so it is the
 * number of workers at once less one). */
static int running_beside_the_first(const char *nn, const char *jobs)
{
	char *err;
	const char *with[] = {"sweep", "--jobs", jobs, nn, NULL}, *without[] = {"sweep", nn, NULL};
	cr_assert_eq(run_descent(jobs ? with : without, NULL, NULL, &err), 0, "%s", err);
	const char *line = strstr(err, "sweep: 1 done, ");
	int running = line ? atoi(line + strlen("sweep: 1 done, ")) : -1;
	free(err);
	return running;
}

Test(sweep, the_blocks_jobs_runs_that_many_trials_at_once_unless_jobs_is_given)
{
	char dir[64], nn[128];
	sweep_scratch(dir, 1, "0.01, 0.02", 3, nn);
	char *text = slurp(nn, NULL), *at = text ? strstr(text, " metric = ") : NULL;
	cr_assert(at);
	char changed[2048];
	snprintf(changed, sizeof changed, "%.*s jobs = 3\n%s", (int)(at - text), text, at);
	free(text);
	cr_assert_eq(write_text(nn, changed), 0);
	cr_expect_eq(running_beside_the_first(nn, NULL), 2, "jobs = 3: two beside the first");
	char results[160];
	snprintf(results, sizeof results, "%s/runs/s-sweep", dir);
	cr_assert_eq(remove_tree(results), 0);
	cr_expect_eq(running_beside_the_first(nn, "1"), 0, "--jobs 1 wins over the file's jobs");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(sweep, warns_of_a_set_value_the_sweep_replaces)
{
	char dir[64], nn[128], *err;
	sweep_scratch(dir, 1, "0.01", 1, nn);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", "--set", "t.optimizer.lr = 0.5",
	                                                "--set", "epochs = 1", nn, NULL},
	                         NULL, NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "--set:1:1: warning: the sweep varies 'optimizer.lr', so this value is "
	                      "replaced in every trial") != NULL, "%s", err);
	cr_expect(strstr(err, "s.nn:16:2: note: swept here") != NULL, "%s", err);
	cr_expect(strstr(err, "'epochs'") == NULL, "epochs is not swept: %s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

static void free_rows(char **rows, int n)
{
	for (int i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

Test(sweep, an_interrupted_sweep_stops_its_trials_says_so_and_dies_of_the_signal)
{
	char dir[64], nn[128], err_path[160];
	sweep_scratch(dir, 40, "0.01, 0.02, 0.05", 4, nn);
	snprintf(err_path, sizeof err_path, "%s/stderr", dir);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY), err = open(err_path, O_WRONLY | O_CREAT, 0644);
		dup2(null, 1);
		dup2(err, 2);
		const char *bin = getenv("DESCENT") ? getenv("DESCENT") : "./descent";
		execl(bin, bin, "sweep", "--quiet", "--jobs", "1", nn, (char *)NULL);
		_exit(127);
	}
	int n = 0;
	for (int waited = 0; waited < 3000 && n < 2; waited++) { /* at most 30 s */
		nanosleep(&(struct timespec){0, 10000000}, NULL);
		char path[200];
		snprintf(path, sizeof path, "%s/runs/s-sweep/results.csv", dir);
		char *text = slurp(path, NULL);
		n = -1; /* the header */
		for (char *p = text; p && (p = strchr(p, '\n')); p++)
			n++;
		free(text);
	}
	kill(pid, SIGINT); /* the sweep alone: it must stop its workers itself */
	int how;
	waitpid(pid, &how, 0);
	cr_assert(WIFSIGNALED(how) && WTERMSIG(how) == SIGINT, "status %d", how);
	char *said = slurp(err_path, NULL);
	cr_expect(said && strstr(said, "sweep interrupted: ") && strstr(said, " runs the rest"),
	          "%s", said);
	free(said);
	int before, after;
	char **rows = rows_of(dir, &before);
	free_rows(rows, before);
	nanosleep(&(struct timespec){0, 300000000}, NULL);
	rows = rows_of(dir, &after);
	free_rows(rows, after);
	cr_expect(before < 12, "the sweep finished before the signal (%d rows)", before);
	cr_expect_eq(after, before, "a worker went on after the sweep was interrupted");
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", nn, NULL}, NULL, NULL,
	                         NULL), 0);
	rows = rows_of(dir, &after);
	free_rows(rows, after);
	cr_expect_eq(after, 12, "the rerun ran the rest");
	cr_expect_eq(remove_tree(dir), 0);
}
