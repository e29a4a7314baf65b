/* gemm.c — GFLOP/s of k_gemm on the products of one training step of the Fashion-MNIST
 * MLP 784-256-128-10 at batch 128, for each micro-kernel the processor runs and each
 * thread count, against that kernel's own ceiling on one core (its micro-kernel alone,
 * on one tile whose operands stay in L1: what the FMA units give at this clock, which
 * /proc/cpuinfo does not tell under a hypervisor), and against OpenBLAS's sgemm when the
 * build found it (HAVE_OPENBLAS). Median of 15 repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <omp.h>

#ifdef HAVE_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int threads);
#endif

#include "gemm.h"
#include "isa.h"
#include "timing.h"

/* One core's ceiling for a kernel: GFLOP/s of its micro-kernel alone on one MR×NR tile,
 * kc = KC, packed operands in L1; the best of 2000 calls. */
static double ceiling(const struct gemm_kernel *kernel)
{
	float *a = aligned_alloc(64, GEMM_KC * GEMM_MR_MAX * sizeof *a);
	float *b = aligned_alloc(64, GEMM_KC * GEMM_NR_MAX * sizeof *b);
	float c[GEMM_MR_MAX * GEMM_NR_MAX];
	for (int i = 0; i < GEMM_KC * GEMM_MR_MAX; i++)
		a[i] = (float)(i % 7) / 7;
	for (int i = 0; i < GEMM_KC * GEMM_NR_MAX; i++)
		b[i] = (float)(i % 5) / 5;
	double best = 1e9;
	for (int r = 0; r < 2000; r++) {
		double t0 = bench_now();
		kernel->micro(GEMM_KC, a, 1, kernel->mr, b, kernel->nr, c, kernel->nr, kernel->mr,
		              kernel->nr, false);
		double t = bench_now() - t0;
		best = t < best ? t : best;
	}
	free(a);
	free(b);
	return 2.0 * kernel->mr * kernel->nr * GEMM_KC / best / 1e9;
}

struct shape {
	const char *what;
	bool ta, tb;
	int64_t m, n, k;
};

int main(void)
{
	static const struct shape shapes[] = {
		{"forward  X·W1ᵀ  128×784 · 784×256", false, true, 128, 256, 784},
		{"backward dW1 = dYᵀ·X 256×128 · 128×784", true, false, 256, 784, 128},
		{"forward  H·W2ᵀ  128×256 · 256×128", false, true, 128, 128, 256},
		{"backward dX2 = dY·W2 128×128 · 128×256", false, false, 128, 256, 128},
	};
	const struct gemm_kernel *kernels[] = {&k_gemm_portable, &k_gemm_avx2, &k_gemm_avx512};
	int count = (int)k_isa_supported() + 1; /* the table's order: each needs the one before */
	double ceilings[3];
	for (int kk = 0; kk < count; kk++) {
		ceilings[kk] = ceiling(kernels[kk]);
		printf("%-8s %dx%d micro-kernel alone, operands in L1, one core: %.1f GFLOP/s\n",
		       kernels[kk]->name, kernels[kk]->mr, kernels[kk]->nr, ceilings[kk]);
	}
	/* aligned as a network's buffers are (k_gemm reads B in place where rows start lines) */
	float *a = aligned_alloc(64, 784 * 784 * sizeof *a);
	float *b = aligned_alloc(64, 784 * 784 * sizeof *b);
	float *c = aligned_alloc(64, 784 * 784 * sizeof *c);
	omp_set_num_threads(2); /* the workspace holds a packed A for every thread */
	float *work = aligned_alloc(64, (size_t)k_gemm_workspace() * sizeof *work);
	for (int i = 0; i < 784 * 784; i++)
		a[i] = b[i] = (float)(i % 17) / 17;
	for (int threads = 1; threads <= 2; threads++)
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
		for (int kk = 0; kk < count; kk++) {
			const struct shape *sh = &shapes[s];
			omp_set_num_threads(threads);
			double times[15];
			for (int r = 0; r < 15; r++) {
				double t0 = bench_now();
				k_gemm_with(kernels[kk], sh->ta, sh->tb, sh->m, sh->n, sh->k, a,
				            sh->ta ? sh->m : sh->k, b, sh->tb ? sh->k : sh->n, c, sh->n, false,
				            work);
				times[r] = bench_now() - t0;
			}
			qsort(times, 15, sizeof times[0], bench_compare);
			double gflops = 2.0 * (double)(sh->m * sh->n * sh->k) / times[7] / 1e9;
			printf("%-42s %-9s %d thread%s %7.1f GFLOP/s  %5.1f%% of its one-core ceiling\n",
			       sh->what, kernels[kk]->name, threads, threads == 1 ? " " : "s", gflops,
			       100 * gflops / ceilings[kk]);
#ifdef HAVE_OPENBLAS
			if (kk < count - 1) /* once, after the widest kernel */
				continue;
			openblas_set_num_threads(threads);
			for (int r = 0; r < 15; r++) {
				double t0 = bench_now();
				cblas_sgemm(CblasRowMajor, sh->ta ? CblasTrans : CblasNoTrans,
				            sh->tb ? CblasTrans : CblasNoTrans, (int)sh->m, (int)sh->n, (int)sh->k,
				            1.0f, a, (int)(sh->ta ? sh->m : sh->k), b,
				            (int)(sh->tb ? sh->k : sh->n), 0.0f, c, (int)sh->n);
				times[r] = bench_now() - t0;
			}
			qsort(times, 15, sizeof times[0], bench_compare);
			gflops = 2.0 * (double)(sh->m * sh->n * sh->k) / times[7] / 1e9;
			printf("%-42s %-9s %d thread%s %7.1f GFLOP/s  %5.1f%% of %s's one-core ceiling\n",
			       sh->what, "openblas", threads, threads == 1 ? " " : "s", gflops,
			       100 * gflops / ceilings[kk], kernels[kk]->name);
#endif
		}
	free(a);
	free(b);
	free(c);
	free(work);
	return 0;
}
