/* optim_impl.h — the update rules, written once for a type REAL (double or float).
 * Included only by optim.c, once per type, with REAL and SUFFIX defined; not a header to
 * include elsewhere. Each loop follows PyTorch 1.13's operation order, so that in double
 * our trajectories and torch.optim's agree to rounding. */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUFFIX)
#define STATE struct CAT(optim_state, SUFFIX)

/* Decoupled weight decay (Loshchilov & Hutter 2019): θ ← θ − η·wd·θ, as AdamW's
 * param.mul_(1 - lr * wd). */
static void FN(decay)(REAL *restrict theta, size_t n, double lr, double wd)
{
	const REAL keep = (REAL)(1.0 - lr * wd);
	for (size_t i = 0; i < n; i++)
		theta[i] *= keep;
}

/* PyTorch SGD: b₁ = g; b ← μb + (1−dampening)g; d = g + μb (nesterov) or b; θ ← θ − ηd. */
static void FN(sgd)(const struct optim_config *c, const struct optim_step *s,
                    REAL *restrict theta, const REAL *restrict g, REAL *restrict b, size_t n)
{
	const REAL lr = (REAL)s->lr, mu = (REAL)s->momentum, undamped = (REAL)(1 - c->dampening);
	for (size_t i = 0; i < n; i++) {
		REAL d = g[i];
		if (mu != 0) {
			b[i] = s->t == 1 ? g[i] : b[i] * mu + g[i] * undamped;
			d = c->nesterov ? g[i] + b[i] * mu : b[i];
		}
		theta[i] += -lr * d;
	}
}

/* The course's eq. (1): v₀ = 0; v ← γv + (1−γ)g; θ ← θ − ηv. */
static void FN(momentum)(const struct optim_step *s, REAL *restrict theta,
                         const REAL *restrict g, REAL *restrict v, size_t n)
{
	const REAL lr = (REAL)s->lr, gamma = (REAL)s->momentum, rest = (REAL)(1 - s->momentum);
	for (size_t i = 0; i < n; i++) {
		v[i] = gamma * v[i] + rest * g[i];
		theta[i] -= lr * v[i];
	}
}

/* AdaGrad: G ← G + g²; θ ← θ − η/(1+(t−1)·lr_decay) · g/(√G + eps). */
static void FN(adagrad)(const struct optim_config *c, const struct optim_step *s,
                        REAL *restrict theta, const REAL *restrict g, REAL *restrict sum,
                        size_t n)
{
	const REAL clr = (REAL)(s->lr / (1 + (double)(s->t - 1) * c->lr_decay));
	const REAL eps = (REAL)c->eps;
	for (size_t i = 0; i < n; i++) {
		sum[i] += g[i] * g[i];
		theta[i] += -clr * (g[i] / (sqrt(sum[i]) + eps));
	}
}

/* RMSProp: v ← αv + (1−α)g²; a = √(v − ḡ²) + eps (centered, ḡ ← αḡ + (1−α)g) or √v + eps;
 * μ > 0: b ← μb + g/a, θ ← θ − ηb; else θ ← θ − η g/a. */
static void FN(rmsprop)(const struct optim_config *c, const struct optim_step *s,
                        REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const REAL lr = (REAL)s->lr, mu = (REAL)s->momentum, eps = (REAL)c->eps;
	const REAL alpha = (REAL)c->alpha, rest = (REAL)(1 - c->alpha);
	for (size_t i = 0; i < n; i++) {
		st->sq[i] = st->sq[i] * alpha + rest * g[i] * g[i];
		REAL a;
		if (c->centered) {
			st->avg[i] = st->avg[i] * alpha + rest * g[i];
			a = (REAL)sqrt(st->sq[i] + -1 * st->avg[i] * st->avg[i]) + eps;
		} else {
			a = (REAL)sqrt(st->sq[i]) + eps;
		}
		if (mu > 0) {
			st->buf[i] = st->buf[i] * mu + g[i] / a;
			theta[i] += -lr * st->buf[i];
		} else {
			theta[i] += -lr * (g[i] / a);
		}
	}
}

/* Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − η/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + eps),
 * with v replaced by its running max under amsgrad (Reddi et al. 2018). */
static void FN(adam)(const struct optim_config *c, const struct optim_step *s,
                     REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const double beta1 = s->momentum, beta2 = c->beta2;
	const REAL b1 = (REAL)beta1, rest1 = (REAL)(1 - beta1);
	const REAL b2 = (REAL)beta2, rest2 = (REAL)(1 - beta2), eps = (REAL)c->eps;
	const REAL step_size = (REAL)(s->lr / (1 - pow(beta1, (double)s->t)));
	const REAL correction2 = (REAL)sqrt(1 - pow(beta2, (double)s->t));
	for (size_t i = 0; i < n; i++) {
		st->avg[i] = st->avg[i] * b1 + rest1 * g[i];
		st->sq[i] = st->sq[i] * b2 + rest2 * g[i] * g[i];
		REAL v = st->sq[i];
		if (c->amsgrad)
			v = st->max[i] = st->max[i] > v ? st->max[i] : v;
		REAL denom = (REAL)sqrt(v) / correction2 + eps;
		theta[i] += -step_size * (st->avg[i] / denom);
	}
}

void FN(optim_init)(const struct optim_config *c, STATE *st, size_t n)
{
	REAL *zero[] = {st->buf, st->avg, st->max};
	for (int a = 0; a < 3; a++)
		for (size_t i = 0; zero[a] && i < n; i++)
			zero[a][i] = 0;
	for (size_t i = 0; st->sq && i < n; i++)
		st->sq[i] = c->kind == OPT_ADAGRAD ? (REAL)c->initial : 0;
}

void FN(optim_update)(const struct optim_config *c, const struct optim_step *s, REAL *theta,
                      const REAL *g, STATE *st, size_t n)
{
	if (c->wd != 0)
		FN(decay)(theta, n, s->lr, c->wd);
	switch (c->kind) {
	case OPT_SGD: FN(sgd)(c, s, theta, g, st->buf, n); break;
	case OPT_MOMENTUM: FN(momentum)(s, theta, g, st->buf, n); break;
	case OPT_ADAGRAD: FN(adagrad)(c, s, theta, g, st->sq, n); break;
	case OPT_RMSPROP: FN(rmsprop)(c, s, theta, g, st, n); break;
	case OPT_ADAM: FN(adam)(c, s, theta, g, st, n); break;
	}
}

#undef CAT_
#undef CAT
#undef FN
#undef STATE
