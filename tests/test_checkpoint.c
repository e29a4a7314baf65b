/* test_checkpoint.c — runtime/checkpoint.c: a checkpoint holds the whole state of a run
 * bit for bit (weights, every optimizer state array, batchnorm statistics, metrics), and
 * a checkpoint that is truncated, corrupt, or of another run, source or program version is
 * refused with a message that says so. (test_resume.c kills and resumes real runs.) */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "helpers.h"
#include "isa.h"
#include "safetensors.h"

static const struct checkpoint_id id = {"descent 0.1.0", "t", "0123456789abcdef", "train t {}",
                                         "avx2"};

/* dense(5) → batchnorm → dense(3) on 4 inputs, trained by Adam with amsgrad (all four
 * state arrays in use), every float of the arena set from seed. */
static void make_net(struct net *n, uint64_t seed)
{
	char err[200];
	*n = (struct net){0};
	n->opt = (struct optim_config){.kind = OPT_ADAM, .lr = 1e-3, .momentum = 0.9,
	                               .beta2 = 0.999, .eps = 1e-8, .amsgrad = true};
	cr_assert_eq(net_add_dense(n, "dense1", 4, 5, true, INIT_DEFAULT), 0);
	cr_assert_eq(net_add_batchnorm(n, "batchnorm1", 5, 0.1, 1e-5), 0);
	cr_assert_eq(net_add_dense(n, "dense2", 5, 3, false, INIT_DEFAULT), 0);
	cr_assert_eq(net_plan(n, 8, err, sizeof err), 0, "%s", err);
	float *s[] = {n->state.buf, n->state.sq, n->state.avg, n->state.max};
	cr_assert(n->state.sq && n->state.avg && n->state.max);
	for (int64_t i = 0; i < n->nparams; i++) {
		n->params[i] = (float)sin((double)(seed * 1000 + (uint64_t)i));
		for (int k = 1; k < 4; k++)
			s[k][i] = (float)(k + cos((double)(seed * 77 + (uint64_t)i)));
	}
	for (int64_t i = 0; i < n->nstats; i++)
		n->stats[i] = (float)(seed + (uint64_t)i);
	n->layers[1].tracked = (int64_t)seed * 3;
}

static void make_metrics(struct train_metrics *m, int epochs)
{
	for (int e = 0; e < epochs; e++)
		m[e] = (struct train_metrics){
			.epoch = e + 1, .step = 10 * (e + 1), .lr = 0.1 / (e + 1),
			.train_loss = 2.0 / (e + 1), .train_acc = 0.5, .has_val = true,
			.val_loss = 1.0 / 3, .val_acc = 0.25, .test_loss = NAN, .seconds = 0.001 * e,
		};
}

static void scratch_file(char *path, char *dir)
{
	strcpy(dir, "/tmp/descent-ckpt-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	sprintf(path, "%s/run.ckpt", dir);
}

static void remove_scratch(const char *path, const char *dir)
{
	unlink(path);
	rmdir(dir);
}

Test(checkpoint, restores_weights_optimizer_state_statistics_and_metrics_bit_for_bit)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	struct net a, b;
	make_net(&a, 1);
	make_net(&b, 2);
	struct train_metrics m[4], back[6];
	make_metrics(m, 4);
	cr_assert_eq(checkpoint_save(path, &a, m, 4, &id, err, sizeof err), 0, "%s", err);
	struct checkpoint_found found;
	cr_assert_eq(checkpoint_load(path, &b, back, 6, &found, &id, err, sizeof err), 0, "%s", err);
	cr_expect_eq(found.epochs, 4);
	cr_expect_eq(memcmp(a.params, b.params, (size_t)a.nparams * sizeof *a.params), 0);
	cr_expect_eq(memcmp(a.stats, b.stats, (size_t)a.nstats * sizeof *a.stats), 0);
	cr_expect_eq(b.layers[1].tracked, 3);
	size_t bytes = (size_t)a.nparams * sizeof(float);
	cr_expect_eq(memcmp(a.state.sq, b.state.sq, bytes), 0);
	cr_expect_eq(memcmp(a.state.avg, b.state.avg, bytes), 0);
	cr_expect_eq(memcmp(a.state.max, b.state.max, bytes), 0);
	for (int e = 0; e < 4; e++) {
		cr_expect_eq(back[e].epoch, e + 1);
		cr_expect_eq(back[e].step, 10 * (e + 1));
		cr_expect_eq(back[e].lr, m[e].lr);
		cr_expect_eq(back[e].train_loss, m[e].train_loss);
		cr_expect_eq(back[e].val_loss, m[e].val_loss);
		cr_expect_eq(back[e].seconds, m[e].seconds);
		cr_expect(back[e].has_val && !back[e].has_test);
	}
	net_free(&a);
	net_free(&b);
	remove_scratch(path, dir);
}

/* Saves a checkpoint of make_net(1) after `epochs` epochs (at most 4) and returns its
 * bytes (*len). */
static char *saved_checkpoint(const char *path, int epochs, size_t *len)
{
	char err[600];
	struct net a;
	make_net(&a, 1);
	struct train_metrics m[4];
	make_metrics(m, epochs);
	cr_assert_eq(checkpoint_save(path, &a, m, epochs, &id, err, sizeof err), 0, "%s", err);
	net_free(&a);
	char *bytes = slurp(path, len);
	cr_assert_not_null(bytes);
	return bytes;
}

Test(checkpoint, names_the_optimizer_state_as_pytorch_does)
{
	char dir[64], path[128];
	scratch_file(path, dir);
	char *file = saved_checkpoint(path, 1, NULL);
	const char *text = file + 8; /* the header, after its length */
	const char *names[] = {"\"dense1.weight.exp_avg\"", "\"dense1.bias.exp_avg_sq\"",
	                       "\"dense2.weight.max_exp_avg_sq\"", "\"batchnorm1.weight.exp_avg\"",
	                       "\"batchnorm1.running_var\"", "\"metrics\":{\"dtype\":\"F64\",\"shape\":[1,11]",
	                       "\"format\":\"descent checkpoint 1\""};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		cr_expect(strstr(text, names[i]) != NULL, "no %s", names[i]);
	cr_expect(strstr(text, "running_var.exp_avg") == NULL, "statistics have no optimizer state");
	free(file);
	remove_scratch(path, dir);
}

static void write_bytes(const char *path, const char *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

/* checkpoint_load of path into a fresh net; its message in err. */
static int load(const char *path, const struct checkpoint_id *as, char *err, size_t size)
{
	struct net b;
	make_net(&b, 2);
	struct train_metrics m[3];
	struct checkpoint_found found;
	int status = checkpoint_load(path, &b, m, 3, &found, as, err, size);
	net_free(&b);
	return status;
}

Test(checkpoint, refuses_every_truncation)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	size_t len;
	char *whole = saved_checkpoint(path, 1, &len);
	for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : 37) {
		write_bytes(path, whole, cut);
		cr_expect_eq(load(path, &id, err, sizeof err), -1, "cut at %zu accepted", cut);
		cr_expect(strstr(err, path) != NULL, "cut at %zu: %s", cut, err);
	}
	write_bytes(path, whole, len - 1);
	cr_expect_eq(load(path, &id, err, sizeof err), -1);
	cr_expect(strstr(err, "is not inside the file") != NULL, "%s", err);
	free(whole);
	remove_scratch(path, dir);
}

Test(checkpoint, refuses_a_changed_byte_anywhere_in_the_data)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	size_t len;
	char *whole = saved_checkpoint(path, 1, &len);
	uint64_t header = 0;
	for (int b = 7; b >= 0; b--)
		header = header << 8 | (unsigned char)whole[b];
	for (size_t at = 8 + header; at < len; at += 3) {
		whole[at] ^= 0x10;
		write_bytes(path, whole, len);
		whole[at] ^= 0x10;
		cr_expect_eq(load(path, &id, err, sizeof err), -1, "a change at %zu accepted", at);
		cr_expect(strstr(err, "corrupt: its data has CRC-32") != NULL, "at %zu: %s", at, err);
	}
	write_bytes(path, whole, len);
	cr_expect_eq(load(path, &id, err, sizeof err), 0, "%s", err);
	free(whole);
	remove_scratch(path, dir);
}

Test(checkpoint, refuses_another_program_run_source_or_format)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	free(saved_checkpoint(path, 1, NULL));
	struct checkpoint_id other = id;
	other.program = "descent 0.2.0";
	cr_expect_eq(load(path, &other, err, sizeof err), -1);
	cr_expect(strstr(err, "written by descent 0.1.0; this is descent 0.2.0") != NULL, "%s", err);
	other = id;
	other.run = "baseline";
	cr_expect_eq(load(path, &other, err, sizeof err), -1);
	cr_expect(strstr(err, "holds the state of train 't', not of 'baseline'") != NULL, "%s", err);
	other = id;
	other.source = "fedcba9876543210";
	cr_expect_eq(load(path, &other, err, sizeof err), -1);
	cr_expect(strstr(err, "written for another file, or before this file or its --set values "
	                      "changed") != NULL, "%s", err);
	other = id;
	other.text = "another text is no reason to refuse";
	cr_expect_eq(load(path, &other, err, sizeof err), 0, "%s", err);
	/* plain weights, as `save` writes them, are not a checkpoint */
	float w = 1;
	struct st_tensor t = {"w", 1, {1, 1}, &w};
	cr_assert_eq(st_save(path, &t, 1, NULL, 0, err, sizeof err), 0);
	cr_expect_eq(load(path, &id, err, sizeof err), -1);
	cr_expect(strstr(err, "not a descent checkpoint") != NULL, "%s", err);
	remove_scratch(path, dir);
}

Test(checkpoint, refuses_more_epochs_than_the_run_has)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	free(saved_checkpoint(path, 4, NULL));
	cr_expect_eq(load(path, &id, err, sizeof err), -1);
	cr_expect(strstr(err, "holds epoch '4'; this run has epochs 1 to 3") != NULL, "%s", err);
	remove_scratch(path, dir);
}

Test(checkpoint, metadata_round_trips_escapes_and_unicode)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	float w = 1;
	struct st_tensor t = {"w", 1, {1, 1}, &w};
	const char *value = "tab\there \"quoted\" back\\slash\nnewline \x01 é 𝔼";
	struct st_meta meta[] = {{"text", value}, {"empty", ""}};
	cr_assert_eq(st_save(path, &t, 1, meta, 2, err, sizeof err), 0, "%s", err);
	struct st_meta *back;
	int n;
	cr_assert_eq(st_metadata(path, &back, &n, err, sizeof err), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(back[0].key, "text");
	cr_expect_str_eq(back[0].value, value);
	cr_expect_str_eq(back[1].value, "");
	st_meta_free(back, n);
	remove_scratch(path, dir);
}

Test(checkpoint, metadata_decodes_the_escapes_other_writers_use)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	/* as Python's json.dumps writes it: \u escapes, a surrogate pair, \/ */
	const char header[] = "{\"__metadata__\":{\"k\":\"\\u00e9\\ud835\\udd3c\\/\\t\"},"
	                      "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
	char file[256] = {(char)(sizeof header - 1)};
	memcpy(file + 8, header, sizeof header - 1);
	write_bytes(path, file, 8 + sizeof header - 1 + 4);
	struct st_meta *back;
	int n;
	cr_assert_eq(st_metadata(path, &back, &n, err, sizeof err), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(back[0].value, "é𝔼/\t");
	st_meta_free(back, n);
	remove_scratch(path, dir);
}

/* ---- end to end: `descent run` with a checkpoint, killed and resumed ---- */

/* Digits through a network with batchnorm and dropout (statistics and random masks to
 * restore), AdamW (state) and a warmup then cosine (the step), checkpointed every epoch. */
static const char resumable[] =
	"data digits {\n"
	"    train = csv(\"data/digits_train.csv\", label = \"digit\")\n"
	"    test  = csv(\"data/digits_test.csv\", label = \"digit\")\n"
	"    scale = 1/16\n"
	"    normalize = standard\n"
	"    validation = 0.1\n"
	"}\n"
	"network net {\n    dense(256, bias = false)\n    batchnorm\n    relu\n"
	"    dropout(rate = 0.2)\n    dense(10)\n}\n"
	"train r {\n"
	"    network = net\n    data = digits\n"
	"    optimizer = adamw(lr = 1e-3, wd = 0.01)\n"
	"    schedule = warmup(2 epochs) then cosine(58 epochs)\n"
	"    epochs = 60\n    batch = 32\n    seed = 3\n"
	"    log = \"runs/r.jsonl\"\n    save = \"runs/r.safetensors\"\n"
	"    checkpoint = \"runs/r.ckpt\"\n"
	"}\n";

/* A scratch folder holding r.nn (resumable, its data found through DESCENT_DATA); the
 * folder in dir (64 bytes), the file in nn (128). */
static void resumable_scratch(char *dir, char *nn)
{
	char *cwd = getcwd(NULL, 0), data[4200];
	snprintf(data, sizeof data, "%s/examples", cwd);
	setenv("DESCENT_DATA", data, 1);
	free(cwd);
	cr_assert(scratch_dir(dir));
	snprintf(nn, 128, "%s/r.nn", dir);
	cr_assert_eq(write_text(nn, resumable), 0);
}

/* The file dir/name, with its length. */
static char *output(const char *dir, const char *name, size_t *len)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *text = slurp(path, len);
	cr_assert_not_null(text, "no %s", path);
	return text;
}

static int lines_of(const char *text)
{
	int n = 0;
	for (const char *p = text; p && (p = strchr(p, '\n')); p++)
		n++;
	return n;
}

/* Starts `descent run --quiet nn` in a process group of its own, its output dropped but
 * for its stderr, which goes to err_path if not NULL. */
static pid_t start_run(const char *nn, const char *err_path, const char *set)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_WRONLY);
		int err = err_path ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : null;
		dup2(null, 1);
		dup2(err, 2);
		const char *bin = getenv("DESCENT") ? getenv("DESCENT") : "./descent";
		if (set)
			execl(bin, bin, "run", "--quiet", "--set", set, nn, (char *)NULL);
		else
			execl(bin, bin, "run", "--quiet", nn, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Waits (a minute at most) until the log in dir has the lines of `epochs` epochs. */
static void wait_for_epochs(const char *dir, int epochs)
{
	char path[160];
	snprintf(path, sizeof path, "%s/runs/r.jsonl", dir);
	for (int waited = 0; waited < 60000; waited++) {
		char *log = slurp(path, NULL);
		int lines = lines_of(log);
		free(log);
		if (lines >= epochs)
			return;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
}

/* SIGKILLs run pid (its process group) once dir's log has the given epochs, and reaps it;
 * fails if it ended first. */
static void kill_after_epochs(pid_t pid, const char *dir, int epochs)
{
	wait_for_epochs(dir, epochs);
	kill(-pid, SIGKILL);
	int how;
	waitpid(pid, &how, 0);
	cr_assert(WIFSIGNALED(how), "the run ended before it could be killed");
}

Test(checkpoint, a_run_killed_after_a_checkpoint_resumes_to_the_same_weights_and_log)
{
	char whole[64], killed[64], nn_whole[128], nn_killed[128], *err;
	resumable_scratch(whole, nn_whole);
	resumable_scratch(killed, nn_killed);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn_whole, NULL}, NULL, NULL,
	                         &err), 0, "%s", err);
	free(err);
	pid_t pid = start_run(nn_killed, NULL, NULL);
	kill_after_epochs(pid, killed, 2);
	char *before = output(killed, "runs/r.jsonl", NULL);
	int done = lines_of(before);
	cr_assert(done >= 2 && done < 60, "killed after %d epochs", done);
	/* resumed on one thread, killed on two: a result never depends on the thread count */
	cr_assert_eq(run_descent((const char *const[]){"run", "--resume", "--threads", "1", nn_killed,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "r: resuming from ") != NULL, "%s", err);
	cr_expect(strstr(err, "GEMM kernel") == NULL, "the same kernel warned: %s", err);
	free(err);
	const char *differ = runs_differ(whole, killed, "runs/r.safetensors", "runs/r.jsonl");
	cr_expect_null(differ, "%s, resumed against uninterrupted", differ);
	/* the epochs before the checkpoint keep their lines, seconds and all (the kill may
	 * have come between the last line and its checkpoint) */
	char *after = output(killed, "runs/r.jsonl", NULL), *end = before;
	for (int line = 0; line < done - 1; line++)
		end = strchr(end, '\n') + 1;
	*end = '\0';
	cr_expect(strncmp(after, before, strlen(before)) == 0, "%s\n--- became ---\n%s", before, after);
	free(before);
	free(after);
	cr_expect_eq(remove_tree(whole), 0);
	cr_expect_eq(remove_tree(killed), 0);
}

/* What --resume must leave as it found: the checkpoint, the log and the weights. */
struct outputs {
	char *checkpoint, *log, *weights;
	size_t checkpoint_len, log_len, weights_len;
};

static struct outputs outputs_of(const char *dir)
{
	struct outputs o;
	o.checkpoint = output(dir, "runs/r.ckpt", &o.checkpoint_len);
	o.log = output(dir, "runs/r.jsonl", &o.log_len);
	o.weights = output(dir, "runs/r.safetensors", &o.weights_len);
	return o;
}

static bool same_bytes(const char *a, size_t len_a, const char *b, size_t len_b)
{
	return len_a == len_b && memcmp(a, b, len_a) == 0;
}

static void expect_unchanged(const char *dir, const struct outputs *was)
{
	struct outputs now = outputs_of(dir);
	cr_expect(same_bytes(now.checkpoint, now.checkpoint_len, was->checkpoint, was->checkpoint_len),
	          "the checkpoint changed");
	cr_expect(same_bytes(now.log, now.log_len, was->log, was->log_len), "the log changed");
	cr_expect(same_bytes(now.weights, now.weights_len, was->weights, was->weights_len),
	          "the weights changed");
	free(now.checkpoint);
	free(now.log);
	free(now.weights);
}

/* Writes the checkpoint good (len bytes) into dir damaged by damage, resumes, and expects
 * exit 1, a message containing reason, and every output as it was. */
static void expect_refused(const char *dir, const char *nn, const char *good, size_t len,
                           void (*damage)(char *, size_t *), const char *reason)
{
	char path[160], *err, *bytes = malloc(len);
	cr_assert_not_null(bytes);
	memcpy(bytes, good, len);
	snprintf(path, sizeof path, "%s/runs/r.ckpt", dir);
	damage(bytes, &len);
	write_bytes(path, bytes, len);
	free(bytes);
	struct outputs was = outputs_of(dir);
	cr_expect_eq(run_descent((const char *const[]){"run", "--resume", "--set", "epochs = 2", nn,
	                                                NULL}, NULL, NULL, &err), 1, "%s", err);
	cr_expect(strstr(err, "r.nn:25:18: error: cannot resume: ") != NULL, "%s", err);
	cr_expect(strstr(err, reason) != NULL, "no '%s' in: %s", reason, err);
	cr_expect(strstr(err, "help: delete it to train from epoch 1") != NULL, "%s", err);
	free(err);
	expect_unchanged(dir, &was);
	free(was.checkpoint);
	free(was.log);
	free(was.weights);
}

static void cut_in_half(char *bytes, size_t *len)
{
	(void)bytes;
	*len /= 2;
}

static void flip_a_late_byte(char *bytes, size_t *len)
{
	bytes[*len - 100] ^= 1;
}

static void keep_eight_bytes(char *bytes, size_t *len)
{
	(void)bytes;
	*len = 8;
}

Test(checkpoint, resume_refuses_a_truncated_or_corrupt_checkpoint_and_overwrites_nothing)
{
	char dir[64], nn[128], *err;
	resumable_scratch(dir, nn);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--set", "epochs = 2", nn,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	free(err);
	size_t len;
	char *good = output(dir, "runs/r.ckpt", &len);
	expect_refused(dir, nn, good, len, cut_in_half, "is not inside the file or not its size");
	expect_refused(dir, nn, good, len, flip_a_late_byte, "corrupt: its data has CRC-32");
	expect_refused(dir, nn, good, len, keep_eight_bytes, "not a safetensors file, or a truncated one");
	free(good);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(checkpoint, resume_refuses_the_checkpoint_of_another_file_or_other_set_values)
{
	char dir[64], nn[128], *err;
	resumable_scratch(dir, nn);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--set", "epochs = 2", nn,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	free(err);
	struct outputs was = outputs_of(dir);
	cr_expect_eq(run_descent((const char *const[]){"run", "--resume", "--set", "epochs = 3", nn,
	                                                NULL}, NULL, NULL, &err), 1, "%s", err);
	cr_expect(strstr(err, "written for another file, or before this file or its --set values "
	                      "changed") != NULL, "%s", err);
	free(err);
	expect_unchanged(dir, &was);
	/* the same file and values: the run is complete, and resuming it changes nothing */
	cr_expect_eq(run_descent((const char *const[]){"run", "--resume", "--set", "epochs = 2", nn,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "resuming from ") && strstr(err, "after epoch 2 of 2 (step 82)"),
	          "%s", err);
	free(err);
	expect_unchanged(dir, &was);
	free(was.checkpoint);
	free(was.log);
	free(was.weights);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(checkpoint, resume_before_the_first_checkpoint_starts_at_epoch_one)
{
	char dir[64], nn[128], *err, *out;
	resumable_scratch(dir, nn);
	cr_assert_eq(run_descent((const char *const[]){"run", "--resume", "--set", "epochs = 1", nn,
	                                                NULL}, NULL, &out, &err), 0, "%s", err);
	cr_expect(strstr(err, "r: no checkpoint ") && strstr(err, "yet; starting at epoch 1"), "%s", err);
	cr_expect(strstr(out, "r: network net on data digits, 1 epoch, 41 steps") != NULL, "%s", out);
	free(err);
	free(out);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(checkpoint, resume_without_a_checkpoint_key_is_a_usage_error)
{
	char *err;
	cr_expect_eq(run_descent((const char *const[]){"run", "--resume", "examples/digits.nn", NULL},
	                         NULL, NULL, &err), 2);
	cr_expect(strstr(err, "--resume: no train block of examples/digits.nn has a checkpoint") != NULL,
	          "%s", err);
	free(err);
}

Test(checkpoint, a_checkpoint_that_is_a_folder_is_refused_before_the_first_step)
{
	/* it used to run an epoch, then fail with "cannot write: Is a directory"; a checkpoint
	 * that cannot be written mid-run is in test_outputs.c */
	char dir[64], nn[128], path[160], *err;
	resumable_scratch(dir, nn);
	snprintf(path, sizeof path, "%s/runs", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/runs/r.ckpt", dir); /* a folder where the file should go */
	cr_assert_eq(mkdir(path, 0755), 0);
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", nn, NULL}, NULL, NULL, &err), 1);
	cr_expect(strstr(err, "error: the checkpoint \"runs/r.ckpt\" is a folder, not a regular file")
	          != NULL, "%s", err);
	free(err);
	snprintf(path, sizeof path, "%s/runs/r.jsonl", dir);
	cr_expect_neq(access(path, F_OK), 0, "an epoch ran before the checkpoint was refused");
	cr_expect_eq(remove_tree(dir), 0);
}

Test(checkpoint, refuses_a_header_that_ends_inside_a_number)
{
	/* found by fuzz_checkpoint: strtoll read past a header that was not NUL-terminated
	 * (an overflow that make test-asan sees) */
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	const char header[] = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1";
	char file[64] = {(char)(sizeof header - 1)};
	memcpy(file + 8, header, sizeof header - 1);
	write_bytes(path, file, 8 + sizeof header - 1);
	float w;
	struct st_tensor t = {"w", 1, {1, 1}, &w};
	cr_expect_eq(st_load(path, &t, 1, err, sizeof err), -1);
	cr_expect(strstr(err, "the entry of 'w' is not valid") != NULL, "%s", err);
	remove_scratch(path, dir);
}

Test(checkpoint, an_interrupted_run_says_how_to_resume_and_dies_of_the_signal)
{
	char dir[64], nn[128], err_path[160], *err;
	resumable_scratch(dir, nn);
	snprintf(err_path, sizeof err_path, "%s/stderr", dir);
	pid_t pid = start_run(nn, err_path, NULL);
	wait_for_epochs(dir, 1);
	kill(pid, SIGINT);
	int how;
	waitpid(pid, &how, 0);
	cr_assert(WIFSIGNALED(how) && WTERMSIG(how) == SIGINT, "status %d", how);
	char *said = output(dir, "stderr", NULL);
	cr_expect(strstr(said, "r: interrupted in epoch ") != NULL, "%s", said);
	cr_expect(strstr(said, "r.ckpt holds epoch") && strstr(said, "'descent run --resume ")
	          && strstr(said, "r.nn' continues from there"), "%s", said);
	free(said);
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", "--resume", nn, NULL}, NULL,
	                         NULL, &err), 0, "%s", err);
	free(err);
	char *log = output(dir, "runs/r.jsonl", NULL);
	cr_expect_eq(lines_of(log), 60);
	free(log);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(checkpoint, load_takes_the_weights_and_statistics_of_a_checkpoint_not_its_state)
{
	char dir[64], path[128], err[600];
	scratch_file(path, dir);
	struct net a, b;
	make_net(&a, 1);
	make_net(&b, 2);
	struct train_metrics m[1];
	make_metrics(m, 1);
	cr_assert_eq(checkpoint_save(path, &a, m, 1, &id, err, sizeof err), 0, "%s", err);
	cr_expect(checkpoint_is(path));
	float sq = b.state.sq[0];
	cr_assert_eq(checkpoint_load_weights(path, &b, err, sizeof err), 0, "%s", err);
	cr_expect_eq(memcmp(a.params, b.params, (size_t)a.nparams * sizeof *a.params), 0);
	cr_expect_eq(memcmp(a.stats, b.stats, (size_t)a.nstats * sizeof *a.stats), 0);
	cr_expect_eq(b.layers[1].tracked, 3);
	cr_expect_eq(b.state.sq[0], sq, "the optimizer state was read");
	size_t len;
	char *bytes = slurp(path, &len);
	bytes[len - 1] ^= 4;
	write_bytes(path, bytes, len);
	free(bytes);
	cr_expect_eq(checkpoint_load_weights(path, &b, err, sizeof err), -1);
	cr_expect(strstr(err, "corrupt: its data has CRC-32") != NULL, "%s", err);
	float w = 1;
	struct st_tensor t = {"w", 1, {1, 1}, &w};
	cr_assert_eq(st_save(path, &t, 1, NULL, 0, err, sizeof err), 0);
	cr_expect(!checkpoint_is(path), "plain weights are not a checkpoint");
	net_free(&a);
	net_free(&b);
	remove_scratch(path, dir);
}

Test(checkpoint, a_new_block_can_load_a_checkpoint_to_train_on)
{
	char dir[64], nn[128], other[160], *err;
	resumable_scratch(dir, nn);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--set", "epochs = 3", nn,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	free(err);
	/* the same run, longer, from the checkpoint's weights: another file */
	char *text = strdup(resumable), *at = strstr(text, "    checkpoint");
	strcpy(at, "    load = \"runs/r.ckpt\"\n}\n");
	at = strstr(text, "log = \"runs/r.jsonl\"");
	memcpy(at, "log = \"runs/l.jsonl\"", 20);
	snprintf(other, sizeof other, "%s/longer.nn", dir);
	cr_assert_eq(write_text(other, text), 0);
	free(text);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--set", "epochs = 1", other,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	free(err);
	char *first = output(dir, "runs/r.jsonl", NULL), *then = output(dir, "runs/l.jsonl", NULL);
	double start = strtod(strstr(first, "\"train_loss\": ") + 14, NULL);
	double third = strtod(strstr(strstr(first, "\"epoch\": 3"), "\"train_loss\": ") + 14, NULL);
	double loaded = strtod(strstr(then, "\"train_loss\": ") + 14, NULL);
	cr_expect_lt(loaded, start, "a fresh start (%g), not the checkpoint's weights (%g)", start,
	             loaded);
	cr_expect_lt(loaded, third * 1.5, "the third epoch had %g, the loaded run %g", third, loaded);
	free(first);
	free(then);
	cr_expect_eq(remove_tree(dir), 0);
}

Test(checkpoint, resuming_with_another_gemm_kernel_warns_that_bits_may_differ)
{
	if (k_isa_supported() < K_AVX2)
		cr_skip_test("one GEMM kernel only on this machine");
	unsetenv("DESCENT_KERNELS"); /* the first run on the widest kernel */
	char dir[64], nn[128], *err, want[160];
	resumable_scratch(dir, nn);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", "--set", "epochs = 1", nn,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	cr_expect(strstr(err, "GEMM kernel") == NULL, "%s", err);
	free(err);
	setenv("DESCENT_KERNELS", "portable", 1);
	cr_assert_eq(run_descent((const char *const[]){"run", "--resume", "--set", "epochs = 1", nn,
	                                                NULL}, NULL, NULL, &err), 0, "%s", err);
	unsetenv("DESCENT_KERNELS");
	snprintf(want, sizeof want, "r.ckpt was written with the %s GEMM kernel, and this run "
	         "uses the portable one", k_isa_name(k_isa_supported()));
	cr_expect(strstr(err, "r.nn:25:18: warning: ") && strstr(err, want), "%s", err);
	cr_expect(strstr(err, "will not end bit-identical to an uninterrupted one") != NULL, "%s", err);
	free(err);
	cr_expect_eq(remove_tree(dir), 0);
}

/* The AVX2 and AVX-512 kernels give the same bits: a run interrupted under
 * DESCENT_KERNELS=avx2 and resumed on AVX-512 ends as one never interrupted, with no
 * warning. */
Test(checkpoint, a_checkpoint_of_the_avx2_kernel_resumes_on_avx512_to_the_same_bits)
{
	if (k_isa_supported() < K_AVX512)
		cr_skip_test("this processor has no AVX-512");
	unsetenv("DESCENT_KERNELS"); /* the uninterrupted run and the resume on AVX-512 */
	char whole[64], nn_whole[128], killed[64], nn_killed[128], *err;
	resumable_scratch(whole, nn_whole);
	resumable_scratch(killed, nn_killed);
	cr_assert_eq(run_descent((const char *const[]){"run", "--quiet", nn_whole, NULL}, NULL, NULL,
	                         &err), 0, "%s", err);
	free(err);
	setenv("DESCENT_KERNELS", "avx2", 1);
	pid_t pid = start_run(nn_killed, NULL, NULL);
	unsetenv("DESCENT_KERNELS");
	kill_after_epochs(pid, killed, 2);
	size_t len;
	char *ckpt = output(killed, "runs/r.ckpt", &len); /* its JSON header after 8 bytes */
	cr_expect(len > 8 && strstr(ckpt + 8, "\"kernel\":\"avx2\"") != NULL,
	          "not written by the avx2 kernel");
	free(ckpt);
	cr_assert_eq(run_descent((const char *const[]){"run", "--resume", nn_killed, NULL}, NULL, NULL,
	                         &err), 0, "%s", err);
	cr_expect(strstr(err, "GEMM kernel") == NULL, "avx2 and avx512 warned: %s", err);
	free(err);
	const char *differ = runs_differ(whole, killed, "runs/r.safetensors", "runs/r.jsonl");
	cr_expect_null(differ, "%s, resumed on avx512 against uninterrupted", differ);
	cr_expect_eq(remove_tree(whole), 0);
	cr_expect_eq(remove_tree(killed), 0);
}

/* Found trying the README as a new user: a run started with --set and interrupted
 * printed 'descent run --resume FILE', which the checkpoint then refused (its settings
 * include the --set values). The hint repeats them, and resumes. */
Test(checkpoint, the_resume_hint_repeats_the_set_values)
{
	char dir[64], nn[128], err_path[160], *err;
	resumable_scratch(dir, nn);
	snprintf(err_path, sizeof err_path, "%s/stderr", dir);
	pid_t pid = start_run(nn, err_path, "seed = 7");
	wait_for_epochs(dir, 1);
	kill(pid, SIGINT);
	int how;
	waitpid(pid, &how, 0);
	cr_assert(WIFSIGNALED(how) && WTERMSIG(how) == SIGINT, "status %d", how);
	char *said = output(dir, "stderr", NULL);
	cr_expect(strstr(said, "'descent run --resume --set 'seed = 7' ") != NULL, "%s", said);
	free(said);
	cr_expect_eq(run_descent((const char *const[]){"run", "--quiet", "--resume", "--set",
	                                                "seed = 7", nn, NULL}, NULL, NULL, &err),
	             0, "%s", err);
	free(err);
	remove_tree(dir);
}
