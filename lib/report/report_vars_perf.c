/* The report binding: load tests (run.json "loads"), WebSocket stress ("ws")
 * and database benchmarks ("db"). */
#include <stdio.h>
#include <string.h>

#include "report_vars_int.h"
#include "tars/run.h"

#define API_P95_TARGET_MS 150.0 /* the template's per-endpoint target (docs/report.md) */
#define WS_ERROR_TARGET 0.01
#define WS_LOSS_TARGET 0.001
#define WS_RECONNECT_TARGET_MS 30000.0

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static json_t *threshold_list(struct bind *b, const char *what, json_t *thresholds, int *passed,
                              int *total)
{
    json_t *list = json_array(), *th;
    size_t i;
    char measured[64];

    json_array_foreach(thresholds, i, th) {
        json_t *item = json_object();
        enum tars_judgement o = tars_run_threshold_outcome(th);
        tars_run_threshold_measured(th, measured, sizeof(measured));
        put_str(item, "TEXT", str_of(th, "text"));
        put_str(item, "MEASURED", measured);
        put_mark(item, "MARK",
                 o == TARS_JUDGE_PASS   ? JUDGED_MET
                 : o == TARS_JUDGE_FAIL ? JUDGED_FAILED
                                        : JUDGED_UNKNOWN);
        json_array_append_new(list, item);
        (*total)++;
        if (o == TARS_JUDGE_PASS)
            (*passed)++;
        else if (o == TARS_JUDGE_FAIL)
            bind_failure(b, "%s: threshold %s not met (measured %s)", what, str_of(th, "text"),
                         measured);
        else
            bind_missing(b, "%s: threshold %s: %s", what, str_of(th, "text"),
                         tars_run_threshold_missing(th));
    }
    return list;
}

/* Figures of a TASK (docs/load-format.md §5) into item, with prefix. */
static bool put_task_figures(json_t *item, const char *prefix, json_t *task)
{
    json_t *summary = json_object_get(task, "summary");
    static const char *const keys[][2] = {
        {"p50_ms", "P50"}, {"p95_ms", "P95"}, {"p99_ms", "P99"}, {"max_ms", "MAX"}};
    char name[96];
    double v, requests = 0, failures = 0;
    bool timed = false;

    num_at(task, "requests", &requests);
    num_at(task, "failures", &failures);
    snprintf(name, sizeof(name), "%sREQUESTS", prefix);
    put_int(item, name, (long long)requests);
    snprintf(name, sizeof(name), "%sFAILURES", prefix);
    put_int(item, name, (long long)failures);
    if (num_at(summary, "error_rate", &v)) {
        snprintf(name, sizeof(name), "%sERROR", prefix);
        put_pct(item, name, v);
    }
    if (num_at(summary, "rps", &v)) {
        snprintf(name, sizeof(name), "%sRPS", prefix);
        put_fmt(item, name, "%.1f", v);
    }
    for (size_t i = 0; i < 4; i++) {
        if (requests > failures && num_at(summary, keys[i][0], &v)) {
            snprintf(name, sizeof(name), "%s%s", prefix, keys[i][1]);
            put_ms(item, name, v);
            timed = true;
        }
    }
    return timed;
}

/* A row of the load's task table. */
static void fill_task(json_t *item, json_t *task, void *ctx)
{
    const char *kind = str_of(task, "kind");
    char label[512];

    (void)ctx;
    put_str(item, "TASK", str_of(task, "name"));
    put_str(item, "METHOD", str_of(task, "method"));
    put_str(item, "PATH", str_of(task, "path"));
    /* journeys (docs/load-format.md §1.8): the row of whole iterations, and
     * each step named journey/step */
    if (strcmp(kind, "journey") == 0)
        snprintf(label, sizeof(label), "journey %s (whole iterations)", str_of(task, "name"));
    else if (strcmp(kind, "step") == 0)
        snprintf(label, sizeof(label), "%s: %s %s", str_of(task, "name"), str_of(task, "method"),
                 str_of(task, "path"));
    else
        snprintf(label, sizeof(label), "%s %s", str_of(task, "method"), str_of(task, "path"));
    put_str(item, "LABEL", label);
    put_task_figures(item, "", task);
}

/* The seed's Locust rows: the first task named like the endpoint, or with its path. */
static void bind_endpoint(struct bind *b, const char *prefix, const char *task_name,
                          const char *path)
{
    json_t *load, *task;
    size_t i, j;
    char name[64], why[160];
    double p95;

    json_array_foreach(json_object_get(b->run, "loads"), i, load) {
        json_array_foreach(json_object_get(json_object_get(load, "result"), "tasks"), j, task) {
            if (strcmp(str_of(task, "name"), task_name) != 0 &&
                strcmp(str_of(task, "path"), path) != 0)
                continue;
            snprintf(name, sizeof(name), "%sSTATUS", prefix);
            if (put_task_figures(b->values, prefix, task) &&
                num_at(json_object_get(task, "summary"), "p95_ms", &p95)) {
                put_status(b->values, name, p95 < API_P95_TARGET_MS ? JUDGED_MET : JUDGED_FAILED);
                if (p95 >= API_P95_TARGET_MS)
                    bind_failure(b, "%s: p95 %.1f ms is not under 150 ms", path, p95);
            } else {
                bind_missing(b, "%s: no successful request to time", path);
            }
            return;
        }
    }
    snprintf(why, sizeof(why), "no load task named \"%s\" or with path %s in this run", task_name,
             path);
    for (const char *const *s =
             (const char *const[]){"REQUESTS", "P50", "P95", "P99", "ERROR", "STATUS", NULL};
         *s; s++) {
        snprintf(name, sizeof(name), "%s%s", prefix, *s);
        bind_reason(b, name, why);
    }
}

static const char *const load_names[] = {
    "TOTAL_REQUESTS",       "SUCCESSFUL_REQUESTS", "SUCCESS_RATE",
    "FAILED_REQUESTS",      "FAILURE_RATE",        "THROUGHPUT",
    "STAGING_API_P95",      "STAGING_API_P99",     "STAGING_THROUGHPUT",
    "STAGING_ERROR_RATE",   "STAGING_SLO_LAT",     "STAGING_SLO_ERR",
    "BENCHMARK_REPORT_URL", "STAGING_PERF_PASS",   NULL};

/* Throughput is a figure of one load run: runs of different shapes (a scenario at 23 req/s, a
 * quick run at 57k req/s) are never summed into one. With several runs, THROUGHPUT is n/a and
 * STAGING_THROUGHPUT lists each run's own ("per_run"). */
static void bind_throughput(struct bind *b, size_t runs, double requests, double ms,
                            const char *per_run)
{
    if (runs == 1 && ms > 0) {
        put_fmt(b->values, "THROUGHPUT", "%.1f", requests / (ms / 1000.0));
        put_fmt(b->values, "STAGING_THROUGHPUT", "%.1f req/s", requests / (ms / 1000.0));
    } else if (runs > 1) {
        bind_reason(b, "THROUGHPUT",
                    "several load runs: each one's own rate is in section 4.1, never a sum");
        if (*per_run)
            put_str(b->values, "STAGING_THROUGHPUT", per_run);
    }
}

static void bind_load_totals(struct bind *b, double requests, double failures, double p95,
                             double p99, int passed, int total)
{
    json_t *v = b->values;

    put_int(v, "TOTAL_REQUESTS", (long long)requests);
    put_int(v, "FAILED_REQUESTS", (long long)failures);
    put_int(v, "SUCCESSFUL_REQUESTS", (long long)(requests - failures));
    if (requests > 0) {
        put_pct(v, "SUCCESS_RATE", (requests - failures) / requests);
        put_pct(v, "FAILURE_RATE", failures / requests);
        put_fmt(v, "STAGING_ERROR_RATE", "%.2f%%", 100.0 * failures / requests);
        put_pct(v, "STAGING_SLO_ERR", failures / requests);
    }
    if (p95 >= 0) {
        put_fmt(v, "STAGING_API_P95", "%.1f ms", p95);
        put_ms(v, "STAGING_SLO_LAT", p95);
        put_ms(v, "API_P95_MAX", p95);
    }
    if (p99 >= 0)
        put_fmt(v, "STAGING_API_P99", "%.1f ms", p99);
    if (total)
        put_fmt(v, "STAGING_PERF_PASS", "%.1f%% (%d/%d)", 100.0 * passed / total, passed, total);
}

void bind_loads(struct bind *b)
{
    json_t *loads = json_object_get(b->run, "loads"), *load, *list = json_array();
    double requests = 0, failures = 0, ms = 0, p95 = -1, p99 = -1, v;
    int passed = 0, total = 0;
    size_t i;
    char what[160], per_run[512] = "";
    size_t used = 0;
    json_t *files = json_array();

    json_array_foreach(loads, i, load) {
        json_t *result = json_object_get(load, "result"), *tot = json_object_get(result, "total");
        json_t *item = json_object();
        double r = 0, f = 0;
        snprintf(what, sizeof(what), "load %s", str_of(load, "name"));
        put_str(item, "NAME", str_of(load, "name"));
        put_str(item, "FILE", str_of(load, "file"));
        put_str(item, "MODEL", str_of(result, "model"));
        if (num_at(result, "duration_ms", &v)) {
            put_fmt(item, "DURATION_S", "%.2f", v / 1000.0);
            ms += v;
        }
        put_task_figures(item, "", tot);
        if (num_at(json_object_get(tot, "summary"), "rps", &v) && used < sizeof(per_run))
            used += (size_t)snprintf(per_run + used, sizeof(per_run) - used, "%s%.1f req/s (%s)",
                                     used ? ", " : "", v, str_of(load, "name"));
        json_array_append_new(files, json_pack("{s:s}", "FILE", str_of(load, "file")));
        num_at(tot, "requests", &r);
        num_at(tot, "failures", &f);
        requests += r;
        failures += f;
        if (num_at(json_object_get(tot, "summary"), "p95_ms", &v) && r > f && v > p95)
            p95 = v;
        if (num_at(json_object_get(tot, "summary"), "p99_ms", &v) && r > f && v > p99)
            p99 = v;
        json_object_set_new(item, "TASKS",
                            vars_list(json_object_get(result, "tasks"), fill_task, NULL));
        json_object_set_new(
            item, "THRESHOLDS",
            threshold_list(b, what, json_object_get(load, "thresholds"), &passed, &total));
        if (r <= f)
            bind_missing(b, "%s: no request succeeded", what);
        if (json_is_true(json_object_get(result, "interrupted")))
            bind_missing(b, "%s was interrupted before its end", what);
        if (json_is_true(json_object_get(result, "generator_saturated")))
            put_str(item, "SATURATED", "yes");
        json_array_append_new(list, item);
    }
    json_object_set_new(b->values, "LOADS", list);
    json_object_set_new(b->values, "LOAD_FILES", files);
    bind_endpoint(b, "AGENTS_", "agents", "/api/v1/agents");
    bind_endpoint(b, "EVAL_", "evaluations", "/api/v1/evaluations");
    bind_endpoint(b, "METRICS_", "metrics", "/api/v1/metrics");
    if (json_array_size(loads) == 0) {
        bind_reasons(b, load_names, "no load test recorded (tars load --run DIR)");
        bind_missing(b, "no load test recorded (run tars load SCENARIO --run DIR)");
        return;
    }
    put_str(b->values, "BENCHMARK_REPORT_URL",
            str_of(json_array_get(loads, json_array_size(loads) - 1), "file"));
    bind_throughput(b, json_array_size(loads), requests, ms, per_run);
    bind_load_totals(b, requests, failures, p95, p99, passed, total);
    bind_reasons(b, load_names, "no request succeeded in the recorded load tests");
}

/* ---- WebSocket stress (ws-stress summary; docs/run-format.md) ---- */

static const char *const ws_names[] = {"WS_CONNECTIONS",
                                       "WS_ERROR",
                                       "WS_STATUS",
                                       "WS_ESTABLISHED",
                                       "WS_EST_STATUS",
                                       "WS_RECONNECTIONS",
                                       "WS_RECON_TIME",
                                       "WS_RECON_STATUS",
                                       "WS_SENT",
                                       "WS_RECEIVED",
                                       "WS_LOSS_RATE",
                                       "WS_LOSS_STATUS",
                                       "WS_RECON_MAX",
                                       "WS_LAT_P50",
                                       "WS_LAT_P95",
                                       "WS_LAT_P99",
                                       "WS_CONNECT_P95",
                                       "WS_DUPLICATED",
                                       "WS_OUT_OF_ORDER",
                                       "WS_LOST",
                                       "STAGING_SLO_WS",
                                       "STAGING_TARS_1001_TIME",
                                       NULL};

static void judge_ws(struct bind *b, const char *name, bool measured, bool ok, const char *failure)
{
    if (!measured)
        return;
    put_status(b->values, name, ok ? JUDGED_MET : JUDGED_FAILED);
    if (!ok)
        bind_failure(b, "WebSocket: %s", failure);
}

static void bind_ws_one(struct bind *b, json_t *ws)
{
    json_t *v = b->values, *conn = json_object_get(ws, "connections");
    json_t *msg = json_object_get(ws, "messages"), *rec = json_object_get(ws, "reconnects");
    json_t *lat = json_object_get(ws, "latency_ms");
    double est = 0, failed = 0, expected = 0, received = 0, lost = 0, x;
    int passed = 0, total = 0;
    char why[128];
    bool have_conn = num_at(conn, "established", &est) && num_at(conn, "failed", &failed);
    bool have_msg = num_at(msg, "expected", &expected) && num_at(msg, "received", &received) &&
                    num_at(msg, "lost", &lost);

    if (have_conn) {
        put_int(v, "WS_CONNECTIONS", (long long)est);
        put_int(v, "WS_ESTABLISHED", (long long)est);
        if (est + failed > 0)
            put_pct(v, "WS_ERROR", failed / (est + failed));
        snprintf(why, sizeof(why), "%.2f %% of connections failed (target < 1 %%)",
                 est + failed > 0 ? 100.0 * failed / (est + failed) : 0);
        judge_ws(b, "WS_STATUS", est + failed > 0, failed / (est + failed) < WS_ERROR_TARGET, why);
        snprintf(why, sizeof(why), "%.0f connections failed to open", failed);
        judge_ws(b, "WS_EST_STATUS", true, failed == 0 && est > 0, why);
    }
    if (have_msg) {
        put_int(v, "WS_SENT", (long long)expected);
        put_int(v, "WS_RECEIVED", (long long)received);
        put_int(v, "WS_LOST", (long long)lost);
        if (expected > 0) {
            put_pct(v, "WS_LOSS_RATE", lost / expected);
            put_pct(v, "STAGING_SLO_WS", received / expected);
        }
        snprintf(why, sizeof(why), "%.2f %% of messages lost (target < 0.1 %%)",
                 expected > 0 ? 100.0 * lost / expected : 0);
        judge_ws(b, "WS_LOSS_STATUS", expected > 0, lost / expected < WS_LOSS_TARGET, why);
    }
    if (num_at(msg, "duplicated", &x))
        put_int(v, "WS_DUPLICATED", (long long)x);
    if (num_at(msg, "out_of_order", &x))
        put_int(v, "WS_OUT_OF_ORDER", (long long)x);
    if (num_at(rec, "count", &x))
        put_int(v, "WS_RECONNECTIONS", (long long)x);
    if (num_at(rec, "avg_ms", &x) && json_integer_value(json_object_get(rec, "count")) > 0) {
        put_fmt(v, "WS_RECON_TIME", "%.2f", x / 1000.0);
        put_fmt(v, "STAGING_TARS_1001_TIME", "%.2f s", x / 1000.0);
        snprintf(why, sizeof(why), "average reconnect %.1f ms (target < 30 s)", x);
        judge_ws(b, "WS_RECON_STATUS", true, x < WS_RECONNECT_TARGET_MS, why);
    }
    if (num_at(rec, "max_ms", &x) && json_integer_value(json_object_get(rec, "count")) > 0)
        put_fmt(v, "WS_RECON_MAX", "%.2f", x / 1000.0);
    if (num_at(lat, "p50", &x))
        put_ms(v, "WS_LAT_P50", x);
    if (num_at(lat, "p95", &x))
        put_ms(v, "WS_LAT_P95", x);
    if (num_at(lat, "p99", &x))
        put_ms(v, "WS_LAT_P99", x);
    if (num_at(json_object_get(ws, "connect_ms"), "p95", &x))
        put_ms(v, "WS_CONNECT_P95", x);
    json_object_set_new(
        v, "WS_THRESHOLDS",
        threshold_list(b, "ws-stress", json_object_get(ws, "thresholds"), &passed, &total));
}

void bind_ws(struct bind *b)
{
    json_t *ws = json_object_get(b->run, "ws");
    size_t n = json_array_size(ws);

    if (n == 0) {
        bind_reasons(b, ws_names, "no WebSocket run recorded (tars ws-stress --run DIR)");
        return;
    }
    put_str(b->values, "HAVE_WS", "yes");
    bind_ws_one(b, json_array_get(ws, n - 1)); /* the last run recorded */
    bind_reasons(b, ws_names, "not in the recorded ws-stress summary");
}

/* ---- database benchmarks (db-bench; docs/run-format.md) ---- */

static void bind_db_seed_row(struct bind *b, const char *prefix, const char *word)
{
    json_t *fam;
    size_t i;
    char name[64], why[128];
    double x;

    json_array_foreach(json_object_get(b->run, "db"), i, fam) {
        if (!strstr(str_of(fam, "family"), word))
            continue;
        static const char *const keys[][2] = {
            {"p50_ms", "P50"}, {"p95_ms", "P95"}, {"p99_ms", "P99"}};
        for (size_t k = 0; k < 3; k++) {
            snprintf(name, sizeof(name), "%s_%s", prefix, keys[k][1]);
            if (num_at(fam, keys[k][0], &x))
                put_ms(b->values, name, x);
        }
        snprintf(name, sizeof(name), "%s_STATUS", prefix);
        put_status(b->values, name,
                   json_is_true(json_object_get(fam, "passed")) ? JUDGED_MET : JUDGED_FAILED);
        return;
    }
    snprintf(why, sizeof(why), "no database benchmark family matching \"%s\" recorded", word);
    for (const char *const *s = (const char *const[]){"P50", "P95", "P99", "STATUS", NULL}; *s;
         s++) {
        snprintf(name, sizeof(name), "%s_%s", prefix, *s);
        bind_reason(b, name, why);
    }
}

static json_t *db_item(struct bind *b, json_t *fam, double *p95_max)
{
    json_t *item = json_object(), *plan = json_object_get(fam, "plan");
    const char *family = str_of(fam, "family");
    bool passed = json_is_true(json_object_get(fam, "passed"));
    bool indexed = json_is_true(json_object_get(plan, "uses_index"));
    double x;

    put_str(item, "FAMILY", family);
    if (num_at(fam, "iterations", &x))
        put_int(item, "ITERATIONS", (long long)x);
    if (num_at(fam, "p50_ms", &x))
        put_ms(item, "P50", x);
    if (num_at(fam, "p95_ms", &x)) {
        put_ms(item, "P95", x);
        if (x > *p95_max)
            *p95_max = x;
    }
    if (num_at(fam, "p99_ms", &x))
        put_ms(item, "P99", x);
    if (num_at(fam, "max_ms", &x))
        put_ms(item, "MAX", x);
    if (num_at(fam, "threshold_ms", &x))
        put_ms(item, "THRESHOLD", x);
    put_mark(item, "MARK", passed ? JUDGED_MET : JUDGED_FAILED);
    put_fmt(item, "PLAN", "%s %s", indexed ? MARK_OK : MARK_FAIL,
            str_of(plan, "detail")[0] ? str_of(plan, "detail") : (indexed ? "index" : "no index"));
    if (!passed)
        bind_failure(b, "database family %s: p95 over its threshold", family);
    if (!indexed)
        bind_failure(b, "database family %s: the query plan uses no index", family);
    return item;
}

void bind_db(struct bind *b)
{
    json_t *db = json_object_get(b->run, "db"), *fam, *list = json_array();
    double p95_max = -1;
    size_t i;

    json_array_foreach(db, i, fam)
        json_array_append_new(list, db_item(b, fam, &p95_max));
    json_object_set_new(b->values, "DB_FAMILIES", list);
    bind_db_seed_row(b, "DB_EVAL", "eval");
    bind_db_seed_row(b, "DB_REWARD", "reward");
    bind_db_seed_row(b, "DB_TEMPORAL", "temporal");
    bind_db_seed_row(b, "DB_REGION", "region");
    if (p95_max >= 0) {
        put_fmt(b->values, "STAGING_DB_P95", "%.1f ms", p95_max);
        put_ms(b->values, "STAGING_SLO_DB", p95_max);
    } else {
        static const char *const names[] = {"STAGING_DB_P95", "STAGING_SLO_DB", NULL};
        bind_reasons(b, names, "no database benchmark recorded (tars db-bench --run DIR)");
    }
}
