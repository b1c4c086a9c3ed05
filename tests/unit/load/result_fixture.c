#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "result_fixture.h"
#include "result_int.h"
#include "tars/str.h"

void fixture_task(struct tars_load_task_result *t, const char *name, const char *method,
                  const char *path)
{
    memset(t, 0, sizeof(*t));
    tars_strlcpy(t->name, name, sizeof(t->name));
    tars_strlcpy(t->method, method, sizeof(t->method));
    tars_strlcpy(t->path, path, sizeof(t->path));
    t->latency = tars_hist_new();
    t->latency_raw = tars_hist_new();
    t->latency_ok = tars_hist_new();
}

void fixture_ok(struct tars_load_task_result *t, uint64_t ns, uint64_t bytes)
{
    t->requests++;
    t->bytes_received += bytes;
    t->statuses[2]++;
    tars_hist_record(t->latency, ns);
    tars_hist_record(t->latency_raw, ns / 2);
    tars_hist_record(t->latency_ok, ns);
}

void fixture_fail(struct tars_load_task_result *t, enum tars_load_error e, int status,
                  uint64_t latency_ns)
{
    t->requests++;
    t->failures++;
    t->errors[e]++;
    result_failure_add(t, e, status, 1);
    if (latency_ns) { /* a response came: timed like every response */
        t->statuses[status >= 100 && status < 600 ? status / 100 : 0]++;
        tars_hist_record(t->latency, latency_ns);
        tars_hist_record(t->latency_raw, latency_ns / 2);
    } else { /* no response: a socket error by wrk's kinds, as the engine files it */
        t->socket_errors[e == TARS_LOAD_ERR_TIMEOUT   ? TARS_LOAD_SOCK_TIMEOUT
                         : e == TARS_LOAD_ERR_REFUSED ? TARS_LOAD_SOCK_CONNECT
                                                      : TARS_LOAD_SOCK_READ]++;
    }
}

struct tars_load_task_result *fixture_add_task(struct tars_load_result *r, const char *name,
                                               const char *method, const char *path)
{
    r->tasks = realloc(r->tasks, (r->task_count + 1) * sizeof(*r->tasks));
    assert_non_null(r->tasks);
    fixture_task(&r->tasks[r->task_count], name, method, path);
    return &r->tasks[r->task_count++];
}

void fixture_second(struct tars_load_result *r, int64_t at_ms, int64_t users, uint64_t requests,
                    uint64_t failures, uint64_t p50, uint64_t p95, uint64_t p99, uint64_t max)
{
    struct tars_load_second *s;

    r->history = realloc(r->history, (r->history_count + 1) * sizeof(*r->history));
    assert_non_null(r->history);
    s = &r->history[r->history_count++];
    memset(s, 0, sizeof(*s));
    s->at_ms = at_ms;
    s->users = users;
    s->requests = requests;
    s->failures = failures;
    s->p50_ns = p50;
    s->p95_ns = p95;
    s->p99_ns = p99;
    s->max_ns = max;
}

static void assert_hist_equal(const tars_hist *a, const tars_hist *b)
{
    if (!a || !b) {
        assert_true(a == b);
        return;
    }
    assert_int_equal(tars_hist_count(a), tars_hist_count(b));
    assert_true(tars_hist_equal(a, b));
}

void fixture_assert_task_equal(const struct tars_load_task_result *a,
                               const struct tars_load_task_result *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->method, b->method);
    assert_string_equal(a->path, b->path);
    assert_int_equal(a->requests, b->requests);
    assert_int_equal(a->failures, b->failures);
    assert_int_equal(a->bytes_received, b->bytes_received);
    for (int e = 0; e < TARS_LOAD_ERR_COUNT; e++)
        assert_int_equal(a->errors[e], b->errors[e]);
    for (int e = 0; e < TARS_LOAD_SOCK_COUNT; e++)
        assert_int_equal(a->socket_errors[e], b->socket_errors[e]);
    assert_int_equal(a->failure_kind_count, b->failure_kind_count);
    for (size_t i = 0; i < a->failure_kind_count; i++) {
        assert_int_equal(a->failure_kinds[i].error, b->failure_kinds[i].error);
        assert_int_equal(a->failure_kinds[i].status, b->failure_kinds[i].status);
        assert_int_equal(a->failure_kinds[i].count, b->failure_kinds[i].count);
    }
    assert_hist_equal(a->latency, b->latency);
    assert_hist_equal(a->latency_raw, b->latency_raw);
    assert_hist_equal(a->latency_ok, b->latency_ok);
    for (size_t c = 0; c < 6; c++)
        assert_int_equal(a->statuses[c], b->statuses[c]);
}
