/* Unit tests for lib/auth rate limiter (sliding-window counter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <malloc.h>
#include <pthread.h>

#include "hash.h"
#include "tars/ratelimit.h"

#define MINUTE 60000
/* A wall-clock time at the start of a minute. */
#define BASE ((int64_t)28333334 * MINUTE)

static struct tars_ratelimit_result hit(tars_ratelimit *rl, const char *key, int64_t now)
{
    struct tars_ratelimit_result r;
    memset(&r, 0x5a, sizeof(r));
    tars_ratelimit_hit(rl, key, strlen(key), now, &r);
    return r;
}

static int count_allowed(tars_ratelimit *rl, const char *key, int64_t now, int n)
{
    int allowed = 0;
    for (int i = 0; i < n; i++)
        allowed += hit(rl, key, now).allowed;
    return allowed;
}

static void test_siphash_vector(void **state)
{
    uint8_t key[AUTH_HASH_KEY_LEN];
    (void)state;
    for (int i = 0; i < AUTH_HASH_KEY_LEN; i++)
        key[i] = (uint8_t)i;
    /* SipHash-2-4 paper, appendix: empty message under key 00..0f */
    assert_true(auth_hash64(key, "", 0) == 0x726fdb47dd0e0e31ull);
    assert_true(auth_hash64(key, "a", 1) != auth_hash64(key, "b", 1));
}

static void test_thirty_then_rejected(void **state)
{
    tars_ratelimit *rl = tars_ratelimit_new(30, MINUTE, 1024);
    struct tars_ratelimit_result r;
    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < 30; i++) {
        r = hit(rl, "client", BASE + i * 100);
        assert_true(r.allowed);
        assert_int_equal(r.limit, 30);
        assert_int_equal(r.remaining, 29 - i);
        assert_int_equal(r.reset_s, (BASE + MINUTE) / 1000);
        assert_int_equal(r.retry_after_s, 0);
    }
    r = hit(rl, "client", BASE + 3000);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.limit, 30);
    /* the estimate 30*(1-e/60s) drops to 29 two seconds into the next minute */
    assert_int_equal(r.retry_after_s, 59);
    for (int i = 0; i < 100; i++) /* rejected requests are not counted */
        assert_false(hit(rl, "client", BASE + 50000).allowed);
    assert_false(hit(rl, "client", BASE + MINUTE + 1999).allowed);
    r = hit(rl, "client", BASE + MINUTE + 2000);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.reset_s, (BASE + 2 * MINUTE) / 1000);
    tars_ratelimit_free(rl);
}

static void test_window_slides_gradually(void **state)
{
    tars_ratelimit *rl = tars_ratelimit_new(30, MINUTE, 1024);
    struct tars_ratelimit_result r;
    (void)state;
    assert_int_equal(count_allowed(rl, "k", BASE, 40), 30);
    /* halfway through the next minute the previous one weighs 15 */
    assert_int_equal(count_allowed(rl, "k", BASE + MINUTE + 30000, 14), 14);
    r = hit(rl, "k", BASE + MINUTE + 30000);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 0);
    r = hit(rl, "k", BASE + MINUTE + 30000);
    assert_false(r.allowed);
    /* 30*(1-e/60) + 15 <= 29 once e >= 32 s */
    assert_int_equal(r.retry_after_s, 2);
    assert_false(hit(rl, "k", BASE + MINUTE + 31999).allowed);
    assert_true(hit(rl, "k", BASE + MINUTE + 32000).allowed);
    /* after two idle minutes everything is forgotten */
    assert_int_equal(count_allowed(rl, "k", BASE + 4 * MINUTE, 40), 30);
    tars_ratelimit_free(rl);
}

static void test_keys_independent(void **state)
{
    tars_ratelimit *rl = tars_ratelimit_new(10, MINUTE, 1024);
    (void)state;
    assert_int_equal(count_allowed(rl, "10.0.0.1:POST:/login", BASE, 15), 10);
    assert_int_equal(count_allowed(rl, "10.0.0.2:POST:/login", BASE, 15), 10);
    assert_int_equal(count_allowed(rl, "10.0.0.1:GET:/health", BASE, 15), 10);
    assert_false(hit(rl, "10.0.0.1:POST:/login", BASE + 1).allowed);
    tars_ratelimit_free(rl);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    assert_null(tars_ratelimit_new(0, MINUTE, 1024));
    assert_null(tars_ratelimit_new(30, 0, 1024));
    assert_null(tars_ratelimit_new(-1, MINUTE, 1024));
    tars_ratelimit *rl = tars_ratelimit_new(1, 1000, 0); /* smallest table still works */
    assert_non_null(rl);
    assert_true(hit(rl, "a", 0).allowed);
    assert_false(hit(rl, "a", 10).allowed);
    assert_int_equal(hit(rl, "a", 10).retry_after_s, 2);
    tars_ratelimit_free(rl);
}

/* 100,000 distinct keys through 1,024 slots: the heap does not grow and a
 * busy key keeps its count. */
static void test_many_keys_bounded(void **state)
{
    tars_ratelimit *rl = tars_ratelimit_new(30, MINUTE, 1024);
    struct mallinfo2 before, after;
    int hot_allowed = 0;
    char key[32];
    (void)state;
    hit(rl, "warm-up", BASE);
    before = mallinfo2();
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "client-%d", i);
        assert_true(hit(rl, key, BASE + i / 10).allowed);
        if (i % 50 == 0)
            hot_allowed += hit(rl, "hot", BASE + i / 10).allowed;
    }
    after = mallinfo2();
    assert_int_equal(after.uordblks, before.uordblks);
    assert_int_equal(after.arena, before.arena);
    assert_int_equal(hot_allowed, 30);
    tars_ratelimit_free(rl);
}

struct thread_arg {
    tars_ratelimit *rl;
    int allowed;
};

static void *hammer(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 5000; i++) {
        struct tars_ratelimit_result r;
        tars_ratelimit_hit(a->rl, "shared", 6, BASE + 10, &r);
        a->allowed += r.allowed;
    }
    return NULL;
}

static void test_threads_count_exactly(void **state)
{
    tars_ratelimit *rl = tars_ratelimit_new(7000, MINUTE, 1024);
    struct thread_arg args[4];
    pthread_t th[4];
    int total = 0;
    (void)state;
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){rl, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        total += args[i].allowed;
    }
    assert_int_equal(total, 7000);
    tars_ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vector),          cmocka_unit_test(test_thirty_then_rejected),
        cmocka_unit_test(test_window_slides_gradually), cmocka_unit_test(test_keys_independent),
        cmocka_unit_test(test_bad_parameters),          cmocka_unit_test(test_many_keys_bounded),
        cmocka_unit_test(test_threads_count_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
