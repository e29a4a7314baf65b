/* test_docs.c — the user documentation and what ships beside the binary: every ```nn
 * example of docs/language.md and README.md checks clean; the man page lints clean
 * (groff -ww); `make install` into a scratch DESTDIR and `make uninstall`; the editor
 * word lists against the checker's tables; the TextMate grammar against every .nn file of
 * the repository (tests/editors/tokenize.js, run with Node.js); the Vim syntax file in Vim;
 * --help points at the docs.
 * Run from the repository's root, as `make test` does. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fold.h"
#include "helpers.h"
#include "schema.h"

#define GRAMMAR "editors/vscode/syntaxes/nn.tmLanguage.json"
#define VIM_SYNTAX "editors/vim/syntax/nn.vim"
#define NODE_MODULES "build/editors-test/node_modules"

/* Runs cmd through the shell with stderr joined to stdout; returns its exit status and
 * sets *out to what it printed (owned by the caller). */
static int run_shell(const char *cmd, char **out)
{
	char full[4096];
	snprintf(full, sizeof full, "%s 2>&1", cmd);
	fflush(NULL);
	FILE *p = popen(full, "r");
	cr_assert_not_null(p, "cannot run %s", cmd);
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += got;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	int status = pclose(p);
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool have_command(const char *name)
{
	char cmd[256], *out;
	snprintf(cmd, sizeof cmd, "command -v %s", name);
	int status = run_shell(cmd, &out);
	free(out);
	return status == 0;
}

/* ---- the examples of the docs ---- */

/* Writes each ```nn block of the markdown file md to dir and runs `descent check` on it;
 * returns how many blocks there were, *failed how many did not check clean (each
 * reported, with the markdown line where the block starts, into why). */
static int check_blocks(const char *md, const char *dir, int *failed, char *why, size_t size)
{
	char *text = slurp(md, NULL);
	cr_assert_not_null(text, "cannot read %s", md);
	int blocks = 0, line = 0, start = 0;
	size_t used = 0;
	FILE *block = NULL;
	char path[256];
	*failed = 0;
	why[0] = '\0';
	for (char *l = text, *next; l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		line++;
		if (!block && strcmp(l, "```nn") == 0) {
			snprintf(path, sizeof path, "%s/block%d.nn", dir, ++blocks);
			block = fopen(path, "w");
			cr_assert_not_null(block);
			start = line;
		} else if (block && strncmp(l, "```", 3) == 0) {
			fclose(block);
			block = NULL;
			char *err = NULL;
			int status = run_descent((const char *[]){"check", path, NULL}, NULL, NULL, &err);
			if (status != 0) {
				++*failed;
				used += (size_t)snprintf(why + used, used < size ? size - used : 0,
				                         "%s: the ```nn block after line %d (example %d) "
				                         "does not check: %s\n", md, start, blocks, err);
			}
			free(err);
		} else if (block) {
			fprintf(block, "%s\n", l);
		}
	}
	if (block)
		fclose(block);
	free(text);
	return blocks;
}

Test(docs, every_example_checks)
{
	char dir[64], why[8192];
	cr_assert(scratch_dir(dir));
	int failed;
	int n = check_blocks("docs/language.md", dir, &failed, why, sizeof why);
	cr_expect_geq(n, 8, "docs/language.md has %d ```nn examples", n);
	cr_expect_eq(failed, 0, "%s", why);
	check_blocks("README.md", dir, &failed, why, sizeof why);
	cr_expect_eq(failed, 0, "%s", why);
	remove_tree(dir);
}

/* The harness above must fail on a broken example, or it proves nothing. */
Test(docs, a_broken_example_fails)
{
	char dir[64], md[128], why[8192];
	cr_assert(scratch_dir(dir));
	snprintf(md, sizeof md, "%s/doc.md", dir);
	write_text(md, "# doc\n\n```nn\nminimize f(x) = x^2 { from = 1\n optimizer = sgd(lr = 0.1)\n"
	               " steps = 3 }\n```\n\ntext\n\n```nn\nnetwork n { dense(3)\n relu }\n"
	               "train t { network = n\n optimizer = adamx(lr = 1) }\n```\n");
	int failed, n = check_blocks(md, dir, &failed, why, sizeof why);
	cr_expect_eq(n, 2);
	cr_expect_eq(failed, 1, "%s", why);
	cr_expect(strstr(why, "example 2") && strstr(why, "adamx"), "%s", why);
	remove_tree(dir);
}

/* ---- the man page ---- */

Test(docs, man_page_lints_clean)
{
	cr_assert(have_command("groff"),
	          "the man page test needs groff: sudo apt-get install groff-base");
	char *out;
	int status = run_shell("groff -k -ww -z -mandoc docs/descent.1", &out);
	cr_expect_eq(status, 0, "%s", out);
	cr_expect_str_empty(out, "groff -ww warns on docs/descent.1:\n%s", out);
	free(out);
	/* the lint is not silent on a broken page */
	char dir[64], bad[128], cmd[256];
	cr_assert(scratch_dir(dir));
	snprintf(bad, sizeof bad, "%s/bad.1", dir);
	write_text(bad, ".Dd December 2, 2026\n.Dt BAD 1\n.Os\n.Sh NAME\n.Xx nothing\n");
	snprintf(cmd, sizeof cmd, "groff -k -ww -z -mandoc %s", bad);
	run_shell(cmd, &out);
	cr_expect(strstr(out, "warning"), "groff -ww said nothing on a broken page: %s", out);
	free(out);
	remove_tree(dir);
}

/* Every command `descent --help` lists is in the man page and in docs/language.md. */
Test(docs, every_command_is_documented)
{
	char *help = NULL;
	cr_assert_eq(run_descent((const char *[]){"--help", NULL}, NULL, &help, NULL), 0);
	char *man = slurp("docs/descent.1", NULL), *lang = slurp("docs/language.md", NULL);
	cr_assert(man && lang);
	char *list = strstr(help, "commands:\n");
	cr_assert_not_null(list, "%s", help);
	int commands = 0;
	for (char *save, *l = strtok_r(list + 10, "\n", &save); l && strncmp(l, "  ", 2) == 0;
	     l = strtok_r(NULL, "\n", &save)) {
		char name[32], in_man[64], in_lang[64];
		if (sscanf(l, " %31s", name) != 1)
			continue;
		commands++;
		snprintf(in_man, sizeof in_man, ".Cm %s\n", name);
		snprintf(in_lang, sizeof in_lang, "**`%s`**", name);
		cr_expect(strstr(man, in_man), "docs/descent.1 does not document '%s'", name);
		cr_expect(strstr(lang, in_lang), "docs/language.md does not document '%s'", name);
	}
	cr_expect_geq(commands, 5, "%s", help);
	free(help);
	free(man);
	free(lang);
}

/* --help texts and the README point at the docs of the repository, not at a file outside
 * it. */
Test(docs, help_points_at_the_docs)
{
	const char *commands[] = {"check", "run", "ir", "sweep", "schedule"};
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		char *out = NULL;
		run_descent((const char *[]){commands[i], "--help", NULL}, NULL, &out, NULL);
		cr_expect(!strstr(out, "LANGUAGE.md"), "descent %s --help cites LANGUAGE.md:\n%s",
		          commands[i], out);
		free(out);
	}
	char *out = NULL;
	run_descent((const char *[]){"--help", NULL}, NULL, &out, NULL);
	cr_expect(strstr(out, "docs/language.md") && strstr(out, "man descent"), "%s", out);
	free(out);
	run_descent((const char *[]){"schedule", "--help", NULL}, NULL, &out, NULL);
	cr_expect(strstr(out, "docs/language.md"), "%s", out);
	free(out);
	char *readme = slurp("README.md", NULL);
	cr_assert_not_null(readme);
	cr_expect(strstr(readme, "(docs/language.md)"), "README.md does not link docs/language.md");
	cr_expect(!strstr(readme, "../shared/LANGUAGE.md"), "README.md cites ../shared/LANGUAGE.md");
	free(readme);
}

/* ---- make install, make uninstall ---- */

static const char *const installed[] = {
	"bin/descent",
	"share/man/man1/descent.1",
	"share/doc/descent/language.md",
	"share/doc/descent/trust.md",
	"share/vim/vimfiles/syntax/nn.vim",
	"share/vim/vimfiles/ftdetect/nn.vim",
	"share/descent/examples/digits.nn",
	"share/descent/examples/data/digits_train.csv",
	"share/descent/examples/teaching/adagrad.nn",
	"share/descent/editors/vscode/package.json",
	"share/descent/editors/vscode/language-configuration.json",
	"share/descent/editors/vscode/syntaxes/nn.tmLanguage.json",
};

static bool exists_under(const char *root, const char *rel)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", root, rel);
	return stat(path, &st) == 0;
}

Test(docs, install_and_uninstall_into_destdir)
{
	char dir[64], cmd[1024], root[128], *out;
	cr_assert(scratch_dir(dir));
	const char *args = getenv("DESCENT_MAKE_ARGS") ? getenv("DESCENT_MAKE_ARGS") : "";
	/* a make of our own, not a job of the `make test` that runs us */
	snprintf(cmd, sizeof cmd,
	         "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory install "
	         "%s DESTDIR=%s PREFIX=/opt/descent", args, dir);
	int status = run_shell(cmd, &out);
	cr_assert_eq(status, 0, "%s:\n%s", cmd, out);
	free(out);
	snprintf(root, sizeof root, "%s/opt/descent", dir);
	for (size_t i = 0; i < sizeof installed / sizeof *installed; i++)
		cr_expect(exists_under(root, installed[i]), "make install did not write %s", installed[i]);
	char bin[256];
	snprintf(bin, sizeof bin, "%s/bin/descent", root);
	cr_expect_eq(access(bin, X_OK), 0, "%s is not executable", bin);
	cr_expect(!exists_under(root, "share/descent/examples/runs"), "make install copied runs/");
	cr_expect(!exists_under(dir, "usr"), "make install wrote outside PREFIX");

	snprintf(cmd, sizeof cmd,
	         "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory uninstall "
	         "%s DESTDIR=%s PREFIX=/opt/descent", args, dir);
	status = run_shell(cmd, &out);
	cr_assert_eq(status, 0, "%s:\n%s", cmd, out);
	free(out);
	for (size_t i = 0; i < sizeof installed / sizeof *installed; i++)
		cr_expect(!exists_under(root, installed[i]), "make uninstall left %s", installed[i]);
	cr_expect(!exists_under(root, "share/descent"), "make uninstall left share/descent");
	cr_expect(!exists_under(root, "share/doc/descent"), "make uninstall left share/doc/descent");
	remove_tree(dir);
}

/* ---- the editor files ---- */

/* Names announced by work in progress on other branches (optimizers, CNN layers), listed
 * in the editor files ahead of the tables; drop a name here once the table has it. */
static const char *const planned[] = {
	NULL,
};

static bool in_list(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

/* The words of the editor list `words` (space-separated) against the table `table`: the
 * table's names missing from the list, and the list's words in no table (nor planned),
 * appended to why. */
static void compare_words(const char *what, const char *file, const char *words,
                          const char *const *table, char *why, size_t size)
{
	size_t used = strlen(why);
	char *copy = strdup(words), missing[1024] = "", extra[1024] = "";
	const char *list[256];
	int n = 0;
	for (char *save, *w = strtok_r(copy, " ", &save); w && n < 255; w = strtok_r(NULL, " ", &save))
		list[n++] = w;
	list[n] = NULL;
	for (const char *const *t = table; *t; t++)
		if (!in_list(list, *t))
			snprintf(missing + strlen(missing), sizeof missing - strlen(missing), " %s", *t);
	for (int i = 0; i < n; i++)
		if (!in_list(table, list[i]) && !in_list(planned, list[i]))
			snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " %s", list[i]);
	if (*missing)
		used += (size_t)snprintf(why + used, size - used, "%s: the %s list lacks%s\n", file,
		                         what, missing);
	if (*extra)
		snprintf(why + used, size - used, "%s: the %s list has names no table has:%s\n", file,
		         what, extra);
	free(copy);
}

/* The words of the Vim group `group` (every `syn keyword GROUP ...` line), space-separated. */
static void vim_words(const char *vim, const char *group, char *out, size_t size)
{
	char head[64];
	snprintf(head, sizeof head, "syn keyword %s ", group);
	out[0] = '\0';
	for (const char *p = vim; (p = strstr(p, head)); p++) {
		const char *w = p + strlen(head), *end = strchr(w, '\n');
		while (*w == ' ')
			w++;
		snprintf(out + strlen(out), size - strlen(out), "%s%.*s", *out ? " " : "",
		         (int)(end - w), w);
	}
}

/* The words of the grammar's pattern named `scope`: its match "\\b(?:a|b|c)\\b". */
static void grammar_words(const char *json, const char *scope, char *out, size_t size)
{
	char key[128];
	snprintf(key, sizeof key, "\"name\": \"%s\"", scope);
	out[0] = '\0';
	const char *at = strstr(json, key);
	if (!at)
		return;
	const char *m = strstr(at, "\"match\": \"\\\\b(?:");
	if (!m)
		return;
	m += strlen("\"match\": \"\\\\b(?:");
	const char *end = strchr(m, ')');
	size_t k = 0;
	for (; m < end && k + 1 < size; m++)
		out[k++] = *m == '|' ? ' ' : *m;
	out[k] = '\0';
}

/* The names of a sig table, NULL-terminated, in names. */
static const char *const *sig_names(const struct sig *table, const char **names, int max)
{
	return schema_sig_names(table, names, max);
}

Test(editors, word_lists_match_the_tables)
{
	char *vim = slurp(VIM_SYNTAX, NULL), *json = slurp(GRAMMAR, NULL);
	cr_assert(vim && json);
	const char *layers[64], *optims[64], *scheds[64], *sources[64], *regs[64], *samplers[64];
	const char *const *losses = schema_param(schema_train_keys, "loss")->choices;
	/* tanh and sigmoid are layers too: Vim lists them there only */
	const char *functions[64];
	int nf = 0;
	for (const char *const *f = fold_functions; *f && nf < 63; f++)
		if (!schema_find(schema_layers, *f))
			functions[nf++] = *f;
	functions[nf] = NULL;
	struct {
		const char *what, *vim_group, *scope;
		const char *const *table;
	} lists[] = {
		{"layer", "nnLayer", "support.function.layer.nn", sig_names(schema_layers, layers, 64)},
		{"optimizer", "nnOptimizer", "support.function.optimizer.nn",
		 sig_names(schema_optimizers, optims, 64)},
		{"schedule", "nnSchedule", "support.function.schedule.nn",
		 sig_names(schema_schedules, scheds, 64)},
		{"loss", "nnLoss", "support.constant.loss.nn", losses},
		{"source", "nnSource", "support.function.source.nn", sig_names(schema_sources, sources, 64)},
		{"regularizer", "nnRegularizer", "support.function.regularizer.nn",
		 sig_names(schema_regularizers, regs, 64)},
		{"sampler", "nnSampler", "support.function.sampler.nn",
		 sig_names(schema_samplers, samplers, 64)},
		{"metric", "nnMetric", "support.constant.metric.nn", schema_metrics},
		{"function", "nnFunction", NULL, functions},
		{"math", NULL, "support.function.math.nn", fold_functions},
	};
	char why[8192] = "", words[2048];
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
		if (lists[i].vim_group) {
			vim_words(vim, lists[i].vim_group, words, sizeof words);
			compare_words(lists[i].what, VIM_SYNTAX, words, lists[i].table, why, sizeof why);
		}
		if (lists[i].scope) {
			grammar_words(json, lists[i].scope, words, sizeof words);
			compare_words(lists[i].what, GRAMMAR, words, lists[i].table, why, sizeof why);
		}
	}
	cr_expect_str_empty(why, "the editor word lists differ from interp/schema.c:\n%s", why);
	free(vim);
	free(json);
}

/* The comparison above reports a name a table has and a list lacks. */
Test(editors, a_missing_word_is_named)
{
	const char *const table[] = {"dense", "conv3d", NULL};
	char why[512] = "";
	compare_words("layer", "x.vim", "dense relu", table, why, sizeof why);
	cr_expect(strstr(why, "lacks conv3d") && strstr(why, "no table has: relu"), "%s", why);
}

static void need_node(void)
{
	cr_assert(have_command("node") && have_command("npm"),
	          "the TextMate grammar test needs Node.js and npm: sudo apt-get install nodejs npm");
	cr_assert_eq(access(NODE_MODULES "/vscode-textmate/package.json", R_OK), 0,
	             "the TextMate grammar test needs the pinned npm packages in " NODE_MODULES
	             ": run `make test` (its editors-test-deps step runs npm install)");
}

Test(editors, textmate_grammar_scopes_every_nn_file, .timeout = 120)
{
	need_node();
	char *out;
	int status = run_shell("NODE_PATH=" NODE_MODULES " node tests/editors/tokenize.js " GRAMMAR
	                       " .", &out);
	cr_expect_eq(status, 0, "tests/editors/tokenize.js:\n%s", out);
	cr_expect(strstr(out, " 0 problems"), "%s", out);
	free(out);
}

/* The tokenizer test fails on a grammar that leaves strings and durations unscoped, and
 * on one whose rule stays open at the end of a line. */
Test(editors, tokenizer_catches_a_bad_grammar, .timeout = 120)
{
	need_node();
	char dir[64], path[128], cmd[512], *out;
	cr_assert(scratch_dir(dir));
	char *json = slurp(GRAMMAR, NULL);
	cr_assert_not_null(json);
	char *s = strstr(json, "\"end\": \"\\\"|$\"");
	cr_assert_not_null(s, "the string rule's end changed: update this test");
	memcpy(s, "\"end\": \"\\\"  \"", strlen("\"end\": \"\\\"|$\"")); /* strings go on */
	char *u = strstr(json, "keyword.other.unit.nn");
	cr_assert_not_null(u);
	memcpy(u, "variable.other.xxx.nn", strlen("keyword.other.unit.nn"));
	snprintf(path, sizeof path, "%s/bad.json", dir);
	write_text(path, json);
	snprintf(cmd, sizeof cmd, "%s/a.nn", dir);
	write_text(cmd, "train t {\n    name = \"unclosed\n    epochs = 3 # 3 epochs\n"
	                "    schedule = warmup(3 epochs)\n}\n");
	snprintf(cmd, sizeof cmd, "NODE_PATH=" NODE_MODULES " node tests/editors/tokenize.js %s %s/a.nn",
	         path, dir);
	int status = run_shell(cmd, &out);
	cr_expect_eq(status, 1, "%s", out);
	cr_expect(strstr(out, "a.nn:2:") && strstr(out, "ends inside a rule"), "%s", out);
	cr_expect(strstr(out, "a.nn:4:") && strstr(out, "duration unit 'epochs'"), "%s", out);
	free(out);
	free(json);
	remove_tree(dir);
}

/* The lexer's reserved words and block words (grammar/lexer.l), NULL-terminated, into
 * words (storage in buf). */
static void lexer_words(const char *lexer, bool blocks, const char **words, int max,
                        char *buf, size_t size)
{
	int n = 0;
	size_t used = 0;
	const char *p = blocks ? strstr(lexer, "top[] = {") : lexer;
	const char *end = blocks && p ? strstr(p, "};") : lexer + strlen(lexer);
	cr_assert(p && end, "grammar/lexer.l changed: update lexer_words");
	for (; p < end && n < max - 1; p++) {
		/* reserved: a line `"word"   { TOKEN(`; blocks: `{"word", TOKEN}` */
		bool at = blocks ? p[0] == '{' && p[1] == '"' : (p == lexer || p[-1] == '\n') && p[0] == '"';
		if (!at)
			continue;
		const char *w = p + (blocks ? 2 : 1), *q = w;
		while (*q >= 'a' && *q <= 'z')
			q++;
		if (*q != '"' || q == w || (!blocks && !strstr(q, "TOKEN(")))
			continue;
		if (!blocks && strchr(q, '\n') < strstr(q, "TOKEN("))
			continue;
		words[n++] = buf + used;
		used += (size_t)snprintf(buf + used, size - used, "%.*s", (int)(q - w), w) + 1;
	}
	words[n] = NULL;
}

/* The words of a grammar regex "...(a|b)..." or "\\b(?:a|b)\\b" in the repository entry
 * named entry whose pattern has the scope (or capture) scope, space-separated. */
static void regex_words(const char *json, const char *entry, char *out, size_t size)
{
	const char *e = strstr(json, entry);
	cr_assert_not_null(e, "%s has no %s", GRAMMAR, entry);
	const char *m = strstr(e, "\"match\": \"");
	cr_assert_not_null(m);
	m = strchr(m + 10, '(');
	if (m[1] == '?' && m[2] == ':')
		m += 2;
	const char *end = strchr(m, ')');
	size_t k = 0;
	for (m++; m < end && k + 1 < size; m++)
		out[k++] = *m == '|' ? ' ' : *m;
	out[k] = '\0';
}

Test(editors, keywords_match_the_lexer)
{
	char *lexer = slurp("grammar/lexer.l", NULL), *vim = slurp(VIM_SYNTAX, NULL);
	char *json = slurp(GRAMMAR, NULL);
	cr_assert(lexer && vim && json);
	const char *reserved[32], *blocks[32];
	char rbuf[512], bbuf[512], why[4096] = "", words[1024], more[512];
	lexer_words(lexer, false, reserved, 32, rbuf, sizeof rbuf);
	lexer_words(lexer, true, blocks, 32, bbuf, sizeof bbuf);
	cr_expect(in_list(reserved, "then") && in_list(reserved, "false"), "lexer_words found too few");
	cr_expect(in_list(blocks, "let") && in_list(blocks, "minimize"), "lexer_words found too few");

	vim_words(vim, "nnKeyword", words, sizeof words);
	vim_words(vim, "nnBoolean", more, sizeof more);
	strcat(strcat(words, " "), more);
	compare_words("reserved word", VIM_SYNTAX, words, reserved, why, sizeof why);
	vim_words(vim, "nnBlock", words, sizeof words);
	compare_words("block word", VIM_SYNTAX, words, blocks, why, sizeof why);

	regex_words(json, "\"keyword.control.nn\"", words, sizeof words);
	regex_words(json, "\"constant.language.boolean.nn\"", more, sizeof more);
	strcat(strcat(words, " "), more);
	compare_words("reserved word", GRAMMAR, words, reserved, why, sizeof why);
	regex_words(json, "\"block\": {", words, sizeof words);
	compare_words("block word", GRAMMAR, words, blocks, why, sizeof why);
	cr_expect_str_empty(why, "the editors' keywords differ from grammar/lexer.l:\n%s", why);
	free(lexer);
	free(vim);
	free(json);
}

/* Vim: ftdetect gives .nn files the nn syntax, which loads without an error and puts a
 * comment, a string, a number, a duration unit, a keyword, a block word and the names of
 * the tables in their groups. */
Test(editors, vim_syntax_groups)
{
	cr_assert(have_command("vim"), "the Vim syntax test needs Vim: sudo apt-get install vim");
	char dir[64], nn[128], script[128], result[128], cmd[1024], *out;
	cr_assert(scratch_dir(dir));
	snprintf(nn, sizeof nn, "%s/a.nn", dir);
	write_text(nn, "# hi\n"
	               "train t {\n"
	               "    schedule = warmup(3 epochs) then cosine(10)\n"
	               "    optimizer = adamw(lr = 1e-3)\n"
	               "    log = \"runs/a.jsonl\"\n"
	               "}\n");
	/* line, column (1-based), group */
	static const struct { int line, col; const char *group; } want[] = {
		{1, 1, "nnComment"}, {2, 1, "nnBlock"}, {3, 16, "nnSchedule"}, {3, 23, "nnNumber"},
		{3, 25, "nnUnit"}, {3, 33, "nnKeyword"}, {3, 38, "nnSchedule"},
		{4, 17, "nnOptimizer"}, {4, 28, "nnNumber"}, {5, 11, "nnString"},
	};
	snprintf(script, sizeof script, "%s/check.vim", dir);
	snprintf(result, sizeof result, "%s/result.txt", dir);
	FILE *f = fopen(script, "w");
	cr_assert_not_null(f);
	fprintf(f, "let out = [&filetype]\n");
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		fprintf(f, "call add(out, '%d:%d ' . synIDattr(synID(%d, %d, 1), 'name'))\n",
		        want[i].line, want[i].col, want[i].line, want[i].col);
	fprintf(f, "call writefile(out, '%s')\nqall!\n", result);
	fclose(f);
	snprintf(cmd, sizeof cmd, "vim -es -N -u NONE -i NONE --cmd 'set rtp^=editors/vim' "
	         "-c 'filetype on' -c 'syntax on' -c 'edit %s' -c 'source %s'", nn, script);
	int status = run_shell(cmd, &out);
	cr_expect_eq(status, 0, "%s:\n%s", cmd, out);
	free(out);
	char *got = slurp(result, NULL);
	cr_assert_not_null(got, "Vim wrote no result (%s)", cmd);
	cr_expect(strncmp(got, "nn\n", 3) == 0, "filetype: %s", got);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		char line[64];
		snprintf(line, sizeof line, "\n%d:%d %s\n", want[i].line, want[i].col, want[i].group);
		cr_expect(strstr(got, line), "Vim does not put %d:%d in %s:\n%s", want[i].line,
		          want[i].col, want[i].group, got);
	}
	free(got);
	remove_tree(dir);
}

/* ---- the reference covers the tables ---- */

/* Whether word occurs in text as a whole word (not inside a longer name). */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = text; (p = strstr(p, word)); p++) {
		bool before = p == text || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
		                              (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'));
		char c = p[n];
		bool after = !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		               (c >= '0' && c <= '9'));
		if (before && after)
			return true;
	}
	return false;
}

static void need_words(const char *doc, const struct param *params, const char *where,
                       char *why, size_t size)
{
	for (const struct param *p = params; p->name; p++) {
		if (!has_word(doc, p->name))
			snprintf(why + strlen(why), size - strlen(why), " %s.%s", where, p->name);
		for (const char *const *c = p->choices; c && *c; c++)
			if (!has_word(doc, *c))
				snprintf(why + strlen(why), size - strlen(why), " %s.%s=%s", where, p->name, *c);
	}
}

/* Every name of interp/schema.c (block keys, layers, optimizers, schedules, sources,
 * regularizers, samplers, their parameters and choices, metrics) is in docs/language.md,
 * so a name added to a table fails here until it is documented. */
Test(docs, the_reference_names_every_table_entry)
{
	char *doc = slurp("docs/language.md", NULL);
	cr_assert_not_null(doc);
	char why[4096] = "";
	const struct { const char *what; const struct sig *table; } sigs[] = {
		{"layer", schema_layers}, {"optimizer", schema_optimizers},
		{"schedule", schema_schedules}, {"source", schema_sources},
		{"regularizer", schema_regularizers}, {"sampler", schema_samplers},
	};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		for (const struct sig *s = sigs[i].table; s->name; s++) {
			if (!has_word(doc, s->name))
				snprintf(why + strlen(why), sizeof why - strlen(why), " %s", s->name);
			need_words(doc, s->params, s->name, why, sizeof why);
		}
	need_words(doc, schema_data_keys, "data", why, sizeof why);
	need_words(doc, schema_train_keys, "train", why, sizeof why);
	need_words(doc, schema_sweep_keys, "sweep", why, sizeof why);
	need_words(doc, schema_minimize_keys, "minimize", why, sizeof why);
	for (const char *const *m = schema_metrics; *m; m++)
		if (!has_word(doc, *m))
			snprintf(why + strlen(why), sizeof why - strlen(why), " %s", *m);
	for (const char *const *f = fold_functions; *f; f++)
		if (!has_word(doc, *f))
			snprintf(why + strlen(why), sizeof why - strlen(why), " %s", *f);
	cr_expect_str_empty(why, "docs/language.md does not mention:%s", why);
	free(doc);
}
