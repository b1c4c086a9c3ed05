/* The HTTP/1.1 request writer. */
#include <stdio.h>
#include <string.h>

#include "tars/http.h"
#include "tars/str.h"

#define QUOTE_MAX 64

/* RFC 9110 tchar. */
static bool is_token_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int check_token(const char *s, const char *what, struct tars_err *err)
{
    size_t i;

    if (!s || !*s)
        return tars_err_set(err, TARS_EINVAL, "empty %s", what);
    for (i = 0; s[i]; i++)
        if (!is_token_char((unsigned char)s[i]))
            return tars_err_set(err, TARS_EINVAL, "bad character 0x%02x in %s \"%.*s\"",
                                (unsigned char)s[i], what, QUOTE_MAX, s);
    return TARS_OK;
}

/* Header values: visible bytes, spaces and tabs; no CR, LF or other controls. */
static int check_value(const char *s, const char *what, struct tars_err *err)
{
    if (!s)
        return tars_err_set(err, TARS_EINVAL, "missing %s", what);
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return tars_err_set(err, TARS_EINVAL, "bad character 0x%02x in %s", c, what);
    }
    return TARS_OK;
}

static int check_path(const char *s, struct tars_err *err)
{
    if (!s || !*s)
        return tars_err_set(err, TARS_EINVAL, "empty request path");
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return tars_err_set(err, TARS_EINVAL, "bad character 0x%02x in request path", c);
    }
    return TARS_OK;
}

static int check_header(const struct tars_http_header *h, bool *is_host, struct tars_err *err)
{
    int rc = check_token(h->name, "header name", err);
    size_t len;

    if (rc)
        return rc;
    len = strlen(h->name);
    if (tars_memeq_nocase(h->name, len, "content-length") ||
        tars_memeq_nocase(h->name, len, "transfer-encoding"))
        return tars_err_set(err, TARS_EINVAL, "header \"%s\" is set by the request writer",
                            h->name);
    *is_host = tars_memeq_nocase(h->name, len, "host");
    return check_value(h->value, "header value", err);
}

/* Checks everything; *write_host says whether req->host is to be written. */
static int check_request(const struct tars_http_request *req, bool *write_host,
                         struct tars_err *err)
{
    bool has_host = false;
    int rc = check_token(req->method, "method", err);

    if (!rc)
        rc = check_path(req->path, err);
    for (size_t i = 0; !rc && i < req->header_count; i++) {
        bool is_host = false;
        rc = check_header(&req->headers[i], &is_host, err);
        has_host = has_host || is_host;
    }
    if (rc)
        return rc;
    *write_host = !has_host;
    if (has_host)
        return TARS_OK;
    if (!req->host || !*req->host)
        return tars_err_set(err, TARS_EINVAL, "missing Host");
    return check_value(req->host, "Host", err);
}

/* Appends a, b, c in turn. */
static int put3(struct tars_buf *out, const char *a, const char *b, const char *c)
{
    int rc = tars_buf_puts(out, a);
    if (!rc)
        rc = tars_buf_puts(out, b);
    if (!rc)
        rc = tars_buf_puts(out, c);
    return rc;
}

static int put_body(struct tars_buf *out, const struct tars_http_request *req)
{
    char length[32];
    int rc;

    if (!req->body)
        return tars_buf_puts(out, "\r\n");
    snprintf(length, sizeof(length), "%zu", req->body_len);
    rc = put3(out, "Content-Length: ", length, "\r\n\r\n");
    if (!rc)
        rc = tars_buf_append(out, req->body, req->body_len);
    return rc;
}

int tars_http_request_line_write(struct tars_buf *out, const char *method, const char *path,
                                 struct tars_err *err)
{
    int rc = check_token(method, "method", err);

    if (!rc)
        rc = check_path(path, err);
    if (rc)
        return rc;
    rc = put3(out, method, " ", path);
    if (!rc)
        rc = tars_buf_puts(out, " HTTP/1.1\r\n");
    if (rc)
        return tars_err_set(err, rc, "request larger than %zu bytes", out->max);
    return TARS_OK;
}

int tars_http_request_write(struct tars_buf *out, const struct tars_http_request *req,
                            struct tars_err *err)
{
    bool write_host = true;
    int rc = check_request(req, &write_host, err);

    if (rc)
        return rc;
    rc = put3(out, req->method, " ", req->path);
    if (!rc)
        rc = tars_buf_puts(out, " HTTP/1.1\r\n");
    if (!rc && write_host)
        rc = put3(out, "Host: ", req->host, "\r\n");
    for (size_t i = 0; !rc && i < req->header_count; i++) {
        rc = put3(out, req->headers[i].name, ": ", req->headers[i].value);
        if (!rc)
            rc = tars_buf_puts(out, "\r\n");
    }
    if (!rc)
        rc = put_body(out, req);
    if (rc)
        return tars_err_set(err, rc, "request larger than %zu bytes", out->max);
    return TARS_OK;
}
