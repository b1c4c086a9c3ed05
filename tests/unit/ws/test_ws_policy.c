/* The reconnect policy of TARS-1001: delays, the single loop, the heartbeat watch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tars/ws.h"

static void test_delays_without_jitter(void **state)
{
    struct tars_ws_backoff b = TARS_WS_BACKOFF_DEFAULT;
    static const int64_t want[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    struct tars_ws_backoff half = {500, 30000, false, 0};

    (void)state;
    for (int64_t n = 1; n <= 8; n++)
        assert_int_equal(tars_ws_backoff_delay(&b, n, 0.9), want[n - 1]);
    assert_int_equal(tars_ws_backoff_delay(&b, 1000000, 0.1), 30000); /* no overflow */
    assert_int_equal(tars_ws_backoff_delay(&half, 1, 0), 500);
    assert_int_equal(tars_ws_backoff_delay(&half, 2, 0), 1000);
    assert_int_equal(tars_ws_backoff_delay(&half, 3, 0), 2000);
}

static void test_jitter_bounds(void **state)
{
    struct tars_ws_backoff b = {1000, 30000, true, 0};
    static const double randoms[] = {0, 0.25, 0.5, 0.999999, -1, 7};

    (void)state;
    for (int64_t n = 1; n <= 10; n++) {
        struct tars_ws_backoff plain = b;
        int64_t base;
        plain.jitter = false;
        base = tars_ws_backoff_delay(&plain, n, 0);
        for (size_t i = 0; i < sizeof(randoms) / sizeof(randoms[0]); i++) {
            int64_t d = tars_ws_backoff_delay(&b, n, randoms[i]);
            assert_true(d >= base / 2);
            assert_true(d < base + base / 2);
        }
    }
    assert_int_equal(tars_ws_backoff_delay(&b, 1, 0), 500);
    assert_int_equal(tars_ws_backoff_delay(&b, 1, 0.5), 1000);
}

static void test_one_loop(void **state)
{
    struct tars_ws_backoff p = {500, 30000, false, 0};
    struct tars_ws_reconnect r;

    (void)state;
    tars_ws_reconnect_init(&r, &p);
    tars_ws_reconnect_succeeded(&r);
    assert_true(tars_ws_reconnect_request(&r, 1000, 0));
    assert_int_equal(r.state, TARS_WS_RC_WAITING);
    assert_int_equal(r.due_ms, 1500);
    /* the heartbeat watch and a read error both ask again: still one loop */
    assert_false(tars_ws_reconnect_request(&r, 1100, 0));
    assert_false(tars_ws_reconnect_request(&r, 1200, 0));
    assert_int_equal(r.due_ms, 1500);
    assert_false(tars_ws_reconnect_due(&r, 1499));
    assert_true(tars_ws_reconnect_due(&r, 1500));
    assert_false(tars_ws_reconnect_due(&r, 1600)); /* already connecting */
    assert_false(tars_ws_reconnect_request(&r, 1600, 0));
    tars_ws_reconnect_failed(&r, 1600, 0);
    assert_int_equal(r.due_ms, 2600); /* second attempt: 1 s */
    assert_true(tars_ws_reconnect_due(&r, 2600));
    tars_ws_reconnect_failed(&r, 2600, 0);
    assert_int_equal(r.due_ms, 4600); /* third: 2 s */
    assert_true(tars_ws_reconnect_due(&r, 4600));
    tars_ws_reconnect_succeeded(&r);
    assert_int_equal(r.attempt, 0);
    assert_int_equal(r.loops_started, 1);
    assert_true(tars_ws_reconnect_request(&r, 10000, 0));
    assert_int_equal(r.due_ms, 10500); /* the counter started again */
    assert_int_equal(r.loops_started, 2);
}

static void test_close_and_give_up(void **state)
{
    struct tars_ws_backoff p = {100, 1000, false, 2};
    struct tars_ws_reconnect r;

    (void)state;
    tars_ws_reconnect_init(&r, &p);
    assert_true(tars_ws_reconnect_request(&r, 0, 0));
    tars_ws_reconnect_close(&r);
    assert_false(tars_ws_reconnect_due(&r, 100000));
    assert_false(tars_ws_reconnect_request(&r, 100000, 0));
    tars_ws_reconnect_succeeded(&r);
    assert_int_equal(r.state, TARS_WS_RC_CLOSED);

    tars_ws_reconnect_init(&r, &p);
    assert_true(tars_ws_reconnect_request(&r, 0, 0));
    assert_true(tars_ws_reconnect_due(&r, 100));
    tars_ws_reconnect_failed(&r, 100, 0);
    assert_true(tars_ws_reconnect_due(&r, 300));
    tars_ws_reconnect_failed(&r, 300, 0);
    assert_int_equal(r.state, TARS_WS_RC_GAVE_UP); /* 2 attempts allowed */
    assert_false(tars_ws_reconnect_request(&r, 1000, 0));

    tars_ws_reconnect_init(&r, NULL); /* defaults: unlimited */
    assert_int_equal(r.policy.max_attempts, 0);
    assert_int_equal(r.policy.initial_ms, 1000);
    assert_int_equal(r.policy.max_ms, 30000);
}

static void test_heartbeat_watch(void **state)
{
    struct tars_ws_heartbeat h = TARS_WS_HEARTBEAT_DEFAULT;

    (void)state;
    tars_ws_heartbeat_seen(&h, 0);
    assert_int_equal(tars_ws_heartbeat_missed(&h, 39999), 0);
    assert_int_equal(tars_ws_heartbeat_missed(&h, 40000), 1);
    assert_int_equal(tars_ws_heartbeat_missed(&h, 69999), 1);
    assert_int_equal(tars_ws_heartbeat_missed(&h, 70000), 2);
    assert_false(tars_ws_heartbeat_expired(&h, 99999));
    assert_true(tars_ws_heartbeat_expired(&h, 100000));
    tars_ws_heartbeat_seen(&h, 99000); /* a heartbeat came: the count starts over */
    assert_int_equal(tars_ws_heartbeat_missed(&h, 100000), 0);
    assert_false(tars_ws_heartbeat_expired(&h, 150000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delays_without_jitter),
        cmocka_unit_test(test_jitter_bounds),
        cmocka_unit_test(test_one_loop),
        cmocka_unit_test(test_close_and_give_up),
        cmocka_unit_test(test_heartbeat_watch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
