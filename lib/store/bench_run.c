/*
 * tars db-bench, running: what the parameters are drawn from, the plan of
 * each family, the timed executions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_int.h"
#include "store_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/str.h"

tars_store *tars_bench_store_open(const char *url, struct tars_err *err)
{
    const char *path;

    if (url && !db_url_is_postgres(url)) {
        if (db_sqlite_path(url, &path, err))
            return NULL;
        if (access(path, F_OK) != 0) {
            tars_err_set(err, TARS_EINVAL, "no such database file \"%s\"", path);
            return NULL;
        }
    }
    return tars_store_open(url, err);
}

/* ---- open: the data parameters come from ---- */

struct text_list {
    char *base;
    size_t stride;
    int max;
    int *count;
};

static int collect_text(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct text_list *l = ctx;
    const char *s = db_get_text(row, 0);
    (void)err;

    if (*l->count >= l->max)
        return DB_STOP;
    if (!s || strlen(s) >= l->stride)
        return 0; /* a value too long to be one of ours: not a parameter */
    memcpy(l->base + (size_t)*l->count * l->stride, s, strlen(s) + 1);
    (*l->count)++;
    return 0;
}

static int has_evaluations_table(tars_store *st, bool *yes, struct tars_err *err)
{
    const char *sql = st->db->kind == TARS_STORE_SQLITE
                          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'evaluations'"
                          : "SELECT COUNT(*) FROM information_schema.tables "
                            "WHERE table_schema = current_schema() AND table_name = 'evaluations'";
    int64_t n;
    int rc = db_query_int(st->db, sql, NULL, 0, &n, err);

    *yes = n > 0;
    return rc;
}

static int count_rows(tars_bench *b, struct tars_err *err)
{
    int64_t evaluations, missions = 0, keys = 0;
    int rc = tars_store_count(b->st, "evaluations", &evaluations, err);

    if (!rc)
        rc = tars_store_count(b->st, "missions", &missions, err);
    if (!rc)
        rc = tars_store_count(b->st, "api_keys", &keys, err);
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++) {
        const char *t = bench_family_table(f);
        b->table_rows[f] = strcmp(t, "missions") == 0   ? missions
                           : strcmp(t, "api_keys") == 0 ? keys
                                                        : evaluations;
    }
    return rc;
}

static int load_lists(tars_bench *b, struct tars_err *err)
{
    struct bench_data *d = &b->data;
    struct text_list agents = {&d->agents[0][0], TARS_ID_MAX, BENCH_MAX_AGENTS, &d->agent_count};
    struct text_list regions = {&d->regions[0][0], TARS_ID_MAX, BENCH_MAX_REGIONS,
                                &d->region_count};
    struct text_list keys = {NULL, TARS_HASH_MAX, BENCH_MAX_KEYS, &d->key_count};
    int rc;

    rc =
        db_query_int(b->st->db, "SELECT MAX(timestamp) FROM evaluations", NULL, 0, &d->newest, err);
    if (!rc)
        rc = db_query(b->st->db, "SELECT DISTINCT agent_id FROM evaluations ORDER BY agent_id",
                      NULL, 0, collect_text, &agents, err);
    if (!rc)
        rc = db_query(b->st->db, "SELECT DISTINCT region FROM evaluations ORDER BY region", NULL, 0,
                      collect_text, &regions, err);
    d->key_hashes = xcalloc(BENCH_MAX_KEYS, sizeof(*d->key_hashes));
    keys.base = &d->key_hashes[0][0];
    if (!rc)
        rc = db_query(b->st->db,
                      "SELECT key_hash FROM api_keys WHERE revoked_at IS NULL "
                      "ORDER BY key_hash LIMIT 1000",
                      NULL, 0, collect_text, &keys, err);
    return rc;
}

int tars_bench_open(tars_store *st, uint64_t seed, tars_bench **out, struct tars_err *err)
{
    tars_bench *b;
    bool exists;
    int rc;

    *out = NULL;
    rc = has_evaluations_table(st, &exists, err);
    if (rc)
        return rc;
    if (!exists)
        return tars_err_set(err, TARS_ENOTFOUND,
                            "the database has no evaluations table (not a tars database, or "
                            "never migrated)");
    b = xcalloc(1, sizeof(*b));
    b->st = st;
    store_rng_init(&b->rng, seed);
    rc = count_rows(b, err);
    if (!rc)
        rc = load_lists(b, err);
    if (rc) {
        tars_bench_free(b);
        return rc;
    }
    *out = b;
    return TARS_OK;
}

void tars_bench_free(tars_bench *b)
{
    if (!b)
        return;
    free(b->data.key_hashes);
    free(b);
}

int64_t tars_bench_evaluations(const tars_bench *b)
{
    return b->table_rows[TARS_BENCH_AGENT_EVALUATIONS];
}

int64_t tars_bench_table_rows(const tars_bench *b, int family)
{
    return family >= 0 && family < TARS_BENCH_FAMILY_COUNT ? b->table_rows[family] : 0;
}

/* ---- plans ---- */

struct plan_text {
    char text[8192];
    size_t len;
    int column;
};

static int collect_plan(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct plan_text *p = ctx;
    const char *s = db_get_text(row, p->column);
    int n;
    (void)err;

    n = snprintf(p->text + p->len, sizeof(p->text) - p->len, "%s%s", p->len ? "\n" : "",
                 s ? s : "");
    if (n > 0)
        p->len = p->len + (size_t)n < sizeof(p->text) ? p->len + (size_t)n : sizeof(p->text) - 1;
    return 0;
}

static int explain(tars_bench *b, int family, const char *sql, const struct bench_params *p,
                   struct tars_bench_plan *plan, struct tars_err *err)
{
    bool pg = b->st->db->kind == TARS_STORE_POSTGRES;
    struct plan_text *text = xcalloc(1, sizeof(*text));
    char *query = xmalloc(BENCH_SQL_MAX + 64);
    int rc;

    snprintf(query, BENCH_SQL_MAX + 64, "%s%s",
             pg ? "EXPLAIN (FORMAT JSON) " : "EXPLAIN QUERY PLAN ", sql);
    text->column = pg ? 0 : 3; /* SQLite: id, parent, notused, detail */
    rc = db_query_fresh(b->st->db, query, p->v, p->n, collect_plan, text, err);
    if (!rc && pg)
        rc = tars_bench_plan_postgres(bench_family_table(family), tars_bench_family_indexes(family),
                                      text->text, plan, err);
    else if (!rc)
        tars_bench_plan_sqlite(bench_family_table(family), tars_bench_family_indexes(family),
                               text->text, plan);
    free(query);
    free(text);
    return rc;
}

/* ---- timed executions ---- */

static int count_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    (void)row;
    (void)err;
    (*(int64_t *)ctx)++;
    return 0;
}

void tars_bench_result_release(struct tars_bench_result *r)
{
    if (!r)
        return;
    tars_hist_free(r->hist);
    r->hist = NULL;
}

void tars_bench_set_stop(tars_bench *b, const volatile sig_atomic_t *stop)
{
    b->stop = stop;
}

int tars_bench_run(tars_bench *b, int family, int iterations, struct tars_bench_result *out,
                   struct tars_err *err)
{
    char buf[BENCH_SQL_MAX];
    struct bench_params p;
    const char *sql;
    int64_t warm = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->family = family;
    if (family < 0 || family >= TARS_BENCH_FAMILY_COUNT || iterations < 1)
        return tars_err_set(err, TARS_EINVAL, "bad family %d or iterations %d", family, iterations);
    out->hist = tars_hist_new();
    sql = bench_family_sql(family, &b->data, buf, sizeof(buf));
    bench_family_params(family, &b->data, &b->rng, &p);
    rc = explain(b, family, sql, &p, &out->plan, err);
    if (!rc)
        rc = db_query(b->st->db, sql, p.v, p.n, count_row, &warm, err);
    for (int i = 0; !rc && i < iterations && !(b->stop && *b->stop); i++) {
        uint64_t start;
        bench_family_params(family, &b->data, &b->rng, &p);
        start = tars_mono_ns();
        rc = db_query(b->st->db, sql, p.v, p.n, count_row, &out->rows, err);
        if (!rc) {
            tars_hist_record(out->hist, tars_mono_ns() - start);
            out->iterations++;
        }
    }
    if (rc)
        tars_err_prefix(err, tars_bench_family_name(family));
    return rc;
}
