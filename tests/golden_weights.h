/* golden_weights.h — the tensors of the networks the training goldens save
 * (tests/golden/train/make_goldens.py), and their comparison with our saved weights.
 * Shared by test_train.c and test_numerics.c. */
#ifndef DESCENT_TEST_GOLDEN_WEIGHTS_H
#define DESCENT_TEST_GOLDEN_WEIGHTS_H

#include <stdint.h>

/* A saved tensor: its name and shape. */
struct golden_tensor {
	const char *name;
	int64_t rows, cols; /* cols 1: a vector; cols 0: the I64 scalar num_batches_tracked */
};

/* dense(32) relu dense(10), and dense(32, bias = false) batchnorm() relu dense(10), on
 * 64 features; each list ends with a NULL name. */
extern const struct golden_tensor golden_plain[], golden_with_batchnorm[];

/* Expects every tensor of specs in the safetensors files ours and golden to agree
 * (relative 1e-4, the I64 counter exactly); name labels the messages. */
void golden_expect_weights(const char *name, const char *ours, const char *golden,
                           const struct golden_tensor *specs);

#endif
