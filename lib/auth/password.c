/*
 * Password hashes: scrypt (OpenSSL EVP_PBE_scrypt), encoded as
 * "scrypt$N$r$p$<salt hex>$<hash hex>".
 *
 * N = 2^14, r = 8, p = 1 uses 16 MiB and took 37 ms per hash on this
 * machine (Debian bookworm, 2 cores, OpenSSL 3.0; 2^13 took 20 ms, 2^15
 * 158 ms). Parameters read back from a stored hash are bounded so that a
 * hostile row cannot make one verify take more than 32 MiB or more than
 * four times the work of ours.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tars/auth.h"
#include "tars/crypto.h"
#include "tars/str.h"

#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define HASH_LEN 32
#define PASSWORD_MAX 1024

/* Bounds on parameters read from an encoded hash. */
#define SCRYPT_N_MIN 1024
#define SCRYPT_N_MAX 65536
#define SCRYPT_R_MAX 16
#define SCRYPT_P_MAX 16
#define SCRYPT_MEM_MAX ((uint64_t)32 << 20) /* 128 * r * N bytes */
#define SCRYPT_WORK_MAX ((uint64_t)1 << 19) /* N * r * p: 4 times ours */
#define SALT_MIN 4
#define SALT_MAX 64
#define HASH_MIN 16
#define HASH_MAX 64

struct scrypt_params {
    uint64_t n, r, p;
    uint8_t salt[SALT_MAX];
    size_t salt_len;
    uint8_t hash[HASH_MAX];
    size_t hash_len;
};

static int run_scrypt(const char *password, size_t len, const struct scrypt_params *sp,
                      uint8_t *out, size_t out_len, struct tars_err *err)
{
    /* OpenSSL needs 128*r*(N+p+2) bytes; allow exactly that plus slack. */
    uint64_t maxmem = 128 * sp->r * (sp->n + sp->p + 2) + 4096;

    if (EVP_PBE_scrypt(password, len, sp->salt, sp->salt_len, sp->n, sp->r, sp->p, maxmem, out,
                       out_len) != 1)
        return tars_err_set(err, TARS_EINTERNAL, "scrypt failed");
    return TARS_OK;
}

static int check_password(const char *password, int code, struct tars_err *err)
{
    if (!password || !*password)
        return tars_err_set(err, code, "empty password");
    if (strnlen(password, PASSWORD_MAX + 1) > PASSWORD_MAX)
        return tars_err_set(err, code, "password too long (more than %d bytes)", PASSWORD_MAX);
    return TARS_OK;
}

int tars_password_hash(const char *password, char *out, size_t out_size, struct tars_err *err)
{
    struct scrypt_params sp = {SCRYPT_N, SCRYPT_R, SCRYPT_P, {0}, SALT_LEN, {0}, HASH_LEN};
    char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
    int rc, n;

    rc = check_password(password, TARS_EINVAL, err);
    if (rc)
        return rc;
    tars_random_bytes(sp.salt, SALT_LEN);
    rc = run_scrypt(password, strlen(password), &sp, sp.hash, HASH_LEN, err);
    if (rc)
        goto out;
    tars_hex_encode(sp.salt, SALT_LEN, salt_hex);
    tars_hex_encode(sp.hash, HASH_LEN, hash_hex);
    n = snprintf(out, out_size, "scrypt$%d$%d$%d$%s$%s", SCRYPT_N, SCRYPT_R, SCRYPT_P, salt_hex,
                 hash_hex);
    if (n < 0 || (size_t)n >= out_size)
        rc = tars_err_set(err, TARS_ETOOBIG, "password hash needs %d bytes", n + 1);
out:
    OPENSSL_cleanse(&sp, sizeof(sp));
    OPENSSL_cleanse(hash_hex, sizeof(hash_hex));
    return rc;
}

/* ---- parsing an encoded hash ---- */

/* The next '$'-separated field of *p: start and length; advances *p. */
static void next_field(const char **p, const char **start, size_t *len)
{
    const char *end = strchr(*p, '$');

    *start = *p;
    *len = end ? (size_t)(end - *p) : strlen(*p);
    *p = end ? end + 1 : *p + *len;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Lowercase hex of min..max bytes. */
static int hex_decode(const char *s, size_t len, uint8_t *out, size_t min, size_t max,
                      size_t *out_len)
{
    if (len % 2 || len / 2 < min || len / 2 > max)
        return TARS_EINVAL;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return TARS_EINVAL;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = len / 2;
    return TARS_OK;
}

static int parse_number(const char **p, int64_t min, int64_t max, uint64_t *out)
{
    const char *s;
    size_t len;
    int64_t v;

    next_field(p, &s, &len);
    if (tars_parse_i64n(s, len, min, max, &v) != TARS_OK)
        return TARS_EINVAL;
    *out = (uint64_t)v;
    return TARS_OK;
}

static int check_cost(const struct scrypt_params *sp)
{
    if (sp->n & (sp->n - 1))
        return TARS_EINVAL; /* N must be a power of two */
    if (128 * sp->r * sp->n > SCRYPT_MEM_MAX || sp->n * sp->r * sp->p > SCRYPT_WORK_MAX)
        return TARS_EINVAL;
    return TARS_OK;
}

static int parse_encoded(const char *encoded, struct scrypt_params *sp, struct tars_err *err)
{
    const char *p = encoded, *s;
    size_t len;

    if (!encoded || strnlen(encoded, TARS_PASSWORD_HASH_MAX) >= TARS_PASSWORD_HASH_MAX)
        goto bad;
    next_field(&p, &s, &len);
    if (len != 6 || memcmp(s, "scrypt", 6) != 0)
        goto bad;
    if (parse_number(&p, SCRYPT_N_MIN, SCRYPT_N_MAX, &sp->n) ||
        parse_number(&p, 1, SCRYPT_R_MAX, &sp->r) || parse_number(&p, 1, SCRYPT_P_MAX, &sp->p) ||
        check_cost(sp))
        goto bad;
    next_field(&p, &s, &len);
    if (hex_decode(s, len, sp->salt, SALT_MIN, SALT_MAX, &sp->salt_len))
        goto bad;
    next_field(&p, &s, &len);
    if (hex_decode(s, len, sp->hash, HASH_MIN, HASH_MAX, &sp->hash_len) || *p != '\0' ||
        s[len] != '\0')
        goto bad;
    return TARS_OK;
bad:
    return tars_err_set(err, TARS_EINVAL, "malformed password hash");
}

int tars_password_verify(const char *password, const char *encoded, struct tars_err *err)
{
    struct scrypt_params sp;
    uint8_t got[HASH_MAX];
    int rc;

    rc = parse_encoded(encoded, &sp, err);
    if (rc)
        return rc;
    rc = check_password(password, TARS_EAUTH, err);
    if (rc)
        goto out;
    rc = run_scrypt(password, strlen(password), &sp, got, sp.hash_len, err);
    if (rc)
        goto out;
    if (CRYPTO_memcmp(got, sp.hash, sp.hash_len) != 0)
        rc = tars_err_set(err, TARS_EAUTH, "wrong password");
out:
    OPENSSL_cleanse(got, sizeof(got));
    OPENSSL_cleanse(&sp, sizeof(sp));
    return rc;
}
