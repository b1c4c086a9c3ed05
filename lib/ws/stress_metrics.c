/*
 * Live metrics of a running ws-stress (docs/metrics.md): each client thread
 * publishes a snapshot of its counts about once a second and when it stops;
 * a scrape sums the snapshots under the threads' locks. Nothing is added to
 * the per-message path.
 */
#include <stddef.h>
#include <string.h>

#include "stress_internal.h"
#include "tars/clock.h"

/* The counters of the exposition, in its order: each is a field of the
 * result (an int64_t) and a slot of stress_pub.counts. A row without help
 * continues the family above it with another label. */
static const struct stress_counter {
    const char *name, *labels, *help;
    size_t field;
} counters[STRESS_PUB_COUNTERS] = {
    {"tars_ws_stress_connection_attempts_total", NULL, "Connection attempts, first and reconnects.",
     offsetof(struct tars_ws_stress_result, attempts)},
    {"tars_ws_stress_connection_attempt_failures_total", NULL,
     "Connection attempts that failed (connect, upgrade, subscribe).",
     offsetof(struct tars_ws_stress_result, attempt_failures)},
    {"tars_ws_stress_connections_established_total", NULL,
     "Connections that got their first subscription ack.",
     offsetof(struct tars_ws_stress_result, established)},
    {"tars_ws_stress_messages_received_total", NULL,
     "Messages of the channel received (with a sequence number).",
     offsetof(struct tars_ws_stress_result, received)},
    {"tars_ws_stress_messages_replayed_total", NULL,
     "Of those, replayed after a resume (not timed).",
     offsetof(struct tars_ws_stress_result, replayed)},
    {"tars_ws_stress_reconnects_total", NULL, "Connections resubscribed after a drop.",
     offsetof(struct tars_ws_stress_result, reconnects)},
    {"tars_ws_stress_drops_total", "kind=\"forced\"",
     "Connections dropped: forced (--drop-every) or unexpected.",
     offsetof(struct tars_ws_stress_result, forced_drops)},
    {"tars_ws_stress_drops_total", "kind=\"unexpected\"", NULL,
     offsetof(struct tars_ws_stress_result, unexpected_drops)},
};

void stress_publish(struct stress_thread *t)
{
    const struct tars_ws_stress_result *r = &t->r;
    struct stress_pub p;

    for (int i = 0; i < STRESS_PUB_COUNTERS; i++)
        memcpy(&p.counts[i], (const char *)r + counters[i].field, sizeof(p.counts[i]));
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
        for (int c = 0; c < STRESS_PUB_COUNTERS; c++)
            sum->counts[c] += t->pub.counts[c];
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

static int render_counter(struct tars_buf *out, const struct stress_counter *c, int64_t v)
{
    int rc = c->help ? tars_expo_family(out, c->name, "counter", c->help) : 0;

    if (rc == 0 && c->labels)
        return tars_buf_printf(out, "%s{%s} %lld\n", c->name, c->labels, (long long)v);
    return rc ? rc : tars_buf_printf(out, "%s %lld\n", c->name, (long long)v);
}

static int render_head(tars_ws_stress *s, int64_t open, struct tars_buf *out)
{
    bool done = tars_ws_stress_done(s);
    struct tars_expo_run head = {.prefix = "tars_ws_stress",
                                 .what = "the run",
                                 .threads = "client threads",
                                 .started_at_ms = s->started_at_ms,
                                 .elapsed_s = elapsed_s(s, done),
                                 .running = !done};
    int rc = tars_expo_run_head(out, &head);

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
    for (int i = 0; i < STRESS_PUB_COUNTERS && !rc; i++)
        rc = render_counter(out, &counters[i], sum.counts[i]);
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
