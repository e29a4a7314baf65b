/* optim_impl.h — the update rules, written once for a type REAL (double or float).
 * Included only by optim.c, once per type, with REAL, SUFFIX and SQRT (sqrt or sqrtf)
 * defined; not a header to include elsewhere. Each loop follows the operation order of
 * its reference (PyTorch 1.13, PyTorch ≥ 2.0 for nadam, optax for lion), so that in double
 * our trajectories and theirs agree to rounding. Every update has the signature of
 * optim_update_f64_fn and is a row of optim_table (optim.c). */

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
                    REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const REAL lr = (REAL)s->lr, mu = (REAL)s->momentum, undamped = (REAL)(1 - c->dampening);
	REAL *restrict b = st->buf;
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
static void FN(momentum)(const struct optim_config *c, const struct optim_step *s,
                         REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	(void)c;
	const REAL lr = (REAL)s->lr, gamma = (REAL)s->momentum, rest = (REAL)(1 - s->momentum);
	REAL *restrict v = st->buf;
	for (size_t i = 0; i < n; i++) {
		v[i] = gamma * v[i] + rest * g[i];
		theta[i] -= lr * v[i];
	}
}

/* AdaGrad: G ← G + g²; θ ← θ − η/(1+(t−1)·lr_decay) · g/(√G + eps). */
static void FN(adagrad)(const struct optim_config *c, const struct optim_step *s,
                        REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const REAL clr = (REAL)(s->lr / (1 + (double)(s->t - 1) * c->lr_decay));
	const REAL eps = (REAL)c->eps;
	REAL *restrict sum = st->sq;
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

/* Adam's (and NAdam's, RAdam's) moments: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g². */
static void FN(moments)(double beta1, double beta2, const REAL *restrict g, REAL *restrict m,
                        REAL *restrict v, size_t n)
{
	const REAL b1 = (REAL)beta1, rest1 = (REAL)(1 - beta1);
	const REAL b2 = (REAL)beta2, rest2 = (REAL)(1 - beta2);
	for (size_t i = 0; i < n; i++) {
		m[i] = m[i] * b1 + rest1 * g[i];
		v[i] = v[i] * b2 + rest2 * g[i] * g[i];
	}
}

/* Adam(W) in one pass over θ, g, m, v: per element the decoupled decay θ·(1−η·wd) (1: no
 * decay, exact), m, v as FN(moments), then θ ← θ − η/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + eps), with v
 * replaced by its running max under amsgrad (Reddi et al. 2018); without bias correction
 * both divisors are 1. The operations of each element are those of the decay pass, the
 * moments and the step run one after the other, in their order, so that one pass gives
 * their bits. In float without amsgrad the pass is the kernel of kernels/adam.h
 * (ADAM_KERNEL, defined by optim.c). */
static void FN(adam)(const struct optim_config *c, const struct optim_step *s,
                     REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const double beta1 = s->momentum, beta2 = c->beta2, t = (double)s->t;
	/* no decay: keep exactly 1 (even were η not finite, as the pass it replaces was skipped) */
	const REAL keep = c->wd != 0 ? (REAL)(1.0 - s->lr * c->wd) : 1, eps = (REAL)c->eps;
	const REAL step_size = (REAL)(c->uncorrected ? s->lr : s->lr / (1 - pow(beta1, t)));
	const REAL correction2 = (REAL)(c->uncorrected ? 1 : sqrt(1 - pow(beta2, t)));
	const REAL b1 = (REAL)beta1, rest1 = (REAL)(1 - beta1);
	const REAL b2 = (REAL)beta2, rest2 = (REAL)(1 - beta2);
	REAL *restrict m = st->avg, *restrict v = st->sq, *restrict top = st->max;
#ifdef ADAM_KERNEL
	if (!c->amsgrad) {
		const struct k_adam p = {keep, b1, rest1, b2, rest2, -step_size, correction2, eps};
		k_adam_f32()(&p, theta, g, m, v, n);
		return;
	}
#endif
	for (size_t i = 0; i < n; i++) {
		REAL kept = theta[i] * keep;
		m[i] = m[i] * b1 + rest1 * g[i];
		v[i] = v[i] * b2 + rest2 * g[i] * g[i];
		REAL vi = v[i];
		if (c->amsgrad)
			vi = top[i] = top[i] > vi ? top[i] : vi;
		theta[i] = kept + -step_size * (m[i] / (SQRT(vi) / correction2 + eps));
	}
}

/* NAdam (Dozat 2016; PyTorch ≥ 2.0): m, v as FN(moments); with Π = Π_t (the scalar, which
 * optim_advance made Π_{t−1}·μ_t), d = √(v/(1−β₂ᵗ)) + eps;
 * θ ← θ − η(1−μ_t)/(1−Π)·g/d − η μ_{t+1}/(1−Π μ_{t+1})·m/d (μ_t: nadam_mu in optim.c). */
static void FN(nadam)(const struct optim_config *c, const struct optim_step *s,
                      REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const double beta1 = s->momentum, t = (double)s->t, product = (double)*st->scalar;
	const double mu = nadam_mu(c, beta1, t), mu_next = nadam_mu(c, beta1, t + 1);
	const REAL correction2 = (REAL)(1 - pow(c->beta2, t)), eps = (REAL)c->eps;
	const REAL grad_rate = (REAL)(-s->lr * (1 - mu) / (1 - product));
	const REAL avg_rate = (REAL)(-s->lr * mu_next / (1 - product * mu_next));
	REAL *restrict m = st->avg, *restrict v = st->sq;
	FN(moments)(beta1, c->beta2, g, m, v, n);
	for (size_t i = 0; i < n; i++) {
		REAL d = SQRT(v[i] / correction2) + eps;
		theta[i] += grad_rate * (g[i] / d);
		theta[i] += avg_rate * (m[i] / d);
	}
}

/* RAdam (Liu et al. 2020; PyTorch 1.13): m, v as FN(moments); m̂ = m/(1−β₁ᵗ);
 * ρ∞ = 2/(1−β₂) − 1, ρ_t = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ); ρ_t > 5: θ ← θ − m̂·η·√(1−β₂ᵗ)/(√v + eps)·r
 * with r = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t)); else θ ← θ − m̂·η. As PyTorch, the scalar
 * over a tensor is its reciprocal times the scalar. */
static void FN(radam)(const struct optim_config *c, const struct optim_step *s,
                      REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const double beta1 = s->momentum, beta2 = c->beta2, t = (double)s->t;
	const double correction2 = 1 - pow(beta2, t);
	const double rho_inf = 2 / (1 - beta2) - 1, rho = rho_inf - 2 * t * pow(beta2, t) / correction2;
	const REAL correction1 = (REAL)(1 - pow(beta1, t)), lr = (REAL)s->lr, eps = (REAL)c->eps;
	REAL *restrict m = st->avg, *restrict v = st->sq;
	FN(moments)(beta1, beta2, g, m, v, n);
	if (!(rho > 5)) {
		for (size_t i = 0; i < n; i++)
			theta[i] += -(m[i] / correction1 * lr);
		return;
	}
	const REAL rect = (REAL)sqrt((rho - 4) * (rho - 2) * rho_inf
	                            / ((rho_inf - 4) * (rho_inf - 2) * rho));
	const REAL root2 = (REAL)sqrt(correction2);
	for (size_t i = 0; i < n; i++)
		theta[i] += -(m[i] / correction1 * lr * (1 / (SQRT(v[i]) + eps) * root2) * rect);
}

/* Lion (Chen et al. 2023; optax's lion): u = sign(β₁m + (1−β₁)g) (sign 0 = 0);
 * m ← β₂m + (1−β₂)g; θ ← θ − ηu. */
static void FN(lion)(const struct optim_config *c, const struct optim_step *s,
                     REAL *restrict theta, const REAL *restrict g, STATE *st, size_t n)
{
	const REAL lr = (REAL)s->lr;
	const REAL b1 = (REAL)s->momentum, rest1 = (REAL)(1 - s->momentum);
	const REAL b2 = (REAL)c->beta2, rest2 = (REAL)(1 - c->beta2);
	REAL *restrict m = st->avg;
	for (size_t i = 0; i < n; i++) {
		REAL mixed = rest1 * g[i] + b1 * m[i];
		REAL u = (REAL)((mixed > 0) - (mixed < 0));
		m[i] = m[i] * b2 + rest2 * g[i];
		theta[i] += -lr * u;
	}
}

REAL *FN(optim_slot)(const STATE *st, enum optim_slot k)
{
	REAL *const slots[OPT_SLOTS] = {st->buf, st->sq, st->avg, st->max, st->scalar};
	return slots[k];
}

void FN(optim_init)(const struct optim_config *c, STATE *st, size_t n)
{
	const struct optim_def *d = &optim_table[c->kind];
	for (int k = 0; k < OPT_SLOTS; k++) {
		REAL *a = FN(optim_slot)(st, (enum optim_slot)k);
		REAL first = d->start ? (REAL)d->start(c, (enum optim_slot)k) : 0;
		for (size_t i = 0; a && i < n; i++)
			a[i] = first;
	}
}

void FN(optim_advance)(const struct optim_config *c, const struct optim_step *s, STATE *st)
{
	const struct optim_def *d = &optim_table[c->kind];
	if (d->advance)
		*st->scalar = (REAL)d->advance(c, s, (double)*st->scalar);
}

void FN(optim_update_part)(const struct optim_config *c, const struct optim_step *s,
                           REAL *theta, const REAL *g, STATE *st, size_t n)
{
	if (c->wd != 0 && c->kind != OPT_ADAM) /* adam decays in its own pass */
		FN(decay)(theta, n, s->lr, c->wd);
	optim_table[c->kind].FN(update)(c, s, theta, g, st, n);
}

void FN(optim_update)(const struct optim_config *c, const struct optim_step *s, REAL *theta,
                      const REAL *g, STATE *st, size_t n)
{
	FN(optim_advance)(c, s, st);
	FN(optim_update_part)(c, s, theta, g, st, n);
}

#undef CAT_
#undef CAT
#undef FN
#undef STATE
