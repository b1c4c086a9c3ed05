/*
 * Migrations: the numbered files db/migrations/<dialect>/NNN_name.sql,
 * compiled into the binary and applied in name order. Each applied file is
 * a row of schema_migrations(version, name, applied_at).
 *
 * A file runs inside BEGIN/COMMIT together with its schema_migrations row,
 * unless its first line is "-- tars:no-transaction": then its statements run
 * one by one outside any transaction (CREATE INDEX CONCURRENTLY needs that)
 * and the row is written last. Such statements must be idempotent (IF NOT
 * EXISTS); an index left INVALID by an interrupted CONCURRENTLY build is
 * dropped before it is built again. On PostgreSQL an advisory lock keeps two
 * processes from migrating at once.
 */
#include "store_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/str.h"

#define NO_TRANSACTION_MARK "-- tars:no-transaction"
#define INDEX_MARK "INDEX CONCURRENTLY IF NOT EXISTS "
#define IDENTIFIER_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

static const char create_migrations_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

const struct tars_embedded_file *store_migrations(const tars_store *st)
{
    return st->db->kind == TARS_STORE_POSTGRES ? tars_migrations_postgres : tars_migrations_sqlite;
}

static int migration_version(const char *name, int64_t *version, struct tars_err *err)
{
    size_t n = strspn(name, "0123456789");

    if (n == 0 || tars_parse_i64n(name, n, 1, INT64_MAX, version))
        return tars_err_set(err, TARS_EINTERNAL, "migration \"%s\" has no version number", name);
    return TARS_OK;
}

static int is_recorded(tars_store *st, int64_t version, bool *yes, struct tars_err *err)
{
    struct db_value p[] = {db_int(version)};
    int64_t count;
    int rc = db_query_int(st->db, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", p, 1,
                          &count, err);

    *yes = count > 0;
    return rc;
}

static int record(tars_store *st, const char *name, int64_t version, struct tars_err *err)
{
    struct db_value p[] = {db_int(version), db_text(name), db_int(tars_wall_ms())};
    return db_query(st->db,
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    p, 3, NULL, NULL, err);
}

static int apply_in_transaction(tars_store *st, const struct tars_embedded_file *f, int64_t version,
                                bool *applied, struct tars_err *err)
{
    bool done;
    int rc = tars_store_begin(st, err);

    if (rc)
        return rc;
    rc = is_recorded(st, version, &done, err); /* another process may have won */
    if (rc || done)
        goto out;
    rc = db_exec_script(st->db, f->text, err);
    if (!rc)
        rc = record(st, f->name, version, err);
    if (!rc)
        rc = tars_store_commit(st, err);
    if (!rc)
        *applied = true;
out:
    if (rc || done)
        tars_store_rollback(st, NULL);
    return rc;
}

/* Length of the statement at s, up to and including its ';' (quotes and
 * comments skipped); *has_code tells whether it holds more than blanks. */
static size_t statement_length(const char *s, bool *has_code)
{
    size_t i = 0;
    char quote = 0;

    *has_code = false;
    while (s[i]) {
        char c = s[i];
        if (quote) {
            quote = c == quote ? 0 : quote;
            i++;
        } else if (c == '-' && s[i + 1] == '-') {
            i += strcspn(s + i, "\n");
        } else if (c == '/' && s[i + 1] == '*') {
            const char *end = strstr(s + i + 2, "*/");
            i = end ? (size_t)(end - s) + 2 : strlen(s);
        } else {
            i++;
            if (c == ';')
                break;
            if (c == '\'' || c == '"')
                quote = c;
            if (!isspace((unsigned char)c))
                *has_code = true;
        }
    }
    return i;
}

/* Drops the index a CREATE INDEX CONCURRENTLY statement names if an earlier,
 * interrupted build left it INVALID (IF NOT EXISTS would keep it). */
static int drop_invalid_index(tars_store *st, const char *stmt, struct tars_err *err)
{
    const char *p = strstr(stmt, INDEX_MARK);
    char name[TARS_NAME_MAX], sql[TARS_NAME_MAX + 64];
    struct db_value params[1];
    int64_t invalid;
    size_t n;
    int rc;

    if (!p || st->db->kind != TARS_STORE_POSTGRES)
        return TARS_OK;
    p += strlen(INDEX_MARK);
    n = strspn(p, IDENTIFIER_CHARS);
    if (n == 0 || n >= sizeof(name))
        return tars_err_set(err, TARS_EINTERNAL, "cannot read index name in \"%.60s\"", stmt);
    memcpy(name, p, n);
    name[n] = '\0';
    params[0] = db_text(name);
    rc = db_query_int(st->db,
                      "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                      "WHERE c.relname = $1 AND NOT i.indisvalid "
                      "AND c.relnamespace = current_schema()::regnamespace",
                      params, 1, &invalid, err);
    if (rc || invalid == 0)
        return rc;
    snprintf(sql, sizeof(sql), "DROP INDEX CONCURRENTLY IF EXISTS %s", name);
    return db_exec_script(st->db, sql, err);
}

static int apply_statements(tars_store *st, const struct tars_embedded_file *f, int64_t version,
                            struct tars_err *err)
{
    const char *s = f->text;
    int rc = TARS_OK;

    while (*s && !rc) {
        bool has_code;
        size_t len = statement_length(s, &has_code);
        if (has_code) {
            char *stmt = xstrndup(s, len);
            rc = drop_invalid_index(st, stmt, err);
            if (!rc)
                rc = db_exec_script(st->db, stmt, err);
            free(stmt);
        }
        s += len;
    }
    if (!rc)
        rc = record(st, f->name, version, err);
    return rc;
}

static int apply_one(tars_store *st, const struct tars_embedded_file *f, bool *applied,
                     struct tars_err *err)
{
    int64_t version;
    bool done;
    int rc;

    *applied = false;
    rc = migration_version(f->name, &version, err);
    if (!rc)
        rc = is_recorded(st, version, &done, err);
    if (rc || done)
        return rc;
    if (tars_str_has_prefix(f->text, NO_TRANSACTION_MARK)) {
        rc = apply_statements(st, f, version, err);
        *applied = rc == TARS_OK;
    } else {
        rc = apply_in_transaction(st, f, version, applied, err);
    }
    if (rc)
        tars_err_prefix(err, f->name);
    return rc;
}

int tars_store_migrate(tars_store *st, int *applied, struct tars_err *err)
{
    bool locked = false;
    int count = 0, rc = TARS_OK;

    if (st->db->kind == TARS_STORE_POSTGRES) {
        rc = db_exec(st->db, "SELECT pg_advisory_lock(7243011004)", err);
        locked = rc == TARS_OK;
    }
    if (!rc)
        rc = db_exec_script(st->db, create_migrations_sql, err);
    for (const struct tars_embedded_file *f = store_migrations(st); !rc && f->name; f++) {
        bool one;
        rc = apply_one(st, f, &one, err);
        count += one;
    }
    if (locked)
        db_exec(st->db, "SELECT pg_advisory_unlock(7243011004)", NULL);
    if (applied)
        *applied = count;
    return rc;
}

int tars_store_ready(tars_store *st, struct tars_err *err)
{
    int rc = tars_store_ping(st, err);

    for (const struct tars_embedded_file *f = store_migrations(st); !rc && f->name; f++) {
        int64_t version;
        bool done;
        rc = migration_version(f->name, &version, err);
        if (!rc)
            rc = is_recorded(st, version, &done, err);
        if (rc && rc != TARS_EUNAVAIL)
            return tars_err_set(err, TARS_ECONFLICT, "database not migrated");
        if (!rc && !done)
            return tars_err_set(err, TARS_ECONFLICT, "migration %s pending", f->name);
    }
    return rc;
}
