/* svg.h — line plots as standalone SVG files: axes with ticks and labels, a title, one
 * polyline per series and a legend.
 *
 * For: every picture descent writes (schedules now; losses, traces later). Not for:
 * contour plots (they will add their own layer on these axes).
 */
#ifndef DESCENT_SVG_H
#define DESCENT_SVG_H

#include <stdio.h>

struct svg_series {
	const char *label; /* legend text, or NULL for none */
	const double *x;   /* (n) */
	const double *y;   /* (n); non-finite values are skipped */
	int n;             /* points */
};

struct svg_axes {
	const char *title;  /* above the plot */
	const char *xlabel; /* under the x axis */
	const char *ylabel; /* beside the y axis */
};

/* Writes the plot to out; returns 0, or -1 if writing failed. */
int svg_line_plot(FILE *out, const struct svg_axes *axes, const struct svg_series *series,
                  int nseries);

/* A tick spacing of 1, 2 or 5 times a power of ten giving about `count` ticks over span. */
double svg_tick_step(double span, int count);

#endif
