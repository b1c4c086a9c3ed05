/*
 * k6's --summary-export document (docs/load-format.md §7): the figures of a
 * run under k6's metric names, so that what reads k6's summary reads tars'.
 * Times are in milliseconds, as k6 writes them. Only what tars measures is
 * written: a metric with nothing measured has no figures, never zeros.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tars/load.h"

/* md5("") as k6 names its root group. */
#define K6_ROOT_GROUP_ID "d41d8cd98f00b204e9800998ecf8427e"

enum family { DURATION, FAILED, REQS };

static const char *const family_name[] = {"http_req_duration", "http_req_failed", "http_reqs"};

static void set_real(json_t *o, const char *key, double v)
{
    if (isfinite(v))
        json_object_set_new(o, key, json_real(v));
}

/* k6's trend figures over h (ms): avg, min, med, max, p(90), p(95). */
static void put_trend(json_t *o, const tars_hist *h)
{
    if (!h || tars_hist_count(h) == 0)
        return;
    set_real(o, "avg", tars_hist_mean(h) / 1e6);
    set_real(o, "min", (double)tars_hist_min(h) / 1e6);
    set_real(o, "med", (double)tars_hist_percentile(h, 50) / 1e6);
    set_real(o, "max", (double)tars_hist_max(h) / 1e6);
    set_real(o, "p(90)", (double)tars_hist_percentile(h, 90) / 1e6);
    set_real(o, "p(95)", (double)tars_hist_percentile(h, 95) / 1e6);
}

/* k6's rate: passes are the non-zero samples (failed requests for
 * http_req_failed), fails the others, value passes / all. */
static void put_rate(json_t *o, uint64_t passes, uint64_t all)
{
    json_object_set_new(o, "passes", json_integer((json_int_t)passes));
    json_object_set_new(o, "fails", json_integer((json_int_t)(all - passes)));
    if (all > 0)
        set_real(o, "value", (double)passes / (double)all);
}

static void put_counter(json_t *o, uint64_t count, int64_t duration_ms)
{
    json_object_set_new(o, "count", json_integer((json_int_t)count));
    if (duration_ms > 0)
        set_real(o, "rate", (double)count / ((double)duration_ms / 1000.0));
}

static json_t *metric_of(enum family f, const struct tars_load_task_result *t, bool ok_only,
                         int64_t duration_ms)
{
    json_t *o = json_object();

    if (f == DURATION)
        put_trend(o, ok_only ? t->latency_ok : t->latency);
    else if (f == FAILED)
        put_rate(o, t->failures, t->requests);
    else
        put_counter(o, t->requests, duration_ms);
    return o;
}

static enum family family_of(const struct tars_threshold *th)
{
    if (th->metric == TARS_TH_ERROR_RATE)
        return FAILED;
    return th->metric == TARS_TH_RPS || th->metric == TARS_TH_REQUESTS ? REQS : DURATION;
}

/* The metric key th is filed under and the expression it is filed as: k6's form
 * as written; tars' own form under the k6 metric and tags it judges. */
static void key_of(const struct tars_threshold *th, char *key, size_t size, const char **expr)
{
    enum family f = family_of(th);
    size_t colon;

    if (th->k6_expr > 0) {
        colon = th->k6_expr;
        while (colon > 0 && th->text[colon - 1] != ':')
            colon--;
        while (colon > 1 && th->text[colon - 2] == ' ')
            colon--;
        snprintf(key, size, "%.*s", colon > 0 ? (int)colon - 1 : 0, th->text);
        *expr = th->text + th->k6_expr;
        return;
    }
    *expr = th->text;
    if (!th->task && !th->ok_only)
        snprintf(key, size, "%s", family_name[f]);
    else
        snprintf(key, size, "%s{%s%.100s%s%s}", family_name[f], th->task ? "name:" : "",
                 th->task ? th->task : "", th->task && th->ok_only ? "," : "",
                 th->ok_only ? "expected_response:true" : "");
}

static const struct tars_load_task_result *task_of(const struct tars_load_result *r,
                                                   const char *name)
{
    for (size_t i = 0; name && i < r->task_count; i++)
        if (strcmp(r->tasks[i].name, name) == 0)
            return &r->tasks[i];
    return name ? NULL : &r->total;
}

static void add_threshold(json_t *metrics, const struct tars_load_result *r,
                          const struct tars_threshold *th)
{
    const struct tars_load_task_result *t = task_of(r, th->task);
    struct tars_judged j;
    json_t *m, *list;
    const char *expr;
    char key[256];

    key_of(th, key, sizeof(key), &expr);
    if (!(m = json_object_get(metrics, key))) {
        m = t ? metric_of(family_of(th), t, th->ok_only, r->duration_ms) : json_object();
        json_object_set_new(metrics, key, m);
    }
    if (!(list = json_object_get(m, "thresholds"))) {
        list = json_object();
        json_object_set_new(m, "thresholds", list);
    }
    if (tars_threshold_check(th, r, &j, NULL) != TARS_OK)
        j.outcome = TARS_JUDGE_NO_DATA;
    json_object_set_new(list, expr, json_boolean(j.outcome != TARS_JUDGE_PASS));
}

/* Each task's expect as one k6 check: passes the requests that met it. */
static json_t *root_group(const struct tars_load_result *r)
{
    json_t *checks = json_object();
    char name[160], path[168];

    for (size_t i = 0; i < r->task_count; i++) {
        const struct tars_load_task_result *t = &r->tasks[i];
        snprintf(name, sizeof(name), "%s: expect", t->name);
        snprintf(path, sizeof(path), "::%s", name);
        json_object_set_new(checks, name,
                            json_pack("{s:s,s:s,s:I,s:I}", "name", name, "path", path, "passes",
                                      (json_int_t)(t->requests - t->failures), "fails",
                                      (json_int_t)t->failures));
    }
    return json_pack("{s:s,s:s,s:s,s:{},s:o}", "name", "", "path", "", "id", K6_ROOT_GROUP_ID,
                     "groups", "checks", checks);
}

json_t *tars_load_k6_summary(const struct tars_load_result *r, const struct tars_threshold *th,
                             size_t n)
{
    json_t *metrics = json_object(), *checks = json_object(), *data = json_object();

    json_object_set_new(metrics, "http_reqs", metric_of(REQS, &r->total, false, r->duration_ms));
    json_object_set_new(metrics, "http_req_failed",
                        metric_of(FAILED, &r->total, false, r->duration_ms));
    json_object_set_new(metrics, "http_req_duration",
                        metric_of(DURATION, &r->total, false, r->duration_ms));
    json_object_set_new(metrics, "http_req_duration{expected_response:true}",
                        metric_of(DURATION, &r->total, true, r->duration_ms));
    put_counter(data, r->total.bytes_received, r->duration_ms);
    json_object_set_new(metrics, "data_received", data);
    put_rate(checks, r->total.requests - r->total.failures, r->total.requests);
    json_object_set_new(metrics, "checks", checks);
    for (size_t i = 0; i < n; i++)
        add_threshold(metrics, r, &th[i]);
    return json_pack("{s:o,s:o}", "root_group", root_group(r), "metrics", metrics);
}
