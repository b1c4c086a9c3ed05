/* Unit tests for lib/report/compare*.c: the per-metric rule, the score, and
 * the comparison of two run-shaped documents built from load results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "result_fixture.h"
#include "tars/compare.h"
#include "tars/hist.h"
#include "tars/stats.h"

/* cmocka 1.1 has no assert_double_equal. */
#define assert_double_equal(a, b, eps)                                                             \
    assert_near((double)(a), (double)(b), (double)(eps), __LINE__)

static void assert_near(double a, double b, double eps, int line)
{
    if (!(fabs(a - b) <= eps))
        fail_msg("line %d: %.12g is not within %g of %.12g", line, a, eps, b);
}

/* A run.json-shaped document with one load "svc" holding r (released). */
static json_t *run_of(struct tars_load_result *r)
{
    json_t *res = tars_load_result_to_json(r);
    json_t *run = json_pack("{s:s,s:[{s:s,s:o}]}", "format", "tars-run/1", "loads", "name", "svc",
                            "result", res);

    assert_non_null(run);
    tars_load_result_release(r);
    return run;
}

/* One task "t" with the given latencies (ns), failures among them, over
 * duration_ms, started at started_ms; model closed with users (0: as many as
 * keep busy all the time, i.e. a saturating closed model) or open at rate. */
static json_t *run_model(const uint64_t *ns, size_t n, size_t failures, int64_t duration_ms,
                         int64_t started_ms, enum tars_load_model model, int64_t users, double rate)
{
    struct tars_load_result r;

    memset(&r, 0, sizeof(r));
    strcpy(r.scenario, "svc");
    r.duration_ms = duration_ms;
    r.started_at_ms = started_ms;
    r.model = model;
    r.rate = rate;
    fixture_task(&r.total, "svc", "GET", "/");
    for (size_t i = 0; i < n; i++) {
        if (i < failures)
            fixture_fail(&r.total, TARS_LOAD_ERR_STATUS, 500, ns[i]);
        else
            fixture_ok(&r.total, ns[i], 100);
    }
    if (model == TARS_LOAD_CLOSED && users == 0 && n > 0 && duration_ms > 0)
        users = (int64_t)fmax(1, floor((double)n / ((double)duration_ms / 1000) *
                                       tars_hist_mean(r.total.latency) / 1e9));
    r.users = users;
    return run_of(&r);
}

/* A saturating closed model started at 1,000,000 ms (both sides: the same window). */
static json_t *run_with(const uint64_t *ns, size_t n, size_t failures, int64_t duration_ms)
{
    return run_model(ns, n, failures, duration_ms, 1000000, TARS_LOAD_CLOSED, 0, 0);
}

/* n values spread evenly over [lo, lo + span) ns, each times factor. */
static uint64_t *spread(size_t n, double lo, double span, double factor)
{
    uint64_t *v = malloc(n * sizeof(*v));

    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (uint64_t)((lo + span * (double)i / (double)n) * factor);
    return v;
}

static const struct tars_compare_metric *metric(const struct tars_compare_result *r,
                                                const char *name)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->metrics[i].name, name) == 0)
            return &r->metrics[i];
    fail_msg("no metric \"%s\"", name);
    return NULL;
}

static void compare(json_t *base, json_t *cur, const struct tars_compare_options *o,
                    struct tars_compare_result *r)
{
    struct tars_err err = TARS_ERR_INIT;
    int rc = tars_compare_runs(base, cur, o, r, &err);

    if (rc != TARS_OK)
        fail_msg("compare failed: %s", err.msg);
    json_decref(base);
    json_decref(cur);
}

/*
 * Textbook case, by hand. Baseline x = {10,20,30,40,50}, current y =
 * {30,40,50,60,70} (ns: exact buckets). U of y: 30 beats 10,20 and ties 30
 * (2.5); 40 → 3.5; 50 → 4.5; 60 → 5; 70 → 5: U = 20.5 of n1*n2 = 25, effect
 * 0.82. Ties: 30, 40, 50 twice each, sum(t^3 - t) = 3 * 6 = 18, N = 10:
 * var = 25/12 * (11 - 18/90) = 22.5; z = (|20.5 - 12.5| - 0.5) / sqrt(22.5)
 * = 1.58114; p = erfc(z / sqrt 2) = 0.113846.
 */
static void test_textbook_u_and_p(void **state)
{
    static const uint64_t x[] = {10, 20, 30, 40, 50}, y[] = {30, 40, 50, 60, 70};
    struct tars_compare_options o;
    struct tars_compare_result r;
    const struct tars_compare_metric *m;
    (void)state;

    tars_compare_options_init(&o);
    compare(run_with(x, 5, 0, 1000), run_with(y, 5, 0, 1000), &o, &r);
    m = metric(&r, "total p50_ms");
    assert_double_equal(m->p_value, 0.113846298, 1e-8);
    assert_double_equal(m->effect, 0.82, 1e-12);
    /* 5 values a side: too few to judge anything, whatever the test says. */
    assert_int_equal(m->verdict, TARS_CMP_FEW);
    assert_int_equal(m->n_baseline, 5);
    assert_int_equal(m->min_samples, 60);
    assert_string_equal(m->reason, "too few samples (n = 5 and 5; at least 60 a side)");
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_INCONCLUSIVE);
    tars_compare_result_release(&r);
}

static void test_identical_inputs_pass(void **state)
{
    uint64_t *v = spread(2000, 1e6, 4e6, 1);
    struct tars_compare_options o;
    struct tars_compare_result r;
    (void)state;

    tars_compare_options_init(&o);
    compare(run_with(v, 2000, 3, 2000), run_with(v, 2000, 3, 2000), &o, &r);
    assert_int_equal(r.count, 5);
    assert_int_equal(r.judged, 5);
    assert_int_equal(r.passed, 5);
    assert_double_equal(r.score, 100, 0);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_PASS);
    assert_double_equal(metric(&r, "total p95_ms")->p_value, 1, 1e-12);
    assert_double_equal(metric(&r, "total p95_ms")->effect, 0.5, 1e-12);
    tars_compare_result_release(&r);
    free(v);
}

static void test_shifted_distribution_fails_high(void **state)
{
    uint64_t *b = spread(2000, 2e6, 8e6, 1), *c = spread(2000, 2e6, 8e6, 1.5);
    struct tars_compare_options o;
    struct tars_compare_result r;
    const struct tars_compare_metric *m;
    (void)state;

    tars_compare_options_init(&o);
    compare(run_with(b, 2000, 0, 2000), run_with(c, 2000, 0, 2000), &o, &r);
    m = metric(&r, "total p50_ms");
    assert_true(m->p_value < 1e-6);
    assert_true(m->effect > 0.5);
    assert_double_equal(m->delta_pct, 50, 1);
    assert_int_equal(m->verdict, TARS_CMP_HIGH);
    assert_int_equal(metric(&r, "total p99_ms")->verdict, TARS_CMP_HIGH);
    assert_int_equal(metric(&r, "total rps")->verdict, TARS_CMP_PASS);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_FAIL); /* 2 of 5 pass: 40 */
    assert_double_equal(r.score, 40, 1e-9);
    tars_compare_result_release(&r);
    free(b);
    free(c);
}

/* 5 % slower on 20 ms: significant with 20,000 values, but inside the 10 %
 * threshold, so it passes; with a 3 % threshold it is high. */
static void test_shift_inside_threshold_passes(void **state)
{
    uint64_t *b = spread(20000, 20e6, 10e6, 1), *c = spread(20000, 20e6, 10e6, 1.05);
    struct tars_compare_options o;
    struct tars_compare_result r;
    const struct tars_compare_metric *m;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    tars_compare_options_init(&o);
    o.latency_floor_ms = 0;
    compare(run_with(b, 20000, 0, 2000), run_with(c, 20000, 0, 2000), &o, &r);
    m = metric(&r, "total p50_ms");
    assert_true(m->p_value < 1e-6);
    assert_double_equal(m->delta_pct, 5, 0.5);
    assert_int_equal(m->verdict, TARS_CMP_PASS);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_PASS);
    tars_compare_result_release(&r);

    assert_int_equal(tars_compare_threshold_parse(&o, "latency=3%", &err), TARS_OK);
    compare(run_with(b, 20000, 0, 2000), run_with(c, 20000, 0, 2000), &o, &r);
    assert_int_equal(metric(&r, "total p50_ms")->verdict, TARS_CMP_HIGH);
    tars_compare_result_release(&r);
    free(b);
    free(c);
}

/* The floor: +50 % on 0.1 ms is 0.05 ms, under the default 2 ms floor. */
static void test_latency_floor(void **state)
{
    uint64_t *b = spread(2000, 1e5, 1e5, 1), *c = spread(2000, 1e5, 1e5, 1.5);
    struct tars_compare_options o;
    struct tars_compare_result r;
    (void)state;

    tars_compare_options_init(&o);
    compare(run_with(b, 2000, 0, 2000), run_with(c, 2000, 0, 2000), &o, &r);
    assert_int_equal(metric(&r, "total p50_ms")->verdict, TARS_CMP_PASS);
    tars_compare_result_release(&r);
    o.latency_floor_ms = 0;
    compare(run_with(b, 2000, 0, 2000), run_with(c, 2000, 0, 2000), &o, &r);
    assert_int_equal(metric(&r, "total p50_ms")->verdict, TARS_CMP_HIGH);
    tars_compare_result_release(&r);
    free(b);
    free(c);
}

static void judge(enum tars_compare_kind kind, enum tars_compare_direction dir, double base,
                  double cur, double p, enum tars_compare_verdict want)
{
    struct tars_compare_options o;
    struct tars_compare_metric m;

    tars_compare_options_init(&o);
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.direction = dir;
    m.baseline = base;
    m.current = cur;
    m.p_value = p;
    m.effect = NAN;
    m.threshold_pct = o.threshold_pct[kind];
    tars_compare_judge(&m, &o);
    if (m.verdict != want)
        fail_msg("%s %g -> %g (p %g): %s, expected %s", tars_compare_kind_name(kind), base, cur, p,
                 tars_compare_verdict_name(m.verdict), tars_compare_verdict_name(want));
}

static void test_direction(void **state)
{
    (void)state;
    /* throughput: a drop is bad (low), a rise is fine */
    judge(TARS_CMP_THROUGHPUT, TARS_CMP_HIGHER_BETTER, 1000, 700, NAN, TARS_CMP_LOW);
    judge(TARS_CMP_THROUGHPUT, TARS_CMP_HIGHER_BETTER, 1000, 800, NAN, TARS_CMP_PASS); /* 25 % */
    judge(TARS_CMP_THROUGHPUT, TARS_CMP_HIGHER_BETTER, 1000, 5000, NAN, TARS_CMP_PASS);
    /* latency: a rise is bad (high), a fall is an improvement */
    judge(TARS_CMP_LATENCY, TARS_CMP_LOWER_BETTER, 100, 130, 0.001, TARS_CMP_HIGH);
    judge(TARS_CMP_LATENCY, TARS_CMP_LOWER_BETTER, 100, 50, 0.001, TARS_CMP_PASS);
    /* not significant: no verdict against it, however large */
    judge(TARS_CMP_LATENCY, TARS_CMP_LOWER_BETTER, 100, 300, 0.2, TARS_CMP_PASS);
    judge(TARS_CMP_LATENCY, TARS_CMP_LOWER_BETTER, 100, 300, 0.05, TARS_CMP_PASS);
    judge(TARS_CMP_LATENCY, TARS_CMP_LOWER_BETTER, 100, 300, 0.0499, TARS_CMP_HIGH);
    /* checks: one passing check fewer is low (threshold 0) */
    judge(TARS_CMP_CHECKS, TARS_CMP_HIGHER_BETTER, 40, 39, NAN, TARS_CMP_LOW);
    judge(TARS_CMP_CHECKS, TARS_CMP_HIGHER_BETTER, 40, 40, NAN, TARS_CMP_PASS);
    /* a baseline of 0: the drift detector's 100 % */
    judge(TARS_CMP_ERRORS, TARS_CMP_LOWER_BETTER, 0, 0.5, 0.01, TARS_CMP_HIGH);
    judge(TARS_CMP_ERRORS, TARS_CMP_LOWER_BETTER, 0, 0, 1, TARS_CMP_PASS);
    judge(TARS_CMP_ERRORS, TARS_CMP_LOWER_BETTER, NAN, 0, 1, TARS_CMP_NODATA);
}

static void test_throughput_drop_fails(void **state)
{
    uint64_t *v = spread(1000, 1e6, 1e6, 1);
    struct tars_compare_options o;
    struct tars_compare_result r;
    const struct tars_compare_metric *m;
    (void)state;

    tars_compare_options_init(&o);
    /* the same requests over twice the time: half the throughput */
    compare(run_with(v, 1000, 0, 1000), run_with(v, 1000, 0, 2000), &o, &r);
    m = metric(&r, "total rps");
    assert_double_equal(m->baseline, 1000, 1e-9);
    assert_double_equal(m->current, 500, 1e-9);
    assert_int_equal(m->direction, TARS_CMP_HIGHER_BETTER);
    assert_int_equal(m->verdict, TARS_CMP_LOW);
    tars_compare_result_release(&r);
    free(v);
}

static void test_error_rate(void **state)
{
    uint64_t *v = spread(1000, 1e6, 1e6, 1);
    struct tars_compare_options o;
    struct tars_compare_result r;
    const struct tars_compare_metric *m;
    (void)state;

    tars_compare_options_init(&o);
    compare(run_with(v, 1000, 0, 1000), run_with(v, 1000, 50, 1000), &o, &r);
    m = metric(&r, "total errors_pct");
    assert_double_equal(m->current, 5, 1e-9);
    assert_true(m->p_value < 1e-6);
    assert_int_equal(m->verdict, TARS_CMP_HIGH);
    tars_compare_result_release(&r);
    /* 1 failure in 1000 against none: +100 %, but not significant */
    compare(run_with(v, 1000, 0, 1000), run_with(v, 1000, 1, 1000), &o, &r);
    m = metric(&r, "total errors_pct");
    assert_true(m->p_value > 0.3);
    assert_int_equal(m->verdict, TARS_CMP_PASS);
    tars_compare_result_release(&r);
    free(v);
    assert_double_equal(tars_compare_proportion_p(0, 100, 0, 100), 1, 0);
}

static void test_score_cutoffs(void **state)
{
    struct tars_compare_options o;
    struct tars_compare_result r;
    struct tars_compare_metric m;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    tars_compare_options_init(&o);
    memset(&r, 0, sizeof(r));
    memset(&m, 0, sizeof(m));
    tars_compare_finish(&r, &o);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_INCONCLUSIVE);
    m.verdict = TARS_CMP_PASS;
    for (int i = 0; i < 18; i++)
        tars_compare_add(&r, &m);
    m.verdict = TARS_CMP_NODATA;
    tars_compare_add(&r, &m);
    m.verdict = TARS_CMP_HIGH;
    tars_compare_add(&r, &m);
    tars_compare_finish(&r, &o); /* 18 of 19 judged: 94.7 */
    assert_int_equal(r.judged, 19);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_MARGINAL);
    assert_int_equal(tars_compare_cutoffs_parse(&o, "pass=90,marginal=70", &err), TARS_OK);
    tars_compare_finish(&r, &o);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_PASS);
    assert_int_equal(tars_compare_cutoffs_parse(&o, "pass=100", &err), TARS_OK);
    assert_double_equal(o.marginal_cutoff, 70, 0);
    tars_compare_finish(&r, &o);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_MARGINAL);
    for (int i = 0; i < 10; i++)
        tars_compare_add(&r, &m);
    tars_compare_finish(&r, &o); /* 18 of 29: 62 */
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_FAIL);
    tars_compare_result_release(&r);

    assert_int_equal(tars_compare_cutoffs_parse(&o, "pass=50,marginal=60", &err), TARS_EINVAL);
    assert_int_equal(tars_compare_cutoffs_parse(&o, "pass=101", &err), TARS_EINVAL);
    assert_int_equal(tars_compare_cutoffs_parse(&o, "fail=3", &err), TARS_EINVAL);
    assert_int_equal(tars_compare_threshold_parse(&o, "latency", &err), TARS_EINVAL);
    assert_int_equal(tars_compare_threshold_parse(&o, "speed=3%", &err), TARS_EINVAL);
    assert_int_equal(tars_compare_threshold_parse(&o, "errors=-1", &err), TARS_EINVAL);
    assert_int_equal(tars_compare_threshold_parse(&o, "errors=2.5", &err), TARS_OK);
    assert_double_equal(o.threshold_pct[TARS_CMP_ERRORS], 2.5, 0);
}

static void test_no_data_and_mismatch(void **state)
{
    uint64_t *v = spread(100, 1e6, 1e6, 1);
    struct tars_compare_options o;
    struct tars_compare_result r;
    struct tars_err err = TARS_ERR_INIT;
    json_t *a, *b;
    (void)state;

    tars_compare_options_init(&o);
    /* zero requests on one side: every metric nodata, the verdict inconclusive */
    compare(run_with(v, 100, 0, 1000), run_with(v, 0, 0, 1000), &o, &r);
    assert_int_equal(r.judged, 0);
    assert_int_equal(metric(&r, "total p95_ms")->verdict, TARS_CMP_NODATA);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_INCONCLUSIVE);
    tars_compare_result_release(&r);

    /* nothing in common */
    a = json_pack("{s:{s:{s:i}}}", "checks", "counts", "pass", 3);
    b = json_pack("{s:[]}", "loads");
    assert_int_equal(tars_compare_runs(a, b, &o, &r, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "nothing to compare"));
    tars_compare_result_release(&r);
    /* checks on both sides */
    json_object_set_new(b, "checks", json_pack("{s:{s:i}}", "counts", "pass", 2));
    assert_int_equal(tars_compare_runs(a, b, &o, &r, &err), TARS_OK);
    assert_int_equal(metric(&r, "checks pass")->verdict, TARS_CMP_LOW);
    tars_compare_result_release(&r);
    json_decref(a);
    json_decref(b);
    free(v);
}

static void test_json_shape(void **state)
{
    uint64_t *v = spread(100, 1e6, 1e6, 1);
    struct tars_compare_options o;
    struct tars_compare_result r;
    json_t *j, *m;
    (void)state;

    tars_compare_options_init(&o);
    compare(run_with(v, 100, 0, 1000), run_with(v, 100, 0, 1000), &o, &r);
    j = tars_compare_to_json(&r, "a", "b", &o);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "baseline")), "a");
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "pass");
    assert_double_equal(json_number_value(json_object_get(j, "score")), 100, 0);
    m = json_array_get(json_object_get(j, "metrics"), 4);
    assert_string_equal(json_string_value(json_object_get(m, "name")), "total rps");
    assert_string_equal(json_string_value(json_object_get(m, "direction")), "higher");
    assert_true(json_is_null(json_object_get(m, "p_value")));
    for (const char *const *k = (const char *const[]){"baseline", "current", "delta_pct",
                                                      "threshold_pct", "effect", "verdict", NULL};
         *k; k++)
        assert_non_null(json_object_get(m, *k));
    json_decref(j);
    tars_compare_result_release(&r);
    free(v);
}

/*
 * The evaluator fed what a broken or thin run gives it (issue: no soft pass):
 * none of these may pass, and "not enough to tell" is never a verdict.
 */
struct judge_row {
    const char *what;
    enum tars_compare_kind kind;
    double base, cur, p;
    uint64_t n_base, n_cur, min;
    bool tested;
    enum tars_compare_verdict want;
    const char *reason; /* a substring of the reason, NULL: none */
};

static void test_no_soft_pass_table(void **state)
{
    static const struct judge_row rows[] = {
        {"no data on the baseline side", TARS_CMP_LATENCY, NAN, 5, 0.001, 500, 500, 60, true,
         TARS_CMP_NODATA, "no finite value on the baseline side"},
        {"NaN current", TARS_CMP_LATENCY, 5, NAN, 0.001, 500, 500, 60, true, TARS_CMP_NODATA,
         "no finite value on the current side"},
        {"+Inf current", TARS_CMP_LATENCY, 5, INFINITY, 0.001, 500, 500, 60, true, TARS_CMP_NODATA,
         "no finite value"},
        {"-Inf baseline", TARS_CMP_ERRORS, -INFINITY, 1, 0.001, 500, 500, 60, true, TARS_CMP_NODATA,
         "no finite value"},
        {"empty: no samples on either side", TARS_CMP_LATENCY, 0, 0, 1, 0, 0, 60, true,
         TARS_CMP_FEW, "too few samples (n = 0 and 0"},
        {"one sample short of the minimum", TARS_CMP_LATENCY, 10, 20, 0.001, 59, 500, 60, true,
         TARS_CMP_FEW, "at least 60 a side"},
        {"exactly the minimum is judged", TARS_CMP_LATENCY, 10, 20, 0.001, 60, 60, 60, true,
         TARS_CMP_HIGH, NULL},
        {"exactly at the threshold (+10 %) passes", TARS_CMP_LATENCY, 100, 110, 0.001, 500, 500, 60,
         true, TARS_CMP_PASS, NULL},
        {"just beyond the threshold is high", TARS_CMP_LATENCY, 100, 110.01, 0.001, 500, 500, 60,
         true, TARS_CMP_HIGH, NULL},
        {"p exactly alpha is not significant", TARS_CMP_LATENCY, 100, 300, 0.05, 500, 500, 60, true,
         TARS_CMP_PASS, NULL},
        {"a test that could not run (peer error)", TARS_CMP_LATENCY, 10, 20, NAN, 500, 500, 60,
         true, TARS_CMP_NODATA, "significance test could not run"},
        {"errors: a test that could not run", TARS_CMP_ERRORS, 0, 50, NAN, 500, 500, 60, true,
         TARS_CMP_NODATA, "could not run"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct judge_row *row = &rows[i];
        struct tars_compare_options o;
        struct tars_compare_metric m;
        struct tars_compare_result r;

        tars_compare_options_init(&o);
        memset(&m, 0, sizeof(m));
        m.kind = row->kind;
        m.direction = TARS_CMP_LOWER_BETTER;
        m.baseline = row->base;
        m.current = row->cur;
        m.p_value = row->p;
        m.effect = NAN;
        m.threshold_pct = o.threshold_pct[row->kind];
        m.n_baseline = row->n_base;
        m.n_current = row->n_cur;
        m.min_samples = row->min;
        m.tested = row->tested;
        tars_compare_judge(&m, &o);
        if (m.verdict != row->want)
            fail_msg("%s: %s, expected %s (%s)", row->what, tars_compare_verdict_name(m.verdict),
                     tars_compare_verdict_name(row->want), m.reason);
        if (row->reason && !strstr(m.reason, row->reason))
            fail_msg("%s: reason \"%s\" lacks \"%s\"", row->what, m.reason, row->reason);
        if (!row->reason && m.reason[0])
            fail_msg("%s: unexpected reason \"%s\"", row->what, m.reason);
        /* alone in a result: anything not judged leaves the whole inconclusive */
        memset(&r, 0, sizeof(r));
        tars_compare_add(&r, &m);
        tars_compare_finish(&r, &o);
        if (row->want == TARS_CMP_NODATA || row->want == TARS_CMP_FEW) {
            assert_int_equal(r.judged, 0);
            assert_int_equal(r.verdict, TARS_CMP_OVERALL_INCONCLUSIVE);
            assert_true(isnan(r.score));
        }
        tars_compare_result_release(&r);
    }
}

/* Whole runs: an empty list, an empty histogram, a peer that refused every
 * request. */
static void test_no_soft_pass_runs(void **state)
{
    uint64_t *v = spread(500, 1e6, 1e6, 1);
    uint64_t none[500] = {0};
    struct tars_compare_options o;
    struct tars_compare_result r;
    struct tars_err err = TARS_ERR_INIT;
    json_t *a, *b;
    (void)state;

    tars_compare_options_init(&o);
    /* empty lists of loads: nothing to compare, an error (exit 3), not a pass */
    a = json_pack("{s:[]}", "loads");
    b = json_pack("{s:[]}", "loads");
    assert_int_equal(tars_compare_runs(a, b, &o, &r, &err), TARS_EINVAL);
    tars_compare_result_release(&r);
    json_decref(a);
    json_decref(b);
    /* zero requests on the current side: inconclusive */
    compare(run_with(v, 500, 0, 1000), run_with(v, 0, 0, 1000), &o, &r);
    assert_int_equal(r.judged, 0);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_INCONCLUSIVE);
    tars_compare_result_release(&r);
    /* the peer refused every request (failures, no latency recorded): the error
     * rate is high and the latencies have no data; the verdict is fail, never pass */
    compare(run_with(v, 500, 0, 1000), run_with(none, 500, 500, 1000), &o, &r);
    assert_int_equal(metric(&r, "total errors_pct")->verdict, TARS_CMP_HIGH);
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_FAIL);
    tars_compare_result_release(&r);
    free(v);
}

/* Throughput is judged only where it carries a signal. */
static void test_throughput_only_with_a_signal(void **state)
{
    uint64_t *v = spread(400, 1e6, 2e6, 1), *slow = spread(400, 1e6, 2e6, 2);
    struct tars_compare_options o;
    struct tars_compare_result r;
    const struct tars_compare_metric *m;
    (void)state;

    tars_compare_options_init(&o);
    /* 20 users thinking between ~2 ms requests: rps measures the think time */
    compare(run_model(v, 400, 0, 10000, 1000000, TARS_LOAD_CLOSED, 20, 0),
            run_model(v, 400, 0, 20000, 1000000, TARS_LOAD_CLOSED, 20, 0), &o, &r);
    m = metric(&r, "total rps");
    assert_int_equal(m->verdict, TARS_CMP_REPORTED);
    assert_non_null(strstr(m->reason, "closed model bound by think time"));
    assert_double_equal(m->delta_pct, -50, 1e-9); /* shown all the same */
    assert_int_equal(r.verdict, TARS_CMP_OVERALL_PASS);
    tars_compare_result_release(&r);
    /* users busy all the time (no think time): each request twice as slow halves the
     * throughput (Little's law), and that is judged: low */
    compare(run_with(v, 400, 0, 1000), run_with(slow, 400, 0, 2000), &o, &r);
    assert_int_equal(metric(&r, "total rps")->verdict, TARS_CMP_LOW);
    tars_compare_result_release(&r);
    /* open model: rps is the offered rate; achieved vs offered is judged */
    compare(run_model(v, 400, 0, 1000, 1000000, TARS_LOAD_OPEN, 0, 400),
            run_model(v, 400, 0, 2000, 1000000, TARS_LOAD_OPEN, 0, 400), &o, &r);
    assert_int_equal(metric(&r, "total rps")->verdict, TARS_CMP_REPORTED);
    m = metric(&r, "total achieved_pct");
    assert_double_equal(m->baseline, 100, 1e-9);
    assert_double_equal(m->current, 50, 1e-9);
    assert_int_equal(m->verdict, TARS_CMP_LOW);
    tars_compare_result_release(&r);
    /* different models: not comparable */
    compare(run_model(v, 400, 0, 1000, 1000000, TARS_LOAD_OPEN, 0, 400), run_with(v, 400, 0, 1000),
            &o, &r);
    assert_non_null(strstr(metric(&r, "total rps")->reason, "different load models"));
    tars_compare_result_release(&r);
    free(v);
    free(slow);
}

/* Side by side or cross-time, from the loads' start and duration. */
static void test_window(void **state)
{
    uint64_t *v = spread(400, 1e6, 2e6, 1);
    char text[160];
    struct tars_compare_options o;
    struct tars_compare_result r;
    (void)state;

    tars_compare_options_init(&o);
    compare(run_model(v, 400, 0, 5000, 1000000, TARS_LOAD_CLOSED, 0, 0),
            run_model(v, 400, 0, 5000, 1000300, TARS_LOAD_CLOSED, 0, 0), &o, &r);
    assert_int_equal(r.window, TARS_CMP_WINDOW_SAME);
    assert_double_equal(r.apart_s, 0.3, 1e-9);
    tars_compare_result_release(&r);
    compare(run_model(v, 400, 0, 5000, 1000000, TARS_LOAD_CLOSED, 0, 0),
            run_model(v, 400, 0, 5000, 1192000, TARS_LOAD_CLOSED, 0, 0), &o, &r);
    assert_int_equal(r.window, TARS_CMP_WINDOW_CROSS);
    assert_double_equal(r.apart_s, 192, 1e-9);
    tars_compare_window_text(r.window, r.apart_s, text, sizeof(text));
    assert_string_equal(text, "cross-time: the current run started 3 min 12 s after the baseline");
    assert_int_equal(tars_compare_window_parse("cross-time"), TARS_CMP_WINDOW_CROSS);
    assert_int_equal(tars_compare_window_parse("nonsense"), TARS_CMP_WINDOW_UNKNOWN);
    tars_compare_result_release(&r);
    compare(run_model(v, 400, 0, 5000, 0, TARS_LOAD_CLOSED, 0, 0), run_with(v, 400, 0, 5000), &o,
            &r);
    assert_int_equal(r.window, TARS_CMP_WINDOW_UNKNOWN);
    assert_true(isnan(r.apart_s));
    tars_compare_result_release(&r);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textbook_u_and_p),
        cmocka_unit_test(test_identical_inputs_pass),
        cmocka_unit_test(test_shifted_distribution_fails_high),
        cmocka_unit_test(test_shift_inside_threshold_passes),
        cmocka_unit_test(test_latency_floor),
        cmocka_unit_test(test_direction),
        cmocka_unit_test(test_throughput_drop_fails),
        cmocka_unit_test(test_error_rate),
        cmocka_unit_test(test_score_cutoffs),
        cmocka_unit_test(test_no_data_and_mismatch),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_no_soft_pass_table),
        cmocka_unit_test(test_no_soft_pass_runs),
        cmocka_unit_test(test_throughput_only_with_a_signal),
        cmocka_unit_test(test_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
