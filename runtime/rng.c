/* rng.c — counter-based random numbers (see rng.h). */
#include "rng.h"

#include <math.h>

/* Three rounds, each input entering through its own odd constant: seed and stream here,
 * the counter in rng_keyed. */
uint64_t rng_key(uint64_t seed, uint64_t stream)
{
	return rng_mix(rng_mix(seed + 0x9e3779b97f4a7c15ULL) ^ (stream * 0xd1b54a32d192ed03ULL));
}

uint64_t rng_bits(uint64_t seed, uint64_t stream, uint64_t counter)
{
	return rng_keyed(rng_key(seed, stream), counter);
}

double rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
	return (double)(rng_bits(seed, stream, counter) >> 11) * 0x1.0p-53; /* the top 53 bits */
}

double rng_normal(uint64_t seed, uint64_t stream, uint64_t counter)
{
	double u = rng_uniform(seed, stream, 2 * counter), v = rng_uniform(seed, stream, 2 * counter + 1);
	return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

void rng_permutation(uint64_t seed, uint64_t stream, uint64_t base, int64_t *perm, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		perm[i] = i;
	for (int64_t i = n - 1; i > 0; i--) {
		/* multiply-shift: an index in [0, i] without modulo bias worth speaking of */
		uint64_t r = rng_bits(seed, stream, base + (uint64_t)i);
		int64_t j = (int64_t)(((unsigned __int128)r * (uint64_t)(i + 1)) >> 64);
		int64_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}
