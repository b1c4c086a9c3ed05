/*
 * Thresholds: "[task:]metric op value[unit]", e.g. "p95<150ms",
 * "agents:error_rate<=1%", "rps>500", "p95{ok}<150ms" (successful responses only). Checked against
 * a run's result with tars_judge: no data (no request, no timed response) is never a pass.
 * The expression itself is read by the one threshold parser (tars/judge.h, lib/stats/limit.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/judge.h"
#include "tars/load.h"
#include "threshold_int.h"

static const struct tars_limit_metric metrics[] = {
    {"p50", TARS_TH_P50, TARS_LIMIT_TIME},
    {"p75", TARS_TH_P75, TARS_LIMIT_TIME},
    {"p90", TARS_TH_P90, TARS_LIMIT_TIME},
    {"p95", TARS_TH_P95, TARS_LIMIT_TIME},
    {"p99", TARS_TH_P99, TARS_LIMIT_TIME},
    {"p99.9", TARS_TH_P99_9, TARS_LIMIT_TIME},
    {"min", TARS_TH_MIN, TARS_LIMIT_TIME},
    {"mean", TARS_TH_MEAN, TARS_LIMIT_TIME},
    {"avg", TARS_TH_MEAN, TARS_LIMIT_TIME},
    {"max", TARS_TH_MAX, TARS_LIMIT_TIME},
    {"error_rate", TARS_TH_ERROR_RATE, TARS_LIMIT_RATIO},
    {"rps", TARS_TH_RPS, TARS_LIMIT_COUNT},
    {"requests", TARS_TH_REQUESTS, TARS_LIMIT_COUNT},
};

#define METRIC_COUNT (sizeof(metrics) / sizeof(metrics[0]))

static const struct tars_limit_metric *metric_of(enum tars_threshold_metric m)
{
    static const struct tars_limit_metric any_percentile = {"p(N)", TARS_TH_PERCENTILE,
                                                            TARS_LIMIT_TIME};

    if (m == TARS_TH_PERCENTILE)
        return &any_percentile;
    for (size_t i = 0; i < METRIC_COUNT; i++)
        if (metrics[i].id == (int)m)
            return &metrics[i];
    return NULL;
}

/* The percentile th names, or 0. */
static double percentile_of(const struct tars_threshold *th)
{
    static const double p[] = {[TARS_TH_P50] = 50, [TARS_TH_P75] = 75, [TARS_TH_P90] = 90,
                               [TARS_TH_P95] = 95, [TARS_TH_P99] = 99, [TARS_TH_P99_9] = 99.9};

    if (th->metric == TARS_TH_PERCENTILE)
        return th->percentile;
    return (size_t)th->metric < sizeof(p) / sizeof(p[0]) ? p[th->metric] : 0;
}

const char *tars_threshold_unit(const struct tars_threshold *th)
{
    const struct tars_limit_metric *m = metric_of(th->metric);

    if (m && m->kind == TARS_LIMIT_COUNT)
        return th->metric == TARS_TH_RPS ? "per_second" : "count";
    return tars_limit_unit(m ? m->kind : TARS_LIMIT_TIME);
}

static int bad(const char *text, struct tars_err *err, const char *why, const char *what,
               size_t len)
{
    return tars_err_set(err, TARS_EINVAL, "bad threshold \"%s\": %s \"%.*s\"", text, why, (int)len,
                        what);
}

/* The left side: "[task:]metric". */
static int read_subject(const char *text, const char *subject, size_t len,
                        struct tars_threshold *th, const struct tars_limit_metric **m,
                        struct tars_err *err)
{
    const char *colon = memrchr(subject, ':', len), *name = subject;
    size_t name_len = len;

    if (colon) {
        const char *task = subject;
        size_t task_len = (size_t)(colon - subject);
        tars_limit_trim(&task, &task_len);
        if (task_len == 0)
            return bad(text, err, "empty task name before", ":", 1);
        th->task = xstrndup(task, task_len);
        name = colon + 1;
        name_len = len - (size_t)(name - subject);
    }
    tars_limit_trim(&name, &name_len);
    if (name_len > 4 && memcmp(name + name_len - 4, "{ok}", 4) == 0) {
        th->ok_only = true;
        name_len -= 4;
        tars_limit_trim(&name, &name_len);
    } else if (name_len && name[name_len - 1] == '}') {
        return bad(text, err, "unknown selector (only {ok}, the successful responses) in", name,
                   name_len);
    }
    if (!(*m = tars_limit_metric_find(metrics, METRIC_COUNT, name, name_len)))
        return tars_limit_unknown_metric(text, name, name_len, metrics, METRIC_COUNT, err);
    th->metric = (enum tars_threshold_metric)(*m)->id;
    if (th->ok_only && (*m)->kind != TARS_LIMIT_TIME)
        return bad(text, err, "{ok} selects successful responses for a latency, not for", name,
                   name_len);
    return TARS_OK;
}

int tars_threshold_parse(const char *text, struct tars_threshold *th, struct tars_err *err)
{
    struct tars_limit_parts p;
    const struct tars_limit_metric *m = NULL;
    int rc;

    memset(th, 0, sizeof(*th));
    if ((rc = tars_limit_split(text,
                               "[task:]metric <, <=, > or >= value, e.g. p95<150ms, or k6's "
                               "http_req_duration: p(95)<150",
                               &p, err)))
        return rc;
    th->text = xstrndup(p.subject, (size_t)(p.value + p.value_len - p.subject));
    th->op = (enum tars_threshold_op)p.op;
    rc = threshold_k6_subject(th->text, p.subject, p.subject_len, th, &m, err);
    if (rc == 1)
        rc = read_subject(th->text, p.subject, p.subject_len, th, &m, err);
    if (rc || (rc = tars_limit_value(th->text, p.value, p.value_len, m, &th->value, err)))
        tars_threshold_release(th);
    return rc;
}

void tars_threshold_release(struct tars_threshold *th)
{
    if (!th)
        return;
    free(th->task);
    free(th->text);
    memset(th, 0, sizeof(*th));
}

/* ---- checking ---- */

/* The figure th->metric names, in th->value's unit; NULL, or what is
 * missing when there is nothing to measure. */
static const char *measure(const struct tars_threshold *th, const struct tars_limit_metric *m,
                           const struct tars_load_task_result *t, int64_t duration_ms,
                           double *value)
{
    const tars_hist *h = th->ok_only ? t->latency_ok : t->latency;

    *value = NAN;
    if (t->requests == 0)
        return "no request was sent";
    switch (m->kind) {
    case TARS_LIMIT_RATIO: *value = (double)t->failures / (double)t->requests; return NULL;
    case TARS_LIMIT_COUNT:
        if (th->metric == TARS_TH_REQUESTS) {
            *value = (double)t->requests;
            return NULL;
        }
        if (duration_ms <= 0)
            return "the run lasted no measurable time";
        *value = (double)t->requests / ((double)duration_ms / 1000.0);
        return NULL;
    case TARS_LIMIT_TIME: break;
    }
    if (th->ok_only && (!h || tars_hist_count(h) == 0))
        return "no successful response was timed";
    if (!h || tars_hist_count(h) == 0)
        return "no response was timed (every request failed before an answer)";
    if (th->metric == TARS_TH_MEAN)
        *value = tars_hist_mean(h);
    else if (th->metric == TARS_TH_MAX)
        *value = (double)tars_hist_max(h);
    else if (th->metric == TARS_TH_MIN)
        *value = (double)tars_hist_min(h);
    else
        *value = (double)tars_hist_percentile(h, percentile_of(th));
    return NULL;
}

int tars_threshold_check(const struct tars_threshold *th, const struct tars_load_result *r,
                         struct tars_judged *out, struct tars_err *err)
{
    const struct tars_load_task_result *t =
        th->task ? tars_load_result_task(r, th->task) : &r->total;
    const struct tars_limit_metric *m = metric_of(th->metric);
    const char *why;
    double value;

    tars_judged_set(out, NAN, TARS_JUDGE_LT, 0, "not judged");
    if (!m)
        return tars_err_set(err, TARS_EINVAL, "threshold \"%s\": unknown metric %d",
                            th->text ? th->text : "", (int)th->metric);
    if (!t)
        return tars_err_set(err, TARS_ENOTFOUND, "threshold \"%s\": no task named \"%s\"",
                            th->text ? th->text : "", th->task);
    why = measure(th, m, t, r->duration_ms, &value);
    tars_judged_set(out, value, (int)th->op, th->value, why);
    return TARS_OK;
}
