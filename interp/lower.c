/* lower.c — checked trees to runtime structures: schedules, optimizers, minimize plans
 * (see lower.h). */
#include "lower.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "schema.h"

/* A checked duration in steps. */
static bool duration_steps(const struct ast *v, double steps_per_epoch, struct diag *d,
                           double *out)
{
	if (v->kind == AST_NUM) {
		*out = v->num;
		return true;
	}
	double n = v->a->num;
	if (strncmp(v->b->str, "step", 4) == 0) {
		*out = n;
		return true;
	}
	if (steps_per_epoch <= 0) {
		diag_error(d, v->loc, "this duration is in epochs, but the steps per epoch are not "
		           "known");
		diag_help(d, "give --steps-per-epoch K, or write the duration in steps");
		return false;
	}
	*out = round(n * steps_per_epoch);
	if (*out < 1) {
		diag_error(d, v->loc, "%g epochs of %g steps is less than one step", n, steps_per_epoch);
		return false;
	}
	return true;
}

/* The named parameter of a bound schedule call as steps. */
static bool param_steps(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                        const char *name, double spe, struct diag *d, double *out)
{
	return duration_steps(vals[schema_index(sig, name)], spe, d, out);
}

static struct sched *lower_multistep(struct sched *s, const struct sig *sig,
                                     const struct ast *const vals[SIG_MAX_PARAMS], double spe,
                                     struct diag *d)
{
	const struct ast *at = vals[schema_index(sig, "at")];
	s->u.multistep.gamma = schema_number(sig, vals, "gamma");
	s->u.multistep.n = at->nkids;
	s->u.multistep.at = calloc((size_t)at->nkids + 1, sizeof *s->u.multistep.at);
	if (!s->u.multistep.at)
		goto fail;
	for (int i = 0; i < at->nkids; i++)
		if (!duration_steps(at->kids[i], spe, d, &s->u.multistep.at[i]))
			goto fail;
	return s;
fail:
	sched_free(s);
	return NULL;
}

static struct sched *lower_call(const struct ast *v, double spe, struct diag *d)
{
	const struct bound *b = schema_bound(schema_schedules, v);
	if (!b)
		return NULL;
	const struct sig *sig = b->sig;
	const struct ast *const *vals = b->vals;
	struct sched *s = sched_new((enum sched_kind)sig->kind);
	if (!s)
		return NULL;
#define NUM(name) schema_number(sig, vals, name)
#define STEPS(name, field) if (!param_steps(sig, vals, name, spe, d, &(field))) goto fail
	switch (s->kind) {
	case SCHED_CONSTANT: break;
	case SCHED_STEP:
		STEPS("every", s->u.step.every);
		s->u.step.gamma = NUM("gamma");
		break;
	case SCHED_MULTISTEP:
		return lower_multistep(s, sig, vals, spe, d);
	case SCHED_EXPONENTIAL: s->u.exponential.gamma = NUM("gamma"); break;
	case SCHED_INV_TIME:
		s->u.inv_time.k = NUM("k");
		s->u.inv_time.power = NUM("power");
		break;
	case SCHED_POLY:
		STEPS("total", s->u.poly.total);
		s->u.poly.power = NUM("power");
		s->u.poly.end = NUM("end");
		break;
	case SCHED_LINEAR:
		STEPS("total", s->u.linear.total);
		s->u.linear.start_factor = NUM("start_factor");
		s->u.linear.end_factor = NUM("end_factor");
		break;
	case SCHED_COSINE:
		STEPS("total", s->u.cosine.total);
		s->u.cosine.eta_min = NUM("eta_min");
		break;
	case SCHED_COSINE_RESTART:
		STEPS("T0", s->u.restart.t0);
		s->u.restart.t_mult = NUM("T_mult");
		s->u.restart.eta_min = NUM("eta_min");
		break;
	case SCHED_TRIANGULAR: {
		STEPS("step_size", s->u.cyclic.step_size);
		s->u.cyclic.min_lr = NUM("min_lr");
		s->u.cyclic.gamma = NUM("gamma");
		int mode = schema_index(sig, "mode");
		s->u.cyclic.mode = (enum sched_cycle_mode)schema_choice(&sig->params[mode], vals[mode]);
		break;
	}
	case SCHED_ONE_CYCLE:
		STEPS("total", s->u.one_cycle.total);
		s->u.one_cycle.pct_start = NUM("pct_start");
		s->u.one_cycle.div = NUM("div");
		s->u.one_cycle.final_div = NUM("final_div");
		break;
	case SCHED_WARMUP:
		STEPS("duration", s->u.warmup.duration);
		s->u.warmup.start_factor = NUM("start_factor");
		break;
	default:
		break;
	}
#undef NUM
#undef STEPS
	return s;
fail:
	sched_free(s);
	return NULL;
}

struct sched *lower_schedule(const struct ast *expr, double steps_per_epoch, struct diag *d)
{
	struct sched *s = NULL;
	switch (expr->kind) {
	case AST_THEN:
		if (!(s = sched_new(SCHED_THEN)))
			return NULL;
		s->u.then.first = lower_schedule(expr->a, steps_per_epoch, d);
		s->u.then.second = lower_schedule(expr->b, steps_per_epoch, d);
		if (!s->u.then.first || !s->u.then.second) {
			sched_free(s);
			return NULL;
		}
		return s;
	case AST_FOR:
		if (!(s = sched_new(SCHED_FOR)))
			return NULL;
		s->u.for_.first = lower_schedule(expr->a, steps_per_epoch, d);
		if (!s->u.for_.first
		    || !duration_steps(expr->b, steps_per_epoch, d, &s->u.for_.length)) {
			sched_free(s);
			return NULL;
		}
		return s;
	default:
		return lower_call(expr, steps_per_epoch, d);
	}
}

/* ---- optimizers ---- */

/* Appends "name = value" for a given argument to label. */
static void label_argument(char *label, size_t size, const char *name, const struct ast *v)
{
	size_t used = strlen(label);
	const char *sep = label[used - 1] == '(' ? "" : ", ";
	if (v->kind == AST_NUM)
		snprintf(label + used, size - used, "%s%s = %g", sep, name, v->num);
	else if (v->kind == AST_BOOL)
		snprintf(label + used, size - used, "%s%s = %s", sep, name, v->num ? "true" : "false");
	else if (v->kind == AST_TUPLE && v->nkids == 2)
		snprintf(label + used, size - used, "%s%s = (%g, %g)", sep, name, v->kids[0]->num,
		         v->kids[1]->num);
}

/* Sets the config field that an optimizer parameter sets (its row's field) to v; the
 * pair betas is read apart (schema_momentum and beta2). */
static void set_field(struct optim_config *c, enum optim_field field, double v)
{
	switch (field) {
	case OF_LR: c->lr = v; break;
	case OF_MOMENTUM: c->momentum = v; break;
	case OF_DAMPENING: c->dampening = v; break;
	case OF_NESTEROV: c->nesterov = v != 0; break;
	case OF_ALPHA: c->alpha = v; break;
	case OF_BETA2: c->beta2 = v; break;
	case OF_EPS: c->eps = v; break;
	case OF_LR_DECAY: c->lr_decay = v; break;
	case OF_INITIAL: c->initial = v; break;
	case OF_CENTERED: c->centered = v != 0; break;
	case OF_AMSGRAD: c->amsgrad = v != 0; break;
	case OF_BIAS_CORRECTION: c->uncorrected = v == 0; break;
	case OF_MOMENTUM_DECAY: c->momentum_decay = v; break;
	case OF_WD: c->wd = v; break;
	case OF_BETAS: break;
	case OF_NONE: assert(!"an optimizer parameter without a field in struct optim_config");
	}
}

struct optim_config lower_optimizer(const struct ast *call, char *label, size_t size)
{
	const struct bound *b = schema_bound(schema_optimizers, call);
	assert(b); /* a checked call; NULL only when memory ran out */
	const struct sig *sig = b->sig;
	const struct ast *const *vals = b->vals;
	struct optim_config c = {.kind = (enum optim_kind)sig->kind};
	for (int i = 0; sig->params[i].name; i++)
		set_field(&c, sig->params[i].field, schema_number_at(b, i));
	for (int i = 0; sig->params[i].name; i++)
		if (sig->params[i].field == OF_BETAS && vals[i]) /* (b1, b2) for beta1, beta2 */
			c.beta2 = vals[i]->kids[1]->num;
	c.momentum = schema_momentum(b);
	snprintf(label, size, "%s(", sig->name);
	for (int i = 0; sig->params[i].name; i++)
		if (vals[i])
			label_argument(label, size, sig->params[i].name, vals[i]);
	if (strlen(label) + 1 < size)
		strcat(label, ")");
	return c;
}

/* ---- minimize ---- */

/* Emits the tape of expression v; returns its instruction, or -1 (out of memory). */
static int lower_function(const struct ast *v, const struct ast *vars, struct minimize_lowered *m)
{
	static const struct { char op; enum sc_op sc; } binops[] = {
		{'+', SC_ADD}, {'-', SC_SUB}, {'*', SC_MUL}, {'/', SC_DIV}, {'^', SC_POW},
	};
	static const struct { const char *name; enum sc_op sc; } calls[] = {
		{"sin", SC_SIN}, {"cos", SC_COS}, {"tan", SC_TAN}, {"exp", SC_EXP}, {"log", SC_LOG},
		{"sqrt", SC_SQRT}, {"abs", SC_ABS}, {"tanh", SC_TANH}, {"sigmoid", SC_SIGMOID},
	};
	int a = -1, b = -1, var = -1, at;
	enum sc_op op = SC_CONST;
	switch (v->kind) {
	case AST_NUM:
		break;
	case AST_NAME:
		op = SC_VAR;
		for (var = 0; strcmp(vars->kids[var]->str, v->str) != 0; var++)
			continue;
		break;
	case AST_NEG:
		op = SC_NEG;
		a = lower_function(v->a, vars, m);
		break;
	case AST_BINOP:
		a = lower_function(v->a, vars, m);
		b = lower_function(v->b, vars, m);
		for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
			if (binops[i].op == v->op)
				op = binops[i].sc;
		break;
	default: /* a call of one of the functions: check.c saw to it */
		a = lower_function(v->kids[0], vars, m);
		for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
			if (strcmp(calls[i].name, v->str) == 0)
				op = calls[i].sc;
	}
	if ((op != SC_CONST && op != SC_VAR && a < 0) || (op >= SC_ADD && op <= SC_POW && b < 0))
		return -1;
	if ((at = sc_emit(&m->fn, op, a, b, var, v->num)) < 0)
		return -1;
	struct loc *locs = realloc(m->locs, (size_t)m->fn.cap * sizeof *locs);
	if (!locs)
		return -1;
	m->locs = locs;
	m->locs[at] = v->loc;
	return at;
}

static const struct ast *block_entry(const struct ast *block, const char *key)
{
	for (int i = 0; i < block->nkids; i++)
		if (block->kids[i]->kind == AST_ENTRY && strcmp(block->kids[i]->str, key) == 0)
			return block->kids[i]->a;
	return NULL;
}

/* A key that check.c made sure of. */
static const struct ast *required_entry(const struct ast *block, const char *key)
{
	const struct ast *v = block_entry(block, key);
	assert(v);
	return v;
}

/* The λ of a checked l2(λ) call. */
static double l2_lambda(const struct ast *call)
{
	const struct bound *b = schema_bound(schema_regularizers, call);
	return b ? schema_number(b->sig, b->vals, "lambda") : NAN;
}

static int lower_starts(const struct ast *from, struct minimize_lowered *m)
{
	int nv = m->plan.nvars, n = from->kind == AST_LIST ? from->nkids : 1;
	m->starts = malloc((size_t)(n * nv) * sizeof *m->starts);
	if (!m->starts)
		return -1;
	for (int s = 0; s < n; s++) {
		const struct ast *point = from->kind == AST_LIST ? from->kids[s] : from;
		for (int v = 0; v < nv; v++)
			m->starts[s * nv + v] = point->kind == AST_TUPLE ? point->kids[v]->num : point->num;
	}
	m->plan.nstarts = n;
	m->plan.starts = m->starts;
	return 0;
}

static int lower_optimizers(const struct ast *opt, struct minimize_lowered *m)
{
	int n = opt->kind == AST_LIST ? opt->nkids : 1;
	m->opts = calloc((size_t)n, sizeof *m->opts);
	m->names = calloc((size_t)n, sizeof *m->names);
	m->labels = calloc((size_t)n, sizeof *m->labels);
	m->label_ptrs = calloc((size_t)n, sizeof *m->label_ptrs);
	if (!m->opts || !m->names || !m->labels || !m->label_ptrs)
		return -1;
	for (int i = 0; i < n; i++) {
		const struct ast *call = opt->kind == AST_LIST ? opt->kids[i] : opt;
		m->opts[i] = lower_optimizer(call, m->labels[i], sizeof m->labels[i]);
		m->names[i] = call->str;
		m->label_ptrs[i] = m->labels[i];
	}
	m->plan.nopts = n;
	m->plan.opts = m->opts;
	m->plan.opt_names = m->names;
	m->plan.opt_labels = m->label_ptrs;
	return 0;
}

int lower_minimize(const struct ast *block, struct minimize_lowered *m, struct diag *d)
{
	*m = (struct minimize_lowered){0};
	const struct ast *vars = block->b;
	m->plan.name = block->str;
	m->plan.nvars = m->fn.nvars = vars->nkids;
	m->vars = calloc((size_t)vars->nkids, sizeof *m->vars);
	if (!m->vars || lower_function(block->a, vars, m) < 0)
		goto out_of_memory;
	for (int v = 0; v < vars->nkids; v++)
		m->vars[v] = vars->kids[v]->str;
	m->plan.vars = m->vars;
	m->plan.fn = &m->fn;
	if (lower_starts(required_entry(block, "from"), m) != 0
	    || lower_optimizers(required_entry(block, "optimizer"), m) != 0)
		goto out_of_memory;
	const struct ast *schedule = block_entry(block, "schedule");
	const struct ast *momentum = block_entry(block, "momentum_schedule");
	const struct ast *reg = block_entry(block, "regularize");
	if ((schedule && !(m->schedule = lower_schedule(schedule, 0, d)))
	    || (momentum && !(m->momentum_schedule = lower_schedule(momentum, 0, d))))
		goto out_of_memory;
	m->plan.schedule = m->schedule;
	m->plan.momentum_schedule = m->momentum_schedule;
	m->plan.l2 = reg ? l2_lambda(reg) : 0;
	m->plan.steps = (int)required_entry(block, "steps")->num;
	m->trace = block_entry(block, "trace");
	m->plot = block_entry(block, "plot");
	return 0;
out_of_memory:
	if (d->errors == 0)
		diag_error(d, block->loc, "out of memory while preparing %s", block->str);
	lower_minimize_free(m);
	return -1;
}

void lower_minimize_free(struct minimize_lowered *m)
{
	sc_free(&m->fn);
	free(m->locs);
	free(m->vars);
	free(m->starts);
	free(m->opts);
	free(m->names);
	free(m->labels);
	free(m->label_ptrs);
	sched_free(m->schedule);
	sched_free(m->momentum_schedule);
	*m = (struct minimize_lowered){0};
}
