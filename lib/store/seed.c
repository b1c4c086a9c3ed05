/*
 * tars db-seed: deterministic rows in bulk. One generator makes the rows
 * (a pure function of the options: one random sequence consumed in row
 * order); a sink per backend writes them: SQLite
 * through reused prepared statements in one transaction per batch,
 * PostgreSQL through COPY FROM STDIN. Every row also goes into a running
 * FNV-1a checksum in the order tars_store_seed_checksum reads them back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_int.h"
#include "seed_int.h"
#include "store_int.h"
#include "tars/clock.h"
#include "tars/rng.h"

#define DAY_MS INT64_C(86400000)
#define HOUR_MS INT64_C(3600000)

/* ---- random numbers ---- */

void store_rng_init(struct store_rng *r, uint64_t seed)
{
    tars_rng_seed(r->s, seed);
}

uint64_t store_rng_next(struct store_rng *r)
{
    return tars_rng_next(r->s);
}

/* Modulo bias is below n / 2^64: nothing a benchmark could notice. */
uint64_t store_rng_below(struct store_rng *r, uint64_t n)
{
    return store_rng_next(r) % n;
}

double store_rng_unit(struct store_rng *r)
{
    return tars_rng_unit(r->s);
}

/* ---- checksum ---- */

void seed_sum_bytes(uint64_t *h, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++) {
        *h ^= p[i];
        *h *= UINT64_C(1099511628211);
    }
}

void seed_sum_text(uint64_t *h, const char *s)
{
    static const unsigned char null_mark = 0xff, end = 0x1f;

    if (!s) {
        seed_sum_bytes(h, &null_mark, 1);
        return;
    }
    seed_sum_bytes(h, s, strlen(s));
    seed_sum_bytes(h, &end, 1);
}

/* Little-endian bytes, so the sum is the same on every machine. */
void seed_sum_int(uint64_t *h, bool null, int64_t v)
{
    unsigned char b[8];
    uint64_t u = (uint64_t)v;

    if (null) {
        seed_sum_text(h, NULL);
        return;
    }
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    seed_sum_bytes(h, b, sizeof(b));
}

void seed_sum_real(uint64_t *h, bool null, double v)
{
    int64_t bits;

    memcpy(&bits, &v, sizeof(bits));
    seed_sum_int(h, null, bits);
}

void seed_sum_evaluation(uint64_t *h, const struct seed_evaluation *e)
{
    seed_sum_text(h, e->id);
    seed_sum_text(h, e->agent_id);
    seed_sum_text(h, e->region);
    seed_sum_text(h, e->status);
    seed_sum_real(h, !e->has_reward, e->reward);
    seed_sum_int(h, e->duration_ms < 0, e->duration_ms);
    seed_sum_int(h, false, e->created_at);
    seed_sum_int(h, false, e->updated_at);
}

void seed_sum_mission(uint64_t *h, const struct seed_mission *m)
{
    seed_sum_text(h, m->id);
    seed_sum_text(h, m->name);
    seed_sum_text(h, m->status);
    seed_sum_text(h, m->agent_id);
    seed_sum_int(h, false, m->created_at);
}

void seed_sum_api_key(uint64_t *h, const struct seed_api_key *k)
{
    seed_sum_text(h, k->id);
    seed_sum_text(h, k->user_id);
    seed_sum_text(h, k->service_name);
    seed_sum_text(h, k->role);
    seed_sum_text(h, k->key_hash);
    seed_sum_int(h, false, k->created_at);
    seed_sum_int(h, k->expires_at == 0, k->expires_at);
    seed_sum_int(h, k->revoked_at == 0, k->revoked_at);
}

/* ---- the generator ---- */

static const char *const region_names[TARS_SEED_MAX_REGIONS] = {
    "us-east-1",      "us-west-2",  "eu-west-1",    "eu-central-1", "ap-southeast-1",
    "ap-northeast-1", "sa-east-1",  "ca-central-1", "us-east-2",    "us-west-1",
    "eu-north-1",     "ap-south-1", "me-south-1",   "af-south-1",
};
static const char *const agent_types[] = {"DQN", "A2C", "PPO", "DDPG"};
static const char *const roles[] = {"viewer", "developer", "admin"};

const char *seed_region_name(int i)
{
    return region_names[i % TARS_SEED_MAX_REGIONS];
}

void seed_agent_id(int i, char *out, size_t size)
{
    snprintf(out, size, "agent-%04d", i + 1);
}

void seed_gen_init(struct seed_gen *g, const struct tars_seed_options *o)
{
    memset(g, 0, sizeof(*g));
    g->o = *o;
    store_rng_init(&g->rng, o->seed);
    g->start = o->now_ms - TARS_SEED_DAYS * DAY_MS;
}

/* The i-th of n times spread evenly over the span, with jitter inside its
 * slot, so rows come out in time order (and insert at the index's end). */
static int64_t slot_time(struct seed_gen *g, int64_t i, int64_t n)
{
    int64_t span = TARS_SEED_DAYS * DAY_MS;
    int64_t slot = span / n;
    int64_t t = g->start + span * i / n; /* span * i < 2^63 for every allowed i */

    if (slot > 1)
        t += (int64_t)store_rng_below(&g->rng, (uint64_t)slot);
    return t < g->o.now_ms ? t : g->o.now_ms;
}

static const char *evaluation_status(struct seed_gen *g, int64_t created)
{
    uint64_t u = store_rng_below(&g->rng, 1000);
    bool recent = g->o.now_ms - created < 2 * HOUR_MS;

    if (u < 850)
        return "completed";
    if (u < 900)
        return "error";
    if (u < 980)
        return recent ? (u < 930 ? "running" : "pending") : "completed";
    return "deleted";
}

void seed_gen_evaluation(struct seed_gen *g, int64_t i, struct seed_evaluation *e)
{
    int agent = (int)store_rng_below(&g->rng, (uint64_t)g->o.agents);
    bool finished;

    snprintf(e->id, sizeof(e->id), "ev-%010" PRId64, i + 1);
    seed_agent_id(agent, e->agent_id, sizeof(e->agent_id));
    snprintf(e->region, sizeof(e->region), "%s",
             seed_region_name((int)store_rng_below(&g->rng, (uint64_t)g->o.regions)));
    e->created_at = slot_time(g, i, g->o.rows);
    e->status = evaluation_status(g, e->created_at);
    finished = strcmp(e->status, "running") != 0 && strcmp(e->status, "pending") != 0;
    e->has_reward = finished && strcmp(e->status, "error") != 0;
    e->reward = 0;
    if (e->has_reward) {
        double mean = 0.2 + 0.6 * (double)(agent % 7) / 6.0;
        double noise = store_rng_unit(&g->rng) + store_rng_unit(&g->rng) - 1.0;
        e->reward = (double)(int64_t)((mean + 0.3 * noise) * 10000.0) / 10000.0;
    }
    e->duration_ms = -1;
    if (finished) {
        e->duration_ms = 20 + (int64_t)store_rng_below(&g->rng, 200);
        if (store_rng_below(&g->rng, 100) < 10)
            e->duration_ms += (int64_t)store_rng_below(&g->rng, 5000);
    }
    e->updated_at = e->created_at + (e->duration_ms > 0 ? e->duration_ms : 0);
}

void seed_gen_mission(struct seed_gen *g, int64_t i, struct seed_mission *m)
{
    uint64_t u = store_rng_below(&g->rng, 100);

    snprintf(m->id, sizeof(m->id), "mission-%08" PRId64, i + 1);
    snprintf(m->name, sizeof(m->name), "seeded mission %" PRId64, i + 1);
    m->status = u < 30 ? "active" : u < 40 ? "pending" : u < 90 ? "completed" : "failed";
    seed_agent_id((int)store_rng_below(&g->rng, (uint64_t)g->o.agents), m->agent_id,
                  sizeof(m->agent_id));
    m->created_at = slot_time(g, i, g->o.missions);
}

void seed_gen_api_key(struct seed_gen *g, int64_t i, struct seed_api_key *k)
{
    static const char hex[] = "0123456789abcdef";
    char *p;

    snprintf(k->id, sizeof(k->id), "seed-key-%06" PRId64, i + 1);
    snprintf(k->user_id, sizeof(k->user_id), "user-%04" PRId64, i % 200 + 1);
    snprintf(k->service_name, sizeof(k->service_name), "service-%06" PRId64, i + 1);
    k->role = roles[store_rng_below(&g->rng, 3)];
    memcpy(k->key_hash, "sha256:", 7);
    p = k->key_hash + 7;
    for (int w = 0; w < 4; w++) {
        uint64_t x = store_rng_next(&g->rng);
        for (int j = 0; j < 16; j++, x >>= 4)
            *p++ = hex[x & 15];
    }
    *p = '\0';
    k->created_at = slot_time(g, i, g->o.api_keys);
    k->expires_at = store_rng_below(&g->rng, 10) < 3 ? k->created_at + 90 * DAY_MS : 0;
    k->revoked_at = store_rng_below(&g->rng, 10) < 1 ? k->created_at + DAY_MS : 0;
}

void seed_gen_agent(struct seed_gen *g, int i, struct tars_agent *a)
{
    memset(a, 0, sizeof(*a));
    seed_agent_id(i, a->id, sizeof(a->id));
    snprintf(a->type, sizeof(a->type), "%s", agent_types[i % 4]);
    snprintf(a->name, sizeof(a->name), "seeded %s agent %d", a->type, i + 1);
    snprintf(a->status, sizeof(a->status), "%s", i % 10 == 9 ? "paused" : "active");
    snprintf(a->region, sizeof(a->region), "%s", seed_region_name(i % g->o.regions));
    a->state_dim = 8 + i % 24;
    a->action_dim = 2 + i % 6;
    a->updated_at = g->o.now_ms;
}

/* ---- options ---- */

int64_t tars_seed_default_missions(int64_t rows)
{
    return rows / 20 > 1000 ? rows / 20 : 1000;
}

int64_t tars_seed_default_api_keys(int64_t rows)
{
    return rows / 100 > 1000 ? rows / 100 : 1000;
}

void tars_seed_defaults(struct tars_seed_options *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->rows = 100000;
    o->agents = 20;
    o->regions = 4;
    o->missions = tars_seed_default_missions(o->rows);
    o->api_keys = tars_seed_default_api_keys(o->rows);
    o->batch = 50000;
    o->now_ms = tars_wall_ms();
}

static int check_options(const struct tars_seed_options *o, struct tars_err *err)
{
    if (o->rows < 1 || o->rows > TARS_SEED_MAX_ROWS)
        return tars_err_set(err, TARS_EINVAL, "rows must be 1..%d", TARS_SEED_MAX_ROWS);
    if (o->agents < 1 || o->agents > TARS_SEED_MAX_AGENTS)
        return tars_err_set(err, TARS_EINVAL, "agents must be 1..%d", TARS_SEED_MAX_AGENTS);
    if (o->regions < 1 || o->regions > TARS_SEED_MAX_REGIONS)
        return tars_err_set(err, TARS_EINVAL, "regions must be 1..%d", TARS_SEED_MAX_REGIONS);
    if (o->missions < 0 || o->missions > TARS_SEED_MAX_ROWS || o->api_keys < 0 ||
        o->api_keys > TARS_SEED_MAX_ROWS)
        return tars_err_set(err, TARS_EINVAL, "missions and API keys must be 0..%d",
                            TARS_SEED_MAX_ROWS);
    if (o->batch < 1 || o->batch > 10000000)
        return tars_err_set(err, TARS_EINVAL, "batch must be 1..10000000");
    if (o->now_ms < TARS_SEED_DAYS * DAY_MS)
        return tars_err_set(err, TARS_EINVAL, "now must be a time after 1970-01-31");
    return TARS_OK;
}

/* Seeding adds to nothing: ids would clash, and the volumes would lie. */
static int check_empty(tars_store *st, struct tars_err *err)
{
    static const char *const tables[] = {"evaluations", "missions", "api_keys"};

    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        int64_t n;
        int rc = tars_store_count(st, tables[i], &n, err);
        if (rc)
            return rc;
        if (n > 0)
            return tars_err_set(err, TARS_ECONFLICT,
                                "the database already holds %" PRId64
                                " rows in %s: seed an empty one",
                                n, tables[i]);
    }
    return TARS_OK;
}

int tars_store_seed(tars_store *st, const struct tars_seed_options *o, struct tars_seed_result *out,
                    struct tars_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = check_options(o, err);
    if (!rc)
        rc = tars_store_migrate(st, NULL, err);
    if (!rc)
        rc = check_empty(st, err);
    if (rc)
        return rc;
    out->checksum = UINT64_C(14695981039346656037);
    if (st->db->kind == TARS_STORE_SQLITE)
        return seed_sqlite(st, o, out, err);
    return seed_postgres(st, o, out, err);
}

/* ---- the driver ---- */

struct seed_progress {
    const struct tars_seed_options *o;
    int64_t done, total;
};

union seed_row {
    struct seed_evaluation e;
    struct seed_mission m;
    struct seed_api_key k;
};

static void generate(struct seed_gen *g, enum seed_table t, int64_t i, union seed_row *r,
                     uint64_t *sum)
{
    switch (t) {
    case SEED_EVALUATIONS:
        seed_gen_evaluation(g, i, &r->e);
        seed_sum_evaluation(sum, &r->e);
        break;
    case SEED_MISSIONS:
        seed_gen_mission(g, i, &r->m);
        seed_sum_mission(sum, &r->m);
        break;
    default:
        seed_gen_api_key(g, i, &r->k);
        seed_sum_api_key(sum, &r->k);
        break;
    }
}

/* Writes rows [*written, n) of table t in batches; stops early (true in
 * *stop) when the progress callback asks to. */
static int seed_table(struct seed_gen *g, struct seed_sink *sink, enum seed_table t, int64_t n,
                      int64_t *written, struct seed_progress *pr, struct tars_seed_result *out,
                      struct tars_err *err)
{
    union seed_row row;
    int rc = TARS_OK;

    while (*written < n && !out->stopped) {
        int64_t end = *written + pr->o->batch < n ? *written + pr->o->batch : n;
        int64_t i = *written;
        rc = sink->begin(sink, t, err);
        for (; !rc && i < end; i++) {
            generate(g, t, i, &row, &out->checksum);
            rc = sink->row(sink, t, &row, err);
        }
        if (rc) {
            sink->end(sink, t, false, NULL);
            return rc;
        }
        rc = sink->end(sink, t, true, err);
        if (rc)
            return rc;
        pr->done += end - *written;
        *written = end;
        if (pr->o->progress && pr->o->progress(pr->o->progress_ctx, pr->done, pr->total))
            out->stopped = true;
    }
    return rc;
}

static int seed_agents(tars_store *st, struct seed_gen *g, struct tars_seed_result *out,
                       struct tars_err *err)
{
    for (int i = 0; i < g->o.agents; i++) {
        struct tars_agent a;
        int rc;
        seed_gen_agent(g, i, &a);
        rc = tars_store_agent_put(st, &a, err);
        if (rc)
            return rc;
        out->agents++;
    }
    return TARS_OK;
}

int seed_run(tars_store *st, struct seed_sink *sink, const struct tars_seed_options *o,
             struct tars_seed_result *out, struct tars_err *err)
{
    struct seed_gen g;
    struct seed_progress pr = {o, 0, o->rows + o->missions + o->api_keys};
    int rc;

    seed_gen_init(&g, o);
    rc = seed_agents(st, &g, out, err);
    if (!rc)
        rc = seed_table(&g, sink, SEED_EVALUATIONS, o->rows, &out->evaluations, &pr, out, err);
    if (!rc)
        rc = seed_table(&g, sink, SEED_MISSIONS, o->missions, &out->missions, &pr, out, err);
    if (!rc)
        rc = seed_table(&g, sink, SEED_API_KEYS, o->api_keys, &out->api_keys, &pr, out, err);
    return rc;
}

/* ---- reading the checksum back ---- */

static int sum_evaluation_row(void *ctx, const struct db_row *r, struct tars_err *err)
{
    uint64_t *h = ctx;
    (void)err;

    for (int c = 0; c < 4; c++)
        seed_sum_text(h, db_get_text(r, c));
    seed_sum_real(h, db_is_null(r, 4), db_get_real(r, 4));
    for (int c = 5; c < 8; c++)
        seed_sum_int(h, db_is_null(r, c), db_get_int(r, c));
    return 0;
}

static int sum_mission_row(void *ctx, const struct db_row *r, struct tars_err *err)
{
    uint64_t *h = ctx;
    (void)err;

    for (int c = 0; c < 4; c++)
        seed_sum_text(h, db_get_text(r, c));
    seed_sum_int(h, db_is_null(r, 4), db_get_int(r, 4));
    return 0;
}

static int sum_api_key_row(void *ctx, const struct db_row *r, struct tars_err *err)
{
    uint64_t *h = ctx;
    (void)err;

    for (int c = 0; c < 5; c++)
        seed_sum_text(h, db_get_text(r, c));
    for (int c = 5; c < 8; c++)
        seed_sum_int(h, db_is_null(r, c), db_get_int(r, c));
    return 0;
}

int tars_store_seed_checksum(tars_store *st, uint64_t *out, struct tars_err *err)
{
    uint64_t h = UINT64_C(14695981039346656037);
    int rc;

    rc =
        db_query(st->db,
                 "SELECT id, agent_id, region, status, reward, duration_ms, created_at, updated_at "
                 "FROM evaluations ORDER BY id",
                 NULL, 0, sum_evaluation_row, &h, err);
    if (!rc)
        rc = db_query(st->db,
                      "SELECT id, name, status, agent_id, created_at FROM missions ORDER BY id",
                      NULL, 0, sum_mission_row, &h, err);
    if (!rc)
        rc = db_query(st->db,
                      "SELECT id, user_id, service_name, role, key_hash, created_at, expires_at, "
                      "revoked_at FROM api_keys ORDER BY id",
                      NULL, 0, sum_api_key_row, &h, err);
    *out = h;
    return rc;
}
