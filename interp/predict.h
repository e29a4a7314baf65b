/* predict.h — `descent predict` and `descent eval` (LANGUAGE.md section 8): the weights
 * `save` wrote read back into the network of their train block, and run over data
 * without training: probabilities per row, or the loss, accuracy, per-class precision and
 * recall and the confusion matrix; for a regression run (targets = values) the predicted
 * target values per row, or the loss, rmse, mae and r2.
 *
 * For: cli.c, which parses the command line and loads and checks the file. Not for:
 * training (run_train.c), or where the data comes from in a run (lower_train.c, whose
 * loaders these reuse).
 * Both return an exit status: 0, 1 (an error in the input, reported: the weights, the
 * data, the output), or 2 (command-line misuse the file shows: an unknown --data block, a
 * DATA file for a generated data block).
 */
#ifndef DESCENT_PREDICT_H
#define DESCENT_PREDICT_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

/* What the command line gave. */
struct predict_options {
	const char *command;     /* "predict" or "eval", for messages */
	const char *file;        /* the .nn file's path */
	const char *weights;     /* --weights */
	const char *data[2];     /* DATA: the features file, and the labels file of a pair */
	int ndata;               /* how many DATA files (0: the data block's) */
	const char *data_block;  /* --data NAME, or NULL: the train block's data block */
	const char *out;         /* predict's --out, or NULL: standard output */
	bool json;               /* eval's --json */
};

/* Writes the CSV `row,label,p_<CLASS>...` (regression: `row,<TARGET>...`) of the checked
 * file tree's model on the data. */
int predict_run(const struct ast *tree, const struct predict_options *o, struct diag *d);
/* Prints the evaluation of the model on labelled data or target values (a table, or one
 * JSON object). */
int predict_eval(const struct ast *tree, const struct predict_options *o, struct diag *d);

#endif
