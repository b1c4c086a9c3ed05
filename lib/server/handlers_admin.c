/* Admin: users, API keys (shown once, stored as SHA-256), the audit log. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/str.h"

#define PASSWORD_MIN 12

/* ---- users ---- */

static json_t *user_json(const struct tars_user *u)
{
    return json_pack("{s:s,s:s,s:s,s:o}", "id", u->id, "username", u->username, "role", u->role,
                     "created_at", srv_json_time(u->created_at));
}

static int add_user(void *ctx, const struct tars_user *u)
{
    return json_array_append_new(ctx, user_json(u));
}

void h_admin_users_list(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *list = json_array();

    if (tars_store_users_each(r->th->store, add_user, list, &err)) {
        json_decref(list);
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(
        r, 200, json_pack("{s:o,s:I}", "users", list, "total", (json_int_t)json_array_size(list)));
}

static int write_user(tars_store *st, void *data, struct tars_err *err)
{
    return tars_store_user_add(st, data, err);
}

static void user_done(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    struct tars_user *u = data;

    if (r && rc) {
        srv_send_store_error(r, err);
    } else if (r) {
        srv_audit(r, "admin_action", "user created", "user", u->id, true, NULL);
        srv_send_json(r, 201, user_json(u));
    }
    explicit_bzero(u, sizeof(*u));
    free(u);
}

void h_admin_user_create(struct srv_req *r)
{
    struct tars_field_errors fe;
    struct tars_err err = TARS_ERR_INIT;
    const char *name = NULL, *password = NULL, *role = NULL;
    enum tars_role parsed;
    json_t *body = srv_read_json_body(r);
    struct tars_user *u;

    if (!body)
        return;
    tars_field_errors_init(&fe);
    tars_json_string(body, "username", true, TARS_NAME_MAX - 1, &name, &fe);
    if (tars_json_string(body, "password", true, 1024, &password, &fe) &&
        strlen(password) < PASSWORD_MIN)
        tars_field_errors_add(&fe, "password", "must be at least 12 characters");
    if (tars_json_string(body, "role", true, TARS_ROLE_MAX - 1, &role, &fe) &&
        tars_role_parse(role, &parsed))
        tars_field_errors_add(&fe, "role", "must be viewer, developer or admin");
    if (fe.count) {
        srv_send_field_errors(r, &fe);
        goto out;
    }
    u = xcalloc(1, sizeof(*u));
    tars_strlcpy(u->username, name, sizeof(u->username));
    tars_strlcpy(u->role, role, sizeof(u->role));
    if (tars_password_hash(password, u->password_hash, sizeof(u->password_hash), &err)) {
        free(u);
        srv_send_error(r, 500, "internal", "password could not be hashed");
        goto out;
    }
    srv_write(r, write_user, u, user_done);
out:
    tars_field_errors_release(&fe);
    json_decref(body);
}

/* ---- API keys ---- */

static json_t *key_json(const struct tars_api_key *k, int64_t now)
{
    bool active = k->revoked_at == 0 && (k->expires_at == 0 || k->expires_at > now);

    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:b}", "key_id", k->id, "service_name",
                     k->service_name, "role", k->role, "created_at", srv_json_time(k->created_at),
                     "last_used", srv_json_time(k->last_used_at), "expires_at",
                     srv_json_time(k->expires_at), "is_active", active);
}

static int add_key(void *ctx, const struct tars_api_key *k)
{
    return json_array_append_new(ctx, key_json(k, tars_wall_ms()));
}

void h_admin_keys_list(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *list = json_array();

    if (tars_store_api_keys_each(r->th->store, add_key, list, &err)) {
        json_decref(list);
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(
        r, 200,
        json_pack("{s:o,s:I}", "api_keys", list, "total", (json_int_t)json_array_size(list)));
}

struct key_job {
    struct tars_api_key key;
    char plain[64]; /* the key itself: sent once, then wiped */
    char actor[128];
    char reason[256];
};

static void key_job_free(struct key_job *j)
{
    explicit_bzero(j, sizeof(*j));
    free(j);
}

/* key_id = the service name, lower-cased, spaces as "_" (as the original). */
static bool normalise_key_id(const char *service, char *out, size_t size)
{
    size_t i = 0;
    for (; service[i] && i + 1 < size; i++) {
        char c = service[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == ' ')
            c = '_';
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                   c == '.'))
            return false;
        out[i] = c;
    }
    out[i] = '\0';
    return i > 0 && !service[i];
}

static int write_key(tars_store *st, void *data, struct tars_err *err)
{
    return tars_store_api_key_add(st, &((struct key_job *)data)->key, err);
}

static void key_created(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    struct key_job *j = data;

    if (r && rc) {
        srv_send_store_error(r, err);
    } else if (r) {
        json_t *v = key_json(&j->key, tars_wall_ms());
        json_object_set_new(v, "api_key", json_string(j->plain));
        json_object_set_new(v, "created_by", json_string(j->actor));
        json_object_set_new(v, "message", json_string("store this key now: it is not shown again"));
        srv_audit(r, "admin_action", "api key created", "api_key", j->key.id, true, NULL);
        srv_send_json(r, 201, v);
    }
    key_job_free(j);
}

void h_admin_key_create(struct srv_req *r)
{
    struct tars_field_errors fe;
    const char *service = NULL, *role = "viewer";
    int64_t days = 0;
    enum tars_role parsed;
    json_t *body = srv_read_json_body(r);
    struct key_job *j;

    if (!body)
        return;
    j = xcalloc(1, sizeof(*j));
    tars_field_errors_init(&fe);
    if (tars_json_string(body, "service_name", true, TARS_NAME_MAX - 1, &service, &fe) &&
        !normalise_key_id(service, j->key.id, sizeof(j->key.id)))
        tars_field_errors_add(&fe, "service_name", "letters, digits, spaces, '_', '-' or '.' only");
    if (tars_json_string(body, "role", false, TARS_ROLE_MAX - 1, &role, &fe) &&
        tars_role_parse(role, &parsed))
        tars_field_errors_add(&fe, "role", "must be viewer, developer or admin");
    tars_json_int(body, "expires_in_days", false, 1, 3650, &days, &fe);
    if (fe.count) {
        srv_send_field_errors(r, &fe);
        key_job_free(j);
    } else {
        tars_strlcpy(j->key.service_name, service, sizeof(j->key.service_name));
        tars_strlcpy(j->key.role, role, sizeof(j->key.role));
        tars_strlcpy(j->key.user_id, r->principal.user_id, sizeof(j->key.user_id));
        tars_strlcpy(j->actor, r->principal.username, sizeof(j->actor));
        j->key.created_at = tars_wall_ms();
        j->key.expires_at = days ? j->key.created_at + days * 86400000 : 0;
        tars_api_key_generate(j->plain);
        tars_api_key_hash(j->plain, j->key.key_hash);
        srv_write(r, write_key, j, key_created);
    }
    tars_field_errors_release(&fe);
    json_decref(body);
}

static int write_rotate(tars_store *st, void *data, struct tars_err *err)
{
    struct key_job *j = data;
    struct tars_api_key k;
    int rc = tars_store_api_key_get(st, j->key.id, &k, err);

    if (rc)
        return rc;
    if (k.revoked_at)
        return tars_err_set(err, TARS_ENOTFOUND, "api key \"%s\" is revoked", j->key.id);
    return tars_store_api_key_set_hash(st, j->key.id, j->key.key_hash, err);
}

/* Shared ending of rotate and revoke: 404, a storage error, or the audit
 * entry and body(j). */
static void key_changed(struct srv_req *r, struct key_job *j, int rc, const struct tars_err *err,
                        const char *action, json_t *(*body)(const struct key_job *j))
{
    if (r && rc == TARS_ENOTFOUND) {
        srv_send_error(r, 404, "not_found", "no active api key \"%s\"", j->key.id);
    } else if (r && rc) {
        srv_send_store_error(r, err);
    } else if (r) {
        srv_audit(r, "admin_action", action, "api_key", j->key.id, true, NULL);
        srv_send_json(r, 200, body(j));
    }
    key_job_free(j);
}

static json_t *rotated_body(const struct key_job *j)
{
    return json_pack("{s:s,s:s,s:o,s:s}", "key_id", j->key.id, "new_api_key", j->plain,
                     "rotated_at", srv_json_time(tars_wall_ms()), "rotated_by", j->actor);
}

static void key_rotated(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    key_changed(r, data, rc, err, "api key rotated", rotated_body);
}

void h_admin_key_rotate(struct srv_req *r)
{
    struct key_job *j = xcalloc(1, sizeof(*j));

    tars_strlcpy(j->key.id, r->params.value[0], sizeof(j->key.id));
    tars_strlcpy(j->actor, r->principal.username, sizeof(j->actor));
    tars_api_key_generate(j->plain);
    tars_api_key_hash(j->plain, j->key.key_hash);
    srv_write(r, write_rotate, j, key_rotated);
}

static int write_revoke(tars_store *st, void *data, struct tars_err *err)
{
    struct key_job *j = data;
    return tars_store_api_key_revoke(st, j->key.id, j->key.revoked_at, err);
}

static json_t *revoked_body(const struct key_job *j)
{
    return json_pack("{s:b,s:s,s:o,s:s,s:s}", "success", 1, "key_id", j->key.id, "revoked_at",
                     srv_json_time(j->key.revoked_at), "revoked_by", j->actor, "reason", j->reason);
}

static void key_revoked(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    key_changed(r, data, rc, err, "api key revoked", revoked_body);
}

void h_admin_key_revoke(struct srv_req *r)
{
    struct tars_field_errors fe;
    const char *reason = "";
    struct key_job *j;
    json_t *body = NULL;

    if (r->req->entity.len > 0 && !(body = srv_read_json_body(r)))
        return;
    tars_field_errors_init(&fe);
    tars_json_string(body, "reason", false, 255, &reason, &fe);
    if (fe.count) {
        srv_send_field_errors(r, &fe);
        tars_field_errors_release(&fe);
        json_decref(body);
        return;
    }
    j = xcalloc(1, sizeof(*j));
    tars_strlcpy(j->key.id, r->params.value[0], sizeof(j->key.id));
    tars_strlcpy(j->actor, r->principal.username, sizeof(j->actor));
    tars_strlcpy(j->reason, reason, sizeof(j->reason));
    j->key.revoked_at = tars_wall_ms();
    srv_write(r, write_revoke, j, key_revoked);
    tars_field_errors_release(&fe);
    json_decref(body);
}

/* ---- audit log ---- */

static const char *const event_types[] = {"auth_success", "auth_failure", "admin_action", NULL};

static int add_event(void *ctx, const struct tars_audit_event *ev)
{
    json_t *details = tars_json_object_from_text(ev->details_json);

    return json_array_append_new(
        ctx, json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:o}", "id", (json_int_t)ev->id,
                       "timestamp", srv_json_time(ev->timestamp), "event_type", ev->event_type,
                       "user_id", ev->user_id, "username", ev->username, "action", ev->action,
                       "resource_type", ev->resource_type, "resource_id", ev->resource_id,
                       "client_ip", ev->client_ip, "success", ev->success, "details",
                       details ? details : json_null()));
}

void h_admin_audit(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    char type[TARS_ID_MAX];
    bool has_type, known = false;
    int64_t limit = 100, offset = 0, total = 0;
    json_t *list;

    if (!srv_query_str(r, "event_type", type, sizeof(type), &has_type) ||
        !srv_query_int(r, "limit", 1, 1000, &limit) ||
        !srv_query_int(r, "offset", 0, INT32_MAX, &offset))
        return;
    for (const char *const *t = event_types; has_type && *t; t++)
        known = known || strcmp(*t, type) == 0;
    if (has_type && !known) {
        srv_send_error(r, 400, "bad_request",
                       "unknown event_type \"%s\"; known: auth_success, "
                       "auth_failure, admin_action",
                       type);
        return;
    }
    list = json_array();
    if (tars_store_audit_list(r->th->store, has_type ? type : NULL, limit, offset, &total,
                              add_event, list, &err)) {
        json_decref(list);
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(r, 200,
                  json_pack("{s:o,s:I,s:I,s:I}", "events", list, "total", (json_int_t)total,
                            "limit", (json_int_t)limit, "offset", (json_int_t)offset));
}
