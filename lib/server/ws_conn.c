/*
 * WebSocket connections of `tars serve`: one struct ws_conn per upgraded
 * socket, owned by the loop thread that accepted it. Each loop thread is a
 * target of the hub: publishes reach it as h2o_multithread messages and are
 * queued on the subscribed connections of that thread. Messages are handed to
 * wslay as "fragmented" messages read from the shared struct ws_msg, so a
 * queued message costs a pointer, not a copy; messages over wslay's 4 KiB
 * frame buffer go out as continuation frames.
 *
 * Never call h2o_websocket_proceed from inside wslay's message callback (it
 * runs inside h2o_websocket_proceed): replies are only queued there and the
 * running proceed sends them.
 */
#include <stdlib.h>
#include <string.h>

#include <h2o/websocket.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/log.h"

#define WS_CLOSE_GRACE_MS 2000 /* a closing peer has this long to answer */
#define WS_SHUTDOWN_WAIT_NS 3000000000ull
#define WS_MAX_RECV (64 * 1024) /* client messages are small */

struct ws_delivery {
    h2o_multithread_message_t super; /* first */
    struct ws_msg *msg;
};

struct srv_ws_thread {
    struct srv_thread *th;
    h2o_multithread_receiver_t inbox;
    int hub_slot;
    h2o_linklist_t conns;
    h2o_linklist_t subscribers[WS_CH_COUNT];
    h2o_timeout_t heartbeat, idle, closing, metrics;
    h2o_timeout_entry_t metrics_entry;
    bool stopping;
};

struct ws_conn {
    struct srv_ws_thread *wt;
    h2o_websocket_conn_t *ws;
    h2o_linklist_t link;
    h2o_linklist_t sub_link[WS_CH_COUNT];
    uint64_t last_seq[WS_CH_COUNT]; /* the last seq queued per subscribed channel */
    struct ws_msg **queue;          /* refs, in the order they were queued to wslay */
    size_t q_head, q_count, q_cap;
    size_t offset; /* bytes of the head message already read by wslay */
    h2o_timeout_entry_t hb_entry, idle_entry, close_entry;
    bool authenticated, counted, closing, in_callback;
    enum srv_ws_end end;
};

/* The connection whose sub_link[ch] is node. */
static struct ws_conn *subscriber_of(h2o_linklist_t *node, int ch)
{
    return (struct ws_conn *)(void *)((char *)(node - ch) - offsetof(struct ws_conn, sub_link));
}

static struct tars_server *server_of(struct ws_conn *c)
{
    return c->wt->th->srv;
}

/* ---- the send queue ---- */

static void queue_push(struct ws_conn *c, struct ws_msg *m)
{
    if (c->q_count == c->q_cap) {
        size_t cap = c->q_cap ? c->q_cap * 2 : 8;
        struct ws_msg **q = xcalloc(cap, sizeof(*q));
        for (size_t i = 0; i < c->q_count; i++)
            q[i] = c->queue[(c->q_head + i) % c->q_cap];
        free(c->queue);
        c->queue = q;
        c->q_cap = cap;
        c->q_head = 0;
    }
    c->queue[(c->q_head + c->q_count) % c->q_cap] = m;
    c->q_count++;
}

static void queue_release(struct ws_conn *c)
{
    for (size_t i = 0; i < c->q_count; i++)
        ws_msg_unref(c->queue[(c->q_head + i) % c->q_cap]);
    free(c->queue);
    c->queue = NULL;
    c->q_count = c->q_cap = c->q_head = 0;
}

/* wslay pulls the next bytes of a queued message; they come from the head
 * of our queue, which wslay sends in the same order. */
static ssize_t read_queued(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                           const union wslay_event_msg_source *source, int *eof, void *user)
{
    h2o_websocket_conn_t *ws = user;
    struct ws_conn *c = ws->data;
    struct ws_msg *m = source->data;
    size_t n = m->len - c->offset;

    (void)ctx;
    if (n > len)
        n = len;
    memcpy(buf, m->text + c->offset, n);
    c->offset += n;
    if (c->offset == m->len) {
        *eof = 1;
        c->offset = 0;
        if (c->q_count && c->queue[c->q_head] == m) {
            c->q_head = (c->q_head + 1) % c->q_cap;
            c->q_count--;
            ws_msg_unref(m);
        }
        srv_metrics_ws_add(&server_of(c)->metrics.ws_messages_sent, 1);
    }
    return (ssize_t)n;
}

/* Queues m (consumed). False when wslay takes no more (closing). */
static bool conn_queue(struct ws_conn *c, struct ws_msg *m)
{
    struct wslay_event_fragmented_msg fm;

    memset(&fm, 0, sizeof(fm));
    fm.opcode = WSLAY_TEXT_FRAME;
    fm.source.data = m;
    fm.read_callback = read_queued;
    if (wslay_event_queue_fragmented_msg(c->ws->ws_ctx, &fm) != 0) {
        ws_msg_unref(m);
        return false;
    }
    queue_push(c, m);
    return true;
}

static void conn_send_text(struct ws_conn *c, const char *text, size_t len)
{
    conn_queue(c, ws_msg_new(text, len));
}

/* Queues v (consumed) as compact JSON. */
static void conn_send_json(struct ws_conn *c, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

    json_decref(v);
    if (!text)
        return;
    conn_send_text(c, text, strlen(text));
    free(text);
}

static void conn_send_error(struct ws_conn *c, const char *message)
{
    conn_send_json(c, json_pack("{s:s,s:s}", "type", "error", "message", message));
}

/* Sends what is queued; may destroy c (through on_ws_event). */
static void conn_flush(struct ws_conn *c)
{
    if (!c->in_callback && c->ws->sock)
        h2o_websocket_proceed(c->ws);
}

/* ---- life cycle ---- */

static void unsubscribe(struct ws_conn *c, int ch)
{
    if (h2o_linklist_is_linked(&c->sub_link[ch]))
        h2o_linklist_unlink(&c->sub_link[ch]);
}

static void conn_destroy(struct ws_conn *c)
{
    struct srv_metrics *m = &server_of(c)->metrics;

    for (int ch = 0; ch < WS_CH_COUNT; ch++)
        unsubscribe(c, ch);
    h2o_linklist_unlink(&c->link);
    if (h2o_timeout_is_linked(&c->hb_entry))
        h2o_timeout_unlink(&c->hb_entry);
    if (h2o_timeout_is_linked(&c->idle_entry))
        h2o_timeout_unlink(&c->idle_entry);
    if (h2o_timeout_is_linked(&c->close_entry))
        h2o_timeout_unlink(&c->close_entry);
    h2o_websocket_close(c->ws);
    queue_release(c);
    if (c->counted) {
        __atomic_sub_fetch(&m->ws_connections, 1, __ATOMIC_RELAXED);
        srv_metrics_ws_add(&m->ws_disconnections[c->end], 1);
    }
    free(c);
}

/* Starts the closing handshake: the close frame goes before anything still
 * queued; a peer that does not answer within WS_CLOSE_GRACE_MS is cut off. */
static void conn_close(struct ws_conn *c, int code, const char *reason, enum srv_ws_end end)
{
    if (c->closing)
        return;
    c->closing = true;
    c->end = end;
    for (int ch = 0; ch < WS_CH_COUNT; ch++)
        unsubscribe(c, ch);
    if (h2o_timeout_is_linked(&c->hb_entry))
        h2o_timeout_unlink(&c->hb_entry);
    if (h2o_timeout_is_linked(&c->idle_entry))
        h2o_timeout_unlink(&c->idle_entry);
    wslay_event_queue_close(c->ws->ws_ctx, (uint16_t)code, (const uint8_t *)reason, strlen(reason));
    h2o_timeout_link(c->wt->th->loop, &c->wt->closing, &c->close_entry);
}

static void on_close_timeout(h2o_timeout_entry_t *entry)
{
    struct ws_conn *c = H2O_STRUCT_FROM_MEMBER(struct ws_conn, close_entry, entry);

    /* Until h2o finished writing the 101 it still owns the upgrade. */
    if (!c->ws->sock) {
        h2o_timeout_link(c->wt->th->loop, &c->wt->closing, &c->close_entry);
        return;
    }
    conn_destroy(c);
}

static void on_idle_timeout(h2o_timeout_entry_t *entry)
{
    struct ws_conn *c = H2O_STRUCT_FROM_MEMBER(struct ws_conn, idle_entry, entry);

    conn_close(c, 1001, "idle timeout", WS_END_IDLE);
    conn_flush(c);
}

static void on_heartbeat(h2o_timeout_entry_t *entry)
{
    struct ws_conn *c = H2O_STRUCT_FROM_MEMBER(struct ws_conn, hb_entry, entry);

    conn_send_json(
        c, json_pack("{s:s,s:I}", "type", "heartbeat", "timestamp", (json_int_t)tars_wall_ms()));
    h2o_timeout_link(c->wt->th->loop, &c->wt->heartbeat, &c->hb_entry);
    conn_flush(c);
}

static void touch(struct ws_conn *c)
{
    if (c->closing)
        return;
    if (h2o_timeout_is_linked(&c->idle_entry))
        h2o_timeout_unlink(&c->idle_entry);
    h2o_timeout_link(c->wt->th->loop, &c->wt->idle, &c->idle_entry);
}

/* ---- the protocol ---- */

static void send_pong(struct ws_conn *c)
{
    conn_send_json(c,
                   json_pack("{s:s,s:I}", "type", "pong", "timestamp", (json_int_t)tars_wall_ms()));
}

/* Reads "channel" (and checks the caller may use it); sends the error
 * itself and returns -1 when it cannot be used. */
static int read_channel(struct ws_conn *c, json_t *msg)
{
    json_t *name = json_object_get(msg, "channel");
    int ch;

    if (!json_is_string(name)) {
        conn_send_error(c, "\"channel\" must be a string");
        return -1;
    }
    ch = ws_channel_parse(json_string_value(name), json_string_length(name));
    if (ch < 0) {
        conn_send_error(c,
                        "unknown channel; channels are evaluation.updates, agent.status, metrics");
        return -1;
    }
    return ch;
}

static void queue_replay(struct ws_conn *c, int ch, const struct ws_resume *res,
                         struct ws_msg **replay)
{
    if (res->resync)
        conn_send_json(c, json_pack("{s:s,s:s,s:I,s:I}", "type", "resync_required", "channel",
                                    ws_channel_name(ch), "oldest_seq", (json_int_t)res->oldest_seq,
                                    "last_seq", (json_int_t)res->last_seq));
    for (size_t i = 0; i < res->count; i++)
        conn_queue(c, replay[i]);
}

/* since_seq is past what this process has delivered: if the database has
 * given it out (another process did, e.g. the one this replaced, and our
 * writer has not read it yet), the client is ahead, not lost: it goes live
 * from since_seq and the hub's next deliveries bring the rest. */
static void catch_up(struct ws_conn *c, int ch, uint64_t since, struct ws_resume *res)
{
    struct tars_err err = TARS_ERR_INIT;
    int64_t newest = 0;

    if (tars_store_feed_last(c->wt->th->store, ws_channel_name(ch), &newest, &err) != 0 ||
        newest < 0 || since > (uint64_t)newest)
        return; /* never given out (or unknown): resync as before */
    res->resync = 0;
    res->last_seq = since;
}

static void subscribe(struct ws_conn *c, json_t *msg)
{
    struct tars_server *srv = server_of(c);
    json_t *since = json_object_get(msg, "since_seq");
    struct ws_msg **replay = NULL;
    struct ws_resume res;
    int ch = read_channel(c, msg);

    if (ch < 0)
        return;
    if (!c->authenticated && srv->cfg.ws_auth != TARS_WS_AUTH_OFF) {
        conn_send_error(c, "authentication required to subscribe (Authorization: Bearer, "
                           "?token= or Sec-WebSocket-Protocol: bearer, <token>)");
        return;
    }
    if (since && !json_is_null(since) &&
        (!json_is_integer(since) || json_integer_value(since) < 0)) {
        conn_send_error(c, "\"since_seq\" must be an integer >= 0");
        return;
    }
    if (h2o_linklist_is_linked(&c->sub_link[ch])) { /* already live: nothing to replay */
        conn_send_json(c, json_pack("{s:s,s:s,s:I}", "type", "subscribed", "channel",
                                    ws_channel_name(ch), "seq", (json_int_t)c->last_seq[ch]));
        return;
    }
    if (json_is_integer(since))
        replay = xcalloc((size_t)srv->cfg.ws_replay, sizeof(*replay));
    ws_hub_resume(srv->ws_hub, ch, replay != NULL, replay ? (uint64_t)json_integer_value(since) : 0,
                  replay, replay ? (size_t)srv->cfg.ws_replay : 0, &res);
    if (res.ahead)
        catch_up(c, ch, (uint64_t)json_integer_value(since), &res);
    /* Deliveries up to last_seq may still wait in this thread's inbox; they
     * are skipped by seq, and everything later arrives after them. */
    c->last_seq[ch] = res.last_seq;
    h2o_linklist_insert(&c->wt->subscribers[ch], &c->sub_link[ch]);
    conn_send_json(c, json_pack("{s:s,s:s,s:I}", "type", "subscribed", "channel",
                                ws_channel_name(ch), "seq", (json_int_t)res.last_seq));
    queue_replay(c, ch, &res, replay);
    free(replay);
}

static void on_text(struct ws_conn *c, const uint8_t *data, size_t len)
{
    json_t *msg, *type;
    const char *t;

    if (len == 4 && memcmp(data, "ping", 4) == 0) {
        conn_send_text(c, "pong", 4);
        return;
    }
    tars_json_parse_bounded((const char *)data, len, WS_MAX_RECV, JSON_REJECT_DUPLICATES, &msg,
                            NULL);
    type = json_object_get(msg, "type");
    if (!json_is_object(msg) || !json_is_string(type)) {
        conn_send_error(c, msg ? "a message must be a JSON object with a string \"type\""
                               : "malformed JSON");
        json_decref(msg);
        return;
    }
    t = json_string_value(type);
    if (strcmp(t, "ping") == 0) {
        send_pong(c);
    } else if (strcmp(t, "subscribe") == 0) {
        subscribe(c, msg);
    } else if (strcmp(t, "unsubscribe") == 0) {
        int ch = read_channel(c, msg);
        if (ch >= 0) {
            unsubscribe(c, ch);
            conn_send_json(
                c, json_pack("{s:s,s:s}", "type", "unsubscribed", "channel", ws_channel_name(ch)));
        }
    } else if (strcmp(t, "pong") != 0 && strcmp(t, "heartbeat") != 0) {
        conn_send_error(c, "unknown message type; use ping, subscribe or unsubscribe");
    }
    json_decref(msg);
}

static void on_ws_event(h2o_websocket_conn_t *ws, const struct wslay_event_on_msg_recv_arg *arg)
{
    struct ws_conn *c = ws->data;

    if (!arg) {
        conn_destroy(c);
        return;
    }
    touch(c);
    if (c->closing)
        return;
    c->in_callback = true;
    if (arg->opcode == WSLAY_TEXT_FRAME)
        on_text(c, arg->msg, arg->msg_length);
    else if (arg->opcode == WSLAY_BINARY_FRAME)
        conn_send_error(c, "binary messages are not supported; send JSON text");
    c->in_callback = false;
}

/* ---- fan-out from the hub ---- */

/* Hub target: runs on the publishing thread, under the hub lock. */
static void deliver(void *target, struct ws_msg *m)
{
    struct srv_ws_thread *wt = target;
    struct ws_delivery *d = xcalloc(1, sizeof(*d));

    d->msg = m;
    h2o_multithread_send_message(&wt->inbox, &d->super);
}

static void push(struct ws_conn *c, struct ws_msg *m)
{
    int ch = m->channel;

    if (m->seq <= c->last_seq[ch])
        return;
    c->last_seq[ch] = m->seq;
    if (c->q_count >= (size_t)server_of(c)->cfg.ws_send_queue) {
        srv_metrics_ws_add(&server_of(c)->metrics.ws_slow_consumers, 1);
        conn_close(c, WS_CLOSE_SLOW_CONSUMER, "slow consumer", WS_END_SLOW);
        conn_flush(c); /* unlinked from the subscribers already: safe for the caller */
        return;
    }
    conn_queue(c, ws_msg_ref(m));
}

static void flush_channel(struct srv_ws_thread *wt, int ch)
{
    h2o_linklist_t *anchor = &wt->subscribers[ch], *node = anchor->next;

    while (node != anchor) {
        h2o_linklist_t *next = node->next; /* flushing may destroy the connection */
        conn_flush(subscriber_of(node, ch));
        node = next;
    }
}

static void on_inbox(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct srv_ws_thread *wt = H2O_STRUCT_FROM_MEMBER(struct srv_ws_thread, inbox, receiver);
    bool touched[WS_CH_COUNT] = {false};

    while (!h2o_linklist_is_empty(messages)) {
        struct ws_delivery *d = (struct ws_delivery *)messages->next;
        struct ws_msg *m = d->msg;
        h2o_linklist_unlink(&d->super.link);
        free(d);
        if (!wt->stopping) {
            h2o_linklist_t *anchor = &wt->subscribers[m->channel], *node = anchor->next;
            while (node != anchor) {
                h2o_linklist_t *next = node->next; /* a slow consumer unsubscribes */
                push(subscriber_of(node, m->channel), m);
                node = next;
            }
            touched[m->channel] = true;
        }
        ws_msg_unref(m);
    }
    for (int ch = 0; ch < WS_CH_COUNT; ch++)
        if (touched[ch])
            flush_channel(wt, ch);
}

/* ---- accepting ---- */

bool ws_thread_accepting(const struct srv_thread *th)
{
    return th->ws && !th->ws->stopping;
}

void ws_conn_upgrade(struct srv_thread *th, h2o_req_t *req, const char *key, bool authenticated,
                     int close_code, const char *reason)
{
    struct srv_ws_thread *wt = th->ws;
    struct ws_conn *c = xcalloc(1, sizeof(*c));

    c->wt = wt;
    c->authenticated = authenticated;
    c->counted = close_code == 0;
    c->end = WS_END_CLIENT;
    c->hb_entry.cb = on_heartbeat;
    c->idle_entry.cb = on_idle_timeout;
    c->close_entry.cb = on_close_timeout;
    h2o_linklist_insert(&wt->conns, &c->link);
    c->ws = h2o_upgrade_to_websocket(req, key, c, on_ws_event);
    wslay_event_config_set_max_recv_msg_length(c->ws->ws_ctx, WS_MAX_RECV);
    if (close_code) {
        conn_close(c, close_code, reason, WS_END_CLIENT);
        return;
    }
    h2o_timeout_link(th->loop, &wt->heartbeat, &c->hb_entry);
    h2o_timeout_link(th->loop, &wt->idle, &c->idle_entry);
}

/* ---- per-thread state ---- */

static void on_metrics_tick(h2o_timeout_entry_t *entry)
{
    struct srv_ws_thread *wt = H2O_STRUCT_FROM_MEMBER(struct srv_ws_thread, metrics_entry, entry);

    srv_ws_publish_metrics(wt->th->srv);
    h2o_timeout_link(wt->th->loop, &wt->metrics, &wt->metrics_entry);
}

void srv_ws_thread_init(struct srv_thread *th)
{
    struct srv_ws_thread *wt = xcalloc(1, sizeof(*wt));
    const struct tars_server_config *cfg = &th->srv->cfg;

    wt->th = th;
    th->ws = wt;
    h2o_linklist_init_anchor(&wt->conns);
    for (int ch = 0; ch < WS_CH_COUNT; ch++)
        h2o_linklist_init_anchor(&wt->subscribers[ch]);
    h2o_timeout_init(th->loop, &wt->heartbeat, (uint64_t)cfg->ws_heartbeat_ms);
    h2o_timeout_init(th->loop, &wt->idle, (uint64_t)cfg->ws_idle_timeout_ms);
    h2o_timeout_init(th->loop, &wt->closing, WS_CLOSE_GRACE_MS);
    h2o_timeout_init(th->loop, &wt->metrics, (uint64_t)cfg->ws_metrics_interval_ms);
    h2o_multithread_register_receiver(th->queue, &wt->inbox, on_inbox);
    wt->hub_slot = ws_hub_attach(th->srv->ws_hub, deliver, wt);
    wt->metrics_entry.cb = on_metrics_tick;
    if (th->index == 0) /* one publisher for the whole server */
        h2o_timeout_link(th->loop, &wt->metrics, &wt->metrics_entry);
}

/* Closes every connection with 1001, waits for the peers (bounded), then
 * cuts off the rest and lets go of the hub. */
void srv_ws_thread_stop(struct srv_thread *th)
{
    struct srv_ws_thread *wt = th->ws;
    uint64_t deadline = tars_mono_ns() + WS_SHUTDOWN_WAIT_NS;
    h2o_linklist_t *node;

    if (!wt)
        return;
    wt->stopping = true;
    if (h2o_timeout_is_linked(&wt->metrics_entry))
        h2o_timeout_unlink(&wt->metrics_entry);
    for (node = wt->conns.next; node != &wt->conns;) {
        struct ws_conn *c = H2O_STRUCT_FROM_MEMBER(struct ws_conn, link, node);
        node = node->next;
        conn_close(c, 1001, "server shutting down", WS_END_SHUTDOWN);
        conn_flush(c);
    }
    while (!h2o_linklist_is_empty(&wt->conns) && tars_mono_ns() < deadline)
        h2o_evloop_run(th->loop, 10);
    for (node = wt->conns.next; node != &wt->conns;) {
        struct ws_conn *c = H2O_STRUCT_FROM_MEMBER(struct ws_conn, link, node);
        node = node->next;
        if (c->ws->sock) /* else h2o still owns it: leave it rather than free it under h2o */
            conn_destroy(c);
    }
    ws_hub_detach(th->srv->ws_hub, wt->hub_slot);
    /* No publisher can reach the inbox now; drop what is still in it. */
    on_inbox(&wt->inbox, &wt->inbox._messages);
    h2o_multithread_unregister_receiver(th->queue, &wt->inbox);
    if (h2o_linklist_is_empty(&wt->conns)) {
        h2o_timeout_dispose(th->loop, &wt->heartbeat);
        h2o_timeout_dispose(th->loop, &wt->idle);
        h2o_timeout_dispose(th->loop, &wt->closing);
        h2o_timeout_dispose(th->loop, &wt->metrics);
        free(wt);
        th->ws = NULL;
    }
}
