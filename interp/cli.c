/* cli.c — the `descent` command: argument parsing, the commands of LANGUAGE.md section 8,
 * and exit statuses. The only place that exits.
 *
 * Exit statuses: 0 success; 1 an error in the input (the .nn file, a data file, a
 * missing file, a checkpoint that cannot be resumed); 2 command-line misuse; 3 a run
 * diverged.
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "explain.h"
#include "fold.h"
#include "isa.h"
#include "lower.h"
#include "model_id.h"
#include "override.h"
#include "net.h"
#include "minimize.h"
#include "pace.h"
#include "parse.h"
#include "predict.h"
#include "range.h"
#include "run.h"
#include "sweep.h"
#include "schedule.h"
#include "schema.h"
#include "svg.h"


enum exit_status { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_DIVERGED = 3 };

static const char main_help[] =
	"descent — deep-learning experiments as short, checked files\n"
	"\n"
	"usage: descent COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  run FILE.nn        run the train and minimize blocks of a file\n"
	"  check FILE.nn      parse and check a file; report every error and warning\n"
	"  ir FILE.nn         print the IR of each train block\n"
	"  sweep FILE.nn      run the sweep of a file\n"
	"  schedule 'EXPR'    print (and plot) a learning-rate schedule\n"
	"  predict FILE.nn    the predictions of trained weights on data, as CSV\n"
	"  eval FILE.nn       loss, accuracy, per-class figures (regression: rmse, mae, r2)\n"
	"  explain FILE.nn    the course's rules for its optimizers, schedules and layers\n"
	"  range FILE.nn      the learning-rate range test of a file's train block\n"
	"  help TOPIC         list the layers, optimizers, schedules, losses or metrics\n"
	"\n"
	"FILE may be '-' for standard input. `descent COMMAND --help` tells more;\n"
	"the language is described in docs/language.md, the command in `man descent`.\n"
	"exit status: 0 success, 1 an error in the input, 2 command-line misuse,\n"
	"3 a run diverged.\n";

static const char check_help[] =
	"usage: descent check FILE.nn\n"
	"\n"
	"Parses and checks FILE (or '-' for standard input) without running anything:\n"
	"unknown names, missing or repeated keys, wrong types, values out of range,\n"
	"schedules that cannot be composed, references to undeclared blocks, and layers\n"
	"whose shapes do not fit the data (read from the data files' headers only).\n"
	"Errors and teaching warnings go to standard error as FILE:LINE:COL: error: MESSAGE.\n"
	"On success, prints a one-line summary to standard output.\n"
	"exit status: 0 no errors (warnings allowed), 1 errors, 2 misuse.\n";

static const char schedule_help[] =
	"usage: descent schedule 'EXPR' --lr X --steps N [--steps-per-epoch K] [--plot FILE.svg]\n"
	"\n"
	"Prints the learning rate of schedule EXPR (docs/language.md, section 9) for steps\n"
	"t = 0 .. N-1 as CSV 'step,lr', values with %.17g.\n"
	"  --lr X               the base learning rate (the optimizer's lr)\n"
	"  --steps N            how many steps to print\n"
	"  --steps-per-epoch K  turns 'N epochs' into N*K steps (rounded)\n"
	"  --plot FILE.svg      also draws the curve\n"
	"example: descent schedule 'warmup(2 epochs) then cosine(8 epochs)' --lr 0.1 \\\n"
	"             --steps 1000 --steps-per-epoch 100 --plot lr.svg\n";

static const char run_help[] =
	"usage: descent run FILE.nn [--set K=V]... [--threads N] [--resume] [--quiet]\n"
	"\n"
	"Checks FILE, then runs its train and minimize blocks in file order.\n"
	"A train block trains its network on its data (a live progress line on a terminal,\n"
	"a line an epoch otherwise), writes its log (JSON Lines), save (safetensors) and\n"
	"plot (SVG), and prints a table of its epochs. A minimize block runs every\n"
	"optimizer from every start, prints a table of the steps, and writes its trace\n"
	"(CSV) and plot (SVG). Output paths are relative to FILE's folder; --quiet prints\n"
	"only the final tables, warnings and errors.\n"
	"--threads N (default: OMP_NUM_THREADS, else the CPUs it may use: its affinity,\n"
	"at most SLURM_CPUS_PER_TASK) splits the matrix products; results are the\n"
	"same whatever N is.\n"
	"--set KEY=VALUE replaces a train key before the file is checked: a key (epochs=5),\n"
	"a parameter of the optimizer or schedule (optimizer.lr=3e-4, schedule.T0=2 epochs),\n"
	"in one block (baseline.epochs=5) or in all; VALUE is an expression of the language.\n"
	"A train block with `checkpoint = \"PATH\"` writes its whole state there after every\n"
	"epoch. --resume continues each such block from its checkpoint (one not written yet:\n"
	"from epoch 1) and ends as a run never interrupted would; it refuses a truncated or\n"
	"corrupt checkpoint, or one of another file, other --set values or another version.\n"
	"Ctrl-C (SIGINT) or SIGTERM ends the current step, says where the run stopped and\n"
	"how to resume it, then ends the program by that signal.\n"
	"exit status: 0 success, 1 an error in the input (or a checkpoint refused), 2 misuse,\n"
	"3 a run diverged.\n";

static const char ir_help[] =
	"usage: descent ir FILE.nn\n"
	"\n"
	"Checks FILE, loads each train block's data, and prints the block's IR: its buffers\n"
	"with their shapes, the forward, backward and update operations, and the memory of\n"
	"parameters, gradients, optimizer state and activations (one arena a run).\n"
	"exit status: 0 success, 1 an error in the input or a file without a train block,\n"
	"2 misuse.\n";

static const char sweep_help[] =
	"usage: descent sweep FILE.nn [--set K=V]... [--jobs N] [--shard I/N | --shard auto[/N]]\n"
	"                     [--quiet] [--list | --summary]\n"
	"\n"
	"Checks FILE, then runs the trials of its sweep block, N at a time in worker\n"
	"processes (default: one per CPU it may use, its affinity and at most\n"
	"SLURM_CPUS_PER_TASK; or one per OMP_NUM_THREADS of them), each with CPUs/N threads\n"
	"(or OMP_NUM_THREADS). Into the output folder\n"
	"(`out`, default runs/FILE-sweep/ beside FILE): results.csv, a row appended as each\n"
	"trial ends (status ok, diverged or failed with its message), a JSON Lines log per\n"
	"trial, and summary.csv over seeds; then a table ranked by the metric, marking the\n"
	"configurations within seed noise of the best (Welch's t-test, p > 0.05). The table\n"
	"and summary.csv/summary.svg come only once every trial of the sweep has a row;\n"
	"before that, the sweep says how many trials of the whole sweep have one.\n"
	"Rerunning skips the trials results.csv already holds with the same settings (each\n"
	"row has a hash of them), so a killed sweep resumes; trials whose settings changed\n"
	"run again. Two sweeps of one folder share its trials out, never running one twice.\n"
	"--shard I/N runs the trials whose index is I mod N (machines sharing the folder);\n"
	"shards count from 0. --shard auto takes I and N from a Slurm job array\n"
	"(SLURM_ARRAY_TASK_ID, _MIN, _STEP, _COUNT: any first index and step), or I from\n"
	"JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) with N from --shard auto/N.\n"
	"--list prints the trials (index, configuration, seed, values) and their count and\n"
	"runs nothing. --summary runs nothing and only summarizes, refusing (exit 1, naming\n"
	"them) while trials have no row; give it the same --set values as the runs.\n"
	"--set KEY=VALUE changes the base train block as in 'descent run' (epochs=1 for a\n"
	"quick try); the sweep's own values win over it (a warning says so). Trials write no\n"
	"checkpoint; a block's save and plot go to trial-N.safetensors and trial-N.svg in the\n"
	"output folder. Ctrl-C (SIGINT) or SIGTERM stops the running trials, says how many\n"
	"finished and the command (with --shard and --set) that runs the rest, then ends the\n"
	"program by that signal.\n"
	"exit status: 0 success (a diverged trial is a result: its configuration is not\n"
	"ranked), 1 an error in the input or a trial of this run failed, 2 misuse.\n"
	"Cluster recipes (sbatch --array, GNU parallel): README.md, docs/language.md.\n";

static const char predict_help[] =
	"usage: descent predict FILE.nn --weights W.safetensors [DATA... | --data NAME]\n"
	"                       [--set K=V]... [--out F.csv]\n"
	"\n"
	"Reads the weights that a train block's `save` wrote into that block's network (the\n"
	"block the weights' metadata names; names and shapes must be the network's), and\n"
	"writes CSV 'row,label,p_CLASS...' for every row of the data: row from 0, the\n"
	"predicted label by its name in the training data, each class's probability (%.9g;\n"
	"cross_entropy: the softmax, bce: the sigmoid, mse: the outputs). Regression\n"
	"(targets = values): CSV 'row,TARGET...', each target's prediction (%.9g) in its own\n"
	"units, columns named as the CSV label columns (y0, y1, ... when given by index).\n"
	"Inputs are scaled and normalized as in training (the statistics saved with the\n"
	"weights). DATA is in the format of the block's data: a CSV with the same columns\n"
	"(its label columns, when present, are ignored), an NPY X.npy [Y.npy], or an IDX pair\n"
	"IMAGES [LABELS]; paths are relative to the current folder. --data NAME takes data\n"
	"block NAME's test part (its train part if it has none); with neither, the train\n"
	"block's own data block. --out writes the CSV there (never over an input, whole or\n"
	"not at all) instead of to standard output.\n"
	"--set KEY=VALUE resolves the file as 'descent run' does: weights record their model\n"
	"(loss, data and network after --set) and the --set values they were trained with;\n"
	"weights of another model are refused, naming what differs and the values to give.\n"
	"A CSV with a header must have the training file's feature columns, in its order.\n"
	"exit status: 0 success, 1 an error in the input (weights of another network or\n"
	"model, data with another number of features or other columns, an output that\n"
	"cannot be written), 2 misuse.\n";

static const char eval_help[] =
	"usage: descent eval FILE.nn --weights W.safetensors [DATA... | --data NAME]\n"
	"                    [--set K=V]... [--json]\n"
	"\n"
	"Runs the weights on labelled data, as 'descent predict' (same DATA and --data), and\n"
	"prints the mean loss, the accuracy, each class's precision, recall and support, and\n"
	"the confusion matrix (rows: true label, columns: predicted). On the test part of the\n"
	"training data they are the last epoch's test_loss and test_acc of the log (the\n"
	"run's own loss: label smoothing included). --set as in 'descent predict'. DATA\n"
	"must hold labels: a CSV's label column, or both files of an NPY or IDX pair.\n"
	"--json prints one JSON object instead: rows, loss, accuracy, classes, precision,\n"
	"recall, support (lists in the order of classes; a precision of a class never\n"
	"predicted is null) and confusion (a list of rows).\n"
	"Regression (targets = values): the mean loss (the run's mse, mae or huber), rmse,\n"
	"mae and r2 (over all targets; r2 per target averaged, as scikit-learn's r2_score),\n"
	"the log's test_loss, test_rmse, test_mae and test_r2 on the test part; DATA holds\n"
	"the target values (a CSV's target columns, or Y.npy); --json: rows, loss, rmse, mae,\n"
	"r2, targets (their names).\n"
	"exit status: 0 success, 1 an error in the input, 2 misuse.\n";

static int usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "descent %s: ", command);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\ntry 'descent %s --help'\n", command);
	va_end(ap);
	return EXIT_USAGE;
}

static void diag_setup(struct diag *d)
{
	diag_init(d, stderr);
	const char *no_color = getenv("NO_COLOR");
	d->color = isatty(STDERR_FILENO) && !(no_color && *no_color);
}

/* A whole command line value: a finite number (strtod takes all of text). */
static bool parse_number(const char *text, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(text, &end);
	return *text && !*end && errno == 0 && isfinite(*out);
}

/* The --set values of a command: each parsed from its own source. */
struct overrides {
	int n;                         /* how many */
	struct source *src[64];        /* the text of each, "--set" in messages */
	struct ast *entry[64];         /* KEY = VALUE, or NULL where it did not parse */
};

static void overrides_free(struct overrides *o)
{
	for (int i = 0; i < o->n; i++) {
		ast_free(o->entry[i]);
		source_free(o->src[i]);
	}
	o->n = 0;
}

/* The longest --set value taken, in bytes: a key and an expression, not a file. */
enum { SET_MAX_BYTES = 4096 };

/* Parses one --set value into o; a parse error goes to d (the caller makes it a usage
 * error), a value longer than SET_MAX_BYTES or a 65th value is one at once. */
static int overrides_add(struct overrides *o, const char *command, const char *value,
                         struct diag *d)
{
	if (o->n == 64)
		return usage_error(command, "at most 64 --set values");
	size_t len = strlen(value);
	if (len > SET_MAX_BYTES)
		return usage_error(command, "--set %.20s... is %zu bytes long; a --set value may "
		                   "hold at most %d", value, len, SET_MAX_BYTES);
	o->src[o->n] = source_from_string("--set", value);
	o->entry[o->n] = o->src[o->n] ? parse_source(o->src[o->n], PARSE_SET, d) : NULL;
	o->n++;
	return EXIT_OK;
}

/* The --set values as a JSON list of strings, what saved weights record; NULL for none
 * (or out of memory). Caller frees. */
static char *overrides_json(const struct overrides *o)
{
	const char *texts[64];
	for (int i = 0; i < o->n; i++)
		texts[i] = o->src[i] ? o->src[i]->text : "";
	return model_id_sets_json(texts, o->n);
}

/* After every --set value is read: one that did not parse (already reported to d) or a
 * key given twice is misuse. Returns an exit status. */
static int overrides_check(const struct overrides *o, const char *command,
                           const struct diag *d)
{
	if (d->errors) {
		fprintf(stderr, "%d error%s in --set values\ntry 'descent %s --help'\n", d->errors,
		        d->errors == 1 ? "" : "s", command);
		return EXIT_USAGE;
	}
	for (int i = 0; i < o->n; i++)
		for (int j = 0; j < i; j++)
			if (o->entry[i] && o->entry[j] && strcmp(o->entry[i]->str, o->entry[j]->str) == 0)
				return usage_error(command, "'%s' is set twice: --set %s and --set %s",
				                   o->entry[i]->str, o->src[j]->text, o->src[i]->text);
	return EXIT_OK;
}

/* Reads, folds and checks a file after applying the --set values in sets (may be NULL);
 * *file gets the tree (caller frees both), and *unfolded, when not NULL, a copy of it
 * before folding (what a sweep trial changes and folds again). */
static int load_file(const char *path, struct diag *d, struct source **src, struct ast **file,
                     struct check_summary *summary, const struct overrides *sets,
                     struct ast **unfolded)
{
	*file = NULL;
	if (!(*src = source_read(path))) {
		if (errno == EFBIG)
			fprintf(stderr, "descent: %s: more than %d MiB, the most a .nn file may hold\n",
			        strcmp(path, "-") == 0 ? "<stdin>" : path, SOURCE_MAX_BYTES >> 20);
		else
			fprintf(stderr, "descent: cannot read %s: %s\n", path, strerror(errno));
		return EXIT_INPUT;
	}
	*file = parse_source(*src, PARSE_FILE, d);
	if (!*file)
		return EXIT_INPUT;
	for (int i = 0; sets && i < sets->n; i++)
		if (sets->entry[i] && !override_apply(*file, sets->entry[i], d)) {
			fprintf(stderr, "descent: out of memory\n");
			return EXIT_INPUT;
		}
	if (d->errors)
		return EXIT_INPUT;
	if ((unfolded && !(*unfolded = ast_copy(*file))) || !fold_file(*file, d)) {
		fprintf(stderr, "descent: out of memory\n");
		return EXIT_INPUT;
	}
	check_file(*file, d, summary);
	return d->errors ? EXIT_INPUT : EXIT_OK;
}

static void report_errors(const struct diag *d)
{
	if (d->errors)
		fprintf(stderr, "%d error%s, %d warning%s\n", d->errors, d->errors == 1 ? "" : "s",
		        d->warnings, d->warnings == 1 ? "" : "s");
}

/* One FILE argument and no options: what check and ir take. */
static int file_argument(const char *command, int argc, char **argv, const char **path)
{
	*path = NULL;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error(command, "unknown option '%s'", argv[i]);
		if (*path)
			return usage_error(command, "one file at a time; '%s' is one too many", argv[i]);
		*path = argv[i];
	}
	if (!*path)
		return usage_error(command, "which file?");
	return EXIT_OK;
}

static int cmd_check(int argc, char **argv)
{
	const char *path;
	int status = file_argument("check", argc, argv, &path);
	if (status != EXIT_OK)
		return status;
	struct diag d;
	struct source *src;
	struct ast *file;
	struct check_summary s;
	diag_setup(&d);
	status = load_file(path, &d, &src, &file, &s, NULL, NULL);
	if (status == EXIT_OK && lower_check_shapes(file, path, &d) != 0)
		status = EXIT_INPUT;
	if (status == EXIT_OK)
		printf("%s: ok (%d let, %d data, %d network, %d train, %d sweep, %d minimize; "
		       "%d warning%s)\n", src->name, s.lets, s.data, s.networks, s.trains, s.sweeps,
		       s.minimizes, d.warnings, d.warnings == 1 ? "" : "s");
	report_errors(&d);
	ast_free(file);
	source_free(src);
	return status;
}

struct schedule_options {
	const char *expr;   /* the schedule */
	double lr;          /* --lr */
	double steps;       /* --steps */
	double per_epoch;   /* --steps-per-epoch, 0 if not given */
	const char *plot;   /* --plot, or NULL */
};

static int parse_schedule_options(int argc, char **argv, struct schedule_options *o)
{
	*o = (struct schedule_options){0};
	bool have_lr = false, have_steps = false;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if ((v = run_option_value(argc, argv, &i, "--lr"))) {
			if (!parse_number(v, &o->lr) || o->lr <= 0)
				return usage_error("schedule", "--lr takes a positive number, not '%s'", v);
			have_lr = true;
		} else if ((v = run_option_value(argc, argv, &i, "--steps-per-epoch"))) {
			if (!parse_number(v, &o->per_epoch) || o->per_epoch < 1
			    || o->per_epoch != floor(o->per_epoch) || o->per_epoch > 1e9)
				return usage_error("schedule", "--steps-per-epoch takes a whole number "
				                   ">= 1, not '%s'", v);
		} else if ((v = run_option_value(argc, argv, &i, "--steps"))) {
			if (!parse_number(v, &o->steps) || o->steps < 1 || o->steps != floor(o->steps)
			    || o->steps > 1e8)
				return usage_error("schedule", "--steps takes a whole number from 1 to "
				                   "1e8, not '%s'", v);
			have_steps = true;
		} else if ((v = run_option_value(argc, argv, &i, "--plot"))) {
			o->plot = v;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return usage_error("schedule", "unknown option or missing value: '%s'", argv[i]);
		} else if (o->expr) {
			return usage_error("schedule", "one schedule at a time; quote it: '%s' is one "
			                   "too many", argv[i]);
		} else {
			o->expr = argv[i];
		}
	}
	if (!o->expr)
		return usage_error("schedule", "which schedule? e.g. 'cosine(100)'");
	if (!have_lr || !have_steps)
		return usage_error("schedule", "%s is required", !have_lr ? "--lr" : "--steps");
	return EXIT_OK;
}

static int write_schedule_plot(const struct schedule_options *o, const double *lr)
{
	double *x = malloc((size_t)o->steps * sizeof *x);
	FILE *out = x ? fopen(o->plot, "w") : NULL;
	if (!out) {
		fprintf(stderr, "descent schedule: cannot write %s: %s\n", o->plot, strerror(errno));
		free(x);
		return EXIT_INPUT;
	}
	for (int t = 0; t < (int)o->steps; t++)
		x[t] = t;
	struct svg_axes axes = {o->expr, "step", "learning rate"};
	struct svg_series series = {NULL, x, lr, (int)o->steps};
	int failed = svg_line_plot(out, &axes, &series, 1);
	failed |= fclose(out);
	free(x);
	if (failed) {
		fprintf(stderr, "descent schedule: cannot write %s\n", o->plot);
		return EXIT_INPUT;
	}
	return EXIT_OK;
}

static int cmd_schedule(int argc, char **argv)
{
	struct schedule_options o;
	int status = parse_schedule_options(argc, argv, &o);
	if (status != EXIT_OK)
		return status;
	struct diag d;
	diag_setup(&d);
	struct source *src = source_from_string("<schedule>", o.expr);
	struct ast *expr = src ? parse_source(src, PARSE_EXPR, &d) : NULL;
	if (expr)
		expr = fold_expr(expr, NULL, &d);
	struct sched *s = expr && d.errors == 0 && check_schedule_expr(expr, &d)
		? lower_schedule(expr, o.per_epoch, &d) : NULL;
	double *lr = s ? malloc((size_t)o.steps * sizeof *lr) : NULL;
	status = lr ? EXIT_OK : EXIT_INPUT;
	if (lr) {
		printf("step,lr\n");
		for (int t = 0; t < (int)o.steps; t++) {
			lr[t] = sched_value_or(s, o.lr, t);
			printf("%d,%.17g\n", t, lr[t]);
		}
		if (o.plot)
			status = write_schedule_plot(&o, lr);
	}
	free(lr);
	sched_free(s);
	ast_free(expr);
	source_free(src);
	return status;
}

/* FNV-1a (64 bits) of len bytes at p, continuing from h. */
static uint64_t fnv1a(uint64_t h, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	return h;
}

/* What a checkpoint must have been written for: the file's text and the --set values, as
 * 16 hex digits of FNV-1a into out (17 bytes). */
static void source_fingerprint(const struct source *src, const struct overrides *sets, char *out)
{
	uint64_t h = fnv1a(0xcbf29ce484222325u, src->text, src->len);
	for (int i = 0; i < sets->n; i++)
		if (sets->src[i]) /* with its NUL, a separator */
			h = fnv1a(h, sets->src[i]->text, sets->src[i]->len + 1);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Whether a train block of the file has a checkpoint key. */
static bool has_checkpoint(const struct ast *file)
{
	for (int i = 0; i < file->nkids; i++)
		if (file->kids[i]->kind == AST_BLOCK && file->kids[i]->op == BLOCK_TRAIN
		    && ast_entry(file->kids[i], "checkpoint"))
			return true;
	return false;
}

/* The signal that asked a run to stop (SIGINT, SIGTERM), or 0. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* From now on SIGINT and SIGTERM let the current step finish (see run_train.c). */
static void catch_interrupts(void)
{
	struct sigaction action = {.sa_handler = on_interrupt};
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
}

/* Dies of the signal that interrupted the run, as the shell and job schedulers expect,
 * now that the run has said where it stopped. */
static void die_of_interrupt(void)
{
	int sig = interrupted;
	fflush(stdout);
	struct sigaction action = {.sa_handler = SIG_DFL};
	sigemptyset(&action.sa_mask);
	sigaction(sig, &action, NULL);
	raise(sig);
}

/* Appends text to the shell command line at buf (size bytes), in single quotes unless
 * it is plain (letters, digits, =._/,:+-). */
static void shell_word(char *buf, size_t size, const char *text)
{
	size_t n = strlen(buf);
	bool plain = *text != '\0' && strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                      "0123456789=._/,:+-") == strlen(text);
	if (plain) {
		snprintf(buf + n, size - n, " %s", text);
		return;
	}
	n += (size_t)snprintf(buf + n, size - n, " '");
	for (const char *c = text; *c && n + 6 < size; c++) {
		if (*c == '\'')
			n += (size_t)snprintf(buf + n, size - n, "'\\''"); /* end, a quote, begin again */
		else
			buf[n++] = *c;
	}
	buf[n] = '\0';
	if (n + 2 < size)
		snprintf(buf + n, size - n, "'");
}

/* The --set options of this command line, each quoted for a shell (" --set 'k = v'"):
 * what a rerun (a sweep's, a resumed run's) must repeat to have the same settings.
 * Owned; NULL when memory runs out. */
static char *sets_again(int argc, char **argv)
{
	size_t size = 64;
	for (int i = 0; i < argc; i++)
		size += 4 * strlen(argv[i]) + 8;
	char *buf = calloc(size, 1);
	if (!buf)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *v = strncmp(argv[i], "--set=", 6) == 0 ? argv[i] + 6
			: strcmp(argv[i], "--set") == 0 && i + 1 < argc ? argv[++i] : NULL;
		if (v) {
			shell_word(buf, size, "--set");
			shell_word(buf, size, v);
		}
	}
	return buf;
}

static int cmd_run(int argc, char **argv)
{
	const char *path = NULL;
	struct run_options o = {.interrupt = &interrupted};
	struct diag d;
	struct overrides sets = {0};
	diag_setup(&d);
	omp_set_num_threads(run_threads(run_cpus(), 1)); /* the CPUs it may use; --threads wins */
	pace_set_auto(!getenv("OMP_NUM_THREADS")); /* a default count adapts to the load */
	for (int i = 0; i < argc; i++) {
		const char *v;
		double threads;
		if ((v = run_option_value(argc, argv, &i, "--set"))) {
			if (overrides_add(&sets, "run", v, &d) != EXIT_OK)
				return overrides_free(&sets), EXIT_USAGE;
		} else if (strcmp(argv[i], "--quiet") == 0) {
			o.quiet = true;
		} else if (strcmp(argv[i], "--resume") == 0) {
			o.resume = true;
		} else if ((v = run_option_value(argc, argv, &i, "--threads"))) {
			if (!parse_number(v, &threads) || threads < 1 || threads > 1024
			    || threads != floor(threads))
				return usage_error("run", "--threads takes a whole number from 1 to 1024, not "
				                   "'%s'", v);
			omp_set_num_threads((int)threads);
			pace_set_auto(false);
		} else if (strcmp(argv[i], "--set") == 0) {
			overrides_free(&sets);
			return usage_error("run", "--set needs KEY=VALUE");
		} else if ((argv[i][0] == '-' && argv[i][1] != '\0') || path) {
			overrides_free(&sets);
			return path ? usage_error("run", "one file at a time; '%s' is one too many", argv[i])
				: usage_error("run", "unknown option '%s'", argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		overrides_free(&sets);
		return usage_error("run", "which file?");
	}
	if (overrides_check(&sets, "run", &d) != EXIT_OK)
		return overrides_free(&sets), EXIT_USAGE;
	struct source *src = NULL;
	struct ast *file = NULL;
	int status = load_file(path, &d, &src, &file, NULL, &sets, NULL);
	char fingerprint[17];
	if (status == EXIT_OK && o.resume && !has_checkpoint(file))
		status = usage_error("run", "--resume: no train block of %s has a checkpoint", path);
	char *sets_json = overrides_json(&sets);
	char *again = sets_again(argc, argv); /* for the resume hint */
	o.again = again ? again : "";
	if (status == EXIT_OK) {
		source_fingerprint(src, &sets, fingerprint);
		o.source = fingerprint;
		o.sets = sets_json;
	}
	if (status == EXIT_OK) /* every output of every block, before the first step */
		status = run_check_outputs(path, file, &d);
	bool checked = status == EXIT_OK;
	if (checked)
		catch_interrupts();
	for (int i = 0, trains = 0; checked && i < file->nkids && !interrupted; i++) {
		const struct ast *decl = file->kids[i];
		int s = EXIT_OK;
		if (decl->kind == AST_MINIMIZE)
			s = run_minimize(path, decl, &d);
		else if (decl->kind == AST_BLOCK && decl->op == BLOCK_TRAIN)
			s = run_train(path, file, decl, ++trains, &o, &d);
		status = s > status ? s : status;
	}
	report_errors(&d);
	ast_free(file);
	source_free(src);
	overrides_free(&sets);
	free(sets_json);
	free(again);
	if (interrupted)
		die_of_interrupt();
	return status;
}

/* Whether the file has a train block (the only blocks with an IR to print). */
static bool has_train_block(const struct ast *file)
{
	for (int i = 0; i < file->nkids; i++)
		if (file->kids[i]->kind == AST_BLOCK && file->kids[i]->op == BLOCK_TRAIN)
			return true;
	return false;
}

static int cmd_ir(int argc, char **argv)
{
	const char *path;
	int status = file_argument("ir", argc, argv, &path);
	if (status != EXIT_OK)
		return status;
	struct diag d;
	struct source *src;
	struct ast *file;
	diag_setup(&d);
	status = load_file(path, &d, &src, &file, NULL, NULL, NULL);
	if (status == EXIT_OK && !has_train_block(file)) {
		fprintf(stderr, "descent ir: %s: no train block, so no IR to print (a minimize "
		        "block has none)\n", src->name);
		status = EXIT_INPUT;
	}
	for (int i = 0, trains = 0; status == EXIT_OK && i < file->nkids; i++) {
		const struct ast *decl = file->kids[i];
		if (decl->kind != AST_BLOCK || decl->op != BLOCK_TRAIN)
			continue;
		struct train_lowered t;
		int s = lower_train(file, decl, ++trains, path, &t, &d);
		if (s != 0) {
			status = EXIT_INPUT;
			break;
		}
		char title[400];
		snprintf(title, sizeof title, "%strain %s: network %s, data %s (%lld samples, %lld "
		         "steps an epoch)", trains > 1 ? "\n" : "", t.name, t.network, t.data,
		         (long long)t.train.n, (long long)t.steps_per_epoch);
		net_print(stdout, &t.net, title);
		lower_train_free(&t);
	}
	report_errors(&d);
	ast_free(file);
	source_free(src);
	return status;
}

/* The command line of predict and eval into o: FILE, --weights, DATA files or --data,
 * and predict's --out or eval's --json. */
static int parse_predict_options(const char *command, int argc, char **argv,
                                 struct predict_options *o, struct overrides *sets,
                                 struct diag *d)
{
	bool predict = strcmp(command, "predict") == 0;
	*o = (struct predict_options){.command = command};
	for (int i = 0; i < argc; i++) {
		const char *v;
		if ((v = run_option_value(argc, argv, &i, "--set"))) {
			if (overrides_add(sets, command, v, d) != EXIT_OK)
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--set") == 0)
			return usage_error(command, "--set needs KEY=VALUE");
		else if ((v = run_option_value(argc, argv, &i, "--weights")))
			o->weights = v;
		else if ((v = run_option_value(argc, argv, &i, "--data")))
			o->data_block = v;
		else if (predict && (v = run_option_value(argc, argv, &i, "--out")))
			o->out = v;
		else if (!predict && strcmp(argv[i], "--json") == 0)
			o->json = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error(command, "unknown option or missing value: '%s'", argv[i]);
		else if (!o->file)
			o->file = argv[i];
		else if (o->ndata == 2)
			return usage_error(command, "DATA is one file or a pair; '%s' is one too many",
			                   argv[i]);
		else
			o->data[o->ndata++] = argv[i];
	}
	if (!o->file)
		return usage_error(command, "which file?");
	if (!o->weights)
		return usage_error(command, "--weights W.safetensors is required");
	if (o->ndata && o->data_block)
		return usage_error(command, "give DATA files or --data NAME, not both");
	return overrides_check(sets, command, d);
}

/* predict and eval: the options, the file checked, then predict.c. */
static int predict_command(const char *command, int argc, char **argv)
{
	struct predict_options o;
	struct overrides sets = {0};
	struct diag d;
	diag_setup(&d);
	int status = parse_predict_options(command, argc, argv, &o, &sets, &d);
	if (status != EXIT_OK)
		return overrides_free(&sets), status;
	omp_set_num_threads(run_threads(run_cpus(), 1));
	struct source *src;
	struct ast *file;
	status = load_file(o.file, &d, &src, &file, NULL, &sets, NULL);
	if (status == EXIT_OK)
		status = strcmp(command, "predict") == 0 ? predict_run(file, &o, &d)
			: predict_eval(file, &o, &d);
	if (d.errors && status == EXIT_OK)
		status = EXIT_INPUT;
	report_errors(&d);
	ast_free(file);
	source_free(src);
	overrides_free(&sets);
	return status;
}

static int cmd_predict(int argc, char **argv)
{
	return predict_command("predict", argc, argv);
}

static int cmd_eval(int argc, char **argv)
{
	return predict_command("eval", argc, argv);
}

static const char explain_help[] =
	"usage: descent explain FILE.nn\n"
	"       descent explain 'OPTIMIZER-OR-SCHEDULE' [--lr X] [--steps N]\n"
	"                       [--steps-per-epoch K]\n"
	"\n"
	"Prints the course's rules with these numbers, as plain text: for each train and\n"
	"minimize block of FILE its optimizer's update (EMA form, Adam's bias-correction\n"
	"factors at steps 1, 10, 100, 1000 and its step bound), what l2 does under it\n"
	"against wd, the schedule's formula and key moments (end of warmup, restarts,\n"
	"the value at the end), and each layer's formula, shapes and parameters (train\n"
	"blocks load their data, as `descent ir`). An argument that is not a file is an\n"
	"optimizer call or a schedule: 'adamw(lr = 1e-3, wd = 0.01)', 'warmup(5) then\n"
	"cosine(95)'; a schedule's rates are multiples of the optimizer's lr η unless\n"
	"--lr gives it, over --steps updates (default: its own length).\n"
	"exit status: 0 success, 1 an error in the file or expression, 2 misuse.\n";

/* A whole number >= 1 (at most 1e9) of an explain option, or a usage error. */
static int explain_count(const char *name, const char *v, double *out)
{
	if (!parse_number(v, out) || *out < 1 || *out != floor(*out) || *out > 1e9)
		return usage_error("explain", "%s takes a whole number from 1 to 1e9, not '%s'", name, v);
	return EXIT_OK;
}

static int cmd_explain(int argc, char **argv)
{
	const char *arg = NULL, *v;
	double lr = 0, steps = 0, per_epoch = 0;
	for (int i = 0; i < argc; i++) {
		int status = EXIT_OK;
		if ((v = run_option_value(argc, argv, &i, "--lr"))) {
			if (!parse_number(v, &lr) || lr <= 0)
				return usage_error("explain", "--lr takes a positive number, not '%s'", v);
		} else if ((v = run_option_value(argc, argv, &i, "--steps-per-epoch"))) {
			status = explain_count("--steps-per-epoch", v, &per_epoch);
		} else if ((v = run_option_value(argc, argv, &i, "--steps"))) {
			status = explain_count("--steps", v, &steps);
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return usage_error("explain", "unknown option or missing value: '%s'", argv[i]);
		} else if (arg) {
			return usage_error("explain", "one file or expression at a time; quote it: '%s' "
			                   "is one too many", argv[i]);
		} else {
			arg = argv[i];
		}
		if (status != EXIT_OK)
			return status;
	}
	if (!arg)
		return usage_error("explain", "which file or expression? e.g. 'adam(lr = 1e-3)'");
	struct diag d;
	diag_setup(&d);
	struct stat st;
	size_t len = strlen(arg);
	int status;
	if (strcmp(arg, "-") == 0 || stat(arg, &st) == 0 || (len > 3 && !strcmp(arg + len - 3, ".nn"))) {
		struct source *src;
		struct ast *file;
		status = load_file(arg, &d, &src, &file, NULL, NULL, NULL);
		if (status == EXIT_OK && explain_file(stdout, file, arg, &d) != 0)
			status = EXIT_INPUT;
		ast_free(file);
		source_free(src);
	} else {
		struct source *src = source_from_string("<explain>", arg);
		struct ast *expr = src ? parse_source(src, PARSE_EXPR, &d) : NULL;
		if (expr)
			expr = fold_expr(expr, NULL, &d);
		status = expr && d.errors == 0 && explain_expr(stdout, expr, lr, steps, per_epoch, &d) == 0
			? EXIT_OK : EXIT_INPUT;
		ast_free(expr);
		source_free(src);
	}
	report_errors(&d);
	return status;
}

struct command {
	const char *name;             /* as typed */
	const char *help;             /* printed by --help */
	int (*run)(int argc, char **argv);
};

/* The axis of the file's sweep that replaces --set value k in every trial: the axis's
 * own key, or a part of it (optimizer.lr when the optimizer is swept); NULL if none. */
static const struct ast *swept_by(const struct ast *file, const struct overrides *sets, int k)
{
	const struct ast *block;
	const char *key = sets->entry[k] ? override_key(file, sets->entry[k]->str, &block) : "";
	for (int i = 0; i < file->nkids; i++) {
		const struct ast *sweep = file->kids[i];
		if (sweep->kind != AST_BLOCK || sweep->op != BLOCK_SWEEP)
			continue;
		for (int j = 0; j < sweep->nkids; j++) {
			const struct ast *axis = sweep->kids[j];
			size_t len = axis->kind == AST_AXIS ? strlen(axis->str) : 0;
			if (len && strncmp(key, axis->str, len) == 0
			    && (key[len] == '\0' || key[len] == '.'))
				return axis;
		}
	}
	return NULL;
}

/* Warns of each --set value that an axis of the sweep replaces in every trial; keeps the
 * others' texts in kept (sets->n entries, *nkept of them), which the trials' weights
 * record. */
static void warn_swept_sets(const struct ast *file, const struct overrides *sets,
                            const char **kept, int *nkept, struct diag *d)
{
	*nkept = 0;
	for (int k = 0; k < sets->n; k++) {
		const struct ast *axis = swept_by(file, sets, k);
		if (!axis) {
			kept[(*nkept)++] = sets->src[k] ? sets->src[k]->text : "";
			continue;
		}
		diag_warning(d, sets->entry[k]->loc, "the sweep varies '%s', so this value is "
		             "replaced in every trial", axis->str);
		diag_note(d, axis->loc, "swept here");
	}
}

static int cmd_sweep(int argc, char **argv)
{
	int cpus = run_cpus(); /* one worker per CPU, or per OMP_NUM_THREADS of them */
	pace_set_auto(!getenv("OMP_NUM_THREADS")); /* a worker's threads adapt to the load */
	struct sweep_options o = {.jobs = cpus / run_threads(cpus, cpus) > 0
	                          ? cpus / run_threads(cpus, cpus) : 1, .shards = 1,
	                          .interrupt = &interrupted};
	const char *path = NULL;
	struct diag d;
	struct overrides sets = {0};
	int status = EXIT_OK;
	char why[400];
	diag_setup(&d);
	for (int i = 0; status == EXIT_OK && i < argc; i++) {
		const char *v;
		double jobs;
		if ((v = run_option_value(argc, argv, &i, "--set"))) {
			status = overrides_add(&sets, "sweep", v, &d);
		} else if ((v = run_option_value(argc, argv, &i, "--jobs"))) {
			if (!parse_number(v, &jobs) || jobs < 1 || jobs > 256 || jobs != floor(jobs))
				status = usage_error("sweep", "--jobs takes a whole number from 1 to 256, "
				                     "not '%s'", v);
			else
				o.jobs = (int)jobs, o.jobs_given = true;
		} else if ((v = run_option_value(argc, argv, &i, "--shard"))) {
			if (sweep_shard_parse(v, &o.shard, &o.shards, why, sizeof why) != 0)
				status = usage_error("sweep", "%s", why);
		} else if (strcmp(argv[i], "--quiet") == 0) {
			o.quiet = true;
		} else if (strcmp(argv[i], "--list") == 0) {
			o.list = true;
		} else if (strcmp(argv[i], "--summary") == 0) {
			o.summary = true;
		} else if (strcmp(argv[i], "--set") == 0) {
			status = usage_error("sweep", "--set needs KEY=VALUE");
		} else if ((argv[i][0] == '-' && argv[i][1] != '\0') || path) {
			status = path ? usage_error("sweep", "one file at a time; '%s' is one too many",
			                            argv[i])
				: usage_error("sweep", "unknown option '%s'", argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (status == EXIT_OK && !path)
		status = usage_error("sweep", "which file?");
	if (status == EXIT_OK && o.list && o.summary)
		status = usage_error("sweep", "--list and --summary are two commands; give one");
	if (status == EXIT_OK)
		status = overrides_check(&sets, "sweep", &d);
	char *again = status == EXIT_OK ? sets_again(argc, argv) : NULL;
	o.again = again ? again : "";
	if (status != EXIT_OK)
		return overrides_free(&sets), status;
	struct source *src = NULL;
	struct ast *file = NULL, *unfolded = NULL;
	status = load_file(path, &d, &src, &file, NULL, &sets, &unfolded);
	const char *kept[64];
	if (status == EXIT_OK) {
		warn_swept_sets(file, &sets, kept, &o.nsets, &d);
		o.sets = kept;
		catch_interrupts();
		status = run_sweep(path, file, unfolded, &o, &d);
	}
	report_errors(&d);
	ast_free(file);
	ast_free(unfolded);
	source_free(src);
	overrides_free(&sets);
	free(again);
	if (interrupted)
		die_of_interrupt();
	return status;
}

static const char help_help[] =
	"usage: descent help layers|optimizers|schedules|losses|metrics\n"
	"\n"
	"Lists what the language offers on TOPIC, from the tables the checker uses: each\n"
	"layer, optimizer or schedule with its parameters, their defaults and the values\n"
	"they take; the losses; the metrics a log has (for sweeps' `metric`, and `stop` and\n"
	"`best` in train blocks). The rules and formulas are in docs/language.md and\n"
	"`man descent`.\n"
	"exit status: 0, or 2 for an unknown topic.\n";

/* One table of calls: each signature, then each parameter and what it takes. */
static void print_calls(const char *title, const struct sig *table)
{
	printf("%s\n", title);
	for (const struct sig *sig = table; sig->name; sig++) {
		char line[512];
		printf("\n  %s\n", sig->params[0].name ? schema_signature(sig, line, sizeof line)
		       : sig->name);
		for (const struct param *p = sig->params; p->name; p++)
			printf("      %-16s %s\n", p->name, schema_describe(p, line, sizeof line));
	}
}

static int cmd_help(int argc, char **argv)
{
	static const char *const topics[] = {"layers", "optimizers", "schedules", "losses",
	                                     "metrics", NULL};
	if (argc != 1) {
		fputs(help_help, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "layers") == 0) {
		print_calls("layers (docs/language.md section 5), one a line in a network block:",
		            schema_layers);
	} else if (strcmp(argv[0], "optimizers") == 0) {
		print_calls("optimizers (docs/language.md section 8), for `optimizer = ...`:",
		            schema_optimizers);
	} else if (strcmp(argv[0], "schedules") == 0) {
		print_calls("schedules (docs/language.md section 9), for `schedule = ...`; compose "
		            "with `A then B` and `A for D`:", schema_schedules);
	} else if (strcmp(argv[0], "losses") == 0) {
		char line[512];
		printf("losses (docs/language.md section 7), for `loss = ...`: %s\n",
		       schema_describe(schema_param(schema_train_keys, "loss"), line, sizeof line));
		static const char *const fits[] = {
			[TARGETS_EITHER] = "class labels (one-hot) or target values",
			[TARGETS_CLASSES] = "class labels", [TARGETS_VALUES] = "target values "
			"(targets = values)",
		};
		for (const struct sig *sig = schema_losses; sig->name; sig++) {
			printf("\n  %-32s for %s\n", sig->params[0].name ? schema_signature(sig, line,
			       sizeof line) : sig->name, fits[sig->targets]);
			for (const struct param *p = sig->params; p->name; p++)
				printf("      %-16s %s\n", p->name, schema_describe(p, line, sizeof line));
		}
	} else if (strcmp(argv[0], "metrics") == 0) {
		printf("metrics of a run's log (docs/language.md section 12), for a sweep's "
		       "`metric = max NAME` or `min NAME`, and a train block's `stop = patience(N, "
		       "min NAME)` and `best = max NAME`:\n");
		for (const struct train_metric *m = train_metric_table; m->name; m++)
			if (m->targets == TRAIN_FOR_ANY)
				printf("  %s\n", m->name);
			else
				printf("  %-12s %s only\n", m->name, m->targets == TRAIN_FOR_VALUES
				       ? "regression (targets = values)" : "classification");
	} else {
		const char *close = diag_closest(argv[0], topics);
		fprintf(stderr, "descent help: unknown topic '%s'\n", argv[0]);
		if (close)
			fprintf(stderr, "help: did you mean '%s'?\n", close);
		fputs(help_help, stderr);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Refuses an option given twice, whose last value would silently win: every option of
 * every command but --set (which adds one more) is given at most once; "--name value"
 * and "--name=value" are the same option. EXIT_OK, or EXIT_USAGE (said). */
static int refuse_repeats(const char *command, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0')
			continue;
		size_t len = strcspn(argv[i], "=");
		if (len == 5 && strncmp(argv[i], "--set", 5) == 0) {
			i += argv[i][len] == '\0'; /* its value is not an option */
			continue;
		}
		for (int j = 0; j < i; j++)
			if (strncmp(argv[j], argv[i], len) == 0
			    && (argv[j][len] == '\0' || argv[j][len] == '='))
				return usage_error(command, "%.*s is given twice; give it once", (int)len,
				                   argv[i]);
	}
	return EXIT_OK;
}

static const struct command commands[] = {
	{"run", run_help, cmd_run},
	{"check", check_help, cmd_check},
	{"ir", ir_help, cmd_ir},
	{"sweep", sweep_help, cmd_sweep},
	{"schedule", schedule_help, cmd_schedule},
	{"predict", predict_help, cmd_predict},
	{"eval", eval_help, cmd_eval},
	{"explain", explain_help, cmd_explain},
	{"range", range_help, range_command},
	{"help", help_help, cmd_help},
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return fputs(main_help, stderr), EXIT_USAGE;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return fputs(main_help, stdout), EXIT_OK;
	if (strcmp(argv[1], "--version") == 0)
		return puts("descent " DESCENT_VERSION), EXIT_OK;
	enum k_isa cap;
	const char *kernels = getenv("DESCENT_KERNELS");
	if (kernels && !k_isa_parse(kernels, &cap)) { /* a typo must not mean "no cap" */
		fprintf(stderr, "descent: DESCENT_KERNELS='%s' is not a kernel set: use portable, "
		        "avx2 or avx512, or unset it\n", kernels);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		for (int a = 2; a < argc; a++)
			if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
				return fputs(commands[i].help, stdout), EXIT_OK;
		int status = refuse_repeats(argv[1], argc - 2, argv + 2);
		if (status != EXIT_OK)
			return status;
		status = commands[i].run(argc - 2, argv + 2);
		if (fflush(stdout) != 0 && status == EXIT_OK) {
			fprintf(stderr, "descent: cannot write the output: %s\n", strerror(errno));
			return EXIT_INPUT;
		}
		return status;
	}
	enum { NCOMMANDS = sizeof commands / sizeof commands[0] };
	const char *names[NCOMMANDS + 1] = {NULL};
	for (int i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	const char *close = diag_closest(argv[1], names);
	fprintf(stderr, "descent: unknown command '%s'\n", argv[1]);
	if (close)
		fprintf(stderr, "help: did you mean '%s'?\n", close);
	fprintf(stderr, "try 'descent --help'\n");
	return EXIT_USAGE;
}
