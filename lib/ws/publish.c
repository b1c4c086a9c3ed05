/*
 * The ws-stress publisher: POST /api/v1/evaluations at a steady rate, so that
 * the server pushes evaluation.updates. Post n is due at start + n / rate;
 * PUBLISH_WORKERS threads, each with its own keep-alive connection, take the
 * next due post in turn, so that a slow answer (a durable write on a busy
 * server) does not lower the rate while fewer than that many are in flight.
 * Each worker blocks (poll on a tars_net connection).
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/clock.h"
#include "tars/http.h"
#include "tars/net.h"
#include "tars/str.h"
#include "tars/url.h"
#include "tars/ws_stress.h"

#define POST_TIMEOUT_NS (5 * 1000000000ull)
#define PUBLISH_WORKERS 4

struct publish_worker {
    struct tars_ws_publisher *pub;
    struct tars_net_conn conn;
    tars_http_parser *parser;
    pthread_t thread;
    bool running;
    int64_t published, errors;
    char last_error[160];
};

struct tars_ws_publisher {
    struct tars_ws_publisher_opts o;
    char *authorization;
    struct tars_url url;
    tars_tls *tls;
    struct tars_net_target target;
    uint64_t start_ns;
    _Atomic int64_t next; /* the next post to take */
    _Atomic int stop;
    struct publish_worker workers[PUBLISH_WORKERS];
};

static int wait_for(struct publish_worker *p, uint64_t deadline)
{
    struct pollfd fd = {p->conn.fd, p->conn.wait == TARS_NET_WAIT_WRITE ? POLLOUT : POLLIN, 0};
    uint64_t now = tars_mono_ns();

    if (now >= deadline)
        return TARS_AGAIN;
    (void)poll(&fd, 1, (int)((deadline - now) / 1000000 + 1));
    return TARS_OK;
}

static int ensure_connected(struct publish_worker *p, uint64_t deadline, struct tars_err *err)
{
    int rc;

    if (p->conn.fd >= 0)
        return TARS_OK;
    tars_http_parser_reset(p->parser);
    rc = tars_net_connect(&p->conn, &p->pub->target, err);
    while (rc == TARS_AGAIN) {
        if (wait_for(p, deadline) == TARS_AGAIN)
            return tars_err_set(err, TARS_EUNAVAIL, "timed out connecting to %s",
                                p->pub->target.label);
        rc = tars_net_handshake(&p->conn, err);
    }
    return rc;
}

static int write_all(struct publish_worker *p, const char *data, size_t len, uint64_t deadline,
                     struct tars_err *err)
{
    while (len > 0) {
        size_t sent = 0;
        int rc = tars_net_write(&p->conn, data, len, &sent, err);
        if (rc < 0)
            return rc;
        if (rc == TARS_AGAIN) {
            if (wait_for(p, deadline) == TARS_AGAIN)
                return tars_err_set(err, TARS_EUNAVAIL, "timed out sending");
            continue;
        }
        data += sent;
        len -= sent;
    }
    return TARS_OK;
}

static int read_answer(struct publish_worker *p, uint64_t deadline, int *status,
                       struct tars_err *err)
{
    char buf[4096];

    for (;;) {
        size_t got = 0, used = 0;
        int rc = tars_net_read(&p->conn, buf, sizeof(buf), &got, err);
        if (rc == TARS_AGAIN) {
            if (wait_for(p, deadline) == TARS_AGAIN)
                return tars_err_set(err, TARS_EUNAVAIL, "timed out waiting for the answer");
            continue;
        }
        if (rc < 0)
            return rc;
        rc = got ? tars_http_parser_feed(p->parser, buf, got, &used, err)
                 : tars_http_parser_eof(p->parser, err);
        if (rc == TARS_OK) {
            const struct tars_http_response *res = tars_http_parser_response(p->parser);
            *status = res->status;
            if (!res->keep_alive)
                tars_net_close(&p->conn);
            return TARS_OK;
        }
        if (rc < 0)
            return rc;
    }
}

static int post_one(struct publish_worker *w, int64_t n, struct tars_err *err)
{
    struct tars_ws_publisher *p = w->pub;
    struct tars_buf req = TARS_BUF_INIT(8192);
    struct tars_http_header h[2] = {{"Content-Type", "application/json"},
                                    {"Authorization", p->authorization}};
    char body[256], host[TARS_URL_AUTHORITY_MAX];
    struct tars_http_request r = {
        "POST", "/api/v1/evaluations", host, h, p->authorization ? 2 : 1, body, 0};
    uint64_t deadline = tars_mono_ns() + POST_TIMEOUT_NS;
    int status = 0, rc;

    r.body_len = (size_t)snprintf(body, sizeof(body),
                                  "{\"agent_id\":\"ws-stress\",\"region\":\"local\",\"status\":"
                                  "\"completed\",\"reward\":1,\"duration_ms\":%lld,"
                                  "\"details\":{\"source\":\"tars ws-stress\"}}",
                                  (long long)n);
    rc = tars_url_authority(&p->url, host, sizeof(host));
    if (!rc)
        rc = tars_http_request_write(&req, &r, err);
    if (!rc)
        rc = ensure_connected(w, deadline, err);
    if (!rc)
        rc = write_all(w, req.data, req.len, deadline, err);
    if (!rc)
        rc = read_answer(w, deadline, &status, err);
    tars_buf_release(&req);
    if (rc) {
        tars_net_close(&w->conn);
        return rc;
    }
    if (status != 201 && status != 200)
        return tars_err_set(err, TARS_ECONFLICT, "POST /api/v1/evaluations answered HTTP %d",
                            status);
    return TARS_OK;
}

/* Sleeps until due (in slices, so that a stop is seen); false when stopped. */
static bool sleep_until(struct tars_ws_publisher *p, uint64_t due)
{
    for (;;) {
        uint64_t now = tars_mono_ns();
        struct timespec ts = {0, 20000000};
        if (atomic_load(&p->stop))
            return false;
        if (now >= due)
            return true;
        if (due - now < 20000000)
            ts.tv_nsec = (long)(due - now);
        nanosleep(&ts, NULL);
    }
}

static void *worker_main(void *arg)
{
    struct publish_worker *w = arg;
    struct tars_ws_publisher *p = w->pub;

    for (;;) {
        int64_t n = atomic_fetch_add(&p->next, 1);
        struct tars_err err = TARS_ERR_INIT;
        if (!sleep_until(p, p->start_ns + (uint64_t)((double)n * 1e9 / p->o.rate)))
            break;
        if (post_one(w, n + 1, &err) == TARS_OK) {
            w->published++;
        } else {
            w->errors++;
            tars_strlcpy(w->last_error, err.msg, sizeof(w->last_error));
        }
    }
    return NULL;
}

static void publisher_free(struct tars_ws_publisher *p)
{
    for (int i = 0; i < PUBLISH_WORKERS; i++) {
        tars_net_close(&p->workers[i].conn);
        tars_http_parser_free(p->workers[i].parser);
    }
    tars_tls_free(p->tls);
    free(p->authorization);
    free(p);
}

tars_ws_publisher *tars_ws_publisher_start(const struct tars_ws_publisher_opts *o,
                                           struct tars_err *err)
{
    struct tars_ws_publisher *p = xcalloc(1, sizeof(*p));
    struct tars_tls_opts tls_opts = {o->insecure, NULL};
    int rc;

    p->o = *o;
    p->authorization = o->authorization ? xstrdup(o->authorization) : NULL;
    rc = o->rate > 0 ? tars_url_parse(&p->url, o->base_url, err)
                     : tars_err_set(err, TARS_EINVAL, "publish rate must be positive");
    if (!rc && p->url.tls)
        rc = tars_tls_new(&p->tls, &tls_opts, err);
    if (!rc)
        rc = tars_net_target_init(&p->target, p->url.host, p->url.port, p->tls, err);
    for (int i = 0; i < PUBLISH_WORKERS; i++) {
        p->workers[i].pub = p;
        tars_net_conn_init(&p->workers[i].conn);
        if (!rc)
            rc = tars_http_parser_new(&p->workers[i].parser, NULL, err);
    }
    p->start_ns = tars_mono_ns();
    for (int i = 0; !rc && i < PUBLISH_WORKERS; i++) {
        if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0)
            rc = tars_err_set(err, TARS_EIO, "cannot start a publisher thread");
        else
            p->workers[i].running = true;
    }
    if (rc) {
        tars_ws_publisher_finish(p, NULL);
        return NULL;
    }
    return p;
}

void tars_ws_publisher_finish(tars_ws_publisher *p, struct tars_ws_stress_result *r)
{
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    for (int i = 0; i < PUBLISH_WORKERS; i++) {
        struct publish_worker *w = &p->workers[i];
        if (w->running)
            pthread_join(w->thread, NULL);
        if (r) {
            r->published += w->published;
            r->publish_errors += w->errors;
            if (w->errors)
                tars_strlcpy(r->publish_error, w->last_error, sizeof(r->publish_error));
        }
    }
    publisher_free(p);
}
