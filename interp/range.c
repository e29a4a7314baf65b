/* range.c — `descent range FILE.nn` (see range.h): parses its options, lowers the file's
 * first train block, runs runtime/lr_range.c's test, writes the loss of every step as CSV
 * and a picture of loss against rate (log axis), and prints the rates it suggests with
 * the rule that gave them.
 *
 * Outputs: --csv and --plot, by default FILE's folder, FILE's name without ".nn" and
 * "-range.csv" / "-range.svg" ("range.csv", "range.svg" for standard input); paths on
 * the command line are the shell's (relative to the working folder). Each is written
 * whole through a temporary (out_write_atomic), and refused before the test runs when
 * it is the .nn file, a data file, an output of the file (out_refuse_given), the other
 * output, or not a regular file.
 */
#include "range.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "diag.h"
#include "fold.h"
#include "lower.h"
#include "lr_range.h"
#include "outputs.h"
#include "parse.h"
#include "run.h"
#include "svg.h"

const char range_help[] =
	"usage: descent range FILE.nn [--min A] [--max B] [--steps N] [--linear]\n"
	"                             [--csv F.csv] [--plot F.svg] [--threads N]\n"
	"\n"
	"The learning-rate range test (Smith 2017, section 3.3) on FILE's first train block:\n"
	"trains its network from its initial weights (a load key is not used), one batch\n"
	"a step, with the rate growing from A (default 1e-7) to B (default 10) over N\n"
	"steps (default 100), exponentially (or linearly with --linear); the block's\n"
	"schedule and epochs are not used; its loss (classes or target values) and clip\n"
	"are, as training takes a step.\n"
	"It records each step's loss (its batch's mean, before the update) and a smoothed\n"
	"loss (a debiased moving average, beta 0.98), and stops once the smoothed loss\n"
	"exceeds 4 times its lowest value or a loss is not finite (fastai's rule).\n"
	"It prints the rate at the lowest smoothed loss and where the loss falls fastest,\n"
	"and suggests: the peak rate (the optimizer's lr for `triangular`, and one_cycle's\n"
	"maximum) = the rate at the lowest smoothed loss / 10; triangular's min_lr = the\n"
	"peak / 4 (Smith: 1/3 to 1/4 of the maximum). docs/language.md, section 13.\n"
	"  --csv F.csv   step,lr,loss,smoothed_loss (default: FILE-range.csv beside FILE)\n"
	"  --plot F.svg  loss against rate, log axis (default: FILE-range.svg beside FILE)\n"
	"exit status: 0 the test ran (its end is an explosion, not an error), 1 an error in\n"
	"the input or an output that cannot be written, 2 misuse.\n";

enum { RANGE_OK = 0, RANGE_INPUT = 1, RANGE_USAGE = 2 };

struct range_options {
	const char *file;             /* the .nn file, or "-" */
	struct lr_range_config rc;    /* --min, --max, --steps, --linear */
	char csv[PATH_MAX], plot[PATH_MAX]; /* the outputs */
	int threads;                  /* --threads, or 0 */
};

static int misuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Says what is wrong with the command line; returns RANGE_USAGE. */
static int misuse(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("descent range: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\ntry 'descent range --help'\n", stderr);
	va_end(ap);
	return RANGE_USAGE;
}

/* A whole positive finite number (strtod takes all of text). */
static bool positive(const char *text, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(text, &end);
	return *text && !*end && errno == 0 && isfinite(*out) && *out > 0;
}

/* One option at argv[*i] into o; RANGE_OK or RANGE_USAGE (reported). */
static int parse_option(int argc, char **argv, int *i, struct range_options *o)
{
	const char *v;
	double x;
	if ((v = run_option_value(argc, argv, i, "--min"))) {
		if (!positive(v, &o->rc.min))
			return misuse("--min takes a positive number, not '%s'", v);
	} else if ((v = run_option_value(argc, argv, i, "--max"))) {
		if (!positive(v, &o->rc.max))
			return misuse("--max takes a positive number, not '%s'", v);
	} else if ((v = run_option_value(argc, argv, i, "--steps"))) {
		if (!positive(v, &x) || x < 2 || x > 1e6 || x != floor(x))
			return misuse("--steps takes a whole number from 2 to 1e6, not '%s'", v);
		o->rc.steps = (int)x;
	} else if ((v = run_option_value(argc, argv, i, "--threads"))) {
		if (!positive(v, &x) || x > 1024 || x != floor(x))
			return misuse("--threads takes a whole number from 1 to 1024, not '%s'", v);
		o->threads = (int)x;
	} else if ((v = run_option_value(argc, argv, i, "--csv"))) {
		snprintf(o->csv, sizeof o->csv, "%s", v);
	} else if ((v = run_option_value(argc, argv, i, "--plot"))) {
		snprintf(o->plot, sizeof o->plot, "%s", v);
	} else if (strcmp(argv[*i], "--linear") == 0) {
		o->rc.linear = true;
	} else {
		return misuse("unknown option or missing value: '%s'", argv[*i]);
	}
	return RANGE_OK;
}

/* "dir/name-range.EXT" for the .nn file "dir/name.nn" ("range.EXT" for "-"). */
static void default_output(const char *file, const char *ext, char *out, size_t size)
{
	if (strcmp(file, "-") == 0) {
		snprintf(out, size, "range.%s", ext);
		return;
	}
	size_t len = strlen(file);
	if (len > 3 && strcmp(file + len - 3, ".nn") == 0)
		len -= 3;
	snprintf(out, size, "%.*s-range.%s", (int)len, file, ext);
}

static int parse_options(int argc, char **argv, struct range_options *o)
{
	*o = (struct range_options){.rc = {1e-7, 10, 100, false}};
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			if (parse_option(argc, argv, &i, o) != RANGE_OK)
				return RANGE_USAGE;
		} else if (o->file) {
			return misuse("one file at a time; '%s' is one too many", argv[i]);
		} else {
			o->file = argv[i];
		}
	}
	if (!o->file)
		return misuse("which file?");
	if (o->rc.max <= o->rc.min)
		return misuse("the rate must grow: --max %g is not above --min %g", o->rc.max, o->rc.min);
	if (!*o->csv)
		default_output(o->file, "csv", o->csv, sizeof o->csv);
	if (!*o->plot)
		default_output(o->file, "svg", o->plot, sizeof o->plot);
	return RANGE_OK;
}

/* Reads, folds and checks the file; *file and *src owned by the caller. */
static int load(const char *path, struct diag *d, struct source **src, struct ast **file)
{
	*file = NULL;
	if (!(*src = source_read(path))) {
		fprintf(stderr, "descent range: cannot read %s: %s\n", path, strerror(errno));
		return RANGE_INPUT;
	}
	*file = parse_source(*src, PARSE_FILE, d);
	if (!*file || d->errors)
		return RANGE_INPUT;
	if (!fold_file(*file, d) || d->errors || !check_file(*file, d, NULL) || d->errors)
		return RANGE_INPUT;
	return RANGE_OK;
}

/* The outputs: each allowed, and not both the same file. */
static int check_outputs(const struct range_options *o, const struct ast *tree)
{
	struct stat st, other;
	if (strcmp(o->csv, o->plot) == 0
	    || (stat(o->csv, &st) == 0 && stat(o->plot, &other) == 0 && st.st_dev == other.st_dev
	        && st.st_ino == other.st_ino)) {
		fprintf(stderr, "descent range: %s: given as both --csv and --plot\n", o->csv);
		return RANGE_INPUT;
	}
	if (out_refuse_given("range", o->csv, o->file, tree) != 0
	    || out_refuse_given("range", o->plot, o->file, tree) != 0)
		return RANGE_INPUT;
	return RANGE_OK;
}

static int write_csv(FILE *out, const void *data)
{
	const struct lr_range_result *r = data;
	fputs("step,lr,loss,smoothed_loss\n", out);
	for (int k = 0; k < r->rows; k++)
		fprintf(out, "%d,%.17g,%.17g,%.17g\n", k, r->lr[k], r->loss[k], r->smooth[k]);
	return ferror(out) ? -1 : 0;
}

/* What the picture needs. */
struct range_picture {
	const struct lr_range_result *r;
	const char *title;
};

/* A vertical line at rate x over the panel, with its label in the legend. */
static void rate_mark(FILE *out, const struct svg_panel *p, double x, const char *colour)
{
	double xs[2] = {x, x}, ys[2] = {p->y0, p->y1};
	svg_line(out, p, &(struct svg_series){NULL, xs, ys, 2}, colour, 1.2);
}

static int write_plot(FILE *out, const void *data)
{
	const struct range_picture *pic = data;
	const struct lr_range_result *r = pic->r;
	struct svg_panel p = {.left = 90, .top = 44, .width = 646, .height = 340, .logx = true};
	struct svg_series smooth = {"smoothed loss (beta 0.98)", r->lr, r->smooth, r->rows};
	svg_fit(&p, &smooth, 1);
	/* from the lowest loss to a little above the start: the explosion runs off the top */
	double lo = r->smooth[r->best];
	for (int k = 0; k < r->rows; k++)
		lo = isfinite(r->loss[k]) ? fmin(lo, r->loss[k]) : lo;
	double hi = fmax(r->smooth[0], r->loss[0]);
	if (!isfinite(lo) || !isfinite(hi)) /* the first loss was not finite: nothing to zoom on */
		lo = 0, hi = 1;
	p.y0 = lo - 0.1 * (hi - lo);
	p.y1 = hi + 0.3 * (hi - lo) + (hi == lo ? 1 : 0);
	double *clamped = malloc((size_t)(r->rows ? r->rows : 1) * sizeof *clamped);
	if (!clamped)
		return -1;
	for (int k = 0; k < r->rows; k++) /* the explosion runs off the top: drawn at the edge */
		clamped[k] = isfinite(r->loss[k]) ? fmax(p.y0, fmin(p.y1, r->loss[k])) : p.y1;
	double *sm = malloc((size_t)(r->rows ? r->rows : 1) * sizeof *sm);
	for (int k = 0; sm && k < r->rows; k++)
		sm[k] = isfinite(r->smooth[k]) ? fmax(p.y0, fmin(p.y1, r->smooth[k])) : p.y1;
	struct svg_series series[4] = {
		{"loss per step", r->lr, clamped, r->rows},
		{smooth.label, r->lr, sm ? sm : r->smooth, r->rows},
		{r->suggested ? "suggested peak lr (lowest / 10)" : NULL, NULL, NULL, 0},
		{r->suggested ? "suggested triangular min_lr (peak / 4)" : NULL, NULL, NULL, 0},
	};
	double legend = svg_legend_height(p.width, series, 4);
	svg_begin(out, 760, 430 + (int)legend);
	svg_axes(out, &p, &(struct svg_axes){pic->title, "learning rate (log scale)", "loss"});
	svg_line(out, &p, &series[0], svg_color(0), 1);
	svg_line(out, &p, &series[1], svg_color(1), 2);
	if (r->suggested) {
		rate_mark(out, &p, r->peak, svg_color(2));
		rate_mark(out, &p, r->min_lr, svg_color(3));
	}
	svg_legend(out, p.left, 420, p.width, series, 4);
	free(clamped);
	free(sm);
	return svg_end(out);
}

/* The optimizer as block names it ("adamw" runs as adam with decoupled decay). */
static const char *optimizer_name(const struct ast *block, const struct train_lowered *t)
{
	const struct ast *v = ast_value(block, "optimizer");
	return v && (v->kind == AST_CALL || v->kind == AST_NAME) ? v->str
		: optim_table[t->net.opt.kind].name;
}

/* What the test found and what it suggests, with the rules. */
static void print_report(const struct range_options *o, const struct ast *block,
                         const struct train_lowered *t, const struct lr_range_result *r)
{
	printf("range test of %s (network %s, data %s, %s, batch %lld): %d steps from %g to %g, "
	       "%s\n", t->name, t->network, t->data, optimizer_name(block, t),
	       (long long)t->config.batch, o->rc.steps, o->rc.min, o->rc.max,
	       o->rc.linear ? "linear" : "exponential");
	int last = r->rows - 1;
	if (r->exploded)
		printf("stopped at step %d (lr %.3g): the %s\n", last, r->lr[last],
		       isfinite(r->loss[last]) && isfinite(r->smooth[last])
		       ? "smoothed loss exceeded 4 times its lowest (fastai's rule)"
		       : "loss is not finite");
	else
		printf("the loss did not explode by lr %.3g: a larger --max shows where it does\n",
		       r->lr[last]);
	printf("lowest smoothed loss %.4g at lr %.3g", r->smooth[r->best], r->lr_at_min);
	if (r->steepest >= 0)
		printf("; steepest descent at lr %.3g", r->lr[r->steepest]);
	printf("\n");
	if (!r->suggested) {
		printf("no suggestion: the smoothed loss never fell below its start; a smaller --min "
		       "or more --steps show where it does\n");
	} else {
		printf("suggested (peak = lr at the lowest smoothed loss / 10; min_lr = peak / 4, "
		       "Smith 2017 section 3.3):\n");
		printf("  triangular: optimizer lr = %.3g, schedule = triangular(step_size, "
		       "min_lr = %.3g)\n", r->peak, r->min_lr);
		printf("  one_cycle:  optimizer lr = %.3g (its maximum)\n", r->peak);
	}
	printf("wrote %s and %s\n", o->csv, o->plot);
}

/* The file's first train block (its number among train blocks is 1), or NULL. */
static const struct ast *first_train(const struct ast *file)
{
	for (int i = 0; i < file->nkids; i++)
		if (file->kids[i]->kind == AST_BLOCK && file->kids[i]->op == BLOCK_TRAIN)
			return file->kids[i];
	return NULL;
}

/* Lowers, runs and reports the test of the checked tree's first train block. */
static int run_test(const struct range_options *o, const struct ast *tree, struct diag *d)
{
	const struct ast *block = first_train(tree);
	if (!block) {
		fprintf(stderr, "descent range: %s: no train block to test\n", o->file);
		return RANGE_INPUT;
	}
	struct train_lowered t;
	if (lower_train(tree, block, 1, o->file, &t, d) != 0)
		return RANGE_INPUT;
	int status = check_outputs(o, tree);
	struct lr_range_result r = {0};
	if (status == RANGE_OK) {
		net_init(&t.net, t.config.seed);
		net_reset_state(&t.net);
		if (lr_range_run(&t.net, &t.train, &t.tf, &t.config, &o->rc, NULL, &r) != TRAIN_OK) {
			fprintf(stderr, "descent range: out of memory\n");
			status = RANGE_INPUT;
		}
	}
	char err[PATH_MAX + 600], title[200];
	snprintf(title, sizeof title, "%s: loss against the learning rate (range test)", t.name);
	struct range_picture pic = {&r, title};
	if (status == RANGE_OK && (out_write_atomic(o->csv, write_csv, &r, err, sizeof err) != 0
	                           || out_write_atomic(o->plot, write_plot, &pic, err, sizeof err) != 0)) {
		fprintf(stderr, "descent range: %s\n", err);
		status = RANGE_INPUT;
	}
	if (status == RANGE_OK)
		print_report(o, block, &t, &r);
	lr_range_free(&r);
	lower_train_free(&t);
	return status;
}

int range_command(int argc, char **argv)
{
	struct range_options o;
	int status = parse_options(argc, argv, &o);
	if (status != RANGE_OK)
		return status;
	omp_set_num_threads(o.threads ? o.threads : run_threads(run_cpus(), 1));
	struct diag d;
	struct source *src = NULL;
	struct ast *file = NULL;
	diag_init(&d, stderr);
	status = load(o.file, &d, &src, &file);
	if (status == RANGE_OK)
		status = run_test(&o, file, &d);
	if (d.errors)
		fprintf(stderr, "%d error%s, %d warning%s\n", d.errors, d.errors == 1 ? "" : "s",
		        d.warnings, d.warnings == 1 ? "" : "s");
	ast_free(file);
	source_free(src);
	return status;
}
