/*
 * The ws-stress engine: many WebSocket clients of the feed protocol
 * (docs/api.md), each subscribed to one channel, counting what arrives.
 *
 * Threads: one epoll loop per thread, owning its connections (shared
 * nothing; results merge after join). Each connection is a tars_ws_conn plus
 * about 600 bytes of bookkeeping: its reconnect loop (tars_ws_reconnect), a
 * heartbeat watch, and a sliding window of 2048 sequence numbers for loss,
 * duplicates and order.
 *
 * A run: connections start at ramp_rate per second, connect, subscribe,
 * and receive. With drop_every each connection is dropped abruptly every
 * drop_every ms (staggered over the connections) and resumes through its
 * reconnect loop with since_seq = the last seq it saw. At the end of the
 * duration no more drops happen and the run drains for up to drain_ms, until
 * every connection that was ever established is subscribed again and has
 * seen the highest seq any connection saw. Then:
 *   expected = highest seq seen by any connection - the seq of the
 *              connection's first subscription ack (summed over connections)
 *   lost     = expected - distinct seqs received
 *   received counts messages up to that highest seq (a thread that stopped
 *   early bounds it), so received + lost = expected when nothing was duplicated
 * A publisher (tars_ws_publisher) generates the traffic through the REST
 * API when asked.
 *
 * Latency is measured from the message's "timestamp" (server wall clock, ms)
 * to the wall clock at receipt, for live messages only: messages replayed
 * after a resume (seq already published when the resubscription was
 * acknowledged) are counted as replayed, not timed.
 */
#ifndef TARS_WS_STRESS_H
#define TARS_WS_STRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "tars/err.h"
#include "tars/hist.h"
#include "tars/judge.h"
#include "tars/ws.h"

struct json_t;

struct tars_ws_stress_opts {
    const char *url;           /* ws:// or wss:// */
    const char *channel;       /* evaluation.updates */
    const char *authorization; /* "Bearer ..." or NULL; never printed */
    const char *protocol;      /* Sec-WebSocket-Protocol offered ("bearer, <jwt>"), or NULL */
    int64_t connections;
    int threads; /* >= 1 */
    int64_t duration_ms;
    double ramp_rate;           /* connections started per second; 0: all at once */
    int64_t drop_every_ms;      /* 0: never */
    int64_t connect_timeout_ms; /* connect + upgrade + subscribe; 0: 10 s */
    int64_t drain_ms;           /* 0: 5 s */
    int64_t ping_interval_ms;   /* {"type":"ping"} after this long without sending; 0: never */
    bool insecure;
    struct tars_ws_backoff backoff;
    struct tars_ws_heartbeat heartbeat;
};

#define TARS_WS_STRESS_REASONS 8

struct tars_ws_stress_reason {
    char text[120];
    int64_t count;
};

struct tars_ws_stress_result {
    int64_t connections; /* asked for */
    int64_t started;     /* connections the ramp started */
    int64_t established; /* got their first subscription ack */
    int64_t failed;      /* started but never established */
    int64_t attempts;    /* connection attempts, first and re- */
    int64_t attempt_failures;
    struct tars_ws_stress_reason reasons[TARS_WS_STRESS_REASONS]; /* attempt failures by reason */
    int64_t expected, received, lost, duplicated, out_of_order, replayed;
    int64_t resync_required, heartbeats, other_messages;
    int64_t forced_drops, unexpected_drops, reconnects;
    int64_t max_seq;
    tars_hist *connect_time;   /* ns, attempt start to subscription ack */
    tars_hist *latency;        /* ns, live messages */
    tars_hist *reconnect_time; /* ns, drop to the ack of the resubscription */
    int64_t published, publish_errors;
    char publish_error[160]; /* the last one */
    double elapsed_s;
    bool interrupted;
    bool drained; /* every connection caught up before the end */
};

struct tars_ws_stress_progress {
    int64_t open, established, failed, received, reconnects;
    double elapsed_s;
};

typedef struct tars_ws_stress tars_ws_stress;

/* Resolves the URL, raises nothing (the caller sets RLIMIT_NOFILE), starts
 * the threads. NULL with err on bad options or an unresolvable host. */
tars_ws_stress *tars_ws_stress_start(const struct tars_ws_stress_opts *o, struct tars_err *err);
/* Ends the run early (Ctrl-C): threads stop at once, results are partial. */
void tars_ws_stress_stop(tars_ws_stress *s);
/* True once every thread has finished (duration and drain over, or stopped). */
bool tars_ws_stress_done(tars_ws_stress *s);
void tars_ws_stress_progress(tars_ws_stress *s, struct tars_ws_stress_progress *p);
/* True once the duration is over (the publisher should stop). */
bool tars_ws_stress_publishing_over(tars_ws_stress *s);
/* Joins the threads and merges their results into r (release it). */
void tars_ws_stress_wait(tars_ws_stress *s, struct tars_ws_stress_result *r);
void tars_ws_stress_free(tars_ws_stress *s);
void tars_ws_stress_result_release(struct tars_ws_stress_result *r);
/* The live metrics (Prometheus text format, docs/metrics.md) appended to
 * out: each thread's counts as of about a second ago, or final once it
 * stopped. Thread-safe; for a scrape server's thread. TARS_ETOOBIG past
 * out->max. */
struct tars_buf;
int tars_ws_stress_metrics_render(tars_ws_stress *s, struct tars_buf *out) TARS_MUST_CHECK;

/* {"connections":{...},"messages":{...},"latency":{...},"reconnects":{...}}
 * with histograms; NULL when out of memory. */
struct json_t *tars_ws_stress_result_to_json(const struct tars_ws_stress_result *r);

/* ---- the publisher: POST /api/v1/evaluations at a rate ----------------- */

struct tars_ws_publisher_opts {
    const char *base_url;      /* http(s)://host:port */
    const char *authorization; /* or NULL */
    double rate;               /* posts per second */
    bool insecure;
};

typedef struct tars_ws_publisher tars_ws_publisher;

tars_ws_publisher *tars_ws_publisher_start(const struct tars_ws_publisher_opts *o,
                                           struct tars_err *err);
/* Stops and joins; adds its counts to r (published, publish_errors). */
void tars_ws_publisher_finish(tars_ws_publisher *p, struct tars_ws_stress_result *r);

/* ---- thresholds -------------------------------------------------------- */

enum tars_ws_threshold_metric {
    TARS_WS_TH_LOSS,
    TARS_WS_TH_DUPLICATES,
    TARS_WS_TH_OUT_OF_ORDER,
    TARS_WS_TH_P50,
    TARS_WS_TH_P95,
    TARS_WS_TH_P99,
    TARS_WS_TH_CONNECT_P95,
    TARS_WS_TH_RECONNECT_AVG,
    TARS_WS_TH_RECONNECT_MAX,
    TARS_WS_TH_FAILED,
    TARS_WS_TH_RESYNC
};

enum tars_ws_threshold_op { /* the comparisons of tars/judge.h */
                            TARS_WS_TH_LT = TARS_JUDGE_LT,
                            TARS_WS_TH_LE = TARS_JUDGE_LE,
                            TARS_WS_TH_GT = TARS_JUDGE_GT,
                            TARS_WS_TH_GE = TARS_JUDGE_GE
};

/* "loss<0.1%", "p99<50ms", "reconnect_avg<5s", "failed_connections<=0". */
struct tars_ws_threshold {
    int metric;   /* enum tars_ws_threshold_metric */
    int op;       /* enum tars_ws_threshold_op */
    double value; /* ns for times, a fraction for loss, a count otherwise */
    char text[96];
};

int tars_ws_threshold_parse(const char *text, struct tars_ws_threshold *th,
                            struct tars_err *err) TARS_MUST_CHECK;
/* Judges th against r into *out (tars/judge.h). No data is never a pass:
 * nothing expected (loss, duplicates, order), nothing timed (latencies,
 * connect and reconnect times), no connection attempted or established
 * give TARS_JUDGE_NO_DATA with out->missing naming what was missing. */
void tars_ws_threshold_check(const struct tars_ws_threshold *th,
                             const struct tars_ws_stress_result *r, struct tars_judged *out);
/* The unit of value and measured, as run records name it: "ns", "fraction", "count". */
const char *tars_ws_threshold_unit(const struct tars_ws_threshold *th);

#endif
