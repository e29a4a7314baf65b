/* minimize.c — runs minimize blocks and writes their trace, table and picture (see
 * minimize.h). */
#include "minimize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

/* Work space of one path: the tape's values and adjoints, the gradient, the state. */
struct work {
	double *values, *adjoint; /* (n instructions) */
	double *grad;             /* (V) */
	double *buf;              /* (OPT_SLOTS·V): the optimizer state's slots */
	struct optim_state_f64 state;
};

static int work_alloc(struct work *w, const struct minimize_plan *p)
{
	size_t n = (size_t)p->fn->n, v = (size_t)p->nvars;
	w->values = malloc(n * sizeof *w->values);
	w->adjoint = malloc(n * sizeof *w->adjoint);
	w->grad = malloc(v * sizeof *w->grad);
	w->buf = malloc(OPT_SLOTS * v * sizeof *w->buf);
	w->state = (struct optim_state_f64){w->buf, w->buf + v, w->buf + 2 * v, w->buf + 3 * v,
	                                    w->buf + 4 * v};
	return w->values && w->adjoint && w->grad && w->buf ? 0 : -1;
}

static void work_free(struct work *w)
{
	free(w->values);
	free(w->adjoint);
	free(w->grad);
	free(w->buf);
}

static int path_alloc(struct minimize_path *path, const struct minimize_plan *p)
{
	size_t rows = (size_t)p->steps + 1;
	path->x = malloc(rows * (size_t)p->nvars * sizeof *path->x);
	path->f = malloc(rows * sizeof *path->f);
	path->lr = malloc(rows * sizeof *path->lr);
	path->state = malloc(rows * sizeof *path->state);
	path->slots = malloc(rows * OPT_SLOTS * (size_t)p->nvars * sizeof *path->slots);
	return path->x && path->f && path->lr && path->state && path->slots ? 0 : -1;
}

/* One optimizer from one start, for p->steps updates or until a value is not finite. */
static void run_path(const struct minimize_plan *p, struct minimize_path *path, struct work *w)
{
	const struct optim_config *c = &p->opts[path->opt];
	int nv = p->nvars;
	double *x = path->x;
	memcpy(x, &p->starts[path->start * nv], (size_t)nv * sizeof *x);
	optim_init_f64(c, &w->state, (size_t)nv);
	for (int k = 0; k <= p->steps; k++, x += nv) {
		struct optim_step step = {
			.lr = sched_value_or(p->schedule, c->lr, k),
			.momentum = optim_momentum(c, p->momentum_schedule, k),
			.t = k + 1,
		};
		path->failed_step = k;
		if (sc_eval(p->fn, x, w->values, &path->error) != 0)
			break;
		path->f[k] = w->values[p->fn->n - 1];
		path->lr[k] = step.lr;
		path->state[k] = optim_state_norm_f64(c, &(struct optim_step){.t = k > 0 ? k : 1},
		                                      &w->state, (size_t)nv);
		memcpy(&path->slots[(size_t)k * OPT_SLOTS * (size_t)nv], w->buf,
		       OPT_SLOTS * (size_t)nv * sizeof *w->buf);
		path->rows = k + 1;
		if (k == p->steps)
			return;
		if (sc_grad(p->fn, w->values, w->adjoint, w->grad, &path->error) != 0)
			break;
		for (int v = 0; v < nv; v++)
			w->grad[v] += p->l2 * x[v]; /* d/dx of λ/2·‖x‖² */
		memcpy(x + nv, x, (size_t)nv * sizeof *x);
		optim_update_f64(c, &step, x + nv, w->grad, &w->state, (size_t)nv);
		for (int v = 0; v < nv; v++)
			if (!isfinite(x[nv + v])) {
				path->failed_step = k + 1;
				path->error = (struct sc_error){-1, "the point is not finite any more",
				                                x[nv + v]};
				path->failed = true;
				return;
			}
	}
	path->failed = true;
}

int minimize_run(const struct minimize_plan *p, struct minimize_result *r)
{
	*r = (struct minimize_result){0};
	struct work w = {0};
	r->npaths = p->nopts * p->nstarts;
	r->paths = calloc((size_t)r->npaths, sizeof *r->paths);
	if (!r->paths || work_alloc(&w, p) != 0)
		goto fail;
	for (int i = 0; i < r->npaths; i++) {
		struct minimize_path *path = &r->paths[i];
		path->opt = i / p->nstarts;
		path->start = i % p->nstarts;
		if (path_alloc(path, p) != 0)
			goto fail;
		run_path(p, path, &w);
		r->failures += path->failed;
	}
	work_free(&w);
	return 0;
fail:
	work_free(&w);
	return -1;
}

void minimize_free(struct minimize_result *r)
{
	for (int i = 0; r->paths && i < r->npaths; i++) {
		free(r->paths[i].x);
		free(r->paths[i].f);
		free(r->paths[i].lr);
		free(r->paths[i].state);
		free(r->paths[i].slots);
	}
	free(r->paths);
	*r = (struct minimize_result){0};
}

/* ---- the optimizer's state in the course's letters ---- */

const char *const minimize_state_names[MSTATE_COUNT] = {
	[MSTATE_M] = "m", [MSTATE_V] = "v", [MSTATE_G] = "G", [MSTATE_B] = "b",
	[MSTATE_GBAR] = "gbar", [MSTATE_MHAT] = "mhat", [MSTATE_VHAT] = "vhat",
	[MSTATE_VMAX] = "vmax",
};

/* The slot (optim.h) holding state s of optimizer c, or -1 when c keeps no such state;
 * m̂ and v̂ name the slot they are computed from. */
static int state_slot(const struct optim_config *c, enum minimize_state s)
{
	unsigned needs = optim_needs(c);
	bool moments = c->kind == OPT_ADAM || c->kind == OPT_NADAM || c->kind == OPT_RADAM;
	bool corrected = moments && !(c->kind == OPT_ADAM && c->uncorrected);
	bool amsgrad = c->kind == OPT_ADAM && c->amsgrad;
	switch (s) {
	case MSTATE_M:
		return moments || c->kind == OPT_LION ? OPT_AVG : -1;
	case MSTATE_V:
		return c->kind == OPT_MOMENTUM ? OPT_BUF
			: moments || c->kind == OPT_RMSPROP ? OPT_SQ : -1;
	case MSTATE_G:
		return c->kind == OPT_ADAGRAD ? OPT_SQ : -1;
	case MSTATE_B:
		return (c->kind == OPT_SGD || c->kind == OPT_RMSPROP) && (needs & OPT_NEEDS_BUF)
			? OPT_BUF : -1;
	case MSTATE_GBAR:
		return c->kind == OPT_RMSPROP && c->centered ? OPT_AVG : -1;
	case MSTATE_MHAT:
		return corrected ? OPT_AVG : -1;
	case MSTATE_VHAT:
		return corrected ? (amsgrad ? OPT_MAX : OPT_SQ) : -1;
	case MSTATE_VMAX:
		return amsgrad ? OPT_MAX : -1;
	default:
		return -1;
	}
}

bool minimize_state_kept(const struct optim_config *c, enum minimize_state s)
{
	return state_slot(c, s) >= 0;
}

bool minimize_state_value(const struct minimize_plan *p, const struct minimize_path *path,
                          enum minimize_state s, int k, int v, double *out)
{
	const struct optim_config *c = &p->opts[path->opt];
	int slot = state_slot(c, s);
	if (slot < 0 || k >= path->rows || (k == 0 && (s == MSTATE_MHAT || s == MSTATE_VHAT)))
		return false;
	*out = path->slots[((size_t)k * OPT_SLOTS + (size_t)slot) * (size_t)p->nvars + (size_t)v];
	if (s == MSTATE_MHAT) /* β₁ of update k, the one its step used */
		*out /= 1 - pow(optim_momentum(c, p->momentum_schedule, k - 1), k);
	else if (s == MSTATE_VHAT)
		*out /= 1 - pow(c->beta2, k);
	return true;
}

/* Which states some optimizer of the plan keeps (a mask of 1 << enum minimize_state): the
 * trace's state columns. */
static unsigned states_kept(const struct minimize_plan *p)
{
	unsigned kept = 0;
	for (int o = 0; o < p->nopts; o++)
		for (int s = 0; s < MSTATE_COUNT; s++)
			if (minimize_state_kept(&p->opts[o], (enum minimize_state)s))
				kept |= 1u << s;
	return kept;
}

int minimize_write_trace(FILE *out, const struct minimize_plan *p, const struct minimize_result *r)
{
	unsigned kept = states_kept(p);
	fputs("run,optimizer,start,step,lr,f", out);
	for (int v = 0; v < p->nvars; v++)
		fprintf(out, ",%s", p->vars[v]);
	for (int v = 0; v < p->nvars; v++)
		for (int s = 0; s < MSTATE_COUNT; s++)
			if (kept & (1u << s))
				fprintf(out, ",%s_%s", minimize_state_names[s], p->vars[v]);
	fputc('\n', out);
	for (int i = 0; i < r->npaths; i++) {
		const struct minimize_path *path = &r->paths[i];
		for (int k = 0; k < path->rows; k++) {
			fprintf(out, "%d,%s,%d,%d,%.17g,%.17g", path->opt, p->opt_names[path->opt],
			        path->start, k, path->lr[k], path->f[k]);
			for (int v = 0; v < p->nvars; v++)
				fprintf(out, ",%.17g", path->x[k * p->nvars + v]);
			for (int v = 0; v < p->nvars; v++)
				for (int s = 0; s < MSTATE_COUNT; s++) {
					double value;
					if (!(kept & (1u << s)))
						continue;
					if (minimize_state_value(p, path, (enum minimize_state)s, k, v, &value))
						fprintf(out, ",%.17g", value);
					else
						fputc(',', out);
				}
			fputc('\n', out);
		}
	}
	return ferror(out) ? -1 : 0;
}

/* "(1.5, 1)" */
static void put_point(FILE *out, const double *x, int n)
{
	fputc('(', out);
	for (int v = 0; v < n; v++)
		fprintf(out, "%s%g", v ? ", " : "", x[v]);
	fputc(')', out);
}

void minimize_print_table(FILE *out, const struct minimize_plan *p, const struct minimize_result *r)
{
	int every = p->steps <= 20 ? 1 : (p->steps + 19) / 20;
	for (int i = 0; i < r->npaths; i++) {
		const struct minimize_path *path = &r->paths[i];
		fprintf(out, "%s%s: %s from ", i ? "\n" : "", p->name, p->opt_labels[path->opt]);
		put_point(out, &p->starts[path->start * p->nvars], p->nvars);
		fprintf(out, "\n%6s  %-12s  %-14s", "step", "lr", "f");
		for (int v = 0; v < p->nvars; v++)
			fprintf(out, "  %-12s", p->vars[v]);
		fputc('\n', out);
		for (int k = 0; k < path->rows; k++) {
			if (k % every != 0 && k != path->rows - 1)
				continue;
			fprintf(out, "%6d  %-12.6g  %-14.8g", k, path->lr[k], path->f[k]);
			for (int v = 0; v < p->nvars; v++)
				fprintf(out, "  %-12.6g", path->x[k * p->nvars + v]);
			fputc('\n', out);
		}
	}
}

/* ---- the picture ---- */

enum { PAGE_W = 1120, PAGE_H = 560, GRID = 140, LEVELS = 14 };

/* The box of every point of every path, padded, as the left panel's data range. */
static void fit_paths(struct svg_panel *panel, const struct minimize_plan *p,
                      const struct minimize_result *r)
{
	double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
	for (int i = 0; i < r->npaths; i++)
		for (int k = 0; k < r->paths[i].rows; k++)
			for (int v = 0; v < 2; v++) {
				double x = r->paths[i].x[k * p->nvars + v];
				if (isfinite(x)) {
					lo[v] = fmin(lo[v], x);
					hi[v] = fmax(hi[v], x);
				}
			}
	for (int v = 0; v < 2; v++) {
		if (!(lo[v] <= hi[v]))
			lo[v] = -1, hi[v] = 1;
		double pad = fmax((hi[v] - lo[v]) * 0.15, 0.1 * fmax(1, fabs(hi[v])));
		lo[v] -= pad;
		hi[v] += pad;
	}
	panel->x0 = lo[0];
	panel->x1 = hi[0];
	panel->y0 = lo[1];
	panel->y1 = hi[1];
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Contour levels at quantiles of f over the grid: every part of the picture gets lines,
 * whatever the function's scale. Returns how many (NaN grid points are left out). */
static int quantile_levels(const double *z, int n, double *levels)
{
	double *sorted = malloc((size_t)n * sizeof *sorted);
	int m = 0;
	for (int i = 0; sorted && i < n; i++)
		if (isfinite(z[i]))
			sorted[m++] = z[i];
	if (!sorted || m == 0) {
		free(sorted);
		return 0;
	}
	qsort(sorted, (size_t)m, sizeof *sorted, compare_doubles);
	int count = 0;
	for (int l = 0; l < LEVELS; l++) {
		double q = pow((l + 0.5) / LEVELS, 2); /* denser near the minimum */
		double level = sorted[(int)(q * (m - 1))];
		if (count == 0 || level > levels[count - 1])
			levels[count++] = level;
	}
	free(sorted);
	return count;
}

/* The title of the contour panel: beyond two variables, which slice it shows (the
 * values of the other variables, in xs). */
static void plane_title(char *title, size_t size, const struct minimize_plan *p, const double *xs)
{
	int used = snprintf(title, size, "%s: contour lines and paths", p->name);
	for (int v = 2; v < p->nvars && used > 0 && (size_t)used < size; v++)
		used += snprintf(title + used, size - (size_t)used, "%s%s = %.3g%s",
		                 v == 2 ? " (slice " : ", ", p->vars[v], xs[v],
		                 v == p->nvars - 1 ? ")" : "");
}

/* Left panel, two variables: contour lines of f and every path, one unit of x as long as
 * one of y (a ravine looks like one). */
static int plot_plane(FILE *out, struct svg_panel *panel, const struct minimize_plan *p,
                      const struct minimize_result *r)
{
	fit_paths(panel, p, r);
	svg_equal_aspect(panel);
	double *z = malloc(GRID * GRID * sizeof *z), *values = malloc((size_t)p->fn->n * sizeof *values);
	double *xs = malloc((size_t)p->nvars * sizeof *xs);
	if (!z || !values || !xs) {
		free(z);
		free(values);
		free(xs);
		return -1;
	}
	/* beyond two variables: the slice through the first path's last point */
	for (int v = 2; v < p->nvars; v++)
		xs[v] = r->paths[0].rows > 0 ? r->paths[0].x[(r->paths[0].rows - 1) * p->nvars + v] : 0;
	for (int row = 0; row < GRID; row++)
		for (int col = 0; col < GRID; col++) {
			struct sc_error err;
			xs[0] = panel->x0 + (panel->x1 - panel->x0) * col / (GRID - 1);
			xs[1] = panel->y0 + (panel->y1 - panel->y0) * row / (GRID - 1);
			z[row * GRID + col] = sc_eval(p->fn, xs, values, &err) == 0
				? values[p->fn->n - 1] : NAN;
		}
	double levels[LEVELS];
	int nlevels = quantile_levels(z, GRID * GRID, levels);
	char title[400];
	plane_title(title, sizeof title, p, xs);
	svg_axes(out, panel, &(struct svg_axes){title, p->vars[0], p->vars[1]});
	svg_contours(out, panel, z, GRID, GRID, levels, nlevels);
	for (int i = 0; i < r->npaths; i++) {
		const struct minimize_path *path = &r->paths[i];
		double *px = malloc((size_t)path->rows * 2 * sizeof *px);
		if (!px)
			break;
		for (int k = 0; k < path->rows; k++) {
			px[k] = path->x[k * p->nvars];
			px[path->rows + k] = path->x[k * p->nvars + 1];
		}
		struct svg_series s = {NULL, px, px + path->rows, path->rows};
		svg_line(out, panel, &s, svg_color(i), 1.8);
		svg_markers(out, panel, &s, svg_color(i), 2.4);
		free(px);
	}
	free(z);
	free(values);
	free(xs);
	return 0;
}

/* Left panel, one variable: the curve of f and every path on it. */
static void plot_line(FILE *out, struct svg_panel *panel, const struct minimize_plan *p,
                      const struct minimize_result *r)
{
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < r->npaths; i++)
		for (int k = 0; k < r->paths[i].rows; k++) {
			lo = fmin(lo, r->paths[i].x[k]);
			hi = fmax(hi, r->paths[i].x[k]);
		}
	double pad = fmax((hi - lo) * 0.15, 0.5);
	enum { SAMPLES = 400 };
	double xs[SAMPLES], fs[SAMPLES], *values = malloc((size_t)p->fn->n * sizeof *values);
	for (int i = 0; i < SAMPLES; i++) {
		struct sc_error err;
		xs[i] = lo - pad + (hi - lo + 2 * pad) * i / (SAMPLES - 1);
		fs[i] = values && sc_eval(p->fn, &xs[i], values, &err) == 0 ? values[p->fn->n - 1] : NAN;
	}
	free(values);
	struct svg_series curve = {NULL, xs, fs, SAMPLES};
	svg_fit(panel, &curve, 1);
	char title[160];
	snprintf(title, sizeof title, "%s and the paths on it", p->name);
	svg_axes(out, panel, &(struct svg_axes){title, p->vars[0], p->name});
	svg_line(out, panel, &curve, "#888", 1.2);
	for (int i = 0; i < r->npaths; i++) {
		const struct minimize_path *path = &r->paths[i];
		struct svg_series s = {NULL, path->x, path->f, path->rows};
		svg_line(out, panel, &s, svg_color(i), 1.4);
		svg_markers(out, panel, &s, svg_color(i), 2.6);
	}
}

/* One of the right-hand panels: a quantity per step for every path. */
static void plot_per_step(FILE *out, struct svg_panel *panel, const struct minimize_result *r,
                          const double *steps, int which, const char *title, const char *ylabel)
{
	struct svg_series *s = r->npaths > 0 ? calloc((size_t)r->npaths, sizeof *s) : NULL;
	if (!s)
		return;
	for (int i = 0; i < r->npaths; i++) {
		const struct minimize_path *path = &r->paths[i];
		s[i] = (struct svg_series){NULL, steps,
		                           which == 0 ? path->f : which == 1 ? path->lr : path->state,
		                           path->rows};
	}
	svg_fit(panel, s, r->npaths);
	svg_axes(out, panel, &(struct svg_axes){title, "step", ylabel});
	for (int i = 0; i < r->npaths; i++)
		svg_line(out, panel, &s[i], svg_color(i), 1.4);
	free(s);
}

/* Whether a log axis suits column `which` (0 f, 2 state) of every path: its values are
 * positive (the state's zero at step 0 aside) and span at least two decades. */
static bool wants_log(const struct minimize_result *r, int which)
{
	double lo = INFINITY, hi = 0;
	for (int i = 0; i < r->npaths; i++)
		for (int k = 0; k < r->paths[i].rows; k++) {
			double v = which == 0 ? r->paths[i].f[k] : r->paths[i].state[k];
			if (v < 0 || (v == 0 && which == 0))
				return false;
			if (v > 0) {
				lo = fmin(lo, v);
				hi = fmax(hi, v);
			}
		}
	return hi > 0 && hi >= 100 * lo;
}

/* Which of the two state panels state s of optimizer c goes to: 0 the averages of g
 * (signed: m, m̂, b, ḡ, momentum's velocity v), 1 the sums and averages of g² (v, v̂, G,
 * vmax: positive, often over decades). */
static int state_panel(const struct optim_config *c, enum minimize_state s)
{
	switch (s) {
	case MSTATE_V: return c->kind == OPT_MOMENTUM ? 0 : 1;
	case MSTATE_G:
	case MSTATE_VHAT:
	case MSTATE_VMAX: return 1;
	default: return 0;
	}
}

/* The series of state panel `panel`: every state of it each path keeps, per variable,
 * at most max (values: max rows of S+1), labelled "adam (run 0): m_x". Returns how
 * many. */
static int state_series(const struct minimize_plan *p, const struct minimize_result *r,
                        int panel, struct svg_series *series, char (*labels)[200],
                        double *values, int max)
{
	int n = 0;
	for (int i = 0; i < r->npaths; i++) {
		const struct minimize_path *path = &r->paths[i];
		const struct optim_config *c = &p->opts[path->opt];
		for (int s = 0; s < MSTATE_COUNT; s++)
			for (int v = 0; v < p->nvars && n < max; v++) {
				if (!minimize_state_kept(c, (enum minimize_state)s)
				    || state_panel(c, (enum minimize_state)s) != panel)
					continue;
				double *y = &values[(size_t)n * ((size_t)p->steps + 1)];
				for (int k = 0; k < path->rows; k++)
					if (!minimize_state_value(p, path, (enum minimize_state)s, k, v, &y[k]))
						y[k] = NAN;
				if (p->nstarts > 1)
					snprintf(labels[n], sizeof labels[n], "%s (run %d, start %d): %s_%s",
					         p->opt_names[path->opt], path->opt, path->start,
					         minimize_state_names[s], p->vars[v]);
				else
					snprintf(labels[n], sizeof labels[n], "%s (run %d): %s_%s",
					         p->opt_names[path->opt], path->opt, minimize_state_names[s],
					         p->vars[v]);
				series[n] = (struct svg_series){labels[n], NULL, y, path->rows};
				n++;
			}
	}
	return n;
}

/* Whether every value of the series is >= 0 and the positive ones span two decades:
 * sums and averages of g² (G, v, v̂) read best on a log axis. */
static bool series_want_log(const struct svg_series *s, int n)
{
	double lo = INFINITY, hi = 0;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < s[i].n; k++) {
			double y = s[i].y[k];
			if (y < 0)
				return false;
			if (y > 0) {
				lo = fmin(lo, y);
				hi = fmax(hi, y);
			}
		}
	return hi > 0 && hi >= 100 * lo;
}

enum { STATE_H = 300, STATE_SERIES = 16 };

/* Whether some optimizer of the plan keeps a state of bottom panel `which`. */
static bool panel_used(const struct minimize_plan *p, int which)
{
	for (int o = 0; o < p->nopts; o++)
		for (int s = 0; s < MSTATE_COUNT; s++)
			if (minimize_state_kept(&p->opts[o], (enum minimize_state)s)
			    && state_panel(&p->opts[o], (enum minimize_state)s) == which)
				return true;
	return false;
}

/* One of the two bottom panels (state_panel): each state per variable and step, the
 * trace's state columns, ready to draw. */
struct state_plot {
	struct svg_series *series;
	char (*labels)[200];
	double *values;
	int n;           /* series; 0: no path keeps a state of this panel; -1: no memory */
	double legend_h; /* the height of its legend at the panel's width */
};

static void state_prepare(struct state_plot *s, const struct minimize_plan *p,
                          const struct minimize_result *r, const double *steps, int which,
                          double wide)
{
	*s = (struct state_plot){calloc(STATE_SERIES, sizeof *s->series),
	                         calloc(STATE_SERIES, sizeof *s->labels),
	                         malloc(STATE_SERIES * ((size_t)p->steps + 1) * sizeof *s->values)};
	s->n = s->series && s->labels && s->values
		? state_series(p, r, which, s->series, s->labels, s->values, STATE_SERIES) : -1;
	for (int i = 0; i < s->n; i++)
		s->series[i].x = steps;
	s->legend_h = s->n > 0 ? svg_legend_height(wide, s->series, s->n) : 0;
}

static void state_free(struct state_plot *s)
{
	free(s->series);
	free(s->labels);
	free(s->values);
}

/* Draws s (panel `which`) at page position (left, top), wide pixels wide, its legend
 * under its x axis; 0, or -1 when s could not be made. */
static int state_draw(FILE *out, const struct state_plot *s, int which, double left,
                      double top, double wide)
{
	static const char *const titles[] = {
		"averages of g: m, mhat, b, gbar, momentum's v",
		"sums and averages of g²: v, vhat, G, vmax",
	};
	if (s->n <= 0)
		return s->n;
	struct svg_panel panel = {.left = left, .top = top, .width = wide, .height = STATE_H - 86,
	                          .logy = series_want_log(s->series, s->n), .xint = true};
	svg_fit(&panel, s->series, s->n);
	svg_axes(out, &panel, &(struct svg_axes){titles[which], "step", "state"});
	for (int i = 0; i < s->n; i++)
		svg_line(out, &panel, &s->series[i], svg_color(i), 1.4);
	svg_legend(out, left, top + STATE_H - 40, wide, s->series, s->n);
	return 0;
}

int minimize_plot(FILE *out
, const struct minimize_plan *p, const struct minimize_result *r)
{
	struct svg_series *legend = calloc((size_t)r->npaths, sizeof *legend);
	char (*labels)[160] = calloc((size_t)r->npaths, sizeof *labels);
	double *steps = malloc(((size_t)p->steps + 1) * sizeof *steps);
	if (!legend || !labels || !steps) {
		free(legend);
		free(labels);
		free(steps);
		return -1;
	}
	for (int k = 0; k <= p->steps; k++)
		steps[k] = k;
	for (int i = 0; i < r->npaths; i++) {
		const struct minimize_path *path = &r->paths[i];
		const double *x0 = &p->starts[path->start * p->nvars];
		int used = snprintf(labels[i], sizeof labels[i], "%s from (", p->opt_labels[path->opt]);
		for (int v = 0; v < p->nvars && used < (int)sizeof labels[i]; v++)
			used += snprintf(labels[i] + used, sizeof labels[i] - (size_t)used, "%s%g",
			                 v ? ", " : "", x0[v]);
		if (used < (int)sizeof labels[i] - 1)
			strcat(labels[i], ")");
		legend[i].label = labels[i];
	}
	/* the legend goes under every panel, where it covers no path; the state panels (one
	 * across the page, or two side by side) under it, their legends under them */
	double legend_h = svg_legend_height(PAGE_W - 160, legend, r->npaths);
	bool both = panel_used(p, 0) && panel_used(p, 1), state = states_kept(p) != 0;
	double wide = both ? 450 : 1010, state_top = PAGE_H + legend_h + 16;
	struct state_plot sp[2] = {{0}, {0}};
	for (int k = 0; state && k < (both ? 2 : 1); k++)
		state_prepare(&sp[k], p, r, steps, both ? k : panel_used(p, 1), wide);
	double state_h = state ? STATE_H + fmax(sp[0].legend_h, sp[1].legend_h) : 0;
	svg_begin(out, PAGE_W, PAGE_H + (int)legend_h + (int)state_h);
	struct svg_panel main = {.left = 80, .top = 36, .width = 560, .height = 470};
	int status = 0;
	if (p->nvars >= 2)
		status = plot_plane(out, &main, p, r);
	else
		plot_line(out, &main, p, r);
	struct svg_panel right[3];
	char f_title[160];
	snprintf(f_title, sizeof f_title, "%s per step", p->name);
	const char *const titles[] = {f_title, "learning rate per step",
	                              "norm of the optimizer's state"};
	const char *const ylabels[] = {p->name, "lr", "state"};
	for (int j = 0; j < 3; j++) {
		right[j] = (struct svg_panel){.left = 760, .top = 36 + j * 178, .width = 330,
		                              .height = 118, .logy = j != 1 && wants_log(r, j),
		                              .xint = true};
		plot_per_step(out, &right[j], r, steps, j, titles[j], ylabels[j]);
	}
	svg_legend(out, main.left, PAGE_H - 6, PAGE_W - 160, legend, r->npaths);
	if (state && both) /* the trace's state columns */
		status |= state_draw(out, &sp[0], 0, 80, state_top, wide)
			| state_draw(out, &sp[1], 1, 640, state_top, wide);
	else if (state)
		status |= state_draw(out, &sp[0], panel_used(p, 1), 80, state_top, wide);
	state_free(&sp[0]);
	state_free(&sp[1]);
	free(legend);
	free(labels);
	free(steps);
	return svg_end(out) | status;
}
