/*
 * The jaeger check type, against the Jaeger query service's HTTP API
 * (targets.jaeger: url; optional token or token_env):
 *
 *   check: services        GET /api/services: every name of `services` (or
 *                          `service`) is listed; with neither, the list is
 *                          not empty
 *   check: traces_present  GET /api/traces?service=&lookback=&limit=: at
 *                          least min_traces traces (default 1)
 *   check: continuity      over those traces: spans whose CHILD_OF or
 *                          FOLLOWS_FROM reference names a span of the same
 *                          trace ÷ all spans that have references, at least
 *                          `min` (default 0.99)
 *   check: multi_region    over those traces: at least min_traces (default
 *                          1) whose processes carry more than one "region"
 *                          tag value (a request that crossed regions)
 *
 * Why this formula: the original divided spans with references by all spans,
 * roots included, so a healthy trace of n spans scored (n-1)/n and the check
 * could never reach 1. Roots have no parent to lose; what breaks continuity
 * is a parent that is missing (context not propagated, span dropped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "core/misc_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/str.h"

#define DEFAULT_SERVICE "tars-orchestration-agent"
#define DEFAULT_LOOKBACK_MS (3600 * 1000LL)
#define DEFAULT_LIMIT 20
#define MAX_LIMIT 1000
#define DEFAULT_MIN 0.99
#define MAX_SPANS_PER_TRACE 100000
#define MAX_REGIONS 8

static const char *const jaeger_kinds[] = {"services", "traces_present", "continuity",
                                           "multi_region", NULL};

/* ---- continuity (pure, unit-tested) ---- */

static int compare_ids(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* Ids are hex; Jaeger may print a 64-bit trace id with or without leading
 * zeros, so those do not count. */
static const char *strip_zeros(const char *id)
{
    while (id[0] == '0' && id[1])
        id++;
    return id;
}

static bool same_trace(const char *a, const char *b)
{
    return strcasecmp(strip_zeros(a), strip_zeros(b)) == 0;
}

/* The sorted span ids of a trace (borrowed strings); NULL if malformed. */
static const char **span_ids(json_t *spans, size_t *count)
{
    size_t n = json_array_size(spans), i;
    const char **ids;
    json_t *span;

    if (n > MAX_SPANS_PER_TRACE)
        return NULL;
    ids = xcalloc(n ? n : 1, sizeof(*ids));
    json_array_foreach(spans, i, span) {
        ids[i] = json_string_value(json_object_get(span, "spanID"));
        if (!ids[i]) {
            free(ids);
            return NULL;
        }
    }
    qsort(ids, n, sizeof(*ids), compare_ids);
    *count = n;
    return ids;
}

static bool is_parent_ref(json_t *ref, const char *trace_id, const char *self, const char **ids,
                          size_t n)
{
    const char *type = json_string_value(json_object_get(ref, "refType"));
    const char *ref_trace = json_string_value(json_object_get(ref, "traceID"));
    const char *parent = json_string_value(json_object_get(ref, "spanID"));

    if (!type || (strcmp(type, "CHILD_OF") != 0 && strcmp(type, "FOLLOWS_FROM") != 0) || !parent)
        return false;
    if (ref_trace && trace_id && !same_trace(ref_trace, trace_id))
        return false;
    if (strcasecmp(parent, self) == 0)
        return false;
    return bsearch(&parent, ids, n, sizeof(*ids), compare_ids) != NULL;
}

/* "service/operation" of a span, its process read from trace.processes. */
static void describe_span(json_t *trace, json_t *span, char *out, size_t size)
{
    const char *pid = json_string_value(json_object_get(span, "processID"));
    json_t *process = pid ? json_object_get(json_object_get(trace, "processes"), pid) : NULL;
    const char *service = json_string_value(json_object_get(process, "serviceName"));
    const char *op = json_string_value(json_object_get(span, "operationName"));
    const char *trace_id = json_string_value(json_object_get(trace, "traceID"));
    const char *span_id = json_string_value(json_object_get(span, "spanID"));

    snprintf(out, size, "trace %.32s span %.16s (%.40s/%.40s)", trace_id ? trace_id : "?",
             span_id ? span_id : "?", service ? service : "?", op ? op : "?");
}

static void count_span(json_t *trace, json_t *span, const char **ids, size_t n,
                       struct jaeger_continuity *out)
{
    const char *trace_id = json_string_value(json_object_get(trace, "traceID"));
    const char *self = json_string_value(json_object_get(span, "spanID"));
    json_t *refs = json_object_get(span, "references"), *ref;
    char example[160];
    size_t i;

    out->spans++;
    if (json_array_size(refs) == 0) {
        out->roots++;
        return;
    }
    out->non_root++;
    json_array_foreach(refs, i, ref)
        if (is_parent_ref(ref, trace_id, self, ids, n)) {
            out->resolved++;
            return;
        }
    describe_span(trace, span, example, sizeof(example));
    misc_list_add(out->unresolved, sizeof(out->unresolved), example);
}

/* Does the trace's process table carry more than one "region" tag value? */
static bool spans_regions(json_t *trace)
{
    const char *seen[MAX_REGIONS];
    size_t count = 0, i;
    const char *pid;
    json_t *process, *tag;

    json_object_foreach(json_object_get(trace, "processes"), pid, process)
        json_array_foreach(json_object_get(process, "tags"), i, tag) {
            const char *key = json_string_value(json_object_get(tag, "key"));
            const char *value = json_string_value(json_object_get(tag, "value"));
            bool known = false;
            if (!key || strcmp(key, "region") != 0 || !value)
                continue;
            for (size_t k = 0; k < count; k++)
                known = known || strcmp(seen[k], value) == 0;
            if (!known && count < MAX_REGIONS)
                seen[count++] = value;
        }
    return count > 1;
}

int jaeger_continuity_compute(json_t *data, struct jaeger_continuity *out, char *why, size_t size)
{
    json_t *trace, *span;
    size_t t, s;

    memset(out, 0, sizeof(*out));
    if (!json_is_array(data))
        return snprintf(why, size, "\"data\" is not a list of traces"), TARS_EINVAL;
    json_array_foreach(data, t, trace) {
        json_t *spans = json_object_get(trace, "spans");
        size_t n = 0;
        const char **ids = json_is_array(spans) ? span_ids(spans, &n) : NULL;
        if (!ids)
            return snprintf(why, size, "trace %zu has no list of spans with ids", t), TARS_EINVAL;
        out->traces++;
        json_array_foreach(spans, s, span)
            count_span(trace, span, ids, n, out);
        if (spans_regions(trace))
            out->multi_region++;
        free(ids);
    }
    return TARS_OK;
}

/* ---- talking to Jaeger ---- */

struct jaeger {
    const struct tars_check_ctx *ctx;
    const char *base;
    bool insecure;
    struct tars_check_result *out;
};

/* GET base/path; 0 with the answer's "data" (new reference); else out is
 * filled. what names the endpoint in messages. */
static int jaeger_get(struct jaeger *j, const char *path, const char *what, json_t **data)
{
    char *url = http_url_join(j->base, path);
    json_t *doc = NULL, *errors;
    const char *first_error;
    long status;
    int rc = misc_get_json(j->ctx, "jaeger", url, j->insecure, &status, &doc, NULL, j->out);

    free(url);
    if (rc)
        return rc;
    errors = json_object_get(doc, "errors");
    first_error = json_string_value(json_object_get(json_array_get(errors, 0), "msg"));
    rc = TARS_EINVAL;
    if (status != 200)
        misc_bad_status(j->out, what, status);
    else if (!doc)
        tars_check_error(j->out, false, "%s: the answer is not JSON", what);
    else if (json_array_size(errors) > 0)
        tars_check_error(j->out, false, "%s: jaeger reported: %.200s", what,
                         first_error ? first_error : "an error");
    else if (!json_is_array(json_object_get(doc, "data")))
        tars_check_error(j->out, false, "%s: the answer has no \"data\" list", what);
    else
        rc = TARS_OK;
    if (rc == TARS_OK)
        *data = json_incref(json_object_get(doc, "data"));
    json_decref(doc);
    return rc;
}

static bool listed(json_t *names, const char *name)
{
    json_t *v;
    size_t i;

    json_array_foreach(names, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    return false;
}

static void jaeger_services(struct jaeger *j)
{
    json_t *want = json_object_get(j->ctx->params, "services"), *data = NULL, *v;
    const char *one = tars_check_param_str(j->ctx, "service", NULL);
    char missing[256] = "";
    size_t i, expected = 0;

    if (jaeger_get(j, "api/services", "jaeger /api/services", &data))
        return;
    for (i = 0; i < json_array_size(data); i++) {
        if (!json_is_string(json_array_get(data, i))) {
            tars_check_error(j->out, false,
                             "jaeger /api/services: item %zu of \"data\" is not a name", i);
            json_decref(data);
            return;
        }
    }
    json_array_foreach(want, i, v) {
        expected++;
        if (!listed(data, json_string_value(v)))
            misc_list_add(missing, sizeof(missing), json_string_value(v));
    }
    if (!want && one) {
        expected = 1;
        if (!listed(data, one))
            misc_list_add(missing, sizeof(missing), one);
    }
    if (missing[0])
        tars_check_fail(j->out, "jaeger lacks services: %s (it has %zu)", missing,
                        json_array_size(data));
    else if (json_array_size(data) == 0)
        tars_check_empty(j->ctx, j->out, "jaeger lists no services");
    else
        tars_check_pass(j->out, "jaeger lists %zu services%s", json_array_size(data),
                        expected ? ", every expected one among them" : "");
    json_decref(data);
}

/* The traces of the check's service in its lookback (new reference). */
static int jaeger_traces(struct jaeger *j, const char **service, int64_t *lookback_ms,
                         json_t **traces)
{
    char encoded[512], path[800];
    double limit;
    int64_t now_us = tars_wall_ms() * 1000;

    *service = tars_check_param_str(j->ctx, "service", DEFAULT_SERVICE);
    (void)misc_duration_ms(j->ctx->params, "lookback", DEFAULT_LOOKBACK_MS, lookback_ms);
    (void)misc_number(j->ctx->params, "limit", DEFAULT_LIMIT, &limit);
    if (*lookback_ms < 1000)
        *lookback_ms = 1000;
    if (!misc_url_encode(*service, encoded, sizeof(encoded))) {
        tars_check_error(j->out, false, "jaeger service name too long");
        return TARS_EINVAL;
    }
    /* lookback is what the UI sends; start and end are what the API reads. */
    snprintf(path, sizeof(path),
             "api/traces?service=%s&lookback=%llds&limit=%d&start=%lld&end=%lld", encoded,
             (long long)(*lookback_ms / 1000), (int)limit,
             (long long)(now_us - *lookback_ms * 1000), (long long)now_us);
    return jaeger_get(j, path, "jaeger /api/traces", traces);
}

static void jaeger_traces_present(struct jaeger *j)
{
    const char *service;
    int64_t lookback_ms;
    double min_traces;
    json_t *traces = NULL;
    struct jaeger_continuity c;
    char why[160];
    size_t n;

    (void)misc_number(j->ctx->params, "min_traces", 1, &min_traces);
    if (jaeger_traces(j, &service, &lookback_ms, &traces))
        return;
    n = json_array_size(traces);
    if (jaeger_continuity_compute(traces, &c, why, sizeof(why))) /* traces, not just n items */
        tars_check_error(j->out, false, "jaeger traces: %s", why);
    else if ((double)n < min_traces)
        tars_check_fail(j->out,
                        "%zu traces of service \"%.100s\" in the last %llds, expected at "
                        "least %.0f",
                        n, service, (long long)(lookback_ms / 1000), min_traces);
    else
        tars_check_pass(j->out, "%zu traces of service \"%.100s\" in the last %llds", n, service,
                        (long long)(lookback_ms / 1000));
    json_decref(traces);
}

static void judge_continuity(struct jaeger *j, const char *service,
                             const struct jaeger_continuity *c)
{
    double min, ratio = (double)c->resolved / (double)c->non_root;

    (void)misc_number(j->ctx->params, "min", DEFAULT_MIN, &min);
    if (ratio >= min)
        tars_check_pass(j->out,
                        "trace continuity %.4f >= %.4g: %zu of %zu non-root spans find "
                        "their parent in %zu traces of \"%.80s\" (%zu roots excluded; %zu traces "
                        "cross regions)",
                        ratio, min, c->resolved, c->non_root, c->traces, service, c->roots,
                        c->multi_region);
    else
        tars_check_fail(j->out,
                        "trace continuity %.4f below %.4g: %zu of %zu non-root spans "
                        "find their parent in %zu traces of \"%.80s\"; parent missing: %s",
                        ratio, min, c->resolved, c->non_root, c->traces, service, c->unresolved);
}

/* Fetches the service's traces and counts them into c; false when the result
 * is already decided (no traces: no data; an unreadable answer: an error). */
static bool traces_counted(struct jaeger *j, const char **service, struct jaeger_continuity *c)
{
    int64_t lookback_ms;
    json_t *traces = NULL;
    char why[160];
    bool counted = false;

    if (jaeger_traces(j, service, &lookback_ms, &traces))
        return false;
    if (json_array_size(traces) == 0)
        tars_check_empty(j->ctx, j->out, "no traces of service \"%.100s\" in the last %llds",
                         *service, (long long)(lookback_ms / 1000));
    else if (jaeger_continuity_compute(traces, c, why, sizeof(why)))
        tars_check_error(j->out, false, "jaeger traces: %s", why);
    else
        counted = true;
    json_decref(traces);
    return counted;
}

static void jaeger_continuity(struct jaeger *j)
{
    struct jaeger_continuity c;
    const char *service;

    if (!traces_counted(j, &service, &c))
        return;
    if (c.non_root == 0)
        tars_check_empty(j->ctx, j->out, "the %zu traces of \"%.100s\" have only root spans",
                         c.traces, service);
    else
        judge_continuity(j, service, &c);
}

static void jaeger_multi_region(struct jaeger *j)
{
    struct jaeger_continuity c;
    const char *service;
    double min_traces;

    (void)misc_number(j->ctx->params, "min_traces", 1, &min_traces);
    if (!traces_counted(j, &service, &c))
        return;
    if ((double)c.multi_region < min_traces)
        tars_check_fail(j->out,
                        "%zu of %zu traces of \"%.80s\" cross regions, expected at least %.0f",
                        c.multi_region, c.traces, service, min_traces);
    else
        tars_check_pass(j->out, "%zu of %zu traces of \"%.80s\" cross regions (at least %.0f)",
                        c.multi_region, c.traces, service, min_traces);
}

/* ---- the type ---- */

static void jaeger_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    const char *kind = tars_check_param_str(ctx, "check", "");
    struct jaeger j = {ctx, tars_check_target_str(ctx, "jaeger", "url"), false, out};

    (void)misc_bool(ctx->params, "insecure", false, &j.insecure);
    if (!j.base || !*j.base) {
        tars_check_error(out, false, "no jaeger URL (url, or targets.jaeger.url)");
        return;
    }
    if (strcmp(kind, "services") == 0)
        jaeger_services(&j);
    else if (strcmp(kind, "traces_present") == 0)
        jaeger_traces_present(&j);
    else if (strcmp(kind, "continuity") == 0)
        jaeger_continuity(&j);
    else
        jaeger_multi_region(&j);
}

static int jaeger_read_params(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const numbers[] = {"min_traces", NULL};
    static const char *const durations[] = {"lookback", NULL};
    static const char *const lists[] = {"services", NULL};
    static const char *const booleans[] = {"insecure", NULL};
    static const char *const texts[] = {"url", "token", "token_env", "service", NULL};
    static const struct misc_params shapes = {.kinds = jaeger_kinds,
                                              .numbers = numbers,
                                              .durations = durations,
                                              .lists = lists,
                                              .booleans = booleans,
                                              .texts = texts};
    double n;
    int rc;

    if ((rc = misc_read_params(rd, params, &shapes)) ||
        (rc = tars_json_get_double(rd, params, "limit", TARS_JSON_OPTIONAL, 1, MAX_LIMIT, &n)))
        return rc;
    return tars_json_get_double(rd, params, "min", TARS_JSON_OPTIONAL, 0, 1, &n);
}

static const char *const jaeger_params[] = {"check",    "url",     "token",      "token_env",
                                            "insecure", "service", "services",   "lookback",
                                            "limit",    "min",     "min_traces", NULL};
static const char *const jaeger_required[] = {"check", NULL};

const struct tars_check_type tars_check_jaeger = {
    .name = "jaeger",
    .category_hint = "tracing",
    .params = jaeger_params,
    .required = jaeger_required,
    .read_params = jaeger_read_params,
    .run = jaeger_run,
};
