/*
 * Live metrics of a running ws-stress (docs/metrics.md): each client thread
 * publishes a snapshot of its counts about once a second and when it stops;
 * a scrape sums the snapshots under the threads' locks. Nothing is added to
 * the per-message path.
 */
#include <string.h>

#include "stress_internal.h"
#include "tars/clock.h"

void stress_publish(struct stress_thread *t)
{
    const struct tars_ws_stress_result *r = &t->r;
    struct stress_pub p;

    p.attempts = r->attempts;
    p.attempt_failures = r->attempt_failures;
    p.established = r->established;
    p.received = r->received;
    p.replayed = r->replayed;
    p.reconnects = r->reconnects;
    p.forced_drops = r->forced_drops;
    p.unexpected_drops = r->unexpected_drops;
    tars_expo_hist_fill(&p.latency, r->latency);
    tars_expo_hist_fill(&p.connect_time, r->connect_time);
    pthread_mutex_lock(&t->pub_lock);
    t->pub = p;
    pthread_mutex_unlock(&t->pub_lock);
}

static void sum_threads(tars_ws_stress *s, struct stress_pub *sum, int64_t *open)
{
    memset(sum, 0, sizeof(*sum));
    *open = 0;
    for (int i = 0; i < s->o.threads; i++) {
        struct stress_thread *t = &s->threads[i];
        pthread_mutex_lock(&t->pub_lock);
        sum->attempts += t->pub.attempts;
        sum->attempt_failures += t->pub.attempt_failures;
        sum->established += t->pub.established;
        sum->received += t->pub.received;
        sum->replayed += t->pub.replayed;
        sum->reconnects += t->pub.reconnects;
        sum->forced_drops += t->pub.forced_drops;
        sum->unexpected_drops += t->pub.unexpected_drops;
        tars_expo_hist_add(&sum->latency, &t->pub.latency);
        tars_expo_hist_add(&sum->connect_time, &t->pub.connect_time);
        pthread_mutex_unlock(&t->pub_lock);
        *open += atomic_load(&t->open);
    }
}

static double elapsed_s(tars_ws_stress *s, bool done)
{
    int64_t end = done ? s->start_ns : (int64_t)tars_mono_ns();

    for (int i = 0; done && i < s->o.threads; i++)
        if (s->threads[i].stopped_ns > end)
            end = s->threads[i].stopped_ns;
    return end > s->start_ns ? (double)(end - s->start_ns) / 1e9 : 0;
}

static int counter(struct tars_buf *out, const char *name, const char *help, int64_t v)
{
    int rc = tars_expo_family(out, name, "counter", help);

    return rc ? rc : tars_buf_printf(out, "%s %lld\n", name, (long long)v);
}

static int render_head(tars_ws_stress *s, int64_t open, struct tars_buf *out)
{
    bool done = tars_ws_stress_done(s);
    int rc = tars_expo_family(out, "tars_ws_stress_start_time_seconds", "gauge",
                              "When the run started, seconds since the Unix epoch.");

    rc = rc ? rc
            : tars_buf_printf(out, "tars_ws_stress_start_time_seconds %.3f\n",
                              (double)s->started_at_ms / 1000);
    rc = rc ? rc
            : tars_expo_family(out, "tars_ws_stress_elapsed_seconds", "gauge",
                               "Time since the start (its length once it ended).");
    rc =
        rc ? rc : tars_buf_printf(out, "tars_ws_stress_elapsed_seconds %.3f\n", elapsed_s(s, done));
    rc = rc ? rc
            : tars_expo_family(out, "tars_ws_stress_running", "gauge",
                               "1 while the client threads run, 0 once all have stopped.");
    rc = rc ? rc : tars_buf_printf(out, "tars_ws_stress_running %d\n", done ? 0 : 1);
    rc = rc ? rc
            : tars_expo_family(out, "tars_ws_stress_connections_open", "gauge",
                               "Connections subscribed and receiving now.");
    return rc ? rc
              : tars_buf_printf(out, "tars_ws_stress_connections_open %lld\n", (long long)open);
}

int tars_ws_stress_metrics_render(tars_ws_stress *s, struct tars_buf *out)
{
    struct stress_pub sum;
    int64_t open;
    int rc;

    sum_threads(s, &sum, &open);
    rc = render_head(s, open, out);
    rc = rc ? rc
            : counter(out, "tars_ws_stress_connection_attempts_total",
                      "Connection attempts, first and reconnects.", sum.attempts);
    rc = rc ? rc
            : counter(out, "tars_ws_stress_connection_attempt_failures_total",
                      "Connection attempts that failed (connect, upgrade, subscribe).",
                      sum.attempt_failures);
    rc = rc ? rc
            : counter(out, "tars_ws_stress_connections_established_total",
                      "Connections that got their first subscription ack.", sum.established);
    rc = rc ? rc
            : counter(out, "tars_ws_stress_messages_received_total",
                      "Messages of the channel received (with a sequence number).", sum.received);
    rc = rc ? rc
            : counter(out, "tars_ws_stress_messages_replayed_total",
                      "Of those, replayed after a resume (not timed).", sum.replayed);
    rc = rc ? rc
            : counter(out, "tars_ws_stress_reconnects_total",
                      "Connections resubscribed after a drop.", sum.reconnects);
    rc = rc ? rc
            : tars_expo_family(out, "tars_ws_stress_drops_total", "counter",
                               "Connections dropped: forced (--drop-every) or unexpected.");
    rc = rc ? rc
            : tars_buf_printf(out,
                              "tars_ws_stress_drops_total{kind=\"forced\"} %lld\n"
                              "tars_ws_stress_drops_total{kind=\"unexpected\"} %lld\n",
                              (long long)sum.forced_drops, (long long)sum.unexpected_drops);
    rc = rc ? rc
            : tars_expo_family(out, "tars_ws_stress_message_latency_seconds", "histogram",
                               "Delivery latency of live messages (server timestamp to "
                               "receipt).");
    rc = rc ? rc
            : tars_expo_histogram(out, "tars_ws_stress_message_latency_seconds", "", &sum.latency);
    rc = rc ? rc
            : tars_expo_family(out, "tars_ws_stress_connect_duration_seconds", "histogram",
                               "Connect, upgrade and subscribe, to the first ack.");
    return rc ? rc
              : tars_expo_histogram(out, "tars_ws_stress_connect_duration_seconds", "",
                                    &sum.connect_time);
}
