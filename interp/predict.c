/* predict.c — `descent predict` and `descent eval` (see predict.h).
 *
 * A model is a train block of the file (the one the weights' metadata names), its network
 * built on the training data's sample shape and planned for evaluation, the weights read
 * into it (names and shapes must be the network's exactly), the label names and the input
 * transform saved with them. Data goes through that transform, batch by batch, as
 * training evaluated its validation and test sets (train_evaluate), so eval's loss and
 * accuracy are the log's.
 *
 * Regression (the data block says targets = values): the network's T outputs are the
 * predictions as they are (targets in their own units: normalize touches inputs only);
 * predict writes them under the target columns' names, and eval scores them with
 * train_evaluate_values, so its loss, rmse, mae and r2 are the log's. The branch is
 * taken by the model's net.targets (T > 0); the rest (the model, the data, the outputs)
 * is shared with classification.
 */
#include "predict.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "checkpoint.h"
#include "lower.h"
#include "model_id.h"
#include "outputs.h"
#include "run.h"
#include "safetensors.h"
#include "schema.h"

enum { PREDICT_OK = 0, PREDICT_INPUT = 1, PREDICT_USAGE = 2 };

/* A trained network ready to run on data. */
struct model {
	const struct ast *block;    /* the train block the weights belong to */
	const struct ast *network, *data; /* its network and data blocks */
	struct net net;             /* planned, holding the weights */
	struct data_transform tf;   /* training's: x·scale, or the saved statistics */
	char **names;               /* (nnames) label names saved with the weights, or NULL */
	int nnames;
	int classes;                /* K: the outputs, or 2 for one bce output; T (regression) */
};

/* Prints "descent COMMAND: " and the message; returns PREDICT_INPUT. */
static int refuse(const struct predict_options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(const struct predict_options *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "descent %s: ", o->command);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return PREDICT_INPUT;
}

static const char *meta_value(const struct st_meta *meta, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(meta[i].key, key) == 0)
			return meta[i].value;
	return NULL;
}

/* How many train blocks of tree use the network named network (NULL: any); *last the
 * last of them. */
static int blocks_using(const struct ast *tree, const char *network, const struct ast **last)
{
	int count = 0;
	for (int i = 0; i < tree->nkids; i++) {
		const struct ast *b = tree->kids[i];
		if (b->kind == AST_BLOCK && b->op == BLOCK_TRAIN
		    && (!network || strcmp(ast_value(b, "network")->str, network) == 0)) {
			*last = b;
			count++;
		}
	}
	return count;
}

/* Whether block's text in its file is text (what `save` records as "train"). */
static bool block_text_is(const struct ast *block, const char *text)
{
	char *own = run_block_text(block);
	bool same = own && strcmp(own, text) == 0;
	free(own);
	return same;
}

/* The train block the weights belong to: the one whose text the metadata records, else
 * the only one using the network it names (weights without any of that metadata: the
 * file's only train block) when the weights record their model (model_matches checks it
 * then) or no text; weights that record a block's text but no model (saved before descent
 * recorded it) are refused when no block has that text. NULL after saying why. */
static const struct ast *find_block(const struct ast *tree, const struct st_meta *meta, int n,
                                    const struct predict_options *o)
{
	const char *network = meta_value(meta, n, "network"), *text = meta_value(meta, n, "train");
	const struct ast *found = NULL;
	for (int i = 0; text && i < tree->nkids; i++) {
		const struct ast *b = tree->kids[i];
		if (b->kind == AST_BLOCK && b->op == BLOCK_TRAIN && block_text_is(b, text))
			return b;
	}
	int count = blocks_using(tree, network, &found);
	if (count == 1 && (!text || meta_value(meta, n, "model")))
		return found;
	if (count == 1) {
		refuse(o, "%s: no train block of %s is the one these weights were trained by (its "
		       "text changed), and they were saved before descent recorded what they mean "
		       "(their loss, data and network), so no other block can be checked against "
		       "them", o->weights, o->file);
		fprintf(stderr, "help: restore the block as it was, or train again to save weights "
		        "that record their model\n");
		return NULL;
	}
	if (count == 0 && network)
		refuse(o, "%s: holds the weights of network '%s', which no train block of %s uses",
		       o->weights, network, o->file);
	else if (count == 0)
		refuse(o, "%s: has no train block", o->file);
	else if (network)
		refuse(o, "%s: %d train blocks use network '%s', and none is the block these weights "
		       "were trained by (its text changed): keep one of them", o->file, count, network);
	else
		refuse(o, "%s: names no network in its metadata (not saved by descent), and %s has %d "
		       "train blocks: which one is meant?", o->weights, o->file, count);
	return NULL;
}

/* Whether data block `data` says targets = values (regression). */
static bool data_has_values(const struct ast *data)
{
	const struct ast *t = ast_value(data, "targets");
	return t && t->kind == AST_NAME && strcmp(t->str, "values") == 0;
}

/* The batch the model runs in: the train block's, as training evaluated. */
static int64_t model_batch(const struct ast *block)
{
	return (int64_t)schema_setting(schema_train_keys, block, "batch");
}

/* Builds and plans block's network on a sample of shape input, for at most batch rows;
 * PREDICT_OK or PREDICT_INPUT (reported). */
static int build_network(struct model *m, struct shape input, int64_t batch,
                         const struct predict_options *o, struct diag *d)
{
	char label[128], err[256];
	if (lower_layers(m->network, input, &m->net, d) != 0)
		return PREDICT_INPUT;
	lower_loss(m->block, &m->net);
	m->net.opt = lower_optimizer(ast_value(m->block, "optimizer"), label, sizeof label);
	if (net_plan(&m->net, batch, err, sizeof err) != 0)
		return refuse(o, "%s", err);
	int64_t width = m->net.layers[m->net.nlayers - 1].out;
	m->net.targets = data_has_values(m->data) ? width : 0;
	/* with classes, one output is a binary classifier (its output above 0 is class 1, as
	 * training's accuracy counts it), except under cross_entropy (the only class) */
	bool binary = !m->net.targets && width == 1 && m->net.loss != LOSS_CROSS_ENTROPY;
	m->classes = binary ? 2 : (int)width;
	return PREDICT_OK;
}

/* The transform of the data block with its normalize mode none: x·scale. */
static int scale_only(struct model *m, int64_t d)
{
	struct dataset empty = {.d = d};
	return data_fit(&empty, schema_setting(schema_data_keys, m->data, "scale"), NORMALIZE_NONE,
	                &m->tf);
}

/* The input transform: the statistics saved with the weights, or the data block's scale
 * when its normalize is none; weights without statistics for a data block that
 * normalizes are refused. */
static int model_transform(struct model *m, const struct st_meta *meta, int n,
                           const struct predict_options *o)
{
	int64_t d = shape_size(&m->net.input);
	const char *saved = meta_value(meta, n, "normalize");
	const struct ast *mode = ast_value(m->data, "normalize");
	struct data_error err;
	if (saved && data_transform_parse(saved, d, &m->tf, &err) != 0)
		return refuse(o, "%s: %s", o->weights, err.message);
	if (saved)
		return PREDICT_OK;
	if (schema_choice(schema_param(schema_data_keys, "normalize"), mode) != NORMALIZE_NONE)
		return refuse(o, "%s: has no normalize statistics, and data '%s' says normalize = %s: "
		              "the inputs cannot be scaled as in training (weights saved before "
		              "descent saved them; train again to save them)", o->weights,
		              m->data->str, mode->str);
	return scale_only(m, d) == 0 ? PREDICT_OK : refuse(o, "out of memory");
}

/* The label names of the weights' metadata, when there are some. */
static int model_labels(struct model *m, const struct st_meta *meta, int n,
                        const struct predict_options *o)
{
	const char *labels = meta_value(meta, n, "labels");
	if (labels && data_label_parse(labels, &m->names, &m->nnames) != 0)
		return refuse(o, "%s: its labels metadata is not a JSON list of strings", o->weights);
	return PREDICT_OK;
}

static void model_free(struct model *m)
{
	net_free(&m->net);
	data_transform_free(&m->tf);
	data_names_free(m->names, m->nnames);
}

/* Prints the --set values the weights recorded (a JSON list) as a command line. */
static void print_sets(const char *sets)
{
	char **texts;
	int n;
	if (!sets || data_label_parse(sets, &texts, &n) != 0)
		return;
	fputs("help: the weights were saved with", stderr);
	for (int i = 0; i < n; i++) {
		fputs(" --set '", stderr);
		for (const char *p = texts[i]; *p; p++)
			fputs(*p == '\'' ? "'\\''" : (char[]){*p, 0}, stderr);
		fputc('\'', stderr);
	}
	fputs(": give the same values to this command\n", stderr);
	data_names_free(texts, n);
}

/* Refuses weights whose recorded model (loss, data and network, model_id.h) is not that
 * of the block found for them, resolved as the command line gives it (--set); weights
 * that record none pass (find_block judged them by their text). */
static int model_matches(const struct ast *tree, const struct model *m,
                         const struct st_meta *meta, int n, const struct predict_options *o)
{
	const char *saved = meta_value(meta, n, "model");
	struct model_id want, have = model_id_of(tree, m->block);
	char differ[40];
	if (!saved)
		return PREDICT_OK;
	if (!model_id_parse(saved, &want))
		return refuse(o, "%s: its model metadata is not what descent writes", o->weights);
	if (!*model_id_diff(&want, &have, differ, sizeof differ))
		return PREDICT_OK;
	refuse(o, "%s: these weights were trained with another %s than train block '%s' of %s "
	       "has (as resolved now, with this command's --set values)", o->weights, differ,
	       m->block->str, o->file);
	if (meta_value(meta, n, "sets"))
		print_sets(meta_value(meta, n, "sets"));
	else
		fprintf(stderr, "help: they were saved without --set values, so the file changed since "
		        "(or they are a sweep trial's from before descent recorded its values: give "
		        "them as --set); restore its %s, or train again\n", differ);
	return PREDICT_INPUT;
}

/* Reads the weights' metadata and finds their train block; PREDICT_OK or an exit status
 * (reported). A checkpoint is refused: it holds no label names or statistics. */
static int open_model(const struct ast *tree, const struct predict_options *o, struct model *m,
                      struct st_meta **meta, int *nmeta)
{
	char err[PATH_MAX + 600];
	*meta = NULL;
	*nmeta = 0;
	if (st_metadata(o->weights, meta, nmeta, err, sizeof err) != 0)
		return refuse(o, "%s", err);
	if (meta_value(*meta, *nmeta, "format"))
		return refuse(o, "%s: is a checkpoint; give the weights file that `save` writes (a "
		              "checkpoint keeps no label names or normalize statistics)", o->weights);
	if (!(m->block = find_block(tree, *meta, *nmeta, o)))
		return PREDICT_INPUT;
	m->network = check_find_block(tree, BLOCK_NETWORK, ast_value(m->block, "network")->str);
	m->data = check_find_block(tree, BLOCK_DATA, ast_value(m->block, "data")->str);
	if (model_matches(tree, m, *meta, *nmeta, o) != PREDICT_OK)
		return PREDICT_INPUT;
	return model_labels(m, *meta, *nmeta, o);
}

/* Reads the weights into the planned network (exactly its tensors, names and shapes). */
static int load_weights(struct model *m, const struct predict_options *o)
{
	char err[PATH_MAX + 600];
	if (checkpoint_load_weights(o->weights, &m->net, err, sizeof err) == 0)
		return PREDICT_OK;
	refuse(o, "%s", err);
	fprintf(stderr, "help: these are not the weights of network '%s' as %s defines it (its "
	        "layers' names and shapes)\n", m->network->str, o->file);
	return PREDICT_INPUT;
}

/* ---- the data ---- */

/* A dataset standing for the weights' label names, for a CSV loader's `known`. */
static struct dataset known_names(const struct model *m)
{
	return (struct dataset){.classes = m->nnames, .names = m->names};
}

/* The data block --data names (the train block's by default): its test part, or its
 * train part when it has none. Labels take the weights' ids. */
static int load_block_data(const struct ast *tree, const struct model *m,
                           const struct predict_options *o, struct dataset *ds, struct diag *d)
{
	const struct ast *data = o->data_block ? check_find_block(tree, BLOCK_DATA, o->data_block)
		: m->data;
	if (!data) {
		const char *names[64];
		int n = 0;
		for (int i = 0; i < tree->nkids && n < 63; i++)
			if (tree->kids[i]->kind == AST_BLOCK && tree->kids[i]->op == BLOCK_DATA)
				names[n++] = tree->kids[i]->str;
		names[n] = NULL;
		const char *close = diag_closest(o->data_block, names);
		fprintf(stderr, "descent %s: %s has no data block '%s'\n", o->command, o->file,
		        o->data_block);
		if (close)
			fprintf(stderr, "help: did you mean '%s'?\n", close);
		return PREDICT_USAGE;
	}
	const struct ast *test = ast_value(data, "test");
	struct dataset known = known_names(m);
	return lower_source(test ? test : ast_value(data, "train"), o->file, test ? 1 : 0,
	                    m->names ? &known : NULL, data_has_values(data), ds, d) == 0
		? PREDICT_OK : PREDICT_INPUT;
}

/* The target columns of a csv call's label (one column or a list: names, or indices where
 * names[k] is NULL) into names and indices (the first max); returns how many there are. */
static int csv_targets(const struct ast *label, const char **names, int64_t *indices, int max)
{
	int count = label->kind == AST_LIST ? label->nkids : 1;
	for (int k = 0; k < count && k < max; k++) {
		const struct ast *col = label->kind == AST_LIST ? label->kids[k] : label;
		names[k] = col->kind == AST_STR ? col->str : NULL;
		indices[k] = col->kind == AST_NUM ? (int64_t)col->num : 0;
	}
	return count;
}

enum { PREDICT_MAX_TARGETS = 256 };

/* A regression DATA file (csv or npy, as check.c allows for targets = values): eval reads
 * the target values; predict reads the features, a CSV's target columns, those it has,
 * left out unread (data_load_csv_features_of). */
static int load_given_values(const struct model *m, const struct predict_options *o,
                             const struct bound *b, bool labels, struct dataset *ds,
                             struct data_error *err)
{
	const struct sig *sig = b->sig;
	int64_t width = shape_size(&m->net.input);
	if (sig->kind == SOURCE_NPY)
		return labels ? data_load_npy_values(o->data[0], o->data[1], ds, err)
			: data_load_npy_features(o->data[0], ds, err);
	const char *names[PREDICT_MAX_TARGETS];
	int64_t indices[PREDICT_MAX_TARGETS];
	int count = csv_targets(b->vals[1], names, indices, PREDICT_MAX_TARGETS);
	if (count > PREDICT_MAX_TARGETS) {
		snprintf(err->message, sizeof err->message, "data '%s' has %d target columns; %s "
		         "reads at most %d", m->data->str, count, o->command, PREDICT_MAX_TARGETS);
		return -1;
	}
	bool header = schema_number(sig, b->vals, "header") != 0;
	return labels ? data_load_csv_values(o->data[0], names, indices, count, header, ds, err)
		: data_load_csv_features_of(o->data[0], names, indices, count, header, width, ds, err);
}

/* The DATA files of the command line, in the format of the train block's data block
 * (a CSV with the same columns, an NPY pair x y, an IDX pair images labels); labels
 * wanted (eval) or not (predict: a CSV's label column, when there is one, is left out,
 * and a second file is not read). */
static int load_given_data(const struct model *m, const struct predict_options *o,
                           bool labels, struct dataset *ds)
{
	const struct ast *call = ast_value(m->data, "train");
	const struct bound *b = schema_bound(schema_sources, call);
	struct data_error err = {""};
	if (!b)
		return refuse(o, "out of memory");
	const struct sig *sig = b->sig;
	if (sig->files == 0) {
		fprintf(stderr, "descent %s: data '%s' is generated (%s), so it has no file format: "
		        "use --data NAME\n", o->command, m->data->str, sig->name);
		return PREDICT_USAGE;
	}
	if (labels && sig->files == 2 && o->ndata < 2) {
		fprintf(stderr, "descent %s: data '%s' is a pair %s(...): give both files, features "
		        "then labels\n", o->command, m->data->str, sig->name);
		return PREDICT_USAGE;
	}
	if (data_has_values(m->data)) {
		int status = load_given_values(m, o, b, labels, ds, &err);
		return status == 0 ? PREDICT_OK : refuse(o, "%s", err.message);
	}
	const struct ast *label = sig->kind == SOURCE_CSV ? b->vals[1] : NULL;
	const char *name = label && label->kind == AST_STR ? label->str : NULL;
	int64_t index = label && label->kind == AST_NUM ? (int64_t)label->num : 0;
	bool header = sig->kind == SOURCE_CSV && schema_number(sig, b->vals, "header") != 0;
	struct dataset known = known_names(m);
	int status;
	if (sig->kind == SOURCE_CSV && labels)
		status = data_load_csv_as(o->data[0], name, index, header, m->names ? &known : NULL,
		                          ds, &err);
	else if (sig->kind == SOURCE_CSV)
		status = data_load_csv_features(o->data[0], name, index, header,
		                                shape_size(&m->net.input), ds, &err);
	else if (labels)
		status = (sig->kind == SOURCE_IDX ? data_load_idx : data_load_npy)(o->data[0],
		                                                                 o->data[1], ds, &err);
	else
		status = (sig->kind == SOURCE_IDX ? data_load_idx_images : data_load_npy_features)(
			o->data[0], ds, &err);
	return status == 0 ? PREDICT_OK : refuse(o, "%s", err.message);
}

/* The source call the data came from, and its file when DATA gave it (else NULL). */
static const struct ast *data_call(const struct ast *tree, const struct model *m,
                                   const struct predict_options *o, const char **path)
{
	*path = o->ndata ? o->data[0] : NULL;
	if (o->ndata)
		return ast_value(m->data, "train");
	const struct ast *data = o->data_block ? check_find_block(tree, BLOCK_DATA, o->data_block)
		: m->data;
	const struct ast *test = ast_value(data, "test");
	return test ? test : ast_value(data, "train");
}

/* Refuses a CSV with a header whose feature columns (its label column left out) are not
 * the ones the weights' training file had (metadata `columns`), names and order: its
 * rows would be read by position. Weights without `columns` pass. */
static int check_columns(const struct ast *tree, const struct model *m, const struct st_meta *meta,
                         int nmeta, const struct predict_options *o)
{
	const char *saved = meta_value(meta, nmeta, "columns"), *path;
	char **want = NULL, **have = NULL, file[PATH_MAX];
	int nwant = 0, nhave = 0, status = PREDICT_OK;
	struct data_error err = {""};
	const struct ast *call = data_call(tree, m, o, &path);
	if (!saved)
		return PREDICT_OK;
	if (data_label_parse(saved, &want, &nwant) != 0)
		return refuse(o, "%s: its columns metadata is not a JSON list of strings", o->weights);
	int found = lower_csv_columns(call, o->file, path, true, nwant, &have, &nhave, &err);
	int at = found == 0 ? lower_columns_differ(want, nwant, have, nhave) : -1;
	const struct bound *b = found == 0 && !path ? schema_bound(schema_sources, call) : NULL;
	if (b && lower_data_path(o->file, b->vals[0], file, sizeof file) == 0)
		path = file;
	if (found < 0)
		status = refuse(o, "%s", err.message);
	else if (at >= 0 && at < nwant && at < nhave)
		status = refuse(o, "%s:1: feature column %d is '%s', but in the data %s was trained on "
		                "it is '%s'", path, at + 1, have[at], o->weights, want[at]);
	else if (at >= 0)
		status = refuse(o, "%s:1: %d feature columns, but the data %s was trained on has %d",
		                path, nhave, o->weights, nwant);
	if (at >= 0)
		fprintf(stderr, "help: the columns must be named and ordered as in training: %s\n",
		        saved);
	data_names_free(want, nwant);
	data_names_free(have, nhave);
	return status;
}

/* " of shape (1, 28, 28)" for a sample shape of more than one dimension, else "". */
static const char *shape_note(const struct shape *s, char *buf, size_t size)
{
	char text[64];
	if (s->ndim <= 1)
		return "";
	snprintf(buf, size, " of shape %s", shape_format(s, text, sizeof text));
	return buf;
}

/* Refuses, for eval, target values that the model does not predict: targets of another
 * count than its outputs, or data of a classifier's weights with target values, or the
 * reverse. */
static int check_values(const struct model *m, const struct dataset *ds, bool labels,
                        const char *what, const struct predict_options *o)
{
	int64_t T = m->net.targets;
	if (!labels || ds->targets == T)
		return PREDICT_OK;
	if (T == 0)
		return refuse(o, "%s: holds target values (targets = values), but %s are the weights "
		              "of a classifier", what, o->weights);
	if (ds->targets == 0)
		return refuse(o, "%s: holds class labels, but %s are the weights of a regression run "
		              "(%lld target value%s a row)", what, o->weights, (long long)T,
		              T == 1 ? "" : "s");
	return refuse(o, "%s: %lld target value%s a row, but network '%s' predicts %lld", what,
	              (long long)ds->targets, ds->targets == 1 ? "" : "s", m->network->str,
	              (long long)T);
}

/* Refuses data whose rows have another number of features than the network takes, or
 * labels the weights do not know. */
static int check_data(const struct model *m, const struct dataset *ds, bool labels,
                      const struct predict_options *o)
{
	char have[80], want[80];
	const char *what = o->ndata ? o->data[0] : o->data_block ? o->data_block : m->data->str;
	if (ds->d != shape_size(&m->net.input))
		return refuse(o, "%s: %lld feature%s a row%s, but network '%s' takes %lld%s", what,
		              (long long)ds->d, ds->d == 1 ? "" : "s",
		              shape_note(&ds->shape, have, sizeof have), m->network->str,
		              (long long)shape_size(&m->net.input),
		              shape_note(&m->net.input, want, sizeof want));
	if (m->net.targets > 0 || (labels && ds->targets > 0))
		return check_values(m, ds, labels, what, o);
	if (labels && ds->names && !m->names)
		return refuse(o, "%s: its labels are names (%s, ...), but %s was trained on class "
		              "ids", what, ds->names[0], o->weights);
	if (labels && !ds->names && m->names)
		return refuse(o, "%s: its labels are class ids, but %s was trained on the labels "
		              "%s, ...", what, o->weights, m->names[0]);
	for (int64_t i = 0; labels && i < ds->n; i++)
		if (ds->y[i] >= m->classes)
			return refuse(o, "%s: row %lld has class %d, but network '%s' tells %d classes "
			              "apart", what, (long long)i, ds->y[i], m->network->str, m->classes);
	return PREDICT_OK;
}

/* Everything a command needs: the model with its weights, and the data. */
static int prepare(const struct ast *tree, const struct predict_options *o, bool labels,
                   struct model *m, struct dataset *ds, struct diag *d)
{
	struct st_meta *meta;
	int nmeta;
	*m = (struct model){0};
	*ds = (struct dataset){0};
	int status = open_model(tree, o, m, &meta, &nmeta);
	struct shape input = {0};
	bool known = status == PREDICT_OK && lower_sample_shape(m->data, o->file, &input) == 0;
	if (status == PREDICT_OK && known)
		status = build_network(m, input, model_batch(m->block), o, d);
	if (status == PREDICT_OK)
		status = o->ndata ? load_given_data(m, o, labels, ds) : load_block_data(tree, m, o, ds, d);
	if (status == PREDICT_OK && !known) /* the training data is not at hand: the given one's */
		status = build_network(m, ds->shape, model_batch(m->block), o, d);
	if (status == PREDICT_OK)
		status = check_columns(tree, m, meta, nmeta, o);
	if (status == PREDICT_OK)
		status = check_data(m, ds, labels, o);
	if (status == PREDICT_OK)
		status = load_weights(m, o);
	if (status == PREDICT_OK)
		status = model_transform(m, meta, nmeta, o);
	st_meta_free(meta, nmeta);
	return status;
}

/* ---- running ---- */

/* The class a row of outputs z (C) stands for: the first largest output; one output
 * (bce): 1 when it is above 0. As correct_f32 counts a hit. */
static int predicted_class(const float *z, int64_t C, enum loss loss)
{
	int64_t best = 0;
	for (int64_t c = 1; c < C; c++)
		if (z[c] > z[best])
			best = c;
	return C == 1 ? loss != LOSS_CROSS_ENTROPY && z[0] > 0 : (int)best;
}

/* The probabilities (K) the loss reads in a row of outputs z (C): cross_entropy's
 * softmax; bce's sigmoid of each output (one output: 1 − p, p); mse's outputs as they are
 * (the estimates of one-hot targets; a network ending in softmax makes them sum to 1;
 * one output: 1 − z, z). */
static void probabilities(const float *z, int64_t C, enum loss loss, double *p)
{
	if (loss == LOSS_CROSS_ENTROPY) {
		double top = z[0], sum = 0;
		for (int64_t c = 1; c < C; c++)
			top = z[c] > top ? z[c] : top;
		for (int64_t c = 0; c < C; c++)
			sum += (p[c] = exp((double)z[c] - top));
		for (int64_t c = 0; c < C; c++)
			p[c] /= sum;
	} else if (loss == LOSS_BCE) {
		for (int64_t c = 0; c < C; c++)
			p[C == 1 ? 1 : c] = 1 / (1 + exp(-(double)z[c]));
		if (C == 1)
			p[0] = 1 - p[1];
	} else if (C == 1) { /* mse on one output: the estimate of the label, 0 or 1 */
		p[1] = z[0];
		p[0] = 1 - p[1];
	} else {
		for (int64_t c = 0; c < C; c++)
			p[c] = z[c];
	}
}

/* What a pass over the data gives. */
struct results {
	int64_t n;        /* rows */
	int *label;       /* (n) the predicted class */
	double *p;        /* (n, K) probabilities, or NULL (eval) */
	double loss_sum;  /* Σ of the rows' losses (labelled data) */
	int64_t right;    /* rows predicted right (labelled data) */
};

static void results_free(struct results *r)
{
	free(r->label);
	free(r->p);
}

/* Runs the model over ds in batches of its planned size, in the file's order, as
 * train_evaluate does; with labels, sums the loss and the hits. 0, or -1 out of memory. */
static int run_model(struct model *m, const struct dataset *ds, bool labels, bool probs,
                     struct results *r)
{
	struct net *n = &m->net;
	int64_t C = n->layers[n->nlayers - 1].out, K = m->classes;
	int64_t *rows = malloc((size_t)n->batch * sizeof *rows);
	int32_t *y = malloc((size_t)n->batch * sizeof *y);
	*r = (struct results){ds->n, malloc((size_t)(ds->n ? ds->n : 1) * sizeof *r->label),
	                      probs ? malloc((size_t)(ds->n * K + 1) * sizeof *r->p) : NULL};
	if (!rows || !y || !r->label || (probs && !r->p)) {
		free(rows);
		free(y);
		results_free(r);
		return -1;
	}
	n->training = false;
	for (int64_t start = 0; start < ds->n; start += n->batch) {
		int64_t count = ds->n - start < n->batch ? ds->n - start : n->batch, hits;
		for (int64_t k = 0; k < count; k++)
			rows[k] = start + k;
		data_batch(ds, &m->tf, rows, count, net_input(n), y);
		const float *z = net_forward(n, count);
		for (int64_t k = 0; k < count; k++) {
			r->label[start + k] = predicted_class(z + k * C, C, n->loss);
			if (probs)
				probabilities(z + k * C, C, n->loss, r->p + (start + k) * K);
		}
		if (labels) {
			r->loss_sum += net_loss(n, y, count, false, &hits);
			r->right += hits;
		}
	}
	free(rows);
	free(y);
	return 0;
}

/* ---- predict ---- */

/* Writes text as a CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *out, const char *prefix, const char *text)
{
	if (!strpbrk(text, ",\"\r\n")) {
		fprintf(out, "%s%s", prefix, text);
		return;
	}
	fputc('"', out);
	fputs(prefix, out);
	for (const char *p = text; *p; p++)
		fputs(*p == '"' ? "\"\"" : (char[]){*p, 0}, out);
	fputc('"', out);
}

/* The name of class c: the weights' label name, or its id. */
static const char *class_name(const struct model *m, int c, char *buf, size_t size)
{
	if (m->names && c < m->nnames)
		return m->names[c];
	snprintf(buf, size, "%d", c);
	return buf;
}

/* The name of target column k (regression): the CSV label column's name when the data
 * block gives it by name, else y<k>. */
static const char *target_name(const struct model *m, int k, char *buf, size_t size)
{
	const struct bound *b = schema_bound(schema_sources, ast_value(m->data, "train"));
	const struct ast *label = b && b->sig->kind == SOURCE_CSV ? b->vals[1] : NULL;
	if (label && label->kind == AST_LIST && k < label->nkids)
		label = label->kids[k];
	if (label && label->kind == AST_STR)
		return label->str;
	snprintf(buf, size, "y%d", k);
	return buf;
}

struct predictions {
	const struct model *m;
	const struct results *r;
};

/* Regression's CSV: row (from 0), then the prediction of each target (%.9g). */
static int write_values(FILE *out, const struct predictions *pr)
{
	const struct model *m = pr->m;
	char buf[32];
	fputs("row", out);
	for (int k = 0; k < m->classes; k++)
		csv_field(out, ",", target_name(m, k, buf, sizeof buf));
	fputc('\n', out);
	for (int64_t i = 0; i < pr->r->n; i++) {
		fprintf(out, "%lld", (long long)i);
		for (int k = 0; k < m->classes; k++)
			fprintf(out, ",%.9g", pr->r->p[i * m->classes + k]);
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}

/* The CSV of LANGUAGE.md section 8: row (from 0), label, then p_CLASS per class (%.9g);
 * regression: write_values. */
static int write_rows(FILE *out, const void *data)
{
	const struct predictions *pr = data;
	const struct model *m = pr->m;
	char buf[32];
	if (m->net.targets > 0)
		return write_values(out, pr);
	fputs("row,label", out);
	for (int c = 0; c < m->classes; c++)
		csv_field(out, ",p_", class_name(m, c, buf, sizeof buf));
	fputc('\n', out);
	for (int64_t i = 0; i < pr->r->n; i++) {
		fprintf(out, "%lld", (long long)i);
		csv_field(out, ",", class_name(m, pr->r->label[i], buf, sizeof buf));
		for (int c = 0; c < m->classes; c++)
			fprintf(out, ",%.9g", pr->r->p[i * m->classes + c]);
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}

/* Whether path names the same file as the input at input (both existing). */
static bool same_file(const char *path, const char *input)
{
	struct stat a, b;
	return stat(path, &a) == 0 && stat(input, &b) == 0 && a.st_dev == b.st_dev
		&& a.st_ino == b.st_ino;
}

/* Refuses an --out that is an input: the .nn file, the weights, a DATA file, or a file
 * of the data blocks. */
static int check_out(const struct ast *tree, const struct predict_options *o)
{
	const char *inputs[3] = {o->file, o->weights, NULL};
	for (int i = 0; i < 2; i++)
		if (same_file(o->out, inputs[i]))
			return refuse(o, "%s: is %s, an input; predict never overwrites its inputs",
			              o->out, i == 0 ? "the .nn file" : "the weights file");
	for (int i = 0; i < o->ndata; i++)
		if (same_file(o->out, o->data[i]))
			return refuse(o, "%s: is the data file %s, an input; predict never overwrites its "
			              "inputs", o->out, o->data[i]);
	char files[8][PATH_MAX];
	for (int i = 0; i < tree->nkids; i++) {
		const struct ast *b = tree->kids[i];
		if (b->kind != AST_BLOCK || b->op != BLOCK_DATA)
			continue;
		int n = lower_data_files(b, o->file, files, 8);
		for (int f = 0; f < n; f++)
			if (same_file(o->out, files[f]))
				return refuse(o, "%s: is a data file of data '%s', an input; predict never "
				              "overwrites its inputs", o->out, b->str);
	}
	return out_refuse_given(o->command, o->out, o->file, tree) ? PREDICT_INPUT : PREDICT_OK;
}

int predict_run(const struct ast *tree, const struct predict_options *o, struct diag *d)
{
	struct model m;
	struct dataset ds;
	struct results r = {0};
	int status = o->out ? check_out(tree, o) : PREDICT_OK;
	if (status == PREDICT_OK)
		status = prepare(tree, o, false, &m, &ds, d);
	else
		m = (struct model){0}, ds = (struct dataset){0};
	if (status == PREDICT_OK && run_model(&m, &ds, false, true, &r) != 0)
		status = refuse(o, "out of memory");
	struct predictions pr = {&m, &r};
	char err[PATH_MAX + 200];
	if (status == PREDICT_OK && !o->out)
		status = write_rows(stdout, &pr) == 0 ? PREDICT_OK
			: refuse(o, "cannot write the output: %s", strerror(errno));
	else if (status == PREDICT_OK && out_write_atomic(o->out, write_rows, &pr, err, sizeof err))
		status = refuse(o, "%s", err);
	results_free(&r);
	data_free(&ds);
	model_free(&m);
	return status;
}

/* ---- eval ---- */

/* What eval reports of a classifier. */
struct report {
	int K;                  /* classes */
	int64_t *confusion;     /* (K, K): rows the true class, columns the predicted one */
	double loss, accuracy;
};

/* Fills the confusion matrix from the labels and the predictions. */
static int eval_classes(const struct model *m, const struct dataset *ds, const struct results *r,
                        struct report *rep)
{
	int K = m->classes;
	*rep = (struct report){K, calloc((size_t)K * (size_t)K, sizeof *rep->confusion),
	                       ds->n ? r->loss_sum / (double)ds->n : NAN,
	                       ds->n ? (double)r->right / (double)ds->n : NAN};
	if (!rep->confusion)
		return -1;
	for (int64_t i = 0; i < ds->n; i++)
		rep->confusion[ds->y[i] * K + r->label[i]]++;
	return 0;
}

/* Rows of class c (support), predictions of class c, and hits of class c. */
static void class_counts(const struct report *rep, int c, int64_t *support, int64_t *predicted)
{
	*support = *predicted = 0;
	for (int k = 0; k < rep->K; k++) {
		*support += rep->confusion[c * rep->K + k];
		*predicted += rep->confusion[k * rep->K + c];
	}
}

/* A fraction as text: "-" (or null in JSON) when its denominator is 0. */
static const char *fraction(int64_t num, int64_t den, bool json, char *buf, size_t size)
{
	if (den == 0)
		return json ? "null" : "-";
	snprintf(buf, size, json ? "%.17g" : "%.4f", (double)num / (double)den);
	return buf;
}

/* Writes text as a JSON string. */
static void json_text(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	fputc('"', out);
}

/* One JSON list of the per-class figure which (0 precision, 1 recall, 2 support). */
static void json_per_class(FILE *out, const char *key, const struct report *rep, int which)
{
	char buf[32];
	fprintf(out, ", \"%s\": [", key);
	for (int c = 0; c < rep->K; c++) {
		int64_t support, predicted, hits = rep->confusion[c * rep->K + c];
		class_counts(rep, c, &support, &predicted);
		fprintf(out, "%s%s", c ? ", " : "", which == 0 ? fraction(hits, predicted, true, buf, 32)
		        : which == 1 ? fraction(hits, support, true, buf, 32)
		        : (snprintf(buf, 32, "%lld", (long long)support), buf));
	}
	fputc(']', out);
}

/* eval --json: one object, the table's fields. */
static void print_json(FILE *out, const struct model *m, const struct report *rep, int64_t n)
{
	char buf[32];
	fprintf(out, "{\"rows\": %lld, \"loss\": %.17g, \"accuracy\": %.17g, \"classes\": [",
	        (long long)n, rep->loss, rep->accuracy);
	for (int c = 0; c < rep->K; c++) {
		fputs(c ? ", " : "", out);
		json_text(out, class_name(m, c, buf, sizeof buf));
	}
	fputc(']', out);
	json_per_class(out, "precision", rep, 0);
	json_per_class(out, "recall", rep, 1);
	json_per_class(out, "support", rep, 2);
	fputs(", \"confusion\": [", out);
	for (int c = 0; c < rep->K; c++) {
		fputs(c ? ", [" : "[", out);
		for (int k = 0; k < rep->K; k++)
			fprintf(out, "%s%lld", k ? ", " : "", (long long)rep->confusion[c * rep->K + k]);
		fputc(']', out);
	}
	fputs("]}\n", out);
}

/* What the data is, for eval's heading: the DATA file, or the data block and its part. */
static const char *data_name(const struct ast *tree, const struct model *m,
                             const struct predict_options *o, char *buf, size_t size)
{
	if (o->ndata)
		return o->data[0];
	const char *name = o->data_block ? o->data_block : m->data->str;
	const struct ast *data = check_find_block(tree, BLOCK_DATA, name);
	snprintf(buf, size, "data %.40s (its %s part)", name,
	         data && ast_value(data, "test") ? "test" : "train");
	return buf;
}

/* eval's table: loss, accuracy, per-class precision and recall, the confusion matrix. */
static void print_table(FILE *out, const struct ast *tree, const struct model *m,
                        const struct report *rep, int64_t n, const struct predict_options *o)
{
	char buf[64], p[32], r[32];
	int width = 8;
	for (int c = 0; c < rep->K; c++)
		if ((int)strlen(class_name(m, c, buf, sizeof buf)) > width)
			width = (int)strlen(class_name(m, c, buf, sizeof buf));
	width = width > 24 ? 24 : width;
	fprintf(out, "%s (network %s) on %s: %lld rows\nloss      %.6g\naccuracy  %.4f\n\n",
	        o->weights, m->network->str, data_name(tree, m, o, buf, sizeof buf), (long long)n,
	        rep->loss, rep->accuracy);
	fprintf(out, "%-*s  precision  recall  support\n", width, "class");
	for (int c = 0; c < rep->K; c++) {
		int64_t support, predicted, hits = rep->confusion[c * rep->K + c];
		class_counts(rep, c, &support, &predicted);
		fprintf(out, "%-*.24s  %9s  %6s  %7lld\n", width, class_name(m, c, buf, sizeof buf),
		        fraction(hits, predicted, false, p, sizeof p),
		        fraction(hits, support, false, r, sizeof r), (long long)support);
	}
	fprintf(out, "\nconfusion matrix (rows: true label, columns: predicted)\n%-*s", width, "");
	for (int c = 0; c < rep->K; c++)
		fprintf(out, "  %*.24s", width, class_name(m, c, buf, sizeof buf));
	fputc('\n', out);
	for (int c = 0; c < rep->K; c++) {
		fprintf(out, "%-*.24s", width, class_name(m, c, buf, sizeof buf));
		for (int k = 0; k < rep->K; k++)
			fprintf(out, "  %*lld", width, (long long)rep->confusion[c * rep->K + k]);
		fputc('\n', out);
	}
}

/* What eval reports of a regression model: the mean loss and the fit (train.h). */
struct fit_report {
	double loss;
	struct train_fit fit;
};

/* Scores the model on ds's target values as training scored its validation and test
 * sets (train_evaluate_values: the same batches, sums and definitions). 0, or -1 out of
 * memory. */
static int eval_values(struct model *m, const struct dataset *ds, struct fit_report *rep)
{
	int64_t B = m->net.batch;
	int64_t *rows = malloc((size_t)B * sizeof *rows);
	int32_t *labels = malloc((size_t)B * sizeof *labels);
	float *t = malloc((size_t)(B * m->net.targets) * sizeof *t);
	int status = rows && labels && t ? 0 : -1;
	if (status == 0)
		train_evaluate_values(&m->net, ds, &m->tf, labels, t, rows, &rep->loss, &rep->fit);
	free(rows);
	free(labels);
	free(t);
	return status;
}

/* eval of a regression model: a table, or (json) one object of the same fields. */
static void print_values(FILE *out, const struct ast *tree, const struct model *m,
                         const struct fit_report *rep, int64_t n, const struct predict_options *o)
{
	char buf[64];
	if (o->json) {
		fprintf(out, "{\"rows\": %lld, \"loss\": %.17g, \"rmse\": %.17g, \"mae\": %.17g, "
		        "\"r2\": %.17g, \"targets\": [", (long long)n, rep->loss, rep->fit.rmse,
		        rep->fit.mae, rep->fit.r2);
		for (int k = 0; k < m->classes; k++) {
			fputs(k ? ", " : "", out);
			json_text(out, target_name(m, k, buf, sizeof buf));
		}
		fputs("]}\n", out);
		return;
	}
	fprintf(out, "%s (network %s) on %s: %lld rows\ntargets  ", o->weights, m->network->str,
	        data_name(tree, m, o, buf, sizeof buf), (long long)n);
	for (int k = 0; k < m->classes; k++)
		fprintf(out, "%s%s", k ? ", " : "", target_name(m, k, buf, sizeof buf));
	fprintf(out, "\nloss     %.6g\nrmse     %.6g\nmae      %.6g\nr2       %.4f\n", rep->loss,
	        rep->fit.rmse, rep->fit.mae, rep->fit.r2);
}

int predict_eval(const struct ast *tree, const struct predict_options *o, struct diag *d)
{
	struct model m;
	struct dataset ds;
	struct results r = {0};
	struct report rep = {0};
	struct fit_report fit = {0};
	int status = prepare(tree, o, true, &m, &ds, d);
	bool values = status == PREDICT_OK && m.net.targets > 0;
	if (values && eval_values(&m, &ds, &fit) != 0)
		status = refuse(o, "out of memory");
	if (values && status == PREDICT_OK)
		print_values(stdout, tree, &m, &fit, ds.n, o);
	if (status == PREDICT_OK && !values && (run_model(&m, &ds, true, false, &r) != 0
	                             || eval_classes(&m, &ds, &r, &rep) != 0))
		status = refuse(o, "out of memory");
	if (status == PREDICT_OK && !values && o->json)
		print_json(stdout, &m, &rep, ds.n);
	else if (status == PREDICT_OK && !values)
		print_table(stdout, tree, &m, &rep, ds.n, o);
	free(rep.confusion);
	results_free(&r);
	data_free(&ds);
	model_free(&m);
	return status;
}
