/* Unit tests for thresholds: parsing every form and error, checking against
 * hand-built results at the exact boundary, the table of no-data inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "result_fixture.h"
#include <jansson.h>

#include "tars/load.h"

static void parse_ok(const char *text, const char *task, enum tars_threshold_metric m,
                     enum tars_threshold_op op, double value)
{
    struct tars_threshold th;
    struct tars_err err = TARS_ERR_INIT;

    if (tars_threshold_parse(text, &th, &err))
        fail_msg("\"%s\": %s", text, err.msg);
    if (task)
        assert_string_equal(th.task, task);
    else
        assert_null(th.task);
    assert_int_equal(th.metric, m);
    assert_int_equal(th.op, op);
    if (fabs(th.value - value) > 1e-9 * fabs(value))
        fail_msg("\"%s\": value %.17g, expected %.17g", text, th.value, value);
    tars_threshold_release(&th);
}

static void test_parse_forms(void **state)
{
    struct tars_threshold th;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    parse_ok("p95<150ms", NULL, TARS_TH_P95, TARS_TH_LT, 150e6);
    parse_ok(" agents : p99 <= 0.2s ", "agents", TARS_TH_P99, TARS_TH_LE, 2e8);
    parse_ok("p50>1", NULL, TARS_TH_P50, TARS_TH_GT, 1e6);
    parse_ok("p75>=250us", NULL, TARS_TH_P75, TARS_TH_GE, 250e3);
    parse_ok("p90<2s", NULL, TARS_TH_P90, TARS_TH_LT, 2e9);
    parse_ok("p99.9<1s", NULL, TARS_TH_P99_9, TARS_TH_LT, 1e9);
    parse_ok("mean<100us", NULL, TARS_TH_MEAN, TARS_TH_LT, 1e5);
    parse_ok("avg<3", NULL, TARS_TH_MEAN, TARS_TH_LT, 3e6);
    parse_ok("max<=2.5s", NULL, TARS_TH_MAX, TARS_TH_LE, 2.5e9);
    parse_ok("error_rate<1%", NULL, TARS_TH_ERROR_RATE, TARS_TH_LT, 0.01);
    parse_ok("agents:error_rate<=0.05", "agents", TARS_TH_ERROR_RATE, TARS_TH_LE, 0.05);
    parse_ok("rps>500", NULL, TARS_TH_RPS, TARS_TH_GT, 500);
    parse_ok("requests>=10", NULL, TARS_TH_REQUESTS, TARS_TH_GE, 10);
    parse_ok("GET /a:b:p50<1", "GET /a:b", TARS_TH_P50, TARS_TH_LT, 1e6);
    assert_int_equal(tars_threshold_parse("  p95 < 150 ms ", &th, &err), 0);
    assert_string_equal(th.text, "p95 < 150 ms");
    tars_threshold_release(&th);
    tars_threshold_release(&th); /* twice: released is zeroed */
}

static void parse_bad(const char *text, const char *message)
{
    struct tars_threshold th;
    struct tars_err err = TARS_ERR_INIT;

    if (tars_threshold_parse(text, &th, &err) != TARS_EINVAL)
        fail_msg("\"%s\" parsed", text);
    assert_string_equal(err.msg, message);
    assert_null(th.text);
    assert_null(th.task);
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_bad("p95", "bad threshold \"p95\": expected [task:]metric <, <=, > or >= value, e.g. "
                     "p95<150ms, or k6's http_req_duration: p(95)<150");
    parse_bad("", "bad threshold \"\": expected [task:]metric <, <=, > or >= value, e.g. "
                  "p95<150ms, or k6's http_req_duration: p(95)<150");
    parse_bad("p96<1ms", "bad threshold \"p96<1ms\": unknown metric \"p96\" (use p50, p75, p90, "
                         "p95, p99, p99.9, min, mean, avg, max, error_rate, rps or requests)");
    parse_bad("p95<fast", "bad threshold \"p95<fast\": expected a number, not \"fast\"");
    parse_bad("p95<-1ms", "bad threshold \"p95<-1ms\": expected a number, not \"-1ms\"");
    parse_bad("p95<150xs", "bad threshold \"p95<150xs\": unit \"xs\" does not fit p95 (use ms, s "
                           "or us)");
    parse_bad("rps>5%", "bad threshold \"rps>5%\": unit \"%\" does not fit rps (use none)");
    parse_bad("error_rate<5ms", "bad threshold \"error_rate<5ms\": unit \"ms\" does not fit "
                                "error_rate (use % or none)");
    parse_bad("error_rate<150%", "bad threshold \"error_rate<150%\": error_rate is at most "
                                 "100%");
    parse_bad(" :p95<1", "bad threshold \":p95<1\": empty task name before \":\"");
    parse_bad("p95<1.2.3", "bad threshold \"p95<1.2.3\": expected a number, not \"1.2.3\"");
}

/* A result with one task "a" and one task "empty" (no requests). */
static void build(struct tars_load_result *r)
{
    memset(r, 0, sizeof(*r));
    r->duration_ms = 10000;
    fixture_add_task(r, "a", "GET", "/a");
    fixture_add_task(r, "empty", "GET", "/e");
    fixture_task(&r->total, "total", "", "");
}

#define PASS TARS_JUDGE_PASS
#define FAIL TARS_JUDGE_FAIL
#define NO_DATA TARS_JUDGE_NO_DATA

/* Judges th against r; asserts the outcome, the measured value and, for
 * NO_DATA, that missing says what was missing. */
static void judge_with(const struct tars_load_result *r, struct tars_threshold *th,
                       enum tars_judgement expect, double expect_measured, const char *missing)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_judged j;

    assert_int_equal(tars_threshold_check(th, r, &j, &err), 0);
    if (j.outcome != expect)
        fail_msg("\"%s\": %s (missing \"%s\"), measured %.17g; expected %s", th->text,
                 tars_judgement_name(j.outcome), j.missing, j.measured,
                 tars_judgement_name(expect));
    if (isnan(expect_measured))
        assert_true(isnan(j.measured));
    else if (j.measured != expect_measured)
        fail_msg("\"%s\": measured %.17g, expected %.17g", th->text, j.measured, expect_measured);
    if (expect == NO_DATA && (!missing || !strstr(j.missing, missing)))
        fail_msg("\"%s\": missing \"%s\" does not say \"%s\"", th->text, j.missing,
                 missing ? missing : "(anything)");
    if (expect != NO_DATA)
        assert_string_equal(j.missing, "");
}

static void check(const struct tars_load_result *r, const char *text, enum tars_judgement expect,
                  double expect_measured)
{
    struct tars_threshold th;
    struct tars_err err = TARS_ERR_INIT;

    assert_int_equal(tars_threshold_parse(text, &th, &err), 0);
    judge_with(r, &th, expect, expect_measured, "");
    tars_threshold_release(&th);
}

static void test_latency_boundaries(void **state)
{
    struct tars_load_result r;
    (void)state;

    build(&r);
    fixture_ok(&r.tasks[0], 100000000, 10); /* 100 ms */
    fixture_ok(&r.tasks[0], 200000000, 10); /* 200 ms */
    /* p50 of two values is the first (rank 1, exact); max the second. */
    check(&r, "a:p50<100ms", FAIL, 100e6);
    check(&r, "a:p50<=100ms", PASS, 100e6);
    check(&r, "a:p50>100ms", FAIL, 100e6);
    check(&r, "a:p50>=100ms", PASS, 100e6);
    check(&r, "a:max<200ms", FAIL, 200e6);
    check(&r, "a:max<=0.2s", PASS, 200e6);
    check(&r, "a:mean<150ms", FAIL, 150e6);
    check(&r, "a:avg<=150000us", PASS, 150e6);
    check(&r, "a:p99.9<=200ms", PASS, 200e6);
    tars_load_result_release(&r);
}

static void test_single_value_percentiles(void **state)
{
    struct tars_load_result r;
    (void)state;

    build(&r);
    fixture_ok(&r.tasks[0], 150000000, 10);
    check(&r, "a:p95<150ms", FAIL, 150e6);
    check(&r, "a:p95<=150ms", PASS, 150e6);
    check(&r, "a:p75<150.001ms", PASS, 150e6);
    tars_load_result_release(&r);
}

static void test_counts_and_rates(void **state)
{
    struct tars_load_result r;
    (void)state;

    build(&r);
    for (int i = 0; i < 99; i++)
        fixture_ok(&r.tasks[0], 1000000, 10);
    fixture_fail(&r.tasks[0], TARS_LOAD_ERR_STATUS, 500, 1000000);
    r.total.requests = 100;
    r.total.failures = 1;
    check(&r, "a:error_rate<1%", FAIL, 0.01);
    check(&r, "a:error_rate<=1%", PASS, 0.01);
    check(&r, "error_rate<0.011", PASS, 0.01);
    check(&r, "a:rps>10", FAIL, 10);
    check(&r, "a:rps>=10", PASS, 10);
    check(&r, "rps<=10", PASS, 10);
    check(&r, "a:requests>=100", PASS, 100);
    check(&r, "a:requests>100", FAIL, 100);
    tars_load_result_release(&r);
}

/* k6's form: the metric and tags map to tars' metric, task and {ok}. */
static void test_parse_k6_forms(void **state)
{
    static const struct {
        const char *text, *task;
        enum tars_threshold_metric metric;
        double percentile;
        bool ok_only;
        enum tars_threshold_op op;
        double value;
    } cases[] = {
        {"http_req_duration: p(95)<150", NULL, TARS_TH_PERCENTILE, 95, false, TARS_TH_LT, 150e6},
        {"http_req_duration:p(99.9)<=1s", NULL, TARS_TH_PERCENTILE, 99.9, false, TARS_TH_LE, 1e9},
        {"http_req_duration{name:agents}: p(99)<300", "agents", TARS_TH_PERCENTILE, 99, false,
         TARS_TH_LT, 300e6},
        {" http_req_duration { name : GET /a:b } : p(90) < 2 ", "GET /a:b", TARS_TH_PERCENTILE, 90,
         false, TARS_TH_LT, 2e6},
        {"http_req_duration{expected_response:true}: p(95)<150", NULL, TARS_TH_PERCENTILE, 95, true,
         TARS_TH_LT, 150e6},
        {"http_req_duration{name:a,expected_response:true}: med<10", "a", TARS_TH_PERCENTILE, 50,
         true, TARS_TH_LT, 10e6},
        {"http_req_duration: avg<200", NULL, TARS_TH_MEAN, 0, false, TARS_TH_LT, 200e6},
        {"http_req_duration: min>1", NULL, TARS_TH_MIN, 0, false, TARS_TH_GT, 1e6},
        {"http_req_duration: max<1500ms", NULL, TARS_TH_MAX, 0, false, TARS_TH_LT, 1500e6},
        {"http_req_failed: rate<0.01", NULL, TARS_TH_ERROR_RATE, 0, false, TARS_TH_LT, 0.01},
        {"http_req_failed{name:\"x\"}: rate<=1%", "x", TARS_TH_ERROR_RATE, 0, false, TARS_TH_LE,
         0.01},
        {"http_reqs: count>100", NULL, TARS_TH_REQUESTS, 0, false, TARS_TH_GT, 100},
        {"http_reqs{name:a}: rate>=50", "a", TARS_TH_RPS, 0, false, TARS_TH_GE, 50},
        /* a task that only looks like a k6 metric keeps tars' form */
        {"http_requests:p95<1", "http_requests", TARS_TH_P95, 0, false, TARS_TH_LT, 1e6},
        {"min<5", NULL, TARS_TH_MIN, 0, false, TARS_TH_LT, 5e6},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tars_threshold th;
        struct tars_err err = TARS_ERR_INIT;
        if (tars_threshold_parse(cases[i].text, &th, &err))
            fail_msg("\"%s\": %s", cases[i].text, err.msg);
        if ((cases[i].task ? !th.task || strcmp(th.task, cases[i].task) : th.task != NULL) ||
            th.metric != cases[i].metric || th.percentile != cases[i].percentile ||
            th.ok_only != cases[i].ok_only || th.op != cases[i].op ||
            fabs(th.value - cases[i].value) > 1e-9 * cases[i].value)
            fail_msg("\"%s\": task %s metric %d p %g ok %d op %d value %.17g", cases[i].text,
                     th.task ? th.task : "(none)", th.metric, th.percentile, th.ok_only, th.op,
                     th.value);
        tars_threshold_release(&th);
    }
}

static void test_parse_k6_errors(void **state)
{
    (void)state;
    parse_bad("http_req_waiting: p(95)<1", "bad threshold \"http_req_waiting: p(95)<1\": k6 metric "
                                           "\"http_req_waiting\" is not measured by tars (use "
                                           "http_req_duration, http_req_failed or http_reqs)");
    parse_bad("http_req_duration: p(101)<1", "bad threshold \"http_req_duration: p(101)<1\": "
                                             "http_req_duration takes avg, min, med, max or p(N) "
                                             "with 0 < N <= 100, not \"p(101)\"");
    parse_bad("http_req_duration: rate<1", "bad threshold \"http_req_duration: rate<1\": "
                                           "http_req_duration takes avg, min, med, max or p(N) "
                                           "with 0 < N <= 100, not \"rate\"");
    parse_bad("http_req_failed: p(95)<1", "bad threshold \"http_req_failed: p(95)<1\": "
                                          "http_req_failed takes rate, not \"p(95)\"");
    parse_bad("http_reqs: avg<1", "bad threshold \"http_reqs: avg<1\": http_reqs takes count or "
                                  "rate, not \"avg\"");
    parse_bad("http_req_failed: rate<2", "bad threshold \"http_req_failed: rate<2\": "
                                         "http_req_failed is at most 100%");
    parse_bad("http_reqs: count>5ms", "bad threshold \"http_reqs: count>5ms\": unit \"ms\" does "
                                      "not fit http_reqs (use none)");
    parse_bad("http_req_duration{status:200}: p(95)<1",
              "bad threshold \"http_req_duration{status:200}: p(95)<1\": unsupported tag (use "
              "name:TASK or expected_response:true): \"status\"");
    parse_bad("http_req_duration{name:}: p(95)<1",
              "bad threshold \"http_req_duration{name:}: p(95)<1\": one non-empty name tag (a "
              "task's name), not \"name:\"");
    parse_bad("http_req_failed{expected_response:true}: rate<1",
              "bad threshold \"http_req_failed{expected_response:true}: rate<1\": "
              "expected_response:true (the successful responses of http_req_duration) is the "
              "tag's only use, not \"expected_response:true\"");
    parse_bad("http_req_duration{name:a: p(95)<1", "bad threshold \"http_req_duration{name:a: "
                                                   "p(95)<1\": no } after \"{name:a: p(95)\"");
    parse_bad("http_req_duration{name:a} p(95)<1",
              "bad threshold \"http_req_duration{name:a} p(95)<1\": expected \": aggregation\" "
              "after the k6 metric, not \"p(95)\"");
}

/* k6 thresholds judged on the same figures as tars' own. */
static void test_k6_judged(void **state)
{
    struct tars_load_result r;
    (void)state;

    build(&r);
    for (int i = 1; i <= 100; i++)
        fixture_ok(&r.tasks[0], (uint64_t)i * 1000000, 10);          /* 1..100 ms */
    fixture_fail(&r.tasks[0], TARS_LOAD_ERR_STATUS, 500, 500000000); /* one 500 in 500 ms */
    r.total.requests = 101;
    r.total.failures = 1;
    check(&r, "http_req_duration{name:a}: max<=500", PASS, 500e6);
    check(&r, "http_req_duration{name:a,expected_response:true}: max<=100", PASS, 100e6);
    check(&r, "http_req_duration{name:a,expected_response:true}: min>=1", PASS, 1e6);
    check(&r, "http_req_duration{name:a,expected_response:true}: min>1", FAIL, 1e6);
    check(&r, "http_reqs{name:a}: count>100", PASS, 101);
    check(&r, "http_reqs{name:a}: rate>=10.1", PASS, 10.1);
    check(&r, "http_req_failed: rate<0.01", PASS, 1.0 / 101);
    check(&r, "http_req_failed: rate<0.0099", FAIL, 1.0 / 101);
    tars_load_result_release(&r);
    build(&r);
    for (int i = 0; i < 10; i++)
        fixture_ok(&r.tasks[0], 150000000, 10); /* every response 150 ms */
    check(&r, "http_req_duration{name:a}: p(42)<=150", PASS, 150e6);
    check(&r, "http_req_duration{name:a}: p(42)<150", FAIL, 150e6);
    check(&r, "http_req_duration{name:a}: med>=150ms", PASS, 150e6);
    tars_load_result_release(&r);
}

/* k6's summary: figures in ms under k6's names; a threshold without data is
 * filed as crossed (true), never as passed; a metric with nothing timed has
 * no figures rather than zeros. */
static void test_k6_summary(void **state)
{
    static const char *const texts[] = {"empty:p95<1s", "http_req_duration{name:a}: max<=200",
                                        "a:error_rate<1%", "http_reqs: count>=2"};
    struct tars_threshold th[4];
    struct tars_err err = TARS_ERR_INIT;
    struct tars_load_result r;
    json_t *doc, *m, *d;
    (void)state;

    build(&r);
    fixture_ok(&r.tasks[0], 100000000, 10); /* 100 ms */
    fixture_ok(&r.tasks[0], 200000000, 10); /* 200 ms */
    r.total.requests = 2;
    for (int i = 0; i < 4; i++)
        assert_int_equal(tars_threshold_parse(texts[i], &th[i], &err), 0);
    doc = tars_load_k6_summary(&r, th, 4);
    assert_non_null(doc);
    m = json_object_get(doc, "metrics");
    d = json_object_get(m, "http_req_duration{name:a}");
    assert_true(json_real_value(json_object_get(d, "max")) == 200.0);
    assert_true(json_real_value(json_object_get(d, "min")) == 100.0);
    assert_true(json_real_value(json_object_get(d, "avg")) == 150.0);
    assert_true(json_is_false(json_object_get(json_object_get(d, "thresholds"), "max<=200")));
    d = json_object_get(m, "http_req_duration{name:empty}");
    assert_null(json_object_get(d, "avg"));
    assert_true(json_is_true(json_object_get(json_object_get(d, "thresholds"), "empty:p95<1s")));
    d = json_object_get(m, "http_req_failed{name:a}");
    assert_int_equal(json_integer_value(json_object_get(d, "passes")), 0);
    assert_int_equal(json_integer_value(json_object_get(d, "fails")), 2);
    assert_true(
        json_is_false(json_object_get(json_object_get(d, "thresholds"), "a:error_rate<1%")));
    d = json_object_get(m, "http_reqs");
    assert_int_equal(json_integer_value(json_object_get(d, "count")), 2);
    assert_true(json_real_value(json_object_get(d, "rate")) == 0.2); /* 2 in 10 s */
    assert_true(json_is_false(json_object_get(json_object_get(d, "thresholds"), "count>=2")));
    json_decref(doc);
    for (int i = 0; i < 4; i++)
        tars_threshold_release(&th[i]);
    tars_load_result_release(&r);
}

/* Every evaluator gets the same table: no data, an empty list, NaN, +Inf and
 * -Inf, exactly at the limit, a peer error. No data is never a pass, never a
 * silent fail: it is NO_DATA naming what was missing. */
enum input { NOTHING, EMPTY_TASK, AT_LIMIT, PEER_ERROR };

static void build_input(struct tars_load_result *r, enum input in)
{
    memset(r, 0, sizeof(*r));
    if (in == NOTHING) /* a result with no task, no request, no duration */
        return;
    build(r);
    if (in == AT_LIMIT) {
        for (int i = 0; i < 10; i++)
            fixture_ok(&r->tasks[0], 150000000, 10); /* every response 150 ms */
        r->total.requests = 10;
    } else if (in == PEER_ERROR) { /* the server refused every connection: nothing was answered */
        for (int i = 0; i < 10; i++)
            fixture_fail(&r->tasks[0], TARS_LOAD_ERR_REFUSED, 0, 0);
        r->total.requests = r->total.failures = 10;
    }
}

static void test_no_data_table(void **state)
{
    static const struct row {
        enum input in;
        const char *threshold;
        double limit; /* replaces the parsed limit unless 0 */
        enum tars_judgement expect;
        double measured;
        const char *missing;
    } rows[] = {
        {NOTHING, "p95<150ms", 0, NO_DATA, NAN, "no request was sent"},
        {NOTHING, "error_rate<1%", 0, NO_DATA, NAN, "no request was sent"},
        {NOTHING, "rps>1", 0, NO_DATA, NAN, "no request was sent"},
        {NOTHING, "requests<5", 0, NO_DATA, NAN, "no request was sent"},
        {EMPTY_TASK, "empty:p95<1s", 0, NO_DATA, NAN, "no request was sent"},
        {EMPTY_TASK, "empty:max<1s", 0, NO_DATA, NAN, "no request was sent"},
        {EMPTY_TASK, "empty:error_rate<100%", 0, NO_DATA, NAN, "no request was sent"},
        {EMPTY_TASK, "empty:requests<5", 0, NO_DATA, NAN, "no request was sent"},
        {EMPTY_TASK, "empty:rps<1000", 0, NO_DATA, NAN, "no request was sent"},
        {EMPTY_TASK, "p95<1s", 0, NO_DATA, NAN, "no request was sent"},
        {AT_LIMIT, "a:p95<150ms", 0, FAIL, 150e6, NULL},
        {AT_LIMIT, "a:p95<=150ms", 0, PASS, 150e6, NULL},
        {AT_LIMIT, "a:mean>=150ms", 0, PASS, 150e6, NULL},
        {AT_LIMIT, "a:requests>10", 0, FAIL, 10, NULL},
        {AT_LIMIT, "a:p95<150ms", NAN, NO_DATA, 150e6, "the limit is NaN"},
        {AT_LIMIT, "a:p95<150ms", INFINITY, NO_DATA, 150e6, "the limit is +Inf"},
        {AT_LIMIT, "a:p95>150ms", -INFINITY, NO_DATA, 150e6, "the limit is -Inf"},
        {PEER_ERROR, "a:p95<150ms", 0, NO_DATA, NAN, "no response was timed"},
        {PEER_ERROR, "a:max<1s", 0, NO_DATA, NAN, "no response was timed"},
        {PEER_ERROR, "a:error_rate<1%", 0, FAIL, 1.0, NULL},
        {PEER_ERROR, "a:requests>=10", 0, PASS, 10, NULL},
        {NOTHING, "http_req_duration: p(95)<150", 0, NO_DATA, NAN, "no request was sent"},
        {NOTHING, "http_req_failed: rate<0.01", 0, NO_DATA, NAN, "no request was sent"},
        {NOTHING, "http_reqs: rate>1", 0, NO_DATA, NAN, "no request was sent"},
        {PEER_ERROR, "http_req_duration{name:a}: p(95)<150", 0, NO_DATA, NAN,
         "no response was timed"},
        {PEER_ERROR, "http_req_duration{name:a}: min<150", 0, NO_DATA, NAN,
         "no response was timed"},
        {PEER_ERROR, "http_req_duration{name:a,expected_response:true}: med<150", 0, NO_DATA, NAN,
         "no successful response was timed"},
        {PEER_ERROR, "http_req_failed{name:a}: rate<0.01", 0, FAIL, 1.0, NULL},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct tars_load_result r;
        struct tars_threshold th;
        struct tars_err err = TARS_ERR_INIT;
        build_input(&r, rows[i].in);
        assert_int_equal(tars_threshold_parse(rows[i].threshold, &th, &err), 0);
        if (rows[i].limit != 0)
            th.value = rows[i].limit;
        judge_with(&r, &th, rows[i].expect, rows[i].measured, rows[i].missing);
        tars_threshold_release(&th);
        tars_load_result_release(&r);
    }
}

/* The measured side: tars_judge itself, for the NaN and infinite figures a
 * result cannot hold but a computation could produce. */
static void test_judge_non_finite(void **state)
{
    (void)state;
    assert_int_equal(tars_judge(NAN, TARS_JUDGE_LT, 1), NO_DATA);
    assert_int_equal(tars_judge(NAN, TARS_JUDGE_GE, 1), NO_DATA);
    assert_int_equal(tars_judge(INFINITY, TARS_JUDGE_GT, 1), NO_DATA);
    assert_int_equal(tars_judge(-INFINITY, TARS_JUDGE_LT, 1), NO_DATA);
    assert_int_equal(tars_judge(1, TARS_JUDGE_LT, NAN), NO_DATA);
    assert_int_equal(tars_judge(1, 99, 2), NO_DATA);
    assert_int_equal(tars_judge(1, TARS_JUDGE_LT, 1), FAIL);
    assert_int_equal(tars_judge(1, TARS_JUDGE_LE, 1), PASS);
    assert_int_equal(tars_judge(1, TARS_JUDGE_GT, 1), FAIL);
    assert_int_equal(tars_judge(1, TARS_JUDGE_GE, 1), PASS);
    struct tars_judged j;
    tars_judged_set(&j, -INFINITY, TARS_JUDGE_LT, 1, NULL);
    assert_int_equal(j.outcome, NO_DATA);
    assert_string_equal(j.missing, "the measured value is -Inf");
}

/* Every response is timed; {ok} chooses the successful ones. */
static void test_all_responses_and_ok_only(void **state)
{
    struct tars_load_result r;
    struct tars_threshold th;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    build(&r);
    for (int i = 0; i < 10; i++) {
        fixture_ok(&r.tasks[0], 10000000, 10);                           /* 10 ms */
        fixture_fail(&r.tasks[0], TARS_LOAD_ERR_STATUS, 429, 500000000); /* 500 ms */
        fixture_fail(&r.tasks[1], TARS_LOAD_ERR_STATUS, 503, 20000000);  /* 20 ms */
    }
    check(&r, "a:p95<150ms", FAIL, 500e6);
    check(&r, "a:p95{ok}<150ms", PASS, 10e6);
    check(&r, "a : max {ok} <= 10ms", PASS, 10e6);
    check(&r, "a:mean{ok}<11ms", PASS, 10e6);
    check(&r, "empty:p95<150ms", PASS, 20e6); /* failures only: timed all the same */
    assert_int_equal(tars_threshold_parse("empty:p95{ok}<150ms", &th, &err), 0);
    assert_true(th.ok_only);
    judge_with(&r, &th, NO_DATA, NAN, "no successful response was timed");
    tars_threshold_release(&th);
    assert_int_equal(tars_threshold_parse("error_rate{ok}<1%", &th, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "{ok} selects successful responses for a latency"));
    assert_int_equal(tars_threshold_parse("p95{fail}<1s", &th, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "unknown selector"));
    tars_load_result_release(&r);
}

static void test_unknown_task(void **state)
{
    struct tars_load_result r;
    struct tars_threshold th;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_judged j;
    (void)state;

    build(&r);
    assert_int_equal(tars_threshold_parse("nope:p95<1s", &th, &err), 0);
    assert_int_equal(tars_threshold_check(&th, &r, &j, &err), TARS_ENOTFOUND);
    assert_string_equal(err.msg, "threshold \"nope:p95<1s\": no task named \"nope\"");
    assert_int_not_equal(j.outcome, PASS);
    tars_threshold_release(&th);
    tars_load_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_k6_forms),     cmocka_unit_test(test_parse_k6_errors),
        cmocka_unit_test(test_k6_judged),          cmocka_unit_test(test_k6_summary),
        cmocka_unit_test(test_latency_boundaries), cmocka_unit_test(test_single_value_percentiles),
        cmocka_unit_test(test_counts_and_rates),   cmocka_unit_test(test_no_data_table),
        cmocka_unit_test(test_judge_non_finite),   cmocka_unit_test(test_all_responses_and_ok_only),
        cmocka_unit_test(test_unknown_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
