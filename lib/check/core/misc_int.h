/*
 * Internals of the grafana, jaeger, websocket and database check types:
 * parameter helpers they share (misc_util.c) and the pure functions the unit
 * tests reach (panel expression scanning, trace continuity).
 */
#ifndef TARS_CHECK_MISC_INT_H
#define TARS_CHECK_MISC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tars/check.h"
#include "tars/json.h"

#define MISC_TOKEN_MAX 4096
#define MISC_URL_SHOWN_MAX 512

/* ---- parameters (misc_util.c) ---- */

/* A number given as a JSON number or a numeric string; fallback when absent.
 * TARS_EINVAL when present but not a number. */
int misc_number(json_t *params, const char *name, double fallback, double *out);
/* A duration: a number of seconds, or a string such as "500ms", "35s",
 * "10m"; fallback when absent. TARS_EINVAL when malformed or negative. */
int misc_duration_ms(json_t *params, const char *name, int64_t fallback, int64_t *out);
/* A boolean (true/false, or the strings "true"/"false"); fallback when absent. */
int misc_bool(json_t *params, const char *name, bool fallback, bool *out);

#define MISC_NUMBER_MAX 1e12 /* a limit or a count */
#define MISC_TEXT_MAX 4096   /* an item of a list of names */

/* The shapes of a type's parameters, each list NULL-terminated (or NULL). */
struct misc_params {
    const char *const *kinds;     /* `check` (required) is one of these */
    const char *const *numbers;   /* 0 .. MISC_NUMBER_MAX */
    const char *const *durations; /* as tars_json_get_duration reads them */
    const char *const *lists;     /* non-empty lists of names */
    const char *const *booleans;
    const char *const *texts; /* strings of 0 .. MISC_TEXT_MAX - 1 bytes */
};
/* Reads params through rd (tars/json.h) as p says: TARS_OK, or TARS_EINVAL
 * with the first problem in rd->err. */
int misc_read_params(const struct tars_json_reader *rd, json_t *params,
                     const struct misc_params *p);

/* The bearer token of a check: parameter `token`, else the environment
 * variable named by `token_env` (a parameter or targets.<target>.token_env).
 * false when neither gives one. The token never goes into a message. */
bool misc_token(const struct tars_check_ctx *ctx, const char *target, char *out, size_t size);

/* "Authorization: Bearer <token>" into out (size > MISC_TOKEN_MAX + 32);
 * false when there is no token. */
bool misc_auth_header(const struct tars_check_ctx *ctx, const char *target, char *out, size_t size);

/* A URL for messages: no password, no query string. */
void misc_safe_url(const char *url, char *out, size_t size);

/* Percent-encodes s for a query string; false when out is too small. */
bool misc_url_encode(const char *s, char *out, size_t size);

/* Milliseconds left before the check's deadline (0 when past it). */
int64_t misc_ms_left(const struct tars_check_ctx *ctx);

/* Appends text to the comma-separated list in buf; when it does not fit,
 * the list ends with "..." and later items are dropped. */
void misc_list_add(char *buf, size_t size, const char *text);

/* A GET through tars_check_fetch with Accept: application/json and the
 * target's bearer token, the body parsed as JSON. 0 with *doc and *status
 * (any status: the caller judges it; *doc is NULL when the body is not
 * JSON); otherwise out is already an error result. */
int misc_get_json(const struct tars_check_ctx *ctx, const char *target, const char *url,
                  bool insecure, long *status, json_t **doc, double *ms,
                  struct tars_check_result *out);

/* Turns an unexpected status into a result: 401/403 error (credentials),
 * 5xx transient error, anything else a failure. */
void misc_bad_status(struct tars_check_result *out, const char *what, long status);

/* ---- grafana (type_grafana.c) ---- */

/* true when expr names a recording rule starting with prefix ("tars:") as
 * a metric: not inside a string literal or a comment, not as the tail of a
 * longer name. */
bool grafana_expr_uses_rule(const char *expr, const char *prefix);

struct grafana_panel_scan {
    size_t panels;      /* panels with at least one target expression */
    size_t expressions; /* target expressions seen */
    size_t offending;   /* panels with an expression not using a rule */
    char list[320];     /* "\"Title\" (id 4), ..." of offending panels */
};

/* Scans dashboard.panels (rows' nested panels too, and the old rows[]
 * layout) for targets[].expr. */
void grafana_scan_panels(json_t *dashboard, const char *prefix, struct grafana_panel_scan *out);

/* The load-time verdict of n cold loads (ms) of dashboard uid against the
 * limits in params (max_ms, max_avg_ms, max_p95_ms, max_p99_ms): a value at
 * or over a limit fails; no load, or a time that is not finite, is an
 * error. Sorts ms. */
void grafana_judge_loads(json_t *params, const char *uid, double *ms, size_t n,
                         struct tars_check_result *out);

/* ---- jaeger (type_jaeger.c) ---- */

struct jaeger_continuity {
    size_t traces;
    size_t spans;
    size_t roots; /* spans without references: excluded */
    size_t non_root;
    size_t resolved;      /* non-root spans whose parent is in the same trace */
    size_t multi_region;  /* traces whose processes carry more than one region */
    char unresolved[320]; /* examples: "trace T span S (service/op)" */
};

/*
 * Continuity over Jaeger's /api/traces data array: a span with references is
 * resolved when one CHILD_OF or FOLLOWS_FROM reference names a span of the
 * same trace; spans without references are roots and do not count. Process
 * data (service, region tag) comes from trace.processes[span.processID].
 * TARS_EINVAL (why filled) when data is not a list of traces with spans.
 */
int jaeger_continuity_compute(json_t *data, struct jaeger_continuity *out, char *why, size_t size);

#endif
