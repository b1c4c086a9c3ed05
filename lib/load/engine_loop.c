/*
 * One load thread: an epoll loop that owns its connections, schedules sends
 * (closed: users with think time; open: a constant arrival rate), reads
 * responses incrementally and records every outcome. Edge-triggered: each
 * socket is registered once for input and output and drained on each edge.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "load_int.h"
#include "result_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/dassert.h"

#define MAX_EVENTS 256
#define SECOND_NS 1000000000ull
#define RETRY_BACKOFF_NS 100000000ull /* after a failed connect, before trying again */

static void finish(struct load_thread *t, struct load_conn *c, uint64_t now);
static void finish_answered(struct load_thread *t, struct load_conn *c, uint64_t now);
static void step_ended(struct load_thread *t, struct load_conn *c, int e, uint64_t now);

/* ---- closed model: users ordered by their next send ---- */

static bool heap_less(struct load_thread *t, size_t a, size_t b)
{
    return t->conns[t->heap[a]].next_at_ns < t->conns[t->heap[b]].next_at_ns;
}

static void heap_swap(struct load_thread *t, size_t a, size_t b)
{
    size_t x = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = x;
    t->conns[t->heap[a]].heap_pos = a;
    t->conns[t->heap[b]].heap_pos = b;
}

static void heap_push(struct load_thread *t, size_t user, uint64_t at)
{
    size_t i = t->heap_len++;

    t->conns[user].next_at_ns = at;
    t->heap[i] = user;
    t->conns[user].heap_pos = i;
    while (i > 0 && heap_less(t, i, (i - 1) / 2)) {
        heap_swap(t, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static size_t heap_pop(struct load_thread *t)
{
    size_t top = t->heap[0], i = 0;

    t->conns[top].heap_pos = SIZE_MAX;
    t->heap[0] = t->heap[--t->heap_len];
    t->conns[t->heap[0]].heap_pos = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->heap_len && heap_less(t, l, m))
            m = l;
        if (r < t->heap_len && heap_less(t, r, m))
            m = r;
        if (m == i)
            break;
        heap_swap(t, i, m);
        i = m;
    }
    return top;
}

/* ---- accounting ---- */

static struct tars_load_task_result *task_result(struct load_thread *t, size_t task)
{
    return &t->acc[task].r;
}

/* A request that got no response (error e, status 0, or a status for
 * TARS_LOAD_ERR_STATUS) is counted, not timed. */
static void load_record_failure(struct load_thread *t, size_t task, enum tars_load_error e,
                                int status)
{
    struct tars_load_task_result *r = task_result(t, task);

    r->requests++;
    r->failures++;
    r->errors[e]++;
    result_failure_add(r, e, status, 1);
    t->window_requests++;
    t->window_failures++;
}

/* A complete response on c: timed and counted by status class whatever its
 * status; error < 0 when it met the task's expectations (then also timed in
 * latency_ok), else the enum tars_load_error it failed. */
static void load_record_response(struct load_thread *t, struct load_conn *c, uint64_t now,
                                 int status, int error, uint64_t bytes)
{
    struct tars_load_task_result *r = task_result(t, c->task);
    uint64_t corrected = now - c->intended_ns, raw = now - c->sent_ns;

    if (error >= 0) {
        load_record_failure(t, c->task, (enum tars_load_error)error, status);
    } else {
        r->requests++;
        t->window_requests++;
        tars_hist_record(r->latency_ok, corrected);
    }
    r->statuses[status >= 100 && status < 600 ? status / 100 : 0]++;
    r->bytes_received += bytes;
    t->window_bytes += bytes;
    tars_hist_record(r->latency, corrected);
    tars_hist_record(r->latency_raw, raw);
    tars_hist_record(t->task_window ? t->task_window[c->task] : t->window, corrected);
}

/* ---- connections ---- */

static void conn_close(struct load_thread *t, struct load_conn *c)
{
    (void)t;
    tars_net_close(&c->net); /* closing the fd also removes it from epoll */
    c->connected = false;
    tars_http_parser_reset(c->parser);
}

static enum tars_load_error error_of_kind(int kind)
{
    switch (kind) {
    case TARS_NET_REFUSED: return TARS_LOAD_ERR_REFUSED;
    case TARS_NET_TIMEOUT: return TARS_LOAD_ERR_TIMEOUT;
    case TARS_NET_RESET: return TARS_LOAD_ERR_RESET;
    case TARS_NET_TLS: return TARS_LOAD_ERR_TLS;
    default: return TARS_LOAD_ERR_IO;
    }
}

/* wrk's kind of failure e on c: a timeout, else the phase c was in. */
static enum tars_load_socket_error socket_error_of(const struct load_conn *c,
                                                   enum tars_load_error e)
{
    if (e == TARS_LOAD_ERR_TIMEOUT)
        return TARS_LOAD_SOCK_TIMEOUT;
    if (!c->connected || c->state == CONN_CONNECTING)
        return TARS_LOAD_SOCK_CONNECT;
    return c->state == CONN_WRITING ? TARS_LOAD_SOCK_WRITE : TARS_LOAD_SOCK_READ;
}

/* Fails the request in flight on c and closes the connection. */
static void fail(struct load_thread *t, struct load_conn *c, enum tars_load_error e, int status,
                 uint64_t now)
{
    load_record_failure(t, c->task, e, status);
    task_result(t, c->task)->socket_errors[socket_error_of(c, e)]++;
    conn_close(t, c);
    c->state = CONN_IDLE;
    step_ended(t, c, (int)e, now);
    finish(t, c, now + (e == TARS_LOAD_ERR_REFUSED ? RETRY_BACKOFF_NS : 0));
}

static int conn_open(struct load_thread *t, struct load_conn *c)
{
    struct epoll_event ev;
    int rc = tars_net_connect(&c->net, &t->run->target, NULL);

    if (rc != TARS_AGAIN && rc != TARS_OK)
        return rc;
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ev.data.ptr = c;
    c->watching_output = true; /* until the connect completes */
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, c->net.fd, &ev) != 0) {
        c->net.kind = TARS_NET_IO;
        tars_net_close(&c->net);
        return TARS_EIO;
    }
    return TARS_OK;
}

/* After the connect, only input wakes us; output is watched again only while
 * a write is blocked (ack-driven output edges would otherwise wake the loop
 * once per request for nothing). */
static void watch_output(struct load_thread *t, struct load_conn *c, bool on)
{
    struct epoll_event ev;

    if (c->watching_output == on)
        return;
    ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP | (on ? EPOLLOUT : 0);
    ev.data.ptr = c;
    if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, c->net.fd, &ev) == 0)
        c->watching_output = on;
}

static const char *request_bytes(struct load_thread *t, struct load_conn *c, size_t *len)
{
    const struct tars_buf *constant = &t->run->constant_requests[c->task];

    if (constant->len) {
        *len = constant->len;
        return constant->data;
    }
    *len = c->wbuf.len;
    return c->wbuf.data;
}

static void try_write(struct load_thread *t, struct load_conn *c, uint64_t now)
{
    size_t len, sent;
    const char *bytes;

    TARS_DASSERT(c->state == CONN_WRITING && c->connected);
    bytes = request_bytes(t, c, &len);
    TARS_DASSERT(c->wpos <= len);
    while (c->wpos < len) {
        int rc = tars_net_write(&c->net, bytes + c->wpos, len - c->wpos, &sent, NULL);
        if (rc == TARS_AGAIN) {
            watch_output(t, c, true);
            return;
        }
        if (rc) {
            fail(t, c, error_of_kind(c->net.kind), 0, now);
            return;
        }
        c->wpos += sent;
    }
    watch_output(t, c, false);
    c->state = CONN_READING;
}

/* A journey's step ended with e (< 0: success): the user's next step, or
 * the end of the iteration (its row recorded). */
static void step_ended(struct load_thread *t, struct load_conn *c, int e, uint64_t now)
{
    if (c->user && c->user->journey != LOAD_NONE)
        load_journey_next(t, c->user, e, now);
}

/* What c sends next: its journey's next step, or a task picked by weight
 * (a journey: its first step); LOAD_NONE when a journey ran no step. */
static size_t next_task(struct load_thread *t, struct load_conn *c, uint64_t now)
{
    size_t task;

    if (c->user && c->user->journey != LOAD_NONE)
        return c->user->step;
    if (t->run->login_per_user && !c->user->auth_header)
        return t->run->login_task; /* a user's first request: its own login */
    task = load_pick_task(t);
    if (t->run->s->tasks[task].kind == TARS_LOAD_TASK_JOURNEY)
        return load_journey_begin(t, c->user, task, now);
    return task;
}

/* Sends a new request on c (intended at the given time). */
static void start_request(struct load_thread *t, struct load_conn *c, uint64_t intended,
                          uint64_t now)
{
    size_t task = next_task(t, c, now);
    int rc;

    c->intended_ns = intended;
    c->sent_ns = now;
    c->deadline_ns = now + (uint64_t)t->run->s->timeout_ms * 1000000u;
    if (task == LOAD_NONE) {
        finish(t, c, now);
        return;
    }
    if ((rc = load_build_request(t, c, task))) {
        /* an unset variable (or one a header cannot carry): nothing is sent */
        enum tars_load_error e =
            rc == TARS_ENOTFOUND || rc == TARS_EINVAL ? TARS_LOAD_ERR_MISSING : TARS_LOAD_ERR_IO;
        c->task = task;
        load_record_failure(t, task, e, 0);
        step_ended(t, c, (int)e, now);
        finish(t, c, now);
        return;
    }
    if (!c->connected) {
        if (conn_open(t, c)) {
            fail(t, c, error_of_kind(c->net.kind), 0, now);
            return;
        }
        c->state = CONN_CONNECTING;
        return; /* the writable edge finishes the connect */
    }
    c->state = CONN_WRITING;
    try_write(t, c, now);
}

static void on_connect_progress(struct load_thread *t, struct load_conn *c, uint64_t now)
{
    int rc;

    TARS_DASSERT(c->state == CONN_CONNECTING && !c->connected);
    rc = tars_net_handshake(&c->net, NULL);
    if (rc == TARS_AGAIN)
        return;
    if (rc) {
        fail(t, c, error_of_kind(c->net.kind), 0, now);
        return;
    }
    c->connected = true;
    c->state = CONN_WRITING;
    try_write(t, c, now);
}

/* A user's login answered: its token kept, or a failure (tried again a
 * second later: a refused login must not turn into a tight loop). */
static void on_login_response(struct load_thread *t, struct load_conn *c, uint64_t now,
                              const struct tars_http_response *res)
{
    int status = 0, e = load_user_login(c->user, res, &status);

    load_record_response(t, c, now, status, e, res->body_bytes);
    if (!res->keep_alive)
        conn_close(t, c);
    tars_http_parser_reset(c->parser);
    c->state = CONN_IDLE;
    if (e >= 0)
        finish(t, c, now + SECOND_NS);
    else
        finish_answered(t, c, now);
}

static void on_response(struct load_thread *t, struct load_conn *c, uint64_t now)
{
    const struct tars_http_response *res = tars_http_parser_response(c->parser);
    const struct tars_load_task *task;
    struct load_body body;
    int status = 0, e;

    TARS_DASSERT(c->state == CONN_READING);
    if (t->run->login_per_user && c->task == t->run->login_task) {
        on_login_response(t, c, now, res);
        return;
    }
    task = &t->run->s->tasks[c->task];
    load_body_init(&body, res);
    e = load_check_response(task, &body, &status);
    if (e < 0 && task->extract_count && c->user)
        e = load_extract(task, &body, c->user);
    load_body_release(&body);
    load_record_response(t, c, now, status, e, res->body_bytes);
    step_ended(t, c, e, now);
    if (!res->keep_alive)
        conn_close(t, c);
    tars_http_parser_reset(c->parser);
    c->state = CONN_IDLE;
    finish_answered(t, c, now);
}

/* Drains the socket; returns after a complete response or would-block. */
static void on_readable(struct load_thread *t, struct load_conn *c, uint64_t now)
{
    TARS_DASSERT(c->state == CONN_READING);
    for (;;) {
        size_t got = 0, used = 0;
        int rc = tars_net_read(&c->net, t->readbuf, sizeof(t->readbuf), &got, NULL);
        if (rc == TARS_AGAIN)
            return;
        if (rc) {
            fail(t, c, error_of_kind(c->net.kind), 0, now);
            return;
        }
        t->acc[c->task].r.bytes_read += got;
        if (got == 0) {
            if (tars_http_parser_eof(c->parser, NULL) == TARS_OK)
                on_response(t, c, now);
            else
                fail(t, c, TARS_LOAD_ERR_RESET, 0, now);
            return;
        }
        rc = tars_http_parser_feed(c->parser, t->readbuf, got, &used, NULL);
        if (rc == TARS_AGAIN)
            continue;
        if (rc || used != got) { /* garbage, or bytes nobody asked for */
            fail(t, c, TARS_LOAD_ERR_PARSE, 0, now);
            return;
        }
        on_response(t, c, now);
        return;
    }
}

/* An idle keep-alive connection the server closed: reconnect lazily. */
static void on_idle_event(struct load_thread *t, struct load_conn *c, uint32_t events)
{
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        conn_close(t, c);
}

static void on_event(struct load_thread *t, struct load_conn *c, uint32_t events, uint64_t now)
{
    switch (c->state) {
    case CONN_CONNECTING: on_connect_progress(t, c, now); break;
    case CONN_WRITING:
        try_write(t, c, now);
        if (c->state == CONN_READING && (events & EPOLLIN))
            on_readable(t, c, now);
        break;
    case CONN_READING:
        /* Output edges arrive whenever sent data is acknowledged: reading
         * then would only cost a recv that returns EAGAIN. */
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            on_readable(t, c, now);
        break;
    default: on_idle_event(t, c, events); break;
    }
}

/* ---- scheduling ---- */

/* The target (users or requests/s) at elapsed time, for this thread. */
static double target_at(struct load_thread *t, uint64_t elapsed_ns)
{
    const struct tars_load_scenario *s = t->run->s;
    double from = 0, elapsed_ms = (double)elapsed_ns / 1e6;

    if (s->stage_count == 0)
        return t->share * (s->model == TARS_LOAD_OPEN ? s->rate : (double)s->users);
    for (size_t i = 0; i < s->stage_count; i++) {
        double d = (double)s->stages[i].duration_ms;
        if (elapsed_ms < d)
            return t->share * (from + (s->stages[i].target - from) * (d > 0 ? elapsed_ms / d : 1));
        elapsed_ms -= d;
        from = s->stages[i].target;
    }
    return t->share * from;
}

static uint64_t think_ns(struct load_thread *t)
{
    const struct tars_load_scenario *s = t->run->s;
    uint64_t lo = (uint64_t)s->think_min_ms, hi = (uint64_t)s->think_max_ms;

    if (hi <= lo)
        return lo * 1000000u;
    return (lo + load_rng_next(t->rng) % (hi - lo + 1)) * 1000000u;
}

/* The pause before c's next request: its journey step's think time while
 * an iteration runs, else the scenario's think time. */
static uint64_t pause_ns(struct load_thread *t, struct load_conn *c)
{
    if (c->user && c->user->journey != LOAD_NONE)
        return c->user->pause_ns;
    return think_ns(t);
}

/* After a request on c ended: closed users think and go again (or stop when
 * above the target); open connections return to the pool. */
static void finish(struct load_thread *t, struct load_conn *c, uint64_t now)
{
    size_t id = (size_t)(c - t->conns);

    if (t->run->s->model == TARS_LOAD_OPEN) {
        t->idle[t->idle_len++] = id;
        return;
    }
    if ((double)t->active_users > target_at(t, now - t->start_ns) + 0.5) {
        c->state = CONN_STOPPED;
        t->active_users--;
        conn_close(t, c);
        if (c->user)
            c->user->journey = LOAD_NONE; /* an unfinished iteration is not counted */
        return;
    }
    heap_push(t, id, now + pause_ns(t, c));
}

/* After an answer: a closed-model user without think time goes again at
 * once, as wrk does; waiting for the end of the event batch would leave the
 * server idle in between. (Failures go through finish: a refused connect
 * must not turn into a tight loop.) */
static void finish_answered(struct load_thread *t, struct load_conn *c, uint64_t now)
{
    const struct tars_load_scenario *s = t->run->s;

    bool no_pause =
        c->user && c->user->journey != LOAD_NONE ? c->user->pause_ns == 0 : s->think_max_ms == 0;

    if (s->model == TARS_LOAD_CLOSED && no_pause && now < t->end_ns &&
        !atomic_load_explicit(&t->run->stop, memory_order_relaxed) &&
        (double)t->active_users <= target_at(t, now - t->start_ns) + 0.5) {
        start_request(t, c, now, now);
        return;
    }
    finish(t, c, now);
}

/* Closed model: start users up to the target, spawn-rate limited. */
static void adjust_users(struct load_thread *t, uint64_t now)
{
    const struct tars_load_scenario *s = t->run->s;
    double want = target_at(t, now - t->start_ns);
    double spawn = s->spawn_rate > 0 ? s->spawn_rate * t->share : 0;
    double allowed = spawn > 0 ? spawn * (double)(now - t->start_ns) / 1e9 + 1 : want;

    if (allowed < want)
        want = allowed;
    for (size_t i = 0; i < t->conn_count && (double)t->active_users + 0.5 < want; i++) {
        struct load_conn *c = &t->conns[i];
        if (c->state != CONN_STOPPED)
            continue;
        c->state = CONN_IDLE;
        t->active_users++;
        heap_push(t, i, now);
    }
}

static void dispatch_closed(struct load_thread *t, uint64_t now)
{
    while (t->heap_len > 0 && t->conns[t->heap[0]].next_at_ns <= now) {
        struct load_conn *c = &t->conns[heap_pop(t)];
        start_request(t, c, now, now);
    }
}

static void dispatch_open(struct load_thread *t, uint64_t now)
{
    while (t->next_intended_ns <= now && t->idle_len > 0) {
        struct load_conn *c = &t->conns[t->idle[--t->idle_len]];
        double rate = target_at(t, t->next_intended_ns - t->start_ns);
        uint64_t intended = t->next_intended_ns;

        t->next_intended_ns += rate > 0 ? (uint64_t)(1e9 / rate) : SECOND_NS / 10;
        if (rate > 0)
            start_request(t, c, intended, now);
        else
            t->idle[t->idle_len++] = (size_t)(c - t->conns);
    }
}

static void scan_timeouts(struct load_thread *t, uint64_t now)
{
    for (size_t i = 0; i < t->conn_count; i++) {
        struct load_conn *c = &t->conns[i];
        if ((c->state == CONN_CONNECTING || c->state == CONN_WRITING || c->state == CONN_READING) &&
            c->deadline_ns <= now)
            fail(t, c, TARS_LOAD_ERR_TIMEOUT, 0, now);
    }
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * SECOND_NS + (uint64_t)ts.tv_nsec;
}

/* task_history: each task's second (its counts since the last close, its window) kept, and
 * its window merged into the thread's, which then holds every task's but the journeys' (their
 * rows are left out of the total). */
static void close_task_seconds(struct load_thread *t)
{
    size_t rows = load_rows(t->run), k = t->history_count;

    for (size_t j = 0; j < rows; j++) {
        const struct tars_load_task_result *r = &t->acc[j].r;
        struct load_task_second *prev = &t->task_prev[j];
        if (k < t->task_second_cap) {
            struct load_task_second *ts = &t->task_seconds[k * rows + j];
            ts->requests = r->requests - prev->requests;
            ts->failures = r->failures - prev->failures;
            ts->bytes = r->bytes_received - prev->bytes;
            if (tars_hist_count(t->task_window[j]))
                ts->window = tars_hist_pack(t->task_window[j]);
        }
        prev->requests = r->requests;
        prev->failures = r->failures;
        prev->bytes = r->bytes_received;
        bool in_total =
            j >= t->run->s->task_count || t->run->s->tasks[j].kind != TARS_LOAD_TASK_JOURNEY;
        int full = in_total ? tars_hist_merge(t->window, t->task_window[j], NULL) : 0;
        (void)full; /* a second holds far fewer than TARS_HIST_MAX_COUNT values */
        tars_hist_reset(t->task_window[j]);
    }
}

/* Closes the current second: history, live view, CPU use. Its wall clock is that of its end in
 * the run (the scheduled end, or now for a last second cut short), not of the moment it is
 * closed: a loop held up past a second's end closes it late and the next one at once, and two
 * seconds must not carry the same time. */
static void close_second(struct load_thread *t, uint64_t now)
{
    struct tars_load_second sec;
    uint64_t cpu = thread_cpu_ns(), wall = now - t->wall_second_start_ns;
    uint64_t end = t->next_second_ns < now ? t->next_second_ns : now;
    double busy = wall ? (double)(cpu - t->cpu_second_start_ns) / (double)wall : 0;

    if (t->task_window)
        close_task_seconds(t);
    memset(&sec, 0, sizeof(sec));
    sec.at_ms = t->run->started_at_ms + (int64_t)((end - t->start_ns) / 1000000u);
    sec.users = t->run->s->model == TARS_LOAD_OPEN ? (int64_t)(t->conn_count - t->idle_len)
                                                   : (int64_t)t->active_users;
    sec.requests = t->window_requests;
    sec.failures = t->window_failures;
    sec.p50_ns = tars_hist_percentile(t->window, 50);
    sec.p95_ns = tars_hist_percentile(t->window, 95);
    sec.p99_ns = tars_hist_percentile(t->window, 99);
    sec.max_ns = tars_hist_max(t->window);
    sec.timed = tars_hist_count(t->window);
    sec.min_ns = sec.timed ? tars_hist_min(t->window) : 0;
    sec.sum_ns = (uint64_t)(tars_hist_mean(t->window) * (double)sec.timed + 0.5);
    sec.bytes = t->window_bytes;
    if (t->history_count < LOAD_MAX_WINDOWS && tars_hist_count(t->window))
        t->windows[t->history_count] = tars_hist_pack(t->window);
    if (t->history_count < LOAD_MAX_HISTORY)
        t->history[t->history_count++] = sec;
    pthread_mutex_lock(&t->live.lock);
    t->live.last = sec;
    pthread_mutex_unlock(&t->live.lock);
    load_metrics_publish(t, false);
    tars_hist_reset(t->window);
    t->window_requests = t->window_failures = t->window_bytes = 0;
    if (busy > t->cpu_max && wall > SECOND_NS / 2)
        t->cpu_max = busy;
    t->cpu_second_start_ns = cpu;
    t->wall_second_start_ns = now;
    t->next_second_ns += SECOND_NS;
}

static int wait_ms(struct load_thread *t, uint64_t now)
{
    uint64_t next = t->next_second_ns < t->end_ns ? t->next_second_ns : t->end_ns;

    if (t->next_scan_ns < next)
        next = t->next_scan_ns;
    if (t->heap_len > 0 && t->conns[t->heap[0]].next_at_ns < next)
        next = t->conns[t->heap[0]].next_at_ns;
    if (t->run->s->model == TARS_LOAD_OPEN && t->idle_len > 0 && t->next_intended_ns < next)
        next = t->next_intended_ns;
    if (next <= now)
        return 0;
    return (int)((next - now + 999999) / 1000000);
}

static void run_loop(struct load_thread *t)
{
    struct epoll_event events[MAX_EVENTS];
    uint64_t now = tars_mono_ns();

    while (now < t->end_ns && !atomic_load_explicit(&t->run->stop, memory_order_relaxed)) {
        if (t->run->s->model == TARS_LOAD_OPEN)
            dispatch_open(t, now);
        else
            dispatch_closed(t, now);
        int n = epoll_wait(t->epfd, events, MAX_EVENTS, wait_ms(t, now));
        now = tars_mono_ns();
        for (int i = 0; i < n; i++)
            on_event(t, events[i].data.ptr, events[i].events, now);
        if (now >= t->next_scan_ns) {
            scan_timeouts(t, now);
            if (t->run->s->model == TARS_LOAD_CLOSED)
                adjust_users(t, now);
            t->next_scan_ns = now + 10000000u;
        }
        if (now >= t->next_second_ns)
            close_second(t, now);
    }
    if (t->window_requests > 0)
        close_second(t, now);
    load_metrics_publish(t, true);
    t->stopped_ns = now;
    t->cpu_total_ns = thread_cpu_ns();
}

/* ---- set-up and tear-down ---- */

static int thread_setup(struct load_thread *t)
{
    const struct tars_load_scenario *s = t->run->s;
    struct tars_http_parser_opts popts = {0, t->run->keep_bodies ? LOAD_KEEP_BODY : 0};

    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epfd < 0)
        return TARS_EIO;
    t->conns = xcalloc(t->conn_count ? t->conn_count : 1, sizeof(*t->conns));
    t->heap = xcalloc(t->conn_count ? t->conn_count : 1, sizeof(*t->heap));
    t->idle = xcalloc(t->conn_count ? t->conn_count : 1, sizeof(*t->idle));
    for (size_t i = 0; i < t->conn_count; i++) {
        struct load_conn *c = &t->conns[i];
        tars_net_conn_init(&c->net);
        tars_buf_init(&c->wbuf, LOAD_MAX_REQUEST);
        c->heap_pos = SIZE_MAX;
        c->state = s->model == TARS_LOAD_OPEN ? CONN_IDLE : CONN_STOPPED;
        if (tars_http_parser_new(&c->parser, &popts, NULL))
            return TARS_EIO;
        if (s->model == TARS_LOAD_OPEN)
            t->idle[t->idle_len++] = t->conn_count - 1 - i;
    }
    if ((t->run->journeys || t->run->login_per_user) && s->model == TARS_LOAD_CLOSED) {
        t->users = xcalloc(t->conn_count ? t->conn_count : 1, sizeof(*t->users));
        for (size_t i = 0; i < t->conn_count; i++) {
            load_user_init(&t->users[i], t->first_user + i, &s->data);
            t->conns[i].user = &t->users[i];
        }
    }
    t->acc = xcalloc(s->task_count + t->run->login_per_user, sizeof(*t->acc));
    for (size_t i = 0; i < s->task_count + t->run->login_per_user; i++) {
        t->acc[i].r.latency = tars_hist_new();
        t->acc[i].r.latency_raw = tars_hist_new();
        t->acc[i].r.latency_ok = tars_hist_new();
    }
    t->window = tars_hist_new();
    if (s->task_history) {
        size_t rows = load_rows(t->run);
        t->task_window = xcalloc(rows, sizeof(*t->task_window));
        for (size_t j = 0; j < rows; j++)
            t->task_window[j] = tars_hist_new();
        t->task_second_cap = (size_t)(s->duration_ms + 999) / 1000 + 1;
        t->task_seconds = xcalloc(rows * t->task_second_cap, sizeof(*t->task_seconds));
        t->task_prev = xcalloc(rows, sizeof(*t->task_prev));
    }
    t->history = xcalloc(LOAD_MAX_HISTORY, sizeof(*t->history));
    t->windows = xcalloc(LOAD_MAX_WINDOWS, sizeof(*t->windows));
    tars_buf_init(&t->scratch, LOAD_MAX_REQUEST);
    tars_fast_random_bytes(t->rng, sizeof(t->rng));
    return TARS_OK;
}

/* Frees the loop's own state; task results stay for the merge. */
static void thread_teardown(struct load_thread *t)
{
    for (size_t i = 0; t->conns && i < t->conn_count; i++) {
        tars_net_close(&t->conns[i].net);
        tars_http_parser_free(t->conns[i].parser);
        tars_buf_release(&t->conns[i].wbuf);
    }
    for (size_t i = 0; t->users && i < t->conn_count; i++)
        load_user_release(&t->users[i]);
    free(t->users);
    t->users = NULL;
    free(t->conns);
    free(t->heap);
    free(t->idle);
    t->conns = NULL;
    t->heap = NULL;
    t->idle = NULL;
    tars_hist_free(t->window);
    t->window = NULL;
    for (size_t j = 0; t->task_window && j < load_rows(t->run); j++)
        tars_hist_free(t->task_window[j]);
    free(t->task_window);
    t->task_window = NULL;
    tars_buf_release(&t->scratch);
    if (t->epfd >= 0)
        close(t->epfd);
    t->epfd = -1;
}

void *load_thread_main(void *arg)
{
    struct load_thread *t = arg;

    t->setup_rc = thread_setup(t);
    if (t->setup_rc == 0) {
        t->start_ns = t->run->start_ns;
        t->end_ns = t->start_ns + (uint64_t)t->run->duration_ms * 1000000u;
        t->next_second_ns = t->start_ns + SECOND_NS;
        t->next_scan_ns = t->start_ns;
        t->next_intended_ns = t->start_ns;
        t->wall_second_start_ns = t->start_ns;
        t->cpu_second_start_ns = thread_cpu_ns();
        run_loop(t);
    }
    thread_teardown(t);
    atomic_fetch_add(&t->run->threads_done, 1);
    return NULL;
}
