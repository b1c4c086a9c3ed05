/* Hashes, randomness and encodings (OpenSSL underneath). */
#ifndef TARS_CRYPTO_H
#define TARS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"

#define TARS_SHA256_LEN 32
#define TARS_SHA256_HEX_LEN 65 /* 64 hex digits + NUL */

void tars_sha256(const void *data, size_t len, uint8_t out[TARS_SHA256_LEN]);
void tars_sha256_hex(const void *data, size_t len, char out[TARS_SHA256_HEX_LEN]);
/* SHA-256 of a file, read in blocks (any size): hex digest and, when size is
 * given, the byte count. TARS_ENOTFOUND when absent, TARS_EIO on a read error. */
int tars_sha256_file(const char *path, char hex[TARS_SHA256_HEX_LEN], uint64_t *size,
                     struct tars_err *err);

/* Fills out with cryptographically secure random bytes; aborts if the kernel
 * cannot supply them (there is no safe fallback). */
void tars_random_bytes(void *out, size_t len);

/* Fast non-cryptographic random bytes (xoshiro256** per thread, seeded from
 * the kernel): for identifiers that must be unique, not secret, such as
 * trace and span ids. Never use it for keys, salts or tokens. */
void tars_fast_random_bytes(void *out, size_t len);

/* Lowercase hex of len bytes; out needs 2*len+1 bytes. */
void tars_hex_encode(const uint8_t *in, size_t len, char *out);
/* Base64url without padding; out needs 4*((len+2)/3)+1 bytes. Returns length. */
size_t tars_base64url_encode(const uint8_t *in, size_t len, char *out);

/* Base64 decoding. TARS_B64_URL selects the URL alphabet (- and _);
 * TARS_B64_MIME skips white space and accepts "=" padding at the end (as
 * Kubernetes and PEM data carry it). Returns 0, or TARS_EINVAL for a bad
 * character, bad padding, non-zero trailing bits or more than cap bytes. */
enum { TARS_B64_STD = 0, TARS_B64_URL = 1, TARS_B64_MIME = 2 };
int tars_base64_decode(const char *in, size_t len, int flags, uint8_t *out, size_t cap,
                       size_t *out_len);

/* Constant-time comparison of two equal-length byte strings. */
int tars_bytes_equal(const void *a, const void *b, size_t len);

/* A random version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL. */
#define TARS_UUID_LEN 37
void tars_uuid4(char out[TARS_UUID_LEN]);

#endif
