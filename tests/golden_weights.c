/* golden_weights.c — see golden_weights.h. */
#include "golden_weights.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "safetensors.h"

const struct golden_tensor golden_plain[] = {
	{"dense1.weight", 32, 64}, {"dense1.bias", 32, 1}, {"dense2.weight", 10, 32},
	{"dense2.bias", 10, 1}, {NULL, 0, 0},
};
const struct golden_tensor golden_with_batchnorm[] = {
	{"dense1.weight", 32, 64}, {"batchnorm1.weight", 32, 1}, {"batchnorm1.bias", 32, 1},
	{"batchnorm1.running_mean", 32, 1}, {"batchnorm1.running_var", 32, 1},
	{"batchnorm1.num_batches_tracked", 1, 0}, {"dense2.weight", 10, 32}, {"dense2.bias", 10, 1},
	{NULL, 0, 0},
};

enum { MAX_TENSORS = 16 };

/* Loads the tensors of specs from path into new arrays (data[i]; counts[i] for I64). */
static int load_weights(const char *path, const struct golden_tensor *specs,
                        float *data[MAX_TENSORS], int64_t counts[MAX_TENSORS])
{
	struct st_tensor t[MAX_TENSORS];
	char err[256];
	int n = 0;
	for (; specs[n].name; n++) {
		data[n] = malloc((size_t)(specs[n].rows * (specs[n].cols ? specs[n].cols : 1)) * sizeof(float));
		t[n] = (struct st_tensor){specs[n].name, specs[n].cols == 1 ? 1 : specs[n].cols ? 2 : 0,
		                          {specs[n].rows, specs[n].cols}, specs[n].cols ? data[n] : NULL,
		                          specs[n].cols ? NULL : &counts[n]};
	}
	cr_assert_eq(st_load(path, t, n, err, sizeof err), 0, "%s", err);
	return n;
}

void golden_expect_weights(const char *name, const char *ours, const char *golden,
                           const struct golden_tensor *specs)
{
	float *a[MAX_TENSORS], *b[MAX_TENSORS];
	int64_t ca[MAX_TENSORS], cb[MAX_TENSORS];
	int n = load_weights(ours, specs, a, ca);
	load_weights(golden, specs, b, cb);
	for (int i = 0; i < n; i++) {
		if (!specs[i].cols)
			cr_expect_eq(ca[i], cb[i], "%s %s: %ld vs %ld", name, specs[i].name, (long)ca[i],
			             (long)cb[i]);
		for (int64_t k = 0; specs[i].cols && k < specs[i].rows * specs[i].cols; k++)
			cr_expect_leq(fabs(a[i][k] - b[i][k]), 1e-4 * fabs(b[i][k]) + 1e-6,
			              "%s %s[%ld]: %g vs %g", name, specs[i].name, (long)k,
			              (double)a[i][k], (double)b[i][k]);
		free(a[i]);
		free(b[i]);
	}
}
