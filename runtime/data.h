/* data.h — data sets in memory: loaded from IDX (gzip or not), CSV and NPY files, or
 * generated (spirals, blobs, xor); split, and converted to float per batch.
 *
 * Legend: N samples, D features per sample. Images keep their file's type (uint8) in
 * memory; data_batch converts the rows a batch needs. Every failure says which file and
 * where (byte offset, or line for CSV). Not for: finding files (the caller resolves
 * paths), or the language (interp/ decides what to load).
 */
#ifndef DESCENT_DATA_H
#define DESCENT_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "shape.h"

enum data_type {
	DATA_U8,  /* uint8 features (images) */
	DATA_F32, /* float features */
};

struct dataset {
	int64_t n;            /* N */
	int64_t d;            /* D */
	struct shape shape;   /* one sample's shape (its size is D): (1, H, W) for IDX images */
	enum data_type type;  /* which of u8, f32 holds the features */
	uint8_t *u8;          /* (N, D) if DATA_U8, owned */
	float *f32;           /* (N, D) if DATA_F32, owned */
	int32_t *y;           /* (N) class ids 0..classes-1 (all 0 for values), owned */
	int64_t targets;      /* T: target values per sample (targets = values), or 0 */
	float *t;             /* (N, T) the target values when T > 0, else NULL; owned */
	int classes;          /* 1 + the largest class id */
	char **names;         /* (classes) names of string labels, or NULL; owned */
};

/* What went wrong, as a sentence that names the file and the place. */
struct data_error {
	char message[512];
};

/* IDX images (type uint8, 2 or more dimensions: N × the rest) and labels (uint8, N). */
int data_load_idx(const char *images, const char *labels, struct dataset *out,
                  struct data_error *err);
/* CSV with a header line (header) or not; the label column by name (label_name) or
 * 0-based index (label_name NULL). Numeric labels must be whole numbers >= 0; if any is
 * not a number, all are names, numbered in sorted order (strcmp) and kept sorted in
 * out->names. */
int data_load_csv(const char *path, const char *label_name, int64_t label_index, bool header,
                  struct dataset *out, struct data_error *err);
/* The names of a CSV's header line (its first non-empty line) into *names (*count of
 * them; free with data_names_free), without the label column: the one named label_name
 * (when the header has it), else (label_name NULL) column label_index when width < 0 or
 * the header has width + 1 columns (label_index < 0: none). 0, or -1 (err says why). */
int data_csv_columns(const char *path, const char *label_name, int64_t label_index,
                     int64_t width, char ***names, int *count, struct data_error *err);
/* As data_load_csv, for a file that must use the labels of known (the training set):
 * if known has names, every label is one of them and gets its id (a label known lacks is
 * an error naming it and its line), and out->names is a copy of known's; if known has
 * class ids, a name is an error. known NULL: as data_load_csv. */
int data_load_csv_as(const char *path, const char *label_name, int64_t label_index,
                     bool header, const struct dataset *known, struct dataset *out,
                     struct data_error *err);
/* As data_load_csv for regression (targets = values): the count target columns by name
 * (names[k]) or 0-based index (indices[k], where names[k] is NULL), a finite number on every
 * row, into out->t (N, count); the other columns are the features (all numbers). The
 * same column given twice is an error. */
int data_load_csv_values(const char *path, const char *const *names, const int64_t *indices,
                         int count, bool header, struct dataset *out, struct data_error *err);
/* The label names of ds as a JSON array of strings (["cat", "dog"]), for the metadata
 * of saved weights; NULL if ds has no names (class ids) or memory runs out. Caller frees. */
char *data_label_list(const struct dataset *ds);
/* NPY arrays (format 1.0-3.0, C order, little-endian): features float32, float64 or
 * uint8 of shape (N, ...); labels of shape (N,), integer or whole floats. */
int data_load_npy(const char *x, const char *y, struct dataset *out, struct data_error *err);
/* As data_load_npy for regression: y holds target values (any number type) of shape (N,)
 * or (N, T), into out->t (N, T). */
int data_load_npy_values(const char *x, const char *y, struct dataset *out,
                         struct data_error *err);

/* One sample's shape from a file's header alone (the shape its loader gives, for
 * `descent check`): IDX images, NPY features, CSV (flat: its columns but the label, from
 * the first non-blank line). 0, or -1 (reported) when the file cannot be read. */
int data_sample_shape_idx(const char *images, struct shape *out, struct data_error *err);
int data_sample_shape_npy(const char *x, struct shape *out, struct data_error *err);
int data_sample_shape_csv(const char *path, struct shape *out, struct data_error *err);

/* The widths of the generated sets whose width is not an argument (blobs': dim). */
enum { DATA_SPIRALS_DIM = 2, DATA_XOR_DIM = 2 };

/* Generated sets; `part` keeps a test set apart from a train set of the same call. */
int data_spirals(int64_t n, int classes, double noise, uint64_t part, struct dataset *out);
int data_blobs(int64_t n, int classes, int dim, uint64_t part, struct dataset *out);
int data_xor(int64_t n, uint64_t part, struct dataset *out);

/* Splits all into train and validation: round(fraction·N) random rows (from seed) go to
 * validation, the rest to train, both in their original order. */
int data_split(const struct dataset *all, double fraction, uint64_t seed, struct dataset *train,
               struct dataset *validation);

/* As data_split, but all is consumed: with no validation rows, train takes all's arrays
 * as they are (no second copy of the data: the Fashion-MNIST images are 47 MB); else the
 * parts are copied and all freed. all is left empty (data_free on it does nothing). 0, or
 * -1 (out of memory: all is left as it was, train and validation empty). */
int data_split_take(struct dataset *all, double fraction, uint64_t seed, struct dataset *train,
                    struct dataset *validation);

void data_free(struct dataset *ds);

enum data_normalize {
	NORMALIZE_NONE,     /* x·scale */
	NORMALIZE_STANDARD, /* (x·scale − mean) / std, per feature */
	NORMALIZE_MINMAX,   /* (x·scale − min) / (max − min), per feature */
};

/* x → (x·scale − shift[j])·mul[j] for feature j. */
struct data_transform {
	int64_t d;   /* D */
	float scale; /* applied first */
	float *shift, *mul; /* (D), owned */
	enum data_normalize mode; /* which statistics shift and mul hold */
};

/* The transform of mode with statistics of train only (constant features: mul 1). */
int data_fit(const struct dataset *train, double scale, enum data_normalize mode,
             struct data_transform *tf);
void data_transform_free(struct data_transform *tf);

/* Rows rows[0..count) of ds, transformed, into x (count, D) and their labels into y; the
 * rows split among threads where the batch is large enough (pace_threads_for). */
void data_batch(const struct dataset *ds, const struct data_transform *tf, const int64_t *rows,
                int64_t count, float *x, int32_t *y);

/* ---- for `descent predict` and `descent eval` ---- */

/* The transform as JSON, for the metadata of saved weights (key "normalize"):
 * {"mode": "standard", "scale": S, "shift": [...], "mul": [...]}, every float with %.9g
 * (which reads back as the same float32). NULL when memory runs out. Caller frees. */
char *data_transform_json(const struct data_transform *tf);
/* Reads what data_transform_json wrote into tf, for d features; 0, or -1 with why in err
 * (text names it "the normalize metadata"). */
int data_transform_parse(const char *text, int64_t d, struct data_transform *tf,
                         struct data_error *err);

/* The names of the JSON list of strings text (as data_label_list writes) into *names
 * (*count of them, each allocated; free with data_names_free). 0, or -1 when text is not
 * such a list or memory runs out. */
int data_label_parse(const char *text, char ***names, int *count);
void data_names_free(char **names, int count);

/* Features without labels (every y 0), for prediction:
 * - a CSV whose label column, when the file has one, is left out: the column named
 *   label_name in the header, or (label_name NULL) column label_index of a file with
 *   width + 1 columns; a file of width columns is features only;
 * - NPY features x alone; IDX images alone.
 * The caller compares out->d with the features the network takes. */
int data_load_csv_features(const char *path, const char *label_name, int64_t label_index,
                           bool header, int64_t width, struct dataset *out,
                           struct data_error *err);
/* As data_load_csv_features for count label columns (regression's targets, names[k] or
 * indices[k] where names[k] is NULL): those the file has are left out, by name in the
 * header, by index in a file of width + count columns; their text is not read. */
int data_load_csv_features_of(const char *path, const char *const *names,
                              const int64_t *indices, int count, bool header, int64_t width,
                              struct dataset *out, struct data_error *err);
int data_load_npy_features(const char *x, struct dataset *out, struct data_error *err);
int data_load_idx_images(const char *images, struct dataset *out, struct data_error *err);

/* The target values of rows rows[0..count) of ds (T > 0) into t (count, T). */
void data_targets(const struct dataset *ds, const int64_t *rows, int64_t count, float *t);

#endif
