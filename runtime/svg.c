/* svg.c — SVG pictures (see svg.h). Plain SVG 1.1, no script, no external fonts: it
 * opens in any browser and can be committed next to the file that made it. */
#include "svg.h"

#include <math.h>

/* Sixteen colours that stay apart on white: a sweep's summary tells up to sixteen
 * configurations apart (after that they repeat). */
static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
	"#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
};
enum { PALETTE = sizeof palette / sizeof palette[0] };

const char *svg_color(int i)
{
	return palette[i % PALETTE];
}

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

/* The page x of data value x (already log10 on a log axis). */
static double px(const struct svg_panel *p, double x)
{
	return p->left + (x - p->x0) / (p->x1 - p->x0) * p->width;
}

/* The page y of data value y (already log10 on a log axis). */
static double py(const struct svg_panel *p, double y)
{
	return p->top + p->height - (y - p->y0) / (p->y1 - p->y0) * p->height;
}

/* Whether a point can be drawn, and its x and y in panel units (log10 on a log axis). */
static bool point_xy(const struct svg_panel *p, double x, double y, double *ux, double *uy)
{
	if (!isfinite(x) || !isfinite(y) || (p->logy && y <= 0) || (p->logx && x <= 0))
		return false;
	*ux = p->logx ? log10(x) : x;
	*uy = p->logy ? log10(y) : y;
	return true;
}

void svg_begin(FILE *out, int width, int height)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", width, height,
	        width, height);
}

int svg_end(FILE *out)
{
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}

void svg_fit(struct svg_panel *p, const struct svg_series *series, int nseries)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY, x, y;
	for (int s = 0; s < nseries; s++)
		for (int i = 0; i < series[s].n; i++) {
			if (!point_xy(p, series[s].x[i], series[s].y[i], &x, &y))
				continue;
			x0 = fmin(x0, x);
			x1 = fmax(x1, x);
			y0 = fmin(y0, y);
			y1 = fmax(y1, y);
		}
	if (!(x0 <= x1)) {
		x0 = y0 = 0;
		x1 = y1 = 1;
	}
	if (!p->logy && y0 > 0)
		y0 = 0;
	if (x1 == x0)
		x1 = x0 + 1;
	if (y1 == y0)
		y1 = y0 + (y0 == 0 ? 1 : fabs(y0) * 0.1);
	y1 += (y1 - y0) * 0.04; /* headroom above the highest point */
	p->x0 = x0;
	p->x1 = x1;
	p->y0 = y0;
	p->y1 = y1;
}

void svg_equal_aspect(struct svg_panel *p)
{
	double per_px = fmax((p->x1 - p->x0) / p->width, (p->y1 - p->y0) / p->height);
	double cx = (p->x0 + p->x1) / 2, cy = (p->y0 + p->y1) / 2;
	p->x0 = cx - per_px * p->width / 2;
	p->x1 = cx + per_px * p->width / 2;
	p->y0 = cy - per_px * p->height / 2;
	p->y1 = cy + per_px * p->height / 2;
}

enum { MAX_TICKS = 64 };

/* Linear ticks of [lo, hi], about `want` of them (whole numbers only when whole); into
 * at, returns how many. */
static int linear_ticks(double lo, double hi, int want, bool whole, double *at)
{
	double step = svg_tick_step(hi - lo, want);
	if (whole)
		step = fmax(step, 1);
	double first = ceil(lo / step - 1e-9) * step;
	int n = 0;
	for (double v = first; v <= hi + step * 1e-9 && n < MAX_TICKS; v = first + n * step)
		at[n++] = fabs(v) < step * 1e-9 ? 0 : v;
	return n;
}

/* The log ticks with mantissas m[0 … nm−1] in [lo, hi], every stride-th decade. */
static int mantissa_ticks(double lo, double hi, const double *m, int nm, int stride, double *at,
                          int max)
{
	int n = 0;
	for (double e = floor(lo); e <= ceil(hi); e++) {
		if (fmod(fabs(e), stride) != 0)
			continue;
		for (int k = 0; k < nm; k++) {
			double v = e + log10(m[k]);
			if (v >= lo - 1e-9 && v <= hi + 1e-9 && n < max)
				at[n++] = v;
		}
	}
	return n;
}

int svg_log_ticks(double lo, double hi, double *at, int max)
{
	static const double one[] = {1}, few[] = {1, 2, 5}, all[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	if (!(hi > lo) || !isfinite(lo) || !isfinite(hi) || max < 2)
		return 0;
	int decades = (int)(floor(hi + 1e-9) - ceil(lo - 1e-9)) + 1;
	int n = mantissa_ticks(lo, hi, one, 1, decades > 10 ? (decades + 7) / 8 : 1, at, max);
	if (n < 3)
		n = mantissa_ticks(lo, hi, few, 3, 1, at, max);
	if (n < 3)
		n = mantissa_ticks(lo, hi, all, 9, 1, at, max);
	if (n >= 2)
		return n;
	/* less than a ninth of a decade: evenly spaced values */
	double v[MAX_TICKS];
	int count = linear_ticks(pow(10, lo), pow(10, hi), 4, false, v);
	n = 0;
	for (int i = 0; i < count && n < max; i++)
		if (v[i] > 0)
			at[n++] = log10(v[i]);
	return n;
}

/* A tick label: on a log axis the value 10^v, else v. */
static void put_tick_label(FILE *out, double x, double y, const char *anchor, double v, bool log)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	if (log)
		fprintf(out, "%.3g", pow(10, v));
	else
		fprintf(out, "%.4g", v);
	fputs("</text>\n", out);
}

/* The ticks of one axis (in panel units) into at; how many. */
static int axis_ticks(double lo, double hi, bool log, bool whole, int want, double *at)
{
	return log ? svg_log_ticks(lo, hi, at, MAX_TICKS) : linear_ticks(lo, hi, want, whole, at);
}

void svg_axes(FILE *out, const struct svg_panel *p, const struct svg_axes *axes)
{
	double xt[MAX_TICKS], yt[MAX_TICKS];
	int nx = axis_ticks(p->x0, p->x1, p->logx, p->xint, p->width > 400 ? 8 : 6, xt);
	int ny = axis_ticks(p->y0, p->y1, p->logy, false, p->height > 200 ? 6 : 4, yt);
	double bottom = p->top + p->height, right = p->left + p->width;
	fputs("<g stroke=\"#ddd\" stroke-width=\"1\">\n", out);
	for (int i = 0; i < nx; i++)
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		        px(p, xt[i]), p->top, px(p, xt[i]), bottom);
	for (int i = 0; i < ny; i++)
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p->left,
		        py(p, yt[i]), right, py(p, yt[i]));
	fputs("</g>\n<g font-size=\"11\" fill=\"#333\">\n", out);
	for (int i = 0; i < nx; i++)
		put_tick_label(out, px(p, xt[i]), bottom + 14, "middle", xt[i], p->logx);
	for (int i = 0; i < ny; i++)
		put_tick_label(out, p->left - 5, py(p, yt[i]) + 4, "end", yt[i], p->logy);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">",
	        p->left + p->width / 2, bottom + 32);
	put_text(out, axes->xlabel);
	fprintf(out, "</text>\n<text transform=\"translate(%.1f %.1f) rotate(-90)\" "
	        "text-anchor=\"middle\" font-size=\"12\">", p->left - 56, p->top + p->height / 2);
	put_text(out, axes->ylabel);
	fprintf(out, "</text>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">",
	        p->left + p->width / 2, p->top - 8);
	put_text(out, axes->title);
	fprintf(out, "</text>\n</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	        "fill=\"none\" stroke=\"#333\"/>\n", p->left, p->top, p->width, p->height);
}

void svg_line(FILE *out, const struct svg_panel *p, const struct svg_series *s,
              const char *color, double width)
{
	bool open = false;
	double x, y;
	for (int i = 0; i < s->n; i++) {
		if (!point_xy(p, s->x[i], s->y[i], &x, &y)) {
			if (open)
				fputs("\"/>\n", out);
			open = false;
			continue;
		}
		if (!open)
			fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
			        "stroke-linejoin=\"round\" points=\"", color, width);
		fprintf(out, "%s%.2f,%.2f", open ? " " : "", px(p, x), py(p, y));
		open = true;
	}
	if (open)
		fputs("\"/>\n", out);
}

void svg_markers(FILE *out, const struct svg_panel *p, const struct svg_series *s,
                 const char *color, double radius)
{
	double x, y;
	fprintf(out, "<g fill=\"%s\">\n", color);
	for (int i = 0; i < s->n; i++)
		if (point_xy(p, s->x[i], s->y[i], &x, &y))
			fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\"/>\n", px(p, x),
			        py(p, y), radius);
	fputs("</g>\n", out);
}

/* The point where level crosses the edge between grid corners a (value za) and b. */
static void crossing(const struct svg_panel *p, double ax, double ay, double za, double bx,
                     double by, double zb, double level, double *x, double *y)
{
	double f = (level - za) / (zb - za);
	*x = px(p, ax + f * (bx - ax));
	*y = py(p, ay + f * (by - ay));
}

/* Marching squares over one cell with corners (x0, y0) .. (x1, y1), values z[4] counter-
 * clockwise from the bottom-left. */
static void contour_cell(FILE *out, const struct svg_panel *p, double x0, double y0, double x1,
                         double y1, const double z[4], double level)
{
	const double cx[4] = {x0, x1, x1, x0}, cy[4] = {y0, y0, y1, y1};
	int mask = 0;
	for (int k = 0; k < 4; k++)
		mask |= (z[k] > level) << k;
	if (mask == 0 || mask == 15)
		return;
	/* the edges the line crosses: edge k joins corners k and k+1 */
	double ex[4], ey[4];
	int n = 0;
	for (int k = 0; k < 4; k++) {
		int j = (k + 1) % 4;
		if (((mask >> k) & 1) != ((mask >> j) & 1)) {
			crossing(p, cx[k], cy[k], z[k], cx[j], cy[j], z[j], level, &ex[n], &ey[n]);
			n++;
		}
	}
	if (n == 2) {
		fprintf(out, "M%.1f %.1fL%.1f %.1f", ex[0], ey[0], ex[1], ey[1]);
		return;
	}
	/* a saddle (all four edges crossed): the centre's value decides whether the lines
	 * cut off corners 1 and 3 (edges 0-1, 2-3) or corners 0 and 2 (edges 3-0, 1-2) */
	double centre = (z[0] + z[1] + z[2] + z[3]) / 4;
	bool cut_1_and_3 = (centre > level) == ((mask & 1) != 0);
	if (cut_1_and_3)
		fprintf(out, "M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f", ex[0], ey[0], ex[1], ey[1],
		        ex[2], ey[2], ex[3], ey[3]);
	else
		fprintf(out, "M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f", ex[0], ey[0], ex[3], ey[3],
		        ex[1], ey[1], ex[2], ey[2]);
}

void svg_contours(FILE *out, const struct svg_panel *p, const double *z, int nx, int ny,
                  const double *levels, int nlevels)
{
	double dx = (p->x1 - p->x0) / (nx - 1), dy = (p->y1 - p->y0) / (ny - 1);
	for (int l = 0; l < nlevels; l++) {
		fprintf(out, "<path fill=\"none\" stroke=\"#888\" stroke-width=\"0.8\" d=\"");
		for (int r = 0; r + 1 < ny; r++)
			for (int c = 0; c + 1 < nx; c++) {
				const double cell[4] = {z[r * nx + c], z[r * nx + c + 1],
				                        z[(r + 1) * nx + c + 1], z[(r + 1) * nx + c]};
				if (isfinite(cell[0]) && isfinite(cell[1]) && isfinite(cell[2])
				    && isfinite(cell[3]))
					contour_cell(out, p, p->x0 + c * dx, p->y0 + r * dy,
					             p->x0 + (c + 1) * dx, p->y0 + (r + 1) * dy, cell,
					             levels[l]);
			}
		fputs("\"/>\n", out);
	}
}

/* The width of a legend entry: its swatch and its label (6.2 px a character). */
static double entry_width(const char *label)
{
	double w = 0;
	for (const char *c = label; c && *c; c++)
		w += ((unsigned char)*c & 0xC0) != 0x80 ? 6.2 : 0;
	return 34 + w;
}

/* Lays the legend out (drawing it when out is not NULL); returns its height, and the
 * width of its widest row in *used. */
static double legend_layout(FILE *out, double x, double y, double width,
                            const struct svg_series *series, int nseries, double *used)
{
	double at = 0, rows = 0;
	*used = 0;
	for (int s = 0; s < nseries; s++) {
		if (!series[s].label)
			continue;
		double w = entry_width(series[s].label);
		if (rows == 0 || (at > 0 && at + w > width)) {
			rows++;
			at = 0;
		}
		if (out) {
			double lx = x + 6 + at, ly = y + 15 + 16 * (rows - 1);
			fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			        "stroke=\"%s\" stroke-width=\"3\"/>\n<text x=\"%.1f\" y=\"%.1f\">", lx,
			        ly - 4, lx + 18, ly - 4, svg_color(s), lx + 22, ly);
			put_text(out, series[s].label);
			fputs("</text>\n", out);
		}
		at += w + 10;
		*used = fmax(*used, at);
	}
	return rows > 0 ? 16 * rows + 6 : 0;
}

double svg_legend_height(double width, const struct svg_series *series, int nseries)
{
	double used;
	return legend_layout(NULL, 0, 0, width, series, nseries, &used);
}

void svg_legend(FILE *out, double x, double y, double width, const struct svg_series *series,
                int nseries)
{
	double used, height = legend_layout(NULL, 0, 0, width, series, nseries, &used);
	if (height == 0)
		return;
	fprintf(out, "<g class=\"legend\" font-size=\"11\">\n<rect x=\"%.1f\" y=\"%.1f\" "
	        "width=\"%.1f\" height=\"%.1f\" fill=\"white\" stroke=\"#bbb\"/>\n", x, y,
	        fmin(width, used + 2), height);
	legend_layout(out, x, y, width, series, nseries, &used);
	fputs("</g>\n", out);
}

int svg_line_plot(FILE *out, const struct svg_axes *axes, const struct svg_series *series,
                  int nseries)
{
	struct svg_panel p = {.left = 90, .top = 44, .width = 646, .height = 340, .xint = true};
	svg_fit(&p, series, nseries);
	double legend = svg_legend_height(p.width, series, nseries);
	svg_begin(out, 760, 440 + (int)legend);
	svg_axes(out, &p, axes);
	for (int s = 0; s < nseries; s++)
		svg_line(out, &p, &series[s], svg_color(s), 1.6);
	svg_legend(out, p.left, 430, p.width, series, nseries); /* under the x axis's label */
	return svg_end(out);
}
