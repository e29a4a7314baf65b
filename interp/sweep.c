/* sweep.c — expanding sweep blocks into trials (see sweep.h). */
#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "schema.h"

enum { MAX_AXES = 32, MAX_TRIALS = 100000 };

/* One axis: its key and either listed values (a list, or a range expanded) or a sampler. */
struct axis {
	const char *key;
	const struct ast *list;   /* AST_LIST of values, or NULL */
	int64_t lo, hi;           /* an AST_RANGE lo..hi, when list is NULL and !sampler */
	const struct ast *sampler; /* a loguniform/uniform/choice call, or NULL */
	bool is_seed;             /* the key is `seed` */
};

static int axis_count(const struct axis *a)
{
	return a->list ? a->list->nkids : (int)(a->hi - a->lo + 1);
}

/* The k-th listed value of a grid axis, as a new node. */
static struct ast *axis_value(const struct axis *a, int k)
{
	if (a->list)
		return schema_copy_at(a->list->kids[k], a->list->kids[k]->loc);
	return ast_num(a->sampler ? a->sampler->loc : (struct loc){0}, (double)(a->lo + k));
}

/* A value drawn for a sampled axis in configuration c (axis number j). */
static struct ast *draw(const struct axis *a, uint64_t seed, int c, int j)
{
	const struct bound *b = schema_bound(schema_samplers, a->sampler);
	if (!b)
		return NULL;
	const struct ast *const *vals = b->vals;
	double u = rng_uniform(seed, RNG_SAMPLE, (uint64_t)c * MAX_AXES + (uint64_t)j);
	if (b->sig->kind == SAMPLE_CHOICE) {
		const struct ast *list = vals[0];
		int k = (int)(u * list->nkids);
		return schema_copy_at(list->kids[k < list->nkids ? k : list->nkids - 1], list->loc);
	}
	double lo = vals[0]->num, hi = vals[1]->num;
	double x = b->sig->kind == SAMPLE_LOGUNIFORM ? exp(log(lo) + u * (log(hi) - log(lo)))
		: lo + u * (hi - lo);
	return ast_num(a->sampler->loc, x);
}

static int read_axes(const struct ast *sweep, struct axis *axes, int64_t *trials, uint64_t *seed)
{
	int n = 0;
	*trials = 0;
	*seed = 0;
	for (int i = 0; i < sweep->nkids; i++) {
		const struct ast *s = sweep->kids[i];
		if (s->kind == AST_ENTRY && strcmp(s->str, "trials") == 0)
			*trials = (int64_t)s->a->num;
		if (s->kind == AST_ENTRY && strcmp(s->str, "sample_seed") == 0)
			*seed = (uint64_t)s->a->num;
		if (s->kind != AST_AXIS || n == MAX_AXES)
			continue;
		struct axis *a = &axes[n++];
		*a = (struct axis){.key = s->str, .is_seed = strcmp(s->str, "seed") == 0};
		if (s->a->kind == AST_LIST)
			a->list = s->a;
		else if (s->a->kind == AST_RANGE) {
			a->lo = (int64_t)s->a->a->num;
			a->hi = (int64_t)s->a->b->num;
		} else
			a->sampler = s->a;
		/* choice([...]) without trials is checked away; a sampler needs trials */
	}
	return n;
}

int sweep_expand(const struct ast *sweep, struct sweep_plan *plan, struct diag *d)
{
	struct axis axes[MAX_AXES];
	int64_t trials;
	uint64_t seed;
	int n = read_axes(sweep, axes, &trials, &seed);
	*plan = (struct sweep_plan){0};
	/* the grid: every axis not sampled; configurations: drawn ones (or 1) × grid without seed */
	int64_t grid = 1, seeds = 1;
	for (int j = 0; j < n; j++)
		if (!axes[j].sampler) {
			grid *= axis_count(&axes[j]);
			seeds *= axes[j].is_seed ? axis_count(&axes[j]) : 1;
		}
	int64_t draws = trials > 0 ? trials : 1, total = draws * grid;
	if (total > MAX_TRIALS) {
		diag_error(d, sweep->name_loc, "this sweep has %lld trials; at most %d", (long long)total,
		           MAX_TRIALS);
		return -1;
	}
	plan->trials = calloc((size_t)total, sizeof *plan->trials);
	if (!plan->trials)
		return -1;
	plan->ntrials = plan->nsearch = (int)total;
	plan->nconfigs = (int)(draws * (grid / seeds));
	for (int64_t t = 0; t < total; t++) {
		struct sweep_trial *trial = &plan->trials[t];
		int64_t c = t / grid, rest = t % grid, config_grid = 0;
		trial->index = (int)t;
		trial->values = calloc((size_t)(n ? n : 1), sizeof *trial->values);
		if (!trial->values)
			goto fail;
		/* mixed radix over the grid axes, the first slowest */
		int64_t stride = grid;
		for (int j = 0; j < n; j++) {
			struct sweep_value *v = &trial->values[trial->nvalues++];
			v->key = axes[j].key;
			if (axes[j].sampler) {
				v->value = draw(&axes[j], seed, (int)c, j);
			} else {
				stride /= axis_count(&axes[j]);
				int k = (int)(rest / stride);
				rest %= stride;
				v->value = axis_value(&axes[j], k);
				if (!axes[j].is_seed)
					config_grid = config_grid * axis_count(&axes[j]) + k;
			}
			if (!v->value)
				goto fail;
		}
		trial->config = (int)(c * (grid / seeds) + config_grid);
	}
	return 0;
fail:
	sweep_free(plan);
	return -1;
}

void sweep_free(struct sweep_plan *plan)
{
	for (int t = 0; plan->trials && t < plan->ntrials; t++) {
		for (int v = 0; v < plan->trials[t].nvalues; v++)
			ast_free(plan->trials[t].values[v].value);
		free(plan->trials[t].values);
	}
	free(plan->trials);
	*plan = (struct sweep_plan){0};
}

int sweep_rerun_count(const struct ast *sweep)
{
	const struct ast *n = ast_value(sweep, "rerun_best");
	return n && n->kind == AST_NUM ? (int)n->num : 0;
}

/* Appends the value key = value to trial t (value owned by it from then on); 0 or -1. */
static int add_value(struct sweep_trial *t, const char *key, struct ast *value)
{
	struct sweep_value *grown = value ? realloc(t->values, ((size_t)t->nvalues + 1)
	                                            * sizeof *grown) : NULL;
	if (!grown) {
		ast_free(value);
		return -1;
	}
	t->values = grown;
	t->values[t->nvalues++] = (struct sweep_value){key, value};
	return 0;
}

int sweep_add_seed(struct sweep_plan *plan, double seed)
{
	for (int t = 0; t < plan->ntrials; t++) {
		bool has = false;
		for (int v = 0; v < plan->trials[t].nvalues; v++)
			has |= strcmp(plan->trials[t].values[v].key, "seed") == 0;
		if (!has && add_value(&plan->trials[t], "seed", ast_num((struct loc){0}, seed)) != 0)
			return -1;
	}
	return 0;
}

/* Trial `to` as a copy of trial from's values with the seed replaced; 0 or -1. */
static int copy_with_seed(const struct sweep_trial *from, struct sweep_trial *to, double seed)
{
	to->values = calloc((size_t)from->nvalues + 1, sizeof *to->values);
	if (!to->values)
		return -1;
	for (int v = 0; v < from->nvalues; v++) {
		const struct sweep_value *x = &from->values[v];
		bool is_seed = strcmp(x->key, "seed") == 0;
		struct ast *value = is_seed ? ast_num(x->value->loc, seed)
			: schema_copy_at(x->value, x->value->loc);
		if (!value)
			return -1;
		to->values[to->nvalues++] = (struct sweep_value){x->key, value};
	}
	return 0;
}

int sweep_add_reruns(struct sweep_plan *plan, const int *best, int nbest, int n,
                     double first_seed)
{
	int had = plan->ntrials, total = had + nbest * n;
	struct sweep_trial *grown = realloc(plan->trials, ((size_t)total + 1) * sizeof *grown);
	if (!grown)
		return -1;
	plan->trials = grown;
	for (int i = 0; i < nbest; i++)
		for (int r = 0; r < n; r++) {
			struct sweep_trial *t = &plan->trials[plan->ntrials];
			*t = (struct sweep_trial){.index = plan->ntrials, .config = plan->nconfigs + i,
			                          .searched = plan->trials[best[i]].config};
			plan->ntrials++; /* freed with the plan, even half made */
			if (copy_with_seed(&plan->trials[best[i]], t, first_seed + r) != 0)
				return -1;
		}
	return 0;
}

bool sweep_in_shard(int index, int shard, int shards)
{
	return shards <= 1 || index % shards == shard;
}

/* The whole number in variable name into *v: 1 if it is one, 0 if name is not set, -1
 * (with why) if it is set to something else. */
static int env_number(const char *name, long *v, char *why, size_t size)
{
	const char *text = getenv(name);
	char *end;
	if (!text)
		return 0;
	errno = 0;
	*v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || *v < 0 || *v > INT_MAX) {
		snprintf(why, size, "--shard auto: %s is '%s', not a whole number", name, text);
		return -1;
	}
	return 1;
}

/* This task's shard of a Slurm job array (SLURM_ARRAY_TASK_ID is set): the index's
 * place among MIN, MIN + STEP, ... (COUNT of them; COUNT from MAX if missing). given is
 * N of "auto/N" or 0. */
static int slurm_shard(long given, int *shard, int *shards, char *why, size_t size)
{
	long id = 0, min = 0, step = 1, count = 0, max = 0;
	if (env_number("SLURM_ARRAY_TASK_ID", &id, why, size) < 0
	    || env_number("SLURM_ARRAY_TASK_MIN", &min, why, size) < 0
	    || env_number("SLURM_ARRAY_TASK_STEP", &step, why, size) < 0
	    || env_number("SLURM_ARRAY_TASK_COUNT", &count, why, size) < 0
	    || env_number("SLURM_ARRAY_TASK_MAX", &max, why, size) < 0)
		return -1;
	if (!getenv("SLURM_ARRAY_TASK_MIN") || (!getenv("SLURM_ARRAY_TASK_COUNT")
	                                        && !getenv("SLURM_ARRAY_TASK_MAX"))) {
		snprintf(why, size, "--shard auto: SLURM_ARRAY_TASK_ID is set but not "
		         "SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT, which Slurm sets with it");
		return -1;
	}
	step = step > 0 ? step : 1;
	count = getenv("SLURM_ARRAY_TASK_COUNT") ? count : (max - min) / step + 1;
	if (id < min || (id - min) % step != 0 || (id - min) / step >= count) {
		snprintf(why, size, "--shard auto: array index %ld is not one of the %ld indices %ld, "
		         "%ld, ... (SLURM_ARRAY_TASK_MIN, _STEP, _COUNT); an array with uneven "
		         "indices (--array=1,4,9) needs --shard I/N", id, count, min, min + step);
		return -1;
	}
	if (given > 0 && given != count) {
		snprintf(why, size, "--shard auto/%ld: the Slurm array has %ld tasks "
		         "(SLURM_ARRAY_TASK_COUNT), not %ld", given, count, given);
		return -1;
	}
	*shard = (int)((id - min) / step);
	*shards = (int)count;
	return 0;
}

int sweep_shard_parse(const char *spec, int *shard, int *shards, char *why, size_t size)
{
	long given = 0, index;
	char extra;
	if (strncmp(spec, "auto", 4) == 0 && (spec[4] == '\0' || spec[4] == '/')) {
		if (spec[4] == '/' && (sscanf(spec + 5, "%ld%c", &given, &extra) != 1 || given < 1
		                      || given > INT_MAX)) {
			snprintf(why, size, "--shard auto/N takes a whole number of shards N >= 1, not "
			         "'%s'", spec);
			return -1;
		}
		if (getenv("SLURM_ARRAY_TASK_ID"))
			return slurm_shard(given, shard, shards, why, size);
		int set = env_number("JOB_COMPLETION_INDEX", &index, why, size);
		if (set < 0)
			return -1;
		if (set == 0) {
			snprintf(why, size, "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) "
			         "nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give the shard "
			         "as --shard I/N");
			return -1;
		}
		if (given == 0) {
			snprintf(why, size, "--shard auto: JOB_COMPLETION_INDEX is %ld, but Kubernetes does "
			         "not say how many shards there are: give --shard auto/N (N the Job's "
			         "completions)", index);
			return -1;
		}
		if (index >= given) {
			snprintf(why, size, "--shard auto/%ld: JOB_COMPLETION_INDEX is %ld, not below %ld",
			         given, index, given);
			return -1;
		}
		*shard = (int)index;
		*shards = (int)given;
		return 0;
	}
	long i, n;
	if (sscanf(spec, "%ld/%ld%c", &i, &n, &extra) != 2 || n < 1 || n > INT_MAX || i < 0) {
		snprintf(why, size, "--shard takes I/N (shard I of N, counting from 0), auto or auto/N, "
		         "not '%s'", spec);
		return -1;
	}
	if (i >= n) {
		snprintf(why, size, "--shard %s: shards count from 0, so the shards of %ld are 0/%ld "
		         "to %ld/%ld; a 1-based job array (--array=1-%ld) needs --shard auto, or "
		         "$((SLURM_ARRAY_TASK_ID - 1))/%ld", spec, n, n, n - 1, n, n, n);
		return -1;
	}
	*shard = (int)i;
	*shards = (int)n;
	return 0;
}
