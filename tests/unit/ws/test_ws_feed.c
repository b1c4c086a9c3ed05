/* Feed messages read without a JSON tree, and the subscribe message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tars/ws.h"

static int parse(const char *text, struct tars_ws_feed_msg *m)
{
    return tars_ws_feed_parse(text, strlen(text), m, NULL);
}

static void test_message(void **state)
{
    struct tars_ws_feed_msg m;
    const char *text =
        "{\"type\":\"message\",\"payload\":{\"seq\":999,\"list\":[1,{\"timestamp\":5}],"
        "\"s\":\"a\\\"}\"},\"channel\":\"evaluation.updates\",\"seq\":42,"
        "\"timestamp\":1732380000123}";

    (void)state;
    assert_int_equal(parse(text, &m), TARS_OK);
    assert_int_equal(m.type, TARS_WS_FEED_MESSAGE);
    assert_true(m.has_seq);
    assert_int_equal(m.seq, 42); /* not the payload's */
    assert_true(m.has_timestamp);
    assert_true(m.timestamp == 1732380000123.0);
    assert_int_equal(m.channel_len, strlen("evaluation.updates"));
    assert_memory_equal(m.channel, "evaluation.updates", m.channel_len);
}

static void test_other_types(void **state)
{
    struct tars_ws_feed_msg m;

    (void)state;
    assert_int_equal(
        parse(" { \"type\" : \"subscribed\" , \"channel\":\"metrics\", \"seq\": 0 } ", &m), 0);
    assert_int_equal(m.type, TARS_WS_FEED_SUBSCRIBED);
    assert_true(m.has_seq);
    assert_int_equal(m.seq, 0);
    assert_int_equal(parse("{\"type\":\"resync_required\",\"channel\":\"c\",\"oldest_seq\":10,"
                           "\"last_seq\":90}",
                           &m),
                     0);
    assert_int_equal(m.type, TARS_WS_FEED_RESYNC);
    assert_int_equal(m.oldest_seq, 10);
    assert_int_equal(m.seq, 90);
    assert_int_equal(parse("{\"type\":\"heartbeat\",\"timestamp\":\"2026-11-23T10:00:00Z\"}", &m),
                     0);
    assert_int_equal(m.type, TARS_WS_FEED_HEARTBEAT);
    assert_false(m.has_timestamp); /* an ISO string is not the wall-clock number */
    assert_int_equal(parse("{\"type\":\"pong\"}", &m), 0);
    assert_int_equal(m.type, TARS_WS_FEED_PONG);
    assert_int_equal(parse("{\"type\":\"novel\",\"x\":null,\"y\":true}", &m), 0);
    assert_int_equal(m.type, TARS_WS_FEED_OTHER);
    assert_int_equal(parse("{}", &m), 0);
}

static void test_invalid(void **state)
{
    static const char *bad[] = {"",
                                "pong",
                                "[1]",
                                "{\"type\":",
                                "{\"type\":\"message\"",
                                "{\"a\":{\"b\":1}",
                                "{\"a\" 1}",
                                "{\"a\":\"unterminated}"};
    struct tars_ws_feed_msg m;
    char deep[200];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(bad[i], &m), TARS_EINVAL);
    memset(deep, '[', sizeof(deep));
    memcpy(deep, "{\"a\":", 5);
    deep[sizeof(deep) - 1] = '\0';
    assert_int_equal(parse(deep, &m), TARS_EINVAL); /* nesting is bounded */
}

/* A server's numbers are checked against the range of their field before any
 * cast (1e300 or NaN cast to int64_t is undefined; a huge negative then positive
 * seq made the sequence window slide ~10^17 times). */
static void test_numbers_out_of_range(void **state)
{
    static const char *bad[] = {
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":1e300}",
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":NaN}",
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":-Infinity}",
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":-9000000000000000000}",
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":1.5}",
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":9007199254740994}",
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":1,\"timestamp\":1e300}",
        "{\"type\":\"message\",\"channel\":\"c\",\"seq\":1,\"timestamp\":-1}",
        "{\"type\":\"resync_required\",\"oldest_seq\":-5,\"last_seq\":1}",
        "{\"type\":\"resync_required\",\"oldest_seq\":5,\"last_seq\":1e19}",
    };
    struct tars_ws_feed_msg m;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tars_err err = TARS_ERR_INIT;
        if (tars_ws_feed_parse(bad[i], strlen(bad[i]), &m, &err) != TARS_EINVAL)
            fail_msg("accepted %s", bad[i]);
        /* NaN and Infinity are not JSON at all; the rest name the range. */
        if (!strstr(err.msg, strstr(bad[i], "N") || strstr(bad[i], "In") ? "not valid JSON"
                                                                         : "out of range"))
            fail_msg("%s: %s", bad[i], err.msg);
    }
    assert_int_equal(
        parse("{\"type\":\"message\",\"seq\":9007199254740992,\"timestamp\":9e12}", &m), 0);
    assert_true(m.seq == INT64_C(9007199254740992));
}

static void test_subscribe(void **state)
{
    char out[128];

    (void)state;
    assert_int_equal(tars_ws_feed_subscribe(out, sizeof(out), "evaluation.updates", -1),
                     strlen("{\"type\":\"subscribe\",\"channel\":\"evaluation.updates\"}"));
    assert_string_equal(out, "{\"type\":\"subscribe\",\"channel\":\"evaluation.updates\"}");
    assert_true(tars_ws_feed_subscribe(out, sizeof(out), "metrics", 17) > 0);
    assert_string_equal(out, "{\"type\":\"subscribe\",\"channel\":\"metrics\",\"since_seq\":17}");
    assert_int_equal(tars_ws_feed_subscribe(out, sizeof(out), "a\"b", -1), 0);
    assert_int_equal(tars_ws_feed_subscribe(out, sizeof(out), "", -1), 0);
    assert_int_equal(tars_ws_feed_subscribe(out, 20, "metrics", -1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_subscribe),
        cmocka_unit_test(test_numbers_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
