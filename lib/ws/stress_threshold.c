/*
 * ws-stress thresholds: "metric op value[unit]" as tars load writes them,
 * e.g. "loss<0.1%", "p99<50ms", "reconnect_avg<5s", "failed_connections<=0",
 * read by the one threshold parser (tars/judge.h) over this file's metric table.
 * Judged by tars_judge: no data (nothing expected, nothing timed) is never a pass.
 */
#include <math.h>
#include <string.h>

#include "tars/str.h"
#include "tars/ws_stress.h"

static const struct tars_limit_metric metrics[] = {
    {"loss", TARS_WS_TH_LOSS, TARS_LIMIT_RATIO},
    {"duplicates", TARS_WS_TH_DUPLICATES, TARS_LIMIT_COUNT},
    {"out_of_order", TARS_WS_TH_OUT_OF_ORDER, TARS_LIMIT_COUNT},
    {"p50", TARS_WS_TH_P50, TARS_LIMIT_TIME},
    {"p95", TARS_WS_TH_P95, TARS_LIMIT_TIME},
    {"p99", TARS_WS_TH_P99, TARS_LIMIT_TIME},
    {"connect_p95", TARS_WS_TH_CONNECT_P95, TARS_LIMIT_TIME},
    {"reconnect_avg", TARS_WS_TH_RECONNECT_AVG, TARS_LIMIT_TIME},
    {"reconnect_max", TARS_WS_TH_RECONNECT_MAX, TARS_LIMIT_TIME},
    {"failed_connections", TARS_WS_TH_FAILED, TARS_LIMIT_COUNT},
    {"resync_required", TARS_WS_TH_RESYNC, TARS_LIMIT_COUNT},
};

#define METRIC_COUNT (sizeof(metrics) / sizeof(metrics[0]))

int tars_ws_threshold_parse(const char *text, struct tars_ws_threshold *th, struct tars_err *err)
{
    struct tars_limit lim;
    int rc;

    memset(th, 0, sizeof(*th));
    if ((rc = tars_limit_parse(text, metrics, METRIC_COUNT, &lim, err)))
        return rc;
    th->metric = lim.metric->id;
    th->op = lim.op;
    th->value = lim.value;
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
        if (metrics[i].id == th->metric)
            return tars_limit_unit(metrics[i].kind);
    return "count";
}

void tars_ws_threshold_check(const struct tars_ws_threshold *th,
                             const struct tars_ws_stress_result *r, struct tars_judged *out)
{
    double v;
    const char *why = measure(th->metric, r, &v);

    tars_judged_set(out, v, th->op, th->value, why);
}
