/* Unit tests for lib/auth W3C traceparent handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/err.h"
#include "tars/trace.h"

#define TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define PARENT "00f067aa0ba902b7"
#define VALID "00-" TRACE "-" PARENT "-01"

static int parse(const char *s, struct tars_trace_ctx *ctx)
{
    return tars_traceparent_parse(s, strlen(s), ctx);
}

static void test_valid(void **state)
{
    struct tars_trace_ctx ctx;
    (void)state;
    assert_int_equal(parse(VALID, &ctx), TARS_OK);
    assert_string_equal(ctx.trace_id, TRACE);
    assert_string_equal(ctx.parent_id, PARENT);
    assert_int_equal(ctx.flags, 1);
    assert_string_equal(ctx.span_id, "");
    assert_int_equal(parse("00-" TRACE "-" PARENT "-00", &ctx), TARS_OK);
    assert_int_equal(ctx.flags, 0);
    assert_int_equal(parse("00-" TRACE "-" PARENT "-ff", &ctx), TARS_OK);
    assert_int_equal(ctx.flags, 0xff);
    /* a future version may carry more fields after a dash */
    assert_int_equal(parse("01-" TRACE "-" PARENT "-01", &ctx), TARS_OK);
    assert_int_equal(parse("cc-" TRACE "-" PARENT "-09-whatever-comes", &ctx), TARS_OK);
    assert_string_equal(ctx.trace_id, TRACE);
    assert_int_equal(ctx.flags, 9);
    /* only len bytes are read */
    assert_int_equal(tars_traceparent_parse(VALID "garbage", 55, &ctx), TARS_OK);
}

static void test_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "00",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" PARENT "-01", /* uppercase */
        "00-" TRACE "-00F067AA0BA902B7-01",
        "00-" TRACE "-" PARENT "-0A",
        "0A-" TRACE "-" PARENT "-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-" PARENT "-01",  /* short trace id */
        "00-" TRACE "-00f067aa0ba902b-01",                   /* short parent id */
        "00-" TRACE "-" PARENT "-1",                         /* short flags */
        "00-00000000000000000000000000000000-" PARENT "-01", /* zero trace id */
        "00-" TRACE "-0000000000000000-01",                  /* zero parent id */
        "ff-" TRACE "-" PARENT "-01",                        /* version ff */
        "00_" TRACE "-" PARENT "-01",                        /* separators */
        "00-" TRACE "_" PARENT "-01",
        "00-" TRACE "-" PARENT "_01",
        "00-" TRACE "-" PARENT "-01-", /* 00 with extras */
        "00-" TRACE "-" PARENT "-01x",
        "00-" TRACE "-" PARENT "-010",
        "01-" TRACE "-" PARENT "-01x", /* later: needs a dash */
        "00-" TRACE "-" PARENT "-0g",
        "0-0" TRACE "-" PARENT "-01",
        " 00-" TRACE "-" PARENT "-01",
    };
    struct tars_trace_ctx ctx;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], &ctx) != TARS_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(tars_traceparent_parse(NULL, 55, &ctx), TARS_EINVAL);
    assert_int_equal(tars_traceparent_parse(VALID, 54, &ctx), TARS_EINVAL);
}

static bool is_id(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789abcdef") == n && strspn(s, "0") != n;
}

static void test_begin_continues(void **state)
{
    struct tars_trace_ctx a, b;
    (void)state;
    tars_trace_begin(VALID, strlen(VALID), &a);
    assert_string_equal(a.trace_id, TRACE);
    assert_string_equal(a.parent_id, PARENT);
    assert_int_equal(a.flags, 1);
    assert_true(is_id(a.span_id, 16));
    assert_string_not_equal(a.span_id, PARENT);
    tars_trace_begin(VALID, strlen(VALID), &b);
    assert_string_not_equal(a.span_id, b.span_id);
    tars_trace_begin("00-" TRACE "-" PARENT "-00", 55, &b);
    assert_int_equal(b.flags, 0);
}

static void test_begin_restarts(void **state)
{
    static const char upper[] = "00-4BF92F3577B34DA6A3CE929D0E0E4736-" PARENT "-01";
    struct tars_trace_ctx a, b;
    (void)state;
    tars_trace_begin(NULL, 0, &a);
    assert_true(is_id(a.trace_id, 32));
    assert_true(is_id(a.span_id, 16));
    assert_string_equal(a.parent_id, "");
    assert_int_equal(a.flags, 1);
    tars_trace_begin(upper, strlen(upper), &b);
    assert_true(is_id(b.trace_id, 32));
    assert_string_not_equal(b.trace_id, a.trace_id);
    assert_string_equal(b.parent_id, "");
    assert_int_equal(b.flags, 1);
}

static void test_format_round_trip(void **state)
{
    struct tars_trace_ctx a, b;
    char out[TARS_TRACEPARENT_LEN];
    (void)state;
    tars_trace_begin(VALID, strlen(VALID), &a);
    tars_traceparent_format(&a, out);
    assert_int_equal(strlen(out), 55);
    assert_int_equal(parse(out, &b), TARS_OK);
    assert_string_equal(b.trace_id, TRACE);
    assert_string_equal(b.parent_id, a.span_id); /* our span is the next hop's parent */
    assert_int_equal(b.flags, 1);
    assert_true(strncmp(out, "00-" TRACE "-", 36) == 0);
    assert_string_equal(out + 52, "-01");
    a.flags = 0xab;
    tars_traceparent_format(&a, out);
    assert_string_equal(out + 52, "-ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_begin_continues),
        cmocka_unit_test(test_begin_restarts),
        cmocka_unit_test(test_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
