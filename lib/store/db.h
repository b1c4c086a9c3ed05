/*
 * The SQL layer under lib/store (internal; nothing outside lib/store and its
 * tests includes this). One small vtable, two implementations: SQLite
 * (db_sqlite.c) and PostgreSQL (db_postgres.c).
 *
 * Queries are written once with $1, $2 ... placeholders: SQLite reads them as
 * named parameters, PostgreSQL as positional ones. A query's statement is
 * prepared on first use and cached per connection, keyed by its text.
 *
 * Row callbacks return 0 to go on, DB_STOP to stop quietly, or a negative
 * tars_code (with err filled) to stop with that error. Values handed to a
 * row callback are valid only during the call.
 */
#ifndef TARS_STORE_DB_H
#define TARS_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"
#include "tars/store.h"

#define DB_MAX_PARAMS 16
#define DB_MAX_COLUMNS 32
#define DB_CACHE_MAX 128
#define DB_STOP 1

enum db_type { DB_NULL, DB_TEXT, DB_INT, DB_REAL };

/* A parameter or a column value. DB_TEXT with text == NULL is a NULL. */
struct db_value {
    enum db_type type;
    const char *text;
    int64_t i;
    double d;
};

struct db_row {
    int ncols;
    const struct db_value *cols;
};

typedef int (*db_row_fn)(void *ctx, const struct db_row *row, struct tars_err *err);

struct db;

struct db_ops {
    /* One statement with parameters; fn (may be NULL) sees each row. */
    int (*query)(struct db *db, const char *sql, const struct db_value *params, int nparams,
                 db_row_fn fn, void *ctx, struct tars_err *err);
    /* As query, but prepared for this call alone (never cached): for
     * statements whose result is fixed when prepared, such as SQLite's
     * EXPLAIN QUERY PLAN, which a later schema change would not refresh. */
    int (*query_fresh)(struct db *db, const char *sql, const struct db_value *params, int nparams,
                       db_row_fn fn, void *ctx, struct tars_err *err);
    /* One or more statements without parameters or results (DDL). */
    int (*exec_script)(struct db *db, const char *sql, struct tars_err *err);
    void (*close)(struct db *db);
    /* The driver's own connection (sqlite3 *, PGconn *), for the ad-hoc
     * read-only queries of query.c, which need column names and read-only
     * checks that the cached query path has no use for. */
    void *(*native)(struct db *db);
};

struct db {
    const struct db_ops *ops;
    enum tars_store_kind kind;
};

/* Opens the backend the URL names (see tars_store_open). */
int db_open(const char *url, struct db **out, struct tars_err *err);
bool db_url_is_postgres(const char *url);
/* The file a SQLite URL names (a pointer into url); TARS_EINVAL when the
 * URL is empty, names no file or has an unknown scheme. */
int db_sqlite_path(const char *url, const char **path, struct tars_err *err);
int db_sqlite_open(const char *path, struct db **out, struct tars_err *err);
int db_postgres_open(const char *url, struct db **out, struct tars_err *err);

static inline int db_query(struct db *db, const char *sql, const struct db_value *params,
                           int nparams, db_row_fn fn, void *ctx, struct tars_err *err)
{
    return db->ops->query(db, sql, params, nparams, fn, ctx, err);
}

static inline int db_query_fresh(struct db *db, const char *sql, const struct db_value *params,
                                 int nparams, db_row_fn fn, void *ctx, struct tars_err *err)
{
    return db->ops->query_fresh(db, sql, params, nparams, fn, ctx, err);
}

/* A single statement without parameters or rows (cached like any query). */
static inline int db_exec(struct db *db, const char *sql, struct tars_err *err)
{
    return db->ops->query(db, sql, NULL, 0, NULL, NULL, err);
}

static inline int db_exec_script(struct db *db, const char *sql, struct tars_err *err)
{
    return db->ops->exec_script(db, sql, err);
}

static inline void db_close(struct db *db)
{
    if (db)
        db->ops->close(db);
}

/* Parameter constructors. db_text(NULL) binds a NULL. */
struct db_value db_text(const char *s);
struct db_value db_int(int64_t v);
struct db_value db_real(double v);
struct db_value db_null(void);

/* Column accessors; an index out of range reads as NULL. */
bool db_is_null(const struct db_row *r, int col);
int64_t db_get_int(const struct db_row *r, int col);
double db_get_real(const struct db_row *r, int col);
const char *db_get_text(const struct db_row *r, int col); /* NULL when NULL */
/* Copies a text column ("" for NULL); TARS_EINTERNAL if it does not fit. */
int db_copy_text(const struct db_row *r, int col, char *dst, size_t size, struct tars_err *err);
/* A heap copy of a text column, NULL for NULL. */
char *db_dup_text(const struct db_row *r, int col);

/* Reads one integer (first column of the first row) into *out; 0 if no row. */
int db_query_int(struct db *db, const char *sql, const struct db_value *params, int nparams,
                 int64_t *out, struct tars_err *err);

/* ---- statement cache, shared by the backends ---- */
struct db_cache_entry {
    uint64_t hash;
    char *sql;
    void *handle;
    bool busy; /* in use by a query still running (a nested call) */
};

struct db_cache {
    struct db_cache_entry entries[DB_CACHE_MAX];
    int count;
};

uint64_t db_hash(const char *s);
/* The entry for sql, or NULL. */
struct db_cache_entry *db_cache_find(struct db_cache *c, const char *sql, uint64_t hash);
/* Adds an entry owning handle; NULL when the cache is full. */
struct db_cache_entry *db_cache_add(struct db_cache *c, const char *sql, uint64_t hash,
                                    void *handle);
/* Frees every entry, calling free_handle on each handle. */
void db_cache_clear(struct db_cache *c, void (*free_handle)(void *ctx, void *handle), void *ctx);

#endif
