/* Authentication of requests (JWT or API key) and the audit trail. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/str.h"

#define TOKEN_MAX 4096

static int api_key_principal(struct srv_req *r, const char *key, struct tars_err *err)
{
    struct tars_api_key k;
    char hash[72];
    uint64_t t0 = tars_mono_ns();
    int rc;

    tars_api_key_hash(key, hash);
    rc = tars_store_api_key_by_hash(r->th->store, hash, tars_wall_ms(), &k, err);
    srv_metrics_db(r->th->shard, DB_API_KEY_LOOKUP, tars_mono_ns() - t0);
    if (rc == TARS_ENOTFOUND)
        return tars_err_set(err, TARS_EAUTH, "invalid or revoked api key");
    if (rc)
        return tars_err_set(err, TARS_EAUTH, "api key could not be checked: storage unavailable");
    memset(&r->principal, 0, sizeof(r->principal));
    /* The key is its own principal: rate limits, audit and /api/v1/user name
     * the key, not the admin who created it. */
    tars_strlcpy(r->principal.user_id, k.id, sizeof(r->principal.user_id));
    tars_strlcpy(r->principal.username, k.service_name, sizeof(r->principal.username));
    if (tars_role_parse(k.role, &r->principal.role))
        r->principal.role = TARS_ROLE_VIEWER;
    r->principal.type = TARS_TOKEN_ACCESS;
    r->principal.via_api_key = true;
    return TARS_OK;
}

int srv_authenticate(struct srv_req *r, struct tars_err *err)
{
    ssize_t i = h2o_find_header(&r->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    struct tars_server *srv = r->th->srv;
    char token[TOKEN_MAX + 1];
    h2o_iovec_t v;
    int rc;

    if (i < 0)
        return TARS_OK;
    v = r->req->headers.entries[i].value;
    if (v.len < 8 || !tars_memeq_nocase(v.base, 7, "bearer ") || v.len - 7 > TOKEN_MAX) {
        srv_metrics_auth_failure(&srv->metrics, AUTHF_MALFORMED);
        return tars_err_set(err, TARS_EAUTH, "authorization must be \"Bearer <token>\"");
    }
    memcpy(token, v.base + 7, v.len - 7);
    token[v.len - 7] = '\0';
    if (strlen(token) != v.len - 7) {
        srv_metrics_auth_failure(&srv->metrics, AUTHF_MALFORMED);
        return tars_err_set(err, TARS_EAUTH, "authorization header holds a NUL byte");
    }
    rc = srv_authenticate_token(r, token, err);
    explicit_bzero(token, sizeof(token));
    return rc;
}

int srv_authenticate_token(struct srv_req *r, const char *token, struct tars_err *err)
{
    struct tars_server *srv = r->th->srv;
    int rc;

    if (tars_str_has_prefix(token, "tars_")) {
        rc = api_key_principal(r, token, err);
        if (rc)
            srv_metrics_auth_failure(&srv->metrics, AUTHF_INVALID_API_KEY);
    } else {
        rc = tars_jwt_verify_cached(r->th->jwt_cache, srv->jwt, token, tars_wall_ms() / 1000,
                                    &r->principal, err);
        if (rc)
            srv_metrics_auth_failure(&srv->metrics, AUTHF_INVALID_TOKEN);
    }
    if (rc)
        return TARS_EAUTH;
    r->authenticated = true;
    return TARS_OK;
}

static int audit_write(tars_store *st, void *data, struct tars_err *err)
{
    return tars_store_audit_add(st, data, err);
}

static void audit_free(void *data)
{
    tars_audit_event_release(data);
    free(data);
}

void srv_audit(struct srv_req *r, const char *event_type, const char *action,
               const char *resource_type, const char *resource_id, bool success,
               const char *username)
{
    struct tars_audit_event *ev = xcalloc(1, sizeof(*ev));

    ev->timestamp = tars_wall_ms();
    tars_strlcpy(ev->event_type, event_type, sizeof(ev->event_type));
    tars_strlcpy(ev->action, action, sizeof(ev->action));
    tars_strlcpy(ev->resource_type, resource_type, sizeof(ev->resource_type));
    tars_strlcpy(ev->resource_id, resource_id ? resource_id : "", sizeof(ev->resource_id));
    tars_strlcpy(ev->client_ip, r->client_ip, sizeof(ev->client_ip));
    if (r->authenticated) {
        tars_strlcpy(ev->user_id, r->principal.user_id, sizeof(ev->user_id));
        tars_strlcpy(ev->username, r->principal.username, sizeof(ev->username));
    } else {
        tars_strlcpy(ev->username, username ? username : "", sizeof(ev->username));
    }
    ev->success = success;
    srv_write_detached(r->th->srv->writer, audit_write, ev, audit_free);
}
