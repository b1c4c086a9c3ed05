/*
 * db-seed on SQLite: everything in one transaction, so a seed that dies
 * half-way leaves the database as it was. Inside it, the secondary indexes
 * of the seeded tables are dropped, the rows go in through one prepared
 * INSERT per table (bound by position, reused for every row), and the
 * indexes are built again from their own CREATE statements: building an
 * index from sorted data once is several times cheaper than updating it on
 * every insert. While seeding, the journal is a rollback journal instead of
 * the WAL (a fresh table's pages need no before-images, whereas the WAL
 * would hold every page once more), synchronous is OFF and the page cache
 * larger; all three are restored afterwards.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "seed_int.h"
#include "tars/alloc.h"

#define SEED_CACHE_KIB 131072 /* 128 MiB of page cache while seeding */
#define SEED_MAX_INDEXES 64

static const char *const insert_sql[SEED_TABLES] = {
    "INSERT INTO evaluations (id, agent_id, region, status, reward, duration_ms, details, "
    "created_at, updated_at, timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?7)",
    "INSERT INTO missions (id, name, status, agent_id, details, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?5)",
    "INSERT INTO api_keys (id, user_id, service_name, role, key_hash, scopes, created_at, "
    "expires_at, last_used_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, NULL, ?8)",
};

struct sqlite_sink {
    struct seed_sink base;
    tars_store *st;
    sqlite3 *conn;
    sqlite3_stmt *stmt[SEED_TABLES];
    char *index_sql[SEED_MAX_INDEXES]; /* CREATE INDEX statements to run again */
    char *index_name[SEED_MAX_INDEXES];
    int index_count;
};

static int fail(struct sqlite_sink *s, const char *what, struct tars_err *err)
{
    return tars_err_set(err, TARS_EIO, "sqlite: %s: %s", what, sqlite3_errmsg(s->conn));
}

static void bind_int_or_null(sqlite3_stmt *stmt, int idx, bool null, int64_t v)
{
    if (null)
        sqlite3_bind_null(stmt, idx);
    else
        sqlite3_bind_int64(stmt, idx, v);
}

/* values[0..n-1] as the text parameters first, first + 1, ... (not copied). */
static void bind_texts(sqlite3_stmt *stmt, int first, const char *const *values, int n)
{
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(stmt, first + i, values[i], -1, SQLITE_STATIC);
}

static void bind_evaluation(sqlite3_stmt *stmt, const struct seed_evaluation *e)
{
    const char *texts[] = {e->id, e->agent_id, e->region, e->status};

    bind_texts(stmt, 1, texts, 4);
    if (e->has_reward)
        sqlite3_bind_double(stmt, 5, e->reward);
    else
        sqlite3_bind_null(stmt, 5);
    bind_int_or_null(stmt, 6, e->duration_ms < 0, e->duration_ms);
    sqlite3_bind_int64(stmt, 7, e->created_at);
    sqlite3_bind_int64(stmt, 8, e->updated_at);
}

static void bind_mission(sqlite3_stmt *stmt, const struct seed_mission *m)
{
    const char *texts[] = {m->id, m->name, m->status, m->agent_id};

    bind_texts(stmt, 1, texts, 4);
    sqlite3_bind_int64(stmt, 5, m->created_at);
}

static void bind_api_key(sqlite3_stmt *stmt, const struct seed_api_key *k)
{
    const char *texts[] = {k->id, k->user_id, k->service_name, k->role, k->key_hash};

    bind_texts(stmt, 1, texts, 5);
    sqlite3_bind_int64(stmt, 6, k->created_at);
    bind_int_or_null(stmt, 7, k->expires_at == 0, k->expires_at);
    bind_int_or_null(stmt, 8, k->revoked_at == 0, k->revoked_at);
}

static int sink_begin(struct seed_sink *base, enum seed_table t, struct tars_err *err)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;

    if (!s->stmt[t] && sqlite3_prepare_v3(s->conn, insert_sql[t], -1, SQLITE_PREPARE_PERSISTENT,
                                          &s->stmt[t], NULL) != SQLITE_OK)
        return fail(s, "prepare", err);
    return TARS_OK;
}

static int sink_row(struct seed_sink *base, enum seed_table t, const void *row,
                    struct tars_err *err)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    sqlite3_stmt *stmt = s->stmt[t];
    int rc;

    if (t == SEED_EVALUATIONS)
        bind_evaluation(stmt, row);
    else if (t == SEED_MISSIONS)
        bind_mission(stmt, row);
    else
        bind_api_key(stmt, row);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return fail(s, "insert", err);
    return TARS_OK;
}

/* Batches only pace the progress reports: the transaction is the whole seed. */
static int sink_end(struct seed_sink *base, enum seed_table t, bool ok, struct tars_err *err)
{
    (void)base;
    (void)t;
    (void)ok;
    (void)err;
    return TARS_OK;
}

/* ---- secondary indexes: dropped before the load, built after it ---- */

static int save_index(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct sqlite_sink *s = ctx;
    const char *sql = db_get_text(row, 0), *name = db_get_text(row, 1);

    if (!sql || !name)
        return 0;
    if (s->index_count >= SEED_MAX_INDEXES)
        return tars_err_set(err, TARS_ETOOBIG, "more than %d indexes on the seeded tables",
                            SEED_MAX_INDEXES);
    s->index_sql[s->index_count] = xstrdup(sql);
    s->index_name[s->index_count] = xstrdup(name);
    s->index_count++;
    return 0;
}

static int drop_indexes(struct sqlite_sink *s, struct tars_err *err)
{
    int rc = db_query(s->st->db,
                      "SELECT sql, name FROM sqlite_master WHERE type = 'index' "
                      "AND sql IS NOT NULL AND tbl_name IN ('evaluations', 'missions', 'api_keys') "
                      "ORDER BY name",
                      NULL, 0, save_index, s, err);

    for (int i = 0; !rc && i < s->index_count; i++) {
        char sql[TARS_NAME_MAX + 32];
        snprintf(sql, sizeof(sql), "DROP INDEX \"%.*s\"", TARS_NAME_MAX, s->index_name[i]);
        rc = db_exec_script(s->st->db, sql, err);
    }
    return rc;
}

static int build_indexes(struct sqlite_sink *s, struct tars_err *err)
{
    int rc = TARS_OK;

    for (int i = 0; !rc && i < s->index_count; i++)
        rc = db_exec_script(s->st->db, s->index_sql[i], err);
    return rc;
}

/* ---- settings ---- */

static int journal_mode(struct sqlite_sink *s, const char *mode, struct tars_err *err)
{
    char sql[64];
    const char *now;
    sqlite3_stmt *stmt;
    int rc = TARS_OK;

    snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
    if (sqlite3_prepare_v2(s->conn, sql, -1, &stmt, NULL) != SQLITE_OK)
        return fail(s, "journal_mode", err);
    if (sqlite3_step(stmt) != SQLITE_ROW)
        rc = fail(s, "journal_mode", err);
    now = rc ? "" : (const char *)sqlite3_column_text(stmt, 0);
    if (!rc && (!now || strcasecmp(now, mode) != 0))
        rc = tars_err_set(err, TARS_EUNAVAIL,
                          "sqlite: cannot set journal_mode %s (another connection is open?)", mode);
    sqlite3_finalize(stmt);
    return rc;
}

/* Relaxed durability, a rollback journal and a larger cache only while
 * seeding; WAL and synchronous FULL again afterwards. */
static int relax(struct sqlite_sink *s, bool on, struct tars_err *err)
{
    char sql[128];
    int rc;

    if (on)
        snprintf(sql, sizeof(sql), "PRAGMA synchronous=OFF; PRAGMA cache_size=-%d;",
                 SEED_CACHE_KIB);
    else
        snprintf(sql, sizeof(sql), "PRAGMA synchronous=FULL; PRAGMA cache_size=-2000;");
    rc = journal_mode(s, on ? "delete" : "wal", err);
    if (!rc)
        rc = db_exec_script(s->st->db, sql, err);
    return rc;
}

static int load(struct sqlite_sink *s, const struct tars_seed_options *o,
                struct tars_seed_result *out, struct tars_err *err)
{
    int rc = tars_store_begin(s->st, err);

    if (rc)
        return rc;
    rc = drop_indexes(s, err);
    if (!rc)
        rc = seed_run(s->st, &s->base, o, out, err);
    for (int t = 0; t < SEED_TABLES; t++) {
        sqlite3_finalize(s->stmt[t]);
        s->stmt[t] = NULL;
    }
    if (!rc)
        rc = build_indexes(s, err);
    if (!rc)
        rc = tars_store_commit(s->st, err);
    if (rc)
        tars_store_rollback(s->st, NULL);
    return rc;
}

int seed_sqlite(tars_store *st, const struct tars_seed_options *o, struct tars_seed_result *out,
                struct tars_err *err)
{
    struct sqlite_sink s;
    int rc, restore;

    memset(&s, 0, sizeof(s));
    s.base.begin = sink_begin;
    s.base.row = sink_row;
    s.base.end = sink_end;
    s.st = st;
    s.conn = st->db->ops->native(st->db);
    rc = relax(&s, true, err);
    if (!rc)
        rc = load(&s, o, out, err);
    /* A cheap ANALYZE (sampled) gives the planner the volumes it now faces. */
    if (!rc)
        rc = db_exec_script(st->db, "PRAGMA analysis_limit=2000; ANALYZE;", err);
    restore = relax(&s, false, rc ? NULL : err);
    for (int i = 0; i < s.index_count; i++) {
        free(s.index_sql[i]);
        free(s.index_name[i]);
    }
    return rc ? rc : restore;
}
