/* test_minimize.c — minimize blocks: reverse-mode gradients against finite differences,
 * every optimizer and option against torch.optim's float64 trajectories
 * (tests/golden/optim/, made by make_goldens.py), l2 against decoupled wd, and failures. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fold.h"
#include "helpers.h"
#include "lower.h"
#include "minimize.h"

/* A checked, lowered minimize block from text (the file's only declaration). */
struct lowered {
	struct source *src;
	struct ast *file;
	struct minimize_lowered m;
};

static void lower_text(const char *text, struct lowered *l)
{
	int errors;
	char *messages;
	l->file = parse_text(text, PARSE_FILE, &l->src, &errors, &messages);
	cr_assert_not_null(l->file, "%s\n%s", text, messages);
	free(messages);
	struct diag d;
	diag_init(&d, NULL); /* teaching warnings (l2 with adam) are expected here */
	cr_assert(fold_file(l->file, &d));
	cr_assert(check_file(l->file, &d, NULL), "%s", text);
	cr_assert_eq(lower_minimize(l->file->kids[l->file->nkids - 1], &l->m, &d), 0);
}

static void lowered_free(struct lowered *l)
{
	lower_minimize_free(&l->m);
	ast_free(l->file);
	source_free(l->src);
}

/* ---- gradients ---- */

static const char *const expressions[] = {
	"x + y", "x - y", "x * y", "x / y", "x ^ 3", "x ^ y", "y ^ 2.5", "-x * y",
	"sin(x) * cos(y)", "tan(x / 2)", "exp(x - y)", "log(x + 2 * y)", "sqrt(x^2 + y^2)",
	"abs(x - 2 * y)", "tanh(x * y)", "sigmoid(3 * x - y)", "(1 - x)^2 + 100 * (y - x^2)^2",
	"exp(sin(x) * log(y)) / (1 + x^2)", "sqrt(abs(sin(x * y)) + 1) ^ 1.5",
	"x^2 + 3*y^2", "tanh(sigmoid(x) - sigmoid(y)) * exp(-x^2)", "2 ^ x * 3 ^ -y",
	"log(exp(x) + exp(y))", "(x - y) / (x + y) + cos(x)^2",
};

Test(minimize, reverse_mode_matches_finite_differences)
{
	static const double points[][2] = {{0.7, 1.3}, {1.9, 0.4}, {0.35, 2.2}};
	for (size_t e = 0; e < sizeof expressions / sizeof expressions[0]; e++) {
		char text[512];
		snprintf(text, sizeof text, "minimize f(x, y) = %s {\n from = (1, 1)\n"
		         " optimizer = sgd(lr = 0.1)\n steps = 1\n}\n", expressions[e]);
		struct lowered l;
		lower_text(text, &l);
		const struct sc_program *fn = &l.m.fn;
		double *values = malloc((size_t)fn->n * sizeof *values);
		double *adjoint = malloc((size_t)fn->n * sizeof *adjoint);
		for (size_t k = 0; k < 3; k++) {
			double x[2] = {points[k][0], points[k][1]}, grad[2];
			struct sc_error err;
			cr_assert_eq(sc_eval(fn, x, values, &err), 0, "%s", expressions[e]);
			cr_assert_eq(sc_grad(fn, values, adjoint, grad, &err), 0, "%s", expressions[e]);
			for (int v = 0; v < 2; v++) { /* central differences, h ~ eps^(1/3) */
				double h = 1e-5 * fmax(1, fabs(x[v])), saved = x[v], up, down;
				x[v] = saved + h;
				sc_eval(fn, x, values, &err);
				up = values[fn->n - 1];
				x[v] = saved - h;
				sc_eval(fn, x, values, &err);
				down = values[fn->n - 1];
				x[v] = saved;
				double fd = (up - down) / (2 * h);
				cr_expect_leq(fabs(grad[v] - fd), 1e-6 * fmax(1, fabs(fd)),
				              "d/d%c of %s at (%g, %g): %.12g vs %.12g", "xy"[v],
				              expressions[e], x[0], x[1], grad[v], fd);
			}
		}
		free(values);
		free(adjoint);
		lowered_free(&l);
	}
}

/* ---- trajectories against PyTorch ---- */

/* Splits line at tabs into fields (empty ones kept); returns how many. */
static int split_tabs(char *line, char **parts, int max)
{
	int n = 0;
	for (char *p = line; n < max; n++) {
		parts[n] = p;
		p += strcspn(p, "\t");
		if (!*p)
			return n + 1;
		*p++ = '\0';
	}
	return n;
}

/* One line of cases.tsv: name, function, from, optimizer, schedule, momentum schedule,
 * l2, steps; runs that block and compares every row with the golden trace. */
static void run_case(char *line)
{
	char *parts[8], text[1024], path[256];
	cr_assert_eq(split_tabs(line, parts, 8), 8, "%s", line);
	const char *name = parts[0];
	int used = snprintf(text, sizeof text, "minimize f(x, y) = %s {\n from = %s\n"
	                    " optimizer = %s\n steps = %s\n", parts[1], parts[2], parts[3], parts[7]);
	if (*parts[4])
		used += snprintf(text + used, sizeof text - (size_t)used, " schedule = %s\n", parts[4]);
	if (*parts[5])
		used += snprintf(text + used, sizeof text - (size_t)used, " momentum_schedule = %s\n",
		                 parts[5]);
	if (atof(parts[6]) != 0)
		used += snprintf(text + used, sizeof text - (size_t)used, " regularize = l2(%s)\n",
		                 parts[6]);
	snprintf(text + used, sizeof text - (size_t)used, "}\n");
	struct lowered l;
	lower_text(text, &l);
	struct minimize_result r;
	cr_assert_eq(minimize_run(&l.m.plan, &r), 0);
	cr_assert_eq(r.failures, 0, "%s failed", name);
	snprintf(path, sizeof path, "tests/golden/optim/%s.csv", name);
	char *csv = slurp(path, NULL), *row = strchr(csv, '\n') + 1;
	const struct minimize_path *p = &r.paths[0];
	for (int k = 0; k < p->rows; k++, row = strchr(row, '\n') + 1) {
		double golden[4], ours[4] = {p->lr[k], p->f[k], p->x[2 * k], p->x[2 * k + 1]};
		int step;
		cr_assert_eq(sscanf(row, "0,%*[a-z],0,%d,%lf,%lf,%lf,%lf", &step, &golden[0],
		                    &golden[1], &golden[2], &golden[3]), 5, "%s row %d", name, k);
		for (int j = 0; j < 4; j++)
			cr_expect_leq(fabs(ours[j] - golden[j]), 1e-10 * fabs(golden[j]) + 1e-14,
			              "%s step %d %s: %.17g, torch %.17g", name, k,
			              (const char *[]){"lr", "f", "x", "y"}[j], ours[j], golden[j]);
	}
	cr_expect_eq(p->rows, 51);
	free(csv);
	minimize_free(&r);
	lowered_free(&l);
}

Test(minimize, every_optimizer_matches_torch_for_50_steps)
{
	cr_expect_geq(each_case("tests/golden/optim/cases.tsv", run_case), 60);
}

/* ---- l2 against decoupled weight decay ---- */

/* The final point of optimizer on x^2 + 3y^2 from (1.5, 1), with regularize = l2(0.5)
 * when l2 is true. */
static void final_point(const char *optimizer, bool l2, double out[2])
{
	char text[512];
	snprintf(text, sizeof text, "minimize f(x, y) = x^2 + 3*y^2 {\n from = (1.5, 1)\n"
	         " optimizer = %s\n%s steps = 50\n}\n", optimizer, l2 ? " regularize = l2(0.5)\n" : "");
	struct lowered l;
	lower_text(text, &l);
	struct minimize_result r;
	cr_assert_eq(minimize_run(&l.m.plan, &r), 0);
	out[0] = r.paths[0].x[2 * 50];
	out[1] = r.paths[0].x[2 * 50 + 1];
	minimize_free(&r);
	lowered_free(&l);
}

Test(minimize, l2_and_wd_coincide_for_plain_sgd_and_differ_with_momentum)
{
	double a[2], b[2];
	final_point("sgd(lr = 0.1)", true, a);
	final_point("sgd(lr = 0.1, wd = 0.5)", false, b);
	for (int v = 0; v < 2; v++)
		cr_expect_leq(fabs(a[v] - b[v]), 1e-12 * fabs(a[v]) + 1e-300, "plain: %g vs %g", a[v], b[v]);
	final_point("sgd(lr = 0.1, momentum = 0.9)", true, a);
	final_point("sgd(lr = 0.1, momentum = 0.9, wd = 0.5)", false, b);
	cr_expect_gt(fabs(a[0] - b[0]), 1e-3 * fabs(a[0]), "momentum: %g vs %g", a[0], b[0]);
	final_point("adam(lr = 0.1)", true, a);
	final_point("adam(lr = 0.1, wd = 0.5)", false, b);
	cr_expect_gt(fabs(a[0] - b[0]), 1e-3 * fabs(a[0]), "adam: %g vs %g", a[0], b[0]);
}

/* ---- failures ---- */

Test(minimize, stops_at_a_domain_error_with_the_step_and_the_point)
{
	char *err, *out;
	int status = run_descent((const char *const[]){"run", "-", NULL},
		"minimize f(x) = log(x) + x^2 {\n from = 0.4\n optimizer = sgd(lr = 0.5)\n"
		" steps = 10\n}\n", &out, &err);
	cr_expect_eq(status, 3, "%s", err);
	/* x1 = 0.4 - 0.5·(1/0.4 + 2·0.4) = -1.25, outside log's domain */
	cr_expect(strstr(err, "<stdin>:1:17: error: f: sgd(lr = 0.5) from start 0 stopped at step "
	                      "1: log of a number <= 0 (-1.25)") != NULL, "%s", err);
	cr_expect(strstr(err, "help: at x = -1.25, reached with lr = 0.5") != NULL, "%s", err);
	cr_expect(strstr(out, "     0  0.5") != NULL, "the table shows the steps made: %s", out);
	free(err);
	free(out);
}

Test(minimize, reports_a_diverging_run_and_keeps_its_trace)
{
	char dir[] = "/tmp/descent-diverge-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[128], trace[128];
	snprintf(path, sizeof path, "%s/d.nn", dir);
	snprintf(trace, sizeof trace, "%s/runs/d.csv", dir);
	FILE *f = fopen(path, "w");
	fputs("minimize f(x, y) = x^2 + y^2 {\n from = (1, 1)\n optimizer = sgd(lr = 1.5)\n"
	      " steps = 2000\n trace = \"runs/d.csv\"\n}\n", f);
	fclose(f);
	char *err;
	int status = run_descent((const char *const[]){"run", "--quiet", path, NULL}, NULL, NULL, &err);
	cr_expect_eq(status, 3, "%s", err);
	cr_expect(strstr(err, "diverged at step") != NULL, "%s", err);
	cr_expect(strstr(err, "try a smaller lr") != NULL, "%s", err);
	char *csv = slurp(trace, NULL);
	cr_assert_not_null(csv, "the trace of the steps before is kept");
	cr_expect(strncmp(csv, "run,optimizer,start,step,lr,f,x,y\n0,sgd,0,0,1.5,2,1,1\n", 52) == 0,
	          "%.80s", csv);
	free(csv);
	free(err);
	unlink(trace);
	snprintf(trace, sizeof trace, "%s/runs", dir);
	rmdir(trace);
	unlink(path);
	rmdir(dir);
}
