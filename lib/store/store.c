/* tars_store: opening, transactions, counts, and helpers for the model files. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"

tars_store *tars_store_open(const char *url, struct tars_err *err)
{
    struct db *db;
    tars_store *st;

    if (db_open(url, &db, err))
        return NULL;
    st = xcalloc(1, sizeof(*st));
    st->db = db;
    return st;
}

void tars_store_close(tars_store *st)
{
    if (!st)
        return;
    db_close(st->db);
    free(st);
}

enum tars_store_kind tars_store_kind(const tars_store *st)
{
    return st->db->kind;
}

int tars_store_ping(tars_store *st, struct tars_err *err)
{
    int64_t one;
    int rc = db_query_int(st->db, "SELECT 1", NULL, 0, &one, err);

    if (rc) {
        if (err)
            err->code = TARS_EUNAVAIL; /* whatever failed, the database is not usable */
        return TARS_EUNAVAIL;
    }
    if (one != 1)
        return tars_err_set(err, TARS_EUNAVAIL, "database answered %lld to SELECT 1",
                            (long long)one);
    return TARS_OK;
}

/* SQLite takes the write lock at BEGIN IMMEDIATE, so a writer never fails
 * half-way through a batch on a lock upgrade. */
int tars_store_begin(tars_store *st, struct tars_err *err)
{
    const char *sql = st->db->kind == TARS_STORE_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN";
    return db_exec(st->db, sql, err);
}

int tars_store_commit(tars_store *st, struct tars_err *err)
{
    return db_exec(st->db, "COMMIT", err);
}

int tars_store_rollback(tars_store *st, struct tars_err *err)
{
    return db_exec(st->db, "ROLLBACK", err);
}

/* Savepoints share one name: nested ones shadow the outer (both dialects). */
int tars_store_savepoint(tars_store *st, struct tars_err *err)
{
    return db_exec(st->db, "SAVEPOINT tars_write", err);
}

int tars_store_savepoint_release(tars_store *st, struct tars_err *err)
{
    return db_exec(st->db, "RELEASE SAVEPOINT tars_write", err);
}

/* ROLLBACK TO leaves the savepoint open; RELEASE then pops it. */
int tars_store_savepoint_rollback(tars_store *st, struct tars_err *err)
{
    int rc = db_exec(st->db, "ROLLBACK TO SAVEPOINT tars_write", err);
    if (!rc)
        rc = db_exec(st->db, "RELEASE SAVEPOINT tars_write", err);
    return rc;
}

static const char *const count_sql[][2] = {
    {"evaluations", "SELECT COUNT(*) FROM evaluations"},
    {"agents", "SELECT COUNT(*) FROM agents"},
    {"agent_states", "SELECT COUNT(*) FROM agent_states"},
    {"missions", "SELECT COUNT(*) FROM missions"},
    {"metrics", "SELECT COUNT(*) FROM metrics"},
    {"audit_logs", "SELECT COUNT(*) FROM audit_logs"},
    {"api_keys", "SELECT COUNT(*) FROM api_keys"},
    {"users", "SELECT COUNT(*) FROM users"},
    {"telemetry", "SELECT COUNT(*) FROM telemetry"},
    {"training_steps", "SELECT COUNT(*) FROM training_steps"},
    {"schema_migrations", "SELECT COUNT(*) FROM schema_migrations"},
};

int tars_store_count(tars_store *st, const char *table, int64_t *out, struct tars_err *err)
{
    *out = 0;
    for (size_t i = 0; table && i < sizeof(count_sql) / sizeof(count_sql[0]); i++)
        if (strcmp(table, count_sql[i][0]) == 0)
            return db_query_int(st->db, count_sql[i][1], NULL, 0, out, err);
    return tars_err_set(err, TARS_EINVAL, "unknown table \"%.64s\"", table ? table : "");
}

/* ---- helpers for the model files ---- */

int store_check_field(const char *what, const char *field, size_t size, struct tars_err *err)
{
    if (!memchr(field, '\0', size))
        return tars_err_set(err, TARS_EINVAL, "%s too long (max %zu bytes)", what, size - 1);
    return TARS_OK;
}

int store_check_text(const char *what, const char *s, size_t max, bool required,
                     struct tars_err *err)
{
    if (!s)
        return required ? tars_err_set(err, TARS_EINVAL, "%s missing", what) : TARS_OK;
    if (strnlen(s, max) >= max)
        return tars_err_set(err, TARS_EINVAL, "%s too long (max %zu bytes)", what, max - 1);
    return TARS_OK;
}

int store_check_page(int64_t limit, int64_t offset, struct tars_err *err)
{
    if (limit < 1 || limit > STORE_LIST_MAX)
        return tars_err_set(err, TARS_EINVAL, "limit %lld out of range 1..%d", (long long)limit,
                            STORE_LIST_MAX);
    if (offset < 0)
        return tars_err_set(err, TARS_EINVAL, "negative offset %lld", (long long)offset);
    return TARS_OK;
}

int store_callback_result(int rc, struct tars_err *err)
{
    if (rc == 0)
        return 0;
    if (rc > 0)
        return DB_STOP;
    return tars_err_set(err, rc, "stopped by callback (%s)", tars_code_name(rc));
}

void where_init(struct store_where *w)
{
    memset(w, 0, sizeof(*w));
}

static void where_append(struct store_where *w, const char *a, const char *b, int number)
{
    size_t room = sizeof(w->sql) - w->len;
    int n;

    if (number > 0)
        n = snprintf(w->sql + w->len, room, "%s%s $%d", w->len ? " AND " : " WHERE ", a, number);
    else
        n = snprintf(w->sql + w->len, room, "%s%s%s", w->len ? " AND " : " WHERE ", a, b);
    if (n < 0 || (size_t)n >= room)
        w->overflow = true;
    else
        w->len += (size_t)n;
}

void where_add(struct store_where *w, const char *column_and_operator, struct db_value v)
{
    if (w->nparams >= DB_MAX_PARAMS) {
        w->overflow = true;
        return;
    }
    w->params[w->nparams++] = v;
    where_append(w, column_and_operator, "", w->nparams);
}

void where_add_raw(struct store_where *w, const char *condition)
{
    where_append(w, condition, "", 0);
}

void where_page(struct store_where *w, int64_t limit, int64_t offset)
{
    int n;

    if (w->nparams + 2 > DB_MAX_PARAMS) {
        w->overflow = true;
        return;
    }
    w->params[w->nparams++] = db_int(limit);
    if (offset < 0) {
        n = snprintf(w->tail, sizeof(w->tail), " LIMIT $%d", w->nparams);
    } else {
        w->params[w->nparams++] = db_int(offset);
        n = snprintf(w->tail, sizeof(w->tail), " LIMIT $%d OFFSET $%d", w->nparams - 1, w->nparams);
    }
    if (n < 0 || (size_t)n >= sizeof(w->tail))
        w->overflow = true;
}

int where_sql(const struct store_where *w, const char *prefix, const char *suffix, char *out,
              size_t size, struct tars_err *err)
{
    int n = snprintf(out, size, "%s%s%s%s", prefix, w->sql, suffix, w->tail);

    if (w->overflow || n < 0 || (size_t)n >= size)
        return tars_err_set(err, TARS_EINTERNAL, "query text too long");
    return TARS_OK;
}
