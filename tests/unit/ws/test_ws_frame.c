/* lib/ws framing: RFC 6455 examples, lengths, bounds, the upgrade answer check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tars/ws.h"

static void test_accept_key(void **state)
{
    char accept[TARS_WS_ACCEPT_LEN];
    char long_key[100];

    (void)state;
    tars_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept); /* RFC 6455 §1.3 */
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    memset(long_key, 'a', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    tars_ws_accept_key(long_key, accept);
    assert_string_equal(accept, "");
}

static void test_encode_rfc_examples(void **state)
{
    static const uint8_t unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                     0x7f, 0x9f, 0x4d, 0x51, 0x58};
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t out[32];

    (void)state;
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_TEXT, NULL, "Hello", 5), 7);
    assert_memory_equal(out, unmasked, 7);
    assert_int_equal(tars_ws_frame_encode(out, sizeof(out), TARS_WS_TEXT, mask, "Hello", 5), 11);
    assert_memory_equal(out, masked, 11);
    assert_int_equal(tars_ws_frame_encode(out, 10, TARS_WS_TEXT, mask, "Hello", 5), 0);
}

static void round_trip(size_t len, size_t want_header)
{
    static uint8_t payload[70000], out[70100];
    struct tars_ws_frame f;
    struct tars_err err = TARS_ERR_INIT;
    size_t n;

    for (size_t i = 0; i < len; i++)
        payload[i] = (uint8_t)(i * 7);
    n = tars_ws_frame_encode(out, sizeof(out), TARS_WS_BINARY, NULL, payload, len);
    assert_int_equal(n, len + want_header);
    assert_int_equal(tars_ws_frame_parse(out, n, 1 << 20, &f, &err), TARS_OK);
    assert_true(f.fin);
    assert_int_equal(f.opcode, TARS_WS_BINARY);
    assert_int_equal(f.payload_len, len);
    assert_int_equal(f.header_len, want_header);
    assert_memory_equal(out + f.header_len, payload, len);
    /* every shorter prefix of the header is incomplete, not an error */
    for (size_t cut = 0; cut < want_header; cut++)
        assert_int_equal(tars_ws_frame_parse(out, cut, 1 << 20, &f, &err), TARS_AGAIN);
}

static void test_lengths(void **state)
{
    (void)state;
    round_trip(0, 2);
    round_trip(125, 2);
    round_trip(126, 4);
    round_trip(65535, 4);
    round_trip(65536, 10);
}

static void expect_parse(const uint8_t *in, size_t len, uint64_t max, int code)
{
    struct tars_ws_frame f;
    struct tars_err err = TARS_ERR_INIT;

    assert_int_equal(tars_ws_frame_parse(in, len, max, &f, &err), code);
    if (code < 0)
        assert_true(err.msg[0] != '\0');
}

static void test_parse_limits(void **state)
{
    static const uint8_t reserved[] = {0xc1, 0x00};
    static const uint8_t opcode[] = {0x83, 0x00};
    static const uint8_t fragmented_ping[] = {0x09, 0x00};
    static const uint8_t long_ping[] = {0x89, 0x7e, 0x00, 0x80};
    static const uint8_t top_bit[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t big[] = {0x82, 0x7e, 0x10, 0x00}; /* 4096 bytes */
    static const uint8_t masked_short[] = {0x81, 0x85, 0x37};

    (void)state;
    expect_parse(reserved, sizeof(reserved), 100, TARS_EINVAL);
    expect_parse(opcode, sizeof(opcode), 100, TARS_EINVAL);
    expect_parse(fragmented_ping, sizeof(fragmented_ping), 100, TARS_EINVAL);
    expect_parse(long_ping, sizeof(long_ping), 1000, TARS_EINVAL);
    expect_parse(top_bit, sizeof(top_bit), 1000, TARS_EINVAL);
    expect_parse(big, sizeof(big), 4095, TARS_ETOOBIG);
    expect_parse(big, sizeof(big), 4096, TARS_OK);
    expect_parse(masked_short, sizeof(masked_short), 100, TARS_AGAIN);
}

#define GOOD_HEAD                                                                                  \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"

static void test_check_answer(void **state)
{
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    struct tars_err err = TARS_ERR_INIT;
    int status = 0;

    (void)state;
    assert_int_equal(tars_ws_check_answer(GOOD_HEAD
                                          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                                          key, &status, &err),
                     TARS_OK);
    assert_int_equal(status, 101);
    assert_int_equal(tars_ws_check_answer(GOOD_HEAD
                                          "Sec-WebSocket-Accept: AAAAMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                                          key, &status, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "Sec-WebSocket-Accept"));
    assert_int_equal(tars_ws_check_answer("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n", key,
                                          &status, &err),
                     TARS_ECONFLICT);
    assert_int_equal(status, 401);
    assert_int_equal(
        tars_ws_check_answer("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n", key, &status, &err),
        TARS_EINVAL);
    assert_int_equal(tars_ws_check_answer(GOOD_HEAD
                                          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                          "Sec-WebSocket-Extensions: permessage-deflate\r\n",
                                          key, &status, &err),
                     TARS_EINVAL);
    assert_int_equal(tars_ws_check_answer("garbage", key, &status, &err), TARS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),   cmocka_unit_test(test_encode_rfc_examples),
        cmocka_unit_test(test_lengths),      cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_check_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
