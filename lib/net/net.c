/*
 * Sockets: address resolution, non-blocking connect and the plain TCP
 * transport. TLS lives in tls.c behind the same struct tars_net_ops.
 */
#include "tars/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net_int.h"
#include "tars/str.h"

const char *tars_net_kind_name(int kind)
{
    static const char *const names[TARS_NET_KIND_COUNT] = {
        "none", "refused", "timeout", "reset", "tls", "io",
    };
    if (kind < 0 || kind >= TARS_NET_KIND_COUNT)
        return "unknown";
    return names[kind];
}

int net_kind_of_errno(int errnum)
{
    switch (errnum) {
    case ECONNREFUSED: return TARS_NET_REFUSED;
    case ETIMEDOUT: return TARS_NET_TIMEOUT;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE: return TARS_NET_RESET;
    default: return TARS_NET_IO;
    }
}

int net_fail(struct tars_net_conn *c, int code, int kind, int errnum, const char *what,
             struct tars_err *err)
{
    char scratch[128], text[128];
    const char *label = c->target ? c->target->label : "?";

    c->kind = kind;
    if (!err)
        return code;
    /* GNU strerror_r: the result may or may not be scratch. */
    tars_strlcpy(text, strerror_r(errnum, scratch, sizeof(scratch)), sizeof(text));
    text[0] = (char)tolower((unsigned char)text[0]);
    return tars_err_set(err, code, "%s %s: %s", what, label, text);
}

static int is_ip_literal(const char *host)
{
    unsigned char bin[16];
    return inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1;
}

static void target_label(struct tars_net_target *t, uint16_t port)
{
    /* host ≤ 253 bytes, so the label always fits: the result needs no check. */
    if (strchr(t->host, ':'))
        snprintf(t->label, sizeof(t->label), "[%s]:%u", t->host, (unsigned)port);
    else
        snprintf(t->label, sizeof(t->label), "%s:%u", t->host, (unsigned)port);
}

int tars_net_target_init(struct tars_net_target *t, const char *host, uint16_t port, tars_tls *tls,
                         struct tars_err *err)
{
    struct addrinfo hints, *res = NULL;
    char service[8];
    int rc;

    memset(t, 0, sizeof(*t));
    if (tars_strlcpy(t->host, host, sizeof(t->host)) >= sizeof(t->host))
        return tars_err_set(err, TARS_EINVAL, "host too long");
    t->host_is_ip = is_ip_literal(host);
    t->tls = tls;
    target_label(t, port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return tars_err_set(err, TARS_ENOTFOUND, "cannot resolve host \"%s\": %s", host,
                            rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return TARS_OK;
}

void tars_net_conn_init(struct tars_net_conn *c)
{
    struct tars_net_conn empty = TARS_NET_CONN_INIT;
    *c = empty;
}

static int open_socket(struct tars_net_conn *c, struct tars_err *err)
{
    int one = 1;

    c->fd = socket(c->target->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return net_fail(c, TARS_EIO, TARS_NET_IO, errno, "socket for", err);
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        return net_fail(c, TARS_EIO, TARS_NET_IO, errno, "TCP_NODELAY for", err);
    return TARS_OK;
}

int tars_net_connect(struct tars_net_conn *c, const struct tars_net_target *t, struct tars_err *err)
{
    int rc;

    TARS_DASSERT(c && t && t->addr_len > 0);
    tars_net_close(c);
    c->target = t;
    c->kind = TARS_NET_NONE;
    c->ops = t->tls ? &net_tls_ops : &net_plain_ops;
    rc = open_socket(c, err);
    if (rc)
        goto out;
    if (connect(c->fd, (const struct sockaddr *)&t->addr, t->addr_len) != 0 &&
        errno != EINPROGRESS) {
        int e = errno;
        rc = net_fail(c, TARS_EUNAVAIL, net_kind_of_errno(e), e, "connect to", err);
        goto out;
    }
    if (t->tls) {
        rc = net_tls_attach(c, err);
        if (rc)
            goto out;
    }
    c->_connecting = true;
    c->wait = TARS_NET_WAIT_WRITE;
    rc = TARS_AGAIN;
out:
    if (rc < 0)
        tars_net_close(c);
    return rc;
}

int net_finish_connect(struct tars_net_conn *c, struct tars_err *err)
{
    int e = 0;
    socklen_t len = sizeof(e);

    TARS_DASSERT(c->_connecting && c->fd >= 0);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (e == EINPROGRESS || e == EALREADY) {
        c->wait = TARS_NET_WAIT_WRITE;
        return TARS_AGAIN;
    }
    if (e != 0)
        return net_fail(c, TARS_EUNAVAIL, net_kind_of_errno(e), e, "connect to", err);
    c->_connecting = false;
    return TARS_OK;
}

void tars_net_close(struct tars_net_conn *c)
{
    if (c->ops) {
        c->ops->close(c);
    } else if (c->fd >= 0) {
        (void)close(c->fd); /* nothing useful to do if closing fails */
        c->fd = -1;
    }
    c->_connecting = false;
}

/* Plain TCP transport. */

static int plain_handshake(struct tars_net_conn *c, struct tars_err *err)
{
    return c->_connecting ? net_finish_connect(c, err) : TARS_OK;
}

static int plain_read(struct tars_net_conn *c, char *buf, size_t size, size_t *got,
                      struct tars_err *err)
{
    ssize_t n;

    do
        n = recv(c->fd, buf, size, 0);
    while (n < 0 && errno == EINTR);
    if (n >= 0) {
        *got = (size_t)n;
        return TARS_OK;
    }
    *got = 0;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->wait = TARS_NET_WAIT_READ;
        return TARS_AGAIN;
    }
    return net_fail(c, TARS_EIO, net_kind_of_errno(errno), errno, "read from", err);
}

static int plain_write(struct tars_net_conn *c, const char *buf, size_t len, size_t *sent,
                       struct tars_err *err)
{
    ssize_t n;

    do
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0) {
        *sent = (size_t)n;
        return TARS_OK;
    }
    *sent = 0;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->wait = TARS_NET_WAIT_WRITE;
        return TARS_AGAIN;
    }
    return net_fail(c, TARS_EIO, net_kind_of_errno(errno), errno, "write to", err);
}

static void plain_close(struct tars_net_conn *c)
{
    if (c->fd >= 0)
        (void)close(c->fd); /* nothing useful to do if closing fails */
    c->fd = -1;
}

const struct tars_net_ops net_plain_ops = {
    "tcp", plain_handshake, plain_read, plain_write, plain_close,
};
