/* test_data.c — loading (IDX, gzip, CSV, NPY), the broken-file corpus of tests/data/bad
 * (made by tests/data/make_files.py) with the message each must give, generated sets,
 * splits, normalization, batches, and the counter-based random numbers. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "helpers.h"
#include "rng.h"

#define GOOD "tests/data/good/"

static void expect_idx(const char *images, const char *labels)
{
	struct dataset ds;
	struct data_error err;
	cr_assert_eq(data_load_idx(images, labels, &ds, &err), 0, "%s", err.message);
	cr_expect_eq(ds.n, 3);
	cr_expect_eq(ds.d, 4);
	cr_expect_eq(ds.type, DATA_U8);
	cr_expect_eq(ds.classes, 3);
	for (int i = 0; i < 12; i++)
		cr_expect_eq(ds.u8[i], i);
	cr_expect(ds.y[0] == 2 && ds.y[1] == 0 && ds.y[2] == 1);
	data_free(&ds);
}

Test(data, reads_idx_plain_and_gzipped_alike)
{
	expect_idx(GOOD "images.idx", GOOD "labels.idx");
	expect_idx(GOOD "images.idx.gz", GOOD "labels.idx.gz");
}

Test(data, reads_csv_names_quotes_and_blank_lines)
{
	struct dataset ds;
	struct data_error err;
	cr_assert_eq(data_load_csv(GOOD "named.csv", "kind, quoted", 0, true, &ds, &err), 0, "%s",
	             err.message);
	cr_expect_eq(ds.n, 3);
	cr_expect_eq(ds.d, 2);
	cr_expect_eq(ds.classes, 2);
	cr_expect_str_eq(ds.names[0], "setosa");
	cr_expect_str_eq(ds.names[1], "virginica");
	const float want[] = {1.5f, 2, 3, 0.4f, -1, 7};
	for (int i = 0; i < 6; i++)
		cr_expect_eq(ds.f32[i], want[i], "feature %d: %g", i, (double)ds.f32[i]);
	cr_expect(ds.y[0] == 0 && ds.y[1] == 1 && ds.y[2] == 0);
	data_free(&ds);
}

Test(data, reads_csv_without_header_by_column_index)
{
	struct dataset ds;
	struct data_error err;
	cr_assert_eq(data_load_csv(GOOD "plain.csv", NULL, 2, false, &ds, &err), 0, "%s", err.message);
	cr_expect(ds.n == 2 && ds.d == 2 && ds.classes == 3 && !ds.names);
	cr_expect(ds.y[0] == 2 && ds.y[1] == 1);
	cr_expect(ds.f32[0] == 0.5f && ds.f32[3] == 0);
	data_free(&ds);
}

Test(data, reads_npy_of_every_supported_type)
{
	static const char *const xs[] = {GOOD "x_f4.npy", GOOD "x_f8.npy", GOOD "x_u1.npy"};
	static const char *const ys[] = {GOOD "y_i8.npy", GOOD "y_f8.npy", GOOD "y_i8.npy"};
	for (int k = 0; k < 3; k++) {
		struct dataset ds;
		struct data_error err;
		cr_assert_eq(data_load_npy(xs[k], ys[k], &ds, &err), 0, "%s", err.message);
		cr_expect(ds.n == 3 && ds.d == 2 && ds.classes == 5, "%s", xs[k]);
		cr_expect(ds.y[0] == 1 && ds.y[1] == 0 && ds.y[2] == 4);
		cr_expect_eq(ds.f32[5], k == 2 ? 255 : 6);
		data_free(&ds);
	}
}

/* One line of bad.tsv: loader, path, second path, expected words. */
static void expect_failure(char *line)
{
	char *save, path[256], second[256];
	const char *loader = strtok_r(line, "\t", &save), *a = strtok_r(NULL, "\t", &save);
	const char *b = strtok_r(NULL, "\t", &save), *expected = strtok_r(NULL, "\t", &save);
	snprintf(path, sizeof path, "tests/data/%s", a);
	snprintf(second, sizeof second, "tests/data/%s", b);
	struct dataset ds;
	struct data_error err = {""};
	int status = strcmp(loader, "idx") == 0 ? data_load_idx(path, second, &ds, &err)
		: strcmp(loader, "npy") == 0 ? data_load_npy(path, second, &ds, &err)
		: data_load_csv(path, "label", 0, true, &ds, &err);
	cr_expect_eq(status, -1, "%s loaded", a);
	cr_expect(strstr(err.message, expected) != NULL, "%s: wanted '%s', got '%s'", a, expected,
	          err.message);
	const char *bad = strstr(a, "bad/") ? a : b; /* the message names the broken file */
	cr_expect(strstr(err.message, bad) != NULL, "%s: '%s'", bad, err.message);
	cr_expect(ds.u8 == NULL && ds.f32 == NULL && ds.y == NULL, "%s: left memory behind", a);
}

Test(data, names_the_file_and_the_place_of_every_broken_file)
{
	cr_expect_geq(each_case("tests/data/bad.tsv", expect_failure), 25);
}

Test(data, generates_the_same_set_twice_and_another_for_another_part)
{
	struct dataset a, b, c;
	cr_assert_eq(data_spirals(300, 3, 0.1, 0, &a), 0);
	cr_assert_eq(data_spirals(300, 3, 0.1, 0, &b), 0);
	cr_assert_eq(data_spirals(300, 3, 0.1, 1, &c), 0);
	cr_expect_eq(memcmp(a.f32, b.f32, 600 * sizeof(float)), 0);
	cr_expect_neq(memcmp(a.f32, c.f32, 600 * sizeof(float)), 0);
	int count[3] = {0};
	for (int i = 0; i < 300; i++)
		count[a.y[i]]++;
	cr_expect(count[0] == 100 && count[1] == 100 && count[2] == 100);
	data_free(&a);
	data_free(&b);
	data_free(&c);
}

Test(data, puts_spiral_points_on_their_arms_without_noise)
{
	struct dataset s;
	cr_assert_eq(data_spirals(30, 3, 0, 0, &s), 0);
	for (int i = 0; i < 30; i++) {
		double r = (double)(i / 3) / 9, t = 4 * (s.y[i] + r);
		cr_expect_float_eq(s.f32[2 * i], (float)(r * sin(t)), 1e-6);
		cr_expect_float_eq(s.f32[2 * i + 1], (float)(r * cos(t)), 1e-6);
	}
	data_free(&s);
}

Test(data, labels_xor_by_the_signs_and_keeps_blob_centres_across_parts)
{
	struct dataset x, train, test;
	cr_assert_eq(data_xor(500, 0, &x), 0);
	for (int i = 0; i < 500; i++)
		cr_expect_eq(x.y[i], (x.f32[2 * i] > 0) != (x.f32[2 * i + 1] > 0));
	cr_assert_eq(data_blobs(2000, 4, 3, 0, &train), 0);
	cr_assert_eq(data_blobs(2000, 4, 3, 1, &test), 0);
	for (int c = 0; c < 4; c++)
		for (int j = 0; j < 3; j++) { /* class means agree within a few standard errors */
			double m1 = 0, m2 = 0;
			for (int i = c; i < 2000; i += 4) {
				m1 += train.f32[i * 3 + j] / 500.0;
				m2 += test.f32[i * 3 + j] / 500.0;
			}
			cr_expect_leq(fabs(m1 - m2), 0.3, "class %d feature %d: %g vs %g", c, j, m1, m2);
		}
	data_free(&x);
	data_free(&train);
	data_free(&test);
}

Test(data, splits_deterministically_into_disjoint_parts_in_order)
{
	struct dataset all, train, val, train2, val2, other, val3;
	cr_assert_eq(data_xor(101, 0, &all), 0);
	cr_assert_eq(data_split(&all, 0.2, 7, &train, &val), 0);
	cr_assert_eq(data_split(&all, 0.2, 7, &train2, &val2), 0);
	cr_assert_eq(data_split(&all, 0.2, 8, &other, &val3), 0);
	cr_expect_eq(val.n, 20);
	cr_expect_eq(train.n, 81);
	cr_expect_eq(memcmp(val.f32, val2.f32, 40 * sizeof(float)), 0);
	cr_expect_neq(memcmp(val.f32, val3.f32, 40 * sizeof(float)), 0);
	/* every row of all is in exactly one part, and each part keeps the file's order */
	int64_t ti = 0, vi = 0;
	for (int64_t i = 0; i < all.n; i++) {
		if (ti < train.n && train.f32[2 * ti] == all.f32[2 * i])
			ti++;
		else if (vi < val.n && val.f32[2 * vi] == all.f32[2 * i])
			vi++;
	}
	cr_expect(ti == train.n && vi == val.n);
	struct dataset *sets[] = {&all, &train, &val, &train2, &val2, &other, &val3};
	for (int k = 0; k < 7; k++)
		data_free(sets[k]);
}

Test(data, normalizes_with_training_statistics_and_converts_bytes_per_batch)
{
	struct dataset ds;
	struct data_error err;
	cr_assert_eq(data_load_idx(GOOD "images.idx", GOOD "labels.idx", &ds, &err), 0);
	struct data_transform tf;
	int64_t rows[] = {2, 0, 1};
	float x[12];
	int32_t y[3];
	cr_assert_eq(data_fit(&ds, 1.0 / 255, NORMALIZE_NONE, &tf), 0);
	data_batch(&ds, &tf, rows, 3, x, y);
	cr_expect_float_eq(x[0], 8.0f / 255, 1e-7);
	cr_expect(y[0] == 1 && y[1] == 2);
	data_transform_free(&tf);
	cr_assert_eq(data_fit(&ds, 1.0 / 255, NORMALIZE_STANDARD, &tf), 0);
	data_batch(&ds, &tf, rows, 3, x, y);
	for (int j = 0; j < 4; j++) { /* feature j is j, 4 + j, 8 + j: mean 0, std 1 */
		double mean = (x[j] + x[4 + j] + x[8 + j]) / 3;
		double var = (x[j] * x[j] + x[4 + j] * x[4 + j] + x[8 + j] * x[8 + j]) / 3 - mean * mean;
		cr_expect_float_eq(mean, 0, 1e-6);
		cr_expect_float_eq(var, 1, 1e-5);
	}
	data_transform_free(&tf);
	cr_assert_eq(data_fit(&ds, 1, NORMALIZE_MINMAX, &tf), 0);
	data_batch(&ds, &tf, rows, 3, x, y);
	cr_expect(x[4] == 0 && x[0] == 1, "%g %g", (double)x[4], (double)x[0]);
	data_transform_free(&tf);
	data_free(&ds);
}

Test(rng, draws_depend_only_on_seed_stream_and_counter)
{
	cr_expect_eq(rng_bits(1, RNG_INIT, 5), rng_bits(1, RNG_INIT, 5));
	cr_expect_neq(rng_bits(1, RNG_INIT, 5), rng_bits(2, RNG_INIT, 5));
	cr_expect_neq(rng_bits(1, RNG_INIT, 5), rng_bits(1, RNG_SHUFFLE, 5));
	cr_expect_neq(rng_bits(1, RNG_INIT, 5), rng_bits(1, RNG_INIT, 6));
	double sum = 0, sq = 0, lo = 1, hi = 0;
	enum { N = 200000 };
	for (int i = 0; i < N; i++) {
		double u = rng_uniform(3, RNG_DATA, (uint64_t)i), z = rng_normal(3, RNG_DATA, (uint64_t)i);
		lo = fmin(lo, u);
		hi = fmax(hi, u);
		sum += z;
		sq += z * z;
	}
	cr_expect(lo >= 0 && hi < 1);
	cr_expect_leq(fabs(sum / N), 5 / sqrt(N), "normal mean %g", sum / N);
	cr_expect_leq(fabs(sq / N - 1), 5 * sqrt(2.0 / N), "normal variance %g", sq / N);
}

Test(rng, permutes_every_index_exactly_once)
{
	int64_t perm[1000];
	int seen[1000] = {0};
	rng_permutation(9, RNG_SHUFFLE, 0, perm, 1000);
	int moved = 0;
	for (int i = 0; i < 1000; i++) {
		seen[perm[i]]++;
		moved += perm[i] != i;
	}
	for (int i = 0; i < 1000; i++)
		cr_expect_eq(seen[i], 1);
	cr_expect_gt(moved, 900);
}

Test(data, reads_the_bundled_iris_and_digits)
{
	struct dataset iris, digits;
	struct data_error err;
	cr_assert_eq(data_load_csv("examples/data/iris.csv", "species", 0, true, &iris, &err), 0,
	             "%s", err.message);
	cr_expect(iris.n == 150 && iris.d == 4 && iris.classes == 3);
	cr_expect_str_eq(iris.names[0], "setosa");
	cr_assert_eq(data_load_csv("examples/data/digits_train.csv", "digit", 0, true, &digits, &err),
	             0, "%s", err.message);
	cr_expect(digits.n == 1438 && digits.d == 64 && digits.classes == 10 && !digits.names);
	data_free(&iris);
	data_free(&digits);
}
