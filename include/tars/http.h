/*
 * HTTP/1.1 client pieces for the load engine: a request writer and an
 * incremental response parser (over http-parser). No sockets here: bytes in,
 * bytes out.
 */
#ifndef TARS_HTTP_H
#define TARS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/buf.h"
#include "tars/err.h"

/* ---- request writer ---------------------------------------------------- */

struct tars_http_header {
    const char *name;
    const char *value;
};

struct tars_http_request {
    const char *method;                     /* "GET", "POST", ... (a token) */
    const char *path;                       /* origin form: "/api/v1/agents?x=1" */
    const char *host;                       /* Host value (tars_url_authority); not
                                               written when headers carry a Host */
    const struct tars_http_header *headers; /* extra headers, written in order */
    size_t header_count;
    const char *body; /* NULL: no body and no Content-Length */
    size_t body_len;
};

/*
 * Appends the request to out:
 *   METHOD SP path SP "HTTP/1.1" CRLF
 *   "Host: " host CRLF             (unless a header named Host is given)
 *   name ": " value CRLF           (each extra header)
 *   "Content-Length: " n CRLF      (when body is non-NULL)
 *   CRLF body
 * Render once per task and resend the bytes for every request.
 * Everything is checked before anything is written: a method or header name
 * that is not a token, a path or value with CR, LF or other control bytes,
 * a missing Host, or a Content-Length / Transfer-Encoding header (the writer
 * owns framing) → TARS_EINVAL and out unchanged. Passing out's maximum →
 * TARS_ETOOBIG and out emptied (struct tars_buf's rule).
 */
int tars_http_request_write(struct tars_buf *out, const struct tars_http_request *req,
                            struct tars_err *err) TARS_MUST_CHECK;

/* The request line alone, "METHOD SP path SP HTTP/1.1 CRLF", checked as
 * tars_http_request_write checks method and path: for a client that keeps
 * the rest of a request written once and only changes its path. */
int tars_http_request_line_write(struct tars_buf *out, const char *method, const char *path,
                                 struct tars_err *err) TARS_MUST_CHECK;

/* ---- response parser --------------------------------------------------- */

#define TARS_HTTP_HEADER_MAX_DEFAULT (64 * 1024)
/* http-parser's own compile-time bound; larger configured limits are capped. */
#define TARS_HTTP_HEADER_MAX_CEILING (80 * 1024)

struct tars_http_parser_opts {
    size_t max_header_bytes; /* status line + headers; 0: TARS_HTTP_HEADER_MAX_DEFAULT */
    size_t max_body_keep;    /* 0: count the body only (the engine's fast path);
                                else keep up to this many bytes and fail with
                                TARS_ETOOBIG past it (no silent truncation) */
};

/* What the parser reports about one response; valid until the next feed. */
struct tars_http_response {
    int status;          /* 200, 404, ... */
    int version_minor;   /* HTTP/1.<minor> */
    bool keep_alive;     /* the connection may carry another request */
    bool chunked;        /* Transfer-Encoding: chunked */
    uint64_t body_bytes; /* decoded body length, kept or not */
    const char *body;    /* kept body, NUL-terminated; NULL when only counting */
    size_t body_len;
    char content_type[128]; /* "" when absent; longer values are cut */
    char connection[64];    /* the Connection header; likewise */
    /* The header named by tars_http_parser_capture: NULL when absent or
     * longer than TARS_HTTP_CAPTURE_MAX (never cut); else NUL-terminated. */
    const char *captured;
    size_t captured_len;
};

#define TARS_HTTP_CAPTURE_NAME_MAX 64
#define TARS_HTTP_CAPTURE_MAX 4096

typedef struct tars_http_parser tars_http_parser;

/*
 * One parser per connection, allocated once; no allocation per response
 * when only counting (a kept body grows one buffer that is then reused).
 * opts NULL: the defaults (64 KiB of headers, count the body). A header
 * limit above TARS_HTTP_HEADER_MAX_CEILING → TARS_EINVAL.
 */
int tars_http_parser_new(tars_http_parser **out, const struct tars_http_parser_opts *opts,
                         struct tars_err *err) TARS_MUST_CHECK;
void tars_http_parser_free(tars_http_parser *p);

/* Forgets all state, as for a new connection (also after an error). */
void tars_http_parser_reset(tars_http_parser *p);

/*
 * The next response answers a HEAD request: it has no body whatever its
 * Content-Length says. Call before feeding that response's first byte; it
 * applies to one response. (204, 304 and 1xx need no call: they never have
 * a body.)
 */
void tars_http_parser_expect_head(tars_http_parser *p);

/* The responses that begin from now on keep their body (keep, when the
 * parser was made with max_body_keep > 0; its bound applies) or only count
 * it: a client that reads the body of some responses only copies those. */
void tars_http_parser_keep_body(tars_http_parser *p, bool keep);

/* The responses from now on report the value of header name (case
 * insensitive, at most TARS_HTTP_CAPTURE_NAME_MAX bytes; longer or NULL:
 * none) in captured; the last one wins when repeated. Allocates once. */
void tars_http_parser_capture(tars_http_parser *p, const char *name);

/*
 * Parses data, which may be any piece of the byte stream:
 *   TARS_AGAIN  all len bytes consumed, the response is not complete yet;
 *   TARS_OK     a response completed after *used bytes: read it with
 *               tars_http_parser_response, then feed data + *used (a
 *               pipelined next response) when *used < len;
 *   < 0         the stream is not valid HTTP (TARS_EINVAL, message naming
 *               the problem, e.g. "bad HTTP response: invalid character in
 *               chunk size header"), or a bound was passed (TARS_ETOOBIG:
 *               header section or kept body). The connection must be closed
 *               and the parser reset before reuse.
 * Bytes after a response that ends the connection (Connection: close, or a
 * body delimited by the end of the stream) are an error.
 */
int tars_http_parser_feed(tars_http_parser *p, const char *data, size_t len, size_t *used,
                          struct tars_err *err) TARS_MUST_CHECK;

/*
 * The peer closed the connection. TARS_OK: that completed a response whose
 * body runs to the end of the stream; TARS_EUNAVAIL: no response had begun;
 * TARS_EIO: a response was cut short.
 */
int tars_http_parser_eof(tars_http_parser *p, struct tars_err *err) TARS_MUST_CHECK;

/* The last completed response (meaningful after TARS_OK). */
const struct tars_http_response *tars_http_parser_response(const tars_http_parser *p);

#endif
