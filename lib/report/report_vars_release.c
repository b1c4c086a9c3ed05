/* The report binding: release, stages, comparison, canary, zero downtime,
 * decisions and artifacts (docs/run-format.md). */
#include <stdio.h>
#include <string.h>

#include "report_vars_int.h"

#define NO_RELEASE "no release recorded (tars release writes run.json \"release\")"

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void copy_str(struct bind *b, const char *name, json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    if (s && *s)
        put_str(b->values, name, s);
}

/* A stage's status and duration into NAME_STATUS / NAME_DURATION. */
static void bind_stage(struct bind *b, const char *stage_name, const char *status_var,
                       const char *duration_var, const char *also_duration)
{
    json_t *stage = find_stage(b->run, stage_name);
    char why[128];
    double ms;

    if (stage) {
        const char *status = str_of(stage, "status");
        if (status_var)
            put_fmt(b->values, status_var, "%s %s",
                    strcmp(status, "passed") == 0 || strcmp(status, "pass") == 0 ||
                            strcmp(status, "ok") == 0
                        ? MARK_OK
                    : strcmp(status, "failed") == 0 || strcmp(status, "fail") == 0 ? MARK_FAIL
                                                                                   : MARK_UNKNOWN,
                    status);
        if (num_at(stage, "duration_ms", &ms)) {
            put_fmt(b->values, duration_var, "%.2f s", ms / 1000.0);
            if (also_duration)
                put_fmt(b->values, also_duration, "%.2f s", ms / 1000.0);
        }
    }
    snprintf(why, sizeof(why), "no stage \"%s\" recorded (tars release records its stages)",
             stage_name);
    if (status_var)
        bind_reason(b, status_var, why);
    bind_reason(b, duration_var, why);
    if (also_duration)
        bind_reason(b, also_duration, why);
}

/* A row of the stages table; a failed stage is a failure of the release (ctx: the bind). */
static void fill_stage(json_t *item, json_t *stage, void *ctx)
{
    const char *status = str_of(stage, "status");
    double ms;

    put_str(item, "NAME", str_of(stage, "name"));
    put_str(item, "STATUS", status);
    put_str(item, "REASON", str_of(stage, "reason"));
    if (num_at(stage, "duration_ms", &ms))
        put_fmt(item, "DURATION", "%.2f s", ms / 1000.0);
    if (strcmp(status, "failed") == 0 || strcmp(status, "fail") == 0)
        bind_failure(ctx, "stage %s failed: %s", str_of(stage, "name"), str_of(stage, "reason"));
}

static void bind_stages(struct bind *b)
{
    json_object_set_new(b->values, "STAGES",
                        vars_list(json_object_get(b->run, "stages"), fill_stage, b));
    bind_stage(b, "migrate", "MIGRATION_STATUS", "MIGRATION_DURATION", "STAGING_MIGRATION");
    bind_stage(b, "rules", "RULES_STATUS", "RULES_DURATION", NULL);
    bind_stage(b, "deploy", NULL, "DEPLOY_DURATION", "STAGING_DURATION");
    bind_stage(b, "rollback", NULL, "STAGING_ROLLBACK", NULL);
}

void bind_release(struct bind *b)
{
    static const char *const names[] = {"GIT_SHA",         "APP_VERSION", "RELEASE_VERSION",
                                        "ENVIRONMENT",     "NAMESPACE",   "PREVIOUS_VERSION",
                                        "DEPLOYMENT_DATE", NULL};
    json_t *rel = json_object_get(b->run, "release");

    copy_str(b, "GIT_SHA", rel, "git_sha");
    copy_str(b, "APP_VERSION", rel, "version");
    copy_str(b, "RELEASE_VERSION", rel, "version");
    copy_str(b, "ENVIRONMENT", rel, "environment");
    copy_str(b, "NAMESPACE", rel, "namespace");
    copy_str(b, "PREVIOUS_VERSION", rel, "previous_version");
    copy_str(b, "DEPLOYMENT_DATE", rel, "deployed_at");
    bind_reasons(b, names, rel ? "not in the recorded release" : NO_RELEASE);
    bind_stages(b);
}

/* ---- comparison and canary (tars compare output) ---- */

static json_t *metric_list(json_t *metrics)
{
    json_t *list = json_array(), *m;
    size_t i;
    double x;

    json_array_foreach(metrics, i, m) {
        json_t *item = json_object();
        const char *verdict = str_of(m, "verdict");
        put_str(item, "NAME", str_of(m, "name"));
        if (num_at(m, "baseline", &x))
            put_fmt(item, "BASELINE", "%g", x);
        if (num_at(m, "current", &x))
            put_fmt(item, "CURRENT", "%g", x);
        if (num_at(m, "delta_pct", &x))
            put_fmt(item, "DELTA", "%+.1f %%", x);
        if (num_at(m, "threshold_pct", &x))
            put_fmt(item, "THRESHOLD", "%.1f %%", x);
        if (num_at(m, "p_value", &x))
            put_fmt(item, "P_VALUE", "%.4f", x);
        else
            put_str(item, "P_VALUE", "—");
        put_str(item, "DIRECTION", str_of(m, "direction"));
        put_fmt(item, "VERDICT", "%s %s", strcmp(verdict, "pass") == 0 ? MARK_OK : MARK_FAIL,
                verdict);
        json_array_append_new(list, item);
    }
    return list;
}

/* Binds PREFIX_{BASELINE,SCORE,VERDICT,MARK,METRICS}; returns the verdict or NULL. */
static const char *bind_judgement(struct bind *b, const char *key, const char *prefix,
                                  const char *what)
{
    json_t *j = json_object_get(b->run, key);
    const char *verdict = str_of(j, "verdict");
    char name[64];
    double x;

    if (!json_is_object(j))
        return NULL;
    snprintf(name, sizeof(name), "%s_BASELINE", prefix);
    put_str(b->values, name, str_of(j, "baseline"));
    snprintf(name, sizeof(name), "%s_SCORE", prefix);
    if (num_at(j, "score", &x))
        put_fmt(b->values, name, "%.1f", x);
    snprintf(name, sizeof(name), "%s_VERDICT", prefix);
    put_str(b->values, name, verdict);
    snprintf(name, sizeof(name), "%s_MARK", prefix);
    put_mark(b->values, name,
             strcmp(verdict, "pass") == 0   ? JUDGED_MET
             : strcmp(verdict, "fail") == 0 ? JUDGED_FAILED
                                            : JUDGED_UNKNOWN);
    snprintf(name, sizeof(name), "%s_METRICS", prefix);
    json_object_set_new(b->values, name, metric_list(json_object_get(j, "metrics")));
    if (strcmp(verdict, "fail") == 0)
        bind_failure(b, "%s judged fail", what);
    else if (strcmp(verdict, "pass") != 0)
        bind_missing(b, "%s judged %s: needs a person to decide", what,
                     verdict[0] ? verdict : "nothing");
    return verdict;
}

static void bind_canary(struct bind *b)
{
    const char *verdict = bind_judgement(b, "canary", "CANARY", "canary analysis");
    json_t *metrics = json_object_get(b->values, "CANARY_METRICS"), *m;
    struct tars_buf text = TARS_BUF_INIT(1u << 16);
    size_t i;
    int rc;

    if (!verdict) {
        static const char *const names[] = {
            "CANARY_STATUS", "CANARY_ENABLED", "CANARY_SECTION", "CANARY_BASELINE",
            "CANARY_SCORE",  "CANARY_VERDICT", "CANARY_MARK",    NULL};
        bind_reasons(b, names, "no canary analysis recorded (tars release --canary)");
        return;
    }
    put_str(b->values, "CANARY_STATUS", verdict);
    put_str(b->values, "CANARY_ENABLED", "enabled");
    rc = tars_buf_puts(&text, "| Metric | Stable | Canary | Delta | Verdict |\n"
                              "|---|---|---|---|---|\n");
    json_array_foreach(metrics, i, m) {
        const char *cols[] = {"NAME", "BASELINE", "CURRENT", "DELTA", "VERDICT"};
        for (size_t c = 0; rc == TARS_OK && c < 5; c++) {
            const char *s = json_string_value(json_object_get(m, cols[c]));
            rc = tars_buf_printf(&text, "| %s ", s ? s : "n/a");
        }
        rc = rc ? rc : tars_buf_puts(&text, "|\n");
    }
    if (rc == TARS_OK)
        put_str(b->values, "CANARY_SECTION", text.data);
    tars_buf_release(&text);
}

/* ---- zero downtime, decisions, artifacts ---- */

static void bind_zero_downtime(struct bind *b)
{
    static const char *const names[] = {"ZD_REQUESTS",
                                        "ZD_FAILED",
                                        "ZD_GAP",
                                        "ZD_WS_DISCONNECTS",
                                        "ZD_RECONNECT_MAX",
                                        "ZD_MARK",
                                        "STAGING_DOWNTIME",
                                        "STAGING_AVAILABILITY",
                                        NULL};
    json_t *zd = json_object_get(b->run, "zero_downtime");
    double requests = 0, failed = 0, x;

    if (json_is_object(zd) && num_at(zd, "requests", &requests) && num_at(zd, "failed", &failed)) {
        put_int(b->values, "ZD_REQUESTS", (long long)requests);
        put_int(b->values, "ZD_FAILED", (long long)failed);
        put_mark(b->values, "ZD_MARK", failed == 0 && requests > 0 ? JUDGED_MET : JUDGED_FAILED);
        if (requests > 0)
            put_pct(b->values, "STAGING_AVAILABILITY", (requests - failed) / requests);
        if (failed > 0 || requests == 0)
            bind_failure(b, "zero downtime: %.0f of %.0f requests failed during the rollout",
                         failed, requests);
        if (num_at(zd, "longest_gap_ms", &x)) {
            put_ms(b->values, "ZD_GAP", x);
            put_fmt(b->values, "STAGING_DOWNTIME", "%.1f ms", x);
        }
        if (num_at(zd, "ws_disconnects", &x))
            put_int(b->values, "ZD_WS_DISCONNECTS", (long long)x);
        if (num_at(zd, "reconnect_max_ms", &x))
            put_ms(b->values, "ZD_RECONNECT_MAX", x);
    }
    bind_reasons(b, names, "no zero-downtime probe recorded (tars release probes the rollout)");
}

static bool blocking_decision(const char *d)
{
    static const char *const words[] = {"fail",     "failed", "reject",  "rejected", "no-go",
                                        "rollback", "block",  "blocked", NULL};
    for (size_t i = 0; words[i]; i++) {
        if (strcmp(d, words[i]) == 0)
            return true;
    }
    return false;
}

static void bind_decisions(struct bind *b)
{
    json_t *list = json_array(), *d, *r;
    size_t i, j;

    json_array_foreach(json_object_get(b->run, "decisions"), i, d) {
        json_t *item = json_object();
        struct tars_buf why = TARS_BUF_INIT(1u << 14);
        int rc = TARS_OK;
        json_array_foreach(json_object_get(d, "reasons"), j, r) {
            if (rc == TARS_OK && json_is_string(r))
                rc = tars_buf_printf(&why, "%s%s", j ? "; " : "", json_string_value(r));
        }
        put_str(item, "NAME", str_of(d, "name"));
        put_str(item, "DECISION", str_of(d, "decision"));
        put_str(item, "REASONS", rc == TARS_OK && why.data ? why.data : "");
        json_array_append_new(list, item);
        if (blocking_decision(str_of(d, "decision")))
            bind_failure(b, "decision %s: %s", str_of(d, "name"), str_of(d, "decision"));
        tars_buf_release(&why);
    }
    json_object_set_new(b->values, "DECISIONS", list);
}

static void fill_artifact(json_t *item, json_t *a, void *ctx)
{
    double x;

    (void)ctx;
    put_str(item, "NAME", str_of(a, "name"));
    put_str(item, "SHA256", str_of(a, "sha256"));
    if (num_at(a, "size", &x))
        put_int(item, "SIZE", (long long)x);
}

static void bind_artifacts(struct bind *b)
{
    json_object_set_new(b->values, "ARTIFACTS",
                        vars_list(json_object_get(b->run, "artifacts"), fill_artifact, NULL));
}

void bind_judgements(struct bind *b)
{
    bind_judgement(b, "comparison", "COMPARISON", "the baseline comparison");
    bind_canary(b);
    bind_zero_downtime(b);
    bind_decisions(b);
    bind_artifacts(b);
    bind_reason(b, "COMPARISON_VERDICT",
                "no baseline comparison recorded (tars compare --run DIR)");
    bind_reason(b, "COMPARISON_BASELINE",
                "no baseline comparison recorded (tars compare --run DIR)");
    bind_reason(b, "COMPARISON_SCORE", "no baseline comparison recorded (tars compare --run DIR)");
    bind_reason(b, "COMPARISON_MARK", "no baseline comparison recorded (tars compare --run DIR)");
}
