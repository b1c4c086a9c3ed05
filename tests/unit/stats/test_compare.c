/* Unit tests for lib/stats/compare.c (Mann-Whitney) against hand-checked references
 * and a brute-force count of pairs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "tars/stats.h"

static tars_hist *hist_of(const uint64_t *v, size_t n)
{
    tars_hist *h = tars_hist_new();

    for (size_t i = 0; i < n; i++)
        tars_hist_record(h, v[i]);
    return h;
}

static void assert_near(double got, double want, double tolerance)
{
    if (fabs(got - want) > tolerance)
        fail_msg("got %.12g, want %.12g", got, want);
}

/* References: U by counting pairs, z and p from the textbook formulas
 * (computed apart, in Python's math module). */
static void test_separated_samples(void **state)
{
    const uint64_t low[] = {1, 2, 3, 4, 5}, high[] = {6, 7, 8, 9, 10};
    tars_hist *a = hist_of(low, 5), *b = hist_of(high, 5);
    struct tars_stats_comparison mw;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_stats_compare(a, b, &mw, &err), TARS_OK);
    assert_near(mw.u, 0, 0);
    assert_near(mw.effect, 0, 0);
    assert_near(mw.z, 2.5067182457620487, 1e-12);
    assert_near(mw.p_value, 0.012185780355344818, 1e-12);
    assert_int_equal(tars_stats_compare(b, a, &mw, &err), TARS_OK);
    assert_near(mw.u, 25, 0);
    assert_near(mw.effect, 1, 0);
    assert_near(mw.p_value, 0.012185780355344818, 1e-12);
    tars_hist_free(a);
    tars_hist_free(b);
}

static void test_ties(void **state)
{
    const uint64_t x[] = {1, 2, 2, 3, 3, 3}, y[] = {2, 3, 3, 4, 4, 5};
    tars_hist *a = hist_of(x, 6), *b = hist_of(y, 6);
    struct tars_stats_comparison mw;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_stats_compare(a, b, &mw, &err), TARS_OK);
    assert_near(mw.u, 7, 0);
    assert_near(mw.effect, 7.0 / 36, 1e-15);
    assert_near(mw.z, 1.7600287353976034, 1e-12);
    assert_near(mw.p_value, 0.07840293453326797, 1e-12);
    tars_hist_free(a);
    tars_hist_free(b);
}

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Values below 256 ns have a bucket each, so bucket ties are value ties. */
static void test_u_matches_pair_count(void **state)
{
    uint64_t x[400], y[300], seed = 3;
    double pairs = 0;
    tars_hist *a, *b;
    struct tars_stats_comparison mw;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    for (size_t i = 0; i < 400; i++)
        x[i] = next_u64(&seed) % 200;
    for (size_t i = 0; i < 300; i++)
        y[i] = 20 + next_u64(&seed) % 200;
    for (size_t i = 0; i < 400; i++)
        for (size_t j = 0; j < 300; j++)
            pairs += x[i] > y[j] ? 1 : x[i] == y[j] ? 0.5 : 0;
    a = hist_of(x, 400);
    b = hist_of(y, 300);
    assert_int_equal(tars_stats_compare(a, b, &mw, &err), TARS_OK);
    assert_near(mw.u, pairs, 0);
    assert_true(mw.effect < 0.5);
    tars_hist_free(a);
    tars_hist_free(b);
}

static tars_hist *lognormal(uint64_t seed, double scale, size_t n)
{
    tars_hist *h = tars_hist_new();

    for (size_t i = 0; i < n; i++) {
        double u1 = ((double)(next_u64(&seed) >> 11) + 0.5) * 0x1.0p-53;
        double u2 = ((double)(next_u64(&seed) >> 11) + 0.5) * 0x1.0p-53;
        double z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        tars_hist_record(h, (uint64_t)(scale * exp(log(20e6) + 0.5 * z)));
    }
    return h;
}

static void test_detects_shift_not_noise(void **state)
{
    tars_hist *base = lognormal(1, 1.0, 20000), *same = lognormal(2, 1.0, 20000);
    tars_hist *slower = lognormal(3, 1.03, 20000);
    struct tars_stats_comparison mw;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_stats_compare(slower, base, &mw, &err), TARS_OK);
    assert_true(mw.p_value < 1e-4);
    assert_true(mw.effect > 0.5);
    assert_int_equal(tars_stats_compare(same, base, &mw, &err), TARS_OK);
    assert_true(mw.p_value > 0.01);
    assert_near(mw.effect, 0.5, 0.02);
    assert_int_equal(tars_stats_compare(base, base, &mw, &err), TARS_OK);
    assert_near(mw.effect, 0.5, 0);
    assert_near(mw.p_value, 1, 0);
    tars_hist_free(base);
    tars_hist_free(same);
    tars_hist_free(slower);
}

static void test_needs_values(void **state)
{
    tars_hist *empty = tars_hist_new(), *one = tars_hist_new();
    struct tars_stats_comparison mw;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    tars_hist_record(one, 5);
    assert_int_equal(tars_stats_compare(one, empty, &mw, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "needs values on both sides, not 1 and 0"));
    tars_hist_record(empty, 5);
    assert_int_equal(tars_stats_compare(one, empty, &mw, &err), TARS_OK);
    assert_near(mw.p_value, 1, 0); /* all tied: no variance, no evidence */
    tars_hist_free(empty);
    tars_hist_free(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separated_samples),    cmocka_unit_test(test_ties),
        cmocka_unit_test(test_u_matches_pair_count), cmocka_unit_test(test_detects_shift_not_noise),
        cmocka_unit_test(test_needs_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
