/* The backend-independent part of the SQL layer: values, rows, cache, open. */
#include "db.h"

#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/str.h"

struct db_value db_text(const char *s)
{
    struct db_value v = {DB_TEXT, s, 0, 0.0};
    return v;
}

struct db_value db_int(int64_t i)
{
    struct db_value v = {DB_INT, NULL, i, 0.0};
    return v;
}

struct db_value db_real(double d)
{
    struct db_value v = {DB_REAL, NULL, 0, d};
    return v;
}

struct db_value db_null(void)
{
    struct db_value v = {DB_NULL, NULL, 0, 0.0};
    return v;
}

static const struct db_value *column(const struct db_row *r, int col)
{
    static const struct db_value null_value = {DB_NULL, NULL, 0, 0.0};

    if (col < 0 || col >= r->ncols)
        return &null_value;
    return &r->cols[col];
}

bool db_is_null(const struct db_row *r, int col)
{
    const struct db_value *v = column(r, col);
    return v->type == DB_NULL || (v->type == DB_TEXT && !v->text);
}

int64_t db_get_int(const struct db_row *r, int col)
{
    const struct db_value *v = column(r, col);

    switch (v->type) {
    case DB_INT: return v->i;
    case DB_REAL: return (int64_t)v->d;
    case DB_TEXT: return v->text ? strtoll(v->text, NULL, 10) : 0;
    default: return 0;
    }
}

double db_get_real(const struct db_row *r, int col)
{
    const struct db_value *v = column(r, col);

    switch (v->type) {
    case DB_INT: return (double)v->i;
    case DB_REAL: return v->d;
    case DB_TEXT: return v->text ? strtod(v->text, NULL) : 0.0;
    default: return 0.0;
    }
}

const char *db_get_text(const struct db_row *r, int col)
{
    const struct db_value *v = column(r, col);
    return v->type == DB_TEXT ? v->text : NULL;
}

int db_copy_text(const struct db_row *r, int col, char *dst, size_t size, struct tars_err *err)
{
    const char *s = db_get_text(r, col);

    if (!s)
        s = "";
    if (tars_strlcpy(dst, s, size) >= size)
        return tars_err_set(err, TARS_EINTERNAL, "stored value of column %d too long (max %zu)",
                            col, size - 1);
    return TARS_OK;
}

char *db_dup_text(const struct db_row *r, int col)
{
    const char *s = db_get_text(r, col);
    return s ? xstrdup(s) : NULL;
}

static int first_int(void *ctx, const struct db_row *row, struct tars_err *err)
{
    (void)err;
    *(int64_t *)ctx = db_get_int(row, 0);
    return DB_STOP;
}

int db_query_int(struct db *db, const char *sql, const struct db_value *params, int nparams,
                 int64_t *out, struct tars_err *err)
{
    *out = 0;
    return db_query(db, sql, params, nparams, first_int, out, err);
}

/* FNV-1a, 64 bits: the cache holds few entries, any spread will do. */
uint64_t db_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

struct db_cache_entry *db_cache_find(struct db_cache *c, const char *sql, uint64_t hash)
{
    for (int i = 0; i < c->count; i++) {
        struct db_cache_entry *e = &c->entries[i];
        if (e->hash == hash && strcmp(e->sql, sql) == 0)
            return e;
    }
    return NULL;
}

struct db_cache_entry *db_cache_add(struct db_cache *c, const char *sql, uint64_t hash,
                                    void *handle)
{
    struct db_cache_entry *e;

    if (c->count >= DB_CACHE_MAX)
        return NULL;
    e = &c->entries[c->count++];
    e->hash = hash;
    e->sql = xstrdup(sql);
    e->handle = handle;
    e->busy = false;
    return e;
}

void db_cache_clear(struct db_cache *c, void (*free_handle)(void *ctx, void *handle), void *ctx)
{
    for (int i = 0; i < c->count; i++) {
        free_handle(ctx, c->entries[i].handle);
        free(c->entries[i].sql);
    }
    memset(c, 0, sizeof(*c));
}

bool db_url_is_postgres(const char *url)
{
    return tars_str_has_prefix(url, "postgres://") || tars_str_has_prefix(url, "postgresql://");
}

int db_sqlite_path(const char *url, const char **path, struct tars_err *err)
{
    if (!url || !*url)
        return tars_err_set(err, TARS_EINVAL, "empty database url");
    if (tars_str_has_prefix(url, "sqlite://"))
        url += strlen("sqlite://");
    else if (tars_str_has_prefix(url, "sqlite:"))
        url += strlen("sqlite:");
    else if (strstr(url, "://"))
        return tars_err_set(err, TARS_EINVAL,
                            "unsupported database url \"%.*s\" (use sqlite:PATH or postgres://...)",
                            (int)(strstr(url, "://") - url + 3), url);
    if (!*url)
        return tars_err_set(err, TARS_EINVAL, "database url names no sqlite file");
    *path = url;
    return TARS_OK;
}

int db_open(const char *url, struct db **out, struct tars_err *err)
{
    const char *path;
    int rc;

    *out = NULL;
    if (url && db_url_is_postgres(url))
        return db_postgres_open(url, out, err);
    rc = db_sqlite_path(url, &path, err);
    return rc ? rc : db_sqlite_open(path, out, err);
}
