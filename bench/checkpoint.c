/* checkpoint.c — what a checkpoint costs: checkpoint_save (write, fsync, rename) and
 * checkpoint_load (read, CRC-32) of the network of examples/fashion_resumable.nn
 * (784-256-batchnorm-128-10, AdamW: weights and two state arrays), with one epoch's
 * metrics, in the folder given (default /tmp). Median of 21 repetitions of each. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "timing.h"

enum { REPS = 21 };

int main(int argc, char **argv)
{
	char path[4096], err[600];
	snprintf(path, sizeof path, "%s/descent-bench.ckpt", argc > 1 ? argv[1] : "/tmp");
	struct net n = {.opt = {.kind = OPT_ADAM, .lr = 2e-3, .momentum = 0.9, .beta2 = 0.999,
	                        .eps = 1e-8, .wd = 0.01}};
	if (net_add_dense(&n, "dense1", 784, 256, false, INIT_DEFAULT) != 0
	    || net_add_batchnorm(&n, "batchnorm1", 256, 0.1, 1e-5) != 0
	    || net_add_act(&n, "relu1", 256, ACT_RELU, 0) != 0
	    || net_add_dense(&n, "dense2", 256, 128, true, INIT_DEFAULT) != 0
	    || net_add_act(&n, "relu2", 128, ACT_RELU, 0) != 0
	    || net_add_dense(&n, "dense3", 128, 10, true, INIT_DEFAULT) != 0
	    || net_plan(&n, 128, err, sizeof err) != 0) {
		fprintf(stderr, "bench/checkpoint: cannot build the network: %s\n", err);
		return 1;
	}
	net_init(&n, 7);
	net_reset_state(&n);
	struct train_metrics m = {.epoch = 1, .step = 422, .has_val = true, .has_test = true};
	struct checkpoint_id id = {"descent bench", "fashion", "0", "train fashion {}", NULL};
	double save[REPS], load[REPS];
	struct checkpoint_found found;
	for (int r = 0; r < REPS; r++) {
		double start = bench_now();
		if (checkpoint_save(path, &n, &m, 1, &id, err, sizeof err) != 0) {
			fprintf(stderr, "bench/checkpoint: %s\n", err);
			return 1;
		}
		save[r] = bench_now() - start;
		start = bench_now();
		if (checkpoint_load(path, &n, &m, 1, &found, &id, err, sizeof err) != 0) {
			fprintf(stderr, "bench/checkpoint: %s\n", err);
			return 1;
		}
		load[r] = bench_now() - start;
	}
	struct stat st;
	stat(path, &st);
	unlink(path);
	qsort(save, REPS, sizeof *save, bench_compare);
	qsort(load, REPS, sizeof *load, bench_compare);
	printf("checkpoint of the Fashion-MNIST MLP with AdamW (%lld params, %.2f MB) in %s:\n"
	       "  save (write, fsync, rename) median %.1f ms (min %.1f, max %.1f); "
	       "load (read, CRC-32) median %.1f ms\n", (long long)n.nparams, st.st_size / 1e6,
	       argc > 1 ? argv[1] : "/tmp", 1e3 * save[REPS / 2], 1e3 * save[0],
	       1e3 * save[REPS - 1], 1e3 * load[REPS / 2]);
	net_free(&n);
	return 0;
}
