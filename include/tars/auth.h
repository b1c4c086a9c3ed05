/*
 * Authentication pieces of `tars serve`: roles, JWT access/refresh tokens
 * (HS256 via libjwt), password hashing (scrypt), API-key hashing.
 * docs/api.md: claims sub, user_id, username, role, roles, iat, exp,
 * iss="tars-auth", type; access 60 min, refresh 7 days, leeway 30 s, kid in
 * the header.
 */
#ifndef TARS_AUTH_H
#define TARS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"

/* ---- roles: viewer < developer < admin ---- */
enum tars_role {
    TARS_ROLE_NONE = -1,
    TARS_ROLE_VIEWER = 0,
    TARS_ROLE_DEVELOPER = 1,
    TARS_ROLE_ADMIN = 2
};
/* "viewer"/"developer"/"admin" → role; TARS_EINVAL otherwise. */
int tars_role_parse(const char *s, enum tars_role *out);
/* The name of r; "none" for TARS_ROLE_NONE or any other value. */
const char *tars_role_name(enum tars_role r);

/* ---- JWT ---- */
#define TARS_JWT_ISSUER "tars-auth"
#define TARS_JWT_ACCESS_TTL_S 3600
#define TARS_JWT_REFRESH_TTL_S (7 * 24 * 3600)
#define TARS_JWT_LEEWAY_S 30
#define TARS_JWT_SECRET_MIN 32  /* bytes */
#define TARS_JWT_TOKEN_MAX 4096 /* longer tokens are rejected before decoding */

enum tars_token_type { TARS_TOKEN_ACCESS, TARS_TOKEN_REFRESH };

struct tars_principal {
    char user_id[64];
    char username[128];
    enum tars_role role;
    enum tars_token_type type;
    int64_t exp; /* seconds since the epoch */
    bool via_api_key;
};

typedef struct tars_jwt_keys tars_jwt_keys;

/* secret: at least TARS_JWT_SECRET_MIN bytes. kid: derived from the secret
 * (first 16 hex digits of its SHA-256) so every replica agrees. */
tars_jwt_keys *tars_jwt_keys_new(const void *secret, size_t len, struct tars_err *err);
void tars_jwt_keys_free(tars_jwt_keys *k);
const char *tars_jwt_keys_kid(const tars_jwt_keys *k);

/* Issues a token for p (p->type chooses the TTL) at time now (seconds).
 * Returns a heap string the caller frees, or NULL with err filled. */
char *tars_jwt_issue(const tars_jwt_keys *k, const struct tars_principal *p, int64_t now,
                     struct tars_err *err);

/* Verifies signature (HS256 only; alg none or others rejected), kid, iss,
 * exp/iat with leeway, and the type claim. Fills out. TARS_EAUTH with a
 * message saying what was wrong ("token expired", "bad signature", ...). */
int tars_jwt_verify(const tars_jwt_keys *k, const char *token, int64_t now,
                    enum tars_token_type want, struct tars_principal *out, struct tars_err *err);

/* A per-thread cache of verified access tokens keyed by their signature,
 * valid until exp. Not thread-safe: one per thread. */
typedef struct tars_jwt_cache tars_jwt_cache;
tars_jwt_cache *tars_jwt_cache_new(size_t slots);
void tars_jwt_cache_free(tars_jwt_cache *c);
/* Like tars_jwt_verify for access tokens, consulting and filling the cache. */
int tars_jwt_verify_cached(tars_jwt_cache *c, const tars_jwt_keys *k, const char *token,
                           int64_t now, struct tars_principal *out, struct tars_err *err);
/* Lookups answered from the cache (hits) and verified in full (misses). */
void tars_jwt_cache_stats(const tars_jwt_cache *c, uint64_t *hits, uint64_t *misses);

/* ---- passwords (scrypt; encoded "scrypt$N$r$p$salt_hex$hash_hex") ---- */
#define TARS_PASSWORD_HASH_MAX 200
/* Hashes password into out (TARS_PASSWORD_HASH_MAX bytes). */
int tars_password_hash(const char *password, char *out, size_t out_size, struct tars_err *err);
/* 0 when password matches encoded; TARS_EAUTH when it does not; TARS_EINVAL
 * when encoded is malformed. Constant time in the password. */
int tars_password_verify(const char *password, const char *encoded, struct tars_err *err);

/* ---- API keys ---- */
/* A new random key "tars_<43 base64url chars>" (32 random bytes); out needs 64 bytes. */
void tars_api_key_generate(char out[64]);
/* "sha256:<hex>" of the key; out needs 72 bytes. */
void tars_api_key_hash(const char *key, char out[72]);

#endif
