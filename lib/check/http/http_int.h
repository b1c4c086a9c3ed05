/*
 * Internals of the http check type (type_http.c), shared with the
 * Prometheus-backed types (type_prometheus.c and the presets) and reachable from
 * the unit tests: request building from parameters, and the judging of a
 * reply against an `expect` mapping.
 */
#ifndef TARS_CHECK_HTTP_INT_H
#define TARS_CHECK_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "tars/check.h"
#include "tars/json.h"

#define HTTP_MAX_HEADERS 64          /* entries of a headers mapping */
#define HTTP_MAX_HEADER_LEN 8192     /* one "Name: value" line */
#define HTTP_MAX_SAMPLES 1000        /* latency.samples */
#define HTTP_MAX_REQUESTS 10000      /* expect_status_within.requests */
#define HTTP_MAX_BELOW_MS 86400000.0 /* latency.below_ms: a day */
#define HTTP_MAX_REQUEST_BODY (1024 * 1024)

/* A number given as a JSON number or as a numeric string (what a ${VAR}
 * substitution leaves). false when v is neither. */
bool check_json_number(json_t *v, double *out);

/* A boolean given as true/false or as the string "true"/"false". */
bool check_json_bool(json_t *v, bool *out);

/* An outgoing request built from a check's parameters. Every pointer is
 * owned; headers is NULL-terminated. */
struct http_request {
    char *url;
    char *method;
    char *headers[HTTP_MAX_HEADERS + 2];
    size_t header_count;
    char *body;
    size_t body_len;
    bool insecure;
};

/* "Name: value" lines from a mapping (values are strings, numbers or
 * booleans; no line breaks) appended to rq->headers. An empty value means
 * "send no such header" (it also keeps targets.api.headers' one away).
 * NULL or a message. */
const char *http_headers_add(struct http_request *rq, json_t *mapping, char *buf, size_t size);
bool http_request_has_header(const struct http_request *rq, const char *name);
void http_request_release(struct http_request *rq);

/* base + "/" + path, with exactly one slash between them; path may be a
 * whole URL, which wins. Returns a new string. */
char *http_url_join(const char *base, const char *path);

/* The status expectation: NULL means any 2xx; a number (200), a class
 * ("2xx"), or a list of those. */
bool http_status_matches(json_t *want, long status);
/* A status (100..599), a class ("2xx") or a non-empty list of them. */
bool http_status_valid(json_t *want);
/* "200", "200 or 401", "2xx" into buf. */
void http_status_describe(json_t *want, char *buf, size_t size);

/* Every expectation of `expect` except the status (json, body_contains,
 * case_insensitive, body_contains_any, header_present) against a reply.
 * true when all hold; otherwise false with why (the first that failed). */
bool http_expect_content(json_t *expect, const struct tars_check_fetch_reply *reply, char *why,
                         size_t size);

/* The json expectations: a list of {path, equals | contains | exists | in |
 * min_length} against a parsed document. */
bool http_expect_json(json_t *list, json_t *doc, char *why, size_t size);

/* Reads an `expect` mapping through rd (tars/json.h): TARS_OK, or
 * TARS_EINVAL with the first problem in rd->err. */
int http_expect_read(const struct tars_json_reader *rd, json_t *expect);
/* obj's key, when there, as http_status_valid() wants it. */
int http_status_read(const struct tars_json_reader *rd, json_t *obj, const char *key,
                     enum tars_json_need need);

/* The p-th percentile (0 < p <= 100, nearest rank) of n values; sorts v. */
double http_percentile(double *v, size_t n, double p);

/* The latency verdict over the kept sample times (ms; sorted in place):
 * pass when the nearest-rank percentile is below below_ms, fail when it is
 * not; no sample (none answered `wanted` of `samples` requests), or a time
 * that is not finite, is an error: nothing to judge. */
void http_latency_judge(double *times, size_t kept, long samples, double percentile,
                        double below_ms, const char *wanted, struct tars_check_result *out);

/* A short printable excerpt of a body for reasons ("" when empty). */
void http_body_excerpt(const char *body, size_t len, char *out, size_t size);

#endif
