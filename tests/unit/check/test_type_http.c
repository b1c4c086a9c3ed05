/* Unit tests for the http check type's pure pieces: status and content
 * expectations over canned replies, percentiles, URL joining, headers and
 * the static validation of parameters. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/http_int.h"
#include "tars/check.h"
#include "tars/clock.h"

extern const struct tars_check_type tars_check_http;

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, e.text);
    return v;
}

static struct tars_check_fetch_reply reply_of(long status, const char *headers, const char *body)
{
    struct tars_check_fetch_reply r = {status, (char *)body, body ? strlen(body) : 0,
                                       (char *)headers, 1.0};
    return r;
}

/* ---- status ---- */

static bool valid_status(const char *text)
{
    json_t *v = parse(text);
    bool ok = http_status_valid(v);
    json_decref(v);
    return ok;
}

static void test_status_forms(void **state)
{
    json_t *one = parse("200"), *cls = parse("\"4xx\""), *list = parse("[200, \"401\"]");
    json_t *text = parse("\"200\"");
    char buf[64];

    (void)state;
    assert_true(http_status_matches(NULL, 204));
    assert_false(http_status_matches(NULL, 301));
    assert_true(http_status_matches(one, 200));
    assert_false(http_status_matches(one, 201));
    assert_true(http_status_matches(text, 200));
    assert_true(http_status_matches(cls, 429));
    assert_false(http_status_matches(cls, 500));
    assert_true(http_status_matches(list, 401));
    assert_false(http_status_matches(list, 403));
    http_status_describe(list, buf, sizeof(buf));
    assert_string_equal(buf, "200 or 401");
    http_status_describe(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "2xx");
    assert_true(http_status_valid(list));
    assert_false(valid_status("[]"));
    assert_false(valid_status("99"));
    assert_false(valid_status("\"6xx\""));
    assert_true(valid_status("\"5XX\""));
    json_decref(one);
    json_decref(cls);
    json_decref(list);
    json_decref(text);
}

/* ---- JSON expectations ---- */

static const char *health =
    "{\"status\":\"healthy\",\"version\":\"v1.0.1\",\"websocket_connections\":0,\"ok\":true,"
    "\"agents\":[{\"id\":\"dqn-1\",\"reward\":1.5},{\"id\":\"ppo-1\"}],\"meta\":{\"region\":\"eu\"}"
    "}";

static bool json_check(const char *expectations, char *why, size_t size)
{
    json_t *doc = parse(health), *list = parse(expectations);
    bool ok = http_expect_json(list, doc, why, size);
    json_decref(doc);
    json_decref(list);
    return ok;
}

static void test_json_expectations_pass(void **state)
{
    char why[256] = "";

    (void)state;
    assert_true(json_check("[{\"path\":\"status\",\"equals\":\"healthy\"}]", why, sizeof(why)));
    assert_true(
        json_check("[{\"path\":\"$.status\",\"in\":[\"healthy\",\"ok\"]}]", why, sizeof(why)));
    assert_true(json_check("[{\"path\":\"version\",\"contains\":\"1.0.1\"}]", why, sizeof(why)));
    assert_true(json_check("[{\"path\":\"agents[1].id\",\"equals\":\"ppo-1\"}]", why, sizeof(why)));
    assert_true(
        json_check("[{\"path\":\"agents[0].reward\",\"equals\":\"1.5\"}]", why, sizeof(why)));
    assert_true(
        json_check("[{\"path\":\"websocket_connections\",\"equals\":0.0}]", why, sizeof(why)));
    assert_true(json_check("[{\"path\":\"ok\",\"equals\":\"true\"}]", why, sizeof(why)));
    assert_true(json_check("[{\"path\":\"meta\",\"contains\":\"region\"}]", why, sizeof(why)));
    assert_true(json_check("[{\"path\":\"agents\",\"min_length\":2}]", why, sizeof(why)));
    assert_true(json_check("[{\"path\":\"missing\",\"exists\":false}]", why, sizeof(why)));
    assert_true(
        json_check("[{\"path\":\"agents\",\"contains\":{\"id\":\"ppo-1\"}}]", why, sizeof(why)));
}

static void test_json_expectations_fail_with_reason(void **state)
{
    char why[256] = "";

    (void)state;
    assert_false(json_check("[{\"path\":\"status\",\"equals\":\"ok\"}]", why, sizeof(why)));
    assert_string_equal(why, "json status is \"healthy\", expected \"ok\"");
    assert_false(json_check("[{\"path\":\"nope.deeper\",\"exists\":true}]", why, sizeof(why)));
    assert_string_equal(why, "json nope.deeper is absent");
    assert_false(json_check("[{\"path\":\"status\",\"exists\":false}]", why, sizeof(why)));
    assert_string_equal(why, "json status is present, expected absent");
    assert_false(json_check("[{\"path\":\"gone\",\"equals\":1}]", why, sizeof(why)));
    assert_string_equal(why, "json gone is absent");
    assert_false(json_check("[{\"path\":\"status\",\"in\":[\"ok\",\"up\"]}]", why, sizeof(why)));
    assert_string_equal(why, "json status is \"healthy\", expected one of [\"ok\",\"up\"]");
    assert_false(json_check("[{\"path\":\"agents\",\"min_length\":3}]", why, sizeof(why)));
    assert_string_equal(why, "json agents has length 2, expected at least 3");
    assert_false(json_check("[{\"path\":\"version\",\"contains\":\"2.0\"}]", why, sizeof(why)));
    assert_string_equal(why, "json version is \"v1.0.1\", which does not contain \"2.0\"");
    /* "0" is not the boolean false, and a string is not a number unless numeric */
    assert_false(
        json_check("[{\"path\":\"websocket_connections\",\"equals\":\"none\"}]", why, sizeof(why)));
    /* the first failing expectation is reported */
    assert_false(json_check(
        "[{\"path\":\"status\",\"equals\":\"healthy\"},{\"path\":\"x\",\"exists\":true}]", why,
        sizeof(why)));
    assert_string_equal(why, "json x is absent");
}

/* ---- content expectations over a reply ---- */

static bool content(const char *expect, const struct tars_check_fetch_reply *r, char *why,
                    size_t size)
{
    json_t *e = parse(expect);
    bool ok = http_expect_content(e, r, why, size);
    json_decref(e);
    return ok;
}

static void test_content_expectations(void **state)
{
    const char *headers = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 12\r\n"
                          "X-RateLimit-Limit: 30\r\nContent-Type: application/json\r\n\r\n";
    struct tars_check_fetch_reply r = reply_of(200, headers, "{\"status\":\"Healthy\"}");
    struct tars_check_fetch_reply text = reply_of(200, headers, "<html>T.A.R.S. dashboard</html>");
    char why[256];

    (void)state;
    assert_true(content("{\"body_contains\":\"Healthy\"}", &r, why, sizeof(why)));
    assert_false(content("{\"body_contains\":\"healthy\"}", &r, why, sizeof(why)));
    assert_string_equal(why, "body does not contain \"healthy\"");
    assert_true(
        content("{\"body_contains\":\"healthy\",\"case_insensitive\":true}", &r, why, sizeof(why)));
    assert_true(
        content("{\"body_contains_any\":[\"tars\",\"T.A.R.S.\"]}", &text, why, sizeof(why)));
    assert_false(
        content("{\"body_contains_any\":[\"grafana\",\"jaeger\"]}", &text, why, sizeof(why)));
    assert_string_equal(why, "body contains none of [\"grafana\",\"jaeger\"]");
    assert_true(content("{\"header_present\":[\"retry-after\",\"X-RateLimit-Limit\"]}", &r, why,
                        sizeof(why)));
    assert_false(content("{\"header_present\":[\"X-RateLimit-Reset\"]}", &r, why, sizeof(why)));
    assert_string_equal(why, "header X-RateLimit-Reset is missing");
    assert_false(
        content("{\"json\":[{\"path\":\"status\",\"exists\":true}]}", &text, why, sizeof(why)));
    assert_true(strncmp(why, "body is not JSON", 16) == 0);
    assert_true(content("{\"json\":[{\"path\":\"status\",\"equals\":\"Healthy\"}],\"status\":200}",
                        &r, why, sizeof(why)));
}

static void test_empty_body(void **state)
{
    struct tars_check_fetch_reply r = reply_of(204, "", NULL);
    char why[256];

    (void)state;
    assert_false(content("{\"body_contains\":\"x\"}", &r, why, sizeof(why)));
    assert_false(content("{\"json\":[{\"path\":\"a\",\"exists\":false}]}", &r, why, sizeof(why)));
    assert_string_equal(why, "body is not JSON (empty)");
    http_body_excerpt(NULL, 0, why, sizeof(why));
    assert_string_equal(why, "");
}

/* ---- percentiles, URLs, headers ---- */

static void test_percentile_nearest_rank(void **state)
{
    double v[20], one[1] = {7.5};

    (void)state;
    for (int i = 0; i < 20; i++)
        v[i] = (double)(20 - i); /* 20..1, unsorted */
    assert_true(http_percentile(v, 20, 95) == 19.0);
    assert_true(http_percentile(v, 20, 50) == 10.0);
    assert_true(http_percentile(v, 20, 100) == 20.0);
    assert_true(http_percentile(v, 20, 1) == 1.0);
    assert_true(http_percentile(one, 1, 95) == 7.5);
}

/* The latency judgement with nothing, or nothing finite, to judge, and at
 * its limit (p95 < 100 ms over the samples given). */
static void test_latency_table(void **state)
{
    static const struct {
        const char *what;
        double t[3];
        size_t n;
        enum tars_check_status want;
        const char *reason;
    } cases[] = {
        {"no data",
         {0},
         0,
         TARS_CHECK_ERROR,
         "no latency sample: none of 20 requests answered 200"},
        {"NaN", {5, NAN, 7}, 3, TARS_CHECK_ERROR, "latency sample 2 is NaN"},
        {"+Inf", {INFINITY}, 1, TARS_CHECK_ERROR, "latency sample 1 is +Inf"},
        {"-Inf", {3, -INFINITY}, 2, TARS_CHECK_ERROR, "is -Inf"},
        {"exactly at the limit", {100}, 1, TARS_CHECK_FAIL, "p95 100.0 ms, expected < 100 ms"},
        {"just under", {99.9, 1}, 2, TARS_CHECK_PASS, "p95 99.9 ms < 100 ms over 2 samples"},
    };
    struct tars_check_result r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double t[3];
        memcpy(t, cases[i].t, sizeof(t));
        memset(&r, 0, sizeof(r));
        http_latency_judge(t, cases[i].n, 20, 95, 100, "200", &r);
        if (r.status != cases[i].want || !strstr(r.reason, cases[i].reason))
            fail_msg("%s: got %s \"%s\", want %s \"...%s...\"", cases[i].what,
                     tars_check_status_name(r.status), r.reason,
                     tars_check_status_name(cases[i].want), cases[i].reason);
    }
}

static void test_url_join(void **state)
{
    char *u;

    (void)state;
    u = http_url_join("http://127.0.0.1:3001/", "/health");
    assert_string_equal(u, "http://127.0.0.1:3001/health");
    free(u);
    u = http_url_join("https://staging.tars.ai/api", "v1/agents");
    assert_string_equal(u, "https://staging.tars.ai/api/v1/agents");
    free(u);
    u = http_url_join("http://a", "https://b/x");
    assert_string_equal(u, "https://b/x");
    free(u);
}

static void test_headers(void **state)
{
    struct http_request rq = {0};
    json_t *good =
        parse("{\"Authorization\":\"Bearer abc\",\"X-Count\":3,\"X-Flag\":true,\"Cookie\":\"\"}");
    json_t *crlf = parse("{\"X-Evil\":\"a\\r\\nInjected: 1\"}"),
           *badname = parse("{\"Bad Name\":\"x\"}");
    char buf[200];

    (void)state;
    assert_null(http_headers_add(&rq, good, buf, sizeof(buf)));
    assert_int_equal(rq.header_count, 4);
    assert_string_equal(rq.headers[3], "Cookie:");
    assert_string_equal(rq.headers[0], "Authorization: Bearer abc");
    assert_string_equal(rq.headers[1], "X-Count: 3");
    assert_string_equal(rq.headers[2], "X-Flag: true");
    assert_true(http_request_has_header(&rq, "authorization"));
    assert_false(http_request_has_header(&rq, "Author"));
    assert_non_null(http_headers_add(&rq, crlf, buf, sizeof(buf)));
    assert_string_equal(buf, "header X-Evil must be one line of text");
    assert_non_null(http_headers_add(&rq, badname, buf, sizeof(buf)));
    http_request_release(&rq);
    json_decref(good);
    json_decref(crlf);
    json_decref(badname);
}

/* ---- validation of parameters ---- */

static const char *validate(const char *params, char *buf, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_json_reader rd = tars_json_reader_named("p", &err, true);
    json_t *p = parse(params);
    int rc = tars_check_http.read_params(&rd, p);

    json_decref(p);
    snprintf(buf, size, "%s", err.msg);
    return rc ? buf : NULL;
}

static void test_validate(void **state)
{
    char buf[300];

    (void)state;
    assert_null(
        validate("{\"path\":\"/health\",\"expect\":{\"status\":[200,\"2xx\"],\"json\":[{\"path\":"
                 "\"status\",\"in\":[\"healthy\",\"ok\"]}]}}",
                 buf, sizeof(buf)));
    assert_null(
        validate("{\"url\":\"http://x/\",\"method\":\"POST\",\"body\":{\"a\":1},\"latency\":"
                 "{\"samples\":\"20\",\"percentile\":95,\"below_ms\":100,\"only_status\":200}}",
                 buf, sizeof(buf)));
    assert_null(validate("{\"path\":\"/api/v1/agents\",\"expect_status_within\":{\"status\":429,"
                         "\"requests\":100},\"expect\":{\"header_present\":[\"Retry-After\"]}}",
                         buf, sizeof(buf)));
    assert_non_null(validate("{\"expect\":{}}", buf, sizeof(buf)));
    assert_string_equal(buf, "p: url, or path (joined to targets.api.base_url), is required");
    assert_non_null(validate("{\"path\":\"/\",\"expect\":{\"stauts\":200}}", buf, sizeof(buf)));
    assert_string_equal(buf, "p: unknown key \"stauts\" in expect (did you mean \"status\"?)");
    assert_non_null(validate("{\"path\":\"/\",\"latency\":{\"samples\":20}}", buf, sizeof(buf)));
    assert_string_equal(buf, "p: below_ms is required");
    assert_non_null(
        validate("{\"path\":\"/\",\"latency\":{\"below_ms\":5,\"samples\":0}}", buf, sizeof(buf)));
    assert_non_null(
        validate("{\"path\":\"/\",\"expect_status_within\":{\"requests\":5}}", buf, sizeof(buf)));
    assert_non_null(
        validate("{\"path\":\"/\",\"expect_status_within\":{\"status\":429,\"requests\":0}}", buf,
                 sizeof(buf)));
    assert_non_null(
        validate("{\"path\":\"/\",\"expect\":{\"json\":[{\"path\":\"a\"}]}}", buf, sizeof(buf)));
    assert_non_null(validate("{\"path\":\"/\",\"expect\":{\"status\":\"ok\"}}", buf, sizeof(buf)));
    assert_non_null(validate("{\"path\":\"/\",\"body\":12}", buf, sizeof(buf)));
    assert_non_null(validate("{\"path\":\"/\",\"headers\":[\"X: y\"]}", buf, sizeof(buf)));
    assert_non_null(
        validate("{\"path\":\"/\",\"latency\":{\"below_ms\":5},\"expect_status_within\":"
                 "{\"status\":429}}",
                 buf, sizeof(buf)));
}

/* ---- running against nothing: a refused connection is a transient error ---- */

static void test_run_refused_is_transient_error(void **state)
{
    json_t *params = parse("{\"url\":\"http://127.0.0.1:1/health\"}"), *targets = parse("{}");
    struct tars_check_ctx ctx = {NULL, params, targets, 2000, 0, TARS_ON_EMPTY_FAIL};
    struct tars_check_result r;

    (void)state;
    ctx.deadline_ns = tars_mono_ns() + 2000000000u;
    memset(&r, 0, sizeof(r));
    tars_check_http.run(&ctx, &r);
    assert_int_equal(r.status, TARS_CHECK_ERROR);
    assert_true(r.transient);
    json_decref(params);
    params = parse("{\"path\":\"/health\"}");
    ctx.params = params;
    tars_check_http.run(&ctx, &r);
    assert_int_equal(r.status, TARS_CHECK_ERROR);
    assert_false(r.transient);
    assert_string_equal(r.reason, "no url: give url, or path with targets.api.base_url");
    json_decref(params);
    json_decref(targets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_forms),
        cmocka_unit_test(test_json_expectations_pass),
        cmocka_unit_test(test_json_expectations_fail_with_reason),
        cmocka_unit_test(test_content_expectations),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_percentile_nearest_rank),
        cmocka_unit_test(test_latency_table),
        cmocka_unit_test(test_url_join),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_run_refused_is_transient_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
