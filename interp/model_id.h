/* model_id.h — what a model's predictions depend on, as saved weights record it: the
 * resolved train block's loss (with its parameters), its data block and its network
 * block, each as a hash of the checked, folded tree (after --set).
 *
 * For: run_train.c, whose `save` and `save_best` write it as the metadata `model`, and
 * predict.c, which refuses weights whose `model` is not the block it picked. Not for:
 * epochs, the optimizer or the outputs, which change how weights were found, not what
 * they mean.
 */
#ifndef DESCENT_MODEL_ID_H
#define DESCENT_MODEL_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"

struct model_id {
	uint64_t loss, data, network;
};

/* The identity of checked, folded train block `block` of tree. */
struct model_id model_id_of(const struct ast *tree, const struct ast *block);

/* As metadata text: {"loss": "HEX16", "data": "HEX16", "network": "HEX16"}. */
void model_id_format(const struct model_id *id, char *buf, size_t size);

/* Reads model_id_format's text; false when it is not that. */
bool model_id_parse(const char *text, struct model_id *id);

/* The parts in which a and b differ, as "loss", "data and network", ...; "" when none. */
const char *model_id_diff(const struct model_id *a, const struct model_id *b, char *buf,
                          size_t size);

/* The --set values texts (n of them) as a JSON list of strings; NULL when n is 0 or
 * memory runs out. Caller frees. */
char *model_id_sets_json(const char *const *texts, int n);

#endif
