/* model_id.c — the identity of what saved weights mean (see model_id.h). */
#include "model_id.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lower.h"

/* The loss as training reads it (its kind and parameters, defaults filled in), so that
 * `cross_entropy` and `cross_entropy(smoothing = 0)` are the same loss. */
static uint64_t loss_hash(const struct ast *block)
{
	struct net net = {0};
	lower_loss(block, &net);
	int32_t kind = (int32_t)net.loss;
	uint64_t h = ast_hash_bytes(AST_HASH_SEED, &kind, sizeof kind);
	h = ast_hash_bytes(h, &net.smoothing, sizeof net.smoothing);
	return ast_hash_bytes(h, &net.huber_delta, sizeof net.huber_delta);
}

/* A block's entries, not its name (a renamed block means the same). */
static uint64_t entries_hash(const struct ast *block)
{
	uint64_t h = AST_HASH_SEED;
	for (int i = 0; block && i < block->nkids; i++)
		h = ast_hash(h, block->kids[i]);
	return h;
}

struct model_id model_id_of(const struct ast *tree, const struct ast *block)
{
	const struct ast *data = ast_value(block, "data"), *network = ast_value(block, "network");
	return (struct model_id){
		loss_hash(block),
		entries_hash(data ? check_find_block(tree, BLOCK_DATA, data->str) : NULL),
		entries_hash(network ? check_find_block(tree, BLOCK_NETWORK, network->str) : NULL)};
}

void model_id_format(const struct model_id *id, char *buf, size_t size)
{
	snprintf(buf, size, "{\"loss\": \"%016" PRIx64 "\", \"data\": \"%016" PRIx64 "\", "
	         "\"network\": \"%016" PRIx64 "\"}", id->loss, id->data, id->network);
}

bool model_id_parse(const char *text, struct model_id *id)
{
	char again[128];
	int end = 0;
	if (sscanf(text, "{\"loss\": \"%16" SCNx64 "\", \"data\": \"%16" SCNx64 "\", \"network\": "
	           "\"%16" SCNx64 "\"}%n", &id->loss, &id->data, &id->network, &end) != 3
	    || text[end] != '\0')
		return false;
	model_id_format(id, again, sizeof again);
	return strcmp(again, text) == 0;
}

const char *model_id_diff(const struct model_id *a, const struct model_id *b, char *buf,
                          size_t size)
{
	const char *parts[3];
	int n = 0;
	if (a->loss != b->loss)
		parts[n++] = "loss";
	if (a->data != b->data)
		parts[n++] = "data";
	if (a->network != b->network)
		parts[n++] = "network";
	snprintf(buf, size, "%s%s%s%s%s", n > 0 ? parts[0] : "", n == 3 ? ", " : n == 2
	         ? " and " : "", n > 1 ? parts[1] : "", n == 3 ? " and " : "", n == 3 ? parts[2] : "");
	return buf;
}

/* Appends text to buf at *len as a JSON string (buf has room: see model_id_sets_json). */
static void json_string(char *buf, size_t *len, const char *text)
{
	buf[(*len)++] = '"';
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p == '"' || *p == '\\')
			*len += (size_t)sprintf(buf + *len, "\\%c", *p);
		else if (*p < 0x20)
			*len += (size_t)sprintf(buf + *len, "\\u%04x", *p);
		else
			buf[(*len)++] = (char)*p;
	buf[(*len)++] = '"';
	buf[*len] = '\0';
}

char *model_id_sets_json(const char *const *texts, int n)
{
	size_t cap = 3;
	for (int i = 0; i < n; i++)
		cap += 6 * strlen(texts[i]) + 4; /* \u00XX at worst, quotes, ", " */
	char *buf = n > 0 ? malloc(cap) : NULL;
	if (!buf)
		return NULL;
	size_t len = 0;
	buf[len++] = '[';
	for (int i = 0; i < n; i++) {
		if (i) {
			buf[len++] = ',';
			buf[len++] = ' ';
		}
		json_string(buf, &len, texts[i]);
	}
	buf[len++] = ']';
	buf[len] = '\0';
	return buf;
}
