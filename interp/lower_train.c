/* lower_train.c — a checked train block to what runtime/train.c runs: its data (found by
 * the path search of LANGUAGE.md section 3, loaded, split, transformed), its network
 * (built, checked against the data, planned) and its settings (see lower.h). */
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lower.h"
#include "schema.h"

static double number_or(const struct ast *v, double otherwise)
{
	return v && (v->kind == AST_NUM || v->kind == AST_BOOL) ? v->num : otherwise;
}

/* Finds a data file: beside the .nn file, then in $DESCENT_DATA, then /usr/share/datasets.
 * Returns 0 with the path in out, or -1 having reported where it looked. */
static int find_data(const char *nn_path, const struct ast *at, const char *given, char *out,
                     size_t size, struct diag *d)
{
	if (given[0] == '/') {
		snprintf(out, size, "%s", given);
		return 0;
	}
	const char *slash = strrchr(nn_path, '/'), *env = getenv("DESCENT_DATA");
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%.*s", slash && strcmp(nn_path, "-") != 0 ? (int)(slash - nn_path)
	         : 1, slash && strcmp(nn_path, "-") != 0 ? nn_path : ".");
	const char *places[] = {dir, env && *env ? env : NULL, "/usr/share/datasets"};
	char tried[1024] = "";
	for (int i = 0; i < 3; i++) {
		if (!places[i])
			continue;
		snprintf(out, size, "%s/%s", places[i], given);
		if (access(out, R_OK) == 0)
			return 0;
		snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s", *tried ? ", " : "",
		         places[i]);
	}
	diag_error(d, at->loc, "cannot find the data file \"%s\"", given);
	diag_help(d, "looked in %s%s", tried, env && *env ? "" : " (and $DESCENT_DATA is not set)");
	return -1;
}

/* Loads one source call (part 0 for train, 1 for test: generated sets differ). */
static int load_source(const struct ast *call, const char *nn_path, uint64_t part,
                       struct dataset *out, struct diag *d)
{
	const struct sig *sig = schema_find(schema_sources, call->str);
	const struct ast *vals[SIG_MAX_PARAMS];
	schema_bind(sig, call, vals, NULL);
	char a[PATH_MAX], b[PATH_MAX];
	struct data_error err = {""};
	int status = -1;
	const char *name = sig->name;
	if (strcmp(name, "idx") == 0 || strcmp(name, "npy") == 0) {
		if (find_data(nn_path, vals[0], vals[0]->str, a, sizeof a, d) != 0
		    || find_data(nn_path, vals[1], vals[1]->str, b, sizeof b, d) != 0)
			return -1;
		status = name[0] == 'i' ? data_load_idx(a, b, out, &err) : data_load_npy(a, b, out, &err);
	} else if (strcmp(name, "csv") == 0) {
		if (find_data(nn_path, vals[0], vals[0]->str, a, sizeof a, d) != 0)
			return -1;
		const struct ast *label = vals[1];
		status = data_load_csv(a, label->kind == AST_STR ? label->str : NULL,
		                       label->kind == AST_NUM ? (int64_t)label->num : 0,
		                       schema_number(sig, vals, "header") != 0, out, &err);
	} else {
		int64_t n = (int64_t)schema_number(sig, vals, "n");
		int classes = (int)schema_number(sig, vals, "classes");
		status = strcmp(name, "spirals") == 0
			? data_spirals(n, classes, schema_number(sig, vals, "noise"), part, out)
			: strcmp(name, "blobs") == 0
			? data_blobs(n, classes, (int)schema_number(sig, vals, "dim"), part, out)
			: data_xor(n, part, out);
		if (status != 0)
			snprintf(err.message, sizeof err.message, "out of memory generating %s", name);
	}
	if (status != 0)
		diag_error(d, call->loc, "%s", err.message);
	return status;
}

/* Loads, splits and transforms the data block's sets. */
static int lower_data(const struct ast *data, const char *nn_path, uint64_t seed,
                      struct train_lowered *t, struct diag *d)
{
	struct dataset all;
	if (load_source(ast_value(data, "train"), nn_path, 0, &all, d) != 0)
		return 1;
	const struct ast *test = ast_value(data, "test");
	if (test && load_source(test, nn_path, 1, &t->test, d) != 0) {
		data_free(&all);
		return 1;
	}
	double fraction = number_or(ast_value(data, "validation"), 0);
	int status = data_split(&all, fraction, seed, &t->train, &t->val);
	data_free(&all);
	if (status == 0 && t->train.n == 0) {
		diag_error(d, data->name_loc, "data '%s' leaves no training samples after the "
		           "validation split", data->str);
		return 1;
	}
	const struct ast *normalize = ast_value(data, "normalize");
	enum data_normalize mode = !normalize || strcmp(normalize->str, "none") == 0 ? NORMALIZE_NONE
		: strcmp(normalize->str, "standard") == 0 ? NORMALIZE_STANDARD : NORMALIZE_MINMAX;
	if (status != 0 || data_fit(&t->train, number_or(ast_value(data, "scale"), 1), mode, &t->tf) != 0) {
		diag_error(d, data->name_loc, "out of memory for data '%s'", data->str);
		return 1;
	}
	t->config.shuffle = number_or(ast_value(data, "shuffle"), 1) != 0;
	return 0;
}

static int too_many_layers(const struct ast *layer, struct diag *d)
{
	diag_error(d, layer->loc, "more than %d layers", NET_MAX_LAYERS);
	return 1;
}

/* Adds one layer of the network block; `counts` numbers the unnamed ones per kind. */
static int add_layer(const struct ast *stmt, int64_t *width, int counts[16], struct net *n,
                     struct diag *d)
{
	static const struct { const char *name; enum activation act; } acts[] = {
		{"relu", ACT_RELU}, {"tanh", ACT_TANH}, {"sigmoid", ACT_SIGMOID}, {"gelu", ACT_GELU},
		{"leaky_relu", ACT_LEAKY_RELU}, {"identity", ACT_IDENTITY},
	};
	const struct ast *layer = stmt->a, *vals[SIG_MAX_PARAMS];
	const struct sig *sig = schema_find(schema_layers, layer->str);
	schema_bind(sig, layer, vals, NULL);
	char name[64];
	int k = ++counts[sig - schema_layers];
	if (stmt->str)
		snprintf(name, sizeof name, "%s", stmt->str);
	else
		snprintf(name, sizeof name, "%s%d", sig->name, k);
	if (strcmp(sig->name, "input") == 0) {
		if ((int64_t)vals[0]->num != *width) {
			diag_error(d, layer->loc, "input(%g), but the data has %lld features", vals[0]->num,
			           (long long)*width);
			return 1;
		}
		return 0;
	}
	if (strcmp(sig->name, "dropout") == 0) {
		const struct ast *rate = vals[schema_index(sig, "rate")], *keep = vals[schema_index(sig, "keep")];
		const struct ast *scaling = vals[schema_index(sig, "scaling")];
		double q = keep ? keep->num : 1 - rate->num;
		bool inverted = !scaling || strcmp(scaling->str, "train") == 0;
		return net_add_dropout(n, name, *width, q, inverted) == 0 ? 0 : too_many_layers(layer, d);
	}
	if (strcmp(sig->name, "batchnorm") == 0)
		return net_add_batchnorm(n, name, *width, schema_number(sig, vals, "momentum"),
		                         schema_number(sig, vals, "eps")) == 0 ? 0
			: too_many_layers(layer, d);
	if (strcmp(sig->name, "dense") == 0) {
		const struct ast *init = vals[2];
		int64_t units = (int64_t)vals[0]->num;
		enum init scheme = !init || strcmp(init->str, "default") == 0 ? INIT_DEFAULT
			: strcmp(init->str, "he") == 0 ? INIT_HE : INIT_XAVIER;
		if (net_add_dense(n, name, *width, units, schema_number(sig, vals, "bias") != 0, scheme) != 0)
			return too_many_layers(layer, d);
		*width = units;
		return 0;
	}
	if (strcmp(sig->name, "softmax") == 0)
		return net_add_softmax(n, name, *width) == 0 ? 0 : too_many_layers(layer, d);
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
		if (strcmp(acts[i].name, sig->name) == 0)
			return net_add_act(n, name, *width, acts[i].act, schema_number(sig, vals, "slope")) == 0
				? 0 : too_many_layers(layer, d);
	return too_many_layers(layer, d); /* not reached: check.c knows every layer */
}

/* The largest class id in a set, or -1 when empty. */
static int32_t top_class(const struct dataset *ds)
{
	int32_t top = -1;
	for (int64_t i = 0; i < ds->n; i++)
		top = ds->y[i] > top ? ds->y[i] : top;
	return top;
}

/* Builds the network on the data's width and checks its outputs against the classes. */
static int lower_network(const struct ast *network, const struct ast *data, struct train_lowered *t,
                         struct diag *d)
{
	int64_t width = t->train.d;
	int counts[16] = {0}, status = 0;
	for (int i = 0; i < network->nkids && status == 0; i++)
		status = add_layer(network->kids[i], &width, counts, &t->net, d);
	if (status != 0)
		return status;
	if (t->net.nlayers == 0) {
		diag_error(d, network->name_loc, "network '%s' has no layer to train", network->str);
		return 1;
	}
	int32_t top = top_class(&t->train);
	top = top_class(&t->val) > top ? top_class(&t->val) : top;
	top = top_class(&t->test) > top ? top_class(&t->test) : top;
	bool binary = t->net.loss == LOSS_BCE && width == 1;
	if (binary ? top > 1 : top >= width) {
		diag_error(d, network->name_loc, "network '%s' ends with %lld output%s, but data '%s' "
		           "has %d classes", network->str, (long long)width, width == 1 ? "" : "s",
		           data->str, top + 1);
		diag_help(d, "make the last dense layer dense(%d)", top + 1);
		return 1;
	}
	return 0;
}

/* Reads the train block's own settings (optimizer, schedules, regularization, sizes). */
static void lower_settings(const struct ast *block, struct train_lowered *t)
{
	char label[128];
	const struct ast *loss = ast_value(block, "loss"), *reg = ast_value(block, "regularize");
	t->net.loss = !loss || strcmp(loss->str, "cross_entropy") == 0 ? LOSS_CROSS_ENTROPY
		: strcmp(loss->str, "mse") == 0 ? LOSS_MSE : LOSS_BCE;
	t->net.opt = lower_optimizer(ast_value(block, "optimizer"), label, sizeof label);
	t->net.decay_biases = number_or(ast_value(block, "decay_biases"), 0) != 0;
	if (reg) {
		const struct ast *vals[SIG_MAX_PARAMS];
		const struct sig *sig = schema_find(schema_regularizers, reg->str);
		schema_bind(sig, reg, vals, NULL);
		t->net.l2 = schema_number(sig, vals, "lambda");
	}
	t->config.epochs = (int)number_or(ast_value(block, "epochs"), 1);
	t->config.batch = (int64_t)number_or(ast_value(block, "batch"), 32);
	t->config.seed = (uint64_t)number_or(ast_value(block, "seed"), 0);
	t->log = ast_value(block, "log");
	t->save = ast_value(block, "save");
	t->load = ast_value(block, "load");
	t->plot = ast_value(block, "plot");
	t->checkpoint = ast_value(block, "checkpoint");
}

int lower_train(const struct ast *file, const struct ast *block, int index, const char *nn_path,
                struct train_lowered *t, struct diag *d)
{
	*t = (struct train_lowered){0};
	if (block->str)
		snprintf(t->name, sizeof t->name, "%s", block->str);
	else
		snprintf(t->name, sizeof t->name, "train%d", index);
	const struct ast *net_name = ast_value(block, "network"), *data_name = ast_value(block, "data");
	assert(net_name && data_name); /* required keys: check.c saw to them */
	const struct ast *network = check_find_block(file, BLOCK_NETWORK, net_name->str);
	const struct ast *data = check_find_block(file, BLOCK_DATA, data_name->str);
	assert(network && data);
	snprintf(t->network, sizeof t->network, "%s", network->str);
	snprintf(t->data, sizeof t->data, "%s", data->str);
	lower_settings(block, t);
	int status = lower_data(data, nn_path, t->config.seed, t, d);
	if (status == 0)
		status = lower_network(network, data, t, d);
	if (status != 0) {
		lower_train_free(t);
		return status;
	}
	t->steps_per_epoch = (t->train.n + t->config.batch - 1) / t->config.batch;
	const struct ast *schedule = ast_value(block, "schedule");
	const struct ast *momentum = ast_value(block, "momentum_schedule");
	if ((schedule && !(t->schedule = lower_schedule(schedule, (double)t->steps_per_epoch, d)))
	    || (momentum && !(t->momentum_schedule = lower_schedule(momentum, (double)t->steps_per_epoch, d)))) {
		lower_train_free(t);
		return 1;
	}
	t->config.schedule = t->schedule;
	t->config.momentum_schedule = t->momentum_schedule;
	char err[256];
	int64_t batch = t->config.batch < t->train.n ? t->config.batch : t->train.n;
	if (net_plan(&t->net, batch, err, sizeof err) != 0) {
		diag_error(d, network->name_loc, "%s", err);
		lower_train_free(t);
		return 1;
	}
	return 0;
}

void lower_train_free(struct train_lowered *t)
{
	net_free(&t->net);
	data_free(&t->train);
	data_free(&t->val);
	data_free(&t->test);
	data_transform_free(&t->tf);
	sched_free(t->schedule);
	sched_free(t->momentum_schedule);
	t->schedule = t->momentum_schedule = NULL;
}

int lower_data_path(const char *nn_path, const struct ast *given, char *out, size_t size)
{
	struct diag quiet;
	diag_init(&quiet, NULL);
	return find_data(nn_path, given, given->str, out, size, &quiet);
}
