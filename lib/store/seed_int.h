/* Internals of tars_store_seed: the row generator, the checksum and the
 * backend sinks (seed.c, seed_sqlite.c, seed_postgres.c; and tests). */
#ifndef TARS_STORE_SEED_INT_H
#define TARS_STORE_SEED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_int.h"
#include "store_int.h"

struct seed_evaluation {
    char id[32];
    char agent_id[TARS_ID_MAX];
    char region[TARS_ID_MAX];
    const char *status;
    bool has_reward;
    double reward;
    int64_t duration_ms; /* -1 = NULL */
    int64_t created_at;  /* also the timestamp column */
    int64_t updated_at;
};

struct seed_mission {
    char id[32];
    char name[48];
    const char *status;
    char agent_id[TARS_ID_MAX];
    int64_t created_at; /* also updated_at */
};

struct seed_api_key {
    char id[32];
    char user_id[32];
    char service_name[32];
    const char *role;
    char key_hash[72];
    int64_t created_at;
    int64_t expires_at; /* 0 = NULL */
    int64_t revoked_at; /* 0 = NULL */
};

struct seed_gen {
    struct tars_seed_options o;
    struct store_rng rng;
    int64_t start; /* the oldest time */
};

void seed_gen_init(struct seed_gen *g, const struct tars_seed_options *o);
void seed_gen_agent(struct seed_gen *g, int i, struct tars_agent *a);
void seed_gen_evaluation(struct seed_gen *g, int64_t i, struct seed_evaluation *e);
void seed_gen_mission(struct seed_gen *g, int64_t i, struct seed_mission *m);
void seed_gen_api_key(struct seed_gen *g, int64_t i, struct seed_api_key *k);
const char *seed_region_name(int i);
void seed_agent_id(int i, char *out, size_t size);

/* FNV-1a 64 pieces; *h starts at the FNV offset basis. */
void seed_sum_bytes(uint64_t *h, const void *data, size_t len);
void seed_sum_text(uint64_t *h, const char *s); /* NULL allowed */
void seed_sum_int(uint64_t *h, bool null, int64_t v);
void seed_sum_real(uint64_t *h, bool null, double v);
void seed_sum_evaluation(uint64_t *h, const struct seed_evaluation *e);
void seed_sum_mission(uint64_t *h, const struct seed_mission *m);
void seed_sum_api_key(uint64_t *h, const struct seed_api_key *k);

enum seed_table { SEED_EVALUATIONS, SEED_MISSIONS, SEED_API_KEYS, SEED_TABLES };

/* A backend's writer. begin starts a batch of table's rows (BEGIN, or
 * COPY), row writes one (a struct seed_evaluation, seed_mission or
 * seed_api_key), end finishes the batch: commits when ok, else abandons it. */
struct seed_sink {
    int (*begin)(struct seed_sink *s, enum seed_table t, struct tars_err *err);
    int (*row)(struct seed_sink *s, enum seed_table t, const void *row, struct tars_err *err);
    int (*end)(struct seed_sink *s, enum seed_table t, bool ok, struct tars_err *err);
};

/* Generates and writes every row through sink (agents first, one by one). */
int seed_run(tars_store *st, struct seed_sink *sink, const struct tars_seed_options *o,
             struct tars_seed_result *out, struct tars_err *err);

int seed_sqlite(tars_store *st, const struct tars_seed_options *o, struct tars_seed_result *out,
                struct tars_err *err);
int seed_postgres(tars_store *st, const struct tars_seed_options *o, struct tars_seed_result *out,
                  struct tars_err *err);

#endif
