/* Unit tests for lib/check/api/api_shape.c: JSON shapes and API snapshot comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tars/api_snapshot.h"

static json_t *parse(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void assert_shape(const char *doc, const char *want)
{
    json_t *v = parse(doc), *s = tars_api_shape(v), *w = parse(want);

    if (!json_equal(s, w)) {
        char *got = json_dumps(s, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("shape of %s: got %s, want %s", doc, got, want);
    }
    json_decref(v);
    json_decref(s);
    json_decref(w);
}

static void test_shapes(void **state)
{
    (void)state;
    assert_shape(
        "{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":null,\"e\":1.5}",
        "{\"a\":\"number\",\"b\":\"string\",\"c\":\"boolean\",\"d\":\"null\",\"e\":\"number\"}");
    assert_shape("[]", "[]");
    /* Elements are united: keys of all, null giving way to a type. */
    assert_shape("[{\"id\":\"a\",\"r\":null},{\"id\":\"b\",\"r\":0.5,\"extra\":[1]}]",
                 "[{\"id\":\"string\",\"r\":\"number\",\"extra\":[\"number\"]}]");
    assert_shape("[1,\"x\"]", "[\"mixed\"]");
}

/* A snapshot with one endpoint answering status with body. */
static json_t *snapshot(int status, const char *body)
{
    json_t *b = parse(body), *s = json_pack("{s:{s:{s:i,s:o}}}", "endpoints", "GET /x", "status",
                                            status, "shape", tars_api_shape(b));
    json_decref(b);
    return s;
}

static json_t *diff_of(int s1, const char *b1, int s2, const char *b2)
{
    json_t *a = snapshot(s1, b1), *b = snapshot(s2, b2), *d = tars_api_compare(a, b);
    json_decref(a);
    json_decref(b);
    return d;
}

static void assert_first(json_t *d, const char *list, const char *needle)
{
    const char *got = json_string_value(json_array_get(json_object_get(d, list), 0));
    if (!got || !strstr(got, needle))
        fail_msg("%s: want \"%s\", got \"%s\"", list, needle, got ? got : "(none)");
}

static void test_compatible_and_additions(void **state)
{
    json_t *d = diff_of(200, "{\"a\":1,\"n\":null}", 200, "{\"a\":2,\"n\":\"now set\",\"b\":[]}");
    (void)state;
    assert_int_equal(json_array_size(json_object_get(d, "breaking")), 0);
    assert_first(d, "additions", "GET /x.b: field added");
    json_decref(d);
}

static void test_breaking_changes(void **state)
{
    json_t *d;
    (void)state;

    d = diff_of(200, "{\"a\":1,\"b\":1}", 200, "{\"a\":1}");
    assert_first(d, "breaking", "GET /x.b: field removed");
    json_decref(d);
    d = diff_of(200, "{\"a\":1}", 200, "{\"a\":\"1\"}");
    assert_first(d, "breaking", "GET /x.a: type changed from number to string");
    json_decref(d);
    d = diff_of(200, "{\"l\":[{\"id\":1}]}", 200, "{\"l\":[{\"key\":1}]}");
    assert_first(d, "breaking", "GET /x.l[].id: field removed");
    json_decref(d);
    d = diff_of(200, "{}", 404, "{}");
    assert_first(d, "breaking", "GET /x: status 200 became 404");
    json_decref(d);
    d = diff_of(401, "{}", 200, "{}"); /* an endpoint that stopped asking for a token */
    assert_first(d, "breaking", "status 401 became 200");
    json_decref(d);
}

static void test_empty_list_is_unverified_not_passed_silently(void **state)
{
    json_t *d = diff_of(200, "{\"l\":[{\"id\":1}]}", 200, "{\"l\":[]}");
    (void)state;
    assert_int_equal(json_array_size(json_object_get(d, "breaking")), 0);
    assert_first(d, "unverified", "GET /x.l: now an empty list");
    json_decref(d);
}

static void test_missing_endpoint(void **state)
{
    json_t *a = snapshot(200, "{}"), *b = json_pack("{s:{}}", "endpoints"),
           *d = tars_api_compare(a, b);
    (void)state;
    assert_first(d, "breaking", "GET /x: endpoint not in the new snapshot");
    json_decref(d);
    d = tars_api_compare(b, a);
    assert_first(d, "additions", "GET /x: new endpoint");
    json_decref(d);
    json_decref(a);
    json_decref(b);
}

/* A baseline is read from a file: a shape that is not a string, object or
 * array once reached strcmp as NULL (SIGSEGV). */
static void test_malformed_baseline(void **state)
{
    static const char *const bad[][2] = {
        {"{\"endpoints\":{\"GET /x\":{\"status\":200,\"shape\":5}}}", "GET /x: not a shape"},
        {"{\"endpoints\":{\"GET /x\":{\"status\":200,\"shape\":{\"a\":[true]}}}}",
         "GET /x.a[]: not a shape"},
        {"{\"endpoints\":{\"GET /x\":{\"status\":200,\"shape\":\"numbr\"}}}", "unknown shape"},
        {"{\"endpoints\":{\"GET /x\":{\"status\":1e300,\"shape\":\"number\"}}}", "status"},
        {"{\"endpoints\":[]}", "not a snapshot"},
    };
    json_t *now = snapshot(200, "{\"a\":[1]}");
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tars_err err = TARS_ERR_INIT;
        json_t *old = parse(bad[i][0]), *d;
        assert_int_not_equal(tars_api_snapshot_check(old, &err), TARS_OK);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("%s: want \"%s\", got \"%s\"", bad[i][0], bad[i][1], err.msg);
        d = tars_api_compare(old, now); /* still defined without the check */
        assert_non_null(d);
        json_decref(d);
        json_decref(old);
    }
    json_decref(now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_compatible_and_additions),
        cmocka_unit_test(test_breaking_changes),
        cmocka_unit_test(test_empty_list_is_unverified_not_passed_silently),
        cmocka_unit_test(test_missing_endpoint),
        cmocka_unit_test(test_malformed_baseline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
