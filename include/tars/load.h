/*
 * `tars load`: the HTTP load engine, its scenarios and its results.
 *
 * Flow: a scenario (YAML file or command-line flags) → struct
 * tars_load_scenario → tars_load_start runs one epoll loop per thread, each
 * owning its connections and histograms → tars_load_wait merges them into a
 * struct tars_load_result → thresholds, table, JSON, CSV.
 *
 * Models. Closed: N users, each sends a request, waits for the answer, then
 * thinks for between(a, b); users start at spawn_rate per second (or follow
 * stages). Open: requests are scheduled at a constant rate over a bounded
 * connection pool, and latency is measured from the *intended* send time
 * (coordinated omission corrected, as wrk2); the latency measured from the
 * actual send is reported beside it.
 *
 * Times are nanoseconds in histograms and milliseconds elsewhere.
 */
#ifndef TARS_LOAD_H
#define TARS_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"
#include "tars/hist.h"
#include "tars/judge.h"
#include "tars/str.h" /* tars_duration_parse */

/* ---- templates: "${random.int(1,100)}", "${random.choice(a,b)}", "${seq}", "${uuid}" ---- */

typedef struct tars_load_template tars_load_template;

/* Compiles text; an unknown function or a malformed call → TARS_EINVAL
 * naming it ("unknown template function \"random.foo\""). */
tars_load_template *tars_load_template_compile(const char *text, struct tars_err *err);
void tars_load_template_free(tars_load_template *t);
bool tars_load_template_is_constant(const tars_load_template *t);
/* Appends the rendering to out (a tars_buf). seq is the request's sequence
 * number; rng_state is the caller's per-thread xoshiro256** state (never all
 * zero), advanced by the random calls and ${uuid}: the same state renders
 * the same text. TARS_ETOOBIG (out freed) past out->max. */
struct tars_buf;
int tars_load_template_render(const tars_load_template *t, uint64_t seq, uint64_t rng_state[4],
                              struct tars_buf *out) TARS_MUST_CHECK;
/* A virtual user's variable value for ${name} (journeys); data NULL: unset. */
struct tars_load_template_value {
    const char *data;
    size_t len;
};
/* The same with the user's variables (slot = index, as compiled): an unset
 * one → TARS_ENOTFOUND, a header value with a control character →
 * TARS_EINVAL; out then holds a partial rendering. */
int tars_load_template_render_vars(const tars_load_template *t, uint64_t seq, uint64_t rng_state[4],
                                   const struct tars_load_template_value *vars, size_t var_count,
                                   struct tars_buf *out) TARS_MUST_CHECK;

/* ---- scenario ---- */

enum tars_load_model { TARS_LOAD_CLOSED, TARS_LOAD_OPEN };

struct tars_load_header {
    char *name;
    tars_load_template *value;
};

/* Journeys (docs/load-format.md §1.8): bounds of a virtual user's state. */
#define TARS_LOAD_MAX_VARS 32       /* variables of a journey, ${user} included */
#define TARS_LOAD_MAX_VALUE 4096    /* bytes of one extracted value */
#define TARS_LOAD_MAX_LIST 100      /* values of one list extraction (agents[*].id) */
#define TARS_LOAD_USER_VALUES 65536 /* bytes of all of a user's extracted values */
#define TARS_LOAD_MAX_STEPS 64      /* steps of a journey */
#define TARS_LOAD_DATA_MAX_BYTES (16 * 1024 * 1024) /* a data file */
#define TARS_LOAD_DATA_MAX_ROWS 1000000
#define TARS_LOAD_DATA_MAX_COLUMNS 16

/* `data: {file: users.csv, mode: round_robin | unique}`: one row per user, its
 * columns variables of the journeys' steps (docs/load-format.md §1.9). */
struct tars_load_data {
    char *file;     /* as resolved: relative to the scenario's directory */
    char **columns; /* the header row */
    size_t column_count;
    char **cells; /* row r, column c at r * column_count + c */
    size_t row_count;
    bool unique; /* each user its own row; more users than rows is an error */
};

enum tars_load_task_kind {
    TARS_LOAD_TASK_REQUEST, /* one request, picked by weight */
    TARS_LOAD_TASK_JOURNEY, /* a journey, picked by weight: its steps follow it in tasks[];
                               its row counts iterations and times whole journeys */
    TARS_LOAD_TASK_STEP,    /* a step of the journey at tasks[journey]; never picked alone */
};

enum tars_load_extract_kind {
    TARS_LOAD_EXTRACT_JSON,   /* a JSON path, "agents[0].id", "$.id"; one "[*]" makes a list */
    TARS_LOAD_EXTRACT_HEADER, /* a response header's value */
    TARS_LOAD_EXTRACT_REGEX,  /* POSIX extended regex on the body: group 1, else the match */
};

struct tars_load_extract {
    char *name;  /* the variable */
    size_t slot; /* its index in the journey's var_names */
    enum tars_load_extract_kind kind;
    char *expr;        /* path, header name or regex as written */
    char *list_suffix; /* JSON list: the path after "[*]" (expr then ends before it) */
    bool list;
    void *regex; /* regex_t, compiled */
};

struct tars_load_task {
    enum tars_load_task_kind kind;
    char *name;               /* "agents"; defaults to "METHOD path"; a step: "journey/step" */
    char *method;             /* "GET", ... */
    tars_load_template *path; /* "/api/v1/agents?limit=${random.int(1,100)}" */
    char *path_text;          /* the template's source, for reports */
    struct tars_load_header *headers;
    size_t header_count;
    tars_load_template *body; /* NULL: no body */
    unsigned weight;          /* >= 1 */
    int *expect_status;       /* empty: any 2xx or 3xx */
    size_t expect_status_count;
    char **expect_json_fields; /* each must be present in the JSON body (tars_json_path) */
    size_t expect_json_count;
    /* journeys */
    size_t journey;    /* a step: the index of its journey's task */
    size_t step_count; /* a journey: its steps, at the indexes after its own */
    char **var_names;  /* a journey: its variables, "user" first (slot = index) */
    size_t var_count;
    const char *step_name;              /* a step: its own name, inside name (after "journey/") */
    double probability;                 /* a step: the chance it runs in an iteration (1: always) */
    int64_t think_min_ms, think_max_ms; /* a step: the pause after it */
    struct tars_load_extract *extracts;
    size_t extract_count;
    bool loop;                           /* a step: one request per value of the list loop_over */
    size_t loop_over, loop_as, loop_max; /* slots, and the most values used */
};

enum tars_load_auth_mode {
    TARS_LOAD_AUTH_NONE,
    TARS_LOAD_AUTH_BEARER,     /* a token from an environment variable */
    TARS_LOAD_AUTH_LOGIN_ONCE, /* POST the token path once, share the token */
    TARS_LOAD_AUTH_LOGIN_PER_USER,
};

struct tars_load_auth {
    enum tars_load_auth_mode mode;
    char *token_path;   /* default "/api/v1/auth/token" */
    char *username_env; /* environment variable names, never values */
    char *password_env;
    char *token_env;       /* for TARS_LOAD_AUTH_BEARER */
    char *username_column; /* login_per_user with data: the columns of each user's row */
    char *password_column;
};

struct tars_load_stage {
    int64_t duration_ms;
    double target; /* users (closed) or requests/s (open) at the stage's end */
};

enum tars_threshold_metric {
    TARS_TH_P50,
    TARS_TH_P75,
    TARS_TH_P90,
    TARS_TH_P95,
    TARS_TH_P99,
    TARS_TH_P99_9,
    TARS_TH_MEAN,
    TARS_TH_MAX,
    TARS_TH_ERROR_RATE,
    TARS_TH_RPS,
    TARS_TH_REQUESTS,
    TARS_TH_MIN,
    TARS_TH_PERCENTILE /* any percentile (k6's p(N)): struct tars_threshold.percentile */
};
enum tars_threshold_op { /* the comparisons of tars/judge.h */
                         TARS_TH_LT = TARS_JUDGE_LT,
                         TARS_TH_LE = TARS_JUDGE_LE,
                         TARS_TH_GT = TARS_JUDGE_GT,
                         TARS_TH_GE = TARS_JUDGE_GE
};

/* "p95<150ms", "error_rate<1%", "rps>500", "agents:p99<=200ms" (task name first),
 * "p95{ok}<150ms" (a latency over the successful responses only); k6's form
 * "http_req_duration{name:agents}: p(95)<150", "http_req_failed: rate<0.01",
 * "http_reqs: count>100" (docs/load-format.md §3). */
struct tars_threshold {
    char *task; /* NULL: all tasks together */
    enum tars_threshold_metric metric;
    bool ok_only;      /* {ok}: latency_ok instead of latency */
    double percentile; /* TARS_TH_PERCENTILE: 0 < p <= 100 */
    size_t k6_expr;    /* k6's form: where "p(95)<150" starts in text; else 0 */
    enum tars_threshold_op op;
    double value; /* ns for latencies, a fraction for error_rate, 1/s for rps */
    char *text;   /* as written, for reports */
};

struct tars_load_scenario {
    char *name;
    char *base_url; /* "http://127.0.0.1:3001" */
    enum tars_load_model model;
    int threads; /* 0: the number of CPUs */
    int64_t duration_ms;
    int64_t timeout_ms; /* per request; default 10 s */
    bool insecure;      /* TLS without certificate checks */
    /* closed */
    int64_t users;
    double spawn_rate; /* users started per second; 0: all at once */
    int64_t think_min_ms, think_max_ms;
    /* open */
    double rate;                    /* requests per second over all threads */
    int64_t connections;            /* the pool (open) or one per user (closed) */
    struct tars_load_stage *stages; /* optional ramp; overrides users/rate over time */
    size_t stage_count;
    struct tars_load_task *tasks;
    size_t task_count;
    struct tars_load_auth auth;
    struct tars_load_data data; /* row_count 0: none */
    struct tars_threshold *thresholds;
    size_t threshold_count;
    /* distributed runs: this worker takes its share of users or rate */
    int worker_index, worker_count;
    /* Locust's --csv-full-history: keep each task's own per-second history (the result's
     * task_history), at most TARS_LOAD_MAX_TASK_SECONDS rows x seconds */
    bool task_history;
};

/* The bound of a per-task history: its rows (tasks, and the login row of login_per_user) times
 * the run's seconds (duration rounded up, plus one for the last partial second). */
#define TARS_LOAD_MAX_TASK_SECONDS 36000

/* Reads a scenario file (format in docs/load-format.md). Errors name
 * file:line:col. The scenario is complete and validated on success; on
 * failure *out is left zeroed. */
int tars_load_scenario_load(const char *path, struct tars_load_scenario *out,
                            struct tars_err *err) TARS_MUST_CHECK;
/* A scenario without a file (`tars load URL`): base_url is the URL's scheme
 * and authority, one task sends method (NULL: GET) to the URL's path and
 * query (compiled as a template, so ${...} works there too). The rest takes
 * the defaults of docs/load-format.md, except closed model with
 * TARS_LOAD_QUICK_USERS users for 10 s; the caller then sets fields from its
 * flags and calls tars_load_scenario_validate. */
#define TARS_LOAD_QUICK_USERS 50
int tars_load_scenario_quick(const char *url, const char *method, struct tars_load_scenario *out,
                             struct tars_err *err) TARS_MUST_CHECK;
/* Checks a scenario filled in by code: ranges, the model's required fields,
 * base_url, tasks, thresholds naming existing tasks, worker index. */
int tars_load_scenario_validate(const struct tars_load_scenario *s,
                                struct tars_err *err) TARS_MUST_CHECK;
/* The task th names (none: every task together) is one of s's; else the
 * error names it, with the nearest task name as a hint. */
int tars_load_scenario_check_threshold(const struct tars_load_scenario *s,
                                       const struct tars_threshold *th,
                                       struct tars_err *err) TARS_MUST_CHECK;
/* Frees everything s owns and zeroes it; accepts a zeroed struct. */
void tars_load_scenario_release(struct tars_load_scenario *s);

/* Parses one threshold expression into th (owned strings). */
int tars_threshold_parse(const char *text, struct tars_threshold *th,
                         struct tars_err *err) TARS_MUST_CHECK;
void tars_threshold_release(struct tars_threshold *th);

/* ---- results ---- */

enum tars_load_error {
    TARS_LOAD_ERR_TIMEOUT, /* no full response within timeout_ms */
    TARS_LOAD_ERR_REFUSED, /* connect refused */
    TARS_LOAD_ERR_RESET,   /* reset or closed mid-response */
    TARS_LOAD_ERR_TLS,
    TARS_LOAD_ERR_IO,
    TARS_LOAD_ERR_STATUS,  /* a status outside the expected set */
    TARS_LOAD_ERR_EXPECT,  /* a JSON field expectation failed */
    TARS_LOAD_ERR_PARSE,   /* the server sent something that is not HTTP/1.1 */
    TARS_LOAD_ERR_EXTRACT, /* a journey step's extraction found nothing in its response */
    TARS_LOAD_ERR_MISSING, /* a journey step needed a variable this iteration has not set
                              (an optional step that extracted it was skipped): not sent */
    TARS_LOAD_ERR_COUNT
};
const char *tars_load_error_name(enum tars_load_error e);

/* wrk's socket errors: a request without a response by where it failed: the
 * connect (and TLS handshake), the write of the request, the read of the
 * response (a reset, a close or bytes that are not HTTP), or its timeout. */
enum tars_load_socket_error {
    TARS_LOAD_SOCK_CONNECT,
    TARS_LOAD_SOCK_READ,
    TARS_LOAD_SOCK_WRITE,
    TARS_LOAD_SOCK_TIMEOUT,
    TARS_LOAD_SOCK_COUNT
};
/* "connect", "read", "write", "timeout". */
const char *tars_load_socket_error_name(enum tars_load_socket_error e);

#define TARS_LOAD_FAILURE_KINDS 32

/* One distinct failure, for the failures table and _failures.csv. */
struct tars_load_failure {
    enum tars_load_error error;
    int status; /* for TARS_LOAD_ERR_STATUS, else 0 */
    uint64_t count;
};

struct tars_load_task_result {
    char name[128];                /* a step's: "journey/step" */
    enum tars_load_task_kind kind; /* a journey's row: requests are iterations, failures
                                    failed iterations, latency whole journeys; left out of total */
    char method[16];
    char path[256];
    uint64_t requests; /* answered or failed */
    uint64_t failures;
    uint64_t errors[TARS_LOAD_ERR_COUNT];
    uint64_t socket_errors[TARS_LOAD_SOCK_COUNT]; /* the same failures, by wrk's kinds */
    struct tars_load_failure failure_kinds[TARS_LOAD_FAILURE_KINDS];
    size_t failure_kind_count;
    uint64_t bytes_received; /* response bodies */
    uint64_t bytes_read;     /* every byte read from the socket for it, headers included (wrk) */
    uint64_t statuses[6];    /* complete responses by status class: [2] 2xx ... [5] 5xx,
                                [1] 1xx, [0] any other status */
    /* Every complete response is timed whatever its status (as wrk and Locust
     * do); a request that got no response (refused, reset, timeout, ...) is not. */
    tars_hist *latency;     /* all responses; open: from the intended time; closed: as measured */
    tars_hist *latency_raw; /* all responses, from the actual send */
    tars_hist *latency_ok;  /* the successful responses only, as latency */
};

/* One second of the run, for live output and _stats_history.csv. */
struct tars_load_second {
    int64_t at_ms; /* wall clock at the end of the second */
    int64_t users; /* closed: active users; open: connections busy */
    uint64_t requests;
    uint64_t failures;
    uint64_t p50_ns, p95_ns, p99_ns, max_ns;
    /* For running totals (exact when summed over seconds and threads): the
     * responses timed in the second, their latency sum and minimum, and the
     * body bytes received. */
    uint64_t timed, sum_ns, min_ns, bytes;
    /* Percentiles of every response from the start up to the end of this
     * second (at tars_load_cumulative_pcts, exact across threads); valid only
     * when cumulative is true (not after a merge of results, nor past the
     * first hour). */
    bool cumulative;
    uint64_t cumulative_ns[10];
    /* Percentiles 50 ... 99.99 and 100 of the responses of the last ten seconds up to the end
     * of this one (clipped at the run's start): Locust's "current" percentiles, which its
     * history rows show under --csv-full-history. Valid only when recent is true (a run with
     * task_history; not after a merge, nor past the first hour). */
    bool recent;
    uint64_t recent_ns[11];
};

/* The percentiles of tars_load_second.cumulative_ns: 50 66 75 80 90 95 98
 * 99 99.9 99.99 (Locust's history columns but 100 %). */
extern const double tars_load_cumulative_pcts[10];

/* wrk's "Thread Stats" Req/Sec: over samples of one load thread's requests in one second of
 * the run (every thread, every whole second): mean, population standard deviation, maximum,
 * and the share of samples within one standard deviation of the mean (0..1). */
struct tars_load_rate_stats {
    uint64_t samples;
    double mean, stdev, max, within_stdev;
};

struct tars_load_result {
    char scenario[128];
    enum tars_load_model model;
    int threads;
    int64_t started_at_ms;
    int64_t duration_ms;      /* measured, from the first send to the end */
    int64_t users;            /* closed: peak users */
    double rate;              /* open: target rate */
    bool interrupted;         /* stopped early (SIGINT) */
    bool generator_saturated; /* a load thread used > 90 % CPU */
    double generator_cpu_max; /* the busiest thread, 0..1 */
    double generator_cpu_s;   /* CPU time of all load threads, seconds */
    struct tars_load_task_result *tasks;
    size_t task_count;
    struct tars_load_task_result total; /* all tasks merged */
    struct tars_load_second *history;
    size_t history_count;
    int worker_index, worker_count;
    int merged_from; /* >1 after tars_load_result_merge */
    /* With the scenario's task_history: each task's seconds, second-major (second k of task j
     * at [k * task_count + j]), history_count seconds; their at_ms and users are the run's.
     * NULL otherwise, and after a merge or a read from JSON (the JSON result has none). */
    struct tars_load_second *task_history;
    /* Each load thread's requests (journey rows left out, as in total), thread_count_listed of
     * them (a merge lists every worker's), and their per-second rates. */
    uint64_t *thread_requests;
    size_t thread_count_listed;
    struct tars_load_rate_stats thread_rps;
};

/* wrk's "+/- Stdev" of a latency histogram: the share of its values within one standard
 * deviation of the mean (0..1; 0 when empty), to the histogram's resolution. */
double tars_load_within_stdev(const tars_hist *h);

/* Frees the histograms of every task and total, the task and history
 * arrays (malloc'd), and zeroes r; accepts a zeroed struct. */
void tars_load_result_release(struct tars_load_result *r);

/* Serialisation (schema in docs/load-format.md), exact for histograms.
 * to_json returns a new object (json_decref it), NULL when out of memory.
 * from_json reads strictly (unknown keys, wrong types, missing fields are
 * TARS_EINVAL naming the field); on failure *out is left zeroed. */
struct json_t;
struct json_t *tars_load_result_to_json(const struct tars_load_result *r);
int tars_load_result_from_json(struct json_t *v, struct tars_load_result *out,
                               struct tars_err *err) TARS_MUST_CHECK;
/* Adds from into into: same tasks by name (a task only in from is added),
 * counts summed, histograms merged exactly, histories summed second by
 * second (per-second percentiles: the larger of the two, an upper bound;
 * max exact), duration the longest, started_at the earliest, threads, users
 * and rate summed, merged_from added up (a single run counts as 1).
 * TARS_EINVAL when the models differ, into unchanged; TARS_ETOOBIG when a
 * histogram would overflow, into then partly merged. */
int tars_load_result_merge(struct tars_load_result *into, const struct tars_load_result *from,
                           struct tars_err *err) TARS_MUST_CHECK;
/* The task of r named name (names are unique), or NULL. */
const struct tars_load_task_result *tars_load_result_task(const struct tars_load_result *r,
                                                          const char *name);

/* Evaluates th against r into *out (tars/judge.h): the measured value in
 * th->value's unit and the outcome. No data is never a pass: with no request
 * sent, no timed response (for latencies) or no duration (for rps) the
 * outcome is TARS_JUDGE_NO_DATA, out->measured NaN and out->missing says
 * what was missing. TARS_ENOTFOUND when th names an unknown task. */
int tars_threshold_check(const struct tars_threshold *th, const struct tars_load_result *r,
                         struct tars_judged *out, struct tars_err *err) TARS_MUST_CHECK;
/* The unit of th->value and of measured, as run records name it: "ns",
 * "fraction", "per_second", "count". */
const char *tars_threshold_unit(const struct tars_threshold *th);

/* k6's --summary-export document for r, with th[0..n) judged (docs/load-format.md §7):
 * {"root_group": {...}, "metrics": {"http_reqs": {"count","rate"}, "http_req_duration":
 * {"avg","min","med","max","p(90)","p(95)"} in ms, ...}}. A threshold's entry is k6's
 * boolean "crossed": true unless it passed (a threshold without data is never a pass).
 * NULL when out of memory. */
struct json_t *tars_load_k6_summary(const struct tars_load_result *r,
                                    const struct tars_threshold *th, size_t n);

/* Locust-compatible CSV files PREFIX_stats.csv, PREFIX_stats_history.csv,
 * PREFIX_failures.csv, PREFIX_exceptions.csv (docs/load-format.md §6). */
int tars_load_write_csv(const struct tars_load_result *r, const char *prefix,
                        struct tars_err *err) TARS_MUST_CHECK;

/* ---- the run ---- */

typedef struct tars_load_run tars_load_run;

/* Resolves the target, obtains tokens (auth), starts the threads. */
tars_load_run *tars_load_start(const struct tars_load_scenario *s, struct tars_err *err);
/* Asks the run to stop early (from a signal-handling thread, not a handler). */
void tars_load_stop(tars_load_run *run);
/* Live view: the last completed second, elapsed time, users. Thread-safe. */
void tars_load_progress(tars_load_run *run, struct tars_load_second *last, int64_t *elapsed_ms);
/* True once every load thread has finished (tars_load_wait will not block). */
bool tars_load_done(tars_load_run *run);
/* Waits for the end (duration or stop), merges per-thread results into out. */
int tars_load_wait(tars_load_run *run, struct tars_load_result *out, struct tars_err *err);
void tars_load_free(tars_load_run *run);
/* The live metrics (Prometheus text format, docs/metrics.md) appended to out:
 * each thread's counts as of its last completed second, or final once it
 * stopped. Thread-safe; for a scrape server's thread. TARS_ETOOBIG past
 * out->max. */
struct tars_buf;
int tars_load_metrics_render(tars_load_run *run, struct tars_buf *out) TARS_MUST_CHECK;

#endif
