/*
 * One non-blocking WebSocket client connection: connect, upgrade, frames in
 * and out. The caller owns the loop (see tars/ws.h); nothing here blocks.
 *
 * Memory: the input buffer starts small and grows up to one frame plus its
 * header; the output queue exists only while something is unsent. A
 * complete unfragmented message is handed out in place (no copy): its bytes
 * stay in the input buffer until the next call, with the byte after it
 * swapped for a NUL meanwhile.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/crypto.h"
#include "tars/dassert.h"
#include "tars/str.h"
#include "tars/ws.h"

#define IN_INITIAL 1024
#define REQUEST_MAX (TARS_URL_MAX + 8192)

enum conn_state { ST_CONNECTING, ST_HEAD, ST_OPEN, ST_CLOSING, ST_DONE };

struct tars_ws_conn {
    struct tars_net_conn net;
    int state;
    int http_status;
    int read_wait; /* what the last read waited for (TLS may need WRITE) */
    char key[TARS_WS_KEY_LEN];
    uint8_t *in;
    size_t in_len, in_cap, in_max;
    size_t pending; /* bytes of in handed out, consumed at the next call */
    bool swapped;   /* in[pending] holds a NUL in place of saved */
    uint8_t saved;
    uint8_t *out;
    size_t out_off, out_len, out_cap, out_max;
    struct tars_buf message; /* a fragmented message being reassembled */
    int message_opcode;      /* 0: none in progress */
    size_t max_message;
};

/* ---- endpoints ---- */

/* Accepts ws/wss as http/https for the URL parser. */
static int parse_ws_url(const char *text, struct tars_url *url, struct tars_err *err)
{
    char http[TARS_URL_MAX + 8];
    const char *rest = NULL, *scheme = "http://";

    if (!strncasecmp(text, "ws://", 5))
        rest = text + 5;
    else if (!strncasecmp(text, "wss://", 6)) {
        rest = text + 6;
        scheme = "https://";
    }
    if (!rest)
        return tars_url_parse(url, text, err);
    if (snprintf(http, sizeof(http), "%s%s", scheme, rest) >= (int)sizeof(http))
        return tars_err_set(err, TARS_EINVAL, "websocket URL too long");
    return tars_url_parse(url, http, err);
}

int tars_ws_endpoint_init(struct tars_ws_endpoint *ep, const struct tars_ws_endpoint_opts *o,
                          struct tars_err *err)
{
    struct tars_url *url = xmalloc(sizeof(*url));
    struct tars_tls_opts tls_opts = {o->insecure, o->ca_file};
    int rc;

    memset(ep, 0, sizeof(*ep));
    rc = parse_ws_url(o->url, url, err);
    if (!rc && url->tls)
        rc = tars_tls_new(&ep->tls, &tls_opts, err);
    if (!rc)
        rc = tars_net_target_init(&ep->target, url->host, url->port, ep->tls, err);
    if (!rc)
        rc = tars_url_authority(url, ep->authority, sizeof(ep->authority));
    if (!rc) {
        ep->is_tls = url->tls;
        ep->port = url->port;
        tars_strlcpy(ep->path, url->path, sizeof(ep->path));
    }
    free(url);
    if (rc)
        tars_ws_endpoint_release(ep);
    return rc;
}

void tars_ws_endpoint_release(struct tars_ws_endpoint *ep)
{
    tars_tls_free(ep->tls);
    ep->tls = NULL;
}

/* ---- output queue ---- */

/* The send queue's invariant: the unsent bytes out[out_off, out_len) lie
 * inside the allocation. */
static bool queue_valid(const tars_ws_conn *c)
{
    return c->out_off <= c->out_len && c->out_len <= c->out_cap && (c->out || !c->out_cap);
}

static int queue(tars_ws_conn *c, const void *data, size_t len, struct tars_err *err)
{
    TARS_DASSERT(queue_valid(c) && (data || len == 0));
    if (c->out_off > 0 && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (len > c->out_max - (c->out_len - c->out_off))
        return tars_err_set(err, TARS_ETOOBIG, "websocket send queue over %zu bytes", c->out_max);
    if (c->out_len + len > c->out_cap && c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 256;
        while (cap < c->out_len + len)
            cap *= 2;
        c->out = xrealloc(c->out, cap);
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return TARS_OK;
}

/* The transport failed: *err keeps tars_net's message. */
static int net_failed(tars_ws_conn *c, struct tars_err *err)
{
    int code = c->net.kind == TARS_NET_TLS ? TARS_EIO : TARS_EUNAVAIL;

    c->state = ST_DONE;
    if (err)
        err->code = code;
    return code;
}

/* Writes what is queued; TARS_OK also when the socket is full. */
static int flush(tars_ws_conn *c, struct tars_err *err)
{
    TARS_DASSERT(queue_valid(c) && c->state != ST_CONNECTING && c->state != ST_DONE);
    while (c->out_off < c->out_len) {
        size_t sent = 0;
        int rc = tars_net_write(&c->net, (const char *)c->out + c->out_off, c->out_len - c->out_off,
                                &sent, err);
        if (rc == TARS_AGAIN)
            return TARS_OK;
        if (rc < 0)
            return net_failed(c, err);
        c->out_off += sent;
    }
    c->out_off = c->out_len = 0;
    if (c->out_cap > 4096) { /* a burst is over: give the memory back */
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    return TARS_OK;
}

static int send_frame(tars_ws_conn *c, int opcode, const void *data, size_t len,
                      struct tars_err *err)
{
    uint8_t small[TARS_WS_HEADER_MAX + TARS_WS_CONTROL_MAX], mask[4], *frame = small;
    size_t cap = len + TARS_WS_HEADER_MAX, n;
    int rc;

    if (cap > sizeof(small))
        frame = xmalloc(cap);
    tars_fast_random_bytes(mask, sizeof(mask));
    n = tars_ws_frame_encode(frame, cap, opcode, mask, data, len);
    rc = n ? queue(c, frame, n, err) : tars_err_set(err, TARS_EINTERNAL, "frame does not fit");
    if (frame != small)
        free(frame);
    return rc ? rc : flush(c, err);
}

/* ---- opening ---- */

static bool has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

static int queue_upgrade(tars_ws_conn *c, const struct tars_ws_endpoint *ep,
                         const struct tars_ws_conn_opts *o, struct tars_err *err)
{
    struct tars_buf req = TARS_BUF_INIT(REQUEST_MAX);
    uint8_t raw[16];
    int rc;

    tars_random_bytes(raw, sizeof(raw));
    EVP_EncodeBlock((unsigned char *)c->key, raw, sizeof(raw));
    rc = tars_buf_printf(&req,
                         "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                         "Sec-WebSocket-Version: 13\r\nUser-Agent: tars\r\n",
                         o->path ? o->path : ep->path, ep->authority, c->key);
    if (!rc && o->authorization)
        rc = tars_buf_printf(&req, "Authorization: %s\r\n", o->authorization);
    if (!rc && o->protocol)
        rc = tars_buf_printf(&req, "Sec-WebSocket-Protocol: %s\r\n", o->protocol);
    if (!rc)
        rc = tars_buf_puts(&req, "\r\n");
    if (rc || has_crlf(o->path) || has_crlf(o->authorization) || has_crlf(o->protocol))
        rc = tars_err_set(err, TARS_EINVAL, "websocket upgrade request too long or malformed");
    if (!rc)
        rc = queue(c, req.data, req.len, err);
    tars_buf_release(&req);
    return rc;
}

int tars_ws_conn_open(tars_ws_conn **out, const struct tars_ws_endpoint *ep,
                      const struct tars_ws_conn_opts *o, struct tars_err *err)
{
    static const struct tars_ws_conn_opts none = {0};
    tars_ws_conn *c = xcalloc(1, sizeof(*c));
    int rc;

    o = o ? o : &none;
    *out = c;
    tars_net_conn_init(&c->net);
    c->max_message = o->max_message ? o->max_message : TARS_WS_DEFAULT_MAX;
    c->in_max = c->max_message + TARS_WS_HEADER_MAX + 1;
    if (c->in_max < TARS_WS_HEAD_MAX + 1)
        c->in_max = TARS_WS_HEAD_MAX + 1;
    c->out_max = (o->max_queue ? o->max_queue : 65536 + c->max_message) + REQUEST_MAX;
    c->in_cap = IN_INITIAL;
    c->in = xmalloc(c->in_cap);
    tars_buf_init(&c->message, c->max_message + 1);
    c->state = ST_CONNECTING;
    rc = queue_upgrade(c, ep, o, err);
    if (!rc)
        rc = tars_net_connect(&c->net, &ep->target, err);
    if (rc < 0)
        c->state = ST_DONE;
    return rc;
}

/* ---- reading ---- */

/* Drops the bytes handed out by the previous call. */
static void consume_pending(tars_ws_conn *c)
{
    if (c->swapped)
        c->in[c->pending] = c->saved;
    c->swapped = false;
    if (c->pending == 0)
        return;
    memmove(c->in, c->in + c->pending, c->in_len - c->pending);
    c->in_len -= c->pending;
    c->pending = 0;
}

/* Reads once into in. TARS_OK: bytes arrived; TARS_AGAIN; < 0 failed. */
static int read_some(tars_ws_conn *c, struct tars_err *err)
{
    size_t got = 0;
    int rc;

    if (c->in_len + 1 >= c->in_cap) {
        size_t cap = c->in_cap * 2 < c->in_max ? c->in_cap * 2 : c->in_max;
        if (cap <= c->in_len + 1)
            return tars_err_set(err, TARS_ETOOBIG, "websocket input over %zu bytes", c->in_max);
        c->in = xrealloc(c->in, cap);
        c->in_cap = cap;
    }
    rc = tars_net_read(&c->net, (char *)c->in + c->in_len, c->in_cap - c->in_len - 1, &got, err);
    if (rc == TARS_AGAIN) {
        c->read_wait = c->net.wait;
        return TARS_AGAIN;
    }
    if (rc < 0)
        return net_failed(c, err);
    if (got == 0) {
        c->state = ST_DONE;
        return tars_err_set(err, TARS_EUNAVAIL, "connection closed by %s without a close frame",
                            c->net.target ? c->net.target->label : "the server");
    }
    c->in_len += got;
    return TARS_OK;
}

/* Hands out in[from, from+len) as a NUL-terminated string. */
static void hand_out(tars_ws_conn *c, size_t from, size_t len, const char **data)
{
    c->pending = from + len;
    c->saved = c->in[c->pending]; /* in_cap > in_len: the byte exists */
    c->in[c->pending] = '\0';
    c->swapped = true;
    *data = (const char *)c->in + from;
}

/* An answer that does not start as HTTP/1.x does is no upgrade answer: said
 * at once rather than after the connect timeout. */
static int check_head_start(const tars_ws_conn *c, struct tars_err *err)
{
    static const char http[] = "HTTP/1.";
    size_t n = c->in_len < sizeof(http) - 1 ? c->in_len : sizeof(http) - 1;

    if (memcmp(c->in, http, n) != 0)
        return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer is not HTTP");
    return TARS_OK;
}

static int try_head(tars_ws_conn *c, struct tars_ws_event *ev, struct tars_err *err)
{
    char *end;
    int rc;

    if ((rc = check_head_start(c, err)))
        return rc;
    c->in[c->in_len] = '\0';
    end = strstr((char *)c->in, "\r\n\r\n");
    if (!end)
        return c->in_len >= TARS_WS_HEAD_MAX
                   ? tars_err_set(err, TARS_EINVAL, "websocket upgrade answer head too long")
                   : TARS_AGAIN;
    end[2] = '\0';
    rc = tars_ws_check_answer((const char *)c->in, c->key, &c->http_status, err);
    end[2] = '\r';
    if (rc)
        return rc;
    c->pending = (size_t)(end - (char *)c->in) + 4;
    c->state = ST_OPEN;
    ev->kind = TARS_WS_EV_OPEN;
    return TARS_OK;
}

static int on_close_frame(tars_ws_conn *c, const struct tars_ws_frame *f, struct tars_ws_event *ev,
                          struct tars_err *err)
{
    const uint8_t *p = c->in + f->header_len;
    size_t len = (size_t)f->payload_len;
    struct tars_err ignored = TARS_ERR_INIT;

    if (len == 1)
        return tars_err_set(err, TARS_EINVAL, "websocket close frame with a 1-byte payload");
    ev->kind = TARS_WS_EV_CLOSE;
    ev->close_code = len >= 2 ? (p[0] << 8) | p[1] : 0;
    if (c->state == ST_OPEN) /* answer with the same code, best effort */
        (void)send_frame(c, TARS_WS_CLOSE, p, len >= 2 ? 2 : 0, &ignored);
    c->state = ST_DONE;
    hand_out(c, f->header_len + (len >= 2 ? 2 : 0), len >= 2 ? len - 2 : 0, &ev->data);
    ev->len = len >= 2 ? len - 2 : 0;
    return TARS_OK;
}

/* A data frame. TARS_OK: ev holds a whole message; TARS_AGAIN: read on. */
static int on_data_frame(tars_ws_conn *c, const struct tars_ws_frame *f, struct tars_ws_event *ev,
                         struct tars_err *err)
{
    bool continuation = f->opcode == TARS_WS_CONTINUATION;
    size_t len = (size_t)f->payload_len;

    if (continuation != (c->message_opcode != 0))
        return tars_err_set(err, TARS_EINVAL,
                            continuation ? "websocket continuation without a message"
                                         : "websocket message inside another one");
    ev->kind = TARS_WS_EV_MESSAGE;
    if (f->fin && !continuation) { /* the common case: in place */
        ev->opcode = f->opcode;
        hand_out(c, f->header_len, len, &ev->data);
        ev->len = len;
        return c->state == ST_OPEN ? TARS_OK : TARS_AGAIN;
    }
    if (!continuation) {
        tars_buf_reset(&c->message);
        c->message_opcode = f->opcode;
    }
    c->pending = f->header_len + len;
    if (tars_buf_append(&c->message, c->in + f->header_len, len))
        return tars_err_set(err, TARS_ETOOBIG, "websocket message over %zu bytes", c->max_message);
    if (!f->fin)
        return TARS_AGAIN;
    ev->opcode = c->message_opcode;
    ev->data = c->message.data ? c->message.data : "";
    ev->len = c->message.len;
    c->message_opcode = 0;
    return c->state == ST_OPEN ? TARS_OK : TARS_AGAIN;
}

/* One frame at the head of in, if it is complete. TARS_OK: an event. */
static int try_frame(tars_ws_conn *c, struct tars_ws_event *ev, struct tars_err *err)
{
    struct tars_ws_frame f;
    int rc = tars_ws_frame_parse(c->in, c->in_len, c->max_message, &f, err);

    if (rc)
        return rc;
    if (f.masked)
        return tars_err_set(err, TARS_EINVAL, "websocket server sent a masked frame");
    if (c->in_len - f.header_len < f.payload_len) {
        if (f.header_len + f.payload_len + 1 > c->in_max)
            return tars_err_set(err, TARS_ETOOBIG, "websocket frame too long");
        return TARS_AGAIN;
    }
    switch (f.opcode) {
    case TARS_WS_PING:
        c->pending = f.header_len + (size_t)f.payload_len;
        if (c->state == ST_OPEN)
            rc = send_frame(c, TARS_WS_PONG, c->in + f.header_len, (size_t)f.payload_len, err);
        return rc < 0 ? rc : TARS_AGAIN;
    case TARS_WS_PONG: c->pending = f.header_len + (size_t)f.payload_len; return TARS_AGAIN;
    case TARS_WS_CLOSE: return on_close_frame(c, &f, ev, err);
    default: return on_data_frame(c, &f, ev, err);
    }
}

static int step(tars_ws_conn *c, struct tars_ws_event *ev, struct tars_err *err)
{
    int rc;

    TARS_DASSERT(c->state != ST_DONE && queue_valid(c));
    if (c->state == ST_CONNECTING) {
        rc = tars_net_handshake(&c->net, err);
        if (rc == TARS_AGAIN)
            return TARS_AGAIN;
        if (rc < 0)
            return net_failed(c, err);
        c->state = ST_HEAD;
    }
    if ((rc = flush(c, err)) < 0)
        return rc;
    for (;;) {
        consume_pending(c);
        rc = c->state == ST_HEAD ? try_head(c, ev, err) : try_frame(c, ev, err);
        if (rc == TARS_OK || rc < 0)
            return rc;
        if (c->pending)
            continue; /* a control frame or fragment was used up */
        if ((rc = read_some(c, err)) != TARS_OK)
            return rc;
    }
}

int tars_ws_conn_next(tars_ws_conn *c, struct tars_ws_event *ev, struct tars_err *err)
{
    int rc;

    memset(ev, 0, sizeof(*ev));
    if (c->state == ST_DONE)
        return tars_err_set(err, TARS_EUNAVAIL, "websocket connection is closed");
    c->read_wait = TARS_NET_WAIT_READ;
    rc = step(c, ev, err);
    if (rc < 0)
        c->state = ST_DONE;
    return rc;
}

/* ---- sending and closing ---- */

int tars_ws_conn_send(tars_ws_conn *c, int opcode, const void *data, size_t len,
                      struct tars_err *err)
{
    if (opcode != TARS_WS_TEXT && opcode != TARS_WS_BINARY)
        return tars_err_set(err, TARS_EINVAL, "websocket messages are text or binary");
    if (c->state != ST_OPEN)
        return tars_err_set(err, TARS_EUNAVAIL, "websocket connection is not open");
    if (len > c->max_message)
        return tars_err_set(err, TARS_ETOOBIG, "websocket message of %zu bytes (max %zu)", len,
                            c->max_message);
    return send_frame(c, opcode, data, len, err);
}

int tars_ws_conn_flush(tars_ws_conn *c, struct tars_err *err)
{
    int rc;

    if (c->state == ST_DONE || c->state == ST_CONNECTING)
        return c->state == ST_DONE
                   ? tars_err_set(err, TARS_EUNAVAIL, "websocket connection is closed")
                   : TARS_AGAIN;
    rc = flush(c, err);
    if (rc < 0)
        return rc;
    return c->out_off < c->out_len ? TARS_AGAIN : TARS_OK;
}

void tars_ws_conn_close(tars_ws_conn *c, int code)
{
    uint8_t payload[2];
    struct tars_err ignored = TARS_ERR_INIT;

    if (c->state != ST_OPEN)
        return;
    code = code ? code : 1000;
    payload[0] = (uint8_t)(code >> 8);
    payload[1] = (uint8_t)code;
    if (send_frame(c, TARS_WS_CLOSE, payload, sizeof(payload), &ignored) == TARS_OK)
        c->state = ST_CLOSING;
    else
        c->state = ST_DONE;
}

void tars_ws_conn_free(tars_ws_conn *c)
{
    if (!c)
        return;
    tars_net_close(&c->net);
    tars_buf_release(&c->message);
    free(c->in);
    free(c->out);
    free(c);
}

int tars_ws_conn_fd(const tars_ws_conn *c)
{
    return c->net.fd;
}

int tars_ws_conn_wants(const tars_ws_conn *c)
{
    if (c->state == ST_CONNECTING)
        return c->net.wait ? c->net.wait : TARS_NET_WAIT_WRITE;
    return TARS_NET_WAIT_READ | (c->read_wait & TARS_NET_WAIT_WRITE) |
           (c->out_off < c->out_len ? TARS_NET_WAIT_WRITE : 0);
}

bool tars_ws_conn_is_open(const tars_ws_conn *c)
{
    return c->state == ST_OPEN;
}

int tars_ws_conn_http_status(const tars_ws_conn *c)
{
    return c->http_status;
}

int tars_ws_conn_net_kind(const tars_ws_conn *c)
{
    return c->net.kind;
}

size_t tars_ws_conn_buffered(const tars_ws_conn *c)
{
    return sizeof(*c) + c->in_cap + c->out_cap + c->message.cap;
}
