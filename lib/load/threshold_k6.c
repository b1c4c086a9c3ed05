/*
 * Thresholds written the k6 way (docs/load-format.md §3): "METRIC[{TAGS}]:
 * AGGREGATION op value", e.g. "http_req_duration{name:agents}: p(95)<150",
 * "http_req_failed: rate<0.01", "http_reqs: count>100". Only the metrics tars
 * measures are accepted; a k6 metric it does not measure, an aggregation the
 * metric does not have and a tag other than name (a task) or
 * expected_response:true (the successful responses) are errors, never ignored.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "threshold_int.h"

enum k6_metric { K6_DURATION, K6_FAILED, K6_REQS };

static const struct tars_limit_metric k6_metrics[] = {
    {"http_req_duration", K6_DURATION, TARS_LIMIT_TIME},
    {"http_req_failed", K6_FAILED, TARS_LIMIT_RATIO},
    {"http_reqs", K6_REQS, TARS_LIMIT_COUNT},
};

/* k6's other built-in metrics: named so they get a clear error. */
static const char *const k6_unmeasured[] = {
    "http_req_blocked",
    "http_req_connecting",
    "http_req_tls_handshaking",
    "http_req_sending",
    "http_req_waiting",
    "http_req_receiving",
    "iterations",
    "iteration_duration",
    "vus",
    "vus_max",
    "checks",
    "data_received",
    "data_sent",
    "dropped_iterations",
    "group_duration",
};

#define K6_COUNT (sizeof(k6_metrics) / sizeof(k6_metrics[0]))
#define K6_UNMEASURED (sizeof(k6_unmeasured) / sizeof(k6_unmeasured[0]))

static bool word_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

static bool unmeasured(const char *s, size_t len)
{
    for (size_t i = 0; i < K6_UNMEASURED; i++)
        if (word_is(s, len, k6_unmeasured[i]))
            return true;
    return false;
}

static int bad(const char *text, struct tars_err *err, const char *why, const char *what,
               size_t len)
{
    return tars_err_set(err, TARS_EINVAL, "bad threshold \"%s\": %s \"%.*s\"", text, why, (int)len,
                        what);
}

/* One tag "key:value" of {…}. */
static int read_tag(const char *text, const char *s, size_t len, enum k6_metric metric,
                    struct tars_threshold *th, struct tars_err *err)
{
    const char *colon = memchr(s, ':', len), *key = s, *value;
    size_t key_len, value_len;

    if (!colon)
        return bad(text, err, "a tag is key:value, not", s, len);
    key_len = (size_t)(colon - s);
    value = colon + 1;
    value_len = len - key_len - 1;
    tars_limit_trim(&key, &key_len);
    tars_limit_trim(&value, &value_len);
    if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
        value++;
        value_len -= 2;
    }
    if (word_is(key, key_len, "name")) {
        if (value_len == 0 || th->task)
            return bad(text, err, "one non-empty name tag (a task's name), not", s, len);
        th->task = xstrndup(value, value_len);
        return TARS_OK;
    }
    if (word_is(key, key_len, "expected_response")) {
        if (metric != K6_DURATION || !word_is(value, value_len, "true"))
            return bad(text, err,
                       "expected_response:true (the successful responses of http_req_duration) "
                       "is the tag's only use, not",
                       s, len);
        th->ok_only = true;
        return TARS_OK;
    }
    return bad(text, err, "unsupported tag (use name:TASK or expected_response:true):", key,
               key_len);
}

/* "{name:agents,expected_response:true}" (braces included). */
static int read_tags(const char *text, const char *s, size_t len, enum k6_metric metric,
                     struct tars_threshold *th, struct tars_err *err)
{
    int rc;

    s++;
    len -= 2;
    while (len > 0) {
        size_t n = 0;
        while (n < len && s[n] != ',')
            n++;
        if ((rc = read_tag(text, s, n, metric, th, err)))
            return rc;
        s += n < len ? n + 1 : n;
        len -= n < len ? n + 1 : n;
    }
    return TARS_OK;
}

/* "p(95)" → 95 (0 < p <= 100), else 0. */
static double percentile_in(const char *s, size_t len)
{
    char number[32];
    char *end;
    double p;

    if (len < 4 || len - 3 >= sizeof(number) || memcmp(s, "p(", 2) != 0 || s[len - 1] != ')')
        return 0;
    memcpy(number, s + 2, len - 3);
    number[len - 3] = '\0';
    if (!isdigit((unsigned char)number[0]))
        return 0;
    p = strtod(number, &end);
    return *end == '\0' && p > 0 && p <= 100 ? p : 0;
}

/* The aggregation after the colon, for metric. */
static int read_aggregation(const char *text, const char *s, size_t len, enum k6_metric metric,
                            struct tars_threshold *th, struct tars_err *err)
{
    static const char *const takes[] = {"avg, min, med, max or p(N) with 0 < N <= 100", "rate",
                                        "count or rate"};
    double p;

    if (metric == K6_DURATION && (p = percentile_in(s, len)) > 0) {
        th->metric = TARS_TH_PERCENTILE;
        th->percentile = p;
    } else if (metric == K6_DURATION && word_is(s, len, "avg")) {
        th->metric = TARS_TH_MEAN;
    } else if (metric == K6_DURATION && word_is(s, len, "min")) {
        th->metric = TARS_TH_MIN;
    } else if (metric == K6_DURATION && word_is(s, len, "med")) {
        th->metric = TARS_TH_PERCENTILE;
        th->percentile = 50;
    } else if (metric == K6_DURATION && word_is(s, len, "max")) {
        th->metric = TARS_TH_MAX;
    } else if (metric == K6_FAILED && word_is(s, len, "rate")) {
        th->metric = TARS_TH_ERROR_RATE;
    } else if (metric == K6_REQS && (word_is(s, len, "count") || word_is(s, len, "rate"))) {
        th->metric = s[0] == 'c' ? TARS_TH_REQUESTS : TARS_TH_RPS;
    } else {
        return tars_err_set(err, TARS_EINVAL, "bad threshold \"%s\": %s takes %s, not \"%.*s\"",
                            text, k6_metrics[metric].name, takes[metric], (int)len, s);
    }
    return TARS_OK;
}

int threshold_k6_subject(const char *text, const char *subject, size_t len,
                         struct tars_threshold *th, const struct tars_limit_metric **m,
                         struct tars_err *err)
{
    const char *rest, *tags = NULL, *agg;
    size_t name_len = 0, rest_len, tags_len = 0, agg_len;

    while (name_len < len &&
           (islower((unsigned char)subject[name_len]) || subject[name_len] == '_' ||
            isdigit((unsigned char)subject[name_len])))
        name_len++;
    rest = subject + name_len;
    rest_len = len - name_len;
    tars_limit_trim(&rest, &rest_len);
    if (rest_len == 0 || (rest[0] != '{' && rest[0] != ':'))
        return 1;
    *m = tars_limit_metric_find(k6_metrics, K6_COUNT, subject, name_len);
    if (!*m && !unmeasured(subject, name_len))
        return 1;
    if (!*m)
        return tars_err_set(err, TARS_EINVAL,
                            "bad threshold \"%s\": k6 metric \"%.*s\" is not measured by tars "
                            "(use http_req_duration, http_req_failed or http_reqs)",
                            text, (int)name_len, subject);
    if (rest[0] == '{') {
        const char *close = memchr(rest, '}', rest_len);
        if (!close)
            return bad(text, err, "no } after", rest, rest_len);
        tags = rest;
        tags_len = (size_t)(close - rest) + 1;
        rest = close + 1;
        rest_len -= tags_len;
        tars_limit_trim(&rest, &rest_len);
    }
    if (rest_len == 0 || rest[0] != ':')
        return bad(text, err, "expected \": aggregation\" after the k6 metric, not", rest,
                   rest_len);
    agg = rest + 1;
    agg_len = rest_len - 1;
    tars_limit_trim(&agg, &agg_len);
    if (tags && read_tags(text, tags, tags_len, (enum k6_metric)(*m)->id, th, err))
        return TARS_EINVAL;
    th->k6_expr = (size_t)(agg - subject);
    return read_aggregation(text, agg, agg_len, (enum k6_metric)(*m)->id, th, err);
}
