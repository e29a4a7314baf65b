/* test_speed.c — issue #13's changes that must not change a result: the training set
 * taken without a copy (data_split_take), the per-op thread rule (k_gemm_threads,
 * pace_threads_for) and what it splits (products, the update, a batch's gather), the
 * default thread count adapted to the machine's load
 * (pace.h), each checked against the straightforward way bit for bit. No test here times
 * anything. */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "gemm.h"
#include "helpers.h"
#include "isa.h"
#include "net.h"
#include "pace.h"

Test(speed, a_split_without_validation_trains_on_the_loaded_arrays_themselves)
{
	struct dataset all, train, val, copy_train, copy_val;
	cr_assert_eq(data_xor(50, 0, &all), 0);
	cr_assert_eq(data_split(&all, 0, 3, &copy_train, &copy_val), 0);
	const float *loaded = all.f32;
	cr_assert_eq(data_split_take(&all, 0, 3, &train, &val), 0);
	cr_expect_eq(train.f32, loaded, "the training rows were copied");
	cr_expect_eq(all.n, 0);
	cr_expect_null(all.f32);
	cr_expect_eq(train.n, copy_train.n);
	cr_expect_eq(memcmp(train.f32, copy_train.f32, (size_t)(train.n * train.d) * sizeof(float)), 0);
	cr_expect_eq(memcmp(train.y, copy_train.y, (size_t)train.n * sizeof(int32_t)), 0);
	cr_expect_eq(val.n, 0);
	cr_expect_eq(val.d, copy_val.d);
	cr_expect_eq(val.classes, copy_val.classes);
	data_free(&all); /* empty: nothing to free twice */
	data_free(&train);
	data_free(&val);
	data_free(&copy_train);
	data_free(&copy_val);
}

Test(speed, a_split_with_validation_gives_data_splits_parts_and_frees_the_whole)
{
	struct dataset all, train, val, copy_train, copy_val;
	cr_assert_eq(data_xor(101, 0, &all), 0);
	cr_assert_eq(data_split(&all, 0.2, 7, &copy_train, &copy_val), 0);
	cr_assert_eq(data_split_take(&all, 0.2, 7, &train, &val), 0);
	cr_expect_eq(all.n, 0);
	cr_expect_null(all.f32);
	cr_assert_eq(train.n, copy_train.n);
	cr_assert_eq(val.n, copy_val.n);
	cr_expect_eq(memcmp(train.f32, copy_train.f32, (size_t)(train.n * train.d) * sizeof(float)), 0);
	cr_expect_eq(memcmp(val.f32, copy_val.f32, (size_t)(val.n * val.d) * sizeof(float)), 0);
	cr_expect_eq(memcmp(val.y, copy_val.y, (size_t)val.n * sizeof(int32_t)), 0);
	data_free(&train);
	data_free(&val);
	data_free(&copy_train);
	data_free(&copy_val);
}

/* ---- the per-op thread rule and the GEMM's bits at any number of threads ---- */

Test(speed, small_products_run_on_one_thread_and_large_ones_on_all)
{
	omp_set_num_threads(2);
	cr_expect_eq(k_gemm_threads(32, 128, 64), 1, "digits' forward (0.5 MFLOP)");
	cr_expect_eq(k_gemm_threads(128, 64, 32), 1, "digits' weight gradient");
	cr_expect_eq(k_gemm_threads(128, 10, 128), 1, "the Fashion MLP's last layer");
	cr_expect_eq(k_gemm_threads(128, 256, 784), 2, "the Fashion MLP's first layer");
	cr_expect_eq(k_gemm_threads(6, 4096, 4096), 1, "one tile of rows cannot be shared");
	omp_set_num_threads(1);
	cr_expect_eq(k_gemm_threads(128, 256, 784), 1);
	omp_set_num_threads(2);
	cr_expect_eq(pace_threads_for(9610), 1, "digits' 9,610 parameters");
	cr_expect_eq(pace_threads_for(235146), 2, "the Fashion MLP's");
}

/* C = op(A)·op(B) for an m×n×k product on `threads` threads, into c (m×n). */
static void product(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int threads, float *c)
{
	omp_set_num_threads(threads);
	float *a = malloc((size_t)(m * k) * sizeof *a), *b = malloc((size_t)(k * n) * sizeof *b);
	float *work = aligned_alloc(64, (size_t)k_gemm_workspace() * sizeof *work);
	cr_assert(a && b && work);
	for (int64_t i = 0; i < m * k; i++)
		a[i] = (float)sin(0.37 * (double)i);
	for (int64_t i = 0; i < k * n; i++)
		b[i] = (float)cos(0.11 * (double)i);
	for (int64_t i = 0; i < m * n; i++)
		c[i] = (float)i * 1e-3f; /* accumulated onto */
	k_gemm(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, n, true, work);
	free(a);
	free(b);
	free(work);
}

Test(speed, products_split_among_threads_give_the_same_bits_as_one_thread)
{
	const int64_t shapes[][3] = {{128, 256, 784}, {256, 784, 128}, {128, 256, 128},
	                             {200, 97, 530}, {77, 300, 300}};
	for (int s = 0; s < 5; s++) {
		int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
		for (int form = 0; form < 4; form++) {
			bool ta = form & 1, tb = form & 2;
			float *one = malloc((size_t)(m * n) * sizeof *one);
			float *two = malloc((size_t)(m * n) * sizeof *two);
			product(ta, tb, m, n, k, 1, one);
			product(ta, tb, m, n, k, 2, two);
			omp_set_num_threads(2);
			cr_expect_eq(k_gemm_threads(m, n, k), 2);
			cr_expect_eq(memcmp(one, two, (size_t)(m * n) * sizeof *one), 0,
			             "%lld×%lld×%lld, form %d", (long long)m, (long long)n, (long long)k, form);
			free(one);
			free(two);
		}
	}
}

/* A network of two dense layers (90,500 parameters: two threads' worth) under NAdam, whose
 * per-tensor scalar must advance once per step whatever the threads. */
static void build_two(struct net *n)
{
	char err[256];
	*n = (struct net){.opt = {.kind = OPT_NADAM, .lr = 1e-2, .momentum = 0.9, .beta2 = 0.999,
	                          .eps = 1e-8, .wd = 0.01, .momentum_decay = 4e-3},
	                  .l2 = 1e-3, .loss = LOSS_CROSS_ENTROPY};
	cr_assert_eq(net_add_dense(n, "dense1", 100, 300, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_add_dense(n, "dense2", 300, 200, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_plan(n, 4, err, sizeof err), 0, "%s", err);
	net_init(n, 5);
	net_reset_state(n);
}

static void updates(struct net *n, int threads)
{
	omp_set_num_threads(threads);
	for (long t = 1; t <= 3; t++) {
		for (int64_t i = 0; i < n->nparams; i++)
			n->grads[i] = (float)sin(0.29 * (double)i + (double)t);
		net_update(n, &(struct optim_step){.lr = 1e-2, .momentum = 0.9, .t = t});
	}
}

Test(speed, one_update_region_over_all_tensors_gives_the_same_bits_as_one_thread)
{
	struct net one, two;
	build_two(&one);
	build_two(&two);
	omp_set_num_threads(2);
	cr_assert_eq(pace_threads_for(one.nparams), 2);
	updates(&one, 1);
	updates(&two, 2);
	size_t bytes = (size_t)one.nparams * sizeof(float);
	cr_expect_eq(memcmp(one.params, two.params, bytes), 0);
	cr_expect_eq(memcmp(one.state.avg, two.state.avg, bytes), 0);
	cr_expect_eq(memcmp(one.state.sq, two.state.sq, bytes), 0);
	cr_expect_eq(memcmp(one.state.scalar, two.state.scalar, bytes), 0);
	net_free(&one);
	net_free(&two);
}

Test(speed, a_batch_gathered_by_two_threads_is_the_one_threads)
{
	enum { N = 300, D = 784, COUNT = 128 }; /* Fashion-MNIST's rows and batch */
	struct dataset ds = {.n = N, .d = D, .type = DATA_U8, .u8 = malloc(N * D),
	                     .y = malloc(N * sizeof(int32_t))};
	float shift[D], mul[D];
	struct data_transform tf = {.d = D, .scale = 1.0f / 255, .shift = shift, .mul = mul};
	for (int64_t i = 0; i < N * D; i++)
		ds.u8[i] = (uint8_t)(i * 7919 % 251);
	for (int i = 0; i < N; i++)
		ds.y[i] = i % 10;
	for (int j = 0; j < D; j++) {
		shift[j] = (float)j / D;
		mul[j] = 1 + (float)j / 100;
	}
	int64_t rows[COUNT];
	for (int k = 0; k < COUNT; k++)
		rows[k] = (int64_t)k * 37 % N; /* scattered, as a shuffled batch */
	float *x1 = malloc(COUNT * D * sizeof *x1), *x2 = malloc(COUNT * D * sizeof *x2);
	int32_t y1[COUNT], y2[COUNT];
	omp_set_num_threads(1);
	data_batch(&ds, &tf, rows, COUNT, x1, y1);
	omp_set_num_threads(2);
	cr_assert_eq(pace_threads_for(COUNT * D), 2, "a Fashion batch is gathered by both");
	data_batch(&ds, &tf, rows, COUNT, x2, y2);
	cr_expect_eq(memcmp(x1, x2, COUNT * D * sizeof *x1), 0);
	cr_expect_eq(memcmp(y1, y2, sizeof y1), 0);
	cr_expect_eq(x1[5 * D + 3], ((float)ds.u8[rows[5] * D + 3] * tf.scale - shift[3]) * mul[3]);
	free(ds.u8);
	free(ds.y);
	free(x1);
	free(x2);
}

/* ---- the pace: a run's thread count from its steps' times ---- */

/* Steps of the pace where a step at one thread takes one_s and at most threads most_s;
 * returns the count of the last step. */
static int steps(struct pace *p, int count, double one_s, double most_s)
{
	int threads = p->threads;
	for (int i = 0; i < count; i++)
		threads = pace_step(p, threads == 1 ? one_s : most_s, 100);
	return threads;
}

Test(speed, the_pace_keeps_one_thread_while_it_is_faster_and_all_once_they_are)
{
	pace_set_auto(true);
	omp_set_num_threads(2);
	struct pace p;
	pace_start(&p, 2);
	cr_expect_eq(steps(&p, PACE_WARMUP - 1, 1, 3), 2, "warming up on all threads");
	cr_expect_eq(steps(&p, 1, 1, 3), 1, "the probe starts on one thread");
	cr_expect_eq(p.phase, PACE_TRY);
	/* a busy competitor: two threads take 3 s where one takes 1 s; one pair is clear */
	steps(&p, 2, 1, 3);
	cr_expect_eq(p.phase, PACE_KEEP);
	cr_expect_eq(p.threads, 1);
	cr_expect_eq(omp_get_max_threads(), 1, "OpenMP's count follows");
	/* the period: the probe's extra 2 s (3 − 1) at most PACE_BUDGET of it */
	int64_t period = p.period;
	cr_expect_geq((double)period * 1 * PACE_BUDGET, 2.0);
	cr_expect_leq((double)(period - 1) * 1 * PACE_BUDGET, 2.0);
	/* it stays there for the period, then probes again; the same answer doubles it */
	cr_expect_eq(steps(&p, period - 1, 1, 3), 1);
	cr_expect_eq(p.probes, 1);
	steps(&p, 1, 1, 3);
	cr_expect_eq(p.probes, 2);
	steps(&p, 2, 1, 3);
	cr_expect_eq(p.threads, 1);
	cr_expect_eq(p.period, 2 * period);
	/* the competitor leaves: the next probe finds two threads faster, after all its pairs */
	steps(&p, p.period, 1, 0.6);
	cr_expect_eq(p.phase, PACE_TRY);
	steps(&p, 2 * PACE_PROBE - 1, 1, 0.6);
	cr_expect_eq(p.phase, PACE_TRY, "1 against 0.6 s is not clear from one pair");
	steps(&p, 1, 1, 0.6);
	cr_expect_eq(p.threads, 2);
	cr_expect_eq(omp_get_max_threads(), 2);
	/* a new answer: the period starts over, as long as the budget asks (extra 4 × 0.4 s) */
	cr_expect_geq((double)p.period * 0.6 * PACE_BUDGET, 4 * 0.4 - 1e-9);
	cr_expect_lt((double)(p.period - 1) * 0.6 * PACE_BUDGET, 4 * 0.4);
	pace_finish(&p);
}

Test(speed, the_pace_probes_at_once_when_all_threads_become_much_slower)
{
	pace_set_auto(true);
	omp_set_num_threads(2);
	struct pace p;
	pace_start(&p, 2);
	steps(&p, PACE_WARMUP + 2 * PACE_PROBE, 1, 0.6); /* quiet: two threads */
	cr_expect_eq(p.threads, 2);
	cr_expect_gt(p.period, PACE_WINDOW);
	int64_t probes = p.probes;
	steps(&p, PACE_WINDOW, 1, 3); /* a competitor comes, long before the period ends */
	cr_expect_eq(p.probes, probes + 1);
	cr_expect_eq(p.phase, PACE_TRY);
	steps(&p, 2, 1, 3);
	cr_expect_eq(p.threads, 1);
	/* on one thread, slower steps (the machine is busier still) start no probe */
	probes = p.probes;
	steps(&p, 4 * PACE_WINDOW, 5, 30);
	cr_expect_eq(p.probes, probes);
	pace_finish(&p);
	cr_expect_eq(omp_get_max_threads(), 2, "the next run starts from the given count");
}

Test(speed, the_pace_is_off_unless_asked_and_with_one_thread)
{
	struct pace p;
	pace_set_auto(false); /* --threads N, OMP_NUM_THREADS, or a library caller */
	pace_start(&p, 2);
	cr_expect_eq(steps(&p, 100, 1, 3), 2);
	pace_set_auto(true);
	pace_start(&p, 1);
	cr_expect_eq(steps(&p, 100, 1, 3), 1);
	cr_expect_eq(p.probes, 0);
}

/* ---- end to end: the default count, which the pace changes mid-run, gives the bits of
 * one thread ---- */

Test(speed_e2e, a_run_on_the_default_threads_gives_the_bits_of_one_thread)
{
	char one[64], two[64], path[160], *err;
	const char *text = "data d { train = blobs(1500, classes = 4, dim = 256)\n"
	                   " test = blobs(300, classes = 4, dim = 256) }\n"
	                   "network n { dense(384)\n relu\n dense(128)\n relu\n dense(4) }\n"
	                   "train t { network = n\n data = d\n optimizer = adamw(lr = 1e-3)\n"
	                   " epochs = 2\n batch = 128\n seed = 9\n log = \"t.jsonl\"\n"
	                   " save = \"t.safetensors\" }\n";
	cr_assert(scratch_dir(one) && scratch_dir(two));
	snprintf(path, sizeof path, "%s/t.nn", one);
	cr_assert_eq(write_text(path, text), 0);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--threads", "1", path,
	                                               NULL}, NULL, NULL, &err), 0, "%s", err);
	free(err);
	snprintf(path, sizeof path, "%s/t.nn", two);
	cr_assert_eq(write_text(path, text), 0);
	unsetenv("OMP_NUM_THREADS");
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", path, NULL}, NULL, NULL,
	                         &err), 0, "%s", err);
	free(err);
	const char *differ = runs_differ(one, two, "t.safetensors", "t.jsonl");
	cr_expect_null(differ, "%s", differ);
	remove_tree(one);
	remove_tree(two);
}

/* ---- the AVX2 transposing pack: the floats of the scalar definition ---- */

/* For every panel a kernel packs: 6 and 16 (AVX2's MR and NR), 8 and 32 (AVX-512's). */
Test(speed, the_avx2_transposing_pack_gives_the_definitions_floats)
{
	if (k_isa_supported() < K_AVX2)
		cr_skip_test("no AVX2 on this processor");
	const int64_t depths[] = {1, 7, 8, 9, 31, 256}, ld = 300;
	const int panels[] = {6, 8, 16, 32};
	float *m = malloc(32 * ld * sizeof *m), out[256 * 32];
	for (int64_t i = 0; i < 32 * ld; i++)
		m[i] = (float)sin(0.7 * (double)i);
	for (int q = 0; q < 4; q++)
		for (int d = 0, panel = panels[q]; d < 6; d++)
			for (int64_t width = 1; width <= panel; width++) {
				int64_t kc = depths[d];
				memset(out, 0xff, sizeof out); /* NaNs: every float must be written */
				k_gemm_pack_t_avx2(m + 3, ld, kc, width, panel, out);
				for (int64_t p = 0; p < kc; p++)
					for (int64_t j = 0; j < panel; j++) {
						float want = j < width ? m[3 + j * ld + p] : 0;
						cr_assert_eq(memcmp(&out[p * panel + j], &want, sizeof want), 0,
						             "panel %d, kc %lld, width %lld: (%lld, %lld)", panel,
						             (long long)kc, (long long)width, (long long)p, (long long)j);
					}
			}
	free(m);
}
