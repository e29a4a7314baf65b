/* schema.c — the tables of what LANGUAGE.md allows (see schema.h), and argument binding.
 *
 * Each table row reads as the language reference does: name, type, default, range.
 * Ranges not fixed by LANGUAGE.md follow PyTorch's own argument checks (e.g. Adam's betas
 * in [0, 1), OneCycleLR's pct_start in (0, 1)); sizes stop at 2^24 units, far above any
 * network that fits this machine but low enough that dense(1e12) is an error, not a crash.
 */
#include "schema.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"
#include "schedule.h"
#include "train.h"

/* Ranges, as designated initializers. */
#define ANY         .lo = -INFINITY, .hi = INFINITY
#define POSITIVE    .lo = 0, .hi = INFINITY, .lo_open = true
#define NONNEGATIVE .lo = 0, .hi = INFINITY
#define UNIT        .lo = 0, .hi = 1, .hi_open = true                 /* [0, 1) */
#define UNIT_CLOSED .lo = 0, .hi = 1                                  /* [0, 1] */
#define OPEN_UNIT   .lo = 0, .hi = 1, .lo_open = true, .hi_open = true /* (0, 1) */
#define KEEP_UNIT   .lo = 0, .hi = 1, .lo_open = true                 /* (0, 1] */
#define SIZE        .lo = 1, .hi = 16777216
#define AT_LEAST_1  .lo = 1, .hi = INFINITY
#define REQUIRED    .required = true

static const char *const init_names[] = {"default", "he", "xavier", NULL};
static const char *const scaling_names[] = {"train", "test", NULL};
static const char *const mode_names[] = {"triangular", "triangular2", "exp_range", NULL};
static const char *const loss_names[] = {"cross_entropy", "mse", "bce", "mae", "huber", NULL};
static const char *const targets_names[] = {"classes", "values", NULL};
static const char *const normalize_names[] = {"none", "standard", "minmax", NULL};
static const char *const padding_names[] = {"same", NULL};

#define METRIC_NAME(name, field, set, higher, targets) #name,
const char *const schema_metrics[] = {TRAIN_METRIC_LIST(METRIC_NAME) NULL};
#undef METRIC_NAME

/* ---- optimizers (section 4) ---- */

#define WD(d) {"wd", T_NUM, .dflt = d, NONNEGATIVE, .field = OF_WD}

static const struct param sgd_params[] = {
	{"lr", T_NUM, REQUIRED, POSITIVE, .field = OF_LR},
	{"momentum", T_NUM, .dflt = 0, UNIT, .field = OF_MOMENTUM},
	{"dampening", T_NUM, .dflt = 0, UNIT_CLOSED, .field = OF_DAMPENING},
	{"nesterov", T_BOOL, .dflt = 0, .field = OF_NESTEROV},
	WD(0),
	{NULL},
};
static const struct param momentum_params[] = {
	{"lr", T_NUM, REQUIRED, POSITIVE, .field = OF_LR},
	{"gamma", T_NUM, .dflt = 0.9, UNIT, .field = OF_MOMENTUM},
	WD(0),
	{NULL},
};
static const struct param adagrad_params[] = {
	{"lr", T_NUM, .dflt = 0.01, POSITIVE, .field = OF_LR},
	{"eps", T_NUM, .dflt = 1e-10, POSITIVE, .field = OF_EPS},
	{"lr_decay", T_NUM, .dflt = 0, NONNEGATIVE, .field = OF_LR_DECAY},
	{"initial", T_NUM, .dflt = 0, NONNEGATIVE, .field = OF_INITIAL},
	WD(0),
	{NULL},
};
static const struct param rmsprop_params[] = {
	{"lr", T_NUM, .dflt = 0.01, POSITIVE, .field = OF_LR},
	{"alpha", T_NUM, .dflt = 0.99, UNIT, .field = OF_ALPHA},
	{"eps", T_NUM, .dflt = 1e-8, POSITIVE, .field = OF_EPS},
	{"momentum", T_NUM, .dflt = 0, UNIT, .field = OF_MOMENTUM},
	{"centered", T_BOOL, .dflt = 0, .field = OF_CENTERED},
	WD(0),
	{NULL},
};
#define BETAS(b1, b2)                                                           \
	{"beta1", T_NUM, .dflt = b1, UNIT, .field = OF_MOMENTUM},               \
	{"beta2", T_NUM, .dflt = b2, UNIT, .field = OF_BETA2}
#define BETAS_PAIR(text) {"betas", T_PAIR, .dflt_name = text, UNIT, .field = OF_BETAS}
#define ADAM_PARAMS(wd)                                                         \
	{"lr", T_NUM, .dflt = 1e-3, POSITIVE, .field = OF_LR},                  \
	BETAS(0.9, 0.999),                                                      \
	{"eps", T_NUM, .dflt = 1e-8, POSITIVE, .field = OF_EPS},                \
	{"amsgrad", T_BOOL, .dflt = 0, .field = OF_AMSGRAD},                    \
	WD(wd),                                                                 \
	BETAS_PAIR("(0.9, 0.999)"),                                             \
	{"bias_correction", T_BOOL, .dflt = 1, .field = OF_BIAS_CORRECTION},    \
	{NULL}
static const struct param adam_params[] = {ADAM_PARAMS(0)};
static const struct param adamw_params[] = {ADAM_PARAMS(0.01)};
static const struct param nadam_params[] = {
	{"lr", T_NUM, .dflt = 2e-3, POSITIVE, .field = OF_LR},
	BETAS(0.9, 0.999),
	{"eps", T_NUM, .dflt = 1e-8, POSITIVE, .field = OF_EPS},
	{"momentum_decay", T_NUM, .dflt = 4e-3, NONNEGATIVE, .field = OF_MOMENTUM_DECAY},
	WD(0),
	BETAS_PAIR("(0.9, 0.999)"),
	{NULL},
};
static const struct param radam_params[] = {
	{"lr", T_NUM, .dflt = 1e-3, POSITIVE, .field = OF_LR},
	BETAS(0.9, 0.999),
	{"eps", T_NUM, .dflt = 1e-8, POSITIVE, .field = OF_EPS},
	WD(0),
	BETAS_PAIR("(0.9, 0.999)"),
	{NULL},
};
static const struct param lion_params[] = {
	{"lr", T_NUM, REQUIRED, POSITIVE, .field = OF_LR},
	BETAS(0.9, 0.99),
	WD(0),
	BETAS_PAIR("(0.9, 0.99)"),
	{NULL},
};

/* Each row names the runtime optimizer (optim.h's optim_table) it lowers to; each
 * parameter row names the optim_config field it sets (OF_MOMENTUM: the one a
 * momentum_schedule drives). */
const struct sig schema_optimizers[] = {
	{"sgd", sgd_params, 0, .kind = OPT_SGD},
	{"momentum", momentum_params, 0, .kind = OPT_MOMENTUM},
	{"adagrad", adagrad_params, SIG_ADAPTIVE, .kind = OPT_ADAGRAD},
	{"rmsprop", rmsprop_params, SIG_ADAPTIVE, .kind = OPT_RMSPROP},
	{"adam", adam_params, SIG_ADAPTIVE, .kind = OPT_ADAM, .decoupled = "adamw"},
	{"adamw", adamw_params, SIG_ADAPTIVE, .kind = OPT_ADAM},
	{"nadam", nadam_params, SIG_ADAPTIVE, .kind = OPT_NADAM},
	{"radam", radam_params, SIG_ADAPTIVE, .kind = OPT_RADAM},
	{"lion", lion_params, SIG_ADAPTIVE, .kind = OPT_LION},
	{NULL},
};

/* ---- schedules (section 5) ---- */

static const struct param no_params[] = {{NULL}};
static const struct param step_params[] = {
	{"every", T_DUR, REQUIRED},
	{"gamma", T_NUM, .dflt = 0.1, POSITIVE},
	{NULL},
};
static const struct param multistep_params[] = {
	{"at", T_DURS, REQUIRED},
	{"gamma", T_NUM, .dflt = 0.1, POSITIVE},
	{NULL},
};
static const struct param exponential_params[] = {
	{"gamma", T_NUM, REQUIRED, POSITIVE},
	{NULL},
};
static const struct param inv_time_params[] = {
	{"k", T_NUM, REQUIRED, POSITIVE},
	{"power", T_NUM, .dflt = 1, POSITIVE},
	{NULL},
};
static const struct param poly_params[] = {
	{"total", T_DUR, REQUIRED},
	{"power", T_NUM, .dflt = 1, POSITIVE},
	{"end", T_NUM, .dflt = 0, NONNEGATIVE},
	{NULL},
};
static const struct param linear_params[] = {
	{"total", T_DUR, REQUIRED},
	{"start_factor", T_NUM, .dflt = 1, NONNEGATIVE},
	{"end_factor", T_NUM, .dflt = 0, NONNEGATIVE},
	{NULL},
};
static const struct param cosine_params[] = {
	{"total", T_DUR, REQUIRED},
	{"eta_min", T_NUM, .dflt = 0, NONNEGATIVE},
	{NULL},
};
static const struct param restart_params[] = {
	{"T0", T_DUR, REQUIRED},
	{"T_mult", T_INT, .dflt = 1, AT_LEAST_1},
	{"eta_min", T_NUM, .dflt = 0, NONNEGATIVE},
	{NULL},
};
static const struct param triangular_params[] = {
	{"step_size", T_DUR, REQUIRED},
	{"min_lr", T_NUM, REQUIRED, NONNEGATIVE},
	{"mode", T_CHOICE, .dflt_name = "triangular", .choices = mode_names},
	{"gamma", T_NUM, .dflt = 1, POSITIVE},
	{NULL},
};
static const struct param one_cycle_params[] = {
	{"total", T_DUR, REQUIRED},
	{"pct_start", T_NUM, .dflt = 0.3, OPEN_UNIT},
	{"div", T_NUM, .dflt = 25, POSITIVE},
	{"final_div", T_NUM, .dflt = 1e4, POSITIVE},
	{NULL},
};
static const struct param warmup_params[] = {
	{"duration", T_DUR, REQUIRED},
	{"start_factor", T_NUM, .dflt = 0, UNIT_CLOSED},
	{NULL},
};

/* Each row names the runtime schedule (schedule.h) it lowers to. */
const struct sig schema_schedules[] = {
	{"constant", no_params, 0, .kind = SCHED_CONSTANT},
	{"step", step_params, 0, .kind = SCHED_STEP},
	{"multistep", multistep_params, 0, .kind = SCHED_MULTISTEP},
	{"exponential", exponential_params, 0, .kind = SCHED_EXPONENTIAL},
	{"inv_time", inv_time_params, 0, .kind = SCHED_INV_TIME},
	{"poly", poly_params, 0, .length = "total", .zero_end = "end", .kind = SCHED_POLY},
	{"linear", linear_params, 0, .length = "total", .zero_end = "end_factor",
	 .kind = SCHED_LINEAR},
	{"cosine", cosine_params, 0, .length = "total", .zero_end = "eta_min",
	 .kind = SCHED_COSINE},
	{"cosine_restart", restart_params, 0, .kind = SCHED_COSINE_RESTART},
	{"triangular", triangular_params, 0, .kind = SCHED_TRIANGULAR},
	{"one_cycle", one_cycle_params, 0, .length = "total", .kind = SCHED_ONE_CYCLE},
	{"warmup", warmup_params, 0, .length = "duration", .kind = SCHED_WARMUP},
	{NULL},
};

/* ---- layers (section 3, network) ---- */

static const struct param input_params[] = {
	{"size", T_INT, REQUIRED, SIZE},
	{"h", T_INT, .dflt_name = "none", SIZE},
	{"w", T_INT, .dflt_name = "none", SIZE},
	{NULL},
};
static const struct param dense_params[] = {
	{"units", T_INT, REQUIRED, SIZE},
	{"bias", T_BOOL, .dflt = 1},
	{"init", T_CHOICE, .dflt_name = "default", .choices = init_names},
	{NULL},
};
static const struct param leaky_params[] = {{"slope", T_NUM, .dflt = 0.01, ANY}, {NULL}};
static const struct param dropout_params[] = {
	{"rate", T_NUM, .dflt_name = "1 - keep", UNIT},
	{"keep", T_NUM, .dflt_name = "1 - rate", KEEP_UNIT},
	{"scaling", T_CHOICE, .dflt_name = "train", .choices = scaling_names},
	{NULL},
};
static const struct param conv2d_params[] = {
	{"filters", T_INT, REQUIRED, SIZE},
	{"kernel", T_SIZE2, REQUIRED, SIZE},
	{"stride", T_SIZE2, .dflt = 1, .dflt_name = "1", SIZE},
	{"padding", T_SIZE2, .dflt = 0, .dflt_name = "0", .lo = 0, .hi = 16777216,
	 .choices = padding_names},
	{"bias", T_BOOL, .dflt = 1},
	{"init", T_CHOICE, .dflt_name = "default", .choices = init_names},
	{NULL},
};
static const struct param pool_params[] = {
	{"kernel", T_SIZE2, REQUIRED, SIZE},
	{"stride", T_SIZE2, .dflt_name = "kernel", SIZE},
	{NULL},
};
static const struct param batchnorm_params[] = {
	{"momentum", T_NUM, .dflt = 0.1, UNIT_CLOSED},
	{"eps", T_NUM, .dflt = 1e-5, POSITIVE},
	{NULL},
};

/* input(N) is (N); input(C, H, W) is (C, H, W) (check.c refuses two sizes). */
static void input_args(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                       union op_args *out)
{
	(void)sig;
	struct shape *s = &out->input.shape;
	*s = shape_flat((int64_t)vals[0]->num);
	if (vals[1] && vals[2])
		*s = (struct shape){3, {(int64_t)vals[0]->num, (int64_t)vals[1]->num, (int64_t)vals[2]->num}};
}

static void dense_args(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                       union op_args *out)
{
	out->dense = (struct op_dense){
		(int64_t)vals[0]->num, schema_number(sig, vals, "bias") != 0,
		(enum init)schema_choice(&sig->params[2], vals[2]), /* init_names: enum init's order */
	};
}

static void act_args(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                     union op_args *out)
{
	out->act = (struct op_act){(enum activation)sig->variant,
	                           sig->params[0].name ? schema_number(sig, vals, "slope") : 0};
}

static void dropout_args(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                         union op_args *out)
{
	const struct ast *rate = vals[0], *keep = vals[1];
	out->dropout = (struct op_dropout){keep ? keep->num : 1 - rate->num,
	                                   schema_choice(&sig->params[2], vals[2]) == 0 /* train */};
}

static void batchnorm_args(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                           union op_args *out)
{
	(void)sig;
	out->batchnorm = (struct op_batchnorm){schema_number(sig, vals, "momentum"),
	                                       schema_number(sig, vals, "eps")};
}

/* A T_SIZE2 value as (h, w): a number n is (n, n); none given is otherwise. */
static void size2(const struct ast *v, int64_t otherwise, int64_t *h, int64_t *w)
{
	*h = *w = otherwise;
	if (v && v->kind == AST_NUM)
		*h = *w = (int64_t)v->num;
	else if (v && v->kind == AST_TUPLE && v->nkids == 2)
		*h = (int64_t)v->kids[0]->num, *w = (int64_t)v->kids[1]->num;
}

static void conv2d_args(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                        union op_args *out)
{
	const struct ast *init = vals[5], *padding = vals[3];
	struct op_conv *c = &out->conv;
	*c = (struct op_conv){.filters = (int64_t)vals[0]->num,
	                      .same = padding && padding->kind == AST_NAME,
	                      .bias = schema_number(sig, vals, "bias") != 0};
	size2(vals[1], 1, &c->kh, &c->kw);
	size2(vals[2], 1, &c->sh, &c->sw);
	size2(padding, 0, &c->ph, &c->pw);
	c->init = (enum init)schema_choice(&sig->params[5], init); /* init_names: enum init's order */
}

/* maxpool and avgpool: the stride is the kernel unless given. */
static void pool_args(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                      union op_args *out)
{
	(void)sig;
	struct op_pool *p = &out->pool;
	*p = (struct op_pool){0};
	size2(vals[0], 1, &p->kh, &p->kw);
	size2(vals[1], 0, &p->sh, &p->sw);
	if (!vals[1])
		p->sh = p->kh, p->sw = p->kw;
}

#define ACT(NAME, PARAMS, ACTIVATION) \
	{NAME, PARAMS, .op = IR_ACT, .variant = ACTIVATION, .args = act_args}
const struct sig schema_layers[] = {
	{"input", input_params, .op = IR_INPUT, .args = input_args},
	{"dense", dense_params, .op = IR_DENSE, .args = dense_args},
	ACT("relu", no_params, ACT_RELU),
	ACT("tanh", no_params, ACT_TANH),
	ACT("sigmoid", no_params, ACT_SIGMOID),
	ACT("gelu", no_params, ACT_GELU),
	ACT("leaky_relu", leaky_params, ACT_LEAKY_RELU),
	ACT("identity", no_params, ACT_IDENTITY),
	{"dropout", dropout_params, .op = IR_DROPOUT, .args = dropout_args},
	{"batchnorm", batchnorm_params, .op = IR_BATCHNORM, .args = batchnorm_args},
	{"softmax", no_params, .op = IR_SOFTMAX},
	{"flatten", no_params, .op = IR_FLATTEN},
	{"conv2d", conv2d_params, .op = IR_CONV2D, .args = conv2d_args},
	{"maxpool", pool_params, .op = IR_MAXPOOL, .args = pool_args},
	{"avgpool", pool_params, .op = IR_AVGPOOL, .args = pool_args},
	{"global_avgpool", no_params, .op = IR_GLOBAL_AVGPOOL},
	{NULL},
};

/* ---- data sources, regularizers, samplers ---- */

static const struct param idx_params[] = {
	{"images", T_STR, REQUIRED}, {"labels", T_STR, REQUIRED}, {NULL},
};
static const struct param csv_params[] = {
	{"path", T_STR, REQUIRED},
	{"label", T_COLUMN, REQUIRED},
	{"header", T_BOOL, .dflt = 1},
	{NULL},
};
static const struct param npy_params[] = {{"x", T_STR, REQUIRED}, {"y", T_STR, REQUIRED}, {NULL}};
#define SAMPLES {"n", T_INT, REQUIRED, .lo = 1, .hi = 1e8}
static const struct param spirals_params[] = {
	SAMPLES,
	{"classes", T_INT, .dflt = 3, .lo = 2, .hi = 1000},
	{"noise", T_NUM, .dflt = 0.1, NONNEGATIVE},
	{NULL},
};
static const struct param blobs_params[] = {
	SAMPLES,
	{"classes", T_INT, REQUIRED, .lo = 2, .hi = 1000},
	{"dim", T_INT, .dflt = 2, .lo = 1, .hi = 65536},
	{NULL},
};
static const struct param xor_params[] = {SAMPLES, {NULL}};

/* files: the file paths a source's first parameters name (the lowering loads them, a
 * sweep hashes them). */
const struct sig schema_sources[] = {
	{"idx", idx_params, 0, .kind = SOURCE_IDX, .files = 2},
	{"csv", csv_params, 0, .kind = SOURCE_CSV, .files = 1},
	{"npy", npy_params, 0, .kind = SOURCE_NPY, .files = 2},
	{"spirals", spirals_params, 0, .kind = SOURCE_SPIRALS},
	{"blobs", blobs_params, 0, .kind = SOURCE_BLOBS},
	{"xor", xor_params, 0, .kind = SOURCE_XOR},
	{NULL},
};

static const struct param l2_params[] = {{"lambda", T_NUM, REQUIRED, NONNEGATIVE}, {NULL}};

const struct sig schema_regularizers[] = {{"l2", l2_params, 0}, {NULL}};

/* ---- losses (section 3, train) ---- */

static const struct param cross_entropy_params[] = {
	{"smoothing", T_NUM, .dflt = 0, UNIT_CLOSED}, {NULL},
};
static const struct param huber_params[] = {{"delta", T_NUM, .dflt = 1, POSITIVE}, {NULL}};

/* kind: the enum loss, rows in the order of loss_names (the key's choices). */
const struct sig schema_losses[] = {
	{"cross_entropy", cross_entropy_params, 0, .kind = LOSS_CROSS_ENTROPY, .targets = TARGETS_CLASSES},
	{"mse", no_params, 0, .kind = LOSS_MSE, .targets = TARGETS_EITHER},
	{"bce", no_params, 0, .kind = LOSS_BCE, .targets = TARGETS_CLASSES},
	{"mae", no_params, 0, .kind = LOSS_MAE, .targets = TARGETS_VALUES},
	{"huber", huber_params, 0, .kind = LOSS_HUBER, .targets = TARGETS_VALUES},
	{NULL},
};

static const struct param range_params[] = {
	{"low", T_NUM, REQUIRED, ANY}, {"high", T_NUM, REQUIRED, ANY}, {NULL},
};
static const struct param choice_params[] = {{"values", T_NUM, REQUIRED, ANY}, {NULL}};

const struct sig schema_samplers[] = {
	{"loguniform", range_params, 0, .kind = SAMPLE_LOGUNIFORM},
	{"uniform", range_params, 0, .kind = SAMPLE_UNIFORM},
	{"choice", choice_params, 0, .kind = SAMPLE_CHOICE},
	{NULL},
};

/* Gradient clipping and early stopping (section 3's clip and stop keys). */
static const struct param clip_params[] = {{"max", T_NUM, REQUIRED, POSITIVE}, {NULL}};

const struct sig schema_clips[] = {
	{"norm", clip_params, 0, .kind = TRAIN_CLIP_NORM},
	{"value", clip_params, 0, .kind = TRAIN_CLIP_VALUE},
	{NULL},
};

static const struct param patience_params[] = {
	{"epochs", T_INT, REQUIRED, .lo = 1, .hi = 1e6},
	{"metric", T_METRIC, REQUIRED},
	{"min_delta", T_NUM, .dflt = 0, NONNEGATIVE},
	{NULL},
};

const struct sig schema_stops[] = {{"patience", patience_params, 0}, {NULL}};

/* ---- block keys (sections 3, 6, 7) ---- */

const struct param schema_data_keys[] = {
	{"train", T_SOURCE, REQUIRED},
	{"test", T_SOURCE},
	{"validation", T_NUM, .dflt = 0, UNIT},
	{"scale", T_NUM, .dflt = 1, ANY},
	{"normalize", T_CHOICE, .dflt_name = "none", .choices = normalize_names},
	{"shuffle", T_BOOL, .dflt = 1},
	{"targets", T_CHOICE, .dflt_name = "classes", .choices = targets_names},
	{NULL},
};

const struct param schema_train_keys[] = {
	{"network", T_NETWORK, REQUIRED},
	{"data", T_DATA, REQUIRED},
	{"loss", T_LOSS, .dflt_name = "cross_entropy", .choices = loss_names},
	{"optimizer", T_OPTIM, REQUIRED},
	{"schedule", T_SCHED, .dflt_name = "constant"},
	{"momentum_schedule", T_SCHED},
	{"regularize", T_REG},
	{"decay_biases", T_BOOL, .dflt = 0},
	{"epochs", T_INT, REQUIRED, .lo = 1, .hi = 1e6},
	{"batch", T_INT, .dflt = 32, .lo = 1, .hi = 1e7},
	{"seed", T_INT, .dflt = 0, .lo = 0, .hi = 9007199254740992.0},
	{"log", T_STR},
	{"save", T_STR},
	{"load", T_STR},
	{"checkpoint", T_STR},
	{"plot", T_STR},
	{"clip", T_CLIP},
	{"stop", T_STOP},
	{"save_best", T_STR},
	{"best", T_METRIC, .dflt_name = "min val_loss"},
	{NULL},
};

const struct param schema_sweep_keys[] = {
	{"run", T_TRAIN},
	{"metric", T_METRIC, .dflt_name = "max test_acc"},
	{"trials", T_INT, .lo = 1, .hi = 1e6},
	{"sample_seed", T_INT, .dflt = 0, .lo = 0, .hi = 9007199254740992.0},
	{"jobs", T_INT, .lo = 1, .hi = 256},
	{"out", T_STR},
	{"rerun_best", T_INT, .lo = 1, .hi = 1000},
	{NULL},
};

const struct param schema_minimize_keys[] = {
	{"from", T_POINTS, REQUIRED},
	{"optimizer", T_OPTIMS, REQUIRED},
	{"schedule", T_SCHED, .dflt_name = "constant"},
	{"momentum_schedule", T_SCHED},
	{"regularize", T_REG},
	{"steps", T_INT, REQUIRED, .lo = 1, .hi = 1e8},
	{"trace", T_STR},
	{"plot", T_STR},
	{NULL},
};

const struct sig *schema_find(const struct sig *table, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

const struct param *schema_param(const struct param *params, const char *name)
{
	for (; params->name; params++)
		if (strcmp(params->name, name) == 0)
			return params;
	return NULL;
}

int schema_index(const struct sig *sig, const char *name)
{
	const struct param *p = schema_param(sig->params, name);
	return p ? (int)(p - sig->params) : -1;
}

const char **schema_sig_names(const struct sig *table, const char **names, int max)
{
	int n = 0;
	for (; table->name && n < max - 1; table++)
		names[n++] = table->name;
	names[n] = NULL;
	return names;
}

const char **schema_param_names(const struct param *params, const char **names, int max)
{
	int n = 0;
	for (; params->name && n < max - 1; params++)
		names[n++] = params->name;
	names[n] = NULL;
	return names;
}

/* The allowed numbers of p as words ("> 0", "in [0, 1)"), or "" when any will do. */
static void range_words(const struct param *p, char *buf, size_t size)
{
	bool low = p->lo > -INFINITY, high = p->hi < INFINITY;
	if (low && high)
		snprintf(buf, size, " in %c%.15g, %.15g%c", p->lo_open ? '(' : '[', p->lo, p->hi,
		         p->hi_open ? ')' : ']');
	else if (low)
		snprintf(buf, size, " %s %.15g", p->lo_open ? ">" : ">=", p->lo);
	else if (high)
		snprintf(buf, size, " %s %.15g", p->hi_open ? "<" : "<=", p->hi);
	else
		buf[0] = '\0';
}

const char *schema_describe(const struct param *p, char *buf, size_t size)
{
	static const char *const words[] = {
		[T_NUM] = "a number", [T_INT] = "a whole number", [T_BOOL] = "true or false",
		[T_STR] = "a string", [T_DUR] = "a duration (N steps or N epochs)",
		[T_DURS] = "a list of durations", [T_CHOICE] = "one of",
		[T_PAIR] = "a pair (b1, b2)", [T_SIZE2] = "a whole number or a pair (h, w)",
		[T_COLUMN] = "a column name or 0-based index", [T_OPTIM] = "an optimizer",
		[T_OPTIMS] = "an optimizer or a list of them", [T_SCHED] = "a schedule",
		[T_REG] = "a regularizer", [T_CLIP] = "norm(max) or value(max)",
		[T_STOP] = "patience(epochs, metric, min_delta = 0)", [T_SOURCE] = "a data source",
		[T_NETWORK] = "a network",
		[T_DATA] = "a data block", [T_TRAIN] = "a train block",
		[T_METRIC] = "max or min and a metric", [T_POINTS] = "a point or a list of points",
		[T_LOSS] = "one of",
	};
	char range[96] = "";
	if (p->type == T_NUM || p->type == T_INT || p->type == T_DUR || p->type == T_SIZE2)
		range_words(p, range, sizeof range);
	size_t used = (size_t)snprintf(buf, size, "%s%s", words[p->type], range);
	for (const char *const *c = p->choices; c && *c && used < size; c++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", p->type != T_CHOICE && p->type != T_LOSS ? ", or "
		                         : c == p->choices ? " " : ", ", *c);
	if (p->required && used < size)
		snprintf(buf + used, size - used, ", required");
	return buf;
}

const char *schema_signature(const struct sig *sig, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "%s(", sig->name);
	for (const struct param *p = sig->params; p->name && used < size; p++) {
		const char *sep = p == sig->params ? "" : ", ";
		if (p->required)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, p->name);
		else if (p->dflt_name)
			used += (size_t)snprintf(buf + used, size - used, "%s%s = %s", sep, p->name,
			                         p->dflt_name);
		else if (p->type == T_BOOL)
			used += (size_t)snprintf(buf + used, size - used, "%s%s = %s", sep, p->name,
			                         p->dflt ? "true" : "false");
		else if (p->type == T_SCHED || p->type == T_REG || p->type == T_STR
		         || p->type == T_CLIP || p->type == T_STOP)
			used += (size_t)snprintf(buf + used, size - used, "%s%s = ...", sep, p->name);
		else
			used += (size_t)snprintf(buf + used, size - used, "%s%s = %g", sep, p->name,
			                         p->dflt);
	}
	if (used < size)
		snprintf(buf + used, size - used, ")");
	return buf;
}

/* Reports an argument given twice (or positionally and by name). */
static void report_twice(const struct sig *sig, const struct ast *arg, const struct ast *first,
                         struct diag *d)
{
	diag_error(d, arg->name_loc, "'%s' is given twice in %s(...)", arg->str, sig->name);
	diag_note(d, first->loc, "first given here");
}

/* Matches call's arguments to sig's parameters (see schema_bind), reporting to d if given. */
static bool bind_arguments(const struct sig *sig, const struct ast *call,
                           const struct ast *vals[SIG_MAX_PARAMS], struct diag *d)
{
	int nparams = 0, errors = d ? d->errors : 0;
	while (sig->params[nparams].name)
		nparams++;
	for (int i = 0; i < SIG_MAX_PARAMS; i++)
		vals[i] = NULL;
	bool named_seen = false;
	char buf[256];
	for (int i = 0; call->kind == AST_CALL && i < call->nkids; i++) {
		const struct ast *arg = call->kids[i];
		if (arg->kind != AST_ARG) {
			if (named_seen) {
				if (d)
					diag_error(d, arg->loc, "a positional argument after a named one");
			} else if (i >= nparams) {
				if (d) {
					diag_error(d, arg->loc, "too many arguments: %s takes %d", sig->name,
					           nparams);
					diag_help(d, "%s", schema_signature(sig, buf, sizeof buf));
				}
			} else {
				vals[i] = arg;
			}
			continue;
		}
		named_seen = true;
		int at = schema_index(sig, arg->str);
		if (at < 0) {
			if (d) {
				const char *names[SIG_MAX_PARAMS + 1];
				const char *close = diag_closest(arg->str,
					schema_param_names(sig->params, names, SIG_MAX_PARAMS + 1));
				diag_error(d, arg->name_loc, "%s has no parameter '%s'", sig->name, arg->str);
				if (close)
					diag_help(d, "did you mean '%s'?", close);
				else
					diag_help(d, "%s", schema_signature(sig, buf, sizeof buf));
			}
		} else if (vals[at]) {
			if (d)
				report_twice(sig, arg, vals[at], d);
		} else {
			vals[at] = arg->a;
		}
	}
	for (int i = 0; i < nparams; i++)
		if (sig->params[i].required && !vals[i] && d) {
			diag_error(d, call->loc, "%s needs '%s'", sig->name, sig->params[i].name);
			diag_help(d, "%s", schema_signature(sig, buf, sizeof buf));
		}
	return !d || d->errors == errors;
}

/* Records vals as call's binding to sig: the one write to a tree that the checker and the
 * lowering otherwise only read (every node is allocated writable, by ast.c). */
static struct bound *record(const struct sig *sig, const struct ast *call,
                            const struct ast *const vals[SIG_MAX_PARAMS])
{
	struct ast *node = (struct ast *)(uintptr_t)call;
	if (!node->bound && !(node->bound = malloc(sizeof *node->bound)))
		return NULL;
	node->bound->sig = sig;
	memcpy(node->bound->vals, vals, sizeof node->bound->vals);
	return node->bound;
}

bool schema_bind(const struct sig *sig, const struct ast *call,
                 const struct ast *vals[SIG_MAX_PARAMS], struct diag *d)
{
	bool ok = bind_arguments(sig, call, vals, d);
	if (!record(sig, call, vals)) {
		if (d)
			diag_error(d, call->loc, "out of memory");
		return false;
	}
	return ok;
}

/* The node of copy that stands where v stands among call's arguments. */
static const struct ast *copied_argument(const struct ast *call, const struct ast *copy,
                                         const struct ast *v)
{
	for (int j = 0; j < call->nkids; j++) {
		if (call->kids[j] == v)
			return copy->kids[j];
		if (call->kids[j]->kind == AST_ARG && call->kids[j]->a == v)
			return copy->kids[j]->a;
	}
	return NULL;
}

/* Gives every node of copy (made by ast_copy from node: the same shape) node's binding,
 * pointing at copy's own arguments; false when memory runs out. */
static bool copy_bindings(const struct ast *node, struct ast *copy)
{
	if (!node)
		return true;
	if (node->bound) {
		const struct ast *vals[SIG_MAX_PARAMS];
		for (int i = 0; i < SIG_MAX_PARAMS; i++)
			vals[i] = node->bound->vals[i] ? copied_argument(node, copy, node->bound->vals[i])
				: NULL;
		if (!record(node->bound->sig, copy, vals))
			return false;
	}
	bool ok = copy_bindings(node->a, copy->a) && copy_bindings(node->b, copy->b);
	for (int i = 0; ok && i < node->nkids; i++)
		ok = copy_bindings(node->kids[i], copy->kids[i]);
	return ok;
}

struct ast *schema_copy_at(const struct ast *node, struct loc at)
{
	struct ast *copy = ast_copy_at(node, at);
	if (copy && !copy_bindings(node, copy)) {
		ast_free(copy);
		return NULL;
	}
	return copy;
}

const struct bound *schema_bound(const struct sig *table, const struct ast *call)
{
	if (call->bound)
		return call->bound;
	const struct sig *sig = call->str ? schema_find(table, call->str) : NULL;
	const struct ast *vals[SIG_MAX_PARAMS];
	if (!sig)
		return NULL;
	bind_arguments(sig, call, vals, NULL);
	return record(sig, call, vals);
}

double schema_number(const struct sig *sig, const struct ast *const vals[SIG_MAX_PARAMS],
                     const char *name)
{
	int at = schema_index(sig, name);
	if (at < 0)
		return NAN;
	const struct ast *v = vals[at];
	return v && (v->kind == AST_NUM || v->kind == AST_BOOL) ? v->num : sig->params[at].dflt;
}

double schema_number_at(const struct bound *b, int i)
{
	const struct ast *v = b->vals[i];
	return v && (v->kind == AST_NUM || v->kind == AST_BOOL) ? v->num : b->sig->params[i].dflt;
}

double schema_momentum(const struct bound *b)
{
	double momentum = 0;
	for (int i = 0; b->sig->params[i].name; i++) {
		const struct ast *pair = b->vals[i];
		if (b->sig->params[i].field == OF_BETAS && pair && pair->kind == AST_TUPLE
		    && pair->nkids == 2 && pair->kids[0]->kind == AST_NUM)
			return pair->kids[0]->num;
		if (b->sig->params[i].field == OF_MOMENTUM)
			momentum = schema_number_at(b, i);
	}
	return momentum;
}

int schema_choice(const struct param *p, const struct ast *v)
{
	const char *name = v && (v->kind == AST_NAME || v->kind == AST_CALL) ? v->str : p->dflt_name;
	for (int i = 0; p->choices[i]; i++)
		if (strcmp(p->choices[i], name) == 0)
			return i;
	return 0;
}

double schema_setting(const struct param *keys, const struct ast *block, const char *key)
{
	const struct ast *v = ast_value(block, key);
	const struct param *p = schema_param(keys, key);
	assert(p); /* a key of the table */
	return v && (v->kind == AST_NUM || v->kind == AST_BOOL) ? v->num : p->dflt;
}
