/* lower_train.c — a checked train block to what runtime/train.c runs: its data (found by
 * the path search of LANGUAGE.md section 3, loaded, split, transformed), its network
 * (built, checked against the data, planned) and its settings (see lower.h). */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lower.h"
#include "schema.h"

/* A data or train block's setting: the number given, or the schema's default. */
static double data_setting(const struct ast *data, const char *key)
{
	return schema_setting(schema_data_keys, data, key);
}

static double train_setting(const struct ast *block, const char *key)
{
	return schema_setting(schema_train_keys, block, key);
}

/* Whether the data file found at path can be read; if not, reports why at the path given
 * in the .nn file (a folder, a symbolic link to nothing, no permission) and that the
 * search stopped there (stopped: whether places were left to look in). */
static bool readable_data(const char *path, const struct ast *at, const char *given,
                          bool stopped, struct diag *d)
{
	struct stat st;
	const char *why = NULL;
	if (stat(path, &st) != 0)
		why = errno == ENOENT && lstat(path, &st) == 0
			? "it is a symbolic link to a file that does not exist"
			: errno == EACCES ? "permission denied" : strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "it is a folder, not a file";
	else if (access(path, R_OK) != 0)
		why = errno == EACCES ? "permission denied" : strerror(errno);
	if (!why)
		return true;
	diag_error(d, at->loc, "cannot read the data file \"%s\": %s: %s", given, path, why);
	if (stopped)
		diag_help(d, "the search stops at the first file of that name, so no other folder "
		          "was tried");
	return false;
}

/* Finds a data file: beside the .nn file, then in $DESCENT_DATA, then /usr/share/datasets;
 * the first place where the name exists is the file (one that exists but cannot be read
 * is an error, so a file of the same name elsewhere is never loaded instead). Returns 0
 * with the path in out, or -1 having reported where it looked or why it cannot read. */
static int find_data(const char *nn_path, const struct ast *at, const char *given, char *out,
                     size_t size, struct diag *d)
{
	struct stat st;
	if (given[0] == '/') { /* one place; a missing file is the loader's "cannot open" */
		snprintf(out, size, "%s", given);
		return lstat(out, &st) != 0 || readable_data(out, at, given, false, d) ? 0 : -1;
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
		/* a name that exists, even a link to nothing, or one we may not look at */
		if (lstat(out, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
			return readable_data(out, at, given, i < 2, d) ? 0 : -1;
		snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s", *tried ? ", " : "",
		         places[i]);
	}
	diag_error(d, at->loc, "cannot find the data file \"%s\"", given);
	diag_help(d, "looked in %s%s", tried, env && *env ? "" : " (and $DESCENT_DATA is not set)");
	return -1;
}

/* Loads the target values of a csv call (targets = values): its label, one column or a
 * list of them (names or indices), from the file at path. */
static int load_csv_values(const char *path, const struct sig *sig,
                           const struct ast *const *vals, struct dataset *out,
                           struct data_error *err)
{
	const struct ast *label = vals[1];
	int count = label->kind == AST_LIST ? label->nkids : 1;
	const struct ast *const *cols = label->kind == AST_LIST
		? (const struct ast *const *)label->kids : &vals[1];
	const char **names = malloc((size_t)count * sizeof *names);
	int64_t *indices = malloc((size_t)count * sizeof *indices);
	int status = -1;
	if (!names || !indices) {
		snprintf(err->message, sizeof err->message, "%.400s: out of memory", path);
	} else {
		for (int k = 0; k < count; k++) {
			names[k] = cols[k]->kind == AST_STR ? cols[k]->str : NULL;
			indices[k] = cols[k]->kind == AST_NUM ? (int64_t)cols[k]->num : 0;
		}
		status = data_load_csv_values(path, names, indices, count,
		                              schema_number(sig, vals, "header") != 0, out, err);
	}
	free(names);
	free(indices);
	return status;
}

/* Loads one source call (part 0 for train, 1 for test: generated sets differ); a CSV
 * test file takes the string labels of known, the training set (NULL for train); with
 * values, target values instead of labels (csv and npy only: check.c saw to it). */
static int load_source(const struct ast *call, const char *nn_path, uint64_t part,
                       const struct dataset *known, bool values, struct dataset *out,
                       struct diag *d)
{
	const struct bound *bound = schema_bound(schema_sources, call);
	if (!bound) {
		diag_error(d, call->loc, "out of memory");
		return -1;
	}
	const struct sig *sig = bound->sig;
	const struct ast *const *vals = bound->vals;
	char a[PATH_MAX], b[PATH_MAX];
	struct data_error err = {""};
	int status = -1;
	if (sig->files == 2) {
		if (find_data(nn_path, vals[0], vals[0]->str, a, sizeof a, d) != 0
		    || find_data(nn_path, vals[1], vals[1]->str, b, sizeof b, d) != 0)
			return -1;
		status = sig->kind == SOURCE_IDX ? data_load_idx(a, b, out, &err)
			: values ? data_load_npy_values(a, b, out, &err) : data_load_npy(a, b, out, &err);
	} else if (sig->kind == SOURCE_CSV) {
		if (find_data(nn_path, vals[0], vals[0]->str, a, sizeof a, d) != 0)
			return -1;
		const struct ast *label = vals[1];
		status = values ? load_csv_values(a, sig, vals, out, &err) : data_load_csv_as(a, label->kind == AST_STR ? label->str : NULL,
		                          label->kind == AST_NUM ? (int64_t)label->num : 0,
		                          schema_number(sig, vals, "header") != 0, known, out, &err);
	} else {
		int64_t n = (int64_t)schema_number(sig, vals, "n");
		int classes = (int)schema_number(sig, vals, "classes");
		status = sig->kind == SOURCE_SPIRALS
			? data_spirals(n, classes, schema_number(sig, vals, "noise"), part, out)
			: sig->kind == SOURCE_BLOBS
			? data_blobs(n, classes, (int)schema_number(sig, vals, "dim"), part, out)
			: data_xor(n, part, out);
		if (status != 0)
			snprintf(err.message, sizeof err.message, "out of memory generating %s", sig->name);
	}
	if (status != 0)
		diag_error(d, call->loc, "%s", err.message);
	return status;
}

int lower_csv_columns(const struct ast *call, const char *nn_path, const char *path,
                      bool features_only, int64_t width, char ***names, int *count,
                      struct data_error *err)
{
	const struct bound *b = call && call->kind == AST_CALL ? schema_bound(schema_sources, call)
		: NULL;
	char found[PATH_MAX];
	*names = NULL;
	*count = 0;
	if (!b || b->sig->kind != SOURCE_CSV || schema_number(b->sig, b->vals, "header") == 0)
		return 1;
	if (!path && lower_data_path(nn_path, b->vals[0], found, sizeof found) != 0)
		return 1; /* not found: loading it says so */
	const struct ast *label = b->vals[1];
	return data_csv_columns(path ? path : found, features_only && label->kind == AST_STR
	                        ? label->str : NULL, features_only && label->kind == AST_NUM
	                        ? (int64_t)label->num : -1, width, names, count, err);
}

int lower_columns_differ(char *const *a, int na, char *const *b, int nb)
{
	for (int i = 0; i < na && i < nb; i++)
		if (strcmp(a[i], b[i]) != 0)
			return i;
	return na == nb ? -1 : na < nb ? na : nb;
}

/* Refuses a test CSV with a header whose columns are not the training file's (names and
 * order, the label's included): its rows would be read by position. 0, or -1 reported at
 * the test call. */
static int check_test_columns(const struct ast *data, const char *nn_path, struct diag *d)
{
	const struct ast *train = ast_value(data, "train"), *test = ast_value(data, "test");
	char **want = NULL, **have = NULL, path[PATH_MAX];
	int nwant = 0, nhave = 0, status = 0;
	struct data_error err = {""};
	if (lower_csv_columns(train, nn_path, NULL, false, -1, &want, &nwant, &err) == 0
	    && lower_csv_columns(test, nn_path, NULL, false, -1, &have, &nhave, &err) == 0) {
		int at = lower_columns_differ(want, nwant, have, nhave);
		const struct bound *b = schema_bound(schema_sources, test);
		lower_data_path(nn_path, b->vals[0], path, sizeof path);
		if (at >= 0 && at < nwant && at < nhave)
			diag_error(d, test->loc, "%s:1: column %d is '%s', but the training file's column "
			           "%d is '%s'", path, at + 1, have[at], at + 1, want[at]);
		else if (at >= 0)
			diag_error(d, test->loc, "%s:1: %d columns, but the training file has %d", path,
			           nhave, nwant);
		if (at >= 0)
			diag_help(d, "a test CSV must have the training file's header: the same column "
			          "names in the same order, the label's included");
		status = at >= 0 ? -1 : 0;
	}
	data_names_free(want, nwant);
	data_names_free(have, nhave);
	return status;
}

/* Loads, splits and transforms the data block's sets. */
static int lower_data(const struct ast *data, const char *nn_path, uint64_t seed,
                      struct train_lowered *t, struct diag *d)
{
	struct dataset all;
	bool values = schema_choice(schema_param(schema_data_keys, "targets"),
	                            ast_value(data, "targets")) == 1;
	if (load_source(ast_value(data, "train"), nn_path, 0, NULL, values, &all, d) != 0)
		return 1;
	const struct ast *test = ast_value(data, "test");
	if (test && check_test_columns(data, nn_path, d) != 0) {
		data_free(&all);
		return 1;
	}
	if (test && load_source(test, nn_path, 1, &all, values, &t->test, d) != 0) {
		data_free(&all);
		return 1;
	}
	if (test && t->test.targets != all.targets) {
		diag_error(d, test->loc, "this test set has %lld target column%s, the training set "
		           "%lld", (long long)t->test.targets, t->test.targets == 1 ? "" : "s",
		           (long long)all.targets);
		data_free(&all);
		return 1;
	}
	t->net.targets = all.targets;
	if (test && all.names && !t->test.names) {
		diag_error(d, test->loc, "the labels of this test set are class ids, but the training "
		           "labels are names (%s, ...)", all.names[0]);
		data_free(&all);
		return 1;
	}
	double fraction = data_setting(data, "validation");
	int status = data_split_take(&all, fraction, seed, &t->train, &t->val);
	data_free(&all);
	if (status == 0 && t->train.n == 0) {
		diag_error(d, data->name_loc, "data '%s' leaves no training samples after the "
		           "validation split", data->str);
		return 1;
	}
	enum data_normalize mode = (enum data_normalize)schema_choice(
		schema_param(schema_data_keys, "normalize"), ast_value(data, "normalize"));
	if (status != 0 || data_fit(&t->train, data_setting(data, "scale"), mode, &t->tf) != 0) {
		diag_error(d, data->name_loc, "out of memory for data '%s'", data->str);
		return 1;
	}
	t->config.shuffle = data_setting(data, "shuffle") != 0;
	return 0;
}

/* Adds layer statement i of the network block: its op and arguments from its schema row,
 * its shape from the op's rule (a refusal is reported at the layer, with its help). */
static int add_layer(const struct ast *network, int i, struct net *n, struct diag *d)
{
	const struct ast *layer = network->kids[i]->a;
	const struct bound *b = schema_bound(schema_layers, layer);
	if (!b) {
		diag_error(d, layer->loc, "out of memory");
		return 1;
	}
	const struct sig *sig = b->sig;
	const struct ast *const *vals = b->vals;
	struct net_layer l = {.op = sig->op};
	check_layer_name(network, i, l.name, sizeof l.name);
	if (sig->args)
		sig->args(sig, vals, &l.a);
	char err[600];
	if (net_add(n, &l, err, sizeof err) == 0)
		return 0;
	char *help = strchr(err, '\n');
	if (help)
		*help++ = '\0';
	diag_error(d, layer->loc, "%s", err);
	if (help)
		diag_help(d, "%s", help);
	return 1;
}

int lower_layers(const struct ast *network, struct shape input, struct net *n, struct diag *d)
{
	int status = 0;
	n->input = input;
	for (int i = 0; i < network->nkids && status == 0; i++)
		status = add_layer(network, i, n, d);
	return status;
}

/* The largest class id in a set, or -1 when empty. */
static int32_t top_class(const struct dataset *ds)
{
	int32_t top = -1;
	for (int64_t i = 0; i < ds->n; i++)
		top = ds->y[i] > top ? ds->y[i] : top;
	return top;
}

/* Reports a regression network whose outputs are not one per target column; returns 1. */
static int wrong_width(const struct ast *network, const struct ast *data, int64_t width,
                       int64_t targets, struct diag *d)
{
	diag_error(d, network->name_loc, "network '%s' ends with %lld output%s, but data '%s' has "
	           "%lld target column%s", network->str, (long long)width, width == 1 ? "" : "s",
	           data->str, (long long)targets, targets == 1 ? "" : "s");
	diag_help(d, "make the last dense layer dense(%lld): one output per target",
	          (long long)targets);
	return 1;
}

/* Builds the network on the data's width and checks its outputs against the classes. */
static int lower_network(const struct ast *network, const struct ast *data, struct train_lowered *t,
                         struct diag *d)
{
	int status = lower_layers(network, t->train.shape, &t->net, d);
	if (status != 0)
		return status;
	int computing = 0; /* layers that are not views (input, flatten) */
	for (int i = 0; i < t->net.nlayers; i++)
		computing += !ops[t->net.layers[i].op].view;
	int64_t width = t->net.nlayers ? t->net.layers[t->net.nlayers - 1].out : 0;
	if (computing == 0) {
		diag_error(d, network->name_loc, "network '%s' has no layer to train", network->str);
		return 1;
	}
	if (t->net.targets > 0 && width != t->net.targets)
		return wrong_width(network, data, width, t->net.targets, d);
	if (t->net.targets > 0)
		return 0;
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
	int classes = t->train.names ? t->train.classes : top + 1;
	if (!binary && width > classes) {
		diag_warning(d, network->name_loc, "network '%s' ends with %lld outputs, but data '%s' "
		             "has %d class%s: outputs %d to %lld stand for no class", network->str,
		             (long long)width, data->str, classes, classes == 1 ? "" : "es", classes,
		             (long long)width - 1);
		diag_help(d, "make the last dense layer dense(%d)", classes);
	}
	return 0;
}

/* How many different labels the set's rows hold (0 for an empty set). */
static int distinct_classes(const struct dataset *ds)
{
	int32_t top = top_class(ds);
	unsigned char *seen = calloc((size_t)top + 2, 1);
	if (!seen)
		return 2; /* out of memory: no warning */
	int count = 0;
	for (int64_t i = 0; i < ds->n; i++)
		if (!seen[ds->y[i]]++)
			count++;
	free(seen);
	return count;
}

/* Warns of a training set with one class: nothing to tell apart, and accuracy 1. */
static void warn_one_class(const struct ast *data, const struct train_lowered *t, struct diag *d)
{
	if (t->net.targets > 0 || distinct_classes(&t->train) != 1)
		return;
	char label[80];
	if (t->train.names)
		snprintf(label, sizeof label, "'%.60s'", t->train.names[t->train.y[0]]);
	else
		snprintf(label, sizeof label, "%d", t->train.y[0]);
	diag_warning(d, ast_value(data, "train")->loc, "data '%s' has one class: every one of its "
	             "%lld training rows has the label %s", data->str, (long long)t->train.n, label);
	diag_note(d, data->name_loc, "a classifier of one class has nothing to learn, and its "
	          "accuracy is 1 whatever it does");
}

/* The first batchnorm layer of the network, or NULL. */
static const struct ast *first_batchnorm(const struct ast *network)
{
	for (int i = 0; i < network->nkids; i++) {
		const struct ast *layer = network->kids[i]->a;
		const struct bound *b = layer && layer->str ? schema_bound(schema_layers, layer) : NULL;
		if (b && b->sig->op == IR_BATCHNORM)
			return layer;
	}
	return NULL;
}

/* The batch size nearest to batch (from 2 to n) whose last batch of n rows is not one
 * row, or 0 if there is none. */
static int64_t other_batch(int64_t n, int64_t batch)
{
	for (int64_t step = 1; step < n; step++) {
		if (batch - step >= 2 && n % (batch - step) != 1)
			return batch - step;
		if (batch + step <= n && n % (batch + step) != 1)
			return batch + step;
	}
	return 0;
}

/* Checks the batch size against the training rows: a batch larger than the data warns;
 * a last batch of one row with batchnorm is an error (batchnorm needs more than one value
 * per feature in a training batch, as PyTorch's BatchNorm1d does). 0 or 1 (reported). */
static int check_batch(const struct ast *block, const struct ast *network,
                       const struct train_lowered *t, struct diag *d)
{
	const struct ast *key = ast_value(block, "batch");
	struct loc at = key ? key->loc : block->name_loc;
	int64_t n = t->train.n, batch = t->config.batch;
	char split[64] = "";
	if (t->val.n > 0)
		snprintf(split, sizeof split, " after the validation split of %lld",
		         (long long)t->val.n);
	if (batch > n)
		diag_warning(d, at, "batch = %lld%s is larger than the %lld training rows%s: every "
		             "step takes all %lld", (long long)batch, key ? "" : " (the default)",
		             (long long)n, split, (long long)n);
	const struct ast *bn = first_batchnorm(network);
	if (!bn || (batch != 1 && n % batch != 1))
		return 0;
	if (batch == 1)
		diag_error(d, at, "batch = 1 gives batchnorm one row per training batch, and it "
		           "needs more than one value per feature");
	else
		diag_error(d, at, "the last batch of every epoch holds one row (%lld training rows%s, "
		           "batch = %lld), and batchnorm needs more than one value per feature in a "
		           "training batch", (long long)n, split, (long long)batch);
	diag_note(d, bn->loc, "the batchnorm layer");
	int64_t other = other_batch(n, batch);
	if (other)
		diag_help(d, "choose another batch size, e.g. batch = %lld (descent does not drop a "
		          "last batch)", (long long)other);
	else
		diag_help(d, "one training row cannot train batchnorm: give more data or a smaller "
		          "validation fraction");
	return 1;
}

/* The metric a checked `max NAME` or `min NAME` watches. */
static struct train_watch watch_of(const struct ast *metric)
{
	return (struct train_watch){true, train_metric_find(metric->b->str),
	                            strcmp(metric->a->str, "max") == 0};
}

/* Reads clip, stop, save_best and best into t's config (see train.h). */
static void lower_watching(const struct ast *block, struct train_lowered *t)
{
	const struct ast *clip = ast_value(block, "clip"), *stop = ast_value(block, "stop");
	const struct ast *best = ast_value(block, "best");
	const struct bound *b;
	if (clip && (b = schema_bound(schema_clips, clip))) {
		t->config.clip = (enum train_clip)b->sig->kind;
		t->config.clip_max = schema_number(b->sig, b->vals, "max");
	}
	if (stop && (b = schema_bound(schema_stops, stop))) {
		t->config.stop = watch_of(b->vals[schema_index(b->sig, "metric")]);
		t->config.patience = (int)schema_number(b->sig, b->vals, "epochs");
		t->config.min_delta = schema_number(b->sig, b->vals, "min_delta");
	}
	t->save_best = ast_value(block, "save_best");
	if (t->save_best)
		t->config.best = best ? watch_of(best)
			: (struct train_watch){true, train_metric_find("val_loss"), false};
}

/* Whether a watched metric (stop's, best's) is measured on a set the loaded data has:
 * `validation = 0.003` of 150 rows leaves no validation rows, so a val_ metric would
 * never be seen and stop or save_best would silently do nothing. 0, or 1 (reported at
 * the key). */
static int check_watched_sets(const struct ast *block, const struct ast *data,
                              const struct train_lowered *t, struct diag *d)
{
	const struct train_watch *watch[2] = {&t->config.stop, &t->config.best};
	const char *key[2] = {"stop", "save_best"};
	int status = 0;
	for (int k = 0; k < 2; k++) {
		if (!watch[k]->on || watch[k]->metric < 0)
			continue;
		const struct train_metric *m = &train_metric_table[watch[k]->metric];
		if ((m->set == TRAIN_SET_VAL && t->val.n == 0)
		    || (m->set == TRAIN_SET_TEST && t->test.n == 0)) {
			diag_error(d, ast_value(block, key[k])->loc, "%s watches '%s', but data '%s' "
			           "has no %s rows once loaded", key[k], m->name, data->str,
			           m->set == TRAIN_SET_VAL ? "validation" : "test");
			if (m->set == TRAIN_SET_VAL)
				diag_help(d, "%lld rows × validation %g rounds to 0 rows: raise "
				          "validation", (long long)(t->train.n + t->val.n),
				          data_setting(data, "validation"));
			status = 1;
		}
	}
	return status;
}

void lower_loss(const struct ast *block, struct net *net)
{
	const struct ast *loss = ast_value(block, "loss");
	net->loss = (enum loss)schema_choice(schema_param(schema_train_keys, "loss"), loss);
	const struct bound *lb = loss ? schema_bound(schema_losses, loss) : NULL;
	net->smoothing = lb && net->loss == LOSS_CROSS_ENTROPY
		? schema_number(lb->sig, lb->vals, "smoothing") : 0;
	net->huber_delta = lb && net->loss == LOSS_HUBER
		? schema_number(lb->sig, lb->vals, "delta") : 1;
}

/* Reads the train block's own settings (optimizer, schedules, regularization, sizes). */
static void lower_settings(const struct ast *block, struct train_lowered *t)
{
	char label[128];
	const struct ast *reg = ast_value(block, "regularize");
	lower_loss(block, &t->net);
	t->net.opt = lower_optimizer(ast_value(block, "optimizer"), label, sizeof label);
	t->net.decay_biases = train_setting(block, "decay_biases") != 0;
	if (reg) {
		const struct bound *b = schema_bound(schema_regularizers, reg);
		t->net.l2 = b ? schema_number(b->sig, b->vals, "lambda") : NAN;
	}
	t->config.epochs = (int)train_setting(block, "epochs");
	t->config.batch = (int64_t)train_setting(block, "batch");
	t->config.seed = (uint64_t)train_setting(block, "seed");
	t->log = ast_value(block, "log");
	t->save = ast_value(block, "save");
	t->load = ast_value(block, "load");
	t->plot = ast_value(block, "plot");
	t->checkpoint = ast_value(block, "checkpoint");
	lower_watching(block, t);
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
	if (status == 0) {
		warn_one_class(data, t, d);
		status = check_batch(block, network, t, d) | check_watched_sets(block, data, t, d);
	}
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
	struct diag quiet; /* a file not found is reported when the block is lowered */
	diag_init(&quiet, NULL);
	return find_data(nn_path, given, given->str, out, size, &quiet);
}

int lower_data_files(const struct ast *data, const char *nn_path, char (*out)[PATH_MAX], int max)
{
	static const char *const parts[] = {"train", "test"};
	int n = 0;
	for (int p = 0; p < 2; p++) {
		const struct ast *call = ast_value(data, parts[p]);
		const struct bound *b = call && call->str ? schema_bound(schema_sources, call) : NULL;
		if (!b)
			continue;
		for (int f = 0; f < b->sig->files && n < max; f++)
			if (b->vals[f] && b->vals[f]->kind == AST_STR
			    && lower_data_path(nn_path, b->vals[f], out[n], PATH_MAX) == 0)
				n++;
	}
	return n;
}

/* One sample's shape of the data block's training set from its file's header alone (as
 * the loader would give it); -1, reporting nothing, when the file is not found or cannot
 * be read (the run reports that). */
static int header_shape(const struct ast *data, const char *nn_path, struct shape *out)
{
	const struct ast *call = ast_value(data, "train");
	const struct bound *b = call && call->str ? schema_bound(schema_sources, call) : NULL;
	if (!b)
		return -1;
	const struct sig *sig = b->sig;
	char path[PATH_MAX];
	struct data_error err;
	if (sig->files > 0 && (!b->vals[0] || b->vals[0]->kind != AST_STR
	                       || lower_data_path(nn_path, b->vals[0], path, sizeof path) != 0))
		return -1;
	switch ((enum source_kind)sig->kind) {
	case SOURCE_IDX: return data_sample_shape_idx(path, out, &err);
	case SOURCE_NPY: return data_sample_shape_npy(path, out, &err);
	case SOURCE_CSV: {
		const struct ast *label = b->vals[schema_index(sig, "label")];
		int extra = label && label->kind == AST_LIST ? label->nkids - 1 : 0; /* more targets */
		if (data_sample_shape_csv(path, out, &err) != 0 || out->dim[0] - extra < 1)
			return -1;
		*out = shape_flat(out->dim[0] - extra);
		return 0;
	}
	case SOURCE_BLOBS: *out = shape_flat((int64_t)schema_number(sig, b->vals, "dim")); return 0;
	case SOURCE_SPIRALS: *out = shape_flat(DATA_SPIRALS_DIM); return 0;
	case SOURCE_XOR: *out = shape_flat(DATA_XOR_DIM); return 0;
	}
	return -1;
}

int lower_source(const struct ast *call, const char *nn_path, uint64_t part,
                 const struct dataset *known, bool values, struct dataset *out,
                 struct diag *d)
{
	return load_source(call, nn_path, part, known, values, out, d);
}

int lower_sample_shape(const struct ast *data, const char *nn_path, struct shape *out)
{
	return header_shape(data, nn_path, out);
}

/* The target columns of a data block with targets = values, from the .nn file (a csv's
 * label list) or the header of an npy's y; 0 for classes, -1 when not known (a file not
 * found or not readable: the run reports it). */
static int64_t header_targets(const struct ast *data, const char *nn_path)
{
	const struct ast *targets = ast_value(data, "targets");
	const struct ast *call = ast_value(data, "train");
	const struct bound *b = call && call->str ? schema_bound(schema_sources, call) : NULL;
	if (!targets || targets->kind != AST_NAME || strcmp(targets->str, "values") != 0)
		return 0;
	if (!b || (b->sig->kind != SOURCE_CSV && b->sig->kind != SOURCE_NPY))
		return -1;
	if (b->sig->kind == SOURCE_CSV) {
		const struct ast *label = b->vals[schema_index(b->sig, "label")];
		return label && label->kind == AST_LIST ? label->nkids : 1;
	}
	char path[PATH_MAX];
	struct data_error err;
	struct shape y;
	if (!b->vals[1] || b->vals[1]->kind != AST_STR
	    || lower_data_path(nn_path, b->vals[1], path, sizeof path) != 0
	    || data_sample_shape_npy(path, &y, &err) != 0)
		return -1;
	return shape_size(&y);
}

/* Whether a train block before index i of file pairs the same network and data names
 * (its shapes were walked already). */
static bool walked_before(const struct ast *file, int i, const char *network, const char *data)
{
	for (int j = 0; j < i; j++) {
		const struct ast *b = file->kids[j];
		if (b->kind == AST_BLOCK && b->op == BLOCK_TRAIN
		    && strcmp(ast_value(b, "network")->str, network) == 0
		    && strcmp(ast_value(b, "data")->str, data) == 0)
			return true;
	}
	return false;
}

int lower_check_shapes(const struct ast *file, const char *nn_path, struct diag *d)
{
	int status = 0;
	struct net *n = malloc(sizeof *n);
	for (int i = 0; n && i < file->nkids; i++) {
		const struct ast *block = file->kids[i];
		if (block->kind != AST_BLOCK || block->op != BLOCK_TRAIN)
			continue;
		const char *net_name = ast_value(block, "network")->str;
		const char *data_name = ast_value(block, "data")->str;
		const struct ast *data = check_find_block(file, BLOCK_DATA, data_name);
		struct shape input;
		if (walked_before(file, i, net_name, data_name) || header_shape(data, nn_path, &input) != 0)
			continue;
		*n = (struct net){0};
		const struct ast *network = check_find_block(file, BLOCK_NETWORK, net_name);
		int walked = lower_layers(network, input, n, d);
		int64_t targets = walked == 0 && n->nlayers > 0 ? header_targets(data, nn_path) : 0;
		int64_t width = n->nlayers > 0 ? n->layers[n->nlayers - 1].out : 0;
		if (targets > 0 && width != targets)
			walked = wrong_width(network, data, width, targets, d);
		status |= walked;
		net_free(n);
	}
	free(n);
	return status;
}
