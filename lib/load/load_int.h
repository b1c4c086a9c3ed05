/* Internals of the load engine (engine*.c); not a public header. */
#ifndef TARS_LOAD_INT_H
#define TARS_LOAD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tars/buf.h"
#include "tars/expo.h"
#include "tars/http.h"
#include "tars/load.h"
#include "tars/net.h"
#include "tars/url.h"

#define LOAD_READ_BUF (64 * 1024)
#define LOAD_MAX_REQUEST (1024 * 1024)
#define LOAD_KEEP_BODY (1024 * 1024)
#define LOAD_MAX_HISTORY 86400
/* Seconds whose window histogram is kept (sparse JSON) for the history's
 * cumulative percentiles; later seconds have none. */
#define LOAD_MAX_WINDOWS 3600

enum conn_state {
    CONN_IDLE,       /* no socket, or a socket with nothing in flight */
    CONN_CONNECTING, /* connect/handshake in progress, request waiting */
    CONN_WRITING,
    CONN_READING,
    CONN_STOPPED, /* closed model: a user beyond the current target */
};

struct load_conn {
    struct tars_net_conn net;
    enum conn_state state;
    bool connected;
    bool watching_output; /* EPOLLOUT is in the registered mask */
    tars_http_parser *parser;
    struct tars_buf wbuf; /* the request being written */
    size_t wpos;
    size_t task;            /* the request's task */
    uint64_t intended_ns;   /* when it should have been sent */
    uint64_t sent_ns;       /* when it was sent */
    uint64_t deadline_ns;   /* timeout */
    uint64_t next_at_ns;    /* closed model: when the user sends next */
    size_t heap_pos;        /* position in the thread's timer heap, or SIZE_MAX */
    const char *token;      /* Authorization bearer token or NULL */
    struct load_user *user; /* closed model with journeys: the user's state, else NULL */
};

#define LOAD_NONE SIZE_MAX

/* A virtual user's journey state (engine_journey.c). Its memory is bounded:
 * TARS_LOAD_MAX_VARS slots and at most TARS_LOAD_USER_VALUES bytes of
 * values, allocated as they are extracted. */
struct load_user {
    uint64_t index; /* ${user}: stable for the run, 0-based */
    char index_text[24];
    size_t fixed;           /* slots 1..fixed: the user's data row (the scenario's) */
    const char *const *row; /* its cells, or NULL */
    char *auth_header;      /* login_per_user: "Bearer <its own token>", once logged in */
    struct tars_load_template_value vars[TARS_LOAD_MAX_VARS]; /* data NULL: not set */
    size_t off[TARS_LOAD_MAX_VARS];      /* each set value's offset in values */
    size_t list_off[TARS_LOAD_MAX_VARS]; /* a list: its first item (items NUL-ended) */
    size_t list_count[TARS_LOAD_MAX_VARS];
    bool list_set[TARS_LOAD_MAX_VARS];
    struct tars_buf values;          /* this iteration's values */
    size_t journey;                  /* the running journey's task, or LOAD_NONE */
    size_t step;                     /* the step being sent */
    size_t loop_i, loop_n, loop_pos; /* a loop step: the item, the count, the item's offset */
    bool missing;                    /* the step needs a list no step of this iteration set */
    uint64_t started_ns;             /* the iteration's first send */
    uint64_t paused_ns;              /* think time within the iteration (not journey latency) */
    uint64_t pause_ns;               /* the pause before the next step */
};

/* One task's second on one thread (task_history): its counts, and its window histogram
 * (packed, NULL when nothing was timed). */
struct load_task_second {
    uint64_t requests, failures, bytes;
    tars_hist_packed *window;
};

/* Per-thread, per-task accumulators; merged after join. */
struct load_task_acc {
    struct tars_load_task_result r;
};

/* One task's counts as a thread last published them for the live metrics
 * (metrics.c, docs/metrics.md). */
struct load_task_pub {
    uint64_t requests, failures;
    uint64_t errors[TARS_LOAD_ERR_COUNT];
    struct tars_expo_hist latency;
};

/* What one thread publishes each second (and when it stops) for live
 * progress and the live metrics; read by other threads under lock. */
struct load_live {
    pthread_mutex_t lock;
    struct tars_load_second last;
    int64_t users;               /* closed: active users; open: connections busy */
    struct load_task_pub *tasks; /* one per task, allocated before the thread starts */
};

struct load_thread {
    struct tars_load_run *run;
    int index;
    pthread_t tid;
    int epfd;
    struct load_conn *conns;
    size_t conn_count;   /* closed: users on this thread; open: the pool */
    size_t active_users; /* closed: users started and not stopped */
    size_t *heap;        /* closed model: users ordered by next_at_ns */
    size_t heap_len;
    struct load_task_acc *acc; /* one per task */
    tars_hist *window;         /* latencies of the current second */
    uint64_t window_requests, window_failures, window_bytes;
    struct tars_load_second *history;
    size_t history_count;
    tars_hist_packed **windows; /* the window of each second (packed), up to LOAD_MAX_WINDOWS */
    /* task_history: each task's window of the current second (recorded instead of window, which
     * they are merged into when the second closes), and each task's seconds, second-major, for
     * task_second_cap seconds; task_prev: its counts at the last second's close */
    tars_hist **task_window;
    struct load_task_second *task_seconds;
    size_t task_second_cap;
    struct load_task_second *task_prev;
    uint64_t rng[4];
    uint64_t seq;
    uint64_t first_user;     /* ${user} of this thread's first user */
    struct load_user *users; /* closed model with journeys: one per connection */
    struct tars_buf scratch; /* template rendering */
    /* open model */
    size_t *idle; /* stack of idle connections */
    size_t idle_len;
    uint64_t next_intended_ns; /* the next scheduled send */
    double share;              /* this thread's part of users or rate */
    /* timing */
    uint64_t start_ns, end_ns, next_second_ns, next_scan_ns;
    uint64_t cpu_second_start_ns, wall_second_start_ns;
    double cpu_max;
    uint64_t cpu_total_ns; /* the thread's CPU time when its loop ended */
    int setup_rc;
    uint64_t stopped_ns; /* when the loop ended */
    char readbuf[LOAD_READ_BUF];
    struct load_live live;
};

struct tars_load_run {
    const struct tars_load_scenario *s;
    struct tars_url url;
    char authority[TARS_URL_AUTHORITY_MAX];
    struct tars_net_target target;
    tars_tls *tls;
    char *token;       /* login_once / bearer */
    char *auth_header; /* "Bearer <token>" */
    uint64_t *weights; /* cumulative task weights */
    uint64_t weight_total;
    struct tars_buf *constant_requests; /* per task: pre-rendered, or empty */
    struct tars_buf *request_tails;     /* per task whose path alone varies: what follows the
                                           request line, written once; else empty */
    bool keep_bodies;                   /* some task checks JSON fields or extracts from the body */
    bool *reads_body;                   /* per task: its responses' bodies are kept */
    bool journeys;                      /* the scenario has journeys: users carry state */
    bool login_per_user;                /* each user logs in first (task login_task) */
    size_t login_task;
    struct load_thread *threads;
    int thread_count;
    int thread_count_joined;
    atomic_bool stop;
    atomic_int threads_done;
    int64_t duration_ms; /* the run's length (stages add up) */
    uint64_t start_ns;
    int64_t started_at_ms;
};

/* The rows of a run's task results: the scenario's tasks, then login_per_user's login. */
static inline size_t load_rows(const struct tars_load_run *run)
{
    return run->s->task_count + run->login_per_user;
}

/* engine_auth.c: obtains a token before the run (blocking, bounded). */
int load_login(struct tars_load_run *run, struct tars_err *err);

/* engine.c: when the last thread stopped (start_ns if none has). */
uint64_t load_last_stop(struct tars_load_run *run);
/* The run's length at end_ns, in ms: from the common start, at most the planned duration (the
 * threads' teardown after the deadline is not the load's). The result and the live exposition
 * both say this. */
int64_t load_elapsed_ms(const struct tars_load_run *run, uint64_t end_ns);

/* metrics.c: publishes t's counts for the live metrics (each second and
 * when the loop ends: stopped). Runs on t's own thread. */
void load_metrics_publish(struct load_thread *t, bool stopped);

/* engine_auth.c: login_per_user: the POST of c's user's login into c->wbuf
 * (its row's columns, or the environment's credentials). */
int load_build_login(struct load_thread *t, struct load_conn *c);

/* engine_loop.c: one thread's run. */
void *load_thread_main(void *arg);

/* engine_request.c: pre-renders constant tasks; builds one request for task
 * into c->wbuf (or leaves it empty: send the shared constant copy). */
int load_prepare_requests(struct tars_load_run *run, struct tars_err *err);
int load_build_request(struct load_thread *t, struct load_conn *c, size_t task);
size_t load_pick_task(struct load_thread *t);
/* A response as its checks read its body: each JSON path is answered by
 * scanning the text (tars_json_scan_path: the whole text checked as the tree
 * parse checks it) unless the scan cannot answer; then the body is parsed
 * into a tree once and every later check and extraction of that response
 * reads the same tree. */
struct load_body {
    const struct tars_http_response *res;
    struct json_t *doc; /* the tree, once parsed (NULL also when not JSON) */
    bool parsed;
    bool invalid; /* a scan found the body not JSON: every path is absent */
};
void load_body_init(struct load_body *b, const struct tars_http_response *res);
void load_body_release(struct load_body *b);
/* The body's tree (parsed at the first call), or NULL when it is not JSON. */
struct json_t *load_body_tree(struct load_body *b);
/* True when tars_json_path finds path in the body's tree (without building
 * it when the scan can say). */
bool load_body_has(struct load_body *b, const char *path);
/* Checks a finished response against the task's expectations: -1 when it
 * passes, else the enum tars_load_error that failed (status filled). */
int load_check_response(const struct tars_load_task *task, struct load_body *b, int *status);

/* ---- engine_journey.c ---- */

/* u's state for user index: ${user}, and its row of the scenario's data
 * (round robin, or row index in mode unique: the run checked there are enough). */
void load_user_init(struct load_user *u, uint64_t index, const struct tars_load_data *data);
void load_user_release(struct load_user *u);
/* Starts an iteration of the journey at task index journey: values
 * cleared, the first step to run chosen. The step's index, or LOAD_NONE
 * when every step was skipped (the iteration is then complete). */
size_t load_journey_begin(struct load_thread *t, struct load_user *u, size_t journey, uint64_t now);
/* After the step u->step ended with error e (< 0: success): the next step
 * to send (u->pause_ns set to the step's think time), or LOAD_NONE when the
 * iteration ended; its row is then recorded (a failure with e, or a
 * success timed from the first send minus the pauses). */
size_t load_journey_next(struct load_thread *t, struct load_user *u, int e, uint64_t now);
/* Extracts the step's values from res into u: -1 when every one was
 * found, else TARS_LOAD_ERR_EXTRACT. */
int load_extract(const struct tars_load_task *step, struct load_body *b, struct load_user *u);
/* login_per_user: the user's login response; -1 when it gave a token (kept
 * in u->auth_header), else the error. */
int load_user_login(struct load_user *u, const struct tars_http_response *res, int *status);

/* The header a step extracts (the parser captures it), or NULL. */
const char *load_step_header(const struct tars_load_task *step);

static inline uint64_t load_rng_next(uint64_t s[4])
{
    uint64_t r = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
    return r;
}

#endif
