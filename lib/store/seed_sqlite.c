/*
 * db-seed on SQLite: one prepared INSERT per table, bound by position and
 * reused for every row, one transaction per batch. While seeding,
 * synchronous is OFF (a crash loses the seed, not data anyone relies on) and
 * the page cache is larger; both are restored afterwards, and the WAL is
 * checkpointed so the database file holds everything.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "seed_int.h"

#define SEED_CACHE_KIB 131072 /* 128 MiB of page cache while seeding */

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

static void bind_evaluation(sqlite3_stmt *stmt, const struct seed_evaluation *e)
{
    sqlite3_bind_text(stmt, 1, e->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, e->agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, e->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, e->status, -1, SQLITE_STATIC);
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
    sqlite3_bind_text(stmt, 1, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, m->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, m->agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, m->created_at);
}

static void bind_api_key(sqlite3_stmt *stmt, const struct seed_api_key *k)
{
    sqlite3_bind_text(stmt, 1, k->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, k->user_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, k->service_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, k->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, k->key_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, k->created_at);
    bind_int_or_null(stmt, 7, k->expires_at == 0, k->expires_at);
    bind_int_or_null(stmt, 8, k->revoked_at == 0, k->revoked_at);
}

static int sink_begin(struct seed_sink *base, enum seed_table t, struct tars_err *err)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;

    if (!s->stmt[t] &&
        sqlite3_prepare_v3(s->conn, insert_sql[t], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[t],
                           NULL) != SQLITE_OK)
        return fail(s, "prepare", err);
    return tars_store_begin(s->st, err);
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

static int sink_end(struct seed_sink *base, enum seed_table t, bool ok, struct tars_err *err)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    (void)t;

    if (!ok)
        return tars_store_rollback(s->st, err);
    return tars_store_commit(s->st, err);
}

/* Relaxed durability and a larger cache only while seeding. */
static int relax(struct sqlite_sink *s, bool on, struct tars_err *err)
{
    char sql[128];

    if (on)
        snprintf(sql, sizeof(sql), "PRAGMA synchronous=OFF; PRAGMA cache_size=-%d;",
                 SEED_CACHE_KIB);
    else
        snprintf(sql, sizeof(sql), "PRAGMA synchronous=FULL; PRAGMA cache_size=-2000;");
    return db_exec_script(s->st->db, sql, err);
}

int seed_sqlite(tars_store *st, const struct tars_seed_options *o, struct tars_seed_result *out,
                struct tars_err *err)
{
    struct sqlite_sink s = {{sink_begin, sink_row, sink_end}, st, NULL, {NULL}};
    int rc, restore;

    s.conn = st->db->ops->native(st->db);
    rc = relax(&s, true, err);
    if (!rc)
        rc = seed_run(st, &s.base, o, out, err);
    for (int t = 0; t < SEED_TABLES; t++)
        sqlite3_finalize(s.stmt[t]);
    /* A cheap ANALYZE (sampled) gives the planner the volumes it now faces. */
    if (!rc)
        rc = db_exec_script(st->db, "PRAGMA analysis_limit=2000; ANALYZE;", err);
    if (!rc)
        rc = db_exec_script(st->db, "PRAGMA wal_checkpoint(TRUNCATE);", err);
    restore = relax(&s, false, rc ? NULL : err);
    return rc ? rc : restore;
}
