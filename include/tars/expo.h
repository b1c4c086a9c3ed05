/*
 * Prometheus text exposition (format 0.0.4) for the live metrics of a
 * running test (`tars load` and `tars ws-stress` --metrics-listen;
 * docs/metrics.md): label escaping, latency histograms cut from a tars_hist,
 * and a minimal scrape server.
 *
 * The server answers one request per connection, one connection at a time,
 * on its own thread: GET /metrics → 200 with what the render callback
 * writes; another path → 404; another method → 405; a request head over
 * TARS_EXPO_MAX_REQUEST bytes → 431; nothing complete within
 * TARS_EXPO_IO_TIMEOUT_MS → the connection is closed. Every response ends
 * with "Connection: close". The callback runs on the server's thread.
 */
#ifndef TARS_EXPO_H
#define TARS_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/buf.h"
#include "tars/err.h"
#include "tars/hist.h"

#define TARS_EXPO_MAX_REQUEST 8192
#define TARS_EXPO_IO_TIMEOUT_MS 2000
#define TARS_EXPO_MAX_BODY (16 * 1024 * 1024)

/* Writes value escaped as a label value (backslash, quote, newline). */
int tars_expo_label(struct tars_buf *out, const char *value) TARS_MUST_CHECK;
/* "# HELP name help\n# TYPE name type\n". */
int tars_expo_family(struct tars_buf *out, const char *name, const char *type,
                     const char *help) TARS_MUST_CHECK;

/* The gauges every live run starts with: PREFIX_start_time_seconds,
 * PREFIX_elapsed_seconds and PREFIX_running. what names the run in their
 * help ("the load"), threads its threads ("load threads"). */
struct tars_expo_run {
    const char *prefix, *what, *threads;
    int64_t started_at_ms; /* wall clock */
    double elapsed_s;      /* its length once it ended */
    bool running;
};
int tars_expo_run_head(struct tars_buf *out, const struct tars_expo_run *run) TARS_MUST_CHECK;

/* The latency buckets (upper bounds, seconds) of every live histogram. */
#define TARS_EXPO_BUCKETS 15
extern const double tars_expo_bucket_bounds[TARS_EXPO_BUCKETS];

/* A latency histogram as exposed: cumulative counts at the bounds, count
 * (the +Inf bucket) and sum in seconds. Small and plain: a snapshot. */
struct tars_expo_hist {
    uint64_t le[TARS_EXPO_BUCKETS];
    uint64_t count;
    double sum_s;
};

/* e := h cut at tars_expo_bucket_bounds (tars_hist_cumulative). */
void tars_expo_hist_fill(struct tars_expo_hist *e, const tars_hist *h);
/* into += from. */
void tars_expo_hist_add(struct tars_expo_hist *into, const struct tars_expo_hist *from);
/* name_bucket{labels,le="..."} ... name_sum{labels} name_count{labels};
 * labels is "" or 'a="x",b="y"' (already escaped). */
int tars_expo_histogram(struct tars_buf *out, const char *name, const char *labels,
                        const struct tars_expo_hist *e) TARS_MUST_CHECK;

/* ---- the scrape server ---- */

/* Writes the whole exposition into out (out->max is TARS_EXPO_MAX_BODY);
 * non-zero → 500. */
typedef int (*tars_expo_render_fn)(void *ctx, struct tars_buf *out);

typedef struct tars_expo_server tars_expo_server;

/* Binds host:port (numeric; port 0: a free port). A host that is not a
 * loopback address is refused (TARS_EINVAL) unless allow_remote. Nothing is
 * served until tars_expo_server_run. */
tars_expo_server *tars_expo_server_listen(const char *host, int port, bool allow_remote,
                                          struct tars_err *err);
/* The bound port. */
int tars_expo_server_port(const tars_expo_server *s);
/* Starts the serving thread (it inherits the caller's signal mask). */
int tars_expo_server_run(tars_expo_server *s, tars_expo_render_fn render, void *ctx,
                         struct tars_err *err) TARS_MUST_CHECK;
/* Scrapes answered 200 so far. */
uint64_t tars_expo_server_scrapes(tars_expo_server *s);
/* Stops the thread (within TARS_EXPO_IO_TIMEOUT_MS), closes and frees; NULL is fine. */
void tars_expo_server_free(tars_expo_server *s);

#endif
