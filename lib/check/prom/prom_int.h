/*
 * Internals of the Prometheus-backed check types, shared by prom_eval.c
 * (conditions over series, rules answers), type_prometheus.c (queries, the
 * prometheus, prometheus_rules and prometheus_rule_health types) and
 * type_slo.c, type_ppo.c and type_canary.c (the presets that build PromQL), and
 * reachable from the unit tests, which feed them canned API answers.
 */
#ifndef TARS_CHECK_PROM_INT_H
#define TARS_CHECK_PROM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "tars/buf.h"
#include "tars/check.h"
#include "tars/json.h"
#include "tars/judge.h"

#define PROM_MAX_BODY (16 * 1024 * 1024) /* one API answer */
#define PROM_MAX_QUERY 8192              /* one PromQL expression */
#define PROM_SHOWN_SERIES 3              /* failing series named in a reason */

/* ---- conditions ---- */

struct prom_condition {
    bool set;
    int op;          /* enum tars_judge_op */
    char op_text[3]; /* "<", ">=", ... */
    double value;
};

/* {op, value} or the text "< 0.15" (the value may be numeric text), read
 * through rd: TARS_OK, or TARS_EINVAL with the problem in rd->err. */
int prom_condition_read(const struct tars_json_reader *rd, json_t *cond,
                        struct prom_condition *out);
/* The same for a condition outside a suite: NULL, or why it is not one
 * ("parameters: op must be one of <, <=, ...") in buf. */
const char *prom_condition_parse(json_t *cond, struct prom_condition *out, char *buf, size_t size);

/* ---- judging an instant query's answer ---- */

struct prom_judge {
    struct prom_condition cond; /* unset: any non-empty result passes */
    double scale;               /* values are multiplied by this first (0 means 1) */
    const char *unit;           /* appended to shown values (" ms"); NULL for none */
    const char *what;           /* what a value is ("p95 latency"); NULL for "value" */
    bool nan_is_empty;          /* NaN (0/0: no traffic in the window) is no data */
};

/* UNMEASURED: samples there, but not finite ones to judge (inconclusive). */
enum prom_verdict { PROM_PASS, PROM_FAIL, PROM_EMPTY, PROM_BAD, PROM_UNMEASURED };

/* Applies j to every sample of every series of `data` (the "data" member of
 * a /api/v1/query answer: vector, matrix or scalar). NaN and +-Inf samples
 * are never judged: a pass needs at least one finite sample (and, with a
 * condition, no sample that is not finite); a finite sample that breaks the
 * condition fails whatever else was seen. The reason says what was seen
 * (pass), which series failed (fail), why there is no data (empty: no
 * series, or only NaN meaning no traffic under nan_is_empty), which series
 * were not finite (unmeasured), or what was wrong with the answer (bad). */
enum prom_verdict prom_judge_data(json_t *data, const struct prom_judge *j, char *reason,
                                  size_t size);

/* `name{label="value", ...}` of a series' metric object, shortened to fit. */
void prom_series_name(json_t *metric, char *out, size_t size);

/* The value of the vector series whose label `label` is `value` (any
 * series when label is NULL). false when there is none. */
bool prom_series_value(json_t *data, const char *label, const char *value, double *out);

/* ---- the rules API (/api/v1/rules) ---- */

/* Every rule name of a rules answer's data (data.groups[].rules[].name) or
 * of a rules file's root (groups[].rules[].record|alert), as a new array. */
json_t *prom_rule_names(json_t *groups_holder);

/* Which of `want` (a list of names) are absent from `have`. pass or fail
 * with the missing ones named; empty when want is empty. */
enum prom_verdict prom_rules_missing(json_t *have, json_t *want, char *reason, size_t size);

struct prom_health_spec {
    json_t *groups;     /* names that must be present and healthy; NULL: all */
    const char *prefix; /* or: every group whose name starts with this */
    double max_ms;      /* each selected group's last evaluation time */
};

/* Judges the groups of a rules answer's data. PROM_BAD here means "some
 * rule has not been evaluated yet" (worth retrying) and nothing worse. */
enum prom_verdict prom_rule_health(json_t *data, const struct prom_health_spec *spec, char *reason,
                                   size_t size);

/* ---- talking to Prometheus (type_prometheus.c) ---- */

#define PROM_MAX_URL 4096
#define PROM_MAX_MS 86400000.0 /* a rule group's evaluation time: a day */

/* The connection parameters: url (an http(s) URL), headers, insecure. */
int prom_settings_read(const struct tars_json_reader *rd, json_t *params);

/* targets.prometheus.url, or the check's url parameter. */
const char *prom_base_url(const struct tars_check_ctx *ctx);

/* Percent-encodes all but RFC 3986 unreserved characters. */
int prom_url_encode(struct tars_buf *b, const char *s) TARS_MUST_CHECK;

/* GET base + path and return the answer's "data" (owned by the caller).
 * On failure out is an error (transient for refused, timeouts and 5xx) and
 * the return is negative. */
int prom_api_get(const struct tars_check_ctx *ctx, const char *path, json_t **data,
                 struct tars_check_result *out);

/* GET /api/v1/query?query=promql: its data (owned by the caller), or an
 * error in out and a negative return. */
int prom_instant_query(const struct tars_check_ctx *ctx, const char *promql, json_t **data,
                       struct tars_check_result *out);

/* An instant query, judged: pass, fail, no data (tars_check_empty) or an
 * error. */
void prom_run_query(const struct tars_check_ctx *ctx, const char *promql,
                    const struct prom_judge *j, struct tars_check_result *out);

/* ---- canary vs stable (type_canary.c) ---- */

enum { CANARY_ERROR, STABLE_ERROR, CANARY_P95, STABLE_P95, CANARY_FIGURES };

struct canary_figures {
    bool has[CANARY_FIGURES];
    double v[CANARY_FIGURES]; /* 5xx ratios (0..1) and p95 latencies (ms) */
};

struct canary_limits {
    double max_error_rate;       /* the canary's own 5xx ratio, below */
    double max_p95_ms;           /* the canary's own p95, below */
    double max_error_rate_delta; /* canary ratio <= stable ratio + this */
    double max_p95_ratio;        /* canary p95 <= stable p95 * this */
};

/* Pass, fail (every broken limit named), empty (no canary figures: NaN is
 * no traffic) or unmeasured (a figure is infinite). The comparisons with
 * stable are made only when stable has figures. */
enum prom_verdict prom_canary_judge(const struct canary_figures *f, const struct canary_limits *l,
                                    char *reason, size_t size);

/* ---- the presets' shared pieces (type_slo.c) ---- */

#define PRESET_WINDOW "5m"
#define PRESET_GROWTH_WINDOW "1h"
#define PRESET_MIB 1048576.0
#define PRESET_HTTP_HISTOGRAM "tars_http_request_duration_seconds"
#define PRESET_HTTP_COUNTER "tars_http_requests_total"
#define PRESET_EVAL_COUNTER "tars_evaluation_total"
#define PRESET_SERVER_ERRORS "status=~\"5..\""

/* The number parameter name, or fallback when absent or not a number. */
double preset_number(const struct tars_check_ctx *ctx, const char *name, double fallback);
/* c judged with op ("<", ">=", ...) against value. */
void preset_condition(struct prom_condition *c, const char *op, double value);
/* The largest threshold or limit a preset takes. */
#define PRESET_NUMBER_MAX 1e12
/* The parameters the three presets share: the connection (url, headers,
 * insecure) and the scope (selector, window, by, metric). */
int preset_read_params(const struct tars_json_reader *rd, json_t *params);

/* ---- PromQL builders (type_slo.c) ---- */

struct promql_scope {
    const char *selector; /* extra label matchers: `endpoint!="/metrics"`; may be NULL */
    const char *window;   /* a range such as "5m" */
    const char *by;       /* labels kept, "endpoint, method"; may be NULL */
};

/* histogram_quantile(q, sum by (le[, by]) (rate(<histogram>_bucket{sel}[w]))) */
int promql_quantile(struct tars_buf *b, const char *histogram, double q,
                    const struct promql_scope *s) TARS_MUST_CHECK;

/* (sum(rate(counter{part,sel}[w])) or 0 * sum(rate(counter{sel}[w])))
 *   / sum(rate(counter{sel}[w])), every sum by (by): the share of the
 * counter's increase that matches `part` (0 when none does, no data when
 * the counter did not move at all). */
int promql_ratio(struct tars_buf *b, const char *counter, const char *part,
                 const struct promql_scope *s) TARS_MUST_CHECK;

/* "5m", "1h30m", "90s": a PromQL duration. */
bool promql_window_valid(const char *w);
/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, at most 200 bytes. */
bool promql_metric_name_valid(const char *s);
/* metric<suffix>{a, c} (either may be NULL or empty). */
int promql_selector(struct tars_buf *b, const char *metric, const char *suffix, const char *a,
                    const char *c) TARS_MUST_CHECK;
/* A label name: [a-zA-Z_][a-zA-Z0-9_]*. */
bool promql_label_name_valid(const char *s);
/* "endpoint, method": label names separated by commas. */
bool promql_label_list_valid(const char *s);
/* Extra matchers: no braces, brackets or line breaks (they would escape
 * the selector they are put into). */
bool promql_selector_valid(const char *s);
/* name="value" with value escaped as a PromQL string. */
int promql_matcher(struct tars_buf *b, const char *name, const char *value) TARS_MUST_CHECK;

#endif
