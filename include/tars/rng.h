/*
 * A small fast pseudo-random generator (xoshiro256**, Blackman and Vigna),
 * for load templates, seeded test data and other non-cryptographic uses.
 * The state is four 64-bit words owned by the caller; never all zero.
 * For secrets use tars_random_bytes (tars/crypto.h).
 */
#ifndef TARS_RNG_H
#define TARS_RNG_H

#include <stdint.h>

/* Fills s from seed with splitmix64 (any seed, zero included, is fine). */
void tars_rng_seed(uint64_t s[4], uint64_t seed);

/* The next 64 random bits. */
uint64_t tars_rng_next(uint64_t s[4]);

/* Uniform in [0, n), n >= 1, without modulo bias (rejection sampling). */
uint64_t tars_rng_below(uint64_t s[4], uint64_t n);

/* Uniform in [0, 1) with 53 bits. */
double tars_rng_unit(uint64_t s[4]);

#endif
