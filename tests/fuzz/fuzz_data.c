/* fuzz_data.c — libFuzzer target over the data loaders: the bytes are written to a scratch
 * file and read as IDX images and labels, as NPY features and labels, and as CSV (with
 * and without a header), gzip or not as the bytes happen to be; with numeric targets
 * (targets = values); as predict's features without labels; through the header readers
 * `descent check` uses for sample shapes; and, as text, as the normalize statistics and
 * label names that weights' metadata carries. Built and run by `make fuzz` after
 * fuzz_check. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/descent-fuzz-data-%d", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct dataset ds;
	struct data_error err;
	if (data_load_idx(path, path, &ds, &err) == 0)
		data_free(&ds);
	if (data_load_npy(path, path, &ds, &err) == 0)
		data_free(&ds);
	if (data_load_csv(path, NULL, 0, false, &ds, &err) == 0) {
		struct dataset train, val;
		struct data_transform tf;
		if (data_split(&ds, 0.3, 1, &train, &val) == 0) {
			if (data_fit(&train, 0.5, NORMALIZE_STANDARD, &tf) == 0)
				data_transform_free(&tf);
			data_free(&train);
			data_free(&val);
		}
		data_free(&ds);
	}
	if (data_load_csv(path, "label", 0, true, &ds, &err) == 0)
		data_free(&ds);
	const char *names[2] = {"label", NULL};
	const int64_t indices[2] = {0, 1};
	if (data_load_csv_values(path, names, indices, 2, true, &ds, &err) == 0)
		data_free(&ds);
	if (data_load_npy_values(path, path, &ds, &err) == 0)
		data_free(&ds);
	if (data_load_csv_features(path, "label", 0, true, 4, &ds, &err) == 0)
		data_free(&ds);
	if (data_load_csv_features(path, NULL, 0, false, 4, &ds, &err) == 0)
		data_free(&ds);
	if (data_load_npy_features(path, &ds, &err) == 0)
		data_free(&ds);
	if (data_load_idx_images(path, &ds, &err) == 0)
		data_free(&ds);
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
		struct data_transform tf;
		if (data_transform_parse(text, 4, &tf, &err) == 0)
			data_transform_free(&tf);
		char **labels;
		int count;
		if (data_label_parse(text, &labels, &count) == 0)
			data_names_free(labels, count);
		free(text);
	}
	struct shape shape;
	(void)data_sample_shape_idx(path, &shape, &err);
	(void)data_sample_shape_npy(path, &shape, &err);
	(void)data_sample_shape_csv(path, &shape, &err);
	unlink(path);
	return 0;
}
