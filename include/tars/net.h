/*
 * Non-blocking client sockets for the load engine, plain TCP or TLS.
 *
 * No event loop here: the caller owns epoll. Every I/O step returns
 *   TARS_OK     done (read: *got bytes, 0 meaning the peer closed cleanly),
 *   TARS_AGAIN  would block: wait until c->fd is ready for c->wait, retry,
 *   < 0         failed: c->kind says how (refused, reset, tls, io), the
 *               connection is dead and must be closed.
 * err may be NULL: then no message is formatted (the engine's fast path
 * counts kinds and does not need text).
 *
 * Lifecycle: resolve a tars_net_target once per run, then per connection
 *   tars_net_conn_init → tars_net_connect (TARS_AGAIN, wait WRITE)
 *   → tars_net_handshake until TARS_OK → tars_net_read/tars_net_write
 *   → tars_net_close (also after an error; safe to repeat).
 * Connect timeouts are the caller's: it times the handshake and counts
 * TARS_NET_TIMEOUT itself.
 *
 * TLS: certificates are verified against the system trust store (or ca_file)
 * and the target host name (or IP address), with SNI for names; insecure
 * turns verification off. A TLS context is shared read-only by all threads'
 * connections once created. Sessions are not resumed: every connection does a
 * full handshake.
 *
 * Signals: OpenSSL writes to the socket with write(2), so a peer that resets a
 * TLS connection raises SIGPIPE. Programs using TLS must ignore SIGPIPE (the
 * CLI does); plain TCP uses send(MSG_NOSIGNAL) and never raises it.
 *
 * Threads: a connection belongs to one thread; a target and a TLS context may
 * be shared after they are set up.
 */
#ifndef TARS_NET_H
#define TARS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tars/dassert.h"
#include "tars/err.h"
#include "tars/url.h"

/* Why a connection failed, for counting. */
enum tars_net_kind {
    TARS_NET_NONE = 0,
    TARS_NET_REFUSED, /* connect refused (nothing listening) */
    TARS_NET_TIMEOUT, /* the caller's timer expired (or the kernel's, on connect) */
    TARS_NET_RESET,   /* reset by the peer, or broken pipe */
    TARS_NET_TLS,     /* handshake, certificate or record-layer failure */
    TARS_NET_IO,      /* any other socket error */
};
#define TARS_NET_KIND_COUNT 6

/* "none", "refused", "timeout", "reset", "tls", "io". */
const char *tars_net_kind_name(int kind);

enum tars_net_wait {
    TARS_NET_WAIT_READ = 1,
    TARS_NET_WAIT_WRITE = 2,
};

typedef struct tars_tls tars_tls;

struct tars_tls_opts {
    bool insecure;       /* do not verify the certificate */
    const char *ca_file; /* PEM trust anchors; NULL: the system store */
};

/* opts NULL: verify against the system store. Bad CA file → TARS_EIO. */
int tars_tls_new(tars_tls **out, const struct tars_tls_opts *opts,
                 struct tars_err *err) TARS_MUST_CHECK;
void tars_tls_free(tars_tls *tls);

/* Where connections go. Filled once by tars_net_target_init, then read-only. */
struct tars_net_target {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bool host_is_ip;                    /* no SNI; verify the IP instead */
    char host[TARS_URL_HOST_MAX + 1];   /* SNI and certificate name */
    char label[TARS_URL_AUTHORITY_MAX]; /* "host:port" for messages */
    tars_tls *tls;                      /* NULL: plain TCP; not owned */
};

/*
 * Resolves host (a name or a numeric address) once with getaddrinfo and keeps
 * the first address. Unknown host → TARS_ENOTFOUND.
 */
int tars_net_target_init(struct tars_net_target *t, const char *host, uint16_t port, tars_tls *tls,
                         struct tars_err *err) TARS_MUST_CHECK;

struct tars_net_conn;

/* One transport (plain or TLS); chosen by tars_net_connect from the target. */
struct tars_net_ops {
    const char *name;
    int (*handshake)(struct tars_net_conn *c, struct tars_err *err);
    int (*read)(struct tars_net_conn *c, char *buf, size_t size, size_t *got, struct tars_err *err);
    int (*write)(struct tars_net_conn *c, const char *buf, size_t len, size_t *sent,
                 struct tars_err *err);
    void (*close)(struct tars_net_conn *c);
};

/* A connection; lives wherever the caller wants (array of slots, stack). */
struct tars_net_conn {
    int fd;   /* -1 when closed; register it with the caller's poller */
    int wait; /* after TARS_AGAIN: enum tars_net_wait */
    int kind; /* after an error: enum tars_net_kind */
    const struct tars_net_ops *ops;
    const struct tars_net_target *target;
    void *_tls;       /* private: the OpenSSL handle */
    bool _connecting; /* private: SO_ERROR not checked yet */
};

#define TARS_NET_CONN_INIT                                                                         \
    {                                                                                              \
        -1, 0, TARS_NET_NONE, NULL, NULL, NULL, false                                              \
    }

void tars_net_conn_init(struct tars_net_conn *c);

/*
 * Starts a non-blocking connect with TCP_NODELAY. Returns TARS_AGAIN with
 * c->wait = TARS_NET_WAIT_WRITE (then call tars_net_handshake when the
 * socket is writable) or TARS_EUNAVAIL / TARS_EIO with c->kind set. c must
 * have been initialised; an open c is closed first. Connect failures return
 * TARS_EUNAVAIL, read/write/TLS failures TARS_EIO.
 */
int tars_net_connect(struct tars_net_conn *c, const struct tars_net_target *t,
                     struct tars_err *err) TARS_MUST_CHECK;

/* Finishes the connect (SO_ERROR) and, for TLS, the handshake. */
static inline int tars_net_handshake(struct tars_net_conn *c, struct tars_err *err)
{
    TARS_DASSERT(c->ops && c->fd >= 0);
    return c->ops->handshake(c, err);
}

/* Reads up to size (> 0) bytes; TARS_OK with *got == 0 means end of stream. */
static inline int tars_net_read(struct tars_net_conn *c, char *buf, size_t size, size_t *got,
                                struct tars_err *err)
{
    TARS_DASSERT(c->ops && c->fd >= 0 && !c->_connecting && buf && size > 0);
    return c->ops->read(c, buf, size, got, err);
}

/*
 * Writes up to len bytes; TARS_OK with *sent (possibly less than len). After
 * TARS_AGAIN retry with the same bytes (TLS requires it).
 */
static inline int tars_net_write(struct tars_net_conn *c, const char *buf, size_t len, size_t *sent,
                                 struct tars_err *err)
{
    TARS_DASSERT(c->ops && c->fd >= 0 && !c->_connecting && (buf || len == 0));
    return c->ops->write(c, buf, len, sent, err);
}

/* Closes the socket and frees TLS state; c can be connected again. */
void tars_net_close(struct tars_net_conn *c);

/* ---- listening (servers) ---- */

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (host 127.0.0.1) into host and port
 * (0..65535). TARS_EINVAL when malformed or host does not fit host_size. */
int tars_net_parse_listen(const char *spec, char *host, size_t host_size,
                          int *port) TARS_MUST_CHECK;
/* True when host is a numeric loopback address (127.0.0.0/8 or ::1). */
bool tars_net_is_loopback(const char *host);
/* A non-blocking, close-on-exec socket listening on the numeric address
 * host:port (port 0: any free port), SO_REUSEADDR and, when reuse_port, also
 * SO_REUSEPORT. Returns the descriptor, or TARS_EINVAL (host not numeric) /
 * TARS_EIO naming the address. */
int tars_net_listen(const char *host, int port, bool reuse_port, struct tars_err *err);
/* The port a socket is bound to, or -1. */
int tars_net_local_port(int fd);

#endif
