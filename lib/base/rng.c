/* xoshiro256** and splitmix64 (see tars/rng.h). */
#include "tars/rng.h"

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void tars_rng_seed(uint64_t s[4], uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&seed);
}

uint64_t tars_rng_next(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t tars_rng_below(uint64_t s[4], uint64_t n)
{
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n: draws below it would bias */

    for (;;) {
        uint64_t x = tars_rng_next(s);
        if (x >= threshold)
            return x % n;
    }
}

double tars_rng_unit(uint64_t s[4])
{
    return (double)(tars_rng_next(s) >> 11) * 0x1.0p-53;
}
