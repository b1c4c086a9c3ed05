/* Users: accounts that log in with a password (hash stored, never the password). */
#include "store_int.h"

#include <string.h>

#include "tars/clock.h"
#include "tars/crypto.h"

#define USER_COLUMNS "id, username, role, password_hash, created_at, disabled"

static int user_from_row(const struct db_row *r, struct tars_user *u, struct tars_err *err)
{
    int rc;

    memset(u, 0, sizeof(*u));
    rc = db_copy_text(r, 0, u->id, sizeof(u->id), err);
    if (!rc)
        rc = db_copy_text(r, 1, u->username, sizeof(u->username), err);
    if (!rc)
        rc = db_copy_text(r, 2, u->role, sizeof(u->role), err);
    if (!rc)
        rc = db_copy_text(r, 3, u->password_hash, sizeof(u->password_hash), err);
    u->created_at = db_get_int(r, 4);
    u->disabled = db_get_int(r, 5) != 0;
    return rc;
}

static int check_user(const struct tars_user *u, struct tars_err *err)
{
    int rc = store_check_field("username", u->username, sizeof(u->username), err);

    if (!rc)
        rc = store_check_field("role", u->role, sizeof(u->role), err);
    if (!rc)
        rc = store_check_field("password hash", u->password_hash, sizeof(u->password_hash), err);
    if (!rc && !u->username[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty username");
    return rc;
}

int tars_store_user_add(tars_store *st, struct tars_user *u, struct tars_err *err)
{
    char id[TARS_UUID_LEN];
    struct db_value p[6];
    int rc = check_user(u, err);

    if (rc)
        return rc;
    tars_uuid4(id);
    p[0] = db_text(id);
    p[1] = db_text(u->username);
    p[2] = db_text(u->role);
    p[3] = db_text(u->password_hash);
    p[4] = db_int(tars_wall_ms());
    p[5] = db_int(u->disabled ? 1 : 0);
    rc = db_query(st->db, "INSERT INTO users (" USER_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6)", p,
                  6, NULL, NULL, err);
    if (rc == TARS_ECONFLICT)
        return tars_err_set(err, rc, "user \"%s\" already exists", u->username);
    if (rc)
        return rc;
    memcpy(u->id, id, sizeof(id));
    u->created_at = p[4].i;
    return TARS_OK;
}

struct user_one {
    struct tars_user *out;
    bool found;
};

static int user_one_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct user_one *one = ctx;
    int rc = user_from_row(row, one->out, err);

    one->found = rc == TARS_OK;
    return rc ? rc : DB_STOP;
}

static int user_one(tars_store *st, const char *sql, const char *key, struct tars_user *out,
                    struct tars_err *err)
{
    struct user_one one = {out, false};
    struct db_value p[] = {db_text(key)};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = db_query(st->db, sql, p, 1, user_one_row, &one, err);
    if (!rc && !one.found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "user \"%s\" not found", key);
    return rc;
}

int tars_store_user_by_name(tars_store *st, const char *username, struct tars_user *out,
                            struct tars_err *err)
{
    int rc = store_check_text("username", username, TARS_NAME_MAX, true, err);
    if (rc)
        return rc;
    return user_one(st, "SELECT " USER_COLUMNS " FROM users WHERE username = $1", username, out,
                    err);
}

int tars_store_user_by_id(tars_store *st, const char *id, struct tars_user *out,
                          struct tars_err *err)
{
    int rc = store_check_text("user id", id, TARS_ID_MAX, true, err);
    if (rc)
        return rc;
    return user_one(st, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", id, out, err);
}

struct user_each {
    tars_user_fn fn;
    void *ctx;
};

static int user_each_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct user_each *each = ctx;
    struct tars_user u;
    int rc = user_from_row(row, &u, err);

    if (rc)
        return rc;
    return store_callback_result(each->fn(each->ctx, &u), err);
}

int tars_store_users_each(tars_store *st, tars_user_fn fn, void *ctx, struct tars_err *err)
{
    struct user_each each = {fn, ctx};
    return db_query(st->db, "SELECT " USER_COLUMNS " FROM users ORDER BY username", NULL, 0,
                    user_each_row, &each, err);
}
