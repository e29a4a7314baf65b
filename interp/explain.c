/* explain.c — `descent explain` (see explain.h): the course's rules with the file's numbers.
 *
 * Every number printed comes from the lowered configuration (optim.h, schedule.h, net.h):
 * the factors of Adam's bias correction and the moments of a schedule are computed by the
 * runtime's own functions (sched_value), not written by hand. One function per optimizer
 * kind and per schedule kind, in tables indexed by their enums, so a new kind without an
 * explanation shows (EXPLAIN_MISSING) and tests/test_explain.c fails.
 * Not for: checking or running; lines stay under 80 columns.
 */
#include "explain.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lower.h"
#include "schema.h"

/* ---- small helpers ---- */

/* The source text of loc, whitespace runs (newlines too) made one space, into buf. */
static const char *loc_text(struct loc loc, char *buf, size_t size)
{
	const char *p = loc.src ? loc.src->text : NULL;
	size_t n = 0;
	if (!p || size == 0)
		return size ? (buf[0] = '\0', buf) : buf;
	for (int line = 1; line < loc.first_line && *p; p++)
		line += *p == '\n';
	const char *start = p + loc.first_column - 1, *end = p;
	for (int line = loc.first_line; line < loc.last_line && *end; end++)
		line += *end == '\n';
	end += loc.last_column - 1;
	for (const char *c = start; c < end && *c && n + 1 < size; c++) {
		bool space = *c == ' ' || *c == '\t' || *c == '\n' || *c == '\r';
		if (space && (n == 0 || buf[n - 1] == ' '))
			continue;
		buf[n++] = space ? ' ' : *c;
	}
	buf[n] = '\0';
	return buf;
}

/* The columns text takes on a terminal: its UTF-8 characters. */
static int columns(const char *text)
{
	int n = 0;
	for (const char *c = text; *c; c++)
		n += ((unsigned char)*c & 0xC0) != 0x80;
	return n;
}

/* One line of a rule: "    FORMULA" padded to a column, then "(COMMENT)" if any. */
static void rule(FILE *out, const char *comment, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rule(FILE *out, const char *comment, const char *fmt, ...)
{
	char text[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (comment && *comment)
		fprintf(out, "    %s%*s(%s)\n", text, columns(text) < 34 ? 34 - columns(text) : 1, "",
		        comment);
	else
		fprintf(out, "    %s\n", text);
}

/* A value as the text prints it: "%g", or a multiple of η ("0.5·η", "η", "0"). */
static const char *rate_text(double v, const struct explain_run *run, char *buf, size_t size)
{
	if (!run->relative)
		snprintf(buf, size, "%g", v);
	else if (v == 0)
		snprintf(buf, size, "0");
	else if (v == 1)
		snprintf(buf, size, "η");
	else
		snprintf(buf, size, "%g·η", v);
	return buf;
}

/* ---- optimizers: one rule per kind ---- */

static void sgd_rule(FILE *out, const struct optim_config *c)
{
	double mu = c->momentum, lr = c->lr;
	if (mu == 0) {
		fprintf(out, "  plain gradient descent (PyTorch SGD), each step:\n"
		        "    θ ← θ − %g·g\n", lr);
		return;
	}
	fprintf(out, "  SGD with PyTorch's heavy-ball momentum, each step t = 1, 2, ...:\n"
	        "    b ← g at step 1, then b ← %g·b + %g·g\n", mu, 1 - c->dampening);
	if (c->nesterov)
		rule(out, "nesterov: a look ahead", "θ ← θ − %g·(g + %g·b)", lr, mu);
	else
		fprintf(out, "    θ ← θ − %g·b\n", lr);
	fprintf(out, "  b sums the past gradients: a constant g makes b tend to\n"
	        "  g·%g/(1 − %g) = %g·g, so steps grow up to %g times η·g.\n", 1 - c->dampening,
	        mu, (1 - c->dampening) / (1 - mu), (1 - c->dampening) / (1 - mu));
}

static void momentum_rule(FILE *out, const struct optim_config *c)
{
	double g = c->momentum;
	fprintf(out, "  the course's momentum, eq. (1) in EMA form, each step:\n");
	rule(out, "v₀ = 0", "v ← %g·v + %g·g", g, 1 - g);
	rule(out, NULL, "θ ← θ − %g·v", c->lr);
	fprintf(out, "  v is a moving average of the gradients over about 1/(1 − %g) = %g\n"
	        "  steps: a constant g makes v tend to g (steps tend to η·g, as plain\n"
	        "  SGD's), while gradients that flip sign average out (no zig-zag).\n"
	        "  v₁ = %g·g: the first steps are small, a bias Adam corrects.\n", g, 1 / (1 - g),
	        1 - g);
}

static void adagrad_rule(FILE *out, const struct optim_config *c)
{
	fprintf(out, "  AdaGrad (Duchi et al. 2011), each step t = 1, 2, ...:\n");
	rule(out, c->initial == 0 ? "G₀ = 0" : "G₀ = initial", "G ← G + g²");
	if (c->lr_decay != 0)
		fprintf(out, "    θ ← θ − %g/(1 + (t − 1)·%g)·g/(√G + %g)\n", c->lr, c->lr_decay, c->eps);
	else
		fprintf(out, "    θ ← θ − %g·g/(√G + %g)\n", c->lr, c->eps);
	fprintf(out, "  each coordinate has its own rate η/√G. G only grows, so the steps\n"
	        "  shrink for ever; %s\n", c->initial == 0
	        ? "the first step moves each coordinate by about\n  η (g/√(g²) = ±1): "
	          "a diagonal, not the gradient's direction."
	        : "a larger G₀ makes the first steps smaller.");
}

static void rmsprop_rule(FILE *out, const struct optim_config *c)
{
	double a = c->alpha;
	fprintf(out, "  RMSProp (Hinton 2012; PyTorch RMSprop), each step:\n");
	rule(out, "v₀ = 0", "v ← %g·v + %g·g²", a, 1 - a);
	if (c->centered)
		fprintf(out, "    ḡ ← %g·ḡ + %g·g ; a = √(v − ḡ²) + %g   (centered)\n", a, 1 - a,
		        c->eps);
	else
		fprintf(out, "    a = √v + %g\n", c->eps);
	if (c->momentum > 0)
		fprintf(out, "    b ← %g·b + g/a ; θ ← θ − %g·b\n", c->momentum, c->lr);
	else
		fprintf(out, "    θ ← θ − %g·g/a\n", c->lr);
	fprintf(out, "  v is a moving average of g² over about 1/(1 − %g) = %g steps: unlike\n"
	        "  AdaGrad's G it forgets, so a steep start stops slowing the steps.\n"
	        "  no bias correction: v₁ = %g·g², so the first step is η/√(1 − %g) =\n"
	        "  %g·η per coordinate.\n", a, 1 / (1 - a), 1 - a, a, 1 / sqrt(1 - a));
}

/* Adam's table of 1 − β₁ᵗ and 1 − β₂ᵗ at steps 1, 10, 100, 1000. */
static void correction_table(FILE *out, double b1, double b2)
{
	static const int steps[] = {1, 10, 100, 1000};
	char h1[32], h2[32];
	snprintf(h1, sizeof h1, "1 − %gᵗ", b1);
	snprintf(h2, sizeof h2, "1 − %gᵗ", b2);
	fprintf(out, "    %8s  %*s%s  %*s%s\n", "step t", 12 - columns(h1), "", h1,
	        12 - columns(h2), "", h2);
	for (int i = 0; i < 4; i++)
		fprintf(out, "    %8d  %12.4g  %12.4g\n", steps[i], 1 - pow(b1, steps[i]),
		        1 - pow(b2, steps[i]));
}

static void adam_rule(FILE *out, const struct optim_config *c)
{
	double b1 = c->momentum, b2 = c->beta2;
	fprintf(out, "  Adam (Kingma & Ba 2015; PyTorch Adam), each step t = 1, 2, ...:\n");
	rule(out, "m₀ = 0: an average of g", "m ← %g·m + %g·g", b1, 1 - b1);
	rule(out, "v₀ = 0: an average of g²", "v ← %g·v + %g·g²", b2, 1 - b2);
	if (c->amsgrad)
		rule(out, "amsgrad: v̂ from vmax", "vmax ← max(vmax, v)");
	if (c->uncorrected) {
		rule(out, "bias_correction = false", "θ ← θ − %g·m/(√v + %g)", c->lr, c->eps);
		fprintf(out, "  without bias correction m and v stay shrunk towards their start\n"
		        "  at 0 for the first steps: at step 1, m/√v = %g/√%g = %.4g·sign(g),\n"
		        "  a first step %.4g times η. The factors it leaves out:\n", 1 - b1, 1 - b2,
		        (1 - b1) / sqrt(1 - b2), (1 - b1) / sqrt(1 - b2));
		correction_table(out, b1, b2);
		return;
	}
	fprintf(out, "    m̂ = m/(1 − %gᵗ) ; v̂ = %s/(1 − %gᵗ)\n"
	        "    θ ← θ − %g·m̂/(√v̂ + %g)\n", b1, c->amsgrad ? "vmax" : "v", b2, c->lr, c->eps);
	fprintf(out, "  bias correction: m and v start at 0, so their first values are too\n"
	        "  small; dividing by 1 − βᵗ undoes it (m₁ = %g·g, m̂₁ = g):\n", 1 - b1);
	correction_table(out, b1, b2);
	fprintf(out, "  |m̂|/√v̂ ≲ 1, so |Δθ| ≲ η = %g per coordinate and step, whatever\n"
	        "  the scale of the gradient.\n", c->lr);
}

static double nadam_mu_at(const struct optim_config *c, double t)
{
	return c->momentum * (1 - 0.5 * pow(0.96, t * c->momentum_decay));
}

static void nadam_rule(FILE *out, const struct optim_config *c)
{
	double b1 = c->momentum, b2 = c->beta2;
	fprintf(out, "  NAdam (Dozat 2016; PyTorch ≥ 2.0), each step t = 1, 2, ...:\n"
	        "    μ_t = %g·(1 − ½·0.96^(%g·t)) ; Π ← Π·μ_t   (Π₀ = 1)\n"
	        "    m ← %g·m + %g·g ; v ← %g·v + %g·g²\n"
	        "    d = √(v/(1 − %gᵗ)) + %g\n"
	        "    θ ← θ − %g·(1 − μ_t)/(1 − Π)·g/d\n"
	        "          − %g·μ_{t+1}/(1 − Π·μ_{t+1})·m/d\n",
	        b1, c->momentum_decay, b1, 1 - b1, b2, 1 - b2, b2, c->eps, c->lr, c->lr);
	fprintf(out, "  Adam with Nesterov's look ahead: the gradient enters at once, m\n"
	        "  one step early. μ_t at steps 1, 10, 100, 1000:\n"
	        "  %.4g, %.4g, %.4g, %.4g.\n"
	        "  |Δθ| ≲ η = %g per coordinate, as Adam's.\n", nadam_mu_at(c, 1),
	        nadam_mu_at(c, 10), nadam_mu_at(c, 100), nadam_mu_at(c, 1000), c->lr);
}

/* RAdam's ρ_t = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ). */
static double radam_rho(double b2, double t)
{
	return 2 / (1 - b2) - 1 - 2 * t * pow(b2, t) / (1 - pow(b2, t));
}

static void radam_rule(FILE *out, const struct optim_config *c)
{
	double b1 = c->momentum, b2 = c->beta2, rho_inf = 2 / (1 - b2) - 1;
	int first = 1;
	while (first < 100000 && !(radam_rho(b2, first) > 5))
		first++;
	fprintf(out, "  RAdam (Liu et al. 2020; PyTorch RAdam), each step t = 1, 2, ...:\n"
	        "    m ← %g·m + %g·g ; v ← %g·v + %g·g² ; m̂ = m/(1 − %gᵗ)\n"
	        "    ρ∞ = 2/(1 − %g) − 1 = %g ; ρ_t = ρ∞ − 2t·%gᵗ/(1 − %gᵗ)\n"
	        "    ρ_t ≤ 5: θ ← θ − %g·m̂             (no adaptive scale yet)\n"
	        "    ρ_t > 5: θ ← θ − %g·r_t·m̂·√(1 − %gᵗ)/(√v + %g)\n",
	        b1, 1 - b1, b2, 1 - b2, b1, b2, rho_inf, b2, b2, c->lr, c->lr, b2, c->eps);
	fprintf(out, "  r_t rectifies the variance of the early v; the adaptive step starts\n"
	        "  at step %d. r_t at steps %d, 100, 1000: %.4g, %.4g, %.4g.\n", first, first,
	        sqrt((radam_rho(b2, first) - 4) * (radam_rho(b2, first) - 2) * rho_inf
	             / ((rho_inf - 4) * (rho_inf - 2) * radam_rho(b2, first))),
	        sqrt((radam_rho(b2, 100) - 4) * (radam_rho(b2, 100) - 2) * rho_inf
	             / ((rho_inf - 4) * (rho_inf - 2) * radam_rho(b2, 100))),
	        sqrt((radam_rho(b2, 1000) - 4) * (radam_rho(b2, 1000) - 2) * rho_inf
	             / ((rho_inf - 4) * (rho_inf - 2) * radam_rho(b2, 1000))));
}

static void lion_rule(FILE *out, const struct optim_config *c)
{
	fprintf(out, "  Lion (Chen et al. 2023; optax's lion), each step:\n");
	rule(out, "sign 0 = 0", "u = sign(%g·m + %g·g)", c->momentum, 1 - c->momentum);
	rule(out, "m₀ = 0", "m ← %g·m + %g·g", c->beta2, 1 - c->beta2);
	rule(out, NULL, "θ ← θ − %g·u", c->lr);
	fprintf(out, "  only the sign is used: every coordinate moves by exactly η = %g\n"
	        "  (or 0), however large or small the gradient.\n", c->lr);
}

static void (*const optim_rules[OPT_KINDS])(FILE *, const struct optim_config *) = {
	[OPT_SGD] = sgd_rule, [OPT_MOMENTUM] = momentum_rule, [OPT_ADAGRAD] = adagrad_rule,
	[OPT_RMSPROP] = rmsprop_rule, [OPT_ADAM] = adam_rule, [OPT_NADAM] = nadam_rule,
	[OPT_RADAM] = radam_rule, [OPT_LION] = lion_rule,
};

void explain_optimizer(FILE *out, const struct optim_config *c, const char *label)
{
	fprintf(out, "optimizer %s\n", label);
	if (c->wd != 0)
		fprintf(out, "  first, decoupled weight decay (Loshchilov & Hutter 2019):\n"
		        "    θ ← θ − η_t·%g·θ ; at η = %g: θ ← %.10g·θ\n", c->wd,
		        c->lr, 1 - c->lr * c->wd);
	if (optim_rules[c->kind])
		optim_rules[c->kind](out, c);
	else
		fprintf(out, "  %s\n", EXPLAIN_MISSING);
}

/* ---- l2 against wd ---- */

void explain_l2_wd(FILE *out, const struct optim_config *c, double lambda, int decay_biases)
{
	char l[32] = "λ";
	if (lambda > 0)
		snprintf(l, sizeof l, "%g", lambda);
	fprintf(out, "  l2(%s): the loss gets + %s/2·‖θ‖², so g ← g + %s·θ;\n", l, l, l);
	double mu = c->momentum;
	switch (c->kind) {
	case OPT_SGD:
		if (mu == 0) {
			fprintf(out, "  here θ ← θ − η(g + %s·θ) = (1 − η·%s)·θ − η·g: exactly what\n"
			        "  wd = %s does.\n", l, l, l);
			break;
		}
		fprintf(out, "  under momentum %s·θ enters the buffer b and keeps acting on later\n"
		        "  steps (up to 1/(1 − %g) = %g times). wd = %s shrinks θ once a step,\n"
		        "  outside the buffer: where it settles it acts as an l2 of\n"
		        "  (1 − %g)·%s, %g times weaker.\n", l, mu, 1 / (1 - mu), l, mu, l, 1 / (1 - mu));
		break;
	case OPT_MOMENTUM:
		fprintf(out, "  under momentum %s·θ enters the velocity scaled by (1 − %g) = %g and\n"
		        "  keeps acting on later steps through %g·v. wd = %s shrinks θ by\n"
		        "  η·%s·θ at once, decoupled from v (the same fixed point, another path).\n",
		        l, mu, 1 - mu, mu, l, l);
		break;
	case OPT_LION:
		fprintf(out, "  under Lion %s·θ only tips the sign of the update, so its pull is at\n"
		        "  most η whatever %s. wd = %s: θ ← (1 − η·%s)·θ, a pull proportional\n"
		        "  to θ.\n", l, l, l, l);
		break;
	default: /* the adaptive ones: adagrad, rmsprop, adam, nadam, radam */
		fprintf(out, "  under %s %s·θ also enters %s and is divided by its\n"
		        "  square root (%s), so weights with large gradients are decayed less.\n"
		        "  wd = %s: θ ← (1 − η·%s)·θ, the same rate for every weight\n"
		        "  (decoupled%s).\n", optim_table[c->kind].name, l,
		        c->kind == OPT_ADAGRAD ? "the sum G of g²" : "the average of g²",
		        c->kind == OPT_ADAGRAD ? "√G" : c->kind == OPT_RMSPROP ? "√v" : "√v̂", l, l,
		        c->kind == OPT_ADAM ? "; adam with wd is adamw" : "");
		break;
	}
	if (lambda > 0 && decay_biases >= 0)
		fprintf(out, "  l2 and wd touch %s.\n", decay_biases
		        ? "every parameter (decay_biases = true)"
		        : "the weights only, not biases or batchnorm's γ, β");
}

/* ---- schedules: one formula per kind ---- */

/* Prints the formula of leaf schedule s (not then/for) with base eta. */
static void sched_formula(FILE *out, const struct sched *s, const struct explain_run *run)
{
	char e[32];
	rate_text(run->eta, run, e, sizeof e);
	switch (s->kind) {
	case SCHED_CONSTANT:
		fprintf(out, "constant: η_t = %s\n", e);
		break;
	case SCHED_STEP:
		fprintf(out, "step: η_t = %s·%g^⌊t/%g⌋\n", e, s->u.step.gamma, s->u.step.every);
		break;
	case SCHED_MULTISTEP:
		fprintf(out, "multistep: η_t = %s·%g^(milestones ≤ t); milestones at", e,
		        s->u.multistep.gamma);
		for (int i = 0; i < s->u.multistep.n; i++)
			fprintf(out, "%s %g", i ? "," : "", s->u.multistep.at[i]);
		fputc('\n', out);
		break;
	case SCHED_EXPONENTIAL:
		fprintf(out, "exponential: η_t = %s·%g^t\n", e, s->u.exponential.gamma);
		break;
	case SCHED_INV_TIME:
		fprintf(out, "inv_time: η_t = %s/(1 + %g·t)^%g\n", e, s->u.inv_time.k,
		        s->u.inv_time.power);
		break;
	case SCHED_POLY:
		fprintf(out, "poly: η_t = (%s − %g)·(1 − min(t, %g)/%g)^%g + %g\n", e, s->u.poly.end,
		        s->u.poly.total, s->u.poly.total, s->u.poly.power, s->u.poly.end);
		break;
	case SCHED_LINEAR:
		fprintf(out, "linear: η_t = %s·(%g + (%g − %g)·min(t, %g)/%g)\n", e,
		        s->u.linear.start_factor, s->u.linear.end_factor, s->u.linear.start_factor,
		        s->u.linear.total, s->u.linear.total);
		break;
	case SCHED_COSINE:
		fprintf(out, "cosine: η_t = %g + ½(%s − %g)(1 + cos(π·min(t, %g)/%g))\n",
		        s->u.cosine.eta_min, e, s->u.cosine.eta_min, s->u.cosine.total,
		        s->u.cosine.total);
		break;
	case SCHED_COSINE_RESTART:
		fprintf(out, "cosine_restart (SGDR): η_t = %g + ½(%s − %g)(1 + cos(π·T_cur/T_i)),\n"
		        "    cycle i lasting T_i = %g·%g^i steps, T_cur the steps into it\n",
		        s->u.restart.eta_min, e, s->u.restart.eta_min, s->u.restart.t0,
		        s->u.restart.t_mult);
		break;
	case SCHED_TRIANGULAR: {
		static const char *const modes[] = {"1", "1/2^(c − 1)", "γ^t"};
		fprintf(out, "triangular (Smith 2017): c = ⌊1 + t/%g⌋, x = |t/%g − 2c + 1|,\n"
		        "    η_t = %g + (%s − %g)·max(0, 1 − x)·%s\n", 2 * s->u.cyclic.step_size,
		        s->u.cyclic.step_size, s->u.cyclic.min_lr, e, s->u.cyclic.min_lr,
		        modes[s->u.cyclic.mode]);
		if (s->u.cyclic.mode == CYCLE_EXP_RANGE)
			fprintf(out, "    with γ = %g\n", s->u.cyclic.gamma);
		break;
	}
	case SCHED_ONE_CYCLE: {
		double total = s->u.one_cycle.total;
		char lo[32], hi[32];
		rate_text(run->eta / s->u.one_cycle.div, run, lo, sizeof lo);
		rate_text(run->eta / s->u.one_cycle.div / s->u.one_cycle.final_div, run, hi, sizeof hi);
		fprintf(out, "one_cycle (PyTorch OneCycleLR): half a cosine from %s/%g = %s\n"
		        "    up to %s in %g%% of %g steps, then down to %s, held after\n", e,
		        s->u.one_cycle.div, lo, e, 100 * s->u.one_cycle.pct_start, total, hi);
		break;
	}
	case SCHED_WARMUP:
		fprintf(out, "warmup: η_t = %s·(%g + %g·t/%g) for t < %g, then %s\n", e,
		        s->u.warmup.start_factor, 1 - s->u.warmup.start_factor, s->u.warmup.duration,
		        s->u.warmup.duration, e);
		break;
	default:
		fprintf(out, "%s\n", EXPLAIN_MISSING);
	}
}

/* The parts of a composed schedule, each with the step its clock starts at. */
struct sched_part {
	const struct sched *s; /* a leaf */
	double from, until;    /* global steps it runs over: [from, until) */
};
enum { MAX_PARTS = 32 };

/* Flattens s (starting at global step from, running until `until`) into parts. */
static int sched_parts(const struct sched *s, double from, double until,
                       struct sched_part *parts, int n)
{
	if (n >= MAX_PARTS)
		return n;
	if (s->kind == SCHED_THEN) {
		double mid = from + sched_length(s->u.then.first);
		n = sched_parts(s->u.then.first, from, fmin(mid, until), parts, n);
		return sched_parts(s->u.then.second, mid, until, parts, n);
	}
	if (s->kind == SCHED_FOR)
		return sched_parts(s->u.for_.first, from, until, parts, n);
	parts[n] = (struct sched_part){s, from, until};
	return n + 1;
}

/* Lists the steps where part p's value turns, at most 8, found with sched_value: the
 * restarts of cosine_restart (it rises), the peaks of triangular and one_cycle, the drops
 * of step and multistep. Other kinds have none. */
static void part_turns(FILE *out, const struct sched_part *p, const struct explain_run *run,
                       double end)
{
	enum sched_kind k = p->s->kind;
	const char *what = k == SCHED_COSINE_RESTART ? "restarts" : k == SCHED_TRIANGULAR
		|| k == SCHED_ONE_CYCLE ? "peaks" : k == SCHED_STEP || k == SCHED_MULTISTEP
		? "drops" : NULL;
	if (!what)
		return;
	double last = fmin(p->until, end);
	int shown = 0;
	fprintf(out, "    %s at steps", what);
	for (double t = p->from + 1; t < last && shown < 8; t++) {
		double prev = sched_value(p->s, run->eta, t - 1 - p->from);
		double now = sched_value(p->s, run->eta, t - p->from);
		double next = sched_value(p->s, run->eta, t + 1 - p->from);
		bool turn = what[0] == 'r' ? now > prev : what[0] == 'p' ? now > prev && now >= next
			: now < prev;
		if (turn)
			fprintf(out, "%s %g", shown++ ? "," : "", t);
	}
	fprintf(out, "%s\n", shown == 0 ? " (none in the run)" : shown == 8 ? ", ..." : "");
}

/* Writes "HEAD TEXT", TEXT on its own lines (wrapped at spaces, indented 4) when the
 * whole does not fit in 80 columns. */
static void put_heading(FILE *out, const char *head, const char *text)
{
	if (columns(head) + 1 + columns(text) <= 80) {
		fprintf(out, "%s %s\n", head, text);
		return;
	}
	fprintf(out, "%s\n   ", head);
	int col = 3;
	for (const char *w = text; *w;) {
		size_t len = strcspn(w, " ");
		char word[256];
		snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1), w);
		if (col > 3 && col + 1 + columns(word) > 80) {
			fprintf(out, "\n   ");
			col = 3;
		}
		fprintf(out, " %s", word);
		col += 1 + columns(word);
		w += len;
		w += strspn(w, " ");
	}
	fputc('\n', out);
}

/* Copies text to out with every η made μ (a momentum schedule's symbol). */
static void put_momentum_text(FILE *out, const char *text)
{
	static const char eta[] = "η";
	for (const char *c = text; *c;) {
		if (strncmp(c, eta, sizeof eta - 1) == 0) {
			fputs("μ", out);
			c += sizeof eta - 1;
		} else {
			fputc(*c++, out);
		}
	}
}

static void schedule_text(FILE *out, const struct sched *s, const char *text,
                          const struct explain_run *run);

void explain_schedule(FILE *out, const struct sched *s, const char *text,
                      const struct explain_run *run)
{
	if (strcmp(run->what, "momentum") != 0) {
		schedule_text(out, s, text, run);
		return;
	}
	char *buf = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&buf, &size);
	if (!mem)
		return;
	schedule_text(mem, s, text, run);
	fclose(mem);
	put_momentum_text(out, buf);
	free(buf);
}

/* explain_schedule's text, with η for the scheduled value. */
static void schedule_text(FILE *out, const struct sched *s, const char *text,
                          const struct explain_run *run)
{
	struct sched_part parts[MAX_PARTS];
	double end = run->steps > 0 ? run->steps : sched_length(s);
	int n = sched_parts(s, 0, INFINITY, parts, 0);
	char a[32], b[32];
	char head[64];
	snprintf(head, sizeof head, "%s schedule", run->what);
	put_heading(out, head, text);
	for (int i = 0; i < n; i++) {
		if (n > 1 && i == 0)
			fprintf(out, "  from step 0:\n    ");
		else if (n > 1)
			fprintf(out, "  then from step %g (its own clock t restarts at 0):\n    ",
			        parts[i].from);
		else
			fprintf(out, "  ");
		sched_formula(out, parts[i].s, run);
	}
	fprintf(out, "  key moments (η_t is the value update t + 1 uses):\n");
	fprintf(out, "    step 0: η_0 = %s\n", rate_text(sched_value(s, run->eta, 0), run, a,
	                                                sizeof a));
	for (int i = 0; i < n; i++) {
		double stop = parts[i].s->kind == SCHED_WARMUP ? parts[i].from
			+ parts[i].s->u.warmup.duration : INFINITY;
		if (stop < end)
			fprintf(out, "    end of warmup at step %g: η = %s\n", stop,
			        rate_text(sched_value(s, run->eta, stop), run, a, sizeof a));
		else if (i > 0 && parts[i].from < end && parts[i - 1].s->kind != SCHED_WARMUP)
			fprintf(out, "    step %g, the switch: η = %s\n", parts[i].from,
			        rate_text(sched_value(s, run->eta, parts[i].from), run, a, sizeof a));
		if (isfinite(end))
			part_turns(out, &parts[i], run, end);
	}
	if (isfinite(end) && end >= 1)
		fprintf(out, "    at the end, step %g (the last update): η = %s\n", end - 1,
		        rate_text(sched_value(s, run->eta, end - 1), run, b, sizeof b));
	else
		fprintf(out, "    it never ends; at steps 10, 100, 1000: %s, %s, %s\n",
		        rate_text(sched_value(s, run->eta, 10), run, a, sizeof a),
		        rate_text(sched_value(s, run->eta, 100), run, b, sizeof b),
		        rate_text(sched_value(s, run->eta, 1000), run, (char[32]){0}, 32));
}

/* ---- layers ---- */

static const char *shape_text(const struct shape *s, char *buf, size_t size)
{
	return shape_format(s, buf, size);
}

static void dense_layer(FILE *out, const struct net_layer *l)
{
	static const char *const inits[] = {"W, b ~ U(±1/√I)", "W ~ N(0, 2/I), b = 0 (He)",
	                                    "W ~ U(±√(6/(I + O))), b = 0 (Xavier)"};
	char bias[48] = "";
	if (l->a.dense.bias)
		snprintf(bias, sizeof bias, ", bias (%lld)", (long long)l->out);
	fprintf(out, "    y = x·Wᵀ%s, I = %lld inputs, O = %lld outputs\n"
	        "    trained: weight (%lld, %lld)%s; init %s\n",
	        l->a.dense.bias ? " + b" : "", (long long)l->in, (long long)l->out,
	        (long long)l->out, (long long)l->in, bias, inits[l->a.dense.init]);
}

static void act_layer(FILE *out, const struct net_layer *l)
{
	switch (l->a.act.act) {
	case ACT_IDENTITY: fprintf(out, "    y = x\n"); break;
	case ACT_RELU: fprintf(out, "    y = max(0, x)\n"); break;
	case ACT_LEAKY_RELU: fprintf(out, "    y = x if x > 0, else %g·x\n", l->a.act.slope); break;
	case ACT_TANH: fprintf(out, "    y = tanh x\n"); break;
	case ACT_SIGMOID: fprintf(out, "    y = 1/(1 + e^(−x))\n"); break;
	case ACT_GELU: fprintf(out, "    y = x·Φ(x), Φ the normal distribution function\n"); break;
	}
}

static void dropout_layer(FILE *out, const struct net_layer *l)
{
	double q = l->a.dropout.keep;
	fprintf(out, "    training: each unit kept with probability q = %g (dropped with\n"
	        "    p = %g), a new mask every step\n", q, 1 - q);
	if (l->a.dropout.inverted)
		fprintf(out, "    scaling = train: kept units ×1/q = ×%g in training, so\n"
		        "    evaluation uses y = x unchanged\n", 1 / q);
	else
		fprintf(out, "    scaling = test (the course's): kept units unscaled in training;\n"
		        "    evaluation uses every unit, y = %g·x\n", q);
}

static void batchnorm_layer(FILE *out, const struct net_layer *l)
{
	bool image = l->ishape.ndim == 3;
	int64_t f = image ? l->ishape.dim[0] : l->in;
	double m = l->a.batchnorm.momentum;
	fprintf(out, "    per %s (%lld of them%s):\n"
	        "    training: μ, σ² the batch's mean and biased variance\n"
	        "      x̂ = (x − μ)/√(σ² + %g) ; y = γ·x̂ + β\n"
	        "    trained: weight γ (%lld, init 1), bias β (%lld, init 0)\n"
	        "    running: running_mean ← %g·running_mean + %g·μ,\n"
	        "      running_var ← %g·running_var + %g·σ²·n/(n − 1) (unbiased)\n"
	        "    evaluation: x̂ = (x − running_mean)/√(running_var + %g)\n",
	        image ? "channel" : "feature", (long long)f, image ? ", over (N, H, W)" : "",
	        l->a.batchnorm.eps, (long long)f, (long long)f, 1 - m, m, 1 - m, m,
	        l->a.batchnorm.eps);
}

/* H_out = ⌊(H + 2p − k)/s⌋ + 1, for both dimensions. */
static void window_shape(FILE *out, const struct net_layer *l, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t ph, int64_t pw)
{
	fprintf(out, "    H: ⌊(%lld + 2·%lld − %lld)/%lld⌋ + 1 = %lld ; "
	        "W: ⌊(%lld + 2·%lld − %lld)/%lld⌋ + 1 = %lld\n",
	        (long long)l->ishape.dim[1], (long long)ph, (long long)kh, (long long)sh,
	        (long long)l->oshape.dim[1], (long long)l->ishape.dim[2], (long long)pw,
	        (long long)kw, (long long)sw, (long long)l->oshape.dim[2]);
}

static void conv_layer(FILE *out, const struct net_layer *l)
{
	const struct op_conv *c = &l->a.conv;
	int64_t ph = op_conv_padding(c, true), pw = op_conv_padding(c, false);
	fprintf(out, "    %lld filters %lld×%lld over %lld channel%s, stride (%lld, %lld),\n"
	        "    padding (%lld, %lld)%s\n", (long long)c->filters, (long long)c->kh,
	        (long long)c->kw, (long long)l->ishape.dim[0], l->ishape.dim[0] == 1 ? "" : "s",
	        (long long)c->sh, (long long)c->sw, (long long)ph, (long long)pw,
	        c->same ? " (padding = same)" : "");
	window_shape(out, l, c->kh, c->kw, c->sh, c->sw, ph, pw);
	fprintf(out, "    trained: weight (%lld, %lld, %lld, %lld)%s\n", (long long)c->filters,
	        (long long)l->ishape.dim[0], (long long)c->kh, (long long)c->kw,
	        c->bias ? ", bias (one per filter)" : "");
}

static void pool_layer(FILE *out, const struct net_layer *l)
{
	const struct op_pool *p = &l->a.pool;
	fprintf(out, "    the %s of each %lld×%lld window, stride (%lld, %lld), per channel\n",
	        l->op == IR_MAXPOOL ? "maximum" : "mean", (long long)p->kh, (long long)p->kw,
	        (long long)p->sh, (long long)p->sw);
	window_shape(out, l, p->kh, p->kw, p->sh, p->sw, 0, 0);
}

static void layer_rule(FILE *out, const struct net *n, const struct net_layer *l)
{
	switch (l->op) {
	case IR_INPUT: fprintf(out, "    the data's sample shape, checked\n"); break;
	case IR_DENSE: dense_layer(out, l); break;
	case IR_ACT: act_layer(out, l); break;
	case IR_SOFTMAX:
		fprintf(out, "    y_i = e^(x_i)/Σ_j e^(x_j)%s\n", n->fused_softmax
		        ? "; fused into cross_entropy (computed once)" : "");
		break;
	case IR_DROPOUT: dropout_layer(out, l); break;
	case IR_BATCHNORM: batchnorm_layer(out, l); break;
	case IR_FLATTEN: fprintf(out, "    (C, H, W) → (C·H·W), PyTorch's order\n"); break;
	case IR_CONV2D: conv_layer(out, l); break;
	case IR_MAXPOOL:
	case IR_AVGPOOL: pool_layer(out, l); break;
	case IR_GLOBAL_AVGPOOL: fprintf(out, "    the mean over H and W of each channel\n"); break;
	default: fprintf(out, "    %s\n", EXPLAIN_MISSING);
	}
}

static void explain_network(FILE *out, const struct net *n, const char *name)
{
	char in[64], outs[64];
	fprintf(out, "network %s\n", name);
	for (int i = 0; i < n->nlayers; i++) {
		const struct net_layer *l = &n->layers[i];
		const char *kind = ops[l->op].label ? ops[l->op].label(l) : ops[l->op].name;
		fprintf(out, "  %s (%s): %s → %s\n", l->name, kind,
		        shape_text(&l->ishape, in, sizeof in), shape_text(&l->oshape, outs, sizeof outs));
		layer_rule(out, n, l);
	}
}

/* ---- blocks ---- */

/* What the block's regularizer (l2 > 0), or its wd, or neither does under c. */
static void explain_regularizer(FILE *out, const struct optim_config *c, double l2,
                                int decay_biases)
{
	if (l2 > 0)
		fprintf(out, "regularize l2(%g)\n", l2);
	else if (c->wd != 0)
		fprintf(out, "no l2; wd = %g decays the weights instead\n", c->wd);
	else
		fprintf(out, "no regularizer; l2 against wd under this optimizer:\n");
	explain_l2_wd(out, c, l2 > 0 ? l2 : c->wd, decay_biases);
}

/* The text of the block's entry key as written, into text ("" if it has none). */
static const char *entry_text(const struct ast *block, const char *key, char *text, size_t size)
{
	const struct ast *v = ast_value(block, key);
	if (!v)
		return size ? (text[0] = '\0', text) : text;
	return loc_text(v->loc, text, size);
}

/* The optimizer, schedules and regularizer of a block, with its run's length;
 * decay_biases as explain_l2_wd takes it. */
static void explain_training(FILE *out, const struct optim_config *c, const char *label,
                             const struct sched *lr_sched, const struct sched *mom_sched,
                             const struct ast *block, double steps, double l2,
                             int decay_biases)
{
	char text[512];
	explain_optimizer(out, c, label);
	fputc('\n', out);
	struct explain_run run = {c->lr, false, steps, "learning-rate"};
	if (lr_sched)
		explain_schedule(out, lr_sched, entry_text(block, "schedule", text, sizeof text), &run);
	else
		fprintf(out, "no schedule: η = %g at every step\n", c->lr);
	if (mom_sched && c->momentum != 0) {
		run = (struct explain_run){c->momentum, false, steps, "momentum"};
		fputc('\n', out);
		explain_schedule(out, mom_sched, entry_text(block, "momentum_schedule", text,
		                                            sizeof text), &run);
	}
	fputc('\n', out);
	explain_regularizer(out, c, l2, decay_biases);
}

static int explain_train(FILE *out, const struct ast *file, const struct ast *block, int index,
                         const char *nn_path, struct diag *d)
{
	struct train_lowered t;
	if (lower_train(file, block, index, nn_path, &t, d) != 0)
		return 1;
	char label[256];
	double steps = (double)t.steps_per_epoch * t.config.epochs;
	lower_optimizer(ast_value(block, "optimizer"), label, sizeof label);
	fprintf(out, "train %s: network %s, data %s (%lld samples, batch %lld:\n"
	        "%lld step%s an epoch, %d epoch%s = %g steps)\n\n", t.name, t.network, t.data,
	        (long long)t.train.n, (long long)t.config.batch, (long long)t.steps_per_epoch,
	        t.steps_per_epoch == 1 ? "" : "s", t.config.epochs, t.config.epochs == 1 ? "" : "s",
	        steps);
	explain_training(out, &t.net.opt, label, t.schedule, t.momentum_schedule, block, steps,
	                 t.net.l2, t.net.decay_biases);
	fputc('\n', out);
	explain_network(out, &t.net, t.network);
	lower_train_free(&t);
	return 0;
}

static int explain_minimize(FILE *out, const struct ast *block, struct diag *d)
{
	struct minimize_lowered m;
	if (lower_minimize(block, &m, d) != 0)
		return 1;
	const struct minimize_plan *p = &m.plan;
	fprintf(out, "minimize %s: %d step%s from %d start%s\n", p->name, p->steps,
	        p->steps == 1 ? "" : "s", p->nstarts, p->nstarts == 1 ? "" : "s");
	for (int i = 0; i < p->nopts; i++) {
		fputc('\n', out);
		explain_training(out, &p->opts[i], p->opt_labels[i], p->schedule, p->momentum_schedule,
		                 block, p->steps, p->l2, -1); /* no biases in a function */
	}
	lower_minimize_free(&m);
	return 0;
}

int explain_file(FILE *out, const struct ast *file, const char *nn_path, struct diag *d)
{
	int trains = 0, shown = 0;
	for (int i = 0; i < file->nkids; i++) {
		const struct ast *decl = file->kids[i];
		bool train = decl->kind == AST_BLOCK && decl->op == BLOCK_TRAIN;
		if (!train && decl->kind != AST_MINIMIZE)
			continue;
		if (shown++)
			fprintf(out, "\n%s\n\n", "----");
		int status = train ? explain_train(out, file, decl, ++trains, nn_path, d)
			: explain_minimize(out, decl, d);
		if (status != 0)
			return status;
	}
	if (shown == 0)
		fprintf(out, "no train or minimize block: nothing to explain\n");
	return 0;
}

/* ---- one expression ---- */

/* Whether expr names an optimizer (else it is taken as a schedule). */
static bool is_optimizer(const struct ast *expr)
{
	return (expr->kind == AST_CALL || expr->kind == AST_NAME)
		&& schema_find(schema_optimizers, expr->str) != NULL;
}

/* A call whose name is neither an optimizer nor a schedule: one message naming both. */
static bool unknown_call(const struct ast *expr, struct diag *d)
{
	if ((expr->kind != AST_CALL && expr->kind != AST_NAME)
	    || schema_find(schema_schedules, expr->str))
		return false;
	const char *names[128];
	int n = 0;
	for (const struct sig *s = schema_optimizers; s->name && n < 64; s++)
		names[n++] = s->name;
	for (const struct sig *s = schema_schedules; s->name && n < 127; s++)
		names[n++] = s->name;
	names[n] = NULL;
	const char *close = diag_closest(expr->str, names);
	diag_error(d, expr->name_loc, "unknown optimizer or schedule '%s'", expr->str);
	if (close)
		diag_help(d, "did you mean '%s'?", close);
	diag_help(d, "'descent help optimizers' and 'descent help schedules' list them all");
	return true;
}

int explain_expr(FILE *out, const struct ast *expr, double lr, double steps,
                 double steps_per_epoch, struct diag *d)
{
	char label[256], text[512];
	if (is_optimizer(expr)) {
		if (!check_optimizer_expr(expr, d))
			return 1;
		struct optim_config c = lower_optimizer(expr, label, sizeof label);
		explain_optimizer(out, &c, label);
		fputc('\n', out);
		fprintf(out, "l2 against wd under this optimizer:\n");
		explain_l2_wd(out, &c, 0, -1);
		return 0;
	}
	if (unknown_call(expr, d) || !check_schedule_expr(expr, d))
		return 1;
	struct sched *s = lower_schedule(expr, steps_per_epoch, d);
	if (!s)
		return 1;
	struct explain_run run = {lr > 0 ? lr : 1, lr <= 0, steps, "learning-rate"};
	explain_schedule(out, s, loc_text(expr->loc, text, sizeof text), &run);
	if (run.relative)
		fprintf(out, "  (η is the optimizer's lr; --lr X gives numbers)\n");
	sched_free(s);
	return 0;
}
