/*
 * The zero-downtime prober: while a deployment (or a rollback) runs, one
 * thread sends GET requests at a steady rate to each configured path of the
 * service and records every failure and the longest time any path went
 * without a successful answer. A request fails on a transport error, a
 * timeout, or a status outside 200-399.
 *
 * Downtime is counted from the first successful answer on: failures before
 * it (a first deployment, when nothing was up yet) are reported apart as
 * "failed_before_up", and gaps are measured between successes.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "release_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/curl_easy.h"

#define PROBE_TIMEOUT_MS 2000L
#define PROBE_MAX_ERRORS 10 /* examples kept per target */

/* What a failed probe request ran into, one counter each. */
enum probe_kind {
    PROBE_TIMEOUT,  /* no whole answer within the timeout (a stalled or trickling peer) */
    PROBE_REFUSED,  /* nothing listens */
    PROBE_RESET,    /* the connection was reset or closed before a whole answer */
    PROBE_NOT_HTTP, /* the answer is not HTTP */
    PROBE_STATUS,   /* an HTTP status outside 200-399 */
    PROBE_OTHER,
    PROBE_KIND_COUNT
};
static const char *const probe_kind_names[PROBE_KIND_COUNT] = {"timeout",  "refused", "reset",
                                                               "not_http", "status",  "other"};

static enum probe_kind kind_of(CURLcode cc)
{
    switch (cc) {
    case CURLE_OK: return PROBE_STATUS;
    case CURLE_OPERATION_TIMEDOUT: return PROBE_TIMEOUT;
    case CURLE_COULDNT_CONNECT: return PROBE_REFUSED;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return PROBE_RESET;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY: return PROBE_NOT_HTTP;
    default: return PROBE_OTHER;
    }
}

struct probe_target {
    char *url, *path;
    CURL *curl;
    uint64_t requests, failed, failed_before_up;
    uint64_t last_ok_ns; /* 0: none yet */
    uint64_t longest_gap_ns;
    json_t *errors;                   /* the first PROBE_MAX_ERRORS failures */
    uint64_t kinds[PROBE_KIND_COUNT]; /* every failure, before and after up, by kind */
};

struct release_probe {
    struct probe_target targets[RELEASE_PROBE_MAX_TARGETS];
    size_t target_count;
    double rate;
    char *source;
    uint64_t started_ns, stopped_ns;
    int64_t started_wall_ms;
    atomic_bool stop;
    pthread_t thread;
    bool running;
};

static void note_gap(struct probe_target *t, uint64_t now, uint64_t since)
{
    if (now > since && now - since > t->longest_gap_ns)
        t->longest_gap_ns = now - since;
}

static void probe_once(struct release_probe *pr, struct probe_target *t)
{
    CURLcode cc;
    long status = tars_curl_perform(t->curl, &cc);
    uint64_t now = tars_mono_ns();

    t->requests++;
    if (cc == CURLE_OK && status >= 200 && status < 400) {
        if (t->last_ok_ns)
            note_gap(t, now, t->last_ok_ns);
        t->last_ok_ns = now;
        return;
    }
    t->kinds[kind_of(cc)]++;
    if (!t->last_ok_ns) {
        t->failed_before_up++;
        return;
    }
    t->failed++;
    if (json_array_size(t->errors) < PROBE_MAX_ERRORS)
        json_array_append_new(t->errors,
                              json_pack("{s:f,s:s}", "at_s", (double)(now - pr->started_ns) / 1e9,
                                        "error", cc == CURLE_OK ? "" : curl_easy_strerror(cc)));
    if (cc == CURLE_OK)
        json_object_set_new(json_array_get(t->errors, json_array_size(t->errors) - 1), "error",
                            json_sprintf("HTTP %ld", status));
}

static void *probe_main(void *arg)
{
    struct release_probe *pr = arg;
    uint64_t interval = (uint64_t)(1e9 / pr->rate), next = tars_mono_ns();

    while (!atomic_load(&pr->stop)) {
        for (size_t i = 0; i < pr->target_count; i++)
            probe_once(pr, &pr->targets[i]);
        next += interval;
        uint64_t now = tars_mono_ns();
        if (next > now) {
            struct timespec ts = {(time_t)((next - now) / 1000000000u),
                                  (long)((next - now) % 1000000000u)};
            nanosleep(&ts, NULL);
        } else {
            next = now; /* the service is slow: do not burst to catch up */
        }
    }
    return NULL;
}

static int target_init(struct probe_target *t, const char *base, const char *path,
                       const char *source, struct tars_err *err)
{
    size_t n = strlen(base) + strlen(path) + 2;

    t->url = xmalloc(n);
    snprintf(t->url, n, "%s%s%s", base, path[0] == '/' || base[strlen(base) - 1] == '/' ? "" : "/",
             path);
    t->path = xstrdup(path);
    t->errors = json_array();
    t->curl = tars_curl_easy(t->url, PROBE_TIMEOUT_MS, "tars-release-probe", err);
    if (!t->curl)
        return TARS_EINTERNAL;
    if (source)
        curl_easy_setopt(t->curl, CURLOPT_INTERFACE, source);
    return TARS_OK;
}

struct release_probe *release_probe_start(const char *base_url, char *const *paths, size_t count,
                                          double rate, const char *source, struct tars_err *err)
{
    struct release_probe *pr = xcalloc(1, sizeof(*pr));

    pr->rate = rate > 0 ? rate : 10;
    pr->source = source ? xstrdup(source) : NULL;
    pr->started_ns = tars_mono_ns();
    pr->started_wall_ms = tars_wall_ms();
    for (size_t i = 0; i < count && i < RELEASE_PROBE_MAX_TARGETS; i++) {
        pr->target_count = i + 1;
        if (target_init(&pr->targets[i], base_url, paths[i], source, err) != TARS_OK) {
            release_probe_stop(pr, NULL);
            return NULL;
        }
    }
    if (pthread_create(&pr->thread, NULL, probe_main, pr) != 0) {
        tars_err_set(err, TARS_EINTERNAL, "cannot start the probe thread");
        release_probe_stop(pr, NULL);
        return NULL;
    }
    pr->running = true;
    return pr;
}

static json_t *kinds_json(const struct probe_target *t)
{
    json_t *o = json_object();

    for (int k = 0; o && k < PROBE_KIND_COUNT; k++)
        if (t->kinds[k])
            json_object_set_new(o, probe_kind_names[k], json_integer((json_int_t)t->kinds[k]));
    return o;
}

static json_t *target_summary(struct release_probe *pr, struct probe_target *t)
{
    if (t->last_ok_ns)
        note_gap(t, pr->stopped_ns, t->last_ok_ns);
    return json_pack("{s:s,s:I,s:I,s:I,s:b,s:f,s:O,s:o}", "path", t->path, "requests",
                     (json_int_t)t->requests, "failed", (json_int_t)t->failed, "failed_before_up",
                     (json_int_t)t->failed_before_up, "was_up", t->last_ok_ns != 0,
                     "longest_gap_ms", (double)t->longest_gap_ns / 1e6, "errors", t->errors,
                     "failure_kinds", kinds_json(t));
}

void release_probe_stop(struct release_probe *pr, json_t **summary)
{
    uint64_t requests = 0, failed = 0, before_up = 0, gap = 0;
    json_t *targets;

    if (!pr)
        return;
    atomic_store(&pr->stop, true);
    if (pr->running)
        pthread_join(pr->thread, NULL);
    pr->stopped_ns = tars_mono_ns();
    targets = json_array();
    for (size_t i = 0; i < pr->target_count; i++) {
        struct probe_target *t = &pr->targets[i];
        if (summary && pr->running)
            json_array_append_new(targets, target_summary(pr, t));
        requests += t->requests;
        failed += t->failed;
        before_up += t->failed_before_up;
        gap = t->longest_gap_ns > gap ? t->longest_gap_ns : gap;
        if (t->curl)
            curl_easy_cleanup(t->curl);
        json_decref(t->errors);
        free(t->url);
        free(t->path);
    }
    if (summary && pr->running) {
        char started[TARS_ISO8601_LEN];
        tars_iso8601(pr->started_wall_ms, started);
        *summary = json_pack(
            "{s:s,s:f,s:f,s:I,s:I,s:I,s:f,s:o}", "started_at", started, "duration_s",
            (double)(pr->stopped_ns - pr->started_ns) / 1e9, "rate_per_target", pr->rate,
            "requests", (json_int_t)requests, "failed", (json_int_t)failed, "failed_before_up",
            (json_int_t)before_up, "longest_gap_ms", (double)gap / 1e6, "targets", targets);
    } else {
        json_decref(targets);
    }
    free(pr->source);
    free(pr);
}
