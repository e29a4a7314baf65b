/* test_pictures.c — pictures that teach: every kind of SVG descent writes (schedule,
 * minimize with one, two and three variables, train, sweep summary, range test) and every
 * committed example picture is rendered by a real SVG renderer (rsvg-convert, Debian's
 * librsvg2-bin), so a broken SVG fails; and their geometry is checked from the SVG text:
 * contour plots in equal aspect, legends clear of every path and plot area, whole-number
 * ticks on epoch and step axes, more than one label on log axes, the function's own name,
 * the slice shown, and a sweep summary without empty space that overlays every trial's
 * curve. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "svg.h"

#define RUN(out, err, ...) run_descent((const char *const[]){__VA_ARGS__, NULL}, NULL, out, err)

/* ---- reading SVG text ---- */

/* The number in attribute name="..." of the element starting at tag (NAN if absent). */
static double attr(const char *tag, const char *name)
{
	char key[32];
	snprintf(key, sizeof key, " %s=\"", name);
	const char *end = strchr(tag, '>'), *at = strstr(tag, key);
	return at && (!end || at < end) ? strtod(at + strlen(key), NULL) : NAN;
}

/* Whether the element starting at tag has text in its attributes. */
static bool has(const char *tag, const char *text)
{
	const char *end = strchr(tag, '>'), *at = strstr(tag, text);
	return at && (!end || at < end);
}

/* One tick label: where it is and what it says. */
struct label {
	double x, y;   /* the text's anchor point */
	double value;  /* the number it shows */
	char text[32];
};

/* The tick labels (font size 11 numbers) anchored `anchor` at page y == y (x axes) or
 * page x == x (y axes; pass NAN for the other); how many (at most max). */
static int tick_labels(const char *svg, const char *anchor, double x, double y,
                       struct label *out, int max)
{
	char a[48];
	snprintf(a, sizeof a, "text-anchor=\"%s\">", anchor);
	int n = 0;
	for (const char *t = strstr(svg, "<text x="); t && n < max; t = strstr(t + 1, "<text x=")) {
		if (!has(t, a) || (!isnan(y) && fabs(attr(t, "y") - y) > 0.05)
		    || (!isnan(x) && fabs(attr(t, "x") - x) > 0.05))
			continue;
		const char *body = strchr(t, '>') + 1;
		char *end;
		double v = strtod(body, &end);
		if (end == body || *end != '<')
			continue; /* a title or an axis label */
		out[n] = (struct label){attr(t, "x"), attr(t, "y"), v, ""};
		snprintf(out[n].text, sizeof out[n].text, "%.*s", (int)(end - body), body);
		n++;
	}
	return n;
}

struct box {
	double x, y, w, h;
};

static bool inside(const struct box *b, double x, double y)
{
	return x >= b->x && x <= b->x + b->w && y >= b->y && y <= b->y + b->h;
}

static bool overlap(const struct box *a, const struct box *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* The plot areas (frames: rect with fill none and stroke #333); how many. */
static int frames(const char *svg, struct box *out, int max)
{
	int n = 0;
	for (const char *r = strstr(svg, "<rect "); r && n < max; r = strstr(r + 1, "<rect "))
		if (has(r, "fill=\"none\" stroke=\"#333\""))
			out[n++] = (struct box){attr(r, "x"), attr(r, "y"), attr(r, "width"),
			                        attr(r, "height")};
	return n;
}

/* The legend's box; fails the test if there is none. */
static struct box legend_box(const char *svg)
{
	const char *g = strstr(svg, "<g class=\"legend\"");
	cr_assert_not_null(g, "no legend");
	const char *r = strstr(g, "<rect ");
	cr_assert_not_null(r);
	return (struct box){attr(r, "x"), attr(r, "y"), attr(r, "width"), attr(r, "height")};
}

/* Checks that no polyline vertex and no circle lies in the legend, and that the legend
 * overlaps no plot area. */
static void expect_legend_clear(const char *svg, const char *what)
{
	struct box legend = legend_box(svg), frame[8];
	int nf = frames(svg, frame, 8);
	cr_expect_gt(nf, 0);
	for (int i = 0; i < nf; i++)
		cr_expect(!overlap(&legend, &frame[i]), "%s: the legend overlaps plot area %d", what, i);
	int points = 0;
	for (const char *p = strstr(svg, "points=\""); p; p = strstr(p + 1, "points=\"")) {
		const char *q = p + 8;
		double x, y;
		int used;
		while (sscanf(q, "%lf,%lf%n", &x, &y, &used) == 2) {
			cr_expect(!inside(&legend, x, y), "%s: a path's point (%g, %g) is under the legend",
			          what, x, y);
			points++;
			q += used;
		}
	}
	for (const char *c = strstr(svg, "<circle "); c; c = strstr(c + 1, "<circle ")) {
		cr_expect(!inside(&legend, attr(c, "cx"), attr(c, "cy")),
		          "%s: a marker is under the legend", what);
		points++;
	}
	cr_expect_gt(points, 10, "%s: the paths were found", what);
}

/* ---- rendering ---- */

/* Whether rsvg-convert is on the PATH. */
static bool have_renderer(void)
{
	return system("command -v rsvg-convert > /dev/null 2>&1") == 0;
}

/* Renders the SVG at path to a PNG with rsvg-convert; fails the test if it cannot. */
static void expect_renders(const char *path)
{
	char png[600], command[1400];
	snprintf(png, sizeof png, "/tmp/descent-render-%d.png", (int)getpid());
	snprintf(command, sizeof command, "rsvg-convert '%s' -o '%s' 2>&1", path, png);
	int status = system(command);
	cr_expect_eq(status, 0, "rsvg-convert could not render %s", path);
	size_t len = 0;
	char *bytes = slurp(png, &len);
	cr_expect(bytes && len > 8 && memcmp(bytes, "\x89PNG", 4) == 0, "no PNG from %s", path);
	free(bytes);
	unlink(png);
}

/* Skips the test, saying why, when the renderer is missing. */
#define NEED_RENDERER()                                                                        \
	do {                                                                                       \
		if (!have_renderer())                                                                  \
			cr_skip_test("rsvg-convert not found: sudo apt-get install librsvg2-bin renders " \
			             "the SVGs (CI installs it)");                                         \
	} while (0)

/* ---- making pictures ---- */

/* Writes text to dir/name and runs `descent run` on it (exit 0 expected). */
static void run_file(const char *dir, const char *name, const char *text)
{
	char nn[160];
	snprintf(nn, sizeof nn, "%s/%s", dir, name);
	cr_assert_eq(write_text(nn, text), 0);
	char *err;
	cr_assert_eq(RUN(NULL, &err, "run", "--quiet", nn), 0, "%s", err);
	free(err);
}

/* The file dir/name (owned). */
static char *read_in(const char *dir, const char *name)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *text = slurp(path, NULL);
	cr_assert_not_null(text, "%s", path);
	return text;
}

static const char ravine[] =
	"minimize f(x, y) = x^2 / 2 + 5 * y^2 {\n"
	"    from = [(4, 1), (-3, -0.5)]\n"
	"    optimizer = [sgd(lr = 0.15), sgd(lr = 0.05, momentum = 0.9)]\n"
	"    steps = 30\n    plot = \"ravine.svg\"\n}\n";

static const char train_file[] =
	"data d { train = blobs(200, classes = 3, dim = 4)\n validation = 0.2\n"
	" test = blobs(60, classes = 3, dim = 4) }\n"
	"network n {\n    dense(8)\n    relu\n    dense(3)\n}\n"
	"train t {\n    network = n\n    data = d\n    optimizer = sgd(lr = 0.1)\n"
	"    epochs = 3\n    batch = 20\n    plot = \"train.svg\"\n}\n";

/* ---- rendering every kind of picture ---- */

Test(pictures, every_kind_of_picture_renders)
{
	NEED_RENDERER();
	char dir[64], path[200];
	cr_assert(scratch_dir(dir));
	run_file(dir, "ravine.nn", ravine);
	run_file(dir, "train.nn", train_file);
	run_file(dir, "line.nn", "minimize g(x) = (x - 1)^2 {\n from = (3)\n"
	         " optimizer = adam(lr = 0.3)\n steps = 20\n plot = \"line.svg\"\n}\n");
	run_file(dir, "three.nn", "minimize h(x, y, z) = x^2 + y^2 + z^2 {\n from = (1, 2, 3)\n"
	         " optimizer = sgd(lr = 0.1)\n steps = 10\n plot = \"three.svg\"\n}\n");
	snprintf(path, sizeof path, "%s/schedule.svg", dir);
	cr_assert_eq(RUN(NULL, NULL, "schedule", "warmup(5) then cosine(20)", "--lr", "0.1",
	                 "--steps", "30", "--plot", path), 0);
	snprintf(path, sizeof path, "%s/train.nn", dir);
	cr_assert_eq(RUN(NULL, NULL, "range", path, "--min", "1e-4", "--max", "100", "--steps",
	                 "60"), 0);
	const char *names[] = {"ravine.svg", "train.svg", "line.svg", "three.svg", "schedule.svg",
	                       "train-range.svg"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		expect_renders(path);
	}
	remove_tree(dir);
}

Test(pictures, the_committed_example_pictures_render)
{
	NEED_RENDERER();
	const char *folders[] = {"examples", "examples/teaching", "examples/regularization"};
	int total = 0;
	for (size_t f = 0; f < sizeof folders / sizeof *folders; f++) {
		int n;
		char **names = list_files(folders[f], ".svg", &n);
		for (int i = 0; names && i < n; i++)
			expect_renders(names[i]);
		total += n;
		free_names(names);
	}
	cr_expect_gt(total, 10, "the example pictures were found");
}

/* ---- geometry ---- */

Test(pictures, contour_plots_keep_one_unit_of_x_as_long_as_one_of_y)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	run_file(dir, "ravine.nn", ravine);
	char *svg = read_in(dir, "ravine.svg");
	struct box frame[8];
	cr_assert_geq(frames(svg, frame, 8), 1);
	const struct box *main = &frame[0]; /* the contour panel is drawn first */
	struct label xs[32], ys[32];
	int nx = tick_labels(svg, "middle", NAN, main->y + main->h + 14, xs, 32);
	int all = tick_labels(svg, "end", main->x - 5, NAN, ys, 32), ny = 0;
	for (int i = 0; i < all; i++) /* the state panels under it have labels at the same x */
		if (ys[i].y >= main->y && ys[i].y <= main->y + main->h)
			ys[ny++] = ys[i];
	cr_assert_geq(nx, 2);
	cr_assert_geq(ny, 2);
	double x_px = (xs[nx - 1].x - xs[0].x) / (xs[nx - 1].value - xs[0].value);
	double y_px = (ys[0].y - ys[ny - 1].y) / (ys[ny - 1].value - ys[0].value);
	cr_expect(fabs(x_px - y_px) <= 0.01 * x_px, "pixels per unit: x %g, y %g", x_px, y_px);
	free(svg);
	remove_tree(dir);
}

Test(pictures, legends_cover_no_path_start_point_or_plot_area)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	run_file(dir, "ravine.nn", ravine);
	run_file(dir, "train.nn", train_file);
	run_file(dir, "line.nn", "minimize g(x) = (x - 1)^2 {\n from = [(3), (-2)]\n"
	         " optimizer = [adam(lr = 0.3), sgd(lr = 0.2)]\n steps = 20\n plot = \"line.svg\"\n}\n");
	const char *names[] = {"ravine.svg", "train.svg", "line.svg"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char *svg = read_in(dir, names[i]);
		expect_legend_clear(svg, names[i]);
		/* the legend is inside the page */
		struct box legend = legend_box(svg);
		double height = attr(strstr(svg, "<svg "), "height");
		cr_expect_leq(legend.y + legend.h, height, "%s: the legend ends below the page",
		              names[i]);
		free(svg);
	}
	remove_tree(dir);
}

/* Checks that every x tick label of the panel whose frame is f is a whole number. */
static void expect_whole_ticks(const char *svg, const struct box *f, const char *what)
{
	struct label xs[64];
	int n = tick_labels(svg, "middle", NAN, f->y + f->h + 14, xs, 64);
	cr_expect_geq(n, 2, "%s: ticks found", what);
	for (int i = 0; i < n; i++)
		cr_expect(xs[i].value == floor(xs[i].value), "%s: a tick at %s", what, xs[i].text);
}

Test(pictures, epoch_and_step_axes_have_whole_number_ticks)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	run_file(dir, "train.nn", train_file);
	char *svg = read_in(dir, "train.svg");
	struct box frame[8];
	cr_assert_eq(frames(svg, frame, 8), 3);
	expect_whole_ticks(svg, &frame[0], "loss per epoch");
	expect_whole_ticks(svg, &frame[1], "accuracy per epoch");
	free(svg);
	run_file(dir, "short.nn", "minimize f(x, y) = x^2 + y^2 {\n from = (1, 1)\n"
	         " optimizer = sgd(lr = 0.1)\n steps = 3\n plot = \"short.svg\"\n}\n");
	svg = read_in(dir, "short.svg");
	cr_assert_eq(frames(svg, frame, 8), 4);
	for (int j = 1; j < 4; j++)
		expect_whole_ticks(svg, &frame[j], "per step");
	free(svg);
	remove_tree(dir);
}

Test(pictures, log_axes_have_more_than_one_label)
{
	double at[64];
	const double ranges[][2] = {{log10(0.2), log10(0.9)}, {0, 0.3}, {-7, 1}, {-3.02, -2.98},
	                            {0.5, 0.52}, {-1, 0}, {2.1, 2.9}};
	for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
		int n = svg_log_ticks(ranges[i][0], ranges[i][1], at, 64);
		cr_expect_geq(n, 2, "range %zu: %d ticks", i, n);
		cr_expect_leq(n, 12, "range %zu: %d ticks", i, n);
		for (int k = 0; k < n; k++)
			cr_expect(at[k] >= ranges[i][0] - 1e-9 && at[k] <= ranges[i][1] + 1e-9,
			          "range %zu: tick %g outside", i, at[k]);
	}
	/* eight decades: whole powers only */
	int n = svg_log_ticks(-7, 1, at, 64);
	for (int k = 0; k < n; k++)
		cr_expect_float_eq(at[k], round(at[k]), 1e-12);
	/* and in a picture: f falls over less than two decades on the f-per-step panel */
	char dir[64];
	cr_assert(scratch_dir(dir));
	run_file(dir, "decay.nn", "minimize f(x) = x^2 + 1 {\n from = (3)\n"
	         " optimizer = sgd(lr = 0.1)\n steps = 40\n plot = \"decay.svg\"\n}\n");
	char *svg = read_in(dir, "decay.svg");
	struct box frame[8];
	cr_assert_eq(frames(svg, frame, 8), 4);
	struct label ys[32];
	int ny = tick_labels(svg, "end", frame[1].x - 5, NAN, ys, 32);
	cr_expect_geq(ny, 2, "f per step: %d labels", ny);
	free(svg);
	remove_tree(dir);
}

Test(pictures, a_function_is_labelled_by_its_name_and_a_slice_says_where)
{
	char dir[64];
	cr_assert(scratch_dir(dir));
	run_file(dir, "g.nn", "minimize g(x, y) = x^2 + y^2 {\n from = (1, 1)\n"
	         " optimizer = sgd(lr = 0.1)\n steps = 5\n plot = \"g.svg\"\n}\n");
	char *svg = read_in(dir, "g.svg");
	cr_expect(strstr(svg, ">g per step</text>") != NULL);
	cr_expect(strstr(svg, ">g</text>") != NULL, "the y label of g per step");
	cr_expect(strstr(svg, ">f per step</text>") == NULL && strstr(svg, ">f</text>") == NULL);
	free(svg);
	run_file(dir, "one.nn", "minimize loss(w) = (w - 2)^2 {\n from = (0)\n"
	         " optimizer = sgd(lr = 0.1)\n steps = 5\n plot = \"one.svg\"\n}\n");
	svg = read_in(dir, "one.svg");
	cr_expect(strstr(svg, ">loss per step</text>") && !strstr(svg, ">f</text>"));
	free(svg);
	run_file(dir, "h.nn", "minimize h(x, y, z, w) = x^2 + y^2 + (z - 1)^2 + w^2 {\n"
	         " from = (1, 2, 3, 4)\n optimizer = sgd(lr = 0.5)\n steps = 1\n"
	         " plot = \"h.svg\"\n}\n");
	svg = read_in(dir, "h.svg");
	/* one step of lr 0.5 lands on the minimum: z = 1, w = 0 */
	cr_expect(strstr(svg, "h: contour lines and paths (slice z = 1, w = 0)") != NULL,
	          "the slice is named");
	free(svg);
	remove_tree(dir);
}

Test(pictures, the_sweep_summary_fills_its_page_and_overlays_every_trial_curve)
{
	char dir[64], nn[128];
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/s.nn", dir);
	cr_assert_eq(write_text(nn, "data d { train = xor(64)\n test = xor(32) }\n"
	                            "network n {\n dense(8)\n relu\n dense(2)\n}\n"
	                            "train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n"
	                            " epochs = 4\n}\n"
	                            "sweep {\n optimizer.lr in [0.05, 0.5]\n seed in 1..3\n"
	                            " metric = max test_acc\n}\n"), 0);
	char *err;
	cr_assert_eq(RUN(NULL, &err, "sweep", "--quiet", "--jobs", "1", nn), 0, "%s", err);
	free(err);
	char *svg = read_in(dir, "runs/s-sweep/summary.svg");
	double width = attr(strstr(svg, "<svg "), "width");
	struct box frame[4];
	int nf = frames(svg, frame, 4);
	cr_assert_eq(nf, 2, "a strip plot and the curves");
	cr_expect_geq(frame[1].x + frame[1].w, width - 40, "empty space right of the panels");
	cr_expect_leq(frame[0].x, 90);
	/* six trials, four epochs each: six curves of four points */
	int curves = 0;
	for (const char *p = strstr(svg, "stroke-width=\"1.2\""); p;
	     p = strstr(p + 1, "stroke-width=\"1.2\""))
		curves++;
	cr_expect_eq(curves, 6, "one curve per trial");
	cr_expect(strstr(svg, "test_acc per epoch, every trial") != NULL);
	/* the points fill the strip plot's height: its y range is theirs, not from 0 */
	double top = INFINITY, bottom = -INFINITY;
	for (const char *c = strstr(svg, "<circle "); c; c = strstr(c + 1, "<circle "))
		if (attr(c, "cx") < frame[0].x + frame[0].w) {
			top = fmin(top, attr(c, "cy"));
			bottom = fmax(bottom, attr(c, "cy"));
		}
	cr_expect(top - frame[0].y < 0.15 * frame[0].h
	          && frame[0].y + frame[0].h - bottom < 0.15 * frame[0].h,
	          "points from %g to %g in a panel from %g to %g", top, bottom, frame[0].y,
	          frame[0].y + frame[0].h);
	expect_whole_ticks(svg, &frame[1], "epoch axis of the curves");
	expect_whole_ticks(svg, &frame[0], "rank axis");
	expect_legend_clear(svg, "summary.svg");
	free(svg);
	if (have_renderer()) {
		char path[200];
		snprintf(path, sizeof path, "%s/runs/s-sweep/summary.svg", dir);
		expect_renders(path);
	}
	remove_tree(dir);
}

Test(pictures, the_range_test_draws_its_log_axis_with_several_labels)
{
	char dir[64], nn[128];
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/train.nn", dir);
	cr_assert_eq(write_text(nn, train_file), 0);
	cr_assert_eq(RUN(NULL, NULL, "range", nn, "--min", "1e-4", "--max", "100", "--steps", "60"),
	             0);
	char *svg = read_in(dir, "train-range.svg");
	struct box frame[2];
	cr_assert_eq(frames(svg, frame, 2), 1);
	struct label xs[32];
	int n = tick_labels(svg, "middle", NAN, frame[0].y + frame[0].h + 14, xs, 32);
	cr_expect_geq(n, 3, "labels on the rate axis");
	for (int i = 1; i < n; i++)
		cr_expect_float_eq(xs[i].value / xs[i - 1].value, 10, 1e-9, "decades: %s, %s",
		                   xs[i - 1].text, xs[i].text);
	expect_legend_clear(svg, "range");
	free(svg);
	remove_tree(dir);
}

/* A new-user trial found a digits sweep's configurations 1 and 9 both blue in
 * summary.svg: the palette had eight colours. Sixteen now, all different. */
Test(pictures, sixteen_series_get_sixteen_colours)
{
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < i; j++)
			cr_expect_str_neq(svg_color(i), svg_color(j), "series %d and %d", i, j);
}
