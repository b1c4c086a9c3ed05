/*
 * The WebSocket live feed of `tars serve` (/ws, /ws/live); internal to lib/server.
 *
 * Two parts:
 *  - the hub (ws_hub.c): channels, one sequencer and one bounded replay ring
 *    per channel, and the fan-out seam. It knows nothing of h2o: a publish
 *    serialises the message once (struct ws_msg, refcounted) and hands a
 *    reference to every attached target through a ws_deliver_fn, in sequence
 *    order. In the server each target is a loop thread (ws_conn.c posts to
 *    that thread's h2o_multithread receiver); a Redis pub/sub or streams
 *    backend could replace the hub behind the same calls (docs/architecture.md).
 *  - the connections (ws_conn.c): handshake, auth, protocol, per-connection
 *    send queue, heartbeat, idle and close timers, all on the connection's
 *    own loop thread.
 *
 * Thread safety: ws_hub_* and ws_msg_* may be called from any thread.
 */
#ifndef TARS_SERVER_WS_INT_H
#define TARS_SERVER_WS_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_channel { WS_CH_EVALUATIONS, WS_CH_AGENTS, WS_CH_METRICS, WS_CH_COUNT };

/* "evaluation.updates", "agent.status", "metrics". */
const char *ws_channel_name(int channel);
/* The channel named name[0..len), or -1. */
int ws_channel_parse(const char *name, size_t len);

/* One text message, serialised once and shared read-only by every
 * connection that sends it. seq is 0 for messages that are not pushes. */
struct ws_msg {
    atomic_int refs;
    int channel;
    uint64_t seq;
    size_t len;
    char text[];
};

/* A new message holding a copy of text (refs = 1). */
struct ws_msg *ws_msg_new(const char *text, size_t len);
struct ws_msg *ws_msg_ref(struct ws_msg *m);
/* Drops a reference; frees at zero. Accepts NULL. */
void ws_msg_unref(struct ws_msg *m);

/* Receives one new reference to m (the callee owns it). Called with the
 * hub's lock held, in increasing seq per channel: it must only queue. */
typedef void (*ws_deliver_fn)(void *target, struct ws_msg *m);

#define WS_HUB_MAX_TARGETS 64

struct ws_hub;

/* replay: messages kept per channel for resume (>= 1). */
struct ws_hub *ws_hub_new(size_t replay);
void ws_hub_free(struct ws_hub *h);

/* Attaches a target; returns its slot or -1 when full. */
int ws_hub_attach(struct ws_hub *h, ws_deliver_fn fn, void *target);
/* After this returns, fn is never called again for the slot. */
void ws_hub_detach(struct ws_hub *h, int slot);

/* Publishes payload (a JSON value as text) on channel: assigns the next seq,
 * stamps the wall time (ms since the epoch), builds
 * {"type":"message","channel","seq","timestamp","payload"}, keeps it in the
 * replay ring and delivers it to every target. Returns the seq. */
uint64_t ws_hub_publish(struct ws_hub *h, int channel, const char *payload, size_t len,
                        int64_t now_ms);
/* The same with a seq given out elsewhere (the database's, shared by every
 * process on it): a seq at or below the channel's last is ignored (false);
 * one past a gap starts the replay ring afresh, since it must hold
 * oldest..last without holes. Deliveries must come in increasing seq. */
bool ws_hub_deliver(struct ws_hub *h, int channel, uint64_t seq, int64_t now_ms,
                    const char *payload, size_t len);

/* What a subscriber resuming after since_seq must be sent. */
struct ws_resume {
    uint64_t last_seq;   /* the channel's last seq at this instant */
    uint64_t oldest_seq; /* the oldest seq still in the ring (0: empty) */
    int resync;          /* 1: since_seq+1 is no longer buffered (or is in the future) */
    int ahead;           /* 1: since_seq is past last_seq (resync is set too) */
    size_t count;        /* messages returned in out (referenced) */
};

/* Atomically with respect to publishes: reads last_seq and, when since_seq
 * is given (has_since), references the messages since_seq+1..last_seq into
 * out (at most max; the ring never holds more than replay). Without
 * has_since only last_seq is read. */
void ws_hub_resume(struct ws_hub *h, int channel, int has_since, uint64_t since_seq,
                   struct ws_msg **out, size_t max, struct ws_resume *res);

uint64_t ws_hub_last_seq(struct ws_hub *h, int channel);

/* ---- the server side (ws_conn.c) ---- */

struct srv_req;
struct srv_thread;
struct tars_server;

/* Completes the server's WebSocket settings with defaults; creates the hub.
 * Returns 0 or a negative tars code with err filled. */
struct tars_err;
int srv_ws_start(struct tars_server *srv, struct tars_err *err);
void srv_ws_free(struct tars_server *srv);
/* On the loop thread, after its loop exists / once its loop has stopped:
 * the stop closes every connection with 1001 (bounded wait) and detaches. */
void srv_ws_thread_init(struct srv_thread *th);
void srv_ws_thread_stop(struct srv_thread *th);
/* The GET /ws and /ws/live handler (ws_serve.c). */
void h_websocket(struct srv_req *r);

/* Close codes besides RFC 6455's 1001 (going away), 1008 (policy: bad
 * token) and 1013 (try again later: connection limit). */
#define WS_CLOSE_SLOW_CONSUMER 4001

/* Upgrades req on th's loop. close_code 0: accepted (counted in the
 * connections gauge by the caller); otherwise the handshake completes and the
 * connection is closed at once with that code and reason. */
struct st_h2o_req_t;
void ws_conn_upgrade(struct srv_thread *th, struct st_h2o_req_t *req, const char *key,
                     bool authenticated, int close_code, const char *reason);
/* Whether th takes new WebSocket connections (false while stopping). */
bool ws_thread_accepting(const struct srv_thread *th);
/* Publishes one summary on the "metrics" channel. */
void srv_ws_publish_metrics(struct tars_server *srv);

/* Inside a write job (the writer's transaction): records one message of
 * channel in the database, payload (a json_t *, consumed) with "action" added
 * when given ("created", "updated", "deleted"). It reaches the clients once
 * committed, through srv_ws_feed_poll. */
typedef struct tars_store tars_store;
int srv_ws_feed_write(tars_store *st, struct tars_server *srv, int channel, void *payload_json,
                      const char *action, struct tars_err *err);
/* The writer's hook: hands the database's messages this process has not
 * delivered yet to the hub, in seq order (server is the tars_server). */
void srv_ws_feed_poll(tars_store *st, void *server);
/* How often the writer looks for messages of other processes when idle. */
#define WS_FEED_POLL_MS 50

#endif
