/*
 * tars_ws_conn against a server thread on 127.0.0.1 that scripts the other
 * side byte by byte: the upgrade, fragments, a ping, the close handshake,
 * a refused upgrade and an oversized frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tars/clock.h"
#include "tars/ws.h"

enum script { SCRIPT_CONVERSATION, SCRIPT_REFUSE, SCRIPT_OVERSIZED };

struct server {
    int listen_fd;
    uint16_t port;
    enum script script;
    pthread_t thread;
    char request[4096];
    char pong[16];
    char text[16];
    int close_code;
};

static void read_head(int fd, char *out, size_t cap)
{
    size_t n = 0;

    while (n + 1 < cap && (n < 4 || memcmp(out + n - 4, "\r\n\r\n", 4) != 0)) {
        if (read(fd, out + n, 1) != 1)
            break;
        n++;
    }
    out[n] = '\0';
}

static void write_all(int fd, const void *data, size_t len)
{
    assert_int_equal(write(fd, data, len), (ssize_t)len);
}

/* Reads one short masked client frame; returns its opcode, the payload unmasked. */
static int read_frame(int fd, char *out, size_t cap)
{
    uint8_t head[2], mask[4];
    size_t len;

    assert_int_equal(read(fd, head, 2), 2);
    assert_true(head[1] & 0x80); /* clients mask */
    len = head[1] & 0x7f;
    assert_true(len < cap);
    assert_int_equal(read(fd, mask, 4), 4);
    assert_int_equal(read(fd, out, len), (ssize_t)len);
    tars_ws_mask((uint8_t *)out, len, mask);
    out[len] = '\0';
    return head[0] & 0x0f;
}

static void send_frame(int fd, int first_byte, const char *payload, size_t len)
{
    uint8_t frame[256];

    frame[0] = (uint8_t)first_byte;
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, payload, len);
    write_all(fd, frame, len + 2);
}

static void answer_upgrade(struct server *s, int fd)
{
    char key[64] = "", accept[TARS_WS_ACCEPT_LEN], answer[256];
    const char *k = strstr(s->request, "Sec-WebSocket-Key: ");

    if (k)
        sscanf(k + 19, "%63[^\r]", key);
    tars_ws_accept_key(key, accept);
    snprintf(answer, sizeof(answer),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\n\r\n",
             accept);
    write_all(fd, answer, strlen(answer));
}

static void *serve(void *arg)
{
    struct server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    char buf[64];

    read_head(fd, s->request, sizeof(s->request));
    if (s->script == SCRIPT_REFUSE) {
        const char *no = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
        write_all(fd, no, strlen(no));
    } else if (s->script == SCRIPT_OVERSIZED) {
        char big[100];
        answer_upgrade(s, fd);
        memset(big, 'x', sizeof(big));
        send_frame(fd, 0x81, big, sizeof(big));
        (void)read(fd, buf, sizeof(buf));
    } else {
        answer_upgrade(s, fd);
        send_frame(fd, 0x01, "Hel", 3); /* text, not final */
        send_frame(fd, 0x89, "p1", 2);  /* a ping between the fragments */
        send_frame(fd, 0x80, "lo", 2);  /* continuation, final */
        send_frame(fd, 0x81, "world", 5);
        assert_int_equal(read_frame(fd, s->pong, sizeof(s->pong)), TARS_WS_PONG);
        assert_int_equal(read_frame(fd, s->text, sizeof(s->text)), TARS_WS_TEXT);
        send_frame(fd, 0x88,
                   "\x03\xe9"
                   "bye",
                   5); /* close 1001 */
        assert_int_equal(read_frame(fd, buf, sizeof(buf)), TARS_WS_CLOSE);
        s->close_code = ((uint8_t)buf[0] << 8) | (uint8_t)buf[1];
    }
    close(fd);
    return NULL;
}

static void server_start(struct server *s, enum script script)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);

    memset(s, 0, sizeof(*s));
    s->script = script;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->listen_fd, 4), 0);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

static tars_ws_conn *open_conn(struct server *s, struct tars_ws_endpoint *ep, size_t max_message,
                               int *rc, struct tars_err *err)
{
    char url[128];
    struct tars_ws_endpoint_opts eo = {url, false, NULL};
    struct tars_ws_conn_opts co = {"Bearer abc", "bearer, abc", NULL, max_message, 0};
    tars_ws_conn *c = NULL;

    snprintf(url, sizeof(url), "ws://127.0.0.1:%u/ws?x=1", s->port);
    assert_int_equal(tars_ws_endpoint_init(ep, &eo, err), TARS_OK);
    *rc = tars_ws_conn_open(&c, ep, &co, err);
    return c;
}

static void test_conversation(void **state)
{
    struct server s;
    struct tars_ws_endpoint ep;
    struct tars_ws_event ev;
    struct tars_err err = TARS_ERR_INIT;
    uint64_t deadline = tars_mono_ns() + 5000000000ull;
    int rc;
    tars_ws_conn *c;

    (void)state;
    server_start(&s, SCRIPT_CONVERSATION);
    c = open_conn(&s, &ep, 0, &rc, &err);
    assert_int_equal(rc, TARS_AGAIN);
    assert_int_equal(tars_ws_wait(c, deadline, &ev, &err), TARS_OK);
    assert_int_equal(ev.kind, TARS_WS_EV_OPEN);
    assert_true(tars_ws_conn_is_open(c));
    assert_int_equal(tars_ws_conn_http_status(c), 101);
    assert_int_equal(tars_ws_wait(c, deadline, &ev, &err), TARS_OK);
    assert_int_equal(ev.kind, TARS_WS_EV_MESSAGE);
    assert_int_equal(ev.opcode, TARS_WS_TEXT);
    assert_string_equal(ev.data, "Hello");
    assert_int_equal(tars_ws_wait(c, deadline, &ev, &err), TARS_OK);
    assert_string_equal(ev.data, "world");
    assert_int_equal(ev.len, 5);
    assert_int_equal(tars_ws_conn_send(c, TARS_WS_TEXT, "hi", 2, &err), TARS_OK);
    assert_int_equal(tars_ws_conn_send(c, TARS_WS_PING, "x", 1, &err), TARS_EINVAL);
    assert_int_equal(tars_ws_wait(c, deadline, &ev, &err), TARS_OK);
    assert_int_equal(ev.kind, TARS_WS_EV_CLOSE);
    assert_int_equal(ev.close_code, 1001);
    assert_string_equal(ev.data, "bye");
    assert_false(tars_ws_conn_is_open(c));
    assert_int_equal(tars_ws_conn_send(c, TARS_WS_TEXT, "late", 4, &err), TARS_EUNAVAIL);
    server_stop(&s);
    assert_string_equal(s.pong, "p1");
    assert_string_equal(s.text, "hi");
    assert_int_equal(s.close_code, 1001);
    assert_non_null(strstr(s.request, "GET /ws?x=1 HTTP/1.1\r\n"));
    assert_non_null(strstr(s.request, "\r\nAuthorization: Bearer abc\r\n"));
    assert_non_null(strstr(s.request, "\r\nSec-WebSocket-Protocol: bearer, abc\r\n"));
    assert_non_null(strstr(s.request, "\r\nSec-WebSocket-Version: 13\r\n"));
    tars_ws_conn_free(c);
    tars_ws_endpoint_release(&ep);
}

static void test_refused_and_oversized(void **state)
{
    struct server s;
    struct tars_ws_endpoint ep;
    struct tars_ws_event ev;
    struct tars_err err = TARS_ERR_INIT;
    uint64_t deadline = tars_mono_ns() + 5000000000ull;
    int rc;
    tars_ws_conn *c;

    (void)state;
    server_start(&s, SCRIPT_REFUSE);
    c = open_conn(&s, &ep, 0, &rc, &err);
    assert_int_equal(tars_ws_wait(c, deadline, &ev, &err), TARS_ECONFLICT);
    assert_int_equal(tars_ws_conn_http_status(c), 401);
    assert_non_null(strstr(err.msg, "401"));
    assert_null(strstr(err.msg, "abc")); /* the token never shows */
    tars_ws_conn_free(c);
    tars_ws_endpoint_release(&ep);
    server_stop(&s);

    server_start(&s, SCRIPT_OVERSIZED);
    c = open_conn(&s, &ep, 64, &rc, &err);
    assert_int_equal(tars_ws_wait(c, deadline, &ev, &err), TARS_OK);
    assert_int_equal(ev.kind, TARS_WS_EV_OPEN);
    assert_int_equal(tars_ws_wait(c, deadline, &ev, &err), TARS_ETOOBIG);
    assert_int_equal(tars_ws_conn_send(c, TARS_WS_TEXT, "x", 1, &err), TARS_EUNAVAIL);
    tars_ws_conn_free(c);
    tars_ws_endpoint_release(&ep);
    server_stop(&s);
}

static void test_bad_options(void **state)
{
    struct tars_ws_endpoint ep;
    struct tars_ws_endpoint_opts bad_url = {"ftp://x/ws", false, NULL};
    struct tars_ws_endpoint_opts good = {"ws://127.0.0.1:1/ws", false, NULL};
    struct tars_ws_conn_opts injected = {"Bearer a\r\nX-Evil: 1", NULL, NULL, 0, 0};
    struct tars_err err = TARS_ERR_INIT;
    tars_ws_conn *c = NULL;

    (void)state;
    assert_true(tars_ws_endpoint_init(&ep, &bad_url, &err) < 0);
    assert_int_equal(tars_ws_endpoint_init(&ep, &good, &err), TARS_OK);
    assert_int_equal(tars_ws_conn_open(&c, &ep, &injected, &err), TARS_EINVAL);
    tars_ws_conn_free(c);
    tars_ws_endpoint_release(&ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversation),
        cmocka_unit_test(test_refused_and_oversized),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
