/* checkpoint.h — the whole state of a training run after an epoch, in one safetensors
 * file written atomically (a temporary file, fsync, rename):
 *   - the network's tensors, named as `save` names them (dense1.weight, batchnorm1.
 *     running_mean, batchnorm1.num_batches_tracked, ...);
 *   - the optimizer's state per parameter tensor, with PyTorch's state names
 *     (dense1.weight.exp_avg, dense1.weight.momentum_buffer, ...);
 *   - `metrics`, F64 (E, CHECKPOINT_COLUMNS): every epoch's figures so far;
 *   - only for a run with clip, stop or save_best: `track`, F64 (E, CHECKPOINT_TRACK):
 *     every epoch's struct train_track (clipped, stop_wait, stop_best, best_epoch,
 *     best_value, stopped), so that --resume goes on with the same counters and best;
 *   - metadata: the format, the identity of the run (program version, run name, a
 *     fingerprint of its source), the GEMM kernel, the epoch and step, and the CRC-32 of
 *     all the data.
 * The step count is the epoch's (every epoch has the same number of steps), and the random
 * numbers are counter-based (rng.h): shuffles from (seed, epoch), dropout masks from
 * (seed, step, layer, unit); so there is no generator state to keep.
 *
 * The module also reads and writes a network's weights alone, as `save` and `load` do:
 * the same tensors, named once here.
 *
 * For: `descent run`'s save, load and checkpoint keys, and --resume. Not for: deciding
 * what identifies a run (the caller's struct checkpoint_id), or the log (the caller
 * rewrites it from the metrics).
 */
#ifndef DESCENT_CHECKPOINT_H
#define DESCENT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "net.h"
#include "safetensors.h"
#include "train.h"

/* What a checkpoint must match to be resumed. */
struct checkpoint_id {
	const char *program; /* "descent 0.1.0" */
	const char *run;     /* the train block's name */
	const char *source;  /* a fingerprint of the file and its --set values */
	const char *text;    /* the train block's text, for a reader of the file (not compared) */
	const char *kernel;  /* the GEMM micro-kernel, or NULL: recorded, not compared */
	bool tracked;        /* the run has clip, stop or save_best: `track` is written and read */
};

/* The columns of `metrics`: epoch, step, lr, train_loss, train_acc, val_loss, val_acc,
 * test_loss, test_acc, seconds, and has_val + 2·has_test. */
enum { CHECKPOINT_COLUMNS = 11 };
/* A regression run's checkpoint also holds `fits`, F64 (E, CHECKPOINT_FIT_COLUMNS): the
 * rmse, mae and r2 of train, validation and test (struct train_fit) of every epoch. */
enum { CHECKPOINT_FIT_COLUMNS = 9 };

/* The columns of `track`: clipped, stop_wait, stop_best, best_epoch, best_value, stopped. */
enum { CHECKPOINT_TRACK = 6 };

/* Writes the state of n after epochs epochs (m[0 .. epochs-1]) to path; 0, or -1 with a
 * message in err (size bytes). */
int checkpoint_save(const char *path, struct net *n, const struct train_metrics *m, int epochs,
                    const struct checkpoint_id *id, char *err, size_t size);

/* What checkpoint_load found besides the state it restored. */
struct checkpoint_found {
	int epochs;      /* how many epochs it holds */
	char kernel[16]; /* the GEMM micro-kernel it was written with, "" if not recorded */
};

/* Reads the checkpoint at path into n (planned for the same network and optimizer) and m
 * (room for max epochs), and *found. Refuses, with -1 and a message that says why, a
 * file that is not a descent checkpoint, is truncated or corrupt (its CRC-32), or was
 * written by another program version, another run or another source. */
int checkpoint_load(const char *path, struct net *n, struct train_metrics *m, int max,
                    struct checkpoint_found *found, const struct checkpoint_id *id, char *err,
                    size_t size);

/* Whether the file at path is a descent checkpoint (its metadata says so). */
bool checkpoint_is(const char *path);

/* What `save` writes: the network's tensors alone, with the metadata given. */
int checkpoint_save_weights(const char *path, struct net *n, const struct st_meta *meta,
                            int nmeta, char *err, size_t size);

/* What `load` reads into n: a weights file holding exactly the network's tensors, or a
 * checkpoint, of which only the network's tensors are read (weights and batchnorm
 * statistics, not the optimizer state or the metrics) and whose CRC-32 must be right;
 * none of a checkpoint's identity is compared. 0, or -1 with a message. */
int checkpoint_load_weights(const char *path, struct net *n, char *err, size_t size);

/* Refuses weights trained on other class labels: if the metadata of the weights file at
 * path has `labels` (the JSON list of string labels that `save` writes), it must equal
 * labels, this data's list (NULL: the data's labels are class ids). A file without
 * `labels` (older weights, or class ids) is accepted. 0, or -1 with a message. */
int checkpoint_check_labels(const char *path, const char *labels, char *err, size_t size);

#endif
