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
                     "p95<150ms");
    parse_bad("", "bad threshold \"\": expected [task:]metric <, <=, > or >= value, e.g. "
                  "p95<150ms");
    parse_bad("p96<1ms", "bad threshold \"p96<1ms\": unknown metric \"p96\" (use p50, p75, p90, "
                         "p95, p99, p99.9, mean, avg, max, error_rate, rps or requests)");
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
        cmocka_unit_test(test_latency_boundaries), cmocka_unit_test(test_single_value_percentiles),
        cmocka_unit_test(test_counts_and_rates),   cmocka_unit_test(test_no_data_table),
        cmocka_unit_test(test_judge_non_finite),   cmocka_unit_test(test_all_responses_and_ok_only),
        cmocka_unit_test(test_unknown_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
