/* test_speed.c — issue #13's changes that must not change a result: the training set
 * taken without a copy (data_split_take), the per-op thread rule (k_gemm_threads,
 * net_update_threads), the default thread count adapted to the machine's load
 * (threads_pace), the fused GEMM epilogue and the batch gather's fast path, each checked
 * against the straightforward way bit for bit. No test here times anything. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "helpers.h"

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
