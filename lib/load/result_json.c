/*
 * A run's result as JSON (schema in docs/load-format.md) and back. The
 * histograms go through tars_hist_to_json/from_json, so a result read back
 * merges exactly. Each task also carries a "summary" of figures in
 * milliseconds for people and other tools; it is derived, so reading
 * ignores it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/str.h"

#define RESULT_FORMAT "tars-load-result"
#define RESULT_VERSION 1

/* ---- writing ---- */

static bool put(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

static bool append(json_t *arr, json_t *v)
{
    return v && json_array_append_new(arr, v) == 0;
}

static json_t *u64_json(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* A JSON string even when a fixed-size name was cut inside a UTF-8
 * character: bytes that do not decode become '?'. */
static json_t *text_json(const char *s)
{
    json_t *v = json_string(s);
    char *copy;

    if (v)
        return v;
    copy = xstrdup(s);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

static json_t *hist_json(const tars_hist *h)
{
    json_t *v = NULL;

    if (!h)
        return json_null();
    return tars_hist_to_json(h, &v, NULL) ? NULL : v;
}

/* The status classes as "statuses" names them; index = enum slot of
 * tars_load_task_result.statuses. */
static const char *const status_names[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

static json_t *statuses_json(const struct tars_load_task_result *t)
{
    json_t *o = json_object();

    for (size_t c = 0; o && c < 6; c++)
        if (!put(o, status_names[c], u64_json(t->statuses[c]))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

/* Responses whose status is neither 2xx nor 3xx, as wrk counts them. */
static uint64_t non_2xx_3xx(const struct tars_load_task_result *t)
{
    return t->statuses[0] + t->statuses[1] + t->statuses[4] + t->statuses[5];
}

/* Figures in ms of h (all responses, or the successful ones) for people, and
 * wrk's: latency stdev, non-2xx/3xx responses, body bytes read per second. */
static json_t *summary_json(const struct tars_load_task_result *t, const tars_hist *h,
                            int64_t duration_ms)
{
    struct tars_hist_summary s;
    double seconds = (double)duration_ms / 1000.0;
    json_t *o;

    memset(&s, 0, sizeof(s));
    if (h)
        tars_hist_summarise(h, &s);
    o = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "rps",
                  seconds > 0 ? (double)t->requests / seconds : 0.0, "error_rate",
                  t->requests ? (double)t->failures / (double)t->requests : 0.0, "min_ms",
                  (double)s.min / 1e6, "mean_ms", s.mean / 1e6, "p50_ms", (double)s.p50 / 1e6,
                  "p75_ms", (double)s.p75 / 1e6, "p90_ms", (double)s.p90 / 1e6, "p95_ms",
                  (double)s.p95 / 1e6, "p99_ms", (double)s.p99 / 1e6, "p99_9_ms",
                  (double)s.p99_9 / 1e6, "p99_99_ms", (double)s.p99_99 / 1e6, "max_ms",
                  (double)s.max / 1e6);
    if (o && !(put(o, "stdev_ms",
                   json_real(h && tars_hist_count(h) ? tars_hist_stddev(h) / 1e6 : 0.0)) &&
               put(o, "non_2xx_3xx", u64_json(non_2xx_3xx(t))) &&
               put(o, "bytes_per_s",
                   json_real(seconds > 0 ? (double)t->bytes_received / seconds : 0.0)) &&
               put(o, "within_stdev", json_real(h ? tars_load_within_stdev(h) : 0.0)) &&
               put(o, "bytes_read_per_s",
                   json_real(seconds > 0 ? (double)t->bytes_read / seconds : 0.0)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* wrk's socket errors: {"connect","read","write","timeout"}. */
static json_t *socket_errors_json(const struct tars_load_task_result *t)
{
    json_t *o = json_object();

    for (int e = 0; o && e < TARS_LOAD_SOCK_COUNT; e++)
        if (!put(o, tars_load_socket_error_name((enum tars_load_socket_error)e),
                 u64_json(t->socket_errors[e]))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static bool put_failures(json_t *o, const struct tars_load_task_result *t)
{
    json_t *errors = json_object(), *kinds = json_array();
    bool ok = errors && kinds;

    for (int e = 0; e < TARS_LOAD_ERR_COUNT; e++)
        ok = ok &&
             put(errors, tars_load_error_name((enum tars_load_error)e), u64_json(t->errors[e]));
    for (size_t i = 0; i < t->failure_kind_count; i++) {
        const struct tars_load_failure *f = &t->failure_kinds[i];
        ok = ok && append(kinds, json_pack("{s:s,s:i,s:o}", "error", tars_load_error_name(f->error),
                                           "status", f->status, "count", u64_json(f->count)));
    }
    ok = ok && json_object_set(o, "errors", errors) == 0 &&
         json_object_set(o, "failure_kinds", kinds) == 0;
    json_decref(errors);
    json_decref(kinds);
    return ok;
}

static json_t *task_json(const struct tars_load_task_result *t, int64_t duration_ms)
{
    json_t *o = json_object();
    bool ok =
        o && put(o, "name", text_json(t->name)) &&
        put(o, "kind", text_json(result_kind_name(t->kind))) &&
        put(o, "method", text_json(t->method)) && put(o, "path", text_json(t->path)) &&
        put(o, "requests", u64_json(t->requests)) && put(o, "failures", u64_json(t->failures)) &&
        put(o, "bytes_received", u64_json(t->bytes_received)) &&
        put(o, "bytes_read", u64_json(t->bytes_read)) && put_failures(o, t) &&
        put(o, "statuses", statuses_json(t)) && put(o, "socket_errors", socket_errors_json(t)) &&
        put(o, "summary", summary_json(t, t->latency, duration_ms)) &&
        put(o, "summary_ok", summary_json(t, t->latency_ok, duration_ms)) &&
        put(o, "latency", hist_json(t->latency)) &&
        put(o, "latency_raw", hist_json(t->latency_raw)) &&
        put(o, "latency_ok", hist_json(t->latency_ok));

    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *cumulative_json(const struct tars_load_second *s)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < 10; i++)
        json_array_append_new(list, u64_json(s->cumulative_ns[i]));
    return list;
}

static json_t *second_json(const struct tars_load_second *s)
{
    json_t *o = json_pack(
        "{s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "at_ms", (json_int_t)s->at_ms, "users",
        (json_int_t)s->users, "requests", u64_json(s->requests), "failures", u64_json(s->failures),
        "p50_ns", u64_json(s->p50_ns), "p95_ns", u64_json(s->p95_ns), "p99_ns", u64_json(s->p99_ns),
        "max_ns", u64_json(s->max_ns), "timed", u64_json(s->timed), "sum_ns", u64_json(s->sum_ns),
        "min_ns", u64_json(s->min_ns), "bytes", u64_json(s->bytes));

    if (o && s->cumulative && !put(o, "cumulative_ns", cumulative_json(s))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static bool put_head(json_t *o, const struct tars_load_result *r)
{
    char when[TARS_ISO8601_LEN];

    tars_iso8601(r->started_at_ms, when);
    return put(o, "format", json_string(RESULT_FORMAT)) &&
           put(o, "version", json_integer(RESULT_VERSION)) &&
           put(o, "scenario", text_json(r->scenario)) &&
           put(o, "model", json_string(r->model == TARS_LOAD_OPEN ? "open" : "closed")) &&
           put(o, "threads", json_integer(r->threads)) && put(o, "started_at", json_string(when)) &&
           put(o, "started_at_ms", json_integer(r->started_at_ms)) &&
           put(o, "duration_ms", json_integer(r->duration_ms)) &&
           put(o, "users", json_integer(r->users)) && put(o, "rate", json_real(r->rate)) &&
           put(o, "interrupted", json_boolean(r->interrupted)) &&
           put(o, "generator_saturated", json_boolean(r->generator_saturated)) &&
           put(o, "generator_cpu_max", json_real(r->generator_cpu_max)) &&
           put(o, "generator_cpu_s", json_real(r->generator_cpu_s)) &&
           put(o, "worker_index", json_integer(r->worker_index)) &&
           put(o, "worker_count", json_integer(r->worker_count)) &&
           put(o, "merged_from", json_integer(r->merged_from));
}

/* wrk's Thread Stats: {"requests": [per thread], "req_per_sec": {...}}. */
static json_t *thread_stats_json(const struct tars_load_result *r)
{
    const struct tars_load_rate_stats *s = &r->thread_rps;
    json_t *list = json_array(),
           *o = json_pack("{s:o,s:f,s:f,s:f,s:f}", "samples", u64_json(s->samples), "avg", s->mean,
                          "stdev", s->stdev, "max", s->max, "within_stdev", s->within_stdev);
    bool ok = list && o;

    for (size_t i = 0; ok && i < r->thread_count_listed; i++)
        ok = append(list, u64_json(r->thread_requests[i]));
    if (!ok) {
        json_decref(list);
        json_decref(o);
        return NULL;
    }
    return json_pack("{s:o,s:o}", "requests", list, "req_per_sec", o);
}

json_t *tars_load_result_to_json(const struct tars_load_result *r)
{
    json_t *o = json_object(), *tasks = json_array(), *history = json_array();
    bool ok = o && tasks && history && put_head(o, r) &&
              put(o, "total", task_json(&r->total, r->duration_ms)) &&
              put(o, "thread_stats", thread_stats_json(r));

    for (size_t i = 0; ok && i < r->task_count; i++)
        ok = append(tasks, task_json(&r->tasks[i], r->duration_ms));
    for (size_t i = 0; ok && i < r->history_count; i++)
        ok = append(history, second_json(&r->history[i]));
    ok = ok && json_object_set(o, "tasks", tasks) == 0 &&
         json_object_set(o, "history", history) == 0;
    json_decref(tasks);
    json_decref(history);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- reading: every field required, every type checked ---- */

/* Where in the file a problem is: "load result: tasks[3]". */
struct place {
    char at[64]; /* "tasks[3]", "history[12]", "" for the top */
    struct tars_json_reader rd;
};

static void place_where(const void *ctx, const json_t *node, char *out, size_t size)
{
    const struct place *p = ctx;

    (void)node; /* a parsed JSON value keeps no position: the path says where */
    snprintf(out, size, *p->at ? "load result: %s" : "load result", p->at);
}

static void place_init(struct place *p, const char *at, struct tars_err *err)
{
    memset(p, 0, sizeof(*p)); /* the reader's options not set here are off */
    tars_strlcpy(p->at, at, sizeof(p->at));
    p->rd.where = place_where;
    p->rd.ctx = p;
    p->rd.err = err;
}

/* "KEY WHAT" at p: "load result: tasks[3]: failures must not be more than requests". */
static int bad(const struct place *p, const char *key, const char *what)
{
    return tars_json_fail(&p->rd, NULL, TARS_EINVAL, "%s %s", key, what);
}

static json_t *field(const struct place *p, json_t *obj, const char *key, int *rc)
{
    return tars_json_member(&p->rd, obj, key, TARS_JSON_REQUIRED, rc);
}

static int get_int(const struct place *p, json_t *obj, const char *key, int64_t min, int64_t max,
                   int64_t *out)
{
    return tars_json_get_int(&p->rd, obj, key, TARS_JSON_REQUIRED, min, max, out);
}

static int get_u64(const struct place *p, json_t *obj, const char *key, uint64_t *out)
{
    int64_t v;
    int rc = get_int(p, obj, key, 0, INT64_MAX, &v);

    if (!rc)
        *out = (uint64_t)v;
    return rc;
}

static int get_double(const struct place *p, json_t *obj, const char *key, double max, double *out)
{
    return tars_json_get_double(&p->rd, obj, key, TARS_JSON_REQUIRED, 0, max, out);
}

static int get_bool(const struct place *p, json_t *obj, const char *key, bool *out)
{
    return tars_json_get_bool(&p->rd, obj, key, TARS_JSON_REQUIRED, out);
}

static int get_text(const struct place *p, json_t *obj, const char *key, char *out, size_t size)
{
    return tars_json_get_text(&p->rd, obj, key, TARS_JSON_REQUIRED, out, size);
}

/* A histogram, or null for none; the key itself is required. */
static int get_hist(const struct place *p, json_t *obj, const char *key, tars_hist **out)
{
    struct tars_err herr = TARS_ERR_INIT;
    json_t *v = json_object_get(obj, key);

    if (!v)
        return bad(p, key, "is required");
    if (json_is_null(v))
        return TARS_OK;
    if (tars_hist_from_json(v, out, &herr))
        return tars_json_fail(&p->rd, v, TARS_EINVAL, "%s: %s", key, herr.msg);
    return TARS_OK;
}

static int read_errors(const struct place *p, json_t *v, uint64_t errors[])
{
    enum tars_load_error e;
    const char *key;
    json_t *n;

    if (!json_is_object(v))
        return bad(p, "errors", "must be a mapping of error kinds to counts");
    json_object_foreach(v, key, n) {
        if (!result_error_by_name(key, &e))
            return tars_json_fail(&p->rd, n, TARS_EINVAL, "errors: unknown error kind \"%.64s\"",
                                  key);
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return bad(p, "errors", "must be a mapping of error kinds to counts");
        errors[e] = (uint64_t)json_integer_value(n);
    }
    return TARS_OK;
}

static int read_kind(const struct place *p, json_t *v, struct tars_load_failure *f)
{
    static const char *const keys[] = {"error", "status", "count", NULL};
    json_t *name = json_object_get(v, "error");
    int64_t status;
    int rc;

    if (!json_is_object(v) || !json_is_string(name) ||
        !result_error_by_name(json_string_value(name), &f->error))
        return bad(p, "failure_kinds", "must list {error, status, count} with known errors");
    if ((rc = tars_json_check_keys(&p->rd, v, "a failure kind", keys, NULL)) ||
        (rc = get_int(p, v, "status", 0, 999, &status)) || (rc = get_u64(p, v, "count", &f->count)))
        return rc;
    f->status = (int)status;
    return TARS_OK;
}

static int read_kinds(const struct place *p, json_t *v, struct tars_load_task_result *t)
{
    int rc;

    if (!json_is_array(v) || json_array_size(v) > TARS_LOAD_FAILURE_KINDS)
        return bad(p, "failure_kinds", "must be a list of at most 32");
    for (size_t i = 0; i < json_array_size(v); i++) {
        if ((rc = read_kind(p, json_array_get(v, i), &t->failure_kinds[i])))
            return rc;
        t->failure_kind_count++;
    }
    return TARS_OK;
}

/* "statuses": optional (files of earlier versions lack it). */
static int read_statuses(const struct place *p, json_t *v, struct tars_load_task_result *t)
{
    const char *key;
    json_t *n;
    size_t c;

    if (!v)
        return TARS_OK;
    if (!json_is_object(v))
        return bad(p, "statuses", "must be a mapping of status classes to counts");
    json_object_foreach(v, key, n) {
        for (c = 0; c < 6 && strcmp(status_names[c], key) != 0; c++)
            ;
        if (c == 6)
            return tars_json_fail(&p->rd, n, TARS_EINVAL,
                                  "statuses: unknown status class \"%.64s\"", key);
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return bad(p, "statuses", "must be a mapping of status classes to counts");
        t->statuses[c] = (uint64_t)json_integer_value(n);
    }
    return TARS_OK;
}

/* "socket_errors": optional (files of earlier versions lack it). */
static int read_socket_errors(const struct place *p, json_t *v, struct tars_load_task_result *t)
{
    static const char *const keys[] = {"connect", "read", "write", "timeout", NULL};
    int rc;

    if (!v)
        return TARS_OK;
    if ((rc = tars_json_check_keys(&p->rd, v, "socket_errors", keys, NULL)))
        return rc;
    for (int e = 0; e < TARS_LOAD_SOCK_COUNT; e++)
        if ((rc = get_u64(p, v, keys[e], &t->socket_errors[e])))
            return rc;
    return TARS_OK;
}

static int read_task(const struct place *p, json_t *v, struct tars_load_task_result *t)
{
    static const char *const keys[] = {
        "name",          "method",         "path",       "requests",      "failures", "errors",
        "failure_kinds", "statuses",       "summary",    "summary_ok",    "latency",  "latency_raw",
        "latency_ok",    "bytes_received", "bytes_read", "socket_errors", "kind",     NULL};
    json_t *errors, *kinds, *kind = json_object_get(v, "kind");
    int rc;

    if ((rc = tars_json_check_keys(&p->rd, v, "a task", keys, NULL)) ||
        (rc = get_text(p, v, "name", t->name, sizeof(t->name))) ||
        (rc = get_text(p, v, "method", t->method, sizeof(t->method))) ||
        (rc = get_text(p, v, "path", t->path, sizeof(t->path))) ||
        (rc = get_u64(p, v, "requests", &t->requests)) ||
        (rc = get_u64(p, v, "failures", &t->failures)) ||
        (rc = get_u64(p, v, "bytes_received", &t->bytes_received)) ||
        (json_object_get(v, "bytes_read") && /* absent in files of earlier versions */
         (rc = get_u64(p, v, "bytes_read", &t->bytes_read))))
        return rc;
    if (t->failures > t->requests)
        return bad(p, "failures", "must not be more than requests");
    /* optional: files of earlier versions have requests only */
    if (kind && (!json_is_string(kind) || !result_kind_by_name(json_string_value(kind), &t->kind)))
        return bad(p, "kind", "must be \"request\", \"journey\" or \"step\"");
    if (!(errors = field(p, v, "errors", &rc)) || (rc = read_errors(p, errors, t->errors)) ||
        !(kinds = field(p, v, "failure_kinds", &rc)) || (rc = read_kinds(p, kinds, t)))
        return rc;
    if ((rc = read_statuses(p, json_object_get(v, "statuses"), t)) ||
        (rc = read_socket_errors(p, json_object_get(v, "socket_errors"), t)) ||
        (rc = get_hist(p, v, "latency", &t->latency)) ||
        (rc = get_hist(p, v, "latency_raw", &t->latency_raw)))
        return rc;
    /* optional: files of earlier versions timed only successful responses, in "latency" */
    return json_object_get(v, "latency_ok") ? get_hist(p, v, "latency_ok", &t->latency_ok)
                                            : TARS_OK;
}

static int read_tasks(const struct place *top, json_t *list, struct tars_load_result *r)
{
    struct place p;
    int rc;

    place_init(&p, "", top->rd.err);
    if (!json_is_array(list) || json_array_size(list) > RESULT_MAX_TASKS)
        return bad(top, "tasks", "must be a list of at most 4096 tasks");
    r->tasks = xcalloc(json_array_size(list) + 1, sizeof(*r->tasks));
    for (size_t i = 0; i < json_array_size(list); i++) {
        snprintf(p.at, sizeof(p.at), "tasks[%zu]", i);
        r->task_count = i + 1;
        if ((rc = read_task(&p, json_array_get(list, i), &r->tasks[i])))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->tasks[j].name, r->tasks[i].name) == 0)
                return tars_json_fail(&p.rd, NULL, TARS_EINVAL,
                                      "name \"%s\" is taken by tasks[%zu]", r->tasks[i].name, j);
    }
    return TARS_OK;
}

/* "cumulative_ns": optional, ten non-negative integers. */
static int read_cumulative(const struct place *p, json_t *v, struct tars_load_second *s)
{
    if (!v)
        return TARS_OK;
    if (!json_is_array(v) || json_array_size(v) != 10)
        return bad(p, "cumulative_ns", "must be a list of 10 counts");
    for (size_t i = 0; i < 10; i++) {
        json_t *n = json_array_get(v, i);
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return bad(p, "cumulative_ns", "must be a list of 10 counts");
        s->cumulative_ns[i] = (uint64_t)json_integer_value(n);
    }
    s->cumulative = true;
    return TARS_OK;
}

static int read_second(const struct place *p, json_t *v, struct tars_load_second *s)
{
    static const char *const keys[] = {"at_ms",  "users",  "requests",      "failures", "p50_ns",
                                       "p95_ns", "p99_ns", "max_ns",        "timed",    "sum_ns",
                                       "min_ns", "bytes",  "cumulative_ns", NULL};
    static const char *const totals[] = {"timed", "sum_ns", "min_ns", "bytes"};
    uint64_t *into[] = {&s->timed, &s->sum_ns, &s->min_ns, &s->bytes};
    int rc;

    if ((rc = tars_json_check_keys(&p->rd, v, "a second", keys, NULL)) ||
        (rc = get_int(p, v, "at_ms", 0, INT64_MAX, &s->at_ms)) ||
        (rc = get_int(p, v, "users", 0, INT64_MAX, &s->users)) ||
        (rc = get_u64(p, v, "requests", &s->requests)) ||
        (rc = get_u64(p, v, "failures", &s->failures)) ||
        (rc = get_u64(p, v, "p50_ns", &s->p50_ns)) || (rc = get_u64(p, v, "p95_ns", &s->p95_ns)) ||
        (rc = get_u64(p, v, "p99_ns", &s->p99_ns)) || (rc = get_u64(p, v, "max_ns", &s->max_ns)))
        return rc;
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) /* optional: newer fields */
        if (json_object_get(v, totals[i]) && (rc = get_u64(p, v, totals[i], into[i])))
            return rc;
    return read_cumulative(p, json_object_get(v, "cumulative_ns"), s);
}

static int read_history(const struct place *top, json_t *list, struct tars_load_result *r)
{
    struct place p;
    int rc;

    place_init(&p, "", top->rd.err);
    if (!json_is_array(list) || json_array_size(list) > RESULT_MAX_HISTORY)
        return bad(top, "history", "must be a list of at most 1000000 seconds");
    r->history = xcalloc(json_array_size(list) + 1, sizeof(*r->history));
    for (size_t i = 0; i < json_array_size(list); i++) {
        snprintf(p.at, sizeof(p.at), "history[%zu]", i);
        if ((rc = read_second(&p, json_array_get(list, i), &r->history[i])))
            return rc;
        r->history_count++;
    }
    return TARS_OK;
}

static int read_kind_of_file(const struct place *p, json_t *v, struct tars_load_result *r)
{
    static const char *const formats[] = {RESULT_FORMAT, NULL};
    static const char *const models[] = {"closed", "open", NULL};
    static const enum tars_load_model model_of[] = {TARS_LOAD_CLOSED, TARS_LOAD_OPEN};
    const char *started = NULL;
    int64_t version;
    int format, model, rc;

    if ((rc = tars_json_get_enum(&p->rd, v, "format", TARS_JSON_REQUIRED, formats, &format)) ||
        (rc = get_int(p, v, "version", RESULT_VERSION, RESULT_VERSION, &version)) ||
        (rc = tars_json_get_enum(&p->rd, v, "model", TARS_JSON_REQUIRED, models, &model)) ||
        (rc = tars_json_get_string(&p->rd, v, "started_at", TARS_JSON_OPTIONAL, 64, &started)))
        return rc;
    r->model = model_of[model];
    return TARS_OK;
}

static int read_head(const struct place *p, json_t *v, struct tars_load_result *r)
{
    int64_t threads, worker_index, worker_count, merged_from;
    int rc;

    if ((rc = read_kind_of_file(p, v, r)) ||
        (rc = get_text(p, v, "scenario", r->scenario, sizeof(r->scenario))) ||
        (rc = get_int(p, v, "threads", 0, 1000000, &threads)) ||
        (rc = get_int(p, v, "started_at_ms", 0, INT64_MAX, &r->started_at_ms)) ||
        (rc = get_int(p, v, "duration_ms", 0, INT64_MAX, &r->duration_ms)) ||
        (rc = get_int(p, v, "users", 0, INT64_MAX, &r->users)) ||
        (rc = get_double(p, v, "rate", 1e12, &r->rate)) ||
        (rc = get_bool(p, v, "interrupted", &r->interrupted)) ||
        (rc = get_bool(p, v, "generator_saturated", &r->generator_saturated)) ||
        (rc = get_double(p, v, "generator_cpu_max", 1e6, &r->generator_cpu_max)) ||
        (json_object_get(v, "generator_cpu_s") && /* absent in files of earlier versions */
         (rc = get_double(p, v, "generator_cpu_s", 1e12, &r->generator_cpu_s))) ||
        (rc = get_int(p, v, "worker_index", 0, 1000000, &worker_index)) ||
        (rc = get_int(p, v, "worker_count", 0, 1000000, &worker_count)) ||
        (rc = get_int(p, v, "merged_from", 0, 1000000, &merged_from)))
        return rc;
    r->threads = (int)threads;
    r->worker_index = (int)worker_index;
    r->worker_count = (int)worker_count;
    r->merged_from = (int)merged_from;
    return TARS_OK;
}

/* "thread_stats": optional (absent in files of earlier versions). */
static int read_thread_stats(json_t *v, struct tars_load_result *r, struct tars_err *err)
{
    static const char *const keys[] = {"requests", "req_per_sec", NULL};
    static const char *const rate_keys[] = {"samples", "avg", "stdev", "max", "within_stdev", NULL};
    struct tars_load_rate_stats *s = &r->thread_rps;
    struct place p;
    json_t *list, *rate;
    int rc;

    if (!v)
        return TARS_OK;
    place_init(&p, "thread_stats", err);
    if ((rc = tars_json_check_keys(&p.rd, v, "thread_stats", keys, NULL)))
        return rc;
    if (!(list = field(&p, v, "requests", &rc)) || !(rate = field(&p, v, "req_per_sec", &rc)))
        return rc;
    if (!json_is_array(list) || json_array_size(list) > 1000000)
        return bad(&p, "requests", "must be a list of at most 1000000 counts");
    r->thread_requests = xcalloc(json_array_size(list) + 1, sizeof(*r->thread_requests));
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *n = json_array_get(list, i);
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return bad(&p, "requests", "must be a list of counts");
        r->thread_requests[r->thread_count_listed++] = (uint64_t)json_integer_value(n);
    }
    place_init(&p, "thread_stats.req_per_sec", err);
    if ((rc = tars_json_check_keys(&p.rd, rate, "req_per_sec", rate_keys, NULL)) ||
        (rc = get_u64(&p, rate, "samples", &s->samples)) ||
        (rc = get_double(&p, rate, "avg", 1e12, &s->mean)) ||
        (rc = get_double(&p, rate, "stdev", 1e12, &s->stdev)) ||
        (rc = get_double(&p, rate, "max", 1e12, &s->max)) ||
        (rc = get_double(&p, rate, "within_stdev", 1, &s->within_stdev)))
        return rc;
    return TARS_OK;
}

static int read_result(json_t *v, struct tars_load_result *r, struct tars_err *err)
{
    static const char *const keys[] = {"format",
                                       "version",
                                       "scenario",
                                       "model",
                                       "threads",
                                       "started_at",
                                       "started_at_ms",
                                       "duration_ms",
                                       "users",
                                       "rate",
                                       "interrupted",
                                       "generator_saturated",
                                       "generator_cpu_max",
                                       "generator_cpu_s",
                                       "worker_index",
                                       "worker_count",
                                       "merged_from",
                                       "total",
                                       "tasks",
                                       "history",
                                       "thread_stats",
                                       NULL};
    struct place top, total;
    json_t *list;
    int rc;

    place_init(&top, "", err);
    place_init(&total, "total", err);
    if ((rc = tars_json_check_keys(&top.rd, v, "the result", keys, NULL)) ||
        (rc = read_head(&top, v, r)))
        return rc;
    if (!(list = field(&top, v, "total", &rc)) || (rc = read_task(&total, list, &r->total)))
        return rc;
    if (!(list = field(&top, v, "tasks", &rc)) || (rc = read_tasks(&top, list, r)))
        return rc;
    if (!(list = field(&top, v, "history", &rc)) || (rc = read_history(&top, list, r)))
        return rc;
    return read_thread_stats(json_object_get(v, "thread_stats"), r, err);
}

int tars_load_result_from_json(json_t *v, struct tars_load_result *out, struct tars_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = read_result(v, out, err)))
        tars_load_result_release(out);
    return rc;
}
