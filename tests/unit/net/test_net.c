/*
 * Unit tests for lib/net: non-blocking connect, plain and TLS transports,
 * error kinds. Peers are threads of this test on 127.0.0.1 (no other
 * network); every wait is bounded (poll and socket timeouts of 5 s).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tars/net.h"

#define WAIT_MS 5000
#define REQUEST "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#define RESPONSE "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"

/* ---- a one-connection peer on 127.0.0.1 ---- */

enum peer_mode {
    PEER_HTTP,    /* plain: read a request, answer RESPONSE, close */
    PEER_NOT_TLS, /* plain: read a ClientHello, answer in HTTP, close */
    PEER_TLS,     /* TLS: like PEER_HTTP over TLS */
};

struct peer {
    enum peer_mode mode;
    SSL_CTX *tls;
    int listen_fd;
    uint16_t port;
    pthread_t thread;
    char request[1024];
    size_t request_len;
};

static void set_timeout(int fd)
{
    struct timeval tv = {WAIT_MS / 1000, 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
}

/* A socket bound to 127.0.0.1 on a free port; *port receives it. */
static int bind_loopback(uint16_t *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Reads until the end of the request head (or EOF, error, timeout). */
static void peer_read_request(struct peer *p, int fd, SSL *ssl)
{
    while (p->request_len < sizeof(p->request) - 1) {
        size_t room = sizeof(p->request) - 1 - p->request_len;
        ssize_t n = ssl ? SSL_read(ssl, p->request + p->request_len, (int)room)
                        : read(fd, p->request + p->request_len, room);
        if (n <= 0)
            break;
        p->request_len += (size_t)n;
        p->request[p->request_len] = '\0';
        if (strstr(p->request, "\r\n\r\n") || p->mode == PEER_NOT_TLS)
            break;
    }
}

/* Waits for the client to close, so that our close sends FIN, not RST. */
static void peer_drain(int fd)
{
    char buf[512];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

static void peer_serve_tls(struct peer *p, int fd)
{
    SSL *ssl = SSL_new(p->tls);

    if (!ssl)
        return;
    if (SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
        peer_read_request(p, fd, ssl);
        if (SSL_write(ssl, RESPONSE, (int)strlen(RESPONSE)) > 0)
            (void)SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    peer_drain(fd);
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    int fd = accept(p->listen_fd, NULL, NULL);

    if (fd < 0)
        return NULL;
    set_timeout(fd);
    if (p->mode == PEER_TLS) {
        peer_serve_tls(p, fd);
    } else {
        const char *answer = p->mode == PEER_HTTP ? RESPONSE : "HTTP/1.1 400 Bad Request\r\n\r\n";
        peer_read_request(p, fd, NULL);
        if (write(fd, answer, strlen(answer)) > 0 && p->mode == PEER_NOT_TLS)
            peer_drain(fd);
    }
    close(fd);
    return NULL;
}

static void peer_start(struct peer *p, enum peer_mode mode, SSL_CTX *tls)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->tls = tls;
    p->listen_fd = bind_loopback(&p->port);
    set_timeout(p->listen_fd);
    assert_int_equal(listen(p->listen_fd, 4), 0);
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_stop(struct peer *p)
{
    assert_int_equal(pthread_join(p->thread, NULL), 0);
    close(p->listen_fd);
}

/* ---- client helpers ---- */

static void wait_ready(struct tars_net_conn *c)
{
    struct pollfd pfd = {c->fd, c->wait == TARS_NET_WAIT_READ ? POLLIN : POLLOUT, 0};
    assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
}

static int connect_fully(struct tars_net_conn *c, const struct tars_net_target *t,
                         struct tars_err *err)
{
    int rc = tars_net_connect(c, t, err);

    while (rc == TARS_AGAIN) {
        wait_ready(c);
        rc = tars_net_handshake(c, err);
    }
    return rc;
}

static void write_all(struct tars_net_conn *c, const char *data, size_t len)
{
    struct tars_err err = TARS_ERR_INIT;

    while (len > 0) {
        size_t sent = 0;
        int rc = tars_net_write(c, data, len, &sent, &err);
        if (rc == TARS_AGAIN) {
            wait_ready(c);
            continue;
        }
        if (rc != TARS_OK)
            fail_msg("write: %s", err.msg);
        data += sent;
        len -= sent;
    }
}

/* Reads until end of stream; returns the length read into buf. */
static size_t read_all(struct tars_net_conn *c, char *buf, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    size_t len = 0;

    for (;;) {
        size_t got = 0;
        int rc = tars_net_read(c, buf + len, size - 1 - len, &got, &err);
        if (rc == TARS_AGAIN) {
            wait_ready(c);
            continue;
        }
        if (rc != TARS_OK)
            fail_msg("read: %s", err.msg);
        if (got == 0 || len + got == size - 1)
            break;
        len += got;
    }
    buf[len] = '\0';
    return len;
}

/* ---- tests ---- */

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(tars_net_kind_name(TARS_NET_REFUSED), "refused");
    assert_string_equal(tars_net_kind_name(TARS_NET_TIMEOUT), "timeout");
    assert_string_equal(tars_net_kind_name(TARS_NET_RESET), "reset");
    assert_string_equal(tars_net_kind_name(TARS_NET_TLS), "tls");
    assert_string_equal(tars_net_kind_name(TARS_NET_IO), "io");
    assert_string_equal(tars_net_kind_name(99), "unknown");
}

static void test_resolve(void **state)
{
    struct tars_net_target t;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_int_equal(tars_net_target_init(&t, "127.0.0.1", 8080, NULL, &err), TARS_OK);
    assert_int_equal(t.addr.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&t.addr)->sin_port), 8080);
    assert_true(t.host_is_ip);
    assert_string_equal(t.label, "127.0.0.1:8080");
    assert_int_equal(tars_net_target_init(&t, "::1", 443, NULL, &err), TARS_OK);
    assert_int_equal(t.addr.ss_family, AF_INET6);
    assert_string_equal(t.label, "[::1]:443");
    /* A name, not a number: still no network (localhost is in /etc/hosts). */
    assert_int_equal(tars_net_target_init(&t, "localhost", 80, NULL, &err), TARS_OK);
    assert_false(t.host_is_ip);
    assert_string_equal(t.host, "localhost");
}

static void test_connect_refused(void **state)
{
    struct tars_net_target t;
    struct tars_net_conn c = TARS_NET_CONN_INIT;
    struct tars_err err = TARS_ERR_INIT;
    uint16_t port;
    int fd = bind_loopback(&port); /* bound, never listening: the port refuses */
    (void)state;

    assert_int_equal(tars_net_target_init(&t, "127.0.0.1", port, NULL, &err), TARS_OK);
    assert_int_equal(connect_fully(&c, &t, &err), TARS_EUNAVAIL);
    assert_int_equal(c.kind, TARS_NET_REFUSED);
    assert_int_equal(err.code, TARS_EUNAVAIL);
    assert_non_null(strstr(err.msg, "connect to 127.0.0.1:"));
    assert_non_null(strstr(err.msg, "connection refused"));
    tars_net_close(&c);
    assert_int_equal(c.fd, -1);
    tars_net_close(&c); /* closing twice is harmless */
    close(fd);
}

static void test_plain_exchange(void **state)
{
    struct peer peer;
    struct tars_net_target t;
    struct tars_net_conn c;
    struct tars_err err = TARS_ERR_INIT;
    char buf[512];
    size_t got = 1;
    (void)state;

    peer_start(&peer, PEER_HTTP, NULL);
    tars_net_conn_init(&c);
    assert_int_equal(tars_net_target_init(&t, "127.0.0.1", peer.port, NULL, &err), TARS_OK);
    assert_int_equal(tars_net_connect(&c, &t, &err), TARS_AGAIN);
    assert_int_equal(c.wait, TARS_NET_WAIT_WRITE);
    assert_true(c.fd >= 0);
    wait_ready(&c);
    assert_int_equal(tars_net_handshake(&c, &err), TARS_OK);
    /* Nothing sent yet, so nothing to read: would block. */
    assert_int_equal(tars_net_read(&c, buf, sizeof(buf), &got, &err), TARS_AGAIN);
    assert_int_equal(got, 0);
    assert_int_equal(c.wait, TARS_NET_WAIT_READ);
    write_all(&c, REQUEST, strlen(REQUEST));
    assert_int_equal(read_all(&c, buf, sizeof(buf)), strlen(RESPONSE));
    assert_string_equal(buf, RESPONSE);
    tars_net_close(&c);
    peer_stop(&peer);
    assert_string_equal(peer.request, REQUEST);
}

static void test_write_after_peer_reset_is_reset_kind(void **state)
{
    struct tars_net_target t;
    struct tars_net_conn c = TARS_NET_CONN_INIT;
    struct tars_err err = TARS_ERR_INIT;
    struct linger hard = {1, 0};
    uint16_t port;
    int lfd = bind_loopback(&port), sfd, rc = TARS_OK;
    size_t sent;
    (void)state;

    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(tars_net_target_init(&t, "127.0.0.1", port, NULL, &err), TARS_OK);
    assert_int_equal(connect_fully(&c, &t, &err), TARS_OK);
    sfd = accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);
    /* SO_LINGER 0: close sends RST. */
    assert_int_equal(setsockopt(sfd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard)), 0);
    close(sfd);
    for (int i = 0; i < 100 && rc == TARS_OK; i++) {
        rc = tars_net_write(&c, "x", 1, &sent, &err);
        if (rc == TARS_OK)
            usleep(10000);
    }
    assert_int_equal(rc, TARS_EIO);
    assert_int_equal(c.kind, TARS_NET_RESET);
    tars_net_close(&c);
    close(lfd);
}

/* ---- TLS ---- */

struct test_cert {
    EVP_PKEY *key;
    X509 *cert;
    char pem_path[64];
};

static void add_san(X509 *x, const char *san)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A self-signed certificate for IP 127.0.0.1, also written as PEM. */
static void make_cert(struct test_cert *tc)
{
    X509_NAME *name;
    FILE *f;
    int fd;

    tc->key = EVP_EC_gen("P-256");
    assert_non_null(tc->key);
    tc->cert = X509_new();
    assert_int_equal(X509_set_version(tc->cert, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(tc->cert), 1), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(tc->cert), -60));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(tc->cert), 3600));
    assert_int_equal(X509_set_pubkey(tc->cert, tc->key), 1);
    name = X509_get_subject_name(tc->cert);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"tars test", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(tc->cert, name), 1);
    add_san(tc->cert, "IP:127.0.0.1");
    assert_true(X509_sign(tc->cert, tc->key, EVP_sha256()) > 0);
    snprintf(tc->pem_path, sizeof(tc->pem_path), "/tmp/tars-test-ca-XXXXXX");
    fd = mkstemp(tc->pem_path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, tc->cert), 1);
    assert_int_equal(fclose(f), 0);
}

static void free_cert(struct test_cert *tc)
{
    unlink(tc->pem_path);
    X509_free(tc->cert);
    EVP_PKEY_free(tc->key);
}

static SSL_CTX *server_ctx(struct test_cert *tc)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate(ctx, tc->cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, tc->key), 1);
    return ctx;
}

static void test_tls_to_plain_port_is_tls_kind(void **state)
{
    struct tars_tls_opts opts = {false, NULL};
    struct peer peer;
    struct tars_net_target t;
    struct tars_net_conn c = TARS_NET_CONN_INIT;
    struct tars_err err = TARS_ERR_INIT;
    tars_tls *tls;
    (void)state;

    assert_int_equal(tars_tls_new(&tls, &opts, &err), TARS_OK);
    peer_start(&peer, PEER_NOT_TLS, NULL);
    assert_int_equal(tars_net_target_init(&t, "127.0.0.1", peer.port, tls, &err), TARS_OK);
    assert_int_equal(connect_fully(&c, &t, &err), TARS_EIO);
    assert_int_equal(c.kind, TARS_NET_TLS);
    assert_non_null(strstr(err.msg, "TLS handshake with 127.0.0.1:"));
    tars_net_close(&c);
    peer_stop(&peer);
    /* The peer did receive a TLS ClientHello (record type 22, handshake). */
    assert_true(peer.request_len > 5);
    assert_int_equal((unsigned char)peer.request[0], 22);
    tars_tls_free(tls);
}

/* Connects over TLS to a PEER_TLS peer; returns the handshake's result. */
static int tls_exchange(const struct tars_tls_opts *opts, SSL_CTX *server, char *reply, size_t size,
                        struct tars_err *err, int *kind)
{
    struct peer peer;
    struct tars_net_target t;
    struct tars_net_conn c = TARS_NET_CONN_INIT;
    tars_tls *tls;
    int rc;

    assert_int_equal(tars_tls_new(&tls, opts, err), TARS_OK);
    peer_start(&peer, PEER_TLS, server);
    assert_int_equal(tars_net_target_init(&t, "127.0.0.1", peer.port, tls, err), TARS_OK);
    rc = connect_fully(&c, &t, err);
    *kind = c.kind;
    if (rc == TARS_OK) {
        write_all(&c, REQUEST, strlen(REQUEST));
        read_all(&c, reply, size);
    }
    tars_net_close(&c);
    peer_stop(&peer);
    if (rc == TARS_OK)
        assert_string_equal(peer.request, REQUEST);
    tars_tls_free(tls);
    return rc;
}

static void test_tls_verification(void **state)
{
    struct test_cert tc;
    struct tars_tls_opts system_store = {false, NULL};
    struct tars_tls_opts own_ca = {false, NULL};
    struct tars_tls_opts insecure = {true, NULL};
    struct tars_err err = TARS_ERR_INIT;
    char reply[512] = "";
    SSL_CTX *server;
    int kind;
    (void)state;

    make_cert(&tc);
    server = server_ctx(&tc);
    own_ca.ca_file = tc.pem_path;

    /* Verification is on by default: a self-signed certificate fails. */
    assert_int_equal(tls_exchange(&system_store, server, reply, sizeof(reply), &err, &kind),
                     TARS_EIO);
    assert_int_equal(kind, TARS_NET_TLS);
    assert_non_null(strstr(err.msg, "certificate verify failed"));
    assert_non_null(strstr(err.msg, "self-signed certificate"));

    /* Trusted through ca_file, with the IP address checked: it works. */
    assert_int_equal(tls_exchange(&own_ca, server, reply, sizeof(reply), &err, &kind), TARS_OK);
    assert_string_equal(reply, RESPONSE);

    /* Insecure: no verification. */
    reply[0] = '\0';
    assert_int_equal(tls_exchange(&insecure, server, reply, sizeof(reply), &err, &kind), TARS_OK);
    assert_string_equal(reply, RESPONSE);

    SSL_CTX_free(server);
    free_cert(&tc);
}

static void test_tls_missing_ca_file(void **state)
{
    struct tars_tls_opts opts = {false, "/nonexistent/ca.pem"};
    struct tars_err err = TARS_ERR_INIT;
    tars_tls *tls = (tars_tls *)&opts;
    (void)state;
    assert_int_equal(tars_tls_new(&tls, &opts, &err), TARS_EIO);
    assert_null(tls);
    assert_non_null(strstr(err.msg, "cannot load CA file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_plain_exchange),
        cmocka_unit_test(test_write_after_peer_reset_is_reset_kind),
        cmocka_unit_test(test_tls_to_plain_port_is_tls_kind),
        cmocka_unit_test(test_tls_verification),
        cmocka_unit_test(test_tls_missing_ca_file),
    };
    /* TLS writes may raise SIGPIPE (see tars/net.h). */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
