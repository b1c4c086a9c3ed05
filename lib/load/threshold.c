/*
 * Thresholds: "[task:]metric op value[unit]", e.g. "p95<150ms",
 * "agents:error_rate<=1%", "rps>500", "p95{ok}<150ms" (successful responses only). Checked against
 * a run's result with tars_judge: no data (no request, no timed response) is never a pass.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/judge.h"
#include "tars/load.h"

enum metric_kind { KIND_LATENCY, KIND_RATIO, KIND_PLAIN };

static const struct metric {
    const char *name;
    enum tars_threshold_metric metric;
    enum metric_kind kind;
    double percentile; /* for percentiles, else 0 */
} metrics[] = {
    {"p50", TARS_TH_P50, KIND_LATENCY, 50},  {"p75", TARS_TH_P75, KIND_LATENCY, 75},
    {"p90", TARS_TH_P90, KIND_LATENCY, 90},  {"p95", TARS_TH_P95, KIND_LATENCY, 95},
    {"p99", TARS_TH_P99, KIND_LATENCY, 99},  {"p99.9", TARS_TH_P99_9, KIND_LATENCY, 99.9},
    {"mean", TARS_TH_MEAN, KIND_LATENCY, 0}, {"avg", TARS_TH_MEAN, KIND_LATENCY, 0},
    {"max", TARS_TH_MAX, KIND_LATENCY, 0},   {"error_rate", TARS_TH_ERROR_RATE, KIND_RATIO, 0},
    {"rps", TARS_TH_RPS, KIND_PLAIN, 0},     {"requests", TARS_TH_REQUESTS, KIND_PLAIN, 0},
};

#define METRIC_COUNT (sizeof(metrics) / sizeof(metrics[0]))

static const struct metric *metric_by_name(const char *s, size_t len)
{
    for (size_t i = 0; i < METRIC_COUNT; i++)
        if (strlen(metrics[i].name) == len && memcmp(metrics[i].name, s, len) == 0)
            return &metrics[i];
    return NULL;
}

static const struct metric *metric_of(enum tars_threshold_metric m)
{
    for (size_t i = 0; i < METRIC_COUNT; i++)
        if (metrics[i].metric == m)
            return &metrics[i];
    return NULL;
}

const char *tars_threshold_unit(const struct tars_threshold *th)
{
    const struct metric *m = metric_of(th->metric);

    if (!m || m->kind == KIND_LATENCY)
        return "ns";
    if (m->kind == KIND_RATIO)
        return "fraction";
    return th->metric == TARS_TH_RPS ? "per_second" : "count";
}

/* [s, s+len) without blanks at either end. */
static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* Reads the comparison at text[*at] ('<' or '>'); *at moves past it. */
static void read_op(const char *text, size_t *at, enum tars_threshold_op *op)
{
    bool less = text[*at] == '<', equal = text[*at + 1] == '=';

    *op = less ? (equal ? TARS_TH_LE : TARS_TH_LT) : (equal ? TARS_TH_GE : TARS_TH_GT);
    *at += equal ? 2 : 1;
}

/* The factor from unit to th->value's unit, or 0 when unit does not fit. */
static double unit_factor(enum metric_kind kind, const char *unit, size_t len)
{
    if (kind == KIND_LATENCY) {
        if (len == 0 || (len == 2 && memcmp(unit, "ms", 2) == 0))
            return 1e6;
        if (len == 1 && unit[0] == 's')
            return 1e9;
        if (len == 2 && memcmp(unit, "us", 2) == 0)
            return 1e3;
        return 0;
    }
    if (kind == KIND_RATIO)
        return len == 0 ? 1 : (len == 1 && unit[0] == '%') ? 0.01 : 0;
    return len == 0 ? 1 : 0;
}

static const char *unit_hint(enum metric_kind kind)
{
    return kind == KIND_LATENCY ? "ms, s or us" : kind == KIND_RATIO ? "% or none" : "none";
}

static int bad(const char *text, struct tars_err *err, const char *why, const char *what,
               size_t len)
{
    return tars_err_set(err, TARS_EINVAL, "bad threshold \"%s\": %s \"%.*s\"", text, why, (int)len,
                        what);
}

/* "150ms" after the comparison. */
static int read_value(const char *text, const char *s, size_t len, const struct metric *m,
                      double *value, struct tars_err *err)
{
    char number[64];
    char *end;
    double factor;
    size_t n = 0;

    trim(&s, &len);
    while (n < len && (isdigit((unsigned char)s[n]) || s[n] == '.'))
        n++;
    if (n == 0 || n >= sizeof(number))
        return bad(text, err, "expected a number, not", s, len);
    memcpy(number, s, n);
    number[n] = '\0';
    *value = strtod(number, &end);
    if (*end || !isfinite(*value))
        return bad(text, err, "expected a number, not", s, len);
    s += n;
    len -= n;
    trim(&s, &len);
    if ((factor = unit_factor(m->kind, s, len)) == 0)
        return tars_err_set(err, TARS_EINVAL,
                            "bad threshold \"%s\": unit \"%.*s\" does not fit "
                            "%s (use %s)",
                            text, (int)len, s, m->name, unit_hint(m->kind));
    *value *= factor;
    if (m->kind == KIND_RATIO && *value > 1)
        return tars_err_set(err, TARS_EINVAL,
                            "bad threshold \"%s\": an error rate is at most "
                            "100%%",
                            text);
    return TARS_OK;
}

/* The left side: "[task:]metric". */
static int read_subject(const char *text, size_t len, struct tars_threshold *th,
                        const struct metric **m, struct tars_err *err)
{
    const char *colon = memrchr(text, ':', len), *name = text;
    size_t name_len = len;

    if (colon) {
        const char *task = text;
        size_t task_len = (size_t)(colon - text);
        trim(&task, &task_len);
        if (task_len == 0)
            return bad(text, err, "empty task name before", ":", 1);
        th->task = xstrndup(task, task_len);
        name = colon + 1;
        name_len = len - (size_t)(name - text);
    }
    trim(&name, &name_len);
    if (name_len > 4 && memcmp(name + name_len - 4, "{ok}", 4) == 0) {
        th->ok_only = true;
        name_len -= 4;
        trim(&name, &name_len);
    } else if (name_len && name[name_len - 1] == '}') {
        return bad(text, err, "unknown selector (only {ok}, the successful responses) in", name,
                   name_len);
    }
    if (!(*m = metric_by_name(name, name_len)))
        return tars_err_set(err, TARS_EINVAL,
                            "bad threshold \"%s\": unknown metric \"%.*s\" "
                            "(use p50, p75, p90, p95, p99, p99.9, mean, max, "
                            "error_rate, rps or requests)",
                            text, (int)name_len, name);
    th->metric = (*m)->metric;
    if (th->ok_only && (*m)->kind != KIND_LATENCY)
        return bad(text, err, "{ok} selects successful responses for a latency, not for", name,
                   name_len);
    return TARS_OK;
}

int tars_threshold_parse(const char *text, struct tars_threshold *th, struct tars_err *err)
{
    const char *s = text;
    size_t len = strlen(text), op_at;
    const struct metric *m = NULL;
    int rc;

    memset(th, 0, sizeof(*th));
    trim(&s, &len);
    op_at = strcspn(s, "<>");
    if (len == 0 || len > 256 || op_at >= len) {
        rc = tars_err_set(err, TARS_EINVAL,
                          "bad threshold \"%.*s\": expected [task:]metric "
                          "<, <=, > or >= value, e.g. p95<150ms",
                          (int)(len > 256 ? 256 : len), s);
        goto out;
    }
    th->text = xstrndup(s, len);
    if ((rc = read_subject(th->text, op_at, th, &m, err)))
        goto out;
    read_op(th->text, &op_at, &th->op);
    rc = read_value(th->text, th->text + op_at, len - op_at, m, &th->value, err);
out:
    if (rc)
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

static const struct tars_load_task_result *task_named(const struct tars_load_result *r,
                                                      const char *name)
{
    if (!name)
        return &r->total;
    for (size_t i = 0; i < r->task_count; i++)
        if (strcmp(r->tasks[i].name, name) == 0)
            return &r->tasks[i];
    return NULL;
}

/* The figure th->metric names, in th->value's unit; NULL, or what is
 * missing when there is nothing to measure. */
static const char *measure(const struct metric *m, bool ok_only,
                           const struct tars_load_task_result *t, int64_t duration_ms,
                           double *value)
{
    const tars_hist *h = ok_only ? t->latency_ok : t->latency;

    *value = NAN;
    if (t->requests == 0)
        return "no request was sent";
    switch (m->kind) {
    case KIND_RATIO: *value = (double)t->failures / (double)t->requests; return NULL;
    case KIND_PLAIN:
        if (m->metric == TARS_TH_REQUESTS) {
            *value = (double)t->requests;
            return NULL;
        }
        if (duration_ms <= 0)
            return "the run lasted no measurable time";
        *value = (double)t->requests / ((double)duration_ms / 1000.0);
        return NULL;
    case KIND_LATENCY: break;
    }
    if (ok_only && (!h || tars_hist_count(h) == 0))
        return "no successful response was timed";
    if (!h || tars_hist_count(h) == 0)
        return "no response was timed (every request failed before an answer)";
    if (m->metric == TARS_TH_MEAN)
        *value = tars_hist_mean(h);
    else if (m->metric == TARS_TH_MAX)
        *value = (double)tars_hist_max(h);
    else
        *value = (double)tars_hist_percentile(h, m->percentile);
    return NULL;
}

int tars_threshold_check(const struct tars_threshold *th, const struct tars_load_result *r,
                         struct tars_judged *out, struct tars_err *err)
{
    const struct tars_load_task_result *t = task_named(r, th->task);
    const struct metric *m = metric_of(th->metric);
    const char *why;
    double value;

    tars_judged_set(out, NAN, TARS_JUDGE_LT, 0, "not judged");
    if (!m)
        return tars_err_set(err, TARS_EINVAL, "threshold \"%s\": unknown metric %d",
                            th->text ? th->text : "", (int)th->metric);
    if (!t)
        return tars_err_set(err, TARS_ENOTFOUND, "threshold \"%s\": no task named \"%s\"",
                            th->text ? th->text : "", th->task);
    why = measure(m, th->ok_only, t, r->duration_ms, &value);
    tars_judged_set(out, value, (int)th->op, th->value, why);
    return TARS_OK;
}
