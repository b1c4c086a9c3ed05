/* The per-thread response cache (cache.h). */
#include <stdlib.h>

#include "cache.h"
#include "tars/buf.h"
#include "tars/clock.h"
#include "tars/json.h"

int srv_cache_fill(struct srv_cached_body *c, atomic_uint_fast64_t *generation,
                   srv_cache_read_fn read, void *ctx, struct tars_err *err)
{
    /* Before the read: a write committed while read runs must not be cached
     * under its own (newer) generation with the older data. */
    uint64_t gen = atomic_load_explicit(generation, memory_order_acquire);
    struct tars_buf b = TARS_BUF_INIT(SRV_MAX_RESPONSE);
    json_t *v = NULL;
    int rc;

    srv_cache_release(c);
    rc = read(ctx, &v, err);
    if (rc)
        return rc;
    rc = !v || tars_json_dump(v, &b) ? SRV_CACHE_EDUMP : 0;
    json_decref(v);
    if (rc) {
        tars_buf_release(&b);
        return rc;
    }
    c->body = tars_buf_take(&b, &c->len);
    c->generation = gen;
    c->expires_ns = tars_mono_ns() + SRV_CACHE_TTL_NS;
    return 0;
}

bool srv_cache_fresh(const struct srv_cached_body *c, uint64_t generation, uint64_t now_ns)
{
    return c->body && c->generation == generation && now_ns <= c->expires_ns;
}

void srv_cache_release(struct srv_cached_body *c)
{
    free(c->body);
    c->body = NULL;
    c->len = 0;
}
