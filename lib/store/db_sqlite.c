/*
 * SQLite backend: WAL journal, synchronous=FULL (a commit survives kill -9
 * and power loss), 5 s busy timeout, foreign keys on. Statements are
 * prepared once per connection (SQLITE_PREPARE_PERSISTENT) and reset after
 * each use.
 */
#include "db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"

#define SQLITE_BUSY_MS 5000

struct sqlite_db {
    struct db base;
    sqlite3 *conn;
    struct db_cache cache;
};

static int code_of(int extended)
{
    switch (extended) {
    case SQLITE_FULL: return TARS_ENOSPACE;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return TARS_ECONFLICT;
    default: break;
    }
    switch (extended & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE: return TARS_EINVAL;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_PERM: return TARS_EUNAVAIL;
    default: return TARS_EIO;
    }
}

/* A write that failed on a full disk can come back as SQLITE_FULL or as an
 * I/O error whose errno says ENOSPC (WAL writes, the shm file). */
static int code_of_conn(sqlite3 *conn)
{
    int extended = sqlite3_extended_errcode(conn);

    if ((extended & 0xff) == SQLITE_IOERR && sqlite3_system_errno(conn) == ENOSPC)
        return TARS_ENOSPACE;
    return code_of(extended);
}

static int sqlite_fail(struct sqlite_db *s, const char *what, struct tars_err *err)
{
    return tars_err_set(err, code_of_conn(s->conn), "sqlite: %s: %s", what,
                        sqlite3_errmsg(s->conn));
}

static void finalize_handle(void *ctx, void *handle)
{
    (void)ctx;
    sqlite3_finalize(handle);
}

/* A prepared statement for sql: the cached one if free, else a new one
 * (cached when there is room). *entry is NULL for an uncached statement. */
static int stmt_get(struct sqlite_db *s, const char *sql, sqlite3_stmt **stmt,
                    struct db_cache_entry **entry, struct tars_err *err)
{
    uint64_t hash = db_hash(sql);
    struct db_cache_entry *e = db_cache_find(&s->cache, sql, hash);

    *entry = NULL;
    if (e && !e->busy) {
        *stmt = e->handle;
        *entry = e;
        return TARS_OK;
    }
    if (sqlite3_prepare_v3(s->conn, sql, -1, e ? 0 : SQLITE_PREPARE_PERSISTENT, stmt, NULL) !=
        SQLITE_OK)
        return sqlite_fail(s, "prepare", err);
    if (!e)
        *entry = db_cache_add(&s->cache, sql, hash, *stmt);
    return TARS_OK;
}

static int bind_one(sqlite3_stmt *stmt, int idx, const struct db_value *v)
{
    switch (v->type) {
    case DB_TEXT:
        if (!v->text)
            return sqlite3_bind_null(stmt, idx);
        return sqlite3_bind_text(stmt, idx, v->text, -1, SQLITE_STATIC);
    case DB_INT: return sqlite3_bind_int64(stmt, idx, v->i);
    case DB_REAL: return sqlite3_bind_double(stmt, idx, v->d);
    default: return sqlite3_bind_null(stmt, idx);
    }
}

static int bind_all(struct sqlite_db *s, sqlite3_stmt *stmt, const struct db_value *params,
                    int nparams, struct tars_err *err)
{
    char name[16];

    if (nparams < 0 || nparams > DB_MAX_PARAMS || sqlite3_bind_parameter_count(stmt) > nparams)
        return tars_err_set(err, TARS_EINTERNAL, "sqlite: wrong number of parameters (%d)",
                            nparams);
    for (int i = 0; i < nparams; i++) {
        int idx;
        snprintf(name, sizeof(name), "$%d", i + 1);
        idx = sqlite3_bind_parameter_index(stmt, name);
        if (idx == 0)
            return tars_err_set(err, TARS_EINTERNAL, "sqlite: query has no parameter %s", name);
        if (bind_one(stmt, idx, &params[i]) != SQLITE_OK)
            return sqlite_fail(s, "bind", err);
    }
    return TARS_OK;
}

static void read_row(sqlite3_stmt *stmt, struct db_value *cols, int ncols)
{
    for (int i = 0; i < ncols; i++) {
        struct db_value *v = &cols[i];
        memset(v, 0, sizeof(*v));
        switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
            v->type = DB_INT;
            v->i = sqlite3_column_int64(stmt, i);
            break;
        case SQLITE_FLOAT:
            v->type = DB_REAL;
            v->d = sqlite3_column_double(stmt, i);
            break;
        case SQLITE_NULL: v->type = DB_NULL; break;
        default:
            v->type = DB_TEXT;
            v->text = (const char *)sqlite3_column_text(stmt, i);
            break;
        }
    }
}

static int step_all(struct sqlite_db *s, sqlite3_stmt *stmt, db_row_fn fn, void *ctx,
                    struct tars_err *err)
{
    struct db_value cols[DB_MAX_COLUMNS];
    struct db_row row = {0, cols};
    int rc;

    row.ncols = sqlite3_column_count(stmt);
    if (row.ncols > DB_MAX_COLUMNS)
        return tars_err_set(err, TARS_EINTERNAL, "sqlite: too many columns (%d)", row.ncols);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!fn)
            continue;
        read_row(stmt, cols, row.ncols);
        rc = fn(ctx, &row, err);
        if (rc)
            return rc < 0 ? rc : TARS_OK;
    }
    if (rc != SQLITE_DONE)
        return sqlite_fail(s, "step", err);
    return TARS_OK;
}

static int sqlite_query(struct db *db, const char *sql, const struct db_value *params, int nparams,
                        db_row_fn fn, void *ctx, struct tars_err *err)
{
    struct sqlite_db *s = (struct sqlite_db *)db;
    struct db_cache_entry *entry;
    sqlite3_stmt *stmt;
    int rc;

    rc = stmt_get(s, sql, &stmt, &entry, err);
    if (rc)
        return rc;
    if (entry)
        entry->busy = true;
    rc = bind_all(s, stmt, params, nparams, err);
    if (!rc)
        rc = step_all(s, stmt, fn, ctx, err);
    if (entry) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        entry->busy = false;
    } else {
        sqlite3_finalize(stmt);
    }
    return rc;
}

static int sqlite_query_fresh(struct db *db, const char *sql, const struct db_value *params,
                              int nparams, db_row_fn fn, void *ctx, struct tars_err *err)
{
    struct sqlite_db *s = (struct sqlite_db *)db;
    sqlite3_stmt *stmt;
    int rc;

    if (sqlite3_prepare_v2(s->conn, sql, -1, &stmt, NULL) != SQLITE_OK)
        return sqlite_fail(s, "prepare", err);
    rc = bind_all(s, stmt, params, nparams, err);
    if (!rc)
        rc = step_all(s, stmt, fn, ctx, err);
    sqlite3_finalize(stmt);
    return rc;
}

static int sqlite_exec_script(struct db *db, const char *sql, struct tars_err *err)
{
    struct sqlite_db *s = (struct sqlite_db *)db;
    char *msg = NULL;
    int rc;

    if (sqlite3_exec(s->conn, sql, NULL, NULL, &msg) == SQLITE_OK)
        return TARS_OK;
    rc =
        tars_err_set(err, code_of_conn(s->conn), "sqlite: %s", msg ? msg : sqlite3_errmsg(s->conn));
    sqlite3_free(msg);
    return rc;
}

static void sqlite_close(struct db *db)
{
    struct sqlite_db *s = (struct sqlite_db *)db;

    db_cache_clear(&s->cache, finalize_handle, NULL);
    sqlite3_close(s->conn);
    free(s);
}

static void *sqlite_native(struct db *db)
{
    return ((struct sqlite_db *)db)->conn;
}

static const struct db_ops sqlite_ops = {
    .query = sqlite_query,
    .query_fresh = sqlite_query_fresh,
    .exec_script = sqlite_exec_script,
    .close = sqlite_close,
    .native = sqlite_native,
};

static int read_journal_mode(void *ctx, const struct db_row *row, struct tars_err *err)
{
    return db_copy_text(row, 0, ctx, 16, err) ? TARS_EINTERNAL : DB_STOP;
}

/* WAL, full durability, busy timeout and foreign keys, checked. */
static int configure(struct sqlite_db *s, struct tars_err *err)
{
    char mode[16] = "";
    int rc;

    sqlite3_extended_result_codes(s->conn, 1);
    if (sqlite3_busy_timeout(s->conn, SQLITE_BUSY_MS) != SQLITE_OK)
        return sqlite_fail(s, "busy_timeout", err);
    rc = sqlite_query(&s->base, "PRAGMA journal_mode=WAL", NULL, 0, read_journal_mode, mode, err);
    if (rc)
        return rc;
    if (strcmp(mode, "wal") != 0)
        return tars_err_set(err, TARS_EUNAVAIL, "sqlite: cannot enable WAL (journal_mode %s)",
                            mode);
    return sqlite_exec_script(&s->base, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err);
}

int db_sqlite_open(const char *path, struct db **out, struct tars_err *err)
{
    struct sqlite_db *s = xcalloc(1, sizeof(*s));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc;

    s->base.ops = &sqlite_ops;
    s->base.kind = TARS_STORE_SQLITE;
    if (sqlite3_open_v2(path, &s->conn, flags, NULL) != SQLITE_OK) {
        rc = tars_err_set(err, TARS_EUNAVAIL, "sqlite: cannot open \"%s\": %s", path,
                          s->conn ? sqlite3_errmsg(s->conn) : "out of memory");
        goto fail;
    }
    rc = configure(s, err);
    if (rc) {
        tars_err_prefix(err, path);
        rc = TARS_EUNAVAIL;
        if (err)
            err->code = rc;
        goto fail;
    }
    *out = &s->base;
    return TARS_OK;
fail:
    sqlite_close(&s->base);
    return rc;
}
