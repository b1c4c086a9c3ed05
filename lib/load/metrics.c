/*
 * Live metrics of a running load (docs/metrics.md, "tars load"): each load
 * thread publishes a snapshot of its counts once a second and when it stops;
 * a scrape sums the threads' snapshots under their locks. The hot path pays
 * nothing per request: the snapshot is taken from the counters and HDR
 * histograms the thread keeps anyway.
 */
#include <stdlib.h>
#include <string.h>

#include "load_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"

static void publish_task(struct load_task_pub *p, const struct tars_load_task_result *r)
{
    p->requests = r->requests;
    p->failures = r->failures;
    memcpy(p->errors, r->errors, sizeof(p->errors));
    tars_expo_hist_fill(&p->latency, r->latency);
}

void load_metrics_publish(struct load_thread *t, bool stopped)
{
    const struct tars_load_scenario *s = t->run->s;

    if (!t->acc)
        return;
    pthread_mutex_lock(&t->live.lock);
    for (size_t k = 0; k < s->task_count; k++)
        if (t->acc[k].r.requests != t->live.tasks[k].requests) /* else nothing changed */
            publish_task(&t->live.tasks[k], &t->acc[k].r);
    if (stopped)
        t->live.users = 0;
    else
        t->live.users = s->model == TARS_LOAD_OPEN ? (int64_t)(t->conn_count - t->idle_len)
                                                   : (int64_t)t->active_users;
    pthread_mutex_unlock(&t->live.lock);
}

/* The threads' snapshots summed into sum (one per task); the users. */
static int64_t sum_threads(struct tars_load_run *run, struct load_task_pub *sum)
{
    int64_t users = 0;

    for (int i = 0; i < run->thread_count; i++) {
        struct load_thread *t = &run->threads[i];
        pthread_mutex_lock(&t->live.lock);
        for (size_t k = 0; k < run->s->task_count; k++) {
            const struct load_task_pub *p = &t->live.tasks[k];
            sum[k].requests += p->requests;
            sum[k].failures += p->failures;
            for (int e = 0; e < TARS_LOAD_ERR_COUNT; e++)
                sum[k].errors[e] += p->errors[e];
            tars_expo_hist_add(&sum[k].latency, &p->latency);
        }
        users += t->live.users;
        pthread_mutex_unlock(&t->live.lock);
    }
    return users;
}

/* The labels of a request row, escaped: a journey's step is
 * 'task="JOURNEY",step="STEP"'; a task that is one request is its own only
 * step, 'task="NAME",step="NAME"'. */
static int task_labels(struct tars_buf *out, const struct tars_load_scenario *s, size_t k)
{
    const struct tars_load_task *task = &s->tasks[k];
    bool step = task->kind == TARS_LOAD_TASK_STEP;
    int rc = tars_buf_puts(out, "task=\"");

    rc = rc ? rc : tars_expo_label(out, step ? s->tasks[task->journey].name : task->name);
    rc = rc ? rc : tars_buf_puts(out, "\",step=\"");
    rc = rc ? rc : tars_expo_label(out, step ? task->step_name : task->name);
    return rc ? rc : tars_buf_puts(out, "\"");
}

/* Rows of requests: not a journey's own row (iterations, rendered apart). */
static bool is_request_row(const struct tars_load_scenario *s, size_t k)
{
    return s->tasks[k].kind != TARS_LOAD_TASK_JOURNEY;
}

static int render_head(struct tars_load_run *run, int64_t users, struct tars_buf *out)
{
    const struct tars_load_scenario *s = run->s;
    bool done = tars_load_done(run);
    uint64_t end = done ? load_last_stop(run) : tars_mono_ns();
    struct tars_expo_run head = {.prefix = "tars_load",
                                 .what = "the load",
                                 .threads = "load threads",
                                 .started_at_ms = run->started_at_ms,
                                 .elapsed_s = (double)load_elapsed_ms(run, end) / 1000,
                                 .running = !done};
    int rc = tars_expo_family(out, "tars_load_info", "gauge",
                              "The running load's scenario and model (always 1).");

    rc = rc ? rc : tars_buf_puts(out, "tars_load_info{scenario=\"");
    rc = rc ? rc : tars_expo_label(out, s->name ? s->name : "");
    rc = rc ? rc
            : tars_buf_printf(out, "\",model=\"%s\"} 1\n",
                              s->model == TARS_LOAD_OPEN ? "open" : "closed");
    rc = rc ? rc : tars_expo_run_head(out, &head);
    rc = rc ? rc
            : tars_expo_family(out, "tars_load_active_users", "gauge",
                               "Closed model: users running; open model: connections "
                               "with a request in flight.");
    return rc ? rc : tars_buf_printf(out, "tars_load_active_users %lld\n", (long long)users);
}

static int render_requests(const struct tars_load_scenario *s, const struct load_task_pub *sum,
                           struct tars_buf *out)
{
    int rc = tars_expo_family(out, "tars_load_requests_total", "counter",
                              "Requests sent that were answered or failed.");

    for (size_t k = 0; k < s->task_count && !rc; k++) {
        if (!is_request_row(s, k))
            continue;
        rc = tars_buf_puts(out, "tars_load_requests_total{");
        rc = rc ? rc : task_labels(out, s, k);
        rc = rc ? rc : tars_buf_printf(out, "} %llu\n", (unsigned long long)sum[k].requests);
    }
    rc = rc ? rc
            : tars_expo_family(out, "tars_load_failures_total", "counter",
                               "Failed requests by kind (docs/load-format.md).");
    for (size_t k = 0; k < s->task_count && !rc; k++)
        for (int e = 0; e < TARS_LOAD_ERR_COUNT && !rc && is_request_row(s, k); e++) {
            rc = tars_buf_puts(out, "tars_load_failures_total{");
            rc = rc ? rc : task_labels(out, s, k);
            rc = rc ? rc
                    : tars_buf_printf(out, ",kind=\"%s\"} %llu\n",
                                      tars_load_error_name((enum tars_load_error)e),
                                      (unsigned long long)sum[k].errors[e]);
        }
    return rc;
}

static int render_latency(const struct tars_load_scenario *s, const struct load_task_pub *sum,
                          struct tars_buf *out)
{
    struct tars_buf labels = TARS_BUF_INIT(4096);
    int rc = tars_expo_family(out, "tars_load_request_duration_seconds", "histogram",
                              "Latency of every complete response (open model: from the "
                              "intended send time).");

    for (size_t k = 0; k < s->task_count && !rc; k++) {
        if (!is_request_row(s, k))
            continue;
        tars_buf_reset(&labels);
        rc = task_labels(&labels, s, k);
        rc = rc ? rc
                : tars_expo_histogram(out, "tars_load_request_duration_seconds", labels.data,
                                      &sum[k].latency);
    }
    tars_buf_release(&labels);
    return rc;
}

/* A journey's own row: iterations, failed iterations, whole-journey times. */
static int render_journeys(const struct tars_load_scenario *s, const struct load_task_pub *sum,
                           struct tars_buf *out)
{
    static const char *const names[3] = {"tars_load_journeys_total",
                                         "tars_load_journey_failures_total",
                                         "tars_load_journey_duration_seconds"};
    static const char *const helps[3] = {
        "Journey iterations ended, successful or not.",
        "Journey iterations that failed (a step failed, or a value was missing).",
        ("Time of whole journey iterations, first send to last answer, less the "
         "think time between steps.")};
    struct tars_buf labels = TARS_BUF_INIT(4096);
    int rc = 0;

    for (int m = 0; m < 3 && !rc; m++) {
        rc = tars_expo_family(out, names[m], m == 2 ? "histogram" : "counter", helps[m]);
        for (size_t k = 0; k < s->task_count && !rc; k++) {
            if (is_request_row(s, k))
                continue;
            tars_buf_reset(&labels);
            rc = tars_buf_puts(&labels, "journey=\"");
            rc = rc ? rc : tars_expo_label(&labels, s->tasks[k].name);
            rc = rc ? rc : tars_buf_puts(&labels, "\"");
            if (rc == 0 && m == 2)
                rc = tars_expo_histogram(out, names[m], labels.data, &sum[k].latency);
            else if (rc == 0)
                rc = tars_buf_printf(
                    out, "%s{%s} %llu\n", names[m], labels.data,
                    (unsigned long long)(m == 0 ? sum[k].requests : sum[k].failures));
        }
    }
    tars_buf_release(&labels);
    return rc;
}

static bool has_journeys(const struct tars_load_scenario *s)
{
    for (size_t k = 0; k < s->task_count; k++)
        if (!is_request_row(s, k))
            return true;
    return false;
}

int tars_load_metrics_render(tars_load_run *run, struct tars_buf *out)
{
    struct load_task_pub *sum = xcalloc(run->s->task_count, sizeof(*sum));
    int64_t users = sum_threads(run, sum);
    int rc = render_head(run, users, out);

    rc = rc ? rc : render_requests(run->s, sum, out);
    rc = rc ? rc : render_latency(run->s, sum, out);
    if (!rc && has_journeys(run->s))
        rc = render_journeys(run->s, sum, out);
    free(sum);
    return rc;
}
