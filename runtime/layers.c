/* layers.c — instantiates layers_impl.h for float (through k_gemm) and double (through
 * k_gemm_f64, for gradient checks), and initialises dense layers (see layers.h). */
#include "layers.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "gemm.h"
#include "rng.h"

/* The counter of unit 0 of dropout d's mask: unit i's is this | i. */
static uint64_t dropout_base(const struct dropout *d)
{
	return (uint64_t)d->step << 40 | (uint64_t)(d->layer & 0xff) << 32;
}

/* A unit is kept when the top 53 bits m of its draw are below this: m < ⌈q·2⁵³⌉ is
 * exactly u < q for the uniform u = m·2⁻⁵³ (rng_uniform's), in integers that vectorize. */
static uint64_t dropout_threshold(const struct dropout *d)
{
	return (uint64_t)ceil(d->keep * 0x1p53);
}

bool dropout_keeps(const struct dropout *d, int64_t index)
{
	uint64_t bits = rng_keyed(rng_key(d->seed, RNG_DROPOUT), dropout_base(d) | (uint64_t)index);
	return bits >> 11 < dropout_threshold(d);
}

/* Logits up to which cross_entropy_row (layers_impl.h) keeps each e^(z−max) for the
 * gradient, computed once; past it, the gradient computes them again (the same values). */
enum { CE_KEPT = 64 };

#define REAL float
#define SUFFIX f32
#define MATMUL k_gemm
#include "layers_impl.h"
#undef REAL
#undef SUFFIX
#undef MATMUL

#define REAL double
#define SUFFIX f64
#define MATMUL k_gemm_f64
#include "layers_impl.h"
#undef REAL
#undef SUFFIX
#undef MATMUL

void init_dense(float *w, float *b, int64_t I, int64_t O, enum init init, uint64_t seed,
                int layer)
{
	uint64_t base = (uint64_t)layer << 40; /* each layer its own counters */
	double bound = init == INIT_XAVIER ? sqrt(6.0 / (double)(I + O)) : 1 / sqrt((double)I);
	for (int64_t i = 0; i < O * I; i++) {
		uint64_t counter = base + (uint64_t)i;
		w[i] = (float)(init == INIT_HE ? sqrt(2.0 / (double)I) * rng_normal(seed, RNG_INIT, counter)
		               : bound * (2 * rng_uniform(seed, RNG_INIT, counter) - 1));
	}
	for (int64_t o = 0; b && o < O; o++)
		b[o] = init == INIT_DEFAULT
			? (float)(bound * (2 * rng_uniform(seed, RNG_INIT, base + (uint64_t)(O * I + o)) - 1))
			: 0;
}
