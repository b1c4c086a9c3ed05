/*
 * The canary preset (Prometheus-backed, type_slo.c has the shared helpers).
 *
 * canary  the series whose `label` (deployment) is `canary` (canary) against
 *         those whose label is `stable` (stable), over window (5m): the
 *         canary's 5xx ratio < max_error_rate (0.01) and p95 < max_p95_ms
 *         (100), as the v1.0.1 production suite gates; and, when stable has
 *         traffic, canary ratio <= stable ratio + max_error_rate_delta
 *         (0.005) and canary p95 <= stable p95 * max_p95_ratio (1.5).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "prom_int.h"

/* ---- canary ---- */

static void canary_fail_add(char *buf, size_t size, size_t *len, const char *fmt, ...)
    TARS_PRINTF(4, 5);

static void canary_fail_add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*len && *len + 2 < size) {
        memcpy(buf + *len, "; ", 3);
        *len += 2;
    }
    if (*len + 1 >= size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

static void canary_problems(const struct canary_figures *f, const struct canary_limits *l,
                            char *buf, size_t size, size_t *len)
{
    const double *v = f->v;

    if (!(v[CANARY_ERROR] < l->max_error_rate))
        canary_fail_add(buf, size, len, "canary 5xx ratio %.4g, expected < %g", v[CANARY_ERROR],
                        l->max_error_rate);
    if (!(v[CANARY_P95] < l->max_p95_ms))
        canary_fail_add(buf, size, len, "canary p95 %.1f ms, expected < %g ms", v[CANARY_P95],
                        l->max_p95_ms);
    if (f->has[STABLE_ERROR] && v[CANARY_ERROR] > v[STABLE_ERROR] + l->max_error_rate_delta)
        canary_fail_add(buf, size, len, "canary 5xx ratio %.4g is more than %g above stable's %.4g",
                        v[CANARY_ERROR], l->max_error_rate_delta, v[STABLE_ERROR]);
    if (f->has[STABLE_P95] && v[CANARY_P95] > v[STABLE_P95] * l->max_p95_ratio)
        canary_fail_add(buf, size, len, "canary p95 %.1f ms is more than %g x stable's %.1f ms",
                        v[CANARY_P95], l->max_p95_ratio, v[STABLE_P95]);
}

enum prom_verdict prom_canary_judge(const struct canary_figures *f, const struct canary_limits *l,
                                    char *reason, size_t size)
{
    size_t len = 0;

    static const char *const names[CANARY_FIGURES] = {"canary 5xx ratio", "stable 5xx ratio",
                                                      "canary p95", "stable p95"};

    reason[0] = '\0';
    if (!f->has[CANARY_ERROR] || !f->has[CANARY_P95]) {
        snprintf(reason, size, "no canary traffic in the window (no 5xx ratio or p95)");
        return PROM_EMPTY;
    }
    for (int i = 0; i < CANARY_FIGURES; i++)
        if (f->has[i] && !isfinite(f->v[i])) {
            snprintf(reason, size, "%s is %s: nothing to judge", names[i],
                     isnan(f->v[i]) ? "NaN"
                     : f->v[i] > 0  ? "+Inf"
                                    : "-Inf");
            return PROM_UNMEASURED;
        }
    canary_problems(f, l, reason, size, &len);
    if (len)
        return PROM_FAIL;
    snprintf(reason, size, "canary 5xx ratio %.4g, p95 %.1f ms", f->v[CANARY_ERROR],
             f->v[CANARY_P95]);
    len = strlen(reason);
    if (f->has[STABLE_ERROR] && f->has[STABLE_P95] && len < size)
        snprintf(reason + len, size - len, " (stable %.4g, %.1f ms)", f->v[STABLE_ERROR],
                 f->v[STABLE_P95]);
    else if (len < size)
        snprintf(reason + len, size - len, " (no stable traffic to compare)");
    return PROM_PASS;
}

/* Both series' figures of one query into f (error ratios or p95 in ms). */
static void canary_pick(const struct tars_check_ctx *ctx, json_t *data, int first, double scale,
                        struct canary_figures *f)
{
    const char *label = tars_check_param_str(ctx, "label", "deployment");
    const char *names[2] = {tars_check_param_str(ctx, "canary", "canary"),
                            tars_check_param_str(ctx, "stable", "stable")};
    double v;

    for (int i = 0; i < 2; i++)
        if (prom_series_value(data, label, names[i], &v) && !isnan(v)) {
            f->has[first + i] = true;
            f->v[first + i] = v * scale;
        }
}

static int canary_query(const struct tars_check_ctx *ctx, bool latency, struct canary_figures *f,
                        struct tars_check_result *out)
{
    struct tars_buf q = TARS_BUF_INIT(PROM_MAX_QUERY);
    struct promql_scope s = {tars_check_param_str(ctx, "selector", NULL),
                             tars_check_param_str(ctx, "window", PRESET_WINDOW),
                             tars_check_param_str(ctx, "label", "deployment")};
    json_t *data = NULL;
    int rc;

    if (latency)
        rc = promql_quantile(&q, tars_check_param_str(ctx, "histogram", PRESET_HTTP_HISTOGRAM),
                             preset_number(ctx, "quantile", 0.95), &s);
    else
        rc = promql_ratio(&q, tars_check_param_str(ctx, "counter", PRESET_HTTP_COUNTER),
                          PRESET_SERVER_ERRORS, &s);
    if (rc != 0)
        tars_check_error(out, false, "the query is longer than %d bytes", PROM_MAX_QUERY);
    else if ((rc = prom_instant_query(ctx, q.data, &data, out)) == 0)
        canary_pick(ctx, data, latency ? CANARY_P95 : CANARY_ERROR, latency ? 1000 : 1, f);
    json_decref(data);
    tars_buf_release(&q);
    return rc;
}

static void canary_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    struct canary_figures f = {{false}, {0}};
    struct canary_limits l = {preset_number(ctx, "max_error_rate", 0.01),
                              preset_number(ctx, "max_p95_ms", 100),
                              preset_number(ctx, "max_error_rate_delta", 0.005),
                              preset_number(ctx, "max_p95_ratio", 1.5)};
    char reason[TARS_CHECK_REASON_MAX - 32];

    if (canary_query(ctx, false, &f, out) != 0 || canary_query(ctx, true, &f, out) != 0)
        return;
    switch (prom_canary_judge(&f, &l, reason, sizeof(reason))) {
    case PROM_PASS: tars_check_pass(out, "%s", reason); break;
    case PROM_FAIL: tars_check_fail(out, "%s", reason); break;
    case PROM_EMPTY: tars_check_empty(ctx, out, "%s", reason); break;
    default: tars_check_error(out, false, "%s", reason); break;
    }
}

static int canary_read_params(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const limits[] = {"max_error_rate", "max_p95_ms", "max_error_rate_delta",
                                         "max_p95_ratio", NULL};
    const char *label = NULL, *s;
    double n;
    int rc = tars_json_get_string(rd, params, "label", TARS_JSON_OPTIONAL, PROM_MAX_QUERY, &label);

    if (rc == TARS_OK && label && !promql_label_name_valid(label))
        return tars_json_fail(rd, json_object_get(params, "label"), TARS_EINVAL,
                              "label must be a label name such as deployment, not \"%.64s\"",
                              label);
    if (rc ||
        (rc = tars_json_get_string(rd, params, "canary", TARS_JSON_OPTIONAL, PROM_MAX_QUERY, &s)) ||
        (rc = tars_json_get_string(rd, params, "stable", TARS_JSON_OPTIONAL, PROM_MAX_QUERY, &s)))
        return rc;
    for (const char *const *m = (const char *const[]){"histogram", "counter", NULL}; *m; m++) {
        s = NULL;
        if ((rc = tars_json_get_string(rd, params, *m, TARS_JSON_OPTIONAL, PROM_MAX_QUERY, &s)))
            return rc;
        if (s && !promql_metric_name_valid(s))
            return tars_json_fail(rd, json_object_get(params, *m), TARS_EINVAL,
                                  "%s must be a metric name, not \"%.64s\"", *m, s);
    }
    for (const char *const *l = limits; *l; l++)
        if ((rc = tars_json_get_double(rd, params, *l, TARS_JSON_OPTIONAL, 0, PRESET_NUMBER_MAX,
                                       &n)))
            return rc;
    if ((rc = tars_json_get_double_above(rd, params, "quantile", TARS_JSON_OPTIONAL, 0, 1, &n)))
        return rc;
    return preset_read_params(rd, params);
}

/* ---- the type ---- */

static const char *const canary_params[] = {
    "url",           "headers",        "insecure",   "label",
    "canary",        "stable",         "window",     "selector",
    "quantile",      "max_error_rate", "max_p95_ms", "max_error_rate_delta",
    "max_p95_ratio", "histogram",      "counter",    NULL};
static const char *const none[] = {NULL};

const struct tars_check_type tars_check_canary = {
    .name = "canary",
    .category_hint = "canary against stable",
    .params = canary_params,
    .required = none,
    .read_params = canary_read_params,
    .run = canary_run,
};
