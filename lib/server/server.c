/* tars serve: h2o set-up, threads, and the per-request pipeline. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/log.h"
#include "tars/net.h"
#include "tars/str.h"

#define JWT_CACHE_SLOTS 4096
#define RL_SLOTS 65536

struct srv_handler {
    h2o_handler_t super;
    struct tars_server *srv;
};

static struct srv_thread *thread_of(h2o_context_t *ctx)
{
    return (struct srv_thread *)((char *)ctx - offsetof(struct srv_thread, ctx));
}

/* ---- request pipeline ---- */

static void on_req_dispose(void *p)
{
    struct srv_req *r = p;
    r->th->inflight--;
    if (r->pending)
        srv_write_forget(r->pending);
}

static void client_address(struct srv_req *r, struct sockaddr_storage *ss)
{
    socklen_t len;
    void *addr = NULL;

    memset(ss, 0, sizeof(*ss));
    len = r->req->conn->callbacks->get_peername(r->req->conn, (struct sockaddr *)ss);
    if (len == 0) {
        tars_strlcpy(r->client_ip, "unknown", sizeof(r->client_ip));
        return;
    }
    if (ss->ss_family == AF_INET)
        addr = &((struct sockaddr_in *)ss)->sin_addr;
    else if (ss->ss_family == AF_INET6)
        addr = &((struct sockaddr_in6 *)ss)->sin6_addr;
    if (!addr || !inet_ntop(ss->ss_family, addr, r->client_ip, sizeof(r->client_ip)))
        tars_strlcpy(r->client_ip, "unknown", sizeof(r->client_ip));
}

static void begin_trace(struct srv_req *r)
{
    char tp[TARS_TRACEPARENT_LEN];
    ssize_t i = h2o_find_header_by_str(&r->req->headers, H2O_STRLIT("traceparent"), -1);

    if (i >= 0)
        tars_trace_begin(r->req->headers.entries[i].value.base,
                         r->req->headers.entries[i].value.len, &r->trace);
    else
        tars_trace_begin(NULL, 0, &r->trace);
    tars_traceparent_format(&r->trace, tp);
    srv_add_header(r, "traceparent", tp);
}

static bool origin_allowed(struct tars_server *srv, h2o_iovec_t origin)
{
    for (size_t i = 0; i < srv->cors_count; i++)
        if (strlen(srv->cors_origins[i]) == origin.len &&
            memcmp(srv->cors_origins[i], origin.base, origin.len) == 0)
            return true;
    return false;
}

/* Adds CORS headers for an allowed Origin; returns whether one was. */
static bool apply_cors(struct srv_req *r)
{
    ssize_t i = h2o_find_header_by_str(&r->req->headers, H2O_STRLIT("origin"), -1);
    h2o_iovec_t origin;
    char value[512];

    if (i < 0)
        return false;
    origin = r->req->headers.entries[i].value;
    if (!origin_allowed(r->th->srv, origin) || origin.len >= sizeof(value))
        return false;
    memcpy(value, origin.base, origin.len);
    value[origin.len] = '\0';
    srv_add_header(r, "access-control-allow-origin", value);
    srv_add_header(r, "vary", "Origin");
    return true;
}

static void answer_preflight(struct srv_req *r, const char *allow)
{
    if (apply_cors(r)) {
        srv_add_header(r, "access-control-allow-methods", allow);
        srv_add_header(r, "access-control-allow-headers",
                       "Authorization, Content-Type, traceparent");
        srv_add_header(r, "access-control-max-age", "600");
    }
    srv_add_header(r, "allow", allow);
    srv_send_json(r, 204, json_object());
}

static void add_rate_headers(struct srv_req *r, const struct tars_ratelimit_result *res)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)res->limit);
    srv_add_header(r, "x-ratelimit-limit", v);
    snprintf(v, sizeof(v), "%lld", (long long)res->remaining);
    srv_add_header(r, "x-ratelimit-remaining", v);
}

static void send_rate_limited(struct srv_req *r, const struct tars_ratelimit_result *res)
{
    char v[32];
    int64_t retry = res->retry_after_s < 1 ? 1 : res->retry_after_s;

    snprintf(v, sizeof(v), "%lld", (long long)retry);
    srv_add_header(r, "retry-after", v);
    snprintf(v, sizeof(v), "%lld", (long long)res->reset_s);
    srv_add_header(r, "x-ratelimit-reset", v);
    srv_send_error(r, 429, "rate_limited", "rate limit exceeded; retry after %lld seconds",
                   (long long)retry);
}

struct rate_use {
    tars_ratelimit *rl;
    enum srv_rl_scope scope;
    const char *key;
};

/* Counts the request in every limiter that applies to it. The response
 * carries the X-RateLimit-* of the limiter that refused it, or else of the
 * one closest to its limit; a refused request is not counted elsewhere. */
static bool rate_limits_pass(struct srv_req *r, const struct sockaddr_storage *ss)
{
    struct tars_server *srv = r->th->srv;
    struct rate_use apply[3];
    struct tars_ratelimit_result res, shown;
    int n = 0;

    if (srv->exempt && tars_netlist_contains(srv->exempt, ss))
        return true;
    if (!r->authenticated && srv->rl_public)
        apply[n++] = (struct rate_use){srv->rl_public, RL_PUBLIC, r->client_ip};
    if (r->route->access == SRV_AUTH_ENDPOINT && srv->rl_auth)
        apply[n++] = (struct rate_use){srv->rl_auth, RL_AUTH, r->client_ip};
    if (r->authenticated && srv->rl_user)
        apply[n++] = (struct rate_use){srv->rl_user, RL_USER, r->principal.user_id};
    for (int i = 0; i < n; i++) {
        tars_ratelimit_hit(apply[i].rl, apply[i].key, strlen(apply[i].key), tars_wall_ms(), &res);
        if (!res.allowed) {
            srv_metrics_rate_limited(&srv->metrics, apply[i].scope);
            add_rate_headers(r, &res);
            send_rate_limited(r, &res);
            return false;
        }
        if (i == 0 || res.remaining < shown.remaining)
            shown = res;
    }
    if (n)
        add_rate_headers(r, &shown);
    return true;
}

static bool access_allowed(struct srv_req *r)
{
    enum srv_access need = r->route->access;

    if (need < SRV_VIEWER)
        return true;
    if (!r->authenticated) {
        srv_metrics_auth_failure(&r->th->srv->metrics, AUTHF_MISSING);
        srv_audit(r, "auth_failure", "missing credentials", "route", r->route->template, false, "");
        srv_add_header(r, "www-authenticate", "Bearer");
        srv_send_error(r, 401, "unauthorized", "authentication required");
        return false;
    }
    if ((int)r->principal.role < (int)need) {
        srv_metrics_auth_failure(&r->th->srv->metrics, AUTHF_FORBIDDEN);
        srv_audit(r, "auth_failure", "forbidden", "route", r->route->template, false,
                  r->principal.username);
        srv_send_error(r, 403, "forbidden", "requires role %s",
                       tars_role_name((enum tars_role)need));
        return false;
    }
    return true;
}

/* h2o itself drops a connection whose header section passes ~400 KiB; below
 * that, anything over our own bound is answered 431. */
static bool headers_too_large(h2o_req_t *req)
{
    size_t total = req->path.len + req->method.len;

    for (size_t i = 0; i < req->headers.size; i++)
        total += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    return total > SRV_MAX_HEADER_BYTES;
}

static void reject_credentials(struct srv_req *r, const struct tars_err *err)
{
    tars_log(TARS_LOG_INFO, r->trace.trace_id, r->trace.span_id, "auth failure from %s: %s",
             r->client_ip, err->msg);
    srv_audit(r, "auth_failure", err->msg, "route", r->route->template, false, "");
    srv_add_header(r, "www-authenticate", "Bearer error=\"invalid_token\"");
    srv_send_error(r, 401, "unauthorized", "%s", err->msg);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct srv_thread *th = thread_of(req->conn->ctx);
    struct srv_req *r = h2o_mem_alloc_shared(&req->pool, sizeof(*r), on_req_dispose);
    struct sockaddr_storage ss;
    enum srv_method method = srv_method_parse(req->method.base, req->method.len);
    enum srv_match match;
    struct tars_err auth_err = TARS_ERR_INIT;
    char allow[64];

    (void)self;
    memset(r, 0, sizeof(*r));
    r->req = req;
    r->th = th;
    r->started_ns = tars_mono_ns();
    th->inflight++;
    client_address(r, &ss);
    begin_trace(r);
    if (headers_too_large(req)) {
        srv_send_error(r, 431, "header_too_large", "the request header section is over %d bytes",
                       SRV_MAX_HEADER_BYTES);
        return 0;
    }
    match = srv_route_match(method == SRV_OPTIONS ? SRV_METHOD_OTHER : method,
                            req->path_normalized.base, req->path_normalized.len, &r->route,
                            &r->params, allow, sizeof(allow));
    if (match == SRV_NOT_FOUND) {
        srv_send_error(r, 404, "not_found", "no route for %.*s", (int)req->path_normalized.len,
                       req->path_normalized.base);
        return 0;
    }
    if (method == SRV_OPTIONS) {
        answer_preflight(r, allow);
        return 0;
    }
    apply_cors(r);
    if (match == SRV_WRONG_METHOD) {
        srv_add_header(r, "allow", allow);
        srv_send_error(r, 405, "method_not_allowed", "%.*s is not allowed here; allowed: %s",
                       (int)req->method.len, req->method.base, allow);
        return 0;
    }
    if (r->route->access == SRV_WEBSOCKET) {
        r->route->handler(r);
        return 0;
    }
    if (srv_authenticate(r, &auth_err) != 0) {
        /* A bad credential counts as anonymous traffic, so guessing is limited too. */
        if (rate_limits_pass(r, &ss))
            reject_credentials(r, &auth_err);
        return 0;
    }
    if (!rate_limits_pass(r, &ss) || !access_allowed(r))
        return 0;
    r->route->handler(r);
    return 0;
}

/* ---- listening sockets and threads ---- */

static int open_listener_opts(const char *host, int port, bool reuse_port, struct tars_err *err)
{
    return tars_net_listen(host, port, reuse_port, err);
}

/* SO_REUSEPORT would let a second server share a port already in use (and
 * split its traffic). A probe bound without it finds the port taken, and
 * resolves port 0 to the port the real listeners then share. */
static int probe_port(const char *host, int port, struct tars_err *err)
{
    int fd = open_listener_opts(host, port, false, err), bound;

    if (fd < 0)
        return fd;
    bound = tars_net_local_port(fd);
    close(fd);
    return bound;
}

static int open_listener(const char *host, int port, struct tars_err *err)
{
    return open_listener_opts(host, port, true, err);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    struct srv_thread *th = listener->data;
    h2o_socket_t *sock;

    if (err)
        return;
    if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
        return;
    h2o_accept(&th->accept_ctx, sock);
}

static void close_listener(struct srv_thread *th)
{
    if (!th->listener)
        return;
    h2o_socket_read_stop(th->listener);
    h2o_socket_close(th->listener);
    th->listener = NULL;
}

static int shut_connection(h2o_req_t *req, void *data)
{
    h2o_socket_t *sock =
        req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;

    (void)data;
    if (sock)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
    return 0;
}

/* Idle keep-alive connections hold timers that h2o_context_dispose insists
 * are gone: shut their sockets and let the loop close them. */
static void close_idle_connections(struct srv_thread *th)
{
    h2o_globalconf_t *g = th->ctx.globalconf;
    uint64_t deadline = tars_mono_ns() + 500000000u;

    if (g->http1.callbacks.foreach_request)
        g->http1.callbacks.foreach_request(&th->ctx, shut_connection, NULL);
    if (g->http2.callbacks.foreach_request)
        g->http2.callbacks.foreach_request(&th->ctx, shut_connection, NULL);
    while (!h2o_linklist_is_empty(&th->ctx.http1._conns) && tars_mono_ns() < deadline)
        h2o_evloop_run(th->loop, 10);
    while (!h2o_linklist_is_empty(&th->ctx.http2._conns) && tars_mono_ns() < deadline)
        h2o_evloop_run(th->loop, 10);
}

static int thread_init(struct srv_thread *th, struct tars_err *err)
{
    struct tars_server *srv = th->srv;

    th->loop = h2o_evloop_create();
    h2o_context_init(&th->ctx, th->loop, &srv->h2o_config);
    th->accept_ctx.ctx = &th->ctx;
    th->accept_ctx.hosts = srv->h2o_config.hosts;
    th->queue = h2o_multithread_create_queue(th->loop);
    h2o_multithread_register_receiver(th->queue, &th->write_done, srv_writer_on_done);
    th->store = tars_store_open(srv->cfg.db_url, err);
    if (!th->store)
        return err->code ? err->code : TARS_EUNAVAIL;
    th->jwt_cache = tars_jwt_cache_new(JWT_CACHE_SLOTS);
    th->shard = srv->metrics.shards[th->index];
    th->listener = h2o_evloop_socket_create(th->loop, th->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    th->listen_fd = -1; /* owned by the socket now */
    th->listener->data = th;
    h2o_socket_read_start(th->listener, on_accept);
    srv_ws_thread_init(th);
    return TARS_OK;
}

/* Frees what thread_init made. A write still queued for this thread would
 * post its completion to the queue, so the queue and loop are then kept
 * (and leaked) rather than freed under it. */
static void thread_release(struct srv_thread *th)
{
    close_listener(th);
    if (th->listen_fd >= 0)
        close(th->listen_fd);
    th->listen_fd = -1;
    if (th->jobs_pending > 0) {
        tars_log(TARS_LOG_WARN, NULL, NULL, "thread %d: %lld writes unanswered at shutdown",
                 th->index, (long long)th->jobs_pending);
    } else if (th->loop) {
        h2o_multithread_unregister_receiver(th->queue, &th->write_done);
        h2o_multithread_destroy_queue(th->queue);
        h2o_context_dispose(&th->ctx);
        h2o_evloop_destroy(th->loop);
    }
    srv_cache_release(&th->agents_cache);
    tars_store_close(th->store);
    if (th->jwt_cache)
        tars_jwt_cache_free(th->jwt_cache);
}

/* Connections already in the listener's queue would be reset when it
 * closes: take them, so that a server being replaced drops nothing. */
static void accept_pending(struct srv_thread *th)
{
    h2o_socket_t *sock;

    while (th->listener && (sock = h2o_evloop_socket_accept(th->listener)) != NULL)
        h2o_accept(&th->accept_ctx, sock);
}

/* Lets in-flight requests and queued writes finish, within the bound. For a
 * short grace period requests that arrive on open connections (just
 * accepted, or kept alive) are still served. */
#define DRAIN_GRACE_NS (300 * 1000000ull)
static void drain(struct srv_thread *th)
{
    uint64_t start = tars_mono_ns();
    uint64_t deadline = start + (uint64_t)th->srv->cfg.shutdown_timeout_s * 1000000000u;

    /* h2o_context_request_shutdown would arm a timer that outlives the loop. */
    while ((th->inflight > 0 || th->jobs_pending > 0 || tars_mono_ns() < start + DRAIN_GRACE_NS) &&
           tars_mono_ns() < deadline)
        h2o_evloop_run(th->loop, 50);
    if (th->inflight > 0)
        tars_log(TARS_LOG_WARN, NULL, NULL, "thread %d: %lld requests unfinished at shutdown",
                 th->index, (long long)th->inflight);
    close_idle_connections(th);
}

/* Everything h2o keeps per thread (context, loop, sockets, buffer recycle
 * bins) is created, used and destroyed on this thread only. */
static void *thread_main(void *arg)
{
    struct srv_thread *th = arg;
    struct tars_server *srv = th->srv;
    int rc = thread_init(th, &th->init_err);

    th->init_rc = rc;
    h2o_barrier_wait(&srv->ready);
    if (rc == 0) {
        while (!atomic_load(&srv->stopping))
            h2o_evloop_run(th->loop, INT32_MAX);
        accept_pending(th);
        close_listener(th);
        srv_ws_thread_stop(th);
        drain(th);
    }
    thread_release(th);
    return NULL;
}

static char **split_list(const char *spec, size_t *count)
{
    char **items = NULL;
    const char *p = spec;

    *count = 0;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && (*p == ' ')) {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            items = xrealloc(items, (*count + 1) * sizeof(*items));
            items[(*count)++] = xstrndup(p, n);
        }
        p = comma ? comma + 1 : NULL;
    }
    return items;
}

static int configure_h2o(struct tars_server *srv)
{
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;
    struct srv_handler *handler;

    h2o_config_init(&srv->h2o_config);
    srv->h2o_config.server_name = h2o_iovec_init(H2O_STRLIT("tars"));
    /* h2o refuses larger bodies with its own plain-text 413; between the two
     * bounds our handler answers 413 in the JSON error shape. */
    srv->h2o_config.max_request_entity_size = 2 * SRV_MAX_BODY;
    srv->h2o_config.http1.req_timeout = (uint64_t)srv->cfg.request_timeout_s * 1000;
    srv->h2o_config.http2.idle_timeout = (uint64_t)srv->cfg.request_timeout_s * 1000;
    host = h2o_config_register_host(&srv->h2o_config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    path = h2o_config_register_path(host, "/", 0);
    handler = (struct srv_handler *)h2o_create_handler(path, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->srv = srv;
    return TARS_OK;
}

static int configure_limits(struct tars_server *srv, struct tars_err *err)
{
    char msg[200];

    if (srv->cfg.rate_limit_public > 0)
        srv->rl_public = tars_ratelimit_new(srv->cfg.rate_limit_public, 60000, RL_SLOTS);
    if (srv->cfg.rate_limit_auth > 0)
        srv->rl_auth = tars_ratelimit_new(srv->cfg.rate_limit_auth, 60000, RL_SLOTS);
    if (srv->cfg.rate_limit_user > 0)
        srv->rl_user = tars_ratelimit_new(srv->cfg.rate_limit_user, 60000, RL_SLOTS);
    if (srv->cfg.exempt_networks && *srv->cfg.exempt_networks) {
        srv->exempt = tars_netlist_parse(srv->cfg.exempt_networks, msg, sizeof(msg));
        if (!srv->exempt)
            return tars_err_set(err, TARS_EINVAL, "exempt networks: %s", msg);
    }
    srv->cors_origins = split_list(srv->cfg.cors_origins, &srv->cors_count);
    return TARS_OK;
}

static int prepare_storage(struct tars_server *srv, struct tars_err *err)
{
    tars_store *st = tars_store_open(srv->cfg.db_url, err);
    int applied = 0, rc;

    if (!st)
        return err ? err->code : TARS_EUNAVAIL;
    srv->store_kind = tars_store_kind(st);
    rc = tars_store_migrate(st, &applied, err);
    if (rc == 0 && applied > 0)
        tars_log(TARS_LOG_INFO, NULL, NULL, "applied %d migration(s)", applied);
    tars_store_close(st);
    return rc;
}

static int start_threads(struct tars_server *srv, struct tars_err *err)
{
    int port = srv->cfg.takeover && srv->cfg.listen_port > 0
                   ? srv->cfg.listen_port
                   : probe_port(srv->cfg.listen_host, srv->cfg.listen_port, err);

    if (port < 0)
        return port;
    srv->threads = xcalloc((size_t)srv->cfg.threads, sizeof(*srv->threads));
    for (int i = 0; i < srv->cfg.threads; i++)
        srv->threads[i].listen_fd = -1;
    for (int i = 0; i < srv->cfg.threads; i++) {
        struct srv_thread *th = &srv->threads[i];
        th->srv = srv;
        th->index = i;
        th->listen_fd = open_listener(srv->cfg.listen_host, port, err);
        if (th->listen_fd < 0)
            return th->listen_fd;
        srv->thread_count = i + 1;
        srv->port = port;
    }
    h2o_barrier_init(&srv->ready, (size_t)srv->thread_count + 1);
    for (int i = 0; i < srv->thread_count; i++)
        h2o_multithread_create_thread(&srv->threads[i].tid, NULL, thread_main, &srv->threads[i]);
    srv->threads_started = true;
    h2o_barrier_wait(&srv->ready);
    for (int i = 0; i < srv->thread_count; i++)
        if (srv->threads[i].init_rc) {
            *err = srv->threads[i].init_err;
            return err->code ? err->code : TARS_EUNAVAIL;
        }
    return TARS_OK;
}

/* Wakes and joins the loop threads; each frees its own h2o state. */
static void join_threads(struct tars_server *srv)
{
    atomic_store(&srv->stopping, true);
    if (!srv->threads_started)
        return;
    for (int i = 0; i < srv->thread_count; i++)
        h2o_multithread_send_message(&srv->threads[i].write_done, NULL);
    for (int i = 0; i < srv->thread_count; i++)
        pthread_join(srv->threads[i].tid, NULL);
    srv->threads_started = false;
}

/* The writer stops last: until the loop threads are gone they may queue. */
static void server_free(struct tars_server *srv)
{
    join_threads(srv);
    for (int i = 0; srv->threads && i < srv->thread_count; i++)
        if (srv->threads[i].listen_fd >= 0)
            close(srv->threads[i].listen_fd);
    srv_writer_stop(srv->writer); /* may still post to a thread's queue */
    srv_writer_stop(srv->password_worker);
    free(srv->threads);
    if (srv->h2o_config.hosts)
        h2o_config_dispose(&srv->h2o_config);
    tars_jwt_keys_free(srv->jwt);
    tars_ratelimit_free(srv->rl_public);
    tars_ratelimit_free(srv->rl_auth);
    tars_ratelimit_free(srv->rl_user);
    tars_netlist_free(srv->exempt);
    for (size_t i = 0; i < srv->cors_count; i++)
        free(srv->cors_origins[i]);
    free(srv->cors_origins);
    srv_metrics_release(&srv->metrics);
    srv_ws_free(srv);
    free(srv);
}

tars_server *tars_server_start(const struct tars_server_config *cfg, struct tars_err *err)
{
    struct tars_server *srv = xcalloc(1, sizeof(*srv));
    struct srv_writer_hook feed_hook = {srv_ws_feed_poll, NULL, WS_FEED_POLL_MS};

    srv->cfg = *cfg;
    srv->started_at_ms = tars_wall_ms();
    if (cfg->threads < 1 || cfg->threads > SRV_MAX_THREADS) {
        tars_err_set(err, TARS_EINVAL, "threads must be 1..%d", SRV_MAX_THREADS);
        goto fail;
    }
    if (srv_route_count() > SRV_MAX_ROUTES) {
        tars_err_set(err, TARS_EINTERNAL, "route table larger than SRV_MAX_ROUTES");
        goto fail;
    }
    srv_metrics_init(&srv->metrics, cfg->threads + 1); /* the last shard is the writer's */
    srv->jwt = tars_jwt_keys_new(cfg->jwt_secret, cfg->jwt_secret_len, err);
    if (!srv->jwt || configure_limits(srv, err) || prepare_storage(srv, err))
        goto fail;
    if (tars_password_hash("tars-dummy-password", srv->dummy_hash, sizeof(srv->dummy_hash), err))
        goto fail;
    if (srv_ws_start(srv, err)) /* the hub, before the writer feeds it */
        goto fail;
    feed_hook.ctx = srv;
    srv->writer = srv_writer_start(cfg->db_url, srv->metrics.shards[cfg->threads],
                                   &srv->data_generation, &feed_hook, err);
    if (!srv->writer)
        goto fail;
    srv->password_worker =
        srv_writer_start(cfg->db_url, srv->metrics.shards[cfg->threads], NULL, NULL, err);
    if (!srv->password_worker)
        goto fail;
    configure_h2o(srv);
    if (start_threads(srv, err))
        goto fail;
    return srv;
fail:
    atomic_store(&srv->stopping, true);
    server_free(srv);
    return NULL;
}

int tars_server_port(const tars_server *srv)
{
    return srv->port;
}

void tars_server_stop(tars_server *srv)
{
    if (srv)
        server_free(srv);
}
