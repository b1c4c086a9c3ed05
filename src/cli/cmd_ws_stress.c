/* tars ws-stress: many WebSocket clients of the feed, counting loss, order and latency. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "live_metrics.h"
#include "opt.h"
#include "output.h"
#include "run_record.h"
#include "watch.h"
#include "tars/json.h"
#include "tars/str.h"
#include "tars/ws_stress.h"

#define MAX_THRESHOLDS 32

struct ws_opts {
    const char *url, *channel, *publish_url, *token_env, *token_in, *json_out, *run_dir;
    const char *thresholds[MAX_THRESHOLDS];
    int threshold_count;
    double publish_rate;
    int quiet, insecure, jitter;
    char authorization[4096];
    char protocol[4096];
    char url_with_token[TARS_URL_MAX + 1];
    char publish_base[TARS_URL_MAX + 16];
    struct tars_ws_stress_opts s;
    struct tars_ws_threshold th[MAX_THRESHOLDS];
    struct cli_metrics_opts metrics;
};

static struct ws_opts wo;

/* "50", "50/s": a rate per second, 0..1000000. */
static const char *rate_option(const struct cli_opt *opt, const char *arg, char *why, size_t size)
{
    char copy[64];
    size_t n = strlen(arg);

    if (n < sizeof(copy)) {
        memcpy(copy, arg, n + 1);
        if (n > 2 && strcmp(copy + n - 2, "/s") == 0)
            copy[n - 2] = '\0';
        if (tars_parse_double(copy, opt->value) == 0 && *(double *)opt->value >= 0 &&
            *(double *)opt->value <= 1e6)
            return NULL;
    }
    snprintf(why, size, "\"%s\" is not a rate of 0..1000000 per second (e.g. 50/s)", arg);
    return why;
}

static const char *const token_places[] = {"header", "query", "protocol", NULL};

#define ANY_MS TARS_DURATION_MAX_MS

static const struct cli_opt ws_table[] = {
    CLI_I64('c', "connections", "N", &wo.s.connections, 1, 1000000, "connections, default 100"),
    CLI_DURATION('d', "duration", "D", &wo.s.duration_ms, 1, ANY_MS,
                 "30s, 5m, ... default 60s (a drain of up to 5 s follows)"),
    CLI_STRING(0, "channel", "C", &wo.channel, "default evaluation.updates"),
    CLI_CALL(0, "publish-rate", "N/s", &wo.publish_rate, rate_option,
             "POST evaluations at this rate to generate traffic"),
    CLI_STRING(0, "publish-url", "BASE", &wo.publish_url,
               "REST base URL, default the WebSocket URL's http(s)://host:port"),
    CLI_DURATION(0, "drop-every", "D", &wo.s.drop_every_ms, 1, ANY_MS,
                 "drop every connection abruptly every D (staggered); it\n"
                 "resumes with since_seq through its reconnect loop"),
    CLI_STRING(0, "token-env", "VAR", &wo.token_env,
               "Bearer token from environment variable VAR (never printed)"),
    CLI_ENUM(0, "token-in", "WHERE", &wo.token_in, token_places,
             "how the WebSocket carries it: header (Authorization: Bearer,\n"
             "the default), query (?token=) or protocol (bearer, <jwt>)"),
    CLI_LIST(0, "threshold", "EXPR", wo.thresholds, &wo.threshold_count, MAX_THRESHOLDS,
             "'loss<0.1%', 'duplicates<=0', 'p99<50ms', 'connect_p95<1s',\n"
             "'reconnect_avg<5s', 'failed_connections<=0'"),
    CLI_STRING(0, "json", "FILE", &wo.json_out, "the summary as JSON, with histograms"),
    CLI_STRING(0, "run", "DIR", &wo.run_dir,
               "also record into run directory DIR (ws.json, run.json \"ws\")"),
    CLI_INT('t', "threads", "N", &wo.s.threads, 1, 256, "client threads, default: number of CPUs"),
    CLI_CALL(0, "ramp-rate", "N/s", &wo.s.ramp_rate, rate_option,
             "connections opened per second, default 1000 (0: all at once)"),
    CLI_DURATION(0, "backoff-initial", "D", &wo.s.backoff.initial_ms, 1, ANY_MS,
                 "first reconnect delay, default 1s (doubling, see --backoff-max)"),
    CLI_DURATION(0, "backoff-max", "D", &wo.s.backoff.max_ms, 1, ANY_MS,
                 "longest reconnect delay, default 30s"),
    CLI_FLAG(0, "jitter", &wo.jitter, "multiply each delay by a random factor in [0.5, 1.5)"),
    CLI_DURATION(0, "heartbeat-interval", "D", &wo.s.heartbeat.interval_ms, 1, ANY_MS,
                 "the server's heartbeat interval, default 30s (3 missed\n"
                 "plus a 10 s timeout force a reconnect)"),
    CLI_DURATION(0, "connect-timeout", "D", &wo.s.connect_timeout_ms, 1, ANY_MS,
                 "connect + upgrade + subscribe, default 10s"),
    CLI_DURATION(0, "drain", "D", &wo.s.drain_ms, 1, ANY_MS,
                 "longest wait at the end for connections to catch up, default 5s"),
    CLI_DURATION(0, "ping-interval", "D", &wo.s.ping_interval_ms, 0, ANY_MS,
                 "send {\"type\":\"ping\"} after D without sending (the server\n"
                 "closes silent clients), default 60s; 0: never"),
    CLI_METRICS_OPTIONS(wo.metrics, "TARS_WS_STRESS_METRICS_LISTEN"),
    CLI_FLAG('k', "insecure", &wo.insecure, "do not verify TLS certificates (wss://)"),
    CLI_FLAG('q', "quiet", &wo.quiet, "no live progress"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_ws_stress_spec = {
    .name = "ws-stress",
    .synopsis = "tars ws-stress URL [options]",
    .about = "Opens many WebSocket connections to the live feed (ws://host:port/ws), subscribes\n"
             "them to a channel and measures what arrives: loss, duplicates, order, delivery\n"
             "latency, connect and reconnect times (docs/ws-stress.md).",
    .opts = ws_table,
    .exits = "0 thresholds met, 1 a threshold failed, 2 no connection established or\n"
             "no message published, or interrupted (SIGINT/SIGTERM: partial results written),\n"
             "3 bad usage",
};

static int parse_args(int argc, char **argv, struct ws_opts *o)
{
    int n, rc = cli_opt_parse(&cli_ws_stress_spec, argc, argv, &n);

    if (rc)
        return rc;
    o->s.insecure = o->insecure;
    o->s.backoff.jitter = o->jitter;
    if (n != 1)
        return cli_usage_error("ws-stress",
                               n > 1 ? "one URL, not several" : "give a ws:// or wss:// URL");
    o->url = argv[1];
    if (cli_metrics_check("ws-stress", &o->metrics))
        return EXIT_USAGE;
    return cli_output_prepare("ws-stress", "--json", o->json_out, o->run_dir);
}

/* The WebSocket carries the token as asked; the publisher always sends the header. */
static int place_token(struct ws_opts *o, const char *token)
{
    const char *where = o->token_in ? o->token_in : "header";

    if (!strcmp(where, "header")) {
        o->s.authorization = o->authorization;
    } else if (!strcmp(where, "protocol")) {
        snprintf(o->protocol, sizeof(o->protocol), "bearer, %s", token);
        o->s.protocol = o->protocol;
    } else if (!strcmp(where, "query")) {
        if (strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~") !=
                strlen(token) ||
            (size_t)snprintf(o->url_with_token, sizeof(o->url_with_token), "%s%ctoken=%s", o->url,
                             strchr(o->url, '?') ? '&' : '?', token) >= sizeof(o->url_with_token))
            return cli_usage_error("ws-stress", "the token cannot go into the URL as it is");
        o->s.url = o->url_with_token;
    } else {
        return cli_usage_error("ws-stress", "--token-in is header, query or protocol");
    }
    return 0;
}

/* Everything the options imply: token, publish base, thresholds. */
static int finish_options(struct ws_opts *o)
{
    struct tars_err err = TARS_ERR_INIT;
    const char *rest;

    o->s.url = o->url;
    o->s.channel = o->channel;
    if (strncasecmp(o->url, "ws://", 5) && strncasecmp(o->url, "wss://", 6))
        return cli_usage_error("ws-stress", "the URL must start with ws:// or wss://");
    if (o->token_env) {
        const char *token = getenv(o->token_env);
        if (!token || !*token)
            return cli_usage_error("ws-stress", "environment variable %s is empty or unset",
                                   o->token_env);
        if (strlen(token) + 8 >= sizeof(o->authorization))
            return cli_usage_error("ws-stress", "the token in %s is too long", o->token_env);
        snprintf(o->authorization, sizeof(o->authorization), "Bearer %s", token);
        if (place_token(o, token))
            return EXIT_USAGE;
    }
    if (o->publish_rate > 0 && !o->publish_url) {
        bool tls = !strncasecmp(o->url, "wss://", 6);
        rest = o->url + (tls ? 6 : 5);
        snprintf(o->publish_base, sizeof(o->publish_base), "%s%.*s", tls ? "https://" : "http://",
                 (int)strcspn(rest, "/?#"), rest);
        o->publish_url = o->publish_base;
    }
    if (o->publish_url) {
        struct tars_url *url = malloc(sizeof(*url));
        int bad = !url || tars_url_parse(url, o->publish_url, &err) != TARS_OK;
        free(url);
        if (bad)
            return cli_usage_error("ws-stress", "--publish-url: %s", err.msg);
    }
    for (int i = 0; i < o->threshold_count; i++)
        if (tars_ws_threshold_parse(o->thresholds[i], &o->th[i], &err))
            return cli_usage_error("ws-stress", "%s", err.msg);
    if (o->s.backoff.max_ms < o->s.backoff.initial_ms)
        o->s.backoff.max_ms = o->s.backoff.initial_ms;
    return 0;
}

/* Enough descriptors for every connection, plus room for the rest. */
static void raise_fd_limit(int64_t connections, bool quiet)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)connections + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want)
        return;
    if (!quiet)
        fprintf(stderr,
                "tars ws-stress: only %llu file descriptors allowed (ulimit -n) for %lld "
                "connections\n",
                (unsigned long long)rl.rlim_cur, (long long)connections);
}

static void print_progress(bool tty, const struct tars_ws_stress_progress *p,
                           const struct ws_opts *o)
{
    fprintf(stderr,
            "%s[%5.1fs/%.0fs] open %lld/%lld  established %lld  received %lld  reconnects %lld%s",
            tty ? "\r" : "", p->elapsed_s, (double)o->s.duration_ms / 1000, (long long)p->open,
            (long long)o->s.connections, (long long)p->established, (long long)p->received,
            (long long)p->reconnects, tty ? "   " : "\n");
    fflush(stderr);
}

/* Waits for the run; Ctrl-C stops it with partial results. Ends the
 * publisher when the duration is over. */
static bool stress_done(void *s)
{
    return tars_ws_stress_done(s);
}

static void stress_stop(void *s)
{
    tars_ws_stress_stop(s);
}

static void watch(tars_ws_stress *s, tars_ws_publisher **pub, struct tars_ws_stress_result *r,
                  const struct ws_opts *o)
{
    struct tars_ws_stress_progress p;
    struct cli_watch w;
    int n = 0;

    cli_watch_init(&w, stress_done, stress_stop, s, o->quiet);
    while (cli_watch_step(&w) != CLI_WATCH_OVER) {
        if (*pub && tars_ws_stress_publishing_over(s)) {
            tars_ws_publisher_finish(*pub, r);
            *pub = NULL;
        }
        if (o->quiet || (++n % (w.tty ? 5 : 100)) != 0)
            continue;
        tars_ws_stress_progress(s, &p);
        print_progress(w.tty, &p, o);
    }
    if (!o->quiet && w.tty)
        fputc('\n', stderr);
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void print_times(const char *label, const tars_hist *h)
{
    if (!tars_hist_count(h)) {
        printf("  %-13s n/a (nothing measured)\n", label);
        return;
    }
    printf("  %-13s p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  avg %.2f ms  max %.2f ms  (n=%llu)\n",
           label, ms(tars_hist_percentile(h, 50)), ms(tars_hist_percentile(h, 95)),
           ms(tars_hist_percentile(h, 99)), tars_hist_mean(h) / 1e6, ms(tars_hist_max(h)),
           (unsigned long long)tars_hist_count(h));
}

static void print_summary(const struct ws_opts *o, const struct tars_ws_stress_result *r)
{
    printf("\nws-stress %s channel %s: %lld connections, %.1f s%s%s\n", o->url, o->channel,
           (long long)r->connections, r->elapsed_s, r->interrupted ? ", interrupted" : "",
           r->drained || r->interrupted ? "" : ", not every connection caught up at the end");
    printf("  connections  established %lld/%lld  failed %lld  attempts %lld (failed %lld)\n",
           (long long)r->established, (long long)r->connections, (long long)r->failed,
           (long long)r->attempts, (long long)r->attempt_failures);
    for (int i = 0; i < TARS_WS_STRESS_REASONS; i++)
        if (r->reasons[i].count)
            printf("    %lld x %s\n", (long long)r->reasons[i].count, r->reasons[i].text);
    print_times("connect time", r->connect_time);
    double publish_s = (double)o->s.duration_ms / 1000;

    if (r->elapsed_s < publish_s)
        publish_s = r->elapsed_s;
    if (o->publish_rate > 0)
        printf("  publishing   %lld posts in %.1f s: %.1f/s of %.1f/s asked (errors %lld)\n",
               (long long)r->published, publish_s,
               publish_s > 0 ? (double)r->published / publish_s : 0, o->publish_rate,
               (long long)r->publish_errors);
    printf("  messages     published %lld (errors %lld)  expected %lld  received %lld  lost %lld "
           "(%.4f%%)  duplicated %lld  out of order %lld  replayed %lld  resync_required %lld\n",
           (long long)r->published, (long long)r->publish_errors, (long long)r->expected,
           (long long)r->received, (long long)r->lost,
           r->expected ? 100.0 * (double)r->lost / (double)r->expected : 0.0,
           (long long)r->duplicated, (long long)r->out_of_order, (long long)r->replayed,
           (long long)r->resync_required);
    if (r->publish_errors)
        printf("    last publish error: %s\n", r->publish_error);
    print_times("latency", r->latency);
    printf("  reconnects   %lld (forced drops %lld, unexpected drops %lld)\n",
           (long long)r->reconnects, (long long)r->forced_drops, (long long)r->unexpected_drops);
    print_times("reconnect", r->reconnect_time);
}

/* Prints the verdicts; returns how many failed and counts in *no_data those
 * that could not be judged. Fills list (may be NULL). */
static int judge(const struct ws_opts *o, const struct tars_ws_stress_result *r, json_t *list,
                 int *no_data)
{
    int failed = 0;

    *no_data = 0;
    if (o->threshold_count)
        printf("thresholds:\n");
    for (int i = 0; i < o->threshold_count; i++) {
        struct tars_judged j;
        json_t *one;
        tars_ws_threshold_check(&o->th[i], r, &j);
        failed += j.outcome == TARS_JUDGE_FAIL;
        *no_data += j.outcome == TARS_JUDGE_NO_DATA;
        if (j.outcome == TARS_JUDGE_NO_DATA)
            printf("  N/A  %-28s inconclusive: %s\n", o->th[i].text, j.missing);
        else
            printf("  %s %-28s measured %g (limit %g)\n", tars_judgement_word(j.outcome),
                   o->th[i].text, j.measured, o->th[i].value);
        if (!list)
            continue;
        one = json_pack("{s:s,s:b,s:s,s:o,s:f,s:s}", "text", o->th[i].text, "passed",
                        j.outcome == TARS_JUDGE_PASS, "outcome", tars_judgement_name(j.outcome),
                        "measured", isnan(j.measured) ? json_null() : json_real(j.measured),
                        "limit", o->th[i].value, "unit", tars_ws_threshold_unit(&o->th[i]));
        if (one && j.outcome == TARS_JUDGE_NO_DATA)
            json_object_set_new(one, "missing", json_string(j.missing));
        json_array_append_new(list, one);
    }
    return failed;
}

/* The URL for files: a ?token= value is masked. */
static json_t *masked_url(const char *url)
{
    char copy[TARS_URL_MAX + 16];
    char *token;

    tars_strlcpy(copy, url, sizeof(copy));
    token = strstr(copy, "token=");
    if (token)
        tars_strlcpy(token + 6, "***", sizeof(copy) - (size_t)(token + 6 - copy));
    return json_string(copy);
}

/* The figures a report needs, in the shape of docs/run-format.md ("ws"),
 * read from the full result (which the entry keeps under "result"). */
static void add_run_summary(json_t *entry, json_t *result)
{
    json_t *conn = json_object_get(result, "connections"),
           *msg = json_object_get(result, "messages");
    json_t *ct = json_object_get(conn, "connect_time"), *lat = json_object_get(result, "latency");
    json_t *rec = json_object_get(result, "reconnects"), *rt = json_object_get(rec, "time");

    json_object_set_new(entry, "connections",
                        json_pack("{s:O,s:O}", "established", json_object_get(conn, "established"),
                                  "failed", json_object_get(conn, "failed")));
    json_object_set_new(entry, "connect_ms",
                        json_pack("{s:O,s:O}", "p50", json_object_get(ct, "p50_ms"), "p95",
                                  json_object_get(ct, "p95_ms")));
    json_object_set(entry, "messages", msg);
    json_object_set_new(entry, "latency_ms",
                        json_pack("{s:O,s:O,s:O}", "p50", json_object_get(lat, "p50_ms"), "p95",
                                  json_object_get(lat, "p95_ms"), "p99",
                                  json_object_get(lat, "p99_ms")));
    json_object_set_new(entry, "reconnects",
                        json_pack("{s:O,s:O,s:O}", "count", json_object_get(rec, "count"), "avg_ms",
                                  json_object_get(rt, "mean_ms"), "max_ms",
                                  json_object_get(rt, "max_ms")));
    json_object_set_new(entry, "loss_pct",
                        json_real(100.0 * json_number_value(json_object_get(msg, "loss"))));
}

static int write_outputs(const struct ws_opts *o, const struct tars_ws_stress_result *r,
                         json_t *thresholds)
{
    json_t *result = tars_ws_stress_result_to_json(r), *entry;
    int rc = 0;

    if (!result)
        return EXIT_INCONCLUSIVE;
    json_object_set_new(result, "url", masked_url(o->url));
    json_object_set_new(result, "channel", json_string(o->channel));
    json_object_set(result, "thresholds", thresholds);
    if (o->json_out)
        rc = cli_output_json("ws-stress", o->json_out, result, JSON_INDENT(1));
    if (o->run_dir) {
        entry = json_pack("{s:s,s:O,s:s,s:O,s:O}", "name", "ws-stress", "url",
                          json_object_get(result, "url"), "file", "ws.json", "thresholds",
                          thresholds, "result", result);
        if (entry) {
            add_run_summary(entry, result);
            json_object_set_new(entry, "interrupted", json_boolean(r->interrupted));
        }
        int run_rc = cli_run_record("ws-stress", o->run_dir, "ws.json", NULL, false, result);
        if (run_rc == 0)
            run_rc = entry ? cli_run_record("ws-stress", o->run_dir, NULL, "ws", true, entry)
                           : EXIT_INCONCLUSIVE;
        json_decref(entry);
        rc = rc ? rc : run_rc;
    }
    json_decref(result);
    return rc;
}

static int report(const struct ws_opts *o, const struct tars_ws_stress_result *r)
{
    json_t *list = json_array();
    int failed, no_data, rc;

    print_summary(o, r);
    failed = judge(o, r, list, &no_data);
    rc = write_outputs(o, r, list);
    json_decref(list);
    if (r->interrupted) { /* partial figures are no verdict, whatever they say */
        fprintf(stderr, "tars ws-stress: interrupted after %.1f s: the results are partial\n",
                r->elapsed_s);
        return EXIT_INCONCLUSIVE;
    }
    if (failed)
        return EXIT_FAILED;
    if (no_data) {
        fprintf(stderr,
                "tars ws-stress: %d threshold%s could not be judged (no data): "
                "inconclusive\n",
                no_data, no_data == 1 ? "" : "s");
        return EXIT_INCONCLUSIVE;
    }
    if (r->established == 0) {
        fprintf(stderr, "tars ws-stress: no connection was established%s%s\n",
                r->reasons[0].count ? ": " : "", r->reasons[0].count ? r->reasons[0].text : "");
        return EXIT_INCONCLUSIVE;
    }
    if (o->publish_rate > 0 && r->published == 0) {
        fprintf(stderr, "tars ws-stress: no message was published%s%s\n",
                r->publish_errors ? ": " : "", r->publish_errors ? r->publish_error : "");
        return EXIT_INCONCLUSIVE;
    }
    return rc;
}

static int render_metrics(void *s, struct tars_buf *out)
{
    return tars_ws_stress_metrics_render(s, out);
}

static int run(struct ws_opts *o)
{
    struct tars_ws_publisher_opts po = {o->publish_url, o->s.authorization, o->publish_rate,
                                        o->s.insecure};
    struct tars_ws_stress_result r, pub_counts;
    struct tars_err err = TARS_ERR_INIT;
    tars_ws_publisher *pub = NULL;
    tars_expo_server *metrics = NULL;
    tars_ws_stress *s;
    int rc;

    memset(&pub_counts, 0, sizeof(pub_counts));
    if ((rc = cli_metrics_listen("ws-stress", &o->metrics, o->quiet, &metrics)))
        return rc;
    cli_block_stop_signals(NULL); /* worker threads inherit the mask */
    raise_fd_limit(o->s.connections, o->quiet);
    s = tars_ws_stress_start(&o->s, &err);
    if (!s) {
        fprintf(stderr, "tars ws-stress: %s\n", err.msg);
        tars_expo_server_free(metrics);
        return err.code == TARS_EINVAL || err.code == TARS_ENOTFOUND ? EXIT_USAGE
                                                                     : EXIT_INCONCLUSIVE;
    }
    if (o->publish_rate > 0 && !(pub = tars_ws_publisher_start(&po, &err))) {
        fprintf(stderr, "tars ws-stress: publisher: %s\n", err.msg);
        tars_ws_stress_stop(s);
    }
    if ((rc = cli_metrics_serve("ws-stress", metrics, render_metrics, s)))
        tars_ws_stress_stop(s);
    watch(s, &pub, &pub_counts, o);
    tars_ws_publisher_finish(pub, &pub_counts);
    tars_ws_stress_wait(s, &r);
    r.published = pub_counts.published;
    r.publish_errors = pub_counts.publish_errors;
    memcpy(r.publish_error, pub_counts.publish_error, sizeof(r.publish_error));
    if (rc == 0)
        rc = report(o, &r);
    cli_metrics_finish(metrics, &o->metrics); /* the run's final figures until then */
    tars_ws_stress_free(s);
    tars_ws_stress_result_release(&r);
    return rc;
}

int cmd_ws_stress(int argc, char **argv)
{
    static const struct tars_ws_backoff backoff = TARS_WS_BACKOFF_DEFAULT;
    static const struct tars_ws_heartbeat heartbeat = TARS_WS_HEARTBEAT_DEFAULT;
    struct ws_opts *o = &wo;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int rc;

    memset(o, 0, sizeof(*o));
    o->channel = "evaluation.updates";
    o->s.connections = 100;
    o->s.duration_ms = 60000;
    o->s.threads = cpus > 0 ? (int)(cpus > 64 ? 64 : cpus) : 1;
    o->s.ramp_rate = 1000;
    o->s.ping_interval_ms = 60000;
    o->s.backoff = backoff;
    o->s.heartbeat = heartbeat;
    o->metrics.linger_ms = -1;
    rc = parse_args(argc, argv, o);
    if (rc == 0 && (rc = finish_options(o)) == 0)
        rc = run(o);
    memset(o->authorization, 0, sizeof(o->authorization));
    memset(o->protocol, 0, sizeof(o->protocol));
    memset(o->url_with_token, 0, sizeof(o->url_with_token));
    return cli_opt_exit(rc);
}
