/*
 * The http check type: one request (url, or path below targets.api.base_url;
 * method, headers, body as text or as a mapping sent as JSON) judged against
 * `expect` (by default: any 2xx), and optionally
 *   latency: {samples, percentile, below_ms, only_status}: N requests, the
 *            p-th percentile of their times below a bound;
 *   expect_status_within: {status, requests}: up to N requests until one
 *            answers that status (a rate limit answering 429).
 * targets.api.headers (a mapping) is sent with every request, below the
 * check's own headers; insecure comes from the check or targets.api.
 * A 429 is never transient, so the runner never retries one. An unexpected
 * 5xx fails and is marked transient; refused connections and timeouts are
 * transient errors (tars_check_fetch).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"

#define DEFAULT_SAMPLES 20
#define DEFAULT_PERCENTILE 95
#define DEFAULT_WITHIN_REQUESTS 100
#define STATUS_KINDS 8

/* ---- building the request ---- */

char *http_url_join(const char *base, const char *path)
{
    size_t blen;
    char *url;

    if (strstr(path, "://") || !base)
        return xstrdup(path);
    blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    while (*path == '/')
        path++;
    url = xmalloc(blen + strlen(path) + 2);
    memcpy(url, base, blen);
    url[blen] = '/';
    memcpy(url + blen + 1, path, strlen(path) + 1);
    return url;
}

static bool header_name_valid(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s))
            return false;
    return true;
}

static const char *header_value(json_t *v, char *buf, size_t size)
{
    double n;

    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    if (!check_json_number(v, &n))
        return NULL;
    snprintf(buf, size, "%.15g", n);
    return buf;
}

const char *http_headers_add(struct http_request *rq, json_t *mapping, char *buf, size_t size)
{
    const char *name, *value;
    char number[32];
    size_t len;
    json_t *v;

    if (!mapping)
        return NULL;
    if (!json_is_object(mapping))
        return snprintf(buf, size, "headers must be a mapping of name: value"), buf;
    json_object_foreach(mapping, name, v) {
        value = header_value(v, number, sizeof(number));
        if (!header_name_valid(name))
            return snprintf(buf, size, "header name \"%.60s\" is not valid", name), buf;
        if (!value || strpbrk(value, "\r\n"))
            return snprintf(buf, size, "header %s must be one line of text", name), buf;
        if (rq->header_count == HTTP_MAX_HEADERS ||
            strlen(name) + strlen(value) > HTTP_MAX_HEADER_LEN)
            return snprintf(buf, size, "too many or too long headers (at most %d)",
                            HTTP_MAX_HEADERS),
                   buf;
        len = strlen(name) + strlen(value) + 3;
        rq->headers[rq->header_count] = xmalloc(len);
        /* "Name:" with nothing after it: curl sends no such header at all */
        snprintf(rq->headers[rq->header_count++], len, "%s:%s%s", name, *value ? " " : "", value);
    }
    return NULL;
}

bool http_request_has_header(const struct http_request *rq, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < rq->header_count; i++)
        if (strncasecmp(rq->headers[i], name, n) == 0 && rq->headers[i][n] == ':')
            return true;
    return false;
}

void http_request_release(struct http_request *rq)
{
    for (size_t i = 0; i < rq->header_count; i++)
        free(rq->headers[i]);
    free(rq->url);
    free(rq->method);
    free(rq->body);
    memset(rq, 0, sizeof(*rq));
}

static const char *request_body(struct http_request *rq, json_t *body, char *buf, size_t size)
{
    if (!body || json_is_null(body))
        return NULL;
    if (json_is_string(body)) {
        rq->body = xstrdup(json_string_value(body));
    } else if (json_is_object(body) || json_is_array(body)) {
        rq->body = json_dumps(body, JSON_COMPACT);
        if (!rq->body)
            return snprintf(buf, size, "body cannot be written as JSON"), buf;
        if (!http_request_has_header(rq, "Content-Type")) {
            rq->headers[rq->header_count++] = xstrdup("Content-Type: application/json");
        }
    } else {
        return snprintf(buf, size, "body must be text or a mapping (sent as JSON)"), buf;
    }
    rq->body_len = strlen(rq->body);
    if (rq->body_len > HTTP_MAX_REQUEST_BODY)
        return snprintf(buf, size, "body is larger than %d bytes", HTTP_MAX_REQUEST_BODY), buf;
    return NULL;
}

static const char *request_url(const struct tars_check_ctx *ctx, struct http_request *rq, char *buf,
                               size_t size)
{
    const char *url = tars_check_param_str(ctx, "url", NULL),
               *path = tars_check_param_str(ctx, "path", NULL);
    const char *base = tars_check_target_str(ctx, "api", "base_url");

    if (url)
        rq->url = xstrdup(url);
    else if (path && (base || strstr(path, "://")))
        rq->url = http_url_join(base, path);
    else
        return snprintf(buf, size, "no url: give url, or path with targets.api.base_url"), buf;
    return NULL;
}

static bool target_insecure(const struct tars_check_ctx *ctx)
{
    bool insecure = false;

    if (check_json_bool(json_object_get(ctx->params, "insecure"), &insecure))
        return insecure;
    check_json_bool(json_object_get(json_object_get(ctx->targets, "api"), "insecure"), &insecure);
    return insecure;
}

/* targets.api.headers, for every request a suite makes, unless the check
 * sets a header of the same name itself. */
static const char *target_headers_add(const struct tars_check_ctx *ctx, struct http_request *rq,
                                      char *buf, size_t size)
{
    json_t *all = json_object_get(json_object_get(ctx->targets, "api"), "headers");
    json_t *missing, *v;
    const char *name, *why;

    if (!json_is_object(all))
        return all ? (snprintf(buf, size, "targets.api.headers must be a mapping"), buf) : NULL;
    missing = json_object();
    json_object_foreach(all, name, v) {
        if (!http_request_has_header(rq, name))
            json_object_set(missing, name, v);
    }
    why = http_headers_add(rq, missing, buf, size);
    json_decref(missing);
    return why;
}

/* NULL or why the parameters cannot make a request. */
static const char *request_build(const struct tars_check_ctx *ctx, struct http_request *rq,
                                 char *buf, size_t size)
{
    const char *why;

    memset(rq, 0, sizeof(*rq));
    rq->method = xstrdup(tars_check_param_str(ctx, "method", "GET"));
    for (char *m = rq->method; *m; m++)
        if (*m >= 'a' && *m <= 'z')
            *m = (char)(*m - 'a' + 'A');
    rq->insecure = target_insecure(ctx);
    if ((why = request_url(ctx, rq, buf, size)))
        return why;
    if ((why = http_headers_add(rq, json_object_get(ctx->params, "headers"), buf, size)) ||
        (why = target_headers_add(ctx, rq, buf, size)))
        return why;
    return request_body(rq, json_object_get(ctx->params, "body"), buf, size);
}

static void request_call(const struct http_request *rq, struct tars_check_fetch_call *call)
{
    memset(call, 0, sizeof(*call));
    call->method = rq->method;
    call->url = rq->url;
    call->headers = (const char *const *)rq->headers;
    call->body = rq->body;
    call->body_len = rq->body_len;
    call->insecure = rq->insecure;
}

/* ---- one request and its expectations ---- */

/* Fails out when reply does not meet expect (status included unless
 * skip_status). Returns true when it does. */
static bool judge_reply(json_t *expect, bool skip_status,
                        const struct tars_check_fetch_reply *reply, struct tars_check_result *out)
{
    json_t *want = json_object_get(expect, "status");
    char wanted[64], why[TARS_CHECK_REASON_MAX - 64], excerpt[160];

    if (!skip_status && !http_status_matches(want, reply->status)) {
        http_status_describe(want, wanted, sizeof(wanted));
        http_body_excerpt(reply->body, reply->body_len, excerpt, sizeof(excerpt));
        tars_check_fail(out, "answered %ld, expected %s%s%s", reply->status, wanted,
                        excerpt[0] ? ": " : "", excerpt);
        out->transient = reply->status >= 500; /* never a 429 */
        return false;
    }
    if (!http_expect_content(expect, reply, why, sizeof(why))) {
        tars_check_fail(out, "answered %ld, but %s", reply->status, why);
        return false;
    }
    return true;
}

static bool past_deadline(const struct tars_check_ctx *ctx)
{
    return tars_mono_ns() >= ctx->deadline_ns;
}

/* ---- latency over N samples ---- */

struct latency_spec {
    long samples;
    double percentile, below_ms;
    json_t *only_status;
};

/* Bounded even when read_params() did not run (a type used directly). */
static void latency_spec_read(json_t *latency, struct latency_spec *ls)
{
    double n = DEFAULT_SAMPLES;

    check_json_number(json_object_get(latency, "samples"), &n);
    ls->samples = n >= 1 && n <= HTTP_MAX_SAMPLES ? (long)n : DEFAULT_SAMPLES;
    ls->percentile = DEFAULT_PERCENTILE;
    check_json_number(json_object_get(latency, "percentile"), &ls->percentile);
    if (!(ls->percentile > 0 && ls->percentile <= 100))
        ls->percentile = DEFAULT_PERCENTILE;
    ls->below_ms = 0;
    check_json_number(json_object_get(latency, "below_ms"), &ls->below_ms);
    ls->only_status = json_object_get(latency, "only_status");
}

/* Takes the remaining samples; times[] gets those that count. */
static int latency_collect(const struct tars_check_ctx *ctx,
                           const struct tars_check_fetch_call *call, const struct latency_spec *ls,
                           double *times, size_t *kept, struct tars_check_result *out)
{
    struct tars_check_fetch_reply reply;

    for (long i = 1; i < ls->samples; i++) {
        if (past_deadline(ctx)) {
            tars_check_error(out, true, "timed out after %ld of %ld latency samples", i,
                             ls->samples);
            return -1;
        }
        if (tars_check_fetch(ctx, call, &reply, out) != 0)
            return -1;
        if (!ls->only_status || http_status_matches(ls->only_status, reply.status))
            times[(*kept)++] = reply.total_ms;
        tars_check_fetch_reply_release(&reply);
    }
    return 0;
}

static void run_latency(const struct tars_check_ctx *ctx, const struct tars_check_fetch_call *call,
                        json_t *latency, const struct tars_check_fetch_reply *first,
                        struct tars_check_result *out)
{
    struct latency_spec ls;
    char wanted[64] = "";
    size_t kept = 0;
    double *times;

    latency_spec_read(latency, &ls);
    times = xcalloc((size_t)ls.samples, sizeof(*times));
    if (!ls.only_status || http_status_matches(ls.only_status, first->status))
        times[kept++] = first->total_ms;
    if (latency_collect(ctx, call, &ls, times, &kept, out) != 0)
        goto out;
    if (ls.only_status)
        http_status_describe(ls.only_status, wanted, sizeof(wanted));
    http_latency_judge(times, kept, ls.samples, ls.percentile, ls.below_ms,
                       wanted[0] ? wanted : "at all", out);
out:
    free(times);
}

/* ---- until a status shows up (rate limits) ---- */

struct status_tally {
    long status[STATUS_KINDS];
    long count[STATUS_KINDS];
    size_t kinds;
};

static void tally_add(struct status_tally *t, long status)
{
    for (size_t i = 0; i < t->kinds; i++)
        if (t->status[i] == status) {
            t->count[i]++;
            return;
        }
    if (t->kinds < STATUS_KINDS) {
        t->status[t->kinds] = status;
        t->count[t->kinds++] = 1;
    }
}

static void tally_text(const struct status_tally *t, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < t->kinds && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%ld x%ld", i ? ", " : "", t->status[i],
                                t->count[i]);
}

static void run_until_status(const struct tars_check_ctx *ctx,
                             const struct tars_check_fetch_call *call, json_t *within,
                             json_t *expect, struct tars_check_result *out)
{
    json_t *want = json_object_get(within, "status");
    double limit = DEFAULT_WITHIN_REQUESTS;
    struct status_tally tally = {{0}, {0}, 0};
    struct tars_check_fetch_reply reply;
    char wanted[64], seen[200];

    check_json_number(json_object_get(within, "requests"), &limit);
    if (!(limit >= 1 && limit <= HTTP_MAX_REQUESTS))
        limit = DEFAULT_WITHIN_REQUESTS;
    http_status_describe(want, wanted, sizeof(wanted));
    for (long i = 1; i <= (long)limit; i++) {
        if (past_deadline(ctx)) {
            tars_check_error(out, false, "timed out after %ld requests without a %s", i - 1,
                             wanted);
            return;
        }
        if (tars_check_fetch(ctx, call, &reply, out) != 0)
            return;
        tally_add(&tally, reply.status);
        if (http_status_matches(want, reply.status)) {
            if (judge_reply(expect, true, &reply, out))
                tars_check_pass(out, "answered %ld after %ld requests", reply.status, i);
            out->transient = false;
            tars_check_fetch_reply_release(&reply);
            return;
        }
        tars_check_fetch_reply_release(&reply);
    }
    tally_text(&tally, seen, sizeof(seen));
    tars_check_fail(out, "no %s in %.0f requests (answers: %s)", wanted, limit, seen);
}

/* ---- the type ---- */

static void http_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    json_t *expect = json_object_get(ctx->params, "expect");
    json_t *latency = json_object_get(ctx->params, "latency");
    json_t *within = json_object_get(ctx->params, "expect_status_within");
    struct http_request rq;
    struct tars_check_fetch_call call;
    struct tars_check_fetch_reply reply;
    char buf[256];
    const char *why;

    if ((why = request_build(ctx, &rq, buf, sizeof(buf)))) {
        tars_check_error(out, false, "%s", why);
        goto out;
    }
    request_call(&rq, &call);
    if (within) {
        run_until_status(ctx, &call, within, expect, out);
        goto out;
    }
    if (tars_check_fetch(ctx, &call, &reply, out) != 0)
        goto out;
    if (judge_reply(expect, false, &reply, out)) {
        if (latency)
            run_latency(ctx, &call, latency, &reply, out);
        else
            tars_check_pass(out, "answered %ld in %.1f ms", reply.status, reply.total_ms);
    }
    tars_check_fetch_reply_release(&reply);
out:
    http_request_release(&rq);
}

#define HTTP_TEXT_MAX 65536 /* a url, a path, a method */

static int latency_read(const struct tars_json_reader *rd, json_t *latency)
{
    static const char *const keys[] = {"samples", "percentile", "below_ms", "only_status", NULL};
    int64_t samples;
    double d;
    int rc;

    if ((rc = tars_json_check_keys(rd, latency, "latency", keys, NULL)) ||
        (rc = tars_json_get_int(rd, latency, "samples", TARS_JSON_OPTIONAL, 1, HTTP_MAX_SAMPLES,
                                &samples)) ||
        (rc = tars_json_get_double_above(rd, latency, "percentile", TARS_JSON_OPTIONAL, 0, 100,
                                         &d)) ||
        (rc = tars_json_get_double_above(rd, latency, "below_ms", TARS_JSON_REQUIRED, 0,
                                         HTTP_MAX_BELOW_MS, &d)))
        return rc;
    return http_status_read(rd, latency, "only_status", TARS_JSON_OPTIONAL);
}

static int within_read(const struct tars_json_reader *rd, json_t *within)
{
    static const char *const keys[] = {"status", "requests", NULL};
    int64_t n;
    int rc;

    if ((rc = tars_json_check_keys(rd, within, "expect_status_within", keys, NULL)) ||
        (rc = http_status_read(rd, within, "status", TARS_JSON_REQUIRED)))
        return rc;
    return tars_json_get_int(rd, within, "requests", TARS_JSON_OPTIONAL, 1, HTTP_MAX_REQUESTS, &n);
}

/* Headers and body as the request would be built from them. */
static int request_read(const struct tars_json_reader *rd, json_t *params)
{
    struct http_request rq = {0};
    json_t *headers = json_object_get(params, "headers"), *body = json_object_get(params, "body");
    char buf[200];
    const char *why = http_headers_add(&rq, headers, buf, sizeof(buf));
    int rc = TARS_OK;

    if (why)
        rc = tars_json_fail(rd, headers, TARS_EINVAL, "%s", why);
    else if ((why = request_body(&rq, body, buf, sizeof(buf))))
        rc = tars_json_fail(rd, body, TARS_EINVAL, "%s", why);
    http_request_release(&rq);
    return rc;
}

static int http_read_params(const struct tars_json_reader *rd, json_t *params)
{
    const char *url = NULL, *path = NULL, *base = NULL, *method = NULL;
    json_t *expect = json_object_get(params, "expect"),
           *latency = json_object_get(params, "latency");
    json_t *within = json_object_get(params, "expect_status_within");
    bool insecure;
    int rc;

    if ((rc = tars_json_get_string(rd, params, "url", TARS_JSON_OPTIONAL, HTTP_TEXT_MAX, &url)) ||
        (rc = tars_json_get_string(rd, params, "path", TARS_JSON_OPTIONAL, HTTP_TEXT_MAX, &path)) ||
        (rc = tars_json_get_string(rd, params, "base_url", TARS_JSON_OPTIONAL, HTTP_TEXT_MAX,
                                   &base)) ||
        (rc = tars_json_get_string(rd, params, "method", TARS_JSON_OPTIONAL, HTTP_TEXT_MAX,
                                   &method)) ||
        (rc = tars_json_get_bool(rd, params, "insecure", TARS_JSON_OPTIONAL, &insecure)))
        return rc;
    if (!url && !path)
        return tars_json_fail(rd, params, TARS_EINVAL,
                              "url, or path (joined to targets.api.base_url), is required");
    if (method && !header_name_valid(method))
        return tars_json_fail(rd, json_object_get(params, "method"), TARS_EINVAL,
                              "method must be a word such as GET or POST, not \"%.64s\"", method);
    if ((expect && (rc = http_expect_read(rd, expect))) ||
        (latency && (rc = latency_read(rd, latency))) || (within && (rc = within_read(rd, within))))
        return rc;
    if (latency && within)
        return tars_json_fail(rd, within, TARS_EINVAL,
                              "latency and expect_status_within cannot be combined");
    return request_read(rd, params);
}

static const char *const http_params[] = {
    "url",  "path",     "base_url", "method",  "headers",
    "body", "insecure", "expect",   "latency", "expect_status_within",
    NULL};
static const char *const http_required[] = {NULL};

const struct tars_check_type tars_check_http = {
    .name = "http",
    .category_hint = "service health, API, rate limits, latency",
    .params = http_params,
    .required = http_required,
    .read_params = http_read_params,
    .run = http_run,
};
