/*
 * Sliding-window counter rate limiter. Windows are aligned to multiples of
 * window_ms; the estimate for a key at time t is
 *     prev * (1 - elapsed / window) + cur
 * where elapsed is t minus the start of the current window. A request passes
 * when estimate + 1 <= limit. Arithmetic is done in integers scaled by the
 * window so that the comparison is exact.
 *
 * Keys (hashed with a random SipHash key, plus a second 32-bit check) live
 * in a fixed table of buckets of BUCKET_WAYS slots. A key uses a slot of its
 * bucket that already holds it, else a free or stale one (both windows over),
 * else evicts the least recently used slot of the bucket. One mutex of
 * LOCK_STRIPES guards each bucket.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "tars/alloc.h"
#include "tars/crypto.h"
#include "tars/ratelimit.h"

#define BUCKET_WAYS 8
#define LOCK_STRIPES 64
#define SLOTS_MAX ((size_t)1 << 24)
#define LIMIT_MAX 1000000000
#define WINDOW_MS_MAX ((int64_t)7 * 24 * 3600 * 1000)

struct rl_slot {
    uint64_t hash;
    uint32_t check;
    bool used;
    uint64_t last_use; /* bucket clock at the last hit */
    int64_t start_ms;  /* start of the current window */
    int64_t cur, prev; /* counts in the current and the previous window */
};

struct rl_bucket {
    uint64_t clock;
    struct rl_slot slot[BUCKET_WAYS];
};

struct tars_ratelimit {
    int64_t limit;
    int64_t window_ms;
    size_t bucket_mask;
    struct rl_bucket *buckets;
    pthread_mutex_t locks[LOCK_STRIPES];
    uint8_t hash_key[AUTH_HASH_KEY_LEN];
    uint8_t check_key[AUTH_HASH_KEY_LEN];
};

tars_ratelimit *tars_ratelimit_new(int64_t limit, int64_t window_ms, size_t slots)
{
    tars_ratelimit *rl;
    size_t buckets = 1;

    if (limit < 1 || limit > LIMIT_MAX || window_ms < 1 || window_ms > WINDOW_MS_MAX)
        return NULL;
    if (slots > SLOTS_MAX)
        slots = SLOTS_MAX;
    while (buckets * 2 * BUCKET_WAYS <= slots)
        buckets *= 2;
    rl = xcalloc(1, sizeof(*rl));
    rl->limit = limit;
    rl->window_ms = window_ms;
    rl->bucket_mask = buckets - 1;
    rl->buckets = xcalloc(buckets, sizeof(*rl->buckets));
    tars_random_bytes(rl->hash_key, sizeof(rl->hash_key));
    tars_random_bytes(rl->check_key, sizeof(rl->check_key));
    for (int i = 0; i < LOCK_STRIPES; i++) {
        if (pthread_mutex_init(&rl->locks[i], NULL) != 0) {
            while (i-- > 0)
                pthread_mutex_destroy(&rl->locks[i]);
            free(rl->buckets);
            free(rl);
            return NULL;
        }
    }
    return rl;
}

void tars_ratelimit_free(tars_ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < LOCK_STRIPES; i++)
        pthread_mutex_destroy(&rl->locks[i]);
    free(rl->buckets);
    free(rl);
}

/* Start of the window holding now (floor, also for negative times). */
static int64_t window_start(int64_t now, int64_t window)
{
    int64_t rem = now % window;
    if (rem < 0)
        rem += window;
    return now - rem;
}

static bool slot_stale(const struct rl_slot *s, int64_t now, int64_t window)
{
    return now - s->start_ms >= 2 * window;
}

/* Whether a is a better slot to reuse than b: free or stale slots first,
 * then the least recently used. */
static bool better_victim(const struct rl_slot *a, const struct rl_slot *b, int64_t now,
                          int64_t window)
{
    bool a_dead = !a->used || slot_stale(a, now, window);
    bool b_dead = !b->used || slot_stale(b, now, window);

    if (a_dead != b_dead)
        return a_dead;
    return a->last_use < b->last_use;
}

/* The slot for (hash, check) in b, claiming one when the key is new. */
static struct rl_slot *bucket_slot(struct rl_bucket *b, uint64_t hash, uint32_t check, int64_t now,
                                   int64_t window)
{
    struct rl_slot *victim = NULL;

    b->clock++;
    for (int i = 0; i < BUCKET_WAYS; i++) {
        struct rl_slot *s = &b->slot[i];
        if (s->used && s->hash == hash && s->check == check) {
            s->last_use = b->clock;
            return s;
        }
        if (!victim || better_victim(s, victim, now, window))
            victim = s;
    }
    *victim = (struct rl_slot){hash, check, true, b->clock, window_start(now, window), 0, 0};
    return victim;
}

/* Moves the slot's windows forward to the one holding now. */
static void slot_roll(struct rl_slot *s, int64_t now, int64_t window)
{
    int64_t start = window_start(now, window);

    if (start <= s->start_ms)
        return; /* same window, or the clock went back */
    s->prev = start - s->start_ms == window ? s->cur : 0;
    s->cur = 0;
    s->start_ms = start;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* Milliseconds from now until one more request would pass (rejected case). */
static int64_t retry_after_ms(const struct rl_slot *s, int64_t limit, int64_t window,
                              int64_t elapsed)
{
    int64_t room = (limit - s->cur - 1) * window;

    if (room >= 0) {
        /* within this window, once prev's weight has decayed enough */
        if (s->prev == 0)
            return 1;
        return window - elapsed - room / s->prev;
    }
    /* next window: cur becomes prev and must decay to leave room for one */
    return window - elapsed + window - (limit - 1) * window / s->cur;
}

static void slot_decide(struct rl_slot *s, int64_t limit, int64_t window, int64_t now,
                        struct tars_ratelimit_result *out)
{
    int64_t elapsed = now - s->start_ms, used, left;

    if (elapsed < 0)
        elapsed = 0;
    if (elapsed > window)
        elapsed = window;
    used = s->prev * (window - elapsed) + s->cur * window;
    out->allowed = used + window <= limit * window;
    out->retry_after_s = 0;
    if (out->allowed) {
        s->cur++;
        used += window;
    } else {
        out->retry_after_s = ceil_div(retry_after_ms(s, limit, window, elapsed), 1000);
        if (out->retry_after_s < 1)
            out->retry_after_s = 1;
    }
    left = limit * window - used;
    out->limit = limit;
    out->remaining = left > 0 ? left / window : 0;
    out->reset_s = ceil_div(s->start_ms + window, 1000);
}

void tars_ratelimit_hit(tars_ratelimit *rl, const char *key, size_t key_len, int64_t now_ms,
                        struct tars_ratelimit_result *out)
{
    uint64_t hash = auth_hash64(rl->hash_key, key, key_len);
    uint32_t check = (uint32_t)auth_hash64(rl->check_key, key, key_len);
    size_t b = (size_t)hash & rl->bucket_mask;
    pthread_mutex_t *lock = &rl->locks[b % LOCK_STRIPES];
    struct rl_slot *s;

    /* A default mutex cannot fail to lock unless memory is corrupt. */
    if (pthread_mutex_lock(lock) != 0)
        abort();
    s = bucket_slot(&rl->buckets[b], hash, check, now_ms, rl->window_ms);
    slot_roll(s, now_ms, rl->window_ms);
    slot_decide(s, rl->limit, rl->window_ms, now_ms, out);
    pthread_mutex_unlock(lock);
}
