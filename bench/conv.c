/* conv.c — where an epoch of examples/fashion_cnn.nn spends its time in the image
 * kernels: each kernel at the example's sizes (batch 128) on one thread, median of 9
 * runs, and that times the 469 steps of an epoch. The convolution's backward pass is
 * timed with and without the input gradient: weights (dW, db) alone, and data (dX) as the
 * difference. GFLOP/s counts the products' 2·F·C·KH·KW·OH·OW per sample and pass.
 *   build/bench/conv [THREADS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "conv.h"
#include "gemm.h"
#include "timing.h"

enum { BATCH = 128, RUNS = 9, STEPS = 469 };

/* One pass to time: which kernel on which geometry. */
enum pass { FORWARD, BACKWARD_WEIGHTS, BACKWARD_ALL, MAX_FORWARD, MAX_BACKWARD, BN_FORWARD,
            BN_BACKWARD };

struct buffers {
	float *x, *y, *w, *b, *dx, *dw, *db, *work, *saved, *rm, *rv;
	int32_t *argmax;
};

static float *floats(int64_t n)
{
	float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
	for (int64_t i = 0; i < n; i++)
		p[i] = (float)((i * 7919) % 1000) / 1000 - 0.5f;
	return p;
}

static void run(enum pass pass, const struct conv_geom *g, struct buffers *m)
{
	int64_t HW = g->H * g->W;
	switch (pass) {
	case FORWARD: conv_forward_f32(m->y, m->x, m->w, m->b, BATCH, g, m->work); break;
	case BACKWARD_WEIGHTS:
		conv_backward_f32(NULL, m->dw, m->db, m->y, m->x, m->w, BATCH, g, m->work);
		break;
	case BACKWARD_ALL:
		conv_backward_f32(m->dx, m->dw, m->db, m->y, m->x, m->w, BATCH, g, m->work);
		break;
	case MAX_FORWARD: maxpool_forward_f32(m->y, m->argmax, m->x, BATCH, g); break;
	case MAX_BACKWARD: maxpool_backward_f32(m->dx, m->y, m->argmax, BATCH, g); break;
	case BN_FORWARD:
		batchnorm2d_forward_f32(m->y, m->saved, m->rm, m->rv, m->x, m->w, m->b, BATCH, g->C,
		                        HW, 0.1, 1e-5, true);
		break;
	case BN_BACKWARD:
		batchnorm2d_backward_f32(m->dx, m->dw, m->db, m->y, m->x, m->saved, m->w, BATCH, g->C,
		                         HW);
		break;
	}
}

/* The median seconds of pass on g. */
static double median(enum pass pass, const struct conv_geom *g, struct buffers *m)
{
	double t[RUNS];
	run(pass, g, m); /* warm */
	for (int r = 0; r < RUNS; r++) {
		double start = bench_now();
		run(pass, g, m);
		t[r] = bench_now() - start;
	}
	qsort(t, RUNS, sizeof *t, bench_compare);
	return t[RUNS / 2];
}

static void report(const char *what, double seconds, double flops)
{
	printf("  %-36s %8.2f ms a batch %7.2f s an epoch", what, 1e3 * seconds, STEPS * seconds);
	if (flops > 0)
		printf(" %6.1f GFLOP/s", flops / seconds / 1e9);
	putchar('\n');
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
#ifdef _OPENMP
	omp_set_num_threads(threads);
#endif
	const char *kernel = k_gemm_kernel()->name;
	printf("image kernels of examples/fashion_cnn.nn, batch %d, %d thread%s, %s GEMM kernel\n",
	       BATCH, threads, threads == 1 ? "" : "s", kernel);
	struct conv_geom convs[2] = {
		{1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 28, 28, threads},
		{32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 14, 14, threads},
	};
	struct conv_geom pools[2] = {
		{32, 28, 28, 32, 2, 2, 2, 2, 0, 0, 14, 14, threads},
		{64, 14, 14, 64, 2, 2, 2, 2, 0, 0, 7, 7, threads},
	};
	struct buffers m;
	int64_t big = BATCH * 32 * 28 * 28, work = conv_workspace_f32(&convs[1]);
	work = conv_workspace_f32(&convs[0]) > work ? conv_workspace_f32(&convs[0]) : work;
	m.x = floats(big), m.y = floats(big), m.dx = floats(big), m.w = floats(64 * 288);
	m.b = floats(64), m.dw = floats(64 * 288), m.db = floats(64), m.work = floats(work);
	m.saved = floats(4 * 64), m.rm = floats(64), m.rv = floats(64);
	m.argmax = calloc((size_t)big, sizeof *m.argmax);
	for (int64_t i = 0; i < 64; i++)
		m.rv[i] = 1;
	double total = 0;
	for (int k = 0; k < 2; k++) {
		const struct conv_geom *g = &convs[k];
		double flops = 2.0 * BATCH * (double)(g->F * g->C * g->KH * g->KW * g->OH * g->OW);
		double fwd = median(FORWARD, g, &m), wts = median(BACKWARD_WEIGHTS, g, &m),
		       all = k == 0 ? wts : median(BACKWARD_ALL, g, &m); /* conv1: no dX */
		char what[64];
		snprintf(what, sizeof what, "conv%d forward", k + 1);
		report(what, fwd, flops);
		snprintf(what, sizeof what, "conv%d backward weights", k + 1);
		report(what, wts, flops);
		if (k == 1)
			report("conv2 backward data", all - wts, flops);
		total += fwd + all;
	}
	for (int k = 0; k < 2; k++) {
		char what[64];
		double fwd = median(MAX_FORWARD, &pools[k], &m), bwd = median(MAX_BACKWARD, &pools[k], &m);
		snprintf(what, sizeof what, "maxpool%d forward + backward", k + 1);
		report(what, fwd + bwd, 0);
		total += fwd + bwd;
	}
	double bn = median(BN_FORWARD, &convs[1], &m) + median(BN_BACKWARD, &convs[1], &m);
	report("batchnorm2d (64, 14, 14) fwd + bwd", bn, 0);
	report("total of the above (without BN)", total, 0);
	return 0;
}
