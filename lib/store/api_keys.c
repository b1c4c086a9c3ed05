/*
 * API keys for services, stored as "sha256:<hex>". Optional times (expiry,
 * last use, revocation) are NULL in the database and 0 in the struct.
 */
#include "store_int.h"

#include <string.h>

#include "tars/clock.h"

#define KEY_COLUMNS                                                                                \
    "id, user_id, service_name, role, key_hash, created_at, expires_at, last_used_at, revoked_at"

static struct db_value optional_time(int64_t ms)
{
    return ms ? db_int(ms) : db_null();
}

static int key_from_row(const struct db_row *r, struct tars_api_key *k, struct tars_err *err)
{
    int rc;

    memset(k, 0, sizeof(*k));
    rc = db_copy_text(r, 0, k->id, sizeof(k->id), err);
    if (!rc)
        rc = db_copy_text(r, 1, k->user_id, sizeof(k->user_id), err);
    if (!rc)
        rc = db_copy_text(r, 2, k->service_name, sizeof(k->service_name), err);
    if (!rc)
        rc = db_copy_text(r, 3, k->role, sizeof(k->role), err);
    if (!rc)
        rc = db_copy_text(r, 4, k->key_hash, sizeof(k->key_hash), err);
    k->created_at = db_get_int(r, 5);
    k->expires_at = db_get_int(r, 6);
    k->last_used_at = db_get_int(r, 7);
    k->revoked_at = db_get_int(r, 8);
    return rc;
}

static int check_key(const struct tars_api_key *k, struct tars_err *err)
{
    int rc = store_check_field("api key id", k->id, sizeof(k->id), err);

    if (!rc)
        rc = store_check_field("user id", k->user_id, sizeof(k->user_id), err);
    if (!rc)
        rc = store_check_field("service name", k->service_name, sizeof(k->service_name), err);
    if (!rc)
        rc = store_check_field("role", k->role, sizeof(k->role), err);
    if (!rc)
        rc = store_check_field("key hash", k->key_hash, sizeof(k->key_hash), err);
    if (!rc && (!k->id[0] || !k->key_hash[0]))
        rc = tars_err_set(err, TARS_EINVAL, "api key needs an id and a hash");
    return rc;
}

int tars_store_api_key_add(tars_store *st, struct tars_api_key *k, struct tars_err *err)
{
    struct db_value p[9];
    int64_t now = tars_wall_ms();
    int rc = check_key(k, err);

    if (rc)
        return rc;
    p[0] = db_text(k->id);
    p[1] = db_text(k->user_id);
    p[2] = db_text(k->service_name);
    p[3] = db_text(k->role);
    p[4] = db_text(k->key_hash);
    p[5] = db_int(now);
    p[6] = optional_time(k->expires_at);
    p[7] = optional_time(k->last_used_at);
    p[8] = optional_time(k->revoked_at);
    rc = db_query(st->db,
                  "INSERT INTO api_keys (" KEY_COLUMNS ") "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                  p, 9, NULL, NULL, err);
    if (rc == TARS_ECONFLICT)
        return tars_err_set(err, rc, "api key \"%s\" or its hash already exists", k->id);
    if (!rc)
        k->created_at = now;
    return rc;
}

struct key_one {
    struct tars_api_key *out;
    bool found;
};

static int key_one_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct key_one *one = ctx;
    int rc = key_from_row(row, one->out, err);

    one->found = rc == TARS_OK;
    return rc ? rc : DB_STOP;
}

int tars_store_api_key_by_hash(tars_store *st, const char *key_hash, int64_t now_ms,
                               struct tars_api_key *out, struct tars_err *err)
{
    struct key_one one = {out, false};
    struct db_value p[] = {db_text(key_hash), db_int(now_ms)};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_check_text("key hash", key_hash, TARS_HASH_MAX, true, err);
    if (!rc)
        rc = db_query(st->db,
                      "SELECT " KEY_COLUMNS " FROM api_keys WHERE key_hash = $1 "
                      "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
                      p, 2, key_one_row, &one, err);
    if (!rc && !one.found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "no active api key with that hash");
    return rc;
}

int tars_store_api_key_get(tars_store *st, const char *id, struct tars_api_key *out,
                           struct tars_err *err)
{
    struct key_one one = {out, false};
    struct db_value p[] = {db_text(id)};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_check_text("api key id", id, TARS_ID_MAX, true, err);
    if (!rc)
        rc = db_query(st->db, "SELECT " KEY_COLUMNS " FROM api_keys WHERE id = $1", p, 1,
                      key_one_row, &one, err);
    if (!rc && !one.found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "api key \"%s\" not found", id);
    return rc;
}

static int found_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    (void)row;
    (void)err;
    *(bool *)ctx = true;
    return 0;
}

/* Runs an UPDATE ... RETURNING id on one key; TARS_ENOTFOUND if none matched. */
static int key_update(tars_store *st, const char *sql, const char *id, struct db_value second,
                      struct tars_err *err)
{
    struct db_value p[] = {db_text(id), second};
    bool found = false;
    int rc = store_check_text("api key id", id, TARS_ID_MAX, true, err);

    if (!rc)
        rc = db_query(st->db, sql, p, 2, found_row, &found, err);
    if (!rc && !found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "api key \"%s\" not found", id);
    return rc;
}

int tars_store_api_key_set_hash(tars_store *st, const char *id, const char *key_hash,
                                struct tars_err *err)
{
    int rc = store_check_text("key hash", key_hash, TARS_HASH_MAX, true, err);

    if (!rc && !key_hash[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty key hash");
    if (rc)
        return rc;
    rc = key_update(st, "UPDATE api_keys SET key_hash = $2 WHERE id = $1 RETURNING id", id,
                    db_text(key_hash), err);
    if (rc == TARS_ECONFLICT)
        return tars_err_set(err, rc, "another active api key has that hash");
    return rc;
}

/* Revoking twice keeps the first revocation time. */
int tars_store_api_key_revoke(tars_store *st, const char *id, int64_t now_ms, struct tars_err *err)
{
    return key_update(st,
                      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 "
                      "RETURNING id",
                      id, db_int(now_ms), err);
}

struct key_each {
    tars_api_key_fn fn;
    void *ctx;
};

static int key_each_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct key_each *each = ctx;
    struct tars_api_key k;
    int rc = key_from_row(row, &k, err);

    if (rc)
        return rc;
    return store_callback_result(each->fn(each->ctx, &k), err);
}

int tars_store_api_keys_each(tars_store *st, tars_api_key_fn fn, void *ctx, struct tars_err *err)
{
    struct key_each each = {fn, ctx};
    return db_query(st->db, "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY id", NULL, 0,
                    key_each_row, &each, err);
}
