/*
 * PostgreSQL backend over libpq. Each query is prepared once per connection
 * (PQprepare, named "tars_N") and run with PQexecPrepared; parameters and
 * results travel as text. Text parameters are sent untyped so the server
 * infers the column's type (text or jsonb); numbers are sent as int8/float8.
 * A lost connection gives TARS_EUNAVAIL; the next call tries one PQreset,
 * which also forgets the prepared statements.
 */
#include "db.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/str.h"

#define PG_CONNECT_TIMEOUT "5"
#define PG_NUMBER_MAX 32
#define PG_OID_INT8 20
#define PG_OID_FLOAT8 701

struct pg_db {
    struct db base;
    PGconn *conn;
    struct db_cache cache;
    unsigned next_id;
};

static int code_of_state(const char *state)
{
    if (!state)
        return TARS_EIO;
    if (strcmp(state, "23505") == 0)
        return TARS_ECONFLICT;
    if (strcmp(state, "53100") == 0) /* disk_full */
        return TARS_ENOSPACE;
    if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) || !strncmp(state, "53", 2))
        return TARS_EUNAVAIL;
    if (!strncmp(state, "40", 2))
        return TARS_ECONFLICT;
    if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2))
        return TARS_EINVAL;
    return TARS_EIO;
}

/* The first line of a libpq message (they end with a newline). */
static void first_line(const char *msg, char *out, size_t size)
{
    size_t n;

    tars_strlcpy(out, msg ? msg : "", size);
    n = strcspn(out, "\n");
    out[n] = '\0';
}

static int pg_fail(struct pg_db *p, const PGresult *res, const char *what, struct tars_err *err)
{
    char line[TARS_ERR_MSG_MAX];
    int code;

    if (PQstatus(p->conn) == CONNECTION_BAD) {
        first_line(PQerrorMessage(p->conn), line, sizeof(line));
        return tars_err_set(err, TARS_EUNAVAIL, "postgres: connection lost: %s", line);
    }
    if (!res) {
        first_line(PQerrorMessage(p->conn), line, sizeof(line));
        return tars_err_set(err, TARS_EUNAVAIL, "postgres: %s: %s", what, line);
    }
    code = code_of_state(PQresultErrorField(res, PG_DIAG_SQLSTATE));
    first_line(PQresultErrorMessage(res), line, sizeof(line));
    return tars_err_set(err, code, "postgres: %s: %s", what, line);
}

static void ignore_notice(void *ctx, const char *message)
{
    (void)ctx;
    (void)message;
}

static void free_name(void *ctx, void *handle)
{
    (void)ctx;
    free(handle);
}

/* A bad connection gets one PQreset; prepared statements die with it. */
static int ensure_connected(struct pg_db *p, struct tars_err *err)
{
    char line[TARS_ERR_MSG_MAX];

    if (PQstatus(p->conn) == CONNECTION_OK)
        return TARS_OK;
    db_cache_clear(&p->cache, free_name, NULL);
    PQreset(p->conn);
    if (PQstatus(p->conn) == CONNECTION_OK)
        return TARS_OK;
    first_line(PQerrorMessage(p->conn), line, sizeof(line));
    return tars_err_set(err, TARS_EUNAVAIL, "postgres: cannot reconnect: %s", line);
}

static void param_types(const struct db_value *params, int n, Oid *types)
{
    for (int i = 0; i < n; i++) {
        switch (params[i].type) {
        case DB_INT: types[i] = PG_OID_INT8; break;
        case DB_REAL: types[i] = PG_OID_FLOAT8; break;
        default: types[i] = 0; break;
        }
    }
}

/* Prepares sql under a new name; *entry is NULL when the cache is full, in
 * which case the unnamed statement "" is used. */
static int prepare(struct pg_db *p, const char *sql, uint64_t hash, const struct db_value *params,
                   int n, struct db_cache_entry **entry, struct tars_err *err)
{
    char name[32];
    Oid types[DB_MAX_PARAMS];
    PGresult *res;
    int rc = TARS_OK;
    bool cached = p->cache.count < DB_CACHE_MAX;

    if (cached)
        snprintf(name, sizeof(name), "tars_%u", p->next_id++);
    else
        name[0] = '\0';
    param_types(params, n, types);
    res = PQprepare(p->conn, name, sql, n, types);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_fail(p, res, "prepare", err);
    PQclear(res);
    *entry = NULL;
    if (!rc && cached)
        *entry = db_cache_add(&p->cache, sql, hash, xstrdup(name));
    return rc;
}

static void format_params(const struct db_value *params, int n, char numbers[][PG_NUMBER_MAX],
                          const char **values)
{
    for (int i = 0; i < n; i++) {
        const struct db_value *v = &params[i];
        values[i] = numbers[i];
        if (v->type == DB_INT)
            snprintf(numbers[i], PG_NUMBER_MAX, "%lld", (long long)v->i);
        else if (v->type == DB_REAL)
            snprintf(numbers[i], PG_NUMBER_MAX, "%.17g", v->d);
        else
            values[i] = v->type == DB_TEXT ? v->text : NULL;
    }
}

static int read_rows(PGresult *res, db_row_fn fn, void *ctx, struct tars_err *err)
{
    struct db_value cols[DB_MAX_COLUMNS];
    struct db_row row = {0, cols};
    int nrows = PQntuples(res);

    row.ncols = PQnfields(res);
    if (row.ncols > DB_MAX_COLUMNS)
        return tars_err_set(err, TARS_EINTERNAL, "postgres: too many columns (%d)", row.ncols);
    for (int r = 0; fn && r < nrows; r++) {
        int rc;
        for (int c = 0; c < row.ncols; c++) {
            memset(&cols[c], 0, sizeof(cols[c]));
            cols[c].type = PQgetisnull(res, r, c) ? DB_NULL : DB_TEXT;
            if (cols[c].type == DB_TEXT)
                cols[c].text = PQgetvalue(res, r, c);
        }
        rc = fn(ctx, &row, err);
        if (rc)
            return rc < 0 ? rc : TARS_OK;
    }
    return TARS_OK;
}

static int pg_query_once(struct pg_db *p, const char *sql, const struct db_value *params,
                         int nparams, db_row_fn fn, void *ctx, struct tars_err *err)
{
    char numbers[DB_MAX_PARAMS][PG_NUMBER_MAX];
    const char *values[DB_MAX_PARAMS];
    uint64_t hash = db_hash(sql);
    struct db_cache_entry *entry;
    PGresult *res = NULL;
    int rc;

    if (nparams < 0 || nparams > DB_MAX_PARAMS)
        return tars_err_set(err, TARS_EINTERNAL, "postgres: too many parameters (%d)", nparams);
    rc = ensure_connected(p, err);
    if (rc)
        return rc;
    entry = db_cache_find(&p->cache, sql, hash);
    if (!entry)
        rc = prepare(p, sql, hash, params, nparams, &entry, err);
    if (rc)
        return rc;
    format_params(params, nparams, numbers, values);
    res = PQexecPrepared(p->conn, entry ? (const char *)entry->handle : "", nparams, values, NULL,
                         NULL, 0);
    if (!res || (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK))
        rc = pg_fail(p, res, "query", err);
    else
        rc = read_rows(res, fn, ctx, err);
    PQclear(res);
    return rc;
}

/* A server restart shows only when a query fails on the old connection.
 * Outside a transaction nothing is lost by resetting and trying once more,
 * so every reading thread recovers on its next request, not the one after. */
static int pg_query(struct db *db, const char *sql, const struct db_value *params, int nparams,
                    db_row_fn fn, void *ctx, struct tars_err *err)
{
    struct pg_db *p = (struct pg_db *)db;
    bool idle = PQtransactionStatus(p->conn) == PQTRANS_IDLE;
    int rc = pg_query_once(p, sql, params, nparams, fn, ctx, err);

    if (rc == TARS_EUNAVAIL && idle && PQstatus(p->conn) == CONNECTION_BAD)
        rc = pg_query_once(p, sql, params, nparams, fn, ctx, err);
    return rc;
}

static int pg_exec_script(struct db *db, const char *sql, struct tars_err *err)
{
    struct pg_db *p = (struct pg_db *)db;
    PGresult *res;
    int rc;

    rc = ensure_connected(p, err);
    if (rc)
        return rc;
    res = PQexec(p->conn, sql);
    if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
        rc = pg_fail(p, res, "exec", err);
    PQclear(res);
    return rc;
}

static void pg_close(struct db *db)
{
    struct pg_db *p = (struct pg_db *)db;

    db_cache_clear(&p->cache, free_name, NULL);
    PQfinish(p->conn);
    free(p);
}

static void *pg_native(struct db *db)
{
    return ((struct pg_db *)db)->conn;
}

static const struct db_ops pg_ops = {
    .query = pg_query,
    .query_fresh = pg_query, /* a prepared EXPLAIN plans its query on each execution */
    .exec_script = pg_exec_script,
    .close = pg_close,
    .native = pg_native,
};

/* The URL's own settings win over these defaults (they come later). */
int db_postgres_open(const char *url, struct db **out, struct tars_err *err)
{
    static const char *const keys[] = {"connect_timeout", "client_encoding", "application_name",
                                       "dbname", NULL};
    const char *values[] = {PG_CONNECT_TIMEOUT, "UTF8", "tars", url, NULL};
    struct pg_db *p = xcalloc(1, sizeof(*p));
    char line[TARS_ERR_MSG_MAX];

    p->base.ops = &pg_ops;
    p->base.kind = TARS_STORE_POSTGRES;
    p->conn = PQconnectdbParams(keys, values, 1);
    if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
        first_line(p->conn ? PQerrorMessage(p->conn) : "out of memory", line, sizeof(line));
        pg_close(&p->base);
        return tars_err_set(err, TARS_EUNAVAIL, "postgres: cannot connect: %s", line);
    }
    PQsetNoticeProcessor(p->conn, ignore_notice, NULL);
    *out = &p->base;
    return TARS_OK;
}
