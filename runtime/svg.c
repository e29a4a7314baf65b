/* svg.c — SVG pictures (see svg.h). Plain SVG 1.1, no script, no external fonts: it
 * opens in any browser and can be committed next to the file that made it. */
#include "svg.h"

#include <math.h>

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

const char *svg_color(int i)
{
	return palette[i % 8];
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

static double px(const struct svg_panel *p, double x)
{
	return p->left + (x - p->x0) / (p->x1 - p->x0) * p->width;
}

/* The page y of data value y (already log10 on a log axis). */
static double py(const struct svg_panel *p, double y)
{
	return p->top + p->height - (y - p->y0) / (p->y1 - p->y0) * p->height;
}

/* Whether a point can be drawn, and its y in panel units. */
static bool point_y(const struct svg_panel *p, double x, double y, double *out)
{
	if (!isfinite(x) || !isfinite(y) || (p->logy && y <= 0))
		return false;
	*out = p->logy ? log10(y) : y;
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
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY, y;
	for (int s = 0; s < nseries; s++)
		for (int i = 0; i < series[s].n; i++) {
			if (!point_y(p, series[s].x[i], series[s].y[i], &y))
				continue;
			x0 = fmin(x0, series[s].x[i]);
			x1 = fmax(x1, series[s].x[i]);
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

/* Tick values of [lo, hi]: first, step and count. */
static int ticks(double lo, double hi, int want, double *first, double *step)
{
	*step = svg_tick_step(hi - lo, want);
	*first = ceil(lo / *step - 1e-9) * *step;
	return (int)floor((hi - *first) / *step + 1e-9) + 1;
}

static void put_tick_label(FILE *out, double x, double y, const char *anchor, double v,
                           double step, bool power)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	if (power && v == floor(v))
		fprintf(out, "1e%g", v);
	else if (power)
		fprintf(out, "%.2g", pow(10, v));
	else
		fprintf(out, "%.4g", fabs(v) < step * 1e-9 ? 0 : v);
	fputs("</text>\n", out);
}

void svg_axes(FILE *out, const struct svg_panel *p, const struct svg_axes *axes)
{
	double xfirst, xstep, yfirst, ystep;
	int nx = ticks(p->x0, p->x1, 8, &xfirst, &xstep);
	int ny = ticks(p->y0, p->y1, p->height > 200 ? 6 : 4, &yfirst, &ystep);
	if (p->logy && ystep < 1 && floor(p->y1) - ceil(p->y0) >= 1)
		ny = ticks(p->y0, p->y1, 1, &yfirst, &ystep); /* whole powers of ten only */
	double bottom = p->top + p->height, right = p->left + p->width;
	fputs("<g stroke=\"#ddd\" stroke-width=\"1\">\n", out);
	for (int i = 0; i < nx; i++)
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		        px(p, xfirst + i * xstep), p->top, px(p, xfirst + i * xstep), bottom);
	for (int i = 0; i < ny; i++)
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p->left,
		        py(p, yfirst + i * ystep), right, py(p, yfirst + i * ystep));
	fputs("</g>\n<g font-size=\"11\" fill=\"#333\">\n", out);
	for (int i = 0; i < nx; i++)
		put_tick_label(out, px(p, xfirst + i * xstep), bottom + 14, "middle",
		               xfirst + i * xstep, xstep, false);
	for (int i = 0; i < ny; i++)
		put_tick_label(out, p->left - 5, py(p, yfirst + i * ystep) + 4, "end",
		               yfirst + i * ystep, ystep, p->logy);
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
	double y;
	for (int i = 0; i < s->n; i++) {
		if (!point_y(p, s->x[i], s->y[i], &y)) {
			if (open)
				fputs("\"/>\n", out);
			open = false;
			continue;
		}
		if (!open)
			fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
			        "stroke-linejoin=\"round\" points=\"", color, width);
		fprintf(out, "%s%.2f,%.2f", open ? " " : "", px(p, s->x[i]), py(p, y));
		open = true;
	}
	if (open)
		fputs("\"/>\n", out);
}

void svg_markers(FILE *out, const struct svg_panel *p, const struct svg_series *s,
                 const char *color, double radius)
{
	double y;
	fprintf(out, "<g fill=\"%s\">\n", color);
	for (int i = 0; i < s->n; i++)
		if (point_y(p, s->x[i], s->y[i], &y))
			fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\"/>\n", px(p, s->x[i]),
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

void svg_legend(FILE *out, const struct svg_panel *p, const struct svg_series *series,
                int nseries)
{
	int rows = 0;
	for (int s = 0; s < nseries; s++)
		rows += series[s].label != NULL;
	if (rows == 0)
		return;
	double width = 0;
	for (int s = 0; s < nseries; s++) {
		double w = 0;
		for (const char *c = series[s].label; c && *c; c++)
			w += ((unsigned char)*c & 0xC0) != 0x80 ? 6.2 : 0;
		width = fmax(width, w);
	}
	double x = p->left + p->width - width - 40, y = p->top + 8;
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"white\" "
	        "fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n<g font-size=\"11\">\n", x, y,
	        width + 34, 16 * rows + 6);
	int row = 0;
	for (int s = 0; s < nseries; s++) {
		if (!series[s].label)
			continue;
		double ly = y + 15 + 16 * row++;
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		        "stroke-width=\"3\"/>\n<text x=\"%.1f\" y=\"%.1f\">", x + 6, ly - 4, x + 24,
		        ly - 4, svg_color(s), x + 28, ly);
		put_text(out, series[s].label);
		fputs("</text>\n", out);
	}
	fputs("</g>\n", out);
}

int svg_line_plot(FILE *out, const struct svg_axes *axes, const struct svg_series *series,
                  int nseries)
{
	struct svg_panel p = {.left = 90, .top = 44, .width = 646, .height = 340};
	svg_fit(&p, series, nseries);
	svg_begin(out, 760, 440);
	svg_axes(out, &p, axes);
	for (int s = 0; s < nseries; s++)
		svg_line(out, &p, &series[s], svg_color(s), 1.6);
	svg_legend(out, &p, series, nseries);
	return svg_end(out);
}
