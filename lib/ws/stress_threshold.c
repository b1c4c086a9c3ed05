/*
 * ws-stress thresholds: "metric op value[unit]" as tars load writes them,
 * e.g. "loss<0.1%", "p99<50ms", "reconnect_avg<5s", "failed_connections<=0".
 * Judged by tars_judge: no data (nothing expected, nothing timed) is never a pass.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tars/str.h"
#include "tars/ws_stress.h"

enum kind { KIND_TIME, KIND_RATIO, KIND_COUNT };

static const struct metric {
    const char *name;
    int metric;
    enum kind kind;
} metrics[] = {
    {"loss", TARS_WS_TH_LOSS, KIND_RATIO},
    {"duplicates", TARS_WS_TH_DUPLICATES, KIND_COUNT},
    {"out_of_order", TARS_WS_TH_OUT_OF_ORDER, KIND_COUNT},
    {"p50", TARS_WS_TH_P50, KIND_TIME},
    {"p95", TARS_WS_TH_P95, KIND_TIME},
    {"p99", TARS_WS_TH_P99, KIND_TIME},
    {"connect_p95", TARS_WS_TH_CONNECT_P95, KIND_TIME},
    {"reconnect_avg", TARS_WS_TH_RECONNECT_AVG, KIND_TIME},
    {"reconnect_max", TARS_WS_TH_RECONNECT_MAX, KIND_TIME},
    {"failed_connections", TARS_WS_TH_FAILED, KIND_COUNT},
    {"resync_required", TARS_WS_TH_RESYNC, KIND_COUNT},
};

#define METRIC_COUNT (sizeof(metrics) / sizeof(metrics[0]))

static const struct metric *metric_named(const char *s, size_t len)
{
    for (size_t i = 0; i < METRIC_COUNT; i++)
        if (strlen(metrics[i].name) == len && memcmp(metrics[i].name, s, len) == 0)
            return &metrics[i];
    return NULL;
}

static double unit_factor(enum kind kind, const char *unit)
{
    if (kind == KIND_TIME) {
        if (!*unit || !strcmp(unit, "ms"))
            return 1e6;
        if (!strcmp(unit, "s"))
            return 1e9;
        return !strcmp(unit, "us") ? 1e3 : 0;
    }
    if (kind == KIND_RATIO)
        return !*unit ? 1 : !strcmp(unit, "%") ? 0.01 : 0;
    return !*unit ? 1 : 0;
}

/* Copies [s, s+len) without surrounding blanks into out. */
static void trimmed(const char *s, size_t len, char *out, size_t cap)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

int tars_ws_threshold_parse(const char *text, struct tars_ws_threshold *th, struct tars_err *err)
{
    const char *op = strpbrk(text, "<>");
    const struct metric *m;
    char name[64], value[64], *unit;
    double factor;
    size_t at;

    memset(th, 0, sizeof(*th));
    if (!op)
        return tars_err_set(err, TARS_EINVAL, "bad threshold \"%.60s\": no < or >", text);
    trimmed(text, (size_t)(op - text), name, sizeof(name));
    if (!(m = metric_named(name, strlen(name))))
        return tars_err_set(err, TARS_EINVAL,
                            "bad threshold \"%.60s\": unknown metric \"%s\" (loss, duplicates, "
                            "out_of_order, p50, p95, p99, connect_p95, reconnect_avg, "
                            "reconnect_max, failed_connections, resync_required)",
                            text, name);
    at = op[1] == '=' ? 2 : 1;
    th->op = op[0] == '<' ? (at == 2 ? TARS_WS_TH_LE : TARS_WS_TH_LT)
                          : (at == 2 ? TARS_WS_TH_GE : TARS_WS_TH_GT);
    trimmed(op + at, strlen(op + at), value, sizeof(value));
    th->value = strtod(value, &unit);
    if (unit == value || !isfinite(th->value) || th->value < 0)
        return tars_err_set(err, TARS_EINVAL, "bad threshold \"%.60s\": expected a number", text);
    while (isspace((unsigned char)*unit))
        unit++;
    if ((factor = unit_factor(m->kind, unit)) == 0)
        return tars_err_set(err, TARS_EINVAL, "bad threshold \"%.60s\": unit \"%s\" does not fit %s",
                            text, unit, m->name);
    th->value *= factor;
    th->metric = m->metric;
    tars_strlcpy(th->text, text, sizeof(th->text));
    return TARS_OK;
}

/* h exists and holds a value (a result may come without histograms). */
static bool timed(const tars_hist *h)
{
    return h && tars_hist_count(h) > 0;
}

/* Sets *v to a percentile of h; what is missing when h is empty. */
static const char *percentile(const tars_hist *h, double p, const char *what, double *v)
{
    if (!timed(h))
        return what;
    *v = (double)tars_hist_percentile(h, p);
    return NULL;
}

/* Sets *v to the count when the run had a denominator for it. */
static const char *count_of(bool had, int64_t n, const char *why, double *v)
{
    if (!had)
        return why;
    *v = (double)n;
    return NULL;
}

/* The figure metric names in *v; NULL, or what is missing. */
static const char *measure(int metric, const struct tars_ws_stress_result *r, double *v)
{
    static const char no_expected[] =
        "no message was expected (nothing published while subscribed)";
    static const char no_latency[] = "no message latency was measured";
    static const char no_reconnect[] = "no reconnect happened";

    *v = NAN;
    switch (metric) {
    case TARS_WS_TH_LOSS:
        if (r->expected <= 0)
            return no_expected;
        *v = (double)r->lost / (double)r->expected;
        return NULL;
    case TARS_WS_TH_DUPLICATES: return count_of(r->expected > 0, r->duplicated, no_expected, v);
    case TARS_WS_TH_OUT_OF_ORDER: return count_of(r->expected > 0, r->out_of_order, no_expected, v);
    case TARS_WS_TH_P50: return percentile(r->latency, 50, no_latency, v);
    case TARS_WS_TH_P95: return percentile(r->latency, 95, no_latency, v);
    case TARS_WS_TH_P99: return percentile(r->latency, 99, no_latency, v);
    case TARS_WS_TH_CONNECT_P95:
        return percentile(r->connect_time, 95, "no connection was established", v);
    case TARS_WS_TH_RECONNECT_AVG:
        if (!timed(r->reconnect_time))
            return no_reconnect;
        *v = tars_hist_mean(r->reconnect_time);
        return NULL;
    case TARS_WS_TH_RECONNECT_MAX:
        if (!timed(r->reconnect_time))
            return no_reconnect;
        *v = (double)tars_hist_max(r->reconnect_time);
        return NULL;
    case TARS_WS_TH_FAILED:
        return count_of(r->started > 0, r->failed, "no connection was attempted", v);
    case TARS_WS_TH_RESYNC:
        return count_of(r->established > 0, r->resync_required, "no connection was established", v);
    default: return "unknown metric";
    }
}

const char *tars_ws_threshold_unit(const struct tars_ws_threshold *th)
{
    for (size_t i = 0; i < METRIC_COUNT; i++)
        if (metrics[i].metric == th->metric)
            return metrics[i].kind == KIND_TIME ? "ns" : metrics[i].kind == KIND_RATIO ? "fraction" : "count";
    return "count";
}

void tars_ws_threshold_check(const struct tars_ws_threshold *th,
                             const struct tars_ws_stress_result *r, struct tars_judged *out)
{
    double v;
    const char *why = measure(th->metric, r, &v);

    tars_judged_set(out, v, th->op, th->value, why);
}
