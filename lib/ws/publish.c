/*
 * The ws-stress publisher: POST /api/v1/evaluations at a steady rate on one
 * keep-alive connection, so that the server pushes evaluation.updates. It
 * blocks (poll on a tars_net connection) in its own thread.
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

struct tars_ws_publisher {
    struct tars_ws_publisher_opts o;
    char *authorization;
    struct tars_url url;
    tars_tls *tls;
    struct tars_net_target target;
    struct tars_net_conn conn;
    tars_http_parser *parser;
    pthread_t thread;
    _Atomic int stop;
    int64_t published, errors;
    char last_error[160];
};

static int wait_for(struct tars_ws_publisher *p, uint64_t deadline)
{
    struct pollfd fd = {p->conn.fd, p->conn.wait == TARS_NET_WAIT_WRITE ? POLLOUT : POLLIN, 0};
    uint64_t now = tars_mono_ns();

    if (now >= deadline)
        return TARS_AGAIN;
    (void)poll(&fd, 1, (int)((deadline - now) / 1000000 + 1));
    return TARS_OK;
}

static int ensure_connected(struct tars_ws_publisher *p, uint64_t deadline, struct tars_err *err)
{
    int rc;

    if (p->conn.fd >= 0)
        return TARS_OK;
    tars_http_parser_reset(p->parser);
    rc = tars_net_connect(&p->conn, &p->target, err);
    while (rc == TARS_AGAIN) {
        if (wait_for(p, deadline) == TARS_AGAIN)
            return tars_err_set(err, TARS_EUNAVAIL, "timed out connecting to %s", p->target.label);
        rc = tars_net_handshake(&p->conn, err);
    }
    return rc;
}

static int write_all(struct tars_ws_publisher *p, const char *data, size_t len, uint64_t deadline,
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

static int read_answer(struct tars_ws_publisher *p, uint64_t deadline, int *status,
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

static int post_one(struct tars_ws_publisher *p, int64_t n, struct tars_err *err)
{
    struct tars_buf req = TARS_BUF_INIT(8192);
    struct tars_http_header h[2] = {{"Content-Type", "application/json"},
                                    {"Authorization", p->authorization}};
    char body[256], host[TARS_URL_AUTHORITY_MAX];
    struct tars_http_request r = {"POST", "/api/v1/evaluations", host, h,
                                  p->authorization ? 2 : 1, body, 0};
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
        rc = ensure_connected(p, deadline, err);
    if (!rc)
        rc = write_all(p, req.data, req.len, deadline, err);
    if (!rc)
        rc = read_answer(p, deadline, &status, err);
    tars_buf_release(&req);
    if (rc) {
        tars_net_close(&p->conn);
        return rc;
    }
    if (status != 201 && status != 200)
        return tars_err_set(err, TARS_ECONFLICT, "POST /api/v1/evaluations answered HTTP %d",
                            status);
    return TARS_OK;
}

static void *publisher_main(void *arg)
{
    struct tars_ws_publisher *p = arg;
    uint64_t start = tars_mono_ns();
    int64_t n = 0;

    while (!atomic_load(&p->stop)) {
        uint64_t due = start + (uint64_t)((double)n * 1e9 / p->o.rate), now = tars_mono_ns();
        struct tars_err err = TARS_ERR_INIT;
        if (now < due) {
            uint64_t wait = due - now > 20000000 ? 20000000 : due - now;
            struct timespec ts = {0, (long)wait};
            nanosleep(&ts, NULL);
            continue;
        }
        n++;
        if (post_one(p, n, &err) == TARS_OK) {
            p->published++;
        } else {
            p->errors++;
            tars_strlcpy(p->last_error, err.msg, sizeof(p->last_error));
        }
    }
    return NULL;
}

tars_ws_publisher *tars_ws_publisher_start(const struct tars_ws_publisher_opts *o,
                                           struct tars_err *err)
{
    struct tars_ws_publisher *p = xcalloc(1, sizeof(*p));
    struct tars_tls_opts tls_opts = {o->insecure, NULL};
    int rc;

    p->o = *o;
    p->authorization = o->authorization ? xstrdup(o->authorization) : NULL;
    tars_net_conn_init(&p->conn);
    rc = o->rate > 0 ? tars_url_parse(&p->url, o->base_url, err)
                     : tars_err_set(err, TARS_EINVAL, "publish rate must be positive");
    if (!rc && p->url.tls)
        rc = tars_tls_new(&p->tls, &tls_opts, err);
    if (!rc)
        rc = tars_net_target_init(&p->target, p->url.host, p->url.port, p->tls, err);
    if (!rc)
        rc = tars_http_parser_new(&p->parser, NULL, err);
    if (!rc && pthread_create(&p->thread, NULL, publisher_main, p) != 0)
        rc = tars_err_set(err, TARS_EIO, "cannot start the publisher thread");
    if (rc) {
        tars_http_parser_free(p->parser);
        tars_tls_free(p->tls);
        free(p->authorization);
        free(p);
        return NULL;
    }
    return p;
}

void tars_ws_publisher_finish(tars_ws_publisher *p, struct tars_ws_stress_result *r)
{
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    pthread_join(p->thread, NULL);
    if (r) {
        r->published += p->published;
        r->publish_errors += p->errors;
        if (p->errors)
            tars_strlcpy(r->publish_error, p->last_error, sizeof(r->publish_error));
    }
    tars_net_close(&p->conn);
    tars_http_parser_free(p->parser);
    tars_tls_free(p->tls);
    free(p->authorization);
    free(p);
}
