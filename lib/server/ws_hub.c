/*
 * The in-process WebSocket hub: one sequencer and one bounded replay ring per
 * channel, and fan-out to attached targets (the loop threads). One mutex
 * guards everything: publishes are rare next to requests (a few hundred per
 * second at most), and holding it while delivering is what keeps every
 * target's stream in seq order across publishing threads.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "ws_int.h"

static const char *const channel_names[WS_CH_COUNT] = {"evaluation.updates", "agent.status",
                                                       "metrics"};

struct ws_ring {
    struct ws_msg **slot; /* capacity entries; the newest is at (head + count - 1) % cap */
    size_t head, count;
    uint64_t last_seq;
};

struct ws_target {
    ws_deliver_fn fn;
    void *target;
};

struct ws_hub {
    pthread_mutex_t lock;
    size_t capacity;
    struct ws_ring ring[WS_CH_COUNT];
    struct ws_target targets[WS_HUB_MAX_TARGETS];
};

const char *ws_channel_name(int channel)
{
    return channel >= 0 && channel < WS_CH_COUNT ? channel_names[channel] : "unknown";
}

int ws_channel_parse(const char *name, size_t len)
{
    for (int i = 0; i < WS_CH_COUNT; i++)
        if (strlen(channel_names[i]) == len && memcmp(channel_names[i], name, len) == 0)
            return i;
    return -1;
}

struct ws_msg *ws_msg_new(const char *text, size_t len)
{
    struct ws_msg *m = xmalloc(sizeof(*m) + len + 1);

    atomic_init(&m->refs, 1);
    m->channel = -1;
    m->seq = 0;
    m->len = len;
    memcpy(m->text, text, len);
    m->text[len] = '\0';
    return m;
}

struct ws_msg *ws_msg_ref(struct ws_msg *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void ws_msg_unref(struct ws_msg *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        free(m);
}

struct ws_hub *ws_hub_new(size_t replay)
{
    struct ws_hub *h = xcalloc(1, sizeof(*h));

    h->capacity = replay ? replay : 1;
    for (int c = 0; c < WS_CH_COUNT; c++)
        h->ring[c].slot = xcalloc(h->capacity, sizeof(*h->ring[c].slot));
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

void ws_hub_free(struct ws_hub *h)
{
    if (!h)
        return;
    for (int c = 0; c < WS_CH_COUNT; c++) {
        struct ws_ring *r = &h->ring[c];
        for (size_t i = 0; i < r->count; i++)
            ws_msg_unref(r->slot[(r->head + i) % h->capacity]);
        free(r->slot);
    }
    pthread_mutex_destroy(&h->lock);
    free(h);
}

int ws_hub_attach(struct ws_hub *h, ws_deliver_fn fn, void *target)
{
    int slot = -1;

    pthread_mutex_lock(&h->lock);
    for (int i = 0; i < WS_HUB_MAX_TARGETS && slot < 0; i++)
        if (!h->targets[i].fn) {
            h->targets[i].fn = fn;
            h->targets[i].target = target;
            slot = i;
        }
    pthread_mutex_unlock(&h->lock);
    return slot;
}

void ws_hub_detach(struct ws_hub *h, int slot)
{
    if (slot < 0 || slot >= WS_HUB_MAX_TARGETS)
        return;
    pthread_mutex_lock(&h->lock);
    h->targets[slot].fn = NULL;
    h->targets[slot].target = NULL;
    pthread_mutex_unlock(&h->lock);
}

static void ring_push(struct ws_hub *h, struct ws_ring *r, struct ws_msg *m)
{
    if (r->count == h->capacity) {
        ws_msg_unref(r->slot[r->head]);
        r->head = (r->head + 1) % h->capacity;
        r->count--;
    }
    r->slot[(r->head + r->count) % h->capacity] = m;
    r->count++;
}

static struct ws_msg *envelope(int channel, uint64_t seq, int64_t now_ms, const char *payload,
                               size_t len)
{
    char head[160];
    int n = snprintf(head, sizeof(head),
                     "{\"type\":\"message\",\"channel\":\"%s\",\"seq\":%" PRIu64
                     ",\"timestamp\":%" PRId64 ",\"payload\":",
                     channel_names[channel], seq, now_ms);
    struct ws_msg *m = xmalloc(sizeof(*m) + (size_t)n + len + 2);

    atomic_init(&m->refs, 1);
    m->channel = channel;
    m->seq = seq;
    memcpy(m->text, head, (size_t)n);
    memcpy(m->text + n, payload, len);
    m->text[(size_t)n + len] = '}';
    m->text[(size_t)n + len + 1] = '\0';
    m->len = (size_t)n + len + 1;
    return m;
}

/* Empties a ring: after a gap it would no longer hold oldest..last. */
static void ring_clear(struct ws_hub *h, struct ws_ring *r)
{
    for (size_t i = 0; i < r->count; i++)
        ws_msg_unref(r->slot[(r->head + i) % h->capacity]);
    r->head = r->count = 0;
}

static void deliver_locked(struct ws_hub *h, int channel, uint64_t seq, int64_t now_ms,
                           const char *payload, size_t len)
{
    struct ws_ring *r = &h->ring[channel];
    struct ws_msg *m = envelope(channel, seq, now_ms, payload, len);

    if (seq != r->last_seq + 1)
        ring_clear(h, r);
    r->last_seq = seq;
    ring_push(h, r, m); /* the ring owns the first reference */
    for (int i = 0; i < WS_HUB_MAX_TARGETS; i++)
        if (h->targets[i].fn)
            h->targets[i].fn(h->targets[i].target, ws_msg_ref(m));
}

uint64_t ws_hub_publish(struct ws_hub *h, int channel, const char *payload, size_t len,
                        int64_t now_ms)
{
    uint64_t seq;

    pthread_mutex_lock(&h->lock);
    seq = h->ring[channel].last_seq + 1;
    deliver_locked(h, channel, seq, now_ms, payload, len);
    pthread_mutex_unlock(&h->lock);
    return seq;
}

bool ws_hub_deliver(struct ws_hub *h, int channel, uint64_t seq, int64_t now_ms,
                    const char *payload, size_t len)
{
    bool fresh;

    pthread_mutex_lock(&h->lock);
    fresh = seq > h->ring[channel].last_seq;
    if (fresh)
        deliver_locked(h, channel, seq, now_ms, payload, len);
    pthread_mutex_unlock(&h->lock);
    return fresh;
}

void ws_hub_resume(struct ws_hub *h, int channel, int has_since, uint64_t since_seq,
                   struct ws_msg **out, size_t max, struct ws_resume *res)
{
    struct ws_ring *r = &h->ring[channel];

    memset(res, 0, sizeof(*res));
    pthread_mutex_lock(&h->lock);
    res->last_seq = r->last_seq;
    res->oldest_seq = r->count ? r->slot[r->head]->seq : 0;
    if (has_since && since_seq < r->last_seq) {
        /* The ring holds oldest..last without gaps. */
        if (r->count == 0 || since_seq + 1 < res->oldest_seq) {
            res->resync = 1;
        } else {
            size_t skip = (size_t)(since_seq + 1 - res->oldest_seq);
            for (size_t i = skip; i < r->count && res->count < max; i++)
                out[res->count++] = ws_msg_ref(r->slot[(r->head + i) % h->capacity]);
        }
    } else if (has_since && since_seq > r->last_seq) {
        res->resync = 1; /* not issued here yet: perhaps never (the caller may know better) */
        res->ahead = 1;
    }
    pthread_mutex_unlock(&h->lock);
}

uint64_t ws_hub_last_seq(struct ws_hub *h, int channel)
{
    uint64_t seq;

    pthread_mutex_lock(&h->lock);
    seq = h->ring[channel].last_seq;
    pthread_mutex_unlock(&h->lock);
    return seq;
}
