/*
 * A minimal blocking WebSocket client (RFC 6455) for the websocket check
 * type; internal to lib/check, a thin layer over lib/ws (tars/ws.h) that keeps
 * the check's error vocabulary. Every call is bounded by a deadline
 * (tars_mono_ns() time).
 *
 * What it does: ws:// and wss:// (TLS through tars_net, verified unless
 * insecure), the HTTP/1.1 upgrade with Sec-WebSocket-Key and a verified
 * Sec-WebSocket-Accept, an optional Authorization header, masked client
 * frames, text and binary messages (fragments reassembled), pings answered
 * with pongs, pongs ignored, the close handshake. No extensions and no
 * subprotocols are offered, so a frame with a reserved bit set is an error.
 * Frames and messages are bounded by max_message.
 *
 * Errors: TARS_EUNAVAIL for the network (refused, reset, timed out while
 * connecting or sending, closed without a close frame), TARS_EIO for TLS
 * (the certificate does not verify), TARS_ECONFLICT when
 * the server answered the upgrade with another status, TARS_EINVAL for a bad
 * URL or a protocol violation, TARS_ETOOBIG for a frame over the bound.
 * Messages never contain the Authorization value.
 */
#ifndef TARS_CHECK_WS_CLIENT_H
#define TARS_CHECK_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"
#include "tars/ws.h"

/* Framing, opcodes and bounds are lib/ws's (tars/ws.h: TARS_WS_TEXT, ...). */
#define CHECK_WS_DEFAULT_MAX TARS_WS_DEFAULT_MAX

/* ---- the client ---- */

struct check_ws_options {
    const char *url;           /* ws://, wss:// (or http://, https://) */
    const char *authorization; /* the Authorization header's value, or NULL */
    bool insecure;             /* wss: do not verify the certificate */
    const char *ca_file;       /* wss: PEM trust anchors, or NULL */
    size_t max_message;        /* 0: CHECK_WS_DEFAULT_MAX */
};

struct check_ws_message {
    int opcode;       /* TARS_WS_TEXT, TARS_WS_BINARY or TARS_WS_CLOSE */
    const char *data; /* NUL-terminated; valid until the next receive or close */
    size_t len;
    int close_code; /* TARS_WS_CLOSE: the status code, 0 when none was sent */
};

typedef struct check_ws_client check_ws_client;

/* Connects and upgrades by deadline_ns. *out is set only on success. */
int check_ws_connect(const struct check_ws_options *o, uint64_t deadline_ns, check_ws_client **out,
                     struct tars_err *err) TARS_MUST_CHECK;

/* Sends one message (text or binary) in a single masked frame. */
int check_ws_send(check_ws_client *c, int opcode, const void *data, size_t len,
                  uint64_t deadline_ns, struct tars_err *err) TARS_MUST_CHECK;

/*
 * Waits for the next message, answering pings on the way. TARS_OK with msg
 * filled (a close frame is a message: the client answers it and the
 * connection is over); TARS_AGAIN when deadline_ns came first; an error
 * otherwise (the connection is then unusable).
 */
int check_ws_recv(check_ws_client *c, uint64_t deadline_ns, struct check_ws_message *msg,
                  struct tars_err *err) TARS_MUST_CHECK;

/* Sends a close frame when the connection is still open (waiting at most a
 * short moment), closes the socket and frees c. NULL is allowed. */
void check_ws_close(check_ws_client *c);

#endif
