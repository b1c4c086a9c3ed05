/*
 * Prometheus metrics of `tars serve`. Request counters and latency
 * histograms live in one shard per loop thread, written only by that thread
 * (relaxed atomics, no locks on the hot path) and summed at scrape time.
 * Labelled series with values from requests (evaluation agent/region) are
 * capped so a client cannot blow up cardinality.
 */
#ifndef TARS_SERVER_METRICS_H
#define TARS_SERVER_METRICS_H

#include <pthread.h>
#include <stdint.h>

#include "tars/buf.h"
#include "router.h"

#define SRV_MAX_ROUTES 40
#define SRV_ROUTE_SLOTS (SRV_MAX_ROUTES + 1) /* the last slot is "unmatched" */
#define SRV_METHOD_SLOTS (SRV_METHOD_COUNT + 1)
#define SRV_STATUS_SLOTS 21
#define SRV_BUCKETS 11
#define SRV_EVAL_SERIES_MAX 512

enum srv_db_op {
    DB_AGENTS_LIST,
    DB_AGENT_GET,
    DB_AGENT_HISTORY,
    DB_REWARD_STATS,
    DB_EVALUATIONS_LIST,
    DB_EVALUATION_GET,
    DB_MISSIONS_LIST,
    DB_METRIC_VALUES,
    DB_USER_LOOKUP,
    DB_API_KEY_LOOKUP,
    DB_ADMIN_LIST,
    DB_AUDIT_LIST,
    DB_PING,
    DB_WRITE_BATCH,
    DB_OP_COUNT
};

enum srv_rl_scope { RL_PUBLIC, RL_AUTH, RL_USER, RL_SCOPE_COUNT };

/* Why a WebSocket connection ended (websocket_disconnections_total{reason}). */
enum srv_ws_end { WS_END_CLIENT, WS_END_IDLE, WS_END_SLOW, WS_END_SHUTDOWN, WS_END_COUNT };
/* Why a WebSocket handshake was refused after the upgrade. */
enum srv_ws_reject { WS_REJECT_AUTH, WS_REJECT_FULL, WS_REJECT_COUNT };

enum srv_auth_failure {
    AUTHF_MISSING,
    AUTHF_MALFORMED,
    AUTHF_INVALID_TOKEN,
    AUTHF_INVALID_API_KEY,
    AUTHF_BAD_CREDENTIALS,
    AUTHF_FORBIDDEN,
    AUTHF_COUNT
};

struct srv_histogram {
    uint64_t buckets[SRV_BUCKETS + 1]; /* the last is +Inf */
    uint64_t sum_us;
};

struct srv_metrics_shard {
    uint64_t requests[SRV_ROUTE_SLOTS][SRV_METHOD_SLOTS][SRV_STATUS_SLOTS];
    struct srv_histogram latency[SRV_ROUTE_SLOTS][SRV_METHOD_SLOTS];
    struct srv_histogram db[DB_OP_COUNT];
};

struct srv_eval_series {
    char agent_id[64], region[64], status[16];
    uint64_t count;
};

struct srv_metrics {
    struct srv_metrics_shard **shards;
    int shard_count;
    pthread_mutex_t lock; /* guards what follows */
    struct srv_eval_series eval[SRV_EVAL_SERIES_MAX];
    int eval_count;
    struct srv_histogram eval_duration;
    uint64_t rate_limited[RL_SCOPE_COUNT];
    uint64_t auth_failures[AUTHF_COUNT];
    int64_t ws_connections; /* accepted and open (atomic) */
    uint64_t ws_disconnections[WS_END_COUNT];
    uint64_t ws_rejected[WS_REJECT_COUNT];
    uint64_t ws_reconnect_attempts, ws_reconnect_success;
    uint64_t ws_messages_sent, ws_slow_consumers;
    int64_t started_at_ms;
};

void srv_metrics_init(struct srv_metrics *m, int shard_count);
void srv_metrics_release(struct srv_metrics *m);

/* Hot path, on the shard's own thread. route NULL = unmatched. */
void srv_metrics_request(struct srv_metrics_shard *s, const struct srv_route *route,
                         enum srv_method method, int status, uint64_t duration_ns);
void srv_metrics_db(struct srv_metrics_shard *s, enum srv_db_op op, uint64_t duration_ns);

/* Any thread. */
void srv_metrics_evaluation(struct srv_metrics *m, const char *agent_id, const char *region,
                            const char *status, int64_t duration_ms);
void srv_metrics_rate_limited(struct srv_metrics *m, enum srv_rl_scope scope);
void srv_metrics_auth_failure(struct srv_metrics *m, enum srv_auth_failure why);
/* Adds by to a WebSocket counter of m (relaxed atomic). */
void srv_metrics_ws_add(uint64_t *counter, uint64_t by);
/* Requests answered so far, all routes and statuses. */
uint64_t srv_metrics_requests_total(struct srv_metrics *m);

/* One agent's reward gauge, supplied at scrape time by the caller. */
struct srv_agent_reward {
    const char *agent_id, *agent_type;
    double reward;
};

/* Renders the exposition text into out. */
int srv_metrics_render(struct srv_metrics *m, const struct srv_agent_reward *rewards,
                       int reward_count, struct tars_buf *out);

#endif
