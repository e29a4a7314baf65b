/* fuzz_check.c — libFuzzer target over the front end: parse, fold and check any bytes
 * as a .nn file, and also as a --set value and a schedule expression (lowered and
 * evaluated when it checks). Built and run by `make fuzz`; inputs that crashed it are kept
 * in tests/fuzz/regressions/ and replayed by tests/test_fuzz_regressions.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fold.h"
#include "lower.h"
#include "parse.h"
#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *text, enum parse_mode mode)
{
	struct diag d;
	diag_init(&d, NULL); /* count, do not print */
	struct source *src = source_from_string("fuzz.nn", text);
	if (!src)
		return;
	struct ast *tree = parse_source(src, mode, &d);
	if (tree && mode == PARSE_FILE && fold_file(tree, &d))
		check_file(tree, &d, NULL);
	if (tree && mode == PARSE_EXPR && (tree = fold_expr(tree, NULL, &d))
	    && d.errors == 0 && check_schedule_expr(tree, &d)) {
		struct sched *s = lower_schedule(tree, 7, &d);
		for (int t = 0; s && t < 50; t++)
			(void)sched_value(s, 0.1, t);
		sched_free(s);
	}
	ast_free(tree);
	source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	run(text, PARSE_FILE);
	if (size < 512) {
		run(text, PARSE_SET);
		run(text, PARSE_EXPR);
	}
	free(text);
	return 0;
}
