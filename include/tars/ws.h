/*
 * A WebSocket client (RFC 6455), non-blocking, for one connection or ten
 * thousand on one thread, and the reconnect policy of TARS-1001.
 *
 * Framing (pure): Sec-WebSocket-Accept, frame encoding (clients mask every
 * frame), frame header parsing with bounds.
 *
 * Connections (tars_ws_conn): ws:// and wss:// through tars_net (TLS verified
 * unless insecure), the HTTP/1.1 upgrade with a verified Sec-WebSocket-Accept,
 * an optional Authorization header and subprotocol, text and binary messages
 * (fragments reassembled), pings answered with pongs, the close handshake.
 * Frames and messages are bounded by max_message; the send queue by
 * max_queue. The caller owns the event loop: it registers tars_ws_conn_fd()
 * for tars_ws_conn_wants() and calls tars_ws_conn_next() when the socket is
 * ready, until it returns TARS_AGAIN. tars_ws_wait() does that with poll(2)
 * for callers that block (checks, tests).
 *
 * Reconnect policy (pure, tars_ws_backoff / tars_ws_reconnect /
 * tars_ws_heartbeat): delay = min(initial * 2^(n-1), max), optionally times a
 * jitter factor in [0.5, 1.5); one reconnect loop per client; a heartbeat
 * watch that asks for a reconnect after max_missed missed heartbeats.
 *
 * Errors: TARS_EUNAVAIL for the network (refused, reset, closed without a
 * close frame), TARS_EIO for TLS, TARS_ECONFLICT when the server answered the
 * upgrade with another status (tars_ws_conn_http_status tells which),
 * TARS_EINVAL for a bad URL or a protocol violation, TARS_ETOOBIG for a bound.
 * Messages never contain the Authorization value.
 *
 * Threads: a connection belongs to one thread; an endpoint is read-only once
 * set up and may be shared.
 */
#ifndef TARS_WS_H
#define TARS_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"
#include "tars/net.h"
#include "tars/url.h"

#define TARS_WS_ACCEPT_LEN 29   /* base64 of a SHA-1 digest, plus NUL */
#define TARS_WS_KEY_LEN 25      /* base64 of 16 random bytes, plus NUL */
#define TARS_WS_HEADER_MAX 14   /* largest frame header: 2 + 8 + 4 */
#define TARS_WS_CONTROL_MAX 125 /* largest control frame payload */
#define TARS_WS_DEFAULT_MAX (1024 * 1024)
#define TARS_WS_HEAD_MAX (16 * 1024) /* the server's upgrade answer head */

enum tars_ws_opcode {
    TARS_WS_CONTINUATION = 0x0,
    TARS_WS_TEXT = 0x1,
    TARS_WS_BINARY = 0x2,
    TARS_WS_CLOSE = 0x8,
    TARS_WS_PING = 0x9,
    TARS_WS_PONG = 0xA,
};

/* ---- framing (pure) ---------------------------------------------------- */

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)); "" for a key
 * longer than 64 bytes. */
void tars_ws_accept_key(const char *key, char out[TARS_WS_ACCEPT_LEN]);

/* XORs data with mask, mask byte i applying to data byte i (mod 4). */
void tars_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4]);

/* Writes one final frame into out, masked with mask unless mask is NULL
 * (servers send unmasked frames; tests use it). Returns the bytes written,
 * or 0 when cap is too small. */
size_t tars_ws_frame_encode(uint8_t *out, size_t cap, int opcode, const uint8_t mask[4],
                            const void *payload, size_t len);

struct tars_ws_frame {
    bool fin;
    int opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t payload_len;
    size_t header_len; /* the payload starts here */
};

/*
 * Parses the frame header at in[0..len). TARS_OK: f is filled (the frame is
 * complete when len >= header_len + payload_len). TARS_AGAIN: the header is
 * incomplete. TARS_EINVAL: reserved bits, an unknown opcode, a fragmented or
 * long control frame, a 64-bit length with its top bit set. TARS_ETOOBIG:
 * payload longer than max_payload.
 */
int tars_ws_frame_parse(const uint8_t *in, size_t len, uint64_t max_payload,
                        struct tars_ws_frame *f, struct tars_err *err) TARS_MUST_CHECK;

/*
 * Checks the server's upgrade answer head (status line and headers, ending
 * with CRLF; NUL-terminated) for the key we sent: 101, Upgrade: websocket,
 * Connection: upgrade, the right Sec-WebSocket-Accept, no extension.
 * *status gets the HTTP status (0 when unreadable). TARS_ECONFLICT for
 * another status, TARS_EINVAL for anything else wrong.
 */
int tars_ws_check_answer(const char *head, const char *key, int *status,
                         struct tars_err *err) TARS_MUST_CHECK;

/* ---- endpoints --------------------------------------------------------- */

struct tars_ws_endpoint_opts {
    const char *url;     /* ws://, wss:// (http://, https:// accepted) */
    bool insecure;       /* wss: do not verify the certificate */
    const char *ca_file; /* wss: PEM trust anchors, or NULL */
};

/* Where connections go: resolved once, then read-only (shareable). */
struct tars_ws_endpoint {
    struct tars_net_target target;
    tars_tls *tls; /* owned; NULL for ws:// */
    bool is_tls;
    uint16_t port;
    char authority[TARS_URL_AUTHORITY_MAX]; /* the Host header */
    char path[TARS_URL_MAX + 1];            /* path and query */
};

int tars_ws_endpoint_init(struct tars_ws_endpoint *ep, const struct tars_ws_endpoint_opts *o,
                          struct tars_err *err) TARS_MUST_CHECK;
void tars_ws_endpoint_release(struct tars_ws_endpoint *ep);

/* ---- connections ------------------------------------------------------- */

struct tars_ws_conn_opts {
    const char *authorization; /* the Authorization header's value, or NULL */
    const char *protocol;      /* Sec-WebSocket-Protocol offered, or NULL */
    const char *path;          /* overrides the endpoint's path (e.g. a "?reconnect=1"), or NULL */
    size_t max_message;        /* frame and message bound; 0: TARS_WS_DEFAULT_MAX */
    size_t max_queue;          /* unsent bytes bound; 0: 64 KiB + max_message */
};

typedef struct tars_ws_conn tars_ws_conn;

enum tars_ws_event_kind {
    TARS_WS_EV_OPEN = 1, /* the upgrade succeeded */
    TARS_WS_EV_MESSAGE,  /* a whole text or binary message */
    TARS_WS_EV_CLOSE,    /* the server closed (a close frame); the connection is done */
};

struct tars_ws_event {
    int kind;         /* enum tars_ws_event_kind */
    int opcode;       /* MESSAGE: TARS_WS_TEXT or TARS_WS_BINARY */
    const char *data; /* MESSAGE: NUL-terminated; CLOSE: the reason; valid until the next call */
    size_t len;
    int close_code; /* CLOSE: the status code, 0 when none was sent */
};

/*
 * Starts a connection to ep (connect + upgrade). Returns TARS_AGAIN: wait
 * for tars_ws_conn_wants(), then call tars_ws_conn_next(). Any other return
 * is an error (the connection is still freed with tars_ws_conn_free).
 * Strings in o are copied.
 */
int tars_ws_conn_open(tars_ws_conn **out, const struct tars_ws_endpoint *ep,
                      const struct tars_ws_conn_opts *o, struct tars_err *err) TARS_MUST_CHECK;

/*
 * Drives the connection: writes what is queued, reads what arrived, and
 * returns TARS_OK with the next event, TARS_AGAIN when there is none until
 * the socket is ready again, or < 0 when the connection failed (it is then
 * dead; free it). Pings are answered here and never returned.
 */
int tars_ws_conn_next(tars_ws_conn *c, struct tars_ws_event *ev,
                      struct tars_err *err) TARS_MUST_CHECK;

/* Queues one text or binary message and tries to send it. TARS_ETOOBIG when
 * the message or the queue would pass its bound; TARS_EUNAVAIL when the
 * connection is not open (or closing). */
int tars_ws_conn_send(tars_ws_conn *c, int opcode, const void *data, size_t len,
                      struct tars_err *err) TARS_MUST_CHECK;

/* Writes what is queued without blocking: TARS_OK when nothing is left,
 * TARS_AGAIN when bytes remain (wait for TARS_NET_WAIT_WRITE), < 0 failed. */
int tars_ws_conn_flush(tars_ws_conn *c, struct tars_err *err) TARS_MUST_CHECK;

/* Starts the close handshake with code (1000 when 0); tars_ws_conn_next then
 * returns TARS_WS_EV_CLOSE with the server's answer. */
void tars_ws_conn_close(tars_ws_conn *c, int code);

/* Closes the socket at once, no close frame (an abrupt drop), and frees. */
void tars_ws_conn_free(tars_ws_conn *c);

int tars_ws_conn_fd(const tars_ws_conn *c);
/* What the socket must become ready for: TARS_NET_WAIT_READ and/or
 * TARS_NET_WAIT_WRITE bits. */
int tars_ws_conn_wants(const tars_ws_conn *c);
bool tars_ws_conn_is_open(const tars_ws_conn *c);
/* The upgrade answer's HTTP status (101, 401, ...), 0 before it arrived. */
int tars_ws_conn_http_status(const tars_ws_conn *c);
/* Why the transport failed (enum tars_net_kind), after an error. */
int tars_ws_conn_net_kind(const tars_ws_conn *c);
/* Bytes this connection holds in buffers now (for memory accounting). */
size_t tars_ws_conn_buffered(const tars_ws_conn *c);

/*
 * Blocking style: waits with poll(2) until the socket is ready for what the
 * connection wants or deadline_ns (tars_mono_ns() time) passes, then calls
 * tars_ws_conn_next, repeating until an event, an error, or the deadline
 * (TARS_AGAIN with "timed out ..." in err).
 */
int tars_ws_wait(tars_ws_conn *c, uint64_t deadline_ns, struct tars_ws_event *ev,
                 struct tars_err *err) TARS_MUST_CHECK;

/* Blocking style: waits until everything queued is written (poll(2)), or
 * deadline_ns (TARS_AGAIN with "timed out ..." in err). */
int tars_ws_flush(tars_ws_conn *c, uint64_t deadline_ns, struct tars_err *err) TARS_MUST_CHECK;

/* ---- reconnect policy (pure) ------------------------------------------- */

struct tars_ws_backoff {
    int64_t initial_ms;   /* 1000 */
    int64_t max_ms;       /* 30000 */
    bool jitter;          /* multiply by a factor in [0.5, 1.5) */
    int64_t max_attempts; /* 0: unlimited */
};

#define TARS_WS_BACKOFF_DEFAULT                                                                    \
    {                                                                                              \
        1000, 30000, false, 0                                                                      \
    }

/* The delay before attempt n (1-based): min(initial * 2^(n-1), max), times
 * (0.5 + random01) when jitter is on (random01 in [0, 1)). */
int64_t tars_ws_backoff_delay(const struct tars_ws_backoff *b, int64_t attempt, double random01);

enum tars_ws_reconnect_state {
    TARS_WS_RC_IDLE = 0, /* never connected, nothing pending */
    TARS_WS_RC_CONNECTED,
    TARS_WS_RC_WAITING,    /* a reconnect is scheduled at due_ms */
    TARS_WS_RC_CONNECTING, /* an attempt is under way */
    TARS_WS_RC_GAVE_UP,    /* max_attempts reached */
    TARS_WS_RC_CLOSED,     /* closed by the owner: nothing starts again */
};

/* The one reconnect loop of a client. Times are the caller's milliseconds. */
struct tars_ws_reconnect {
    struct tars_ws_backoff policy;
    int state;             /* enum tars_ws_reconnect_state */
    int64_t attempt;       /* attempts since the last success */
    int64_t due_ms;        /* WAITING: when to try */
    int64_t loops_started; /* requests that started a loop (for tests and stats) */
};

void tars_ws_reconnect_init(struct tars_ws_reconnect *r, const struct tars_ws_backoff *policy);
/* The connection was lost: schedules the next attempt unless a loop is
 * already pending (WAITING or CONNECTING) or the client is closed. Returns
 * true when this call started the loop. */
bool tars_ws_reconnect_request(struct tars_ws_reconnect *r, int64_t now_ms, double random01);
/* True (and state CONNECTING) when a WAITING attempt is due. */
bool tars_ws_reconnect_due(struct tars_ws_reconnect *r, int64_t now_ms);
/* The attempt failed: schedules the next one (or GAVE_UP). */
void tars_ws_reconnect_failed(struct tars_ws_reconnect *r, int64_t now_ms, double random01);
/* Connected (and subscribed): the attempt counter starts again. */
void tars_ws_reconnect_succeeded(struct tars_ws_reconnect *r);
/* The owner closes the client: every pending attempt is abandoned. */
void tars_ws_reconnect_close(struct tars_ws_reconnect *r);

/*
 * Heartbeat watch: the server sends a heartbeat every interval_ms; one is
 * missed when nothing at all arrived within interval + timeout of the last
 * frame, and each further interval misses one more. max_missed misses ask
 * for a reconnect (interval 30 s, timeout 10 s, 3 missed: after 100 s).
 */
struct tars_ws_heartbeat {
    int64_t interval_ms; /* 30000 */
    int64_t timeout_ms;  /* 10000 */
    int max_missed;      /* 3 */
    int64_t last_seen_ms;
};

#define TARS_WS_HEARTBEAT_DEFAULT                                                                  \
    {                                                                                              \
        30000, 10000, 3, 0                                                                         \
    }

void tars_ws_heartbeat_seen(struct tars_ws_heartbeat *h, int64_t now_ms);
int64_t tars_ws_heartbeat_missed(const struct tars_ws_heartbeat *h, int64_t now_ms);
bool tars_ws_heartbeat_expired(const struct tars_ws_heartbeat *h, int64_t now_ms);

/* ---- the feed protocol (docs/api.md) ---------------------------------- */

enum tars_ws_feed_type {
    TARS_WS_FEED_OTHER = 0,
    TARS_WS_FEED_MESSAGE,
    TARS_WS_FEED_SUBSCRIBED,
    TARS_WS_FEED_HEARTBEAT,
    TARS_WS_FEED_PONG,
    TARS_WS_FEED_RESYNC,
    TARS_WS_FEED_ERROR,
};

/* The top-level fields of one server message, found without building a tree
 * (ws-stress reads every push of ten thousand connections). */
struct tars_ws_feed_msg {
    int type;            /* enum tars_ws_feed_type */
    const char *channel; /* points into the message, not NUL-terminated */
    size_t channel_len;
    bool has_seq;
    int64_t seq;        /* message, subscribed: seq; resync: last_seq */
    int64_t oldest_seq; /* resync_required */
    bool has_timestamp;
    double timestamp; /* server wall clock, ms since the epoch */
    const char *text; /* error: its "message", raw (escapes kept), not NUL-terminated */
    size_t text_len;
};

#define TARS_WS_FEED_MAX_SEQ 9007199254740992.0 /* 2^53: exact in a double */
#define TARS_WS_FEED_MAX_TIMESTAMP_MS 9e12      /* year 2255; fits an int64 in ns */

/* TARS_EINVAL when text is not a JSON object (or nests past 32 levels), or
 * when a seq, last_seq or oldest_seq is not a whole number from 0 to
 * TARS_WS_FEED_MAX_SEQ, or a numeric timestamp is not from 0 to
 * TARS_WS_FEED_MAX_TIMESTAMP_MS (NaN, Infinity, 1e300, negatives): the
 * peer's numbers are never cast unchecked. */
int tars_ws_feed_parse(const char *text, size_t len, struct tars_ws_feed_msg *m,
                       struct tars_err *err) TARS_MUST_CHECK;

/* {"type":"subscribe","channel":C[,"since_seq":N]} into out (NUL-terminated);
 * since_seq < 0 leaves it out. Returns the length, 0 when it does not fit or
 * the channel is not a plain name ([A-Za-z0-9._-]). */
size_t tars_ws_feed_subscribe(char *out, size_t cap, const char *channel, int64_t since_seq);

#endif
