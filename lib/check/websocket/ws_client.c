/*
 * The websocket check's blocking client (see ws_client.h): a thin layer over
 * lib/ws, keeping the error vocabulary the check type reports with
 * (TARS_EUNAVAIL for the network, timeouts included, while connecting).
 */
#include "ws_client.h"

#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/ws.h"

#define WS_CLOSE_WAIT_NS (200 * 1000000ull)

struct check_ws_client {
    struct tars_ws_endpoint endpoint;
    tars_ws_conn *conn;
    bool endpoint_ready;
    bool over; /* closed (a close frame came) or broken */
};

/* ---- the client ---- */

static int connect_failed(check_ws_client *c, int rc, struct tars_err *err)
{
    if (rc == TARS_AGAIN)
        return tars_err_set(err, TARS_EUNAVAIL, "timed out connecting to %s",
                            c->endpoint.target.label);
    return rc == TARS_ENOTFOUND ? tars_err_set(err, TARS_EUNAVAIL, "%s", err ? err->msg : "") : rc;
}

int check_ws_connect(const struct check_ws_options *o, uint64_t deadline_ns, check_ws_client **out,
                     struct tars_err *err)
{
    struct tars_ws_endpoint_opts eo = {o->url, o->insecure, o->ca_file};
    struct tars_ws_conn_opts co = {o->authorization, NULL, NULL, o->max_message, 0};
    check_ws_client *c = xcalloc(1, sizeof(*c));
    struct tars_ws_event ev;
    int rc = tars_ws_endpoint_init(&c->endpoint, &eo, err);

    c->endpoint_ready = rc == TARS_OK;
    if (!rc)
        rc = tars_ws_conn_open(&c->conn, &c->endpoint, &co, err);
    if (rc == TARS_AGAIN)
        rc = tars_ws_wait(c->conn, deadline_ns, &ev, err);
    if (rc == TARS_OK && ev.kind != TARS_WS_EV_OPEN)
        rc = tars_err_set(err, TARS_EINTERNAL, "websocket event before the upgrade");
    if (rc) {
        rc = connect_failed(c, rc, err);
        c->over = true;
        check_ws_close(c);
        return rc;
    }
    *out = c;
    return TARS_OK;
}

int check_ws_send(check_ws_client *c, int opcode, const void *data, size_t len,
                  uint64_t deadline_ns, struct tars_err *err)
{
    int rc;

    if (c->over)
        return tars_err_set(err, TARS_EUNAVAIL, "websocket connection is closed");
    rc = tars_ws_conn_send(c->conn, opcode, data, len, err);
    if (rc == TARS_OK)
        rc = tars_ws_flush(c->conn, deadline_ns, err);
    if (rc == TARS_AGAIN)
        rc = tars_err_set(err, TARS_EUNAVAIL, "timed out writing to %s", c->endpoint.target.label);
    if (rc < 0 && rc != TARS_EINVAL && rc != TARS_ETOOBIG)
        c->over = true;
    return rc;
}

int check_ws_recv(check_ws_client *c, uint64_t deadline_ns, struct check_ws_message *msg,
                  struct tars_err *err)
{
    struct tars_ws_event ev;
    int rc;

    memset(msg, 0, sizeof(*msg));
    if (c->over)
        return tars_err_set(err, TARS_EUNAVAIL, "websocket connection is closed");
    rc = tars_ws_wait(c->conn, deadline_ns, &ev, err);
    if (rc == TARS_AGAIN)
        return TARS_AGAIN;
    if (rc < 0) {
        c->over = true;
        return rc;
    }
    msg->opcode = ev.kind == TARS_WS_EV_CLOSE ? TARS_WS_CLOSE : ev.opcode;
    msg->data = ev.data ? ev.data : "";
    msg->len = ev.len;
    msg->close_code = ev.close_code;
    if (ev.kind == TARS_WS_EV_CLOSE) {
        struct tars_err ignored = TARS_ERR_INIT;
        c->over = true; /* lib/ws queued the answer; give it a moment to leave */
        if (tars_ws_flush(c->conn, tars_mono_ns() + WS_CLOSE_WAIT_NS, &ignored) < 0)
            return TARS_OK; /* the peer is gone already: nothing more to say */
    }
    return TARS_OK;
}

void check_ws_close(check_ws_client *c)
{
    if (!c)
        return;
    if (c->conn && !c->over && tars_ws_conn_is_open(c->conn)) {
        struct tars_err ignored = TARS_ERR_INIT;
        tars_ws_conn_close(c->conn, 1000);
        if (tars_ws_flush(c->conn, tars_mono_ns() + WS_CLOSE_WAIT_NS, &ignored) != TARS_OK)
            ignored.code = 0; /* best effort: the socket closes below either way */
    }
    tars_ws_conn_free(c->conn);
    if (c->endpoint_ready)
        tars_ws_endpoint_release(&c->endpoint);
    free(c);
}
