#include "tars/crypto.h"
#include "tars/rng.h"

#include "tars/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

void tars_sha256(const void *data, size_t len, uint8_t out[TARS_SHA256_LEN])
{
    SHA256(data, len, out);
}

void tars_sha256_hex(const void *data, size_t len, char out[TARS_SHA256_HEX_LEN])
{
    uint8_t digest[TARS_SHA256_LEN];
    tars_sha256(data, len, digest);
    tars_hex_encode(digest, sizeof(digest), out);
}

int tars_sha256_file(const char *path, char hex[TARS_SHA256_HEX_LEN], uint64_t *size,
                     struct tars_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char block[65536], digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    uint64_t total = 0;
    ssize_t n;
    int fd = -1, rc = TARS_OK;

    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = tars_err_set(err, TARS_EINTERNAL, "cannot start a SHA-256 digest");
        goto out;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO,
                          "cannot read \"%s\": %s", path, strerror(errno));
        goto out;
    }
    while ((n = read(fd, block, sizeof(block))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = tars_err_set(err, TARS_EIO, "cannot read \"%s\": %s", path, strerror(errno));
            goto out;
        }
        EVP_DigestUpdate(ctx, block, (size_t)n);
        total += (uint64_t)n;
    }
    if (EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1 || digest_len != TARS_SHA256_LEN) {
        rc = tars_err_set(err, TARS_EINTERNAL, "cannot finish a SHA-256 digest");
        goto out;
    }
    tars_hex_encode(digest, digest_len, hex);
    if (size)
        *size = total;
out:
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(ctx);
    return rc;
}

void tars_random_bytes(void *out, size_t len)
{
    uint8_t *p = out;

    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "tars: getrandom failed\n");
            abort();
        }
        p += n;
        len -= (size_t)n;
    }
}

void tars_fast_random_bytes(void *out, size_t len)
{
    static _Thread_local uint64_t s[4];
    static _Thread_local int seeded;
    uint8_t *p = out;

    if (!seeded) {
        do
            tars_random_bytes(s, sizeof(s));
        while (!(s[0] | s[1] | s[2] | s[3]));
        seeded = 1;
    }
    while (len > 0) {
        uint64_t r = tars_rng_next(s);
        size_t n = len < 8 ? len : 8;
        memcpy(p, &r, n);
        p += n;
        len -= n;
    }
}

void tars_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

size_t tars_base64url_encode(const uint8_t *in, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;

    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int base64_value(char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int tars_base64_decode(const char *in, size_t len, int flags, uint8_t *out, size_t cap,
                       size_t *out_len)
{
    uint32_t acc = 0;
    size_t n = 0, bits = 0, pad = 0;

    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v = base64_value(c, flags & TARS_B64_URL);
        if ((flags & TARS_B64_MIME) && (c == ' ' || c == '\n' || c == '\r' || c == '\t'))
            continue;
        if ((flags & TARS_B64_MIME) && c == '=') {
            pad++;
            continue;
        }
        if (v < 0 || pad > 0 || n >= cap)
            return TARS_EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (pad > 2 || bits >= 6 || acc != 0)
        return TARS_EINVAL;
    *out_len = n;
    return TARS_OK;
}

int tars_bytes_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void tars_uuid4(char out[TARS_UUID_LEN])
{
    uint8_t b[16];
    char hex[33];

    tars_random_bytes(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    tars_hex_encode(b, sizeof(b), hex);
    snprintf(out, TARS_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
}
