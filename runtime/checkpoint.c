/* checkpoint.c — saving a training run's state and reading it back (see checkpoint.h). */
#include "checkpoint.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "safetensors.h"

#define FORMAT "descent checkpoint 1"

enum { NAME_SIZE = 160 };

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* The tensors of a checkpoint, in file order, with the storage of their names. */
struct contents {
	struct st_tensor *t;
	char (*names)[NAME_SIZE];
	int n;
};

static void contents_free(struct contents *c)
{
	free(c->t);
	free(c->names);
}

/* Lists the network's tensors, each trained one followed by its optimizer state, then
 * `metrics` (epochs rows at metrics) and, with track not NULL, `track` (epochs rows);
 * with metrics NULL, the network's tensors alone. 0, or -1 out of memory. */
static int list_contents(struct net *n, double *metrics, double *track, int epochs,
                         struct contents *c)
{
	_Static_assert((int)ST_MAX_DIMS == (int)SHAPE_MAX, "a network's tensor fits a safetensors one");
	int base = net_tensor_count(n), max = (1 + OPT_SLOTS) * base + 3; /* + metrics, track, fits */
	c->t = calloc((size_t)max, sizeof *c->t);
	c->names = calloc((size_t)max, sizeof *c->names);
	c->n = 0;
	if (!c->t || !c->names)
		return -1;
	unsigned needs = metrics ? optim_needs(&n->opt) : 0;
	for (int i = 0; i < base; i++) {
		struct st_tensor *t = &c->t[c->n];
		net_tensor(n, i, c->names[c->n], NAME_SIZE, &t->ndim, t->shape, &t->data, &t->i64);
		t->name = c->names[c->n++];
		bool trained = !t->i64 && t->data >= n->params && t->data < n->params + n->nparams;
		for (int k = 0; trained && k < OPT_SLOTS; k++) {
			if (!(needs & (1u << k)))
				continue;
			struct st_tensor *s = &c->t[c->n];
			*s = *t;
			snprintf(c->names[c->n], NAME_SIZE, "%s.%s", t->name,
			         optim_table[n->opt.kind].state[k]);
			s->name = c->names[c->n++];
			s->data = optim_slot_f32(&n->state, (enum optim_slot)k) + (t->data - n->params);
			if (k == OPT_SCALAR) /* one F32 value, at the tensor's first element (optim.h) */
				s->ndim = 1, s->shape[0] = 1;
		}
	}
	if (metrics)
		c->t[c->n++] = (struct st_tensor){"metrics", 2, {epochs, CHECKPOINT_COLUMNS}, .f64 = metrics};
	if (metrics && track)
		c->t[c->n++] = (struct st_tensor){"track", 2, {epochs, CHECKPOINT_TRACK}, .f64 = track};
	if (metrics && n->targets > 0) /* regression: the fits, after the metrics' rows */
		c->t[c->n++] = (struct st_tensor){"fits", 2, {epochs, CHECKPOINT_FIT_COLUMNS},
		                                  .f64 = metrics + epochs * CHECKPOINT_COLUMNS};
	return 0;
}

/* The CRC-32 of every tensor's bytes, in file order: the file's whole data section. */
static unsigned long contents_crc(const struct contents *c)
{
	uLong crc = crc32_z(0, Z_NULL, 0);
	for (int i = 0; i < c->n; i++) {
		const struct st_tensor *t = &c->t[i];
		if (t->i64)
			crc = crc32_z(crc, (const Bytef *)t->i64, 8);
		else if (t->f64)
			crc = crc32_z(crc, (const Bytef *)t->f64, 8 * (size_t)st_count(t));
		else
			crc = crc32_z(crc, (const Bytef *)t->data, 4 * (size_t)st_count(t));
	}
	return crc;
}

static void pack_metrics(double *row, const struct train_metrics *m)
{
	double v[CHECKPOINT_COLUMNS] = {m->epoch, (double)m->step, m->lr, m->train_loss,
	                                m->train_acc, m->val_loss, m->val_acc, m->test_loss,
	                                m->test_acc, m->seconds, m->has_val + 2 * m->has_test};
	memcpy(row, v, sizeof v);
}

/* Reads row (of epoch `epoch`) into m; false if it cannot be a row we wrote. */
static bool unpack_metrics(const double *row, int epoch, struct train_metrics *m)
{
	double flags = row[10];
	if (row[0] != epoch || !(row[1] >= 0 && row[1] <= 1e15 && row[1] == floor(row[1]))
	    || !(flags == 0 || flags == 1 || flags == 2 || flags == 3))
		return false;
	*m = (struct train_metrics){
		.epoch = epoch, .step = (int64_t)row[1], .lr = row[2],
		.train_loss = row[3], .train_acc = row[4], .val_loss = row[5], .val_acc = row[6],
		.test_loss = row[7], .test_acc = row[8], .seconds = row[9],
		.has_val = flags == 1 || flags == 3, .has_test = flags >= 2,
	};
	return true;
}

static void pack_track(double *row, const struct train_track *t)
{
	double v[CHECKPOINT_TRACK] = {(double)t->clipped, t->stop_wait, t->stop_best, t->best_epoch,
	                              t->best_value, t->stopped};
	memcpy(row, v, sizeof v);
}

/* Reads row (of epoch `epoch`, whose step is steps) into t; false if it cannot be a row
 * we wrote. */
static bool unpack_track(const double *row, int epoch, int64_t steps, struct train_track *t)
{
	if (!(row[0] >= 0 && row[0] <= (double)steps && row[0] == floor(row[0]))
	    || !(row[1] >= 0 && row[1] <= epoch && row[1] == floor(row[1]))
	    || !(row[3] >= 0 && row[3] <= epoch && row[3] == floor(row[3]))
	    || !(row[5] == 0 || row[5] == 1))
		return false;
	*t = (struct train_track){(int64_t)row[0], (int)row[1], row[2], (int)row[3], row[4],
	                          row[5] == 1};
	return true;
}

/* The fits of a regression run's epoch into row (CHECKPOINT_FIT_COLUMNS). */
static void pack_fits(double *row, const struct train_metrics *m)
{
	const struct train_fit *f[3] = {&m->train_fit, &m->val_fit, &m->test_fit};
	for (int k = 0; k < 3; k++) {
		row[3 * k] = f[k]->rmse;
		row[3 * k + 1] = f[k]->mae;
		row[3 * k + 2] = f[k]->r2;
	}
}

static void unpack_fits(const double *row, struct train_metrics *m)
{
	struct train_fit *f[3] = {&m->train_fit, &m->val_fit, &m->test_fit};
	for (int k = 0; k < 3; k++)
		*f[k] = (struct train_fit){row[3 * k], row[3 * k + 1], row[3 * k + 2]};
	m->has_regression = true;
}

/* The doubles of a checkpoint's metrics (and, for regression, its fits after them). */
static size_t metric_count(const struct net *n, long epochs)
{
	return (size_t)epochs * (CHECKPOINT_COLUMNS + (n->targets > 0 ? CHECKPOINT_FIT_COLUMNS : 0));
}

int checkpoint_save(const char *path, struct net *n, const struct train_metrics *m, int epochs,
                    const struct checkpoint_id *id, char *err, size_t size)
{
	double *metrics = malloc(metric_count(n, epochs) * sizeof *metrics + 1);
	double *track = id->tracked ? malloc((size_t)epochs * CHECKPOINT_TRACK * sizeof *track) : NULL;
	struct contents c = {0};
	if (!metrics || (id->tracked && !track) || list_contents(n, metrics, track, epochs, &c) != 0) {
		free(metrics);
		free(track);
		contents_free(&c);
		return fail(err, size, "%s: out of memory", path);
	}
	for (int e = 0; e < epochs; e++) {
		pack_metrics(metrics + e * CHECKPOINT_COLUMNS, &m[e]);
		if (track)
			pack_track(track + e * CHECKPOINT_TRACK, &m[e].track);
	}
	for (int e = 0; n->targets > 0 && e < epochs; e++)
		pack_fits(metrics + epochs * CHECKPOINT_COLUMNS + e * CHECKPOINT_FIT_COLUMNS, &m[e]);
	char epoch[32], step[32], crc[16];
	snprintf(epoch, sizeof epoch, "%d", epochs);
	snprintf(step, sizeof step, "%" PRId64, epochs ? m[epochs - 1].step : 0);
	snprintf(crc, sizeof crc, "%08lx", contents_crc(&c));
	struct st_meta meta[] = {{"format", FORMAT}, {"program", id->program}, {"run", id->run},
	                         {"source", id->source}, {"train", id->text}, {"kernel", id->kernel ? id->kernel : ""},
	                         {"epoch", epoch}, {"step", step}, {"crc32", crc}};
	int status = st_save(path, c.t, c.n, meta, sizeof meta / sizeof *meta, err, size);
	free(metrics);
	free(track);
	contents_free(&c);
	return status;
}

static const char *meta_get(const struct st_meta *meta, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(meta[i].key, key) == 0)
			return meta[i].value;
	return "";
}

/* A whole number from min to max in text (in base), or -1. */
static long whole(const char *text, long min, long max, int base)
{
	char *end;
	long v = strtol(text, &end, base);
	return *text && !*end && v >= min && v <= max ? v : -1;
}

/* Whether the metadata is a descent checkpoint's. */
static bool is_checkpoint(const struct st_meta *meta, int n)
{
	return strcmp(meta_get(meta, n, "format"), FORMAT) == 0;
}

/* The CRC-32 the metadata records, or -1. */
static long stored_crc(const struct st_meta *meta, int n)
{
	return whole(meta_get(meta, n, "crc32"), 0, 0xFFFFFFFFL, 16);
}

/* Checks that the metadata names this run, and reads its epoch count (1 .. max), CRC and
 * kernel into *epochs, *crc and found; 0, or -1 with err saying what differs. */
static int check_metadata(const char *path, const struct st_meta *meta, int n,
                          const struct checkpoint_id *id, int max, long *epochs, long *crc,
                          struct checkpoint_found *found, char *err, size_t size)
{
	const char *format = meta_get(meta, n, "format"), *program = meta_get(meta, n, "program");
	const char *run = meta_get(meta, n, "run"), *source = meta_get(meta, n, "source");
	const char *epoch = meta_get(meta, n, "epoch");
	if (!*format)
		return fail(err, size, "%s: not a descent checkpoint (no format in its metadata)", path);
	if (!is_checkpoint(meta, n))
		return fail(err, size, "%s: checkpoint format '%s'; this program reads '%s'", path,
		            format, FORMAT);
	if (strcmp(program, id->program) != 0)
		return fail(err, size, "%s: written by %s; this is %s, and a checkpoint resumes only "
		            "with the version that wrote it", path, program, id->program);
	if (strcmp(run, id->run) != 0)
		return fail(err, size, "%s: holds the state of train '%s', not of '%s'", path, run,
		            id->run);
	if (strcmp(source, id->source) != 0)
		return fail(err, size, "%s: written for another file, or before this file or its "
		            "--set values changed (source %s, now %s); resuming it would not continue "
		            "the same run", path, source, id->source);
	if ((*epochs = whole(epoch, 1, max, 10)) < 0)
		return fail(err, size, "%s: holds epoch '%s'; this run has epochs 1 to %d", path,
		            epoch, max);
	if ((*crc = stored_crc(meta, n)) < 0)
		return fail(err, size, "%s: no valid crc32 in its metadata", path);
	snprintf(found->kernel, sizeof found->kernel, "%s", meta_get(meta, n, "kernel"));
	return 0;
}

/* The CRC-32 of the data of the safetensors file at path (all after the header), or -1. */
static long data_crc(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char prefix[8], buf[1 << 16];
	uint64_t len = 0;
	if (!f || fread(prefix, 1, 8, f) != 8) {
		if (f)
			fclose(f);
		return -1;
	}
	for (int b = 7; b >= 0; b--)
		len = len << 8 | prefix[b];
	uLong crc = crc32_z(0, Z_NULL, 0);
	size_t got;
	bool ok = len < (uint64_t)1 << 40 && fseek(f, (long)(8 + len), SEEK_SET) == 0;
	while (ok && (got = fread(buf, 1, sizeof buf, f)) > 0)
		crc = crc32_z(crc, buf, got);
	ok = ok && !ferror(f);
	fclose(f);
	return ok ? (long)crc : -1;
}

/* Reads the tensors c lists from the checkpoint at path (with some, the file may hold
 * others), then checks the CRC-32 of all its data against want, the recorded one. */
static int read_checked(const char *path, const struct contents *c, bool some, long want,
                        char *err, size_t size)
{
	if ((some ? st_load_some : st_load)(path, c->t, c->n, err, size) != 0)
		return -1;
	long actual = data_crc(path);
	if (actual < 0)
		return fail(err, size, "%s: cannot read its data", path);
	if (actual != want)
		return fail(err, size, "%s: corrupt: its data has CRC-32 %08lx, its header says %08lx",
		            path, (unsigned long)actual, (unsigned long)want);
	return 0;
}

int checkpoint_load(const char *path, struct net *n, struct train_metrics *m, int max,
                    struct checkpoint_found *found, const struct checkpoint_id *id, char *err,
                    size_t size)
{
	struct st_meta *meta;
	int nmeta;
	*found = (struct checkpoint_found){0};
	if (st_metadata(path, &meta, &nmeta, err, size) != 0)
		return -1;
	long count = 0, crc = 0;
	int status = check_metadata(path, meta, nmeta, id, max, &count, &crc, found, err, size);
	st_meta_free(meta, nmeta);
	if (status != 0)
		return -1;
	double *metrics = malloc(metric_count(n, count) * sizeof *metrics + 1);
	double *track = id->tracked ? malloc((size_t)count * CHECKPOINT_TRACK * sizeof *track) : NULL;
	struct contents c = {0};
	bool room = metrics && (track || !id->tracked);
	status = room && list_contents(n, metrics, track, (int)count, &c) == 0
		? read_checked(path, &c, false, crc, err, size) : fail(err, size, "%s: out of memory", path);
	for (int e = 0; status == 0 && e < count; e++)
		if (!unpack_metrics(metrics + e * CHECKPOINT_COLUMNS, e + 1, &m[e])
		    || (track && !unpack_track(track + e * CHECKPOINT_TRACK, e + 1, m[e].step, &m[e].track)))
			status = fail(err, size, "%s: the metrics of epoch %d are not valid", path, e + 1);
	for (int e = 0; status == 0 && n->targets > 0 && e < count; e++)
		unpack_fits(metrics + count * CHECKPOINT_COLUMNS + e * CHECKPOINT_FIT_COLUMNS, &m[e]);
	if (status == 0)
		found->epochs = (int)count;
	free(metrics);
	free(track);
	contents_free(&c);
	return status;
}

bool checkpoint_is(const char *path)
{
	struct st_meta *meta;
	int n;
	char err[600];
	if (st_metadata(path, &meta, &n, err, sizeof err) != 0)
		return false;
	bool is = is_checkpoint(meta, n);
	st_meta_free(meta, n);
	return is;
}

int checkpoint_save_weights(const char *path, struct net *n, const struct st_meta *meta,
                            int nmeta, char *err, size_t size)
{
	struct contents c = {0};
	int status = list_contents(n, NULL, NULL, 0, &c) == 0
		? st_save(path, c.t, c.n, meta, nmeta, err, size) : fail(err, size, "%s: out of memory", path);
	contents_free(&c);
	return status;
}

int checkpoint_load_weights(const char *path, struct net *n, char *err, size_t size)
{
	struct st_meta *meta;
	int nmeta;
	if (st_metadata(path, &meta, &nmeta, err, size) != 0)
		return -1;
	bool checkpoint = is_checkpoint(meta, nmeta);
	long want = stored_crc(meta, nmeta);
	st_meta_free(meta, nmeta);
	struct contents c = {0};
	int status = list_contents(n, NULL, NULL, 0, &c) != 0 ? fail(err, size, "%s: out of memory", path)
		: !checkpoint ? st_load(path, c.t, c.n, err, size)
		: want < 0 ? fail(err, size, "%s: no valid crc32 in its metadata", path)
		: read_checked(path, &c, true, want, err, size);
	contents_free(&c);
	return status;
}

int checkpoint_check_labels(const char *path, const char *labels, char *err, size_t size)
{
	struct st_meta *meta;
	int nmeta;
	if (st_metadata(path, &meta, &nmeta, err, size) != 0)
		return -1;
	const char *saved = meta_get(meta, nmeta, "labels");
	int status = 0;
	if (*saved && !labels)
		status = fail(err, size, "%s: trained on the string labels %.200s, but this data's "
		              "labels are class ids", path, saved);
	else if (*saved && strcmp(saved, labels) != 0)
		status = fail(err, size, "%s: trained on the labels %.200s, but this data has the labels "
		              "%.200s; their class ids would not mean the same classes", path, saved,
		              labels);
	st_meta_free(meta, nmeta);
	return status;
}
