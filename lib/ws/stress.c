/* The ws-stress engine: threads, ramp, drain, merge (see tars/ws_stress.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "stress_internal.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/crypto.h"

#define NS_PER_MS 1000000LL
#define SCAN_EVERY_NS (10 * NS_PER_MS)
#define MAX_EVENTS 256

static int64_t now_ns(void)
{
    return (int64_t)tars_mono_ns();
}

/* When the ramp starts connection k of thread t. */
static int64_t start_time(const struct stress_thread *t, int64_t k)
{
    const struct tars_ws_stress *run = t->run;
    int64_t index = t->id + k * run->o.threads;

    if (run->o.ramp_rate <= 0)
        return run->start_ns;
    return run->start_ns + (int64_t)((double)index * 1e9 / run->o.ramp_rate);
}

static void ramp(struct stress_thread *t, int64_t now)
{
    while (t->started < t->count && start_time(t, t->started) <= now)
        sconn_start(t, &t->conns[t->started++], now);
}

/* Every established connection is subscribed and has seen global. */
static bool caught_up(const struct stress_thread *t, int64_t global)
{
    for (int64_t i = 0; i < t->started; i++) {
        const struct sconn *c = &t->conns[i];
        if (!c->established || c->state == SC_FAILED)
            continue;
        if (c->state != SC_LIVE || c->seq.max_seq < global)
            return false;
    }
    return true;
}

static void *thread_main(void *arg)
{
    struct stress_thread *t = arg;
    struct tars_ws_stress *run = t->run;
    struct epoll_event events[MAX_EVENTS];
    int64_t last_scan = 0, drain_end = 0;
    bool draining = false;

    while (!atomic_load(&run->stop)) {
        int64_t now = now_ns();
        int n;
        if (!draining && now >= run->end_ns) {
            draining = true;
            drain_end = now + run->o.drain_ms * NS_PER_MS;
        }
        if (!draining)
            ramp(t, now);
        n = epoll_wait(t->epoll_fd, events, MAX_EVENTS, 5);
        now = now_ns();
        for (int i = 0; i < n; i++)
            sconn_io(t, events[i].data.ptr, now);
        if (now - last_scan < SCAN_EVERY_NS)
            continue;
        last_scan = now;
        for (int64_t i = 0; i < t->started; i++)
            sconn_timers(t, &t->conns[i], now, draining);
        if (now - t->published_ns >= 1000 * NS_PER_MS) {
            stress_publish(t);
            t->published_ns = now;
        }
        if (draining) {
            int64_t global = atomic_load(&run->global_max_seq);
            t->r.drained = caught_up(t, global);
            if (t->r.drained || now >= drain_end) {
                t->end_max = global;
                break;
            }
        }
    }
    if (atomic_load(&run->stop)) /* stopped early: count up to what was seen by then */
        t->end_max = atomic_load(&run->global_max_seq);
    for (int64_t i = 0; i < t->started; i++)
        sconn_close(t, &t->conns[i]);
    stress_publish(t);
    t->stopped_ns = now_ns();
    atomic_fetch_add(&run->finished_threads, 1);
    return NULL;
}

static void result_init(struct tars_ws_stress_result *r)
{
    memset(r, 0, sizeof(*r));
    r->connect_time = tars_hist_new();
    r->latency = tars_hist_new();
    r->reconnect_time = tars_hist_new();
}

void tars_ws_stress_result_release(struct tars_ws_stress_result *r)
{
    tars_hist_free(r->connect_time);
    tars_hist_free(r->latency);
    tars_hist_free(r->reconnect_time);
    r->connect_time = r->latency = r->reconnect_time = NULL;
}

static void thread_init(struct tars_ws_stress *s, struct stress_thread *t, int id, int64_t count)
{
    t->run = s;
    t->id = id;
    t->count = count;
    t->conns = xcalloc((size_t)(count ? count : 1), sizeof(*t->conns));
    tars_random_bytes(&t->rng, sizeof(t->rng));
    t->rng |= 1;
    result_init(&t->r);
    pthread_mutex_init(&t->pub_lock, NULL);
    for (int64_t k = 0; k < count; k++) {
        struct sconn *c = &t->conns[k];
        c->index = id + k * s->o.threads;
        c->heartbeat = s->o.heartbeat;
        tars_ws_reconnect_init(&c->loop, &s->o.backoff);
    }
}

static int prepare(struct tars_ws_stress *s, const struct tars_ws_stress_opts *o,
                   struct tars_err *err)
{
    struct tars_ws_endpoint_opts eo = {o->url, o->insecure, NULL};
    char probe[256];
    size_t n;
    int rc;

    if (o->connections < 1 || o->threads < 1 || o->duration_ms <= 0 || !o->channel)
        return tars_err_set(err, TARS_EINVAL, "connections, threads and duration must be positive");
    s->o = *o;
    s->o.threads = o->threads > o->connections ? (int)o->connections : o->threads;
    s->o.connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    s->o.drain_ms = o->drain_ms > 0 ? o->drain_ms : 5000;
    s->channel = xstrdup(o->channel);
    s->authorization = o->authorization ? xstrdup(o->authorization) : NULL;
    s->protocol = o->protocol ? xstrdup(o->protocol) : NULL;
    if (tars_ws_feed_subscribe(probe, sizeof(probe), s->channel, -1) == 0)
        return tars_err_set(err, TARS_EINVAL, "bad channel name \"%.80s\"", o->channel);
    rc = tars_ws_endpoint_init(&s->endpoint, &eo, err);
    if (rc)
        return rc;
    n = strlen(s->endpoint.path) + 16;
    s->reconnect_path = xmalloc(n);
    snprintf(s->reconnect_path, n, "%s%creconnect=1", s->endpoint.path,
             strchr(s->endpoint.path, '?') ? '&' : '?');
    return TARS_OK;
}

tars_ws_stress *tars_ws_stress_start(const struct tars_ws_stress_opts *o, struct tars_err *err)
{
    tars_ws_stress *s = xcalloc(1, sizeof(*s));
    int started = 0;

    if (prepare(s, o, err)) {
        tars_ws_stress_free(s);
        return NULL;
    }
    s->threads = xcalloc((size_t)s->o.threads, sizeof(*s->threads));
    for (int i = 0; i < s->o.threads; i++) {
        int64_t count = s->o.connections / s->o.threads + (i < s->o.connections % s->o.threads);
        thread_init(s, &s->threads[i], i, count);
        s->threads[i].epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    }
    s->start_ns = now_ns();
    s->started_at_ms = tars_wall_ms();
    for (int i = 0; i < s->o.threads; i++)
        s->threads[i].published_ns = s->start_ns;
    s->end_ns = s->start_ns + s->o.duration_ms * NS_PER_MS;
    for (int i = 0; i < s->o.threads; i++) {
        if (s->threads[i].epoll_fd < 0 ||
            pthread_create(&s->threads[i].thread, NULL, thread_main, &s->threads[i]) != 0)
            break;
        started++;
    }
    if (started < s->o.threads) {
        tars_err_set(err, TARS_EIO, "cannot start ws-stress thread %d", started);
        atomic_store(&s->stop, 1);
        for (int i = 0; i < started; i++)
            pthread_join(s->threads[i].thread, NULL);
        s->o.threads = started; /* only these have results to free */
        tars_ws_stress_free(s);
        return NULL;
    }
    return s;
}

void tars_ws_stress_stop(tars_ws_stress *s)
{
    atomic_store(&s->stop, 1);
}

bool tars_ws_stress_done(tars_ws_stress *s)
{
    return atomic_load(&s->finished_threads) == s->o.threads;
}

bool tars_ws_stress_publishing_over(tars_ws_stress *s)
{
    return atomic_load(&s->stop) || now_ns() >= s->end_ns;
}

void tars_ws_stress_progress(tars_ws_stress *s, struct tars_ws_stress_progress *p)
{
    memset(p, 0, sizeof(*p));
    for (int i = 0; i < s->o.threads; i++) {
        struct stress_thread *t = &s->threads[i];
        p->open += atomic_load(&t->open);
        p->established += atomic_load(&t->established);
        p->received += atomic_load(&t->received);
        p->reconnects += atomic_load(&t->reconnects);
    }
    p->elapsed_s = (double)(now_ns() - s->start_ns) / 1e9;
}

static void merge(struct tars_ws_stress_result *into, const struct tars_ws_stress_result *r)
{
    into->started += r->started;
    into->established += r->established;
    into->failed += r->failed;
    into->attempts += r->attempts;
    into->attempt_failures += r->attempt_failures;
    into->expected += r->expected;
    into->received += r->received;
    into->lost += r->lost;
    into->duplicated += r->duplicated;
    into->out_of_order += r->out_of_order;
    into->replayed += r->replayed;
    into->resync_required += r->resync_required;
    into->heartbeats += r->heartbeats;
    into->other_messages += r->other_messages;
    into->forced_drops += r->forced_drops;
    into->unexpected_drops += r->unexpected_drops;
    into->reconnects += r->reconnects;
    into->drained = into->drained && r->drained;
    for (int i = 0; i < TARS_WS_STRESS_REASONS; i++)
        for (int64_t k = 0; k < r->reasons[i].count; k++)
            stress_reason(into, r->reasons[i].text);
    /* per-thread counts cannot reach the histogram's limit of 1.7e13 */
    if (tars_hist_merge(into->connect_time, r->connect_time, NULL) ||
        tars_hist_merge(into->latency, r->latency, NULL) ||
        tars_hist_merge(into->reconnect_time, r->reconnect_time, NULL))
        into->interrupted = true;
}

void tars_ws_stress_wait(tars_ws_stress *s, struct tars_ws_stress_result *r)
{
    int64_t final_max;

    for (int i = 0; i < s->o.threads; i++)
        pthread_join(s->threads[i].thread, NULL);
    /* A server may publish by itself while threads stop one after another:
     * count every connection up to the seq the first thread to stop had. */
    final_max = atomic_load(&s->global_max_seq);
    for (int i = 0; i < s->o.threads; i++)
        if (s->threads[i].end_max < final_max)
            final_max = s->threads[i].end_max;
    result_init(r);
    r->connections = s->o.connections;
    r->drained = true;
    for (int i = 0; i < s->o.threads; i++) {
        struct stress_thread *t = &s->threads[i];
        for (int64_t k = 0; k < t->started; k++)
            sconn_finish(t, &t->conns[k], final_max);
        merge(r, &t->r);
    }
    r->max_seq = final_max;
    r->interrupted = atomic_load(&s->stop) != 0;
    r->elapsed_s = (double)(now_ns() - s->start_ns) / 1e9;
}

void tars_ws_stress_free(tars_ws_stress *s)
{
    if (!s)
        return;
    for (int i = 0; s->threads && i < s->o.threads; i++) {
        if (s->threads[i].epoll_fd >= 0)
            close(s->threads[i].epoll_fd);
        free(s->threads[i].conns);
        tars_ws_stress_result_release(&s->threads[i].r);
        pthread_mutex_destroy(&s->threads[i].pub_lock);
    }
    free(s->threads);
    tars_ws_endpoint_release(&s->endpoint);
    free(s->channel);
    free(s->authorization);
    free(s->protocol);
    free(s->reconnect_path);
    free(s);
}
