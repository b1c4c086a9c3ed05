#include "load_output.h"

#include <string.h>

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

void load_print_progress(FILE *out, bool tty, const struct tars_load_second *last,
                         int64_t elapsed_ms, int64_t duration_ms)
{
    fprintf(out, "%s[%5.0fs/%.0fs] users %-6lld rps %-8llu p95 %8.2f ms  errors %llu%s",
            tty ? "\r" : "", (double)elapsed_ms / 1000, (double)duration_ms / 1000,
            (long long)last->users, (unsigned long long)last->requests, ms(last->p95_ns),
            (unsigned long long)last->failures, tty ? "   " : "\n");
    fflush(out);
}

static void print_row(FILE *out, const struct tars_load_task_result *t, double secs)
{
    const tars_hist *h = t->latency;

    if (!h || !tars_hist_count(h)) { /* nothing answered: no figure, not 0.00 */
        fprintf(out, "%-32.32s %10llu %8llu %10.1f %8s %8s %8s %8s %8s %9s\n", t->name,
                (unsigned long long)t->requests, (unsigned long long)t->failures,
                secs > 0 ? (double)t->requests / secs : 0, "n/a", "n/a", "n/a", "n/a", "n/a",
                "n/a");
        return;
    }
    fprintf(out, "%-32.32s %10llu %8llu %10.1f %8.2f %8.2f %8.2f %8.2f %8.2f %9.2f\n", t->name,
            (unsigned long long)t->requests, (unsigned long long)t->failures,
            secs > 0 ? (double)t->requests / secs : 0, ms(tars_hist_percentile(h, 50)),
            ms(tars_hist_percentile(h, 90)), ms(tars_hist_percentile(h, 95)),
            ms(tars_hist_percentile(h, 99)), ms(tars_hist_percentile(h, 99.9)),
            ms(tars_hist_max(h)));
}

/* Errors that leave no response to time (status and expect failures had one). */
static bool without_response(enum tars_load_error e)
{
    return e != TARS_LOAD_ERR_STATUS && e != TARS_LOAD_ERR_EXPECT && e != TARS_LOAD_ERR_EXTRACT;
}

/* The successful responses' (or iterations') latency, ending the line. */
static void print_ok(FILE *out, const tars_hist *ok)
{
    if (ok && tars_hist_count(ok))
        fprintf(out, "  | ok: p50 %.2f p95 %.2f p99 %.2f ms\n", ms(tars_hist_percentile(ok, 50)),
                ms(tars_hist_percentile(ok, 95)), ms(tars_hist_percentile(ok, 99)));
    else
        fprintf(out, "  | ok: none\n");
}

/* One line per task: responses by status class, requests that got none by
 * error kind, and the latency of the successful responses alone. */
static void print_status_row(FILE *out, const struct tars_load_task_result *t)
{
    static const char *const classes[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    static const int order[6] = {2, 3, 4, 5, 1, 0};
    const tars_hist *ok = t->latency_ok;

    fprintf(out, "  %-30.30s", t->name);
    if (t->kind == TARS_LOAD_TASK_JOURNEY) { /* iterations, not responses */
        fprintf(out, " journey: %llu iterations, %llu failed", (unsigned long long)t->requests,
                (unsigned long long)t->failures);
        print_ok(out, ok);
        return;
    }
    for (int i = 0; i < 6; i++)
        if (t->statuses[order[i]] || order[i] >= 2)
            fprintf(out, " %s %llu", classes[order[i]], (unsigned long long)t->statuses[order[i]]);
    for (int e = 0; e < TARS_LOAD_ERR_COUNT; e++)
        if (without_response((enum tars_load_error)e) && t->errors[e])
            fprintf(out, "  %s %llu", tars_load_error_name((enum tars_load_error)e),
                    (unsigned long long)t->errors[e]);
    print_ok(out, ok);
}

static void print_statuses(FILE *out, const struct tars_load_result *r)
{
    fprintf(out, "\nby status (every response is timed above; \"ok\": the successful ones):\n");
    for (size_t k = 0; k < r->task_count; k++)
        print_status_row(out, &r->tasks[k]);
    if (r->task_count != 1)
        print_status_row(out, &r->total);
}

static void print_errors(FILE *out, const struct tars_load_result *r)
{
    bool any = false;

    for (size_t k = 0; k < r->task_count; k++)
        for (size_t i = 0; i < r->tasks[k].failure_kind_count; i++) {
            const struct tars_load_failure *f = &r->tasks[k].failure_kinds[i];
            if (!any)
                fprintf(out, "\nfailures:\n");
            any = true;
            if (f->status)
                fprintf(out, "  %-30s %-10s HTTP %d  %llu\n", r->tasks[k].name,
                        tars_load_error_name(f->error), f->status, (unsigned long long)f->count);
            else
                fprintf(out, "  %-30s %-10s %llu\n", r->tasks[k].name,
                        tars_load_error_name(f->error), (unsigned long long)f->count);
        }
}

/* A time as wrk prints it: 635.91us, 12.92ms, 1.02s. */
static const char *wrk_time(double ns, char *buf, size_t size)
{
    if (ns < 1e6)
        snprintf(buf, size, "%.2fus", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, size, "%.2fms", ns / 1e6);
    else
        snprintf(buf, size, "%.2fs", ns / 1e9);
    return buf;
}

/* A size as wrk prints it (powers of 1024): 512.00B, 17.76GB. */
static const char *wrk_bytes(double n, char *buf, size_t size)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;

    while (n >= 1024 && u < 4) {
        n /= 1024;
        u++;
    }
    snprintf(buf, size, "%.2f%s", n, units[u]);
    return buf;
}

/* A count as wrk prints it (powers of 1000): 56.20, 8.07k, 1.20M. */
static const char *wrk_metric(double n, char *buf, size_t size)
{
    static const char *const units[] = {"", "k", "M", "G"};
    int u = 0;

    while (n >= 1000 && u < 3) {
        n /= 1000;
        u++;
    }
    snprintf(buf, size, "%.2f%s", n, units[u]);
    return buf;
}

/* wrk's Thread Stats table: latency over every timed response; Req/Sec over
 * each load thread's request count in each second of the run. */
static void print_thread_stats(FILE *out, const struct tars_load_result *r)
{
    const struct tars_load_task_result *t = &r->total;
    const struct tars_load_rate_stats *q = &r->thread_rps;
    char a[32], b[32], c[32];

    fprintf(out, "\n  %-12s %9s %10s %10s %10s\n", "Thread Stats", "Avg", "Stdev", "Max",
            "+/- Stdev");
    if (t->latency && tars_hist_count(t->latency))
        fprintf(out, "    %-10s %9s %10s %10s %9.2f%%\n", "Latency",
                wrk_time(tars_hist_mean(t->latency), a, sizeof(a)),
                wrk_time(tars_hist_stddev(t->latency), b, sizeof(b)),
                wrk_time((double)tars_hist_max(t->latency), c, sizeof(c)),
                100 * tars_load_within_stdev(t->latency));
    else
        fprintf(out, "    %-10s %9s %10s %10s %10s\n", "Latency", "n/a", "n/a", "n/a", "n/a");
    if (q->samples)
        fprintf(out, "    %-10s %9s %10s %10s %9.2f%%\n", "Req/Sec",
                wrk_metric(q->mean, a, sizeof(a)), wrk_metric(q->stdev, b, sizeof(b)),
                wrk_metric(q->max, c, sizeof(c)), 100 * q->within_stdev);
    else
        fprintf(out, "    %-10s %9s %10s %10s %10s\n", "Req/Sec", "n/a", "n/a", "n/a", "n/a");
}

/* wrk's end-of-run figures over all tasks: the Thread Stats table, requests
 * and bytes read (headers included), socket errors and non-2xx/3xx responses
 * when there are any (as wrk prints them), requests and bytes per second. */
static void print_wrk_summary(FILE *out, const struct tars_load_result *r, double secs)
{
    const struct tars_load_task_result *t = &r->total;
    const uint64_t *se = t->socket_errors;
    uint64_t other = t->statuses[0] + t->statuses[1] + t->statuses[4] + t->statuses[5];
    char a[32];

    print_thread_stats(out, r);
    fprintf(out, "  %llu requests in %.2fs, %s read\n", (unsigned long long)t->requests, secs,
            wrk_bytes((double)t->bytes_read, a, sizeof(a)));
    if (se[TARS_LOAD_SOCK_CONNECT] + se[TARS_LOAD_SOCK_READ] + se[TARS_LOAD_SOCK_WRITE] +
        se[TARS_LOAD_SOCK_TIMEOUT])
        fprintf(out, "  Socket errors: connect %llu, read %llu, write %llu, timeout %llu\n",
                (unsigned long long)se[TARS_LOAD_SOCK_CONNECT],
                (unsigned long long)se[TARS_LOAD_SOCK_READ],
                (unsigned long long)se[TARS_LOAD_SOCK_WRITE],
                (unsigned long long)se[TARS_LOAD_SOCK_TIMEOUT]);
    if (other)
        fprintf(out, "  Non-2xx or 3xx responses: %llu\n", (unsigned long long)other);
    fprintf(out, "Requests/sec: %10.2f\n", secs > 0 ? (double)t->requests / secs : 0);
    fprintf(out, "Transfer/sec: %10s\n",
            wrk_bytes(secs > 0 ? (double)t->bytes_read / secs : 0, a, sizeof(a)));
}

void load_print_summary(FILE *out, const struct tars_load_result *r)
{
    double secs = (double)r->duration_ms / 1000;

    fprintf(out, "\n%s%s: %s model, %d threads, %.1f s%s\n", r->scenario[0] ? r->scenario : "run",
            r->merged_from > 1 ? " (merged)" : "", r->model == TARS_LOAD_OPEN ? "open" : "closed",
            r->threads, secs, r->interrupted ? ", interrupted" : "");
    fprintf(out, "%-32s %10s %8s %10s %8s %8s %8s %8s %8s %9s\n", "name", "requests", "failed",
            "req/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms");
    for (size_t k = 0; k < r->task_count; k++)
        print_row(out, &r->tasks[k], secs);
    if (r->task_count > 1)
        print_row(out, &r->total, secs);
    if (r->model == TARS_LOAD_OPEN)
        fprintf(out,
                "latency is measured from the intended send time; from the actual send: "
                "p99 %.2f ms, max %.2f ms\n",
                ms(tars_hist_percentile(r->total.latency_raw, 99)),
                ms(tars_hist_max(r->total.latency_raw)));
    print_wrk_summary(out, r, secs);
    print_statuses(out, r);
    print_errors(out, r);
    if (r->generator_saturated)
        fprintf(out,
                "\nwarning: a load thread used %.0f%% of a CPU: the figures may be limited "
                "by the generator, not the server\n",
                r->generator_cpu_max * 100);
}

static const char *unit_of(enum tars_threshold_metric m)
{
    if (m == TARS_TH_ERROR_RATE)
        return "%";
    if (m == TARS_TH_RPS)
        return "/s";
    if (m == TARS_TH_REQUESTS)
        return "";
    return " ms";
}

static double shown(enum tars_threshold_metric m, double v)
{
    if (m == TARS_TH_ERROR_RATE)
        return v * 100;
    if (m == TARS_TH_RPS || m == TARS_TH_REQUESTS)
        return v;
    return v / 1e6;
}

int load_print_thresholds(FILE *out, const struct tars_threshold *th, size_t n,
                          const struct tars_load_result *r, int *no_data)
{
    struct tars_err err = TARS_ERR_INIT;
    int failed = 0;

    *no_data = 0;
    if (n)
        fprintf(out, "\nthresholds:\n");
    for (size_t i = 0; i < n; i++) {
        struct tars_judged j;
        if (tars_threshold_check(&th[i], r, &j, &err)) {
            fprintf(out, "  ERROR %s: %s\n", th[i].text, err.msg);
            return -1;
        }
        if (j.outcome == TARS_JUDGE_NO_DATA)
            fprintf(out, "  N/A  %-36s inconclusive: %s\n", th[i].text, j.missing);
        else
            fprintf(out, "  %s %-36s measured %.3f%s\n", tars_judgement_word(j.outcome), th[i].text,
                    shown(th[i].metric, j.measured), unit_of(th[i].metric));
        failed += j.outcome == TARS_JUDGE_FAIL;
        *no_data += j.outcome == TARS_JUDGE_NO_DATA;
    }
    return failed;
}
