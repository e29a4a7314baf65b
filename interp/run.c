/* run.c — what `descent run` does with each block: minimize blocks (here) and train
 * blocks (run_train.c), and the output files both write (see run.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "run.h"

#include <errno.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lower.h"
#include "minimize.h"
#include "outputs.h"
#include "scalar.h"

/* The positive whole number at the start of the environment variable name (OMP_NUM_THREADS
 * may be a list, "4,2": its first), or 0 when unset or not one. */
static int env_count(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n = v ? strtol(v, &end, 10) : 0;
	return v && end != v && n > 0 && n <= 4096 ? (int)n : 0;
}

int run_cpus(void)
{
	cpu_set_t set;
	int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
		: (int)sysconf(_SC_NPROCESSORS_ONLN);
	int slurm = env_count("SLURM_CPUS_PER_TASK");
	if (slurm > 0 && slurm < cpus)
		cpus = slurm;
	return cpus > 0 ? cpus : 1;
}

int run_threads(int cpus, int jobs)
{
	int omp = env_count("OMP_NUM_THREADS");
	if (omp > 0)
		return omp;
	return jobs > 0 && cpus / jobs > 0 ? cpus / jobs : 1;
}

/* Where an output path given in a file goes: relative to the file's folder. */
void run_output_path(const char *file, const char *given, char *out, size_t size)
{
	const char *slash = strrchr(file, '/');
	if (given[0] == '/' || strcmp(file, "-") == 0 || !slash)
		snprintf(out, size, "%s", given);
	else
		snprintf(out, size, "%.*s/%s", (int)(slash - file), file, given);
}

/* Creates the folders above path, as mkdir -p (failures show when the file is made). */
void run_make_parents(const char *path)
{
	out_make_parents(path);
}

/* Writes a file through write(out, data) with out_write_atomic: a unique temporary
 * renamed over path once complete, so a failed run never leaves half a file. */
int run_write_output(const char *path, int (*write)(FILE *, const void *), const void *data)
{
	char err[PATH_MAX + 200];
	if (out_write_atomic(path, write, data, err, sizeof err) == 0)
		return RUN_OK;
	fprintf(stderr, "descent run: %s\n", err);
	return RUN_INPUT;
}

int run_check_outputs(const char *file, const struct ast *tree, struct diag *d)
{
	struct out_set s;
	if (out_list(&s, file, tree, NULL, NULL) != 0) {
		fprintf(stderr, "descent run: out of memory\n");
		return RUN_INPUT;
	}
	int status = out_verify(&s, tree, d) > 0 || out_probe(&s) != 0 ? RUN_INPUT : RUN_OK;
	out_release(&s);
	return status;
}

struct minimize_output {
	const struct minimize_plan *plan;
	const struct minimize_result *result;
};

static int write_trace(FILE *out, const void *data)
{
	const struct minimize_output *o = data;
	return minimize_write_trace(out, o->plan, o->result);
}

static int write_plot(FILE *out, const void *data)
{
	const struct minimize_output *o = data;
	return minimize_plot(out, o->plan, o->result);
}

/* "∂f/∂x and ∂f/∂y" into buf: the derivatives a non-finite adjoint at instruction instr
 * reaches, those of the variables its operands depend on (walking the tape down). */
static const char *derivatives_through(const struct minimize_plan *p, int instr, char *buf,
                                       size_t size)
{
	const struct sc_program *fn = p->fn;
	bool *reached = calloc((size_t)fn->n + (size_t)p->nvars + 1, sizeof *reached);
	bool *vars = reached + fn->n; /* (V) whose derivative it reaches */
	buf[0] = '\0';
	if (!reached)
		return buf;
	reached[instr] = true;
	for (int j = instr; j >= 0; j--) {
		const struct sc_instr *in = &fn->code[j];
		if (!reached[j])
			continue;
		if (in->op == SC_VAR)
			vars[in->var] = true;
		if (in->a >= 0)
			reached[in->a] = true;
		if (in->b >= 0)
			reached[in->b] = true;
	}
	for (int v = 0, found = 0; v < p->nvars && strlen(buf) < size - 64; v++)
		if (vars[v])
			snprintf(buf + strlen(buf), size - strlen(buf), "%s∂%s/∂%s",
			         found++ ? " and " : "", p->name, p->vars[v]);
	free(reached);
	return buf;
}

/* Says why a path stopped: where in f, at which step, at which point, and a hint. For a
 * derivative, which one (∂f/∂x) and the operation without one there. */
static void report_failure(struct diag *d, const struct minimize_lowered *m,
                           const struct ast *block, const struct minimize_path *path)
{
	const struct minimize_plan *p = &m->plan;
	const double *x = &path->x[path->failed_step * p->nvars]; /* the point at fault */
	double lr = path->failed_step > 0 ? path->lr[path->failed_step - 1] : p->opts[path->opt].lr;
	char point[256] = "", which[512];
	for (int v = 0; v < p->nvars && strlen(point) < 200; v++)
		snprintf(point + strlen(point), sizeof point - strlen(point), "%s%s = %.6g",
		         v ? ", " : "", p->vars[v], x[v]);
	struct loc at = path->error.instr >= 0 ? m->locs[path->error.instr] : block->name_loc;
	bool derivative = path->error.instr >= 0 && strstr(path->error.what, "derivative")
		&& *derivatives_through(p, path->error.instr, which, sizeof which);
	/* an operation without a derivative at (about) 0, as sqrt; elsewhere the numbers grew */
	bool singular = derivative && fabs(path->error.operand) < 1e-300;
	bool diverged = !singular && (path->error.instr < 0
		|| strstr(path->error.what, "not a finite number") != NULL);
	char what[600];
	snprintf(what, sizeof what, "%s (%g)", path->error.what, path->error.operand);
	if (derivative)
		snprintf(what, sizeof what, "%s %s not finite", which,
		         strstr(which, " and ") ? "are" : "is");
	if (singular) {
		const struct sc_instr *in = &p->fn->code[path->error.instr];
		diag_error(d, at, "%s: %s from start %d stopped at step %d: %s %s not finite at %s",
		           p->name, p->opt_labels[path->opt], path->start, path->failed_step, which,
		           strstr(which, " and ") ? "are" : "is", point);
		diag_help(d, "'%s' has no finite derivative where its operand is %g",
		          sc_op_name(in->op), path->error.operand);
		diag_help(d, "%s has no gradient there: start elsewhere, or smooth it (sqrt(x^2 + "
		          "1e-12) instead of sqrt(x^2))", p->name);
		return;
	}
	diag_error(d, at, "%s: %s from start %d %s at step %d: %s", p->name,
	           p->opt_labels[path->opt], path->start, diverged ? "diverged" : "stopped",
	           path->failed_step, what);
	diag_help(d, "at %s, reached with lr = %g", point, lr);
	diag_help(d, diverged ? "the steps grew without bound: try a smaller lr"
	          : "the path left the domain of f: a smaller lr or another start may stay in it");
}

/* Writes the trace and the picture of a minimize run through their temporaries. */
static int write_outputs(struct out_set *outs, const struct minimize_lowered *m,
                         const struct minimize_output *o)
{
	struct out_file *trace = out_find(outs, m->trace), *plot = out_find(outs, m->plot);
	int status = RUN_OK;
	if (trace && out_write(trace, write_trace, o) != 0)
		status = RUN_INPUT;
	if (plot && out_write(plot, write_plot, o) != 0)
		status = RUN_INPUT;
	return status;
}

/* Runs one minimize block; returns an exit status. Its outputs are checked, locked and
 * given their temporaries before the first step. */
int run_minimize(const char *file, const struct ast *block, struct diag *d)
{
	struct minimize_lowered m;
	struct minimize_result r;
	struct out_set outs;
	if (out_list(&outs, file, NULL, block, NULL) != 0) {
		fprintf(stderr, "descent run: out of memory running %s\n", block->str);
		return RUN_INPUT;
	}
	if (out_verify(&outs, NULL, d) > 0 || out_open(&outs, block, true) != 0) {
		out_release(&outs);
		return RUN_INPUT;
	}
	if (lower_minimize(block, &m, d) != 0) {
		out_release(&outs);
		return RUN_INPUT;
	}
	if (minimize_run(&m.plan, &r) != 0) {
		fprintf(stderr, "descent run: out of memory running %s\n", block->str);
		lower_minimize_free(&m);
		out_release(&outs);
		return RUN_INPUT;
	}
	minimize_print_table(stdout, &m.plan, &r);
	int status = RUN_OK;
	for (int i = 0; i < r.npaths; i++)
		if (r.paths[i].failed) {
			report_failure(d, &m, block, &r.paths[i]);
			status = RUN_DIVERGED;
		}
	struct minimize_output o = {&m.plan, &r};
	if (write_outputs(&outs, &m, &o) != RUN_OK && status == RUN_OK)
		status = RUN_INPUT;
	out_release(&outs);
	minimize_free(&r);
	lower_minimize_free(&m);
	return status;
}

const char *run_option_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	if (strncmp(argv[*i], name, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

char *run_block_text(const struct ast *block)
{
	const struct source *src = block->loc.src;
	const char *p = src->text, *end = src->text + src->len;
	for (int line = 1; line < block->loc.first_line && p < end; p++)
		if (*p == '\n')
			line++;
	const char *q = p;
	for (int line = block->loc.first_line; line <= block->loc.last_line && q < end; q++)
		if (*q == '\n')
			line++;
	return strndup(p, (size_t)(q - p));
}
