/* fuzz_checkpoint.c — libFuzzer target over the checkpoint and safetensors readers: the
 * bytes are written to a scratch file and read as a checkpoint of a small network
 * (dense(5) → batchnorm → dense(3) on 4 inputs, Adam with amsgrad: every state array),
 * as `load` reads a checkpoint, as plain weights, and for their metadata. `make fuzz`
 * runs it after fuzz_data, from a valid checkpoint that this program writes when given
 * --write-seed DIR. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct net net;
static const struct checkpoint_id id = {"descent fuzz", "t", "0", "train t {}", "avx2"};
/* the same run with clip, stop or save_best: its checkpoint has a track tensor */
static const struct checkpoint_id tracked = {"descent fuzz", "t", "0", "train t {}", "avx2",
                                             true};

static void build(void)
{
	char err[200];
	net = (struct net){.opt = {.kind = OPT_ADAM, .lr = 1e-3, .momentum = 0.9, .beta2 = 0.999,
	                           .eps = 1e-8, .amsgrad = true}};
	if (net_add_dense(&net, "dense1", 4, 5, true, INIT_DEFAULT) != 0
	    || net_add_batchnorm(&net, "batchnorm1", 5, 0.1, 1e-5) != 0
	    || net_add_dense(&net, "dense2", 5, 3, false, INIT_DEFAULT) != 0
	    || net_plan(&net, 2, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_checkpoint: %s\n", err);
		exit(1);
	}
	net_init(&net, 1);
	net_reset_state(&net);
}

/* `fuzz_checkpoint --write-seed DIR` writes a valid checkpoint of 2 epochs into DIR. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	build();
	if (*argc == 3 && strcmp((*argv)[1], "--write-seed") == 0) {
		char path[4096], err[600];
		struct train_metrics m[2] = {{.epoch = 1, .step = 3, .has_val = true},
		                             {.epoch = 2, .step = 6, .has_test = true}};
		snprintf(path, sizeof path, "%s/two_epochs.ckpt", (*argv)[2]);
		if (checkpoint_save(path, &net, m, 2, &id, err, sizeof err) != 0) {
			fprintf(stderr, "fuzz_checkpoint: %s\n", err);
			exit(1);
		}
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[600];
	snprintf(path, sizeof path, "/tmp/descent-fuzz-ckpt-%d", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct train_metrics m[3];
	struct checkpoint_found found;
	checkpoint_load(path, &net, m, 3, &found, &id, err, sizeof err);
	checkpoint_load(path, &net, m, 3, &found, &tracked, err, sizeof err);
	net.targets = 3; /* a regression run's checkpoint: its fits tensor */
	checkpoint_load(path, &net, m, 3, &found, &tracked, err, sizeof err);
	net.targets = 0;
	checkpoint_load_weights(path, &net, err, sizeof err);
	struct st_meta *meta;
	int n;
	if (st_metadata(path, &meta, &n, err, sizeof err) == 0)
		st_meta_free(meta, n);
	float w[20], b[5];
	struct st_tensor t[2] = {{"dense1.weight", 2, {5, 4}, w}, {"dense1.bias", 1, {5, 1}, b}};
	st_load(path, t, 2, err, sizeof err);
	unlink(path);
	return 0;
}
