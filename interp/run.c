/* run.c — what `descent run` does with each block: minimize blocks (here) and train
 * blocks (run_train.c), and the output files both write (see run.h). */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lower.h"
#include "minimize.h"

/* Where an output path given in a file goes: relative to the file's folder. */
void run_output_path(const char *file, const char *given, char *out, size_t size)
{
	const char *slash = strrchr(file, '/');
	if (given[0] == '/' || strcmp(file, "-") == 0 || !slash)
		snprintf(out, size, "%s", given);
	else
		snprintf(out, size, "%.*s/%s", (int)(slash - file), file, given);
}

/* Creates the folders above path, as mkdir -p. */
void run_make_parents(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0777);
		*p = '/';
	}
}

/* Writes a file through write(out, data): into PATH.tmp, renamed over PATH only once
 * complete, so a failed run never leaves half a file where a good one was. */
int run_write_output(const char *path, int (*write)(FILE *, const void *), const void *data)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	run_make_parents(path);
	FILE *out = fopen(tmp, "w");
	int failed = !out || write(out, data) != 0;
	if (out)
		failed |= fclose(out) != 0;
	if (failed || rename(tmp, path) != 0) {
		fprintf(stderr, "descent run: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return RUN_INPUT;
	}
	return RUN_OK;
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

/* Says why a path stopped: where in f, at which step, at which point, and a hint. */
static void report_failure(struct diag *d, const struct minimize_lowered *m,
                           const struct ast *block, const struct minimize_path *path)
{
	const struct minimize_plan *p = &m->plan;
	const double *x = &path->x[path->failed_step * p->nvars]; /* the point at fault */
	double lr = path->failed_step > 0 ? path->lr[path->failed_step - 1] : p->opts[path->opt].lr;
	char point[256] = "";
	for (int v = 0; v < p->nvars && strlen(point) < 200; v++)
		snprintf(point + strlen(point), sizeof point - strlen(point), "%s%s = %.6g",
		         v ? ", " : "", p->vars[v], x[v]);
	struct loc at = path->error.instr >= 0 ? m->locs[path->error.instr] : block->name_loc;
	bool diverged = path->error.instr < 0
		|| strstr(path->error.what, "not a finite number") != NULL;
	diag_error(d, at, "%s: %s from start %d %s at step %d: %s (%g)", p->name,
	           p->opt_labels[path->opt], path->start, diverged ? "diverged" : "stopped",
	           path->failed_step, path->error.what, path->error.operand);
	diag_help(d, "at %s, reached with lr = %g", point, lr);
	diag_help(d, diverged ? "the steps grew without bound: try a smaller lr"
	          : "the path left the domain of f: a smaller lr or another start may stay in it");
}

/* Runs one minimize block; returns an exit status. */
int run_minimize(const char *file, const struct ast *block, bool quiet, struct diag *d)
{
	struct minimize_lowered m;
	struct minimize_result r;
	if (lower_minimize(block, &m, d) != 0)
		return RUN_INPUT;
	if (minimize_run(&m.plan, &r) != 0) {
		fprintf(stderr, "descent run: out of memory running %s\n", block->str);
		lower_minimize_free(&m);
		return RUN_INPUT;
	}
	(void)quiet; /* the table is the final table, which --quiet keeps */
	minimize_print_table(stdout, &m.plan, &r);
	int status = RUN_OK;
	for (int i = 0; i < r.npaths; i++)
		if (r.paths[i].failed) {
			report_failure(d, &m, block, &r.paths[i]);
			status = RUN_DIVERGED;
		}
	struct minimize_output o = {&m.plan, &r};
	char path[4096];
	if (m.trace) {
		run_output_path(file, m.trace->str, path, sizeof path);
		if (run_write_output(path, write_trace, &o) != RUN_OK && status == RUN_OK)
			status = RUN_INPUT;
	}
	if (m.plot) {
		run_output_path(file, m.plot->str, path, sizeof path);
		if (run_write_output(path, write_plot, &o) != RUN_OK && status == RUN_OK)
			status = RUN_INPUT;
	}
	minimize_free(&r);
	lower_minimize_free(&m);
	return status;
}

