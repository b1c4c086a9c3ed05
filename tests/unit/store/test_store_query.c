/*
 * tars_store_query: rows with column names, NULLs, truncation at max_rows,
 * and statements that could write refused. On a temporary SQLite file by
 * default; with TARS_TEST_DB_URL=postgres://... against that (throw-away)
 * database, where the statement runs in a read-only transaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"
#include "tars/clock.h"
#include "tars/str.h"

#define MAX_SEEN 16

static char temp_dir[256];
static char db_path[300];
static const char *pg_url;

struct seen {
    int rows;
    int ncols;
    char names[4][32];
    char values[MAX_SEEN][4][32];
    bool is_null[MAX_SEEN][4];
    int stop_after; /* 0: never */
    int fail_with;  /* a negative code to return at the first row, or 0 */
};

static int collect(void *ctx, int ncols, const char *const *names, const char *const *values)
{
    struct seen *s = ctx;

    if (s->fail_with)
        return s->fail_with;
    s->ncols = ncols;
    for (int i = 0; i < ncols && i < 4; i++) {
        tars_strlcpy(s->names[i], names[i], sizeof(s->names[i]));
        if (s->rows < MAX_SEEN) {
            s->is_null[s->rows][i] = values[i] == NULL;
            tars_strlcpy(s->values[s->rows][i], values[i] ? values[i] : "", 32);
        }
    }
    s->rows++;
    return s->stop_after && s->rows >= s->stop_after;
}

static void exec_ok(tars_store *st, const char *sql)
{
    struct tars_err err = TARS_ERR_INIT;
    if (db_exec_script(st->db, sql, &err))
        fail_msg("exec %.60s: %s", sql, err.msg);
}

static int64_t count_rows(tars_store *st)
{
    int64_t n = -1;
    struct tars_err err = TARS_ERR_INIT;
    if (db_query_int(st->db, "SELECT COUNT(*) FROM q_items", NULL, 0, &n, &err))
        fail_msg("count: %s", err.msg);
    return n;
}

static int setup(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char url[400];
    tars_store *st;

    if (pg_url)
        tars_strlcpy(url, pg_url, sizeof(url));
    else
        snprintf(url, sizeof(url), "sqlite:%s", db_path);
    st = tars_store_open(url, &err);
    if (!st)
        fail_msg("open: %s", err.msg);
    exec_ok(st, "DROP TABLE IF EXISTS q_items; "
                "CREATE TABLE q_items (id INTEGER PRIMARY KEY, name TEXT, score REAL); "
                "INSERT INTO q_items VALUES (1, 'alpha', 1.5); "
                "INSERT INTO q_items VALUES (2, NULL, 2.25); "
                "INSERT INTO q_items VALUES (3, 'gamma', NULL); "
                "INSERT INTO q_items VALUES (4, 'delta', 4); "
                "INSERT INTO q_items VALUES (5, 'epsilon', 5);");
    if (pg_url)
        exec_ok(st, "DROP SEQUENCE IF EXISTS q_seq; CREATE SEQUENCE q_seq");
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    tars_store *st = *state;
    exec_ok(st, "DROP TABLE IF EXISTS q_items");
    if (pg_url)
        exec_ok(st, "DROP SEQUENCE IF EXISTS q_seq");
    tars_store_close(st);
    return 0;
}

static void test_rows_names_and_nulls(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct seen s = {0};
    bool truncated = true;
    int rc = tars_store_query(*state, "SELECT id, name AS label, score FROM q_items ORDER BY id",
                              100, collect, &s, &truncated, &err);

    assert_int_equal(rc, TARS_OK);
    assert_false(truncated);
    assert_int_equal(s.rows, 5);
    assert_int_equal(s.ncols, 3);
    assert_string_equal(s.names[0], "id");
    assert_string_equal(s.names[1], "label");
    assert_string_equal(s.names[2], "score");
    assert_string_equal(s.values[0][0], "1");
    assert_string_equal(s.values[0][1], "alpha");
    assert_string_equal(s.values[0][2], "1.5");
    assert_true(s.is_null[1][1]);
    assert_false(s.is_null[1][2]);
    assert_string_equal(s.values[1][2], "2.25");
    assert_true(s.is_null[2][2]);
    assert_false(s.is_null[2][1]);
}

static void test_truncated(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct seen s = {0};
    bool truncated = false;
    int rc = tars_store_query(*state, "SELECT id FROM q_items ORDER BY id", 3, collect, &s,
                              &truncated, &err);

    assert_int_equal(rc, TARS_OK);
    assert_true(truncated);
    assert_int_equal(s.rows, 3);
    assert_string_equal(s.values[2][0], "3");

    /* Exactly max_rows rows: not truncated. */
    memset(&s, 0, sizeof(s));
    rc = tars_store_query(*state, "SELECT id FROM q_items", 5, collect, &s, &truncated, &err);
    assert_int_equal(rc, TARS_OK);
    assert_false(truncated);
    assert_int_equal(s.rows, 5);

    /* The connection is usable afterwards (PostgreSQL: the cancelled
     * statement's transaction was rolled back). */
    assert_int_equal(count_rows(*state), 5);
}

/* PostgreSQL: rows past max_rows are not streamed to the end, the
 * statement is cancelled (200 million rows take half a minute). */
static void test_truncation_cancels(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct seen s = {0};
    bool truncated = false;
    uint64_t start = tars_mono_ns();
    int rc;

    if (!pg_url)
        skip();
    rc = tars_store_query(*state, "SELECT generate_series(1, 200000000) AS i", 10, collect, &s,
                          &truncated, &err);
    if (rc)
        fail_msg("query: %s", err.msg);
    assert_true(truncated);
    assert_int_equal(s.rows, 10);
    assert_true(tars_mono_ns() - start < 5000000000ull);
    assert_int_equal(count_rows(*state), 5);
}

static void test_no_rows_and_callback_stop(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct seen s = {0};
    bool truncated = true;
    int rc = tars_store_query(*state, "SELECT id FROM q_items WHERE id > 100", 10, collect, &s,
                              &truncated, &err);

    assert_int_equal(rc, TARS_OK);
    assert_int_equal(s.rows, 0);
    assert_false(truncated);

    s.stop_after = 2;
    rc = tars_store_query(*state, "SELECT id FROM q_items ORDER BY id", 10, collect, &s, &truncated,
                          &err);
    assert_int_equal(rc, TARS_OK);
    assert_int_equal(s.rows, 2);
    assert_false(truncated);

    memset(&s, 0, sizeof(s));
    s.fail_with = TARS_EINVAL;
    rc = tars_store_query(*state, "SELECT id FROM q_items", 10, collect, &s, NULL, &err);
    assert_int_equal(rc, TARS_EINVAL);
    assert_int_equal(count_rows(*state), 5);
}

/* why: a part of the expected message, or NULL for any. */
static void expect_refused(tars_store *st, const char *sql, const char *why)
{
    struct tars_err err = TARS_ERR_INIT;
    struct seen s = {0};
    int rc = tars_store_query(st, sql, 10, collect, &s, NULL, &err);

    if (rc == TARS_OK)
        fail_msg("statement was not refused: %s", sql);
    assert_true(err.msg[0] != '\0');
    if (why && !strstr(err.msg, why))
        fail_msg("%s: refused with \"%s\", expected \"%s\"", sql, err.msg, why);
}

static void test_writes_refused(void **state)
{
    tars_store *st = *state;

    const char *write = pg_url ? "read-only transaction" : "not read-only";

    expect_refused(st, "DELETE FROM q_items", write);
    expect_refused(st, "INSERT INTO q_items VALUES (9, 'x', 1)", write);
    expect_refused(st, "UPDATE q_items SET name = 'x'", write);
    expect_refused(st, "DROP TABLE q_items", write);
    expect_refused(st, "CREATE TABLE q_other (x INTEGER)", write);
    expect_refused(st, "SELECT 1; DELETE FROM q_items",
                   pg_url ? "multiple commands" : "more than one");
    expect_refused(st, "", "empty statement");
    expect_refused(st, "SELEKT 1", "syntax error");
    if (!pg_url) {
        expect_refused(st, "BEGIN", "not authorized");
        expect_refused(st, "PRAGMA user_version = 7", "not authorized");
        expect_refused(st, "ATTACH DATABASE ':memory:' AS other", "not authorized");
    } else {
        expect_refused(st, "EXPLAIN ANALYZE DELETE FROM q_items", write);
        expect_refused(st, "SELECT nextval('q_seq')", write);
    }
    assert_int_equal(count_rows(st), 5);
}

static void test_read_only_helpers_allowed(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct seen s = {0};
    const char *sql = pg_url ? "EXPLAIN SELECT * FROM q_items WHERE id = 1"
                             : "EXPLAIN QUERY PLAN SELECT * FROM q_items WHERE id = 1";
    int rc = tars_store_query(*state, sql, 100, collect, &s, NULL, &err);

    if (rc)
        fail_msg("explain: %s", err.msg);
    assert_true(s.rows >= 1);
    if (!pg_url) {
        memset(&s, 0, sizeof(s));
        rc = tars_store_query(*state, "PRAGMA index_list(q_items)", 100, collect, &s, NULL, &err);
        if (rc)
            fail_msg("pragma: %s", err.msg);
    }
}

static int group_setup(void **state)
{
    const char *url = getenv("TARS_TEST_DB_URL");
    const char *tmp = getenv("TMPDIR");

    (void)state;
    if (url && *url && !tars_str_has_prefix(url, "sqlite:"))
        pg_url = url;
    snprintf(temp_dir, sizeof(temp_dir), "%s/tars-query-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(temp_dir))
        return -1;
    snprintf(db_path, sizeof(db_path), "%s/q.db", temp_dir);
    return 0;
}

static int group_teardown(void **state)
{
    char path[400];
    static const char *const suffixes[] = {"", "-wal", "-shm", NULL};

    (void)state;
    for (int i = 0; suffixes[i]; i++) {
        snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
        unlink(path);
    }
    rmdir(temp_dir);
    return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rows_names_and_nulls), T(test_truncated),
        T(test_truncation_cancels),   T(test_no_rows_and_callback_stop),
        T(test_writes_refused),       T(test_read_only_helpers_allowed),
    };
    return cmocka_run_group_tests_name("store_query", tests, group_setup, group_teardown);
}
