/* Response and request-input helpers shared by the handlers. */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "server_int.h"
#include "tars/buf.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/log.h"
#include "tars/str.h"

void srv_add_header(struct srv_req *r, const char *name, const char *value)
{
    h2o_req_t *req = r->req;
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL,
                          h2o_strdup(&req->pool, value, SIZE_MAX).base, strlen(value));
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Internal Server Error";
    }
}

/* Records metrics and hands the body to h2o. Every response goes here. */
static void send_body(struct srv_req *r, int status, const char *type, const char *body, size_t len)
{
    h2o_req_t *req = r->req;

    r->answered = true;
    srv_metrics_request(r->th->shard, r->route, srv_method_parse(req->method.base, req->method.len),
                        status, tars_mono_ns() - r->started_ns);
    if (status >= 500) /* the path without its query, which may hold a token (/ws?token=) */
        tars_log(TARS_LOG_WARN, r->trace.trace_id, r->trace.span_id, "%.*s %.*s -> %d",
                 (int)req->method.len, req->method.base, (int)req->path_normalized.len,
                 req->path_normalized.base, status);
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    /* A known length keeps HTTP/1.1 connections alive for every status
     * (h2o 2.2 only chunks 200 responses; others would end in a close). */
    req->res.content_length = len;
    if (type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
                       strlen(type));
    h2o_send_inline(req, body, len);
}

void srv_send_text(struct srv_req *r, int status, const char *type, const char *body, size_t len)
{
    send_body(r, status, type, body, len);
}

void srv_send_json(struct srv_req *r, int status, json_t *v)
{
    struct tars_buf b = TARS_BUF_INIT(SRV_MAX_RESPONSE);

    if (!v || tars_json_dump(v, &b)) {
        json_decref(v);
        tars_buf_release(&b);
        srv_send_error(r, 500, "internal", "response could not be serialised");
        return;
    }
    json_decref(v);
    if (status == 204) {
        send_body(r, status, NULL, "", 0);
    } else {
        /* h2o_send_inline copies the body into the request pool. */
        send_body(r, status, "application/json", b.data, b.len);
    }
    tars_buf_release(&b);
}

bool srv_cache_send(struct srv_req *r, struct srv_cached_body *c)
{
    uint64_t gen = atomic_load_explicit(&r->th->srv->data_generation, memory_order_acquire);

    if (!srv_cache_fresh(c, gen, tars_mono_ns()))
        return false;
    send_body(r, 200, "application/json", c->body, c->len);
    return true;
}

void srv_cache_fill_and_send(struct srv_req *r, struct srv_cached_body *c, srv_cache_read_fn read,
                             void *ctx)
{
    struct tars_err err = TARS_ERR_INIT;
    int rc = srv_cache_fill(c, &r->th->srv->data_generation, read, ctx, &err);

    if (rc == SRV_CACHE_EDUMP)
        srv_send_error(r, 500, "internal", "response could not be serialised");
    else if (rc)
        srv_send_store_error(r, &err);
    else
        send_body(r, 200, "application/json", c->body, c->len);
}

void srv_send_error(struct srv_req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *v;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    v = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    if (!v) {
        send_body(r, 500, "application/json", "{\"error\":{\"code\":\"internal\"}}", 30);
        return;
    }
    srv_send_json(r, status, v);
}

void srv_send_store_error(struct srv_req *r, const struct tars_err *err)
{
    switch (err->code) {
    case TARS_ENOTFOUND: srv_send_error(r, 404, "not_found", "%s", err->msg); break;
    case TARS_ECONFLICT: srv_send_error(r, 409, "conflict", "%s", err->msg); break;
    case TARS_EINVAL: srv_send_error(r, 422, "validation_failed", "%s", err->msg); break;
    case TARS_ENOSPACE:
        tars_log(TARS_LOG_ERROR, r->trace.trace_id, r->trace.span_id, "storage: %s", err->msg);
        srv_add_header(r, "retry-after", SRV_STORAGE_RETRY_AFTER);
        srv_send_error(r, 507, "insufficient_storage", "storage is full; nothing was written");
        break;
    case TARS_EUNAVAIL:
    case TARS_EIO:
        tars_log(TARS_LOG_ERROR, r->trace.trace_id, r->trace.span_id, "storage: %s", err->msg);
        srv_add_header(r, "retry-after", SRV_STORAGE_RETRY_AFTER);
        srv_send_error(r, 503, "unavailable", "storage is unavailable");
        break;
    default:
        tars_log(TARS_LOG_ERROR, r->trace.trace_id, r->trace.span_id, "storage: %s", err->msg);
        srv_send_error(r, 500, "internal", "internal error");
    }
}

void srv_send_field_errors(struct srv_req *r, struct tars_field_errors *fe)
{
    srv_send_error(r, 422, "validation_failed", "invalid fields: %s",
                   fe->text.data ? fe->text.data : "(too many to list)");
}

static bool content_type_is_json(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    h2o_iovec_t v;
    size_t n;

    if (i < 0)
        return false;
    v = req->headers.entries[i].value;
    n = 0;
    while (n < v.len && v.base[n] != ';' && v.base[n] != ' ')
        n++;
    return tars_memeq_nocase(v.base, n, "application/json");
}

json_t *srv_read_json_body(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v = NULL;

    if (!content_type_is_json(r->req)) {
        srv_send_error(r, 415, "unsupported_media_type", "the body must be application/json");
        return NULL;
    }
    if (r->req->entity.len > SRV_MAX_BODY) {
        srv_send_error(r, 413, "payload_too_large", "the body is over %d bytes", SRV_MAX_BODY);
        return NULL;
    }
    if (tars_json_parse(r->req->entity.base ? r->req->entity.base : "", r->req->entity.len, &v,
                        &err)) {
        srv_send_error(r, 400, "bad_json", "malformed JSON: %s", err.msg);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        srv_send_error(r, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return v;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes src[0..len) into out; false if malformed or too long. */
static bool url_decode(const char *src, size_t len, char *out, size_t out_size)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (o + 1 >= out_size)
            return false;
        if (c == '%') {
            int hi, lo;
            if (len - i < 3)
                return false;
            hi = hexval(src[i + 1]);
            lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

enum srv_query srv_query_get(struct srv_req *r, const char *name, char *out, size_t out_size)
{
    h2o_req_t *req = r->req;
    const char *q, *end;
    size_t name_len = strlen(name);

    if (req->query_at == SIZE_MAX)
        return SRV_Q_ABSENT;
    q = req->path.base + req->query_at + 1;
    end = req->path.base + req->path.len;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        if (eq && (size_t)(eq - q) == name_len && memcmp(q, name, name_len) == 0)
            return url_decode(eq + 1, (size_t)(stop - eq - 1), out, out_size) ? SRV_Q_OK
                                                                              : SRV_Q_BAD;
        q = stop + 1;
    }
    return SRV_Q_ABSENT;
}

bool srv_query_str(struct srv_req *r, const char *name, char *out, size_t out_size, bool *present)
{
    switch (srv_query_get(r, name, out, out_size)) {
    case SRV_Q_OK: *present = out[0] != '\0'; return true;
    case SRV_Q_ABSENT: *present = false; return true;
    default:
        srv_send_error(r, 400, "bad_request", "query parameter \"%s\" is malformed or too long",
                       name);
        return false;
    }
}

bool srv_query_int(struct srv_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
    char v[32];
    bool present;

    if (!srv_query_str(r, name, v, sizeof(v), &present))
        return false;
    if (!present)
        return true;
    if (tars_parse_i64(v, min, max, out)) {
        srv_send_error(r, 400, "bad_request",
                       "query parameter \"%s\" must be an integer in %lld..%lld", name,
                       (long long)min, (long long)max);
        return false;
    }
    return true;
}

json_t *srv_json_time(int64_t ms)
{
    char s[TARS_ISO8601_LEN];
    if (ms <= 0)
        return json_null();
    tars_iso8601(ms, s);
    return json_string(s);
}
