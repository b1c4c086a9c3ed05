/* Shared by the store tests: fixtures, helpers and the list of tests. */
#ifndef TARS_TEST_STORE_H
#define TARS_TEST_STORE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_int.h"

#define ASSERT_NEAR(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-9)
#define URL_MAX 1024

/* One test's database: a new SQLite file, or the PostgreSQL database of
 * TARS_TEST_DB_URL emptied (or with its tables dropped, for setup_empty). */
struct fixture {
    char url[URL_MAX];
    tars_store *st;
};

struct names {
    char v[64][TARS_NAME_MAX];
    int n;
    int stop_after;
};

extern char temp_dir[256];

bool is_pg(void);
void next_url(char *out, size_t size);
tars_store *open_store(const char *url);
void exec_ok(tars_store *st, const char *sql);
/* The first column of the first row; param (may be NULL) is $1. */
int64_t query_int(tars_store *st, const char *sql, const char *param);
int setup(void **state);       /* migrated, no rows */
int setup_empty(void **state); /* no schema at all */
int teardown(void **state);
tars_store *store_of(void **state);
size_t migration_count(void);

void make_user(struct tars_user *u, const char *name, const char *role);
int collect_user(void *ctx, const struct tars_user *u);
int try_add_user(tars_store *st, const char *name);
bool user_exists(tars_store *st, const char *name);

/* test_store_schema.c */
void test_open_errors(void **state);
void test_url_forms(void **state);
void test_migrate_twice(void **state);
void test_indexes_present(void **state);
void test_index_definitions(void **state);
void test_sqlite_pragmas(void **state);
void test_savepoints(void **state);
void test_second_connection_reads_during_write(void **state);
void test_kill_keeps_committed(void **state);
void test_nested_and_failing_callbacks(void **state);
void test_pg_reconnects(void **state);
void test_pg_invalid_index_rebuilt(void **state);

/* test_store_models.c */
void test_users(void **state);
void test_user_bounds(void **state);
void test_api_keys(void **state);
void test_agents(void **state);
void test_agent_history(void **state);
void test_reward_stats(void **state);
void test_evaluation_round_trip(void **state);
void test_evaluation_update_delete(void **state);
void test_evaluations_list(void **state);
void test_missions(void **state);
void test_metrics(void **state);
void test_audit(void **state);
void test_count_and_bounds(void **state);

#endif
