/*
 * Sliding-window rate limiter, in memory, per process. Behind this small
 * interface so a Redis backend (sorted sets) can replace it (docs/architecture.md).
 *
 * The window is approximated with two fixed sub-windows weighted by overlap
 * (the "sliding window counter"), which bounds memory to one small entry per
 * key and errs on the side of limiting. Keys are hashed into a fixed-size
 * table; stale entries are reused, so memory never grows with the number of
 * clients. Thread-safe (striped locks).
 */
#ifndef TARS_RATELIMIT_H
#define TARS_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tars_ratelimit tars_ratelimit;

struct tars_ratelimit_result {
    bool allowed;
    int64_t limit;
    int64_t remaining;
    int64_t reset_s;       /* epoch seconds when the current window ends */
    int64_t retry_after_s; /* when !allowed: seconds until a request would pass (>= 1) */
};

/* limit requests per window_ms per key; slots bounds memory (entries). */
tars_ratelimit *tars_ratelimit_new(int64_t limit, int64_t window_ms, size_t slots);
void tars_ratelimit_free(tars_ratelimit *rl);

/* Counts one request for key at now_ms (wall clock) and says whether it may
 * pass. A rejected request is not counted. */
void tars_ratelimit_hit(tars_ratelimit *rl, const char *key, size_t key_len, int64_t now_ms,
                        struct tars_ratelimit_result *out);

/* ---- exempt networks ("127.0.0.0/8,::1/128,10.0.0.0/8") ---- */
struct tars_netlist;
struct tars_netlist *tars_netlist_parse(const char *spec, char *errbuf, size_t errlen);
void tars_netlist_free(struct tars_netlist *nl);
/* addr is a struct sockaddr (AF_INET or AF_INET6, v4-mapped handled). */
bool tars_netlist_contains(const struct tars_netlist *nl, const void *sockaddr);

#endif
