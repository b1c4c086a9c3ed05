/* Unit tests for lib/http: the request writer and the response parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/http.h"

/* ---- request writer ---- */

static void test_request_get_exact_bytes(void **state)
{
    struct tars_buf out = TARS_BUF_INIT(4096);
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_http_header headers[] = {
        {"Accept", "application/json"},
        {"Authorization", "Bearer abc.def"},
    };
    struct tars_http_request req = {
        "GET", "/api/v1/agents?limit=10", "example.com:8080", headers, 2, NULL, 0};
    (void)state;
    assert_int_equal(tars_http_request_write(&out, &req, &err), TARS_OK);
    assert_string_equal(out.data, "GET /api/v1/agents?limit=10 HTTP/1.1\r\n"
                                  "Host: example.com:8080\r\n"
                                  "Accept: application/json\r\n"
                                  "Authorization: Bearer abc.def\r\n"
                                  "\r\n");
    tars_buf_release(&out);
}

/* The request line alone: the same bytes and checks as the whole request's. */
static void test_request_line(void **state)
{
    struct tars_buf out = TARS_BUF_INIT(4096), small = TARS_BUF_INIT(16);
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_int_equal(tars_http_request_line_write(&out, "GET", "/a/7?x=1", &err), TARS_OK);
    assert_string_equal(out.data, "GET /a/7?x=1 HTTP/1.1\r\n");
    tars_buf_reset(&out);
    assert_int_equal(tars_http_request_line_write(&out, "GET", "/a b", &err), TARS_EINVAL);
    assert_string_equal(err.msg, "bad character 0x20 in request path");
    assert_int_equal(tars_http_request_line_write(&out, "GET", "/a\r\nX: y", &err), TARS_EINVAL);
    assert_int_equal(tars_http_request_line_write(&out, "GET", "", &err), TARS_EINVAL);
    assert_int_equal(tars_http_request_line_write(&out, "G T", "/", &err), TARS_EINVAL);
    assert_int_equal(out.len, 0);
    assert_int_equal(tars_http_request_line_write(&small, "GET", "/0123456789", &err),
                     TARS_ETOOBIG);
    tars_buf_release(&out);
    tars_buf_release(&small);
}

static void test_request_post_with_body(void **state)
{
    struct tars_buf out = TARS_BUF_INIT(4096);
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_http_header headers[] = {{"Content-Type", "application/json"}};
    const char body[] = "{\"agent\":\"a1\"}";
    struct tars_http_request req = {"POST", "/api/v1/evaluations", "h", headers, 1,
                                    body,   strlen(body)};
    (void)state;
    assert_int_equal(tars_http_request_write(&out, &req, &err), TARS_OK);
    assert_string_equal(out.data, "POST /api/v1/evaluations HTTP/1.1\r\n"
                                  "Host: h\r\n"
                                  "Content-Type: application/json\r\n"
                                  "Content-Length: 14\r\n"
                                  "\r\n"
                                  "{\"agent\":\"a1\"}");
    /* An empty body still says so. */
    tars_buf_reset(&out);
    req.body = "";
    req.body_len = 0;
    req.header_count = 0;
    assert_int_equal(tars_http_request_write(&out, &req, &err), TARS_OK);
    assert_string_equal(out.data, "POST /api/v1/evaluations HTTP/1.1\r\nHost: h\r\n"
                                  "Content-Length: 0\r\n\r\n");
    tars_buf_release(&out);
}

static void test_request_host_from_headers(void **state)
{
    struct tars_buf out = TARS_BUF_INIT(4096);
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_http_header headers[] = {{"host", "virtual.example"}};
    struct tars_http_request req = {"DELETE", "/x", NULL, headers, 1, NULL, 0};
    (void)state;
    assert_int_equal(tars_http_request_write(&out, &req, &err), TARS_OK);
    assert_string_equal(out.data, "DELETE /x HTTP/1.1\r\nhost: virtual.example\r\n\r\n");
    tars_buf_release(&out);
}

/* Writes req after "prefix": TARS_EINVAL with message, the buffer unchanged. */
static void request_fails(const struct tars_http_request *req, const char *message)
{
    struct tars_buf out = TARS_BUF_INIT(4096);
    struct tars_err err = TARS_ERR_INIT;

    assert_int_equal(tars_buf_puts(&out, "prefix"), TARS_OK);
    assert_int_equal(tars_http_request_write(&out, req, &err), TARS_EINVAL);
    assert_string_equal(err.msg, message);
    assert_string_equal(out.data, "prefix");
    tars_buf_release(&out);
}

static void test_request_rejects_bad_parts(void **state)
{
    struct tars_http_header injected[] = {{"X-A", "1\r\nX-Evil: 2"}};
    struct tars_http_header framing[] = {{"Content-Length", "5"}};
    struct tars_http_header chunked[] = {{"transfer-encoding", "chunked"}};
    struct tars_http_header bad_name[] = {{"X A", "1"}};
    struct tars_http_request req = {"GET", "/", "h", NULL, 0, NULL, 0};
    (void)state;

    req.method = "GE T";
    request_fails(&req, "bad character 0x20 in method \"GE T\"");
    req.method = "";
    request_fails(&req, "empty method");
    req.method = "GET";
    req.path = "/a b";
    request_fails(&req, "bad character 0x20 in request path");
    req.path = "/";
    req.host = "h\r\nX: y";
    request_fails(&req, "bad character 0x0d in Host");
    req.host = NULL;
    request_fails(&req, "missing Host");
    req.host = "h";
    req.headers = injected;
    req.header_count = 1;
    request_fails(&req, "bad character 0x0d in header value");
    req.headers = framing;
    request_fails(&req, "header \"Content-Length\" is set by the request writer");
    req.headers = chunked;
    request_fails(&req, "header \"transfer-encoding\" is set by the request writer");
    req.headers = bad_name;
    request_fails(&req, "bad character 0x20 in header name \"X A\"");
}

static void test_request_bounded_by_buffer(void **state)
{
    struct tars_buf out = TARS_BUF_INIT(32);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_http_request req = {
        "GET", "/a/rather/long/path/indeed", "example.com", NULL, 0, NULL, 0};
    (void)state;
    assert_int_equal(tars_http_request_write(&out, &req, &err), TARS_ETOOBIG);
    assert_string_equal(err.msg, "request larger than 32 bytes");
    assert_null(out.data);
    tars_buf_release(&out);
}

/* ---- response parser ---- */

static tars_http_parser *new_parser(size_t max_header, size_t keep)
{
    struct tars_http_parser_opts opts = {max_header, keep};
    struct tars_err err = TARS_ERR_INIT;
    tars_http_parser *p = NULL;
    assert_int_equal(tars_http_parser_new(&p, &opts, &err), TARS_OK);
    assert_non_null(p);
    return p;
}

static const char simple[] = "HTTP/1.1 200 OK\r\n"
                             "Content-Type: application/json; charset=utf-8\r\n"
                             "Content-Length: 16\r\n"
                             "X-Other: ignored\r\n"
                             "\r\n"
                             "{\"status\":\"ok\"}\n";

static void test_response_byte_by_byte(void **state)
{
    tars_http_parser *p = new_parser(0, 1024);
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_http_response *r;
    size_t len = strlen(simple), used;
    (void)state;

    for (size_t i = 0; i + 1 < len; i++) {
        assert_int_equal(tars_http_parser_feed(p, simple + i, 1, &used, &err), TARS_AGAIN);
        assert_int_equal(used, 1);
    }
    assert_int_equal(tars_http_parser_feed(p, simple + len - 1, 1, &used, &err), TARS_OK);
    assert_int_equal(used, 1);
    r = tars_http_parser_response(p);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->version_minor, 1);
    assert_true(r->keep_alive);
    assert_false(r->chunked);
    assert_string_equal(r->content_type, "application/json; charset=utf-8");
    assert_string_equal(r->connection, "");
    assert_int_equal(r->body_bytes, 16);
    assert_int_equal(r->body_len, 16);
    assert_string_equal(r->body, "{\"status\":\"ok\"}\n");
    tars_http_parser_free(p);
}

static const char chunked[] = "HTTP/1.1 200 OK\r\n"
                              "Transfer-Encoding: chunked\r\n"
                              "Content-Type: text/plain\r\n"
                              "\r\n"
                              "7\r\nMozilla\r\n"
                              "9;ext=1\r\nDeveloper\r\n"
                              "7\r\nNetwork\r\n"
                              "0\r\n"
                              "X-Trailer: t\r\n"
                              "\r\n";

/* Feeds pieces [0,i) [i,j) [j,len) and checks the result. */
static void feed_split3(tars_http_parser *p, size_t i, size_t j)
{
    struct tars_err err = TARS_ERR_INIT;
    size_t len = strlen(chunked), used;
    const struct tars_http_response *r;

    if (i > 0)
        assert_int_equal(tars_http_parser_feed(p, chunked, i, &used, &err), TARS_AGAIN);
    if (j > i)
        assert_int_equal(tars_http_parser_feed(p, chunked + i, j - i, &used, &err), TARS_AGAIN);
    assert_int_equal(tars_http_parser_feed(p, chunked + j, len - j, &used, &err), TARS_OK);
    assert_int_equal(used, len - j);
    r = tars_http_parser_response(p);
    assert_int_equal(r->status, 200);
    assert_true(r->chunked);
    assert_true(r->keep_alive);
    assert_string_equal(r->content_type, "text/plain");
    assert_int_equal(r->body_bytes, 23);
    assert_string_equal(r->body, "MozillaDeveloperNetwork");
}

static void test_response_chunked_every_split(void **state)
{
    tars_http_parser *p = new_parser(0, 1024);
    size_t len = strlen(chunked);
    (void)state;

    /* Every two-piece and three-piece split, one parser reused throughout. */
    for (size_t i = 0; i < len; i++)
        for (size_t j = i; j < len; j++)
            feed_split3(p, i, j);
    tars_http_parser_free(p);
}

/* Feeds a buffer holding several responses; returns how many completed. */
static size_t feed_all(tars_http_parser *p, const char *data, size_t len, int *statuses,
                       char bodies[][32], size_t max)
{
    struct tars_err err = TARS_ERR_INIT;
    size_t count = 0, used;

    while (len > 0) {
        int rc = tars_http_parser_feed(p, data, len, &used, &err);
        if (rc == TARS_AGAIN)
            break;
        if (rc != TARS_OK)
            fail_msg("feed: %s", err.msg);
        assert_true(count < max);
        statuses[count] = tars_http_parser_response(p)->status;
        snprintf(bodies[count], 32, "%s", tars_http_parser_response(p)->body);
        count++;
        data += used;
        len -= used;
    }
    return count;
}

static void test_response_pipelined(void **state)
{
    const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
                       "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
    const char three[] = "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx"
                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                         "HTTP/1.1 204 No Content\r\n\r\n";
    tars_http_parser *p = new_parser(0, 1024);
    int statuses[4];
    char bodies[4][32];
    (void)state;

    assert_int_equal(feed_all(p, two, strlen(two), statuses, bodies, 4), 2);
    assert_int_equal(statuses[0], 200);
    assert_string_equal(bodies[0], "abc");
    assert_int_equal(statuses[1], 404);
    assert_string_equal(bodies[1], "no");
    assert_int_equal(feed_all(p, three, strlen(three), statuses, bodies, 4), 3);
    assert_int_equal(statuses[0], 201);
    assert_string_equal(bodies[0], "x");
    assert_int_equal(statuses[1], 200);
    assert_string_equal(bodies[1], "hi");
    assert_int_equal(statuses[2], 204);
    assert_string_equal(bodies[2], "");
    tars_http_parser_free(p);
}

static void test_response_without_body(void **state)
{
    const char no_content[] = "HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n";
    const char not_modified[] = "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n";
    const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    tars_http_parser *p = new_parser(0, 0);
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_http_response *r = tars_http_parser_response(p);
    size_t used;
    (void)state;

    assert_int_equal(tars_http_parser_feed(p, no_content, strlen(no_content), &used, &err),
                     TARS_OK);
    assert_int_equal(used, strlen(no_content));
    assert_int_equal(r->status, 204);
    assert_int_equal(r->body_bytes, 0);
    assert_null(r->body); /* counting mode keeps nothing */
    assert_true(r->keep_alive);
    assert_int_equal(tars_http_parser_feed(p, not_modified, strlen(not_modified), &used, &err),
                     TARS_OK);
    assert_int_equal(r->status, 304);
    assert_int_equal(used, strlen(not_modified));
    /* A HEAD answer announces a length but carries no body. */
    tars_http_parser_expect_head(p);
    assert_int_equal(tars_http_parser_feed(p, head, strlen(head), &used, &err), TARS_OK);
    assert_int_equal(used, strlen(head));
    assert_int_equal(r->status, 200);
    assert_int_equal(r->body_bytes, 0);
    /* The HEAD mark applied to one response only: now the body is expected. */
    assert_int_equal(tars_http_parser_feed(p, head, strlen(head), &used, &err), TARS_AGAIN);
    tars_http_parser_free(p);
}

static void test_response_close_delimited_body(void **state)
{
    const char text[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until the end";
    const char old[] = "HTTP/1.0 200 OK\r\n\r\nold style";
    tars_http_parser *p = new_parser(0, 1024);
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_http_response *r = tars_http_parser_response(p);
    size_t used;
    (void)state;

    assert_int_equal(tars_http_parser_feed(p, text, strlen(text), &used, &err), TARS_AGAIN);
    assert_int_equal(tars_http_parser_eof(p, &err), TARS_OK);
    assert_int_equal(r->status, 200);
    assert_false(r->keep_alive);
    assert_string_equal(r->connection, "close");
    assert_string_equal(r->body, "body until the end");
    assert_int_equal(r->body_bytes, strlen("body until the end"));

    tars_http_parser_reset(p);
    assert_int_equal(tars_http_parser_feed(p, old, strlen(old), &used, &err), TARS_AGAIN);
    assert_int_equal(tars_http_parser_eof(p, &err), TARS_OK);
    assert_int_equal(r->version_minor, 0);
    assert_false(r->keep_alive);
    assert_string_equal(r->body, "old style");
    tars_http_parser_free(p);
}

static void test_response_close_with_length_then_extra_bytes(void **state)
{
    const char text[] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
                        "HTTP/1.1 200 OK\r\n";
    tars_http_parser *p = new_parser(0, 0);
    struct tars_err err = TARS_ERR_INIT;
    size_t used, len = strlen(text);
    (void)state;

    assert_int_equal(tars_http_parser_feed(p, text, len, &used, &err), TARS_OK);
    assert_false(tars_http_parser_response(p)->keep_alive);
    assert_int_equal(tars_http_parser_feed(p, text + used, len - used, &used, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "bad HTTP response: data after the response that ends the "
                                 "connection");
    tars_http_parser_free(p);
}

static void test_response_eof_cases(void **state)
{
    const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    tars_http_parser *p = new_parser(0, 0);
    struct tars_err err = TARS_ERR_INIT;
    size_t used;
    (void)state;

    assert_int_equal(tars_http_parser_eof(p, &err), TARS_EUNAVAIL);
    assert_string_equal(err.msg, "connection closed before a response");
    tars_http_parser_reset(p);
    assert_int_equal(tars_http_parser_feed(p, cut, strlen(cut), &used, &err), TARS_AGAIN);
    assert_int_equal(tars_http_parser_eof(p, &err), TARS_EIO);
    assert_string_equal(err.msg, "connection closed in the middle of a response");
    tars_http_parser_free(p);
}

static void test_response_header_bound(void **state)
{
    tars_http_parser *p = new_parser(1024, 0);
    struct tars_err err = TARS_ERR_INIT;
    char line[100];
    size_t used, fed = 0;
    int rc;
    (void)state;

    rc = tars_http_parser_feed(p, "HTTP/1.1 200 OK\r\n", 17, &used, &err);
    assert_int_equal(rc, TARS_AGAIN);
    fed += 17;
    /* Headers that never end: stopped at the bound, not at http-parser's 80 KiB. */
    memset(line, 'a', sizeof(line));
    memcpy(line, "X-Pad: ", 7);
    memcpy(line + sizeof(line) - 2, "\r\n", 2);
    while (rc == TARS_AGAIN) {
        rc = tars_http_parser_feed(p, line, sizeof(line), &used, &err);
        fed += sizeof(line);
        assert_true(fed < 1024 + 2 * sizeof(line));
    }
    assert_int_equal(rc, TARS_ETOOBIG);
    assert_string_equal(err.msg, "response header section larger than 1024 bytes");
    /* Dead until reset. */
    assert_int_equal(tars_http_parser_feed(p, "x", 1, &used, &err), TARS_ETOOBIG);
    tars_http_parser_free(p);
}

/* A response whose header section is exactly n bytes (n >= 64), body "z". */
static size_t response_with_header_section(char *out, size_t n)
{
    const char *start = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-Pad: ";
    size_t len = strlen(start);

    memcpy(out, start, len);
    memset(out + len, 'p', n - len - 4);
    memcpy(out + n - 4, "\r\n\r\nz", 5);
    return n + 1;
}

static void test_response_header_bound_is_exact(void **state)
{
    tars_http_parser *at = new_parser(256, 0);
    tars_http_parser *under = new_parser(255, 0);
    struct tars_err err = TARS_ERR_INIT;
    char text[300];
    size_t used, len = response_with_header_section(text, 256);
    (void)state;

    assert_int_equal(tars_http_parser_feed(at, text, len, &used, &err), TARS_OK);
    assert_int_equal(used, len);
    assert_int_equal(tars_http_parser_response(at)->body_bytes, 1);
    assert_int_equal(tars_http_parser_feed(under, text, len, &used, &err), TARS_ETOOBIG);
    assert_string_equal(err.msg, "response header section larger than 255 bytes");
    tars_http_parser_free(at);
    tars_http_parser_free(under);
}

static void test_response_header_limit_above_ceiling(void **state)
{
    struct tars_http_parser_opts opts = {TARS_HTTP_HEADER_MAX_CEILING + 1, 0};
    struct tars_err err = TARS_ERR_INIT;
    tars_http_parser *p = NULL;
    (void)state;
    assert_int_equal(tars_http_parser_new(&p, &opts, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "header limit 81921 is above 81920 bytes");
    assert_null(p);
    assert_int_equal(tars_http_parser_new(&p, NULL, &err), TARS_OK); /* defaults */
    assert_non_null(p);
    tars_http_parser_free(p);
}

static void test_response_endless_body(void **state)
{
    const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n";
    char block[4096];
    tars_http_parser *keep = new_parser(0, 10000);
    tars_http_parser *count = new_parser(0, 0);
    struct tars_err err = TARS_ERR_INIT;
    size_t used, fed = 0;
    int rc;
    (void)state;

    memset(block, 'b', sizeof(block));
    assert_int_equal(tars_http_parser_feed(keep, head, strlen(head), &used, &err), TARS_AGAIN);
    assert_int_equal(tars_http_parser_feed(count, head, strlen(head), &used, &err), TARS_AGAIN);
    do {
        rc = tars_http_parser_feed(keep, block, sizeof(block), &used, &err);
        fed += sizeof(block);
    } while (rc == TARS_AGAIN && fed < 1000000);
    assert_int_equal(rc, TARS_ETOOBIG);
    assert_int_equal(fed, 3 * sizeof(block)); /* the third block passes 10000 */
    assert_string_equal(err.msg, "response body larger than 10000 bytes");
    /* Counting mode: 4 MB go through and are counted, nothing is kept. */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(tars_http_parser_feed(count, block, sizeof(block), &used, &err),
                         TARS_AGAIN);
    tars_http_parser_free(keep);
    tars_http_parser_free(count);
}

static void test_response_garbage(void **state)
{
    const char *cases[] = {
        "hello world\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/9.9.9 200 OK\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
    };
    tars_http_parser *p = new_parser(0, 0);
    size_t used;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tars_err err = TARS_ERR_INIT;
        tars_http_parser_reset(p);
        assert_int_equal(tars_http_parser_feed(p, cases[i], strlen(cases[i]), &used, &err),
                         TARS_EINVAL);
        assert_non_null(strstr(err.msg, "bad HTTP response: "));
        assert_true(strlen(err.msg) > strlen("bad HTTP response: "));
    }
    tars_http_parser_free(p);
}

static void test_response_bad_chunk_size(void **state)
{
    const char text[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\nzz\r\nhello\r\n0\r\n\r\n";
    tars_http_parser *p = new_parser(0, 1024);
    struct tars_err err = TARS_ERR_INIT;
    size_t used;
    (void)state;

    assert_int_equal(tars_http_parser_feed(p, text, strlen(text), &used, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "bad HTTP response: invalid character in chunk size header");
    /* After a reset the same parser works again. */
    tars_http_parser_reset(p);
    assert_int_equal(tars_http_parser_feed(p, simple, strlen(simple), &used, &err), TARS_OK);
    assert_int_equal(tars_http_parser_response(p)->status, 200);
    tars_http_parser_free(p);
}

static void test_response_long_header_values_are_cut(void **state)
{
    char text[600];
    tars_http_parser *p = new_parser(0, 0);
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_http_response *r = tars_http_parser_response(p);
    size_t used;
    (void)state;

    snprintf(text, sizeof(text),
             "HTTP/1.1 200 OK\r\nContent-Type: text/%0300d\r\nConnection: keep-alive\r\n"
             "Content-Length: 0\r\n\r\n",
             7);
    assert_int_equal(tars_http_parser_feed(p, text, strlen(text), &used, &err), TARS_OK);
    assert_int_equal(strlen(r->content_type), sizeof(r->content_type) - 1);
    assert_memory_equal(r->content_type, "text/0000", 9);
    assert_string_equal(r->connection, "keep-alive");
    tars_http_parser_free(p);
}

/* Body keeping switched per response: only the responses begun after a
 * switch follow it (one in the middle waits for the next), counted either
 * way; a counting parser cannot be switched to keep. */
static void test_response_keep_body_switch(void **state)
{
    const char one[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    tars_http_parser *p = new_parser(0, 1024), *counting = new_parser(0, 0);
    const struct tars_http_response *r = tars_http_parser_response(p);
    struct tars_err err = TARS_ERR_INIT;
    size_t used;
    (void)state;

    tars_http_parser_keep_body(p, false);
    assert_int_equal(tars_http_parser_feed(p, one, strlen(one), &used, &err), TARS_OK);
    assert_null(r->body);
    assert_int_equal(r->body_bytes, 5);
    tars_http_parser_keep_body(p, true);
    assert_int_equal(tars_http_parser_feed(p, one, 40, &used, &err), TARS_AGAIN);
    tars_http_parser_keep_body(p, false); /* mid-response: for the next one */
    assert_int_equal(tars_http_parser_feed(p, one + 40, strlen(one) - 40, &used, &err), TARS_OK);
    assert_non_null(r->body);
    assert_int_equal(r->body_len, 5);
    assert_memory_equal(r->body, "hello", 5);
    assert_int_equal(tars_http_parser_feed(p, one, strlen(one), &used, &err), TARS_OK);
    assert_null(r->body);
    tars_http_parser_keep_body(counting, true);
    assert_int_equal(tars_http_parser_feed(counting, one, strlen(one), &used, &err), TARS_OK);
    assert_null(tars_http_parser_response(counting)->body);
    assert_int_equal(tars_http_parser_response(counting)->body_bytes, 5);
    tars_http_parser_free(p);
    tars_http_parser_free(counting);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_get_exact_bytes),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_request_post_with_body),
        cmocka_unit_test(test_request_host_from_headers),
        cmocka_unit_test(test_request_rejects_bad_parts),
        cmocka_unit_test(test_request_bounded_by_buffer),
        cmocka_unit_test(test_response_byte_by_byte),
        cmocka_unit_test(test_response_chunked_every_split),
        cmocka_unit_test(test_response_pipelined),
        cmocka_unit_test(test_response_without_body),
        cmocka_unit_test(test_response_close_delimited_body),
        cmocka_unit_test(test_response_close_with_length_then_extra_bytes),
        cmocka_unit_test(test_response_eof_cases),
        cmocka_unit_test(test_response_header_bound),
        cmocka_unit_test(test_response_header_bound_is_exact),
        cmocka_unit_test(test_response_header_limit_above_ceiling),
        cmocka_unit_test(test_response_endless_body),
        cmocka_unit_test(test_response_garbage),
        cmocka_unit_test(test_response_bad_chunk_size),
        cmocka_unit_test(test_response_long_header_values_are_cut),
        cmocka_unit_test(test_response_keep_body_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
