/*
 * The grafana check type, against Grafana's HTTP API (targets.grafana: url,
 * token_env; a check may override url, token or token_env):
 *
 *   check: health            GET /api/health: 200 and, when the answer says,
 *                            database "ok"
 *   check: search            GET /api/search?query=Q&type=dash-db: at least
 *                            min_results dashboards (default 1), and one
 *                            titled `title` when given
 *   check: dashboard         the dashboard `uid` (or the first search hit for
 *                            query/title) fetched `samples` times, each on a
 *                            new connection with caching refused (cold
 *                            loads); avg, p95 and p99 against max_avg_ms,
 *                            max_p95_ms, max_p99_ms, and every load against
 *                            max_ms (5000 when no limit is given)
 *   check: panels_use_rules  every panel target expression of that dashboard
 *                            uses a recording rule named prefix... (default
 *                            "tars:"); the panels that do not are listed
 *
 * Only the dashboard JSON fetch is timed, as in the original: panel queries
 * run in the browser and are measured by the Prometheus checks.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "core/misc_int.h"
#include "tars/alloc.h"
#include "tars/str.h"

#define DEFAULT_QUERY "T.A.R.S."
#define DEFAULT_PREFIX "tars:"
#define DEFAULT_SAMPLES 5
#define MAX_SAMPLES 100
#define DEFAULT_MAX_MS 5000.0
#define URL_MAX 2048
#define PANEL_DEPTH_MAX 4

static const char *const grafana_kinds[] = {"health", "search", "dashboard", "panels_use_rules",
                                            NULL};

/* ---- panel expressions (pure, unit-tested) ---- */

static bool name_char(int c)
{
    return isalnum(c) || c == '_' || c == ':';
}

/* Skips a quoted literal starting at s (which points at the quote). */
static const char *skip_string(const char *s)
{
    char quote = *s++;

    while (*s && *s != quote) {
        if (*s == '\\' && quote != '`' && s[1])
            s++;
        s++;
    }
    return *s ? s + 1 : s;
}

bool grafana_expr_uses_rule(const char *expr, const char *prefix)
{
    size_t plen = strlen(prefix);
    const char *s = expr;

    while (s && *s) {
        if (*s == '"' || *s == '\'' || *s == '`') {
            s = skip_string(s);
        } else if (*s == '#') {
            s += strcspn(s, "\n");
        } else if (!strncmp(s, prefix, plen) && (s == expr || !name_char((unsigned char)s[-1])) &&
                   name_char((unsigned char)s[plen])) {
            return true;
        } else {
            s++;
        }
    }
    return false;
}

/* Does every non-empty expr of the panel's targets use a rule? Counts them. */
static bool panel_uses_rules(json_t *panel, const char *prefix, size_t *exprs)
{
    json_t *target;
    size_t i;
    bool all = true;

    json_array_foreach(json_object_get(panel, "targets"), i, target) {
        const char *expr = json_string_value(json_object_get(target, "expr"));
        if (!expr || !*expr)
            continue;
        (*exprs)++;
        if (!grafana_expr_uses_rule(expr, prefix))
            all = false;
    }
    return all;
}

static void note_offender(struct grafana_panel_scan *out, json_t *panel)
{
    const char *title = json_string_value(json_object_get(panel, "title"));
    json_t *id = json_object_get(panel, "id");
    char item[120];

    if (json_is_integer(id))
        snprintf(item, sizeof(item), "\"%.80s\" (id %lld)", title ? title : "",
                 (long long)json_integer_value(id));
    else
        snprintf(item, sizeof(item), "\"%.80s\"", title ? title : "");
    out->offending++;
    misc_list_add(out->list, sizeof(out->list), item);
}

static void scan_list(json_t *panels, const char *prefix, int depth, struct grafana_panel_scan *out)
{
    json_t *panel;
    size_t i;

    if (depth > PANEL_DEPTH_MAX)
        return;
    json_array_foreach(panels, i, panel) {
        size_t exprs = 0;
        bool all = panel_uses_rules(panel, prefix, &exprs);
        if (exprs) {
            out->panels++;
            out->expressions += exprs;
            if (!all)
                note_offender(out, panel);
        }
        /* Collapsed rows hold their panels inside. */
        scan_list(json_object_get(panel, "panels"), prefix, depth + 1, out);
    }
}

void grafana_scan_panels(json_t *dashboard, const char *prefix, struct grafana_panel_scan *out)
{
    json_t *row;
    size_t i;

    memset(out, 0, sizeof(*out));
    scan_list(json_object_get(dashboard, "panels"), prefix, 0, out);
    json_array_foreach(json_object_get(dashboard, "rows"), i, row)
        scan_list(json_object_get(row, "panels"), prefix, 1, out);
}

/* ---- talking to Grafana ---- */

struct grafana {
    const struct tars_check_ctx *ctx;
    const char *base;
    bool insecure;
    struct tars_check_result *out;
};

/* GET base/path as JSON. 0 with status and doc; else out is filled. */
static int grafana_get(struct grafana *g, const char *path, long *status, json_t **doc, double *ms)
{
    char *url = http_url_join(g->base, path);
    int rc = misc_get_json(g->ctx, "grafana", url, g->insecure, status, doc, ms, g->out);

    free(url);
    return rc;
}

static void grafana_health(struct grafana *g)
{
    long status;
    json_t *doc = NULL;
    const char *db;

    if (grafana_get(g, "api/health", &status, &doc, NULL))
        return;
    db = json_string_value(json_object_get(doc, "database"));
    /* A health endpoint answering anything but 200 is the finding itself. */
    if (status != 200)
        tars_check_fail(g->out, "grafana /api/health: HTTP %ld (database %.64s)", status,
                        db ? db : "not reported");
    else if (db && strcmp(db, "ok") != 0)
        tars_check_fail(g->out, "grafana /api/health: database \"%.64s\"", db);
    else
        tars_check_pass(g->out, "grafana healthy (database %s)", db ? db : "not reported");
    json_decref(doc);
}

/* The search hits for the check's query (a JSON array, new reference). */
static int grafana_search(struct grafana *g, json_t **hits)
{
    const char *query = tars_check_param_str(g->ctx, "query", NULL);
    const char *title = tars_check_param_str(g->ctx, "title", NULL);
    char encoded[512], path[600];
    long status;
    json_t *doc = NULL;

    if (!misc_url_encode(query ? query : title ? title : DEFAULT_QUERY, encoded, sizeof(encoded))) {
        tars_check_error(g->out, false, "grafana search query too long");
        return TARS_EINVAL;
    }
    snprintf(path, sizeof(path), "api/search?query=%s&type=dash-db", encoded);
    if (grafana_get(g, path, &status, &doc, NULL))
        return TARS_EUNAVAIL;
    if (status != 200 || !json_is_array(doc)) {
        if (status != 200)
            misc_bad_status(g->out, "grafana /api/search", status);
        else
            tars_check_error(g->out, false, "grafana /api/search: the answer is not a JSON list");
        json_decref(doc);
        return TARS_EINVAL;
    }
    *hits = doc;
    return TARS_OK;
}

/* The hit titled `title`, or the first one when no title is asked for. */
static json_t *pick_hit(json_t *hits, const char *title)
{
    json_t *hit;
    size_t i;

    json_array_foreach(hits, i, hit) {
        const char *t = json_string_value(json_object_get(hit, "title"));
        if (!title || (t && strcmp(t, title) == 0))
            return hit;
    }
    return NULL;
}

static void grafana_search_check(struct grafana *g)
{
    const char *title = tars_check_param_str(g->ctx, "title", NULL);
    double min_results;
    json_t *hits = NULL;
    size_t n;

    (void)misc_number(g->ctx->params, "min_results", 1, &min_results);
    if (grafana_search(g, &hits))
        return;
    n = json_array_size(hits);
    if ((double)n < min_results)
        tars_check_fail(g->out, "grafana search found %zu dashboard(s), expected at least %.0f", n,
                        min_results);
    else if (title && !pick_hit(hits, title))
        tars_check_fail(g->out, "grafana search found %zu dashboard(s), none titled \"%.100s\"", n,
                        title);
    else
        tars_check_pass(g->out, "grafana search found %zu dashboard(s)", n);
    json_decref(hits);
}

/* The uid to fetch: the parameter, or the matching search hit's. */
static int resolve_uid(struct grafana *g, char *uid, size_t size)
{
    const char *given = tars_check_param_str(g->ctx, "uid", NULL);
    const char *title = tars_check_param_str(g->ctx, "title", NULL);
    json_t *hits = NULL, *hit;
    const char *found;

    if (given) {
        tars_strlcpy(uid, given, size);
        return TARS_OK;
    }
    if (grafana_search(g, &hits))
        return TARS_EUNAVAIL;
    hit = pick_hit(hits, title);
    found = json_string_value(json_object_get(hit, "uid"));
    if (found)
        tars_strlcpy(uid, found, size);
    else if (title)
        tars_check_fail(g->out, "no grafana dashboard titled \"%.100s\"", title);
    else
        tars_check_fail(g->out, "grafana search found no dashboard for \"%.100s\"",
                        tars_check_param_str(g->ctx, "query", DEFAULT_QUERY));
    json_decref(hits);
    return found ? TARS_OK : TARS_ENOTFOUND;
}

/* One load of the dashboard; *doc (may be NULL) gets its JSON. */
static int load_dashboard(struct grafana *g, const char *uid, double *ms, json_t **doc)
{
    char encoded[256], path[300];
    long status;
    json_t *body = NULL;

    if (!misc_url_encode(uid, encoded, sizeof(encoded))) {
        tars_check_error(g->out, false, "grafana dashboard uid too long");
        return TARS_EINVAL;
    }
    snprintf(path, sizeof(path), "api/dashboards/uid/%s", encoded);
    if (grafana_get(g, path, &status, &body, ms))
        return TARS_EUNAVAIL;
    if (status == 404)
        tars_check_fail(g->out, "grafana dashboard \"%.100s\" not found (HTTP 404)", uid);
    else if (status != 200)
        misc_bad_status(g->out, "grafana dashboard fetch", status);
    else if (!json_is_object(json_object_get(body, "dashboard")))
        tars_check_fail(g->out, "grafana dashboard \"%.100s\": the answer has no dashboard", uid);
    if (status != 200 || !json_is_object(json_object_get(body, "dashboard"))) {
        json_decref(body);
        return TARS_EINVAL;
    }
    if (doc)
        *doc = body;
    else
        json_decref(body);
    return TARS_OK;
}

/* ---- dashboard load time ---- */

struct load_limits {
    double every, avg, p95, p99; /* 0: no limit */
};

static void read_limits(json_t *params, struct load_limits *l)
{
    (void)misc_number(params, "max_ms", 0, &l->every);
    (void)misc_number(params, "max_avg_ms", 0, &l->avg);
    (void)misc_number(params, "max_p95_ms", 0, &l->p95);
    (void)misc_number(params, "max_p99_ms", 0, &l->p99);
    if (l->every <= 0 && l->avg <= 0 && l->p95 <= 0 && l->p99 <= 0)
        l->every = DEFAULT_MAX_MS;
}

static void over_limit(char *list, size_t size, const char *what, double value, double limit)
{
    char item[96];

    if (limit <= 0 || value < limit)
        return;
    snprintf(item, sizeof(item), "%s %.1f ms >= %.0f ms", what, value, limit);
    misc_list_add(list, size, item);
}

void grafana_judge_loads(json_t *params, const char *uid, double *ms, size_t n,
                         struct tars_check_result *out)
{
    struct load_limits l;
    double sum = 0, worst = 0, p95, p99;
    char over[256] = "";

    if (n == 0) {
        tars_check_error(out, false, "grafana dashboard \"%.80s\": no load measured", uid);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(ms[i])) {
            tars_check_error(out, false,
                             "grafana dashboard \"%.80s\": load %zu took %s ms: "
                             "nothing to judge",
                             uid, i + 1,
                             isnan(ms[i]) ? "NaN"
                             : ms[i] > 0  ? "+Inf"
                                          : "-Inf");
            return;
        }
    read_limits(params, &l);
    for (size_t i = 0; i < n; i++) {
        sum += ms[i];
        worst = ms[i] > worst ? ms[i] : worst;
    }
    p95 = http_percentile(ms, n, 95);
    p99 = http_percentile(ms, n, 99);
    over_limit(over, sizeof(over), "slowest", worst, l.every);
    over_limit(over, sizeof(over), "avg", sum / (double)n, l.avg);
    over_limit(over, sizeof(over), "p95", p95, l.p95);
    over_limit(over, sizeof(over), "p99", p99, l.p99);
    if (over[0])
        tars_check_fail(out, "grafana dashboard \"%.80s\" too slow over %zu cold loads: %s", uid, n,
                        over);
    else
        tars_check_pass(out,
                        "grafana dashboard \"%.80s\": %zu cold loads, avg %.1f ms, p95 %.1f ms, "
                        "p99 %.1f ms, slowest %.1f ms",
                        uid, n, sum / (double)n, p95, p99, worst);
}

static void grafana_dashboard(struct grafana *g)
{
    char uid[256];
    double samples, *ms;
    size_t n;

    (void)misc_number(g->ctx->params, "samples", DEFAULT_SAMPLES, &samples);
    n = samples < 1 ? 1 : samples > MAX_SAMPLES ? MAX_SAMPLES : (size_t)samples;
    if (resolve_uid(g, uid, sizeof(uid)))
        return;
    ms = xcalloc(n, sizeof(*ms));
    for (size_t i = 0; i < n; i++)
        if (load_dashboard(g, uid, &ms[i], NULL))
            goto out;
    grafana_judge_loads(g->ctx->params, uid, ms, n, g->out);
out:
    free(ms);
}

static void grafana_panels(struct grafana *g)
{
    const char *prefix = tars_check_param_str(g->ctx, "prefix", DEFAULT_PREFIX);
    struct grafana_panel_scan scan;
    json_t *doc = NULL;
    char uid[256];

    if (resolve_uid(g, uid, sizeof(uid)) || load_dashboard(g, uid, NULL, &doc))
        return;
    grafana_scan_panels(json_object_get(doc, "dashboard"), prefix, &scan);
    if (scan.expressions == 0)
        tars_check_empty(g->ctx, g->out, "grafana dashboard \"%.80s\" has no panel expressions",
                         uid);
    else if (scan.offending)
        tars_check_fail(g->out,
                        "%zu of %zu panels of grafana dashboard \"%.80s\" do not use %s "
                        "rules: %s",
                        scan.offending, scan.panels, uid, prefix, scan.list);
    else
        tars_check_pass(g->out,
                        "all %zu panels (%zu expressions) of grafana dashboard \"%.80s\" "
                        "use %s rules",
                        scan.panels, scan.expressions, uid, prefix);
    json_decref(doc);
}

/* ---- the type ---- */

static void grafana_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    const char *kind = tars_check_param_str(ctx, "check", "");
    struct grafana g = {ctx, tars_check_target_str(ctx, "grafana", "url"), false, out};

    (void)misc_bool(ctx->params, "insecure", false, &g.insecure);
    if (!g.base || !*g.base) {
        tars_check_error(out, false, "no grafana URL (url, or targets.grafana.url)");
        return;
    }
    if (strcmp(kind, "health") == 0)
        grafana_health(&g);
    else if (strcmp(kind, "search") == 0)
        grafana_search_check(&g);
    else if (strcmp(kind, "dashboard") == 0)
        grafana_dashboard(&g);
    else
        grafana_panels(&g);
}

static int grafana_read_params(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const booleans[] = {"insecure", NULL};
    static const char *const numbers[] = {"max_ms",     "max_avg_ms",  "max_p95_ms",
                                          "max_p99_ms", "min_results", NULL};
    static const char *const texts[] = {"url",   "token", "token_env", "query",
                                        "title", "uid",   "prefix",    NULL};
    static const struct misc_params shapes = {
        .kinds = grafana_kinds, .numbers = numbers, .booleans = booleans, .texts = texts};
    double samples;
    int rc = misc_read_params(rd, params, &shapes);

    return rc ? rc
              : tars_json_get_double(rd, params, "samples", TARS_JSON_OPTIONAL, 1, MAX_SAMPLES,
                                     &samples);
}

static const char *const grafana_params[] = {
    "check",  "url",     "token",  "token_env",  "insecure",   "query",      "title",       "uid",
    "prefix", "samples", "max_ms", "max_avg_ms", "max_p95_ms", "max_p99_ms", "min_results", NULL};
static const char *const grafana_required[] = {"check", NULL};

const struct tars_check_type tars_check_grafana = {
    .name = "grafana",
    .category_hint = "grafana dashboards",
    .params = grafana_params,
    .required = grafana_required,
    .read_params = grafana_read_params,
    .run = grafana_run,
};
