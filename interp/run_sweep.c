/* run_sweep.c — `descent sweep`: every trial of a sweep block in worker processes, its row
 * appended to results.csv as it ends, then summary.csv and a table ranked by the metric,
 * where configurations within seed noise of the best (Welch, p > 0.05) are marked; a
 * configuration with a diverged or failed trial is listed apart, never ranked.
 *
 * The table and summary files are made only when every trial of the whole sweep has a
 * row (they are final then); a shard that leaves some without says how many have one.
 * `--summary` only summarizes, refusing while a trial has no row; `--list` prints the
 * trials. The exit status is 1 when a trial of this run failed (its worker died, or its
 * row says failed); a diverged trial is a result (its row says so, its configuration is
 * not ranked), not a failure: 0.
 *
 * A trial's identity is a hash of what it runs: its train block once the --set values
 * and the trial's values are applied (folded, so lets are in it; comments and layout
 * are not), the network and data blocks that block names, the data files' paths, sizes
 * and modification times, and the program's version. Each row carries it; a rerun
 * reuses a row only for the trial of the same number and hash, and runs the others;
 * first, a row found under another number (a list reordered) is moved, with its files,
 * to the number of the trial with its hash.
 *
 * Crash safety and sharing (sweep_store.h): a worker claims its trial (a lock the kernel
 * drops when the worker dies), drops the rows its trial had from other settings, writes
 * the trial's files (trial-N.jsonl, and trial-N.safetensors and trial-N.svg when the
 * block saves or plots), and appends its whole row with one write, then fsync; a trial
 * killed before that leaves no row, and a rerun runs exactly the trials without one.
 * Each worker trains on its own copy of the checked tree (fork), with the trial's values
 * applied as --set values are, and checks it again.
 *
 * rerun_best = N (Schmidt et al. 2021): once every trial of the search has a row, the
 * plan grows by N trials per optimizer kind, its best ranked configuration with the seeds
 * after the search's largest; they are trials like the others (rows, logs, identity), and
 * the summary compares them in a second table and a row of summary.svg.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "lower.h"
#include "model_id.h"
#include "schema.h"
#include "fold.h"
#include "outputs.h"
#include "override.h"
#include "run.h"
#include "stats.h"
#include "sweep.h"
#include "sweep_plot.h"
#include "sweep_store.h"
#include "train.h"

/* The metric columns of results.csv, a prefix of train.h's train_metric_table: a
 * classification run has the metrics that are not regression's, a regression run
 * (targets = values) all of them (its accuracy cells empty). */
static int metric_columns(bool regression)
{
	int n = 0;
	while (train_metric_table[n].name
	       && (regression || train_metric_table[n].targets != TRAIN_FOR_VALUES))
		n++;
	return n;
}

/* What the sweep block says. */
struct sweep_setup {
	const struct ast *sweep, *train; /* the blocks */
	int train_index;                 /* the train block's number in the file, from 1 */
	int metric;                      /* index in train_metric_table */
	int columns;                     /* metrics in results.csv (metric_columns) */
	bool maximize;                   /* max or min */
	int reruns;                      /* rerun_best's N, or 0 */
	char out[4096];                  /* the output folder */
	char out_given[4096];            /* the same, as the file gives it (or the default) */
};

static int setup(const char *file, const struct ast *tree, struct sweep_setup *s)
{
	*s = (struct sweep_setup){.metric = train_metric_find("test_acc"), .maximize = true,
	                          .columns = metric_columns(false)};
	for (int i = 0; i < tree->nkids && !s->sweep; i++)
		if (tree->kids[i]->kind == AST_BLOCK && tree->kids[i]->op == BLOCK_SWEEP)
			s->sweep = tree->kids[i];
	if (!s->sweep) {
		fprintf(stderr, "descent sweep: %s has no sweep block\n", file);
		return RUN_INPUT;
	}
	s->reruns = sweep_rerun_count(s->sweep);
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
	const struct ast *data = s->train && ast_value(s->train, "data")
		? check_find_block(tree, BLOCK_DATA, ast_value(s->train, "data")->str) : NULL;
	const struct ast *targets = data ? ast_value(data, "targets") : NULL;
	if (targets && targets->kind == AST_NAME && strcmp(targets->str, "values") == 0)
		s->columns = metric_columns(true);
	if (metric) {
		s->maximize = strcmp(metric->a->str, "max") == 0;
		if (train_metric_find(metric->b->str) >= 0)
			s->metric = train_metric_find(metric->b->str);
	}
	run_sweep_folder(file, s->sweep, s->out_given, sizeof s->out_given, s->out, sizeof s->out);
	return RUN_OK;
}

void run_sweep_folder(const char *file, const struct ast *sweep, char *given, size_t given_size,
                      char *out, size_t size)
{
	const struct ast *o = ast_value(sweep, "out");
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	const char *dot = strstr(base, ".nn");
	if (o && o->kind == AST_STR)
		snprintf(given, given_size, "%s", o->str);
	else
		snprintf(given, given_size, "runs/%.*s-sweep",
		         (int)(dot ? dot - base : (long)strlen(base)), base);
	run_output_path(file, given, out, size);
}

/* The header of results.csv into buf; returns the hash's column. */
static int header_text(const struct sweep_trial *t, int columns, char *buf, size_t size)
{
	int n = snprintf(buf, size, "trial,status");
	for (int v = 0; v < t->nvalues && n < (int)size; v++)
		n += snprintf(buf + n, size - (size_t)n, ",%s", t->values[v].key);
	for (int m = 0; m < columns && n < (int)size; m++)
		n += snprintf(buf + n, size - (size_t)n, ",%s", train_metric_table[m].name);
	if (n < (int)size)
		snprintf(buf + n, size - (size_t)n, ",seconds,hash,message\n");
	return 2 + t->nvalues + columns + 1;
}

/* A clip or stop call as text with its arguments, defaults included: "norm(0.5)",
 * "patience(3, min val_loss, 0)" (numbers with %.17g when exact, else %g). */
static void watch_call_text(const struct bound *b, char *buf, size_t size, bool exact)
{
	int n = snprintf(buf, size, "%s(", b->sig->name);
	for (int i = 0; b->sig->params[i].name && n < (int)size; i++) {
		const struct ast *v = b->vals[i];
		const char *sep = i ? ", " : "";
		if (v && v->kind == AST_DURATION && v->a->kind == AST_NAME)
			n += snprintf(buf + n, size - (size_t)n, "%s%s %s", sep, v->a->str, v->b->str);
		else
			n += snprintf(buf + n, size - (size_t)n, exact ? "%s%.17g" : "%s%g", sep,
			              schema_number_at(b, i));
	}
	if (n < (int)size)
		snprintf(buf + n, size - (size_t)n, ")");
}

/* A loss call with the arguments it gives, "huber(delta = 10)", into buf. */
static void loss_text(const struct ast *v, char *buf, size_t size)
{
	const struct bound *b = schema_bound(schema_losses, v);
	int n = snprintf(buf, size, "%s(", v->str);
	for (int i = 0; b && b->sig->params[i].name && n < (int)size; i++)
		if (b->vals[i])
			n += snprintf(buf + n, size - (size_t)n, "%s%s = %g", buf[n - 1] == '(' ? ""
			              : ", ", b->sig->params[i].name, schema_number_at(b, i));
	if (n < (int)size)
		snprintf(buf + n, size - (size_t)n, ")");
}

/* A value as text: numbers with %.17g (exact) or %g (for people); an optimizer, a loss,
 * a clip or a stop as its call; other names as written. CSV text (exact) quotes what is
 * not a number, a quote inside doubled. */
static void value_text(const struct ast *v, char *buf, size_t size, bool exact)
{
	char label[200], text[512];
	if (exact && v->kind == AST_STR && strchr(v->str, '"')) {
		size_t n = 0;
		for (const char *c = v->str; *c && n + 2 < sizeof text; c++) {
			if (*c == '"')
				text[n++] = '"';
			text[n++] = *c;
		}
		text[n] = '\0';
		snprintf(buf, size, "\"%s\"", text);
		return;
	}
	if (v->kind == AST_NUM)
		snprintf(buf, size, exact ? "%.17g" : "%g", v->num);
	else if (v->kind == AST_DURATION && v->a->kind == AST_NUM)
		snprintf(buf, size, exact ? "\"%.17g %s\"" : "%g %s", v->a->num, v->b->str);
	else if ((v->kind == AST_CALL || v->kind == AST_NAME) && schema_find(schema_optimizers, v->str)) {
		lower_optimizer(v, label, sizeof label);
		snprintf(buf, size, exact ? "\"%s\"" : "%s", label);
	} else if ((v->kind == AST_CALL || v->kind == AST_NAME)
	           && (schema_find(schema_clips, v->str) || schema_find(schema_stops, v->str))) {
		const struct bound *b = schema_bound(schema_find(schema_clips, v->str) ? schema_clips
		                                     : schema_stops, v);
		if (b)
			watch_call_text(b, label, sizeof label, exact);
		snprintf(buf, size, exact ? "\"%s\"" : "%s", b ? label : v->str);
	} else if (v->kind == AST_CALL && schema_find(schema_losses, v->str)) {
		loss_text(v, label, sizeof label);
		snprintf(buf, size, exact ? "\"%s\"" : "%s", label);
	} else if (v->str)
		snprintf(buf, size, exact ? "\"%s\"" : "%s", v->str);
	else
		snprintf(buf, size, "?");
}

/* ---- the identity of a trial ---- */

/* A train block without the paths it writes to (they change no number of a trial, whose
 * files have names of their own). */
static uint64_t hash_train_block(uint64_t h, const struct ast *block)
{
	static const char *const outputs[] = {"log", "save", "plot", "checkpoint", "save_best"};
	h = ast_hash_text(h, block->str);
	for (int i = 0; i < block->nkids; i++) {
		const struct ast *k = block->kids[i];
		bool output = false;
		for (size_t j = 0; j < sizeof outputs / sizeof *outputs; j++)
			output |= k->kind == AST_ENTRY && strcmp(k->str, outputs[j]) == 0;
		h = output ? h : ast_hash(h, k);
	}
	return h;
}

/* Folds in what identifies the file at path: the path, its size and modification time
 * (the path alone when it cannot be read). */
static uint64_t hash_file(uint64_t h, const char *path)
{
	struct stat st;
	h = ast_hash_text(h, path);
	if (stat(path, &st) != 0)
		return h;
	int64_t id[3] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec};
	return ast_hash_bytes(h, id, sizeof id);
}

/* The data files of a source call (idx and npy: two, csv: one), found by the path
 * search as the run will find them. */
static uint64_t hash_source(uint64_t h, const char *file, const struct ast *call)
{
	const struct bound *b = call && call->kind == AST_CALL ? schema_bound(schema_sources, call)
		: NULL;
	if (!b)
		return h;
	char path[4096];
	for (int i = 0; i < b->sig->files; i++)
		if (b->vals[i] && b->vals[i]->kind == AST_STR)
			h = lower_data_path(file, b->vals[i], path, sizeof path) == 0 ? hash_file(h, path)
				: ast_hash_text(h, b->vals[i]->str);
	return h;
}

/* Sets key of the sweep's train block in tree to value (a copy is made), as --set does. */
static void set_value(struct ast *tree, const struct sweep_setup *s, const char *key,
                      struct ast *value, struct diag *d)
{
	char full[512];
	if (s->train->str)
		snprintf(full, sizeof full, "%s.%s", s->train->str, key);
	else
		snprintf(full, sizeof full, "%s", key);
	struct ast *e = ast_named(AST_ENTRY, value->loc, strdup(full), value->loc);
	if (e) {
		e->a = value;
		override_apply(tree, e, d);
		e->a = NULL;
		ast_free(e);
	}
}

/* Applies trial t's values to tree. */
static void apply_values(struct ast *tree, const struct sweep_setup *s, const struct sweep_trial *t,
                         struct diag *d)
{
	for (int v = 0; v < t->nvalues; v++)
		set_value(tree, s, t->values[v].key, t->values[v].value, d);
}

/* The identity of trial t (see the top of the file); 0 when memory runs out. */
static uint64_t trial_hash(const char *file, const struct ast *tree, const struct sweep_setup *s,
                           const struct sweep_trial *t)
{
	struct diag quiet;
	diag_init(&quiet, NULL);
	struct ast *block = ast_copy_at(s->train, s->train->loc);
	struct ast *alone = block ? ast_push(ast_new(AST_FILE, s->train->loc), block) : NULL;
	if (!alone)
		return 0;
	apply_values(alone, s, t, &quiet); /* as the worker does, on this block alone */
	int32_t index = s->train_index;
	uint64_t h = ast_hash_text(AST_HASH_SEED, "descent " DESCENT_VERSION);
	h = hash_train_block(ast_hash_bytes(h, &index, sizeof index), block);
	const struct ast *net = ast_value(block, "network"), *data = ast_value(block, "data");
	const struct ast *load = ast_value(block, "load");
	if (net && net->str)
		h = ast_hash(h, check_find_block(tree, BLOCK_NETWORK, net->str));
	const struct ast *data_block = data && data->str ? check_find_block(tree, BLOCK_DATA, data->str)
		: NULL;
	h = ast_hash(h, data_block);
	if (data_block)
		h = hash_source(hash_source(h, file, ast_value(data_block, "train")), file,
		                ast_value(data_block, "test"));
	if (load && load->kind == AST_STR) {
		char path[4096];
		run_output_path(file, load->str, path, sizeof path);
		h = hash_file(h, path);
	}
	ast_free(alone);
	return h;
}

/* ---- rows ---- */

/* One row (with its newline) into row: trial, status, values, metrics, seconds, hash,
 * message. */
static void row_text(char *row, size_t size, const struct sweep_trial *t, int columns,
                     uint64_t hash, const char *status, const struct train_metrics *m,
                     const char *message)
{
	char value[600];
	int n = snprintf(row, size, "%d,%s", t->index, status);
	for (int v = 0; v < t->nvalues && n < (int)size; v++) {
		value_text(t->values[v].value, value, sizeof value, true);
		n += snprintf(row + n, size - (size_t)n, ",%s", value);
	}
	double x;
	for (int k = 0; k < columns && n < (int)size; k++)
		n += train_metric_value(m, k, &x) ? snprintf(row + n, size - (size_t)n, ",%.17g", x)
			: snprintf(row + n, size - (size_t)n, ",");
	if (n < (int)size)
		snprintf(row + n, size - (size_t)n, ",%.3f,%016llx,\"%s\"\n", m->seconds,
		         (unsigned long long)hash, message);
}

/* What results.csv says of a trial made with its current settings. */
struct outcome {
	char status;   /* 0: no such row; 'o' ok, 'd' diverged, 'f' failed */
	double metric; /* the sweep's metric: NaN unless ok and present */
};

/* The outcome of each trial of the plan: rows of other settings do not count. */
static void read_outcomes(struct sweep_store *st, const struct sweep_plan *plan,
                          const uint64_t *hash, int metric, struct outcome *out)
{
	struct sweep_rows rows;
	for (int t = 0; t < plan->ntrials; t++)
		out[t] = (struct outcome){0, NAN};
	if (store_read(st, &rows) != 0)
		return;
	for (int r = 0; r < rows.n; r++) {
		const struct sweep_row *row = &rows.row[r];
		if (row->index >= plan->ntrials || row->hash != hash[row->index])
			continue;
		struct outcome *o = &out[row->index];
		/* the metric's column: after trial, status and the trial's values */
		const char *p;
		sweep_csv_fields(row->line, 2 + plan->trials[row->index].nvalues + metric, &p);
		*o = (struct outcome){row->status[0], NAN};
		if (o->status == 'o' && p && *p != ',' && *p)
			o->metric = strtod(p, NULL);
	}
	store_rows_free(&rows);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* What the sweep shares with its workers and its progress line. */
struct sweep_run {
	const char *file;
	struct ast *tree;          /* folded and checked */
	const struct ast *unfolded; /* before folding: what a trial sets its values in */
	const struct sweep_setup *s;
	struct sweep_plan *plan;   /* the search, then its reruns once it is complete */
	uint64_t *hash;            /* (capacity) each trial's identity */
	struct sweep_store *store;
	int threads;               /* a worker's */
	int capacity;              /* the trials the plan can grow to (search and reruns) */
	const struct sweep_options *o;
};

/* Done / running / left, the best metric so far, and an ETA: a live line on a terminal. */
static void progress(const struct sweep_run *w, int finished, int ended, int running,
                     int pending, double elapsed)
{
	const struct sweep_setup *s = w->s;
	struct outcome *value = calloc((size_t)w->capacity, sizeof *value);
	double best = NAN;
	if (value)
		read_outcomes(w->store, w->plan, w->hash, s->metric, value);
	for (int t = 0; value && t < w->plan->ntrials; t++)
		if (!isnan(value[t].metric)
		    && (isnan(best) || (s->maximize ? value[t].metric > best : value[t].metric < best)))
			best = value[t].metric;
	free(value);
	int left = pending - ended - running;
	double eta = finished > 0 ? elapsed / finished * (left + running) : 0;
	bool live = isatty(STDERR_FILENO);
	fprintf(stderr, "%ssweep: %d done, %d running, %d left; best %s %.4f; ETA %d:%02d%s",
	        live ? "\r\033[K" : "", ended, running, left, train_metric_table[s->metric].name, best,
	        (int)eta / 60, (int)eta % 60, live ? (left + running == 0 ? "\n" : "") : "\n");
}

/* A running worker: its pid (0 for a free slot) and trial. */
struct worker {
	pid_t pid;
	int trial;
};

static int add_worker(struct worker *workers, int jobs, pid_t pid, int trial)
{
	for (int i = 0; pid > 0 && i < jobs; i++)
		if (workers[i].pid == 0) {
			workers[i] = (struct worker){pid, trial};
			return 1;
		}
	return 0;
}

/* Frees pid's slot; returns its trial (-1 if not one of them). */
static int remove_worker(struct worker *workers, int jobs, pid_t pid)
{
	for (int i = 0; i < jobs; i++)
		if (workers[i].pid == pid) {
			workers[i].pid = 0;
			return workers[i].trial;
		}
	return -1;
}

/* Ends the running trials (each dies before appending its row, so a rerun runs it). */
static void stop_workers(const struct worker *workers, int jobs)
{
	for (int i = 0; i < jobs; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, SIGKILL);
}

/* How a worker ends besides a run's own status (RUN_OK, RUN_INPUT, RUN_DIVERGED). */
enum {
	WORKER_CLAIMED = 10, /* another process runs this trial */
	WORKER_DONE = 11,    /* another process has finished it meanwhile */
	WORKER_NO_ROW = 12,  /* its row could not be written (reported) */
};

/* Under the trial's claim: whether results.csv holds its row (*done) or rows of its
 * number made with other settings (*stale). */
static void own_rows(struct sweep_store *st, int index, uint64_t hash, bool *done, bool *stale)
{
	struct sweep_rows rows;
	*done = *stale = false;
	if (store_read(st, &rows) != 0)
		return;
	for (int r = 0; r < rows.n; r++)
		if (rows.row[r].index == index)
			*(rows.row[r].hash == hash ? done : stale) = true;
	store_rows_free(&rows);
}

/* Points the block's save, plot and save_best (if it has them) at the trial's own files
 * in the sweep folder, so that no two trials write the same path. */
static void trial_outputs(struct ast *tree, const struct sweep_setup *s, int index,
                          struct diag *d)
{
	static const char *const keys[] = {"save", "plot", "save_best"};
	static const char *const suffix[] = {"safetensors", "svg", "best.safetensors"};
	for (int k = 0; k < 3; k++) {
		char path[4300];
		if (!ast_value(s->train, keys[k]))
			continue;
		snprintf(path, sizeof path, "%s/trial-%d.%s", s->out_given, index, suffix[k]);
		struct ast *value = ast_named(AST_STR, s->train->name_loc, strdup(path),
		                              s->train->name_loc);
		if (value)
			set_value(tree, s, keys[k], value, d);
		ast_free(value);
	}
}

/* Claims trial index, waiting up to a second for a process that holds it: a worker of a
 * sweep just killed holds its claim until it has quite ended. */
static bool claim_trial(const struct sweep_run *w, int index)
{
	for (int tries = 0; tries < 40; tries++) {
		if (store_claim(w->store, index))
			return true;
		nanosleep(&(struct timespec){0, 25000000}, NULL);
	}
	return false;
}

/* The declaration of copy that stands where block stands in tree (copy has tree's shape). */
static const struct ast *block_like(const struct ast *copy, const struct ast *tree,
                                    const struct ast *block)
{
	for (int i = 0; i < tree->nkids && i < copy->nkids; i++)
		if (tree->kids[i] == block)
			return copy->kids[i];
	return NULL;
}

/* Trial value v as the language writes it, into buf (size bytes): a number in the fewest
 * digits that read back as the same double (3e-2 as 0.03, not 0.029999999999999999),
 * anything else as the file writes it; false when that text is not at hand (a value over
 * several lines) or does not fit. */
static bool written_value(const struct ast *v, char *buf, size_t size)
{
	if (v->kind == AST_NUM) {
		for (int digits = 15; digits <= 17; digits++)
			if (snprintf(buf, size, "%.*g", digits, v->num) < (int)size
			    && strtod(buf, NULL) == v->num)
				return true;
		return false;
	}
	const struct loc *l = &v->loc;
	if (!l->src || l->first_line != l->last_line)
		return false;
	const char *line = l->src->text;
	for (int n = 1; line && n < l->first_line; n++) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	int len = l->last_column - l->first_column;
	if (!line || l->first_column < 1 || len <= 0 || (size_t)len >= size
	    || strnlen(line, (size_t)(l->last_column - 1)) < (size_t)(l->last_column - 1))
		return false;
	memcpy(buf, line + l->first_column - 1, (size_t)len);
	buf[len] = '\0';
	return true;
}

/* What trial t's weights record as their --set values (a JSON list), so that `descent
 * predict` can say which to give: the sweep's own --set values that no axis replaces,
 * then the trial's, as --set would write them ("t.optimizer.lr=0.01"). NULL when a value
 * cannot be written exactly: then the weights record none rather than a wrong one. */
static char *trial_sets(const struct sweep_run *w, const struct sweep_trial *t)
{
	enum { MOST = 96 };
	char texts[MOST][640], value[512];
	const char *list[MOST];
	int n = 0;
	if (w->o->nsets + t->nvalues > MOST)
		return NULL;
	for (int k = 0; k < w->o->nsets; k++, n++)
		list[n] = w->o->sets[k];
	for (int v = 0; v < t->nvalues; v++, n++) {
		if (!written_value(t->values[v].value, value, sizeof value))
			return NULL;
		const char *block = w->s->train->str;
		if (snprintf(texts[n], sizeof texts[n], "%s%s%s=%s", block ? block : "",
		             block ? "." : "", t->values[v].key, value) >= (int)sizeof texts[n])
			return NULL;
		list[n] = texts[n];
	}
	return model_id_sets_json(list, n);
}

/* The worker: one trial on a copy of the tree (this process is a fork), once claimed. */
static int run_trial(const struct sweep_run *w, const struct sweep_trial *t)
{
	const struct sweep_setup *s = w->s;
	bool done, stale;
	if (!claim_trial(w, t->index))
		return WORKER_CLAIMED;
	own_rows(w->store, t->index, w->hash[t->index], &done, &stale);
	if (done)
		return WORKER_DONE;
	if (stale && store_drop(w->store, t->index) != 0) {
		fprintf(stderr, "descent sweep: cannot rewrite %s: %s\n", w->store->results,
		        strerror(errno));
		return WORKER_NO_ROW;
	}
	char *text = NULL, log[8400], row[32768]; /* 32 axes of 600 bytes at most */
	for (int k = 0; k < 2; k++) { /* weights or a picture of an earlier, unfinished run */
		snprintf(log, sizeof log, "%s/trial-%d.%s", s->out, t->index, k ? "svg" : "safetensors");
		unlink(log);
	}
	omp_set_num_threads(w->threads);
	size_t size;
	FILE *messages = open_memstream(&text, &size);
	struct diag d;
	diag_init(&d, messages);
	/* the trial's values, as --set would set them, before folding: an expression of the
	 * block's own batch or epochs (lr = base * batch / 32) follows a swept value */
	struct ast *tree = ast_copy(w->unfolded);
	const struct ast *block = tree ? block_like(tree, w->tree, s->train) : NULL;
	if (block) {
		apply_values(tree, s, t, &d);
		trial_outputs(tree, s, t->index, &d);
	}
	struct train_metrics last = {0};
	char *sets = trial_sets(w, t);
	snprintf(log, sizeof log, "%s/trial-%d.jsonl", s->out, t->index);
	int status = block && d.errors == 0 && fold_file(tree, &d) && d.errors == 0
		&& check_file(tree, &d, NULL)
		? run_train_trial(w->file, tree, block, s->train_index, log, sets, &last, &d)
		: RUN_INPUT;
	ast_free(tree);
	free(sets);
	fclose(messages);
	char message[300] = "";
	if (status != RUN_OK && text) { /* the first line of what went wrong */
		snprintf(message, sizeof message, "%.*s", (int)strcspn(text, "\n"), text);
		for (char *c = message; *c; c++)
			*c = *c == '"' ? '\'' : *c;
	}
	free(text);
	row_text(row, sizeof row, t, s->columns, w->hash[t->index], status == RUN_OK ? "ok"
	         : status == RUN_DIVERGED ? "diverged" : "failed", &last, message);
	if (store_append(w->store, row) != 0) {
		fprintf(stderr, "descent sweep: cannot write trial %d's row to %s: %s\n", t->index,
		        w->store->results, strerror(errno));
		return WORKER_NO_ROW;
	}
	return status;
}

/* ---- the summary ---- */

struct config_summary {
	int config, n, example;         /* configuration, ok trials with a metric, one trial */
	int trials, diverged, failed;   /* its trials in the plan; how many diverged, failed */
	bool ranked;                    /* n > 0, and none diverged or failed */
	double mean, std, min, max, p;  /* the metric over seeds; p against the best */
};

/* Ranked configurations first, the better first; then the others in their order. */
static int compare_configs(const void *a, const void *b)
{
	const struct config_summary *x = a, *y = b;
	if (x->ranked != y->ranked)
		return x->ranked ? -1 : 1;
	if (!x->ranked)
		return (x->config > y->config) - (x->config < y->config);
	return (x->mean < y->mean) - (x->mean > y->mean);
}

/* The points of the configurations c[0 .. n-1] for the picture: each one's trials with a
 * value (their numbers into trials, values into values, from at) into configs. */
static void plot_configs(const struct sweep_setup *s, const struct sweep_plan *plan,
                         const struct config_summary *c, int n, const double *value,
                         char (*labels)[160], struct sweep_plot_config *configs, int *trials,
                         double *values)
{
	for (int k = 0, at = 0; k < n; k++) {
		configs[k] = (struct sweep_plot_config){labels[k], s->maximize ? c[k].mean : -c[k].mean,
		                                        trials + at, values + at, 0};
		for (int t = 0; t < plan->ntrials; t++)
			if (plan->trials[t].config == c[k].config && !isnan(value[t])) {
				trials[at] = plan->trials[t].index;
				values[at++] = value[t];
				configs[k].ntrials++;
			}
	}
}

/* summary.svg into out (sweep_plot.h): the first nranked configurations of c, each with
 * its trials' values and logs, and the first nreruns rerun groups of r. 0, or -1 when
 * memory runs out or a write fails. */
static int strip_plot(FILE *out, const struct sweep_setup *s, const struct sweep_plan *plan,
                      const struct config_summary *c, int nranked,
                      const struct config_summary *r, int nreruns, const double *value,
                      char (*labels)[160], char (*rerun_labels)[160])
{
	struct sweep_plot_config *configs = calloc((size_t)nranked + 1, sizeof *configs);
	struct sweep_plot_config *reruns = calloc((size_t)nreruns + 1, sizeof *reruns);
	int *trials = calloc((size_t)plan->ntrials + 1, sizeof *trials);
	double *values = calloc((size_t)plan->ntrials + 1, sizeof *values);
	int status = configs && reruns && trials && values ? 0 : -1, searched = 0;
	if (status == 0) {
		plot_configs(s, plan, c, nranked, value, labels, configs, trials, values);
		for (int k = 0; k < nranked; k++)
			searched += configs[k].ntrials;
		plot_configs(s, plan, r, nreruns, value, rerun_labels, reruns, trials + searched,
		             values + searched);
		status = sweep_plot_write(out, &(struct sweep_plot){s->out,
			train_metric_table[s->metric].name, s->maximize, configs, nranked, reruns, nreruns,
			s->reruns});
	}
	free(configs);
	free(reruns);
	free(trials);
	free(values);
	return status;
}

/* The statistics of configurations first .. first + count - 1 over their trials'
 * outcomes into c, unsorted. */
static void gather(const struct sweep_setup *s, const struct sweep_plan *plan,
                   const struct outcome *out, double *group, struct config_summary *c,
                   int first, int count)
{
	for (int k = 0; k < count; k++) {
		int n = 0;
		c[k] = (struct config_summary){.config = first + k, .example = -1, .min = INFINITY,
		                               .max = -INFINITY};
		for (int t = 0; t < plan->ntrials; t++) {
			if (plan->trials[t].config != first + k)
				continue;
			c[k].example = c[k].example < 0 ? t : c[k].example;
			c[k].trials++;
			c[k].diverged += out[t].status == 'd';
			c[k].failed += out[t].status == 'f';
			if (!isnan(out[t].metric)) {
				group[n++] = out[t].metric;
				c[k].min = fmin(c[k].min, out[t].metric);
				c[k].max = fmax(c[k].max, out[t].metric);
			}
		}
		c[k].n = n;
		c[k].ranked = n > 0 && c[k].diverged == 0 && c[k].failed == 0;
		stats_mean_std(group, n, &c[k].mean, &c[k].std);
		if (!s->maximize)
			c[k].mean = -c[k].mean; /* rank by "better": sorted descending */
	}
}

/* ---- Schmidt et al.'s reruns (rerun_best = N) ---- */

enum { MAX_KINDS = 64 };

/* The optimizer of trial t as its kind ("adam"): its swept optimizer, or the block's. */
static const char *trial_kind(const struct sweep_setup *s, const struct sweep_trial *t)
{
	for (int v = 0; v < t->nvalues; v++)
		if (strcmp(t->values[v].key, "optimizer") == 0 && t->values[v].value->str)
			return t->values[v].value->str;
	const struct ast *o = ast_value(s->train, "optimizer");
	return o && o->str ? o->str : "optimizer";
}

/* The optimizer kinds of the search's trials in the order they first appear, into kinds
 * (at most MAX_KINDS); how many. */
static int search_kinds(const struct sweep_setup *s, const struct sweep_plan *plan,
                        const char **kinds)
{
	int n = 0;
	for (int t = 0; t < plan->nsearch; t++) {
		const char *kind = trial_kind(s, &plan->trials[t]);
		int i = 0;
		while (i < n && strcmp(kinds[i], kind) != 0)
			i++;
		if (i == n && n < MAX_KINDS)
			kinds[n++] = kind;
	}
	return n;
}

/* The first seed of the reruns: one more than the largest seed of the search. */
static double first_rerun_seed(const struct sweep_plan *plan)
{
	double max = 0;
	for (int t = 0; t < plan->nsearch; t++)
		for (int v = 0; v < plan->trials[t].nvalues; v++) {
			const struct sweep_value *x = &plan->trials[t].values[v];
			if (strcmp(x->key, "seed") == 0 && x->value->kind == AST_NUM)
				max = fmax(max, x->value->num);
		}
	return max + 1;
}

/* Whether every trial of the search has a row made with its current settings. */
static bool search_complete(const struct sweep_plan *plan, const struct outcome *out)
{
	for (int t = 0; t < plan->nsearch; t++)
		if (out[t].status == 0)
			return false;
	return true;
}

/* Once every search trial has a row (out: the outcomes of the search), appends the
 * reruns to the plan, with their identities: for each optimizer kind, its ranked
 * configuration with the best mean of the metric over the search's seeds, with N new
 * seeds. A kind whose configurations all diverged or failed has none. Does nothing when
 * the search is incomplete or the reruns are planned. 0, or -1 when memory runs out. */
static int plan_reruns(const struct sweep_run *w, const struct outcome *out)
{
	struct sweep_plan *plan = w->plan;
	const struct sweep_setup *s = w->s;
	if (s->reruns == 0 || plan->ntrials > plan->nsearch || !search_complete(plan, out))
		return 0;
	const char *kinds[MAX_KINDS];
	int nkinds = search_kinds(s, plan, kinds), best[MAX_KINDS], nbest = 0;
	double *group = calloc((size_t)plan->nsearch + 1, sizeof *group);
	struct config_summary *c = calloc((size_t)plan->nconfigs + 1, sizeof *c);
	int status = group && c ? 0 : -1;
	if (status == 0)
		gather(s, plan, out, group, c, 0, plan->nconfigs); /* mean: higher is better */
	for (int i = 0; status == 0 && i < nkinds; i++) {
		int b = -1;
		for (int k = 0; k < plan->nconfigs; k++)
			if (c[k].ranked && strcmp(trial_kind(s, &plan->trials[c[k].example]), kinds[i]) == 0
			    && (b < 0 || c[k].mean > c[b].mean))
				b = k;
		if (b >= 0)
			best[nbest++] = c[b].example;
	}
	int had = plan->ntrials;
	if (status == 0)
		status = sweep_add_reruns(plan, best, nbest, s->reruns, first_rerun_seed(plan));
	for (int t = had; status == 0 && t < plan->ntrials; t++)
		w->hash[t] = trial_hash(w->file, w->tree, s, &plan->trials[t]);
	free(group);
	free(c);
	return status;
}

/* Why configuration c is not ranked, into why. */
static void unranked_reason(const struct config_summary *c, const char *metric, char *why,
                            size_t size)
{
	if (c->diverged || c->failed)
		snprintf(why, size, "%d of %d trial%s %s%s%.0d%s", c->diverged ? c->diverged : c->failed,
		         c->trials, c->trials == 1 ? "" : "s", c->diverged ? "diverged" : "failed",
		         c->diverged && c->failed ? ", " : "", c->diverged && c->failed ? c->failed : 0,
		         c->diverged && c->failed ? " failed" : "");
	else if (c->n == 0)
		snprintf(why, size, "no trial has a %s yet", metric);
}

/* The configuration's swept values (seed aside): for people into values, as CSV fields
 * (each after a comma) into fields. */
static void config_values(const struct sweep_trial *t, char *values, size_t vsize, char *fields,
                          size_t fsize)
{
	*values = *fields = '\0';
	for (int v = 0; v < t->nvalues; v++) {
		char text[600];
		if (strcmp(t->values[v].key, "seed") == 0)
			continue;
		value_text(t->values[v].value, text, sizeof text, false);
		snprintf(values + strlen(values), vsize - strlen(values), "%s%s=%.200s", *values ? " " : "",
		         t->values[v].key, text);
		value_text(t->values[v].value, text, sizeof text, true);
		snprintf(fields + strlen(fields), fsize - strlen(fields), ",%s", text);
	}
}

/* A file's text made in memory (open_memstream). */
struct text {
	char *bytes;
	size_t len;
};

static int write_text(FILE *out, const void *data)
{
	const struct text *t = data;
	return t->bytes && fwrite(t->bytes, 1, t->len, out) == t->len ? 0 : -1;
}

/* Writes the text made in memory in f (closed here) to the file name of the sweep folder
 * whole: a unique temporary renamed over it, so that shards ending together never mix
 * their summaries. RUN_OK, or RUN_INPUT after saying why. */
static int write_whole(const struct sweep_setup *s, const char *name, FILE *f, struct text *t)
{
	char path[8400], err[8600];
	snprintf(path, sizeof path, "%s/%s", s->out, name);
	bool made = f && fclose(f) == 0;
	int status = made && out_write_atomic(path, write_text, t, err, sizeof err) == 0 ? RUN_OK
		: RUN_INPUT;
	if (status != RUN_OK)
		fprintf(stderr, "descent sweep: %s\n", made ? err : "out of memory");
	free(t->bytes);
	*t = (struct text){0};
	return status;
}

/* c[k]'s p against the best, c[0] (NaN for the best and for fewer than two seeds). */
static double p_vs_best(const struct config_summary *c, int k)
{
	return k == 0 || c[k].n < 2 || c[0].n < 2 ? NAN
		: stats_welch(c[0].mean, c[0].std, c[0].n, c[k].mean, c[k].std, c[k].n).p;
}

/* The search's table and its rows of summary.csv (f, when open; with reruns each row
 * starts with "search" and the optimizer), labels for the picture; how many
 * configurations are ranked. */
static int search_table(FILE *f, const struct sweep_setup *s, const struct sweep_plan *plan,
                        struct config_summary *c, char (*labels)[160])
{
	printf("sweep of %s: %d trial%s, %d configuration%s, ranked by %s %s\n",
	       s->train->str ? s->train->str : "train", plan->nsearch, plan->nsearch == 1 ? "" : "s",
	       plan->nconfigs, plan->nconfigs == 1 ? "" : "s", s->maximize ? "max" : "min",
	       train_metric_table[s->metric].name);
	int nranked = 0;
	for (int k = 0; k < plan->nconfigs; k++) {
		double mean = s->maximize ? c[k].mean : -c[k].mean;
		char values[512], fields[2048], why[200] = "";
		config_values(&plan->trials[c[k].example], values, sizeof values, fields, sizeof fields);
		snprintf(labels[k], sizeof labels[k], "%d: %.140s", k + 1, values);
		nranked += c[k].ranked;
		if (f && s->reruns)
			fprintf(f, "search,%s,", trial_kind(s, &plan->trials[c[k].example]));
		if (f)
			fprintf(f, "%d%s", c[k].config, fields);
		if (!c[k].ranked) { /* after the ranked ones: no rank, no statistics */
			unranked_reason(&c[k], train_metric_table[s->metric].name, why, sizeof why);
			printf("%3s  %-48s  not ranked: %s\n", "-", values, why);
			if (f)
				fprintf(f, ",%d,nan,nan,nan,nan,nan\n", c[k].n);
			continue;
		}
		c[k].p = p_vs_best(c, k);
		const char *mark = k == 0 ? "best" : !isnan(c[k].p) && c[k].p > 0.05
			? "within seed noise of the best (Welch p > 0.05)" : "";
		printf("%3d  %-48s  n %d  mean %.4f  std %.4f  %s\n", k + 1, values, c[k].n, mean,
		       c[k].std, mark);
		if (f)
			fprintf(f, ",%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", c[k].n, mean, c[k].std, c[k].min,
			        c[k].max, c[k].p);
	}
	return nranked;
}

/* Each pair of ranked reruns r[0 .. n-1] whose means differ beyond seed noise (Welch
 * p <= 0.05), better first; or that none does. */
static void rerun_pairs(const struct sweep_setup *s, const struct sweep_plan *plan,
                        const struct config_summary *r, int n)
{
	int beyond = 0, pairs = 0;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			if (!r[i].ranked || !r[j].ranked || r[i].n < 2 || r[j].n < 2)
				continue;
			pairs++;
			double p = stats_welch(r[i].mean, r[i].std, r[i].n, r[j].mean, r[j].std, r[j].n).p;
			if (!(p <= 0.05))
				continue;
			printf("%s%s %s %s (Welch p %.2g)", beyond++ ? ", " : "beyond seed noise: ",
			       trial_kind(s, &plan->trials[r[i].example]), s->maximize ? ">" : "<",
			       trial_kind(s, &plan->trials[r[j].example]), p);
		}
	if (beyond)
		printf("; every other difference is within seed noise (Welch p > 0.05)\n");
	else if (pairs)
		printf("no difference between the optimizers exceeds seed noise (Welch p > 0.05 for "
		       "each pair)\n");
}

/* The reruns' table (each optimizer's best configuration over the new seeds: n, mean,
 * std, min, max, against the best), which differences exceed seed noise, and their rows
 * of summary.csv (f, when open); labels for the picture. How many are ranked. */
static int rerun_table(FILE *f, const struct sweep_setup *s, const struct sweep_plan *plan,
                       struct config_summary *r, int n, char (*labels)[160])
{
	if (s->reruns == 0)
		return 0;
	double seed = first_rerun_seed(plan);
	printf("rerun of the best configuration of each optimizer with %d new seed%s (%.17g..%.17g), "
	       "by %s %s:\n", s->reruns, s->reruns == 1 ? "" : "s", seed, seed + s->reruns - 1,
	       s->maximize ? "max" : "min", train_metric_table[s->metric].name);
	int nranked = 0;
	for (int k = 0; k < n; k++) {
		double mean = s->maximize ? r[k].mean : -r[k].mean;
		char values[512], fields[2048], why[200] = "";
		const struct sweep_trial *t = &plan->trials[r[k].example];
		const char *kind = trial_kind(s, t);
		config_values(t, values, sizeof values, fields, sizeof fields);
		snprintf(labels[k], sizeof labels[k], "%d: %s  %.130s", k + 1, kind, values);
		nranked += r[k].ranked;
		if (f)
			fprintf(f, "rerun,%s,%d%s", kind, t->searched, fields);
		if (!r[k].ranked) {
			unranked_reason(&r[k], train_metric_table[s->metric].name, why, sizeof why);
			printf("%3s  %-8s %-39s  not ranked: %s\n", "-", kind, values, why);
			if (f)
				fprintf(f, ",%d,nan,nan,nan,nan,nan\n", r[k].n);
			continue;
		}
		r[k].p = p_vs_best(r, k);
		const char *mark = k == 0 ? "best" : !isnan(r[k].p) && r[k].p > 0.05
			? "within seed noise of the best (Welch p > 0.05)" : "";
		printf("%3d  %-8s %-39s  n %d  mean %.4f  std %.4f  min %.4f  max %.4f  %s\n", k + 1,
		       kind, values, r[k].n, mean, r[k].std, r[k].min, r[k].max, mark);
		if (f)
			fprintf(f, ",%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", r[k].n, mean, r[k].std, r[k].min,
			        r[k].max, r[k].p);
	}
	rerun_pairs(s, plan, r, nranked);
	const char *kinds[MAX_KINDS];
	for (int i = 0, nkinds = search_kinds(s, plan, kinds); i < nkinds; i++) {
		bool rerun = false;
		for (int k = 0; k < n; k++)
			rerun |= strcmp(trial_kind(s, &plan->trials[r[k].example]), kinds[i]) == 0;
		if (!rerun)
			printf("%s: not rerun, no configuration of it is ranked in the search (each "
			       "diverged or failed)\n", kinds[i]);
	}
	return nranked;
}

/* summary.csv, the tables and summary.svg from the sorted configurations c[0 ..
 * nconfigs-1] of the search and the sorted reruns c[nconfigs ..] (nreruns). RUN_OK, or
 * RUN_INPUT when a summary file cannot be written (said). */
static int report(const struct sweep_setup *s, const struct sweep_plan *plan,
                  struct config_summary *c, int nreruns, const double *value,
                  char (*labels)[160])
{
	struct text csv = {0}, svg = {0};
	FILE *f = open_memstream(&csv.bytes, &csv.len);
	const struct sweep_trial *first = &plan->trials[0];
	if (f) {
		fputs(s->reruns ? "stage,optimizer_kind,config" : "config", f);
		for (int v = 0; v < first->nvalues; v++)
			if (strcmp(first->values[v].key, "seed") != 0)
				fprintf(f, ",%s", first->values[v].key);
		fprintf(f, ",n,mean,std,min,max,p_vs_best\n");
	}
	int nranked = search_table(f, s, plan, c, labels);
	struct config_summary *r = c + plan->nconfigs;
	int rranked = rerun_table(f, s, plan, r, nreruns, labels + plan->nconfigs);
	int status = write_whole(s, "summary.csv", f, &csv);
	FILE *plot = open_memstream(&svg.bytes, &svg.len);
	if (plot && strip_plot(plot, s, plan, c, nranked, r, rranked, value, labels,
	                       labels + plan->nconfigs) != 0) {
		fclose(plot); /* said by write_whole as out of memory */
		plot = NULL;
	}
	return write_whole(s, "summary.svg", plot, &svg) == RUN_OK ? status : RUN_INPUT;
}

/* summary.csv, summary.svg and the ranked tables, from the outcomes out of every trial
 * (rows made with the current settings). */
static int summarize(const struct sweep_run *w, const struct outcome *out)
{
	const struct sweep_plan *plan = w->plan;
	int nreruns = w->s->reruns ? (plan->ntrials - plan->nsearch) / w->s->reruns : 0;
	int groups = plan->nconfigs + nreruns;
	double *value = calloc((size_t)plan->ntrials, sizeof *value);
	double *group = calloc((size_t)plan->ntrials, sizeof *group);
	struct config_summary *c = calloc((size_t)groups, sizeof *c);
	char (*labels)[160] = calloc((size_t)groups, sizeof *labels);
	int status = value && group && c && labels ? RUN_OK : RUN_INPUT;
	if (status == RUN_OK) {
		for (int t = 0; t < plan->ntrials; t++) /* the points of ranked configurations */
			value[t] = out[t].metric;
		gather(w->s, plan, out, group, c, 0, plan->nconfigs);
		qsort(c, (size_t)plan->nconfigs, sizeof *c, compare_configs);
		gather(w->s, plan, out, group, c + plan->nconfigs, plan->nconfigs, nreruns);
		qsort(c + plan->nconfigs, (size_t)nreruns, sizeof *c, compare_configs);
		status = report(w->s, plan, c, nreruns, value, labels);
	}
	free(value);
	free(group);
	free(c);
	free(labels);
	return status;
}

/* ---- the whole sweep's state ---- */

/* The trials without a row made with their current settings, listed into buf ("1, 3,
 * 5", the first 20); how many. */
static int list_missing(const struct sweep_plan *plan, const struct outcome *out, char *buf,
                        size_t size)
{
	int missing = 0;
	size_t n = 0;
	*buf = '\0';
	for (int t = 0; t < plan->ntrials; t++) {
		if (out[t].status != 0)
			continue;
		if (missing < 20)
			n += (size_t)snprintf(buf + n, size - n, "%s%d", missing ? ", " : "", t);
		else if (missing == 20)
			n += (size_t)snprintf(buf + n, size - n, ", ...");
		missing++;
		n = n < size ? n : size - 1;
	}
	return missing;
}

/* The command that reruns this sweep with the same settings: FILE, extra (" --summary"
 * or a shard), then the --set options. */
static void command_text(const char *file, const struct sweep_options *o, const char *extra,
                         char *buf, size_t size)
{
	snprintf(buf, size, "descent sweep %s%s%s", file, extra, o->again ? o->again : "");
}

/* The outcomes of every trial (capacity of them), the reruns planned first when the
 * search is complete and they are not yet; NULL when memory runs out (said). */
static struct outcome *read_all(const struct sweep_run *w)
{
	struct outcome *out = calloc((size_t)w->capacity, sizeof *out);
	if (out) {
		read_outcomes(w->store, w->plan, w->hash, w->s->metric, out);
		if (w->plan->ntrials == w->plan->nsearch && plan_reruns(w, out) != 0) {
			free(out);
			out = NULL;
		} else if (w->plan->ntrials > w->plan->nsearch)
			read_outcomes(w->store, w->plan, w->hash, w->s->metric, out);
	}
	if (!out)
		fprintf(stderr, "descent sweep: out of memory\n");
	return out;
}

/* After this process's trials: when every trial of the whole sweep has a row, the ranked
 * table and summary files (they are final); else a line that says how many trials of the
 * whole sweep have results and which have none, and no table (a shard's partial counts
 * would look final). */
static int finish(const struct sweep_run *w, const struct sweep_options *o)
{
	const struct sweep_plan *plan = w->plan;
	char missing[200], shard[64] = "", command[8400];
	struct outcome *out = read_all(w);
	if (!out)
		return RUN_INPUT;
	int n = list_missing(plan, out, missing, sizeof missing), status = RUN_OK;
	if (n == 0) {
		status = summarize(w, out);
	} else {
		if (o->shards > 1)
			snprintf(shard, sizeof shard, " (shard %d/%d)", o->shard, o->shards);
		command_text(w->file, o, " --summary", command, sizeof command);
		printf("sweep of %s%s: %d of %d trial%s of the whole sweep %s results; no row yet: %s\n"
		       "not ranked until every trial has a row; then this ranks them: %s\n",
		       w->s->train->str ? w->s->train->str : "train", shard, plan->ntrials - n,
		       plan->ntrials, plan->ntrials == 1 ? "" : "s", plan->ntrials - n == 1 ? "has"
		       : "have", missing, command);
		if (w->s->reruns && plan->ntrials == plan->nsearch)
			printf("then the best configuration of each optimizer runs again with %d new "
			       "seed%s (rerun_best), once every trial of the search has a row\n",
			       w->s->reruns, w->s->reruns == 1 ? "" : "s");
	}
	free(out);
	return status;
}

/* `--summary`: the ranked table and summary files, refused (RUN_INPUT, naming the trials)
 * while a trial of the sweep has no row made with its current settings. */
static int summary_only(const struct sweep_run *w, const struct sweep_options *o)
{
	const struct sweep_plan *plan = w->plan;
	char missing[200], command[8400];
	struct outcome *out = read_all(w);
	if (!out)
		return RUN_INPUT;
	int n = list_missing(plan, out, missing, sizeof missing), status;
	if (n == 0) {
		status = summarize(w, out);
	} else {
		command_text(w->file, o, "", command, sizeof command);
		fprintf(stderr, "descent sweep: %s: %d of %d trial%s %s no row made with the current "
		        "settings: %s; no summary until every trial has one (run them: %s, or the "
		        "shards that hold them; a row made before a change of the --set values, the "
		        "file's blocks, or the data files' size or modification time does not "
		        "count)\n",
		        w->store->results, n, plan->ntrials, plan->ntrials == 1 ? "" : "s",
		        n == 1 ? "has" : "have", missing, command);
		if (w->s->reruns && plan->ntrials == plan->nsearch)
			fprintf(stderr, "descent sweep: the reruns of the best configuration of each "
			        "optimizer (rerun_best = %d) follow once every trial of the search has a "
			        "row\n", w->s->reruns);
		status = RUN_INPUT;
	}
	free(out);
	return status;
}

/* --list's line of trial t. */
static void list_trial(const struct sweep_setup *s, const struct sweep_trial *trial)
{
	const struct ast *base = ast_value(s->train, "seed");
	char base_seed[64], values[512], fields[2048], text[600];
	const char *seed = base_seed;
	snprintf(base_seed, sizeof base_seed, "%.17g", base && base->kind == AST_NUM ? base->num : 0);
	for (int v = 0; v < trial->nvalues; v++)
		if (strcmp(trial->values[v].key, "seed") == 0) {
			value_text(trial->values[v].value, text, sizeof text, false);
			seed = text;
		}
	config_values(trial, values, sizeof values, fields, sizeof fields);
	printf("%5d  %6d  %4s  %s\n", trial->index, trial->config, seed, values);
}

/* --list's lines on the reruns: those planned (of the shard), or what follows the search
 * until it is complete. */
static int list_reruns(const struct sweep_setup *s, const struct sweep_plan *plan,
                       const struct sweep_options *o)
{
	const char *kinds[MAX_KINDS];
	int nkinds = search_kinds(s, plan, kinds), listed = 0;
	if (plan->ntrials > plan->nsearch) {
		printf("reruns (rerun_best = %d): the best configuration of each optimizer, new seeds\n",
		       s->reruns);
		for (int t = plan->nsearch; t < plan->ntrials; t++)
			if (sweep_in_shard(t, o->shard, o->shards)) {
				list_trial(s, &plan->trials[t]);
				listed++;
			}
		return listed;
	}
	printf("then %d rerun trials (rerun_best = %d) follow the search, numbered from %d: the "
	       "best configuration of each of the %d optimizer%s (", s->reruns * nkinds, s->reruns,
	       plan->nsearch, nkinds, nkinds == 1 ? "" : "s");
	for (int i = 0; i < nkinds; i++)
		printf("%s%s", i ? ", " : "", kinds[i]);
	printf(") with seeds %.17g..%.17g; they are listed once every trial of the search has a "
	       "row\n", first_rerun_seed(plan), first_rerun_seed(plan) + s->reruns - 1);
	return 0;
}

/* `--list`: each trial of the sweep (of the shard, with --shard) with its configuration,
 * seed and values, then their count; with rerun_best, the reruns (planned when the
 * search is complete: w's store is then open, else NULL); runs nothing. */
static void list_trials(const struct sweep_run *w, const struct sweep_options *o)
{
	const struct sweep_setup *s = w->s;
	const struct sweep_plan *plan = w->plan;
	int listed = 0;
	printf("trial  config  seed  values\n");
	for (int t = 0; t < plan->nsearch; t++)
		if (sweep_in_shard(t, o->shard, o->shards)) {
			list_trial(s, &plan->trials[t]);
			listed++;
		}
	if (s->reruns && w->store)
		free(read_all(w));
	if (s->reruns)
		listed += list_reruns(s, plan, o);
	char reruns[80] = "";
	if (plan->ntrials > plan->nsearch)
		snprintf(reruns, sizeof reruns, " (%d of the search, %d reruns)", plan->nsearch,
		         plan->ntrials - plan->nsearch);
	if (o->shards > 1)
		printf("%d of %d trials%s (shard %d/%d), %d configuration%s\n", listed, plan->ntrials,
		       reruns, o->shard, o->shards, plan->nconfigs, plan->nconfigs == 1 ? "" : "s");
	else
		printf("%d trial%s%s, %d configuration%s\n", plan->ntrials,
		       plan->ntrials == 1 ? "" : "s", reruns, plan->nconfigs,
		       plan->nconfigs == 1 ? "" : "s");
}

/* ---- the sweep ---- */

/* ---- rows found under another number ---- */

/* A row's hash and the number it had when the sweep began. */
struct found {
	uint64_t hash;
	int index;
};

static int compare_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	return (x->hash > y->hash) - (x->hash < y->hash);
}

/* Exchanges the files of trials a and b in the sweep folder (missing ones too). */
static void swap_files(const struct sweep_setup *s, int a, int b)
{
	static const char *const suffix[] = {"jsonl", "safetensors", "svg"};
	for (int k = 0; k < 3; k++) {
		char pa[8400], pb[8400], tmp[8500];
		snprintf(pa, sizeof pa, "%s/trial-%d.%s", s->out, a, suffix[k]);
		snprintf(pb, sizeof pb, "%s/trial-%d.%s", s->out, b, suffix[k]);
		snprintf(tmp, sizeof tmp, "%s.swap", pa);
		bool had_a = rename(pa, tmp) == 0;
		rename(pb, pa);
		if (had_a)
			rename(tmp, pb);
	}
}

/* The index space of a reconciliation: each number's row (by its first number). */
struct places {
	int span;       /* numbers 0 .. span-1 */
	int *orig;      /* (span) the first number of the row now at each number, or -1 */
	int *pos;       /* (span) where the row first numbered k is now, or -1 */
	uint64_t *hash; /* (span) the hash of the row first numbered k */
	bool *claimed;  /* (span) this process holds the number's claim */
};

/* Whether the row now at number p is not the row of trial p (so it may move). */
static bool misplaced(const struct sweep_run *w, const struct places *pl, int p)
{
	return pl->orig[p] >= 0 && (p >= w->plan->ntrials || w->hash[p] != pl->hash[pl->orig[p]]);
}

/* A row with trial t's hash standing where it is not anyone's, or -1. */
static int find_moved(const struct sweep_run *w, const struct places *pl, const struct found *f,
                      int nf, int t)
{
	struct found key = {w->hash[t], 0}, *at = bsearch(&key, f, (size_t)nf, sizeof *f,
	                                                  compare_found);
	while (at && at > f && at[-1].hash == key.hash)
		at--;
	for (; at && at < f + nf && at->hash == key.hash; at++) {
		int p = pl->pos[at->index];
		if (p >= 0 && p != t && misplaced(w, pl, p))
			return p;
	}
	return -1;
}

/* Takes the claims of a and b (keeping those already held); false if another process
 * holds one. */
static bool claim_both(const struct sweep_run *w, struct places *pl, int a, int b)
{
	for (int k = 0, n[2] = {a, b}; k < 2; k++) {
		if (!pl->claimed[n[k]] && !store_claim(w->store, n[k]))
			return false;
		pl->claimed[n[k]] = true;
	}
	return true;
}

/* Moves the rows (and files) of this shard's trials that results.csv holds under another
 * number, as after a list was reordered, to their trial's number, exchanging with what
 * stood there; with results.csv held and both numbers claimed. Returns how many trials
 * got their row so. */
static int move_found_rows(const struct sweep_run *w, const struct sweep_options *o,
                           const struct sweep_rows *rows)
{
	struct places pl = {w->plan->ntrials};
	for (int r = 0; r < rows->n; r++)
		pl.span = rows->row[r].index + 1 > pl.span ? rows->row[r].index + 1 : pl.span;
	pl.orig = malloc((size_t)pl.span * sizeof *pl.orig);
	pl.pos = malloc((size_t)pl.span * sizeof *pl.pos);
	pl.hash = calloc((size_t)pl.span, sizeof *pl.hash);
	pl.claimed = calloc((size_t)pl.span, sizeof *pl.claimed);
	struct found *f = malloc(((size_t)rows->n + 1) * sizeof *f);
	int moved = 0, swaps = 0;
	for (int k = 0; pl.orig && pl.pos && k < pl.span; k++)
		pl.orig[k] = pl.pos[k] = -1;
	for (int r = 0; f && pl.orig && pl.pos && pl.hash && r < rows->n; r++) {
		int k = rows->row[r].index;
		f[r] = (struct found){rows->row[r].hash, k};
		pl.orig[k] = pl.pos[k] = k;
		pl.hash[k] = rows->row[r].hash;
	}
	if (f && pl.orig && pl.pos && pl.hash && pl.claimed) {
		qsort(f, (size_t)rows->n, sizeof *f, compare_found);
		for (int t = 0; t < w->plan->ntrials; t++) {
			if (!sweep_in_shard(t, o->shard, o->shards) || (pl.orig[t] >= 0 && !misplaced(w, &pl, t)))
				continue;
			int p = find_moved(w, &pl, f, rows->n, t);
			if (p < 0 || !claim_both(w, &pl, t, p))
				continue;
			swap_files(w->s, t, p);
			int a = pl.orig[t], b = pl.orig[p];
			pl.orig[t] = b;
			pl.orig[p] = a;
			if (a >= 0)
				pl.pos[a] = p;
			pl.pos[b] = t;
			swaps++;
		}
		for (int t = 0; t < w->plan->ntrials; t++) /* trials whose row came from elsewhere */
			moved += pl.orig[t] >= 0 && pl.orig[t] != t && !misplaced(w, &pl, t);
		for (int k = 0; k < pl.span; k++) /* the new number of each row */
			pl.pos[k] = pl.pos[k] < 0 ? k : pl.pos[k];
		if (swaps && store_renumber(w->store, pl.pos, pl.span) != 0)
			fprintf(stderr, "descent sweep: cannot rewrite %s: %s\n", w->store->results,
			        strerror(errno));
		for (int k = 0; k < pl.span; k++)
			if (pl.claimed[k])
				store_release(w->store, k);
	}
	free(pl.orig);
	free(pl.pos);
	free(pl.hash);
	free(pl.claimed);
	free(f);
	return moved;
}

/* Reads which trials results.csv holds with their current settings (done), having moved
 * the rows found under another number to their trial's, and says, when it held any row,
 * how many of this shard's trials from number from on (the search's, 0, or the reruns')
 * are reused, rerun because their settings changed, and new. */
static void read_done(const struct sweep_run *w, const struct sweep_options *o, int from,
                      bool *done)
{
	struct sweep_rows rows;
	int ntrials = w->plan->ntrials, reused = 0, changed = 0, fresh = 0, moved = 0;
	char *stale = calloc((size_t)ntrials, 1);
	store_lock(w->store);
	int status = stale ? store_read(w->store, &rows) : -1;
	if (status == 0 && (moved = move_found_rows(w, o, &rows)) > 0) {
		store_rows_free(&rows);
		status = store_read(w->store, &rows);
	}
	store_unlock(w->store);
	if (status != 0) {
		free(stale);
		return;
	}
	for (int r = 0; r < rows.n; r++) {
		int t = rows.row[r].index;
		if (t < ntrials && rows.row[r].hash == w->hash[t])
			done[t] = true;
		else if (t < ntrials)
			stale[t] = 1;
	}
	for (int t = from; t < ntrials; t++)
		if (sweep_in_shard(t, o->shard, o->shards)) {
			reused += done[t];
			changed += !done[t] && stale[t];
			fresh += !done[t] && !stale[t];
		}
	char renumbered[100] = "";
	if (moved)
		snprintf(renumbered, sizeof renumbered, " (%d found under another number and "
		         "renumbered, with %s files)", moved, moved == 1 ? "its" : "their");
	if (rows.n > 0 && (from == 0 || reused + changed > 0)) /* reruns: the search's rows */
		fprintf(stderr, "sweep: %d %strial%s reused from %s%s, %d rerun because %s settings "
		        "changed%s, %d new\n", reused, from ? "rerun " : "", reused == 1 ? "" : "s",
		        w->store->results, renumbered, changed, changed == 1 ? "its" : "their",
		        changed ? " (--set values, the file's blocks, or the data files' size or "
		        "modification time)" : "", fresh);
	store_rows_free(&rows);
	free(stale);
}

/* Says which trials another process was running (this one skipped them). */
static void report_skipped(const struct sweep_run *w, const int *skipped, int n)
{
	if (n == 0)
		return;
	fprintf(stderr, "sweep: %d trial%s skipped: another process was running %s (", n,
	        n == 1 ? "" : "s", n == 1 ? "it" : "them");
	for (int i = 0; i < n && i < 10; i++)
		fprintf(stderr, "%s%d", i ? ", " : "", skipped[i]);
	fprintf(stderr, "%s); %s will be in %s when it ends\n", n > 10 ? ", ..." : "",
	        n == 1 ? "its row" : "their rows", w->store->results);
}

/* A trial of this run that failed: its row says so (signal 0), or its worker died of
 * signal before writing one. */
struct failure {
	int trial, signal;
};

/* Says which trials of this run failed, if any. */
static void report_failed(const struct failure *failures, int n)
{
	int rows = 0;
	for (int i = 0; i < n; i++)
		if (failures[i].signal)
			fprintf(stderr, "descent sweep: trial %d's worker died of signal %d (killed, out of "
			        "memory?); it has no row, and a rerun runs it\n", failures[i].trial,
			        failures[i].signal);
		else
			rows++;
	if (rows == 0)
		return;
	fprintf(stderr, "descent sweep: %d trial%s of this run failed (", rows, rows == 1 ? "" : "s");
	for (int i = 0, k = 0; i < n && k < 10; i++)
		if (!failures[i].signal)
			fprintf(stderr, "%s%d", k++ ? ", " : "", failures[i].trial);
	fprintf(stderr, "%s); the message column of results.csv says why\n", rows > 10 ? ", ..." : "");
}

/* The worker processes of this run and what they did. */
struct pool {
	struct worker *workers;   /* (jobs) */
	bool *done;               /* (capacity) the trial has its row */
	int *skipped;             /* (capacity) trials another process was running */
	struct failure *failures; /* (capacity + 1) */
	int running, finished, pending, nskipped, elsewhere, failed;
	bool cannot_fork, no_row;
	double start;
};

/* Runs this shard's trials from number from on that have no row, jobs at once, until
 * they end or the sweep is interrupted. */
static void run_trials(const struct sweep_run *w, const struct sweep_options *o,
                       struct pool *p, int from)
{
	const struct sweep_plan *plan = w->plan;
	for (int t = from; t < plan->ntrials || p->running > 0;) {
		bool stopping = o->interrupt && *o->interrupt;
		if (stopping)
			stop_workers(p->workers, o->jobs);
		if (!stopping && t < plan->ntrials
		    && (p->done[t] || !sweep_in_shard(t, o->shard, o->shards))) {
			t++;
			continue;
		}
		if (!stopping && t < plan->ntrials && p->running < o->jobs) {
			pid_t pid = fork();
			if (pid == 0) {
				signal(SIGINT, SIG_DFL); /* a worker dies of them at once */
				signal(SIGTERM, SIG_DFL);
				_exit(run_trial(w, &plan->trials[t]));
			}
			if (pid < 0 && p->running == 0) { /* no worker to wait for before trying again */
				fprintf(stderr, "descent sweep: cannot start a worker: %s\n", strerror(errno));
				p->cannot_fork = true;
				break;
			}
			if (pid > 0) { /* else: try trial t again once a worker has ended */
				p->running += add_worker(p->workers, o->jobs, pid, t);
				t++;
				continue;
			}
		}
		if (p->running == 0)
			break;
		int how;
		pid_t ended = wait(&how);
		if (ended > 0) {
			int trial = remove_worker(p->workers, o->jobs, ended), code = WIFEXITED(how)
				? WEXITSTATUS(how) : -1;
			p->running--;
			if (code == WORKER_CLAIMED)
				p->skipped[p->nskipped++] = trial;
			p->elsewhere += code == WORKER_DONE;
			p->no_row |= code == WORKER_NO_ROW;
			if (code == RUN_INPUT || !WIFEXITED(how)) /* its row says failed, or it died */
				p->failures[p->failed++] = (struct failure){trial, WIFEXITED(how) ? 0
					: WIFSIGNALED(how) ? WTERMSIG(how) : -1};
			p->finished += WIFEXITED(how) && code != WORKER_CLAIMED && code != WORKER_DONE;
			if (!o->quiet && !stopping)
				progress(w, p->finished, p->finished + p->nskipped + p->elsewhere, p->running,
				         p->pending, now() - p->start);
		}
	}
}

/* Once the search is complete (this run may have completed it), plans the reruns and
 * runs this shard's share of them. false when memory runs out (said). */
static bool run_reruns(const struct sweep_run *w, const struct sweep_options *o,
                       struct pool *p)
{
	const struct sweep_plan *plan = w->plan;
	struct outcome *out = read_all(w);
	free(out);
	if (!out)
		return false;
	if (plan->ntrials == plan->nsearch)
		return true; /* the search is incomplete, or no optimizer has a ranked configuration */
	read_done(w, o, plan->nsearch, p->done);
	int mine = 0;
	for (int t = plan->nsearch; t < plan->ntrials; t++)
		if (!p->done[t] && sweep_in_shard(t, o->shard, o->shards))
			mine++;
	p->pending += mine;
	if (mine > 0 && !o->quiet)
		fprintf(stderr, "sweep: the search is complete; %d trial%s rerun%s the best "
		        "configuration of each optimizer with new seeds (rerun_best = %d)\n", mine,
		        mine == 1 ? "" : "s", mine == 1 ? "s" : "", w->s->reruns);
	run_trials(w, o, p, plan->nsearch);
	return true;
}

/* Says how this run was interrupted and which command runs the rest. */
static void report_interrupted(const struct sweep_run *w, const struct sweep_options *o,
                               const struct pool *p)
{
	char shard[64] = "", command[8400];
	if (o->shards > 1)
		snprintf(shard, sizeof shard, " --shard %d/%d", o->shard, o->shards);
	command_text(w->file, o, shard, command, sizeof command);
	fprintf(stderr, "%ssweep interrupted: %d of %d trials of this run finished (rows of "
	        "%s); %s runs the rest\n", isatty(STDERR_FILENO) ? "\r\033[K" : "",
	        p->finished, p->pending, w->store->results, command);
}

/* The trials the plan can grow to: the search's and N reruns per optimizer kind. */
static int plan_capacity(const struct sweep_setup *s, const struct sweep_plan *plan)
{
	const char *kinds[MAX_KINDS];
	return plan->nsearch + (s->reruns ? s->reruns * search_kinds(s, plan, kinds) : 0);
}

/* The sweep once its store is open: --list, --summary, or the trials and the summary. */
static int sweep_stages(struct sweep_run *w, const struct sweep_options *o)
{
	if (o->list) {
		list_trials(w, o);
		return RUN_OK;
	}
	if (o->summary)
		return summary_only(w, o);
	struct pool p = {.workers = calloc((size_t)o->jobs, sizeof *p.workers),
	                 .done = calloc((size_t)w->capacity, sizeof *p.done),
	                 .skipped = calloc((size_t)w->capacity, sizeof *p.skipped),
	                 .failures = calloc((size_t)w->capacity + 1, sizeof *p.failures)};
	int status = RUN_INPUT;
	if (p.workers && p.done && p.skipped && p.failures) {
		read_done(w, o, 0, p.done);
		for (int t = 0; t < w->plan->ntrials; t++)
			p.pending += !p.done[t] && sweep_in_shard(t, o->shard, o->shards);
		fflush(NULL);
		p.start = now();
		run_trials(w, o, &p, 0);
		bool interrupted = o->interrupt && *o->interrupt;
		bool planned = interrupted || p.cannot_fork || w->s->reruns == 0 || run_reruns(w, o, &p);
		interrupted = o->interrupt && *o->interrupt;
		if (interrupted) {
			report_interrupted(w, o, &p);
			status = RUN_INTERRUPTED;
		} else {
			report_skipped(w, p.skipped, p.nskipped);
			status = finish(w, o);
			report_failed(p.failures, p.failed);
			if (p.cannot_fork || p.no_row || p.failed > 0 || !planned)
				status = RUN_INPUT;
		}
	}
	free(p.workers);
	free(p.done);
	free(p.skipped);
	free(p.failures);
	return status;
}

int run_sweep(const char *file, struct ast *tree, const struct ast *unfolded,
              const struct sweep_options *o, struct diag *d)
{
	struct sweep_setup s;
	struct sweep_plan plan;
	struct sweep_store store;
	int status = setup(file, tree, &s);
	if (status != RUN_OK || sweep_expand(s.sweep, &plan, d) != 0)
		return RUN_INPUT;
	struct sweep_options given = *o;
	const struct ast *jobs = ast_value(s.sweep, "jobs");
	if (jobs && jobs->kind == AST_NUM && !o->jobs_given) /* the file's, unless --jobs */
		given.jobs = (int)jobs->num;
	o = &given;
	const struct ast *base = ast_value(s.train, "seed");
	if (s.reruns && sweep_add_seed(&plan, base && base->kind == AST_NUM ? base->num : 0) != 0) {
		sweep_free(&plan);
		return RUN_INPUT;
	}
	char header[8192], results[8400];
	int hash_column = header_text(&plan.trials[0], s.columns, header, sizeof header);
	snprintf(results, sizeof results, "%s/results.csv", s.out);
	bool ran = access(results, F_OK) == 0;
	if (o->summary && !ran) {
		fprintf(stderr, "descent sweep: %s: %s; no summary before the sweep has run (its "
		        "rows go there)\n", results, strerror(errno));
		sweep_free(&plan);
		return RUN_INPUT;
	}
	struct sweep_run w = {file, tree, unfolded, &s, &plan, NULL, NULL,
	                      run_threads(run_cpus(), o->jobs), plan_capacity(&s, &plan), o};
	if (o->list && !(s.reruns && ran)) { /* nothing to read: no folder made */
		list_trials(&w, o);
		sweep_free(&plan);
		return RUN_OK;
	}
	w.hash = calloc((size_t)w.capacity, sizeof *w.hash);
	if (!w.hash || store_open(&store, s.out, header, hash_column) != 0) {
		free(w.hash);
		sweep_free(&plan);
		return RUN_INPUT;
	}
	w.store = &store;
	for (int t = 0; t < plan.ntrials; t++)
		w.hash[t] = trial_hash(file, tree, &s, &plan.trials[t]);
	status = sweep_stages(&w, o);
	store_close(&store);
	free(w.hash);
	sweep_free(&plan);
	(void)d;
	return status;
}
