/* WebSocket framing and the upgrade answer check (RFC 6455 §4.1, §5.2). */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tars/ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void tars_ws_accept_key(const char *key, char out[TARS_WS_ACCEPT_LEN])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char joined[128];
    int n = snprintf(joined, sizeof(joined), "%s%s", key, WS_GUID);

    out[0] = '\0';
    if (n < 0 || (size_t)n >= sizeof(joined) || strlen(key) > 64)
        return;
    if (!EVP_Digest(joined, (size_t)n, digest, &digest_len, EVP_sha1(), NULL) || digest_len != 20)
        return;
    EVP_EncodeBlock((unsigned char *)out, digest, 20);
}

void tars_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4])
{
    for (size_t i = 0; i < len; i++)
        data[i] ^= mask[i & 3];
}

static size_t encode_length(uint8_t *out, bool masked, size_t len)
{
    uint8_t mask_bit = masked ? 0x80 : 0;

    if (len < 126) {
        out[0] = (uint8_t)(mask_bit | len);
        return 1;
    }
    if (len <= 0xffff) {
        out[0] = (uint8_t)(mask_bit | 126);
        out[1] = (uint8_t)(len >> 8);
        out[2] = (uint8_t)len;
        return 3;
    }
    out[0] = (uint8_t)(mask_bit | 127);
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 9;
}

size_t tars_ws_frame_encode(uint8_t *out, size_t cap, int opcode, const uint8_t mask[4],
                            const void *payload, size_t len)
{
    uint8_t head[TARS_WS_HEADER_MAX];
    size_t n;

    head[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    n = 1 + encode_length(head + 1, mask != NULL, len);
    if (mask) {
        memcpy(head + n, mask, 4);
        n += 4;
    }
    if (len > cap || n > cap - len)
        return 0;
    memcpy(out, head, n);
    if (len)
        memcpy(out + n, payload, len);
    if (mask)
        tars_ws_mask(out + n, len, mask);
    return n + len;
}

static bool known_opcode(int op)
{
    return op == TARS_WS_CONTINUATION || op == TARS_WS_TEXT || op == TARS_WS_BINARY ||
           op == TARS_WS_CLOSE || op == TARS_WS_PING || op == TARS_WS_PONG;
}

/* The extended payload length, if its bytes are there. */
static int parse_length(const uint8_t *in, size_t len, struct tars_ws_frame *f,
                        struct tars_err *err)
{
    size_t extra = f->payload_len == 126 ? 2 : f->payload_len == 127 ? 8 : 0;
    uint64_t v = 0;

    if (len < 2 + extra)
        return TARS_AGAIN;
    for (size_t i = 0; i < extra; i++)
        v = (v << 8) | in[2 + i];
    if (extra == 8 && (v >> 63))
        return tars_err_set(err, TARS_EINVAL, "websocket frame length has its top bit set");
    if (extra)
        f->payload_len = v;
    f->header_len = 2 + extra;
    return TARS_OK;
}

int tars_ws_frame_parse(const uint8_t *in, size_t len, uint64_t max_payload,
                        struct tars_ws_frame *f, struct tars_err *err)
{
    int rc;

    memset(f, 0, sizeof(*f));
    if (len < 2)
        return TARS_AGAIN;
    f->fin = in[0] & 0x80;
    f->opcode = in[0] & 0x0f;
    f->masked = in[1] & 0x80;
    f->payload_len = in[1] & 0x7f;
    if (in[0] & 0x70)
        return tars_err_set(err, TARS_EINVAL, "websocket frame has reserved bits set");
    if (!known_opcode(f->opcode))
        return tars_err_set(err, TARS_EINVAL, "unknown websocket opcode %d", f->opcode);
    if (f->opcode >= TARS_WS_CLOSE && (!f->fin || f->payload_len > TARS_WS_CONTROL_MAX))
        return tars_err_set(err, TARS_EINVAL, "websocket control frame fragmented or too long");
    rc = parse_length(in, len, f, err);
    if (rc)
        return rc;
    if (f->payload_len > max_payload)
        return tars_err_set(err, TARS_ETOOBIG, "websocket frame of %llu bytes (max %llu)",
                            (unsigned long long)f->payload_len, (unsigned long long)max_payload);
    if (f->masked) {
        if (len < f->header_len + 4)
            return TARS_AGAIN;
        memcpy(f->mask, in + f->header_len, 4);
        f->header_len += 4;
    }
    return TARS_OK;
}

/* ---- the upgrade answer ---- */

/* Copies the value of header name (case-insensitive) from a response head. */
static bool head_header(const char *head, const char *name, char *out, size_t size)
{
    size_t name_len = strlen(name);
    const char *line = strstr(head, "\r\n");

    while (line && line[2] != '\r' && line[2] != '\0') {
        const char *start = line + 2;
        const char *end = strstr(start, "\r\n");
        if (!end)
            return false;
        if ((size_t)(end - start) > name_len && start[name_len] == ':' &&
            !strncasecmp(start, name, name_len)) {
            const char *v = start + name_len + 1;
            size_t n;
            while (*v == ' ' || *v == '\t')
                v++;
            n = (size_t)(end - v);
            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n >= size)
                return false;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        line = end;
    }
    return false;
}

static bool has_token(const char *list, const char *token)
{
    size_t n = strlen(token);

    for (const char *p = list; (p = strcasestr(p, token)) != NULL; p += n) {
        bool start_ok = p == list || p[-1] == ',' || p[-1] == ' ' || p[-1] == '\t';
        bool end_ok = p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t';
        if (start_ok && end_ok)
            return true;
    }
    return false;
}

int tars_ws_check_answer(const char *head, const char *key, int *status, struct tars_err *err)
{
    char expected[TARS_WS_ACCEPT_LEN], value[256];

    *status = 0;
    if (sscanf(head, "HTTP/1.%*1[01] %3d", status) != 1)
        return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer is not HTTP/1.1");
    if (*status != 101)
        return tars_err_set(err, TARS_ECONFLICT, "websocket upgrade refused: HTTP %d", *status);
    if (!head_header(head, "Upgrade", value, sizeof(value)) || strcasecmp(value, "websocket"))
        return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer lacks Upgrade: websocket");
    if (!head_header(head, "Connection", value, sizeof(value)) || !has_token(value, "upgrade"))
        return tars_err_set(err, TARS_EINVAL, "websocket upgrade answer lacks Connection: upgrade");
    tars_ws_accept_key(key, expected);
    if (!head_header(head, "Sec-WebSocket-Accept", value, sizeof(value)) ||
        strcmp(value, expected) != 0)
        return tars_err_set(err, TARS_EINVAL,
                            "websocket upgrade answer has a wrong Sec-WebSocket-Accept");
    if (head_header(head, "Sec-WebSocket-Extensions", value, sizeof(value)))
        return tars_err_set(err, TARS_EINVAL, "websocket server chose an extension not offered");
    return TARS_OK;
}
