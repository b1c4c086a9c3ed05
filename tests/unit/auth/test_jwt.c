/* Unit tests for lib/auth JWT issue/verify and the per-thread cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jwt.h>

#include "tars/auth.h"
#include "tars/crypto.h"

#define NOW 1700000000
#define SECRET "0123456789abcdef0123456789abcdef-test"
#define OTHER_SECRET "fedcba9876543210fedcba9876543210-test"

static tars_jwt_keys *keys_from(const char *secret)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_jwt_keys *k = tars_jwt_keys_new(secret, strlen(secret), &err);
    assert_non_null(k);
    return k;
}

static struct tars_principal admin(enum tars_token_type type)
{
    struct tars_principal p;
    memset(&p, 0, sizeof(p));
    strcpy(p.user_id, "admin-001");
    strcpy(p.username, "admin");
    p.role = TARS_ROLE_ADMIN;
    p.type = type;
    return p;
}

static char *issue(const tars_jwt_keys *k, enum tars_token_type type, int64_t now)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p = admin(type);
    char *t = tars_jwt_issue(k, &p, now, &err);
    assert_non_null(t);
    return t;
}

/* Builds a token with libjwt directly: any algorithm, kid and claims. */
static char *forge(jwt_alg_t alg, const char *secret, const char *kid, const char *claims)
{
    jwt_t *jwt = NULL;
    char *t;
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_set_alg(jwt, alg, (const unsigned char *)secret, (int)strlen(secret)), 0);
    if (kid)
        assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
    assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
    t = jwt_encode_str(jwt);
    assert_non_null(t);
    jwt_free(jwt);
    return t;
}

/* Valid claims for an access token at NOW, with iss and type replaceable. */
static void claims_json(char *out, size_t size, const char *iss, const char *type)
{
    snprintf(out, size,
             "{\"sub\":\"admin-001\",\"user_id\":\"admin-001\",\"username\":\"admin\","
             "\"role\":\"admin\",\"roles\":[\"admin\"],\"iat\":%d,\"exp\":%d,"
             "\"iss\":\"%s\",\"type\":\"%s\"}",
             NOW, NOW + 3600, iss, type);
}

/* Whether msg contains any 12-character piece of token. */
static bool echoes(const char *msg, const char *token)
{
    size_t n = strlen(token);
    char piece[13];
    for (size_t i = 0; i + 12 <= n; i++) {
        memcpy(piece, token + i, 12);
        piece[12] = '\0';
        if (strstr(msg, piece))
            return true;
    }
    return false;
}

static void expect_auth_error(const tars_jwt_keys *k, const char *token, int64_t now,
                              enum tars_token_type want, const char *msg_part)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(tars_jwt_verify(k, token, now, want, &p, &err), TARS_EAUTH);
    assert_int_equal(err.code, TARS_EAUTH);
    if (!strstr(err.msg, msg_part))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg_part);
    if (token) /* never echo the token (or any long piece of it) */
        assert_false(echoes(err.msg, token));
}

static void test_kid_is_sha256_prefix(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char hex[TARS_SHA256_HEX_LEN];
    (void)state;
    tars_sha256_hex(SECRET, strlen(SECRET), hex);
    hex[16] = '\0';
    assert_string_equal(tars_jwt_keys_kid(k), hex);
    tars_jwt_keys_free(k);
}

static void test_short_secret_rejected(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_null(tars_jwt_keys_new("short", 5, &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_non_null(strstr(err.msg, "too short"));
    assert_null(tars_jwt_keys_new(NULL, 40, &err));
}

/* The token carries every claim of docs/api.md, checked with libjwt. */
static void test_issue_has_every_claim(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW), *roles;
    jwt_t *jwt = NULL;
    (void)state;
    assert_int_equal(jwt_decode(&jwt, t, (const unsigned char *)SECRET, (int)strlen(SECRET)), 0);
    assert_int_equal(jwt_get_alg(jwt), JWT_ALG_HS256);
    assert_string_equal(jwt_get_header(jwt, "kid"), tars_jwt_keys_kid(k));
    assert_string_equal(jwt_get_grant(jwt, "sub"), "admin-001");
    assert_string_equal(jwt_get_grant(jwt, "user_id"), "admin-001");
    assert_string_equal(jwt_get_grant(jwt, "username"), "admin");
    assert_string_equal(jwt_get_grant(jwt, "role"), "admin");
    roles = jwt_get_grants_json(jwt, "roles");
    assert_string_equal(roles, "[\"admin\"]");
    free(roles);
    assert_int_equal(jwt_get_grant_int(jwt, "iat"), NOW);
    assert_int_equal(jwt_get_grant_int(jwt, "exp"), NOW + 3600);
    assert_string_equal(jwt_get_grant(jwt, "iss"), "tars-auth");
    assert_string_equal(jwt_get_grant(jwt, "type"), "access");
    jwt_free(jwt);
    free(t);
    t = issue(k, TARS_TOKEN_REFRESH, NOW);
    assert_int_equal(jwt_decode(&jwt, t, (const unsigned char *)SECRET, (int)strlen(SECRET)), 0);
    assert_int_equal(jwt_get_grant_int(jwt, "exp"), NOW + 7 * 24 * 3600);
    assert_string_equal(jwt_get_grant(jwt, "type"), "refresh");
    jwt_free(jwt);
    free(t);
    tars_jwt_keys_free(k);
}

static void test_round_trip(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW);
    (void)state;
    memset(&p, 0x5a, sizeof(p));
    assert_int_equal(tars_jwt_verify(k, t, NOW + 10, TARS_TOKEN_ACCESS, &p, &err), TARS_OK);
    assert_string_equal(p.user_id, "admin-001");
    assert_string_equal(p.username, "admin");
    assert_int_equal(p.role, TARS_ROLE_ADMIN);
    assert_int_equal(p.type, TARS_TOKEN_ACCESS);
    assert_int_equal(p.exp, NOW + 3600);
    assert_false(p.via_api_key);
    free(t);
    t = issue(k, TARS_TOKEN_REFRESH, NOW);
    assert_int_equal(tars_jwt_verify(k, t, NOW + 86400, TARS_TOKEN_REFRESH, &p, &err), TARS_OK);
    assert_int_equal(p.type, TARS_TOKEN_REFRESH);
    assert_int_equal(p.exp, NOW + 7 * 24 * 3600);
    free(t);
    tars_jwt_keys_free(k);
}

static void test_issue_needs_user_and_role(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p = admin(TARS_TOKEN_ACCESS);
    (void)state;
    p.role = TARS_ROLE_NONE;
    assert_null(tars_jwt_issue(k, &p, NOW, &err));
    assert_int_equal(err.code, TARS_EINVAL);
    p = admin(TARS_TOKEN_ACCESS);
    p.user_id[0] = '\0';
    assert_null(tars_jwt_issue(k, &p, NOW, &err));
    assert_int_equal(err.code, TARS_EINVAL);
    p = admin(TARS_TOKEN_ACCESS);
    strcpy(p.username, "bad\xff");
    assert_null(tars_jwt_issue(k, &p, NOW, &err));
    assert_int_equal(err.code, TARS_EINVAL);
    p = admin(TARS_TOKEN_ACCESS);
    strcpy(p.username, "J\xc3\xbcrgen \"quoted\"");
    {
        struct tars_principal q;
        char *t = tars_jwt_issue(k, &p, NOW, &err);
        assert_non_null(t);
        assert_int_equal(tars_jwt_verify(k, t, NOW, TARS_TOKEN_ACCESS, &q, &err), TARS_OK);
        assert_string_equal(q.username, p.username);
        free(t);
    }
    tars_jwt_keys_free(k);
}

static void test_expiry_and_leeway(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW);
    (void)state;
    assert_int_equal(tars_jwt_verify(k, t, NOW + 3600 + 30, TARS_TOKEN_ACCESS, &p, &err), TARS_OK);
    expect_auth_error(k, t, NOW + 3600 + 31, TARS_TOKEN_ACCESS, "expired");
    free(t);
    tars_jwt_keys_free(k);
}

static void test_iat_in_future_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW);
    (void)state;
    assert_int_equal(tars_jwt_verify(k, t, NOW - 30, TARS_TOKEN_ACCESS, &p, &err), TARS_OK);
    expect_auth_error(k, t, NOW - 31, TARS_TOKEN_ACCESS, "future");
    free(t);
    tars_jwt_keys_free(k);
}

static void test_wrong_key_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET), *other = keys_from(OTHER_SECRET);
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW);
    (void)state;
    expect_auth_error(other, t, NOW, TARS_TOKEN_ACCESS, "signature");
    free(t);
    tars_jwt_keys_free(k);
    tars_jwt_keys_free(other);
}

static void flip_char(char *c)
{
    *c = *c == 'A' ? 'B' : 'A';
}

static void test_forged_signature_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW);
    char *sig = strrchr(t, '.') + 1, *payload = strchr(t, '.') + 1;
    (void)state;
    flip_char(&sig[5]);
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "signature");
    flip_char(&sig[5]);
    flip_char(&payload[8]); /* a changed payload breaks the signature too */
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "");
    free(t);
    tars_jwt_keys_free(k);
}

static char *b64url(const char *s)
{
    char *out = malloc(4 * (strlen(s) + 2) / 3 + 1);
    assert_non_null(out);
    tars_base64url_encode((const uint8_t *)s, strlen(s), out);
    return out;
}

static void test_alg_none_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char head_json[128], claims[512], token[2048];
    char *head, *body, *good = issue(k, TARS_TOKEN_ACCESS, NOW);
    (void)state;
    snprintf(head_json, sizeof(head_json), "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             tars_jwt_keys_kid(k));
    claims_json(claims, sizeof(claims), "tars-auth", "access");
    head = b64url(head_json);
    body = b64url(claims);
    snprintf(token, sizeof(token), "%s.%s.", head, body);
    expect_auth_error(k, token, NOW, TARS_TOKEN_ACCESS, "algorithm");
    /* with a real signature borrowed from a valid token */
    snprintf(token, sizeof(token), "%s.%s.%s", head, body, strrchr(good, '.') + 1);
    expect_auth_error(k, token, NOW, TARS_TOKEN_ACCESS, "algorithm");
    free(head);
    head = b64url("{\"alg\":\"none\"}");
    snprintf(token, sizeof(token), "%s.%s.", head, body);
    expect_auth_error(k, token, NOW, TARS_TOKEN_ACCESS, "algorithm");
    free(head);
    free(body);
    free(good);
    tars_jwt_keys_free(k);
}

static void test_hs512_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char claims[512], *t;
    (void)state;
    claims_json(claims, sizeof(claims), "tars-auth", "access");
    t = forge(JWT_ALG_HS256, SECRET, tars_jwt_keys_kid(k), claims);
    {
        /* the forge helper itself makes acceptable tokens */
        struct tars_err err = TARS_ERR_INIT;
        struct tars_principal p;
        assert_int_equal(tars_jwt_verify(k, t, NOW, TARS_TOKEN_ACCESS, &p, &err), TARS_OK);
    }
    free(t);
    t = forge(JWT_ALG_HS512, SECRET, tars_jwt_keys_kid(k), claims);
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "algorithm");
    free(t);
    t = forge(JWT_ALG_HS384, SECRET, tars_jwt_keys_kid(k), claims);
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "algorithm");
    free(t);
    tars_jwt_keys_free(k);
}

static void test_wrong_issuer_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char claims[512], *t;
    (void)state;
    claims_json(claims, sizeof(claims), "someone-else", "access");
    t = forge(JWT_ALG_HS256, SECRET, tars_jwt_keys_kid(k), claims);
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "issuer");
    free(t);
    tars_jwt_keys_free(k);
}

static void test_token_type_enforced(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char *access = issue(k, TARS_TOKEN_ACCESS, NOW), *refresh = issue(k, TARS_TOKEN_REFRESH, NOW);
    char claims[512], *t;
    (void)state;
    expect_auth_error(k, refresh, NOW, TARS_TOKEN_ACCESS, "type");
    expect_auth_error(k, access, NOW, TARS_TOKEN_REFRESH, "type");
    claims_json(claims, sizeof(claims), "tars-auth", "bogus");
    t = forge(JWT_ALG_HS256, SECRET, tars_jwt_keys_kid(k), claims);
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "type");
    free(t);
    free(access);
    free(refresh);
    tars_jwt_keys_free(k);
}

static void test_kid_enforced(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    char claims[512], *t;
    (void)state;
    claims_json(claims, sizeof(claims), "tars-auth", "access");
    t = forge(JWT_ALG_HS256, SECRET, "0000000000000000", claims);
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "key id");
    free(t);
    t = forge(JWT_ALG_HS256, SECRET, NULL, claims);
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "key id");
    free(t);
    tars_jwt_keys_free(k);
}

static void test_missing_or_bad_claims_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    const char *kid = tars_jwt_keys_kid(k);
    char *t;
    (void)state;
    t = forge(JWT_ALG_HS256, SECRET, kid,
              "{\"sub\":\"u\",\"user_id\":\"u\",\"username\":\"n\",\"role\":\"admin\","
              "\"iat\":1700000000,\"iss\":\"tars-auth\",\"type\":\"access\"}");
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "exp");
    free(t);
    t = forge(JWT_ALG_HS256, SECRET, kid,
              "{\"sub\":\"u\",\"user_id\":\"u\",\"username\":\"n\",\"role\":\"admin\","
              "\"exp\":1700003600,\"iss\":\"tars-auth\",\"type\":\"access\"}");
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "iat");
    free(t);
    t = forge(JWT_ALG_HS256, SECRET, kid,
              "{\"sub\":\"u\",\"user_id\":\"u\",\"username\":\"n\",\"role\":\"root\","
              "\"iat\":1700000000,\"exp\":1700003600,\"iss\":\"tars-auth\",\"type\":\"access\"}");
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "role");
    free(t);
    t = forge(JWT_ALG_HS256, SECRET, kid,
              "{\"sub\":\"u\",\"user_id\":\"u\",\"username\":\"n\",\"role\":\"admin\","
              "\"iat\":1700000000,\"exp\":\"soon\",\"iss\":\"tars-auth\",\"type\":\"access\"}");
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "exp");
    free(t);
    t = forge(JWT_ALG_HS256, SECRET, kid,
              "{\"sub\":\"other\",\"user_id\":\"u\",\"username\":\"n\",\"role\":\"admin\","
              "\"iat\":1700000000,\"exp\":1700003600,\"iss\":\"tars-auth\",\"type\":\"access\"}");
    expect_auth_error(k, t, NOW, TARS_TOKEN_ACCESS, "sub");
    free(t);
    tars_jwt_keys_free(k);
}

static void test_garbage_rejected(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    static const char *const bad[] = {
        "",     "abc",  "a.b",     "a.b.c.d", "..",
        "a..c", ".b.c", "!!!.x.y", "a b.c.d", "eyJhbGciOiJIUzI1NiJ9.e30.x"};
    char *big = malloc(TARS_JWT_TOKEN_MAX + 2);
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_auth_error(k, bad[i], NOW, TARS_TOKEN_ACCESS, "");
    expect_auth_error(k, NULL, NOW, TARS_TOKEN_ACCESS, "missing");
    memset(big, 'a', TARS_JWT_TOKEN_MAX + 1);
    big[10] = '.';
    big[20] = '.';
    big[TARS_JWT_TOKEN_MAX + 1] = '\0';
    expect_auth_error(k, big, NOW, TARS_TOKEN_ACCESS, "too long");
    free(big);
    tars_jwt_keys_free(k);
}

/* ---- cache ---- */

static void test_cache_hit_returns_principal(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    tars_jwt_cache *c = tars_jwt_cache_new(64);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal a, b;
    uint64_t hits, misses;
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW);
    (void)state;
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW, &a, &err), TARS_OK);
    memset(&b, 0, sizeof(b));
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW + 5, &b, &err), TARS_OK);
    tars_jwt_cache_stats(c, &hits, &misses);
    assert_int_equal(hits, 1);
    assert_int_equal(misses, 1);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_string_equal(b.user_id, "admin-001");
    assert_int_equal(b.role, TARS_ROLE_ADMIN);
    free(t);
    tars_jwt_cache_free(c);
    tars_jwt_keys_free(k);
}

static void test_cache_not_confused(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    tars_jwt_cache *c = tars_jwt_cache_new(64);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    struct tars_principal viewer = admin(TARS_TOKEN_ACCESS);
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW), *copy = strdup(t), *other, token[2048];
    (void)state;
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW, &p, &err), TARS_OK);
    /* same header and payload, altered signature */
    flip_char(&strrchr(copy, '.')[3]);
    assert_int_equal(tars_jwt_verify_cached(c, k, copy, NOW, &p, &err), TARS_EAUTH);
    /* the cached token's signature on another payload (the viewer's) */
    strcpy(viewer.user_id, "view-001");
    viewer.role = TARS_ROLE_VIEWER;
    other = tars_jwt_issue(k, &viewer, NOW, &err);
    assert_non_null(other);
    snprintf(token, sizeof(token), "%.*s%s", (int)(strrchr(other, '.') - other), other,
             strrchr(t, '.'));
    assert_int_equal(tars_jwt_verify_cached(c, k, token, NOW, &p, &err), TARS_EAUTH);
    /* and the genuine viewer token maps to the viewer */
    assert_int_equal(tars_jwt_verify_cached(c, k, other, NOW, &p, &err), TARS_OK);
    assert_string_equal(p.user_id, "view-001");
    assert_int_equal(p.role, TARS_ROLE_VIEWER);
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW, &p, &err), TARS_OK);
    assert_string_equal(p.user_id, "admin-001");
    free(t);
    free(copy);
    free(other);
    tars_jwt_cache_free(c);
    tars_jwt_keys_free(k);
}

static void test_cache_honours_expiry_and_key(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET), *other = keys_from(OTHER_SECRET);
    tars_jwt_cache *c = tars_jwt_cache_new(64);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    uint64_t hits, misses;
    char *t = issue(k, TARS_TOKEN_ACCESS, NOW), *r = issue(k, TARS_TOKEN_REFRESH, NOW);
    (void)state;
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW, &p, &err), TARS_OK);
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW + 3600 + 30, &p, &err), TARS_OK);
    tars_jwt_cache_stats(c, &hits, &misses);
    assert_int_equal(hits, 1);
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW + 3600 + 31, &p, &err), TARS_EAUTH);
    assert_non_null(strstr(err.msg, "expired"));
    /* a key change (other kid) never trusts what the old key verified */
    assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW, &p, &err), TARS_OK);
    assert_int_equal(tars_jwt_verify_cached(c, other, t, NOW, &p, &err), TARS_EAUTH);
    /* refresh tokens are not access tokens, cached or not */
    assert_int_equal(tars_jwt_verify_cached(c, k, r, NOW, &p, &err), TARS_EAUTH);
    assert_int_equal(tars_jwt_verify_cached(c, k, "x.y", NOW, &p, &err), TARS_EAUTH);
    assert_int_equal(tars_jwt_verify_cached(c, k, NULL, NOW, &p, &err), TARS_EAUTH);
    free(t);
    free(r);
    tars_jwt_cache_free(c);
    tars_jwt_keys_free(k);
    tars_jwt_keys_free(other);
}

/* A tiny cache keeps working (and stays small) under many tokens. */
static void test_cache_small_many_tokens(void **state)
{
    tars_jwt_keys *k = keys_from(SECRET);
    tars_jwt_cache *c = tars_jwt_cache_new(4);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    (void)state;
    for (int i = 0; i < 200; i++) {
        struct tars_principal in = admin(TARS_TOKEN_ACCESS);
        char *t;
        snprintf(in.user_id, sizeof(in.user_id), "user-%d", i);
        t = tars_jwt_issue(k, &in, NOW, &err);
        assert_non_null(t);
        assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW, &p, &err), TARS_OK);
        assert_string_equal(p.user_id, in.user_id);
        assert_int_equal(tars_jwt_verify_cached(c, k, t, NOW, &p, &err), TARS_OK);
        assert_string_equal(p.user_id, in.user_id);
        free(t);
    }
    tars_jwt_cache_free(c);
    tars_jwt_keys_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kid_is_sha256_prefix),
        cmocka_unit_test(test_short_secret_rejected),
        cmocka_unit_test(test_issue_has_every_claim),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_issue_needs_user_and_role),
        cmocka_unit_test(test_expiry_and_leeway),
        cmocka_unit_test(test_iat_in_future_rejected),
        cmocka_unit_test(test_wrong_key_rejected),
        cmocka_unit_test(test_forged_signature_rejected),
        cmocka_unit_test(test_alg_none_rejected),
        cmocka_unit_test(test_hs512_rejected),
        cmocka_unit_test(test_wrong_issuer_rejected),
        cmocka_unit_test(test_token_type_enforced),
        cmocka_unit_test(test_kid_enforced),
        cmocka_unit_test(test_missing_or_bad_claims_rejected),
        cmocka_unit_test(test_garbage_rejected),
        cmocka_unit_test(test_cache_hit_returns_principal),
        cmocka_unit_test(test_cache_not_confused),
        cmocka_unit_test(test_cache_honours_expiry_and_key),
        cmocka_unit_test(test_cache_small_many_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
