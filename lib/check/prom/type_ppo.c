/*
 * The ppo preset (Prometheus-backed, type_slo.c has the shared helpers).
 *
 * ppo     objective memory: `metric` (source process: process_resident_memory_bytes;
 *           source container: container_memory_usage_bytes{pod=~".*ppo.*"}) in MiB
 *           < threshold (1024, i.e. 1 GiB), its maximum over window if one is given;
 *         objective growth: deriv(metric[window 1h]) * 3600 in MiB/h < threshold (10).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "prom_int.h"

/* ---- ppo ---- */

static int ppo_selector(const struct tars_check_ctx *ctx, struct tars_buf *q)
{
    bool container = strcmp(tars_check_param_str(ctx, "source", "process"), "container") == 0;
    const char *metric = tars_check_param_str(ctx, "metric",
                                              container ? "container_memory_usage_bytes"
                                                        : "process_resident_memory_bytes");
    const char *sel = tars_check_param_str(ctx, "selector", container ? "pod=~\".*ppo.*\"" : NULL);

    return promql_selector(q, metric, "", sel, NULL);
}

static int ppo_build(const struct tars_check_ctx *ctx, struct tars_buf *q, struct prom_judge *j,
                     char *what, size_t what_size)
{
    bool growth = strcmp(tars_check_param_str(ctx, "objective", "memory"), "growth") == 0;
    const char *window = tars_check_param_str(ctx, "window", growth ? PRESET_GROWTH_WINDOW : NULL);
    int rc;

    j->scale = 1.0 / PRESET_MIB;
    j->what = what;
    if (growth) {
        snprintf(what, what_size, "memory growth over %s", window);
        j->unit = " MiB/h";
        preset_condition(&j->cond, "<", preset_number(ctx, "threshold", 10));
        rc = tars_buf_puts(q, "deriv(");
        rc = rc ? rc : ppo_selector(ctx, q);
        return rc ? rc : tars_buf_printf(q, "[%s]) * 3600", window);
    }
    j->unit = " MiB";
    preset_condition(&j->cond, "<", preset_number(ctx, "threshold", 1024));
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
    if (preset_number_validate(params, "threshold", 0, 1e12, buf, size))
        return buf;
    return preset_validate(params, buf, size);
}

/* ---- the type ---- */

static const char *const ppo_params[] = {"url",    "headers",  "insecure", "objective", "source",
                                         "metric", "selector", "window",   "threshold", NULL};
static const char *const none[] = {NULL};

const struct tars_check_type tars_check_ppo = {
    .name = "ppo",
    .category_hint = "PPO agent: memory ceiling and growth",
    .params = ppo_params,
    .required = none,
    .validate = ppo_validate,
    .run = ppo_run,
};
