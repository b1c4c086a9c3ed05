/* SipHash-2-4 (Aumasson and Bernstein), written from the paper's description. */
#include "hash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip_state {
    uint64_t v0, v1, v2, v3;
};

static uint64_t read_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void sip_round(struct sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = ROTL(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = ROTL(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = ROTL(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = ROTL(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = ROTL(s->v2, 32);
}

static void sip_absorb(struct sip_state *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

uint64_t auth_hash64(const uint8_t key[AUTH_HASH_KEY_LEN], const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t k0 = read_le64(key), k1 = read_le64(key + 8), last;
    struct sip_state s = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                          k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    size_t i = 0;

    for (; i + 8 <= len; i += 8)
        sip_absorb(&s, read_le64(p + i));
    last = (uint64_t)(len & 0xff) << 56;
    for (size_t j = 0; i + j < len; j++)
        last |= (uint64_t)p[i + j] << (8 * j);
    sip_absorb(&s, last);
    s.v2 ^= 0xff;
    for (int r = 0; r < 4; r++)
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
