/* test_sweep.c — expanding sweeps: grid order and size, configurations over seeds, random
 * sampling (the same sample_seed gives the same trials), and shards that partition. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sweep.h"

static const char head[] = "data d { train = xor(64) }\nnetwork n { dense(2) }\n"
	"train t {\n network = n\n data = d\n optimizer = sgd(lr = 0.1)\n epochs = 1\n}\n";

/* Parses, folds and checks head + sweep, and expands its sweep. */
static struct ast *expand(const char *sweep, struct sweep_plan *plan, struct source **src)
{
	char text[1024];
	snprintf(text, sizeof text, "%s%s", head, sweep);
	int errors;
	struct ast *file = fold_text(text, src, &errors);
	cr_assert_eq(errors, 0);
	struct checked c = check_text(text);
	cr_assert_eq(c.errors, 0, "%s", c.messages);
	free(c.messages);
	struct diag d;
	diag_init(&d, NULL);
	cr_assert_eq(sweep_expand(file->kids[file->nkids - 1], plan, &d), 0);
	return file;
}

Test(sweep, expands_a_grid_with_the_first_axis_slowest)
{
	struct sweep_plan plan;
	struct source *src;
	struct ast *file = expand("sweep {\n optimizer.lr in [0.1, 0.2, 0.3]\n seed in 1..5\n}\n",
	                          &plan, &src);
	cr_assert_eq(plan.ntrials, 15);
	cr_expect_eq(plan.nconfigs, 3);
	cr_expect_str_eq(plan.trials[0].values[0].key, "optimizer.lr");
	cr_expect_eq(plan.trials[0].values[0].value->num, 0.1);
	cr_expect_eq(plan.trials[0].values[1].value->num, 1);
	cr_expect_eq(plan.trials[4].values[1].value->num, 5);
	cr_expect_eq(plan.trials[5].values[0].value->num, 0.2);
	cr_expect_eq(plan.trials[5].values[1].value->num, 1);
	for (int t = 0; t < 15; t++)
		cr_expect_eq(plan.trials[t].config, t / 5, "trial %d", t);
	sweep_free(&plan);
	ast_free(file);
	source_free(src);
}

/* The drawn learning rates of a sampled sweep with this sample_seed. */
static void sampled(int sample_seed, double lr[8], double batch[8])
{
	char sweep[256];
	snprintf(sweep, sizeof sweep, "sweep {\n trials = 4\n sample_seed = %d\n"
	         " optimizer.lr in loguniform(1e-4, 1e-1)\n batch in choice([32, 64])\n"
	         " seed in 1..2\n}\n", sample_seed);
	struct sweep_plan plan;
	struct source *src;
	struct ast *file = expand(sweep, &plan, &src);
	cr_assert_eq(plan.ntrials, 8);
	cr_expect_eq(plan.nconfigs, 4);
	for (int t = 0; t < 8; t++) {
		lr[t] = plan.trials[t].values[0].value->num;
		batch[t] = plan.trials[t].values[1].value->num;
		cr_expect(lr[t] >= 1e-4 && lr[t] <= 1e-1, "lr %g", lr[t]);
		cr_expect(batch[t] == 32 || batch[t] == 64, "batch %g", batch[t]);
		cr_expect_eq(plan.trials[t].config, t / 2);
	}
	cr_expect_eq(lr[0], lr[1], "the two seeds of a configuration share its draw");
	sweep_free(&plan);
	ast_free(file);
	source_free(src);
}

Test(sweep, samples_the_same_trials_from_the_same_sample_seed)
{
	double a[8], b[8], c[8], ba[8], bb[8], bc[8];
	sampled(3, a, ba);
	sampled(3, b, bb);
	sampled(4, c, bc);
	cr_expect_eq(memcmp(a, b, sizeof a), 0);
	cr_expect_eq(memcmp(ba, bb, sizeof ba), 0);
	cr_expect_neq(memcmp(a, c, sizeof a), 0);
}

Test(sweep, shards_partition_the_trials)
{
	int seen[100] = {0};
	for (int shard = 0; shard < 3; shard++)
		for (int t = 0; t < 100; t++)
			seen[t] += sweep_in_shard(t, shard, 3);
	for (int t = 0; t < 100; t++)
		cr_expect_eq(seen[t], 1, "trial %d in %d shards", t, seen[t]);
	cr_expect(sweep_in_shard(41, 0, 1));
}
