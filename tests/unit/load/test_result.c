/* Unit tests for load results: JSON round trip, exact merge, strict
 * reading, release, error names. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "result_fixture.h"
#include "tars/load.h"

/* Feeds requests from..to-1 of a deterministic stream into r: request i
 * goes to task i % 3, or nowhere when tasks <= i % 3. */
static void feed(struct tars_load_result *r, int from, int to, int tasks)
{
    for (int i = from; i < to; i++) {
        struct tars_load_task_result *t = &r->tasks[i % 3];
        uint64_t ns = 1000 + (uint64_t)i * 7919 % 5000000;
        if (i % 3 >= tasks)
            continue;
        if (i % 17 == 0) {
            fixture_fail(t, TARS_LOAD_ERR_STATUS, 500 + i % 2, ns);
            fixture_fail(&r->total, TARS_LOAD_ERR_STATUS, 500 + i % 2, ns);
        } else if (i % 23 == 0) {
            fixture_fail(t, TARS_LOAD_ERR_TIMEOUT, 0, 0);
            fixture_fail(&r->total, TARS_LOAD_ERR_TIMEOUT, 0, 0);
        } else {
            fixture_ok(t, ns, 100 + (uint64_t)i % 7);
            fixture_ok(&r->total, ns, 100 + (uint64_t)i % 7);
        }
    }
}

static void build(struct tars_load_result *r, const char *name, int tasks)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->scenario, sizeof(r->scenario), "%s", name);
    r->model = TARS_LOAD_OPEN;
    r->threads = 2;
    r->started_at_ms = 1767225600000;
    r->duration_ms = 30000;
    r->users = 0;
    r->rate = 500;
    r->generator_cpu_max = 0.25;
    r->generator_cpu_s = 7.5;
    r->worker_count = 1;
    r->merged_from = 1;
    fixture_add_task(r, "agents", "GET", "/api/v1/agents");
    fixture_add_task(r, "evaluations", "POST", "/api/v1/evaluations");
    if (tasks > 2)
        fixture_add_task(r, "metrics", "GET", "/api/v1/metrics");
    fixture_task(&r->total, "Aggregated", "", "");
}

static void assert_result_equal(const struct tars_load_result *a, const struct tars_load_result *b)
{
    assert_string_equal(a->scenario, b->scenario);
    assert_int_equal(a->model, b->model);
    assert_int_equal(a->threads, b->threads);
    assert_int_equal(a->started_at_ms, b->started_at_ms);
    assert_int_equal(a->duration_ms, b->duration_ms);
    assert_int_equal(a->users, b->users);
    assert_true(a->rate == b->rate);
    assert_int_equal(a->interrupted, b->interrupted);
    assert_int_equal(a->generator_saturated, b->generator_saturated);
    assert_true(a->generator_cpu_max == b->generator_cpu_max);
    assert_true(a->generator_cpu_s == b->generator_cpu_s);
    assert_int_equal(a->worker_index, b->worker_index);
    assert_int_equal(a->worker_count, b->worker_count);
    assert_int_equal(a->merged_from, b->merged_from);
    assert_int_equal(a->task_count, b->task_count);
    for (size_t i = 0; i < a->task_count; i++)
        fixture_assert_task_equal(&a->tasks[i], &b->tasks[i]);
    fixture_assert_task_equal(&a->total, &b->total);
    assert_int_equal(a->history_count, b->history_count);
    if (a->history_count)
        assert_memory_equal(a->history, b->history, a->history_count * sizeof(*a->history));
}

/* to_json, dump, parse, from_json. */
static void round_trip(const struct tars_load_result *r, struct tars_load_result *back)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v = tars_load_result_to_json(r), *again;
    char *text;

    assert_non_null(v);
    text = json_dumps(v, JSON_COMPACT);
    assert_non_null(text);
    again = json_loads(text, 0, NULL);
    assert_non_null(again);
    if (tars_load_result_from_json(again, back, &err))
        fail_msg("%s", err.msg);
    json_decref(v);
    json_decref(again);
    free(text);
}

/* r's thread_stats: the threads' requests and their rates. */
static void fixture_threads(struct tars_load_result *r, const uint64_t *requests, size_t n,
                            struct tars_load_rate_stats rps)
{
    r->thread_requests = calloc(n, sizeof(*r->thread_requests));
    assert_non_null(r->thread_requests);
    memcpy(r->thread_requests, requests, n * sizeof(*requests));
    r->thread_count_listed = n;
    r->thread_rps = rps;
}

static void test_json_round_trip(void **state)
{
    struct tars_load_result r, back;
    (void)state;

    build(&r, "api", 3);
    feed(&r, 0, 3000, 3);
    r.interrupted = true;
    r.worker_index = 1;
    r.worker_count = 3;
    fixture_second(&r, 1767225601000, 10, 100, 2, 1000000, 2000000, 3000000, 4000000);
    fixture_second(&r, 1767225602000, 12, 120, 0, 1100000, 2100000, 3100000, 4100000);
    r.history[1].timed = 120;
    r.history[1].sum_ns = 240000000;
    r.history[1].min_ns = 900000;
    r.history[1].bytes = 12000;
    r.history[1].cumulative = true;
    for (int k = 0; k < 10; k++)
        r.history[1].cumulative_ns[k] = 1000000 + (uint64_t)k;
    tars_hist_free(r.tasks[2].latency_raw); /* a missing histogram is null */
    r.tasks[2].latency_raw = NULL;
    r.tasks[1].bytes_read = 123456789;
    fixture_threads(&r, (uint64_t[]){1500, 1500}, 2,
                    (struct tars_load_rate_stats){6, 500, 12.5, 520, 2.0 / 3});
    round_trip(&r, &back);
    assert_result_equal(&r, &back);
    assert_int_equal(back.tasks[1].bytes_read, 123456789);
    assert_int_equal(back.thread_count_listed, 2);
    assert_int_equal(back.thread_requests[1], 1500);
    assert_int_equal(back.thread_rps.samples, 6);
    assert_true(back.thread_rps.mean == 500 && back.thread_rps.stdev == 12.5 &&
                back.thread_rps.max == 520 && fabs(back.thread_rps.within_stdev - 2.0 / 3) < 1e-12);
    assert_true(r.tasks[0].failure_kind_count >= 2);
    tars_load_result_release(&back);
    tars_load_result_release(&r);
}

static void test_json_has_the_documented_fields(void **state)
{
    struct tars_load_result r;
    json_t *v, *task;
    (void)state;

    build(&r, "api", 2);
    feed(&r, 0, 100, 2);
    v = tars_load_result_to_json(&r);
    assert_string_equal(json_string_value(json_object_get(v, "format")), "tars-load-result");
    assert_int_equal(json_integer_value(json_object_get(v, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(v, "model")), "open");
    assert_string_equal(json_string_value(json_object_get(v, "started_at")),
                        "2026-01-01T00:00:00.000Z");
    task = json_array_get(json_object_get(v, "tasks"), 0);
    assert_string_equal(json_string_value(json_object_get(task, "name")), "agents");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(task, "errors"), "status")),
                     r.tasks[0].errors[TARS_LOAD_ERR_STATUS]);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(task, "latency"), "unit")), "ns");
    assert_true(json_is_number(json_object_get(json_object_get(task, "summary"), "p95_ms")));
    json_decref(v);
    tars_load_result_release(&r);
}

/* Two workers' results merged equal one result that recorded both. */
static void test_merge_equals_single_recording(void **state)
{
    struct tars_load_result a, b, one;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    build(&a, "api", 2);
    build(&b, "api", 3);
    build(&one, "api", 3);
    feed(&a, 0, 1500, 2);
    feed(&b, 1500, 4000, 3);
    feed(&one, 0, 1500, 2);
    feed(&one, 1500, 4000, 3);
    a.duration_ms = 29000;
    b.started_at_ms -= 500;
    b.interrupted = true;
    b.generator_cpu_max = 0.5;
    fixture_threads(&a, (uint64_t[]){7, 8}, 2, (struct tars_load_rate_stats){2, 15, 5, 20, 0.5});
    fixture_threads(&b, (uint64_t[]){9}, 1, (struct tars_load_rate_stats){2, 40, 0, 40, 1});
    fixture_second(&a, 1000, 5, 10, 1, 100, 200, 300, 400);
    fixture_second(&b, 1001, 6, 20, 0, 150, 150, 350, 350);
    fixture_second(&b, 2001, 6, 30, 3, 10, 20, 30, 40);
    assert_int_equal(tars_load_result_merge(&a, &b, &err), 0);
    assert_int_equal(a.task_count, 3);
    for (size_t i = 0; i < 3; i++)
        fixture_assert_task_equal(&a.tasks[i], &one.tasks[i]);
    fixture_assert_task_equal(&a.total, &one.total);
    assert_int_equal(a.duration_ms, 30000);
    assert_int_equal(a.started_at_ms, one.started_at_ms - 500);
    assert_int_equal(a.threads, 4);
    assert_true(a.rate == 1000);
    assert_true(a.interrupted);
    assert_true(a.generator_cpu_max == 0.5);
    assert_true(a.generator_cpu_s == 15.0); /* summed */
    assert_int_equal(a.merged_from, 2);
    /* the threads of both listed; their rates pooled: samples {10, 20} and {40, 40} */
    assert_int_equal(a.thread_count_listed, 3);
    assert_int_equal(a.thread_requests[0], 7);
    assert_int_equal(a.thread_requests[2], 9);
    assert_int_equal(a.thread_rps.samples, 4);
    assert_true(fabs(a.thread_rps.mean - 27.5) < 1e-9);
    assert_true(fabs(a.thread_rps.stdev * a.thread_rps.stdev - 168.75) < 1e-6);
    assert_true(a.thread_rps.max == 40);
    assert_true(fabs(a.thread_rps.within_stdev - 0.75) < 1e-9); /* (2 x 0.5 + 2 x 1) / 4 */
    assert_int_equal(a.history_count, 2);
    assert_int_equal(a.history[0].requests, 30);
    assert_int_equal(a.history[0].failures, 1);
    assert_int_equal(a.history[0].users, 11);
    assert_int_equal(a.history[0].at_ms, 1001);
    assert_int_equal(a.history[0].p50_ns, 150);
    assert_int_equal(a.history[0].max_ns, 400);
    assert_int_equal(a.history[1].requests, 30);
    tars_load_result_release(&a);
    tars_load_result_release(&b);
    tars_load_result_release(&one);
}

static void test_merge_into_empty_and_mismatch(void **state)
{
    struct tars_load_result a, empty, closed;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    build(&a, "api", 3);
    feed(&a, 0, 500, 3);
    memset(&empty, 0, sizeof(empty));
    assert_int_equal(tars_load_result_merge(&empty, &a, &err), 0);
    assert_result_equal(&empty, &a); /* merged_from 1: a single run */
    build(&closed, "api", 2);
    closed.model = TARS_LOAD_CLOSED;
    assert_int_equal(tars_load_result_merge(&empty, &closed, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "cannot merge a result of the closed model into one of the open "
                                 "model");
    assert_result_equal(&empty, &a); /* unchanged */
    tars_load_result_release(&a);
    tars_load_result_release(&empty);
    tars_load_result_release(&closed);
}

/* A serialised result with one change, read back: rejected with message. */
static void assert_rejected(const char *path, json_t *value, const char *message)
{
    struct tars_load_result r, back;
    struct tars_err err = TARS_ERR_INIT;
    json_t *v, *parent;
    char key[64], *dot;

    build(&r, "api", 2);
    feed(&r, 0, 50, 2);
    v = tars_load_result_to_json(&r);
    snprintf(key, sizeof(key), "%s", path);
    parent = v;
    while ((dot = strchr(key, '.'))) { /* "tasks.0.requests" */
        *dot = '\0';
        parent = json_is_array(parent) ? json_array_get(parent, (size_t)atoi(key))
                                       : json_object_get(parent, key);
        memmove(key, dot + 1, strlen(dot + 1) + 1);
    }
    if (value)
        json_object_set_new(parent, key, value);
    else
        json_object_del(parent, key);
    assert_int_equal(tars_load_result_from_json(v, &back, &err), TARS_EINVAL);
    assert_string_equal(err.msg, message);
    assert_null(back.tasks);
    assert_null(back.total.latency);
    json_decref(v);
    tars_load_result_release(&r);
}

static void test_malformed_json_rejected(void **state)
{
    struct tars_load_result back;
    struct tars_err err = TARS_ERR_INIT;
    json_t *arr = json_array();
    (void)state;

    assert_rejected("tasks", NULL, "load result: tasks is required");
    assert_rejected("modle", json_string("open"),
                    "load result: unknown key \"modle\" in the result (did you mean \"model\"?)");
    assert_rejected("tasks.0.colour", json_string("red"),
                    "load result: tasks[0]: unknown key \"colour\" in a task; valid: name, method, "
                    "path, requests, failures, errors, failure_kinds, statuses, summary, "
                    "summary_ok, latency, latency_raw, latency_ok, bytes_received, bytes_read, "
                    "socket_errors, kind");
    assert_rejected("tasks.0.socket_errors.sneeze", json_integer(1),
                    "load result: tasks[0]: unknown key \"sneeze\" in socket_errors; valid: "
                    "connect, read, write, timeout");
    assert_rejected("tasks.0.socket_errors.read", json_integer(-1),
                    "load result: tasks[0]: read must be between 0 and 9223372036854775807");
    assert_rejected("format", json_string("locust"),
                    "load result: format must be one of tars-load-result, not \"locust\"");
    assert_rejected("version", json_integer(2), "load result: version must be between 1 and 1");
    assert_rejected("model", json_string("opne"),
                    "load result: model must be one of closed, open, not \"opne\" (did you mean "
                    "\"open\"?)");
    assert_rejected("interrupted", json_integer(1),
                    "load result: interrupted must be true or false, not a number");
    assert_rejected("tasks.0.requests", json_integer(-1),
                    "load result: tasks[0]: requests must be between 0 and 9223372036854775807");
    assert_rejected("tasks.0.name", json_integer(7),
                    "load result: tasks[0]: name must be a string, not a number");
    assert_rejected("tasks.1.failures", json_integer(1000000),
                    "load result: tasks[1]: failures must not be more than requests");
    assert_rejected("tasks.0.errors.sneeze", json_integer(1),
                    "load result: tasks[0]: errors: unknown error kind \"sneeze\"");
    assert_rejected("tasks.1.name", json_string("agents"),
                    "load result: tasks[1]: name \"agents\" is taken by tasks[0]");
    assert_rejected("total.latency.count", json_integer(999999),
                    "load result: total: latency: inconsistent histogram: \"count\" is 999999 "
                    "but the buckets hold 33");
    assert_rejected("history", json_string("none"),
                    "load result: history must be a list of at most 1000000 seconds");
    assert_int_equal(tars_load_result_from_json(arr, &back, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "load result: the result must be a mapping, not a list");
    json_decref(arr);
}

static void test_release_and_names(void **state)
{
    struct tars_load_result r;
    (void)state;

    memset(&r, 0, sizeof(r));
    tars_load_result_release(&r);
    tars_load_result_release(NULL);
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_TIMEOUT), "timeout");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_REFUSED), "refused");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_RESET), "reset");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_TLS), "tls");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_IO), "io");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_STATUS), "status");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_EXPECT), "expect");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_PARSE), "parse");
    assert_string_equal(tars_load_error_name(TARS_LOAD_ERR_COUNT), "unknown");
    build(&r, "api", 2);
    assert_ptr_equal(tars_load_result_task(&r, "evaluations"), &r.tasks[1]);
    assert_null(tars_load_result_task(&r, "Aggregated")); /* the total is no task */
    assert_null(tars_load_result_task(&r, "evaluation"));
    tars_load_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_has_the_documented_fields),
        cmocka_unit_test(test_merge_equals_single_recording),
        cmocka_unit_test(test_merge_into_empty_and_mismatch),
        cmocka_unit_test(test_malformed_json_rejected),
        cmocka_unit_test(test_release_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
