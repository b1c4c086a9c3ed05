/* W3C trace context: traceparent parsed strictly, ids made from getrandom. */
#include <stdio.h>
#include <string.h>

#include "tars/crypto.h"
#include "tars/err.h"
#include "tars/trace.h"

/* Offsets in "vv-<32 trace>-<16 parent>-ff". */
#define TP_TRACE 3
#define TP_PARENT 36
#define TP_FLAGS 53
#define TP_LEN 55

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* uppercase is not allowed */
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (hex_digit(s[i]) < 0)
            return false;
    return true;
}

static bool all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

static bool valid_id(const char *s, size_t n)
{
    return is_lower_hex(s, n) && !all_zero(s, n);
}

int tars_traceparent_parse(const char *s, size_t len, struct tars_trace_ctx *out)
{
    bool v00;

    if (!s || len < TP_LEN)
        return TARS_EINVAL;
    if (!is_lower_hex(s, 2) || memcmp(s, "ff", 2) == 0)
        return TARS_EINVAL;
    if (s[2] != '-' || s[TP_PARENT - 1] != '-' || s[TP_FLAGS - 1] != '-')
        return TARS_EINVAL;
    if (!valid_id(s + TP_TRACE, 32) || !valid_id(s + TP_PARENT, 16) ||
        !is_lower_hex(s + TP_FLAGS, 2))
        return TARS_EINVAL;
    v00 = memcmp(s, "00", 2) == 0;
    if (len > TP_LEN && (v00 || s[TP_LEN] != '-'))
        return TARS_EINVAL;
    memset(out, 0, sizeof(*out));
    memcpy(out->trace_id, s + TP_TRACE, 32);
    memcpy(out->parent_id, s + TP_PARENT, 16);
    out->flags = (uint8_t)(hex_digit(s[TP_FLAGS]) << 4 | hex_digit(s[TP_FLAGS + 1]));
    return TARS_OK;
}

/* A random id of n bytes (never all zero) as 2n lowercase hex digits. */
static void random_id(char *out, size_t n)
{
    uint8_t b[16];
    bool zero;

    do {
        tars_fast_random_bytes(b, n);
        zero = true;
        for (size_t i = 0; i < n; i++)
            zero = zero && b[i] == 0;
    } while (zero);
    tars_hex_encode(b, n, out);
}

void tars_trace_begin(const char *header, size_t len, struct tars_trace_ctx *out)
{
    struct tars_trace_ctx in;

    if (header && tars_traceparent_parse(header, len, &in) == TARS_OK) {
        *out = in;
    } else {
        memset(out, 0, sizeof(*out));
        random_id(out->trace_id, 16);
        out->flags = 0x01;
    }
    random_id(out->span_id, 8);
}

void tars_traceparent_format(const struct tars_trace_ctx *ctx, char out[TARS_TRACEPARENT_LEN])
{
    snprintf(out, TARS_TRACEPARENT_LEN, "00-%.32s-%.16s-%02x", ctx->trace_id, ctx->span_id,
             (unsigned)ctx->flags);
}
