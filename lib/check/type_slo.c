/*
 * Prometheus-backed presets. Each builds PromQL from its parameters (every
 * default below) and judges the answer as the prometheus type does; NaN
 * (0 / 0: no requests in the window) counts as no data, and no data is an
 * error (inconclusive) unless the check says on_empty: fail or skip.
 *
 * slo     objective latency: histogram_quantile(quantile 0.95) over
 *           `metric` (tars_http_request_duration_seconds), in ms, < threshold (150);
 *         objective error_rate: 5xx (status=~"5..") / all of `metric`
 *           (tars_http_requests_total) < threshold (0.01): a ratio, not a rate;
 *         objective evaluation_success: status!="error" / all of `metric`
 *           (tars_evaluation_total) > threshold (0.99).
 *         window (5m), selector (extra label matchers), by (labels: judged
 *         per series; default one series for everything).
 * ppo     objective memory: `metric` (source process: process_resident_memory_bytes;
 *           source container: container_memory_usage_bytes{pod=~".*ppo.*"}) in MiB
 *           < threshold (1024, i.e. 1 GiB), its maximum over window if one is given;
 *         objective growth: deriv(metric[window 1h]) * 3600 in MiB/h < threshold (10).
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

#include "http_int.h"
#include "prom_int.h"

#define SLO_WINDOW "5m"
#define GROWTH_WINDOW "1h"
#define MIB 1048576.0
#define HTTP_HISTOGRAM "tars_http_request_duration_seconds"
#define HTTP_COUNTER "tars_http_requests_total"
#define EVAL_COUNTER "tars_evaluation_total"
#define SERVER_ERRORS "status=~\"5..\""
#define BY_MAX 256

/* ---- PromQL ---- */

bool promql_label_name_valid(const char *s)
{
    if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return false;
    for (s++; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static bool metric_name_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 200 || (*s >= '0' && *s <= '9'))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:") == n;
}

bool promql_label_list_valid(const char *s)
{
    char name[128];

    for (;;) {
        size_t n;
        s += strspn(s, " ");
        n = strcspn(s, ", ");
        if (n == 0 || n >= sizeof(name))
            return false;
        memcpy(name, s, n);
        name[n] = '\0';
        if (!promql_label_name_valid(name))
            return false;
        s += n;
        s += strspn(s, " ");
        if (!*s)
            return true;
        if (*s++ != ',')
            return false;
    }
}

bool promql_window_valid(const char *w)
{
    static const char *const units[] = {"ms", "s", "m", "h", "d", "w", "y"};

    if (!w || !*w || strlen(w) > 32)
        return false;
    while (*w) {
        size_t digits = strspn(w, "0123456789"), u;
        if (digits == 0)
            return false;
        w += digits;
        for (u = 0; u < 7; u++)
            if (strncmp(w, units[u], strlen(units[u])) == 0)
                break;
        if (u == 7)
            return false;
        w += strlen(units[u]);
    }
    return true;
}

bool promql_selector_valid(const char *s)
{
    return strlen(s) < 1024 && !strpbrk(s, "{}[]\r\n");
}

int promql_matcher(struct tars_buf *b, const char *name, const char *value)
{
    int rc = tars_buf_printf(b, "%s=\"", name);

    for (; *value && rc == TARS_OK; value++) {
        if (*value == '"' || *value == '\\')
            rc = tars_buf_printf(b, "\\%c", *value);
        else if (*value == '\n')
            rc = tars_buf_puts(b, "\\n");
        else
            rc = tars_buf_append(b, value, 1);
    }
    return rc ? rc : tars_buf_puts(b, "\"");
}

/* metric{a, b} (either may be NULL or empty). */
static int put_selector(struct tars_buf *b, const char *metric, const char *suffix, const char *a,
                        const char *c)
{
    bool has_a = a && *a, has_c = c && *c;
    int rc = tars_buf_printf(b, "%s%s", metric, suffix);

    if (rc == TARS_OK && (has_a || has_c))
        rc = tars_buf_printf(b, "{%s%s%s}", has_a ? a : "", has_a && has_c ? ", " : "",
                             has_c ? c : "");
    return rc;
}

/* sum by (first, by) (rate(metric_suffix{part, selector}[window])) */
static int put_sum_rate(struct tars_buf *b, const char *metric, const char *suffix,
                        const char *part, const struct promql_scope *s, const char *first)
{
    bool has_by = s->by && *s->by;
    int rc;

    if (!first && !has_by)
        rc = tars_buf_puts(b, "sum(rate(");
    else
        rc = tars_buf_printf(b, "sum by (%s%s%s) (rate(", first ? first : "",
                             first && has_by ? ", " : "", has_by ? s->by : "");
    if (rc == TARS_OK)
        rc = put_selector(b, metric, suffix, part, s->selector);
    return rc ? rc : tars_buf_printf(b, "[%s]))", s->window);
}

int promql_quantile(struct tars_buf *b, const char *histogram, double q,
                    const struct promql_scope *s)
{
    int rc = tars_buf_printf(b, "histogram_quantile(%g, ", q);

    if (rc == TARS_OK)
        rc = put_sum_rate(b, histogram, "_bucket", NULL, s, "le");
    return rc ? rc : tars_buf_puts(b, ")");
}

int promql_ratio(struct tars_buf *b, const char *counter, const char *part,
                 const struct promql_scope *s)
{
    int rc = tars_buf_puts(b, "(");

    if (rc == TARS_OK)
        rc = put_sum_rate(b, counter, "", part, s, NULL);
    if (rc == TARS_OK)
        rc = tars_buf_puts(b, " or 0 * ");
    if (rc == TARS_OK)
        rc = put_sum_rate(b, counter, "", NULL, s, NULL);
    if (rc == TARS_OK)
        rc = tars_buf_puts(b, ") / ");
    return rc ? rc : put_sum_rate(b, counter, "", NULL, s, NULL);
}

/* ---- parameters ---- */

static double param_number(const struct tars_check_ctx *ctx, const char *name, double fallback)
{
    double v;
    return check_json_number(json_object_get(ctx->params, name), &v) ? v : fallback;
}

static void condition_set(struct prom_condition *c, const char *op, double value)
{
    c->set = tars_judge_op_parse(op, &c->op) == 0;
    snprintf(c->op_text, sizeof(c->op_text), "%s", op);
    c->value = value;
}

/* `by` as text or as a list of names, joined into buf. */
static const char *by_text(json_t *by, char *buf, size_t size)
{
    size_t i, len = 0;
    json_t *v;

    if (!json_is_array(by))
        return json_string_value(by);
    buf[0] = '\0';
    json_array_foreach(by, i, v)
    {
        if (json_is_string(v) && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                                    json_string_value(v));
    }
    return len < size ? buf : NULL;
}

static void scope_read(const struct tars_check_ctx *ctx, struct promql_scope *s, const char *window,
                       char *by, size_t size)
{
    s->selector = tars_param_str(ctx, "selector", NULL);
    s->window = tars_param_str(ctx, "window", window);
    s->by = by_text(json_object_get(ctx->params, "by"), by, size);
}

static const char *scope_validate(json_t *params, char *buf, size_t size)
{
    json_t *sel = json_object_get(params, "selector"), *win = json_object_get(params, "window");
    json_t *metric = json_object_get(params, "metric");
    char by[BY_MAX];
    const char *b = by_text(json_object_get(params, "by"), by, sizeof(by));

    if (sel && (!json_is_string(sel) || !promql_selector_valid(json_string_value(sel))))
        return snprintf(buf, size,
                        "selector must be label matchers such as endpoint!=\"/metrics\" "
                        "(no braces)"),
               buf;
    if (win && !promql_window_valid(json_string_value(win)))
        return snprintf(buf, size, "window must be a duration such as 5m or 1h"), buf;
    if (json_object_get(params, "by") && (!b || !promql_label_list_valid(b)))
        return snprintf(buf, size, "by must be label names (text \"endpoint, method\" or a list)"),
               buf;
    if (metric && (!json_is_string(metric) || !metric_name_valid(json_string_value(metric))))
        return snprintf(buf, size, "metric must be a metric name"), buf;
    return NULL;
}

static const char *number_validate(json_t *params, const char *name, double min, double max,
                                   char *buf, size_t size)
{
    json_t *v = json_object_get(params, name);
    double n;

    if (v && (!check_json_number(v, &n) || !(n > min && n <= max)))
        return snprintf(buf, size, "%s must be a number in (%g, %g]", name, min, max), buf;
    return NULL;
}

/* Validation shared by the three presets: the connection and the scope. */
static const char *preset_validate(json_t *params, char *buf, size_t size)
{
    struct http_request rq = {0};
    const char *why = http_headers_add(&rq, json_object_get(params, "headers"), buf, size);
    json_t *url = json_object_get(params, "url");

    http_request_release(&rq);
    if (why)
        return why;
    if (url && (!json_is_string(url) || !strstr(json_string_value(url), "://")))
        return snprintf(buf, size, "url must be an http(s) URL"), buf;
    return scope_validate(params, buf, size);
}

/* ---- slo ---- */

static int slo_build(const struct tars_check_ctx *ctx, struct tars_buf *q, struct prom_judge *j,
                     char *what, size_t what_size)
{
    const char *objective = tars_param_str(ctx, "objective", ""),
               *metric = tars_param_str(ctx, "metric", NULL);
    struct promql_scope s;
    char by[BY_MAX];
    double quantile = param_number(ctx, "quantile", 0.95);

    scope_read(ctx, &s, SLO_WINDOW, by, sizeof(by));
    j->nan_is_empty = true;
    j->what = what;
    if (strcmp(objective, "latency") == 0) {
        snprintf(what, what_size, "p%g latency", quantile * 100);
        j->scale = 1000;
        j->unit = " ms";
        condition_set(&j->cond, "<", param_number(ctx, "threshold", 150));
        return promql_quantile(q, metric ? metric : HTTP_HISTOGRAM, quantile, &s);
    }
    if (strcmp(objective, "error_rate") == 0) {
        snprintf(what, what_size, "5xx ratio");
        condition_set(&j->cond, "<", param_number(ctx, "threshold", 0.01));
        return promql_ratio(q, metric ? metric : HTTP_COUNTER, SERVER_ERRORS, &s);
    }
    snprintf(what, what_size, "evaluation success ratio");
    condition_set(&j->cond, ">", param_number(ctx, "threshold", 0.99));
    return promql_ratio(q, metric ? metric : EVAL_COUNTER, "status!=\"error\"", &s);
}

static void slo_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    struct tars_buf q = TARS_BUF_INIT(PROM_MAX_QUERY);
    struct prom_judge j = {0};
    char what[64];

    if (slo_build(ctx, &q, &j, what, sizeof(what)) != 0)
        tars_check_error(out, false, "the query is longer than %d bytes", PROM_MAX_QUERY);
    else
        prom_run_query(ctx, q.data, &j, out);
    tars_buf_release(&q);
}

static const char *slo_validate(json_t *params, char *buf, size_t size)
{
    const char *objective = json_string_value(json_object_get(params, "objective"));

    if (!objective || (strcmp(objective, "latency") != 0 && strcmp(objective, "error_rate") != 0 &&
                       strcmp(objective, "evaluation_success") != 0))
        return snprintf(buf, size, "objective must be latency, error_rate or evaluation_success"),
               buf;
    if (number_validate(params, "threshold", 0, 1e12, buf, size) ||
        number_validate(params, "quantile", 0, 1, buf, size))
        return buf;
    if (json_object_get(params, "quantile") && strcmp(objective, "latency") != 0)
        return snprintf(buf, size, "quantile applies only to objective latency"), buf;
    return preset_validate(params, buf, size);
}

/* ---- ppo ---- */

static int ppo_selector(const struct tars_check_ctx *ctx, struct tars_buf *q)
{
    bool container = strcmp(tars_param_str(ctx, "source", "process"), "container") == 0;
    const char *metric = tars_param_str(ctx, "metric",
                                        container ? "container_memory_usage_bytes"
                                                  : "process_resident_memory_bytes");
    const char *sel = tars_param_str(ctx, "selector", container ? "pod=~\".*ppo.*\"" : NULL);

    return put_selector(q, metric, "", sel, NULL);
}

static int ppo_build(const struct tars_check_ctx *ctx, struct tars_buf *q, struct prom_judge *j,
                     char *what, size_t what_size)
{
    bool growth = strcmp(tars_param_str(ctx, "objective", "memory"), "growth") == 0;
    const char *window = tars_param_str(ctx, "window", growth ? GROWTH_WINDOW : NULL);
    int rc;

    j->scale = 1.0 / MIB;
    j->what = what;
    if (growth) {
        snprintf(what, what_size, "memory growth over %s", window);
        j->unit = " MiB/h";
        condition_set(&j->cond, "<", param_number(ctx, "threshold", 10));
        rc = tars_buf_puts(q, "deriv(");
        rc = rc ? rc : ppo_selector(ctx, q);
        return rc ? rc : tars_buf_printf(q, "[%s]) * 3600", window);
    }
    j->unit = " MiB";
    condition_set(&j->cond, "<", param_number(ctx, "threshold", 1024));
    if (!window) {
        snprintf(what, what_size, "memory");
        return ppo_selector(ctx, q);
    }
    snprintf(what, what_size, "max memory over %s", window);
    rc = tars_buf_puts(q, "max_over_time(");
    rc = rc ? rc : ppo_selector(ctx, q);
    return rc ? rc : tars_buf_printf(q, "[%s])", window);
}

static void ppo_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    struct tars_buf q = TARS_BUF_INIT(PROM_MAX_QUERY);
    struct prom_judge j = {0};
    char what[64];

    if (ppo_build(ctx, &q, &j, what, sizeof(what)) != 0)
        tars_check_error(out, false, "the query is longer than %d bytes", PROM_MAX_QUERY);
    else
        prom_run_query(ctx, q.data, &j, out);
    tars_buf_release(&q);
}

static const char *ppo_validate(json_t *params, char *buf, size_t size)
{
    const char *objective = json_string_value(json_object_get(params, "objective"));
    const char *source = json_string_value(json_object_get(params, "source"));

    if (json_object_get(params, "objective") &&
        (!objective || (strcmp(objective, "memory") != 0 && strcmp(objective, "growth") != 0)))
        return snprintf(buf, size, "objective must be memory or growth"), buf;
    if (json_object_get(params, "source") &&
        (!source || (strcmp(source, "process") != 0 && strcmp(source, "container") != 0)))
        return snprintf(buf, size, "source must be process or container"), buf;
    if (json_object_get(params, "by"))
        return snprintf(buf, size, "by does not apply to ppo (every series is judged)"), buf;
    if (number_validate(params, "threshold", 0, 1e12, buf, size))
        return buf;
    return preset_validate(params, buf, size);
}

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
    const char *label = tars_param_str(ctx, "label", "deployment");
    const char *names[2] = {tars_param_str(ctx, "canary", "canary"),
                            tars_param_str(ctx, "stable", "stable")};
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
    struct promql_scope s = {tars_param_str(ctx, "selector", NULL),
                             tars_param_str(ctx, "window", SLO_WINDOW),
                             tars_param_str(ctx, "label", "deployment")};
    json_t *data = NULL;
    int rc;

    if (latency)
        rc = promql_quantile(&q, tars_param_str(ctx, "histogram", HTTP_HISTOGRAM),
                             param_number(ctx, "quantile", 0.95), &s);
    else
        rc = promql_ratio(&q, tars_param_str(ctx, "counter", HTTP_COUNTER), SERVER_ERRORS, &s);
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
    struct canary_limits l = {
        param_number(ctx, "max_error_rate", 0.01), param_number(ctx, "max_p95_ms", 100),
        param_number(ctx, "max_error_rate_delta", 0.005), param_number(ctx, "max_p95_ratio", 1.5)};
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

static const char *canary_validate(json_t *params, char *buf, size_t size)
{
    static const char *const limits[] = {"max_error_rate", "max_p95_ms", "max_error_rate_delta",
                                         "max_p95_ratio", NULL};
    json_t *label = json_object_get(params, "label");
    const char *names[] = {"canary", "stable", "histogram", "counter"};

    if (label && !promql_label_name_valid(json_string_value(label)))
        return snprintf(buf, size, "label must be a label name such as deployment"), buf;
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(params, names[i]);
        if (v && (!json_is_string(v) || !json_string_length(v) ||
                  (i >= 2 && !metric_name_valid(json_string_value(v)))))
            return snprintf(buf, size, "%s must be a %s", names[i],
                            i >= 2 ? "metric name" : "label value"),
                   buf;
    }
    for (const char *const *n = limits; *n; n++) {
        json_t *v = json_object_get(params, *n);
        double x;
        if (v && (!check_json_number(v, &x) || !(x >= 0 && x < 1e12)))
            return snprintf(buf, size, "%s must be a number >= 0", *n), buf;
    }
    if (json_object_get(params, "by"))
        return snprintf(buf, size, "by does not apply to canary (series are split by label)"), buf;
    if (number_validate(params, "quantile", 0, 1, buf, size))
        return buf;
    return preset_validate(params, buf, size);
}

/* ---- the types ---- */

static const char *const slo_params[] = {"url",       "headers",  "insecure", "objective",
                                         "threshold", "quantile", "window",   "selector",
                                         "by",        "metric",   NULL};
static const char *const slo_required[] = {"objective", NULL};
static const char *const ppo_params[] = {"url",    "headers",  "insecure", "objective", "source",
                                         "metric", "selector", "window",   "threshold", NULL};
static const char *const canary_params[] = {
    "url",           "headers",        "insecure",   "label",
    "canary",        "stable",         "window",     "selector",
    "quantile",      "max_error_rate", "max_p95_ms", "max_error_rate_delta",
    "max_p95_ratio", "histogram",      "counter",    NULL};
static const char *const none[] = {NULL};

const struct tars_check_type tars_check_slo = {
    .name = "slo",
    .category_hint = "SLO: latency, error ratio, evaluation success",
    .params = slo_params,
    .required = slo_required,
    .validate = slo_validate,
    .run = slo_run,
};

const struct tars_check_type tars_check_ppo = {
    .name = "ppo",
    .category_hint = "PPO agent: memory ceiling and growth",
    .params = ppo_params,
    .required = none,
    .validate = ppo_validate,
    .run = ppo_run,
};

const struct tars_check_type tars_check_canary = {
    .name = "canary",
    .category_hint = "canary against stable",
    .params = canary_params,
    .required = none,
    .validate = canary_validate,
    .run = canary_run,
};
