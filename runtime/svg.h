/* svg.h — pictures as standalone SVG files: panels with axes, ticks and labels, lines,
 * markers, contour lines (marching squares over a grid of values) and legends.
 *
 * For: every picture descent writes (schedules, minimize paths, training curves). Not
 * for: computing what is drawn; callers hand in numbers.
 */
#ifndef DESCENT_SVG_H
#define DESCENT_SVG_H

#include <stdbool.h>
#include <stdio.h>

/* A panel: where it is on the page and which data range it shows. */
struct svg_panel {
	double left, top, width, height; /* the plot area on the page, in pixels */
	double x0, x1, y0, y1;           /* the data range shown */
	bool logy;                       /* y on a log10 scale (y0, y1 are then log10 values) */
	bool logx;                       /* x on a log10 scale (x0, x1 are then log10 values) */
	bool xint;                       /* x counts whole things (epochs, steps): ticks only at
	                                  * whole numbers */
};

struct svg_series {
	const char *label; /* legend text, or NULL for none */
	const double *x;   /* (n) */
	const double *y;   /* (n); non-finite values (and <= 0 on a log axis) are skipped */
	int n;             /* points */
};

struct svg_axes {
	const char *title;  /* above the panel */
	const char *xlabel; /* under the x axis */
	const char *ylabel; /* beside the y axis */
};

/* The colour of series i (a fixed palette). */
const char *svg_color(int i);

void svg_begin(FILE *out, int width, int height);
/* Closes the document; returns 0, or -1 if anything failed to write. */
int svg_end(FILE *out);

/* Sets p's data range to fit the series (in log10 units on a log axis: non-positive
 * values are left out); y starts at 0 when every value is positive (unless logy). Leaves
 * the page position alone. */
void svg_fit(struct svg_panel *p, const struct svg_series *series, int nseries);
/* Grid lines, ticks, tick labels, axis labels, title and frame of a panel. */
void svg_axes(FILE *out, const struct svg_panel *p, const struct svg_axes *axes);
void svg_line(FILE *out, const struct svg_panel *p, const struct svg_series *s,
              const char *color, double width);
void svg_markers(FILE *out, const struct svg_panel *p, const struct svg_series *s,
                 const char *color, double radius);
/* Contour lines of z, a grid of ny rows by nx columns over the panel's whole data range
 * (row 0 at y0, column 0 at x0; NaN where undefined), one line per level. */
void svg_contours(FILE *out, const struct svg_panel *p, const double *z, int nx, int ny,
                  const double *levels, int nlevels);
/* Widens the smaller of p's two data ranges (about its centre) so that one unit of x and
 * one unit of y take as many pixels: contour plots keep the function's true shape. */
void svg_equal_aspect(struct svg_panel *p);

/* A legend of the labelled series (series i in svg_color(i)), its top-left corner at
 * (x, y), entries left to right, a new row when one would pass width pixels. Callers put
 * it outside every plot area, so it never covers a path or a start point. */
void svg_legend(FILE *out, double x, double y, double width, const struct svg_series *series,
                int nseries);
/* The height svg_legend takes for the same arguments (0 when nothing is labelled). */
double svg_legend_height(double width, const struct svg_series *series, int nseries);

/* A whole page with one panel: what `descent schedule --plot` draws. */
int svg_line_plot(FILE *out, const struct svg_axes *axes, const struct svg_series *series,
                  int nseries);

/* A tick spacing of 1, 2 or 5 times a power of ten giving about `count` ticks over span. */
double svg_tick_step(double span, int count);

/* The ticks of a log10 axis showing log10 values lo … hi: whole powers of ten when the
 * range holds at least two, else 1, 2, 5 × 10^k, else 1 … 9 × 10^k, else evenly spaced
 * values; at least two ticks whenever hi > lo. Writes at most max values (log10 of the
 * tick) into at and returns how many. */
int svg_log_ticks(double lo, double hi, double *at, int max);

#endif
