/*
 * `tars validate`: declarative check suites. A suite (YAML) names targets
 * (api, prometheus, kubernetes, grafana, jaeger, database) and checks; each
 * check has an id, a category, a type, parameters, and optional retries,
 * timeout and on_empty. Check types are a table of small vtables (http,
 * kubernetes, prometheus, ...); the runner executes checks in parallel on a
 * worker pool, each bounded by its own timeout, and retries only what a
 * check itself calls transient.
 *
 * Results are one of pass, fail, skip (with a reason) and error (could not be
 * run, with the reason). There is no soft pass: "no data" (nothing, NaN,
 * infinities) is an error (inconclusive) unless the check says on_empty:
 * fail or on_empty: skip.
 */
#ifndef TARS_CHECK_H
#define TARS_CHECK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "tars/err.h"
#include "tars/json.h"

enum tars_check_status { TARS_CHECK_PASS, TARS_CHECK_FAIL, TARS_CHECK_SKIP, TARS_CHECK_ERROR };
const char *tars_check_status_name(enum tars_check_status s); /* "pass", "fail", ... */

enum tars_on_empty { TARS_ON_EMPTY_ERROR, TARS_ON_EMPTY_FAIL, TARS_ON_EMPTY_SKIP };

#define TARS_CHECK_REASON_MAX 512

struct tars_check_result {
    enum tars_check_status status;
    char reason[TARS_CHECK_REASON_MAX]; /* why it did not pass; for a pass, what was seen */
    bool transient;                     /* worth retrying: refused, timeout (errors), 5xx (fails) */
    double duration_ms;                 /* of the last attempt */
    double total_ms;                    /* all attempts and retry delays */
    int attempts;
};

/* A secret value is replaced by "****" in every output. */
struct tars_check_secrets;
void tars_check_secrets_mask(const struct tars_check_secrets *s, const char *in, char *out,
                             size_t size);

struct tars_check;

/* What a check type's run function gets. */
struct tars_check_ctx {
    const struct tars_check *check;
    json_t *params;       /* the check's parameters, variables substituted (borrowed) */
    json_t *targets;      /* the suite's targets object (borrowed; may be empty) */
    int64_t timeout_ms;   /* this attempt's bound */
    uint64_t deadline_ns; /* tars_mono_ns() by which run must return */
    enum tars_on_empty on_empty;
};

struct tars_check_type {
    const char *name;            /* "http" */
    const char *category_hint;   /* documentation only */
    const char *const *params;   /* every accepted parameter name, NULL-terminated */
    const char *const *required; /* the required ones, NULL-terminated */
    /* Optional: reads the parameters at load time (variables substituted)
     * through the typed getters of tars/json.h. rd points every problem at
     * its value in the suite ("suite.yaml:14:9: check \"api\": samples must
     * be between 1 and 1000") and takes numbers and booleans written as
     * text. TARS_OK, or TARS_EINVAL with rd->err set. */
    int (*read_params)(const struct tars_json_reader *rd, json_t *params);
    /* Runs one attempt; must return by ctx->deadline_ns. */
    void (*run)(const struct tars_check_ctx *ctx, struct tars_check_result *out);
};

/* The known types (lib/check/core/registry.c). */
const struct tars_check_type *tars_check_type_find(const char *name);
/* Fills out with up to max type names; returns how many. */
size_t tars_check_type_names(const char **out, size_t max);

struct tars_check {
    char *id;
    char *name; /* a human title; defaults to id */
    char *category;
    char **tags;
    size_t tag_count;
    const struct tars_check_type *type;
    json_t *params; /* owned */
    int64_t timeout_ms;
    int retries;
    int64_t retry_delay_ms;
    enum tars_on_empty on_empty;
    char *skip;  /* skip: the reason it is never run, or NULL */
    char *where; /* "suite.yaml:12:5", for messages */
};

struct tars_suite {
    char *name;
    char *path;
    json_t *targets; /* owned */
    struct tars_check *checks;
    size_t check_count;
    struct tars_check_secrets *secrets;
    int64_t deadline_ms; /* whole-suite bound; 0 = none */
    char *environment;   /* the environments: preset chosen, or NULL */
};

/* A variable given on the command line (--var k=v); wins over the
 * environment, which wins over the suite's own defaults. */
struct tars_var {
    const char *name;
    const char *value;
};

/* Loads and validates a suite. Unknown types or fields list the valid ones;
 * every message names file:line:col. Variables ${VAR} / ${VAR:-default} are
 * substituted in every string of targets and params. A suite with
 * `environments:` takes the preset named by the variable ENVIRONMENT; values
 * written in the suite (presets, the variables block) may refer to other
 * variables. */
int tars_suite_load(const char *path, const struct tars_var *vars, size_t var_count,
                    struct tars_suite *out, struct tars_err *err) TARS_MUST_CHECK;
void tars_suite_release(struct tars_suite *s);

/* Selection: --only ID|CATEGORY (repeatable) and --tags. */
struct tars_check_filter {
    const char *const *only;
    size_t only_count;
    const char *const *tags;
    size_t tag_count;
};
bool tars_check_selected(const struct tars_check *c, const struct tars_check_filter *f);

/* Runs the selected checks of suite with `parallel` workers. results has
 * one entry per check of the suite (unselected ones stay SKIP "not
 * selected" and are flagged in selected[]). Each result's reason has the
 * suite's secrets masked (tars_check_secrets_mask) as it is stored, before
 * on_done sees it: no output needs to mask again. on_done (may be NULL) is
 * called from the worker threads, serialised, as each check finishes. */
typedef void (*tars_check_done_fn)(void *ctx, const struct tars_check *c,
                                   const struct tars_check_result *r);
int tars_suite_run(const struct tars_suite *suite, const struct tars_check_filter *filter,
                   int parallel, struct tars_check_result *results, bool *selected,
                   tars_check_done_fn on_done, void *done_ctx, struct tars_err *err);
/* The same, stopping early once *stop is non-zero (set by the caller's
 * signal handler): checks running then finish (each bounded by its
 * timeout), the selected checks not yet started end as errors "not run:
 * interrupted". stop may be NULL. */
int tars_suite_run_until(const struct tars_suite *suite, const struct tars_check_filter *filter,
                         int parallel, struct tars_check_result *results, bool *selected,
                         tars_check_done_fn on_done, void *done_ctx,
                         const volatile sig_atomic_t *stop, struct tars_err *err);

/* ---- helpers for check types (lib/check/core/check_util.c) ---- */

void tars_check_pass(struct tars_check_result *r, const char *fmt, ...) TARS_PRINTF(2, 3);
void tars_check_fail(struct tars_check_result *r, const char *fmt, ...) TARS_PRINTF(2, 3);
void tars_check_skip(struct tars_check_result *r, const char *fmt, ...) TARS_PRINTF(2, 3);
void tars_check_error(struct tars_check_result *r, bool transient, const char *fmt, ...)
    TARS_PRINTF(3, 4);
/* "No data": an error (inconclusive), or a fail / skip when the check says
 * on_empty: fail / skip. */
void tars_check_empty(const struct tars_check_ctx *ctx, struct tars_check_result *r,
                      const char *fmt, ...) TARS_PRINTF(3, 4);

/* Parameters. Each returns the fallback when absent. */
const char *tars_check_param_str(const struct tars_check_ctx *ctx, const char *name,
                                 const char *fallback);
double tars_check_param_num(const struct tars_check_ctx *ctx, const char *name, double fallback);
/* true/false, or the text "true"/"false". */
bool tars_check_param_bool(const struct tars_check_ctx *ctx, const char *name, bool fallback);
/* targets.<target>.<field> when the check has no parameter `field`. */
const char *tars_check_target_str(const struct tars_check_ctx *ctx, const char *target,
                                  const char *field);

/* An HTTP exchange through libcurl, bounded by the check's deadline. */
struct tars_check_fetch_call {
    const char *method; /* default GET */
    const char *url;
    const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
    const char *body;           /* may be NULL */
    size_t body_len;
    bool insecure;                                         /* no TLS verification */
    const char *ca_file, *client_cert, *client_key;        /* PEM files or NULL */
    const char *ca_pem, *client_cert_pem, *client_key_pem; /* in-memory PEM or NULL */
    size_t max_body;                                       /* default 8 MiB */
};
struct tars_check_fetch_reply {
    long status;
    char *body; /* NUL-terminated; owned */
    size_t body_len;
    char *headers; /* raw header block; owned */
    double total_ms;
};
/* 0 with reply filled, or a negative code and out set to an error result
 * (transient for refused/timeout) naming the URL without its secrets. */
int tars_check_fetch(const struct tars_check_ctx *ctx, const struct tars_check_fetch_call *call,
                     struct tars_check_fetch_reply *reply, struct tars_check_result *out);
void tars_check_fetch_reply_release(struct tars_check_fetch_reply *r);
/* Case-insensitive header lookup in reply->headers; copies the value. */
bool tars_check_fetch_reply_header(const struct tars_check_fetch_reply *r, const char *name,
                                   char *out, size_t size);

/* One suite's run as the outputs read it (the runner's output): the suite,
 * one result per check with the suite's secrets masked as it was stored,
 * which checks were selected, and when and how long it ran. Filled by
 * tars_check_run_suite, released by tars_check_run_release; the outputs
 * (tars/report.h, the console) write its text as it is. */
struct tars_check_run {
    const struct tars_suite *suite;    /* borrowed: outlives the run */
    struct tars_check_result *results; /* owned, suite->check_count entries */
    bool *selected;                    /* owned, suite->check_count entries */
    double wall_ms;                    /* the whole run */
    time_t started;                    /* wall clock at its start (JUnit timestamp); 0: unknown */
};

/* Runs the selected checks of suite (tars_suite_run_until, with its filter,
 * workers, on_done and stop) into *run, which it fills whole: results and
 * selected allocated, the start time and the wall time of the run. *run is
 * filled even when the run fails (err set; a selected check that did not run
 * is an error "not run: ...") and must be released either way. */
int tars_check_run_suite(struct tars_check_run *run, const struct tars_suite *suite,
                         const struct tars_check_filter *filter, int parallel,
                         tars_check_done_fn on_done, void *done_ctx,
                         const volatile sig_atomic_t *stop, struct tars_err *err) TARS_MUST_CHECK;
/* Frees what tars_check_run_suite allocated; a zeroed run is a no-op. */
void tars_check_run_release(struct tars_check_run *run);

/* Counts of the selected checks by status: of one run, and summed over runs. */
struct tars_check_counts {
    size_t pass, fail, skip, error;
};
void tars_check_count(const struct tars_check_run *run, struct tars_check_counts *out);
void tars_check_count_runs(const struct tars_check_run *runs, size_t n,
                           struct tars_check_counts *out);

#endif
