/*
 * The report binding: the five hotfixes, each judged by its own criteria
 * (docs/report.md) against what the run measured. The template states the
 * same targets in its text; change both together.
 */
#include <stdio.h>
#include <string.h>

#include "report_vars_int.h"

#define H1001_RECONNECT_AVG_MS 5000.0
#define H1001_RECONNECT_MAX_MS 30000.0
#define H1001_LOSS 0.001
#define H1004_API_P95_MS 100.0
#define H1004_API_KEY_P95_MS 5.0

struct hotfix {
    const char *id;           /* "1001" */
    int met, failed, unknown; /* criteria: measured and met, measured and failed, not measured */
    char why[256];            /* the distinct reasons of the unmeasured criteria, "; "-joined */
};

/* Adds REASON to h->why unless it is there already (one reason is said once). */
static void note_unmeasured(struct hotfix *h, const char *reason)
{
    size_t len = strlen(h->why);

    h->unknown++;
    if (!reason || !*reason || strstr(h->why, reason))
        return;
    snprintf(h->why + len, sizeof(h->why) - len, "%s%s", len ? "; " : "", reason);
}

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* Records one criterion: VAR (measured, already set or given a reason) and VAR_MARK. */
static void judge(struct bind *b, struct hotfix *h, const char *var, enum judged j,
                  const char *reason, const char *failure)
{
    char name[64];

    snprintf(name, sizeof(name), "%s_MARK", var);
    put_mark(b->values, name, j);
    if (j == JUDGED_UNKNOWN) {
        bind_reason(b, var, reason);
        note_unmeasured(h, reason);
        return;
    }
    if (j == JUDGED_MET) {
        h->met++;
        return;
    }
    h->failed++;
    bind_failure(b, "TARS-%s: %s", h->id, failure);
}

/* Checks of the given categories: "N/M passed" into var, judged. */
static void judge_checks(struct bind *b, struct hotfix *h, const char *var,
                         const char *const *categories, const char *what)
{
    json_t *suite, *check;
    size_t i, j;
    long pass = 0, total = 0, fail = 0, error = 0;
    char reason[160], failure[200];

    json_array_foreach(json_object_get(json_object_get(b->run, "checks"), "suites"), i, suite) {
        json_array_foreach(json_object_get(suite, "checks"), j, check) {
            const char *cat = str_of(check, "category"), *status = str_of(check, "status");
            bool match = false;
            for (const char *const *c = categories; *c; c++)
                match = match || strcmp(cat, *c) == 0;
            if (!match || strcmp(status, "skip") == 0)
                continue;
            total++;
            pass += strcmp(status, "pass") == 0;
            fail += strcmp(status, "fail") == 0;
            error += strcmp(status, "pass") != 0 && strcmp(status, "fail") != 0;
        }
    }
    if (total)
        put_fmt(b->values, var, "%ld/%ld passed", pass, total);
    snprintf(reason, sizeof(reason), "no %s check ran in this run", what);
    snprintf(failure, sizeof(failure), "%ld of %ld %s checks failed", fail, total, what);
    judge(b, h, var,
          fail                ? JUDGED_FAILED
          : (total && !error) ? JUDGED_MET
                              : JUDGED_UNKNOWN,
          error ? "a check could not be run" : reason, failure);
}

/*
 * The hotfix's verdict from its criteria: NOT VALIDATED when one failed; VALIDATED only when every
 * criterion was measured and met; PARTIAL (k of n measured) when some were not measured; NOT
 * MEASURED when none was. PARTIAL and NOT MEASURED leave the run inconclusive.
 */
static void finish(struct bind *b, struct hotfix *h, const char *needs, int *validated)
{
    int total = h->met + h->failed + h->unknown;
    enum judged j = h->failed ? JUDGED_FAILED : h->unknown ? JUDGED_UNKNOWN : JUDGED_MET;
    char name[64];

    snprintf(name, sizeof(name), "H%s_STATUS", h->id);
    if (h->failed) {
        put_str(b->values, name, "NOT VALIDATED");
    } else if (!h->unknown) {
        put_str(b->values, name, "VALIDATED");
        (*validated)++;
    } else if (h->met) {
        put_fmt(b->values, name, "PARTIAL (%d of %d criteria measured)", h->met, total);
        bind_missing(b, "TARS-%s: partial, %d of %d criteria measured; not measured: %s", h->id,
                     h->met, total, h->why);
    } else {
        put_str(b->values, name, "NOT MEASURED");
        bind_missing(b, "TARS-%s: no evidence recorded (needs %s)", h->id, needs);
    }
    snprintf(name, sizeof(name), "H%s_MARK", h->id);
    put_mark(b->values, name, j);
    snprintf(name, sizeof(name), "H%s_CRITERIA", h->id);
    put_fmt(b->values, name, "%d met, %d failed, %d not measured", h->met, h->failed, h->unknown);
}

static json_t *last_ws(struct bind *b)
{
    json_t *ws = json_object_get(b->run, "ws");
    return json_array_size(ws) ? json_array_get(ws, json_array_size(ws) - 1) : NULL;
}

static void hotfix_1001(struct bind *b, int *validated)
{
    static const char *const cats[] = {"websocket", NULL};
    struct hotfix h = {.id = "1001"};
    json_t *ws = last_ws(b), *rec = json_object_get(ws, "reconnects");
    json_t *msg = json_object_get(ws, "messages");
    const char *no_ws = "no WebSocket run recorded (tars ws-stress --run DIR)";
    const char *no_rec = ws ? "the WebSocket run forced no reconnect" : no_ws;
    bool reconnected = json_integer_value(json_object_get(rec, "count")) > 0;
    double x, lost, expected;
    char failure[128];

    if (reconnected && num_at(rec, "avg_ms", &x)) {
        put_fmt(b->values, "H1001_RECON_AVG", "%.2f s", x / 1000.0);
        snprintf(failure, sizeof(failure), "average reconnect %.2f s (target < 5 s)", x / 1000.0);
        judge(b, &h, "H1001_RECON_AVG", x < H1001_RECONNECT_AVG_MS ? JUDGED_MET : JUDGED_FAILED,
              no_rec, failure);
    } else {
        judge(b, &h, "H1001_RECON_AVG", JUDGED_UNKNOWN, no_rec, NULL);
    }
    if (reconnected && num_at(rec, "max_ms", &x)) {
        put_fmt(b->values, "H1001_RECON_MAX", "%.2f s", x / 1000.0);
        snprintf(failure, sizeof(failure), "longest reconnect %.2f s (limit < 30 s)", x / 1000.0);
        judge(b, &h, "H1001_RECON_MAX", x < H1001_RECONNECT_MAX_MS ? JUDGED_MET : JUDGED_FAILED,
              no_rec, failure);
    } else {
        judge(b, &h, "H1001_RECON_MAX", JUDGED_UNKNOWN, no_rec, NULL);
    }
    if (num_at(msg, "lost", &lost) && num_at(msg, "expected", &expected) && expected > 0) {
        put_fmt(b->values, "H1001_LOSS", "%.2f %%", 100.0 * lost / expected);
        snprintf(failure, sizeof(failure), "%.2f %% of messages lost (target < 0.1 %%)",
                 100.0 * lost / expected);
        judge(b, &h, "H1001_LOSS", lost / expected < H1001_LOSS ? JUDGED_MET : JUDGED_FAILED, no_ws,
              failure);
    } else {
        judge(b, &h, "H1001_LOSS", JUDGED_UNKNOWN, no_ws, NULL);
    }
    judge_checks(b, &h, "H1001_CHECKS", cats, "websocket");
    finish(b, &h, "tars ws-stress or websocket checks", validated);
}

static void hotfix_1002_1003(struct bind *b, int *validated)
{
    static const char *const rules[] = {"prometheus_rules", "prometheus", "monitoring", NULL};
    static const char *const grafana[] = {"grafana", NULL};
    static const char *const jaeger[] = {"jaeger", NULL};
    struct hotfix h2 = {.id = "1002"}, h3 = {.id = "1003"};

    judge_checks(b, &h2, "H1002_RULES_CHECKS", rules, "recording-rule");
    judge_checks(b, &h2, "H1002_GRAFANA_CHECKS", grafana, "grafana");
    finish(b, &h2, "prometheus_rules or grafana checks", validated);
    judge_checks(b, &h3, "H1003_JAEGER_CHECKS", jaeger, "jaeger");
    finish(b, &h3, "jaeger checks", validated);
}

static void judge_api_p95(struct bind *b, struct hotfix *h)
{
    json_t *p95 = json_object_get(b->values, "API_P95_MAX");
    double x = 0;
    char failure[128];

    if (p95)
        sscanf(json_string_value(p95), "%lf", &x);
    if (p95)
        put_fmt(b->values, "H1004_API_P95", "%s ms", json_string_value(p95));
    snprintf(failure, sizeof(failure), "API p95 %.1f ms (target < 100 ms)", x);
    judge(b, h, "H1004_API_P95",
          !p95                   ? JUDGED_UNKNOWN
          : x < H1004_API_P95_MS ? JUDGED_MET
                                 : JUDGED_FAILED,
          "no load test recorded (tars load --run DIR)", failure);
}

static void judge_db(struct bind *b, struct hotfix *h)
{
    json_t *db = json_object_get(b->run, "db"), *fam, *key = NULL;
    long n = 0, passed = 0, indexed = 0;
    const char *no_db = "no database benchmark recorded (tars db-bench --run DIR)";
    char failure[128];
    size_t i;
    double x;

    json_array_foreach(db, i, fam) {
        n++;
        passed += json_is_true(json_object_get(fam, "passed"));
        indexed += json_is_true(json_object_get(json_object_get(fam, "plan"), "uses_index"));
        if (strstr(str_of(fam, "family"), "api_key") || strstr(str_of(fam, "family"), "apikey"))
            key = fam;
    }
    if (n) {
        put_fmt(b->values, "H1004_DB_FAMILIES", "%ld/%ld within threshold", passed, n);
        put_fmt(b->values, "H1004_INDEX", "%ld/%ld plans use an index", indexed, n);
    }
    snprintf(failure, sizeof(failure), "%ld of %ld query families over their p95 threshold",
             n - passed, n);
    judge(b, h, "H1004_DB_FAMILIES",
          !n            ? JUDGED_UNKNOWN
          : passed == n ? JUDGED_MET
                        : JUDGED_FAILED,
          no_db, failure);
    snprintf(failure, sizeof(failure), "%ld of %ld query plans use no index", n - indexed, n);
    judge(b, h, "H1004_INDEX",
          !n             ? JUDGED_UNKNOWN
          : indexed == n ? JUDGED_MET
                         : JUDGED_FAILED,
          no_db, failure);
    if (key && num_at(key, "p95_ms", &x)) {
        put_fmt(b->values, "H1004_APIKEY_P95", "%.1f ms", x);
        snprintf(failure, sizeof(failure), "API-key lookup p95 %.1f ms (target < 5 ms)", x);
        judge(b, h, "H1004_APIKEY_P95", x < H1004_API_KEY_P95_MS ? JUDGED_MET : JUDGED_FAILED,
              no_db, failure);
    } else {
        judge(b, h, "H1004_APIKEY_P95", JUDGED_UNKNOWN,
              n ? "no api_key family in the database benchmark" : no_db, NULL);
    }
}

static void hotfix_1004_1005(struct bind *b, int *validated)
{
    static const char *const database[] = {"database", NULL};
    static const char *const ppo[] = {"ppo", NULL};
    struct hotfix h4 = {.id = "1004"}, h5 = {.id = "1005"};

    judge_api_p95(b, &h4);
    judge_db(b, &h4);
    judge_checks(b, &h4, "H1004_DB_CHECKS", database, "database");
    finish(b, &h4, "tars load, tars db-bench or database checks", validated);
    judge_checks(b, &h5, "H1005_PPO_CHECKS", ppo, "ppo");
    finish(b, &h5, "ppo checks (memory, restarts)", validated);
}

void bind_hotfixes(struct bind *b)
{
    int validated = 0;

    hotfix_1001(b, &validated);
    hotfix_1002_1003(b, &validated);
    hotfix_1004_1005(b, &validated);
    put_int(b->values, "HOTFIXES_VALIDATED", validated);
    {
        bool any_failed = false;
        for (const char *const *m =
                 (const char *const[]){"H1001_STATUS", "H1002_STATUS", "H1003_STATUS",
                                       "H1004_STATUS", "H1005_STATUS", NULL};
             *m; m++)
            any_failed = any_failed || strcmp(json_string_value(json_object_get(b->values, *m)),
                                              "NOT VALIDATED") == 0;
        put_mark(b->values, "HOTFIXES_MARK",
                 any_failed       ? JUDGED_FAILED
                 : validated == 5 ? JUDGED_MET
                                  : JUDGED_UNKNOWN);
    }
    if (json_object_get(b->values, "H1001_RECON_AVG"))
        put_str(b->values, "STAGING_TARS_1001_TIME",
                json_string_value(json_object_get(b->values, "H1001_RECON_AVG")));
    if (json_object_get(b->values, "H1004_INDEX"))
        put_str(b->values, "STAGING_TARS_1004_INDEX",
                json_string_value(json_object_get(b->values, "H1004_INDEX")));
    if (json_object_get(b->values, "H1003_JAEGER_CHECKS"))
        put_str(b->values, "STAGING_TARS_1003_PROP",
                json_string_value(json_object_get(b->values, "H1003_JAEGER_CHECKS")));
    if (json_object_get(b->values, "H1005_PPO_CHECKS"))
        put_str(b->values, "STAGING_TARS_1005_STABLE",
                json_string_value(json_object_get(b->values, "H1005_PPO_CHECKS")));
    bind_reason(b, "STAGING_TARS_1001_TIME", "no WebSocket reconnect recorded (tars ws-stress)");
    bind_reason(b, "STAGING_TARS_1003_PROP", "no jaeger check ran in this run");
    bind_reason(b, "STAGING_TARS_1004_INDEX", "no database benchmark recorded (tars db-bench)");
    bind_reason(b, "STAGING_TARS_1005_STABLE", "no ppo check ran in this run");
}
