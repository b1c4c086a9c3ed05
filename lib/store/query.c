/*
 * Ad-hoc read-only queries for validation checks (tars_store_query). They
 * bypass the statement cache of db.c: each runs once, its text comes from a
 * suite, and the caller wants column names and every value as text.
 *
 * SQLite: exactly one statement, prepared on the store's connection and
 * refused unless sqlite3_stmt_readonly() says it cannot write. That function
 * lets transaction control, ATTACH/DETACH and setting pragmas through, so an
 * authorizer active while the statement is prepared refuses those as well.
 *
 * PostgreSQL: BEGIN READ ONLY, the statement, ROLLBACK. The statement goes
 * through the extended protocol (which accepts one statement only) in
 * single-row mode, so a large result never sits in memory: once max_rows + 1
 * rows have been seen, the rest is cancelled. How long a statement may run
 * is the connection's statement_timeout (a check sets it in the URL).
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "store_int.h"
#include "tars/buf.h"
#include "tars/str.h"

#define QUERY_MAX_COLUMNS 64

/* One query's progress, shared by both backends. */
struct query_run {
    size_t max_rows;
    size_t delivered;
    bool truncated;
    tars_row_fn fn;
    void *ctx;
};

/* 0 to go on, DB_STOP to stop (max_rows reached or the caller said so), or
 * a negative code from the caller's callback. */
static int deliver(struct query_run *q, int ncols, const char *const *names,
                   const char *const *values, struct tars_err *err)
{
    if (q->delivered >= q->max_rows) {
        q->truncated = true;
        return DB_STOP;
    }
    q->delivered++;
    if (!q->fn)
        return 0;
    return store_callback_result(q->fn(q->ctx, ncols, names, values), err);
}

static int check_columns(int ncols, struct tars_err *err)
{
    if (ncols > QUERY_MAX_COLUMNS)
        return tars_err_set(err, TARS_ETOOBIG, "query returns too many columns (%d, max %d)", ncols,
                            QUERY_MAX_COLUMNS);
    return TARS_OK;
}

/* ---- SQLite ---- */

/* Pragmas that only read, even when given an argument ("index_list(t)"). */
static bool pragma_reads(const char *name)
{
    static const char *const readers[] = {
        "table_info",       "table_xinfo",   "index_list",  "index_info", "index_xinfo",
        "foreign_key_list", "function_list", "pragma_list", "table_list", NULL,
    };

    for (size_t i = 0; readers[i]; i++)
        if (strcmp(name, readers[i]) == 0)
            return true;
    return false;
}

static int sqlite_authorize(void *ctx, int action, const char *arg1, const char *arg2,
                            const char *database, const char *trigger)
{
    (void)ctx;
    (void)database;
    (void)trigger;
    switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT: return SQLITE_DENY;
    case SQLITE_PRAGMA: return !arg2 || (arg1 && pragma_reads(arg1)) ? SQLITE_OK : SQLITE_DENY;
    default: return SQLITE_OK;
    }
}

static bool only_space(const char *s)
{
    for (; s && *s; s++)
        if (!strchr(" \t\r\n;", *s))
            return false;
    return true;
}

static int sqlite_prepare_readonly(sqlite3 *conn, const char *sql, sqlite3_stmt **stmt,
                                   struct tars_err *err)
{
    const char *tail = NULL;
    int rc;

    sqlite3_set_authorizer(conn, sqlite_authorize, NULL);
    rc = sqlite3_prepare_v2(conn, sql, -1, stmt, &tail);
    sqlite3_set_authorizer(conn, NULL, NULL);
    if (rc != SQLITE_OK)
        return tars_err_set(err, TARS_EINVAL, "sqlite: %s", sqlite3_errmsg(conn));
    if (!*stmt)
        return tars_err_set(err, TARS_EINVAL, "empty statement");
    if (!only_space(tail))
        return tars_err_set(err, TARS_EINVAL, "more than one statement");
    if (!sqlite3_stmt_readonly(*stmt))
        return tars_err_set(err, TARS_EINVAL, "statement is not read-only");
    return TARS_OK;
}

static int sqlite_rows(sqlite3 *conn, sqlite3_stmt *stmt, struct query_run *q, struct tars_err *err)
{
    const char *names[QUERY_MAX_COLUMNS];
    const char *values[QUERY_MAX_COLUMNS];
    int ncols = sqlite3_column_count(stmt);
    int rc = check_columns(ncols, err);

    for (int i = 0; !rc && i < ncols; i++)
        names[i] = sqlite3_column_name(stmt, i);
    while (!rc && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++)
            values[i] = (const char *)sqlite3_column_text(stmt, i);
        rc = deliver(q, ncols, names, values, err);
        if (rc)
            return rc < 0 ? rc : TARS_OK;
    }
    if (rc < 0)
        return rc;
    if (rc != SQLITE_DONE)
        return tars_err_set(err, TARS_EIO, "sqlite: %s", sqlite3_errmsg(conn));
    return TARS_OK;
}

static int sqlite_query_readonly(tars_store *st, const char *sql, struct query_run *q,
                                 struct tars_err *err)
{
    sqlite3 *conn = st->db->ops->native(st->db);
    sqlite3_stmt *stmt = NULL;
    int rc;

    rc = sqlite_prepare_readonly(conn, sql, &stmt, err);
    if (!rc)
        rc = sqlite_rows(conn, stmt, q, err);
    sqlite3_finalize(stmt);
    return rc;
}

/* ---- PostgreSQL ---- */

static int pg_code_of(const char *state)
{
    if (!state)
        return TARS_EIO;
    if (!strncmp(state, "08", 2) || !strncmp(state, "57", 2) || !strncmp(state, "53", 2))
        return TARS_EUNAVAIL;
    if (!strncmp(state, "42", 2) || !strncmp(state, "22", 2) || !strcmp(state, "25006"))
        return TARS_EINVAL;
    return TARS_EIO;
}

static int pg_result_fail(const PGresult *res, struct tars_err *err)
{
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return tars_err_set(err, pg_code_of(state), "postgres: %s",
                        primary ? primary : PQresStatus(PQresultStatus(res)));
}

static int pg_conn_fail(PGconn *conn, const char *what, struct tars_err *err)
{
    char line[TARS_ERR_MSG_MAX];

    tars_strlcpy(line, PQerrorMessage(conn), sizeof(line));
    line[strcspn(line, "\n")] = '\0';
    return tars_err_set(err, TARS_EUNAVAIL, "postgres: %s: %s", what, line);
}

static int pg_row(const PGresult *res, struct query_run *q, struct tars_err *err)
{
    const char *names[QUERY_MAX_COLUMNS];
    const char *values[QUERY_MAX_COLUMNS];
    int ncols = PQnfields(res);
    int rc = check_columns(ncols, err);

    if (rc)
        return rc;
    for (int i = 0; i < ncols; i++) {
        names[i] = PQfname(res, i);
        values[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
    }
    return deliver(q, ncols, names, values, err);
}

/* Asks the server to stop the running statement; its error is expected. */
static void pg_cancel(PGconn *conn)
{
    char ignored[256];
    PGcancel *cancel = PQgetCancel(conn);

    if (cancel) {
        (void)PQcancel(cancel, ignored, sizeof(ignored));
        PQfreeCancel(cancel);
    }
}

/* Reads every result of the statement sent; the connection ends idle. */
static int pg_drain(PGconn *conn, struct query_run *q, struct tars_err *err)
{
    PGresult *res;
    bool stopped = false;
    int rc = TARS_OK;

    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_SINGLE_TUPLE && !stopped) {
            int r = pg_row(res, q, err);
            if (r) {
                stopped = true;
                rc = r < 0 ? r : TARS_OK;
                pg_cancel(conn);
            }
        } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK &&
                   status != PGRES_COMMAND_OK && !stopped && !rc) {
            rc = pg_result_fail(res, err);
        }
        PQclear(res);
    }
    return rc;
}

static int pg_stream(PGconn *conn, const char *sql, struct query_run *q, struct tars_err *err)
{
    if (!PQsendQueryParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        return pg_conn_fail(conn, "send", err);
    if (!PQsetSingleRowMode(conn)) {
        (void)pg_drain(conn, NULL, NULL);
        return tars_err_set(err, TARS_EINTERNAL, "postgres: cannot enter single-row mode");
    }
    return pg_drain(conn, q, err);
}

static int pg_query_readonly(tars_store *st, const char *sql, struct query_run *q,
                             struct tars_err *err)
{
    struct tars_err rollback_err = TARS_ERR_INIT;
    PGconn *conn = st->db->ops->native(st->db);
    int rc, rb;

    if (PQtransactionStatus(conn) != PQTRANS_IDLE && PQstatus(conn) == CONNECTION_OK)
        return tars_err_set(err, TARS_ECONFLICT, "postgres: a transaction is already open");
    rc = db_exec(st->db, "BEGIN READ ONLY", err); /* reconnects a lost connection */
    if (rc)
        return rc;
    conn = st->db->ops->native(st->db);
    rc = pg_stream(conn, sql, q, err);
    rb = db_exec(st->db, "ROLLBACK", &rollback_err);
    if (!rc && rb) {
        if (err)
            *err = rollback_err;
        rc = rb;
    }
    return rc;
}

int tars_store_query(tars_store *st, const char *sql, size_t max_rows, tars_row_fn fn, void *ctx,
                     bool *truncated, struct tars_err *err)
{
    struct query_run q = {max_rows, 0, false, fn, ctx};
    int rc;

    if (truncated)
        *truncated = false;
    if (!sql || !*sql)
        return tars_err_set(err, TARS_EINVAL, "empty statement");
    if (st->db->kind == TARS_STORE_SQLITE)
        rc = sqlite_query_readonly(st, sql, &q, err);
    else
        rc = pg_query_readonly(st, sql, &q, err);
    if (truncated)
        *truncated = q.truncated;
    return rc;
}

/* ---- the catalog, for the database check ---- */

static const char pg_indexes_sql[] =
    "SELECT c.relname, (i.indisvalid AND i.indisready)::text FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";
static const char sqlite_indexes_sql[] =
    "SELECT name, 'true' FROM sqlite_master WHERE type = 'index'";

int tars_store_indexes(tars_store *st, size_t max_rows, tars_row_fn fn, void *ctx, bool *truncated,
                       struct tars_err *err)
{
    const char *sql = st->db->kind == TARS_STORE_SQLITE ? sqlite_indexes_sql : pg_indexes_sql;

    return tars_store_query(st, sql, max_rows, fn, ctx, truncated, err);
}

#define EXPLAIN_SQL_MAX (64 * 1024)

int tars_store_explain(tars_store *st, const char *sql, size_t max_rows, tars_row_fn fn, void *ctx,
                       struct tars_err *err)
{
    const char *prefix = st->db->kind == TARS_STORE_SQLITE ? "EXPLAIN QUERY PLAN "
                                                           : "EXPLAIN (ANALYZE, FORMAT JSON) ";
    struct tars_buf text = TARS_BUF_INIT(EXPLAIN_SQL_MAX + 64);
    int rc;

    if (!sql || strlen(sql) > EXPLAIN_SQL_MAX)
        return tars_err_set(err, TARS_ETOOBIG, "sql too long");
    if ((rc = tars_buf_printf(&text, "%s%s", prefix, sql)) == TARS_OK)
        rc = tars_store_query(st, text.data, max_rows, fn, ctx, NULL, err);
    else
        tars_err_set(err, rc, "sql too long");
    tars_buf_release(&text);
    return rc;
}
