/*
 * The incremental response parser: http-parser does the HTTP, this file
 * adds the bounds, the split into single responses and the report.
 *
 * Where a response ends: on_message_complete pauses http-parser, so
 * http_parser_execute returns right after the response's last byte and the
 * caller keeps the rest for the next one (pipelining).
 *
 * The header bound: while the header section is incomplete the parser is fed
 * at most the bytes left under the bound, so a server that never ends its
 * headers is stopped after max_header_bytes, not after http-parser's 80 KiB.
 */
#include <http_parser.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/http.h"
#include "tars/str.h"

/* Longest header name we look at (a captured one); longer names are skipped. */
#define NAME_MAX_LEN TARS_HTTP_CAPTURE_NAME_MAX

enum header_slot { SLOT_NONE, SLOT_CONTENT_TYPE, SLOT_CONNECTION, SLOT_CAPTURE };

struct tars_http_parser {
    http_parser hp;
    size_t max_header;
    size_t header_bytes; /* fed while the header section was open */
    bool can_keep;       /* made with max_body_keep > 0 */
    bool keep_next;      /* tars_http_parser_keep_body: responses begun from now on */
    bool keep_body;      /* the current response keeps its body */
    bool started;        /* a response has begun */
    bool headers_done;
    bool expect_head;
    bool ended;            /* the last response ended the connection */
    bool in_value;         /* last header callback was a value */
    enum header_slot slot; /* where the current value goes */
    size_t slot_len;
    size_t name_len; /* NAME_MAX_LEN + 1: too long to matter */
    char name[NAME_MAX_LEN];
    int failed;         /* the error that stopped the parser, or 0 */
    char *capture_name; /* tars_http_parser_capture, or NULL */
    char *capture;      /* its value, TARS_HTTP_CAPTURE_MAX + 1 bytes */
    size_t capture_len; /* > TARS_HTTP_CAPTURE_MAX: too long */
    bool captured;
    struct tars_buf body;
    struct tars_http_response resp;
};

static int on_message_begin(http_parser *hp);
static int on_header_field(http_parser *hp, const char *at, size_t len);
static int on_header_value(http_parser *hp, const char *at, size_t len);
static int on_headers_complete(http_parser *hp);
static int on_body(http_parser *hp, const char *at, size_t len);
static int on_message_complete(http_parser *hp);

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void start_message(struct tars_http_parser *p)
{
    p->header_bytes = 0;
    p->started = false;
    p->headers_done = false;
    p->in_value = false;
    p->name_len = 0;
    p->slot = SLOT_NONE;
}

void tars_http_parser_reset(struct tars_http_parser *p)
{
    http_parser_init(&p->hp, HTTP_RESPONSE);
    p->hp.data = p;
    p->failed = 0;
    p->expect_head = false;
    p->ended = false;
    start_message(p);
    memset(&p->resp, 0, sizeof(p->resp));
    tars_buf_reset(&p->body);
}

int tars_http_parser_new(struct tars_http_parser **out, const struct tars_http_parser_opts *opts,
                         struct tars_err *err)
{
    static const struct tars_http_parser_opts defaults = {0, 0};
    struct tars_http_parser *p;
    size_t max_header;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    max_header = opts->max_header_bytes;
    if (max_header == 0)
        max_header = TARS_HTTP_HEADER_MAX_DEFAULT;
    if (max_header > TARS_HTTP_HEADER_MAX_CEILING)
        return tars_err_set(err, TARS_EINVAL, "header limit %zu is above %d bytes", max_header,
                            TARS_HTTP_HEADER_MAX_CEILING);
    p = xcalloc(1, sizeof(*p));
    p->max_header = max_header;
    p->can_keep = p->keep_next = p->keep_body = opts->max_body_keep > 0;
    tars_buf_init(&p->body, opts->max_body_keep);
    tars_http_parser_reset(p);
    *out = p;
    return TARS_OK;
}

void tars_http_parser_free(struct tars_http_parser *p)
{
    if (!p)
        return;
    tars_buf_release(&p->body);
    free(p->capture_name);
    free(p->capture);
    free(p);
}

void tars_http_parser_expect_head(struct tars_http_parser *p)
{
    p->expect_head = true;
}

void tars_http_parser_keep_body(struct tars_http_parser *p, bool keep)
{
    p->keep_next = keep && p->can_keep;
}

void tars_http_parser_capture(struct tars_http_parser *p, const char *name)
{
    if (name && p->capture_name ? strcmp(name, p->capture_name) == 0 : !name && !p->capture_name)
        return; /* the same as before: no allocation per response */
    free(p->capture_name);
    p->capture_name = NULL;
    if (!name || !*name || strlen(name) > TARS_HTTP_CAPTURE_NAME_MAX)
        return;
    p->capture_name = xstrdup(name);
    if (!p->capture)
        p->capture = xmalloc(TARS_HTTP_CAPTURE_MAX + 1);
}

const struct tars_http_response *tars_http_parser_response(const struct tars_http_parser *p)
{
    return &p->resp;
}

/* ---- http-parser callbacks ---- */

static int on_message_begin(http_parser *hp)
{
    struct tars_http_parser *p = hp->data;
    struct tars_http_response *r = &p->resp;

    p->started = true;
    p->keep_body = p->keep_next;
    r->status = 0;
    r->keep_alive = false;
    r->chunked = false;
    r->body_bytes = 0;
    r->body = NULL;
    r->body_len = 0;
    r->content_type[0] = '\0';
    r->connection[0] = '\0';
    r->captured = NULL;
    r->captured_len = 0;
    p->captured = false;
    p->capture_len = 0;
    tars_buf_reset(&p->body);
    return 0;
}

static enum header_slot slot_for(const struct tars_http_parser *p, const char *name, size_t len)
{
    if (p->capture_name && tars_memeq_nocase(name, len, p->capture_name))
        return SLOT_CAPTURE;
    if (tars_memeq_nocase(name, len, "content-type"))
        return SLOT_CONTENT_TYPE;
    if (tars_memeq_nocase(name, len, "connection"))
        return SLOT_CONNECTION;
    return SLOT_NONE;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    struct tars_http_parser *p = hp->data;

    if (p->headers_done)
        return 0; /* chunked trailers: not reported */
    if (p->in_value) {
        p->in_value = false;
        p->name_len = 0;
    }
    if (p->name_len + len > NAME_MAX_LEN) {
        p->name_len = NAME_MAX_LEN + 1;
        return 0;
    }
    memcpy(p->name + p->name_len, at, len);
    p->name_len += len;
    return 0;
}

/* The value buffer of a slot and its size. */
static char *slot_buffer(struct tars_http_response *r, enum header_slot slot, size_t *size)
{
    if (slot == SLOT_CONTENT_TYPE) {
        *size = sizeof(r->content_type);
        return r->content_type;
    }
    *size = sizeof(r->connection);
    return r->connection;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    struct tars_http_parser *p = hp->data;
    size_t size, room;
    char *dst;

    if (p->headers_done)
        return 0;
    if (!p->in_value) {
        p->in_value = true;
        p->slot = p->name_len <= NAME_MAX_LEN ? slot_for(p, p->name, p->name_len) : SLOT_NONE;
        p->slot_len = 0; /* a repeated header: the last one wins */
        if (p->slot == SLOT_CAPTURE) {
            p->captured = true;
            p->capture_len = 0;
        }
    }
    if (p->slot == SLOT_NONE)
        return 0;
    if (p->slot == SLOT_CAPTURE) { /* never cut: too long is reported as absent */
        if (p->capture_len <= TARS_HTTP_CAPTURE_MAX &&
            len <= TARS_HTTP_CAPTURE_MAX - p->capture_len)
            memcpy(p->capture + p->capture_len, at, len);
        p->capture_len = p->capture_len + len <= TARS_HTTP_CAPTURE_MAX ? p->capture_len + len
                                                                       : TARS_HTTP_CAPTURE_MAX + 1;
        return 0;
    }
    dst = slot_buffer(&p->resp, p->slot, &size);
    room = size - 1 - p->slot_len;
    if (len > room)
        len = room;
    memcpy(dst + p->slot_len, at, len);
    p->slot_len += len;
    dst[p->slot_len] = '\0';
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    struct tars_http_parser *p = hp->data;

    p->headers_done = true;
    p->resp.status = (int)hp->status_code;
    p->resp.version_minor = hp->http_minor;
    p->resp.chunked = (hp->flags & F_CHUNKED) != 0;
    /* 1 tells http-parser that this response has no body. */
    return p->expect_head ? 1 : 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    struct tars_http_parser *p = hp->data;

    p->resp.body_bytes += len;
    if (!p->keep_body)
        return 0;
    if (tars_buf_append(&p->body, at, len) != TARS_OK) {
        p->failed = TARS_ETOOBIG;
        return 1;
    }
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    struct tars_http_parser *p = hp->data;
    struct tars_http_response *r = &p->resp;

    r->keep_alive = http_should_keep_alive(hp) && !hp->upgrade;
    /* http-parser only refuses what follows when built strict; we always do. */
    p->ended = !r->keep_alive;
    if (p->keep_body) {
        r->body = p->body.data ? p->body.data : "";
        r->body_len = p->body.len;
    }
    if (p->captured && p->capture_len <= TARS_HTTP_CAPTURE_MAX) {
        p->capture[p->capture_len] = '\0';
        r->captured = p->capture;
        r->captured_len = p->capture_len;
    }
    p->expect_head = false;
    start_message(p);
    http_parser_pause(hp, 1);
    return 0;
}

/* ---- feeding ---- */

static int data_after_end(struct tars_http_parser *p, struct tars_err *err)
{
    p->failed = TARS_EINVAL;
    return tars_err_set(err, TARS_EINVAL,
                        "bad HTTP response: data after the response that "
                        "ends the connection");
}

static int parse_failed(struct tars_http_parser *p, struct tars_err *err)
{
    enum http_errno e = HTTP_PARSER_ERRNO(&p->hp);

    if (p->failed == TARS_ETOOBIG)
        return tars_err_set(err, TARS_ETOOBIG, "response body larger than %zu bytes", p->body.max);
    if (e == HPE_HEADER_OVERFLOW) {
        p->failed = TARS_ETOOBIG;
        return tars_err_set(err, TARS_ETOOBIG, "response header section larger than %d bytes",
                            TARS_HTTP_HEADER_MAX_CEILING);
    }
    p->failed = TARS_EINVAL;
    if (e == HPE_CLOSED_CONNECTION)
        return data_after_end(p, err);
    return tars_err_set(err, TARS_EINVAL, "bad HTTP response: %s", http_errno_description(e));
}

/* How many of len bytes may go to http-parser now (the header bound). */
static size_t feed_limit(struct tars_http_parser *p, size_t len)
{
    size_t room;

    if (p->headers_done)
        return len;
    room = p->max_header - p->header_bytes;
    return len < room ? len : room;
}

int tars_http_parser_feed(struct tars_http_parser *p, const char *data, size_t len, size_t *used,
                          struct tars_err *err)
{
    size_t off = 0;

    *used = 0;
    if (p->failed)
        return tars_err_set(err, p->failed, "HTTP parser used after an error without a reset");
    if (p->ended && len > 0)
        return data_after_end(p, err);
    while (off < len) {
        bool in_header = !p->headers_done;
        size_t chunk = feed_limit(p, len - off);
        size_t n;

        if (chunk == 0) {
            p->failed = TARS_ETOOBIG;
            return tars_err_set(err, TARS_ETOOBIG,
                                "response header section larger than %zu "
                                "bytes",
                                p->max_header);
        }
        n = http_parser_execute(&p->hp, &settings, data + off, chunk);
        off += n;
        if (HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED) {
            http_parser_pause(&p->hp, 0);
            *used = off;
            return TARS_OK;
        }
        if (HTTP_PARSER_ERRNO(&p->hp) != HPE_OK || n != chunk)
            return parse_failed(p, err);
        if (in_header && !p->headers_done)
            p->header_bytes += n;
    }
    *used = len;
    return TARS_AGAIN;
}

int tars_http_parser_eof(struct tars_http_parser *p, struct tars_err *err)
{
    if (p->failed)
        return tars_err_set(err, p->failed, "HTTP parser used after an error without a reset");
    if (!p->started)
        return tars_err_set(err, TARS_EUNAVAIL, "connection closed before a response");
    (void)http_parser_execute(&p->hp, &settings, NULL, 0); /* the verdict is in errno */
    if (HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED) {
        http_parser_pause(&p->hp, 0);
        return TARS_OK;
    }
    p->failed = TARS_EIO;
    return tars_err_set(err, TARS_EIO, "connection closed in the middle of a response");
}
