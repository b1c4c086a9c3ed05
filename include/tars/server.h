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
    const char *listen_host; /* numeric address, e.g. "127.0.0.1" or "::1" */
    int listen_port;
    const char *db_url;     /* sqlite:PATH or postgres://... */
    const void *jwt_secret; /* >= TARS_JWT_SECRET_MIN bytes */
    size_t jwt_secret_len;
    int threads;               /* event-loop threads, >= 1 */
    int64_t rate_limit_public; /* per minute per address; 0 = off */
    int64_t rate_limit_auth;
    int64_t rate_limit_user;     /* per minute per principal; 0 = off */
    const char *exempt_networks; /* comma-separated CIDRs or NULL */
    const char *cors_origins;    /* comma-separated origins or NULL */
    int request_timeout_s;
    int shutdown_timeout_s; /* bound on finishing in-flight requests */
    bool takeover;          /* share the port with a running tars serve (SO_REUSEPORT), so a
                               new version can take over before the old one drains */
    /* The WebSocket feed (/ws; docs/api.md#websocket). 0 selects the default. */
    int ws_auth;                    /* enum tars_server_ws_auth; default optional */
    int ws_max_connections;         /* default 20000; more are closed with 1013 */
    int64_t ws_heartbeat_ms;        /* default 30000 */
    int64_t ws_idle_timeout_ms;     /* default 300000 */
    int64_t ws_metrics_interval_ms; /* the "metrics" channel; default 10000 */
    int ws_replay;                  /* messages kept per channel for resume; default 1024 */
    int ws_send_queue;              /* messages queued per connection; default 1024 */
};

/* Who may use /ws: required (a valid token to connect), optional (anyone may
 * connect and ping; a token, if given, must be valid; subscribing needs
 * one), off (no authentication at all). */
enum tars_server_ws_auth {
    TARS_WS_AUTH_DEFAULT,
    TARS_WS_AUTH_REQUIRED,
    TARS_WS_AUTH_OPTIONAL,
    TARS_WS_AUTH_OFF
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
