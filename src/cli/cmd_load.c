/* tars load: run a scenario (or a quick URL run) and report; tars load merge. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "output.h"
#include "run_record.h"
#include "live_metrics.h"
#include "load_output.h"
#include "opt.h"
#include "watch.h"
#include "tars/alloc.h"
#include "tars/json.h"
#include "tars/load.h"
#include "tars/str.h"

#define MAX_THRESHOLDS 64
#define MAX_HEADERS 32

/* Unset numbers are 0 (or -1 where 0 is a value): the scenario's value stays. */
struct load_opts {
    const char *target; /* scenario file or URL */
    const char *json_out, *csv_prefix, *method, *host, *run_dir, *token_env, *summary_export;
    int users, threads, worker_index, worker_count, exit_code_on_error;
    int64_t duration_ms, timeout_ms;
    double rate, spawn;
    const char *thresholds[MAX_THRESHOLDS];
    int threshold_count;
    const char *headers[MAX_HEADERS];
    int header_count;
    int insecure, quiet, only_summary, headless, latency, csv_full_history;
    struct cli_metrics_opts metrics;
};

static struct load_opts lo;

/* -t: wrk's threads (a whole number) or Locust's run time (a duration with a unit). */
static const char *t_option(const struct cli_opt *opt, const char *arg, char *why, size_t size)
{
    struct load_opts *o = opt->value;
    size_t digits = strspn(arg, "0123456789");
    int64_t v;

    if (digits > 0 && arg[digits] == '\0') {
        if (tars_parse_i64(arg, 1, 256, &v) == 0) {
            o->threads = (int)v;
            return NULL;
        }
        snprintf(why, size,
                 "\"%s\": a whole number is a thread count (wrk), and must be 1..256; "
                 "a run time needs a unit (Locust: -t 5m)",
                 arg);
        return why;
    }
    if (tars_duration_parse(arg, &v) == 0 && v > 0) {
        o->duration_ms = v;
        return NULL;
    }
    snprintf(why, size,
             "\"%s\" is neither a thread count (wrk: -t 4) nor a run time (Locust: -t 5m)", arg);
    return why;
}

/* -H: wrk's header ("Name: value") or Locust's host (http://, https://). */
static const char *h_option(const struct cli_opt *opt, const char *arg, char *why, size_t size)
{
    struct load_opts *o = opt->value;

    if (tars_str_has_prefix(arg, "http://") || tars_str_has_prefix(arg, "https://")) {
        o->host = arg;
        return NULL;
    }
    if (!strchr(arg, ':') || arg[0] == ':') {
        snprintf(why, size,
                 "\"%s\" is neither a header (wrk: -H 'Name: value') nor a host "
                 "(Locust: -H http://host:port)",
                 arg);
        return why;
    }
    if (o->header_count == MAX_HEADERS) {
        snprintf(why, size, "at most %d headers", MAX_HEADERS);
        return why;
    }
    o->headers[o->header_count++] = arg;
    return NULL;
}

static const struct cli_opt load_table[] = {
    CLI_INT('c', "connections", "N", &lo.users, 1, 1000000,
            "users (closed model) or the connection pool (open); quick mode: 50"),
    CLI_INT('u', "users", "N", &lo.users, 1, 1000000, "the same as -c (Locust)"),
    CLI_CALL('t', NULL, "N|TIME", &lo, t_option,
             "a whole number is load threads (wrk: -t 4); a duration with a unit is\n"
             "the run time (Locust: -t 5m, as -d)"),
    CLI_INT(0, "threads", "N", &lo.threads, 1, 256, "load threads, default: number of CPUs"),
    CLI_DURATION('d', "duration", "D", &lo.duration_ms, 1, TARS_DURATION_MAX_MS,
                 "how long: 30s, 5m, 1h30m; default 10s"),
    CLI_DURATION(0, "run-time", "D", &lo.duration_ms, 1, TARS_DURATION_MAX_MS,
                 "the same as -d (Locust)"),
    CLI_POSITIVE('R', "rate", "N", &lo.rate, 0, HUGE_VAL,
                 "requests per second over all threads: the open model (wrk2)"),
    CLI_DOUBLE('r', "spawn-rate", "N", &lo.spawn, 0, HUGE_VAL,
               "users started per second (closed model, Locust)"),
    CLI_STRING(0, "host", "URL", &lo.host, "base URL, overriding the scenario's (Locust)"),
    CLI_CALL('H', NULL, "HEADER|URL", &lo, h_option,
             "'Name: value' is a header as --header (wrk); http(s)://... is --host\n(Locust)"),
    CLI_LIST(0, "header", "HEADER", lo.headers, &lo.header_count, MAX_HEADERS,
             "quick mode: an extra request header, 'Name: value'"),
    CLI_STRING('X', "method", "M", &lo.method, "quick mode: the request method, default GET"),
    CLI_DURATION(0, "timeout", "D", &lo.timeout_ms, 1, TARS_DURATION_MAX_MS,
                 "per request, default 10s"),
    CLI_LIST(0, "threshold", "EXPR", lo.thresholds, &lo.threshold_count, MAX_THRESHOLDS,
             "e.g. 'p95<150ms', 'error_rate<1%', 'agents:rps>500', or k6's\n"
             "'http_req_duration{name:agents}: p(95)<150' (docs/load-format.md §3)"),
    CLI_STRING(0, "json", "FILE", &lo.json_out,
               "summary with histograms (mergeable; - for stdout)"),
    CLI_STRING(0, "summary-export", "FILE", &lo.summary_export,
               "k6's end-of-test summary JSON (as k6 --summary-export)"),
    CLI_STRING(0, "csv", "PREFIX", &lo.csv_prefix,
               "Locust's files: PREFIX_stats.csv, _stats_history.csv, _failures.csv,\n"
               "_exceptions.csv"),
    CLI_FLAG(0, "csv-full-history", &lo.csv_full_history,
             "with --csv: _stats_history.csv also has a line per task each second\n"
             "(Locust); at most 36000 tasks x seconds"),
    CLI_STRING(0, "token-env", "VAR", &lo.token_env,
               "send 'Authorization: Bearer $VAR' instead of the scenario's auth"),
    CLI_STRING(0, "run", "DIR", &lo.run_dir,
               "also record the result in run directory DIR (load-NAME.json, run.json\n"
               "\"loads\"; docs/run-format.md)"),
    CLI_INT(0, "worker-index", "I", &lo.worker_index, 0, 9999,
            "this worker's share of users or rate: worker I of --worker-count"),
    CLI_INT(0, "worker-count", "N", &lo.worker_count, 1, 10000, "workers sharing the load"),
    CLI_INT(0, "exit-code-on-error", "N", &lo.exit_code_on_error, 0, 255,
            "exit N when any request failed and the run would otherwise exit 0 (Locust)"),
    CLI_METRICS_OPTIONS(lo.metrics, "TARS_LOAD_METRICS_LISTEN"),
    CLI_FLAG('k', "insecure", &lo.insecure, "do not verify TLS certificates"),
    CLI_FLAG('q', "quiet", &lo.quiet, "no live progress"),
    CLI_FLAG(0, "only-summary", &lo.only_summary, "no live progress, only the summary (Locust)"),
    CLI_FLAG(0, "headless", &lo.headless, "accepted, no effect: tars has no web UI (Locust)"),
    CLI_FLAG(0, "latency", &lo.latency,
             "accepted, no effect: the latency distribution is always printed (wrk)"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_load_spec = {
    .name = "load",
    .synopsis = "tars load SCENARIO.yaml [options]\n"
                "tars load URL [-c N] [-t N] [-d 30s] [-R RATE] [options]\n"
                "tars load merge RESULT.json... [--json OUT] [--threshold T]...",
    .about = "Sends HTTP load and measures it (docs/load-format.md).\n"
             "Without -R the model is closed (each user waits for its answer); with -R it is\n"
             "open: a constant arrival rate, latency measured from the intended send time.\n"
             "wrk's and Locust's flags work as there; -t and -H, which the two spell alike,\n"
             "go by their value: -t 4 is threads, -t 5m run time; -H 'K: v' a header,\n"
             "-H http://host the host.",
    .opts = load_table,
    .exits = "0 all thresholds met, 1 a threshold failed, 2 no request succeeded, an error or\n"
             "interrupted (SIGINT/SIGTERM: partial results written), 3 bad usage;\n"
             "--exit-code-on-error N turns a 0 with failed requests into N",
};

static const struct cli_opt merge_table[] = {
    CLI_STRING(0, "json", "FILE", &lo.json_out, "the merged summary (- for stdout)"),
    CLI_STRING(0, "csv", "PREFIX", &lo.csv_prefix, "Locust's CSV files of the merged result"),
    CLI_LIST(0, "threshold", "EXPR", lo.thresholds, &lo.threshold_count, MAX_THRESHOLDS,
             "judged on the merged result"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_load_merge_spec = {
    .name = "load merge",
    .synopsis = "tars load merge RESULT.json... [options]",
    .about = "Merges the --json results of several workers (docs/distributed.md) and judges\n"
             "the thresholds on the whole.",
    .opts = merge_table,
    .exits = "0 all thresholds met on the merged result, 1 a threshold failed, 2 no request\n"
             "succeeded, a threshold without data, a worker's run interrupted, or an output not\n"
             "written, 3 bad usage or a file that is not a load result of the same model",
};

static void load_defaults(struct load_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->spawn = -1;
    o->worker_index = -1;
    o->exit_code_on_error = -1;
    o->metrics.linger_ms = -1;
}

static int parse_load_args(int argc, char **argv, struct load_opts *o)
{
    int n, rc = cli_opt_parse(&cli_load_spec, argc, argv, &n);

    if (rc)
        return rc;
    if (n != 1)
        return cli_usage_error("load", n > 1 ? "one scenario file or URL, not several"
                                             : "give a scenario file or a URL");
    o->target = argv[1];
    if (cli_metrics_check("load", &o->metrics))
        return EXIT_USAGE;
    if (o->csv_prefix && cli_output_check("load", "--csv", o->csv_prefix, false))
        return EXIT_USAGE;
    if (o->csv_full_history && !o->csv_prefix)
        return cli_usage_error("load", "--csv-full-history needs --csv PREFIX");
    if (o->summary_export && cli_output_check("load", "--summary-export", o->summary_export, false))
        return EXIT_USAGE;
    return cli_output_prepare("load", "--json", o->json_out, o->run_dir);
}

/* Options given on the command line win over the scenario's values. */
static int apply_overrides(const struct load_opts *o, struct tars_load_scenario *s)
{
    if (o->token_env) { /* the variable's name only; its value is read when the run starts */
        free(s->auth.username_env);
        free(s->auth.password_env);
        free(s->auth.token_env);
        s->auth.username_env = s->auth.password_env = NULL;
        s->auth.token_env = xstrdup(o->token_env);
        s->auth.mode = TARS_LOAD_AUTH_BEARER;
    }
    if (o->users)
        s->users = s->connections = o->users;
    if (o->threads)
        s->threads = o->threads;
    if (o->duration_ms)
        s->duration_ms = o->duration_ms;
    if (o->timeout_ms)
        s->timeout_ms = o->timeout_ms;
    if (o->rate > 0) {
        s->rate = o->rate;
        s->model = TARS_LOAD_OPEN;
    }
    if (o->spawn >= 0)
        s->spawn_rate = o->spawn;
    if (o->worker_count)
        s->worker_count = o->worker_count;
    if (o->worker_index >= 0 && o->worker_index >= s->worker_count)
        return cli_usage_error("load", "--worker-index: \"%d\" must be 0..%d (--worker-count - 1)",
                               o->worker_index, s->worker_count - 1);
    if (o->worker_index >= 0)
        s->worker_index = o->worker_index;
    if (o->host) {
        free(s->base_url);
        s->base_url = xstrdup(o->host);
    }
    s->insecure = s->insecure || o->insecure;
    s->task_history = o->csv_full_history;
    return 0;
}

/* Quick mode: a URL and wrk/Locust flags. */
static int quick_scenario(const struct load_opts *o, struct tars_load_scenario *s)
{
    struct tars_err err = TARS_ERR_INIT;

    if (tars_load_scenario_quick(o->target, o->method ? o->method : "GET", s, &err))
        return cli_usage_error("load", "%s", err.msg);
    for (int i = 0; i < o->header_count; i++) {
        const char *colon = strchr(o->headers[i], ':');
        struct tars_load_header *h;
        if (!colon || colon == o->headers[i])
            return cli_usage_error("load", "header \"%s\" is not \"Name: value\"", o->headers[i]);
        s->tasks[0].headers =
            xrealloc(s->tasks[0].headers, (s->tasks[0].header_count + 1) * sizeof(*h));
        h = &s->tasks[0].headers[s->tasks[0].header_count++];
        h->name = xstrndup(o->headers[i], (size_t)(colon - o->headers[i]));
        colon++;
        while (*colon == ' ')
            colon++;
        h->value = tars_load_template_compile(colon, &err);
        if (!h->value)
            return cli_usage_error("load", "header \"%s\": %s", o->headers[i], err.msg);
    }
    return 0;
}

static int add_thresholds(const struct load_opts *o, struct tars_load_scenario *s)
{
    struct tars_err err = TARS_ERR_INIT;

    for (int i = 0; i < o->threshold_count; i++) {
        s->thresholds = xrealloc(s->thresholds, (s->threshold_count + 1) * sizeof(*s->thresholds));
        if (tars_threshold_parse(o->thresholds[i], &s->thresholds[s->threshold_count], &err))
            return cli_usage_error("load", "%s", err.msg);
        s->threshold_count++;
    }
    return 0;
}

static bool looks_like_url(const char *s)
{
    return tars_str_has_prefix(s, "http://") || tars_str_has_prefix(s, "https://");
}

static int build_scenario(const struct load_opts *o, struct tars_load_scenario *s)
{
    struct tars_err err = TARS_ERR_INIT;
    int rc;

    memset(s, 0, sizeof(*s));
    if (looks_like_url(o->target)) {
        rc = quick_scenario(o, s);
    } else if (tars_load_scenario_load(o->target, s, &err)) {
        fprintf(stderr, "tars load: %s\n", err.msg);
        return EXIT_USAGE;
    } else {
        rc = 0;
    }
    if (rc == 0)
        rc = apply_overrides(o, s);
    if (rc == 0)
        rc = add_thresholds(o, s);
    if (rc == 0 && tars_load_scenario_validate(s, &err))
        rc = cli_usage_error("load", "%s", err.msg);
    return rc;
}

/* Waits for the run, printing progress and honouring SIGINT/SIGTERM (which
 * stop the run early; the partial results are still reported). */
static bool load_done(void *run)
{
    return tars_load_done(run);
}

static void load_stop(void *run)
{
    tars_load_stop(run);
}

static void watch(tars_load_run *run, const struct tars_load_scenario *s, bool quiet)
{
    int64_t duration = s->duration_ms, elapsed;
    struct tars_load_second last;
    struct cli_watch w;
    enum cli_watch_step step;
    int n = 0;

    for (size_t i = 0, d = 0; i < s->stage_count; i++, duration = (int64_t)d)
        d += (size_t)s->stages[i].duration_ms;
    cli_watch_init(&w, load_done, load_stop, run, quiet);
    while ((step = cli_watch_step(&w)) != CLI_WATCH_OVER) {
        if (step == CLI_WATCH_STOPPED)
            continue;
        tars_load_progress(run, &last, &elapsed);
        if (++n % 10 != 0)
            continue;
        if (!quiet && (w.tty || n % 50 == 0))
            load_print_progress(stderr, w.tty, &last, elapsed, duration);
    }
    if (!quiet && w.tty)
        fputc('\n', stderr);
}

static int write_outputs(const struct load_opts *o, const struct tars_threshold *th, size_t nth,
                         const struct tars_load_result *r)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v;
    int rc = 0;

    if (o->summary_export) {
        v = tars_load_k6_summary(r, th, nth);
        if (!v || cli_output_json("load", o->summary_export, v, JSON_INDENT(1)) != 0)
            rc = EXIT_INCONCLUSIVE;
        json_decref(v);
    }
    if (o->json_out) {
        v = tars_load_result_to_json(r);
        if (!v)
            fprintf(stderr, "tars load: out of memory\n");
        if (!v || cli_output_json("load", o->json_out, v, JSON_INDENT(1)) != 0)
            rc = EXIT_INCONCLUSIVE;
        json_decref(v);
    }
    if (o->csv_prefix && tars_load_write_csv(r, o->csv_prefix, &err)) {
        fprintf(stderr, "tars load: %s\n", err.msg);
        rc = EXIT_INCONCLUSIVE;
    }
    return rc;
}

/* The thresholds as judged, for the run record: {"text","passed","outcome","measured",
 * "limit","unit"[,"missing"]} in the threshold's own unit (ns, fraction, 1/s); measured
 * null and outcome "no_data" (with what was missing) when nothing could be judged. */
static json_t *thresholds_json(const struct tars_threshold *th, size_t n,
                               const struct tars_load_result *r)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < n; i++) {
        struct tars_judged j;
        json_t *one;
        if (tars_threshold_check(&th[i], r, &j, NULL) != TARS_OK)
            continue;
        one = json_pack("{s:s,s:b,s:s,s:o,s:f,s:s}", "text", th[i].text, "passed",
                        j.outcome == TARS_JUDGE_PASS, "outcome", tars_judgement_name(j.outcome),
                        "measured", isnan(j.measured) ? json_null() : json_real(j.measured),
                        "limit", th[i].value, "unit", tars_threshold_unit(&th[i]));
        if (one && j.outcome == TARS_JUDGE_NO_DATA)
            json_object_set_new(one, "missing", json_string(j.missing));
        json_array_append_new(list, one);
    }
    return list;
}

/* --run DIR: load-<scenario>.json and one element of run.json "loads":
 * {"name","thresholds","result"}. */
static int write_run_record(const char *dir, const struct tars_threshold *th, size_t nth,
                            const struct tars_load_result *r)
{
    char file[200];
    json_t *result = tars_load_result_to_json(r), *entry;
    int rc;

    entry = result ? json_pack("{s:s,s:s,s:b,s:o,s:O}", "name", r->scenario, "file", "",
                               "interrupted", r->interrupted, "thresholds",
                               thresholds_json(th, nth, r), "result", result)
                   : NULL;
    if (!entry) {
        json_decref(result);
        fprintf(stderr, "tars load: out of memory\n");
        return EXIT_INCONCLUSIVE;
    }
    cli_run_file_name("load-", r->scenario, file, sizeof(file));
    json_object_set_new(entry, "file", json_string(file));
    rc = cli_run_record("load", dir, file, NULL, false, result);
    if (rc == 0)
        rc = cli_run_record("load", dir, NULL, "loads", true, entry);
    json_decref(result);
    json_decref(entry);
    return rc;
}

/* Prints everything and chooses the exit code (docs/exit-codes.md). */
static int report(const struct load_opts *o, const struct tars_threshold *th, size_t nth,
                  const struct tars_load_result *r)
{
    int failed, no_data, rc;

    load_print_summary(stdout, r);
    failed = load_print_thresholds(stdout, th, nth, r, &no_data);
    rc = write_outputs(o, th, nth, r);
    if (o->run_dir && failed >= 0) {
        int run_rc = write_run_record(o->run_dir, th, nth, r);
        rc = rc ? rc : run_rc;
    }
    if (failed < 0)
        return EXIT_USAGE;
    if (r->interrupted) { /* partial figures are no verdict, whatever they say */
        fprintf(stderr, "tars load: interrupted after %.1f s: the results are partial\n",
                (double)r->duration_ms / 1000);
        return EXIT_INCONCLUSIVE;
    }
    if (failed > 0)
        return EXIT_FAILED;
    if (no_data > 0) {
        fprintf(stderr, "tars load: %d threshold%s could not be judged (no data): inconclusive\n",
                no_data, no_data == 1 ? "" : "s");
        return EXIT_INCONCLUSIVE;
    }
    if (r->total.requests == r->total.failures) {
        fprintf(stderr, "tars load: no request succeeded\n");
        return EXIT_INCONCLUSIVE;
    }
    if (rc == 0 && o->exit_code_on_error >= 0 && r->total.failures > 0) {
        fprintf(stderr, "tars load: %" PRIu64 " request%s failed: exit %d (--exit-code-on-error)\n",
                (uint64_t)r->total.failures, r->total.failures == 1 ? "" : "s",
                o->exit_code_on_error);
        return o->exit_code_on_error;
    }
    return rc;
}

static int render_metrics(void *run, struct tars_buf *out)
{
    return tars_load_metrics_render(run, out);
}

static int run_scenario(const struct load_opts *o)
{
    struct tars_load_scenario s;
    struct tars_load_result r;
    struct tars_err err = TARS_ERR_INIT;
    tars_load_run *run = NULL;
    tars_expo_server *metrics = NULL;
    int rc = build_scenario(o, &s);

    memset(&r, 0, sizeof(r));
    if (rc || (rc = cli_metrics_listen("load", &o->metrics, o->quiet, &metrics)))
        goto out;
    cli_block_stop_signals(NULL); /* load threads inherit the mask */
    run = tars_load_start(&s, &err);
    if (!run) {
        fprintf(stderr, "tars load: %s\n", err.msg);
        rc = err.code == TARS_EINVAL ? EXIT_USAGE : EXIT_INCONCLUSIVE;
        goto out;
    }
    if ((rc = cli_metrics_serve("load", metrics, render_metrics, run)))
        tars_load_stop(run);
    watch(run, &s, o->quiet || o->only_summary);
    if (tars_load_wait(run, &r, &err)) {
        fprintf(stderr, "tars load: %s\n", err.msg);
        rc = EXIT_INCONCLUSIVE;
        goto out;
    }
    if (rc == 0)
        rc = report(o, s.thresholds, s.threshold_count, &r);
    cli_metrics_finish(metrics, &o->metrics); /* the run's final figures until then */
    metrics = NULL;
out:
    tars_expo_server_free(metrics);
    tars_load_free(run);
    tars_load_result_release(&r);
    tars_load_scenario_release(&s);
    return rc;
}

/* Reads one result file into total (the first one) or merges it in. */
static int merge_file(const char *path, struct tars_load_result *total, bool first)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_load_result one;
    json_t *v = NULL;
    int rc = tars_json_load_file(path, 0, 0, &v, &err);

    memset(&one, 0, sizeof(one));
    if (rc == 0)
        rc = tars_load_result_from_json(v, first ? total : &one, &err);
    if (rc == 0 && !first)
        rc = tars_load_result_merge(total, &one, &err);
    json_decref(v);
    tars_load_result_release(&one);
    if (rc)
        fprintf(stderr, "tars load merge: %s%s%s\n", v ? path : "", v ? ": " : "", err.msg);
    return rc ? EXIT_USAGE : 0;
}

/* tars load merge a.json b.json ... */
static int run_merge(int argc, char **argv)
{
    struct tars_load_result total;
    struct tars_threshold th[MAX_THRESHOLDS];
    struct tars_err err = TARS_ERR_INIT;
    int rc, nth = 0, files = 0;

    memset(&total, 0, sizeof(total));
    load_defaults(&lo);
    rc = cli_opt_parse(&cli_load_merge_spec, argc, argv, &files);
    if (rc)
        return cli_opt_exit(rc);
    for (; nth < lo.threshold_count; nth++) {
        if (tars_threshold_parse(lo.thresholds[nth], &th[nth], &err)) {
            rc = cli_usage_error("load merge", "--threshold \"%s\": %s", lo.thresholds[nth],
                                 err.msg);
            goto out;
        }
    }
    for (int i = 1; i <= files && rc == 0; i++)
        rc = merge_file(argv[i], &total, i == 1);
    if (rc == 0 && files == 0)
        rc = cli_usage_error("load merge", "give at least one result file");
    if (rc == 0 && lo.csv_prefix && cli_output_check("load", "--csv", lo.csv_prefix, false))
        rc = EXIT_USAGE;
    if (rc == 0)
        rc = cli_output_prepare("load", "--json", lo.json_out, NULL);
    if (rc == 0)
        rc = report(&lo, th, (size_t)nth, &total);
out:
    for (int i = 0; i < nth; i++)
        tars_threshold_release(&th[i]);
    tars_load_result_release(&total);
    return rc;
}

int cmd_load(int argc, char **argv)
{
    int rc;

    if (argc >= 2 && strcmp(argv[1], "merge") == 0)
        return run_merge(argc - 1, argv + 1);
    load_defaults(&lo);
    rc = parse_load_args(argc, argv, &lo);
    if (rc)
        return cli_opt_exit(rc);
    return run_scenario(&lo);
}
