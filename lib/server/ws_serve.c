/*
 * The WebSocket feed's glue to the rest of `tars serve`: settings and their
 * defaults, the /ws handshake (credentials, connection limit), and publishing
 * from handlers and the periodic "metrics" summary.
 */
#include <stdlib.h>
#include <string.h>

#include <h2o/websocket.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/log.h"
#include "tars/str.h"

#define WS_TOKEN_MAX 4096

static void apply_defaults(struct tars_server_config *cfg)
{
    if (cfg->ws_auth == TARS_WS_AUTH_DEFAULT)
        cfg->ws_auth = TARS_WS_AUTH_OPTIONAL;
    if (cfg->ws_max_connections <= 0)
        cfg->ws_max_connections = 20000;
    if (cfg->ws_heartbeat_ms <= 0)
        cfg->ws_heartbeat_ms = 30000;
    if (cfg->ws_idle_timeout_ms <= 0)
        cfg->ws_idle_timeout_ms = 300000;
    if (cfg->ws_metrics_interval_ms <= 0)
        cfg->ws_metrics_interval_ms = 10000;
    if (cfg->ws_replay <= 0)
        cfg->ws_replay = 1024;
    if (cfg->ws_send_queue <= 0)
        cfg->ws_send_queue = 1024;
}

int srv_ws_start(struct tars_server *srv, struct tars_err *err)
{
    apply_defaults(&srv->cfg);
    if (srv->cfg.ws_auth < TARS_WS_AUTH_REQUIRED || srv->cfg.ws_auth > TARS_WS_AUTH_OFF)
        return tars_err_set(err, TARS_EINVAL, "unknown WebSocket auth mode %d", srv->cfg.ws_auth);
    srv->ws_hub = ws_hub_new((size_t)srv->cfg.ws_replay);
    return TARS_OK;
}

void srv_ws_free(struct tars_server *srv)
{
    ws_hub_free(srv->ws_hub);
    srv->ws_hub = NULL;
}

/* ---- credentials ---- */

/* Copies v into out as a C string; false when too long or holding a NUL. */
static bool copy_token(const char *v, size_t len, char *out, size_t size)
{
    if (len == 0 || len >= size || memchr(v, '\0', len))
        return false;
    memcpy(out, v, len);
    out[len] = '\0';
    return true;
}

static h2o_iovec_t trimmed(const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return h2o_iovec_init(p, n);
}

/* "Sec-WebSocket-Protocol: bearer, <token>": whether "bearer" was offered
 * (then the answer names it) and the token after it, if any. */
static bool protocol_token(h2o_req_t *req, char *token, size_t size, bool *found)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-websocket-protocol"), -1);
    h2o_iovec_t v, first, rest;
    const char *comma;

    *found = false;
    if (i < 0)
        return false;
    v = req->headers.entries[i].value;
    comma = memchr(v.base, ',', v.len);
    first = trimmed(v.base, comma ? (size_t)(comma - v.base) : v.len);
    if (!tars_memeq_nocase(first.base, first.len, "bearer"))
        return false;
    if (!comma)
        return true;
    rest = trimmed(comma + 1, v.len - (size_t)(comma + 1 - v.base));
    *found = copy_token(rest.base, rest.len, token, size);
    return true;
}

enum credential { CRED_NONE, CRED_PRESENT, CRED_MALFORMED };

/* The token from, in this order, Authorization: Bearer, ?token=, or the
 * subprotocol header. */
static enum credential find_token(struct srv_req *r, char *token, size_t size,
                                  bool *bearer_protocol)
{
    ssize_t i = h2o_find_header(&r->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    bool found = false;

    *bearer_protocol = protocol_token(r->req, token, size, &found);
    if (i >= 0) {
        h2o_iovec_t v = r->req->headers.entries[i].value;
        if (v.len < 8 || !tars_memeq_nocase(v.base, 7, "bearer ") ||
            !copy_token(v.base + 7, v.len - 7, token, size))
            return CRED_MALFORMED;
        return CRED_PRESENT;
    }
    switch (srv_query_get(r, "token", token, size)) {
    case SRV_Q_OK: return token[0] ? CRED_PRESENT : CRED_MALFORMED;
    case SRV_Q_BAD: return CRED_MALFORMED;
    default: break;
    }
    if (found)
        return CRED_PRESENT;
    return CRED_NONE;
}

/* Decides how the handshake ends: 0 (accepted) or a close code with reason. */
static int check_credentials(struct srv_req *r, bool *bearer_protocol, const char **reason)
{
    struct tars_server *srv = r->th->srv;
    struct tars_err err = TARS_ERR_INIT;
    char token[WS_TOKEN_MAX];
    enum credential cred = find_token(r, token, sizeof(token), bearer_protocol);
    int code = 0;

    if (srv->cfg.ws_auth == TARS_WS_AUTH_OFF) {
        code = 0;
    } else if (cred == CRED_MALFORMED) {
        srv_metrics_auth_failure(&srv->metrics, AUTHF_MALFORMED);
        *reason = "malformed credentials";
        code = 1008;
    } else if (cred == CRED_NONE) {
        if (srv->cfg.ws_auth == TARS_WS_AUTH_REQUIRED) {
            srv_metrics_auth_failure(&srv->metrics, AUTHF_MISSING);
            *reason = "authentication required";
            code = 1008;
        }
    } else if (srv_authenticate_token(r, token, &err) != 0) {
        *reason = "invalid or expired token";
        code = 1008;
    }
    explicit_bzero(token, sizeof(token));
    return code;
}

/* Takes a place under the connection limit; false when full. */
static bool take_connection(struct tars_server *srv)
{
    int64_t n = __atomic_add_fetch(&srv->metrics.ws_connections, 1, __ATOMIC_RELAXED);

    if (n <= srv->cfg.ws_max_connections)
        return true;
    __atomic_sub_fetch(&srv->metrics.ws_connections, 1, __ATOMIC_RELAXED);
    return false;
}

static bool marked_reconnect(struct srv_req *r)
{
    char v[8];

    return srv_query_get(r, "reconnect", v, sizeof(v)) == SRV_Q_OK &&
           (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

void h_websocket(struct srv_req *r)
{
    struct tars_server *srv = r->th->srv;
    struct srv_metrics *m = &srv->metrics;
    const char *key = NULL, *reason = "";
    bool bearer_protocol = false, reconnect;
    int code;

    if (r->req->version >= 0x200 || h2o_is_websocket_handshake(r->req, &key) != 0 || !key) {
        srv_send_error(r, 400, "bad_request",
                       "this path takes a WebSocket handshake (GET with Upgrade: websocket, "
                       "Sec-WebSocket-Key, HTTP/1.1)");
        return;
    }
    if (!ws_thread_accepting(r->th) || atomic_load(&srv->stopping)) {
        srv_send_error(r, 503, "unavailable", "the server is shutting down");
        return;
    }
    reconnect = marked_reconnect(r);
    if (reconnect)
        srv_metrics_ws_add(&m->ws_reconnect_attempts, 1);
    code = check_credentials(r, &bearer_protocol, &reason);
    if (code)
        srv_metrics_ws_add(&m->ws_rejected[WS_REJECT_AUTH], 1);
    if (code == 0 && !take_connection(srv)) {
        srv_metrics_ws_add(&m->ws_rejected[WS_REJECT_FULL], 1);
        code = 1013;
        reason = "too many connections; try again later";
    }
    if (code == 0 && reconnect)
        srv_metrics_ws_add(&m->ws_reconnect_success, 1);
    if (bearer_protocol)
        srv_add_header(r, "sec-websocket-protocol", "bearer");
    r->answered = true;
    srv_metrics_request(r->th->shard, r->route, SRV_GET, 101, tars_mono_ns() - r->started_ns);
    ws_conn_upgrade(r->th, r->req, key, r->authenticated, code, reason);
}

/* ---- publishing ----
 * A message of the feed is a row written in the same transaction as the
 * change it reports (tars_store_feed_append): the database numbers it, so
 * every process on that database (a --takeover replacement, other replicas)
 * shares one sequence per channel. The writer thread then reads the rows it
 * has not delivered yet (srv_ws_feed_poll) after each commit and every
 * WS_FEED_POLL_MS, and hands them to the hub in seq order: its own at once,
 * another process's within a poll. A message is never published for a write
 * that did not commit. */

int srv_ws_feed_write(tars_store *st, struct tars_server *srv, int channel, void *payload_json,
                      const char *action, struct tars_err *err)
{
    json_t *payload = payload_json;
    char *text;
    int64_t seq;
    int rc;

    if (!payload)
        return tars_err_set(err, TARS_EINTERNAL, "feed message: cannot serialise");
    if (action)
        json_object_set_new(payload, "action", json_string(action));
    text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    if (!text)
        return tars_err_set(err, TARS_EINTERNAL, "feed message: cannot serialise");
    rc = tars_store_feed_append(st, ws_channel_name(channel), tars_wall_ms(), text,
                                srv->cfg.ws_replay, &seq, err);
    free(text);
    return rc;
}

struct feed_poll {
    struct ws_hub *hub;
    int channel;
    int64_t last;
};

static int deliver_row(void *ctx, int64_t seq, int64_t timestamp_ms, const char *payload)
{
    struct feed_poll *p = ctx;

    ws_hub_deliver(p->hub, p->channel, (uint64_t)seq, timestamp_ms, payload, strlen(payload));
    p->last = seq;
    return 0;
}

/* Delivers channel's rows past what the hub has, at most the replay depth
 * behind the newest (older ones could not be replayed anyway). */
static int poll_channel(tars_store *st, struct tars_server *srv, int channel, struct tars_err *err)
{
    struct feed_poll p = {srv->ws_hub, channel, 0};
    int64_t newest;
    int rc = tars_store_feed_last(st, ws_channel_name(channel), &newest, err);

    if (rc)
        return rc;
    p.last = (int64_t)ws_hub_last_seq(srv->ws_hub, channel);
    if (p.last < newest - srv->cfg.ws_replay)
        p.last = newest - srv->cfg.ws_replay;
    while (rc == 0 && p.last < newest) {
        int64_t before = p.last;
        rc = tars_store_feed_since(st, ws_channel_name(channel), p.last, srv->cfg.ws_replay,
                                   deliver_row, &p, err);
        if (p.last == before) /* trimmed under us: nothing more to read */
            break;
    }
    return rc;
}

void srv_ws_feed_poll(tars_store *st, void *server)
{
    struct tars_server *srv = server;
    struct tars_err err = TARS_ERR_INIT;
    int rc = 0;

    for (int ch = 0; ch < WS_CH_COUNT && rc == 0; ch++)
        rc = poll_channel(st, srv, ch, &err);
    if (rc && !srv->feed_poll_failing)
        tars_log(TARS_LOG_WARN, NULL, NULL, "live feed: cannot read new messages: %s", err.msg);
    else if (!rc && srv->feed_poll_failing)
        tars_log(TARS_LOG_INFO, NULL, NULL, "live feed: reading new messages again");
    srv->feed_poll_failing = rc != 0;
}

struct metrics_write {
    struct tars_server *srv;
    json_t *payload;
};

static int write_metrics(tars_store *st, void *data, struct tars_err *err)
{
    struct metrics_write *mw = data;
    json_t *payload = mw->payload;

    mw->payload = NULL;
    return srv_ws_feed_write(st, mw->srv, WS_CH_METRICS, payload, NULL, err);
}

static void free_metrics_write(void *data)
{
    struct metrics_write *mw = data;

    json_decref(mw->payload);
    free(mw);
}

void srv_ws_publish_metrics(struct tars_server *srv)
{
    struct srv_metrics *m = &srv->metrics;
    struct metrics_write *mw = xcalloc(1, sizeof(*mw));

    mw->srv = srv;
    mw->payload = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I}", "websocket_connections",
        (json_int_t)__atomic_load_n(&m->ws_connections, __ATOMIC_RELAXED), "http_requests_total",
        (json_int_t)srv_metrics_requests_total(m), "websocket_messages_sent_total",
        (json_int_t)__atomic_load_n(&m->ws_messages_sent, __ATOMIC_RELAXED),
        "websocket_slow_consumers_total",
        (json_int_t)__atomic_load_n(&m->ws_slow_consumers, __ATOMIC_RELAXED),
        "evaluation_updates_seq", (json_int_t)ws_hub_last_seq(srv->ws_hub, WS_CH_EVALUATIONS),
        "uptime_s", (json_int_t)((tars_wall_ms() - srv->started_at_ms) / 1000));
    srv_write_detached(srv->writer, write_metrics, mw, free_metrics_write);
}
