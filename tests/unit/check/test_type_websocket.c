/*
 * The websocket check type's client (lib/check/websocket/ws_client.c): framing against
 * the examples of RFC 6455, and the client against a small server thread on
 * 127.0.0.1 that scripts the other side byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/misc_int.h"
#include "tars/clock.h"
#include "websocket/ws_client.h"

/* ---- framing ---- */

static void test_accept_key_rfc_example(void **state)
{
    char accept[TARS_WS_ACCEPT_LEN];

    (void)state;
    /* RFC 6455 section 1.3. */
    tars_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept);
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    tars_ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", accept);
    assert_string_equal(accept, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

static void test_encode_rfc_examples(void **state)
{
    static const uint8_t unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                     0x7f, 0x9f, 0x4d, 0x51, 0x58};
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t out[64];

    (void)state;
    /* RFC 6455 section 5.7: "Hello", unmasked and masked. */
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_TEXT, NULL, "Hello", 5),
                     sizeof(unmasked));
    assert_memory_equal(out, unmasked, sizeof(unmasked));
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_TEXT, mask, "Hello", 5),
                     sizeof(masked));
    assert_memory_equal(out, masked, sizeof(masked));
    /* Too small a buffer writes nothing. */
    assert_int_equal(tars_ws_frame_encode(out, 10, TARS_WS_TEXT, mask, "Hello", 5), 0);
}

static void test_encode_lengths(void **state)
{
    static uint8_t payload[70000], out[70100];
    struct tars_ws_frame f;
    struct tars_err err = TARS_ERR_INIT;

    (void)state;
    /* 256 bytes: 16-bit length; 65536 bytes: 64-bit length (RFC 5.7). */
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_BINARY, NULL, payload, 256),
                     4 + 256);
    assert_int_equal(out[0], 0x82);
    assert_int_equal(out[1], 0x7e);
    assert_int_equal(out[2], 0x01);
    assert_int_equal(out[3], 0x00);
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_BINARY, NULL, payload, 65536),
                     10 + 65536);
    assert_int_equal(out[1], 0x7f);
    assert_memory_equal(out + 2, "\x00\x00\x00\x00\x00\x01\x00\x00", 8);
    assert_int_equal(tars_ws_frame_parse(out, 10, 1 << 20, &f, &err), TARS_OK);
    assert_int_equal(f.payload_len, 65536);
    assert_int_equal(f.header_len, 10);
    /* 125 is the last one-byte length, 126 the first 16-bit one. */
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_TEXT, NULL, payload, 125),
                     2 + 125);
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_TEXT, NULL, payload, 126),
                     4 + 126);
}

static void test_parse_round_trip_and_partial(void **state)
{
    static const uint8_t mask[4] = {1, 2, 3, 4};
    struct tars_err err = TARS_ERR_INIT;
    struct tars_ws_frame f;
    uint8_t out[64];
    size_t n = tars_ws_frame_encode(out, sizeof(out), TARS_WS_TEXT, mask, "ping!", 5);

    (void)state;
    for (size_t len = 0; len < 6; len++)
        assert_int_equal(tars_ws_frame_parse(out, len, 100, &f, &err), TARS_AGAIN);
    assert_int_equal(tars_ws_frame_parse(out, n, 100, &f, &err), TARS_OK);
    assert_true(f.fin);
    assert_true(f.masked);
    assert_int_equal(f.opcode, TARS_WS_TEXT);
    assert_int_equal(f.payload_len, 5);
    assert_int_equal(f.header_len, 6);
    assert_memory_equal(f.mask, mask, 4);
    tars_ws_mask(out + f.header_len, 5, f.mask);
    assert_memory_equal(out + f.header_len, "ping!", 5);
}

static int parse_bytes(const uint8_t *in, size_t len, uint64_t max)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_ws_frame f;
    int rc = tars_ws_frame_parse(in, len, max, &f, &err);

    if (rc < 0)
        assert_true(err.msg[0] != '\0');
    return rc;
}

static void test_parse_violations(void **state)
{
    static const uint8_t reserved[] = {0xc1, 0x00};
    static const uint8_t opcode3[] = {0x83, 0x00};
    static const uint8_t fragmented_ping[] = {0x09, 0x00};
    static const uint8_t long_ping[] = {0x89, 0x7e, 0x00, 0x80};
    static const uint8_t top_bit[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t big[] = {0x82, 0x7e, 0x10, 0x00};

    (void)state;
    assert_int_equal(parse_bytes(reserved, 2, 100), TARS_EINVAL);
    assert_int_equal(parse_bytes(opcode3, 2, 100), TARS_EINVAL);
    assert_int_equal(parse_bytes(fragmented_ping, 2, 100), TARS_EINVAL);
    assert_int_equal(parse_bytes(long_ping, 4, 100000), TARS_EINVAL);
    assert_int_equal(parse_bytes(top_bit, 10, UINT64_MAX), TARS_EINVAL);
    assert_int_equal(parse_bytes(big, 4, 4095), TARS_ETOOBIG);
    assert_int_equal(parse_bytes(big, 4, 4096), TARS_OK);
}

/* ---- the client against a scripted server ---- */

enum mode { SERVE_OK, SERVE_WRONG_ACCEPT, SERVE_404, SERVE_SILENT, SERVE_QUIET };

struct server {
    int listen_fd;
    int port;
    enum mode mode;
    char request[4096];
    uint8_t got[256]; /* what the client sent after the upgrade */
    size_t got_len;
    pthread_t thread;
};

static void read_request(int fd, struct server *s)
{
    size_t len = 0;

    while (len < sizeof(s->request) - 1 && !strstr(s->request, "\r\n\r\n")) {
        ssize_t n = recv(fd, s->request + len, sizeof(s->request) - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        s->request[len] = '\0';
    }
}

static void send_all(int fd, const void *data, size_t len)
{
    if (send(fd, data, len, MSG_NOSIGNAL) != (ssize_t)len)
        fprintf(stderr, "test server: short send\n");
}

static void answer_upgrade(int fd, struct server *s)
{
    char key[64] = "", accept[TARS_WS_ACCEPT_LEN], answer[512];
    const char *k = strstr(s->request, "Sec-WebSocket-Key: ");

    if (k)
        sscanf(k + strlen("Sec-WebSocket-Key: "), "%63[^\r]", key);
    tars_ws_accept_key(key, accept);
    if (s->mode == SERVE_WRONG_ACCEPT)
        strcpy(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    snprintf(answer, sizeof(answer),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
             accept);
    send_all(fd, answer, strlen(answer));
}

/* Reads until want bytes arrived or the client went away. */
static void read_client(int fd, struct server *s, size_t want)
{
    while (s->got_len < want) {
        ssize_t n = recv(fd, s->got + s->got_len, sizeof(s->got) - s->got_len, 0);
        if (n <= 0)
            break;
        s->got_len += (size_t)n;
    }
}

static void script_ok(int fd, struct server *s)
{
    static const uint8_t ping[] = {0x89, 0x02, 'h', 'b'};
    static const uint8_t part1[] = {0x01, 0x03, 'h', 'e', 'l'};
    static const uint8_t pong[] = {0x8a, 0x00};
    static const uint8_t part2[] = {0x80, 0x02, 'l', 'o'};
    static const uint8_t close_frame[] = {0x88, 0x04, 0x03, 0xe8, 'b', 'y'};

    /* A ping, then "hello" in two fragments with a pong between them. */
    send_all(fd, ping, sizeof(ping));
    send_all(fd, part1, sizeof(part1));
    send_all(fd, pong, sizeof(pong));
    send_all(fd, part2, sizeof(part2));
    read_client(fd, s, 8 + 7); /* the pong (2+4+2), then "x" (2+4+1) */
    send_all(fd, close_frame, sizeof(close_frame));
    read_client(fd, s, 8 + 7 + 8); /* the close answer (2+4+2) */
}

static void *serve(void *arg)
{
    static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    struct server *s = arg;
    struct timeval tv = {3, 0};
    int fd = accept(s->listen_fd, NULL, NULL);

    if (fd < 0)
        return NULL;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    read_request(fd, s);
    if (s->mode == SERVE_404)
        send_all(fd, not_found, strlen(not_found));
    else if (s->mode != SERVE_SILENT)
        answer_upgrade(fd, s);
    if (s->mode == SERVE_OK)
        script_ok(fd, s);
    else if (s->mode == SERVE_SILENT || s->mode == SERVE_QUIET)
        read_client(fd, s, sizeof(s->got)); /* until the client leaves */
    close(fd);
    return NULL;
}

static void server_start(struct server *s, enum mode mode)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof(addr);

    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->listen_fd >= 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(s->listen_fd, 1), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_join(struct server *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

static int client_connect(struct server *s, uint64_t budget_ms, check_ws_client **c,
                          struct tars_err *err)
{
    char url[64];
    struct check_ws_options o = {0};

    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?x=1", s->port);
    o.url = url;
    o.authorization = "Bearer unit-test-token";
    o.max_message = 4096;
    return check_ws_connect(&o, tars_mono_ns() + budget_ms * 1000000ull, c, err);
}

/* The client frame at got[off]: opcode, unmasked payload into out. */
static size_t client_frame(struct server *s, size_t off, int *opcode, uint8_t *out)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_ws_frame f;

    assert_int_equal(tars_ws_frame_parse(s->got + off, s->got_len - off, 125, &f, &err), TARS_OK);
    assert_true(f.masked); /* a client must mask */
    *opcode = f.opcode;
    memcpy(out, s->got + off + f.header_len, (size_t)f.payload_len);
    tars_ws_mask(out, (size_t)f.payload_len, f.mask);
    return f.header_len + (size_t)f.payload_len;
}

static void test_client_conversation(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct check_ws_message m;
    check_ws_client *c = NULL;
    struct server s;
    uint8_t payload[128];
    size_t off = 0;
    int opcode;

    (void)state;
    server_start(&s, SERVE_OK);
    assert_int_equal(client_connect(&s, 3000, &c, &err), TARS_OK);
    assert_int_equal(check_ws_recv(c, tars_mono_ns() + 3000000000ull, &m, &err), TARS_OK);
    assert_int_equal(m.opcode, TARS_WS_TEXT);
    assert_int_equal(m.len, 5);
    assert_string_equal(m.data, "hello");
    assert_int_equal(check_ws_send(c, TARS_WS_TEXT, "x", 1, tars_mono_ns() + 1000000000ull, &err),
                     TARS_OK);
    assert_int_equal(check_ws_recv(c, tars_mono_ns() + 3000000000ull, &m, &err), TARS_OK);
    assert_int_equal(m.opcode, TARS_WS_CLOSE);
    assert_int_equal(m.close_code, 1000);
    assert_string_equal(m.data, "by");
    check_ws_close(c);
    server_join(&s);

    assert_non_null(strstr(s.request, "GET /ws?x=1 HTTP/1.1\r\n"));
    assert_non_null(strstr(s.request, "Upgrade: websocket\r\n"));
    assert_non_null(strstr(s.request, "Sec-WebSocket-Version: 13\r\n"));
    assert_non_null(strstr(s.request, "Authorization: Bearer unit-test-token\r\n"));
    off += client_frame(&s, off, &opcode, payload);
    assert_int_equal(opcode, TARS_WS_PONG);
    assert_memory_equal(payload, "hb", 2);
    off += client_frame(&s, off, &opcode, payload);
    assert_int_equal(opcode, TARS_WS_TEXT);
    assert_memory_equal(payload, "x", 1);
    off += client_frame(&s, off, &opcode, payload);
    assert_int_equal(opcode, TARS_WS_CLOSE);
    assert_int_equal(payload[0] << 8 | payload[1], 1000);
    assert_int_equal(off, s.got_len);
}

static void test_client_rejects_wrong_accept(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    check_ws_client *c = NULL;
    struct server s;

    (void)state;
    server_start(&s, SERVE_WRONG_ACCEPT);
    assert_int_equal(client_connect(&s, 3000, &c, &err), TARS_EINVAL);
    assert_null(c);
    assert_non_null(strstr(err.msg, "Sec-WebSocket-Accept"));
    server_join(&s);
}

static void test_client_upgrade_refused(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    check_ws_client *c = NULL;
    struct server s;

    (void)state;
    server_start(&s, SERVE_404);
    assert_int_equal(client_connect(&s, 3000, &c, &err), TARS_ECONFLICT);
    assert_non_null(strstr(err.msg, "HTTP 404"));
    assert_null(strstr(err.msg, "unit-test-token"));
    server_join(&s);
}

static void test_client_deadlines(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct check_ws_message m;
    check_ws_client *c = NULL;
    struct server s;
    uint64_t start;

    (void)state;
    /* A server that never answers the upgrade: an error by the deadline. */
    server_start(&s, SERVE_SILENT);
    start = tars_mono_ns();
    assert_int_equal(client_connect(&s, 300, &c, &err), TARS_EUNAVAIL);
    assert_true(tars_mono_ns() - start >= 290000000ull);
    assert_true(tars_mono_ns() - start < 2000000000ull);
    assert_non_null(strstr(err.msg, "timed out"));
    server_join(&s);

    /* Upgraded, then silence: TARS_AGAIN at the deadline, not an error. */
    server_start(&s, SERVE_QUIET);
    assert_int_equal(client_connect(&s, 3000, &c, &err), TARS_OK);
    start = tars_mono_ns();
    assert_int_equal(check_ws_recv(c, start + 200000000ull, &m, &err), TARS_AGAIN);
    assert_true(tars_mono_ns() - start >= 190000000ull);
    check_ws_close(c);
    server_join(&s);
}

/* A loopback port with nothing listening on it. */
static int closed_port(void)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static void test_client_refused(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    check_ws_client *c = NULL;
    struct check_ws_options o = {0};
    char url[64];

    (void)state;
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", closed_port());
    o.url = url;
    assert_int_equal(check_ws_connect(&o, tars_mono_ns() + 2000000000ull, &c, &err), TARS_EUNAVAIL);
    assert_non_null(strstr(err.msg, "refused"));
    assert_null(c);
    o.url = "ftp://127.0.0.1/";
    assert_int_equal(check_ws_connect(&o, tars_mono_ns() + 2000000000ull, &c, &err), TARS_EINVAL);
}

/* The type itself, to compare with what the registry finds. */
extern const struct tars_check_type tars_check_websocket;

static const char *validate(const char *params_json)
{
    static struct tars_err err;
    const struct tars_check_type *t = tars_check_type_find("websocket");
    struct tars_json_reader rd = tars_json_reader_named("p", &err, true);
    json_t *p = json_loads(params_json, 0, NULL);
    int rc;

    assert_non_null(t);
    assert_non_null(p);
    memset(&err, 0, sizeof(err));
    rc = t->read_params(&rd, p);
    json_decref(p);
    return rc ? err.msg : NULL;
}

static void test_validate(void **state)
{
    (void)state;
    assert_ptr_equal(tars_check_type_find("websocket"), &tars_check_websocket);
    assert_null(validate("{\"check\":\"ping_pong\",\"within\":\"5s\"}"));
    assert_null(validate("{\"check\":\"heartbeat\",\"within\":35,\"types\":[\"heartbeat\"]}"));
    assert_non_null(strstr(validate("{\"check\":\"pingpong\"}"), "ping_pong, heartbeat"));
    assert_non_null(strstr(validate("{\"check\":\"heartbeat\",\"within\":\"later\"}"), "within"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key_rfc_example),
        cmocka_unit_test(test_encode_rfc_examples),
        cmocka_unit_test(test_encode_lengths),
        cmocka_unit_test(test_parse_round_trip_and_partial),
        cmocka_unit_test(test_parse_violations),
        cmocka_unit_test(test_client_conversation),
        cmocka_unit_test(test_client_rejects_wrong_accept),
        cmocka_unit_test(test_client_upgrade_refused),
        cmocka_unit_test(test_client_deadlines),
        cmocka_unit_test(test_client_refused),
        cmocka_unit_test(test_validate),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("check_type_websocket", tests, NULL, NULL);
}
