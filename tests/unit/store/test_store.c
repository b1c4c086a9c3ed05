/*
 * Unit tests for lib/store: fixtures, helpers and the driver. By default
 * each test gets a fresh SQLite file in a temporary directory; with
 * TARS_TEST_DB_URL=postgres://... the same tests run against that database
 * (a throw-away one: tables are emptied or dropped between tests). The
 * integration test tests/integration/store runs this binary against a fresh
 * PostgreSQL.
 */
#include "store_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tars/str.h"

char temp_dir[256];
static const char *pg_url;
static int file_counter;

static const char wipe_sql[] =
    "DELETE FROM users; DELETE FROM api_keys; DELETE FROM agents; DELETE FROM agent_states; "
    "DELETE FROM evaluations; DELETE FROM missions; DELETE FROM metrics; "
    "DELETE FROM audit_logs; DELETE FROM telemetry; DELETE FROM training_steps;";

static const char drop_sql[] =
    "DROP TABLE IF EXISTS users, api_keys, agents, agent_states, evaluations, missions, "
    "metrics, audit_logs, telemetry, training_steps, schema_migrations CASCADE";

/* ---- fixtures and helpers ---- */

bool is_pg(void)
{
    return pg_url != NULL;
}

void next_url(char *out, size_t size)
{
    if (is_pg())
        tars_strlcpy(out, pg_url, size);
    else
        snprintf(out, size, "sqlite:%s/t%d.db", temp_dir, ++file_counter);
}

tars_store *open_store(const char *url)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_store *st = tars_store_open(url, &err);
    if (!st)
        fail_msg("open: %s", err.msg);
    return st;
}

void exec_ok(tars_store *st, const char *sql)
{
    struct tars_err err = TARS_ERR_INIT;
    int rc = db_exec_script(st->db, sql, &err);
    if (rc)
        fail_msg("exec %.60s: %s", sql, err.msg);
}

int64_t query_int(tars_store *st, const char *sql, const char *param)
{
    struct tars_err err = TARS_ERR_INIT;
    struct db_value p[] = {db_text(param)};
    int64_t v = -1;
    int rc = db_query_int(st->db, sql, p, param ? 1 : 0, &v, &err);
    if (rc)
        fail_msg("query %.60s: %s", sql, err.msg);
    return v;
}

/* A store with the schema migrated and no rows. */
int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct tars_err err = TARS_ERR_INIT;

    next_url(f->url, sizeof(f->url));
    f->st = open_store(f->url);
    if (tars_store_migrate(f->st, NULL, &err))
        fail_msg("migrate: %s", err.msg);
    if (is_pg())
        exec_ok(f->st, wipe_sql);
    *state = f;
    return 0;
}

/* A store with no schema at all. */
int setup_empty(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    next_url(f->url, sizeof(f->url));
    f->st = open_store(f->url);
    if (is_pg())
        exec_ok(f->st, drop_sql);
    *state = f;
    return 0;
}

int teardown(void **state)
{
    struct fixture *f = *state;
    tars_store_close(f->st);
    free(f);
    return 0;
}

tars_store *store_of(void **state)
{
    return ((struct fixture *)*state)->st;
}

size_t migration_count(void)
{
    size_t n = 0;
    while (tars_migrations_sqlite[n].name)
        n++;
    return n;
}

/* ---- users, shared by several tests ---- */

void make_user(struct tars_user *u, const char *name, const char *role)
{
    memset(u, 0, sizeof(*u));
    tars_strlcpy(u->username, name, sizeof(u->username));
    tars_strlcpy(u->role, role, sizeof(u->role));
    snprintf(u->password_hash, sizeof(u->password_hash), "$scrypt$hash-of-%s", name);
}

int collect_user(void *ctx, const struct tars_user *u)
{
    struct names *names = ctx;
    tars_strlcpy(names->v[names->n++], u->username, TARS_NAME_MAX);
    return names->stop_after && names->n >= names->stop_after;
}

int try_add_user(tars_store *st, const char *name)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_user u;

    make_user(&u, name, "viewer");
    return tars_store_user_add(st, &u, &err);
}

bool user_exists(tars_store *st, const char *name)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_user u;
    return tars_store_user_by_name(st, name, &u, &err) == TARS_OK;
}

/* ---- driver ---- */

static void remove_dir(const char *dir)
{
    char path[URL_MAX];
    struct dirent *d;
    DIR *dp = opendir(dir);

    if (!dp)
        return;
    while ((d = readdir(dp)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        unlink(path);
    }
    closedir(dp);
    rmdir(dir);
}

static int group_setup(void **state)
{
    const char *url = getenv("TARS_TEST_DB_URL");
    const char *tmp = getenv("TMPDIR");

    (void)state;
    if (url && *url && !tars_str_has_prefix(url, "sqlite:"))
        pg_url = url;
    snprintf(temp_dir, sizeof(temp_dir), "%s/tars-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    remove_dir(temp_dir);
    return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T_EMPTY(fn) cmocka_unit_test_setup_teardown(fn, setup_empty, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_url_forms),
        T_EMPTY(test_migrate_twice),
        T(test_indexes_present),
        T(test_index_definitions),
        T(test_sqlite_pragmas),
        T(test_users),
        T(test_user_bounds),
        T(test_api_keys),
        T(test_agents),
        T(test_agent_history),
        T(test_reward_stats),
        T(test_evaluation_round_trip),
        T(test_evaluation_update_delete),
        T(test_evaluations_list),
        T(test_missions),
        T(test_metrics),
        T(test_audit),
        T(test_savepoints),
        T(test_second_connection_reads_during_write),
        T(test_kill_keeps_committed),
        T(test_nested_and_failing_callbacks),
        T(test_count_and_bounds),
        T(test_pg_reconnects),
        T(test_pg_invalid_index_rebuilt),
    };
    return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
