/* run_train.c — `descent run` on a train block: lower it, initialise or load its weights
 * (or, with --resume, restore its checkpoint), train with a progress line, write the JSON
 * Lines log and the checkpoint as each epoch ends, then the weights (safetensors) and the
 * picture, and print a table (see run.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "checkpoint.h"
#include "gemm.h"
#include "lower.h"
#include "model_id.h"
#include "outputs.h"
#include "run.h"
#include "safetensors.h"
#include "train.h"

/* What every weights file records as safetensors metadata: the program, the train block's
 * text, the network, the data's label names (when they are not class ids), the normalize
 * statistics (when the data normalizes), the model's identity (model_id.h) and the --set
 * values of the run (when there are some) — what `load`, predict and eval check. */
enum { WEIGHTS_META_MAX = 10, WEIGHTS_META_EXTRA = 3 };
struct weights_meta {
	struct st_meta item[WEIGHTS_META_MAX];
	int n;
	char *labels, *normalize, *columns; /* owned */
	char model[128];
};

/* The feature column names of the training CSV of block's data (tree's), without its
 * label column, as a JSON list of strings; NULL when it is no CSV with a header (or on
 * an error, which loading the data reports). */
static char *feature_columns(const char *file, const struct ast *tree, const struct ast *block)
{
	const struct ast *name = ast_value(block, "data");
	const struct ast *data = name ? check_find_block(tree, BLOCK_DATA, name->str) : NULL;
	struct dataset names = {0};
	struct data_error err;
	if (!data || lower_csv_columns(ast_value(data, "train"), file, NULL, true, -1, &names.names,
	                               &names.classes, &err) != 0)
		return NULL;
	char *list = data_label_list(&names);
	data_names_free(names.names, names.classes);
	return list;
}

/* Fills w for a block's text, its lowered form, the resolved block and its file's tree,
 * and the run's --set values (a JSON list, or NULL); false when out of memory. */
static bool weights_meta_init(struct weights_meta *w, const char *text,
                              const struct train_lowered *t, const char *file,
                              const struct ast *tree, const struct ast *block, const char *sets)
{
	*w = (struct weights_meta){.item = {{"program", "descent " DESCENT_VERSION},
	                                    {"train", text}, {"network", t->network}}, .n = 3};
	struct model_id id = model_id_of(tree, block);
	model_id_format(&id, w->model, sizeof w->model);
	w->labels = data_label_list(&t->train);
	if (w->labels)
		w->item[w->n++] = (struct st_meta){"labels", w->labels};
	if (t->tf.mode != NORMALIZE_NONE) { /* none is x·scale, from the file */
		w->normalize = data_transform_json(&t->tf);
		w->item[w->n++] = (struct st_meta){"normalize", w->normalize};
	}
	w->item[w->n++] = (struct st_meta){"model", w->model};
	if (sets)
		w->item[w->n++] = (struct st_meta){"sets", sets};
	w->columns = feature_columns(file, tree, block);
	if (w->columns)
		w->item[w->n++] = (struct st_meta){"columns", w->columns};
	return t->tf.mode == NORMALIZE_NONE || w->normalize != NULL;
}

static void weights_meta_free(struct weights_meta *w)
{
	free(w->labels);
	free(w->normalize);
	free(w->columns);
}

/* Saves the network's weights to dest (through a temporary and a rename) with w's
 * metadata and nextra more items. RUN_OK, or RUN_INPUT after printing the path and
 * reason. */
static int save_weights(const char *dest, struct net *net, const struct weights_meta *w,
                        const struct st_meta *extra, int nextra)
{
	struct st_meta meta[WEIGHTS_META_MAX + WEIGHTS_META_EXTRA];
	memcpy(meta, w->item, (size_t)w->n * sizeof *meta);
	if (nextra > 0)
		memcpy(meta + w->n, extra, (size_t)nextra * sizeof *meta);
	char err[PATH_MAX + 600];
	if (checkpoint_save_weights(dest, net, meta, w->n + nextra, err, sizeof err) == 0)
		return RUN_OK;
	fprintf(stderr, "descent run: %s\n", err);
	return RUN_INPUT;
}

/* What the hooks of one run share. */
struct run_ctx {
	struct train_lowered *t;
	bool quiet, live;            /* no progress at all; a live line (a terminal) */
	struct out_file *log;        /* the JSON Lines log (its temporary until committed), or NULL */
	bool log_committed;          /* the log's temporary has replaced the old log */
	struct train_metrics *epochs; /* (config.epochs) for the table and the picture */
	int done;                    /* epochs filled */
	const char *checkpoint;      /* where the state goes after every epoch, or NULL */
	struct checkpoint_id id;     /* what the checkpoint belongs to */
	bool failed;                 /* a checkpoint or the log could not be written */
	const char *checkpoint_dest; /* the file the checkpoint replaces (a link's target) */
	const char *best_dest;       /* the file save_best replaces, or NULL: no save_best */
	struct weights_meta meta;    /* what save and save_best record besides the tensors */
};

static void progress(void *ctx, int epoch, int64_t batch, int64_t batches, double loss, double lr,
                     double samples_per_second)
{
	struct run_ctx *r = ctx;
	if (r->quiet || !r->live || (batch % 8 != 0 && batch != batches))
		return;
	double left = (double)((r->t->config.epochs - epoch) * batches + (batches - batch))
		* (double)r->t->config.batch / samples_per_second;
	fprintf(stderr, "\r\033[K%s: epoch %d/%d  batch %lld/%lld  loss %.4f  lr %.3g  %.0f samples/s"
	        "  ETA %d:%02d", r->t->name, epoch, r->t->config.epochs, (long long)batch,
	        (long long)batches, loss, lr, samples_per_second, (int)left / 60, (int)left % 60);
}

/* Why stop ended a run after epoch m, into buf: "val_loss did not improve by more than
 * 0 for 3 epochs (best 0.25 at epoch 5)". */
static const char *stop_reason(const struct train_config *c, const struct train_metrics *m,
                               char *buf, size_t size)
{
	snprintf(buf, size, "%s did not improve by more than %g for %d epoch%s (best %.6g at "
	         "epoch %d)", train_metric_table[c->stop.metric].name, c->min_delta,
	         m->track.stop_wait, m->track.stop_wait == 1 ? "" : "s", m->track.stop_best,
	         m->epoch - m->track.stop_wait);
	return buf;
}

/* The fields clip, stop and save_best add to a log line: "clipped" (steps of the epoch
 * whose gradients clipping changed), "best_epoch" (the epoch save_best holds), and, on
 * the epoch after which stop ended the run, "stopped" (why). */
static void write_track(FILE *out, const struct train_config *c, const struct train_metrics *m)
{
	char why[200];
	if (c->clip != TRAIN_CLIP_NONE)
		fprintf(out, ", \"clipped\": %lld", (long long)m->track.clipped);
	if (c->best.on)
		fprintf(out, ", \"best_epoch\": %d", m->track.best_epoch);
	if (m->track.stopped)
		fprintf(out, ", \"stopped\": \"%s\"", stop_reason(c, m, why, sizeof why));
}

/* The fields of a regression epoch's set `set` ("train", "val", "test"): its loss and
 * fit, after a comma. */
static void write_log_fit(FILE *out, const char *set, double loss, const struct train_fit *f)
{
	fprintf(out, ", \"%s_loss\": %.17g, \"%s_rmse\": %.17g, \"%s_mae\": %.17g, \"%s_r2\": %.17g",
	        set, loss, set, f->rmse, set, f->mae, set, f->r2);
}

/* One line of the log: the fields of docs/language.md's log, absent parts omitted; a
 * regression run's losses, rmse, mae and r2 instead of accuracies. */
static void write_log_line(FILE *out, const struct train_lowered *t, const struct train_metrics *m)
{
	fprintf(out, "{\"run\": \"%s\", \"epoch\": %d, \"step\": %lld, \"lr\": %.17g", t->name,
	        m->epoch, (long long)m->step, m->lr);
	if (m->has_regression) {
		write_log_fit(out, "train", m->train_loss, &m->train_fit);
		if (m->has_val)
			write_log_fit(out, "val", m->val_loss, &m->val_fit);
		if (m->has_test)
			write_log_fit(out, "test", m->test_loss, &m->test_fit);
	} else {
		fprintf(out, ", \"train_loss\": %.17g, \"train_acc\": %.17g", m->train_loss,
		        m->train_acc);
		if (m->has_val)
			fprintf(out, ", \"val_loss\": %.17g, \"val_acc\": %.17g", m->val_loss, m->val_acc);
		if (m->has_test)
			fprintf(out, ", \"test_loss\": %.17g, \"test_acc\": %.17g", m->test_loss,
			        m->test_acc);
	}
	write_track(out, &t->config, m);
	fprintf(out, ", \"seconds\": %.3f}\n", m->seconds);
}

/* x in exactly width characters: with `decimals` decimals when that fits, else in
 * exponent form with as many digits as fit (4e5 as 4.000e+05), so a huge loss keeps the
 * table's columns. */
static void put_cell(FILE *out, double x, int width, int decimals)
{
	char text[64];
	snprintf(text, sizeof text, "%*.*f", width, decimals, x);
	for (int digits = 3; (int)strlen(text) > width && digits >= 0; digits--)
		snprintf(text, sizeof text, "%*.*e", width, digits, x);
	fprintf(out, "  %s", text);
}

/* A regression set's cells: loss, rmse, mae, r2, each FIT_WIDTH wide. */
enum { FIT_WIDTH = 10 };

static void put_fit(FILE *out, double loss, const struct train_fit *f)
{
	put_cell(out, loss, FIT_WIDTH, 4);
	put_cell(out, f->rmse, FIT_WIDTH, 4);
	put_cell(out, f->mae, FIT_WIDTH, 4);
	put_cell(out, f->r2, FIT_WIDTH, 4);
}

/* A regression epoch's row (print_header_fit's columns). */
static void print_row_fit(FILE *out, const struct train_metrics *m)
{
	fprintf(out, "%6d", m->epoch);
	put_fit(out, m->train_loss, &m->train_fit);
	if (m->has_val)
		put_fit(out, m->val_loss, &m->val_fit);
	if (m->has_test)
		put_fit(out, m->test_loss, &m->test_fit);
	put_cell(out, m->seconds, 7, 2);
	fputc('\n', out);
}

static void print_row(FILE *out, const struct train_metrics *m)
{
	if (m->has_regression) {
		print_row_fit(out, m);
		return;
	}
	fprintf(out, "%6d", m->epoch);
	put_cell(out, m->train_loss, 10, 4);
	put_cell(out, m->train_acc, 9, 4);
	if (m->has_val) {
		put_cell(out, m->val_loss, 8, 4);
		put_cell(out, m->val_acc, 7, 4);
	}
	if (m->has_test) {
		put_cell(out, m->test_loss, 9, 4);
		put_cell(out, m->test_acc, 8, 4);
	}
	put_cell(out, m->seconds, 7, 2);
	fputc('\n', out);
}

/* The final table's rows: every epoch up to TABLE_ALL, else the first and last
 * TABLE_ENDS around a line "...", so 20,000 epochs print 21 rows (a log keeps all). */
enum { TABLE_ALL = 25, TABLE_ENDS = 10 };

static void print_rows(FILE *out, const struct train_metrics *epochs, int n)
{
	for (int e = 0; e < n; e++) {
		if (n > TABLE_ALL && e == TABLE_ENDS) {
			fprintf(out, "%6s\n", "...");
			e = n - TABLE_ENDS;
		}
		print_row(out, &epochs[e]);
	}
}

/* A regression run's table header: loss, rmse, mae and r2 of each set. */
static void print_header_fit(FILE *out, bool val, bool test)
{
	static const char *const sets[3] = {"train", "val", "test"}, *const parts[4] = {"loss",
		"rmse", "mae", "r2"};
	fprintf(out, "%6s", "epoch");
	for (int s = 0; s < 3; s++)
		for (int k = 0; (s == 0 || (s == 1 ? val : test)) && k < 4; k++) {
			char name[16];
			snprintf(name, sizeof name, "%s_%s", sets[s], parts[k]);
			fprintf(out, "  %*s", FIT_WIDTH, name);
		}
	fprintf(out, "  %7s\n", "seconds");
}

static void print_header(FILE *out, bool val, bool test)
{
	fprintf(out, "%6s  %10s  %9s%s%s  %7s\n", "epoch", "train_loss", "train_acc",
	        val ? "  val_loss  val_acc" : "", test ? "  test_loss  test_acc" : "", "seconds");
}

/* Appends the line of epoch m to the log with one checked write (a failure leaves the
 * log ending with a whole line); 0, or -1 after printing the path and reason. */
static int append_log(struct out_file *log, const struct train_lowered *t,
                      const struct train_metrics *m)
{
	char *line = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&line, &len);
	if (!mem) {
		fprintf(stderr, "descent run: %s: out of memory\n", log->path);
		return -1;
	}
	write_log_line(mem, t, m);
	int status = fclose(mem) == 0 ? out_append(log, line, len) : -1;
	free(line);
	return status;
}

/* Logs epoch m: the first line of the run replaces the old log (renamed over it once
 * whole), so a run that fails before it leaves the previous log as it was. */
static int log_epoch(struct run_ctx *r, const struct train_metrics *m)
{
	if (append_log(r->log, r->t, m) != 0)
		return -1;
	if (!r->log_committed && out_commit(r->log) != 0)
		return -1;
	r->log_committed = true;
	return 0;
}

/* Writes the weights after epoch m, the best so far, to save_best's file (through a
 * temporary and a rename, as `save`), with the epoch, the metric and its value in the
 * metadata besides what `save` records. 0, or -1 after printing the path and reason. */
static int save_best(struct run_ctx *r, const struct train_metrics *m)
{
	char epoch[32], value[48];
	snprintf(epoch, sizeof epoch, "%d", m->epoch);
	snprintf(value, sizeof value, "%.17g", m->track.best_value);
	struct st_meta best[] = {{"epoch", epoch},
	                         {"metric", train_metric_table[r->t->config.best.metric].name},
	                         {"value", value}};
	return save_weights(r->best_dest, &r->t->net, &r->meta, best, WEIGHTS_META_EXTRA) == RUN_OK
		? 0 : -1;
}

static int epoch_end(void *ctx, const struct train_metrics *m)
{
	struct run_ctx *r = ctx;
	r->epochs[r->done++] = *m;
	if (r->live && !r->quiet)
		fputs("\r\033[K", stderr); /* messages start on a clean line */
	char err[PATH_MAX + 600];
	if (r->log && log_epoch(r, m) != 0) {
		r->failed = true;
		return 1;
	}
	if (r->best_dest && m->track.best_epoch == m->epoch && save_best(r, m) != 0) {
		r->failed = true;
		return 1;
	}
	if (r->checkpoint && checkpoint_save(r->checkpoint_dest, &r->t->net, r->epochs, r->done,
	                                     &r->id, err, sizeof err) != 0) {
		fprintf(stderr, "descent run: %s\n", err);
		r->failed = true;
		return 1;
	}
	if (r->quiet)
		return 0;
	if (r->live)
		return 0;
	fprintf(stderr, "%s: epoch %d/%d  loss %.4f", r->t->name, m->epoch, r->t->config.epochs,
	        m->train_loss);
	if (m->has_val)
		fprintf(stderr, m->has_regression ? "  val_rmse %.4f" : "  val_acc %.4f",
		        m->has_regression ? m->val_fit.rmse : m->val_acc);
	if (m->has_test)
		fprintf(stderr, m->has_regression ? "  test_rmse %.4f" : "  test_acc %.4f",
		        m->has_regression ? m->test_fit.rmse : m->test_acc);
	fprintf(stderr, "  %.1f s\n", m->seconds);
	return 0;
}

/* Loads the weights of the load key into t's network: RUN_OK, or RUN_INPUT reported at
 * the key. */
static int load_weights(const char *file, struct train_lowered *t, struct diag *d)
{
	char path[4096], err[PATH_MAX + 600];
	run_output_path(file, t->load->str, path, sizeof path);
	char *labels = data_label_list(&t->train); /* NULL: class ids */
	int loaded = checkpoint_check_labels(path, labels, err, sizeof err) == 0
		&& checkpoint_load_weights(path, &t->net, err, sizeof err) == 0;
	free(labels);
	if (loaded)
		return RUN_OK;
	diag_error(d, t->load->loc, "%s", err);
	return RUN_INPUT;
}

struct plot_data {
	const struct run_ctx *r;
	const double *lr;
	int64_t steps;
};

static int write_plot(FILE *out, const void *data)
{
	const struct plot_data *p = data;
	return train_plot(out, p->r->t->name, p->r->epochs, p->r->done, p->lr, p->steps);
}

/* The picture, into out's temporary: the rate of every step comes from the schedule, as
 * training used it. */
static int plot_run(struct out_file *out, const struct run_ctx *r)
{
	const struct train_lowered *t = r->t;
	int64_t steps = t->steps_per_epoch * r->done;
	double *lr = malloc((size_t)(steps ? steps : 1) * sizeof *lr);
	if (!lr)
		return RUN_INPUT;
	for (int64_t s = 0; s < steps; s++)
		lr[s] = sched_value_or(t->schedule, t->net.opt.lr, (double)s);
	struct plot_data data = {r, lr, steps};
	int status = out_write(out, write_plot, &data) == 0 ? RUN_OK : RUN_INPUT;
	free(lr);
	return status;
}

/* Warns when the checkpoint was written with a GEMM kernel whose sums round otherwise
 * (another machine, or DESCENT_KERNELS): the run goes on, but not on the same bits. The
 * AVX2 and AVX-512 kernels give the same bits: no warning between them. */
static void warn_other_kernel(const struct run_ctx *r, const char *kernel, struct diag *d)
{
	if (!*kernel || k_gemm_same_sums(kernel, r->id.kernel))
		return;
	diag_warning(d, r->t->checkpoint->loc, "%s was written with the %s GEMM kernel, and this "
	             "run uses the %s one", r->checkpoint, kernel, r->id.kernel);
	diag_note(d, r->t->checkpoint->loc, "the resumed run goes on, but will not end "
	          "bit-identical to an uninterrupted one");
}

/* Whether save_best's file, which the checkpoint says holds the best epoch so far (m's
 * best_epoch), is gone (reported at the save_best key): resuming would end with no best
 * file, or one of a later epoch, while the log names that epoch. */
static bool best_missing(const struct run_ctx *r, const struct train_metrics *m, struct diag *d)
{
	if (!r->best_dest || m->track.best_epoch <= 0 || access(r->best_dest, F_OK) == 0)
		return false;
	diag_error(d, r->t->save_best->loc, "cannot resume: %s held the best epoch so far (epoch "
	           "%d), and it is missing", r->best_dest, m->track.best_epoch);
	diag_help(d, "restore it, or run without --resume, which starts over");
	return true;
}

/* Restores r's run from its checkpoint: weights, optimizer state, statistics, metrics. */
static int resume(struct run_ctx *r, const struct run_options *o, struct diag *d)
{
	struct train_lowered *t = r->t;
	char err[800];
	struct checkpoint_found found;
	if (checkpoint_load(r->checkpoint, &t->net, r->epochs, t->config.epochs, &found, &r->id,
	                    err, sizeof err) != 0) {
		diag_error(d, t->checkpoint->loc, "cannot resume: %s", err);
		diag_help(d, "delete it to train from epoch 1, or run without --resume, which starts "
		          "over and replaces it; to go on from its weights in a changed file, give "
		          "it as `load` to a new block");
		return RUN_INPUT;
	}
	r->done = found.epochs;
	const struct train_metrics *m = &r->epochs[r->done - 1];
	if (best_missing(r, m, d))
		return RUN_INPUT;
	t->config.start_epoch = r->done;
	t->config.start_seconds = m->seconds;
	t->config.start_track = m->track;
	if (!o->quiet)
		fprintf(stderr, "%s: resuming from %s after epoch %d of %d (step %lld)\n", t->name,
		        r->checkpoint, m->epoch, t->config.epochs, (long long)m->step);
	warn_other_kernel(r, found.kernel, d);
	return RUN_OK;
}

/* Where a run starts: its checkpoint (with --resume, if the file exists), the weights of
 * its load key, or its init. RUN_OK or an exit status (reported). */
static int start_state(const char *file, struct run_ctx *r,
                       const struct run_options *o, struct diag *d)
{
	struct train_lowered *t = r->t;
	net_init(&t->net, t->config.seed);
	net_reset_state(&t->net);
	bool exists = r->checkpoint && access(r->checkpoint, F_OK) == 0;
	if (exists && o->resume)
		return resume(r, o, d);
	if (exists) /* even with --quiet: it protects a file */
		fprintf(stderr, "%s: %s exists; without --resume this run starts over and replaces "
		        "it\n", t->name, r->checkpoint);
	else if (r->checkpoint && o->resume && !o->quiet)
		fprintf(stderr, "%s: no checkpoint %s yet; starting at epoch 1\n", t->name,
		        r->checkpoint);
	return t->load ? load_weights(file, t, d) : RUN_OK;
}

/* Writes the epochs restored so far into the log's temporary (opened by out_open). */
static int start_log(struct run_ctx *r)
{
	for (int e = 0; r->log && e < r->done; e++)
		if (append_log(r->log, r->t, &r->epochs[e]) != 0)
			return RUN_INPUT;
	return RUN_OK;
}

/* Ends the log: a run that ended well and logged no epoch of its own (a finished run
 * resumed) still replaces the old log; one that failed before its first epoch leaves it
 * (out_release removes the temporary). RUN_OK, or RUN_INPUT after printing why. */
static int end_log(struct run_ctx *r, int status)
{
	if (!r->log)
		return RUN_OK;
	if (!r->log_committed && status == RUN_OK && out_commit(r->log) == 0)
		r->log_committed = true;
	else if (!r->log_committed)
		return status == RUN_OK ? RUN_INPUT : RUN_OK;
	return out_finish(r->log) == 0 ? RUN_OK : RUN_INPUT;
}

/* Checks the outputs of block (every output of tree, block's log replaced by log_path)
 * and prepares block's own: locked (not for a sweep trial, whose block outputs its
 * siblings share), each with its temporary. The log keeps its temporary; save and
 * checkpoint have theirs removed (st_save makes its own). RUN_OK or RUN_INPUT. */
static int open_outputs(struct out_set *outs, const char *file, const struct ast *tree,
                        const struct ast *block, const char *log_path, bool trial,
                        struct diag *d)
{
	if (out_list(outs, file, tree, block, log_path) != 0) {
		fprintf(stderr, "descent run: out of memory\n");
		return RUN_INPUT;
	}
	if (out_verify(outs, tree, d) > 0 || out_open(outs, block, !trial) != 0)
		return RUN_INPUT;
	for (int i = 0; i < outs->n; i++)
		if (outs->files[i].block == block && (strcmp(outs->files[i].key, "save") == 0
		                                      || strcmp(outs->files[i].key, "checkpoint") == 0
		                                      || strcmp(outs->files[i].key, "save_best") == 0))
			out_drop(&outs->files[i]);
	return RUN_OK;
}

/* Block's log among its outputs: log_path's when given, else its log key's, or NULL. */
static struct out_file *log_of(struct out_set *outs, const struct ast *block,
                               const struct train_lowered *t, const char *log_path)
{
	for (int i = 0; log_path && i < outs->n; i++)
		if (outs->files[i].block == block && !outs->files[i].node)
			return &outs->files[i];
	return log_path ? NULL : out_find(outs, t->log);
}

/* Says where an interrupted run stopped and how it can go on. */
static void report_interruption(const char *file, const struct run_ctx *r,
                                const struct train_failure *at, const char *again)
{
	const struct train_lowered *t = r->t;
	fprintf(stderr, "%s: interrupted in epoch %d of %d (step %lld); ", t->name, at->epoch,
	        t->config.epochs, (long long)at->step);
	if (r->checkpoint && r->done > 0)
		fprintf(stderr, "%s holds epoch%s %s%d: 'descent run --resume%s %s' continues from "
		        "there\n", r->checkpoint, r->done > 1 ? "s" : "", r->done > 1 ? "1 to " : "",
		        r->done, again, file);
	else if (r->checkpoint)
		fprintf(stderr, "no epoch had finished, so there is no checkpoint to resume\n");
	else
		fprintf(stderr, "%d finished epoch%s in the table and log; a checkpoint key makes "
		        "a run resumable\n", r->done, r->done == 1 ? "" : "s");
}

/* Says that stop ended the run early, after which epoch, and why; and which epoch
 * save_best holds. */
static void report_stop(const struct run_ctx *r)
{
	const struct train_lowered *t = r->t;
	const struct train_metrics *m = &r->epochs[r->done - 1];
	char why[200];
	fprintf(stderr, "%s: stopped early after epoch %d of %d: %s\n", t->name, m->epoch,
	        t->config.epochs, stop_reason(&t->config, m, why, sizeof why));
	if (r->best_dest && m->track.best_epoch > 0)
		fprintf(stderr, "%s: %s holds epoch %d (%s %.6g)\n", t->name, t->save_best->str,
		        m->track.best_epoch, train_metric_table[t->config.best.metric].name,
		        m->track.best_value);
}

/* Says why a run diverged (see train_run for the rules), and what to try. */
static void report_divergence(struct diag *d, const struct ast *block,
                              const struct train_lowered *t, const struct train_failure *f)
{
	const char *value = isnan(f->loss) ? "nan" : f->loss > 0 ? "inf" : "-inf";
	if (f->exploded)
		diag_error(d, block->name_loc, "%s diverged at step %lld (epoch %d): the epoch's mean "
		           "training loss %g is more than %d times %s (%g)", t->name,
		           (long long)f->step, f->epoch, f->loss, TRAIN_EXPLOSION, f->epoch == 1
		           ? "the first batch's loss before any update" : "epoch 1's mean training loss",
		           f->reference);
	else if (f->evaluated)
		diag_error(d, block->name_loc, "%s diverged at step %lld (epoch %d): the %s loss after "
		           "the epoch is %s, though its training loss was finite: the last updates made "
		           "the network's outputs overflow", t->name, (long long)f->step, f->epoch,
		           f->evaluated, value);
	else
		diag_error(d, block->name_loc, "%s diverged at step %lld (epoch %d): the loss is %s",
		           t->name, (long long)f->step, f->epoch, value);
	diag_help(d, "the rate was %g; try a smaller lr, a warmup, or normalize = standard in the "
	          "data", f->lr);
}

/* Trains a lowered block; with log_path, the log goes there instead of the block's own;
 * with last, the last epoch's metrics are copied there (epoch 0 if none). */
static int train_block(const char *file, const struct ast *tree, const struct ast *block,
                       struct train_lowered *t, const struct run_options *o,
                       const char *log_path, struct train_metrics *last, struct diag *d)
{
	char checkpoint[4096], *text = run_block_text(block);
	const char *kernel = k_gemm_kernel()->name;
	if (o->trial)
		t->checkpoint = NULL;
	bool tracked = t->config.clip != TRAIN_CLIP_NONE || t->config.stop.on || t->config.best.on;
	struct run_ctx r = {t, o->quiet, isatty(STDERR_FILENO), NULL, false,
	                    calloc((size_t)t->config.epochs, sizeof *r.epochs), 0,
	                    t->checkpoint ? checkpoint : NULL,
	                    {"descent " DESCENT_VERSION, t->name, o->source, text ? text : "", kernel,
	                     tracked},
	                    false, NULL, NULL};
	struct out_set outs = {0};
	bool meta = text && weights_meta_init(&r.meta, text, t, file, tree, block, o->sets);
	int status = r.epochs && meta ? open_outputs(&outs, file, tree, block, log_path, o->trial, d)
		: RUN_INPUT;
	if (t->checkpoint) {
		run_output_path(file, t->checkpoint->str, checkpoint, sizeof checkpoint);
		struct out_file *f = out_find(&outs, t->checkpoint);
		r.checkpoint_dest = f ? f->dest : checkpoint;
	}
	struct out_file *best = status == RUN_OK && t->save_best ? out_find(&outs, t->save_best) : NULL;
	r.best_dest = best ? best->dest : NULL;
	r.log = status == RUN_OK ? log_of(&outs, block, t, log_path) : NULL;
	if (status == RUN_OK)
		status = start_state(file, &r, o, d);
	if (status == RUN_OK)
		status = start_log(&r);
	struct train_failure failure;
	t->config.first_epoch_loss = r.done > 0 ? r.epochs[0].train_loss : NAN;
	struct train_hooks hooks = {progress, epoch_end, &r, o->interrupt};
	enum train_status how = status == RUN_OK ? train_run(&t->net, &t->train,
		t->val.n ? &t->val : NULL, t->test.n ? &t->test : NULL, &t->tf, &t->config, &hooks,
		&failure) : TRAIN_OK;
	if (r.live && !o->quiet)
		fputs("\r\033[K", stderr);
	if (how == TRAIN_OK && r.done > 0 && r.epochs[r.done - 1].track.stopped && !o->quiet)
		report_stop(&r);
	if (how == TRAIN_NO_MEMORY) {
		fprintf(stderr, "descent run: out of memory training %s\n", t->name);
		status = RUN_INPUT;
	} else if (how == TRAIN_STOPPED && r.failed) {
		status = RUN_INPUT;
	} else if (how == TRAIN_INTERRUPTED) {
		report_interruption(file, &r, &failure, o->again ? o->again : "");
		status = RUN_INTERRUPTED;
	} else if (how == TRAIN_DIVERGED) {
		report_divergence(d, block, t, &failure);
		status = RUN_DIVERGED;
	}
	int logged = end_log(&r, status);
	status = status == RUN_OK ? logged : status;
	struct out_file *save = status == RUN_OK ? out_find(&outs, t->save) : NULL;
	if (save)
		status = save_weights(save->dest, &t->net, &r.meta, NULL, 0);
	if (status == RUN_OK && t->plot && r.done > 0)
		status = plot_run(out_find(&outs, t->plot), &r);
	out_release(&outs);
	if (last)
		*last = r.done > 0 ? r.epochs[r.done - 1] : (struct train_metrics){0};
	if (r.done > 0 && !last) {
		const struct train_metrics *m = &r.epochs[r.done - 1];
		printf("%s: network %s on data %s, %d epoch%s, %lld steps, %.2f s\n", t->name,
		       t->network, t->data, r.done, r.done == 1 ? "" : "s", (long long)m->step,
		       m->seconds);
		(m->has_regression ? print_header_fit : print_header)(stdout, m->has_val, m->has_test);
		print_rows(stdout, r.epochs, r.done);
	}
	free(r.epochs);
	weights_meta_free(&r.meta);
	free(text);
	return status;
}

/* Lowers block and trains it: what run_train and run_train_trial share. */
static int lower_and_train(const char *file, const struct ast *tree, const struct ast *block,
                           int index, const struct run_options *o, const char *log_path,
                           struct train_metrics *last, struct diag *d)
{
	struct train_lowered t;
	if (lower_train(tree, block, index, file, &t, d) != 0)
		return RUN_INPUT;
	int status = train_block(file, tree, block, &t, o, log_path, last, d);
	lower_train_free(&t);
	return status;
}

int run_train(const char *file, const struct ast *tree, const struct ast *block, int index,
              const struct run_options *o, struct diag *d)
{
	return lower_and_train(file, tree, block, index, o, NULL, NULL, d);
}

int run_train_trial(const char *file, const struct ast *tree, const struct ast *block, int index,
                    const char *log_path, const char *sets, struct train_metrics *last,
                    struct diag *d)
{
	struct run_options trial = {.quiet = true, .trial = true, .source = "", .sets = sets};
	return lower_and_train(file, tree, block, index, &trial, log_path, last, d);
}
