/* Unit tests for the per-thread response cache of tars serve (cache.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cache.h"
#include "tars/clock.h"

struct fake_read {
    atomic_uint_fast64_t *generation;
    bool commit_during_read; /* a write commits while the data is read */
    int rc;
    int calls;
};

static int fake_read(void *ctx, json_t **out, struct tars_err *err)
{
    struct fake_read *f = ctx;

    f->calls++;
    if (f->rc)
        return tars_err_set(err, f->rc, "store down");
    *out = json_pack("{s:i}", "total", f->calls);
    if (f->commit_during_read)
        atomic_fetch_add_explicit(f->generation, 1, memory_order_release);
    return 0;
}

static uint64_t gen_now(atomic_uint_fast64_t *g)
{
    return atomic_load_explicit(g, memory_order_acquire);
}

static void test_fresh_until_a_write_commits(void **state)
{
    atomic_uint_fast64_t gen = 7;
    struct fake_read f = {&gen, false, 0, 0};
    struct srv_cached_body c = {0};
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(srv_cache_fill(&c, &gen, fake_read, &f, &err), 0);
    assert_string_equal(c.body, "{\"total\":1}");
    assert_int_equal(c.len, strlen("{\"total\":1}"));
    assert_true(srv_cache_fresh(&c, gen_now(&gen), tars_mono_ns()));
    atomic_fetch_add(&gen, 1);
    assert_false(srv_cache_fresh(&c, gen_now(&gen), tars_mono_ns()));
    srv_cache_release(&c);
    assert_null(c.body);
}

/* The bug this guards against: the generation was read after the data, so a
 * write committed during the read was cached as fresh with the old data. */
static void test_write_during_read_leaves_entry_stale(void **state)
{
    atomic_uint_fast64_t gen = 3;
    struct fake_read f = {&gen, true, 0, 0};
    struct srv_cached_body c = {0};
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(srv_cache_fill(&c, &gen, fake_read, &f, &err), 0);
    assert_non_null(c.body); /* still sent to this request */
    assert_int_equal(gen_now(&gen), 4);
    assert_false(srv_cache_fresh(&c, gen_now(&gen), tars_mono_ns()));
    srv_cache_release(&c);
}

static void test_expires_after_ttl(void **state)
{
    atomic_uint_fast64_t gen = 0;
    struct fake_read f = {&gen, false, 0, 0};
    struct srv_cached_body c = {0};
    struct tars_err err = TARS_ERR_INIT;
    uint64_t before = tars_mono_ns();
    (void)state;

    assert_int_equal(srv_cache_fill(&c, &gen, fake_read, &f, &err), 0);
    assert_true(c.expires_ns >= before + SRV_CACHE_TTL_NS);
    assert_true(srv_cache_fresh(&c, 0, c.expires_ns));
    assert_false(srv_cache_fresh(&c, 0, c.expires_ns + 1));
    srv_cache_release(&c);
}

static void test_read_error_empties_the_entry(void **state)
{
    atomic_uint_fast64_t gen = 0;
    struct fake_read f = {&gen, false, 0, 0};
    struct srv_cached_body c = {0};
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(srv_cache_fill(&c, &gen, fake_read, &f, &err), 0);
    f.rc = TARS_EUNAVAIL;
    assert_int_equal(srv_cache_fill(&c, &gen, fake_read, &f, &err), TARS_EUNAVAIL);
    assert_int_equal(err.code, TARS_EUNAVAIL);
    assert_null(c.body);
    assert_false(srv_cache_fresh(&c, 0, tars_mono_ns()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_until_a_write_commits),
        cmocka_unit_test(test_write_during_read_leaves_entry_stale),
        cmocka_unit_test(test_expires_after_ttl),
        cmocka_unit_test(test_read_error_empties_the_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
