/* test_bind.c — calls are bound to their schema rows once, by the checker, and the
 * lowering reads that binding; the facts the checker and the lowering share (a schedule
 * that ends at 0, a source's files, an optimizer's momentum, the batch default, the
 * scheduled value or its base) are written once and read by both. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data.h"
#include "layers.h"
#include "helpers.h"
#include "lower.h"
#include "optim.h"
#include "override.h"
#include "schedule.h"
#include "schema.h"

static const char net[] = "data d { train = xor(64) }\nnetwork n { dense(2) }\n";

/* Folds and checks text (which must have no errors); the tree is the caller's. */
static struct ast *checked_tree(const char *text, struct source **src)
{
	int errors;
	struct ast *f = fold_text(text, src, &errors);
	cr_assert_eq(errors, 0, "%s", text);
	struct diag d;
	diag_init(&d, NULL);
	cr_assert(check_file(f, &d, NULL), "%s does not check", text);
	return f;
}

Test(bind, the_checker_records_each_calls_binding_and_the_lowering_reads_it)
{
	char text[512];
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 1\n"
	         " optimizer = sgd(0.1, momentum = 0.5)\n}\n", net);
	struct source *src;
	struct ast *f = checked_tree(text, &src);
	const struct ast *opt = ast_value(check_find_block(f, BLOCK_TRAIN, "t"), "optimizer");
	cr_assert_not_null(opt->bound, "the checker left no binding on the optimizer call");
	cr_expect_str_eq(opt->bound->sig->name, "sgd");
	cr_expect_eq(opt->bound->vals[0], opt->kids[0]);
	cr_expect_eq(opt->bound->vals[1], opt->kids[1]->a);
	cr_expect_null(opt->bound->vals[2], "dampening is left to its default");
	/* the lowering reads the recorded binding, not the arguments again */
	struct ast *other = ast_num(opt->loc, 0.25);
	opt->bound->vals[0] = other;
	char label[128];
	struct optim_config c = lower_optimizer(opt, label, sizeof label);
	cr_expect_eq(c.lr, 0.25);
	cr_expect_eq(c.momentum, 0.5);
	ast_free(other);
	ast_free(f);
	source_free(src);
}

Test(bind, a_copy_of_a_checked_call_is_bound_when_first_asked)
{
	char text[512];
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 1\n"
	         " optimizer = adam(betas = (0.5, 0.9))\n}\n", net);
	struct source *src;
	struct ast *f = checked_tree(text, &src);
	struct ast *copy = ast_copy(ast_value(check_find_block(f, BLOCK_TRAIN, "t"), "optimizer"));
	cr_assert_null(copy->bound, "a copy does not share the original's binding");
	const struct bound *b = schema_bound(schema_optimizers, copy);
	cr_assert_not_null(b);
	cr_expect_eq(schema_bound(schema_optimizers, copy), b, "bound once");
	cr_expect_eq(schema_momentum(b), 0.5);
	ast_free(copy);
	ast_free(f);
	source_free(src);
}

Test(bind, momentum_schedule_warns_when_betas_give_no_momentum)
{
	char text[512];
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 2\n"
	         " optimizer = adam(betas = (0, 0.999))\n momentum_schedule = cosine(2 epochs)\n}\n",
	         net);
	struct checked r = check_text(text);
	cr_expect_eq(r.errors, 0, "%s", r.messages);
	cr_expect(strstr(r.messages, "momentum_schedule has no effect: adam has no momentum") != NULL,
	          "%s", r.messages);
	free(r.messages);
	/* betas with a momentum: no warning, as with beta1 */
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 2\n"
	         " optimizer = adam(beta1 = 0, betas = (0.9, 0.999))\n"
	         " momentum_schedule = cosine(2 epochs)\n}\n", net);
	r = check_text(text);
	cr_expect(strstr(r.messages, "has no momentum") == NULL, "%s", r.messages);
	free(r.messages);
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 2\n"
	         " optimizer = nadam(betas = (0.8, 0.9))\n momentum_schedule = cosine(2 epochs)\n}\n",
	         net);
	r = check_text(text);
	cr_expect_eq(r.warnings, 0, "%s", r.messages);
	free(r.messages);
}

Test(bind, rows_carry_the_facts_the_checker_and_the_lowering_share)
{
	static const struct { const char *name; const char *zero_end; } ends[] = {
		{"cosine", "eta_min"}, {"poly", "end"}, {"linear", "end_factor"},
		{"constant", NULL}, {"warmup", NULL}, {"one_cycle", NULL}, {"step", NULL},
	};
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		const struct sig *s = schema_find(schema_schedules, ends[i].name);
		cr_assert_not_null(s);
		if (ends[i].zero_end)
			cr_expect_str_eq(s->zero_end, ends[i].zero_end, "%s", ends[i].name);
		else
			cr_expect_null(s->zero_end, "%s", ends[i].name);
	}
	static const struct { const char *name; int files; } files[] = {
		{"idx", 2}, {"npy", 2}, {"csv", 1}, {"spirals", 0}, {"blobs", 0}, {"xor", 0},
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		cr_expect_eq(schema_find(schema_sources, files[i].name)->files, files[i].files, "%s",
		             files[i].name);
	/* every schedule row lowers to the runtime schedule of its kind */
	for (const struct sig *s = schema_schedules; s->name; s++) {
		const char *args = s->kind == SCHED_CONSTANT ? "" : s->kind == SCHED_MULTISTEP ? "[2]"
			: s->kind == SCHED_TRIANGULAR ? "2, 0.1" : "2";
		char text[64];
		snprintf(text, sizeof text, "%s(%s)", s->name, args);
		struct source *src;
		int errors;
		char *messages;
		struct ast *e = parse_text(text, PARSE_EXPR, &src, &errors, &messages);
		cr_assert_not_null(e, "%s: %s", text, messages);
		free(messages);
		struct diag d;
		diag_init(&d, NULL);
		cr_assert(check_schedule_expr(e, &d), "%s", text);
		struct sched *lowered = lower_schedule(e, 0, &d);
		cr_assert_not_null(lowered, "%s", text);
		cr_expect_eq((int)lowered->kind, s->kind, "%s", text);
		/* the row's facts are the runtime's: a length, and 0 at the end when zero_end is */
		cr_expect_eq(s->length != NULL, isfinite(sched_length(lowered)), "%s", text);
		if (s->zero_end)
			cr_expect_eq(sched_value(lowered, 1, sched_length(lowered)), 0, "%s", text);
		sched_free(lowered);
		ast_free(e);
		source_free(src);
	}
}

Test(bind, the_scheduled_value_or_its_base)
{
	cr_expect_eq(sched_value_or(NULL, 0.125, 7), 0.125);
	struct sched *s = sched_new(SCHED_EXPONENTIAL);
	cr_assert_not_null(s);
	s->u.exponential.gamma = 0.5;
	cr_expect_eq(sched_value_or(s, 1, 3), sched_value(s, 1, 3));
	cr_expect_eq(sched_value_or(s, 1, 3), 0.125);
	sched_free(s);
}

Test(bind, a_blocks_defaults_and_choices_come_from_the_schema)
{
	char text[512];
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 1\n"
	         " loss = bce\n optimizer = sgd(lr = 0.1 * batch / 32)\n}\n", net);
	struct source *src;
	struct ast *f = checked_tree(text, &src);
	const struct ast *t = check_find_block(f, BLOCK_TRAIN, "t");
	cr_expect_eq(schema_param(schema_train_keys, "batch")->dflt, 32);
	cr_expect_eq(schema_setting(schema_train_keys, t, "batch"), 32);
	cr_expect_eq(schema_setting(schema_train_keys, t, "epochs"), 1);
	cr_expect_eq(schema_setting(schema_train_keys, t, "decay_biases"), 0);
	cr_expect_eq(ast_call_arg(ast_value(t, "optimizer"), "lr")->num, 0.1,
	             "fold's batch is the schema's default");
	const struct param *loss = schema_param(schema_train_keys, "loss");
	cr_expect_eq(schema_choice(loss, ast_value(t, "loss")), LOSS_BCE);
	cr_expect_eq(schema_choice(loss, NULL), LOSS_CROSS_ENTROPY);
	const struct param *norm = schema_param(schema_data_keys, "normalize");
	cr_expect_eq(schema_choice(norm, NULL), NORMALIZE_NONE);
	ast_free(f);
	source_free(src);
}

Test(bind, dotted_keys_are_split_in_one_place)
{
	static const struct { const char *key; enum key_target target; const char *param; } keys[] = {
		{"epochs", KEY_TRAIN, "epochs"}, {"optimizer.lr", KEY_OPTIMIZER, "lr"},
		{"schedule.T0", KEY_SCHEDULE, "T0"}, {"loss.x", KEY_NOWHERE, "x"},
		{"optimizers.lr", KEY_NOWHERE, "lr"}, {"optim.lr", KEY_NOWHERE, "lr"},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct key_path p = override_split(keys[i].key);
		cr_expect_eq(p.target, keys[i].target, "%s", keys[i].key);
		cr_expect_str_eq(p.param, keys[i].param, "%s", keys[i].key);
	}
	struct source *src;
	int errors;
	char *messages;
	struct ast *e = parse_text("warmup(2) then cosine(10, eta_min = 0.1)", PARSE_EXPR, &src,
	                           &errors, &messages);
	cr_assert_not_null(e, "%s", messages);
	free(messages);
	const struct sig *sig = NULL;
	cr_expect_eq(override_schedule_call(e, "eta_min", &sig), e->b);
	cr_expect_str_eq(sig->name, "cosine");
	cr_expect_null(override_schedule_call(e, "gamma", &sig));
	cr_expect_str_eq(sig->name, "cosine", "the last row looked at, for the message");
	ast_free(e);
	source_free(src);
}

Test(bind, layer_choices_lower_to_the_runtime_enums)
{
	struct source *src;
	struct ast *f = checked_tree("data d { train = xor(64) }\nnetwork n {\n dense(4, init = he)\n"
	                             " dense(4, init = xavier)\n dense(4)\n dropout(0.5, scaling = test)\n"
	                             " dropout(0.5)\n dense(2)\n}\ntrain t {\n network = n\n data = d\n"
	                             " epochs = 1\n optimizer = sgd(0.1)\n}\n", &src);
	const struct ast *n = check_find_block(f, BLOCK_NETWORK, "n");
	union op_args a[5];
	for (int i = 0; i < 5; i++) {
		const struct bound *b = n->kids[i]->a->bound;
		cr_assert_not_null(b, "layer %d was not bound by the checker", i);
		b->sig->args(b->sig, b->vals, &a[i]);
	}
	cr_expect_eq(a[0].dense.init, INIT_HE);
	cr_expect_eq(a[1].dense.init, INIT_XAVIER);
	cr_expect_eq(a[2].dense.init, INIT_DEFAULT);
	cr_expect(!a[3].dropout.inverted);
	cr_expect(a[4].dropout.inverted);
	ast_free(f);
	source_free(src);
}

Test(bind, every_optimizer_parameter_names_the_field_it_sets)
{
	for (const struct sig *s = schema_optimizers; s->name; s++) {
		int momentum = 0;
		for (const struct param *p = s->params; p->name; p++) {
			cr_expect_neq(p->field, OF_NONE, "%s(%s)", s->name, p->name);
			momentum += p->field == OF_MOMENTUM;
		}
		cr_expect_eq(momentum, s->kind == OPT_ADAGRAD ? 0 : 1, "%s", s->name);
	}
	/* the momentum a call gives: its momentum parameter, or the first of its betas */
	struct source *src;
	char text[512];
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 1\n"
	         " optimizer = rmsprop(momentum = 0.3)\n}\n", net);
	struct ast *f = checked_tree(text, &src);
	const struct ast *opt = ast_value(check_find_block(f, BLOCK_TRAIN, "t"), "optimizer");
	cr_expect_eq(schema_momentum(opt->bound), 0.3);
	char label[128];
	cr_expect_eq(lower_optimizer(opt, label, sizeof label).momentum, 0.3);
	ast_free(f);
	source_free(src);
}

Test(bind, a_sweeps_copy_of_a_checked_value_keeps_its_binding)
{
	char text[512];
	snprintf(text, sizeof text, "%strain t {\n network = n\n data = d\n epochs = 1\n"
	         " optimizer = sgd(0.1)\n}\nsweep {\n optimizer in [adam(betas = (0.5, 0.9)), "
	         "sgd(0.2, momentum = 0.7)]\n}\n", net);
	struct source *src;
	struct ast *f = checked_tree(text, &src);
	const struct ast *sweep = f->kids[f->nkids - 1];
	cr_assert(sweep->kind == AST_BLOCK && sweep->op == BLOCK_SWEEP);
	const struct ast *list = sweep->kids[0]->a;
	const struct ast *sgd = list->kids[1];
	cr_assert_not_null(sgd->bound, "the checker bound the listed value");
	struct ast *copy = schema_copy_at(sgd, sgd->loc);
	cr_assert_not_null(copy);
	cr_assert_not_null(copy->bound, "the copy keeps the binding");
	cr_expect_eq(copy->bound->sig, sgd->bound->sig);
	cr_expect_eq(copy->bound->vals[0], copy->kids[0], "pointing at the copy's own nodes");
	cr_expect_eq(copy->bound->vals[1], copy->kids[1]->a);
	cr_expect_null(copy->bound->vals[2]);
	char label[128];
	struct optim_config c = lower_optimizer(copy, label, sizeof label);
	cr_expect_eq(c.lr, 0.2);
	cr_expect_eq(c.momentum, 0.7);
	ast_free(copy);
	ast_free(f);
	source_free(src);
}
