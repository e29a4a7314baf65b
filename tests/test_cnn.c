/* test_cnn.c — the image layers (issue #12): conv2d, maxpool, avgpool, global_avgpool and
 * BatchNorm2d gradients against central finite differences in double; the float kernels
 * (k_gemm) against the double ones and bit-identical across thread counts; and end to end,
 * the shape rules' refusals at the layer's line, `padding = same`, and `descent ir`; and
 * 20 training steps against PyTorch's (tests/golden/cnn/, made by make_goldens.py). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "helpers.h"
#include "safetensors.h"

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads(void) { return 1; }
#endif

enum { BATCH = 3 };

/* A geometry with its output size from the input, kernel, stride and padding. */
static struct conv_geom geom(int64_t C, int64_t H, int64_t W, int64_t F, int64_t KH, int64_t KW,
                             int64_t SH, int64_t SW, int64_t PH, int64_t PW)
{
	return (struct conv_geom){C, H, W, F, KH, KW, SH, SW, PH, PW, (H + 2 * PH - KH) / SH + 1,
	                          (W + 2 * PW - KW) / SW + 1, 2};
}

static double *filled(int64_t n, double phase)
{
	double *v = malloc((size_t)n * sizeof *v);
	for (int64_t i = 0; i < n; i++)
		v[i] = sin(1.3 * (double)i + phase) * 1.1;
	return v;
}

/* Which layer a loss runs through. */
enum kind { CONV, MAXPOOL, AVGPOOL, BATCHNORM };

struct problem {
	enum kind kind;
	struct conv_geom g;
	double *x, *w, *b, *r, *work; /* r: the loss is Σ r ⊙ out */
	int64_t nx, nw, nout;
};

static double loss(struct problem *p, double *dx, double *dw, double *db)
{
	double *out = malloc((size_t)p->nout * sizeof *out), saved[64], rm[16] = {0}, rv[16] = {0};
	int32_t *argmax = malloc((size_t)p->nout * sizeof *argmax);
	int64_t C = p->g.C, HW = p->g.H * p->g.W;
	switch (p->kind) {
	case CONV: conv_forward_f64(out, p->x, p->w, p->b, BATCH, &p->g, p->work); break;
	case MAXPOOL: maxpool_forward_f64(out, argmax, p->x, BATCH, &p->g); break;
	case AVGPOOL: avgpool_forward_f64(out, p->x, BATCH, &p->g); break;
	case BATCHNORM:
		batchnorm2d_forward_f64(out, saved, rm, rv, p->x, p->w, p->b, BATCH, C, HW, 0.1, 1e-5,
		                        true);
		break;
	}
	double total = 0;
	for (int64_t i = 0; i < p->nout; i++)
		total += p->r[i] * out[i];
	if (dx) {
		switch (p->kind) {
		case CONV:
			conv_backward_f64(dx, dw, db, p->r, p->x, p->w, BATCH, &p->g, p->work);
			break;
		case MAXPOOL: maxpool_backward_f64(dx, p->r, argmax, BATCH, &p->g); break;
		case AVGPOOL: avgpool_backward_f64(dx, p->r, BATCH, &p->g); break;
		case BATCHNORM:
			batchnorm2d_backward_f64(dx, dw, db, p->r, p->x, saved, p->w, BATCH, C, HW);
			break;
		}
	}
	free(out);
	free(argmax);
	return total;
}

/* Checks every analytic gradient of values v (n) against central differences. */
static void check_values(struct problem *p, double *v, const double *analytic, int64_t n,
                         const char *what)
{
	for (int64_t i = 0; i < n; i++) {
		double keep = v[i], h = 1e-6;
		v[i] = keep + h;
		double up = loss(p, NULL, NULL, NULL);
		v[i] = keep - h;
		double down = loss(p, NULL, NULL, NULL);
		v[i] = keep;
		double numeric = (up - down) / (2 * h);
		cr_expect(fabs(numeric - analytic[i]) <= 1e-6 * (1 + fabs(numeric)),
		          "%s[%lld]: analytic %.10g, numeric %.10g", what, (long long)i, analytic[i],
		          numeric);
	}
}

static void gradient_check(enum kind kind, struct conv_geom g)
{
	struct problem p = {kind, g};
	p.nx = BATCH * g.C * g.H * g.W;
	p.nw = kind == CONV ? g.F * g.C * g.KH * g.KW : g.C;
	p.nout = kind == BATCHNORM ? p.nx : BATCH * g.F * g.OH * g.OW;
	p.x = filled(p.nx, 0.3);
	p.w = filled(p.nw, 1.1);
	p.b = filled(g.F, 2.0);
	p.r = filled(p.nout, 0.7);
	p.work = calloc((size_t)conv_workspace_f64(&g), sizeof(double));
	double *dx = calloc((size_t)p.nx, sizeof *dx), *dw = calloc((size_t)p.nw, sizeof *dw),
	       *db = calloc((size_t)g.F, sizeof *db);
	loss(&p, dx, dw, db);
	check_values(&p, p.x, dx, p.nx, "dx");
	if (kind == CONV || kind == BATCHNORM) {
		check_values(&p, p.w, dw, p.nw, "dw");
		check_values(&p, p.b, db, g.F, "db");
	}
	free(p.x), free(p.w), free(p.b), free(p.r), free(p.work), free(dx), free(dw), free(db);
}

Test(conv, gradients_match_finite_differences_with_strides_and_padding)
{
	gradient_check(CONV, geom(2, 5, 6, 3, 3, 3, 1, 1, 1, 1));    /* same */
	gradient_check(CONV, geom(2, 6, 5, 3, 3, 2, 2, 1, 1, 0));    /* strides, pairs */
	gradient_check(CONV, geom(1, 4, 4, 2, 1, 1, 1, 1, 0, 0));    /* 1×1 */
	gradient_check(CONV, geom(3, 7, 7, 2, 3, 3, 2, 2, 2, 1));    /* padding > stride */
}

Test(pool, gradients_match_finite_differences)
{
	/* inputs of distinct values, so every window has one maximum */
	gradient_check(MAXPOOL, geom(2, 4, 6, 2, 2, 2, 2, 2, 0, 0));
	gradient_check(MAXPOOL, geom(2, 5, 5, 2, 3, 2, 1, 2, 0, 0)); /* overlapping */
	gradient_check(AVGPOOL, geom(2, 4, 6, 2, 2, 2, 2, 2, 0, 0));
	gradient_check(AVGPOOL, geom(2, 5, 5, 2, 3, 2, 1, 2, 0, 0));
	gradient_check(AVGPOOL, geom(3, 4, 5, 3, 4, 5, 1, 1, 0, 0)); /* global */
}

Test(batchnorm2d, gradients_match_finite_differences_in_training_mode)
{
	gradient_check(BATCHNORM, geom(3, 4, 5, 3, 1, 1, 1, 1, 0, 0));
	gradient_check(BATCHNORM, geom(2, 3, 3, 2, 1, 1, 1, 1, 0, 0));
}

Test(batchnorm2d, running_statistics_use_every_pixel_of_a_channel)
{
	enum { C = 2, HW = 4 };
	double x[BATCH * C * HW], out[BATCH * C * HW], saved[4 * C], rm[C] = {0}, rv[C] = {1, 1},
	       gamma[C] = {1, 1}, beta[C] = {0, 0};
	for (int i = 0; i < BATCH * C * HW; i++)
		x[i] = (i / HW) % C == 0 ? i : 5; /* channel 1 constant */
	batchnorm2d_forward_f64(out, saved, rm, rv, x, gamma, beta, BATCH, C, HW, 0.1, 1e-5, true);
	double mean = 0, sq = 0, n = BATCH * HW;
	for (int s = 0; s < BATCH; s++)
		for (int i = 0; i < HW; i++)
			mean += x[s * C * HW + i] / n;
	for (int s = 0; s < BATCH; s++)
		for (int i = 0; i < HW; i++)
			sq += (x[s * C * HW + i] - mean) * (x[s * C * HW + i] - mean);
	cr_expect(fabs(rm[0] - 0.1 * mean) < 1e-12, "%g", rm[0]);
	cr_expect(fabs(rv[0] - (0.9 + 0.1 * sq / (n - 1))) < 1e-12, "%g", rv[0]);
	cr_expect(fabs(rm[1] - 0.5) < 1e-12 && fabs(rv[1] - 0.9) < 1e-12, "%g %g", rm[1], rv[1]);
}

Test(pool, maxpool_takes_the_first_maximum_on_ties_as_pytorch)
{
	struct conv_geom g = geom(1, 2, 2, 1, 2, 2, 2, 2, 0, 0);
	double x[4] = {0, 0, 0, 0}, out[1], dx[4], one = 1;
	int32_t argmax[1];
	maxpool_forward_f64(out, argmax, x, 1, &g);
	cr_expect_eq(argmax[0], 0);
	maxpool_backward_f64(dx, &one, argmax, 1, &g);
	cr_expect(dx[0] == 1 && dx[1] == 0 && dx[2] == 0 && dx[3] == 0);
}

/* A convolution with padding = same and stride 1 builds its im2col rows by blocks
 * (conv_impl.h): its outputs against the sums written out, for kernels 1, 3 and 5 (gaps of
 * one and two places between a row's inside values, whole rows of padding). */
Test(conv, same_padding_convolutions_match_the_sums_written_out)
{
	static const int64_t kernels[][2] = {{1, 0}, {3, 1}, {5, 2}}; /* size, padding */
	for (int k = 0; k < 3; k++) {
		int64_t K = kernels[k][0], P = kernels[k][1];
		struct conv_geom g = geom(2, 4, 7, 3, K, K, 1, 1, P, P);
		cr_assert(g.OH == g.H && g.OW == g.W);
		double *x = filled(2 * 4 * 7, 0.3), *w = filled(3 * 2 * K * K, 1.1), b[3] = {0.5, -1, 2};
		double out[3 * 4 * 7];
		double *work = malloc((size_t)conv_workspace_f64(&g) * sizeof *work);
		conv_forward_f64(out, x, w, b, 1, &g, work);
		for (int f = 0; f < 3; f++)
			for (int oh = 0; oh < 4; oh++)
				for (int ow = 0; ow < 7; ow++) {
					double want = b[f];
					for (int c = 0; c < 2; c++)
						for (int i = 0; i < K; i++)
							for (int j = 0; j < K; j++) {
								int64_t ih = oh - P + i, iw = ow - P + j;
								if (ih >= 0 && ih < 4 && iw >= 0 && iw < 7)
									want += w[((f * 2 + c) * K + i) * K + j] * x[(c * 4 + ih) * 7 + iw];
							}
					double got = out[(f * 4 + oh) * 7 + ow];
					cr_expect(fabs(got - want) < 1e-12, "kernel %ld, (%d, %d, %d): %g, want %g",
					          (long)K, f, oh, ow, got, want);
				}
		free(x), free(w), free(work);
	}
}

/* The usual 2×2 pooling of stride 2 has its own loop (conv_impl.h): against windows
 * walked place by place, on ties, NaNs and −∞, and an odd width and height (the last
 * column and row belong to no window). */
Test(pool, the_2x2_maxpool_keeps_the_general_rule_on_ties_nans_and_infinities)
{
	struct conv_geom g = geom(3, 7, 9, 3, 2, 2, 2, 2, 0, 0);
	float x[3 * 7 * 9], out[3 * 3 * 4];
	int32_t argmax[3 * 3 * 4];
	for (int i = 0; i < 3 * 7 * 9; i++)
		x[i] = i % 11 == 0 ? NAN : i % 7 == 0 ? -INFINITY : (float)(i % 4); /* many ties */
	x[63 + 2] = x[63 + 3] = x[63 + 11] = x[63 + 12] = -INFINITY; /* a window of −∞ only */
	maxpool_forward_f32(out, argmax, x, 1, &g);
	for (int c = 0; c < 3; c++)
		for (int oh = 0; oh < 3; oh++)
			for (int ow = 0; ow < 4; ow++) {
				float most = -INFINITY;
				int32_t best = (int32_t)(2 * oh * 9 + 2 * ow);
				for (int i = 0; i < 2; i++)
					for (int j = 0; j < 2; j++) {
						int32_t at = (int32_t)((2 * oh + i) * 9 + 2 * ow + j);
						float v = x[c * 63 + at];
						if (v > most || v != v) {
							most = v;
							best = at;
						}
					}
				int o = c * 12 + oh * 4 + ow;
				cr_expect(argmax[o] == best && (out[o] == most || (out[o] != out[o] && most != most)),
				          "plane %d (%d, %d): %g at %d, want %g at %d", c, oh, ow, (double)out[o],
				          argmax[o], (double)most, best);
			}
}

/* The float convolution of (C, H, W) samples with threads threads. */
static void conv_f32(const struct conv_geom *geometry, int threads, const float *x, const float *w,
                     const float *b, const float *dy, float *y, float *dx, float *dw, float *db)
{
	struct conv_geom g = *geometry;
	g.threads = threads;
	float *work = aligned_alloc(64, (size_t)(conv_workspace_f32(&g) * 4 + 63) / 64 * 64);
	conv_forward_f32(y, x, w, b, 9, &g, work);
	conv_backward_f32(dx, dw, db, dy, x, w, 9, &g, work);
	free(work);
}

/* A stride-1 convolution with OW = W builds its im2col rows by blocks, any other by
 * output rows (conv_impl.h): with padding, and with no padding on the same input padded
 * by hand, which takes the other way, the float outputs, weight and bias gradients and
 * the input gradient's inside must have the same bits. Kernels 3 and 5 (padding = same),
 * and padding (0, 1) (OW = W but OH < H). */
static void check_padded_by_hand(int64_t K, int64_t PH, int64_t PW)
{
	enum { C = 3, H = 6, W = 7, F = 4 };
	struct conv_geom g = geom(C, H, W, F, K, K, 1, 1, PH, PW);
	struct conv_geom h = geom(C, H + 2 * PH, W + 2 * PW, F, K, K, 1, 1, 0, 0);
	cr_assert(g.OW == g.W && h.OW != h.W && g.OH == h.OH && g.OW == h.OW);
	int64_t HP = h.H, WP = h.W, nx = 9 * C * H * W, np = 9 * C * HP * WP;
	int64_t nw = F * C * K * K, ny = 9 * F * g.OH * g.OW;
	float *x = malloc(nx * 4), *xp = calloc(np, 4), *w = malloc(nw * 4), b[F] = {1, -2, 0.5f, 3};
	float *dy = malloc(ny * 4), *y[2] = {malloc(ny * 4), malloc(ny * 4)};
	float *dx = malloc(nx * 4), *dxp = malloc(np * 4), *dw[2] = {calloc(nw, 4), calloc(nw, 4)};
	float db[2][F] = {{0}};
	for (int64_t s = 0; s < 9 * C; s++) /* sample and channel */
		for (int64_t r = 0; r < H; r++)
			for (int64_t q = 0; q < W; q++)
				x[(s * H + r) * W + q] = xp[(s * HP + r + PH) * WP + q + PW]
					= (float)sin(0.37 * (double)((s * H + r) * W + q));
	for (int64_t i = 0; i < nw; i++)
		w[i] = (float)cos(0.91 * (double)i) / 4;
	for (int64_t i = 0; i < ny; i++)
		dy[i] = (float)sin(0.13 * (double)i + 1);
	conv_f32(&g, 1, x, w, b, dy, y[0], dx, dw[0], db[0]);
	conv_f32(&h, 1, xp, w, b, dy, y[1], dxp, dw[1], db[1]);
	cr_expect(memcmp(y[0], y[1], ny * 4) == 0, "K %ld, padding (%ld, %ld): outputs", (long)K,
	          (long)PH, (long)PW);
	cr_expect(memcmp(dw[0], dw[1], nw * 4) == 0, "K %ld: weight gradients", (long)K);
	cr_expect(memcmp(db[0], db[1], sizeof db[0]) == 0, "K %ld: bias gradients", (long)K);
	int bad = 0;
	for (int64_t s = 0; s < 9 * C; s++)
		for (int64_t r = 0; r < H; r++)
			for (int64_t q = 0; q < W; q++)
				bad += dx[(s * H + r) * W + q] != dxp[(s * HP + r + PH) * WP + q + PW];
	cr_expect_eq(bad, 0, "K %ld: input gradients", (long)K);
	free(x), free(xp), free(w), free(dy), free(y[0]), free(y[1]), free(dx), free(dxp);
	free(dw[0]), free(dw[1]);
}

Test(conv, blocks_and_output_rows_build_the_same_im2col)
{
	check_padded_by_hand(3, 1, 1);
	check_padded_by_hand(5, 2, 2);
	check_padded_by_hand(3, 0, 1);
}

Test(conv, float_kernels_follow_double_and_are_bit_identical_across_threads)
{
	struct conv_geom g = geom(5, 9, 11, 7, 3, 3, 2, 1, 1, 1);
	int64_t nx = 9 * g.C * g.H * g.W, nw = g.F * g.C * 9, ny = 9 * g.F * g.OH * g.OW;
	float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(g.F * 4), *dy = malloc(ny * 4);
	float *out[2][4];
	for (int64_t i = 0; i < nx; i++)
		x[i] = (float)sin(0.37 * (double)i);
	for (int64_t i = 0; i < nw; i++)
		w[i] = (float)cos(0.91 * (double)i) / 4;
	for (int64_t i = 0; i < g.F; i++)
		b[i] = (float)i / 10;
	for (int64_t i = 0; i < ny; i++)
		dy[i] = (float)sin(0.13 * (double)i + 1);
	int threads[2] = {1, omp_get_max_threads() > 1 ? omp_get_max_threads() : 2};
	for (int t = 0; t < 2; t++) {
		out[t][0] = malloc(ny * 4), out[t][1] = malloc(nx * 4);
		out[t][2] = calloc(nw, 4), out[t][3] = calloc(g.F, 4);
		conv_f32(&g, threads[t], x, w, b, dy, out[t][0], out[t][1], out[t][2], out[t][3]);
	}
	int64_t sizes[4] = {ny, nx, nw, g.F};
	for (int k = 0; k < 4; k++)
		cr_expect_eq(memcmp(out[0][k], out[1][k], (size_t)sizes[k] * 4), 0, "output %d", k);
	/* against double */
	double *xd = malloc(nx * 8), *wd = malloc(nw * 8), *bd = malloc(g.F * 8), *yd = malloc(ny * 8),
	       *dyd = malloc(ny * 8), *dxd = malloc(nx * 8), *dwd = calloc(nw, 8), *dbd = calloc(g.F, 8);
	for (int64_t i = 0; i < nx; i++)
		xd[i] = x[i];
	for (int64_t i = 0; i < nw; i++)
		wd[i] = w[i];
	for (int64_t i = 0; i < g.F; i++)
		bd[i] = b[i];
	for (int64_t i = 0; i < ny; i++)
		dyd[i] = dy[i];
	double *work = calloc((size_t)conv_workspace_f64(&g), 8);
	conv_forward_f64(yd, xd, wd, bd, 9, &g, work);
	conv_backward_f64(dxd, dwd, dbd, dyd, xd, wd, 9, &g, work);
	double worst = 0;
	for (int64_t i = 0; i < ny; i++)
		worst = fmax(worst, fabs(out[0][0][i] - yd[i]) / (1 + fabs(yd[i])));
	for (int64_t i = 0; i < nx; i++)
		worst = fmax(worst, fabs(out[0][1][i] - dxd[i]) / (1 + fabs(dxd[i])));
	for (int64_t i = 0; i < nw; i++)
		worst = fmax(worst, fabs(out[0][2][i] - dwd[i]) / (1 + fabs(dwd[i])));
	cr_expect(worst < 1e-5, "worst relative difference %g", worst);
	free(x), free(w), free(b), free(dy), free(xd), free(wd), free(bd), free(yd), free(dyd);
	free(dxd), free(dwd), free(dbd), free(work);
	for (int t = 0; t < 2; t++)
		for (int k = 0; k < 4; k++)
			free(out[t][k]);
}

/* ---- end to end ---- */

/* Runs `descent command` on a file in dir with network (lines) over 8×8 images; extra
 * train keys appended. */
static int run_images(const char *dir, const char *command, const char *network,
                      const char *extra, char **out, char **err)
{
	char path[160], text[2000];
	cr_assert_eq(write_idx_pair(dir, 24, 8, 8, false), 0);
	snprintf(text, sizeof text,
	         "data d {\n train = idx(\"images.idx\", \"labels.idx\")\n scale = 1/255\n}\n"
	         "network n {\n%s}\n"
	         "train t {\n network = n\n data = d\n optimizer = adam(lr = 0.01)\n epochs = 2\n"
	         " batch = 8\n seed = 3\n%s}\n", network, extra);
	snprintf(path, sizeof path, "%s/t.nn", dir);
	cr_assert_eq(write_text(path, text), 0);
	bool run = strcmp(command, "run") == 0;
	return run_descent((const char *const[]){command, run ? "--quiet" : path, run ? path : NULL,
	                                         NULL}, NULL, out, err);
}

/* Expects network to be refused with message (and help, unless NULL). */
static void expect_refused(const char *network, const char *message, const char *help)
{
	char dir[64], *err;
	cr_assert(scratch_dir(dir));
	cr_expect_eq(run_images(dir, "run", network, "", NULL, &err), 1, "%s", err);
	cr_expect(strstr(err, message) != NULL, "%s", err);
	cr_expect(!help || strstr(err, help) != NULL, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(cnn_e2e, a_conv_on_a_flat_input_is_an_error_at_its_line)
{
	expect_refused(" flatten\n conv2d(4, 3)\n flatten\n dense(3)\n",
	               "t.nn:7:2: error: conv2d takes images (C, H, W), but its input has shape (64)",
	               "help: a flat input has no pixels");
}

Test(cnn_e2e, a_pool_or_conv_that_leaves_no_pixels_is_an_error_with_the_shapes)
{
	expect_refused(" conv2d(4, 3)\n maxpool(2)\n maxpool(4)\n flatten\n dense(3)\n",
	               "t.nn:8:2: error: maxpool's kernel (4, 4) is larger than its input (3, 3) of "
	               "shape (4, 3, 3): no pixels left", NULL);
	expect_refused(" conv2d(4, (9, 3))\n flatten\n dense(3)\n",
	               "t.nn:6:2: error: conv2d's kernel (9, 3) is larger than its input (8, 8) of "
	               "shape (1, 8, 8): no pixels left", NULL);
	expect_refused(" global_avgpool\n avgpool(2)\n dense(3)\n",
	               "t.nn:7:2: error: avgpool takes images (C, H, W), but its input has shape (1)",
	               NULL);
}

Test(cnn_e2e, dense_after_a_conv_needs_flatten)
{
	expect_refused(" conv2d(4, 3)\n dense(3)\n",
	               "t.nn:7:2: error: dense takes one dimension of features, but its input has "
	               "shape (4, 6, 6)", "help: add `flatten` before it");
}

Test(cnn_e2e, padding_same_needs_stride_one_and_an_odd_kernel)
{
	expect_refused(" conv2d(4, 3, stride = 2, padding = same)\n flatten\n dense(3)\n",
	               "error: padding = same needs stride 1, not (2, 2)", NULL);
	expect_refused(" conv2d(4, 2, padding = same)\n flatten\n dense(3)\n",
	               "error: padding = same with an even kernel (2, 2)", NULL);
	expect_refused(" conv2d(4, 3, padding = valid)\n flatten\n dense(3)\n",
	               "error: unknown padding 'valid'", NULL);
	expect_refused(" conv2d(4, (3, 3, 3))\n flatten\n dense(3)\n",
	               "'kernel' expects a whole number or a pair (h, w), found a tuple", NULL);
	expect_refused(" conv2d(4, 0)\n flatten\n dense(3)\n", "'kernel' must be", NULL);
}

Test(cnn_e2e, ir_shows_shapes_parameters_argmax_and_the_workspace)
{
	char dir[64], *out, *err;
	cr_assert(scratch_dir(dir));
	cr_assert_eq(run_images(dir, "ir", " conv2d(4, 3, padding = same)\n batchnorm\n relu\n"
	                        " maxpool(2)\n conv2d(6, (3, 1), stride = (1, 2))\n avgpool(2, stride = 1)\n"
	                        " global_avgpool\n dense(3)\n", "", &out, &err), 0, "%s", err);
	cr_expect(strstr(out,
	                 "  conv2d1                  conv2d       (4, 8, 8)                      40     0.009 MB\n"
	                 "  batchnorm1               batchnorm    (4, 8, 8)                       8     0.008 MB\n"
	                 "  relu1                    relu         (4, 8, 8)                       0     0.008 MB\n"
	                 "  maxpool1                 maxpool      (4, 4, 4)                       0     0.004 MB\n"
	                 "  conv2d2                  conv2d       (6, 2, 2)                      78     0.002 MB\n"
	                 "  avgpool1                 avgpool      (6, 1, 1)                       0     0.000 MB\n"
	                 "  global_avgpool1          global_avgpool (6)                             0     0.000 MB\n")
	          != NULL, "%s", out);
	/* conv2d1: 40 parameters × (value, gradient, Adam's two moments) + its output 8 × 256 */
	cr_expect(strstr(out, "  total                                                               147     0.032 MB\n")
	          != NULL, "%s", out);
	cr_expect(strstr(out, "conv2d1.weight           parameter  (4, 1, 3, 3)") != NULL, "%s", out);
	cr_expect(strstr(out, "batchnorm1.running_mean  statistic  (4)") != NULL, "%s", out);
	cr_expect(strstr(out, "maxpool1.argmax          activation (8, 64)") != NULL, "%s", out);
	cr_expect(strstr(out, "im2col (9, 64) in the workspace") != NULL, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(cnn_e2e, trains_bit_identically_across_threads_and_saves_pytorch_layouts)
{
	char one[64], two[64], *err;
	const char *network = " conv2d(4, 3, padding = 1)\n batchnorm\n relu\n maxpool(2)\n"
	                      " dropout(rate = 0.2)\n conv2d(5, 2, stride = 2)\n flatten\n dense(3)\n";
	const char *extra = " save = \"t.safetensors\"\n log = \"t.jsonl\"\n";
	cr_assert(scratch_dir(one));
	cr_assert(scratch_dir(two));
	char path[160];
	cr_assert_eq(write_idx_pair(one, 24, 8, 8, false), 0);
	snprintf(path, sizeof path, "%s/t.nn", one);
	cr_assert_eq(run_images(one, "run", network, extra, NULL, &err), 0, "%s", err);
	free(err);
	cr_assert_eq(write_idx_pair(two, 24, 8, 8, false), 0);
	char text[2000];
	snprintf(text, sizeof text,
	         "data d {\n train = idx(\"images.idx\", \"labels.idx\")\n scale = 1/255\n}\n"
	         "network n {\n%s}\n"
	         "train t {\n network = n\n data = d\n optimizer = adam(lr = 0.01)\n epochs = 2\n"
	         " batch = 8\n seed = 3\n%s}\n", network, extra);
	snprintf(path, sizeof path, "%s/t.nn", two);
	cr_assert_eq(write_text(path, text), 0);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--threads", "1", path, NULL},
	                         NULL, NULL, &err), 0, "%s", err);
	free(err);
	const char *differ = runs_differ(one, two, "t.safetensors", "t.jsonl");
	cr_expect(differ == NULL, "%s", differ);
	size_t len;
	snprintf(path, sizeof path, "%s/t.safetensors", one);
	char *saved = slurp(path, &len);
	cr_assert(saved);
	cr_expect(strstr(saved + 8, "\"conv2d1.weight\":{\"dtype\":\"F32\",\"shape\":[4,1,3,3]") != NULL,
	          "%.400s", saved + 8);
	cr_expect(strstr(saved + 8, "\"batchnorm1.running_var\":{\"dtype\":\"F32\",\"shape\":[4]")
	          != NULL, "%.400s", saved + 8);
	cr_expect(strstr(saved + 8, "\"conv2d2.weight\":{\"dtype\":\"F32\",\"shape\":[5,4,2,2]") != NULL,
	          "%.400s", saved + 8);
	free(saved);
	cr_expect_eq(remove_tree(one), 0);
	cr_expect_eq(remove_tree(two), 0);
}

/* ---- 20 steps against PyTorch (tests/golden/cnn/make_goldens.py) ---- */

enum { GOLDEN_TENSORS = 10 };

/* The golden network's tensors in save order (ndim 0: num_batches_tracked). */
static const struct st_tensor golden_specs[GOLDEN_TENSORS] = {
	{"conv2d1.weight", 4, {4, 1, 3, 3}},
	{"batchnorm1.weight", 1, {4}}, {"batchnorm1.bias", 1, {4}},
	{"batchnorm1.running_mean", 1, {4}}, {"batchnorm1.running_var", 1, {4}},
	{"batchnorm1.num_batches_tracked", 0, {0}},
	{"conv2d2.weight", 4, {6, 4, 3, 2}}, {"conv2d2.bias", 1, {6}},
	{"dense1.weight", 2, {10, 36}}, {"dense1.bias", 1, {10}},
};

/* Loads the golden network's tensors from path into t (data allocated; free_tensors). */
static void load_tensors(const char *path, struct st_tensor t[GOLDEN_TENSORS], int64_t count[GOLDEN_TENSORS])
{
	char err[256];
	for (int i = 0; i < GOLDEN_TENSORS; i++) {
		t[i] = golden_specs[i];
		if (t[i].ndim == 0)
			t[i].i64 = &count[i];
		else
			t[i].data = malloc((size_t)st_count(&t[i]) * sizeof(float));
	}
	cr_assert_eq(st_load(path, t, GOLDEN_TENSORS, err, sizeof err), 0, "%s: %s", path, err);
}

static void compare_cnn_with_torch(const char *name, const char *optimizer, bool decay_biases)
{
	char dir[64], path[160], text[2000], *err, *cwd = getcwd(NULL, 0);
	cr_assert(scratch_dir(dir));
	snprintf(text, sizeof text,
	         "data d {\n train = npy(\"%s/tests/golden/cnn/x.npy\", \"%s/tests/golden/cnn/y.npy\")\n"
	         " shuffle = false\n}\n"
	         "network n {\n conv2d(4, 3, padding = 1, bias = false)\n batchnorm\n relu\n maxpool(2)\n"
	         " conv2d(6, (3, 2), stride = (2, 1), padding = (1, 0))\n relu\n avgpool(2, stride = 1)\n"
	         " dropout(rate = 0.25)\n flatten\n dense(10)\n}\n"
	         "train t {\n network = n\n data = d\n optimizer = %s\n decay_biases = %s\n"
	         " epochs = 20\n batch = 32\n seed = 7\n load = \"%s/tests/golden/cnn/init.safetensors\"\n"
	         " log = \"t.jsonl\"\n save = \"t.safetensors\"\n}\n", cwd, cwd, optimizer,
	         decay_biases ? "true" : "false", cwd);
	snprintf(path, sizeof path, "%s/t.nn", dir);
	cr_assert_eq(write_text(path, text), 0);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", path, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	char *log = slurp(path, NULL);
	cr_assert(log);
	snprintf(path, sizeof path, "tests/golden/cnn/%s.losses", name);
	FILE *f = fopen(path, "r");
	cr_assert(f);
	const char *p = log;
	for (int s = 0; s < 20; s++) {
		double torch, ours;
		cr_assert_eq(fscanf(f, "%lf", &torch), 1);
		p = strstr(p, "\"train_loss\": ");
		cr_assert(p, "step %d has no loss in the log", s + 1);
		p += strlen("\"train_loss\": ");
		ours = strtod(p, NULL);
		cr_expect_leq(fabs(ours - torch), 1e-4 * fabs(torch), "%s step %d: %.9g vs %.9g", name,
		              s + 1, ours, torch);
	}
	fclose(f);
	free(log);
	struct st_tensor a[GOLDEN_TENSORS], b[GOLDEN_TENSORS];
	int64_t ca[GOLDEN_TENSORS], cb[GOLDEN_TENSORS];
	snprintf(path, sizeof path, "%s/t.safetensors", dir);
	load_tensors(path, a, ca);
	snprintf(path, sizeof path, "tests/golden/cnn/%s.safetensors", name);
	load_tensors(path, b, cb);
	for (int i = 0; i < GOLDEN_TENSORS; i++) {
		if (a[i].ndim == 0) {
			cr_expect_eq(ca[i], cb[i], "%s %s: %lld vs %lld", name, a[i].name, (long long)ca[i],
			             (long long)cb[i]);
			continue;
		}
		for (int64_t k = 0; k < st_count(&a[i]); k++)
			cr_expect_leq(fabs(a[i].data[k] - b[i].data[k]), 1e-4 * fabs(b[i].data[k]) + 1e-6,
			              "%s %s[%lld]: %.9g vs %.9g", name, a[i].name, (long long)k,
			              (double)a[i].data[k], (double)b[i].data[k]);
		free(a[i].data);
		free(b[i].data);
	}
	free(cwd);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(cnn_golden, matches_pytorch_for_20_steps_with_conv_pools_batchnorm2d_and_dropout)
{
	compare_cnn_with_torch("sgd_momentum", "sgd(lr = 0.1, momentum = 0.9)", false);
	compare_cnn_with_torch("adamw", "adamw(lr = 0.01, wd = 0.01)", true);
}

Test(cnn_e2e, the_fashion_cnn_examples_check)
{
	const char *files[] = {"examples/fashion_cnn.nn", "examples/fashion_cnn_bn.nn"};
	for (int i = 0; i < 2; i++) {
		char *out, *err;
		cr_expect_eq(run_descent((const char *const[]){"check", files[i], NULL}, NULL, &out, &err),
		             0, "%s: %s", files[i], err);
		cr_expect(strstr(out, ": ok (") != NULL, "%s", out);
		free(out);
		free(err);
	}
}
