/* shape.c — sample shapes (see shape.h). */
#include "shape.h"

#include <stdio.h>
#include <string.h>

int64_t shape_size(const struct shape *s)
{
	int64_t size = 1;
	for (int k = 0; k < s->ndim; k++)
		size *= s->dim[k];
	return size;
}

struct shape shape_flat(int64_t width)
{
	return (struct shape){1, {width}};
}

struct shape shape_of_sample(const int64_t *dims, int ndim)
{
	struct shape s = {0};
	if (ndim == 2) {
		s = (struct shape){3, {1, dims[0], dims[1]}};
	} else if (ndim >= 1 && ndim <= SHAPE_MAX) {
		s.ndim = ndim;
		memcpy(s.dim, dims, (size_t)ndim * sizeof *dims);
	} else {
		int64_t size = 1;
		for (int k = 0; k < ndim; k++)
			size *= dims[k];
		s = shape_flat(size);
	}
	return s;
}

bool shape_equal(const struct shape *a, const struct shape *b)
{
	if (a->ndim != b->ndim)
		return false;
	for (int k = 0; k < a->ndim; k++)
		if (a->dim[k] != b->dim[k])
			return false;
	return true;
}

const char *shape_format(const struct shape *s, char *buf, size_t size)
{
	size_t at = (size_t)snprintf(buf, size, "(");
	for (int k = 0; k < s->ndim && at < size; k++)
		at += (size_t)snprintf(buf + at, size - at, "%s%lld", k ? ", " : "", (long long)s->dim[k]);
	if (at < size)
		snprintf(buf + at, size - at, ")");
	return buf;
}
