/* run_sweep.c — `descent sweep`: every trial of a sweep block in worker processes, its row
 * appended to results.csv as it ends, then summary.csv and a table ranked by the metric,
 * where configurations within seed noise of the best (Welch, p > 0.05) are marked.
 *
 * Crash safety: a worker appends its whole row with one O_APPEND write, then fsync; a
 * trial killed before that leaves nothing, and a rerun runs exactly the trials without a
 * row. Each worker trains on its own copy of the checked tree (fork), with the trial's
 * values applied as --set values are, and checks it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "lower.h"
#include "schema.h"
#include "override.h"
#include "run.h"
#include "stats.h"
#include "svg.h"
#include "sweep.h"
#include "train.h"

enum { METRICS = 6 };
static const char *const metric_names[METRICS] = {"train_loss", "train_acc", "val_loss",
                                                  "val_acc", "test_loss", "test_acc"};

/* What the sweep block says. */
struct sweep_setup {
	const struct ast *sweep, *train; /* the blocks */
	int train_index;                 /* the train block's number in the file, from 1 */
	int metric;                      /* index in metric_names */
	bool maximize;                   /* max or min */
	char out[4096];                  /* the output folder */
};

static int setup(const char *file, const struct ast *tree, struct sweep_setup *s)
{
	*s = (struct sweep_setup){.metric = 5, .maximize = true};
	for (int i = 0; i < tree->nkids && !s->sweep; i++)
		if (tree->kids[i]->kind == AST_BLOCK && tree->kids[i]->op == BLOCK_SWEEP)
			s->sweep = tree->kids[i];
	if (!s->sweep) {
		fprintf(stderr, "descent sweep: %s has no sweep block\n", file);
		return RUN_INPUT;
	}
	const struct ast *run = ast_value(s->sweep, "run"), *metric = ast_value(s->sweep, "metric");
	for (int i = 0, n = 0; i < tree->nkids; i++) {
		const struct ast *b = tree->kids[i];
		if (b->kind != AST_BLOCK || b->op != BLOCK_TRAIN)
			continue;
		n++;
		if (!run || (b->str && strcmp(b->str, run->str) == 0)) {
			s->train = b;
			s->train_index = n;
			if (run)
				break;
		}
	}
	if (metric) {
		s->maximize = strcmp(metric->a->str, "max") == 0;
		for (int m = 0; m < METRICS; m++)
			if (strcmp(metric_names[m], metric->b->str) == 0)
				s->metric = m;
	}
	const struct ast *out = ast_value(s->sweep, "out");
	char fallback[4096];
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	snprintf(fallback, sizeof fallback, "runs/%.*s-sweep",
	         (int)(strstr(base, ".nn") ? strstr(base, ".nn") - base : (long)strlen(base)), base);
	run_output_path(file, out ? out->str : fallback, s->out, sizeof s->out);
	return RUN_OK;
}

/* The header of results.csv. */
static void write_header(FILE *f, const struct sweep_trial *t)
{
	fputs("trial,status", f);
	for (int v = 0; v < t->nvalues; v++)
		fprintf(f, ",%s", t->values[v].key);
	for (int m = 0; m < METRICS; m++)
		fprintf(f, ",%s", metric_names[m]);
	fputs(",seconds,message\n", f);
}

/* A value as text: numbers with %.17g (exact) or %g (for people); an optimizer as its
 * call; other names as written. CSV text quotes what is not a number. */
static void value_text(const struct ast *v, char *buf, size_t size, bool exact)
{
	char label[200];
	if (v->kind == AST_NUM)
		snprintf(buf, size, exact ? "%.17g" : "%g", v->num);
	else if (v->kind == AST_DURATION && v->a->kind == AST_NUM)
		snprintf(buf, size, exact ? "\"%.17g %s\"" : "%g %s", v->a->num, v->b->str);
	else if ((v->kind == AST_CALL || v->kind == AST_NAME) && schema_find(schema_optimizers, v->str)) {
		lower_optimizer(v, label, sizeof label);
		snprintf(buf, size, exact ? "\"%s\"" : "%s", label);
	} else if (v->str)
		snprintf(buf, size, exact ? "\"%s\"" : "%s", v->str);
	else
		snprintf(buf, size, "?");
}

/* Appends one row with a single write, then fsync: a row is whole or absent. */
static void append_row(const char *results, const struct sweep_trial *t, const char *status,
                       const struct train_metrics *m, double seconds, const char *message)
{
	char row[4096], value[256];
	int n = snprintf(row, sizeof row, "%d,%s", t->index, status);
	for (int v = 0; v < t->nvalues && n < (int)sizeof row; v++) {
		value_text(t->values[v].value, value, sizeof value, true);
		n += snprintf(row + n, sizeof row - (size_t)n, ",%s", value);
	}
	double metrics[METRICS] = {m->train_loss, m->train_acc, m->val_loss, m->val_acc,
	                           m->test_loss, m->test_acc};
	bool present[METRICS] = {m->epoch > 0, m->epoch > 0, m->has_val, m->has_val, m->has_test,
	                         m->has_test};
	for (int k = 0; k < METRICS && n < (int)sizeof row; k++)
		n += present[k] ? snprintf(row + n, sizeof row - (size_t)n, ",%.17g", metrics[k])
			: snprintf(row + n, sizeof row - (size_t)n, ",");
	if (n < (int)sizeof row)
		n += snprintf(row + n, sizeof row - (size_t)n, ",%.3f,\"%s\"\n", seconds, message);
	int fd = open(results, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		ssize_t written = write(fd, row, (size_t)(n < (int)sizeof row ? n : (int)sizeof row - 1));
		(void)written;
		fsync(fd);
		close(fd);
	}
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void read_metrics(const char *results, const struct sweep_plan *plan, int metric,
                         double *value);

/* Done / running / left, the best metric so far, and an ETA: a live line on a terminal. */
static void progress(const struct sweep_setup *s, const struct sweep_plan *plan,
                     const char *results, int finished, int running, int pending, double elapsed)
{
	double *value = calloc((size_t)plan->ntrials, sizeof *value), best = NAN;
	if (value)
		read_metrics(results, plan, s->metric, value);
	for (int t = 0; value && t < plan->ntrials; t++)
		if (!isnan(value[t]) && (isnan(best) || (s->maximize ? value[t] > best : value[t] < best)))
			best = value[t];
	free(value);
	int left = pending - finished - running;
	double eta = finished > 0 ? elapsed / finished * (left + running) : 0;
	bool live = isatty(STDERR_FILENO);
	fprintf(stderr, "%ssweep: %d done, %d running, %d left; best %s %.4f; ETA %d:%02d%s",
	        live ? "\r\033[K" : "", finished, running, left, metric_names[s->metric], best,
	        (int)eta / 60, (int)eta % 60, live ? (left + running == 0 ? "\n" : "") : "\n");
}

/* The running workers' pids, in a table of jobs slots (0 for a free one). */
static int add_worker(pid_t *workers, int jobs, pid_t pid)
{
	for (int i = 0; pid > 0 && i < jobs; i++)
		if (workers[i] == 0) {
			workers[i] = pid;
			return 1;
		}
	return 0;
}

static void remove_worker(pid_t *workers, int jobs, pid_t pid)
{
	for (int i = 0; i < jobs; i++)
		if (workers[i] == pid)
			workers[i] = 0;
}

/* Ends the running trials (each dies before appending its row, so a rerun runs it). */
static void stop_workers(const pid_t *workers, int jobs)
{
	for (int i = 0; i < jobs; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGKILL);
}

/* The worker: one trial on a copy of the tree (this process is a fork). */
static int run_trial(const char *file, struct ast *tree, const struct sweep_setup *s,
                     const struct sweep_trial *t, int threads, const char *results)
{
	omp_set_num_threads(threads);
	char *text = NULL, log[4200], key[512];
	size_t size;
	FILE *messages = open_memstream(&text, &size);
	struct diag d;
	diag_init(&d, messages);
	for (int v = 0; v < t->nvalues; v++) { /* the trial's values, as --set would set them */
		if (s->train->str)
			snprintf(key, sizeof key, "%s.%s", s->train->str, t->values[v].key);
		else
			snprintf(key, sizeof key, "%s", t->values[v].key);
		struct ast *e = ast_named(AST_ENTRY, t->values[v].value->loc, strdup(key),
		                          t->values[v].value->loc);
		if (e) {
			e->a = t->values[v].value;
			override_apply(tree, e, &d);
			e->a = NULL;
			ast_free(e);
		}
	}
	struct train_metrics last = {0};
	snprintf(log, sizeof log, "%s/trial-%d.jsonl", s->out, t->index);
	int status = d.errors == 0 && check_file(tree, &d, NULL)
		? run_train_trial(file, tree, s->train, s->train_index, log, &last, &d) : RUN_INPUT;
	fclose(messages);
	char message[300] = "";
	if (status != RUN_OK && text) { /* the first line of what went wrong */
		snprintf(message, sizeof message, "%.*s", (int)strcspn(text, "\n"), text);
		for (char *c = message; *c; c++)
			*c = *c == '"' ? '\'' : *c;
	}
	free(text);
	append_row(results, t, status == RUN_OK ? "ok" : status == RUN_DIVERGED ? "diverged"
	           : "failed", &last, last.seconds, message);
	return status;
}

/* The trials results.csv already holds (their index marked in done). */
static void read_done(const char *results, bool *done, int ntrials)
{
	FILE *f = fopen(results, "r");
	char line[4096];
	while (f && fgets(line, sizeof line, f)) {
		int index;
		if (sscanf(line, "%d,", &index) == 1 && index >= 0 && index < ntrials
		    && strchr(line, '\n'))
			done[index] = true;
	}
	if (f)
		fclose(f);
}

/* Field k (from 0) of a CSV line, quotes respected; NULL if the line is shorter. */
static const char *csv_field(const char *line, int k)
{
	bool quoted = false;
	for (const char *p = line; *p && *p != '\n'; p++) {
		if (k == 0)
			return p;
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted && --k == 0)
			return p + 1;
	}
	return k == 0 ? line : NULL;
}

/* The metric of each trial from results.csv (NaN where not ok). */
static void read_metrics(const char *results, const struct sweep_plan *plan, int metric,
                         double *value)
{
	for (int t = 0; t < plan->ntrials; t++)
		value[t] = NAN;
	FILE *f = fopen(results, "r");
	char line[4096];
	while (f && fgets(line, sizeof line, f)) {
		int index;
		const char *status = csv_field(line, 1);
		if (sscanf(line, "%d,", &index) != 1 || index < 0 || index >= plan->ntrials || !status
		    || strncmp(status, "ok,", 3) != 0)
			continue;
		/* the metric's column: after trial, status and the trial's values */
		const char *p = csv_field(line, 2 + plan->trials[index].nvalues + metric);
		if (p && *p != ',' && *p != '\n')
			value[index] = strtod(p, NULL);
	}
	if (f)
		fclose(f);
}

struct config_summary {
	int config, n, example;           /* configuration, trials with a metric, one trial */
	double mean, std, min, max, p;    /* the metric over seeds; p against the best */
};

static int compare_configs(const void *a, const void *b)
{
	const struct config_summary *x = a, *y = b;
	if (isnan(x->mean) != isnan(y->mean))
		return isnan(x->mean) ? 1 : -1;
	return (x->mean < y->mean) - (x->mean > y->mean);
}

/* summary.svg: the metric of every trial, one column of points per configuration in
 * ranked order (a strip plot over seeds), the mean as a short bar. */
static void strip_plot(const char *path, const struct sweep_setup *s, const struct sweep_plan *plan,
                       const struct config_summary *c, const double *value, char (*labels)[160])
{
	FILE *out = fopen(path, "w");
	int k_max = plan->nconfigs;
	double *x = calloc((size_t)plan->ntrials + 1, sizeof *x), *y = calloc((size_t)plan->ntrials + 1, sizeof *y);
	struct svg_series *series = calloc((size_t)k_max + 1, sizeof *series);
	if (!out || !x || !y || !series)
		goto done;
	int at = 0;
	for (int k = 0; k < k_max; k++) {
		series[k] = (struct svg_series){labels[k], x + at, y + at, 0};
		for (int t = 0, seed = 0; t < plan->ntrials; t++)
			if (plan->trials[t].config == c[k].config && !isnan(value[t])) {
				x[at] = k + 1 + 0.08 * (seed++ % 5 - 2); /* spread the seeds a little */
				y[at++] = value[t];
				series[k].n++;
			}
	}
	struct svg_panel panel = {.left = 80, .top = 40, .width = 560, .height = 340};
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < at; i++) {
		lo = fmin(lo, y[i]);
		hi = fmax(hi, y[i]);
	}
	double pad = hi > lo ? (hi - lo) * 0.08 : 0.01 * fmax(1, fabs(hi));
	panel.x0 = 0.5;
	panel.x1 = k_max + 0.5;
	panel.y0 = at ? lo - pad : 0;
	panel.y1 = at ? hi + pad : 1;
	char title[160];
	snprintf(title, sizeof title, "%s per trial, configurations ranked (%s is best)",
	         metric_names[s->metric], s->maximize ? "higher" : "lower");
	svg_begin(out, 1320, 440);
	svg_axes(out, &panel, &(struct svg_axes){title, "rank of the configuration",
	                                         metric_names[s->metric]});
	for (int k = 0; k < k_max; k++) {
		svg_markers(out, &panel, &series[k], svg_color(k), 3.5);
		double mean = s->maximize ? c[k].mean : -c[k].mean, bx[2] = {k + 0.7, k + 1.3}, by[2] = {mean, mean};
		svg_line(out, &panel, &(struct svg_series){NULL, bx, by, 2}, svg_color(k), 2);
	}
	struct svg_panel beside = {.left = 660, .top = 40, .width = 660, .height = 340};
	svg_legend(out, &beside, series, k_max); /* to the right of the points */
	svg_end(out);
done:
	if (out)
		fclose(out);
	free(x);
	free(y);
	free(series);
}

/* summary.csv and the ranked table. */
static int summarize(const struct sweep_setup *s, const struct sweep_plan *plan,
                     const char *results)
{
	double *value = calloc((size_t)plan->ntrials, sizeof *value), *group = calloc((size_t)plan->ntrials, sizeof *group);
	struct config_summary *c = calloc((size_t)plan->nconfigs, sizeof *c);
	char (*labels)[160] = calloc((size_t)plan->nconfigs, sizeof *labels);
	if (!value || !group || !c || !labels)
		return RUN_INPUT;
	read_metrics(results, plan, s->metric, value);
	for (int k = 0; k < plan->nconfigs; k++) {
		int n = 0;
		c[k] = (struct config_summary){.config = k, .example = -1, .min = INFINITY, .max = -INFINITY};
		for (int t = 0; t < plan->ntrials; t++)
			if (plan->trials[t].config == k) {
				c[k].example = c[k].example < 0 ? t : c[k].example;
				if (!isnan(value[t])) {
					group[n++] = value[t];
					c[k].min = fmin(c[k].min, value[t]);
					c[k].max = fmax(c[k].max, value[t]);
				}
			}
		c[k].n = n;
		stats_mean_std(group, n, &c[k].mean, &c[k].std);
		if (!s->maximize)
			c[k].mean = -c[k].mean; /* rank by "better": sorted descending below */
	}
	qsort(c, (size_t)plan->nconfigs, sizeof *c, compare_configs);
	char path[4200];
	snprintf(path, sizeof path, "%s/summary.csv", s->out);
	FILE *f = fopen(path, "w");
	const struct sweep_trial *first = &plan->trials[0];
	if (f) {
		fputs("config", f);
		for (int v = 0; v < first->nvalues; v++)
			if (strcmp(first->values[v].key, "seed") != 0)
				fprintf(f, ",%s", first->values[v].key);
		fprintf(f, ",n,mean,std,min,max,p_vs_best\n");
	}
	printf("sweep of %s: %d trial%s, %d configuration%s, ranked by %s %s\n",
	       s->train->str ? s->train->str : "train", plan->ntrials, plan->ntrials == 1 ? "" : "s",
	       plan->nconfigs, plan->nconfigs == 1 ? "" : "s", s->maximize ? "max" : "min",
	       metric_names[s->metric]);
	for (int k = 0; k < plan->nconfigs; k++) {
		double mean = s->maximize ? c[k].mean : -c[k].mean;
		c[k].p = k == 0 || c[k].n < 2 || c[0].n < 2 ? NAN
			: stats_welch(s->maximize ? c[0].mean : -c[0].mean, c[0].std, c[0].n, mean,
			              c[k].std, c[k].n).p;
		char values[512] = "";
		const struct sweep_trial *t = &plan->trials[c[k].example];
		if (f)
			fprintf(f, "%d", c[k].config);
		for (int v = 0; v < t->nvalues; v++) {
			char text[256];
			if (strcmp(t->values[v].key, "seed") == 0)
				continue;
			value_text(t->values[v].value, text, sizeof text, false);
			snprintf(values + strlen(values), sizeof values - strlen(values), "%s%s=%s",
			         *values ? " " : "", t->values[v].key, text);
			snprintf(labels[k], sizeof labels[k], "%d: %.140s", k + 1, values);
			value_text(t->values[v].value, text, sizeof text, true);
			if (f)
				fprintf(f, ",%s", text);
		}
		const char *mark = k == 0 ? "best" : !isnan(c[k].p) && c[k].p > 0.05
			? "within seed noise of the best (Welch p > 0.05)" : "";
		printf("%3d  %-48s  n %d  mean %.4f  std %.4f  %s\n", k + 1, values, c[k].n, mean,
		       c[k].std, mark);
		if (f)
			fprintf(f, ",%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", c[k].n, mean, c[k].std, c[k].min,
			        c[k].max, c[k].p);
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/summary.svg", s->out);
	strip_plot(path, s, plan, c, value, labels);
	free(value);
	free(group);
	free(c);
	free(labels);
	return RUN_OK;
}

int run_sweep(const char *file, struct ast *tree, const struct sweep_options *o, struct diag *d)
{
	struct sweep_setup s;
	struct sweep_plan plan;
	int status = setup(file, tree, &s);
	if (status != RUN_OK || sweep_expand(s.sweep, &plan, d) != 0)
		return RUN_INPUT;
	char results[4200];
	snprintf(results, sizeof results, "%s/results.csv", s.out);
	run_make_parents(results);
	if (access(results, F_OK) != 0) {
		FILE *f = fopen(results, "w");
		if (!f) {
			fprintf(stderr, "descent sweep: cannot write %s: %s\n", results, strerror(errno));
			sweep_free(&plan);
			return RUN_INPUT;
		}
		write_header(f, &plan.trials[0]);
		fclose(f);
	}
	bool *done = calloc((size_t)plan.ntrials, sizeof *done);
	if (!done) {
		sweep_free(&plan);
		return RUN_INPUT;
	}
	read_done(results, done, plan.ntrials);
	int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), running = 0, finished = 0, pending = 0;
	int threads = cores / o->jobs > 0 ? cores / o->jobs : 1;
	for (int t = 0; t < plan.ntrials; t++)
		pending += !done[t] && sweep_in_shard(t, o->shard, o->shards);
	fflush(NULL);
	double start = now();
	pid_t *workers = calloc((size_t)o->jobs, sizeof *workers);
	bool cannot_fork = false;
	for (int t = 0; workers && (t < plan.ntrials || running > 0);) {
		bool stopping = o->interrupt && *o->interrupt;
		if (stopping)
			stop_workers(workers, o->jobs);
		if (!stopping && t < plan.ntrials && (done[t] || !sweep_in_shard(t, o->shard, o->shards))) {
			t++;
			continue;
		}
		if (!stopping && t < plan.ntrials && running < o->jobs) {
			pid_t pid = fork();
			if (pid == 0) {
				signal(SIGINT, SIG_DFL); /* a worker dies of them at once */
				signal(SIGTERM, SIG_DFL);
				_exit(run_trial(file, tree, &s, &plan.trials[t], threads, results));
			}
			if (pid < 0 && running == 0) { /* no worker to wait for before trying again */
				fprintf(stderr, "descent sweep: cannot start a worker: %s\n", strerror(errno));
				cannot_fork = true;
				break;
			}
			if (pid > 0) { /* else: try trial t again once a worker has ended */
				running += add_worker(workers, o->jobs, pid);
				t++;
				continue;
			}
		}
		if (running == 0)
			break;
		int code;
		pid_t ended = wait(&code);
		if (ended > 0) {
			remove_worker(workers, o->jobs, ended);
			running--;
			finished += WIFEXITED(code);
			if (!o->quiet && !stopping)
				progress(&s, &plan, results, finished, running, pending, now() - start);
		}
	}
	free(workers);
	if (o->interrupt && *o->interrupt) {
		fprintf(stderr, "%ssweep interrupted: %d of %d trials of this run finished (rows of "
		        "%s); 'descent sweep %s' runs the rest\n", isatty(STDERR_FILENO) ? "\r\033[K" : "",
		        finished, pending, results, file);
		free(done);
		sweep_free(&plan);
		return RUN_INTERRUPTED;
	}
	status = summarize(&s, &plan, results);
	if (cannot_fork || !workers)
		status = RUN_INPUT;
	free(done);
	sweep_free(&plan);
	(void)d;
	return status;
}
