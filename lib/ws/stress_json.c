/* The ws-stress result as JSON (times in ms, histograms in ns for merging). */
#include <jansson.h>

#include "tars/ws_stress.h"

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* {"count","p50_ms","p95_ms","p99_ms","max_ms","mean_ms","histogram"}; the
 * figures are null when nothing was recorded. */
static json_t *times_json(const tars_hist *h)
{
    json_t *o = json_object(), *hist = NULL;
    bool any = tars_hist_count(h) > 0;

    if (!o || tars_hist_to_json(h, &hist, NULL)) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "count", json_integer((json_int_t)tars_hist_count(h)));
    json_object_set_new(o, "p50_ms",
                        any ? json_real(ms(tars_hist_percentile(h, 50))) : json_null());
    json_object_set_new(o, "p95_ms",
                        any ? json_real(ms(tars_hist_percentile(h, 95))) : json_null());
    json_object_set_new(o, "p99_ms",
                        any ? json_real(ms(tars_hist_percentile(h, 99))) : json_null());
    json_object_set_new(o, "mean_ms", any ? json_real(tars_hist_mean(h) / 1e6) : json_null());
    json_object_set_new(o, "max_ms", any ? json_real(ms(tars_hist_max(h))) : json_null());
    json_object_set_new(o, "histogram", hist);
    return o;
}

static json_t *reasons_json(const struct tars_ws_stress_result *r)
{
    json_t *o = json_object();

    for (int i = 0; o && i < TARS_WS_STRESS_REASONS; i++)
        if (r->reasons[i].count)
            json_object_set_new(o, r->reasons[i].text, json_integer(r->reasons[i].count));
    return o;
}

json_t *tars_ws_stress_result_to_json(const struct tars_ws_stress_result *r)
{
    json_t *conn, *msg, *rec;

    conn = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "target", (json_int_t)r->connections,
                     "started", (json_int_t)r->started, "established", (json_int_t)r->established,
                     "failed", (json_int_t)r->failed, "attempts", (json_int_t)r->attempts,
                     "attempt_failures", (json_int_t)r->attempt_failures, "failure_reasons",
                     reasons_json(r), "connect_time", times_json(r->connect_time));
    msg =
        json_pack("{s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "published",
                  (json_int_t)r->published, "publish_errors", (json_int_t)r->publish_errors,
                  "expected", (json_int_t)r->expected, "received", (json_int_t)r->received, "loss",
                  r->expected ? json_real((double)r->lost / (double)r->expected) : json_null(),
                  "lost", (json_int_t)r->lost, "duplicated", (json_int_t)r->duplicated,
                  "out_of_order", (json_int_t)r->out_of_order, "replayed", (json_int_t)r->replayed,
                  "resync_required", (json_int_t)r->resync_required, "heartbeats",
                  (json_int_t)r->heartbeats, "other", (json_int_t)r->other_messages, "max_seq",
                  (json_int_t)r->max_seq, "last_publish_error", r->publish_error);
    rec = json_pack("{s:I,s:I,s:I,s:o}", "count", (json_int_t)r->reconnects, "forced_drops",
                    (json_int_t)r->forced_drops, "unexpected_drops",
                    (json_int_t)r->unexpected_drops, "time", times_json(r->reconnect_time));
    if (!conn || !msg || !rec) {
        json_decref(conn);
        json_decref(msg);
        json_decref(rec);
        return NULL;
    }
    return json_pack("{s:f,s:b,s:b,s:o,s:o,s:o,s:o}", "elapsed_s", r->elapsed_s, "interrupted",
                     r->interrupted, "drained", r->drained, "connections", conn, "messages", msg,
                     "latency", times_json(r->latency), "reconnects", rec);
}
