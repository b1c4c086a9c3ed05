/*
 * Storage: one interface, two backends (SQLite in WAL mode, PostgreSQL via
 * libpq). Only lib/store knows SQL. A tars_store is one connection: it is not
 * thread-safe; give each thread its own (SQLite WAL lets readers run beside
 * the one writer). Times are milliseconds since the Unix epoch everywhere.
 *
 * Strings in result structs live in fixed arrays (bounded by the schema) or,
 * for JSON documents, in heap strings owned by the struct; release them with
 * the matching *_release function. Every function returns 0 or a negative
 * tars_code and fills err: TARS_EUNAVAIL when the database cannot be reached,
 * TARS_ENOTFOUND for a missing row, TARS_ECONFLICT for a uniqueness clash.
 */
#ifndef TARS_STORE_H
#define TARS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"

typedef struct tars_store tars_store;

enum tars_store_kind { TARS_STORE_SQLITE, TARS_STORE_POSTGRES };

/* url: "sqlite:PATH" (a bare path also means SQLite) or "postgres://..." /
 * "postgresql://...". The SQLite file's directory must exist. */
tars_store *tars_store_open(const char *url, struct tars_err *err);
void tars_store_close(tars_store *st);
enum tars_store_kind tars_store_kind(const tars_store *st);

/* Applies every embedded migration not yet recorded in schema_migrations;
 * running it again is a no-op. *applied (may be NULL) counts what ran. */
int tars_store_migrate(tars_store *st, int *applied, struct tars_err *err);
/* 0 when reachable and fully migrated; TARS_EUNAVAIL or TARS_ECONFLICT
 * (pending migrations) otherwise. */
int tars_store_ready(tars_store *st, struct tars_err *err);
int tars_store_ping(tars_store *st, struct tars_err *err);

/* Transactions, for grouping many writes under one commit (group commit). A
 * savepoint lets one failed write be undone without losing the others. */
int tars_store_begin(tars_store *st, struct tars_err *err);
int tars_store_commit(tars_store *st, struct tars_err *err);
int tars_store_rollback(tars_store *st, struct tars_err *err);
int tars_store_savepoint(tars_store *st, struct tars_err *err);
int tars_store_savepoint_release(tars_store *st, struct tars_err *err);
int tars_store_savepoint_rollback(tars_store *st, struct tars_err *err);

/* ---- users ---- */
#define TARS_ID_MAX 64
#define TARS_NAME_MAX 128
#define TARS_ROLE_MAX 16
#define TARS_STATUS_MAX 16
#define TARS_HASH_MAX 200

struct tars_user {
    char id[TARS_ID_MAX];
    char username[TARS_NAME_MAX];
    char role[TARS_ROLE_MAX];
    char password_hash[TARS_HASH_MAX];
    int64_t created_at;
    bool disabled;
};

/* Fills id (a new UUID) and created_at. TARS_ECONFLICT if username is taken. */
int tars_store_user_add(tars_store *st, struct tars_user *u, struct tars_err *err);
int tars_store_user_by_name(tars_store *st, const char *username, struct tars_user *out,
                            struct tars_err *err);
int tars_store_user_by_id(tars_store *st, const char *id, struct tars_user *out,
                          struct tars_err *err);
/* Calls fn for each user ordered by username; fn returning non-zero stops. */
typedef int (*tars_user_fn)(void *ctx, const struct tars_user *u);
int tars_store_users_each(tars_store *st, tars_user_fn fn, void *ctx, struct tars_err *err);

/* ---- API keys (stored as "sha256:<hex>") ---- */
struct tars_api_key {
    char id[TARS_ID_MAX];
    char user_id[TARS_ID_MAX];
    char service_name[TARS_NAME_MAX];
    char role[TARS_ROLE_MAX];
    char key_hash[TARS_HASH_MAX];
    int64_t created_at;
    int64_t expires_at;   /* 0 = never */
    int64_t last_used_at; /* 0 = never */
    int64_t revoked_at;   /* 0 = active */
};

/* Fills created_at; id must be set (the service name, normalised). */
int tars_store_api_key_add(tars_store *st, struct tars_api_key *k, struct tars_err *err);
/* Finds an active (not revoked, not expired at now_ms) key by its hash. */
int tars_store_api_key_by_hash(tars_store *st, const char *key_hash, int64_t now_ms,
                               struct tars_api_key *out, struct tars_err *err);
int tars_store_api_key_get(tars_store *st, const char *id, struct tars_api_key *out,
                           struct tars_err *err);
int tars_store_api_key_set_hash(tars_store *st, const char *id, const char *key_hash,
                                struct tars_err *err);
int tars_store_api_key_revoke(tars_store *st, const char *id, int64_t now_ms, struct tars_err *err);
typedef int (*tars_api_key_fn)(void *ctx, const struct tars_api_key *k);
int tars_store_api_keys_each(tars_store *st, tars_api_key_fn fn, void *ctx, struct tars_err *err);

/* ---- agents ---- */
struct tars_agent {
    char id[TARS_ID_MAX];   /* "policy", "consensus", "ethical", "resource" */
    char type[TARS_ID_MAX]; /* "DQN", "A2C", "PPO", "DDPG" */
    char name[TARS_NAME_MAX];
    char status[TARS_STATUS_MAX]; /* "active", ... */
    char region[TARS_ID_MAX];
    int64_t state_dim, action_dim, current_episode, total_steps;
    double recent_reward_mean;
    char *params_json; /* type-specific fields, a JSON object; owned */
    int64_t updated_at;
};
void tars_agent_release(struct tars_agent *a);

/* Inserts or replaces the agent by id. */
int tars_store_agent_put(tars_store *st, const struct tars_agent *a, struct tars_err *err);
int tars_store_agent_get(tars_store *st, const char *id, struct tars_agent *out,
                         struct tars_err *err);
typedef int (*tars_agent_fn)(void *ctx, const struct tars_agent *a);
int tars_store_agents_each(tars_store *st, tars_agent_fn fn, void *ctx, struct tars_err *err);

/* One row of an agent's history (table agent_states). */
struct tars_agent_state {
    int64_t id;
    char agent_id[TARS_ID_MAX];
    char agent_type[TARS_ID_MAX];
    char region[TARS_ID_MAX];
    int64_t episode, step;
    double reward, epsilon;
    int64_t updated_at;
};
int tars_store_agent_state_add(tars_store *st, const struct tars_agent_state *s,
                               struct tars_err *err);
/* Newest first. *total gets the number of rows for the agent. */
typedef int (*tars_agent_state_fn)(void *ctx, const struct tars_agent_state *s);
int tars_store_agent_history(tars_store *st, const char *agent_id, int64_t limit, int64_t offset,
                             int64_t *total, tars_agent_state_fn fn, void *ctx,
                             struct tars_err *err);

/* Reward statistics over an agent's history (all agents when agent_id NULL). */
struct tars_reward_stats {
    int64_t count;
    double last, mean, stddev, min, max;
    double mean_recent, mean_previous; /* the newest 10 and the 10 before */
};
int tars_store_reward_stats(tars_store *st, const char *agent_id, struct tars_reward_stats *out,
                            struct tars_err *err);

/* ---- evaluations ---- */
struct tars_evaluation {
    char id[TARS_ID_MAX];
    char agent_id[TARS_ID_MAX];
    char region[TARS_ID_MAX];
    char status[TARS_STATUS_MAX]; /* pending, running, completed, error, deleted */
    double reward;
    bool has_reward;
    int64_t duration_ms; /* -1 = unknown */
    char *details_json;  /* a JSON object or NULL; owned */
    int64_t created_at;
    int64_t updated_at;
};
void tars_evaluation_release(struct tars_evaluation *e);

/* Inserts e as given (the caller chooses id and times). */
int tars_store_evaluation_add(tars_store *st, const struct tars_evaluation *e,
                              struct tars_err *err);
int tars_store_evaluation_get(tars_store *st, const char *id, struct tars_evaluation *out,
                              struct tars_err *err);
/* Replaces agent_id, region, status, reward, duration_ms, details_json and
 * updated_at of the row with e->id. TARS_ENOTFOUND if absent or deleted. */
int tars_store_evaluation_update(tars_store *st, const struct tars_evaluation *e,
                                 struct tars_err *err);
/* Soft delete: status becomes "deleted". TARS_ENOTFOUND if absent or deleted. */
int tars_store_evaluation_delete(tars_store *st, const char *id, int64_t now_ms,
                                 struct tars_err *err);

struct tars_evaluation_filter {
    const char *agent_id; /* NULL = any */
    const char *region;   /* NULL = any */
    const char *status;   /* NULL = any except "deleted" */
    int64_t since;        /* created_at >= since; 0 = any */
    int64_t limit;        /* 1..1000 */
    int64_t offset;
};
typedef int (*tars_evaluation_fn)(void *ctx, const struct tars_evaluation *e);
/* Newest first; *total counts every match regardless of limit/offset. */
int tars_store_evaluations_list(tars_store *st, const struct tars_evaluation_filter *f,
                                int64_t *total, tars_evaluation_fn fn, void *ctx,
                                struct tars_err *err);

/* ---- missions ---- */
struct tars_mission {
    char id[TARS_ID_MAX];
    char name[TARS_NAME_MAX];
    char status[TARS_STATUS_MAX]; /* pending, active, completed, failed */
    char agent_id[TARS_ID_MAX];   /* may be empty */
    char *details_json;           /* owned, may be NULL */
    int64_t created_at;
    int64_t updated_at;
};
void tars_mission_release(struct tars_mission *m);
int tars_store_mission_add(tars_store *st, const struct tars_mission *m, struct tars_err *err);
typedef int (*tars_mission_fn)(void *ctx, const struct tars_mission *m);
/* Newest first; status NULL = any. */
int tars_store_missions_list(tars_store *st, const char *status, int64_t limit, int64_t *total,
                             tars_mission_fn fn, void *ctx, struct tars_err *err);

/* ---- metrics (time series points) ---- */
struct tars_metric_point {
    char metric_name[TARS_NAME_MAX];
    char region[TARS_ID_MAX];
    int64_t timestamp;
    double value;
    char *labels_json; /* owned, may be NULL */
};
void tars_metric_point_release(struct tars_metric_point *p);
int tars_store_metric_add(tars_store *st, const struct tars_metric_point *p, struct tars_err *err);
typedef int (*tars_metric_fn)(void *ctx, const struct tars_metric_point *p);
/* Newest first. agent_type (NULL = any) matches labels' "agent_type" field. */
int tars_store_metric_values(tars_store *st, const char *metric_name, const char *agent_type,
                             int64_t limit, tars_metric_fn fn, void *ctx, struct tars_err *err);

/* ---- audit log ---- */
struct tars_audit_event {
    int64_t id;
    int64_t timestamp;
    char event_type[TARS_ID_MAX]; /* auth_failure, login, admin_action, ... */
    char user_id[TARS_ID_MAX];
    char username[TARS_NAME_MAX];
    char action[TARS_NAME_MAX];
    char resource_type[TARS_ID_MAX];
    char resource_id[TARS_ID_MAX];
    char client_ip[64];
    bool success;
    char *details_json; /* owned, may be NULL */
};
void tars_audit_event_release(struct tars_audit_event *ev);
int tars_store_audit_add(tars_store *st, const struct tars_audit_event *ev, struct tars_err *err);
typedef int (*tars_audit_fn)(void *ctx, const struct tars_audit_event *ev);
/* Newest first; event_type NULL = any. */
int tars_store_audit_list(tars_store *st, const char *event_type, int64_t limit, int64_t offset,
                          int64_t *total, tars_audit_fn fn, void *ctx, struct tars_err *err);

/* ---- the live feed (tars serve's WebSocket channels) ----
 * Each channel's messages are numbered by the database (feed_channels), so
 * that every process on the same database (a --takeover replacement, other
 * replicas) shares one sequence per channel, given out in commit order
 * without gaps; feed_events keeps the most recent messages for replay. */
#define TARS_FEED_CHANNEL_MAX 32
/* Inside a transaction: takes channel's next seq, stores the message and
 * drops the channel's messages older than keep (>= 1) behind it. */
int tars_store_feed_append(tars_store *st, const char *channel, int64_t timestamp_ms,
                           const char *payload, int64_t keep, int64_t *seq, struct tars_err *err);
/* The channel's last seq given out (0: none yet). */
int tars_store_feed_last(tars_store *st, const char *channel, int64_t *last, struct tars_err *err);
/* Calls fn for the channel's stored messages with seq > after, in seq order,
 * at most limit of them. */
typedef int (*tars_feed_fn)(void *ctx, int64_t seq, int64_t timestamp_ms, const char *payload);
int tars_store_feed_since(tars_store *st, const char *channel, int64_t after, int64_t limit,
                          tars_feed_fn fn, void *ctx, struct tars_err *err);

/* ---- ad-hoc read queries, for validation checks ---- */
/* Runs one read-only statement (no parameters) and calls fn per row with
 * the column names and values as text (NULL for SQL NULL). At most max_rows
 * rows are delivered; *truncated says whether there were more. The
 * statement runs in a read-only transaction where the backend allows it. */
typedef int (*tars_row_fn)(void *ctx, int ncols, const char *const *names,
                           const char *const *values);
int tars_store_query(tars_store *st, const char *sql, size_t max_rows, tars_row_fn fn, void *ctx,
                     bool *truncated, struct tars_err *err);
/* The database's indexes, as tars_store_query rows of two columns: the
 * index name and "true" when it is usable, else "false" (PostgreSQL: valid
 * and ready in pg_index, system schemas left out; SQLite: every index of
 * sqlite_master is usable). */
int tars_store_indexes(tars_store *st, size_t max_rows, tars_row_fn fn, void *ctx, bool *truncated,
                       struct tars_err *err);
/* The backend's plan of sql (at most 64 KiB), as tars_store_query rows:
 * PostgreSQL EXPLAIN (ANALYZE, FORMAT JSON), which runs the statement, in
 * its read-only transaction; SQLite EXPLAIN QUERY PLAN. */
int tars_store_explain(tars_store *st, const char *sql, size_t max_rows, tars_row_fn fn, void *ctx,
                       struct tars_err *err);

/* ---- statistics for `tars serve` start-up and tests ---- */
/* Number of rows in a known table (one of the schema's tables). */
int tars_store_count(tars_store *st, const char *table, int64_t *out, struct tars_err *err);

#endif
