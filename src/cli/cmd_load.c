/* tars load: run a scenario (or a quick URL run) and report; tars load merge. */
#include <getopt.h>
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
#include "load_output.h"
#include "tars/alloc.h"
#include "tars/json.h"
#include "tars/load.h"
#include "tars/str.h"

#define MAX_THRESHOLDS 64

struct load_opts {
    const char *target;          /* scenario file or URL */
    const char *json_out, *csv_prefix, *method;
    const char *connections, *threads, *duration, *rate, *users, *spawn, *timeout;
    const char *worker_index, *worker_count, *host, *run_dir, *token_env;
    const char *thresholds[MAX_THRESHOLDS];
    int threshold_count;
    const char *headers[32];
    int header_count;
    int insecure, quiet, help;
};

void usage_load(void)
{
    printf("usage: tars load SCENARIO.yaml [options]\n"
           "       tars load URL [-c N] [-t N] [-d 30s] [-R RATE] [options]\n"
           "       tars load merge RESULT.json... [--json OUT] [--threshold T]...\n\n"
           "Sends HTTP load and measures it (docs/load-format.md).\n"
           "Without -R the model is closed (each user waits for its answer); with -R it is\n"
           "open: a constant arrival rate, latency measured from the intended send time.\n\n"
           "  -c, --connections N     users (closed) or the connection pool (open); quick mode: 50\n"
           "  -t, --threads N         load threads, default: number of CPUs\n"
           "  -d, --duration D        30s, 5m, 1h30m (also --run-time), default 10s\n"
           "  -R, --rate N            requests per second over all threads (open model)\n"
           "      --users N           Locust vocabulary for -c\n"
           "      --spawn-rate N      users started per second (closed model)\n"
           "      --host URL          base URL, overriding the scenario's\n"
           "  -X, --method M          quick mode: the request method, default GET\n"
           "  -H, --header 'K: V'     quick mode: an extra header (repeatable)\n"
           "      --timeout D         per request, default 10s\n"
           "      --threshold EXPR    e.g. 'p95<150ms', 'error_rate<1%%', 'agents:rps>500' (repeatable)\n"
           "      --json FILE         summary with histograms (mergeable)\n"
           "      --csv PREFIX        Locust's files: PREFIX_stats.csv, _stats_history.csv, _failures.csv,\n"
           "                          _exceptions.csv\n"
           "      --token-env VAR     send 'Authorization: Bearer $VAR' instead of the scenario's auth\n"
           "      --run DIR           also record the result in run directory DIR\n"
           "                          (load-NAME.json, run.json \"loads\"; docs/run-format.md)\n"
           "      --worker-index I --worker-count N   take this worker's share of users or rate\n"
           "  -k, --insecure          do not verify TLS certificates\n"
           "  -q, --quiet             no live progress\n"
           "exit: 0 all thresholds met, 1 a threshold failed, 2 no request succeeded, an error or\n"
           "      interrupted (SIGINT/SIGTERM: partial results written), 3 bad usage\n");
}

static int parse_load_args(int argc, char **argv, struct load_opts *o)
{
    static const struct option longopts[] = {
        {"connections", required_argument, NULL, 'c'}, {"threads", required_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'd'},    {"run-time", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'R'},        {"users", required_argument, NULL, 'u'},
        {"spawn-rate", required_argument, NULL, 'r'},  {"host", required_argument, NULL, 'o'},
        {"method", required_argument, NULL, 'X'},      {"header", required_argument, NULL, 'H'},
        {"timeout", required_argument, NULL, 'T'},     {"threshold", required_argument, NULL, 'x'},
        {"json", required_argument, NULL, 'j'},        {"csv", required_argument, NULL, 'v'},
        {"run", required_argument, NULL, 'D'},          {"token-env", required_argument, NULL, 'E'},
        {"worker-index", required_argument, NULL, 'I'}, {"worker-count", required_argument, NULL, 'N'},
        {"insecure", no_argument, NULL, 'k'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:t:d:R:X:H:kqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->connections = optarg; break;
        case 't': o->threads = optarg; break;
        case 'd': o->duration = optarg; break;
        case 'R': o->rate = optarg; break;
        case 'u': o->users = optarg; break;
        case 'r': o->spawn = optarg; break;
        case 'o': o->host = optarg; break;
        case 'X': o->method = optarg; break;
        case 'T': o->timeout = optarg; break;
        case 'j': o->json_out = optarg; break;
        case 'v': o->csv_prefix = optarg; break;
        case 'D': o->run_dir = optarg; break;
        case 'E': o->token_env = optarg; break;
        case 'I': o->worker_index = optarg; break;
        case 'N': o->worker_count = optarg; break;
        case 'k': o->insecure = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': o->help = 1; return 0;
        case 'H':
            if (o->header_count == 32)
                return cli_usage_error("load", "at most 32 headers");
            o->headers[o->header_count++] = optarg;
            break;
        case 'x':
            if (o->threshold_count == MAX_THRESHOLDS)
                return cli_usage_error("load", "at most %d thresholds", MAX_THRESHOLDS);
            o->thresholds[o->threshold_count++] = optarg;
            break;
        default:
            return cli_usage_error("load", "unknown or incomplete option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("load", optind < argc ? "one scenario file or URL, not several"
                                                     : "give a scenario file or a URL");
    o->target = argv[optind];
    if (o->csv_prefix && cli_output_check("load", "--csv", o->csv_prefix, false))
        return EXIT_USAGE;
    return cli_output_prepare("load", "--json", o->json_out, o->run_dir);
}

/* Options given on the command line win over the scenario's values. */
static int apply_overrides(const struct load_opts *o, struct tars_load_scenario *s)
{
    int64_t v;
    double d;

    if (o->token_env) { /* the variable's name only; its value is read when the run starts */
        free(s->auth.username_env);
        free(s->auth.password_env);
        free(s->auth.token_env);
        s->auth.username_env = s->auth.password_env = NULL;
        s->auth.token_env = xstrdup(o->token_env);
        s->auth.mode = TARS_LOAD_AUTH_BEARER;
    }

    if ((o->connections || o->users) &&
        tars_parse_i64(o->connections ? o->connections : o->users, 1, 1000000, &v) == 0) {
        s->users = v;
        s->connections = v;
    } else if (o->connections || o->users) {
        return cli_usage_error("load", "connections/users must be 1..1000000");
    }
    if (o->threads && (tars_parse_i64(o->threads, 1, 256, &v) || !(s->threads = (int)v)))
        return cli_usage_error("load", "threads must be 1..256");
    if (o->duration && (tars_duration_parse(o->duration, &s->duration_ms) || s->duration_ms <= 0))
        return cli_usage_error("load", "bad duration \"%s\" (e.g. 30s, 5m, 1h30m)", o->duration);
    if (o->timeout && (tars_duration_parse(o->timeout, &s->timeout_ms) || s->timeout_ms <= 0))
        return cli_usage_error("load", "bad timeout \"%s\"", o->timeout);
    if (o->rate) {
        if (tars_parse_double(o->rate, &d) || d <= 0)
            return cli_usage_error("load", "rate must be a positive number");
        s->rate = d;
        s->model = TARS_LOAD_OPEN;
    }
    if (o->spawn && (tars_parse_double(o->spawn, &d) || d < 0 || !((s->spawn_rate = d) >= 0)))
        return cli_usage_error("load", "spawn rate must be >= 0");
    if (o->worker_count && (tars_parse_i64(o->worker_count, 1, 10000, &v) || !(s->worker_count = (int)v)))
        return cli_usage_error("load", "worker count must be 1..10000");
    if (o->worker_index && (tars_parse_i64(o->worker_index, 0, s->worker_count - 1, &v) ||
                            (s->worker_index = (int)v) < 0))
        return cli_usage_error("load", "worker index must be 0..worker-count-1");
    if (o->host) {
        free(s->base_url);
        s->base_url = xstrdup(o->host);
    }
    s->insecure = s->insecure || o->insecure;
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
        s->tasks[0].headers = xrealloc(s->tasks[0].headers, (s->tasks[0].header_count + 1) * sizeof(*h));
        h = &s->tasks[0].headers[s->tasks[0].header_count++];
        h->name = xstrndup(o->headers[i], (size_t)(colon - o->headers[i]));
        colon++;
        while (*colon == ' ')
            colon++;
        h->value = tars_template_compile(colon, &err);
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
static void watch(tars_load_run *run, const struct tars_load_scenario *s, bool quiet)
{
    bool tty = isatty(STDERR_FILENO);
    int64_t duration = s->duration_ms, elapsed;
    struct timespec tick = {0, 100000000}; /* 0.1 s: a stop takes effect quickly */
    struct tars_load_second last;
    sigset_t set;
    int n = 0;

    for (size_t i = 0, d = 0; i < s->stage_count; i++, duration = (int64_t)d)
        d += (size_t)s->stages[i].duration_ms;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    while (!tars_load_done(run)) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            tars_load_stop(run);
            if (!quiet)
                fprintf(stderr, "%sstopping: finishing with the results so far\n", tty ? "\n" : "");
            continue;
        }
        tars_load_progress(run, &last, &elapsed);
        if (++n % 10 != 0)
            continue;
        if (!quiet && (tty || n % 50 == 0))
            load_print_progress(stderr, tty, &last, elapsed, duration);
    }
    if (!quiet && tty)
        fputc('\n', stderr);
}

static int write_outputs(const struct load_opts *o, const struct tars_load_result *r)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v;
    int rc = 0;

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
                        "measured", isnan(j.measured) ? json_null() : json_real(j.measured), "limit",
                        th[i].value, "unit", tars_threshold_unit(&th[i]));
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
    rc = write_outputs(o, r);
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
    return rc;
}

static int run_scenario(const struct load_opts *o)
{
    struct tars_load_scenario s;
    struct tars_load_result r;
    struct tars_err err = TARS_ERR_INIT;
    tars_load_run *run;
    sigset_t set;
    int rc = build_scenario(o, &s);

    memset(&r, 0, sizeof(r));
    if (rc)
        goto out;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* load threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);
    run = tars_load_start(&s, &err);
    if (!run) {
        fprintf(stderr, "tars load: %s\n", err.msg);
        rc = err.code == TARS_EINVAL ? EXIT_USAGE : EXIT_INCONCLUSIVE;
        goto out;
    }
    watch(run, &s, o->quiet);
    rc = tars_load_wait(run, &r, &err);
    tars_load_free(run);
    if (rc) {
        fprintf(stderr, "tars load: %s\n", err.msg);
        rc = EXIT_INCONCLUSIVE;
        goto out;
    }
    rc = report(o, s.thresholds, s.threshold_count, &r);
out:
    tars_load_result_release(&r);
    tars_load_scenario_release(&s);
    return rc;
}

/* Reads one result file into total (the first one) or merges it in. */
static int merge_file(const char *path, struct tars_load_result *total, bool first)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_load_result one;
    json_error_t jerr;
    json_t *v = json_load_file(path, 0, &jerr);
    int rc = v ? 0 : TARS_EINVAL;

    memset(&one, 0, sizeof(one));
    if (!v)
        tars_err_set(&err, TARS_EINVAL, "line %d: %s", jerr.line, jerr.text);
    if (rc == 0)
        rc = tars_load_result_from_json(v, first ? total : &one, &err);
    if (rc == 0 && !first)
        rc = tars_load_result_merge(total, &one, &err);
    json_decref(v);
    tars_load_result_release(&one);
    if (rc)
        fprintf(stderr, "tars load merge: %s: %s\n", path, err.msg);
    return rc ? EXIT_USAGE : 0;
}

/* tars load merge a.json b.json ... */
static int run_merge(int argc, char **argv)
{
    struct load_opts o;
    struct tars_load_result total;
    struct tars_threshold th[MAX_THRESHOLDS];
    struct tars_err err = TARS_ERR_INIT;
    int rc = 0, nth = 0, c, files = 0;
    static const struct option longopts[] = {{"json", required_argument, NULL, 'j'},
                                             {"csv", required_argument, NULL, 'v'},
        {"run", required_argument, NULL, 'D'},          {"token-env", required_argument, NULL, 'E'},
                                             {"threshold", required_argument, NULL, 'x'},
                                             {NULL, 0, NULL, 0}};

    memset(&o, 0, sizeof(o));
    memset(&total, 0, sizeof(total));
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'j') o.json_out = optarg;
        else if (c == 'v') o.csv_prefix = optarg;
        else if (c == 'x' && nth < MAX_THRESHOLDS) {
            if (tars_threshold_parse(optarg, &th[nth], &err)) {
                rc = cli_usage_error("load", "threshold \"%s\": %s", optarg, err.msg);
                goto out;
            }
            nth++;
        } else {
            rc = cli_usage_error("load", "merge: unknown option \"%s\"", argv[optind - 1]);
            goto out;
        }
    }
    for (int i = optind; i < argc && rc == 0; i++) {
        rc = merge_file(argv[i], &total, files++ == 0);
    }
    if (rc == 0 && files == 0)
        rc = cli_usage_error("load", "merge needs at least one result file");
    if (rc == 0 && o.csv_prefix && cli_output_check("load", "--csv", o.csv_prefix, false))
        rc = EXIT_USAGE;
    if (rc == 0)
        rc = cli_output_prepare("load", "--json", o.json_out, NULL);
    if (rc == 0)
        rc = report(&o, th, (size_t)nth, &total);
out:
    for (int i = 0; i < nth; i++)
        tars_threshold_release(&th[i]);
    tars_load_result_release(&total);
    return rc;
}

int cmd_load(int argc, char **argv)
{
    struct load_opts o;
    int rc;

    if (argc >= 2 && strcmp(argv[1], "merge") == 0)
        return run_merge(argc - 1, argv + 1);
    memset(&o, 0, sizeof(o));
    rc = parse_load_args(argc, argv, &o);
    if (rc)
        return rc;
    if (o.help) {
        usage_load();
        return EXIT_OK;
    }
    return run_scenario(&o);
}
