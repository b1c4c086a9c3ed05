/*
 * A minimal blocking WebSocket client for checks (see ws_client.h). Blocking
 * here means poll(2) on the non-blocking tars_net connection, every wait cut
 * at the caller's deadline.
 */
#include "ws_client.h"

#include <errno.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/net.h"
#include "tars/str.h"
#include "tars/url.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 25           /* base64 of 16 bytes, plus NUL */
#define WS_HEAD_MAX (16 * 1024) /* the server's upgrade response head */
#define WS_REQUEST_MAX (TARS_URL_MAX + 8192)
#define WS_CLOSE_WAIT_NS (200 * 1000000ull)

struct check_ws_client {
    struct tars_net_target target;
    struct tars_net_conn conn;
    tars_tls *tls;
    uint8_t *in; /* received bytes not yet consumed */
    size_t in_len, in_cap;
    struct tars_buf message; /* the message being reassembled */
    int message_opcode;      /* 0: none in progress */
    size_t max_message;
    bool close_sent;
    bool broken;
};

/* ---- framing ---- */

void check_ws_accept_key(const char *key, char out[CHECK_WS_ACCEPT_LEN])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char joined[128];
    int n = snprintf(joined, sizeof(joined), "%s%s", key, WS_GUID);

    out[0] = '\0';
    if (n < 0 || (size_t)n >= sizeof(joined))
        return; /* keys are 24 characters; a longer one gets no accept value */
    if (!EVP_Digest(joined, (size_t)n, digest, &digest_len, EVP_sha1(), NULL) || digest_len != 20)
        return;
    EVP_EncodeBlock((unsigned char *)out, digest, 20);
}

void check_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4])
{
    for (size_t i = 0; i < len; i++)
        data[i] ^= mask[i & 3];
}

static size_t encode_length(uint8_t *out, bool masked, size_t len)
{
    uint8_t mask_bit = masked ? 0x80 : 0;

    if (len < 126) {
        out[0] = (uint8_t)(mask_bit | len);
        return 1;
    }
    if (len <= 0xffff) {
        out[0] = (uint8_t)(mask_bit | 126);
        out[1] = (uint8_t)(len >> 8);
        out[2] = (uint8_t)len;
        return 3;
    }
    out[0] = (uint8_t)(mask_bit | 127);
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 9;
}

size_t check_ws_frame_encode(uint8_t *out, size_t cap, int opcode, const uint8_t mask[4],
                             const void *payload, size_t len)
{
    uint8_t head[CHECK_WS_HEADER_MAX];
    size_t n;

    head[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    n = 1 + encode_length(head + 1, mask != NULL, len);
    if (mask) {
        memcpy(head + n, mask, 4);
        n += 4;
    }
    if (len > cap || n > cap - len)
        return 0;
    memcpy(out, head, n);
    if (len)
        memcpy(out + n, payload, len);
    if (mask)
        check_ws_mask(out + n, len, mask);
    return n + len;
}

static bool known_opcode(int op)
{
    return op == CHECK_WS_CONTINUATION || op == CHECK_WS_TEXT || op == CHECK_WS_BINARY ||
           op == CHECK_WS_CLOSE || op == CHECK_WS_PING || op == CHECK_WS_PONG;
}

/* The extended payload length, if its bytes are there. */
static int parse_length(const uint8_t *in, size_t len, struct check_ws_frame *f,
                        struct tars_err *err)
{
    size_t extra = f->payload_len == 126 ? 2 : f->payload_len == 127 ? 8 : 0;
    uint64_t v = 0;

    if (len < 2 + extra)
        return TARS_AGAIN;
    for (size_t i = 0; i < extra; i++)
        v = (v << 8) | in[2 + i];
    if (extra == 8 && (v >> 63))
        return tars_err_set(err, TARS_EINVAL, "websocket frame length has its top bit set");
    if (extra)
        f->payload_len = v;
    f->header_len = 2 + extra;
    return TARS_OK;
}

int check_ws_frame_parse(const uint8_t *in, size_t len, uint64_t max_payload,
                         struct check_ws_frame *f, struct tars_err *err)
{
    int rc;

    memset(f, 0, sizeof(*f));
    if (len < 2)
        return TARS_AGAIN;
    f->fin = in[0] & 0x80;
    f->opcode = in[0] & 0x0f;
    f->masked = in[1] & 0x80;
    f->payload_len = in[1] & 0x7f;
    if (in[0] & 0x70)
        return tars_err_set(err, TARS_EINVAL, "websocket frame has reserved bits set");
    if (!known_opcode(f->opcode))
        return tars_err_set(err, TARS_EINVAL, "unknown websocket opcode %d", f->opcode);
    if (f->opcode >= CHECK_WS_CLOSE && (!f->fin || f->payload_len > CHECK_WS_CONTROL_MAX))
        return tars_err_set(err, TARS_EINVAL, "websocket control frame fragmented or too long");
    rc = parse_length(in, len, f, err);
    if (rc)
        return rc;
    if (f->payload_len > max_payload)
        return tars_err_set(err, TARS_ETOOBIG, "websocket frame of %llu bytes (max %llu)",
                            (unsigned long long)f->payload_len, (unsigned long long)max_payload);
    if (f->masked) {
        if (len < f->header_len + 4)
            return TARS_AGAIN;
        memcpy(f->mask, in + f->header_len, 4);
        f->header_len += 4;
    }
    return TARS_OK;
}

/* ---- I/O with a deadline ---- */

/* Waits until the connection is ready for what it last asked for.
 * TARS_OK ready (or in error: the next call reports it), TARS_AGAIN at the
 * deadline. */
static int wait_ready(check_ws_client *c, uint64_t deadline_ns)
{
    struct pollfd p = {c->conn.fd, 0, 0};
    int n;

    p.events = c->conn.wait == TARS_NET_WAIT_WRITE ? POLLOUT : POLLIN;
    for (;;) {
        uint64_t now = tars_mono_ns();
        int timeout_ms;
        if (now >= deadline_ns)
            return TARS_AGAIN;
        timeout_ms = (int)((deadline_ns - now + 999999) / 1000000);
        n = poll(&p, 1, timeout_ms);
        if (n > 0)
            return TARS_OK;
        if (n < 0 && errno != EINTR)
            return TARS_OK; /* let the socket call report the problem */
    }
}

/* Marks the connection unusable: "<what> host:port". */
static int fail_broken(check_ws_client *c, const char *what, struct tars_err *err)
{
    c->broken = true;
    return tars_err_set(err, TARS_EUNAVAIL, "%s %s", what, c->target.label);
}

/* A tars_net failure: the connection is unusable; the message stays. A TLS
 * failure (a certificate that does not verify) is TARS_EIO: trying again
 * will not help, unlike a refused or reset connection. */
static int net_broken(check_ws_client *c, struct tars_err *err)
{
    int code = c->conn.kind == TARS_NET_TLS ? TARS_EIO : TARS_EUNAVAIL;

    c->broken = true;
    if (err)
        err->code = code;
    return code;
}

static int write_all(check_ws_client *c, const void *data, size_t len, uint64_t deadline_ns,
                     struct tars_err *err)
{
    const char *p = data;

    while (len > 0) {
        size_t sent = 0;
        int rc = tars_net_write(&c->conn, p, len, &sent, err);
        if (rc < 0)
            return net_broken(c, err);
        if (rc == TARS_AGAIN) {
            if (wait_ready(c, deadline_ns) == TARS_AGAIN)
                return fail_broken(c, "timed out writing to", err);
            continue;
        }
        p += sent;
        len -= sent;
    }
    return TARS_OK;
}

/* Reads at least one more byte into c->in. TARS_AGAIN at the deadline. */
static int fill(check_ws_client *c, uint64_t deadline_ns, struct tars_err *err)
{
    for (;;) {
        size_t got = 0;
        int rc;
        if (c->in_len == c->in_cap)
            return tars_err_set(err, TARS_ETOOBIG, "websocket input over %zu bytes", c->in_cap);
        rc = tars_net_read(&c->conn, (char *)c->in + c->in_len, c->in_cap - c->in_len, &got, err);
        if (rc < 0)
            return net_broken(c, err);
        if (rc == TARS_OK && got == 0)
            return fail_broken(c, "connection closed by", err);
        if (rc == TARS_OK) {
            c->in_len += got;
            return TARS_OK;
        }
        if (wait_ready(c, deadline_ns) == TARS_AGAIN)
            return TARS_AGAIN;
    }
}

static void consume(check_ws_client *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* ---- connect and upgrade ---- */

/* Accepts ws/wss as http/https for the URL parser. */
static int parse_ws_url(const char *text, struct tars_url *url, struct tars_err *err)
{
    char http[TARS_URL_MAX + 8];
    const char *rest = NULL;
    const char *scheme = "http://";

    if (!strncasecmp(text, "ws://", 5))
        rest = text + 5;
    else if (!strncasecmp(text, "wss://", 6)) {
        rest = text + 6;
        scheme = "https://";
    }
    if (!rest)
        return tars_url_parse(url, text, err);
    if ((size_t)snprintf(http, sizeof(http), "%s%s", scheme, rest) >= sizeof(http))
        return tars_err_set(err, TARS_EINVAL, "websocket URL too long");
    return tars_url_parse(url, http, err);
}

static int open_transport(check_ws_client *c, const struct check_ws_options *o,
                          const struct tars_url *url, struct tars_err *err)
{
    struct tars_tls_opts tls_opts = {o->insecure, o->ca_file};
    int rc;

    if (url->tls) {
        rc = tars_tls_new(&c->tls, &tls_opts, err);
        if (rc)
            return rc;
    }
    rc = tars_net_target_init(&c->target, url->host, url->port, c->tls, err);
    if (rc)
        return rc == TARS_ENOTFOUND ? TARS_EUNAVAIL : rc;
    return TARS_OK;
}

static int connect_by(check_ws_client *c, uint64_t deadline_ns, struct tars_err *err)
{
    int rc = tars_net_connect(&c->conn, &c->target, err);

    while (rc == TARS_AGAIN) {
        if (wait_ready(c, deadline_ns) == TARS_AGAIN)
            return fail_broken(c, "timed out connecting to", err);
        rc = tars_net_handshake(&c->conn, err);
    }
    return rc < 0 ? net_broken(c, err) : TARS_OK;
}

static void make_key(char key[WS_KEY_LEN])
{
    uint8_t raw[16];

    tars_random_bytes(raw, sizeof(raw));
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
}

static int send_upgrade(check_ws_client *c, const struct check_ws_options *o,
                        const struct tars_url *url, const char *key, uint64_t deadline_ns,
                        struct tars_err *err)
{
    struct tars_buf req = TARS_BUF_INIT(WS_REQUEST_MAX);
    char host[TARS_URL_AUTHORITY_MAX];
    int rc;

    if (tars_url_authority(url, host, sizeof(host)))
        return tars_err_set(err, TARS_EINVAL, "websocket host too long");
    rc = tars_buf_printf(&req,
                         "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                         "Sec-WebSocket-Version: 13\r\nUser-Agent: tars-validate\r\n",
                         url->path, host, key);
    if (!rc && o->authorization)
        rc = tars_buf_printf(&req, "Authorization: %s\r\n", o->authorization);
    if (!rc)
        rc = tars_buf_puts(&req, "\r\n");
    if (rc)
        rc = tars_err_set(err, TARS_EINVAL, "websocket upgrade request too long");
    else
        rc = write_all(c, req.data, req.len, deadline_ns, err);
    tars_buf_release(&req);
    return rc;
}

/* Copies the value of header name (case-insensitive) from a response head. */
static bool head_header(const char *head, const char *name, char *out, size_t size)
{
    size_t name_len = strlen(name);
    const char *line = strstr(head, "\r\n");

    while (line && line[2] != '\r' && line[2] != '\0') {
        const char *start = line + 2;
        const char *end = strstr(start, "\r\n");
        if (!end)
            return false;
        if ((size_t)(end - start) > name_len && start[name_len] == ':' &&
            !strncasecmp(start, name, name_len)) {
            const char *v = start + name_len + 1;
            size_t n;
            while (*v == ' ' || *v == '\t')
                v++;
            n = (size_t)(end - v);
            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n >= size)
                return false;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        line = end;
    }
    return false;
}

static bool has_token(const char *list, const char *token)
{
    size_t n = strlen(token);

    for (const char *p = list; (p = strcasestr(p, token)) != NULL; p += n) {
        bool start_ok = p == list || p[-1] == ',' || p[-1] == ' ' || p[-1] == '\t';
        bool end_ok = p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t';
        if (start_ok && end_ok)
            return true;
    }
    return false;
}

static int check_head(const char *head, const char *key, struct tars_err *err)
{
    char expected[CHECK_WS_ACCEPT_LEN], value[256];
    int status = 0;

    if (sscanf(head, "HTTP/1.%*1[01] %3d", &status) != 1)
        return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer is not HTTP/1.1");
    if (status != 101)
        return tars_err_set(err, TARS_ECONFLICT, "websocket upgrade refused: HTTP %d", status);
    if (!head_header(head, "Upgrade", value, sizeof(value)) || strcasecmp(value, "websocket"))
        return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer lacks Upgrade: websocket");
    if (!head_header(head, "Connection", value, sizeof(value)) || !has_token(value, "upgrade"))
        return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer lacks Connection: upgrade");
    check_ws_accept_key(key, expected);
    if (!head_header(head, "Sec-WebSocket-Accept", value, sizeof(value)) ||
        strcmp(value, expected) != 0)
        return tars_err_set(err, TARS_EINVAL,
                            "websocket upgrade answer has a wrong "
                            "Sec-WebSocket-Accept");
    if (head_header(head, "Sec-WebSocket-Extensions", value, sizeof(value)))
        return tars_err_set(err, TARS_EINVAL, "websocket server chose an extension not offered");
    return TARS_OK;
}

/* Reads the upgrade answer's head; bytes after it stay in c->in. */
static int read_head(check_ws_client *c, const char *key, uint64_t deadline_ns,
                     struct tars_err *err)
{
    char *end;
    size_t head_len;
    int rc;

    for (;;) {
        c->in[c->in_len] = '\0'; /* in_cap leaves room for it */
        end = strstr((char *)c->in, "\r\n\r\n");
        if (end)
            break;
        if (c->in_len >= WS_HEAD_MAX)
            return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer head over %d bytes",
                                WS_HEAD_MAX);
        rc = fill(c, deadline_ns, err);
        if (rc == TARS_AGAIN)
            return fail_broken(c, "timed out waiting for the upgrade answer of", err);
        if (rc)
            return rc;
    }
    head_len = (size_t)(end - (char *)c->in) + 4;
    end[2] = '\0'; /* the head keeps its last CRLF */
    rc = check_head((const char *)c->in, key, err);
    consume(c, head_len);
    return rc;
}

int check_ws_connect(const struct check_ws_options *o, uint64_t deadline_ns, check_ws_client **out,
                     struct tars_err *err)
{
    struct tars_url *url = xmalloc(sizeof(*url));
    check_ws_client *c = xcalloc(1, sizeof(*c));
    char key[WS_KEY_LEN];
    int rc;

    tars_net_conn_init(&c->conn);
    c->max_message = o->max_message ? o->max_message : CHECK_WS_DEFAULT_MAX;
    c->in_cap = c->max_message + CHECK_WS_HEADER_MAX + WS_HEAD_MAX;
    c->in = xmalloc(c->in_cap + 1);
    tars_buf_init(&c->message, c->max_message + 1);
    rc = parse_ws_url(o->url, url, err);
    if (!rc)
        rc = open_transport(c, o, url, err);
    if (!rc)
        rc = connect_by(c, deadline_ns, err);
    make_key(key);
    if (!rc)
        rc = send_upgrade(c, o, url, key, deadline_ns, err);
    if (!rc)
        rc = read_head(c, key, deadline_ns, err);
    free(url);
    if (rc) {
        c->close_sent = true; /* no close handshake on a failed upgrade */
        check_ws_close(c);
        return rc;
    }
    *out = c;
    return TARS_OK;
}

/* ---- messages ---- */

static int send_frame(check_ws_client *c, int opcode, const void *data, size_t len,
                      uint64_t deadline_ns, struct tars_err *err)
{
    size_t cap = len + CHECK_WS_HEADER_MAX;
    uint8_t *frame, mask[4];
    size_t n;
    int rc;

    if (c->broken)
        return tars_err_set(err, TARS_EUNAVAIL, "websocket connection is broken");
    if (len > c->max_message)
        return tars_err_set(err, TARS_ETOOBIG, "websocket message of %zu bytes (max %zu)", len,
                            c->max_message);
    frame = xmalloc(cap);
    tars_random_bytes(mask, sizeof(mask));
    n = check_ws_frame_encode(frame, cap, opcode, mask, data, len);
    rc = n ? write_all(c, frame, n, deadline_ns, err)
           : tars_err_set(err, TARS_EINTERNAL, "websocket frame does not fit");
    free(frame);
    return rc;
}

int check_ws_send(check_ws_client *c, int opcode, const void *data, size_t len,
                  uint64_t deadline_ns, struct tars_err *err)
{
    if (opcode != CHECK_WS_TEXT && opcode != CHECK_WS_BINARY)
        return tars_err_set(err, TARS_EINVAL, "websocket messages are text or binary");
    if (c->close_sent)
        return tars_err_set(err, TARS_EUNAVAIL, "websocket connection is closing");
    return send_frame(c, opcode, data, len, deadline_ns, err);
}

/* Waits until a whole frame is in c->in; *f describes it. */
static int next_frame(check_ws_client *c, uint64_t deadline_ns, struct check_ws_frame *f,
                      struct tars_err *err)
{
    for (;;) {
        int rc = check_ws_frame_parse(c->in, c->in_len, c->max_message, f, err);
        if (rc < 0) {
            c->broken = true;
            return rc;
        }
        if (rc == TARS_OK && f->masked) {
            c->broken = true;
            return tars_err_set(err, TARS_EINVAL, "websocket server sent a masked frame");
        }
        if (rc == TARS_OK && c->in_len - f->header_len >= f->payload_len)
            return TARS_OK;
        rc = fill(c, deadline_ns, err);
        if (rc)
            return rc;
    }
}

static int on_close(check_ws_client *c, const uint8_t *payload, size_t len,
                    struct check_ws_message *msg, uint64_t deadline_ns, struct tars_err *err)
{
    int rc;

    if (len == 1)
        return tars_err_set(err, TARS_EINVAL, "websocket close frame with a 1-byte payload");
    msg->opcode = CHECK_WS_CLOSE;
    msg->close_code = len >= 2 ? (payload[0] << 8) | payload[1] : 0;
    tars_buf_reset(&c->message);
    rc = tars_buf_append(&c->message, len > 2 ? payload + 2 : (const uint8_t *)"",
                         len > 2 ? len - 2 : 0);
    if (rc == TARS_OK && !c->close_sent) {
        /* Answer with the same code (best effort: the peer may be gone). */
        uint64_t soon = tars_mono_ns() + WS_CLOSE_WAIT_NS;
        struct tars_err ignored = TARS_ERR_INIT;
        c->close_sent = true;
        (void)send_frame(c, CHECK_WS_CLOSE, payload, len >= 2 ? 2 : 0,
                         soon < deadline_ns ? soon : deadline_ns, &ignored);
    }
    msg->data = c->message.data ? c->message.data : "";
    msg->len = c->message.len;
    return rc;
}

/* A data frame; returns TARS_OK when it completed a message, TARS_AGAIN
 * when more fragments are needed. */
static int on_data(check_ws_client *c, const struct check_ws_frame *f, const uint8_t *payload,
                   struct check_ws_message *msg, struct tars_err *err)
{
    bool continuation = f->opcode == CHECK_WS_CONTINUATION;

    if (continuation != (c->message_opcode != 0))
        return tars_err_set(err, TARS_EINVAL,
                            continuation ? "websocket continuation without a message"
                                         : "websocket message inside another one");
    if (!continuation) {
        tars_buf_reset(&c->message);
        c->message_opcode = f->opcode;
    }
    if (tars_buf_append(&c->message, payload, (size_t)f->payload_len))
        return tars_err_set(err, TARS_ETOOBIG, "websocket message over %zu bytes", c->max_message);
    if (!f->fin)
        return TARS_AGAIN;
    msg->opcode = c->message_opcode;
    msg->data = c->message.data ? c->message.data : "";
    msg->len = c->message.len;
    msg->close_code = 0;
    c->message_opcode = 0;
    return TARS_OK;
}

/* Handles one complete frame at the head of c->in. TARS_OK: msg is ready;
 * TARS_AGAIN: read on. */
static int handle_frame(check_ws_client *c, const struct check_ws_frame *f, uint64_t deadline_ns,
                        struct check_ws_message *msg, struct tars_err *err)
{
    const uint8_t *payload = c->in + f->header_len;
    size_t len = (size_t)f->payload_len;
    int rc = TARS_AGAIN;

    switch (f->opcode) {
    case CHECK_WS_PING:
        if (!c->close_sent)
            rc = send_frame(c, CHECK_WS_PONG, payload, len, deadline_ns, err);
        rc = rc < 0 ? rc : TARS_AGAIN;
        break;
    case CHECK_WS_PONG: break;
    case CHECK_WS_CLOSE: rc = on_close(c, payload, len, msg, deadline_ns, err); break;
    default: rc = on_data(c, f, payload, msg, err); break;
    }
    consume(c, f->header_len + len);
    return rc;
}

int check_ws_recv(check_ws_client *c, uint64_t deadline_ns, struct check_ws_message *msg,
                  struct tars_err *err)
{
    struct check_ws_frame f;
    int rc;

    memset(msg, 0, sizeof(*msg));
    if (c->broken)
        return tars_err_set(err, TARS_EUNAVAIL, "websocket connection is broken");
    do {
        rc = next_frame(c, deadline_ns, &f, err);
        if (rc)
            return rc;
        rc = handle_frame(c, &f, deadline_ns, msg, err);
    } while (rc == TARS_AGAIN);
    if (rc < 0)
        c->broken = true;
    return rc;
}

void check_ws_close(check_ws_client *c)
{
    if (!c)
        return;
    if (!c->close_sent && !c->broken && c->conn.fd >= 0) {
        static const uint8_t normal[2] = {0x03, 0xe8}; /* 1000 */
        struct tars_err ignored = TARS_ERR_INIT;
        c->close_sent = true;
        (void)send_frame(c, CHECK_WS_CLOSE, normal, sizeof(normal),
                         tars_mono_ns() + WS_CLOSE_WAIT_NS, &ignored);
    }
    tars_net_close(&c->conn);
    tars_tls_free(c->tls);
    tars_buf_release(&c->message);
    free(c->in);
    free(c);
}
