/* fuzz_check.c — libFuzzer target over the front end and the teaching runtime: parse
 * any bytes as a .nn file, apply the --set values its lines `#set KEY = VALUE` give (a
 * comment to the file itself), fold and check it; lower and run its minimize blocks (at
 * most 20 steps) with their trace, table and (for one input in eight) picture, expand its
 * sweeps, and (for one input in sixteen) lower and train for one epoch each train block
 * whose data and network hold no number above 2048 (so that a run stays small); and parse
 * the bytes as a --set value and a schedule expression (lowered and evaluated when it
 * checks). The output paths of a checked file go through the checks that refuse an
 * output onto an input or another output (resolving and stat'ing paths, never writing).
 * Built and run by `make fuzz`; inputs that crashed it are kept in tests/fuzz/regressions/
 * and replayed by tests/test_fuzz_regressions.c. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "fold.h"
#include "lower.h"
#include "minimize.h"
#include "outputs.h"
#include "override.h"
#include "parse.h"
#include "schedule.h"
#include "sweep.h"
#include "train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_minimize(const struct ast *block, struct diag *d, bool draw)
{
	struct minimize_lowered m;
	struct minimize_result r;
	if (lower_minimize(block, &m, d) != 0)
		return;
	if (m.plan.steps > 20)
		m.plan.steps = 20;
	FILE *sink = fopen("/dev/null", "w");
	if (sink && minimize_run(&m.plan, &r) == 0) {
		minimize_write_trace(sink, &m.plan, &r);
		minimize_print_table(sink, &m.plan, &r);
		if (draw)
			minimize_plot(sink, &m.plan, &r);
		minimize_free(&r);
	}
	if (sink)
		fclose(sink);
	lower_minimize_free(&m);
}

enum { MAX_SETS = 16 };

/* Applies the first MAX_SETS `#set KEY = VALUE` lines of text to tree, as `descent run
 * --set` would; their sources go to sets (the tree points into them: free them after). */
static int apply_sets(const char *text, struct ast *tree, struct diag *d,
                      struct source *sets[MAX_SETS])
{
	int n = 0;
	for (const char *line = strstr(text, "#set "); line && n < MAX_SETS;
	     line = strstr(line + 1, "#set ")) {
		const char *end = strchr(line, '\n');
		char *value = strndup(line + 5, end ? (size_t)(end - line - 5) : strlen(line + 5));
		struct source *src = value ? source_from_string("--set", value) : NULL;
		struct ast *entry = src ? parse_source(src, PARSE_SET, d) : NULL;
		if (entry)
			override_apply(tree, entry, d);
		ast_free(entry);
		free(value);
		if (src)
			sets[n++] = src;
	}
	return n;
}

/* Whether every number in node is at most max in size. */
static bool small(const struct ast *node, double max)
{
	if (!node)
		return true;
	if (node->kind == AST_NUM && !(node->num >= -max && node->num <= max))
		return false;
	for (int i = 0; i < node->nkids; i++)
		if (!small(node->kids[i], max))
			return false;
	return small(node->a, max) && small(node->b, max);
}

/* Whether the data block reads a file over 1 MiB (Fashion-MNIST from /usr/share/datasets):
 * loading and training it would take minutes under the sanitizers. */
static bool big_files(const struct ast *data)
{
	char found[4][PATH_MAX];
	int n = data ? lower_data_files(data, "/nonexistent/fuzz.nn", found, 4) : 0;
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(found[i], &st) == 0 && st.st_size > (1 << 20))
			return true;
	}
	return false;
}

/* Lowers the small train blocks and trains each for one epoch, quietly. */
static void train_small(const struct ast *tree, struct diag *d)
{
	for (int i = 0, index = 0; i < tree->nkids; i++) {
		const struct ast *b = tree->kids[i];
		if (b->kind != AST_BLOCK || b->op != BLOCK_TRAIN)
			continue;
		index++;
		const struct ast *net = ast_entry(b, "network"), *data = ast_entry(b, "data");
		const struct ast *data_block = check_find_block(tree, BLOCK_DATA, data->a->str);
		if (!small(b, 2048) || !small(check_find_block(tree, BLOCK_NETWORK, net->a->str), 2048)
		    || !small(data_block, 2048) || big_files(data_block))
			continue;
		struct train_lowered t;
		if (lower_train(tree, b, index, "/nonexistent/fuzz.nn", &t, d) != 0)
			continue;
		if (t.net.nparams + t.net.nact > 1 << 24) { /* allocated, not yet touched */
			lower_train_free(&t);
			continue;
		}
		t.config.epochs = 1;
		net_init(&t.net, t.config.seed);
		net_reset_state(&t.net);
		struct train_failure failure;
		train_run(&t.net, &t.train, t.val.n ? &t.val : NULL, t.test.n ? &t.test : NULL, &t.tf,
		          &t.config, NULL, &failure);
		lower_train_free(&t);
	}
}

static void expand_sweeps(const struct ast *tree, struct diag *d)
{
	for (int i = 0; i < tree->nkids; i++) {
		struct sweep_plan plan;
		const struct ast *b = tree->kids[i];
		if (b->kind == AST_BLOCK && b->op == BLOCK_SWEEP && sweep_expand(b, &plan, d) == 0)
			sweep_free(&plan);
	}
}

/* Resolves the file's outputs and refuses those onto inputs or each other, as `descent
 * run` does before its first step (out_probe, which creates temporaries, is left out). */
static void verify_outputs(const struct ast *tree, struct diag *d)
{
	struct out_set outs;
	if (out_list(&outs, "/nonexistent/fuzz.nn", tree, NULL, NULL) != 0)
		return;
	out_verify(&outs, tree, d);
	out_release(&outs);
}

static void run(const char *text, enum parse_mode mode, bool draw, bool train)
{
	struct diag d;
	diag_init(&d, NULL); /* count, do not print */
	struct source *src = source_from_string("fuzz.nn", text);
	if (!src)
		return;
	struct ast *tree = parse_source(src, mode, &d);
	struct source *sets[MAX_SETS];
	int nsets = tree && mode == PARSE_FILE ? apply_sets(text, tree, &d, sets) : 0;
	if (tree && mode == PARSE_FILE && d.errors == 0 && fold_file(tree, &d)
	    && check_file(tree, &d, NULL)) {
		for (int i = 0; i < tree->nkids; i++)
			if (tree->kids[i]->kind == AST_MINIMIZE)
				run_minimize(tree->kids[i], &d, draw);
		expand_sweeps(tree, &d);
		verify_outputs(tree, &d);
		if (train)
			train_small(tree, &d);
	}
	if (tree && mode == PARSE_EXPR && (tree = fold_expr(tree, NULL, &d))
	    && d.errors == 0 && check_schedule_expr(tree, &d)) {
		struct sched *s = lower_schedule(tree, 7, &d);
		for (int t = 0; s && t < 50; t++)
			(void)sched_value(s, 0.1, t);
		sched_free(s);
	}
	ast_free(tree);
	source_free(src);
	for (int i = 0; i < nsets; i++)
		source_free(sets[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	run(text, PARSE_FILE, size % 8 == 0, size % 16 == 3);
	if (size < 512) {
		run(text, PARSE_SET, false, false);
		run(text, PARSE_EXPR, false, false);
	}
	free(text);
	return 0;
}
