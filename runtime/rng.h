/* rng.h — counter-based random numbers: every draw is a pure function of (seed, stream,
 * counter), so a value never depends on the order in which threads or batches ask for
 * it, and a resumed run draws exactly what an uninterrupted one would.
 *
 * For: initialisation, shuffling, validation splits, generated data sets, dropout masks.
 * Not for: cryptography. The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014)
 * applied to a combination of the three inputs.
 */
#ifndef DESCENT_RNG_H
#define DESCENT_RNG_H

#include <stdint.h>

/* Streams: one per use, so that using one never shifts another. */
enum rng_stream {
	RNG_INIT = 1,   /* weight initialisation (counter: parameter index, element) */
	RNG_SHUFFLE,    /* the order of an epoch (counter: epoch, position) */
	RNG_SPLIT,      /* the validation split */
	RNG_DATA,       /* generated data sets */
	RNG_DROPOUT,    /* dropout masks (counter: step, layer, unit) */
	RNG_SAMPLE,     /* sweep trials drawn at random */
};

/* 64 random bits for (seed, stream, counter). */
uint64_t rng_bits(uint64_t seed, uint64_t stream, uint64_t counter);

/* For loops of many draws from one stream: the two of a draw's three rounds that depend
 * only on (seed, stream), done once. rng_keyed(rng_key(s, t), c) == rng_bits(s, t, c). */
uint64_t rng_key(uint64_t seed, uint64_t stream);

/* SplitMix64's finaliser. */
static inline uint64_t rng_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rng_keyed(uint64_t key, uint64_t counter)
{
	return rng_mix(key ^ (counter * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL));
}

/* A double uniform in [0, 1), 53 random bits. */
double rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);
/* A standard normal (Box-Muller on the draws 2·counter and 2·counter + 1). */
double rng_normal(uint64_t seed, uint64_t stream, uint64_t counter);
/* A permutation of 0..n-1 into perm (Fisher-Yates, draw i from counter base + i). */
void rng_permutation(uint64_t seed, uint64_t stream, uint64_t base, int64_t *perm, int64_t n);

#endif
