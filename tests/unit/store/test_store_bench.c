/*
 * db-seed and db-bench in lib/store: the random generator, seeding
 * determinism (same seed, same rows), the plan readers on captured EXPLAIN
 * outputs, the families' parameters, and a small end-to-end run on SQLite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_int.h"
#include "seed_int.h"
#include "store_int.h"
#include "tars/str.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

static char temp_dir[256];
static int file_counter;

static void next_path(char *out, size_t size)
{
    snprintf(out, size, "%s/b%d.db", temp_dir, ++file_counter);
}

static tars_store *open_at(const char *path)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_store *st = tars_store_open(path, &err);

    if (!st)
        fail_msg("open %s: %s", path, err.msg);
    return st;
}

static int64_t query_count(tars_store *st, const char *sql)
{
    struct tars_err err = TARS_ERR_INIT;
    int64_t v = -1;

    if (db_query_int(st->db, sql, NULL, 0, &v, &err))
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

static void small_options(struct tars_seed_options *o, uint64_t seed)
{
    tars_seed_defaults(o);
    o->seed = seed;
    o->rows = 3000;
    o->agents = 5;
    o->regions = 3;
    o->missions = 200;
    o->api_keys = 100;
    o->batch = 700; /* several batches, the last one partial */
    o->now_ms = NOW_MS;
}

/* Seeds a new SQLite file; returns the open store. */
static tars_store *seeded(const struct tars_seed_options *o, struct tars_seed_result *r)
{
    char path[512];
    struct tars_err err = TARS_ERR_INIT;
    tars_store *st;

    next_path(path, sizeof(path));
    st = open_at(path);
    if (tars_store_seed(st, o, r, &err))
        fail_msg("seed: %s", err.msg);
    return st;
}

/* ---- the generator ---- */

static void test_rng(void **state)
{
    struct store_rng a, b, c;
    bool differ = false;
    (void)state;

    store_rng_init(&a, 42);
    store_rng_init(&b, 42);
    store_rng_init(&c, 43);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = store_rng_next(&a);
        assert_int_equal(x, store_rng_next(&b));
        differ |= x != store_rng_next(&c);
        assert_true(store_rng_below(&a, 7) < 7);
        store_rng_below(&b, 7);
        double u = store_rng_unit(&a);
        store_rng_unit(&b);
        assert_true(u >= 0.0 && u < 1.0);
    }
    assert_true(differ);
}

/* ---- seeding ---- */

static void test_seed_deterministic(void **state)
{
    struct tars_seed_options o;
    struct tars_seed_result r1, r2, r3;
    struct tars_err err = TARS_ERR_INIT;
    uint64_t sum1, sum2, sum3;
    tars_store *a, *b, *c;
    int64_t n;
    (void)state;

    small_options(&o, 7);
    a = seeded(&o, &r1);
    b = seeded(&o, &r2);
    o.seed = 8;
    c = seeded(&o, &r3);
    assert_int_equal(r1.evaluations, 3000);
    assert_int_equal(r1.missions, 200);
    assert_int_equal(r1.api_keys, 100);
    assert_int_equal(r1.agents, 5);
    assert_false(r1.stopped);
    assert_int_equal(tars_store_count(a, "evaluations", &n, &err), 0);
    assert_int_equal(n, 3000);
    assert_int_equal(tars_store_count(a, "missions", &n, &err), 0);
    assert_int_equal(n, 200);
    /* what was written is what is read back, and the same seed writes the same */
    assert_int_equal(tars_store_seed_checksum(a, &sum1, &err), 0);
    assert_int_equal(tars_store_seed_checksum(b, &sum2, &err), 0);
    assert_int_equal(tars_store_seed_checksum(c, &sum3, &err), 0);
    assert_int_equal(sum1, r1.checksum);
    assert_int_equal(sum2, r2.checksum);
    assert_int_equal(sum1, sum2);
    assert_int_equal(sum3, r3.checksum);
    assert_int_not_equal(sum1, sum3);
    /* a changed row changes the checksum */
    assert_int_equal(
        db_exec(a->db, "UPDATE evaluations SET duration_ms = 1 WHERE id = 'ev-0000001500'", &err),
        0);
    assert_int_equal(tars_store_seed_checksum(a, &sum2, &err), 0);
    assert_int_not_equal(sum1, sum2);
    tars_store_close(a);
    tars_store_close(b);
    tars_store_close(c);
}

struct shape {
    int64_t newest, oldest, statuses, with_reward;
};

static int shape_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct shape *s = ctx;
    (void)err;
    s->oldest = db_get_int(row, 0);
    s->newest = db_get_int(row, 1);
    s->statuses = db_get_int(row, 2);
    s->with_reward = db_get_int(row, 3);
    return DB_STOP;
}

/* The volumes look like a month of real traffic, not one constant row. */
static void test_seed_shape(void **state)
{
    struct tars_seed_options o;
    struct tars_seed_result r;
    struct tars_err err = TARS_ERR_INIT;
    struct shape s = {0};
    tars_store *st;
    (void)state;

    small_options(&o, 1);
    st = seeded(&o, &r);
    assert_int_equal(db_query(st->db,
                              "SELECT MIN(created_at), MAX(created_at), COUNT(DISTINCT status), "
                              "COUNT(reward) FROM evaluations",
                              NULL, 0, shape_row, &s, &err),
                     0);
    assert_true(s.newest <= NOW_MS);
    assert_true(s.newest > NOW_MS - 3600000 * 2);
    assert_true(s.oldest >= NOW_MS - (int64_t)TARS_SEED_DAYS * 86400000);
    assert_true(s.oldest < NOW_MS - (int64_t)(TARS_SEED_DAYS - 1) * 86400000);
    assert_true(s.statuses >= 3);
    assert_true(s.with_reward > 3000 / 2 && s.with_reward < 3000);
    assert_int_equal(query_count(st, "SELECT COUNT(DISTINCT agent_id) FROM evaluations"), 5);
    assert_int_equal(query_count(st, "SELECT COUNT(DISTINCT region) FROM evaluations"), 3);
    assert_int_equal(
        query_count(st, "SELECT COUNT(*) FROM evaluations WHERE timestamp <> created_at"), 0);
    assert_true(query_count(st, "SELECT COUNT(*) FROM missions WHERE status = 'active'") > 20);
    /* synchronous is FULL again after the seed, and every index was built again */
    assert_int_equal(query_count(st, "PRAGMA synchronous"), 2);
    assert_int_equal(query_count(st, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' "
                                     "AND name LIKE 'idx_%'"),
                     21);
    tars_store_close(st);
}

static void test_seed_refusals(void **state)
{
    struct tars_seed_options o;
    struct tars_seed_result r;
    struct tars_err err = TARS_ERR_INIT;
    tars_store *st;
    char path[512];
    (void)state;

    small_options(&o, 1);
    st = seeded(&o, &r);
    assert_int_equal(tars_store_seed(st, &o, &r, &err), TARS_ECONFLICT);
    assert_non_null(strstr(err.msg, "already holds 3000 rows in evaluations"));
    tars_store_close(st);

    next_path(path, sizeof(path));
    st = open_at(path);
    o.rows = 0;
    assert_int_equal(tars_store_seed(st, &o, &r, &err), TARS_EINVAL);
    small_options(&o, 1);
    o.regions = TARS_SEED_MAX_REGIONS + 1;
    assert_int_equal(tars_store_seed(st, &o, &r, &err), TARS_EINVAL);
    tars_store_close(st);
}

static int stop_at_once(void *ctx, int64_t done, int64_t total)
{
    int *calls = ctx;
    (void)total;
    (*calls)++;
    assert_true(done > 0);
    return 1;
}

static void test_seed_stops(void **state)
{
    struct tars_seed_options o;
    struct tars_seed_result r;
    int calls = 0;
    tars_store *st;
    (void)state;

    small_options(&o, 1);
    o.progress = stop_at_once;
    o.progress_ctx = &calls;
    st = seeded(&o, &r);
    assert_true(r.stopped);
    assert_int_equal(calls, 1);
    assert_int_equal(r.evaluations, 700); /* the first batch, committed */
    assert_int_equal(query_count(st, "SELECT COUNT(*) FROM evaluations"), 700);
    tars_store_close(st);
}

/* ---- plan readers ---- */

static const char *const evaluation_indexes[] = {"idx_evaluations_agent_region_time",
                                                 "idx_evaluations_agent_region_created", NULL};

static bool sqlite_uses(const char *lines, struct tars_bench_plan *p)
{
    tars_bench_plan_sqlite("evaluations", evaluation_indexes, lines, p);
    return p->uses_index;
}

static void test_plan_sqlite(void **state)
{
    struct tars_bench_plan p;
    (void)state;

    assert_true(sqlite_uses("SEARCH evaluations USING INDEX idx_evaluations_agent_region_time "
                            "(agent_id=? AND region=? AND created_at>?)",
                            &p));
    assert_string_equal(p.index, "idx_evaluations_agent_region_time");
    assert_string_equal(p.table, "evaluations");
    /* the format of SQLite before 3.36, and covering lookups */
    assert_true(sqlite_uses("SEARCH TABLE evaluations USING COVERING INDEX "
                            "idx_evaluations_agent_region_created (agent_id=? AND region=?)",
                            &p));
    assert_true(sqlite_uses("SEARCH evaluations USING COVERING INDEX "
                            "idx_evaluations_agent_region_created (agent_id=? AND region=?)\n"
                            "USE TEMP B-TREE FOR GROUP BY\nSCAN agents",
                            &p));
    assert_non_null(strstr(p.detail, "USE TEMP B-TREE FOR GROUP BY; SCAN agents"));
    /* a full scan, with or without an index to walk */
    assert_false(sqlite_uses("SCAN evaluations", &p));
    assert_string_equal(p.index, "");
    assert_string_equal(p.detail, "SCAN evaluations");
    assert_false(sqlite_uses("SCAN evaluations USING COVERING INDEX "
                             "idx_evaluations_agent_region_created",
                             &p));
    assert_false(sqlite_uses("SCAN TABLE evaluations", &p));
    /* a search and a scan of the same table: the scan reads it all */
    assert_false(sqlite_uses("SEARCH evaluations USING INDEX idx_evaluations_agent_region_time "
                             "(agent_id=?)\nSCAN evaluations",
                             &p));
    /* an index built for this query alone, or one that does not serve it */
    assert_false(sqlite_uses("SEARCH evaluations USING AUTOMATIC COVERING INDEX (agent_id=?)", &p));
    assert_false(sqlite_uses("SEARCH evaluations USING INDEX idx_evaluations_region_status "
                             "(region=?)",
                             &p));
    assert_string_equal(p.index, "idx_evaluations_region_status");
    /* another table's index says nothing about this one */
    assert_false(
        sqlite_uses("SEARCH missions USING INDEX idx_evaluations_agent_region_time (x=?)", &p));
    assert_false(sqlite_uses("", &p));
    assert_false(sqlite_uses(NULL, &p));
}

static char *read_fixture(const char *name)
{
    char path[1024];
    FILE *f;
    char *text = calloc(1, 65536);
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", TARS_PLAN_FIXTURES, name);
    f = fopen(path, "r");
    if (!f || !text)
        fail_msg("cannot read %s", path);
    n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void test_plan_postgres(void **state)
{
    static const char *const timestamp_index[] = {"idx_evaluations_timestamp", NULL};
    static const char *const mission_index[] = {"idx_missions_status_created", NULL};
    struct tars_err err = TARS_ERR_INIT;
    struct tars_bench_plan p;
    char *json;
    (void)state;

    json = read_fixture("pg_index_only.json");
    assert_int_equal(tars_bench_plan_postgres("evaluations", timestamp_index, json, &p, &err), 0);
    assert_true(p.uses_index);
    assert_string_equal(p.index, "idx_evaluations_timestamp");
    assert_non_null(
        strstr(p.detail, "Index Only Scan using idx_evaluations_timestamp on evaluations"));
    /* the same plan, but the index is not one that serves this family */
    assert_int_equal(tars_bench_plan_postgres("evaluations", evaluation_indexes, json, &p, &err),
                     0);
    assert_false(p.uses_index);
    free(json);

    json = read_fixture("pg_bitmap.json");
    assert_int_equal(tars_bench_plan_postgres("evaluations", evaluation_indexes, json, &p, &err),
                     0);
    assert_true(p.uses_index);
    assert_string_equal(p.index, "idx_evaluations_agent_region_time");
    assert_non_null(strstr(p.detail, "Bitmap Heap Scan on evaluations; Bitmap Index Scan using"));
    free(json);

    json = read_fixture("pg_seq_scan.json");
    assert_int_equal(tars_bench_plan_postgres("missions", mission_index, json, &p, &err), 0);
    assert_false(p.uses_index);
    assert_string_equal(p.index, "");
    assert_string_equal(p.detail, "Limit; Sort; Seq Scan on missions");
    free(json);

    assert_int_equal(tars_bench_plan_postgres(
                         "evaluations", evaluation_indexes,
                         "[{\"Plan\": {\"Node Type\": \"Gather\", \"Plans\": [{\"Node Type\": "
                         "\"Parallel Seq Scan\", \"Relation Name\": \"evaluations\"}]}}]",
                         &p, &err),
                     0);
    assert_false(p.uses_index);
    assert_int_equal(
        tars_bench_plan_postgres("evaluations", evaluation_indexes, "not json", &p, &err),
        TARS_EINVAL);
    assert_int_equal(tars_bench_plan_postgres("evaluations", evaluation_indexes, "[{}]", &p, &err),
                     TARS_EINVAL);
    assert_int_equal(tars_bench_plan_postgres("evaluations", evaluation_indexes,
                                              "[{\"Plan\": {\"Plans\": [3]}}]", &p, &err),
                     TARS_EINVAL);
}

/* ---- parameters ---- */

static void fill_data(struct bench_data *d)
{
    memset(d, 0, sizeof(*d));
    d->newest = NOW_MS;
    for (int i = 0; i < 3; i++)
        snprintf(d->agents[i], TARS_ID_MAX, "agent-%d", i);
    d->agent_count = 3;
    snprintf(d->regions[0], TARS_ID_MAX, "us-east-1");
    snprintf(d->regions[1], TARS_ID_MAX, "eu-west-1");
    d->region_count = 2;
    d->key_hashes = calloc(2, sizeof(*d->key_hashes));
    snprintf(d->key_hashes[0], TARS_HASH_MAX, "sha256:aa");
    snprintf(d->key_hashes[1], TARS_HASH_MAX, "sha256:bb");
    d->key_count = 2;
}

static bool one_of(const char *s, const char *a, const char *b, const char *c)
{
    return strcmp(s, a) == 0 || strcmp(s, b) == 0 || (c && strcmp(s, c) == 0);
}

static void check_params(int family, const struct bench_params *p)
{
    const int64_t hour = 3600000, day = 24 * hour;

    switch (family) {
    case TARS_BENCH_AGENT_EVALUATIONS:
        assert_int_equal(p->n, 3);
        assert_true(one_of(p->v[0].text, "agent-0", "agent-1", "agent-2"));
        assert_true(one_of(p->v[1].text, "us-east-1", "eu-west-1", NULL));
        assert_true(p->v[2].i == NOW_MS - hour || p->v[2].i == NOW_MS - 6 * hour ||
                    p->v[2].i == NOW_MS - day || p->v[2].i == NOW_MS - 7 * day);
        break;
    case TARS_BENCH_REWARD_AGGREGATION:
        assert_int_equal(p->n, 2);
        assert_int_equal(p->v[1].i - p->v[0].i, hour);
        assert_true(p->v[1].i <= NOW_MS + 1 && p->v[1].i > NOW_MS - day);
        break;
    case TARS_BENCH_TEMPORAL:
        assert_int_equal(p->n, 4);
        assert_true(p->v[3].i - p->v[2].i >= 6 * hour && p->v[3].i - p->v[2].i <= 7 * day);
        assert_true(p->v[3].i <= NOW_MS + 1);
        break;
    case TARS_BENCH_MULTI_REGION:
        assert_int_equal(p->n, 4); /* agent, both regions, since */
        assert_string_equal(p->v[1].text, "us-east-1");
        assert_string_equal(p->v[2].text, "eu-west-1");
        assert_true(p->v[3].i >= NOW_MS - 7 * day && p->v[3].i <= NOW_MS - day);
        break;
    case TARS_BENCH_ACTIVE_MISSIONS:
        assert_int_equal(p->n, 1);
        assert_true(one_of(p->v[0].text, "active", "pending", NULL));
        break;
    default:
        assert_int_equal(p->n, 2);
        assert_true(tars_str_has_prefix(p->v[0].text, "sha256:"));
        assert_int_equal(p->v[1].i, NOW_MS);
        break;
    }
}

/* Same seed, same sequence; within the data's ranges; not all the same. */
static void test_family_params(void **state)
{
    struct bench_data d;
    char sql[BENCH_SQL_MAX];
    (void)state;

    fill_data(&d);
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++) {
        struct store_rng a, b;
        struct bench_params p, q, first;
        bool varied = false;
        int hits = 0;
        store_rng_init(&a, 5);
        store_rng_init(&b, 5);
        for (int i = 0; i < 200; i++) {
            bench_family_params(f, &d, &a, &p);
            bench_family_params(f, &d, &b, &q);
            check_params(f, &p);
            assert_int_equal(p.n, q.n);
            if (i == 0)
                first = p;
            for (int k = 0; k < p.n; k++) {
                if (p.v[k].type == DB_INT) {
                    assert_int_equal(p.v[k].i, q.v[k].i);
                    varied |= p.v[k].i != first.v[k].i;
                } else {
                    assert_string_equal(p.v[k].text, q.v[k].text);
                }
            }
            if (f == TARS_BENCH_API_KEY_LOOKUP)
                hits += one_of(p.v[0].text, "sha256:aa", "sha256:bb", NULL);
            if (f == TARS_BENCH_ACTIVE_MISSIONS || f == TARS_BENCH_API_KEY_LOOKUP)
                varied = true;
        }
        assert_true(varied);
        if (f == TARS_BENCH_API_KEY_LOOKUP)
            assert_true(hits > 150 && hits < 200); /* mostly hits, some misses */
        assert_non_null(bench_family_sql(f, &d, sql, sizeof(sql)));
    }
    assert_string_equal(
        strstr(bench_family_sql(TARS_BENCH_MULTI_REGION, &d, sql, sizeof(sql)), "region IN"),
        "region IN ($2, $3) AND created_at >= $4 AND status <> 'deleted' "
        "GROUP BY region");
    free(d.key_hashes);
}

/* ---- end to end on SQLite ---- */

static void test_bench_runs(void **state)
{
    struct tars_seed_options o;
    struct tars_seed_result r;
    struct tars_err err = TARS_ERR_INIT;
    tars_bench *b;
    tars_store *st;
    (void)state;

    small_options(&o, 3);
    st = seeded(&o, &r);
    assert_int_equal(tars_bench_open(st, 1, &b, &err), 0);
    assert_int_equal(tars_bench_evaluations(b), 3000);
    assert_int_equal(tars_bench_table_rows(b, TARS_BENCH_API_KEY_LOOKUP), 100);
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++) {
        struct tars_bench_result res;
        if (tars_bench_run(b, f, 10, &res, &err))
            fail_msg("%s: %s", tars_bench_family_name(f), err.msg);
        assert_int_equal(res.iterations, 10);
        assert_int_equal(tars_hist_count(res.hist), 10);
        if (!res.plan.uses_index)
            fail_msg("%s: %s", tars_bench_family_name(f), res.plan.detail);
        assert_true(res.rows > 0);
        tars_bench_result_release(&res);
    }
    /* without the API key index, the lookup scans the table */
    assert_int_equal(db_exec(st->db, "DROP INDEX idx_api_keys_hash_active", &err), 0);
    {
        struct tars_bench_result res;
        assert_int_equal(tars_bench_run(b, TARS_BENCH_API_KEY_LOOKUP, 2, &res, &err), 0);
        assert_false(res.plan.uses_index);
        assert_non_null(strstr(res.plan.detail, "SCAN api_keys"));
        tars_bench_result_release(&res);
    }
    assert_int_equal(
        tars_bench_run(b, TARS_BENCH_FAMILY_COUNT, 2, &(struct tars_bench_result){0}, &err),
        TARS_EINVAL);
    tars_bench_free(b);
    tars_store_close(st);
}

static void test_bench_open_errors(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char path[512], url[600];
    tars_bench *b = NULL;
    tars_store *st;
    (void)state;

    next_path(path, sizeof(path));
    snprintf(url, sizeof(url), "sqlite:%s", path);
    assert_null(tars_bench_store_open(url, &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_non_null(strstr(err.msg, "no such database file"));
    assert_int_not_equal(access(path, F_OK), 0); /* and it was not created */
    assert_null(tars_bench_store_open("mysql://x", &err));
    assert_int_equal(err.code, TARS_EINVAL);

    st = open_at(path); /* an empty file: no tables */
    tars_store_close(st);
    st = tars_bench_store_open(url, &err);
    assert_non_null(st);
    assert_int_equal(tars_bench_open(st, 1, &b, &err), TARS_ENOTFOUND);
    assert_null(b);
    assert_int_equal(tars_store_migrate(st, NULL, &err), 0);
    assert_int_equal(tars_bench_open(st, 1, &b, &err), 0);
    assert_int_equal(tars_bench_evaluations(b), 0);
    tars_bench_free(b);
    tars_store_close(st);
}

static void test_family_names(void **state)
{
    (void)state;
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++) {
        assert_int_equal(tars_bench_family_by_name(tars_bench_family_name(f)), f);
        assert_non_null(tars_bench_family_summary(f));
        assert_non_null(tars_bench_family_indexes(f)[0]);
    }
    assert_int_equal(tars_bench_family_by_name("nope"), -1);
    assert_null(tars_bench_family_name(-1));
    assert_true(tars_bench_default_threshold_ms(TARS_BENCH_MULTI_REGION) == 200);
    assert_true(tars_bench_default_threshold_ms(TARS_BENCH_API_KEY_LOOKUP) == 5);
    assert_true(tars_bench_default_threshold_ms(TARS_BENCH_TEMPORAL) == 100);
}

static int group_setup(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(temp_dir, sizeof(temp_dir), "%s/tars-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    char path[600];
    struct dirent *e;
    DIR *d = opendir(temp_dir);

    (void)state;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", temp_dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(temp_dir);
    return 0;
}

/* The table every threshold evaluator gets (tars_bench_judge): no data, an
 * empty list, NaN, +Inf, -Inf, exactly at the limit, a peer error. No data
 * is never a pass and never a silent fail: NO_DATA with a reason. */
enum judge_input { J_NOTHING, J_EMPTY_HIST, J_AT_LIMIT, J_NO_INDEX, J_NO_ROWS };

static void judge_input(struct tars_bench_result *r, enum judge_input in)
{
    memset(r, 0, sizeof(*r));
    r->family = TARS_BENCH_TEMPORAL;
    snprintf(r->plan.table, sizeof(r->plan.table), "evaluations");
    r->plan.uses_index = in != J_NO_INDEX;
    if (in == J_NOTHING)
        return; /* no histogram at all */
    r->hist = tars_hist_new();
    if (in == J_EMPTY_HIST)
        return;
    tars_hist_record_n(r->hist, 80000000, 100); /* every execution 80 ms */
    r->iterations = 100;
    r->rows = in == J_NO_ROWS ? 0 : 500;
}

static void test_bench_judge_table(void **state)
{
    static const struct row {
        enum judge_input in;
        const char *query_error;
        int64_t table_rows;
        double limit_ms;
        enum tars_judgement expect;
        const char *reason;
    } rows[] = {
        {J_NOTHING, NULL, 1000, 100, TARS_JUDGE_NO_DATA, "no execution was timed"},
        {J_EMPTY_HIST, NULL, 1000, 100, TARS_JUDGE_NO_DATA, "no execution was timed"},
        {J_EMPTY_HIST, NULL, 0, 100, TARS_JUDGE_NO_DATA, "table evaluations is empty"},
        {J_AT_LIMIT, NULL, 1000, NAN, TARS_JUDGE_NO_DATA, "the limit is NaN"},
        {J_AT_LIMIT, NULL, 1000, INFINITY, TARS_JUDGE_NO_DATA, "the limit is +Inf"},
        {J_AT_LIMIT, NULL, 1000, -INFINITY, TARS_JUDGE_NO_DATA, "the limit is -Inf"},
        {J_AT_LIMIT, NULL, 1000, 80, TARS_JUDGE_PASS, ""},
        {J_AT_LIMIT, NULL, 1000, 79.999, TARS_JUDGE_FAIL, "is over the 79.999 ms limit"},
        {J_AT_LIMIT, "connection reset by peer", 1000, 100, TARS_JUDGE_NO_DATA,
         "query failed: connection reset by peer"},
        {J_NO_INDEX, NULL, 1000, 100, TARS_JUDGE_FAIL, "the plan does not search evaluations"},
        {J_NO_ROWS, NULL, 1000, 100, TARS_JUDGE_NO_DATA, "no execution returned a row"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct tars_bench_result r;
        char reason[512];
        double p95;
        enum tars_judgement j;
        judge_input(&r, rows[i].in);
        j = tars_bench_judge(&r, rows[i].query_error, rows[i].table_rows, rows[i].limit_ms, &p95,
                             reason, sizeof(reason));
        if (j != rows[i].expect || !strstr(reason, rows[i].reason))
            fail_msg("row %zu: %s \"%s\", expected %s \"%s\"", i, tars_judgement_name(j), reason,
                     tars_judgement_name(rows[i].expect), rows[i].reason);
        if (rows[i].in == J_NOTHING || rows[i].in == J_EMPTY_HIST)
            assert_true(isnan(p95));
        tars_bench_result_release(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),           cmocka_unit_test(test_seed_deterministic),
        cmocka_unit_test(test_seed_shape),    cmocka_unit_test(test_seed_refusals),
        cmocka_unit_test(test_seed_stops),    cmocka_unit_test(test_plan_sqlite),
        cmocka_unit_test(test_plan_postgres), cmocka_unit_test(test_family_params),
        cmocka_unit_test(test_bench_runs),    cmocka_unit_test(test_bench_open_errors),
        cmocka_unit_test(test_family_names),  cmocka_unit_test(test_bench_judge_table),
    };
    return cmocka_run_group_tests_name("store_bench", tests, group_setup, group_teardown);
}
