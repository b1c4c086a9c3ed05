/* Unit tests for the check runner: parallelism, retries, deadlines, selection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "tars/check.h"
#include "tars/clock.h"

/* A fake type: params {sleep_ms, outcome: pass|fail|flaky|error, fail_times}. */
static int flaky_calls;

static void fake_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    const char *outcome = tars_check_param_str(ctx, "outcome", "pass");
    struct timespec ts = {0, (long)tars_check_param_num(ctx, "sleep_ms", 0) * 1000000L};

    nanosleep(&ts, NULL);
    if (strcmp(outcome, "pass") == 0)
        tars_check_pass(out, "fine");
    else if (strcmp(outcome, "fail") == 0)
        tars_check_fail(out, "broken");
    else if (strcmp(outcome, "flaky") == 0 &&
             __atomic_add_fetch(&flaky_calls, 1, __ATOMIC_SEQ_CST) <
                 (int)tars_check_param_num(ctx, "fail_times", 1) + 1)
        tars_check_error(out, true, "refused");
    else if (strcmp(outcome, "flaky") == 0)
        tars_check_pass(out, "recovered");
    else if (strcmp(outcome, "flaky_fail") == 0 &&
             __atomic_add_fetch(&flaky_calls, 1, __ATOMIC_SEQ_CST) < 2) {
        tars_check_fail(out, "HTTP 503");
        out->transient = true;
    } else if (strcmp(outcome, "flaky_fail") == 0)
        tars_check_pass(out, "recovered");
    else
        tars_check_error(out, false, "permanent");
}

static const char *const fake_params[] = {"outcome", "sleep_ms", "fail_times", NULL};
static const struct tars_check_type fake_type = {
    .name = "fake", .category_hint = "", .params = fake_params, .run = fake_run};

static void make_check(struct tars_check *c, const char *id, const char *category,
                       const char *params)
{
    memset(c, 0, sizeof(*c));
    c->id = (char *)id;
    c->name = (char *)id;
    c->category = (char *)category;
    c->type = &fake_type;
    c->params = json_loads(params, 0, NULL);
    c->timeout_ms = 5000;
    c->retry_delay_ms = 10;
}

static void run(struct tars_suite *s, struct tars_check_filter *f, int parallel,
                struct tars_check_result *r, bool *sel)
{
    struct tars_err err = TARS_ERR_INIT;
    assert_int_equal(tars_suite_run(s, f, parallel, r, sel, NULL, NULL, &err), TARS_OK);
}

static void release(struct tars_suite *s)
{
    for (size_t i = 0; i < s->check_count; i++)
        json_decref(s->checks[i].params);
}

static void test_parallel_wall_time_is_the_slowest(void **state)
{
    struct tars_check checks[4];
    struct tars_suite s = {.name = "t", .checks = checks, .check_count = 4, .targets = NULL};
    struct tars_check_filter f = {0};
    struct tars_check_result r[4];
    bool sel[4];
    uint64_t t0;
    (void)state;

    for (int i = 0; i < 4; i++)
        make_check(&checks[i], "c", "cat", "{\"sleep_ms\": 300}");
    t0 = tars_mono_ns();
    run(&s, &f, 4, r, sel);
    assert_true(tars_mono_ns() - t0 < 900000000u); /* the sum would be 1.2 s */
    for (int i = 0; i < 4; i++)
        assert_int_equal(r[i].status, TARS_CHECK_PASS);
    release(&s);
}

static void test_transient_errors_are_retried_only(void **state)
{
    struct tars_check checks[2];
    struct tars_suite s = {.name = "t", .checks = checks, .check_count = 2};
    struct tars_check_filter f = {0};
    struct tars_check_result r[2];
    bool sel[2];
    (void)state;

    flaky_calls = 0;
    make_check(&checks[0], "flaky", "cat", "{\"outcome\": \"flaky\", \"fail_times\": 2}");
    checks[0].retries = 3;
    make_check(&checks[1], "perm", "cat", "{\"outcome\": \"error\"}");
    checks[1].retries = 3;
    run(&s, &f, 1, r, sel);
    assert_int_equal(r[0].status, TARS_CHECK_PASS);
    assert_int_equal(r[0].attempts, 3);
    assert_int_equal(r[1].status, TARS_CHECK_ERROR);
    assert_int_equal(r[1].attempts, 1);
    assert_string_equal(r[1].reason, "permanent");
    release(&s);
}

static void test_transient_failures_are_retried(void **state)
{
    struct tars_check checks[2];
    struct tars_suite s = {.name = "t", .checks = checks, .check_count = 2};
    struct tars_check_filter f = {0};
    struct tars_check_result r[2];
    bool sel[2];
    (void)state;

    flaky_calls = 0;
    make_check(&checks[0], "5xx", "cat", "{\"outcome\": \"flaky_fail\"}");
    checks[0].retries = 1;
    make_check(&checks[1], "plain-fail", "cat", "{\"outcome\": \"fail\"}");
    checks[1].retries = 3;
    run(&s, &f, 1, r, sel);
    assert_int_equal(r[0].status, TARS_CHECK_PASS);
    assert_int_equal(r[0].attempts, 2);
    assert_int_equal(r[1].status, TARS_CHECK_FAIL);
    assert_int_equal(r[1].attempts, 1);
    release(&s);
}

static void test_retries_are_bounded(void **state)
{
    struct tars_check checks[1];
    struct tars_suite s = {.name = "t", .checks = checks, .check_count = 1};
    struct tars_check_filter f = {0};
    struct tars_check_result r[1];
    bool sel[1];
    (void)state;

    flaky_calls = 0;
    make_check(&checks[0], "flaky", "cat", "{\"outcome\": \"flaky\", \"fail_times\": 10}");
    checks[0].retries = 2;
    run(&s, &f, 1, r, sel);
    assert_int_equal(r[0].status, TARS_CHECK_ERROR);
    assert_int_equal(r[0].attempts, 3);
    release(&s);
}

static void test_selection_by_id_category_and_tag(void **state)
{
    struct tars_check checks[3];
    struct tars_suite s = {.name = "t", .checks = checks, .check_count = 3};
    const char *only[] = {"db"}, *tags[] = {"smoke"};
    char *tag_smoke[] = {"smoke"};
    struct tars_check_filter f = {only, 1, NULL, 0};
    struct tars_check_result r[3];
    bool sel[3];
    (void)state;

    make_check(&checks[0], "a", "api", "{\"outcome\": \"fail\"}");
    make_check(&checks[1], "b", "db", "{}");
    make_check(&checks[2], "c", "api", "{}");
    checks[2].tags = tag_smoke;
    checks[2].tag_count = 1;
    run(&s, &f, 2, r, sel);
    assert_false(sel[0]);
    assert_true(sel[1]);
    assert_false(sel[2]);
    assert_int_equal(r[0].status, TARS_CHECK_SKIP);
    f = (struct tars_check_filter){NULL, 0, tags, 1};
    run(&s, &f, 2, r, sel);
    assert_true(sel[2] && !sel[0] && !sel[1]);
    release(&s);
}

static void test_suite_deadline_stops_the_rest(void **state)
{
    struct tars_check checks[3];
    struct tars_suite s = {.name = "t", .checks = checks, .check_count = 3, .deadline_ms = 150};
    struct tars_check_filter f = {0};
    struct tars_check_result r[3];
    bool sel[3];
    (void)state;

    for (int i = 0; i < 3; i++)
        make_check(&checks[i], "slow", "cat", "{\"sleep_ms\": 200}");
    run(&s, &f, 1, r, sel);
    assert_int_equal(r[0].status, TARS_CHECK_PASS);
    assert_int_equal(r[1].status, TARS_CHECK_ERROR);
    assert_non_null(strstr(r[2].reason, "deadline"));
    release(&s);
}

/* tars_check_run_suite fills the whole run the outputs read: the suite, one
 * result and one selection flag per check, the start and the wall time; the
 * counts over several runs are the sums of each run's. */
static void test_check_run_is_filled_by_the_runner(void **state)
{
    struct tars_check checks[3];
    struct tars_suite s = {.name = "t", .checks = checks, .check_count = 3};
    const char *only[] = {"api"};
    struct tars_check_filter f = {only, 1, NULL, 0};
    struct tars_check_run runs[2];
    struct tars_check_counts one, all;
    struct tars_err err = TARS_ERR_INIT;
    time_t before = time(NULL);
    (void)state;

    make_check(&checks[0], "a", "api", "{\"outcome\": \"fail\", \"sleep_ms\": 30}");
    make_check(&checks[1], "b", "db", "{}");
    make_check(&checks[2], "c", "api", "{}");
    assert_int_equal(tars_check_run_suite(&runs[0], &s, &f, 2, NULL, NULL, NULL, &err), TARS_OK);
    assert_ptr_equal(runs[0].suite, &s);
    assert_true(runs[0].selected[0] && !runs[0].selected[1] && runs[0].selected[2]);
    assert_int_equal(runs[0].results[0].status, TARS_CHECK_FAIL);
    assert_string_equal(runs[0].results[0].reason, "broken");
    assert_int_equal(runs[0].results[1].status, TARS_CHECK_SKIP);
    assert_int_equal(runs[0].results[2].status, TARS_CHECK_PASS);
    assert_true(runs[0].started >= before && runs[0].started <= time(NULL));
    assert_true(runs[0].wall_ms >= 30 && runs[0].wall_ms < 60000);
    f = (struct tars_check_filter){0};
    assert_int_equal(tars_check_run_suite(&runs[1], &s, &f, 1, NULL, NULL, NULL, &err), TARS_OK);
    tars_check_count(&runs[0], &one);
    assert_true(one.pass == 1 && one.fail == 1 && one.skip == 0 && one.error == 0);
    tars_check_count_runs(runs, 2, &all);
    assert_true(all.pass == 3 && all.fail == 2 && all.skip == 0 && all.error == 0);
    tars_check_run_release(&runs[0]);
    tars_check_run_release(&runs[1]);
    assert_null(runs[0].results);
    assert_null(runs[0].selected);
    release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_wall_time_is_the_slowest),
        cmocka_unit_test(test_transient_errors_are_retried_only),
        cmocka_unit_test(test_transient_failures_are_retried),
        cmocka_unit_test(test_retries_are_bounded),
        cmocka_unit_test(test_selection_by_id_category_and_tag),
        cmocka_unit_test(test_suite_deadline_stops_the_rest),
        cmocka_unit_test(test_check_run_is_filled_by_the_runner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
