/*
 * One ws-stress connection: its attempts, its single reconnect loop, its
 * forced drops and what it counts. Called only from its thread's loop.
 */
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "stress_internal.h"
#include "tars/str.h"

#define NS_PER_MS 1000000LL
#define EVENTS_PER_TURN 64

static double rand01(struct stress_thread *t)
{
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return (double)(t->rng >> 11) / 9007199254740992.0;
}

static int64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void stress_reason(struct tars_ws_stress_result *r, const char *text)
{
    struct tars_ws_stress_reason *slot = NULL;

    for (int i = 0; i < TARS_WS_STRESS_REASONS; i++) {
        if (r->reasons[i].count && strcmp(r->reasons[i].text, text) == 0) {
            r->reasons[i].count++;
            return;
        }
        if (!slot && !r->reasons[i].count)
            slot = &r->reasons[i];
    }
    if (!slot) {
        slot = &r->reasons[TARS_WS_STRESS_REASONS - 1];
        tars_strlcpy(slot->text, "other reasons", sizeof(slot->text));
    } else {
        tars_strlcpy(slot->text, text, sizeof(slot->text));
    }
    slot->count++;
}

/* ---- sequence window ---- */

void seq_track_start(struct seq_track *t, int64_t base)
{
    memset(t, 0, sizeof(*t));
    t->have_base = true;
    t->base = base;
    t->max_seq = base;
    t->win_base = base + 1;
}

/* Moves the window so that seq fits; bits that leave it are settled. */
static void seq_slide(struct seq_track *t, int64_t seq)
{
    if (seq - t->win_base >= 2 * SEQ_WINDOW) {
        memset(t->window, 0, sizeof(t->window));
        t->win_base = seq - (SEQ_WINDOW - 64);
        return;
    }
    while (seq >= t->win_base + SEQ_WINDOW) {
        memmove(t->window, t->window + 1, sizeof(t->window) - sizeof(t->window[0]));
        t->window[SEQ_WINDOW_WORDS - 1] = 0;
        t->win_base += 64;
    }
}

int seq_track_add(struct seq_track *t, int64_t seq)
{
    int64_t index;
    uint64_t bit;

    if (!t->have_base)
        return 2;
    if (seq <= t->base || seq < t->win_base) {
        t->duplicated++; /* before our start, or too old to tell: not new */
        return 1;
    }
    seq_slide(t, seq);
    index = seq - t->win_base;
    bit = UINT64_C(1) << (index & 63);
    if (t->window[index >> 6] & bit) {
        t->duplicated++;
        return 1;
    }
    t->window[index >> 6] |= bit;
    t->distinct++;
    if (seq < t->max_seq)
        t->out_of_order++;
    else
        t->max_seq = seq;
    return 0;
}

int64_t seq_track_above(const struct seq_track *t, int64_t last)
{
    int64_t n = 0, from = (last > t->base ? last : t->base) + 1, to = t->max_seq;

    /* Nothing at or below base was tracked: a connection that subscribed at
     * seq 13 of a run whose messages all came before it has nothing above 0. */
    if (!t->have_base || last >= t->max_seq || from > to)
        return 0;
    if (from < t->win_base) {
        n += t->win_base - from;
        from = t->win_base;
    }
    for (int64_t seq = from; seq <= to && seq < t->win_base + SEQ_WINDOW; seq++) {
        int64_t index = seq - t->win_base;
        n += (t->window[index >> 6] >> (index & 63)) & 1;
    }
    return n;
}

/* ---- socket bookkeeping ---- */

static void set_events(struct stress_thread *t, struct sconn *c)
{
    int wants = tars_ws_conn_wants(c->ws);
    struct epoll_event ev = {0};

    ev.events = ((wants & TARS_NET_WAIT_READ) ? EPOLLIN : 0) |
                ((wants & TARS_NET_WAIT_WRITE) ? EPOLLOUT : 0);
    if ((int)ev.events == c->events)
        return;
    ev.data.ptr = c;
    epoll_ctl(t->epoll_fd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, tars_ws_conn_fd(c->ws), &ev);
    c->events = (int)ev.events;
}

static void drop_ws(struct stress_thread *t, struct sconn *c)
{
    if (c->state == SC_LIVE)
        atomic_fetch_sub(&t->open, 1);
    if (c->ws) {
        if (c->events && tars_ws_conn_fd(c->ws) >= 0)
            epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, tars_ws_conn_fd(c->ws), NULL);
        tars_ws_conn_free(c->ws);
    }
    c->ws = NULL;
    c->events = 0;
}

/* An attempt (connect, upgrade, subscribe) failed. */
static void attempt_failed(struct stress_thread *t, struct sconn *c, const char *why,
                           bool permanent, int64_t now_ns)
{
    int64_t now_ms = now_ns / NS_PER_MS;

    t->r.attempt_failures++;
    stress_reason(&t->r, why);
    drop_ws(t, c);
    if (permanent) {
        tars_ws_reconnect_close(&c->loop);
        c->state = SC_FAILED;
        return;
    }
    if (c->loop.state == TARS_WS_RC_CONNECTING)
        tars_ws_reconnect_failed(&c->loop, now_ms, rand01(t));
    else
        (void)tars_ws_reconnect_request(&c->loop, now_ms, rand01(t));
    c->state = c->loop.state == TARS_WS_RC_WAITING ? SC_WAITING : SC_FAILED;
}

/* A live connection is gone (dropped by us or lost): into the reconnect loop. */
static void connection_lost(struct stress_thread *t, struct sconn *c, int64_t now_ns)
{
    drop_ws(t, c);
    c->lost_ns = now_ns;
    c->reconnecting = true;
    (void)tars_ws_reconnect_request(&c->loop, now_ns / NS_PER_MS, rand01(t));
    c->state = c->loop.state == TARS_WS_RC_WAITING ? SC_WAITING : SC_FAILED;
}

static void failure(struct stress_thread *t, struct sconn *c, const char *why, int close_code,
                    int64_t now_ns)
{
    int status = c->ws ? tars_ws_conn_http_status(c->ws) : 0;
    bool permanent = close_code == 1008 || status == 401 || status == 403;

    if (c->state == SC_LIVE && !permanent) {
        t->r.unexpected_drops++;
        stress_reason(&t->r, why);
        connection_lost(t, c, now_ns);
        return;
    }
    if (c->state == SC_LIVE)
        t->r.unexpected_drops++;
    attempt_failed(t, c, why, permanent, now_ns);
}

void sconn_start(struct stress_thread *t, struct sconn *c, int64_t now_ns)
{
    struct tars_ws_stress *run = t->run;
    struct tars_ws_conn_opts co = {run->authorization, run->protocol,
                                   c->established ? run->reconnect_path : NULL, 0, 0};
    struct tars_err err = TARS_ERR_INIT;

    if (c->state == SC_IDLE)
        t->r.started++;
    t->r.attempts++;
    c->attempt_ns = now_ns;
    c->state = SC_CONNECTING;
    if (tars_ws_conn_open(&c->ws, &run->endpoint, &co, &err) < 0) {
        attempt_failed(t, c, err.msg, false, now_ns);
        return;
    }
    set_events(t, c);
}

/* ---- messages ---- */

static int64_t first_drop(const struct tars_ws_stress *run, const struct sconn *c, int64_t now_ns)
{
    int64_t every = run->o.drop_every_ms * NS_PER_MS;
    int64_t next = run->start_ns + every * c->index / (run->o.connections ? run->o.connections : 1);

    while (next <= now_ns)
        next += every;
    return next;
}

static void on_subscribed(struct stress_thread *t, struct sconn *c,
                          const struct tars_ws_feed_msg *m, int64_t now_ns)
{
    struct tars_ws_stress *run = t->run;
    int64_t ack = m->has_seq ? m->seq : 0, global = atomic_load(&run->global_max_seq);

    if (c->state != SC_SUBSCRIBING)
        return;
    if (!c->established) {
        seq_track_start(&c->seq, ack);
        c->established = true;
        t->r.established++;
        atomic_fetch_add(&t->established, 1);
        tars_hist_record(t->r.connect_time, (uint64_t)(now_ns - c->attempt_ns));
        if (run->o.drop_every_ms > 0)
            c->next_drop_ns = first_drop(run, c, now_ns);
    } else if (c->reconnecting) {
        tars_hist_record(t->r.reconnect_time, (uint64_t)(now_ns - c->lost_ns));
        t->r.reconnects++;
        atomic_fetch_add(&t->reconnects, 1);
        c->reconnecting = false;
    }
    c->live_from = global > ack ? global : ack;
    c->state = SC_LIVE;
    atomic_fetch_add(&t->open, 1);
    tars_ws_reconnect_succeeded(&c->loop);
}

static void raise_global_max(struct tars_ws_stress *run, int64_t seq)
{
    int64_t seen = atomic_load_explicit(&run->global_max_seq, memory_order_relaxed);

    while (seq > seen && !atomic_compare_exchange_weak(&run->global_max_seq, &seen, seq))
        ;
}

static void on_push(struct stress_thread *t, struct sconn *c, const struct tars_ws_feed_msg *m)
{
    const char *channel = t->run->channel;
    int added;

    if (!m->has_seq || m->channel_len != strlen(channel) ||
        memcmp(m->channel, channel, m->channel_len) != 0) {
        t->r.other_messages++;
        return;
    }
    t->r.received++;
    atomic_fetch_add_explicit(&t->received, 1, memory_order_relaxed);
    raise_global_max(t->run, m->seq);
    added = seq_track_add(&c->seq, m->seq);
    if (added == 2)
        t->r.other_messages++;
    if (added != 0)
        return;
    if (c->state != SC_LIVE || m->seq <= c->live_from) {
        t->r.replayed++; /* sent before our (re)subscription was acknowledged */
    } else if (m->has_timestamp) {
        int64_t latency = wall_ns() - (int64_t)(m->timestamp * 1e6);
        tars_hist_record(t->r.latency, latency > 0 ? (uint64_t)latency : 0);
    }
}

/* {"type":"error"} while subscribing: the server refuses the subscription
 * (no token, unknown channel); trying again would not help. */
static void on_error(struct stress_thread *t, struct sconn *c, const struct tars_ws_feed_msg *m)
{
    char why[120];

    if (c->state != SC_SUBSCRIBING) {
        t->r.other_messages++;
        return;
    }
    snprintf(why, sizeof(why), "subscription refused: %.*s",
             (int)(m->text_len > 90 ? 90 : m->text_len), m->text ? m->text : "");
    t->r.attempt_failures++;
    stress_reason(&t->r, why);
    drop_ws(t, c);
    tars_ws_reconnect_close(&c->loop);
    c->state = SC_FAILED;
}

static void keepalive(struct stress_thread *t, struct sconn *c, int64_t now_ns)
{
    static const char ping[] = "{\"type\":\"ping\"}";
    struct tars_err err = TARS_ERR_INIT;

    c->last_send_ns = now_ns;
    if (tars_ws_conn_send(c->ws, TARS_WS_TEXT, ping, sizeof(ping) - 1, &err) < 0)
        failure(t, c, err.msg, 0, now_ns);
}

static void on_message(struct stress_thread *t, struct sconn *c, const struct tars_ws_event *ev,
                       int64_t now_ns)
{
    struct tars_ws_feed_msg m;

    tars_ws_heartbeat_seen(&c->heartbeat, now_ns / NS_PER_MS);
    if (ev->opcode != TARS_WS_TEXT || tars_ws_feed_parse(ev->data, ev->len, &m, NULL)) {
        t->r.other_messages++;
        return;
    }
    switch (m.type) {
    case TARS_WS_FEED_SUBSCRIBED: on_subscribed(t, c, &m, now_ns); break;
    case TARS_WS_FEED_MESSAGE: on_push(t, c, &m); break;
    case TARS_WS_FEED_RESYNC: t->r.resync_required++; break;
    case TARS_WS_FEED_HEARTBEAT: t->r.heartbeats++; break;
    case TARS_WS_FEED_PONG: break; /* our keepalive's answer */
    case TARS_WS_FEED_ERROR: on_error(t, c, &m); break;
    default: t->r.other_messages++; break;
    }
}

static void on_open(struct stress_thread *t, struct sconn *c, int64_t now_ns)
{
    char text[256];
    struct tars_err err = TARS_ERR_INIT;
    size_t n = tars_ws_feed_subscribe(text, sizeof(text), t->run->channel,
                                      c->established ? c->seq.max_seq : -1);

    tars_ws_heartbeat_seen(&c->heartbeat, now_ns / NS_PER_MS);
    c->state = SC_SUBSCRIBING;
    c->last_send_ns = now_ns;
    if (tars_ws_conn_send(c->ws, TARS_WS_TEXT, text, n, &err) < 0)
        failure(t, c, err.msg, 0, now_ns);
}

static void on_close(struct stress_thread *t, struct sconn *c, const struct tars_ws_event *ev,
                     int64_t now_ns)
{
    char why[120];

    if (ev->close_code == 1008)
        snprintf(why, sizeof(why), "closed 1008 by the server (policy: token refused)%s%.50s",
                 ev->len ? ": " : "", ev->data);
    else
        snprintf(why, sizeof(why), "closed %d by the server%s%.50s", ev->close_code,
                 ev->len ? ": " : "", ev->data);
    failure(t, c, why, ev->close_code, now_ns);
}

void sconn_io(struct stress_thread *t, struct sconn *c, int64_t now_ns)
{
    struct tars_ws_event ev;
    struct tars_err err = TARS_ERR_INIT;

    for (int i = 0; c->ws && i < EVENTS_PER_TURN; i++) {
        int rc = tars_ws_conn_next(c->ws, &ev, &err);
        if (rc == TARS_AGAIN)
            break;
        if (rc < 0) {
            failure(t, c, err.msg, 0, now_ns);
            return;
        }
        if (ev.kind == TARS_WS_EV_OPEN)
            on_open(t, c, now_ns);
        else if (ev.kind == TARS_WS_EV_MESSAGE)
            on_message(t, c, &ev, now_ns);
        else if (ev.kind == TARS_WS_EV_CLOSE) {
            on_close(t, c, &ev, now_ns);
            return;
        }
    }
    if (c->ws)
        set_events(t, c);
}

void sconn_timers(struct stress_thread *t, struct sconn *c, int64_t now_ns, bool draining)
{
    const struct tars_ws_stress_opts *o = &t->run->o;
    int64_t now_ms = now_ns / NS_PER_MS;

    switch (c->state) {
    case SC_WAITING:
        if (tars_ws_reconnect_due(&c->loop, now_ms))
            sconn_start(t, c, now_ns);
        break;
    case SC_CONNECTING:
    case SC_SUBSCRIBING:
        if (now_ns - c->attempt_ns > o->connect_timeout_ms * NS_PER_MS)
            failure(t, c, "timed out connecting and subscribing", 0, now_ns);
        break;
    case SC_LIVE:
        if (!draining && o->drop_every_ms > 0 && now_ns >= c->next_drop_ns) {
            c->next_drop_ns += o->drop_every_ms * NS_PER_MS;
            t->r.forced_drops++;
            connection_lost(t, c, now_ns);
        } else if (tars_ws_heartbeat_expired(&c->heartbeat, now_ms)) {
            failure(t, c, "heartbeats missed", 0, now_ns);
        } else if (o->ping_interval_ms > 0 &&
                   now_ns - c->last_send_ns >= o->ping_interval_ms * NS_PER_MS) {
            keepalive(t, c, now_ns);
        }
        break;
    default: break;
    }
}

void sconn_close(struct stress_thread *t, struct sconn *c)
{
    if (c->ws && c->state == SC_LIVE)
        tars_ws_conn_close(c->ws, 1000);
    drop_ws(t, c);
    if (c->state == SC_LIVE)
        c->state = SC_WAITING; /* closed by us: no longer counted as open */
    tars_ws_reconnect_close(&c->loop);
}

void sconn_finish(struct stress_thread *t, struct sconn *c, int64_t final_max)
{
    int64_t expected, distinct, above;

    if (!c->established) {
        if (c->state != SC_IDLE)
            t->r.failed++;
        return;
    }
    expected = final_max > c->seq.base ? final_max - c->seq.base : 0;
    above = seq_track_above(&c->seq, final_max);
    distinct = c->seq.distinct - above;
    t->r.received -= above; /* past the judged window: neither expected nor lost */
    t->r.expected += expected;
    t->r.lost += expected > distinct ? expected - distinct : 0;
    t->r.duplicated += c->seq.duplicated;
    t->r.out_of_order += c->seq.out_of_order;
}
