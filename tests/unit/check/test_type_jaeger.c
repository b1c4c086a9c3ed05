/* The jaeger check type: trace continuity on canned /api/traces data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/misc_int.h"

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *v = json_loads(text, 0, &error);
    if (!v)
        fail_msg("bad test JSON: %s (line %d)", error.text, error.line);
    return v;
}

/* clang-format off */
#define REF(type, trace, span) "{\"refType\":\"" type "\",\"traceID\":\"" trace "\",\"spanID\":\"" span "\"}"

/* A root, two CHILD_OF descendants and a FOLLOWS_FROM: every parent there. */
#define HEALTHY_TRACE                                                                          \
    "{\"traceID\":\"aaaa0001\",\"spans\":["                                                    \
    "{\"traceID\":\"aaaa0001\",\"spanID\":\"a1\",\"operationName\":\"root\","                 \
    " \"references\":[],\"processID\":\"p1\"},"                                                \
    "{\"traceID\":\"aaaa0001\",\"spanID\":\"a2\",\"operationName\":\"xadd\",\"references\":["  \
    REF("CHILD_OF", "aaaa0001", "a1") "],\"processID\":\"p1\"},"                               \
    "{\"traceID\":\"aaaa0001\",\"spanID\":\"a3\",\"operationName\":\"xread\",\"references\":[" \
    REF("CHILD_OF", "aaaa0001", "a2") "],\"processID\":\"p2\"},"                               \
    "{\"traceID\":\"aaaa0001\",\"spanID\":\"a4\",\"operationName\":\"ack\",\"references\":["   \
    REF("FOLLOWS_FROM", "aaaa0001", "a3") "],\"processID\":\"p2\"}],"                          \
    "\"processes\":{"                                                                          \
    "\"p1\":{\"serviceName\":\"orchestration\",\"tags\":[{\"key\":\"region\",\"type\":\"string\"," \
    "\"value\":\"us-west-2\"}]},"                                                              \
    "\"p2\":{\"serviceName\":\"insight\",\"tags\":[{\"key\":\"region\",\"type\":\"string\","   \
    "\"value\":\"eu-central-1\"}]}}}"

/* A root; one good child; a child whose parent is missing; a child whose
 * reference points into another trace; a span naming itself as parent. */
#define BROKEN_TRACE                                                                            \
    "{\"traceID\":\"bbbb0002\",\"spans\":["                                                     \
    "{\"spanID\":\"b1\",\"operationName\":\"root\",\"references\":[],\"processID\":\"p1\"},"     \
    "{\"spanID\":\"b2\",\"operationName\":\"ok\",\"references\":[" REF("CHILD_OF", "bbbb0002", "b1") \
    "],\"processID\":\"p1\"},"                                                                  \
    "{\"spanID\":\"b3\",\"operationName\":\"lost\",\"references\":["                            \
    REF("CHILD_OF", "bbbb0002", "ffff") "],\"processID\":\"p1\","                              \
    " \"process\":{\"serviceName\":\"decoy\"}},"                                                \
    "{\"spanID\":\"b4\",\"operationName\":\"other\",\"references\":["                           \
    REF("CHILD_OF", "cccc0003", "b1") "],\"processID\":\"p1\"},"                               \
    "{\"spanID\":\"b5\",\"operationName\":\"self\",\"references\":["                            \
    REF("CHILD_OF", "bbbb0002", "b5") "],\"processID\":\"p1\"}],"                              \
    "\"processes\":{\"p1\":{\"serviceName\":\"consumer\",\"tags\":[]}}}"

/* clang-format on */

static void compute(const char *data, struct jaeger_continuity *c)
{
    char why[160] = "";
    json_t *d = parse(data);
    int rc = jaeger_continuity_compute(d, c, why, sizeof(why));

    json_decref(d);
    if (rc)
        fail_msg("compute: %s", why);
}

static void test_healthy_trace_is_one(void **state)
{
    struct jaeger_continuity c;

    (void)state;
    compute("[" HEALTHY_TRACE "]", &c);
    assert_int_equal(c.traces, 1);
    assert_int_equal(c.spans, 4);
    assert_int_equal(c.roots, 1);
    assert_int_equal(c.non_root, 3);
    assert_int_equal(c.resolved, 3);
    /* The original's formula, spans with references ÷ all spans, gives 0.75
     * here: roots must be left out for a healthy trace to reach 1. */
    assert_true((double)c.resolved / (double)c.non_root == 1.0);
    assert_string_equal(c.unresolved, "");
    assert_int_equal(c.multi_region, 1);
}

static void test_broken_trace_exact_fraction(void **state)
{
    struct jaeger_continuity c;

    (void)state;
    compute("[" BROKEN_TRACE "]", &c);
    assert_int_equal(c.spans, 5);
    assert_int_equal(c.roots, 1);
    assert_int_equal(c.non_root, 4);
    assert_int_equal(c.resolved, 1);
    assert_true(fabs((double)c.resolved / (double)c.non_root - 0.25) < 1e-12);
    /* Examples name the service from trace.processes, not span.process. */
    assert_string_equal(c.unresolved, "trace bbbb0002 span b3 (consumer/lost), "
                                      "trace bbbb0002 span b4 (consumer/other), "
                                      "trace bbbb0002 span b5 (consumer/self)");
    assert_int_equal(c.multi_region, 0);
}

static void test_several_traces_pool_spans(void **state)
{
    struct jaeger_continuity c;

    (void)state;
    compute("[" HEALTHY_TRACE "," BROKEN_TRACE "," HEALTHY_TRACE "]", &c);
    assert_int_equal(c.traces, 3);
    assert_int_equal(c.roots, 3);
    assert_int_equal(c.non_root, 10);
    assert_int_equal(c.resolved, 7);
    assert_int_equal(c.multi_region, 2);
}

static void test_roots_only_and_empty(void **state)
{
    struct jaeger_continuity c;

    (void)state;
    compute("[{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"s1\",\"references\":[]},"
            "{\"spanID\":\"s2\"}],\"processes\":{}}]",
            &c);
    assert_int_equal(c.spans, 2);
    assert_int_equal(c.roots, 2);
    assert_int_equal(c.non_root, 0);
    compute("[]", &c);
    assert_int_equal(c.traces, 0);
    assert_int_equal(c.spans, 0);
}

static void test_ids_compare_loosely(void **state)
{
    struct jaeger_continuity c;

    (void)state;
    /* A 64-bit trace id printed with leading zeros, hex in another case. */
    compute("[{\"traceID\":\"00000000000000001234abcd\",\"spans\":["
            "{\"spanID\":\"00AB\",\"references\":[]},"
            "{\"spanID\":\"01\",\"references\":[" REF(
                "CHILD_OF", "1234ABCD", "00ab") "]},"
                                                "{\"spanID\":\"02\",\"references\":[{\"refType\":"
                                                "\"CHILD_OF\",\"spanID\":\"01\"}]},"
                                                "{\"spanID\":\"03\",\"references\":[" REF(
                                                    "UNKNOWN", "1234abcd", "01") "]}"
                                                                                 "]}]",
            &c);
    assert_int_equal(c.non_root, 3);
    assert_int_equal(c.resolved, 2);
}

static void test_malformed(void **state)
{
    struct jaeger_continuity c;
    char why[160];
    json_t *d = parse("{\"data\":[]}");

    (void)state;
    assert_int_equal(jaeger_continuity_compute(d, &c, why, sizeof(why)), TARS_EINVAL);
    assert_non_null(strstr(why, "not a list"));
    json_decref(d);
    d = parse("[{\"traceID\":\"1\",\"spans\":[{\"operationName\":\"no id\"}]}]");
    assert_int_equal(jaeger_continuity_compute(d, &c, why, sizeof(why)), TARS_EINVAL);
    assert_non_null(strstr(why, "trace 0"));
    json_decref(d);
    d = parse("[{\"traceID\":\"1\"}]");
    assert_int_equal(jaeger_continuity_compute(d, &c, why, sizeof(why)), TARS_EINVAL);
    json_decref(d);
}

static const char *validate(const char *params_json)
{
    static struct tars_err err;
    const struct tars_check_type *t = tars_check_type_find("jaeger");
    struct tars_json_reader rd = tars_json_reader_named("p", &err, true);
    json_t *p = parse(params_json);
    int rc;

    assert_non_null(t);
    memset(&err, 0, sizeof(err));
    rc = t->read_params(&rd, p);
    json_decref(p);
    return rc ? err.msg : NULL;
}

static void test_validate(void **state)
{
    (void)state;
    assert_null(validate("{\"check\":\"continuity\",\"min\":0.99,\"lookback\":\"10m\"}"));
    assert_null(validate("{\"check\":\"services\",\"services\":[\"a\",\"b\"]}"));
    assert_non_null(
        strstr(validate("{\"check\":\"continuity\",\"min\":99}"), "min must be between 0 and 1"));
    assert_non_null(
        strstr(validate("{\"check\":\"continuity\",\"lookback\":\"soon\"}"), "lookback"));
    assert_non_null(strstr(validate("{\"check\":\"services\",\"services\":[]}"), "services"));
    assert_non_null(strstr(validate("{\"check\":\"traces\"}"), "traces_present"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_trace_is_one),
        cmocka_unit_test(test_broken_trace_exact_fraction),
        cmocka_unit_test(test_several_traces_pool_spans),
        cmocka_unit_test(test_roots_only_and_empty),
        cmocka_unit_test(test_ids_compare_loosely),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests_name("check_type_jaeger", tests, NULL, NULL);
}
