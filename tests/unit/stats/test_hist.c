/*
 * Unit tests for lib/stats/hist.c: bucket layout, accuracy against the exact
 * sorted samples of several distributions, exact merge, coordinated-omission
 * correction, capacity limits, memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/hist.h"

#define US UINT64_C(1000)
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define HOUR (3600 * SEC)

/* splitmix64: small, fast, reproducible. */
struct rng {
    uint64_t s;
};

static uint64_t next_u64(struct rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double unit(struct rng *r)
{
    return ((double)(next_u64(r) >> 11) + 0.5) * 0x1.0p-53;
}

static double normal(struct rng *r)
{
    return sqrt(-2 * log(unit(r))) * cos(6.283185307179586 * unit(r));
}

static uint64_t clamp_ns(double v)
{
    if (v < 1)
        return 1;
    return v > (double)TARS_HIST_HIGHEST ? TARS_HIST_HIGHEST : (uint64_t)v;
}

static uint64_t draw_uniform(struct rng *r)
{
    return US + (uint64_t)(unit(r) * (double)(SEC - US));
}

static uint64_t draw_exponential(struct rng *r)
{
    return clamp_ns(-5e6 * log(unit(r))); /* mean 5 ms */
}

static uint64_t draw_lognormal(struct rng *r)
{
    return clamp_ns(exp(log(20e6) + normal(r))); /* median 20 ms, sigma 1 */
}

static uint64_t draw_bimodal(struct rng *r)
{
    if (next_u64(r) % 100 == 0)
        return SEC + (uint64_t)(unit(r) * 2e9); /* 1 % far tail: 1 to 3 s */
    return clamp_ns(2e6 + 2e5 * normal(r));     /* 2 ms +- 0.2 ms */
}

static uint64_t draw_constant(struct rng *r)
{
    (void)r;
    return 12345678;
}

/* Narrow and far from zero: bucket midpoints alone would misstate stddev. */
static uint64_t draw_tight(struct rng *r)
{
    return SEC + next_u64(r) % 1000;
}

static uint64_t draw_log_uniform(struct rng *r)
{
    return clamp_ns(exp(log(1e3) + unit(r) * (log(3.6e12) - log(1e3))));
}

static uint64_t draw_extremes(struct rng *r)
{
    switch (next_u64(r) % 3) {
    case 0: return US;
    case 1: return HOUR;
    default: return draw_log_uniform(r);
    }
}

/* Values on and next to bucket boundaries, over the whole range. */
static uint64_t draw_edges(struct rng *r)
{
    size_t index = (size_t)(next_u64(r) % TARS_HIST_BUCKETS);
    uint64_t low = tars_hist_bucket_low(index), high = tars_hist_bucket_high(index);
    uint64_t v;

    switch (next_u64(r) % 5) {
    case 0: v = low; break;
    case 1: v = low ? low - 1 : 0; break;
    case 2: v = high; break;
    case 3: v = high + 1; break;
    default: v = low + (high - low) / 2; break;
    }
    return v > TARS_HIST_HIGHEST ? TARS_HIST_HIGHEST : v;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct sample {
    uint64_t *v; /* sorted */
    size_t n;
    tars_hist *h;
};

static struct sample make_sample(uint64_t (*draw)(struct rng *), size_t n, uint64_t seed)
{
    struct sample s = {malloc(n * sizeof(uint64_t)), n, tars_hist_new()};
    struct rng r = {seed};

    assert_non_null(s.v);
    for (size_t i = 0; i < n; i++) {
        s.v[i] = draw(&r);
        tars_hist_record(s.h, s.v[i]);
    }
    qsort(s.v, n, sizeof(uint64_t), compare_u64);
    return s;
}

static void free_sample(struct sample *s)
{
    free(s->v);
    tars_hist_free(s->h);
}

/* The documented rule with exact integers: p in thousandths of a percent. */
static uint64_t exact_rank(uint64_t n, uint64_t p_milli)
{
    uint64_t r = (p_milli * n + 99999) / 100000;
    return r ? r : 1;
}

/* Within 1/256 of the exact sample (the documented bound), hence within 1 %. */
static void check_value(const char *name, double p, uint64_t got, uint64_t exact)
{
    uint64_t diff = got > exact ? got - exact : exact - got;

    if (diff * 256 > exact || diff * 100 > exact)
        fail_msg("%s: p%g is %" PRIu64 ", exact sample %" PRIu64, name, p, got, exact);
}

static void check_exact_figures(const char *name, const struct sample *s)
{
    long double sum = 0, squares = 0, mean, sd;

    assert_int_equal(tars_hist_count(s->h), s->n);
    assert_int_equal(tars_hist_min(s->h), s->v[0]);
    assert_int_equal(tars_hist_max(s->h), s->v[s->n - 1]);
    assert_int_equal(tars_hist_saturated(s->h), 0);
    for (size_t i = 0; i < s->n; i++)
        sum += (long double)s->v[i];
    mean = sum / (long double)s->n;
    for (size_t i = 0; i < s->n; i++)
        squares += ((long double)s->v[i] - mean) * ((long double)s->v[i] - mean);
    sd = sqrtl(squares / (long double)s->n);
    if (fabsl(tars_hist_mean(s->h) - mean) > 1e-9L * mean)
        fail_msg("%s: mean %.3f, exact %.3Lf", name, tars_hist_mean(s->h), mean);
    if (fabsl(tars_hist_stddev(s->h) - sd) > 1e-6L * sd + 1e-3L)
        fail_msg("%s: stddev %.3f, exact %.3Lf", name, tars_hist_stddev(s->h), sd);
}

static void summary_percentiles(const struct tars_hist_summary *sum, uint64_t out[7])
{
    out[0] = sum->p50;
    out[1] = sum->p75;
    out[2] = sum->p90;
    out[3] = sum->p95;
    out[4] = sum->p99;
    out[5] = sum->p99_9;
    out[6] = sum->p99_99;
}

static void check_summary(const char *name, const struct sample *s)
{
    struct tars_hist_summary sum;
    const uint64_t milli[] = {50000, 75000, 90000, 95000, 99000, 99900, 99990};
    uint64_t got[7];

    tars_hist_summarise(s->h, &sum);
    summary_percentiles(&sum, got);
    assert_int_equal(sum.count, s->n);
    assert_int_equal(sum.min, s->v[0]);
    assert_int_equal(sum.max, s->v[s->n - 1]);
    assert_true(sum.mean == tars_hist_mean(s->h));
    assert_true(sum.stddev == tars_hist_stddev(s->h));
    for (size_t i = 0; i < 7; i++) {
        uint64_t rank = exact_rank(s->n, milli[i]);
        check_value(name, (double)milli[i] / 1000, got[i], s->v[rank - 1]);
        assert_int_equal(got[i], tars_hist_percentile(s->h, (double)milli[i] / 1000));
    }
}

/* p from 0 to 100 by 0.05, then 99 to 100 by 0.001; one pass must agree. */
static void check_sweep(const char *name, const struct sample *s)
{
    enum { COARSE = 2001, FINE = 1001 };
    double p[COARSE + FINE];
    uint64_t milli[COARSE + FINE], pass[COARSE + FINE];

    for (size_t i = 0; i < COARSE; i++)
        milli[i] = i * 50;
    for (size_t i = 0; i < FINE; i++)
        milli[COARSE + i] = 99000 + i;
    for (size_t i = 0; i < COARSE + FINE; i++) {
        uint64_t rank = exact_rank(s->n, milli[i]);

        p[i] = (double)milli[i] / 1000;
        assert_int_equal(tars_hist_rank(s->n, p[i]), rank);
        check_value(name, p[i], tars_hist_percentile(s->h, p[i]), s->v[rank - 1]);
    }
    tars_hist_percentiles(s->h, p, pass, COARSE + FINE); /* descends once, at 99 */
    for (size_t i = 0; i < COARSE + FINE; i++)
        assert_int_equal(pass[i], tars_hist_percentile(s->h, p[i]));
    assert_int_equal(tars_hist_percentile(s->h, 0), s->v[0]);
    assert_int_equal(tars_hist_percentile(s->h, 100), s->v[s->n - 1]);
}

static void check_distribution(const char *name, uint64_t (*draw)(struct rng *), size_t n)
{
    struct sample s = make_sample(draw, n, 42);

    check_exact_figures(name, &s);
    check_summary(name, &s);
    check_sweep(name, &s);
    free_sample(&s);
}

static void test_accuracy(void **state)
{
    (void)state;
    check_distribution("uniform 1us..1s", draw_uniform, 200000);
    check_distribution("exponential 5ms", draw_exponential, 200000);
    check_distribution("log-normal 20ms", draw_lognormal, 1000000);
    check_distribution("bimodal, far tail", draw_bimodal, 200000);
    check_distribution("constant", draw_constant, 100000);
    check_distribution("tight around 1s", draw_tight, 100000);
    check_distribution("log-uniform 1us..1h", draw_log_uniform, 200000);
    check_distribution("1us and 1h extremes", draw_extremes, 200000);
    check_distribution("bucket edges", draw_edges, 200000);
}

static void test_bucket_layout(void **state)
{
    (void)state;
    assert_int_equal(TARS_HIST_BUCKETS, 4608);
    assert_int_equal(tars_hist_bucket_low(0), 0);
    assert_int_equal(tars_hist_bucket_high(TARS_HIST_BUCKETS - 1), TARS_HIST_HIGHEST);
    assert_true(TARS_HIST_HIGHEST >= HOUR);
    for (size_t i = 0; i < TARS_HIST_BUCKETS; i++) {
        uint64_t low = tars_hist_bucket_low(i), high = tars_hist_bucket_high(i);

        assert_int_equal(tars_hist_bucket_of(low), i);
        assert_int_equal(tars_hist_bucket_of(high), i);
        if (i + 1 < TARS_HIST_BUCKETS)
            assert_int_equal(tars_hist_bucket_low(i + 1), high + 1);
        /* width at most 1/128 of the lowest value, or exact */
        assert_true(high == low || (high - low + 1) * 128 <= low);
    }
    assert_int_equal(tars_hist_bucket_of(UINT64_MAX), TARS_HIST_BUCKETS - 1);
    assert_int_equal(tars_hist_bucket_of(1000), 506);
    assert_int_equal(tars_hist_bucket_of(2000), 634);
}

static void test_empty(void **state)
{
    tars_hist *h = tars_hist_new();
    struct tars_hist_summary s;
    (void)state;

    tars_hist_summarise(h, &s);
    assert_int_equal(s.count, 0);
    assert_int_equal(s.min, 0);
    assert_int_equal(s.max, 0);
    assert_int_equal(s.p50, 0);
    assert_int_equal(s.p99_99, 0);
    assert_true(s.mean == 0 && s.stddev == 0);
    assert_int_equal(tars_hist_rank(0, 50), 0);
    tars_hist_record_n(h, 7, 0);
    assert_int_equal(tars_hist_count(h), 0);
    assert_int_equal(tars_hist_min(h), 0);
    tars_hist_free(h);
    tars_hist_free(NULL);
}

static void test_rank_rule(void **state)
{
    tars_hist *h = tars_hist_new();
    (void)state;

    for (uint64_t v = 1; v <= 10; v++)
        tars_hist_record(h, v);
    assert_int_equal(tars_hist_percentile(h, 50), 5);
    assert_int_equal(tars_hist_percentile(h, 90), 9);
    assert_int_equal(tars_hist_percentile(h, 91), 10);
    assert_int_equal(tars_hist_percentile(h, 0), 1);
    assert_int_equal(tars_hist_percentile(h, -5), 1);
    assert_int_equal(tars_hist_percentile(h, NAN), 1);
    assert_int_equal(tars_hist_percentile(h, 250), 10);
    assert_int_equal(tars_hist_rank(1000, 99.9), 999);
    assert_int_equal(tars_hist_rank(10000, 99.99), 9999);
    assert_int_equal(tars_hist_rank(1000, 99.95), 1000);
    assert_int_equal(tars_hist_rank(3, 1e-9), 1);
    tars_hist_free(h);
}

static void test_saturation(void **state)
{
    tars_hist *h = tars_hist_new();
    (void)state;

    tars_hist_record(h, 5 * MS);
    tars_hist_record(h, TARS_HIST_HIGHEST + 1);
    tars_hist_record_n(h, UINT64_MAX, 2);
    assert_int_equal(tars_hist_count(h), 4);
    assert_int_equal(tars_hist_saturated(h), 3);
    assert_int_equal(tars_hist_max(h), TARS_HIST_HIGHEST);
    assert_int_equal(tars_hist_percentile(h, 100), TARS_HIST_HIGHEST);
    check_value("saturated", 50, tars_hist_percentile(h, 50), TARS_HIST_HIGHEST);
    assert_int_equal(tars_hist_bucket_count(h, TARS_HIST_BUCKETS - 1), 3);
    tars_hist_free(h);
}

static void test_merge_equals_single(void **state)
{
    tars_hist *a = tars_hist_new(), *b = tars_hist_new(), *all = tars_hist_new();
    struct rng r = {7};
    struct tars_err err = TARS_ERR_INIT;
    const double p[] = {0, 50, 75, 90, 95, 99, 99.9, 99.99, 100};
    (void)state;

    for (int i = 0; i < 300000; i++) {
        uint64_t v = i % 3 ? draw_lognormal(&r) : draw_bimodal(&r);
        tars_hist_record(next_u64(&r) % 4 ? a : b, v);
        tars_hist_record(all, v);
    }
    tars_hist_record(b, UINT64_MAX); /* saturated values merge too */
    tars_hist_record(all, UINT64_MAX);
    assert_false(tars_hist_equal(a, all));
    assert_int_equal(tars_hist_merge(a, b, &err), TARS_OK);
    assert_true(tars_hist_equal(a, all));
    for (size_t i = 0; i < TARS_HIST_BUCKETS; i++)
        assert_int_equal(tars_hist_bucket_count(a, i), tars_hist_bucket_count(all, i));
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        assert_int_equal(tars_hist_percentile(a, p[i]), tars_hist_percentile(all, p[i]));
    assert_int_equal(tars_hist_min(a), tars_hist_min(all));
    assert_int_equal(tars_hist_max(a), tars_hist_max(all));
    assert_int_equal(tars_hist_count(a), 300001);
    assert_int_equal(tars_hist_saturated(a), 1);
    assert_true(tars_hist_mean(a) == tars_hist_mean(all));
    assert_true(tars_hist_stddev(a) == tars_hist_stddev(all));
    tars_hist_free(a);
    tars_hist_free(b);
    tars_hist_free(all);
}

static void test_merge_empty_and_copy(void **state)
{
    tars_hist *a = tars_hist_new(), *empty = tars_hist_new(), *c = tars_hist_new();
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    tars_hist_record(a, 3 * MS);
    tars_hist_record(a, 9 * US);
    tars_hist_copy(c, a);
    assert_int_equal(tars_hist_merge(a, empty, &err), TARS_OK);
    assert_true(tars_hist_equal(a, c));
    assert_int_equal(tars_hist_merge(empty, a, &err), TARS_OK);
    assert_true(tars_hist_equal(empty, a));
    assert_int_equal(tars_hist_min(empty), 9 * US);
    tars_hist_reset(c);
    assert_int_equal(tars_hist_count(c), 0);
    assert_false(tars_hist_equal(c, a));
    tars_hist_free(a);
    tars_hist_free(empty);
    tars_hist_free(c);
}

static void test_capacity(void **state)
{
    tars_hist *h = tars_hist_new(), *one = tars_hist_new(), *before = tars_hist_new();
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    tars_hist_record_n(h, 2 * SEC, TARS_HIST_MAX_COUNT);
    tars_hist_record(one, 1);
    tars_hist_copy(before, h);
    assert_int_equal(tars_hist_merge(h, one, &err), TARS_ETOOBIG);
    assert_non_null(strstr(err.msg, "more than"));
    assert_true(tars_hist_equal(h, before));
    tars_hist_record(h, 1);
    tars_hist_record_n(h, 1, 5);
    tars_hist_record_corrected(h, SEC, MS);
    assert_int_equal(tars_hist_count(h), TARS_HIST_MAX_COUNT);
    assert_int_equal(tars_hist_lost(h), 1 + 5 + 1000);
    assert_int_equal(tars_hist_min(h), 2 * SEC);
    /* the largest possible sums still give exact figures */
    assert_true(tars_hist_mean(h) == 2e9);
    assert_true(tars_hist_stddev(h) == 0);
    tars_hist_reset(h);
    tars_hist_record_n(h, TARS_HIST_HIGHEST, TARS_HIST_MAX_COUNT);
    assert_true(tars_hist_mean(h) == (double)TARS_HIST_HIGHEST);
    assert_true(tars_hist_stddev(h) == 0);
    tars_hist_free(h);
    tars_hist_free(one);
    tars_hist_free(before);
}

static void test_corrected_stall(void **state)
{
    tars_hist *h = tars_hist_new();
    (void)state;

    tars_hist_record_corrected(h, SEC, MS);
    assert_int_equal(tars_hist_count(h), 1000); /* 1 s, 999 ms, ..., 1 ms */
    assert_int_equal(tars_hist_min(h), MS);
    assert_int_equal(tars_hist_max(h), SEC);
    check_value("corrected", 99, tars_hist_percentile(h, 99), 990 * MS);
    check_value("corrected", 50, tars_hist_percentile(h, 50), 500 * MS);
    assert_true(tars_hist_mean(h) == 500.5e6);
    tars_hist_free(h);
}

/* A closed loop at 1 ms per request that stalls once for 1 s. */
static void test_corrected_hides_nothing(void **state)
{
    tars_hist *raw = tars_hist_new(), *fixed = tars_hist_new();
    (void)state;

    for (int i = 0; i < 10000; i++) {
        tars_hist_record(raw, MS);
        tars_hist_record_corrected(fixed, MS, MS);
    }
    tars_hist_record(raw, SEC);
    tars_hist_record_corrected(fixed, SEC, MS);
    assert_int_equal(tars_hist_count(raw), 10001);
    assert_int_equal(tars_hist_count(fixed), 11000);
    check_value("uncorrected p99", 99, tars_hist_percentile(raw, 99), MS);
    check_value("corrected p99", 99, tars_hist_percentile(fixed, 99), 890 * MS);
    tars_hist_free(raw);
    tars_hist_free(fixed);
}

/* The closed-form back-fill equals recording every value one by one. */
static void test_corrected_matches_loop(void **state)
{
    const uint64_t cases[][2] = {
        {SEC, MS},
        {SEC + 1, MS},
        {SEC - 1, MS},
        {2 * MS, MS},
        {2 * MS - 1, MS},
        {MS, MS},
        {MS - 1, MS},
        {5 * MS, 0},
        {3 * SEC, 7777},
        {123456789, 333},
        {300, 1},
        {HOUR, 10 * SEC},
        {UINT64_MAX, 300 * SEC},
        {40 * US, 3},
    };
    (void)state;

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        tars_hist *fast = tars_hist_new(), *slow = tars_hist_new();
        uint64_t value = cases[c][0], interval = cases[c][1];
        uint64_t kept = value > TARS_HIST_HIGHEST ? TARS_HIST_HIGHEST : value;

        tars_hist_record(fast, 42); /* start from a non-empty histogram */
        tars_hist_record(slow, 42);
        tars_hist_record_corrected(fast, value, interval);
        tars_hist_record(slow, value);
        for (uint64_t m = kept - interval; interval && kept >= interval && m >= interval;
             m -= interval)
            tars_hist_record(slow, m);
        if (!tars_hist_equal(fast, slow))
            fail_msg("case %zu: value %" PRIu64 " interval %" PRIu64 " differs", c, value,
                     interval);
        tars_hist_free(fast);
        tars_hist_free(slow);
    }
}

static void test_corrected_bounded_work(void **state)
{
    tars_hist *h = tars_hist_new();
    (void)state;

    /* 3.6e12 back-filled values: must take one step per bucket, not per value */
    tars_hist_record_corrected(h, HOUR, 1);
    assert_int_equal(tars_hist_count(h), HOUR);
    assert_int_equal(tars_hist_min(h), 1);
    assert_int_equal(tars_hist_max(h), HOUR);
    assert_true(tars_hist_mean(h) == (double)(HOUR + 1) / 2);
    /* values 1..n: variance (n^2 - 1) / 12 */
    assert_true(fabs(tars_hist_stddev(h) - sqrt(((double)HOUR * HOUR - 1) / 12)) < 1);
    check_value("1..1h", 50, tars_hist_percentile(h, 50), HOUR / 2);
    tars_hist_free(h);
}

/* Cumulative counts at Prometheus-like bounds: a value counts at the first
 * bound its bucket's highest value does not pass; each count against a
 * brute-force walk over the buckets; the sum in seconds is exact. */
static void test_cumulative(void **state)
{
    static const uint64_t bounds[] = {500 * US, 1 * MS, 5 * MS, 150 * MS, 10 * SEC};
    uint64_t out[5], expect;
    tars_hist *h = tars_hist_new();
    struct rng r = {42};

    (void)state;
    tars_hist_cumulative(h, bounds, 5, out);
    for (int i = 0; i < 5; i++)
        assert_int_equal(out[i], 0);
    tars_hist_record(h, 1 * MS); /* not its bucket's highest value: counted at 5 ms */
    tars_hist_record(h, 999 * US);
    tars_hist_record(h, 20 * SEC); /* above every bound: only in the count */
    for (int i = 0; i < 5000; i++)
        tars_hist_record(h, next_u64(&r) % (200 * MS));
    tars_hist_cumulative(h, bounds, 5, out);
    for (int b = 0; b < 5; b++) {
        expect = 0;
        for (size_t i = 0; i < TARS_HIST_BUCKETS; i++)
            if (tars_hist_bucket_high(i) <= bounds[b])
                expect += tars_hist_bucket_count(h, i);
        assert_int_equal(out[b], expect);
        if (b > 0)
            assert_true(out[b] >= out[b - 1]);
    }
    assert_int_equal(out[4], tars_hist_count(h) - 1);
    assert_true(tars_hist_bucket_high(tars_hist_bucket_of(1 * MS)) > 1 * MS);
    tars_hist_reset(h);
    tars_hist_record(h, 1500 * MS);
    tars_hist_record(h, 250 * MS + 1);
    assert_true(fabs(tars_hist_sum_seconds(h) - 1.750000001) < 1e-12);
    tars_hist_free(h);
}

/* The packed form merges exactly what the full histogram holds, in a
 * fraction of its memory, and keeps the capacity rule. */
static void test_packed(void **state)
{
    tars_hist *a = tars_hist_new(), *b = tars_hist_new(), *via = tars_hist_new();
    tars_hist *full = tars_hist_new();
    struct tars_err err = TARS_ERR_INIT;
    struct rng r = {11};
    (void)state;

    for (int i = 0; i < 5000; i++)
        tars_hist_record(i % 2 ? a : b, draw_lognormal(&r));
    tars_hist_record(b, UINT64_MAX);
    tars_hist_packed *pa = tars_hist_pack(a), *pb = tars_hist_pack(b);
    assert_true(tars_hist_packed_size(pa) < tars_hist_size() / 4);
    assert_int_equal(tars_hist_merge_packed(via, pa, &err), TARS_OK);
    assert_true(tars_hist_equal(via, a));
    assert_int_equal(tars_hist_merge_packed(via, pb, &err), TARS_OK);
    tars_hist_copy(full, a);
    assert_int_equal(tars_hist_merge(full, b, &err), TARS_OK);
    assert_true(tars_hist_equal(via, full));
    assert_int_equal(tars_hist_saturated(via), 1);
    tars_hist_packed_free(pa);
    tars_hist_packed_free(pb);

    tars_hist_reset(a); /* empty: nothing but its totals */
    pa = tars_hist_pack(a);
    assert_int_equal(tars_hist_merge_packed(via, pa, &err), TARS_OK);
    assert_true(tars_hist_equal(via, full));
    tars_hist_packed_free(pa);

    tars_hist_record_n(a, 2 * SEC, TARS_HIST_MAX_COUNT);
    pa = tars_hist_pack(a);
    tars_hist_copy(full, via);
    assert_int_equal(tars_hist_merge_packed(via, pa, &err), TARS_ETOOBIG);
    assert_non_null(strstr(err.msg, "more than"));
    assert_true(tars_hist_equal(via, full)); /* untouched */
    tars_hist_packed_free(pa);
    tars_hist_free(a);
    tars_hist_free(b);
    tars_hist_free(via);
    tars_hist_free(full);
}

static void test_memory(void **state)
{
    (void)state;
    assert_true(tars_hist_size() >= TARS_HIST_BUCKETS * sizeof(uint64_t));
    assert_true(tars_hist_size() <= TARS_HIST_BUCKETS * sizeof(uint64_t) + 128);
    print_message("one histogram takes %zu bytes\n", tars_hist_size());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_layout),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_rank_rule),
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_merge_equals_single),
        cmocka_unit_test(test_merge_empty_and_copy),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_packed),
        cmocka_unit_test(test_corrected_stall),
        cmocka_unit_test(test_corrected_hides_nothing),
        cmocka_unit_test(test_corrected_matches_loop),
        cmocka_unit_test(test_corrected_bounded_work),
        cmocka_unit_test(test_cumulative),
        cmocka_unit_test(test_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
