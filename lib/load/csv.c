/*
 * Locust-compatible CSV: PREFIX_stats.csv, PREFIX_stats_history.csv,
 * PREFIX_failures.csv and PREFIX_exceptions.csv with Locust 2.x's column names, quoting (only
 * fields that need it) and line ends ("\r\n", Python's csv default), so dashboards and scripts
 * written for Locust read them unchanged. Times are in milliseconds, as Locust writes them, but
 * with up to three decimals: a figure below 1 ms is not rounded to 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result_int.h"
#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/file.h"

#define CSV_MAX_BYTES (256u << 20)
#define PERCENTILE_COUNT 11

static const double percentiles[PERCENTILE_COUNT] = {50, 66, 75,   80,    90, 95,
                                                     98, 99, 99.9, 99.99, 100};

static const char stats_header[] =
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
static const char history_header[] =
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size";
static const char failures_header[] = "Method,Name,Error,Occurrences";
static const char exceptions_header[] = "Count,Message,Traceback,Nodes";

/* One row being written; the first error sticks in rc. */
struct row {
    struct tars_buf *out;
    bool first;
    int rc;
};

static void put(struct row *w, const char *s, size_t len)
{
    if (!w->rc)
        w->rc = tars_buf_append(w->out, s, len);
}

static void field_start(struct row *w)
{
    if (!w->first)
        put(w, ",", 1);
    w->first = false;
}

/* Quoted when it holds a comma, a quote or a line end; quotes doubled. */
static void field_text(struct row *w, const char *s)
{
    field_start(w);
    if (!strpbrk(s, ",\"\r\n")) {
        put(w, s, strlen(s));
        return;
    }
    put(w, "\"", 1);
    for (const char *q; (q = strchr(s, '"')); s = q + 1) {
        put(w, s, (size_t)(q - s));
        put(w, "\"\"", 2);
    }
    put(w, s, strlen(s));
    put(w, "\"", 1);
}

static void field_u64(struct row *w, uint64_t v)
{
    char text[24];

    field_start(w);
    put(w, text, (size_t)snprintf(text, sizeof(text), "%" PRIu64, v));
}

/* v with up to decimals digits, trailing zeros dropped: 12.5, 150, 0.042. */
static void field_number(struct row *w, double v, int decimals)
{
    char text[64];
    int n = snprintf(text, sizeof(text), "%.*f", decimals, v);

    if (n < 0 || n >= (int)sizeof(text)) {
        w->rc = TARS_EINTERNAL;
        return;
    }
    if (strchr(text, '.')) {
        while (text[n - 1] == '0')
            n--;
        if (text[n - 1] == '.')
            n--;
    }
    if (n == 2 && text[0] == '-' && text[1] == '0') /* -0 */
        memmove(text, text + 1, (size_t)n--);
    field_start(w);
    put(w, text, (size_t)n);
}

static void field_ms(struct row *w, double ns)
{
    field_number(w, ns / 1e6, 3);
}

static void row_end(struct row *w)
{
    put(w, "\r\n", 2);
    w->first = true;
}

static void header(struct row *w, const char *text)
{
    put(w, text, strlen(text));
    row_end(w);
}

/* ---- _stats.csv ---- */

/* Locust's Name is the request's name, which defaults to its path: a task
 * whose name is tars's default "METHOD path" shows as its path. */
static const char *display_name(const struct tars_load_task_result *t)
{
    size_t m = strlen(t->method);

    if (strncmp(t->name, t->method, m) == 0 && t->name[m] == ' ' &&
        strcmp(t->name + m + 1, t->path) == 0)
        return t->path;
    return t->name;
}

static void stats_row(struct row *w, const struct tars_load_task_result *t, const char *type,
                      const char *name, double seconds)
{
    bool timed = t->latency && tars_hist_count(t->latency) > 0;
    struct tars_hist_summary s;
    uint64_t p[PERCENTILE_COUNT];

    memset(&s, 0, sizeof(s));
    if (timed) {
        tars_hist_summarise(t->latency, &s);
        tars_hist_percentiles(t->latency, percentiles, p, PERCENTILE_COUNT);
    }
    field_text(w, type);
    field_text(w, name);
    field_u64(w, t->requests);
    field_u64(w, t->failures);
    field_ms(w, (double)s.p50);
    field_ms(w, s.mean);
    field_ms(w, (double)s.min);
    field_ms(w, (double)s.max);
    field_number(w, t->requests ? (double)t->bytes_received / (double)t->requests : 0, 2);
    field_number(w, seconds > 0 ? (double)t->requests / seconds : 0, 6);
    field_number(w, seconds > 0 ? (double)t->failures / seconds : 0, 6);
    for (int i = 0; i < PERCENTILE_COUNT; i++) {
        if (timed)
            field_ms(w, (double)p[i]);
        else
            field_text(w, "N/A");
    }
    row_end(w);
}

static void stats_csv(const struct tars_load_result *r, struct row *w)
{
    double seconds = (double)r->duration_ms / 1000.0;

    header(w, stats_header);
    for (size_t i = 0; i < r->task_count; i++)
        stats_row(w, &r->tasks[i], r->tasks[i].method, display_name(&r->tasks[i]), seconds);
    stats_row(w, &r->total, "", "Aggregated", seconds);
}

/* ---- _stats_history.csv ---- */

/* Running totals up to a second, as Locust's Total columns mean them. */
struct totals {
    uint64_t requests, failures, timed, sum_ns, min_ns, max_ns, bytes;
};

static void totals_add(struct totals *t, const struct tars_load_second *s)
{
    t->requests += s->requests;
    t->failures += s->failures;
    if (s->timed && (!t->timed || s->min_ns < t->min_ns))
        t->min_ns = s->min_ns;
    if (s->requests && s->max_ns > t->max_ns)
        t->max_ns = s->max_ns;
    t->timed += s->timed;
    t->sum_ns += s->sum_ns;
    t->bytes += s->bytes;
}

/* Locust's "current" rate at the end of second i: the mean of the per-second
 * counts of seconds i-11 .. i-2 (its 10-second window, which leaves out the
 * two latest, still filling seconds), clipped at the run's start; 0 before
 * the third second. h[k * stride] is second k. */
static double recent_rate(const struct tars_load_second *h, size_t stride, size_t i, bool failures)
{
    size_t from = i >= 11 ? i - 11 : 0, n = 0;
    double sum = 0;

    for (size_t k = from; k + 2 <= i; k++, n++)
        sum += (double)(failures ? h[k * stride].failures : h[k * stride].requests);
    return n ? sum / (double)n : 0;
}

static void ms_or_na(struct row *w, bool have, double ns)
{
    if (have)
        field_ms(w, ns);
    else
        field_text(w, "N/A");
}

/* One line of the history: a task's (Type, Name) or the Aggregated one, its seconds h[k *
 * stride], and whether the file is Locust's full history. */
struct history_line {
    const char *type, *name;
    const struct tars_load_second *h;
    size_t stride;
    bool full;
};

/* The percentile columns 50% ... 100%. Without full history, Locust's percentiles of every
 * response so far: the second's cumulative percentiles (N/A when the result has none: a
 * merged result, or past the first hour), 100% the running maximum. With it, Locust's
 * "current" ones: the last ten seconds' (recent_ns), N/A before any request. */
static void history_percentiles(struct row *w, const struct tars_load_second *s,
                                const struct totals *t, bool full)
{
    if (full) {
        for (int k = 0; k < PERCENTILE_COUNT; k++)
            ms_or_na(w, t->requests > 0 && s->recent, (double)s->recent_ns[k]);
        return;
    }
    for (int k = 0; k < PERCENTILE_COUNT - 1; k++)
        ms_or_na(w, s->cumulative, (double)s->cumulative_ns[k]);
    ms_or_na(w, t->requests > 0, (double)t->max_ns);
}

static void history_row(struct row *w, const struct tars_load_result *r, size_t i,
                        const struct history_line *l, const struct totals *t)
{
    const struct tars_load_second *s = &l->h[i * l->stride];

    field_u64(w, (uint64_t)(r->history[i].at_ms > 0 ? r->history[i].at_ms / 1000 : 0));
    field_u64(w, (uint64_t)(r->history[i].users > 0 ? r->history[i].users : 0));
    field_text(w, l->type);
    field_text(w, l->name);
    field_number(w, recent_rate(l->h, l->stride, i, false), 6);
    field_number(w, recent_rate(l->h, l->stride, i, true), 6);
    history_percentiles(w, s, t, l->full);
    field_u64(w, t->requests);
    field_u64(w, t->failures);
    ms_or_na(w, s->cumulative, (double)s->cumulative_ns[0]);
    ms_or_na(w, t->timed > 0, t->timed ? (double)t->sum_ns / (double)t->timed : 0);
    ms_or_na(w, t->timed > 0, (double)t->min_ns);
    ms_or_na(w, t->requests > 0, (double)t->max_ns);
    field_number(w, t->requests ? (double)t->bytes / (double)t->requests : 0, 2);
    row_end(w);
}

/* Locust's order of the per-task lines: by name, then type. */
static bool line_before(const struct history_line *a, const struct history_line *b)
{
    int c = strcmp(a->name, b->name);

    return c < 0 || (c == 0 && strcmp(a->type, b->type) < 0);
}

/* With the result's task_history (--csv-full-history), each second has a line per task that
 * has had a request (Locust lists a request name once it was used), in Locust's order, then
 * the Aggregated line; without it, the Aggregated line alone. */
static void history_csv(const struct tars_load_result *r, struct row *w)
{
    size_t n = r->task_history ? r->task_count : 0;
    struct history_line *lines = xcalloc(n + 1, sizeof(*lines));
    struct totals *t = xcalloc(n + 1, sizeof(*t));

    for (size_t j = 0; j < n; j++) {
        struct history_line l = {r->tasks[j].method, display_name(&r->tasks[j]),
                                 &r->task_history[j], r->task_count, true};
        size_t at = j;
        for (; at > 0 && line_before(&l, &lines[at - 1]); at--)
            lines[at] = lines[at - 1];
        lines[at] = l;
    }
    lines[n] = (struct history_line){"", "Aggregated", r->history, 1, n > 0};
    header(w, history_header);
    for (size_t i = 0; i < r->history_count; i++) {
        for (size_t j = 0; j <= n; j++) {
            totals_add(&t[j], &lines[j].h[i * lines[j].stride]);
            if (j == n || t[j].requests > 0)
                history_row(w, r, i, &lines[j], &t[j]);
        }
    }
    free(lines);
    free(t);
}

/* ---- _failures.csv ---- */

static void failure_text(const struct tars_load_failure *f, char *out, size_t size)
{
    static const char *const text[TARS_LOAD_ERR_COUNT] = {
        [TARS_LOAD_ERR_TIMEOUT] = "timeout: no complete response in time",
        [TARS_LOAD_ERR_REFUSED] = "connection refused",
        [TARS_LOAD_ERR_RESET] = "connection reset or closed mid-response",
        [TARS_LOAD_ERR_TLS] = "TLS error",
        [TARS_LOAD_ERR_IO] = "I/O error",
        [TARS_LOAD_ERR_STATUS] = "unexpected status",
        [TARS_LOAD_ERR_EXPECT] = "expected JSON field missing",
        [TARS_LOAD_ERR_PARSE] = "malformed HTTP response",
        [TARS_LOAD_ERR_EXTRACT] = "journey: extracted value missing",
        [TARS_LOAD_ERR_MISSING] = "journey: variable not set, request not sent",
    };
    const char *what = (unsigned)f->error < TARS_LOAD_ERR_COUNT ? text[f->error] : "unknown";

    if (f->error == TARS_LOAD_ERR_STATUS && f->status)
        snprintf(out, size, "%s %d", what, f->status);
    else
        snprintf(out, size, "%s", what);
}

static void failures_csv(const struct tars_load_result *r, struct row *w)
{
    char error[96];

    header(w, failures_header);
    for (size_t i = 0; i < r->task_count; i++) {
        const struct tars_load_task_result *t = &r->tasks[i];
        for (size_t k = 0; k < t->failure_kind_count; k++) {
            failure_text(&t->failure_kinds[k], error, sizeof(error));
            field_text(w, t->method);
            field_text(w, display_name(t));
            field_text(w, error);
            field_u64(w, t->failure_kinds[k].count);
            row_end(w);
        }
    }
}

/* ---- _exceptions.csv ---- */

/* Locust lists the exceptions its users' Python code raised; tars runs no
 * user code, so the file holds the header alone (every request that went
 * wrong is in _failures.csv). */
static void exceptions_csv(const struct tars_load_result *r, struct row *w)
{
    (void)r;
    header(w, exceptions_header);
}

/* ---- files ---- */

/* Writes b to prefix+suffix whole (tars/file.h): a reader never sees half a file. */
static int write_file(const char *prefix, const char *suffix, const struct tars_buf *b,
                      struct tars_err *err)
{
    char path[4096];

    if ((size_t)snprintf(path, sizeof(path), "%s%s", prefix, suffix) >= sizeof(path))
        return tars_err_set(err, TARS_EINVAL, "CSV prefix too long");
    return tars_file_write(path, b->data ? b->data : "", b->len, 0644, err);
}

int tars_load_write_csv(const struct tars_load_result *r, const char *prefix, struct tars_err *err)
{
    static const struct {
        const char *suffix;
        void (*render)(const struct tars_load_result *r, struct row *w);
    } files[] = {
        {"_stats.csv", stats_csv},
        {"_stats_history.csv", history_csv},
        {"_failures.csv", failures_csv},
        {"_exceptions.csv", exceptions_csv},
    };
    struct tars_buf b = TARS_BUF_INIT(CSV_MAX_BYTES);
    int rc = TARS_OK;

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !rc; i++) {
        struct row w = {&b, true, TARS_OK};
        tars_buf_reset(&b);
        files[i].render(r, &w);
        if (w.rc)
            rc = tars_err_set(err, w.rc, "%s%s: more than %u bytes", prefix, files[i].suffix,
                              CSV_MAX_BYTES);
        else
            rc = write_file(prefix, files[i].suffix, &b, err);
    }
    tars_buf_release(&b);
    return rc;
}
