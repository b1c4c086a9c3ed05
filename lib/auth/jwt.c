/*
 * JWT access and refresh tokens: HS256 through libjwt 1.10.2, with every
 * claim check libjwt leaves to its caller (libjwt checks only the signature): algorithm, kid,
 * iss, exp and iat with leeway, type, role. jwt_decode is always given the
 * key: without one it would accept "alg": "none". Its HMAC comparison is
 * constant-time only with Debian's 1.10.2-1+deb12u1 (CVE-2024-25189).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>

#include "tars/alloc.h"
#include "tars/auth.h"
#include "tars/json.h"
#include "tars/crypto.h"
#include "tars/str.h"

#define JWT_SECRET_MAX 1024
#define JWT_KID_LEN 16

_Static_assert(sizeof(long) >= sizeof(int64_t), "libjwt passes integer claims as long");

struct tars_jwt_keys {
    unsigned char *secret;
    int len;
    char kid[JWT_KID_LEN + 1];
};

tars_jwt_keys *tars_jwt_keys_new(const void *secret, size_t len, struct tars_err *err)
{
    uint8_t digest[TARS_SHA256_LEN];
    char hex[TARS_SHA256_HEX_LEN];
    tars_jwt_keys *k;

    if (!secret || len < TARS_JWT_SECRET_MIN) {
        tars_err_set(err, TARS_EINVAL, "jwt secret too short: %zu bytes, need at least %d",
                     secret ? len : 0, TARS_JWT_SECRET_MIN);
        return NULL;
    }
    if (len > JWT_SECRET_MAX) {
        tars_err_set(err, TARS_EINVAL, "jwt secret too long: %zu bytes, at most %d", len,
                     JWT_SECRET_MAX);
        return NULL;
    }
    k = xcalloc(1, sizeof(*k));
    k->secret = xmalloc(len);
    memcpy(k->secret, secret, len);
    k->len = (int)len;
    tars_sha256(secret, len, digest);
    tars_hex_encode(digest, sizeof(digest), hex);
    memcpy(k->kid, hex, JWT_KID_LEN);
    k->kid[JWT_KID_LEN] = '\0';
    return k;
}

void tars_jwt_keys_free(tars_jwt_keys *k)
{
    if (!k)
        return;
    OPENSSL_cleanse(k->secret, (size_t)k->len);
    free(k->secret);
    free(k);
}

const char *tars_jwt_keys_kid(const tars_jwt_keys *k)
{
    return k->kid;
}

static const char *token_type_name(enum tars_token_type t)
{
    return t == TARS_TOKEN_REFRESH ? "refresh" : "access";
}

/* jansson (under libjwt) refuses strings that are not UTF-8. */
static bool valid_utf8(const char *s)
{
    json_t *js = json_string(s);

    json_decref(js);
    return js != NULL;
}

static int check_principal(const struct tars_principal *p, int64_t now, struct tars_err *err)
{
    if (!p || p->user_id[0] == '\0' ||
        strnlen(p->user_id, sizeof(p->user_id)) == sizeof(p->user_id))
        return tars_err_set(err, TARS_EINVAL, "token needs a user id");
    if (strnlen(p->username, sizeof(p->username)) == sizeof(p->username))
        return tars_err_set(err, TARS_EINVAL, "username not terminated");
    if (!valid_utf8(p->user_id) || !valid_utf8(p->username))
        return tars_err_set(err, TARS_EINVAL, "user id or username is not valid UTF-8");
    if (p->role < TARS_ROLE_VIEWER || p->role > TARS_ROLE_ADMIN)
        return tars_err_set(err, TARS_EINVAL, "token needs a role");
    if (p->type != TARS_TOKEN_ACCESS && p->type != TARS_TOKEN_REFRESH)
        return tars_err_set(err, TARS_EINVAL, "unknown token type %d", (int)p->type);
    if (now < 0 || now > INT64_MAX / 2)
        return tars_err_set(err, TARS_EINVAL, "time out of range");
    return TARS_OK;
}

/* Adds the claims of docs/api.md; non-zero on any libjwt failure. */
static int add_claims(jwt_t *jwt, const struct tars_principal *p, int64_t now)
{
    const char *role = tars_role_name(p->role);
    int64_t ttl = p->type == TARS_TOKEN_REFRESH ? TARS_JWT_REFRESH_TTL_S : TARS_JWT_ACCESS_TTL_S;
    char roles[64];

    /* role is one of our own constant names: no escaping needed */
    snprintf(roles, sizeof(roles), "{\"roles\":[\"%s\"]}", role);
    return jwt_add_grant(jwt, "sub", p->user_id) || jwt_add_grant(jwt, "user_id", p->user_id) ||
           jwt_add_grant(jwt, "username", p->username) || jwt_add_grant(jwt, "role", role) ||
           jwt_add_grants_json(jwt, roles) || jwt_add_grant_int(jwt, "iat", (long)now) ||
           jwt_add_grant_int(jwt, "exp", (long)(now + ttl)) ||
           jwt_add_grant(jwt, "iss", TARS_JWT_ISSUER) ||
           jwt_add_grant(jwt, "type", token_type_name(p->type));
}

char *tars_jwt_issue(const tars_jwt_keys *k, const struct tars_principal *p, int64_t now,
                     struct tars_err *err)
{
    jwt_t *jwt = NULL;
    char *token = NULL;

    if (check_principal(p, now, err))
        return NULL;
    if (jwt_new(&jwt) != 0) {
        tars_err_set(err, TARS_EINTERNAL, "cannot create token");
        goto out;
    }
    if (jwt_set_alg(jwt, JWT_ALG_HS256, k->secret, k->len) != 0 ||
        jwt_add_header(jwt, "kid", k->kid) != 0 || add_claims(jwt, p, now) != 0) {
        tars_err_set(err, TARS_EINTERNAL, "cannot build token");
        goto out;
    }
    token = jwt_encode_str(jwt);
    if (!token)
        tars_err_set(err, TARS_EINTERNAL, "cannot encode token");
out:
    jwt_free(jwt);
    return token;
}

/* ---- verification ---- */

static bool is_base64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Three base64url parts separated by dots; header and payload non-empty (the
 * signature may be empty so that "alg": "none" gets its own message). */
static int check_shape(const char *token, struct tars_err *err)
{
    size_t len, dots = 0, part = 0;

    if (!token || !*token)
        return tars_err_set(err, TARS_EAUTH, "missing token");
    len = strnlen(token, TARS_JWT_TOKEN_MAX + 1);
    if (len > TARS_JWT_TOKEN_MAX)
        return tars_err_set(err, TARS_EAUTH, "token too long (more than %d bytes)",
                            TARS_JWT_TOKEN_MAX);
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (part == 0 || ++dots > 2)
                return tars_err_set(err, TARS_EAUTH, "malformed token");
            part = 0;
        } else if (is_base64url_char(token[i])) {
            part++;
        } else {
            return tars_err_set(err, TARS_EAUTH, "malformed token");
        }
    }
    if (dots != 2)
        return tars_err_set(err, TARS_EAUTH, "malformed token");
    return TARS_OK;
}

/* Decodes one unpadded base64url part; -1 when malformed or over cap. */
static int base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    return tars_base64_decode(in, len, TARS_B64_URL, out, cap, out_len) ? -1 : 0;
}

/* Decodes the JSON object in one token part; NULL when it is not one. */
static json_t *decode_part(const char *part, size_t len)
{
    uint8_t buf[TARS_JWT_TOKEN_MAX];
    size_t n;
    json_t *js;

    if (base64url_decode(part, len, buf, sizeof(buf), &n) != 0)
        return NULL;
    tars_json_parse_bounded((const char *)buf, n, sizeof(buf), JSON_REJECT_DUPLICATES, &js, NULL);
    if (js && !json_is_object(js)) {
        json_decref(js);
        return NULL;
    }
    return js;
}

/* jwt_decode failed: find out why, for the message (cold path). */
static int explain_decode_failure(const char *token, struct tars_err *err)
{
    const char *dot1 = strchr(token, '.'), *dot2 = strchr(dot1 + 1, '.');
    json_t *head = decode_part(token, (size_t)(dot1 - token));
    json_t *body = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    const char *alg = head ? json_string_value(json_object_get(head, "alg")) : NULL;
    int rc;

    if (!head)
        rc = tars_err_set(err, TARS_EAUTH, "malformed token header");
    else if (!alg || strcmp(alg, "HS256") != 0)
        rc = tars_err_set(err, TARS_EAUTH, "unsupported token algorithm (only HS256)");
    else if (!body)
        rc = tars_err_set(err, TARS_EAUTH, "malformed token payload");
    else
        rc = tars_err_set(err, TARS_EAUTH, "bad token signature");
    json_decref(head);
    json_decref(body);
    return rc;
}

static int check_header(jwt_t *jwt, const tars_jwt_keys *k, struct tars_err *err)
{
    const char *kid;

    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        return tars_err_set(err, TARS_EAUTH, "unsupported token algorithm (only HS256)");
    kid = jwt_get_header(jwt, "kid");
    if (!kid)
        return tars_err_set(err, TARS_EAUTH, "token has no key id");
    if (strcmp(kid, k->kid) != 0)
        return tars_err_set(err, TARS_EAUTH, "unknown token key id");
    return TARS_OK;
}

/* An integer claim; errno tells libjwt's "missing" and "not an integer". */
static int get_int_claim(jwt_t *jwt, const char *name, int64_t *out, struct tars_err *err)
{
    long v;

    errno = 0;
    v = jwt_get_grant_int(jwt, name);
    if (errno != 0)
        return tars_err_set(err, TARS_EAUTH, "token lacks an integer %s claim", name);
    *out = v;
    return TARS_OK;
}

static int check_times(jwt_t *jwt, int64_t now, int64_t *exp, struct tars_err *err)
{
    int64_t iat = 0;
    int rc;

    rc = get_int_claim(jwt, "exp", exp, err);
    if (rc)
        return rc;
    if (*exp < now - TARS_JWT_LEEWAY_S)
        return tars_err_set(err, TARS_EAUTH, "token expired");
    rc = get_int_claim(jwt, "iat", &iat, err);
    if (rc)
        return rc;
    if (iat > now + TARS_JWT_LEEWAY_S)
        return tars_err_set(err, TARS_EAUTH, "token issued in the future");
    return TARS_OK;
}

static int copy_string_claim(jwt_t *jwt, const char *name, char *out, size_t size,
                             struct tars_err *err)
{
    const char *v = jwt_get_grant(jwt, name);

    if (!v)
        return tars_err_set(err, TARS_EAUTH, "token lacks a %s claim", name);
    if (tars_strlcpy(out, v, size) >= size)
        return tars_err_set(err, TARS_EAUTH, "token %s claim too long", name);
    return TARS_OK;
}

static int check_type(jwt_t *jwt, enum tars_token_type want, struct tars_err *err)
{
    const char *type = jwt_get_grant(jwt, "type");

    if (!type)
        return tars_err_set(err, TARS_EAUTH, "token lacks a type claim");
    if (strcmp(type, token_type_name(want)) != 0)
        return tars_err_set(err, TARS_EAUTH, "wrong token type (want %s)", token_type_name(want));
    return TARS_OK;
}

static int check_claims(jwt_t *jwt, enum tars_token_type want, struct tars_principal *p,
                        struct tars_err *err)
{
    const char *iss = jwt_get_grant(jwt, "iss"), *sub;
    int rc;

    if (!iss || strcmp(iss, TARS_JWT_ISSUER) != 0)
        return tars_err_set(err, TARS_EAUTH, "invalid token issuer");
    rc = check_type(jwt, want, err);
    if (rc)
        return rc;
    if (tars_role_parse(jwt_get_grant(jwt, "role"), &p->role) != TARS_OK)
        return tars_err_set(err, TARS_EAUTH, "token lacks a valid role claim");
    rc = copy_string_claim(jwt, "user_id", p->user_id, sizeof(p->user_id), err);
    if (!rc)
        rc = copy_string_claim(jwt, "username", p->username, sizeof(p->username), err);
    if (rc)
        return rc;
    sub = jwt_get_grant(jwt, "sub");
    if (!sub || strcmp(sub, p->user_id) != 0)
        return tars_err_set(err, TARS_EAUTH, "token sub claim does not match user_id");
    p->type = want;
    p->via_api_key = false;
    return TARS_OK;
}

int tars_jwt_verify(const tars_jwt_keys *k, const char *token, int64_t now,
                    enum tars_token_type want, struct tars_principal *out, struct tars_err *err)
{
    struct tars_principal p;
    jwt_t *jwt = NULL;
    int rc;

    memset(&p, 0, sizeof(p));
    rc = check_shape(token, err);
    if (rc)
        return rc;
    if (jwt_decode(&jwt, token, k->secret, k->len) != 0) {
        jwt = NULL;
        rc = explain_decode_failure(token, err);
        goto out;
    }
    rc = check_header(jwt, k, err);
    if (!rc)
        rc = check_times(jwt, now, &p.exp, err);
    if (!rc)
        rc = check_claims(jwt, want, &p, err);
    if (!rc)
        *out = p;
out:
    jwt_free(jwt);
    return rc;
}
