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

#define CHECK_WS_ACCEPT_LEN 29   /* base64 of a SHA-1 digest, plus NUL */
#define CHECK_WS_HEADER_MAX 14   /* largest frame header: 2 + 8 + 4 */
#define CHECK_WS_CONTROL_MAX 125 /* largest control frame payload */
#define CHECK_WS_DEFAULT_MAX (1024 * 1024)

enum check_ws_opcode {
    CHECK_WS_CONTINUATION = 0x0,
    CHECK_WS_TEXT = 0x1,
    CHECK_WS_BINARY = 0x2,
    CHECK_WS_CLOSE = 0x8,
    CHECK_WS_PING = 0x9,
    CHECK_WS_PONG = 0xA,
};

/* ---- framing (pure functions, unit-tested) ---- */

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). */
void check_ws_accept_key(const char *key, char out[CHECK_WS_ACCEPT_LEN]);

/* XORs data with mask, the mask's byte i applying to data byte i (mod 4). */
void check_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4]);

/* Writes one final frame of payload into out, masked with mask unless mask
 * is NULL (servers send unmasked frames; tests use it). Returns the bytes
 * written, or 0 when cap is too small. */
size_t check_ws_frame_encode(uint8_t *out, size_t cap, int opcode, const uint8_t mask[4],
                             const void *payload, size_t len);

struct check_ws_frame {
    bool fin;
    int opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t payload_len;
    size_t header_len; /* the payload starts here */
};

/*
 * Parses the frame header at in[0..len). TARS_OK: f is filled (the payload
 * may not have arrived yet: the frame is complete when len >= header_len +
 * payload_len). TARS_AGAIN: the header is incomplete. TARS_EINVAL: a
 * protocol violation (reserved bits, unknown opcode, fragmented or long
 * control frame, 64-bit length with the top bit set). TARS_ETOOBIG: the
 * payload is longer than max_payload.
 */
int check_ws_frame_parse(const uint8_t *in, size_t len, uint64_t max_payload,
                         struct check_ws_frame *f, struct tars_err *err);

/* ---- the client ---- */

struct check_ws_options {
    const char *url;           /* ws://, wss:// (or http://, https://) */
    const char *authorization; /* the Authorization header's value, or NULL */
    bool insecure;             /* wss: do not verify the certificate */
    const char *ca_file;       /* wss: PEM trust anchors, or NULL */
    size_t max_message;        /* 0: CHECK_WS_DEFAULT_MAX */
};

struct check_ws_message {
    int opcode;       /* CHECK_WS_TEXT, CHECK_WS_BINARY or CHECK_WS_CLOSE */
    const char *data; /* NUL-terminated; valid until the next receive or close */
    size_t len;
    int close_code; /* CHECK_WS_CLOSE: the status code, 0 when none was sent */
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
