/* shape.h — the shape of one sample (the batch is not part of it): up to SHAPE_MAX
 * dimensions in PyTorch's order, (F) for features, (C, H, W) for images. Shared by the
 * data (each sample's shape), the IR (each layer's output) and saved tensors. */
#ifndef DESCENT_SHAPE_H
#define DESCENT_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SHAPE_MAX = 4 };

struct shape {
	int ndim;
	int64_t dim[SHAPE_MAX];
};

/* The number of values of shape s (1 for ndim 0). */
int64_t shape_size(const struct shape *s);
/* The flat shape (width). */
struct shape shape_flat(int64_t width);
/* The shape of a sample whose file dimensions (after the sample count) are dims[0 ..
 * ndim-1], by LANGUAGE.md section 3: one dimension is flat, two (H, W) are one channel
 * (1, H, W), three or four are as they are; more than SHAPE_MAX is flat. */
struct shape shape_of_sample(const int64_t *dims, int ndim);
bool shape_equal(const struct shape *a, const struct shape *b);
/* Writes "(1, 28, 28)" into buf; returns buf. */
const char *shape_format(const struct shape *s, char *buf, size_t size);

#endif
