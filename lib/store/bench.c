/*
 * tars db-bench: the query families of docs/db-bench.md run with
 * parameters drawn from the data (seeded), timed one execution at a time,
 * and its plan read once. The SQL is written once for both dialects (times
 * are BIGINT milliseconds in both schemas).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_int.h"
#include "store_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/str.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)

/* ---- the families ---- */

static const char *const agent_region_indexes[] = {"idx_evaluations_agent_region_time",
                                                   "idx_evaluations_agent_region_created", NULL};
/* SQLite may skip-scan idx_evaluations_agent_timestamp (one range per agent)
 * when its statistics show few agents: that serves the query as well. */
static const char *const timestamp_indexes[] = {"idx_evaluations_timestamp",
                                                "idx_evaluations_agent_timestamp", NULL};
static const char *const mission_indexes[] = {"idx_missions_status_created", "idx_missions_status",
                                              "idx_missions_created_at", NULL};
static const char *const api_key_indexes[] = {"idx_api_keys_hash_active", NULL};

struct family {
    const char *name;
    const char *summary;
    const char *table;
    double threshold_ms;
    const char *const *expected;
    const char *sql; /* NULL: written by bench_family_sql */
};

static const struct family families[TARS_BENCH_FAMILY_COUNT] = {
    {"agent_evaluations",
     "one agent's newest evaluations in one region over 1 h to 7 days (100 rows)", "evaluations",
     100, agent_region_indexes,
     "SELECT id, agent_id, region, status, reward, duration_ms, created_at FROM evaluations "
     "WHERE agent_id = $1 AND region = $2 AND created_at >= $3 AND status <> 'deleted' "
     "ORDER BY created_at DESC LIMIT 100"},
    {"reward_aggregation", "mean reward per agent over one hour of the last day", "evaluations",
     100, timestamp_indexes,
     "SELECT agent_id, COUNT(*), AVG(reward) FROM evaluations "
     "WHERE timestamp >= $1 AND timestamp < $2 GROUP BY agent_id"},
    {"temporal", "one agent's hourly count and mean duration in one region over 6 h to 7 days",
     "evaluations", 100, agent_region_indexes,
     "SELECT created_at / 3600000 AS hour, COUNT(*), AVG(duration_ms) FROM evaluations "
     "WHERE agent_id = $1 AND region = $2 AND created_at >= $3 AND created_at < $4 "
     "AND status <> 'deleted' GROUP BY created_at / 3600000 ORDER BY hour"},
    {"multi_region", "one agent compared across every region over 1 to 7 days", "evaluations", 200,
     agent_region_indexes, NULL},
    {"active_missions", "the 100 newest active (or pending) missions", "missions", 100,
     mission_indexes,
     "SELECT id, name, status, agent_id, created_at FROM missions WHERE status = $1 "
     "ORDER BY created_at DESC LIMIT 100"},
    {"api_key_lookup", "an API key by its hash, active and unexpired (90 % hits)", "api_keys", 5,
     api_key_indexes,
     "SELECT id, user_id, service_name, role, expires_at FROM api_keys "
     "WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"},
};

static bool valid_family(int f)
{
    return f >= 0 && f < TARS_BENCH_FAMILY_COUNT;
}

const char *tars_bench_family_name(int family)
{
    return valid_family(family) ? families[family].name : NULL;
}

const char *tars_bench_family_summary(int family)
{
    return valid_family(family) ? families[family].summary : NULL;
}

int tars_bench_family_by_name(const char *name)
{
    for (int f = 0; name && f < TARS_BENCH_FAMILY_COUNT; f++)
        if (strcmp(families[f].name, name) == 0)
            return f;
    return -1;
}

double tars_bench_default_threshold_ms(int family)
{
    return valid_family(family) ? families[family].threshold_ms : 0;
}

const char *bench_family_table(int family)
{
    return valid_family(family) ? families[family].table : NULL;
}

const char *const *tars_bench_family_indexes(int family)
{
    return valid_family(family) ? families[family].expected : NULL;
}

/* The IN list holds every region ($2..$n+1), the window start comes last. */
const char *bench_family_sql(int family, const struct bench_data *d, char *buf, size_t size)
{
    size_t len;
    int n = d->region_count > 0 ? d->region_count : 1;

    if (family != TARS_BENCH_MULTI_REGION)
        return families[family].sql;
    len = (size_t)snprintf(buf, size,
                           "SELECT region, COUNT(*), AVG(duration_ms), "
                           "SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) FROM evaluations "
                           "WHERE agent_id = $1 AND region IN (");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s$%d", i ? ", " : "", i + 2);
    if (len < size)
        snprintf(buf + len, size - len,
                 ") AND created_at >= $%d AND status <> 'deleted' GROUP BY region", n + 2);
    return buf;
}

/* ---- parameters ---- */

static const char *pick_agent(const struct bench_data *d, struct store_rng *rng)
{
    return d->agent_count ? d->agents[store_rng_below(rng, (uint64_t)d->agent_count)] : "";
}

static const char *pick_region(const struct bench_data *d, struct store_rng *rng)
{
    return d->region_count ? d->regions[store_rng_below(rng, (uint64_t)d->region_count)] : "";
}

static void add(struct bench_params *p, struct db_value v)
{
    if (p->n < DB_MAX_PARAMS)
        p->v[p->n++] = v;
}

static int64_t pick_window(struct store_rng *rng, const int64_t *windows, int n)
{
    return windows[store_rng_below(rng, (uint64_t)n)];
}

static void key_params(const struct bench_data *d, struct store_rng *rng, struct bench_params *p)
{
    static const char hex[] = "0123456789abcdef";

    if (d->key_count && store_rng_below(rng, 10) < 9) {
        tars_strlcpy(p->text, d->key_hashes[store_rng_below(rng, (uint64_t)d->key_count)],
                     sizeof(p->text));
    } else { /* a key nobody has: the miss path must be fast too */
        char *t = p->text + strlen("sha256:");
        memcpy(p->text, "sha256:", strlen("sha256:"));
        for (int i = 0; i < 64; i++)
            t[i] = hex[store_rng_below(rng, 16)];
        t[64] = '\0';
    }
    add(p, db_text(p->text));
    add(p, db_int(d->newest));
}

void bench_family_params(int family, const struct bench_data *d, struct store_rng *rng,
                         struct bench_params *p)
{
    static const int64_t recent[] = {HOUR_MS, 6 * HOUR_MS, DAY_MS, 7 * DAY_MS};
    static const int64_t spans[] = {6 * HOUR_MS, DAY_MS, 3 * DAY_MS, 7 * DAY_MS};
    static const int64_t days[] = {DAY_MS, 3 * DAY_MS, 7 * DAY_MS};
    int64_t end, span;

    memset(p, 0, sizeof(*p));
    switch (family) {
    case TARS_BENCH_AGENT_EVALUATIONS:
        add(p, db_text(pick_agent(d, rng)));
        add(p, db_text(pick_region(d, rng)));
        add(p, db_int(d->newest - pick_window(rng, recent, 4)));
        break;
    case TARS_BENCH_REWARD_AGGREGATION:
        end = d->newest + 1 - (int64_t)store_rng_below(rng, (uint64_t)(23 * HOUR_MS));
        add(p, db_int(end - HOUR_MS));
        add(p, db_int(end));
        break;
    case TARS_BENCH_TEMPORAL:
        span = pick_window(rng, spans, 4);
        end = d->newest + 1 - (int64_t)store_rng_below(rng, (uint64_t)DAY_MS);
        add(p, db_text(pick_agent(d, rng)));
        add(p, db_text(pick_region(d, rng)));
        add(p, db_int(end - span));
        add(p, db_int(end));
        break;
    case TARS_BENCH_MULTI_REGION:
        add(p, db_text(pick_agent(d, rng)));
        for (int i = 0; i < (d->region_count ? d->region_count : 1); i++)
            add(p, db_text(d->region_count ? d->regions[i] : ""));
        add(p, db_int(d->newest - pick_window(rng, days, 3)));
        break;
    case TARS_BENCH_ACTIVE_MISSIONS:
        add(p, db_text(store_rng_below(rng, 10) < 8 ? "active" : "pending"));
        break;
    default: key_params(d, rng, p); break;
    }
}
