/* Store tests: opening, migrations, indexes, transactions, connections. */
#include "store_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tars/str.h"

static const char *const index_names[] = {
    "idx_evaluations_agent_region_time",
    "idx_evaluations_status_time",
    "idx_evaluations_agent_region_created",
    "idx_evaluations_agent_timestamp",
    "idx_evaluations_region_status",
    "idx_agent_states_agent_region_updated",
    "idx_agent_states_type_updated",
    "idx_metrics_name_region_time",
    "idx_metrics_name_time",
    "idx_audit_logs_user_time",
    "idx_audit_logs_resource",
    "idx_api_keys_hash_active",
    "idx_api_keys_user_active",
    "idx_agents_updated_at",
    "idx_agents_status",
    "idx_training_steps_composite",
    "idx_missions_status",
    "idx_missions_created_at",
    "idx_missions_status_created",
    "idx_telemetry_timestamp",
    "idx_evaluations_timestamp", /* 003: the reward aggregation (db-bench) */
};
#define INDEX_COUNT (sizeof(index_names) / sizeof(index_names[0]))

/* ---- open, migrate, ready ---- */

void test_open_errors(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char path[URL_MAX];
    FILE *fp;
    (void)state;

    assert_null(tars_store_open("sqlite:/nonexistent-dir-tars/sub/t.db", &err));
    assert_int_equal(err.code, TARS_EUNAVAIL);
    assert_non_null(strstr(err.msg, "nonexistent-dir-tars"));
    assert_null(tars_store_open("", &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_null(tars_store_open(NULL, &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_null(tars_store_open("sqlite:", &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_null(tars_store_open("postgres://tars@127.0.0.1:1/tars?connect_timeout=2", &err));
    assert_int_equal(err.code, TARS_EUNAVAIL);
    snprintf(path, sizeof(path), "%s/not-a-database", temp_dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an sqlite file\n", fp);
    fclose(fp);
    assert_null(tars_store_open(path, &err));
    assert_int_equal(err.code, TARS_EUNAVAIL);
}

void test_url_forms(void **state)
{
    char url[URL_MAX];
    tars_store *st;
    (void)state;

    snprintf(url, sizeof(url), "%s/bare.db", temp_dir); /* a bare path means SQLite */
    st = open_store(url);
    assert_int_equal(tars_store_kind(st), TARS_STORE_SQLITE);
    tars_store_close(st);
    snprintf(url, sizeof(url), "sqlite://%s/slashes.db", temp_dir);
    st = open_store(url);
    assert_int_equal(tars_store_kind(st), TARS_STORE_SQLITE);
    tars_store_close(st);
}

void test_migrate_twice(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    int applied = -1;

    assert_int_equal(tars_store_kind(st), is_pg() ? TARS_STORE_POSTGRES : TARS_STORE_SQLITE);
    assert_int_equal(tars_store_ping(st, &err), TARS_OK);
    assert_int_equal(tars_store_ready(st, &err), TARS_ECONFLICT);
    assert_int_equal(tars_store_migrate(st, &applied, &err), TARS_OK);
    assert_int_equal(applied, (int)migration_count());
    assert_true(applied >= 2);
    assert_int_equal(tars_store_ready(st, &err), TARS_OK);
    applied = -1;
    assert_int_equal(tars_store_migrate(st, &applied, &err), TARS_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(tars_store_migrate(st, NULL, &err), TARS_OK);
    assert_int_equal(query_int(st, "SELECT COUNT(*) FROM schema_migrations", NULL),
                     (int64_t)migration_count());
    assert_int_equal(
        query_int(st, "SELECT COUNT(*) FROM schema_migrations WHERE name = $1", "001_schema.sql"),
        1);
    assert_int_equal(
        query_int(st, "SELECT COUNT(*) FROM schema_migrations WHERE name = $1", "002_indexes.sql"),
        1);
    /* a pending migration makes the store not ready */
    exec_ok(st, "DELETE FROM schema_migrations WHERE version = 2");
    assert_int_equal(tars_store_ready(st, &err), TARS_ECONFLICT);
    assert_non_null(strstr(err.msg, "002_indexes.sql"));
    assert_int_equal(tars_store_migrate(st, &applied, &err), TARS_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(tars_store_ready(st, &err), TARS_OK);
}

void test_indexes_present(void **state)
{
    tars_store *st = store_of(state);
    const char *exists_sql =
        is_pg() ? "SELECT COUNT(*) FROM pg_indexes WHERE indexname = $1"
                : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1";
    const char *all_sql =
        is_pg() ? "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() "
                  "AND indexname LIKE 'idx\\_%' ESCAPE '\\'"
                : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' "
                  "AND name LIKE 'idx\\_%' ESCAPE '\\'";

    for (size_t i = 0; i < INDEX_COUNT; i++) {
        if (query_int(st, exists_sql, index_names[i]) != 1)
            fail_msg("index %s missing", index_names[i]);
        if (is_pg() && query_int(st,
                                 "SELECT COUNT(*) FROM pg_index i JOIN pg_class c "
                                 "ON c.oid = i.indexrelid WHERE c.relname = $1 AND i.indisvalid",
                                 index_names[i]) != 1)
            fail_msg("index %s not valid", index_names[i]);
    }
    assert_int_equal(query_int(st, all_sql, NULL), INDEX_COUNT);
}

static int text_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    return db_copy_text(row, 0, ctx, 1024, err) ? TARS_EINTERNAL : DB_STOP;
}

static void index_definition(tars_store *st, const char *name, char out[1024])
{
    struct tars_err err = TARS_ERR_INIT;
    struct db_value p[] = {db_text(name)};
    const char *sql = is_pg() ? "SELECT indexdef FROM pg_indexes WHERE indexname = $1"
                              : "SELECT sql FROM sqlite_master WHERE name = $1";
    out[0] = '\0';
    assert_int_equal(db_query(st->db, sql, p, 1, text_row, out, &err), TARS_OK);
}

void test_index_definitions(void **state)
{
    tars_store *st = store_of(state);
    char def[1024];

    index_definition(st, "idx_api_keys_hash_active", def);
    assert_non_null(strstr(def, "UNIQUE"));
    assert_non_null(strstr(def, "revoked_at IS NULL"));
    assert_null(strstr(def, "now()"));
    assert_null(strstr(def, "NOW()"));
    index_definition(st, "idx_evaluations_agent_region_time", def);
    assert_non_null(strstr(def, "deleted"));
    index_definition(st, "idx_metrics_name_time", def);
    if (is_pg())
        assert_non_null(strstr(def, "INCLUDE (value, labels)"));
    index_definition(st, "idx_evaluations_agent_region_created", def);
    if (is_pg())
        assert_non_null(strstr(def, "INCLUDE (duration_ms, status)"));
}

void test_sqlite_pragmas(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    char mode[1024] = "";

    if (is_pg())
        skip();
    assert_int_equal(db_query(st->db, "PRAGMA journal_mode", NULL, 0, text_row, mode, &err), 0);
    assert_string_equal(mode, "wal");
    assert_int_equal(query_int(st, "PRAGMA synchronous", NULL), 2); /* FULL */
    assert_int_equal(query_int(st, "PRAGMA foreign_keys", NULL), 1);
    assert_int_equal(query_int(st, "PRAGMA busy_timeout", NULL), 5000);
}

/* ---- transactions ---- */

void test_savepoints(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;

    assert_int_equal(tars_store_begin(st, &err), TARS_OK);
    assert_int_equal(tars_store_savepoint(st, &err), TARS_OK);
    assert_int_equal(try_add_user(st, "first"), TARS_OK);
    assert_int_equal(tars_store_savepoint_release(st, &err), TARS_OK);
    assert_int_equal(tars_store_savepoint(st, &err), TARS_OK);
    assert_int_equal(try_add_user(st, "undone"), TARS_OK);
    assert_int_equal(tars_store_savepoint_rollback(st, &err), TARS_OK);
    /* a failing write, undone by its savepoint, spoils nothing else */
    assert_int_equal(tars_store_savepoint(st, &err), TARS_OK);
    assert_int_equal(try_add_user(st, "first"), TARS_ECONFLICT);
    assert_int_equal(tars_store_savepoint_rollback(st, &err), TARS_OK);
    assert_int_equal(tars_store_savepoint(st, &err), TARS_OK);
    assert_int_equal(try_add_user(st, "third"), TARS_OK);
    assert_int_equal(tars_store_savepoint_release(st, &err), TARS_OK);
    assert_int_equal(tars_store_commit(st, &err), TARS_OK);
    assert_true(user_exists(st, "first"));
    assert_false(user_exists(st, "undone"));
    assert_true(user_exists(st, "third"));

    assert_int_equal(tars_store_begin(st, &err), TARS_OK);
    assert_int_equal(try_add_user(st, "rolled-back"), TARS_OK);
    assert_true(user_exists(st, "rolled-back"));
    assert_int_equal(tars_store_rollback(st, &err), TARS_OK);
    assert_false(user_exists(st, "rolled-back"));
}

void test_second_connection_reads_during_write(void **state)
{
    struct fixture *f = *state;
    struct tars_err err = TARS_ERR_INIT;
    tars_store *other = open_store(f->url);

    assert_int_equal(try_add_user(f->st, "committed"), TARS_OK);
    assert_int_equal(tars_store_begin(f->st, &err), TARS_OK);
    assert_int_equal(try_add_user(f->st, "in-flight"), TARS_OK);
    assert_true(user_exists(other, "committed")); /* readers are not blocked */
    assert_false(user_exists(other, "in-flight"));
    assert_int_equal(tars_store_commit(f->st, &err), TARS_OK);
    assert_true(user_exists(other, "in-flight"));
    tars_store_close(other);
}

/* A committed write survives the process being killed; an open one does not. */
void test_kill_keeps_committed(void **state)
{
    struct fixture *f = *state;
    int status = 0;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct tars_err err = TARS_ERR_INIT;
        tars_store *st = tars_store_open(f->url, &err);
        if (!st || try_add_user(st, "durable") || tars_store_begin(st, &err) ||
            try_add_user(st, "unfinished"))
            _exit(3);
        raise(SIGKILL);
        _exit(4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    tars_store_close(f->st);
    f->st = open_store(f->url);
    assert_true(user_exists(f->st, "durable"));
    assert_false(user_exists(f->st, "unfinished"));
}

/* A callback may run the very query it is called from (nested statement). */
static int nested_each(void *ctx, const struct tars_user *u)
{
    tars_store *st = ctx;
    struct tars_err err = TARS_ERR_INIT;
    struct names inner = {.n = 0};
    struct tars_user again;

    (void)u;
    if (tars_store_users_each(st, collect_user, &inner, &err) || inner.n != 2)
        return TARS_EINTERNAL;
    if (tars_store_user_by_name(st, "bob", &again, &err))
        return TARS_EINTERNAL;
    return 0;
}

static int failing_callback(void *ctx, const struct tars_user *u)
{
    (void)ctx;
    (void)u;
    return TARS_EIO;
}

void test_nested_and_failing_callbacks(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;

    assert_int_equal(try_add_user(st, "alice"), TARS_OK);
    assert_int_equal(try_add_user(st, "bob"), TARS_OK);
    assert_int_equal(tars_store_users_each(st, nested_each, st, &err), TARS_OK);
    assert_int_equal(tars_store_users_each(st, failing_callback, NULL, &err), TARS_EIO);
    assert_int_equal(err.code, TARS_EIO);
    /* the statement was reset: it runs again */
    assert_int_equal(tars_store_users_each(st, nested_each, st, &err), TARS_OK);
}

/* ---- PostgreSQL only ---- */

void test_pg_reconnects(void **state)
{
    struct fixture *f = *state;
    struct tars_err err = TARS_ERR_INIT;
    tars_store *killer;
    char pid[32];

    if (!is_pg())
        skip();
    snprintf(pid, sizeof(pid), "%lld",
             (long long)query_int(f->st, "SELECT pg_backend_pid()", NULL));
    killer = open_store(f->url);
    assert_int_equal(query_int(killer,
                               "SELECT CASE WHEN pg_terminate_backend("
                               "CAST($1 AS INTEGER)) THEN 1 ELSE 0 END",
                               pid),
                     1);
    tars_store_close(killer);
    /* Outside a transaction the lost connection is reset and the query
     * retried within the same call. */
    assert_int_equal(tars_store_ping(f->st, &err), TARS_OK);
    assert_int_equal(tars_store_ping(f->st, &err), TARS_OK);
    assert_int_equal(try_add_user(f->st, "after-reset"), TARS_OK);
    assert_true(user_exists(f->st, "after-reset"));
}

void test_pg_invalid_index_rebuilt(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    int applied = -1;

    if (!is_pg())
        skip();
    /* what an interrupted CREATE INDEX CONCURRENTLY leaves behind */
    exec_ok(st, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = "
                "'idx_missions_status'::regclass");
    exec_ok(st, "DELETE FROM schema_migrations WHERE version = 2");
    assert_int_equal(query_int(st,
                               "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON "
                               "c.oid = i.indexrelid WHERE c.relname = $1 AND i.indisvalid",
                               "idx_missions_status"),
                     0);
    assert_int_equal(tars_store_migrate(st, &applied, &err), TARS_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(query_int(st,
                               "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON "
                               "c.oid = i.indexrelid WHERE c.relname = $1 AND i.indisvalid",
                               "idx_missions_status"),
                     1);
}
