/* optim_impl.h — the update rules, written once for a type REAL (double or float).
 * Included only by optim.c, once per type, with REAL, SUFFIX and SQRT (sqrt or sqrtf)
 * defined; not a header to include elsewhere. Each loop follows PyTorch 1.13's operation order, so that in double
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
	if (mu == 0) {
		for (size_t i = 0; i < n; i++)
			theta[i] += -lr * g[i];
		return;
	}
	if (s->t == 1)
		for (size_t i = 0; i < n; i++)
			b[i] = g[i];
	else
		for (size_t i = 0; i < n; i++)
			b[i] = b[i] * mu + g[i] * undamped;
	if (c->nesterov)
		for (size_t i = 0; i < n; i++)
			theta[i] += -lr * (g[i] + b[i] * mu);
	else
		for (size_t i = 0; i < n; i++)
			theta[i] += -lr * b[i];
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
		theta[i] += -clr * (g[i] / (SQRT(sum[i]) + eps));
	}
}

/* RMSProp: v ← αv + (1−α)g²; a = √(v − ḡ²) + eps (centered, ḡ ← αḡ + (1−α)g) or √v + eps;
 * μ > 0: b ← μb + g/a, θ ← θ − ηb; else θ ← θ − η g/a. The options are decided outside
 * the loops, so that each loop vectorizes. */
static void FN(rmsprop)(const struct optim_config *c, const struct optim_step *s,
                        REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const REAL lr = (REAL)s->lr, mu = (REAL)s->momentum, eps = (REAL)c->eps;
	const REAL alpha = (REAL)c->alpha, rest = (REAL)(1 - c->alpha);
	REAL *restrict v = st->sq, *restrict gbar = st->avg, *restrict b = st->buf;
	for (size_t i = 0; i < n; i++)
		v[i] = v[i] * alpha + rest * g[i] * g[i];
	if (c->centered)
		for (size_t i = 0; i < n; i++)
			gbar[i] = gbar[i] * alpha + rest * g[i];
	for (size_t i = 0; i < n; i++) {
		REAL a = (c->centered ? SQRT(v[i] + -1 * gbar[i] * gbar[i]) : SQRT(v[i])) + eps;
		if (mu > 0) {
			b[i] = b[i] * mu + g[i] / a;
			theta[i] += -lr * b[i];
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
	REAL *restrict m = st->avg, *restrict v = st->sq, *restrict top = st->max;
	for (size_t i = 0; i < n; i++) {
		m[i] = m[i] * b1 + rest1 * g[i];
		v[i] = v[i] * b2 + rest2 * g[i] * g[i];
	}
	if (c->amsgrad) {
		for (size_t i = 0; i < n; i++)
			top[i] = top[i] > v[i] ? top[i] : v[i];
		v = top;
	}
	for (size_t i = 0; i < n; i++)
		theta[i] += -step_size * (m[i] / (SQRT(v[i]) / correction2 + eps));
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
