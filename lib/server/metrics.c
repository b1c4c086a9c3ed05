#include "metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/expo.h"
#include "tars/str.h"
#include "tars/version.h"

static const double bucket_bounds[SRV_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.15,
                                                  0.25,  0.5,  1,     2.5,  5};
static const int status_codes[SRV_STATUS_SLOTS - 1] = {200, 201, 204, 304, 400, 401, 403,
                                                       404, 405, 409, 413, 415, 422, 429,
                                                       431, 500, 502, 503, 504, 507};
static const char *const db_op_names[DB_OP_COUNT] = {
    "agents_list",    "agent_get",     "agent_history", "reward_stats", "evaluations_list",
    "evaluation_get", "missions_list", "metric_values", "user_lookup",  "api_key_lookup",
    "admin_list",     "audit_list",    "ping",          "write_batch"};
static const char *const rl_names[RL_SCOPE_COUNT] = {"public", "auth", "user"};
static const char *const ws_end_names[WS_END_COUNT] = {"client", "idle_timeout", "slow_consumer",
                                                       "shutdown"};
static const char *const ws_reject_names[WS_REJECT_COUNT] = {"auth", "full"};
static const char *const authf_names[AUTHF_COUNT] = {
    "missing", "malformed", "invalid_token", "invalid_api_key", "bad_credentials", "forbidden"};

/* Single writer per shard: a relaxed load + store is enough and avoids a
 * locked instruction; readers may see a slightly old value. */
static inline void bump(uint64_t *p, uint64_t by)
{
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + by, __ATOMIC_RELAXED);
}

static inline uint64_t peek(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void srv_metrics_init(struct srv_metrics *m, int shard_count)
{
    memset(m, 0, sizeof(*m));
    m->shard_count = shard_count;
    m->started_at_ms = tars_wall_ms();
    m->shards = xcalloc((size_t)shard_count, sizeof(*m->shards));
    for (int i = 0; i < shard_count; i++)
        m->shards[i] = xcalloc(1, sizeof(**m->shards));
    pthread_mutex_init(&m->lock, NULL);
}

void srv_metrics_release(struct srv_metrics *m)
{
    if (!m->shards)
        return;
    for (int i = 0; i < m->shard_count; i++)
        free(m->shards[i]);
    free(m->shards);
    m->shards = NULL;
    pthread_mutex_destroy(&m->lock);
}

static int status_slot(int status)
{
    for (int i = 0; i < SRV_STATUS_SLOTS - 1; i++)
        if (status_codes[i] == status)
            return i;
    return SRV_STATUS_SLOTS - 1;
}

static void histogram_add(struct srv_histogram *h, uint64_t ns, int shared)
{
    double secs = (double)ns / 1e9;
    int b = 0;

    while (b < SRV_BUCKETS && secs > bucket_bounds[b])
        b++;
    if (shared) {
        h->buckets[b]++;
        h->sum_us += ns / 1000;
    } else {
        bump(&h->buckets[b], 1);
        bump(&h->sum_us, ns / 1000);
    }
}

void srv_metrics_request(struct srv_metrics_shard *s, const struct srv_route *route,
                         enum srv_method method, int status, uint64_t duration_ns)
{
    size_t r = route ? srv_route_index(route) : SRV_MAX_ROUTES;
    int m = method < SRV_METHOD_SLOTS ? (int)method : SRV_METHOD_OTHER;

    bump(&s->requests[r][m][status_slot(status)], 1);
    histogram_add(&s->latency[r][m], duration_ns, 0);
}

void srv_metrics_db(struct srv_metrics_shard *s, enum srv_db_op op, uint64_t duration_ns)
{
    histogram_add(&s->db[op], duration_ns, 0);
}

static struct srv_eval_series *eval_series(struct srv_metrics *m, const char *agent_id,
                                           const char *region, const char *status)
{
    struct srv_eval_series *e;

    for (int i = 0; i < m->eval_count; i++) {
        e = &m->eval[i];
        if (!strcmp(e->agent_id, agent_id) && !strcmp(e->region, region) &&
            !strcmp(e->status, status))
            return e;
    }
    if (m->eval_count == SRV_EVAL_SERIES_MAX - 1) { /* the last slot collects the rest */
        e = &m->eval[m->eval_count];
        tars_strlcpy(e->agent_id, "other", sizeof(e->agent_id));
        tars_strlcpy(e->region, "other", sizeof(e->region));
        tars_strlcpy(e->status, "other", sizeof(e->status));
        return e;
    }
    e = &m->eval[m->eval_count++];
    tars_strlcpy(e->agent_id, agent_id, sizeof(e->agent_id));
    tars_strlcpy(e->region, region, sizeof(e->region));
    tars_strlcpy(e->status, status, sizeof(e->status));
    return e;
}

void srv_metrics_evaluation(struct srv_metrics *m, const char *agent_id, const char *region,
                            const char *status, int64_t duration_ms)
{
    pthread_mutex_lock(&m->lock);
    eval_series(m, agent_id, region, status)->count++;
    if (duration_ms >= 0)
        histogram_add(&m->eval_duration, (uint64_t)duration_ms * 1000000u, 1);
    pthread_mutex_unlock(&m->lock);
}

void srv_metrics_rate_limited(struct srv_metrics *m, enum srv_rl_scope scope)
{
    __atomic_add_fetch(&m->rate_limited[scope], 1, __ATOMIC_RELAXED);
}

void srv_metrics_auth_failure(struct srv_metrics *m, enum srv_auth_failure why)
{
    __atomic_add_fetch(&m->auth_failures[why], 1, __ATOMIC_RELAXED);
}

void srv_metrics_ws_add(uint64_t *counter, uint64_t by)
{
    __atomic_add_fetch(counter, by, __ATOMIC_RELAXED);
}

uint64_t srv_metrics_requests_total(struct srv_metrics *m)
{
    uint64_t n = 0;

    for (int i = 0; i < m->shard_count; i++)
        for (size_t r = 0; r < SRV_ROUTE_SLOTS; r++)
            for (int me = 0; me < SRV_METHOD_SLOTS; me++)
                for (int st = 0; st < SRV_STATUS_SLOTS; st++)
                    n += peek(&m->shards[i]->requests[r][me][st]);
    return n;
}

/* ---- rendering ---- */

static int render_histogram(struct tars_buf *out, const char *name, const char *labels,
                            const struct srv_histogram *h)
{
    uint64_t cumulative = 0;
    const char *sep = labels[0] ? "," : "";
    const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
    int rc = 0;

    for (int b = 0; b < SRV_BUCKETS && !rc; b++) {
        cumulative += peek(&h->buckets[b]);
        rc = tars_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                             bucket_bounds[b], (unsigned long long)cumulative);
    }
    cumulative += peek(&h->buckets[SRV_BUCKETS]);
    if (!rc)
        rc = tars_buf_printf(
            out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", name,
            labels, sep, (unsigned long long)cumulative, name, open, labels, close,
            (double)peek(&h->sum_us) / 1e6, name, open, labels, close,
            (unsigned long long)cumulative);
    return rc;
}

static void histogram_sum(struct srv_histogram *acc, const struct srv_histogram *h)
{
    for (int b = 0; b <= SRV_BUCKETS; b++)
        acc->buckets[b] += peek(&h->buckets[b]);
    acc->sum_us += peek(&h->sum_us);
}

static uint64_t histogram_count(const struct srv_histogram *h)
{
    uint64_t n = 0;
    for (int b = 0; b <= SRV_BUCKETS; b++)
        n += h->buckets[b];
    return n;
}

static int render_requests(struct srv_metrics *m, struct tars_buf *out)
{
    int rc = tars_buf_puts(
        out, "# HELP tars_http_requests_total HTTP requests by route template, method and status.\n"
             "# TYPE tars_http_requests_total counter\n");
    for (size_t r = 0; r < SRV_ROUTE_SLOTS && !rc; r++) {
        const char *ep = r < srv_route_count() ? srv_route_at(r)->template : "unmatched";
        if (r >= srv_route_count() && r != SRV_MAX_ROUTES)
            continue;
        for (int me = 0; me < SRV_METHOD_SLOTS && !rc; me++)
            for (int st = 0; st < SRV_STATUS_SLOTS && !rc; st++) {
                uint64_t n = 0;
                for (int i = 0; i < m->shard_count; i++)
                    n += peek(&m->shards[i]->requests[r][me][st]);
                if (!n)
                    continue;
                if (st < SRV_STATUS_SLOTS - 1)
                    rc = tars_buf_printf(out,
                                         "tars_http_requests_total{method=\"%s\",endpoint=\"%s\","
                                         "status=\"%d\"} %llu\n",
                                         srv_method_name((enum srv_method)me), ep, status_codes[st],
                                         (unsigned long long)n);
                else
                    rc = tars_buf_printf(out,
                                         "tars_http_requests_total{method=\"%s\",endpoint=\"%s\","
                                         "status=\"other\"} %llu\n",
                                         srv_method_name((enum srv_method)me), ep,
                                         (unsigned long long)n);
            }
    }
    return rc;
}

static int render_latency(struct srv_metrics *m, struct tars_buf *out)
{
    char labels[256];
    int rc = tars_buf_puts(
        out, "# HELP tars_http_request_duration_seconds Time from request to response.\n"
             "# TYPE tars_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < SRV_ROUTE_SLOTS && !rc; r++) {
        if (r >= srv_route_count() && r != SRV_MAX_ROUTES)
            continue;
        for (int me = 0; me < SRV_METHOD_SLOTS && !rc; me++) {
            struct srv_histogram acc;
            memset(&acc, 0, sizeof(acc));
            for (int i = 0; i < m->shard_count; i++)
                histogram_sum(&acc, &m->shards[i]->latency[r][me]);
            if (histogram_count(&acc) == 0)
                continue;
            snprintf(labels, sizeof(labels), "method=\"%s\",endpoint=\"%s\"",
                     srv_method_name((enum srv_method)me),
                     r < srv_route_count() ? srv_route_at(r)->template : "unmatched");
            rc = render_histogram(out, "tars_http_request_duration_seconds", labels, &acc);
        }
    }
    return rc;
}

static int render_db(struct srv_metrics *m, struct tars_buf *out)
{
    char labels[64];
    int rc =
        tars_buf_puts(out, "# HELP tars_db_query_duration_seconds Database time per operation.\n"
                           "# TYPE tars_db_query_duration_seconds histogram\n");
    for (int op = 0; op < DB_OP_COUNT && !rc; op++) {
        struct srv_histogram acc;
        memset(&acc, 0, sizeof(acc));
        for (int i = 0; i < m->shard_count; i++)
            histogram_sum(&acc, &m->shards[i]->db[op]);
        snprintf(labels, sizeof(labels), "operation=\"%s\"", db_op_names[op]);
        rc = render_histogram(out, "tars_db_query_duration_seconds", labels, &acc);
    }
    return rc;
}

static int render_evaluations(struct srv_metrics *m, struct tars_buf *out)
{
    int rc =
        tars_buf_puts(out, "# HELP tars_evaluation_total Evaluations accepted through the API.\n"
                           "# TYPE tars_evaluation_total counter\n");
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->eval_count && !rc; i++) {
        rc = tars_buf_puts(out, "tars_evaluation_total{agent_id=\"");
        rc = rc ? rc : tars_expo_label(out, m->eval[i].agent_id);
        rc = rc ? rc : tars_buf_puts(out, "\",region=\"");
        rc = rc ? rc : tars_expo_label(out, m->eval[i].region);
        rc = rc ? rc
                : tars_buf_printf(out, "\",status=\"%s\"} %llu\n", m->eval[i].status,
                                  (unsigned long long)m->eval[i].count);
    }
    if (!rc)
        rc = tars_buf_puts(
            out,
            "# HELP tars_evaluation_duration_seconds Duration reported with posted evaluations.\n"
            "# TYPE tars_evaluation_duration_seconds histogram\n");
    if (!rc)
        rc = render_histogram(out, "tars_evaluation_duration_seconds", "", &m->eval_duration);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int render_counters(struct srv_metrics *m, struct tars_buf *out)
{
    int rc = tars_buf_puts(out, "# HELP tars_rate_limited_total Requests answered 429.\n"
                                "# TYPE tars_rate_limited_total counter\n");
    for (int i = 0; i < RL_SCOPE_COUNT && !rc; i++)
        rc = tars_buf_printf(out, "tars_rate_limited_total{scope=\"%s\"} %llu\n", rl_names[i],
                             (unsigned long long)peek(&m->rate_limited[i]));
    if (!rc)
        rc = tars_buf_puts(
            out, "# HELP tars_auth_failures_total Rejected authentication or authorisation.\n"
                 "# TYPE tars_auth_failures_total counter\n");
    for (int i = 0; i < AUTHF_COUNT && !rc; i++)
        rc = tars_buf_printf(out, "tars_auth_failures_total{reason=\"%s\"} %llu\n", authf_names[i],
                             (unsigned long long)peek(&m->auth_failures[i]));
    if (!rc)
        rc = tars_buf_printf(
            out,
            "# HELP tars_websocket_connections Open WebSocket connections.\n"
            "# TYPE tars_websocket_connections gauge\ntars_websocket_connections %lld\n",
            (long long)__atomic_load_n(&m->ws_connections, __ATOMIC_RELAXED));
    return rc;
}

static int render_websocket(struct srv_metrics *m, struct tars_buf *out)
{
    int rc = tars_buf_puts(out, "# HELP websocket_disconnections_total Accepted WebSocket "
                                "connections that ended, by reason.\n"
                                "# TYPE websocket_disconnections_total counter\n");
    for (int i = 0; i < WS_END_COUNT && !rc; i++)
        rc = tars_buf_printf(out, "websocket_disconnections_total{reason=\"%s\"} %llu\n",
                             ws_end_names[i], (unsigned long long)peek(&m->ws_disconnections[i]));
    if (!rc)
        rc = tars_buf_puts(out, "# HELP tars_websocket_rejected_total WebSocket handshakes closed "
                                "at once (1008 auth, 1013 full).\n"
                                "# TYPE tars_websocket_rejected_total counter\n");
    for (int i = 0; i < WS_REJECT_COUNT && !rc; i++)
        rc = tars_buf_printf(out, "tars_websocket_rejected_total{reason=\"%s\"} %llu\n",
                             ws_reject_names[i], (unsigned long long)peek(&m->ws_rejected[i]));
    if (!rc)
        rc = tars_buf_printf(
            out,
            "# HELP websocket_reconnect_attempts_total WebSocket handshakes marked ?reconnect=1.\n"
            "# TYPE websocket_reconnect_attempts_total counter\nwebsocket_reconnect_attempts_total "
            "%llu\n"
            "# HELP websocket_reconnect_success_total Of those, the ones accepted (auth passed, "
            "under the limit).\n"
            "# TYPE websocket_reconnect_success_total counter\nwebsocket_reconnect_success_total "
            "%llu\n"
            "# HELP tars_websocket_messages_sent_total WebSocket text messages handed to the "
            "sockets.\n"
            "# TYPE tars_websocket_messages_sent_total counter\ntars_websocket_messages_sent_total "
            "%llu\n"
            "# HELP tars_websocket_slow_consumers_total Connections closed (4001) for a full send "
            "queue.\n"
            "# TYPE tars_websocket_slow_consumers_total "
            "counter\ntars_websocket_slow_consumers_total %llu\n",
            (unsigned long long)peek(&m->ws_reconnect_attempts),
            (unsigned long long)peek(&m->ws_reconnect_success),
            (unsigned long long)peek(&m->ws_messages_sent),
            (unsigned long long)peek(&m->ws_slow_consumers));
    return rc;
}

static int render_rewards(const struct srv_agent_reward *rw, int n, struct tars_buf *out)
{
    int rc = tars_buf_puts(out, "# HELP tars_agent_reward Recent mean reward per agent.\n"
                                "# TYPE tars_agent_reward gauge\n");
    for (int i = 0; i < n && !rc; i++) {
        rc = tars_buf_puts(out, "tars_agent_reward{agent_id=\"");
        rc = rc ? rc : tars_expo_label(out, rw[i].agent_id);
        rc = rc ? rc : tars_buf_puts(out, "\",agent_type=\"");
        rc = rc ? rc : tars_expo_label(out, rw[i].agent_type);
        rc = rc ? rc : tars_buf_printf(out, "\"} %.6g\n", rw[i].reward);
    }
    return rc;
}

static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream itself */
}

static int render_process(const struct srv_metrics *m, struct tars_buf *out)
{
    struct rusage ru;
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    double cpu;

    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    getrusage(RUSAGE_SELF, &ru);
    cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
          (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return tars_buf_printf(
        out,
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %lld\n"
        "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.3f\n"
        "# HELP process_open_fds Number of open file descriptors.\n"
        "# TYPE process_open_fds gauge\nprocess_open_fds %d\n"
        "# HELP process_start_time_seconds Start time of the process since the Unix epoch in "
        "seconds.\n"
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
        (long long)rss * sysconf(_SC_PAGESIZE), cpu, count_open_fds(),
        (double)m->started_at_ms / 1000);
}

int srv_metrics_render(struct srv_metrics *m, const struct srv_agent_reward *rewards,
                       int reward_count, struct tars_buf *out)
{
    int rc = tars_buf_printf(out,
                             "# HELP tars_build_info Build of the running server.\n"
                             "# TYPE tars_build_info gauge\n"
                             "tars_build_info{version=\"%s\",git_sha=\"%s\"} 1\n",
                             TARS_VERSION, TARS_GIT_SHA);
    rc = rc ? rc : render_requests(m, out);
    rc = rc ? rc : render_latency(m, out);
    rc = rc ? rc : render_db(m, out);
    rc = rc ? rc : render_evaluations(m, out);
    rc = rc ? rc : render_counters(m, out);
    rc = rc ? rc : render_websocket(m, out);
    rc = rc ? rc : render_rewards(rewards, reward_count, out);
    rc = rc ? rc : render_process(m, out);
    return rc;
}
