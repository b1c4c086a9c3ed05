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

static int ppo_read_params(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const objectives[] = {"memory", "growth", NULL};
    static const char *const sources[] = {"process", "container", NULL};
    double n;
    int i, rc;

    if ((rc = tars_json_get_enum(rd, params, "objective", TARS_JSON_OPTIONAL, objectives, &i)) ||
        (rc = tars_json_get_enum(rd, params, "source", TARS_JSON_OPTIONAL, sources, &i)) ||
        (rc = tars_json_get_double_above(rd, params, "threshold", TARS_JSON_OPTIONAL, 0,
                                         PRESET_NUMBER_MAX, &n)))
        return rc;
    return preset_read_params(rd, params);
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
    .read_params = ppo_read_params,
    .run = ppo_run,
};
