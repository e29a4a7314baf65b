/* sweep_plot.c — summary.svg (see sweep_plot.h). */
#include "sweep_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

enum { LEFT_W = 400, RIGHT_W = 400, PANEL_H = 320, PAGE_W = 1000, MAX_EPOCHS = 100000 };

/* The values of key in the JSON Lines log at path, one per line, into *y (owned), with
 * the epochs into *x; how many (0 when unreadable). */
static int read_curve(const char *path, const char *key, double **x, double **y)
{
	FILE *f = fopen(path, "r");
	char pattern[80], *line = NULL;
	size_t cap = 0;
	int n = 0, room = 0;
	*x = *y = NULL;
	snprintf(pattern, sizeof pattern, "\"%s\": ", key);
	while (f && getline(&line, &cap, f) > 0 && n < MAX_EPOCHS) {
		const char *at = strstr(line, pattern), *epoch = strstr(line, "\"epoch\": ");
		if (!at || !epoch)
			continue;
		if (n == room) {
			room = room ? 2 * room : 64;
			double *nx = realloc(*x, (size_t)room * sizeof *nx);
			double *ny = nx ? realloc(*y, (size_t)room * sizeof *ny) : NULL;
			*x = nx ? nx : *x;
			*y = ny ? ny : *y;
			if (!nx || !ny)
				break;
		}
		(*x)[n] = strtod(epoch + 9, NULL);
		(*y)[n++] = strtod(at + strlen(pattern), NULL);
	}
	free(line);
	if (f)
		fclose(f);
	return n;
}

/* Fits p to the series, its y range to the values alone (not from 0: the differences
 * between trials are the point), padded a little. */
static void fit_tight(struct svg_panel *p, const struct svg_series *series, int n)
{
	svg_fit(p, series, n);
	double lo = INFINITY, hi = -INFINITY;
	for (int s = 0; s < n; s++)
		for (int i = 0; i < series[s].n; i++)
			if (isfinite(series[s].y[i])) {
				lo = fmin(lo, series[s].y[i]);
				hi = fmax(hi, series[s].y[i]);
			}
	if (!(lo <= hi))
		return;
	double pad = hi > lo ? (hi - lo) * 0.08 : 0.01 * fmax(1, fabs(hi));
	p->y0 = lo - pad;
	p->y1 = hi + pad;
}

/* The left panel: each configuration's trials as a column of points at its rank (seeds
 * spread a little), the mean as a short bar. */
static void strip_panel(FILE *out, const struct sweep_plot *sp, struct svg_series *points)
{
	struct svg_panel p = {.left = 80, .top = 40, .width = LEFT_W, .height = PANEL_H,
	                      .xint = true};
	fit_tight(&p, points, sp->nconfigs);
	p.x0 = 0.5;
	p.x1 = (sp->nconfigs > 0 ? sp->nconfigs : 1) + 0.5;
	char title[160];
	snprintf(title, sizeof title, "%s per trial, ranked (%s is better)", sp->metric,
	         sp->maximize ? "higher" : "lower");
	svg_axes(out, &p, &(struct svg_axes){title, "rank of the configuration", sp->metric});
	for (int k = 0; k < sp->nconfigs; k++) {
		svg_markers(out, &p, &points[k], svg_color(k), 3.5);
		double bx[2] = {k + 0.7, k + 1.3}, by[2] = {sp->configs[k].mean, sp->configs[k].mean};
		svg_line(out, &p, &(struct svg_series){NULL, bx, by, 2}, svg_color(k), 2);
	}
}

/* The right panel: every trial's metric per epoch from its log, coloured by its
 * configuration. */
static void curve_panel(FILE *out, const struct sweep_plot *sp, struct svg_series *curves,
                        int ncurves, const int *colour)
{
	struct svg_panel p = {.left = 80 + LEFT_W + 90, .top = 40, .width = RIGHT_W,
	                      .height = PANEL_H, .xint = true};
	fit_tight(&p, curves, ncurves);
	char title[160];
	snprintf(title, sizeof title, "%s per epoch, every trial", sp->metric);
	svg_axes(out, &p, &(struct svg_axes){title, "epoch", sp->metric});
	for (int i = 0; i < ncurves; i++) {
		svg_line(out, &p, &curves[i], svg_color(colour[i]), 1.2);
		svg_markers(out, &p, &curves[i], svg_color(colour[i]), 1.8);
	}
}

/* The rerun row, its top at top: each optimizer's rerun seeds as a column of points at
 * its rank, the mean as a bar and the range (min to max) as a thin line, so the spread
 * of one method over seeds sits beside the gaps between methods. */
static void rerun_panel(FILE *out, const struct sweep_plot *sp, struct svg_series *points,
                        double top)
{
	struct svg_panel p = {.left = 80, .top = top, .width = LEFT_W + 90 + RIGHT_W,
	                      .height = PANEL_H, .xint = true};
	fit_tight(&p, points, sp->nreruns);
	p.x0 = 0.5;
	p.x1 = sp->nreruns + 0.5;
	char title[200];
	snprintf(title, sizeof title, "%s of each optimizer's best configuration over %d new "
	         "seeds (%s is better)", sp->metric, sp->rerun_seeds,
	         sp->maximize ? "higher" : "lower");
	svg_axes(out, &p, &(struct svg_axes){title, "rank of the optimizer", sp->metric});
	for (int k = 0; k < sp->nreruns; k++) {
		const struct sweep_plot_config *c = &sp->reruns[k];
		double lo = INFINITY, hi = -INFINITY;
		for (int t = 0; t < c->ntrials; t++)
			if (isfinite(c->values[t])) {
				lo = fmin(lo, c->values[t]);
				hi = fmax(hi, c->values[t]);
			}
		double rx[2] = {k + 1, k + 1}, ry[2] = {lo, hi};
		if (lo <= hi)
			svg_line(out, &p, &(struct svg_series){NULL, rx, ry, 2}, svg_color(k), 1);
		svg_markers(out, &p, &points[k], svg_color(k), 3.5);
		double bx[2] = {k + 0.7, k + 1.3}, by[2] = {c->mean, c->mean};
		svg_line(out, &p, &(struct svg_series){NULL, bx, by, 2}, svg_color(k), 2);
	}
}

/* Each configuration's points: x its rank (seeds spread), y its trials' values. */
static void fill_points(const struct sweep_plot_config *configs, int nconfigs,
                        struct svg_series *points, double *x)
{
	for (int k = 0, at = 0; k < nconfigs; k++) {
		const struct sweep_plot_config *c = &configs[k];
		points[k] = (struct svg_series){c->label, x + at, c->values, c->ntrials};
		for (int t = 0; t < c->ntrials; t++)
			x[at++] = k + 1 + 0.08 * (t % 5 - 2);
	}
}

int sweep_plot_write(FILE *out, const void *plot)
{
	const struct sweep_plot *sp = plot;
	int ntrials = 0;
	for (int k = 0; k < sp->nconfigs; k++)
		ntrials += sp->configs[k].ntrials;
	int nrerun_points = 0;
	for (int k = 0; k < sp->nreruns; k++)
		nrerun_points += sp->reruns[k].ntrials;
	struct svg_series *points = calloc((size_t)sp->nconfigs + 1, sizeof *points);
	struct svg_series *rerun_points = calloc((size_t)sp->nreruns + 1, sizeof *rerun_points);
	double *rerun_x = calloc((size_t)nrerun_points + 1, sizeof *rerun_x);
	struct svg_series *curves = calloc((size_t)ntrials + 1, sizeof *curves);
	int *colour = calloc((size_t)ntrials + 1, sizeof *colour);
	double *x = calloc((size_t)ntrials + 1, sizeof *x);
	double **owned = calloc(2 * (size_t)ntrials + 1, sizeof *owned); /* each curve's x, y */
	int status = points && curves && colour && x && owned && rerun_points && rerun_x ? 0 : -1;
	int n = 0;
	for (int k = 0; status == 0 && k < sp->nconfigs; k++)
		for (int t = 0; t < sp->configs[k].ntrials; t++, n++) {
			char path[8400];
			double *ex, *ey;
			snprintf(path, sizeof path, "%s/trial-%d.jsonl", sp->folder, sp->configs[k].trials[t]);
			int len = read_curve(path, sp->metric, &ex, &ey);
			curves[n] = (struct svg_series){NULL, ex, ey, len};
			owned[2 * n] = ex;
			owned[2 * n + 1] = ey;
			colour[n] = k;
		}
	if (status == 0) {
		fill_points(sp->configs, sp->nconfigs, points, x);
		fill_points(sp->reruns, sp->nreruns, rerun_points, rerun_x);
		double legend = svg_legend_height(PAGE_W - 100, points, sp->nconfigs);
		double rerun_legend = svg_legend_height(PAGE_W - 100, rerun_points, sp->nreruns);
		int height = 40 + PANEL_H + 46 + (int)legend, rerun_top = height + 40;
		if (sp->nreruns > 0)
			height = rerun_top + PANEL_H + 46 + (int)rerun_legend;
		svg_begin(out, PAGE_W, height);
		strip_panel(out, sp, points);
		curve_panel(out, sp, curves, n, colour);
		svg_legend(out, 80, 40 + PANEL_H + 40, PAGE_W - 100, points, sp->nconfigs);
		if (sp->nreruns > 0) {
			rerun_panel(out, sp, rerun_points, rerun_top);
			svg_legend(out, 80, rerun_top + PANEL_H + 40, PAGE_W - 100, rerun_points,
			           sp->nreruns);
		}
		status = svg_end(out);
	}
	for (int i = 0; owned && i < 2 * n; i++)
		free(owned[i]);
	free(owned);
	free(points);
	free(rerun_points);
	free(rerun_x);
	free(curves);
	free(colour);
	free(x);
	return status;
}
