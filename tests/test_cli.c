/* test_cli.c — the `descent` command end to end: help, version, exit statuses, standard
 * input, `descent schedule` output and plots, and the commands still to come. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"

#define RUN(out, err, ...) run_descent((const char *const[]){__VA_ARGS__, NULL}, NULL, out, err)

Test(cli, prints_help_and_version)
{
	char *out;
	cr_expect_eq(RUN(&out, NULL, "--help"), 0);
	cr_expect(strstr(out, "usage: descent COMMAND") != NULL);
	free(out);
	cr_expect_eq(RUN(&out, NULL, "--version"), 0);
	cr_expect(strncmp(out, "descent ", 8) == 0, "%s", out);
	free(out);
	static const char *const commands[] = {"run", "check", "ir", "sweep", "schedule"};
	for (int i = 0; i < 5; i++) {
		cr_expect_eq(RUN(&out, NULL, commands[i], "--help"), 0);
		cr_expect(strstr(out, "usage: descent ") != NULL, "%s --help: %s", commands[i], out);
		free(out);
	}
}

Test(cli, answers_misuse_with_status_2)
{
	char *err;
	cr_expect_eq(RUN(NULL, &err, "chek", "x.nn"), 2);
	cr_expect(strstr(err, "did you mean 'check'?") != NULL, "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, NULL, "check"), 2);
	cr_expect_eq(RUN(NULL, NULL, "check", "--frobnicate", "x.nn"), 2);
	cr_expect_eq(RUN(NULL, NULL, "check", "a.nn", "b.nn"), 2);
	cr_expect_eq(run_descent((const char *const[]){NULL}, NULL, NULL, NULL), 2);
}

/* A DESCENT_KERNELS the program does not know would cap nothing: refused, not ignored. */
Test(cli, refuses_an_unknown_descent_kernels_value)
{
	char *err;
	setenv("DESCENT_KERNELS", "AVX2", 1);
	cr_expect_eq(run_descent((const char *const[]){"schedule", "constant", "--lr", "0.1",
	                                                "--steps", "2", NULL}, NULL, NULL, &err), 2);
	cr_expect(strstr(err, "DESCENT_KERNELS='AVX2' is not a kernel set: use portable, avx2 or "
	                 "avx512") != NULL, "%s", err);
	free(err);
	setenv("DESCENT_KERNELS", "avx2", 1);
	cr_expect_eq(run_descent((const char *const[]){"schedule", "constant", "--lr", "0.1",
	                                                "--steps", "2", NULL}, NULL, NULL, &err), 0,
	             "%s", err);
	free(err);
	unsetenv("DESCENT_KERNELS");
}

Test(cli, checks_standard_input_and_names_a_missing_file)
{
	char *out, *err;
	int status = run_descent((const char *const[]){"check", "-", NULL},
	                         "network n { dense(2) }\n", &out, &err);
	cr_expect_eq(status, 0, "%s", err);
	cr_expect(strstr(out, "<stdin>: ok") != NULL, "%s", out);
	free(out);
	free(err);
	status = run_descent((const char *const[]){"check", "-", NULL}, "network n { dense(0) }\n",
	                     NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strncmp(err, "<stdin>:1:19: error:", 20) == 0, "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "check", "no/such/file.nn"), 1);
	cr_expect(strstr(err, "cannot read no/such/file.nn: No such file") != NULL, "%s", err);
	free(err);
}

Test(cli, prints_a_schedule_as_csv_with_17_digits)
{
	char *out;
	/* expected: the closed form in Python, 0.05·(1 + cos(pi·t/4)) after 4 warmup steps */
	cr_assert_eq(RUN(&out, NULL, "schedule", "warmup(2 epochs) then cosine(4)", "--lr", "0.1",
	                 "--steps", "8", "--steps-per-epoch", "2"), 0);
	cr_expect_str_eq(out, "step,lr\n"
	                      "0,0\n"
	                      "1,0.025000000000000001\n"
	                      "2,0.050000000000000003\n"
	                      "3,0.075000000000000011\n"
	                      "4,0.10000000000000001\n"
	                      "5,0.085355339059327379\n"
	                      "6,0.050000000000000003\n"
	                      "7,0.014644660940672627\n");
	free(out);
}

Test(cli, draws_a_schedule_with_labelled_axes)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/descent-plot-%d.svg", (int)getpid());
	cr_assert_eq(RUN(NULL, NULL, "schedule", "cosine_restart(T0 = 10, T_mult = 2)", "--lr",
	                 "1", "--steps", "70", "--plot", path), 0);
	char *svg = slurp(path, NULL);
	cr_assert_not_null(svg);
	cr_expect(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	cr_expect(strstr(svg, ">step</text>") != NULL);
	cr_expect(strstr(svg, ">learning rate</text>") != NULL);
	cr_expect(strstr(svg, "<polyline") != NULL);
	cr_expect(strstr(svg, ">60</text>") != NULL, "an x tick at 60");
	cr_expect(strstr(svg, "</svg>\n") != NULL);
	free(svg);
	unlink(path);
}

Test(cli, rejects_bad_schedule_arguments)
{
	char *err;
	cr_expect_eq(RUN(NULL, &err, "schedule", "cosine(2 epochs)", "--lr", "1", "--steps", "5"), 1);
	cr_expect(strstr(err, "<schedule>:1:8: error: this duration is in epochs") != NULL, "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "schedule", "cosin(10)", "--lr", "1", "--steps", "5"), 1);
	cr_expect(strstr(err, "did you mean 'cosine'?") != NULL, "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, NULL, "schedule", "cosine(10)", "--lr", "-1", "--steps", "5"), 2);
	cr_expect_eq(RUN(NULL, NULL, "schedule", "cosine(10)", "--lr", "1"), 2);
	cr_expect_eq(RUN(NULL, NULL, "schedule", "cosine(10)", "--lr", "1", "--steps", "2.5"), 2);
	cr_expect_eq(RUN(NULL, NULL, "schedule", "cosine(10)", "--lr", "1", "--steps", "3",
	                 "--plot", "/no/such/dir/x.svg"), 1);
}

Test(cli, sweep_checks_the_file_first)
{
	char *err;
	cr_expect_eq(RUN(NULL, &err, "sweep", "examples/fashion_mlp.nn"), 1);
	cr_expect(strstr(err, "examples/fashion_mlp.nn has no sweep block") != NULL, "%s", err);
	free(err);
	cr_expect_eq(RUN(NULL, &err, "sweep", "tests/errors/unknown_optimizer.nn"), 1);
	cr_expect(strstr(err, "unknown optimizer 'adamx'") != NULL, "%s", err);
	free(err);
}

static const char two_blocks[] =
	"let base = 0.05\n"
	"data d { train = blobs(64, classes = 2) }\nnetwork n { dense(2) }\n"
	"train a {\n network = n\n data = d\n optimizer = sgd(lr = base)\n epochs = 2\n}\n"
	"train b {\n network = n\n data = d\n optimizer = sgd(lr = base)\n"
	" schedule = warmup(2) then cosine(total = 10)\n epochs = 2\n}\n";

/* How many lines of the final tables start with "  " and an epoch number. */
static int epochs_printed(const char *out, const char *block)
{
	const char *p = strstr(out, block);
	int n = 0;
	for (p = p ? strchr(p, '\n') : NULL; p && (p = strchr(p + 1, '\n'));) {
		int epoch;
		if (sscanf(p + 1, "%d", &epoch) != 1)
			break;
		n++;
	}
	return n;
}

Test(cli, sets_keys_and_parameters_from_the_command_line)
{
	char *out, *err;
	int status = run_descent((const char *const[]){"run", "--quiet", "--set", "a.epochs=1",
		"--set", "optimizer.lr = base * 2", "--set", "schedule.total=3", "-", NULL},
		two_blocks, &out, &err);
	cr_assert_eq(status, 0, "%s", err);
	cr_expect_eq(epochs_printed(out, "a: network"), 1, "%s", out);
	cr_expect_eq(epochs_printed(out, "b: network"), 2, "%s", out);
	free(out);
	free(err);
}

Test(cli, reports_a_bad_set_key_in_the_command_line)
{
	char *err;
	int status = run_descent((const char *const[]){"run", "--set", "b.epoch=1", "-", NULL},
	                         two_blocks, NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "--set:1:1: error: unknown key 'epoch'\n    1 | b.epoch=1\n") != NULL,
	          "%s", err);
	cr_expect(strstr(err, "help: did you mean 'epochs'?") != NULL, "%s", err);
	free(err);
	status = run_descent((const char *const[]){"run", "--set", "optimizer.momentun=0.9", "-", NULL},
	                     two_blocks, NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "did you mean 'momentum'?") != NULL, "%s", err);
	free(err);
	status = run_descent((const char *const[]){"run", "--set", "epochs=\"two\"", "-", NULL},
	                     two_blocks, NULL, &err);
	cr_expect_eq(status, 1);
	cr_expect(strstr(err, "--set:1:8: error: 'epochs' expects a whole number, found a string")
	          != NULL, "%s", err);
	free(err);
	status = run_descent((const char *const[]){"run", "--set", "epochs 2", "-", NULL},
	                     two_blocks, NULL, &err);
	cr_expect_eq(status, 2, "%s", err); /* a --set that does not parse is misuse */
	cr_expect(strncmp(err, "--set:1:", 8) == 0, "%s", err);
	free(err);
}
