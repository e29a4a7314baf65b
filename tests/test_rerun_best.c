/* test_rerun_best.c — Schmidt et al.'s protocol in sweeps (issue 14 item 5): after the
 * search, `rerun_best = N` reruns the best configuration of each optimizer with N new
 * seeds. Unit tests of the plan (sweep_add_seed, sweep_add_reruns), then end to end on
 * the built binary: the rerun rows of results.csv, their seeds and configurations, the
 * tables and summary files, shards, --list and --summary, reuse, a kind that has no
 * ranked configuration, the checker, and the claims of examples/teaching/crowded_valley.nn
 * against a run of it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "sweep.h"

/* ---- the plan ---- */

static const char head[] = "data d { train = xor(64) }\nnetwork n { dense(2) }\n"
	"train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n}\n";

Test(rerun_best, reruns_copy_a_configuration_with_new_seeds_after_the_search)
{
	char text[1024];
	snprintf(text, sizeof text, "%ssweep {\n optimizer.lr in [0.1, 0.2]\n rerun_best = 3\n}\n",
	         head);
	struct source *src;
	int errors;
	struct ast *file = fold_text(text, &src, &errors);
	cr_assert_eq(errors, 0);
	struct diag d;
	diag_init(&d, NULL);
	struct sweep_plan plan;
	const struct ast *sweep = file->kids[file->nkids - 1];
	cr_assert_eq(sweep_expand(sweep, &plan, &d), 0);
	cr_expect_eq(sweep_rerun_count(sweep), 3);
	cr_expect_eq(plan.nsearch, 2);
	cr_assert_eq(sweep_add_seed(&plan, 4), 0);
	cr_assert_eq(plan.trials[1].nvalues, 2);
	cr_expect_str_eq(plan.trials[1].values[1].key, "seed");
	cr_expect_eq(plan.trials[1].values[1].value->num, 4);
	int best[] = {1};
	cr_assert_eq(sweep_add_reruns(&plan, best, 1, 3, 5), 0);
	cr_assert_eq(plan.ntrials, 5);
	cr_expect_eq(plan.nsearch, 2);
	for (int r = 0; r < 3; r++) {
		const struct sweep_trial *t = &plan.trials[2 + r];
		cr_expect_eq(t->index, 2 + r);
		cr_expect_eq(t->config, plan.nconfigs, "a rerun is a configuration of its own");
		cr_expect_eq(t->searched, 1);
		cr_expect_eq(t->values[0].value->num, 0.2, "the rerun configuration's lr");
		cr_expect_eq(t->values[1].value->num, 5 + r, "seed %d", r);
	}
	sweep_free(&plan);
	ast_free(file);
	source_free(src);
}

Test(rerun_best, the_checker_takes_a_whole_number_of_seeds)
{
	char text[1024];
	snprintf(text, sizeof text, "%ssweep {\n optimizer.lr in [0.1, 0.2]\n rerun_best = 0\n}\n",
	         head);
	struct checked c = check_text(text);
	cr_expect_gt(c.errors, 0);
	cr_expect(c.messages && strstr(c.messages, "rerun_best"), "%s", c.messages);
	free(c.messages);
	snprintf(text, sizeof text, "%ssweep {\n optimizer.lr in [0.1, 0.2]\n rerun_best = 10\n}\n",
	         head);
	c = check_text(text);
	cr_expect_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
}

/* ---- end to end ---- */

/* A sweep of two optimizers x two learning rates on one seed (seeds as given by extra,
 * or the block's seed 2), rerun_best = 3; dir made, nn its file. */
static void write_sweep(char *dir, char *nn, const char *optimizers, const char *extra)
{
	char text[2048];
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	snprintf(text, sizeof text, "data d { train = blobs(60, classes = 3, dim = 4)\n"
	         " test = blobs(30, classes = 3, dim = 4) }\nnetwork n { dense(3) }\n"
	         "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 2\n"
	         " seed = 2\n}\nsweep {\n optimizer in %s\n optimizer.lr in [0.05, 0.1]\n"
	         " rerun_best = 3\n%s}\n", optimizers, extra);
	cr_assert_eq(write_text(nn, text), 0);
}

static const char two[] = "[sgd(lr = 0.1), adam(lr = 0.01)]";

/* Runs descent sweep --quiet nn with up to three more arguments. */
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

/* The file name of dir's sweep folder, read whole (NULL if missing). */
static char *sweep_file(const char *dir, const char *name)
{
	char path[300];
	snprintf(path, sizeof path, "%s/runs/s-sweep/%s", dir, name);
	return slurp(path, NULL);
}

/* The rows of results.csv, in trial order: each row's text by its number (max rows). */
static int rows_by_trial(const char *dir, char rows[][600], int max)
{
	char *text = sweep_file(dir, "results.csv"), *save;
	int n = 0;
	cr_assert_not_null(text);
	for (int t = 0; t < max; t++)
		rows[t][0] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "trial,", 6) == 0)
			continue;
		int t = atoi(line);
		cr_assert(t >= 0 && t < max, "row %s", line);
		snprintf(rows[t], sizeof rows[t], "%s", line);
		n++;
	}
	free(text);
	return n;
}

/* The field k (from 0) of a CSV row without quotes inside fields. */
static void field(const char *row, int k, char *out, size_t size)
{
	const char *p = row;
	for (int i = 0; i < k && p; i++) {
		if (*p == '"')
			p = strchr(p + 1, '"') + 1;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	cr_assert_not_null(p, "no field %d in %s", k, row);
	size_t len = *p == '"' ? (size_t)(strchr(p + 1, '"') - p + 1) : strcspn(p, ",");
	snprintf(out, size, "%.*s", (int)len, p);
}

Test(rerun_best, reruns_are_rows_after_the_search_with_new_seeds)
{
	char dir[64], nn[128], *out, rows[16][600], f[200], g[200];
	write_sweep(dir, nn, two, "");
	cr_assert_eq(sweep(nn, NULL, NULL, NULL, &out, NULL), 0);
	/* header: trial,status,optimizer,optimizer.lr,seed,... */
	char *csv = sweep_file(dir, "results.csv");
	cr_expect(csv && strncmp(csv, "trial,status,optimizer,optimizer.lr,seed,", 41) == 0, "%s",
	          csv);
	free(csv);
	cr_assert_eq(rows_by_trial(dir, rows, 16), 4 + 2 * 3);
	for (int t = 0; t < 4; t++) {
		field(rows[t], 4, f, sizeof f);
		cr_expect_str_eq(f, "2", "the search runs on the block's seed: %s", rows[t]);
	}
	for (int t = 4; t < 10; t++) {
		field(rows[t], 4, f, sizeof f);
		cr_expect_eq(atoi(f), 3 + (t - 4) % 3, "trial %d: new seeds 3, 4, 5: %s", t, rows[t]);
		field(rows[t], 2, f, sizeof f);
		cr_expect_str_eq(f, t < 7 ? "\"sgd(lr = 0.1)\"" : "\"adam(lr = 0.01)\"", "trial %d", t);
		field(rows[t], 3, g, sizeof g);
		field(rows[t - (t - 4) % 3], 3, f, sizeof f);
		cr_expect_str_eq(f, g, "one configuration per optimizer: %s", rows[t]);
		char log[300];
		snprintf(log, sizeof log, "%s/runs/s-sweep/trial-%d.jsonl", dir, t);
		cr_expect_eq(access(log, F_OK), 0, "%s", log);
	}
	cr_expect(strstr(out, "sweep of t: 4 trials, 4 configurations, ranked by max test_acc\n"),
	          "%s", out);
	cr_expect(strstr(out, "rerun of the best configuration of each optimizer with 3 new seeds "
	                      "(3..5), by max test_acc:\n"), "%s", out);
	cr_expect(strstr(out, "  1  sgd ") || strstr(out, "  1  adam "), "%s", out);
	cr_expect(strstr(out, "  n 3  mean "), "%s", out);
	char *summary = sweep_file(dir, "summary.csv");
	static const char header[] = "stage,optimizer_kind,config,optimizer,optimizer.lr,n,mean,std,min,"
		"max,p_vs_best\n";
	cr_expect(summary && strncmp(summary, header, strlen(header)) == 0, "%s", summary);
	cr_expect(summary && strstr(summary, "\nsearch,sgd,") && strstr(summary, "\nrerun,sgd,")
	          && strstr(summary, "\nrerun,adam,"), "%s", summary);
	free(summary);
	char *svg = sweep_file(dir, "summary.svg");
	cr_expect(svg && strstr(svg, "each optimizer's best configuration over 3 new seeds"), "the "
	          "picture shows the reruns");
	free(svg);
	if (system("command -v rsvg-convert > /dev/null 2>&1") == 0) { /* a real renderer reads it */
		char command[400];
		snprintf(command, sizeof command, "rsvg-convert '%s/runs/s-sweep/summary.svg' -o "
		         "'%s/summary.png'", dir, dir);
		cr_expect_eq(system(command), 0, "rsvg-convert could not render summary.svg");
	}
	free(out);
	cr_expect_eq(remove_tree(dir), 0);
}

/* The column of test_acc in dir's results.csv, from 0. */
static int test_acc_column(const char *dir)
{
	char *text = sweep_file(dir, "results.csv");
	cr_assert_not_null(text);
	const char *at = strstr(text, ",test_acc,");
	cr_assert(at && at < strchr(text, '\n'));
	int column = 1;
	for (const char *c = text; c < at; c++)
		column += *c == ',';
	free(text);
	return column;
}

Test(rerun_best, the_best_configuration_of_each_optimizer_is_the_one_rerun)
{
	char dir[64], nn[128], *out, rows[16][600], lr[64], metric[64], best[64];
	write_sweep(dir, nn, two, "");
	cr_assert_eq(sweep(nn, NULL, NULL, NULL, &out, NULL), 0);
	free(out);
	cr_assert_eq(rows_by_trial(dir, rows, 16), 10);
	/* the search's trials 0, 1 are sgd (lr 0.05, 0.1), 2, 3 adam */
	int column = test_acc_column(dir);
	for (int k = 0; k < 2; k++) {
		double a, b;
		field(rows[2 * k], column, metric, sizeof metric);
		a = atof(metric);
		field(rows[2 * k + 1], column, metric, sizeof metric);
		b = atof(metric);
		field(rows[b > a ? 2 * k + 1 : 2 * k], 3, best, sizeof best); /* ties: the first */
		field(rows[4 + 3 * k], 3, lr, sizeof lr);
		cr_expect_str_eq(lr, best, "optimizer %d: %g against %g", k, a, b);
	}
	cr_expect_eq(remove_tree(dir), 0);
}

Test(rerun_best, the_reruns_start_after_the_largest_seed_of_the_search)
{
	char dir[64], nn[128], *out;
	write_sweep(dir, nn, two, " seed in [7, 3]\n");
	cr_assert_eq(sweep(nn, "--list", NULL, NULL, &out, NULL), 0);
	cr_expect(strstr(out, "then 6 rerun trials (rerun_best = 3) follow the search, numbered "
	                      "from 8: the best configuration of each of the 2 optimizers (sgd, "
	                      "adam) with seeds 8..10"), "%s", out);
	free(out);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(rerun_best, a_rerun_reuses_every_row_and_changes_nothing)
{
	char dir[64], nn[128], *err;
	write_sweep(dir, nn, two, "");
	cr_assert_eq(sweep(nn, NULL, NULL, NULL, NULL, NULL), 0);
	char *before = sweep_file(dir, "results.csv");
	cr_assert_eq(sweep(nn, NULL, NULL, NULL, NULL, &err), 0);
	char *after = sweep_file(dir, "results.csv");
	cr_expect(before && after && strcmp(before, after) == 0, "a second run changed the rows");
	cr_expect(strstr(err, "sweep: 4 trials reused") && strstr(err, "sweep: 6 rerun trials "
	          "reused"), "%s", err);
	free(before);
	free(after);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(rerun_best, shards_run_the_reruns_once_the_search_is_complete)
{
	char dir[64], nn[128], *out, *err, rows[16][600];
	write_sweep(dir, nn, two, "");
	/* shard 0/2 runs its search trials 0, 2; the search is not complete */
	cr_assert_eq(sweep(nn, "--shard", "0/2", NULL, &out, NULL), 0);
	cr_expect(strstr(out, "2 of 4 trials of the whole sweep have results")
	          && strstr(out, "then the best configuration of each optimizer runs again with 3 "
	                         "new seeds (rerun_best)"), "%s", out);
	free(out);
	cr_expect_eq(rows_by_trial(dir, rows, 16), 2);
	cr_expect_eq(sweep(nn, "--summary", NULL, NULL, NULL, &err), 1);
	cr_expect(strstr(err, "2 of 4 trials have no row") && strstr(err, "rerun_best = 3"), "%s",
	          err);
	free(err);
	/* shard 1/2 completes the search, then runs its share of the reruns: 5, 7, 9 */
	cr_assert_eq(sweep(nn, "--shard", "1/2", NULL, &out, NULL), 0);
	cr_expect(strstr(out, "7 of 10 trials of the whole sweep have results; no row yet: 4, 6, 8"),
	          "%s", out);
	free(out);
	cr_expect_eq(rows_by_trial(dir, rows, 16), 7);
	cr_expect(rows[5][0] && rows[7][0] && rows[9][0] && !rows[4][0]);
	cr_expect_eq(sweep(nn, "--summary", NULL, NULL, NULL, &err), 1);
	cr_expect(strstr(err, "3 of 10 trials have no row made with the current settings: 4, 6, 8"),
	          "%s", err);
	free(err);
	cr_assert_eq(sweep(nn, "--list", "--shard", "0/2", &out, NULL), 0);
	cr_expect(strstr(out, "reruns (rerun_best = 3)") && strstr(out, "\n    4       4     3  ")
	          && !strstr(out, "\n    5 ") && strstr(out, "5 of 10 trials (4 of the search, 6 "
	                                                  "reruns) (shard 0/2)"), "%s", out);
	free(out);
	/* shard 0/2 again: its reruns, and the sweep is complete */
	cr_assert_eq(sweep(nn, "--shard", "0/2", NULL, &out, NULL), 0);
	cr_expect(strstr(out, "rerun of the best configuration of each optimizer"), "%s", out);
	free(out);
	cr_expect_eq(rows_by_trial(dir, rows, 16), 10);
	cr_assert_eq(sweep(nn, "--summary", NULL, NULL, &out, NULL), 0);
	cr_expect(strstr(out, "rerun of the best configuration of each optimizer"), "%s", out);
	free(out);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(rerun_best, differences_beyond_seed_noise_are_named)
{
	char dir[64], nn[128], *out;
	/* sgd at a tiny rate keeps its initial loss; adam learns the blobs: every seed says so */
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = blobs(90, classes = 3, dim = 4)\n"
	             " test = blobs(60, classes = 3, dim = 4) }\nnetwork n { dense(3) }\n"
	             "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 5\n}\n"
	             "sweep {\n optimizer in [sgd(lr = 1e-7), adam(lr = 0.05)]\n rerun_best = 4\n"
	             " metric = min train_loss\n}\n"),
	             0);
	cr_assert_eq(sweep(nn, NULL, NULL, NULL, &out, NULL), 0);
	cr_expect(strstr(out, "beyond seed noise: adam < sgd (Welch p "), "%s", out);
	cr_expect(strstr(out, "  1  adam "), "%s", out);
	free(out);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(rerun_best, an_optimizer_without_a_ranked_configuration_is_not_rerun)
{
	char dir[64], nn[128], *out, rows[16][600];
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = blobs(60, classes = 3, dim = 4)\n"
	             " test = blobs(30, classes = 3, dim = 4) }\nnetwork n { dense(3) }\n"
	             "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 3\n}\n"
	             "sweep {\n optimizer in [sgd(lr = 1e30), adam(lr = 0.01)]\n rerun_best = 2\n}\n"),
	             0);
	sweep(nn, NULL, NULL, NULL, &out, NULL);
	cr_expect(strstr(out, "sgd: not rerun, no configuration of it is ranked in the search"),
	          "%s", out);
	free(out);
	cr_expect_eq(rows_by_trial(dir, rows, 16), 2 + 2, "only adam is rerun");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(rerun_best, a_sweep_without_it_keeps_its_files)
{
	char dir[64], nn[128], *out;
	cr_assert(scratch_dir(dir));
	sprintf(nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = blobs(60, classes = 3, dim = 4)\n"
	             " test = blobs(30, classes = 3, dim = 4) }\nnetwork n { dense(3) }\n"
	             "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n}\n"
	             "sweep {\n optimizer.lr in [0.05, 0.1]\n}\n"), 0);
	cr_assert_eq(sweep(nn, NULL, NULL, NULL, &out, NULL), 0);
	cr_expect(!strstr(out, "rerun"), "%s", out);
	free(out);
	char *csv = sweep_file(dir, "results.csv"), *summary = sweep_file(dir, "summary.csv");
	cr_expect(csv && strncmp(csv, "trial,status,optimizer.lr,train_loss,", 37) == 0, "%s", csv);
	cr_expect(summary && strncmp(summary, "config,optimizer.lr,n,mean,", 27) == 0, "%s", summary);
	free(csv);
	free(summary);
	cr_expect_eq(remove_tree(dir), 0);
}

/* ---- the teaching example ---- */

/* One row of the example's summary.csv: stage, optimizer, n, mean, min, max. */
struct summary_row {
	char stage[16], optimizer[16];
	int n;
	double mean, min, max;
};

/* Reads dir's crowded_valley summary.csv (stage,optimizer_kind,config,optimizer,optimizer.lr,
 * n,mean,std,min,max,p_vs_best) into rows; how many. */
static int read_summary(const char *path, struct summary_row *rows, int max)
{
	char *text = slurp(path, NULL), *save, f[64];
	int n = 0;
	cr_assert_not_null(text, "%s", path);
	for (char *line = strtok_r(text, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "stage,", 6) == 0)
			continue;
		struct summary_row *r = &rows[n++];
		field(line, 0, r->stage, sizeof r->stage);
		field(line, 1, r->optimizer, sizeof r->optimizer);
		field(line, 5, f, sizeof f);
		r->n = atoi(f);
		field(line, 6, f, sizeof f);
		r->mean = atof(f);
		field(line, 8, f, sizeof f);
		r->min = atof(f);
		field(line, 9, f, sizeof f);
		r->max = atof(f);
	}
	free(text);
	return n;
}

Test(rerun_best, crowded_valley_shows_what_its_readme_claims)
{
	char dir[64], path[300], *out, *err;
	cr_assert(scratch_dir(dir));
	snprintf(path, sizeof path, "%s/teaching", dir); /* the example's ../data, ../runs */
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/data", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	char *text = slurp("examples/teaching/crowded_valley.nn", NULL), *iris =
		slurp("examples/data/iris.csv", NULL);
	cr_assert(text && iris);
	snprintf(path, sizeof path, "%s/data/iris.csv", dir);
	cr_assert_eq(write_text(path, iris), 0);
	snprintf(path, sizeof path, "%s/teaching/crowded_valley.nn", dir);
	cr_assert_eq(write_text(path, text), 0);
	free(text);
	free(iris);
	cr_assert_eq(run_descent((const char *const[]){"sweep", "--quiet", path, NULL}, NULL, &out,
	                         &err), 0, "%s", err);
	free(err);
	struct summary_row rows[32];
	snprintf(path, sizeof path, "%s/runs/crowded_valley/summary.csv", dir);
	int n = read_summary(path, rows, 32), search = 0, reruns = 0;
	/* "On its one seed the search cannot tell the optimizers apart: its best val_acc,
	 * 0.967 (29 of 30 flowers), is reached by a configuration of each of the three." */
	double top = rows[0].mean;
	cr_expect(fabs(top - 29.0 / 30) < 1e-9, "best of the search: %g", top);
	bool reached[3] = {false};
	static const char *const names[3] = {"sgd", "adam", "rmsprop"};
	for (int i = 0; i < n; i++) {
		search += strcmp(rows[i].stage, "search") == 0;
		for (int k = 0; k < 3; k++)
			reached[k] |= strcmp(rows[i].stage, "search") == 0 && rows[i].mean == top
				&& strcmp(rows[i].optimizer, names[k]) == 0;
	}
	cr_expect_eq(search, 12);
	cr_expect(reached[0] && reached[1] && reached[2], "sgd %d adam %d rmsprop %d", reached[0],
	          reached[1], reached[2]);
	/* "Rerun on 10 new seeds, each optimizer's best configuration spreads over at least 0.1
	 * (3 flowers), while the three means lie within 0.02 of each other." */
	double lo = INFINITY, hi = -INFINITY, narrowest = INFINITY;
	for (int i = 0; i < n; i++) {
		if (strcmp(rows[i].stage, "rerun") != 0)
			continue;
		reruns++;
		cr_expect_eq(rows[i].n, 10, "%s", rows[i].optimizer);
		lo = fmin(lo, rows[i].mean);
		hi = fmax(hi, rows[i].mean);
		narrowest = fmin(narrowest, rows[i].max - rows[i].min);
	}
	cr_expect_eq(reruns, 3);
	cr_expect_geq(narrowest, 0.1 - 1e-9, "the narrowest spread over seeds: %g", narrowest);
	cr_expect_leq(hi - lo, 0.02 + 1e-9, "the gap between the optimizers' means: %g", hi - lo);
	cr_expect_gt(narrowest, 4 * (hi - lo));
	/* "No difference between them exceeds seed noise." */
	cr_expect(strstr(out, "no difference between the optimizers exceeds seed noise"), "%s",
	          out);
	free(out);
	cr_expect_eq(remove_tree(dir), 0);
}
