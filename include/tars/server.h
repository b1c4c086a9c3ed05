/*
 * `tars serve`: the reference T.A.R.S. dashboard API on h2o. One event loop
 * per thread (shared nothing, each with its own listening socket via
 * SO_REUSEPORT and its own database connection), plus one writer thread that
 * group-commits every write and answers the loop threads through h2o's
 * cross-thread queues. See docs/architecture.md and docs/api.md.
 */
#ifndef TARS_SERVER_H
#define TARS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"

struct tars_server_config {
    const char *listen_host;   /* numeric address, e.g. "127.0.0.1" or "::1" */
    int listen_port;
    const char *db_url;        /* sqlite:PATH or postgres://... */
    const void *jwt_secret;    /* >= TARS_JWT_SECRET_MIN bytes */
    size_t jwt_secret_len;
    int threads;               /* event-loop threads, >= 1 */
    int64_t rate_limit_public; /* per minute per address; 0 = off */
    int64_t rate_limit_auth;
    int64_t rate_limit_user;   /* per minute per principal; 0 = off */
    const char *exempt_networks; /* comma-separated CIDRs or NULL */
    const char *cors_origins;    /* comma-separated origins or NULL */
    int request_timeout_s;
    int shutdown_timeout_s;    /* bound on finishing in-flight requests */
    bool takeover;             /* share the port with a running tars serve (SO_REUSEPORT), so a
                                  new version can take over before the old one drains */
};

typedef struct tars_server tars_server;

/* Opens storage, applies migrations, binds, and starts the threads. Returns
 * NULL with err filled (TARS_EINVAL for bad configuration, TARS_EUNAVAIL
 * when the database is unreachable, TARS_EIO when the address is taken). */
tars_server *tars_server_start(const struct tars_server_config *cfg, struct tars_err *err);

/* The port actually bound (useful with port 0). */
int tars_server_port(const tars_server *srv);

/* Stops accepting, lets in-flight requests finish (bounded by
 * shutdown_timeout_s), drains the writer, closes storage, frees everything. */
void tars_server_stop(tars_server *srv);

#endif
