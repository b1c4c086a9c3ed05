/* Internals shared by lib/server's files; not a public header. */
#ifndef TARS_SERVER_INT_H
#define TARS_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <h2o.h>
#include <jansson.h>

#include "tars/auth.h"
#include "tars/ratelimit.h"
#include "tars/server.h"
#include "tars/store.h"
#include "tars/trace.h"

#include "cache.h"
#include "metrics.h"
#include "router.h"
#include "ws_int.h"

#define SRV_MAX_BODY (1024 * 1024)
#define SRV_MAX_HEADER_BYTES (16 * 1024)
#define SRV_MAX_THREADS 64
/* Retry-After (seconds) on a 503 or 507 from storage: the store reconnects
 * on the next request, so a client may come back soon. */
#define SRV_STORAGE_RETRY_AFTER "1"

struct srv_thread;
struct srv_writer;

struct tars_server {
    struct tars_server_config cfg;
    h2o_globalconf_t h2o_config;
    tars_jwt_keys *jwt;
    tars_ratelimit *rl_public, *rl_auth, *rl_user;
    struct tars_netlist *exempt;
    char **cors_origins;
    size_t cors_count;
    enum tars_store_kind store_kind;
    struct srv_metrics metrics;
    struct srv_writer *writer;
    struct srv_writer *password_worker; /* scrypt checks off the event loops */
    struct srv_thread *threads;
    struct ws_hub *ws_hub; /* channels of the WebSocket feed (ws_hub.c) */
    int thread_count;
    bool threads_started;
    h2o_barrier_t ready; /* loop threads report their set-up here */
    int port;
    atomic_bool stopping;
    atomic_uint_fast64_t data_generation;    /* bumped by the writer after each commit */
    char dummy_hash[TARS_PASSWORD_HASH_MAX]; /* verified against for unknown users */
    int64_t started_at_ms;
    bool feed_poll_failing; /* the writer's: logs a failing feed read once */
};

struct srv_thread {
    struct tars_server *srv;
    int index;
    pthread_t tid;
    h2o_context_t ctx;
    h2o_loop_t *loop;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t write_done; /* completions from the writer */
    tars_store *store;                     /* this thread's reading connection */
    tars_jwt_cache *jwt_cache;
    struct srv_metrics_shard *shard;
    int64_t inflight;     /* requests being handled */
    int64_t jobs_pending; /* writes queued, not yet answered */
    int listen_fd;        /* until the thread wraps it */
    int init_rc;
    struct tars_err init_err;
    struct srv_cached_body agents_cache; /* GET /api/v1/agents */
    struct srv_ws_thread *ws;            /* this thread's WebSocket connections */
};

/* Per-request context, allocated from the request's pool. */
struct srv_req {
    h2o_req_t *req;
    struct srv_thread *th;
    const struct srv_route *route;
    struct srv_params params;
    struct tars_principal principal;
    bool authenticated;
    struct tars_trace_ctx trace;
    uint64_t started_ns;
    char client_ip[64];
    bool answered;
    struct srv_write_job *pending; /* a write waiting for the writer, or NULL */
};

/* ---- responses (http.c) ---- */
/* Sends body (copied) with the given content type. */
void srv_send_text(struct srv_req *r, int status, const char *type, const char *body, size_t len);
/* Sends v (consumed) as JSON with the given status. */
void srv_send_json(struct srv_req *r, int status, json_t *v);
/* Sends {"error":{"code","message"}}. */
void srv_send_error(struct srv_req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Maps a store error to 404/409/503/500 and sends it. */
void srv_send_store_error(struct srv_req *r, const struct tars_err *err);
void srv_add_header(struct srv_req *r, const char *name, const char *value);

/* ---- request input (http.c) ---- */
/* Parses the JSON body: checks Content-Type (415), parses (400 naming the
 * position). Sends the error itself and returns NULL on failure. */
json_t *srv_read_json_body(struct srv_req *r);
/* Finds and percent-decodes a query parameter. */
enum srv_query { SRV_Q_ABSENT, SRV_Q_OK, SRV_Q_BAD };
enum srv_query srv_query_get(struct srv_req *r, const char *name, char *out, size_t out_size);
/* Like srv_query_get but sends 400 itself (and returns false) when the value
 * is malformed or too long; *present says whether a non-empty value came. */
bool srv_query_str(struct srv_req *r, const char *name, char *out, size_t out_size, bool *present);
/* Strict integer query parameter within [min,max]; sends 400 itself and
 * returns false on a bad value; leaves *out when absent. */
bool srv_query_int(struct srv_req *r, const char *name, int64_t min, int64_t max, int64_t *out);
/* Sends 422 listing the field errors. */
struct tars_field_errors;
void srv_send_field_errors(struct srv_req *r, struct tars_field_errors *fe);

/* ---- per-thread response cache (http.c) ---- */
/* Sends the cached body if still valid; returns false when it is not. */
bool srv_cache_send(struct srv_req *r, struct srv_cached_body *c);
/* Refills c by read(ctx) (srv_cache_fill) and sends the body as a 200 JSON
 * response, or the read's store error, or 500. */
void srv_cache_fill_and_send(struct srv_req *r, struct srv_cached_body *c, srv_cache_read_fn read,
                             void *ctx);

/* ---- times as ISO strings into JSON ---- */
json_t *srv_json_time(int64_t ms);

/* ---- auth (auth_glue.c) ---- */
/* Authenticates the Authorization header if present: 0 when absent (r stays
 * anonymous) or valid (r->authenticated, r->principal set); TARS_EAUTH with
 * the reason in err otherwise (metrics counted; nothing sent). */
int srv_authenticate(struct srv_req *r, struct tars_err *err);
/* The same for a bare token (JWT access token or API key) from elsewhere. */
int srv_authenticate_token(struct srv_req *r, const char *token, struct tars_err *err);
/* Records an audit event through the writer (fire and forget). */
void srv_audit(struct srv_req *r, const char *event_type, const char *action,
               const char *resource_type, const char *resource_id, bool success,
               const char *username);

/* ---- writer (writer.c) ---- */
struct srv_write_job;
typedef int (*srv_write_fn)(tars_store *st, void *data, struct tars_err *err);
typedef void (*srv_write_done_fn)(struct srv_req *r, void *data, int rc,
                                  const struct tars_err *err);
/* Called on the writer's thread with its connection: once at start, after
 * every batch (before the batch's answers go out) and whenever idle_ms passed
 * without one. The live feed reads the database's new messages here. */
struct srv_writer_hook {
    void (*fn)(tars_store *st, void *ctx);
    void *ctx;
    int idle_ms;
};
struct srv_writer *srv_writer_start(const char *db_url, struct srv_metrics_shard *shard,
                                    atomic_uint_fast64_t *generation,
                                    const struct srv_writer_hook *hook, struct tars_err *err);
void srv_writer_stop(struct srv_writer *w);
/* Queues fn(data) for the next group commit; done(r, data, ...) runs on r's
 * thread after the commit (or failure) and must free data. If the client
 * went away meanwhile, done runs with r NULL: free data, do not respond. */
void srv_write(struct srv_req *r, srv_write_fn fn, void *data, srv_write_done_fn done);
/* The same on another worker (e.g. the password worker, whose jobs run one
 * by one outside any transaction). */
void srv_write_on(struct srv_writer *w, struct srv_req *r, srv_write_fn fn, void *data,
                  srv_write_done_fn done);
/* Fire and forget: free_data(data) runs on the writer after the commit. */
void srv_write_detached(struct srv_writer *w, srv_write_fn fn, void *data,
                        void (*free_data)(void *));
/* Detaches a pending job from its request (the client went away). */
void srv_write_forget(struct srv_write_job *job);
/* Registered on each loop thread's queue. */
void srv_writer_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/* ---- handlers (handlers_*.c) ---- */
void h_health(struct srv_req *r);
void h_ready(struct srv_req *r);
void h_prometheus(struct srv_req *r);
void h_version(struct srv_req *r);
void h_auth_token(struct srv_req *r);
void h_auth_refresh(struct srv_req *r);
void h_agents_list(struct srv_req *r);
void h_agent_get(struct srv_req *r);
void h_agent_history(struct srv_req *r);
void h_evaluations_list(struct srv_req *r);
void h_evaluation_get(struct srv_req *r);
void h_evaluation_create(struct srv_req *r);
void h_evaluation_update(struct srv_req *r);
void h_evaluation_delete(struct srv_req *r);
void h_missions_list(struct srv_req *r);
void h_mission_create(struct srv_req *r);
void h_metrics_summary(struct srv_req *r);
void h_feature_flags(struct srv_req *r);
void h_user(struct srv_req *r);
void h_admin_users_list(struct srv_req *r);
void h_admin_user_create(struct srv_req *r);
void h_admin_keys_list(struct srv_req *r);
void h_admin_key_create(struct srv_req *r);
void h_admin_key_rotate(struct srv_req *r);
void h_admin_key_revoke(struct srv_req *r);
void h_admin_audit(struct srv_req *r);

#endif
