/* safetensors.h — weights in the safetensors format: an 8-byte little-endian header
 * length, a JSON header {"__metadata__": {...}, "NAME": {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]}, ...}, then the raw little-endian data.
 *
 * For: `save`, `load` and checkpoints, with PyTorch's tensor names and layouts, so that
 * torch and the safetensors package read our files and we read theirs (float32 tensors,
 * int64 scalars such as batchnorm's num_batches_tracked, and float64 tensors for a
 * checkpoint's metrics).
 * Not for: knowing which tensors a network has (the caller lists them).
 */
#ifndef DESCENT_SAFETENSORS_H
#define DESCENT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

enum { ST_MAX_DIMS = 4 };

struct st_tensor {
	const char *name;  /* "dense1.weight" */
	int ndim;          /* 1 to ST_MAX_DIMS for F32 and F64; 0 for an I64 scalar */
	int64_t shape[ST_MAX_DIMS]; /* (O, I), (O), (O, C, kH, kW) ... */
	float *data;       /* st_count floats (F32), read into or written from */
	int64_t *i64;      /* instead of data: one I64 value, shape [] (num_batches_tracked) */
	double *f64;       /* instead of data: st_count doubles (F64) */
};

/* The number of values of t: the product of its ndim dimensions (1 for an I64 scalar). */
int64_t st_count(const struct st_tensor *t);

struct st_meta {
	const char *key, *value; /* a string pair of __metadata__ */
};

/* Writes the tensors and metadata to path atomically (a temporary with a unique name
 * beside it, ".NAME.XXXXXX", fsync, rename, and an fsync of the folder so that the
 * rename survives a power cut); 0, or -1 with "PATH: reason" in err (size bytes). */
int st_save(const char *path, const struct st_tensor *tensors, int n, const struct st_meta *meta,
            int nmeta, char *err, size_t size);

/* Reads every tensor listed from path: each must exist with its dtype and exactly that
 * shape; tensors of the file not listed are an error too. 0, or -1 with a message. */
int st_load(const char *path, struct st_tensor *tensors, int n, char *err, size_t size);
/* The same, but the file may hold other tensors too (a checkpoint's optimizer state). */
int st_load_some(const char *path, struct st_tensor *tensors, int n, char *err, size_t size);

/* The __metadata__ pairs of path, in file order: *meta gets an array of *n pairs, keys
 * and values allocated (free with st_meta_free). 0, or -1 with a message. */
int st_metadata(const char *path, struct st_meta **meta, int *n, char *err, size_t size);
void st_meta_free(struct st_meta *meta, int n);

#endif
