/*
 * Filling a database with realistic volumes and timing its query families
 * (`tars db-seed`, `tars db-bench`; docs/db-bench.md). Part of lib/store, the
 * only module that knows SQL; the same rules as tars/store.h apply.
 *
 * Seeding is deterministic: the same options (seed, counts, now_ms) give the
 * same rows, byte for byte, on either backend. The checksum of what was
 * written (tars_seed_result.checksum) equals tars_store_seed_checksum of the
 * database afterwards, so a test can prove both.
 *
 * The benchmark runs the query families of docs/db-bench.md with parameters drawn
 * from the data itself (its agents, regions, newest evaluation, API key
 * hashes) by a seeded generator, records each execution's time in a
 * histogram, and reads each family's plan (EXPLAIN QUERY PLAN on SQLite,
 * EXPLAIN (FORMAT JSON) on PostgreSQL) to tell whether it uses the index it
 * needs. It only reads.
 */
#ifndef TARS_STORE_BENCH_H
#define TARS_STORE_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"
#include "tars/hist.h"
#include "tars/judge.h"
#include "tars/store.h"

/* ---- db-seed ---- */

#define TARS_SEED_MAX_ROWS 100000000
#define TARS_SEED_MAX_AGENTS 1000
#define TARS_SEED_MAX_REGIONS 14
#define TARS_SEED_DAYS 30

/* Returns non-zero to stop after the batch just committed (SIGINT). */
typedef int (*tars_seed_progress_fn)(void *ctx, int64_t done, int64_t total);

struct tars_seed_options {
    uint64_t seed;
    int64_t rows;                   /* evaluations, 1..TARS_SEED_MAX_ROWS */
    int agents;                     /* 1..TARS_SEED_MAX_AGENTS */
    int regions;                    /* 1..TARS_SEED_MAX_REGIONS */
    int64_t missions;               /* >= 0 */
    int64_t api_keys;               /* >= 0 */
    int64_t batch;                  /* rows per COPY (PostgreSQL), rows per progress call (both) */
    int64_t now_ms;                 /* the newest time; rows span the TARS_SEED_DAYS before it */
    tars_seed_progress_fn progress; /* may be NULL; called after each batch */
    void *progress_ctx;
};

struct tars_seed_result {
    int64_t agents, evaluations, missions, api_keys; /* rows written */
    bool stopped;                                    /* the progress callback asked to stop */
    uint64_t checksum; /* of every row written, in the order of tars_store_seed_checksum */
};

/* Defaults: seed 1, 100000 rows, 20 agents, 4 regions, missions rows/20 and
 * API keys rows/100 (at least 1000 each), batch 50000, now_ms = now. */
void tars_seed_defaults(struct tars_seed_options *o);
/* The defaults that depend on rows: call after changing rows when missions
 * or api_keys were not given. */
int64_t tars_seed_default_missions(int64_t rows);
int64_t tars_seed_default_api_keys(int64_t rows);

/* Applies the migrations, refuses (TARS_ECONFLICT) a database that already
 * holds evaluations, missions or API keys, then writes the rows. SQLite: one
 * transaction, secondary indexes of the seeded tables dropped and built
 * again at the end, one reused prepared statement per table, rollback
 * journal, synchronous OFF and a larger cache only while seeding (WAL and
 * FULL restored). PostgreSQL: COPY FROM STDIN per batch. Ends with ANALYZE. */
int tars_store_seed(tars_store *st, const struct tars_seed_options *o, struct tars_seed_result *out,
                    struct tars_err *err) TARS_MUST_CHECK;

/* FNV-1a 64 over agents, evaluations, missions and api_keys rows (ordered by
 * id) as tars_store_seed writes them: the same on both backends. */
int tars_store_seed_checksum(tars_store *st, uint64_t *out, struct tars_err *err) TARS_MUST_CHECK;

/* ---- db-bench ---- */

enum tars_bench_family {
    TARS_BENCH_AGENT_EVALUATIONS,
    TARS_BENCH_REWARD_AGGREGATION,
    TARS_BENCH_TEMPORAL,
    TARS_BENCH_MULTI_REGION,
    TARS_BENCH_ACTIVE_MISSIONS,
    TARS_BENCH_API_KEY_LOOKUP,
    TARS_BENCH_FAMILY_COUNT
};

/* "agent_evaluations", ...; NULL out of range. */
const char *tars_bench_family_name(int family);
/* The family of that name, or -1. */
int tars_bench_family_by_name(const char *name);
/* p95 targets of docs/db-bench.md: 100 ms, multi-region 200 ms, API key 5 ms. */
double tars_bench_default_threshold_ms(int family);
/* One line on what the family asks, for help and docs. */
const char *tars_bench_family_summary(int family);
/* The indexes that serve the family's query (NULL-terminated). */
const char *const *tars_bench_family_indexes(int family);

#define TARS_BENCH_DETAIL_MAX 1024

struct tars_bench_plan {
    bool uses_index;                    /* an expected index, and no full scan of the table */
    char index[TARS_NAME_MAX];          /* the first index the plan reads the table by, or "" */
    char table[TARS_ID_MAX];            /* the table the family reads */
    char detail[TARS_BENCH_DETAIL_MAX]; /* the plan, one step per "; " */
};

struct tars_bench_result {
    int family;
    int iterations;  /* executions timed */
    int64_t rows;    /* rows returned by all of them together */
    tars_hist *hist; /* execution times in ns; owned (tars_bench_result_release) */
    struct tars_bench_plan plan;
};
void tars_bench_result_release(struct tars_bench_result *r);

typedef struct tars_bench tars_bench;

/* tars_store_open for a database that must already exist: a SQLite file
 * that is not there is TARS_EINVAL ("no such database file"), not created. */
tars_store *tars_bench_store_open(const char *url, struct tars_err *err);

/* Reads what parameters are drawn from. TARS_ENOTFOUND when the database
 * has no evaluations table (not a tars database, or not migrated). */
int tars_bench_open(tars_store *st, uint64_t seed, tars_bench **out,
                    struct tars_err *err) TARS_MUST_CHECK;
void tars_bench_free(tars_bench *b);
/* Row counts seen by tars_bench_open. */
int64_t tars_bench_evaluations(const tars_bench *b);
int64_t tars_bench_table_rows(const tars_bench *b, int family);

/* Once *stop is non-zero (a caller's signal handler sets it), tars_bench_run
 * times no more executions: out->iterations says how many were. */
void tars_bench_set_stop(tars_bench *b, const volatile sig_atomic_t *stop);
/* Reads the family's plan (with its first parameters), then runs it once
 * untimed (warm-up, statement preparation) and iterations times timed. */
int tars_bench_run(tars_bench *b, int family, int iterations, struct tars_bench_result *out,
                   struct tars_err *err) TARS_MUST_CHECK;

/* Judges one family's run (r) against its p95 limit in ms; writes the p95
 * measured (ms, NaN when nothing was timed) and, unless it passed, the
 * reason into reason (cap bytes). The rule, in order:
 *   query_error non-NULL (the database failed the query)  NO_DATA
 *   table_rows == 0 (nothing to search)                    NO_DATA
 *   the plan does not search the table by its index       FAIL
 *   no execution timed, or p95 or limit NaN or infinite    NO_DATA
 *   p95 > limit                                            FAIL (at the limit passes)
 *   no execution returned a row                            NO_DATA
 *   otherwise                                              PASS
 * No data is never a pass: NO_DATA is reported as inconclusive (exit 2). */
enum tars_judgement tars_bench_judge(const struct tars_bench_result *r, const char *query_error,
                                     int64_t table_rows, double limit_ms, double *p95_ms,
                                     char *reason, size_t cap);

/* Plan readers, public for tests. expected is a NULL-terminated list of the
 * index names that serve the query.
 * SQLite: lines are EXPLAIN QUERY PLAN "detail" texts separated by '\n'
 * ("SEARCH evaluations USING INDEX idx_x (agent_id=?)"). A SEARCH of table by
 * a listed index counts; any SCAN of table (even through an index, which
 * reads all of it) or an AUTOMATIC index does not. */
void tars_bench_plan_sqlite(const char *table, const char *const *expected, const char *lines,
                            struct tars_bench_plan *out);
/* PostgreSQL: json is the text of EXPLAIN (FORMAT JSON). Index Scan, Index
 * Only Scan and Bitmap Index Scan nodes on a listed index count; a Seq Scan
 * of table does not. TARS_EINVAL when json is not such a plan. */
int tars_bench_plan_postgres(const char *table, const char *const *expected, const char *json,
                             struct tars_bench_plan *out, struct tars_err *err) TARS_MUST_CHECK;

#endif
