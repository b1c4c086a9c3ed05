/* The per-thread response cache of tars serve: a serialised body kept by one
 * loop thread, valid while no write has committed since it was read and for
 * at most its time to live. Free of h2o so it can be tested on its own. */
#ifndef TARS_SERVER_CACHE_H
#define TARS_SERVER_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tars/err.h"

/* The TTL bounds staleness when another process (a replica on the same
 * PostgreSQL) writes, which does not bump this process's generation. */
#define SRV_CACHE_TTL_NS 1000000000ull
/* The largest response body tars serve builds. */
#define SRV_MAX_RESPONSE (16 * 1024 * 1024)
/* srv_cache_fill's return when the document could not be serialised. */
#define SRV_CACHE_EDUMP 1

struct srv_cached_body {
    char *body;
    size_t len;
    uint64_t generation; /* the data generation before the data was read */
    uint64_t expires_ns;
};

/* Reads the data to cache: sets *out (a new reference) and returns 0, or
 * fills err and returns its code. */
typedef int (*srv_cache_read_fn)(void *ctx, json_t **out, struct tars_err *err);

/* Reads the generation, then runs read and keeps the serialised document in
 * c stamped with that earlier generation, so that a write committing while
 * read runs leaves the entry stale at once. Returns 0, read's error (err
 * filled) or SRV_CACHE_EDUMP; on error c is empty. */
int srv_cache_fill(struct srv_cached_body *c, atomic_uint_fast64_t *generation,
                   srv_cache_read_fn read, void *ctx, struct tars_err *err);
/* True while c holds a body read at generation and not yet expired. */
bool srv_cache_fresh(const struct srv_cached_body *c, uint64_t generation, uint64_t now_ns);
void srv_cache_release(struct srv_cached_body *c);

#endif
