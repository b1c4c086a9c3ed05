/*
 * Results: error names, release, and the exact merge of the results of
 * several workers (tars load merge). JSON is in result_json.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "result_int.h"
#include "tars/alloc.h"
#include "tars/str.h"

static const char *const error_names[TARS_LOAD_ERR_COUNT] = {
    [TARS_LOAD_ERR_TIMEOUT] = "timeout", [TARS_LOAD_ERR_REFUSED] = "refused",
    [TARS_LOAD_ERR_RESET] = "reset",     [TARS_LOAD_ERR_TLS] = "tls",
    [TARS_LOAD_ERR_IO] = "io",           [TARS_LOAD_ERR_STATUS] = "status",
    [TARS_LOAD_ERR_EXPECT] = "expect",   [TARS_LOAD_ERR_PARSE] = "parse",
    [TARS_LOAD_ERR_EXTRACT] = "extract", [TARS_LOAD_ERR_MISSING] = "missing",
};

const double tars_load_cumulative_pcts[10] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99};

const char *tars_load_socket_error_name(enum tars_load_socket_error e)
{
    static const char *const names[TARS_LOAD_SOCK_COUNT] = {"connect", "read", "write", "timeout"};

    return (unsigned)e < TARS_LOAD_SOCK_COUNT ? names[e] : "unknown";
}

const char *tars_load_error_name(enum tars_load_error e)
{
    return (unsigned)e < TARS_LOAD_ERR_COUNT ? error_names[e] : "unknown";
}

bool result_error_by_name(const char *name, enum tars_load_error *out)
{
    for (int e = 0; e < TARS_LOAD_ERR_COUNT; e++)
        if (strcmp(error_names[e], name) == 0) {
            *out = (enum tars_load_error)e;
            return true;
        }
    return false;
}

static const char *const kind_names[] = {
    [TARS_LOAD_TASK_REQUEST] = "request",
    [TARS_LOAD_TASK_JOURNEY] = "journey",
    [TARS_LOAD_TASK_STEP] = "step",
};

const char *result_kind_name(enum tars_load_task_kind kind)
{
    return (unsigned)kind <= TARS_LOAD_TASK_STEP ? kind_names[kind] : "request";
}

bool result_kind_by_name(const char *name, enum tars_load_task_kind *out)
{
    for (unsigned k = 0; k <= TARS_LOAD_TASK_STEP; k++)
        if (strcmp(kind_names[k], name) == 0) {
            *out = (enum tars_load_task_kind)k;
            return true;
        }
    return false;
}

/* ---- release ---- */

void result_task_release(struct tars_load_task_result *t)
{
    tars_hist_free(t->latency);
    tars_hist_free(t->latency_raw);
    tars_hist_free(t->latency_ok);
    t->latency = NULL;
    t->latency_raw = NULL;
    t->latency_ok = NULL;
}

void tars_load_result_release(struct tars_load_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->task_count; i++)
        result_task_release(&r->tasks[i]);
    result_task_release(&r->total);
    free(r->tasks);
    free(r->history);
    free(r->task_history);
    free(r->thread_requests);
    memset(r, 0, sizeof(*r));
}

/* ---- tasks ---- */

void result_failure_add(struct tars_load_task_result *t, enum tars_load_error error, int status,
                        uint64_t count)
{
    struct tars_load_failure *same_error = NULL;

    for (size_t i = 0; i < t->failure_kind_count; i++) {
        struct tars_load_failure *f = &t->failure_kinds[i];
        if (f->error == error && f->status == status) {
            f->count += count;
            return;
        }
        if (f->error == error && !same_error)
            same_error = f;
    }
    if (t->failure_kind_count < TARS_LOAD_FAILURE_KINDS) {
        struct tars_load_failure *f = &t->failure_kinds[t->failure_kind_count++];
        f->error = error;
        f->status = status;
        f->count = count;
        return;
    }
    if (!same_error)
        same_error = &t->failure_kinds[TARS_LOAD_FAILURE_KINDS - 1];
    same_error->count += count;
}

/* Adds from into *into, creating *into as a copy when it is NULL. */
static int hist_add(tars_hist **into, const tars_hist *from, struct tars_err *err)
{
    if (!from)
        return TARS_OK;
    if (!*into) {
        *into = tars_hist_new();
        tars_hist_copy(*into, from);
        return TARS_OK;
    }
    return tars_hist_merge(*into, from, err);
}

int result_task_merge(struct tars_load_task_result *into, const struct tars_load_task_result *from,
                      struct tars_err *err)
{
    int rc;

    if ((rc = hist_add(&into->latency, from->latency, err)) ||
        (rc = hist_add(&into->latency_raw, from->latency_raw, err)) ||
        (rc = hist_add(&into->latency_ok, from->latency_ok, err)))
        return rc;
    if (!into->name[0])
        tars_strlcpy(into->name, from->name, sizeof(into->name));
    if (into->kind == TARS_LOAD_TASK_REQUEST)
        into->kind = from->kind;
    if (!into->method[0])
        tars_strlcpy(into->method, from->method, sizeof(into->method));
    if (!into->path[0])
        tars_strlcpy(into->path, from->path, sizeof(into->path));
    into->requests += from->requests;
    into->failures += from->failures;
    into->bytes_received += from->bytes_received;
    into->bytes_read += from->bytes_read;
    for (int e = 0; e < TARS_LOAD_ERR_COUNT; e++)
        into->errors[e] += from->errors[e];
    for (int e = 0; e < TARS_LOAD_SOCK_COUNT; e++)
        into->socket_errors[e] += from->socket_errors[e];
    for (size_t c = 0; c < sizeof(into->statuses) / sizeof(into->statuses[0]); c++)
        into->statuses[c] += from->statuses[c];
    for (size_t i = 0; i < from->failure_kind_count; i++)
        result_failure_add(into, from->failure_kinds[i].error, from->failure_kinds[i].status,
                           from->failure_kinds[i].count);
    return TARS_OK;
}

const struct tars_load_task_result *tars_load_result_task(const struct tars_load_result *r,
                                                          const char *name)
{
    for (size_t i = 0; i < r->task_count; i++)
        if (strcmp(r->tasks[i].name, name) == 0)
            return &r->tasks[i];
    return NULL;
}

static size_t tasks_missing(struct tars_load_result *into, const struct tars_load_result *from)
{
    size_t n = 0;

    for (size_t i = 0; i < from->task_count; i++)
        if (!tars_load_result_task(into, from->tasks[i].name))
            n++;
    return n;
}

/* Tasks matched by name; one only in from is added (a copy). */
static int merge_tasks(struct tars_load_result *into, const struct tars_load_result *from,
                       struct tars_err *err)
{
    size_t added = tasks_missing(into, from);
    int rc;

    if (added) {
        into->tasks = xrealloc(into->tasks, (into->task_count + added) * sizeof(*into->tasks));
        memset(into->tasks + into->task_count, 0, added * sizeof(*into->tasks));
    }
    for (size_t i = 0; i < from->task_count; i++) {
        const struct tars_load_task_result *same = tars_load_result_task(into, from->tasks[i].name);
        struct tars_load_task_result *t =
            same ? &into->tasks[same - into->tasks] : &into->tasks[into->task_count++];
        if ((rc = result_task_merge(t, &from->tasks[i], err)))
            return rc;
    }
    return TARS_OK;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

void result_second_merge(struct tars_load_second *into, const struct tars_load_second *from)
{
    into->at_ms = into->at_ms > from->at_ms ? into->at_ms : from->at_ms;
    into->users += from->users;
    into->requests += from->requests;
    into->failures += from->failures;
    into->p50_ns = max_u64(into->p50_ns, from->p50_ns);
    into->p95_ns = max_u64(into->p95_ns, from->p95_ns);
    into->p99_ns = max_u64(into->p99_ns, from->p99_ns);
    into->max_ns = max_u64(into->max_ns, from->max_ns);
    if (from->timed && (!into->timed || from->min_ns < into->min_ns))
        into->min_ns = from->min_ns;
    into->timed += from->timed;
    into->sum_ns += from->sum_ns;
    into->bytes += from->bytes;
}

/* Second by second (result_second_merge). */
static void merge_history(struct tars_load_result *into, const struct tars_load_result *from)
{
    if (from->history_count > into->history_count) {
        into->history = xrealloc(into->history, from->history_count * sizeof(*into->history));
        memset(into->history + into->history_count, 0,
               (from->history_count - into->history_count) * sizeof(*into->history));
        into->history_count = from->history_count;
    }
    for (size_t i = 0; i < from->history_count; i++)
        result_second_merge(&into->history[i], &from->history[i]);
    for (size_t i = 0; i < into->history_count; i++) /* percentiles do not add up */
        into->history[i].cumulative = into->history[i].recent = false;
    free(into->task_history); /* per task, seconds would not line up: none */
    into->task_history = NULL;
}

/* The threads of both, listed; their rates pooled: samples, mean and standard deviation
 * exactly (from each part's sums), max the larger, within_stdev the parts' weighted by their
 * samples (an approximation: the pooled mean and deviation differ from each part's). */
static void merge_threads_listed(struct tars_load_result *into, const struct tars_load_result *from)
{
    struct tars_load_rate_stats *a = &into->thread_rps;
    const struct tars_load_rate_stats *b = &from->thread_rps;
    double n = (double)(a->samples + b->samples), mean, sq;

    if (from->thread_count_listed) {
        into->thread_requests = xrealloc(into->thread_requests,
                                         (into->thread_count_listed + from->thread_count_listed) *
                                             sizeof(*into->thread_requests));
        memcpy(into->thread_requests + into->thread_count_listed, from->thread_requests,
               from->thread_count_listed * sizeof(*from->thread_requests));
        into->thread_count_listed += from->thread_count_listed;
    }
    if (!b->samples)
        return;
    mean = ((double)a->samples * a->mean + (double)b->samples * b->mean) / n;
    sq = (double)a->samples * (a->stdev * a->stdev + a->mean * a->mean) +
         (double)b->samples * (b->stdev * b->stdev + b->mean * b->mean);
    a->within_stdev =
        ((double)a->samples * a->within_stdev + (double)b->samples * b->within_stdev) / n;
    a->stdev = sq / n - mean * mean > 0 ? sqrt(sq / n - mean * mean) : 0;
    a->mean = mean;
    a->max = a->max > b->max ? a->max : b->max;
    a->samples += b->samples;
}

static bool result_is_empty(const struct tars_load_result *r)
{
    return !r->scenario[0] && r->task_count == 0 && r->history_count == 0 && !r->total.latency &&
           r->merged_from == 0 && r->total.requests == 0;
}

static void merge_head(struct tars_load_result *into, const struct tars_load_result *from,
                       bool empty)
{
    int before = empty ? 0 : (into->merged_from > 1 ? into->merged_from : 1);

    if (empty) {
        tars_strlcpy(into->scenario, from->scenario, sizeof(into->scenario));
        into->started_at_ms = from->started_at_ms;
        into->worker_index = from->worker_index;
    }
    if (from->started_at_ms && (!into->started_at_ms || from->started_at_ms < into->started_at_ms))
        into->started_at_ms = from->started_at_ms;
    if (from->duration_ms > into->duration_ms)
        into->duration_ms = from->duration_ms;
    if (from->worker_count > into->worker_count)
        into->worker_count = from->worker_count;
    if (from->generator_cpu_max > into->generator_cpu_max)
        into->generator_cpu_max = from->generator_cpu_max;
    into->generator_cpu_s += from->generator_cpu_s;
    into->threads += from->threads;
    into->users += from->users;
    into->rate += from->rate;
    into->interrupted = into->interrupted || from->interrupted;
    into->generator_saturated = into->generator_saturated || from->generator_saturated;
    into->merged_from = before + (from->merged_from > 1 ? from->merged_from : 1);
}

int tars_load_result_merge(struct tars_load_result *into, const struct tars_load_result *from,
                           struct tars_err *err)
{
    bool empty = result_is_empty(into);
    int rc;

    if (!empty && into->model != from->model)
        return tars_err_set(err, TARS_EINVAL,
                            "cannot merge a result of the %s model into one of "
                            "the %s model",
                            from->model == TARS_LOAD_OPEN ? "open" : "closed",
                            into->model == TARS_LOAD_OPEN ? "open" : "closed");
    if (into->task_count + tasks_missing(into, from) > RESULT_MAX_TASKS ||
        from->history_count > RESULT_MAX_HISTORY)
        return tars_err_set(err, TARS_ETOOBIG, "merged result would pass %d tasks or %d seconds",
                            RESULT_MAX_TASKS, RESULT_MAX_HISTORY);
    if (empty)
        into->model = from->model;
    if ((rc = merge_tasks(into, from, err)) ||
        (rc = result_task_merge(&into->total, &from->total, err)))
        return rc;
    merge_history(into, from);
    merge_threads_listed(into, from);
    merge_head(into, from, empty);
    return TARS_OK;
}

double tars_load_within_stdev(const tars_hist *h)
{
    double mean = tars_hist_mean(h), sd = tars_hist_stddev(h);
    uint64_t bounds[2], at[2];

    if (!tars_hist_count(h))
        return 0;
    bounds[0] = mean - sd >= 1 ? (uint64_t)ceil(mean - sd) - 1 : 0; /* the values below */
    bounds[1] = (uint64_t)floor(mean + sd);
    tars_hist_cumulative(h, bounds, 2, at);
    if (mean - sd < 1)
        at[0] = 0;
    return (double)(at[1] - at[0]) / (double)tars_hist_count(h);
}
