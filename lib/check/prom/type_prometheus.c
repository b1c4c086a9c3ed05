/*
 * The Prometheus check types, against the HTTP API of targets.prometheus.url
 * (or the check's url):
 *   prometheus             an instant query; a condition {op, value} (or the
 *                          text "< 0.15") must hold for every sample of every
 *                          series; with no condition a finite sample
 *                          passes. NaN and infinities are never judged.
 *                          An empty result is no data: an error, or a fail
 *                          or skip with on_empty: fail / skip.
 *   prometheus_rules       every name in `names` (and every rule of the rules
 *                          file `file`, relative to the suite's folder) is
 *                          loaded, per /api/v1/rules; the missing are named.
 *   prometheus_rule_health every rule group (or those in `groups`, or those
 *                          named `group_prefix`*) evaluated without error at
 *                          its last run, within max_ms (default 1000).
 * Optional headers (a mapping) and insecure come from the check or from
 * targets.prometheus. Prometheus' own refusals (bad PromQL) are errors, not
 * failures; a 5xx or an unreachable server is a transient error.
 */
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "prom_int.h"
#include "tars/alloc.h"
#include "tars/json.h"
#include "tars/yaml.h"

#define DEFAULT_RULE_MAX_MS 1000

/* ---- requests ---- */

const char *prom_base_url(const struct tars_check_ctx *ctx)
{
    return tars_check_target_str(ctx, "prometheus", "url");
}

int prom_url_encode(struct tars_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = TARS_OK;

    for (; *s && rc == TARS_OK; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c)) {
            rc = tars_buf_append(b, s, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = tars_buf_append(b, esc, 3);
        }
    }
    return rc;
}

/* The check's own setting, else targets.prometheus'. */
static json_t *prom_setting(const struct tars_check_ctx *ctx, const char *name)
{
    json_t *v = json_object_get(ctx->params, name);
    return v ? v : json_object_get(json_object_get(ctx->targets, "prometheus"), name);
}

static const char *prom_request(const struct tars_check_ctx *ctx, const char *path,
                                struct http_request *rq, char *buf, size_t size)
{
    const char *base = prom_base_url(ctx);

    memset(rq, 0, sizeof(*rq));
    if (!base)
        return snprintf(buf, size, "no prometheus url: set targets.prometheus.url or url"), buf;
    rq->url = http_url_join(base, path);
    rq->method = xstrdup("GET");
    check_json_bool(prom_setting(ctx, "insecure"), &rq->insecure);
    return http_headers_add(rq, prom_setting(ctx, "headers"), buf, size);
}

/* The "error" text of a Prometheus error answer, or an excerpt. */
static void prom_error_text(const struct tars_check_fetch_reply *reply, char *out, size_t size)
{
    json_t *doc = NULL;
    const char *msg;

    if (reply->body && tars_json_parse(reply->body, reply->body_len, &doc, NULL) == 0 &&
        (msg = json_string_value(json_object_get(doc, "error"))))
        snprintf(out, size, "%.300s", msg);
    else
        http_body_excerpt(reply->body, reply->body_len, out, size);
    json_decref(doc);
}

static int prom_answer(const struct tars_check_fetch_reply *reply, const char *path, json_t **data,
                       struct tars_check_result *out)
{
    json_t *doc = NULL;
    char text[360];
    const char *status;

    if (reply->status != 200) {
        prom_error_text(reply, text, sizeof(text));
        tars_check_error(out, reply->status >= 500, "prometheus answered %ld to %.*s: %s",
                         reply->status, (int)strcspn(path, "?"), path, text);
        return TARS_EUNAVAIL;
    }
    if (!reply->body || tars_json_parse(reply->body, reply->body_len, &doc, NULL) != 0) {
        tars_check_error(out, false, "prometheus answer to %.*s is not JSON",
                         (int)strcspn(path, "?"), path);
        return TARS_EINVAL;
    }
    status = json_string_value(json_object_get(doc, "status"));
    if (!status || strcmp(status, "success") != 0 ||
        !json_is_object(json_object_get(doc, "data"))) {
        tars_check_error(out, false, "prometheus answer to %.*s is not a success with data",
                         (int)strcspn(path, "?"), path);
        json_decref(doc);
        return TARS_EINVAL;
    }
    *data = json_incref(json_object_get(doc, "data"));
    json_decref(doc);
    return TARS_OK;
}

int prom_api_get(const struct tars_check_ctx *ctx, const char *path, json_t **data,
                 struct tars_check_result *out)
{
    struct http_request rq;
    struct tars_check_fetch_call call = {0};
    struct tars_check_fetch_reply reply;
    char buf[256];
    const char *why;
    int rc;

    *data = NULL;
    if ((why = prom_request(ctx, path, &rq, buf, sizeof(buf)))) {
        tars_check_error(out, false, "%s", why);
        rc = TARS_EINVAL;
        goto out;
    }
    call.method = rq.method;
    call.url = rq.url;
    call.headers = (const char *const *)rq.headers;
    call.insecure = rq.insecure;
    call.max_body = PROM_MAX_BODY;
    if ((rc = tars_check_fetch(ctx, &call, &reply, out)) != 0)
        goto out;
    rc = prom_answer(&reply, path, data, out);
    tars_check_fetch_reply_release(&reply);
out:
    http_request_release(&rq);
    return rc;
}

int prom_instant_query(const struct tars_check_ctx *ctx, const char *promql, json_t **data,
                       struct tars_check_result *out)
{
    struct tars_buf path = TARS_BUF_INIT(PROM_MAX_QUERY * 3 + 64);
    int rc;

    *data = NULL;
    if (strlen(promql) > PROM_MAX_QUERY || tars_buf_puts(&path, "/api/v1/query?query=") ||
        prom_url_encode(&path, promql)) {
        tars_check_error(out, false, "the query is longer than %d bytes", PROM_MAX_QUERY);
        rc = TARS_ETOOBIG;
    } else {
        rc = prom_api_get(ctx, path.data, data, out);
    }
    tars_buf_release(&path);
    return rc;
}

void prom_run_query(const struct tars_check_ctx *ctx, const char *promql,
                    const struct prom_judge *j, struct tars_check_result *out)
{
    char reason[TARS_CHECK_REASON_MAX - 32];
    json_t *data = NULL;

    if (prom_instant_query(ctx, promql, &data, out) != 0)
        return;
    switch (prom_judge_data(data, j, reason, sizeof(reason))) {
    case PROM_PASS: tars_check_pass(out, "%s", reason); break;
    case PROM_FAIL: tars_check_fail(out, "%s", reason); break;
    case PROM_EMPTY: tars_check_empty(ctx, out, "%s", reason); break;
    case PROM_UNMEASURED: tars_check_error(out, true, "%s", reason); break; /* may become finite */
    default: tars_check_error(out, false, "%s", reason); break;
    }
    json_decref(data);
}

/* ---- prometheus: a query and a condition ---- */

static void prometheus_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    struct prom_judge j = {0};
    json_t *cond = json_object_get(ctx->params, "condition");
    char buf[200];
    const char *why;

    if (cond && (why = prom_condition_parse(cond, &j.cond, buf, sizeof(buf)))) {
        tars_check_error(out, false, "%s", why);
        return;
    }
    prom_run_query(ctx, tars_check_param_str(ctx, "query", ""), &j, out);
}

int prom_settings_read(const struct tars_json_reader *rd, json_t *params)
{
    struct http_request rq = {0};
    json_t *headers = json_object_get(params, "headers");
    char buf[200];
    const char *url = NULL, *why = http_headers_add(&rq, headers, buf, sizeof(buf));
    bool insecure;
    int rc;

    http_request_release(&rq);
    if (why)
        return tars_json_fail(rd, headers, TARS_EINVAL, "%s", why);
    if ((rc = tars_json_get_string(rd, params, "url", TARS_JSON_OPTIONAL, PROM_MAX_URL, &url)))
        return rc;
    if (url && !strstr(url, "://"))
        return tars_json_fail(rd, json_object_get(params, "url"), TARS_EINVAL,
                              "url must be an http(s) URL, not \"%.64s\"", url);
    return tars_json_get_bool(rd, params, "insecure", TARS_JSON_OPTIONAL, &insecure);
}

static int prometheus_read_params(const struct tars_json_reader *rd, json_t *params)
{
    json_t *cond = json_object_get(params, "condition");
    struct prom_condition c;
    const char *query;
    int rc;

    if ((rc = tars_json_get_string(rd, params, "query", TARS_JSON_REQUIRED, PROM_MAX_QUERY,
                                   &query)) ||
        (cond && (rc = prom_condition_read(rd, cond, &c))))
        return rc;
    return prom_settings_read(rd, params);
}

/* ---- prometheus_rules: names loaded ---- */

/* A relative `file` is taken from the suite's folder (check->where is
 * "path/suite.yaml:12:5"). Returns a new string. */
static char *rules_file_path(const struct tars_check_ctx *ctx, const char *file)
{
    const char *where = ctx->check ? ctx->check->where : NULL;
    char *copy, *colon, *dir, *path;
    size_t n;

    if (file[0] == '/' || !where)
        return xstrdup(file);
    copy = xstrdup(where);
    for (int i = 0; i < 2 && (colon = strrchr(copy, ':')); i++)
        *colon = '\0';
    dir = dirname(copy);
    n = strlen(dir) + strlen(file) + 2;
    path = xmalloc(n);
    snprintf(path, n, "%s/%s", dir, file);
    free(copy);
    return path;
}

/* The names the check wants: `names` plus every rule of `file`. */
static int wanted_rules(const struct tars_check_ctx *ctx, json_t **want,
                        struct tars_check_result *out)
{
    const char *file = tars_check_param_str(ctx, "file", NULL);
    struct tars_err err = TARS_ERR_INIT;
    tars_yaml_doc *doc;
    char *path;
    json_t *names = json_object_get(ctx->params, "names");

    *want = json_is_array(names) ? json_deep_copy(names) : json_array();
    if (!file)
        return TARS_OK;
    path = rules_file_path(ctx, file);
    doc = tars_yaml_load_file(path, &err);
    free(path);
    if (!doc) {
        tars_check_error(out, false, "rules file: %s", err.msg);
        return TARS_EINVAL;
    }
    names = prom_rule_names(tars_yaml_root(doc));
    tars_yaml_free(doc);
    if (json_array_size(names) == 0) {
        tars_check_error(out, false, "rules file %s has no rules (groups[].rules[].record)", file);
        json_decref(names);
        return TARS_EINVAL;
    }
    json_array_extend(*want, names);
    json_decref(names);
    return TARS_OK;
}

static void prometheus_rules_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    json_t *want = NULL, *data = NULL, *have = NULL;
    char reason[TARS_CHECK_REASON_MAX - 32];

    if (wanted_rules(ctx, &want, out) != 0 || prom_api_get(ctx, "/api/v1/rules", &data, out) != 0)
        goto out;
    have = prom_rule_names(data);
    switch (prom_rules_missing(have, want, reason, sizeof(reason))) {
    case PROM_PASS: tars_check_pass(out, "%s", reason); break;
    case PROM_FAIL: tars_check_fail(out, "%s", reason); break;
    default: tars_check_error(out, false, "%s", reason); break;
    }
out:
    json_decref(have);
    json_decref(data);
    json_decref(want);
}

static int prometheus_rules_read_params(const struct tars_json_reader *rd, json_t *params)
{
    json_t *names = NULL;
    const char *file = NULL;
    int rc;

    if ((rc = tars_json_get_strings(rd, params, "names", TARS_JSON_OPTIONAL, 1, SIZE_MAX,
                                    PROM_MAX_QUERY, &names)) ||
        (rc = tars_json_get_string(rd, params, "file", TARS_JSON_OPTIONAL, PATH_MAX, &file)))
        return rc;
    if (!names && !file)
        return tars_json_fail(rd, params, TARS_EINVAL,
                              "names (a list of rule names) or file (a rules file) is required");
    return prom_settings_read(rd, params);
}

/* ---- prometheus_rule_health ---- */

static void rule_health_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    struct prom_health_spec spec = {json_object_get(ctx->params, "groups"),
                                    tars_check_param_str(ctx, "group_prefix", NULL),
                                    DEFAULT_RULE_MAX_MS};
    char reason[TARS_CHECK_REASON_MAX - 32];
    json_t *data = NULL;

    check_json_number(json_object_get(ctx->params, "max_ms"), &spec.max_ms);
    if (prom_api_get(ctx, "/api/v1/rules", &data, out) != 0)
        return;
    switch (prom_rule_health(data, &spec, reason, sizeof(reason))) {
    case PROM_PASS: tars_check_pass(out, "%s", reason); break;
    case PROM_FAIL: tars_check_fail(out, "%s", reason); break;
    case PROM_EMPTY: tars_check_empty(ctx, out, "%s", reason); break;
    default: tars_check_error(out, true, "%s", reason); break;
    }
    json_decref(data);
}

static int rule_health_read_params(const struct tars_json_reader *rd, json_t *params)
{
    json_t *groups = NULL;
    const char *prefix = NULL;
    double ms;
    int rc;

    if ((rc = tars_json_get_strings(rd, params, "groups", TARS_JSON_OPTIONAL, 1, SIZE_MAX,
                                    PROM_MAX_QUERY, &groups)) ||
        (rc = tars_json_get_string(rd, params, "group_prefix", TARS_JSON_OPTIONAL, PROM_MAX_QUERY,
                                   &prefix)) ||
        (rc = tars_json_get_double_above(rd, params, "max_ms", TARS_JSON_OPTIONAL, 0, PROM_MAX_MS,
                                         &ms)))
        return rc;
    if (groups && prefix)
        return tars_json_fail(rd, json_object_get(params, "group_prefix"), TARS_EINVAL,
                              "group_prefix cannot be combined with groups");
    return prom_settings_read(rd, params);
}

/* ---- the types ---- */

static const char *const none[] = {NULL};
static const char *const query_params[] = {"url",     "query",    "condition",
                                           "headers", "insecure", NULL};
static const char *const query_required[] = {"query", NULL};
static const char *const rules_params[] = {"url", "names", "file", "headers", "insecure", NULL};
static const char *const health_params[] = {
    "url", "groups", "group_prefix", "max_ms", "headers", "insecure", NULL};

const struct tars_check_type tars_check_prometheus = {
    .name = "prometheus",
    .category_hint = "monitoring, SLO",
    .params = query_params,
    .required = query_required,
    .read_params = prometheus_read_params,
    .run = prometheus_run,
};

const struct tars_check_type tars_check_prometheus_rules = {
    .name = "prometheus_rules",
    .category_hint = "monitoring: recording rules loaded",
    .params = rules_params,
    .required = none,
    .read_params = prometheus_rules_read_params,
    .run = prometheus_rules_run,
};

const struct tars_check_type tars_check_prometheus_rule_health = {
    .name = "prometheus_rule_health",
    .category_hint = "monitoring: rule groups evaluating",
    .params = health_params,
    .required = none,
    .read_params = rule_health_read_params,
    .run = rule_health_run,
};
