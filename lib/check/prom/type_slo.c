/*
 * Prometheus-backed presets (slo here; ppo in type_ppo.c, canary in
 * type_canary.c) and the PromQL and parameter helpers they share. Each
 * builds PromQL from its parameters (every default below) and judges the
 * answer as the prometheus type does; NaN (0 / 0: no requests in the
 * window) counts as no data, and no data is an error (inconclusive) unless
 * the check says on_empty: fail or skip.
 *
 * slo     objective latency: histogram_quantile(quantile 0.95) over
 *           `metric` (tars_http_request_duration_seconds), in ms, < threshold (150);
 *         objective error_rate: 5xx (status=~"5..") / all of `metric`
 *           (tars_http_requests_total) < threshold (0.01): a ratio, not a rate;
 *         objective evaluation_success: status!="error" / all of `metric`
 *           (tars_evaluation_total) > threshold (0.99).
 *         window (5m), selector (extra label matchers), by (labels: judged
 *         per series; default one series for everything).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "prom_int.h"

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

bool promql_metric_name_valid(const char *s)
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

/* metric<suffix>{a, c} (prom_int.h). */
int promql_selector(struct tars_buf *b, const char *metric, const char *suffix, const char *a,
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
        rc = promql_selector(b, metric, suffix, part, s->selector);
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

double preset_number(const struct tars_check_ctx *ctx, const char *name, double fallback)
{
    double v;
    return check_json_number(json_object_get(ctx->params, name), &v) ? v : fallback;
}

void preset_condition(struct prom_condition *c, const char *op, double value)
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
    json_array_foreach(by, i, v) {
        if (json_is_string(v) && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                                    json_string_value(v));
    }
    return len < size ? buf : NULL;
}

static void scope_read(const struct tars_check_ctx *ctx, struct promql_scope *s, const char *window,
                       char *by, size_t size)
{
    s->selector = tars_check_param_str(ctx, "selector", NULL);
    s->window = tars_check_param_str(ctx, "window", window);
    s->by = by_text(json_object_get(ctx->params, "by"), by, size);
}

/* A string parameter that valid() accepts; `what` says what it must be. */
static int read_text(const struct tars_json_reader *rd, json_t *params, const char *key,
                     bool (*valid)(const char *), const char *what)
{
    const char *s = NULL;
    int rc = tars_json_get_string(rd, params, key, TARS_JSON_OPTIONAL, PROM_MAX_QUERY, &s);

    if (rc == TARS_OK && s && !valid(s))
        return tars_json_fail(rd, json_object_get(params, key), TARS_EINVAL,
                              "%s must be %s, not \"%.64s\"", key, what, s);
    return rc;
}

/* `by`: label names, as text "endpoint, method" or as a list. */
static int read_by(const struct tars_json_reader *rd, json_t *params)
{
    char by[BY_MAX];
    json_t *list = NULL, *v = json_object_get(params, "by");
    const char *b;
    int rc;

    if (json_is_array(v) && (rc = tars_json_get_strings(rd, params, "by", TARS_JSON_OPTIONAL, 1,
                                                        SIZE_MAX, BY_MAX, &list)))
        return rc;
    if (!json_is_array(v) &&
        (rc = tars_json_get_string(rd, params, "by", TARS_JSON_OPTIONAL, BY_MAX, &b)))
        return rc;
    b = by_text(v, by, sizeof(by));
    if (v && (!b || !promql_label_list_valid(b)))
        return tars_json_fail(rd, v, TARS_EINVAL,
                              "by must be label names (text \"endpoint, method\" or a list)");
    return TARS_OK;
}

static bool selector_valid(const char *s)
{
    return promql_selector_valid(s);
}

int preset_read_params(const struct tars_json_reader *rd, json_t *params)
{
    int rc;

    if ((rc = prom_settings_read(rd, params)) ||
        (rc = read_text(rd, params, "selector", selector_valid,
                        "label matchers such as endpoint!=\"/metrics\" (no braces)")) ||
        (rc =
             read_text(rd, params, "window", promql_window_valid, "a duration such as 5m or 1h")) ||
        (rc = read_by(rd, params)))
        return rc;
    return read_text(rd, params, "metric", promql_metric_name_valid, "a metric name");
}

/* ---- slo ---- */

static int slo_build(const struct tars_check_ctx *ctx, struct tars_buf *q, struct prom_judge *j,
                     char *what, size_t what_size)
{
    const char *objective = tars_check_param_str(ctx, "objective", ""),
               *metric = tars_check_param_str(ctx, "metric", NULL);
    struct promql_scope s;
    char by[BY_MAX];
    double quantile = preset_number(ctx, "quantile", 0.95);

    scope_read(ctx, &s, PRESET_WINDOW, by, sizeof(by));
    j->nan_is_empty = true;
    j->what = what;
    if (strcmp(objective, "latency") == 0) {
        snprintf(what, what_size, "p%g latency", quantile * 100);
        j->scale = 1000;
        j->unit = " ms";
        preset_condition(&j->cond, "<", preset_number(ctx, "threshold", 150));
        return promql_quantile(q, metric ? metric : PRESET_HTTP_HISTOGRAM, quantile, &s);
    }
    if (strcmp(objective, "error_rate") == 0) {
        snprintf(what, what_size, "5xx ratio");
        preset_condition(&j->cond, "<", preset_number(ctx, "threshold", 0.01));
        return promql_ratio(q, metric ? metric : PRESET_HTTP_COUNTER, PRESET_SERVER_ERRORS, &s);
    }
    snprintf(what, what_size, "evaluation success ratio");
    preset_condition(&j->cond, ">", preset_number(ctx, "threshold", 0.99));
    return promql_ratio(q, metric ? metric : PRESET_EVAL_COUNTER, "status!=\"error\"", &s);
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

static int slo_read_params(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const objectives[] = {"latency", "error_rate", "evaluation_success", NULL};
    int objective = 0;
    double n;
    int rc;

    if ((rc = tars_json_get_enum(rd, params, "objective", TARS_JSON_REQUIRED, objectives,
                                 &objective)) ||
        (rc = tars_json_get_double_above(rd, params, "threshold", TARS_JSON_OPTIONAL, 0,
                                         PRESET_NUMBER_MAX, &n)) ||
        (rc = tars_json_get_double_above(rd, params, "quantile", TARS_JSON_OPTIONAL, 0, 1, &n)))
        return rc;
    if (json_object_get(params, "quantile") && objective != 0)
        return tars_json_fail(rd, json_object_get(params, "quantile"), TARS_EINVAL,
                              "quantile applies only to objective latency");
    return preset_read_params(rd, params);
}

/* ---- the types ---- */

static const char *const slo_params[] = {"url",       "headers",  "insecure", "objective",
                                         "threshold", "quantile", "window",   "selector",
                                         "by",        "metric",   NULL};
static const char *const slo_required[] = {"objective", NULL};

const struct tars_check_type tars_check_slo = {
    .name = "slo",
    .category_hint = "SLO: latency, error ratio, evaluation success",
    .params = slo_params,
    .required = slo_required,
    .read_params = slo_read_params,
    .run = slo_run,
};
