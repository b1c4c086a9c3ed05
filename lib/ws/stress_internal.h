/* Internals of the ws-stress engine, shared by its files (not public). */
#ifndef TARS_WS_STRESS_INTERNAL_H
#define TARS_WS_STRESS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tars/expo.h"
#include "tars/ws.h"
#include "tars/ws_stress.h"

#define SEQ_WINDOW_WORDS 32 /* 2048 sequence numbers */
#define SEQ_WINDOW (SEQ_WINDOW_WORDS * 64)

/* Which seqs of one channel a connection has seen. */
struct seq_track {
    bool have_base;
    int64_t base;     /* seq of the first subscription ack: expected starts after it */
    int64_t max_seq;  /* highest seen (base before any) */
    int64_t win_base; /* bit i of window is seq win_base + i */
    int64_t distinct; /* seqs in (base, ...) received once */
    int64_t duplicated, out_of_order;
    uint64_t window[SEQ_WINDOW_WORDS];
};

void seq_track_start(struct seq_track *t, int64_t base);
/* Records seq: 0 new, 1 duplicate (or too old to tell). */
int seq_track_add(struct seq_track *t, int64_t seq);
/* Distinct seqs received above last (those already out of the window count
 * as received: they can no longer be told apart). */
int64_t seq_track_above(const struct seq_track *t, int64_t last);

enum sconn_state {
    SC_IDLE,        /* not started by the ramp yet */
    SC_CONNECTING,  /* connect + upgrade */
    SC_SUBSCRIBING, /* subscribe sent, no ack yet */
    SC_LIVE,
    SC_WAITING, /* in the reconnect loop, between attempts */
    SC_FAILED,  /* refused for good (1008, 401, 403) or gave up */
};

struct sconn {
    tars_ws_conn *ws;
    int state;
    int events;         /* registered with epoll */
    int64_t index;      /* over the whole run */
    bool established;   /* got a first ack once */
    bool reconnecting;  /* the next ack ends a reconnect */
    int64_t attempt_ns; /* start of the current attempt */
    int64_t lost_ns;    /* when the connection was lost */
    int64_t next_drop_ns;
    int64_t last_send_ns; /* keepalive: the server closes connections silent too long */
    int64_t live_from;    /* seqs above it are live (timed) */
    struct tars_ws_reconnect loop;
    struct tars_ws_heartbeat heartbeat;
    struct seq_track seq;
};

/* A thread's counts as last published for the live metrics
 * (stress_metrics.c, docs/metrics.md). */
/* The counters a scrape shows (stress_metrics.c's table names them). */
#define STRESS_PUB_COUNTERS 8

struct stress_pub {
    int64_t counts[STRESS_PUB_COUNTERS];
    struct tars_expo_hist latency, connect_time;
};

struct stress_thread {
    struct tars_ws_stress *run;
    int id;
    int epoll_fd;
    pthread_t thread;
    struct sconn *conns;
    int64_t count;   /* connections of this thread */
    int64_t started; /* by the ramp so far */
    int64_t end_max; /* highest seq all its connections had when it stopped */
    uint64_t rng;
    struct tars_ws_stress_result r;
    _Atomic int64_t open, established, failed, received, reconnects; /* progress */
    int64_t published_ns; /* when it last published its counts */
    int64_t stopped_ns;   /* when its loop ended */
    pthread_mutex_t pub_lock;
    struct stress_pub pub; /* under pub_lock */
};

struct tars_ws_stress {
    struct tars_ws_stress_opts o;
    char *url, *channel, *authorization, *protocol, *reconnect_path;
    struct tars_ws_endpoint endpoint;
    struct stress_thread *threads;
    int64_t start_ns, end_ns;
    int64_t started_at_ms; /* wall clock at the start */
    _Atomic int stop;
    _Atomic int finished_threads;
    _Atomic int64_t global_max_seq;
};

/* stress_metrics.c: publishes t's counts (on t's own thread). */
void stress_publish(struct stress_thread *t);

/* stress_conn.c */
void sconn_start(struct stress_thread *t, struct sconn *c, int64_t now_ns);
void sconn_io(struct stress_thread *t, struct sconn *c, int64_t now_ns);
void sconn_timers(struct stress_thread *t, struct sconn *c, int64_t now_ns, bool draining);
void sconn_close(struct stress_thread *t, struct sconn *c);
void sconn_finish(struct stress_thread *t, struct sconn *c, int64_t final_max);
void stress_reason(struct tars_ws_stress_result *r, const char *text);

#endif
