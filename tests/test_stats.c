/* test_stats.c — Student's t and Welch's test against closed forms and table values. */
#include <criterion/criterion.h>
#include <math.h>

#include "stats.h"

Test(stats, t_distribution_matches_closed_forms_and_tables)
{
	/* df 1 is Cauchy: P(|T| >= t) = 1 − (2/π)·atan t; df 2: 1 − t/√(2 + t²) */
	for (double t = 0.1; t < 20; t *= 1.7) {
		cr_expect_float_eq(stats_t_two_sided(t, 1), 1 - 2 / M_PI * atan(t), 1e-12, "t %g", t);
		cr_expect_float_eq(stats_t_two_sided(t, 2), 1 - t / sqrt(2 + t * t), 1e-12, "t %g", t);
	}
	/* critical values of Student's t (two-sided 5 % and 1 %) */
	cr_expect_float_eq(stats_t_two_sided(2.228138851986, 10), 0.05, 1e-9);
	cr_expect_float_eq(stats_t_two_sided(2.570581835636, 5), 0.05, 1e-9);
	cr_expect_float_eq(stats_t_two_sided(2.845339709786, 20), 0.01, 1e-9);
	cr_expect_float_eq(stats_t_two_sided(0, 7), 1, 1e-15);
	/* large df tends to the normal: P(|Z| >= 1.959963985) = 0.05 */
	cr_expect_float_eq(stats_t_two_sided(1.959963984540, 1e7), 0.05, 1e-6);
}

Test(stats, welch_uses_the_satterthwaite_degrees_of_freedom)
{
	/* means 5 and 3, standard deviations 1 and 2, sizes 5 and 8: by hand,
	 * v1 = 0.2, v2 = 0.5, t = 2/√0.7, df = 0.49 / (0.04/4 + 0.25/7) */
	struct welch w = stats_welch(5, 1, 5, 3, 2, 8);
	cr_expect_float_eq(w.t, 2 / sqrt(0.7), 1e-12);
	cr_expect_float_eq(w.df, 0.49 / (0.01 + 0.25 / 7), 1e-12);
	cr_expect_float_eq(w.p, stats_t_two_sided(2 / sqrt(0.7), w.df), 1e-15);
	cr_expect(w.p > 0.03 && w.p < 0.07, "p %g", w.p);
	struct welch same = stats_welch(0.9, 0.01, 5, 0.9, 0.02, 5);
	cr_expect_float_eq(same.p, 1, 1e-12);
	struct welch exact = stats_welch(0.9, 0, 5, 0.8, 0, 5);
	cr_expect_eq(exact.p, 0);
	double x[5] = {1, 2, 3, 4, 5}, mean, std;
	stats_mean_std(x, 5, &mean, &std);
	cr_expect_float_eq(mean, 3, 1e-15);
	cr_expect_float_eq(std, sqrt(2.5), 1e-15);
}
