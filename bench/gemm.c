/* gemm.c — GFLOP/s of k_gemm on the products of one training step of the Fashion-MNIST
 * MLP 784-256-128-10 at batch 128, for each micro-kernel and thread count, against the
 * machine's peak (2 FMA units × 8 float lanes × 2 flops × clock, one core), and against
 * OpenBLAS's sgemm when the build found it (HAVE_OPENBLAS). Median of 15 repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#ifdef HAVE_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int threads);
#endif

#include "gemm.h"
#include "timing.h"

/* The clock in GHz from /proc/cpuinfo, or 0 if unknown. */
static double clock_ghz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double mhz = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "cpu MHz", 7) == 0 && sscanf(strchr(line, ':') + 1, "%lf", &mhz) == 1)
			break;
	if (f)
		fclose(f);
	return mhz / 1000;
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
	struct { const char *name; gemm_micro_fn *fn; } kernels[] = {
		{"portable", k_gemm_micro_ref}, {"avx2", k_gemm_micro_avx2},
	};
	__builtin_cpu_init();
	bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	double ghz = clock_ghz();
	printf("peak, one core: %.1f GFLOP/s (2 FMA x 8 lanes x 2 x %.2f GHz)\n", 32 * ghz, ghz);
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
		for (int kk = 0; kk < (avx2 ? 2 : 1); kk++) {
			const struct shape *sh = &shapes[s];
			omp_set_num_threads(threads);
			double times[15];
			for (int r = 0; r < 15; r++) {
				double t0 = bench_now();
				k_gemm_with(kernels[kk].fn, sh->ta, sh->tb, sh->m, sh->n, sh->k, a,
				            sh->ta ? sh->m : sh->k, b, sh->tb ? sh->k : sh->n, c, sh->n, false,
				            work);
				times[r] = bench_now() - t0;
			}
			qsort(times, 15, sizeof times[0], bench_compare);
			double gflops = 2.0 * (double)(sh->m * sh->n * sh->k) / times[7] / 1e9;
			printf("%-42s %-9s %d thread%s %7.1f GFLOP/s  %5.1f%% of one core's peak\n",
			       sh->what, kernels[kk].name, threads, threads == 1 ? " " : "s", gflops,
			       ghz > 0 ? 100 * gflops / (32 * ghz) : 0);
#ifdef HAVE_OPENBLAS
			if (kk == 0)
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
			printf("%-42s %-9s %d thread%s %7.1f GFLOP/s  %5.1f%% of one core's peak\n",
			       sh->what, "openblas", threads, threads == 1 ? " " : "s", gflops,
			       ghz > 0 ? 100 * gflops / (32 * ghz) : 0);
#endif
		}
	free(a);
	free(b);
	free(c);
	free(work);
	return 0;
}
