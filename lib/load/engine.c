/* The run: set-up, threads, progress, and the merge of per-thread results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "load_int.h"
#include "result_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/str.h"

#define DEFAULT_OPEN_CONNECTIONS 64

static int64_t run_duration_ms(const struct tars_load_scenario *s)
{
    int64_t total = 0;

    if (s->stage_count == 0)
        return s->duration_ms;
    for (size_t i = 0; i < s->stage_count; i++)
        total += s->stages[i].duration_ms;
    return total;
}

static double peak_target(const struct tars_load_scenario *s)
{
    double peak = s->model == TARS_LOAD_OPEN ? s->rate : (double)s->users;

    for (size_t i = 0; i < s->stage_count; i++)
        if (s->stages[i].target > peak)
            peak = s->stages[i].target;
    return peak;
}

/* This worker's and then this thread's part of a total count n. */
static size_t split(size_t n, int index, int count)
{
    return n / (size_t)count + ((size_t)index < n % (size_t)count);
}

static void plan_threads(struct tars_load_run *run)
{
    const struct tars_load_scenario *s = run->s;
    int workers = s->worker_count > 0 ? s->worker_count : 1;
    double worker_share = 1.0 / workers;
    size_t peak = (size_t)(peak_target(s) + 0.999), mine, first = 0;

    if (s->model == TARS_LOAD_CLOSED) {
        mine = split(peak, s->worker_index, workers);
        for (int w = 0; w < s->worker_index; w++) /* ${user} is unique over workers */
            first += split(peak, w, workers);
        worker_share = peak ? (double)mine / (double)peak : 0;
    } else {
        mine = split(s->connections > 0 ? (size_t)s->connections : DEFAULT_OPEN_CONNECTIONS,
                     s->worker_index, workers);
    }
    for (int i = 0; i < run->thread_count; i++) {
        struct load_thread *t = &run->threads[i];
        t->run = run;
        t->index = i;
        t->epfd = -1;
        pthread_mutex_init(&t->live.lock, NULL);
        t->live.tasks = xcalloc(s->task_count, sizeof(*t->live.tasks));
        t->conn_count = split(mine, i, run->thread_count);
        t->first_user = first;
        first += t->conn_count;
        if (s->model == TARS_LOAD_CLOSED)
            t->share = mine ? worker_share * (double)t->conn_count / (double)mine : 0;
        else
            t->share = worker_share / run->thread_count;
        if (s->model == TARS_LOAD_OPEN && t->conn_count == 0)
            t->conn_count = 1;
    }
}

static int prepare_target(struct tars_load_run *run, struct tars_err *err)
{
    struct tars_tls_opts opts = {run->s->insecure, NULL};
    int rc = tars_url_parse(&run->url, run->s->base_url, err);

    if (rc == 0)
        rc = tars_url_authority(&run->url, run->authority, sizeof(run->authority));
    if (rc == 0 && run->url.tls)
        rc = tars_tls_new(&run->tls, &opts, err);
    if (rc == 0)
        rc = tars_net_target_init(&run->target, run->url.host, run->url.port, run->tls, err);
    return rc;
}

static void run_free_setup(struct tars_load_run *run)
{
    for (size_t i = 0; run->constant_requests && i < run->s->task_count; i++)
        tars_buf_release(&run->constant_requests[i]);
    for (size_t i = 0; run->request_tails && i < run->s->task_count; i++)
        tars_buf_release(&run->request_tails[i]);
    free(run->constant_requests);
    free(run->request_tails);
    free(run->weights);
    free(run->reads_body);
    if (run->token)
        explicit_bzero(run->token, strlen(run->token));
    if (run->auth_header)
        explicit_bzero(run->auth_header, strlen(run->auth_header));
    free(run->token);
    free(run->auth_header);
    tars_tls_free(run->tls);
}

/* data mode unique: every user of the run (over all workers) has a row of its own. */
static int check_unique_rows(struct tars_load_run *run, struct tars_err *err)
{
    const struct tars_load_data *d = &run->s->data;
    uint64_t users = (uint64_t)(peak_target(run->s) + 0.999); /* all workers' (plan_threads) */

    if (!d->unique || run->s->model != TARS_LOAD_CLOSED || users <= d->row_count)
        return TARS_OK;
    return tars_err_set(err, TARS_EINVAL,
                        "data %s: mode unique gives each user its own row, but %llu users need "
                        "more than its %zu rows",
                        d->file, (unsigned long long)users, d->row_count);
}

tars_load_run *tars_load_start(const struct tars_load_scenario *s, struct tars_err *err)
{
    struct tars_load_run *run = xcalloc(1, sizeof(*run));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    run->s = s;
    if (s->task_count == 0) {
        tars_err_set(err, TARS_EINVAL, "the scenario has no tasks");
        goto fail;
    }
    if (check_unique_rows(run, err) || prepare_target(run, err) || load_login(run, err) ||
        load_prepare_requests(run, err))
        goto fail;
    run->thread_count = s->threads > 0 ? s->threads : (cpus > 0 ? (int)cpus : 1);
    run->duration_ms = run_duration_ms(s);
    run->threads = xcalloc((size_t)run->thread_count, sizeof(*run->threads));
    plan_threads(run);
    /* All threads start together, 5 ms from now; started_at_ms is the wall clock then, so that
     * each second's wall clock follows from its place in the run (close_second). */
    run->started_at_ms = tars_wall_ms() + 5;
    run->start_ns = tars_mono_ns() + 5000000u;
    for (int i = 0; i < run->thread_count; i++)
        if (pthread_create(&run->threads[i].tid, NULL, load_thread_main, &run->threads[i]) != 0) {
            tars_err_set(err, TARS_EIO, "cannot start load thread %d", i);
            atomic_store(&run->stop, true);
            for (int k = i; k < run->thread_count; k++) /* never started: not freed below */
                free(run->threads[k].live.tasks);
            run->thread_count = i;
            tars_load_free(run);
            return NULL;
        }
    return run;
fail:
    run_free_setup(run);
    free(run);
    return NULL;
}

bool tars_load_done(tars_load_run *run)
{
    return atomic_load(&run->threads_done) == run->thread_count;
}

void tars_load_stop(tars_load_run *run)
{
    atomic_store(&run->stop, true);
}

void tars_load_progress(tars_load_run *run, struct tars_load_second *last, int64_t *elapsed_ms)
{
    memset(last, 0, sizeof(*last));
    for (int i = 0; i < run->thread_count; i++) {
        struct load_thread *t = &run->threads[i];
        pthread_mutex_lock(&t->live.lock);
        result_second_merge(last, &t->live.last);
        pthread_mutex_unlock(&t->live.lock);
    }
    *elapsed_ms = (int64_t)((tars_mono_ns() - run->start_ns) / 1000000u);
}

/* ---- results ---- */

static void init_task_result(struct tars_load_task_result *r, const struct tars_load_task *task)
{
    memset(r, 0, sizeof(*r));
    tars_strlcpy(r->name, task ? task->name : "Aggregated", sizeof(r->name));
    tars_strlcpy(r->method, task ? task->method : "", sizeof(r->method));
    tars_strlcpy(r->path, task ? task->path_text : "", sizeof(r->path));
    r->kind = task ? task->kind : TARS_LOAD_TASK_REQUEST;
    r->latency = tars_hist_new();
    r->latency_raw = tars_hist_new();
    r->latency_ok = tars_hist_new();
}

/* Merges the threads' histories second by second (result_second_merge). */
static void merge_history(struct tars_load_run *run, struct tars_load_result *out)
{
    size_t n = 0;

    for (int i = 0; i < run->thread_count; i++)
        if (run->threads[i].history_count > n)
            n = run->threads[i].history_count;
    out->history = xcalloc(n ? n : 1, sizeof(*out->history));
    out->history_count = n;
    for (int i = 0; i < run->thread_count; i++) {
        struct load_thread *t = &run->threads[i];
        for (size_t k = 0; k < t->history_count; k++)
            result_second_merge(&out->history[k], &t->history[k]);
    }
}

/* The percentiles of Locust's "current" figures: the last ten seconds (recent_ns). */
#define RECENT_SECONDS 10
static const double recent_pcts[11] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100};

/* Where one row's windows are: thread t's window of second k in *w (NULL: nothing timed);
 * false when it is missing (not kept, or out of memory). */
typedef bool (*window_of)(const struct load_thread *t, size_t k, size_t row,
                          const tars_hist_packed **w);

static bool total_window(const struct load_thread *t, size_t k, size_t row,
                         const tars_hist_packed **w)
{
    (void)row;
    *w = NULL;
    if (k >= t->history_count || !t->history[k].timed)
        return true; /* nothing timed: no window to add */
    *w = k < LOAD_MAX_WINDOWS ? t->windows[k] : NULL;
    return *w != NULL;
}

static bool task_window(const struct load_thread *t, size_t k, size_t row,
                        const tars_hist_packed **w)
{
    *w = NULL;
    if (k < t->history_count && k < t->task_second_cap)
        *w = t->task_seconds[k * load_rows(t->run) + row].window;
    return true;
}

/* One row's histograms while its seconds are walked: the last RECENT_SECONDS seconds (a
 * ring), their sum, and every second so far. */
struct row_hists {
    tars_hist *ring[RECENT_SECONDS], *recent, *cum;
};

static void row_hists_init(struct row_hists *h)
{
    for (size_t i = 0; i < RECENT_SECONDS; i++)
        h->ring[i] = tars_hist_new();
    h->recent = tars_hist_new();
    h->cum = tars_hist_new();
}

static void row_hists_free(struct row_hists *h)
{
    for (size_t i = 0; i < RECENT_SECONDS; i++)
        tars_hist_free(h->ring[i]);
    tars_hist_free(h->recent);
    tars_hist_free(h->cum);
}

/* Second k of a row: every thread's window merged, exactly, into the ring's slot for k, and
 * added to the running histogram. False when a window is missing. */
static bool row_second(struct tars_load_run *run, window_of window, size_t k, size_t row,
                       struct row_hists *h)
{
    tars_hist *second = h->ring[k % RECENT_SECONDS];
    bool ok = true;

    tars_hist_reset(second);
    for (int i = 0; ok && i < run->thread_count; i++) {
        const tars_hist_packed *w;
        ok = window(&run->threads[i], k, row, &w);
        if (ok && w)
            ok = tars_hist_merge_packed(second, w, NULL) == TARS_OK;
    }
    return ok && tars_hist_merge(h->cum, second, NULL) == TARS_OK;
}

/* Second k's percentiles: of every response so far, and with recent of the seconds k-9..k. */
static void row_percentiles(struct row_hists *h, size_t k, bool recent,
                            struct tars_load_second *sec)
{
    if (tars_hist_count(h->cum)) {
        sec->cumulative = true;
        tars_hist_percentiles(h->cum, tars_load_cumulative_pcts, sec->cumulative_ns, 10);
    }
    if (!recent)
        return;
    tars_hist_reset(h->recent);
    for (size_t i = 0; i < RECENT_SECONDS && i <= k; i++)
        if (tars_hist_merge(h->recent, h->ring[(k - i) % RECENT_SECONDS], NULL))
            return;
    sec->recent = true;
    tars_hist_percentiles(h->recent, recent_pcts, sec->recent_ns, 11);
}

/* The history's percentiles, second by second from every thread's windows. Stops at the first
 * second a window is missing (past LOAD_MAX_WINDOWS, or out of memory): later seconds stay
 * without. */
static void history_percentiles(struct tars_load_run *run, struct tars_load_result *out)
{
    struct row_hists h;

    row_hists_init(&h);
    for (size_t k = 0; k < out->history_count && k < LOAD_MAX_WINDOWS; k++) {
        if (!row_second(run, total_window, k, 0, &h))
            break;
        row_percentiles(&h, k, run->s->task_history, &out->history[k]);
    }
    row_hists_free(&h);
}

/* task_history: task j's second k over the threads: counts summed, the timed figures and
 * percentiles from their windows merged. */
static void task_second(struct tars_load_run *run, struct tars_load_result *out, size_t k, size_t j,
                        struct row_hists *h)
{
    size_t rows = load_rows(run);
    struct tars_load_second *sec = &out->task_history[k * rows + j];
    const tars_hist *w = h->ring[k % RECENT_SECONDS];

    sec->at_ms = out->history[k].at_ms;
    sec->users = out->history[k].users;
    for (int i = 0; i < run->thread_count; i++) {
        const struct load_thread *t = &run->threads[i];
        if (k < t->history_count && k < t->task_second_cap) {
            sec->requests += t->task_seconds[k * rows + j].requests;
            sec->failures += t->task_seconds[k * rows + j].failures;
            sec->bytes += t->task_seconds[k * rows + j].bytes;
        }
    }
    if (!row_second(run, task_window, k, j, h))
        return;
    sec->timed = tars_hist_count(w);
    sec->min_ns = tars_hist_min(w);
    sec->max_ns = tars_hist_max(w);
    sec->sum_ns = (uint64_t)(tars_hist_mean(w) * (double)sec->timed + 0.5);
    row_percentiles(h, k, true, sec);
}

static void task_history(struct tars_load_run *run, struct tars_load_result *out)
{
    size_t rows = load_rows(run), n = out->history_count;
    struct row_hists h;

    out->task_history = xcalloc(n > 0 && rows > 0 ? n * rows : 1, sizeof(*out->task_history));
    row_hists_init(&h);
    for (size_t j = 0; j < rows; j++) {
        tars_hist_reset(h.cum);
        for (size_t k = 0; k < n; k++)
            task_second(run, out, k, j, &h);
    }
    row_hists_free(&h);
}

/* login_per_user: the users' logins, a row after the scenario's tasks. */
static void init_login_result(struct tars_load_task_result *r, const struct tars_load_scenario *s)
{
    struct tars_load_task login = {
        .name = "login", .method = "POST", .path_text = s->auth.token_path};

    init_task_result(r, &login);
}

/* wrk's Thread Stats: each thread's requests, and the rates of its whole seconds (of a run
 * shorter than a second, its one partial second scaled to a second). */
static void thread_stats(struct tars_load_run *run, struct tars_load_result *out)
{
    struct tars_load_rate_stats *st = &out->thread_rps;
    size_t whole = (size_t)(out->duration_ms / 1000), rows = load_rows(run);
    double scale = whole ? 1 : (out->duration_ms > 0 ? 1000.0 / (double)out->duration_ms : 0);
    double sum = 0, sq = 0;
    uint64_t near = 0;

    out->thread_requests = xcalloc((size_t)run->thread_count + 1, sizeof(*out->thread_requests));
    out->thread_count_listed = (size_t)run->thread_count;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < run->thread_count; i++) {
            const struct load_thread *t = &run->threads[i];
            size_t n = whole ? whole : 1;
            for (size_t k = 0; k < n && k < t->history_count; k++) {
                double v = (double)t->history[k].requests * scale;
                if (pass == 0) {
                    st->samples++;
                    sum += v;
                    sq += v * v;
                    st->max = v > st->max ? v : st->max;
                } else if (v >= st->mean - st->stdev && v <= st->mean + st->stdev) {
                    near++;
                }
            }
            for (size_t j = 0; pass == 0 && t->acc && j < rows; j++)
                if (j >= run->s->task_count || run->s->tasks[j].kind != TARS_LOAD_TASK_JOURNEY)
                    out->thread_requests[i] += t->acc[j].r.requests;
        }
        if (pass == 0 && st->samples) {
            st->mean = sum / (double)st->samples;
            st->stdev = sq / (double)st->samples - st->mean * st->mean;
            st->stdev = st->stdev > 0 ? sqrt(st->stdev) : 0;
        }
    }
    st->within_stdev = st->samples ? (double)near / (double)st->samples : 0;
}

static int merge_threads(struct tars_load_run *run, struct tars_load_result *out,
                         struct tars_err *err)
{
    const struct tars_load_scenario *s = run->s;
    size_t rows = s->task_count + run->login_per_user;

    out->task_count = rows;
    out->tasks = xcalloc(rows, sizeof(*out->tasks));
    init_task_result(&out->total, NULL);
    for (size_t k = 0; k < rows; k++) {
        if (k < s->task_count)
            init_task_result(&out->tasks[k], &s->tasks[k]);
        else
            init_login_result(&out->tasks[k], s);
        for (int i = 0; i < run->thread_count; i++)
            if (run->threads[i].acc &&
                result_task_merge(&out->tasks[k], &run->threads[i].acc[k].r, err))
                return TARS_ETOOBIG;
        if (out->tasks[k].kind != TARS_LOAD_TASK_JOURNEY &&
            result_task_merge(&out->total, &out->tasks[k], err))
            return TARS_ETOOBIG; /* a journey's row would count its steps twice */
    }
    merge_history(run, out);
    thread_stats(run, out);
    history_percentiles(run, out);
    if (s->task_history)
        task_history(run, out);
    for (int i = 0; i < run->thread_count; i++) {
        if (run->threads[i].cpu_max > out->generator_cpu_max)
            out->generator_cpu_max = run->threads[i].cpu_max;
        out->generator_cpu_s += (double)run->threads[i].cpu_total_ns / 1e9;
    }
    out->generator_saturated = out->generator_cpu_max > 0.9;
    return TARS_OK;
}

static void fill_header(struct tars_load_run *run, struct tars_load_result *out, uint64_t end_ns)
{
    const struct tars_load_scenario *s = run->s;
    int workers = s->worker_count > 0 ? s->worker_count : 1;

    tars_strlcpy(out->scenario, s->name ? s->name : "", sizeof(out->scenario));
    out->model = s->model;
    out->threads = run->thread_count;
    out->started_at_ms = run->started_at_ms;
    out->duration_ms = load_elapsed_ms(run, end_ns);
    /* this worker's share, as plan_threads gives it, so that merged workers add up to the
     * scenario's figure */
    out->users = s->model == TARS_LOAD_CLOSED
                     ? (int64_t)split((size_t)(peak_target(s) + 0.999), s->worker_index, workers)
                     : 0;
    out->rate = s->model == TARS_LOAD_OPEN ? peak_target(s) / workers : 0;
    out->interrupted = atomic_load(&run->stop);
    out->worker_index = s->worker_index;
    out->worker_count = s->worker_count > 0 ? s->worker_count : 1;
    out->merged_from = 1;
}

int64_t load_elapsed_ms(const struct tars_load_run *run, uint64_t end_ns)
{
    int64_t ms = end_ns > run->start_ns ? (int64_t)((end_ns - run->start_ns) / 1000000u) : 0;

    return ms > run->duration_ms ? run->duration_ms : ms;
}

uint64_t load_last_stop(struct tars_load_run *run)
{
    uint64_t end = run->start_ns;

    for (int i = 0; i < run->thread_count; i++)
        if (run->threads[i].stopped_ns > end)
            end = run->threads[i].stopped_ns;
    return end;
}

int tars_load_wait(tars_load_run *run, struct tars_load_result *out, struct tars_err *err)
{
    int rc = TARS_OK;

    for (int i = 0; i < run->thread_count; i++) {
        pthread_join(run->threads[i].tid, NULL);
        if (run->threads[i].setup_rc && rc == 0)
            rc = tars_err_set(err, TARS_EIO, "load thread %d could not start", i);
    }
    run->thread_count_joined = run->thread_count;
    memset(out, 0, sizeof(*out));
    fill_header(run, out, load_last_stop(run));
    if (rc == 0)
        rc = merge_threads(run, out, err);
    return rc;
}

void tars_load_free(tars_load_run *run)
{
    if (!run)
        return;
    if (run->thread_count_joined < run->thread_count) {
        atomic_store(&run->stop, true);
        for (int i = run->thread_count_joined; i < run->thread_count; i++)
            pthread_join(run->threads[i].tid, NULL);
    }
    for (int i = 0; run->threads && i < run->thread_count; i++) {
        struct load_thread *t = &run->threads[i];
        for (size_t k = 0; t->acc && k < run->s->task_count + run->login_per_user; k++) {
            tars_hist_free(t->acc[k].r.latency);
            tars_hist_free(t->acc[k].r.latency_raw);
            tars_hist_free(t->acc[k].r.latency_ok);
        }
        free(t->acc);
        free(t->history);
        for (size_t k = 0; t->windows && k < LOAD_MAX_WINDOWS; k++)
            tars_hist_packed_free(t->windows[k]);
        free(t->windows);
        for (size_t k = 0; t->task_seconds && k < t->task_second_cap * load_rows(run); k++)
            tars_hist_packed_free(t->task_seconds[k].window);
        free(t->task_seconds);
        free(t->task_prev);
        free(t->live.tasks);
        pthread_mutex_destroy(&t->live.lock);
    }
    free(run->threads);
    run_free_setup(run);
    free(run);
}
