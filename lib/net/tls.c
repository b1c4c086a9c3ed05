/* The TLS transport, through OpenSSL (the only file that knows it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net_int.h"
#include "tars/alloc.h"

struct tars_tls {
    SSL_CTX *ctx;
};

/* The newest OpenSSL error as text, or fallback; empties the queue. */
static void ssl_error_text(char *out, size_t size, const char *fallback)
{
    unsigned long code = ERR_peek_last_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;

    snprintf(out, size, "%s", reason ? reason : fallback);
    ERR_clear_error();
}

static int tls_ctx_fail(SSL_CTX *ctx, const char *what, struct tars_err *err)
{
    char text[128];

    ssl_error_text(text, sizeof(text), "unknown error");
    SSL_CTX_free(ctx);
    return tars_err_set(err, TARS_EIO, "%s: %s", what, text);
}

static int tls_load_trust(SSL_CTX *ctx, const struct tars_tls_opts *opts, struct tars_err *err)
{
    if (opts->ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, opts->ca_file, NULL) != 1)
            return tls_ctx_fail(ctx, "cannot load CA file", err);
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return tls_ctx_fail(ctx, "cannot load the system trust store", err);
    }
    return TARS_OK;
}

int tars_tls_new(tars_tls **out, const struct tars_tls_opts *opts, struct tars_err *err)
{
    static const struct tars_tls_opts defaults = {false, NULL};
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int rc;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!ctx)
        return tls_ctx_fail(NULL, "cannot create a TLS context", err);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        return tls_ctx_fail(ctx, "cannot require TLS 1.2", err);
    if (!opts->insecure) {
        rc = tls_load_trust(ctx, opts, err);
        if (rc)
            return rc;
    }
    SSL_CTX_set_verify(ctx, opts->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    /* The engine retries writes from its own buffer, which may move between calls. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* Servers often close without close_notify after "Connection: close". */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    *out = xcalloc(1, sizeof(**out));
    (*out)->ctx = ctx;
    return TARS_OK;
}

void tars_tls_free(tars_tls *tls)
{
    if (!tls)
        return;
    SSL_CTX_free(tls->ctx);
    free(tls);
}

/* SNI for names; the name or the IP address the certificate must carry. */
static int tls_set_peer(SSL *ssl, const struct tars_net_target *t)
{
    if (t->host_is_ip)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t->host) == 1;
    return SSL_set_tlsext_host_name(ssl, t->host) == 1 && SSL_set1_host(ssl, t->host) == 1;
}

int net_tls_attach(struct tars_net_conn *c, struct tars_err *err)
{
    SSL *ssl = SSL_new(c->target->tls->ctx);
    char text[128];

    if (!ssl)
        goto fail;
    c->_tls = ssl;
    if (SSL_set_fd(ssl, c->fd) != 1 || !tls_set_peer(ssl, c->target))
        goto fail;
    SSL_set_connect_state(ssl);
    return TARS_OK;
fail:
    c->kind = TARS_NET_TLS;
    ssl_error_text(text, sizeof(text), "out of memory");
    return tars_err_set(err, TARS_EIO, "TLS setup for %s: %s", c->target->label, text);
}

/* A failed TLS step (SSL_get_error's verdict on ret) as TARS_AGAIN or an error. */
static int tls_failed(struct tars_net_conn *c, int ret, const char *what, struct tars_err *err)
{
    SSL *ssl = c->_tls;
    int e = errno;
    char text[160];
    long verify;

    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ: c->wait = TARS_NET_WAIT_READ; return TARS_AGAIN;
    case SSL_ERROR_WANT_WRITE: c->wait = TARS_NET_WAIT_WRITE; return TARS_AGAIN;
    case SSL_ERROR_SYSCALL:
        if (e != 0 && ERR_peek_error() == 0)
            return net_fail(c, TARS_EIO, net_kind_of_errno(e), e, what, err);
        break;
    default: break;
    }
    c->kind = TARS_NET_TLS;
    if (!err) {
        ERR_clear_error();
        return TARS_EIO;
    }
    ssl_error_text(text, sizeof(text), "connection closed");
    verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
        return tars_err_set(err, TARS_EIO, "%s %s: %s (%s)", what, c->target->label, text,
                            X509_verify_cert_error_string(verify));
    return tars_err_set(err, TARS_EIO, "%s %s: %s", what, c->target->label, text);
}

static int tls_handshake(struct tars_net_conn *c, struct tars_err *err)
{
    int ret;

    if (c->_connecting) {
        int rc = net_finish_connect(c, err);
        if (rc)
            return rc;
    }
    ERR_clear_error();
    errno = 0;
    ret = SSL_connect(c->_tls);
    if (ret == 1)
        return TARS_OK;
    return tls_failed(c, ret, "TLS handshake with", err);
}

static int tls_read(struct tars_net_conn *c, char *buf, size_t size, size_t *got,
                    struct tars_err *err)
{
    int ret;

    ERR_clear_error();
    errno = 0;
    ret = SSL_read_ex(c->_tls, buf, size, got);
    if (ret == 1)
        return TARS_OK;
    *got = 0;
    if (SSL_get_error(c->_tls, ret) == SSL_ERROR_ZERO_RETURN)
        return TARS_OK;
    return tls_failed(c, ret, "TLS read from", err);
}

static int tls_write(struct tars_net_conn *c, const char *buf, size_t len, size_t *sent,
                     struct tars_err *err)
{
    int ret;

    *sent = 0;
    if (len == 0)
        return TARS_OK;
    ERR_clear_error();
    errno = 0;
    ret = SSL_write_ex(c->_tls, buf, len, sent);
    if (ret == 1)
        return TARS_OK;
    return tls_failed(c, ret, "TLS write to", err);
}

static void tls_close(struct tars_net_conn *c)
{
    SSL *ssl = c->_tls;

    if (ssl) {
        /* Best effort: send close_notify once without waiting for the peer's. */
        if (SSL_is_init_finished(ssl))
            (void)SSL_shutdown(ssl);
        ERR_clear_error();
        SSL_free(ssl);
        c->_tls = NULL;
    }
    if (c->fd >= 0)
        (void)close(c->fd); /* nothing useful to do if closing fails */
    c->fd = -1;
}

const struct tars_net_ops net_tls_ops = {
    "tls", tls_handshake, tls_read, tls_write, tls_close,
};
