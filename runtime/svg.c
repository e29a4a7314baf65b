/* svg.c — line plots as SVG (see svg.h). Plain SVG 1.1, no script, no external fonts:
 * it opens in any browser and can be committed next to the file that made it. */
#include "svg.h"

#include <math.h>
#include <stdbool.h>

enum { WIDTH = 760, HEIGHT = 440, LEFT = 90, RIGHT = 24, TOP = 44, BOTTOM = 56 };

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

/* Writes s with the XML special characters escaped. */
static void put_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

double svg_tick_step(double span, int count)
{
	if (!(span > 0) || !isfinite(span))
		return 1;
	double raw = span / count, magnitude = pow(10, floor(log10(raw)));
	double fraction = raw / magnitude;
	return magnitude * (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10);
}

struct frame {
	double x0, x1, y0, y1; /* data range shown */
};

static double px(const struct frame *f, double x)
{
	return LEFT + (x - f->x0) / (f->x1 - f->x0) * (WIDTH - LEFT - RIGHT);
}

static double py(const struct frame *f, double y)
{
	return HEIGHT - BOTTOM - (y - f->y0) / (f->y1 - f->y0) * (HEIGHT - TOP - BOTTOM);
}

/* The range of all finite points; y starts at 0 when every value is positive. */
static struct frame data_frame(const struct svg_series *series, int nseries)
{
	struct frame f = {INFINITY, -INFINITY, INFINITY, -INFINITY};
	for (int s = 0; s < nseries; s++)
		for (int i = 0; i < series[s].n; i++) {
			double x = series[s].x[i], y = series[s].y[i];
			if (!isfinite(x) || !isfinite(y))
				continue;
			f.x0 = fmin(f.x0, x);
			f.x1 = fmax(f.x1, x);
			f.y0 = fmin(f.y0, y);
			f.y1 = fmax(f.y1, y);
		}
	if (!(f.x0 <= f.x1))
		f = (struct frame){0, 1, 0, 1};
	if (f.y0 > 0)
		f.y0 = 0;
	if (f.x1 == f.x0)
		f.x1 = f.x0 + 1;
	if (f.y1 == f.y0)
		f.y1 = f.y0 + (f.y0 == 0 ? 1 : fabs(f.y0));
	f.y1 += (f.y1 - f.y0) * 0.04; /* headroom above the highest point */
	return f;
}

static void put_axes(FILE *out, const struct frame *f, const struct svg_axes *axes)
{
	double step = svg_tick_step(f->x1 - f->x0, 8);
	fprintf(out, "<g stroke=\"#ccc\" stroke-width=\"1\">\n");
	for (double x = ceil(f->x0 / step) * step; x <= f->x1 + step * 1e-9; x += step)
		fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", px(f, x), TOP,
		        px(f, x), HEIGHT - BOTTOM);
	double ystep = svg_tick_step(f->y1 - f->y0, 6);
	for (double y = ceil(f->y0 / ystep) * ystep; y <= f->y1; y += ystep)
		fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", LEFT, py(f, y),
		        WIDTH - RIGHT, py(f, y));
	fprintf(out, "</g>\n<g font-family=\"sans-serif\" font-size=\"12\" fill=\"#333\">\n");
	for (double x = ceil(f->x0 / step) * step; x <= f->x1 + step * 1e-9; x += step)
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(f, x),
		        HEIGHT - BOTTOM + 16, fabs(x) < step * 1e-9 ? 0 : x);
	for (double y = ceil(f->y0 / ystep) * ystep; y <= f->y1; y += ystep)
		fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", LEFT - 6,
		        py(f, y) + 4, fabs(y) < ystep * 1e-9 ? 0 : y);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (LEFT + WIDTH - RIGHT) / 2,
	        HEIGHT - 14);
	put_text(out, axes->xlabel);
	fprintf(out, "</text>\n<text transform=\"translate(18 %d) rotate(-90)\" "
	        "text-anchor=\"middle\">", (TOP + HEIGHT - BOTTOM) / 2);
	put_text(out, axes->ylabel);
	fprintf(out, "</text>\n<text x=\"%d\" y=\"26\" font-size=\"15\" text-anchor=\"middle\">",
	        (LEFT + WIDTH - RIGHT) / 2);
	put_text(out, axes->title);
	fprintf(out, "</text>\n</g>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	        "fill=\"none\" stroke=\"#333\"/>\n", LEFT, TOP, WIDTH - LEFT - RIGHT,
	        HEIGHT - TOP - BOTTOM);
}

static void put_series(FILE *out, const struct frame *f, const struct svg_series *s,
                       const char *color)
{
	bool open = false;
	for (int i = 0; i < s->n; i++) {
		if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
			if (open)
				fputs("\"/>\n", out);
			open = false;
			continue;
		}
		if (!open)
			fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
			        "points=\"", color);
		fprintf(out, "%s%.2f,%.2f", open ? " " : "", px(f, s->x[i]), py(f, s->y[i]));
		open = true;
	}
	if (open)
		fputs("\"/>\n", out);
}

static void put_legend(FILE *out, const struct svg_series *series, int nseries)
{
	int row = 0;
	for (int s = 0; s < nseries; s++) {
		if (!series[s].label)
			continue;
		int y = TOP + 16 + 18 * row++;
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		        "stroke-width=\"3\"/>\n<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" "
		        "font-size=\"12\">", WIDTH - RIGHT - 180, y - 4, WIDTH - RIGHT - 160, y - 4,
		        palette[s % 8], WIDTH - RIGHT - 154, y);
		put_text(out, series[s].label);
		fputs("</text>\n", out);
	}
}

int svg_line_plot(FILE *out, const struct svg_axes *axes, const struct svg_series *series,
                  int nseries)
{
	struct frame f = data_frame(series, nseries);
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
	        WIDTH, HEIGHT, WIDTH, HEIGHT);
	put_axes(out, &f, axes);
	for (int s = 0; s < nseries; s++)
		put_series(out, &f, &series[s], palette[s % 8]);
	put_legend(out, series, nseries);
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
