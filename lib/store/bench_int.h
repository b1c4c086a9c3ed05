/* Internals of db-seed and db-bench shared by lib/store and its tests. */
#ifndef TARS_STORE_BENCH_INT_H
#define TARS_STORE_BENCH_INT_H

#include <stdint.h>

#include "db.h"
#include "tars/store_bench.h"

/* xoshiro256** seeded through splitmix64: the same seed gives the same
 * sequence on every machine (the seed and the benchmark depend on it). */
struct store_rng {
    uint64_t s[4];
};
void store_rng_init(struct store_rng *r, uint64_t seed);
uint64_t store_rng_next(struct store_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t store_rng_below(struct store_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double store_rng_unit(struct store_rng *r);

/* One execution's parameters for a family's query. Text values point into
 * the bench context or into text[]. */
struct bench_params {
    struct db_value v[DB_MAX_PARAMS];
    int n;
    char text[TARS_HASH_MAX];
};

#define BENCH_MAX_AGENTS 1000
#define BENCH_MAX_REGIONS TARS_SEED_MAX_REGIONS
#define BENCH_MAX_KEYS 1000
#define BENCH_SQL_MAX 1024

/* What parameters are drawn from (filled by tars_bench_open, or by a test). */
struct bench_data {
    int64_t newest;                             /* newest evaluation time (ms) */
    char agents[BENCH_MAX_AGENTS][TARS_ID_MAX]; /* distinct agent ids */
    int agent_count;
    char regions[BENCH_MAX_REGIONS][TARS_ID_MAX]; /* distinct regions */
    int region_count;
    char (*key_hashes)[TARS_HASH_MAX]; /* active API key hashes, heap */
    int key_count;
};

struct tars_bench {
    tars_store *st;
    struct store_rng rng;
    struct bench_data data;
    int64_t table_rows[TARS_BENCH_FAMILY_COUNT]; /* rows of each family's table */
    const volatile sig_atomic_t *stop;           /* tars_bench_set_stop; may be NULL */
};

/* The table the family reads. */
const char *bench_family_table(int family);
/* The family's SQL: static text, or for multi_region (its IN list has one
 * parameter per region) written into buf. */
const char *bench_family_sql(int family, const struct bench_data *d, char *buf, size_t size);
/* Draws one execution's parameters. */
void bench_family_params(int family, const struct bench_data *d, struct store_rng *rng,
                         struct bench_params *p);

#endif
