/* stats.c — means, deviations and Welch's t-test (see stats.h). Student's t distribution
 * through the regularized incomplete beta function, evaluated by Lentz's continued fraction
 * (Numerical Recipes, 3rd ed., section 6.4). */
#include "stats.h"

#include <math.h>

void stats_mean_std(const double *x, int n, double *mean, double *std)
{
	double sum = 0, sq = 0;
	for (int i = 0; i < n; i++)
		sum += x[i];
	*mean = n > 0 ? sum / n : NAN;
	for (int i = 0; i < n; i++)
		sq += (x[i] - *mean) * (x[i] - *mean);
	*std = n > 1 ? sqrt(sq / (n - 1)) : 0;
}

/* The continued fraction of I_x(a, b). */
static double beta_fraction(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1);
	d = fabs(d) < tiny ? tiny : d;
	d = 1 / d;
	double h = d;
	for (int m = 1; m <= 300; m++) {
		double aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + aa * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + aa * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		double step = d * c;
		h *= step;
		if (fabs(step - 1) < 1e-15)
			break;
	}
	return h;
}

/* The regularized incomplete beta function I_x(a, b). */
static double incomplete_beta(double a, double b, double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_fraction(a, b, x) / a;
	return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double stats_t_two_sided(double t, double df)
{
	if (!isfinite(t))
		return isnan(t) ? NAN : 0;
	return incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

struct welch stats_welch(double mean1, double std1, int n1, double mean2, double std2, int n2)
{
	double v1 = std1 * std1 / n1, v2 = std2 * std2 / n2, se = sqrt(v1 + v2);
	struct welch w;
	if (se == 0) { /* no noise at all: equal means are the same, others differ for sure */
		w.t = mean1 == mean2 ? 0 : copysign(INFINITY, mean1 - mean2);
		w.df = n1 + n2 - 2;
		w.p = mean1 == mean2 ? 1 : 0;
		return w;
	}
	w.t = (mean1 - mean2) / se;
	w.df = (v1 + v2) * (v1 + v2) / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1));
	w.p = stats_t_two_sided(w.t, w.df);
	return w;
}
