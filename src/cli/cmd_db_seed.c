/* tars db-seed: fill a database with deterministic, realistic volumes. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "db_url.h"
#include "tars/clock.h"
#include "tars/store_bench.h"
#include "tars/str.h"

struct seed_opts {
    const char *db;
    struct tars_seed_options seed;
    bool missions_given, keys_given, quiet, help;
};

struct seed_watch {
    bool tty;
    bool quiet;
    uint64_t started;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void usage_db_seed(void)
{
    printf(
        "usage: tars db-seed --db URL --rows N [options]\n\n"
        "Fills an empty database with deterministic data for `tars db-bench`: N evaluations\n"
        "spread over agents, regions and the last %d days, missions, API keys and agents.\n"
        "The same options give the same rows (the checksum printed at the end says so).\n\n"
        "  --db URL          sqlite:PATH (created) or postgres://... (migrated first)\n"
        "  --rows N          evaluations to write (1..%d)\n"
        "  --seed S          random seed, default 1\n"
        "  --agents A        distinct agents, default 20 (1..%d)\n"
        "  --regions R       distinct regions, default 4 (1..%d)\n"
        "  --missions M      missions, default max(1000, N/20)\n"
        "  --api-keys K      API keys, default max(1000, N/100)\n"
        "  --batch B         rows per COPY (PostgreSQL) or progress step (SQLite), default 50000\n"
        "  --now TIME        newest time, ISO 8601 UTC or epoch ms; default now\n"
        "  -q, --quiet       no progress line\n"
        "exit: 0 seeded, 2 database unreachable or stopped early, 3 bad usage or a database\n"
        "      that already holds evaluations, missions or API keys\n",
        TARS_SEED_DAYS, TARS_SEED_MAX_ROWS, TARS_SEED_MAX_AGENTS, TARS_SEED_MAX_REGIONS);
}

static int parse_count(const char *arg, const char *name, int64_t min, int64_t max, int64_t *out)
{
    if (tars_parse_i64(arg, min, max, out))
        return cli_usage_error("db-seed", "%s must be %" PRId64 "..%" PRId64 ", not \"%s\"", name,
                               min, max, arg);
    return 0;
}

static int parse_now(const char *arg, int64_t *out)
{
    if (tars_parse_i64(arg, 0, INT64_MAX / 2, out) == 0 || tars_iso8601_parse(arg, out) == 0)
        return 0;
    return cli_usage_error("db-seed", "--now takes an ISO 8601 UTC time or epoch ms, not \"%s\"",
                           arg);
}

static int parse_option(int c, struct seed_opts *o)
{
    struct tars_seed_options *s = &o->seed;
    int64_t v = 0;
    int rc = 0;

    switch (c) {
    case 'd': o->db = optarg; break;
    case 'n': rc = parse_count(optarg, "--rows", 1, TARS_SEED_MAX_ROWS, &s->rows); break;
    case 's':
        rc = parse_count(optarg, "--seed", 0, INT64_MAX, &v);
        s->seed = (uint64_t)v;
        break;
    case 'a':
        rc = parse_count(optarg, "--agents", 1, TARS_SEED_MAX_AGENTS, &v);
        s->agents = (int)v;
        break;
    case 'r':
        rc = parse_count(optarg, "--regions", 1, TARS_SEED_MAX_REGIONS, &v);
        s->regions = (int)v;
        break;
    case 'm':
        rc = parse_count(optarg, "--missions", 0, TARS_SEED_MAX_ROWS, &s->missions);
        o->missions_given = true;
        break;
    case 'k':
        rc = parse_count(optarg, "--api-keys", 0, TARS_SEED_MAX_ROWS, &s->api_keys);
        o->keys_given = true;
        break;
    case 'b': rc = parse_count(optarg, "--batch", 1, 10000000, &s->batch); break;
    case 't': rc = parse_now(optarg, &s->now_ms); break;
    case 'q': o->quiet = true; break;
    case 'h': o->help = true; break;
    default: rc = cli_usage_error("db-seed", "unknown or incomplete option"); break;
    }
    return rc;
}

static int parse_seed_args(int argc, char **argv, struct seed_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},       {"rows", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},     {"agents", required_argument, NULL, 'a'},
        {"regions", required_argument, NULL, 'r'},  {"missions", required_argument, NULL, 'm'},
        {"api-keys", required_argument, NULL, 'k'}, {"batch", required_argument, NULL, 'b'},
        {"now", required_argument, NULL, 't'},      {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    bool rows_given = false;
    int c, rc = 0;

    opterr = 0;
    optind = 1;
    tars_seed_defaults(&o->seed);
    while (rc == 0 && (c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        rows_given |= c == 'n';
        rc = parse_option(c, o);
    }
    if (rc || o->help)
        return rc;
    if (optind < argc)
        return cli_usage_error("db-seed", "unexpected argument \"%s\"", argv[optind]);
    if (!o->db || !rows_given)
        return cli_usage_error("db-seed", "--db URL and --rows N are required");
    if (!o->missions_given)
        o->seed.missions = tars_seed_default_missions(o->seed.rows);
    if (!o->keys_given)
        o->seed.api_keys = tars_seed_default_api_keys(o->seed.rows);
    return 0;
}

static int progress(void *ctx, int64_t done, int64_t total)
{
    struct seed_watch *w = ctx;
    double secs = (double)(tars_mono_ns() - w->started) / 1e9;

    if (!w->quiet)
        fprintf(stderr, "%sseeding: %" PRId64 "/%" PRId64 " rows (%.0f %%), %.1f s%s",
                w->tty ? "\r" : "", done, total, 100.0 * (double)done / (double)total, secs,
                w->tty ? "   " : "\n"); /* plain lines in logs */
    return stop_requested ? 1 : 0;
}

static int exit_code_of(int code)
{
    switch (code) {
    case TARS_EINVAL:
    case TARS_ECONFLICT: return EXIT_USAGE;
    default: return EXIT_INCONCLUSIVE;
    }
}

static void print_result(const struct seed_opts *o, const struct tars_seed_result *r, double secs)
{
    char masked[1024];
    int64_t rows = r->evaluations + r->missions + r->api_keys;

    cli_mask_db_url(o->db, masked, sizeof(masked));
    printf("seeded %s: %" PRId64 " evaluations, %" PRId64 " missions, %" PRId64
           " API keys, %" PRId64 " agents in %.1f s (%.0f rows/s)\n",
           masked, r->evaluations, r->missions, r->api_keys, r->agents, secs,
           secs > 0 ? (double)rows / secs : 0.0);
    printf("seed %" PRIu64 ", checksum %016" PRIx64 "%s\n", o->seed.seed, r->checksum,
           r->stopped ? " (stopped early: partial data)" : "");
}

int cmd_db_seed(int argc, char **argv)
{
    struct seed_opts o = {0};
    struct seed_watch w = {isatty(STDERR_FILENO) != 0, false, tars_mono_ns()};
    struct tars_seed_result r;
    struct tars_err err = TARS_ERR_INIT;
    tars_store *st;
    int rc = parse_seed_args(argc, argv, &o);

    if (rc || o.help) {
        if (o.help)
            usage_db_seed();
        return rc;
    }
    w.quiet = o.quiet;
    o.seed.progress = progress;
    o.seed.progress_ctx = &w;
    if (!(st = tars_store_open(o.db, &err))) {
        fprintf(stderr, "tars db-seed: %s\n", err.msg);
        return exit_code_of(err.code);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = tars_store_seed(st, &o.seed, &r, &err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    tars_store_close(st);
    if (!o.quiet && w.tty)
        fputc('\n', stderr);
    if (rc) {
        fprintf(stderr, "tars db-seed: %s\n", err.msg);
        return exit_code_of(rc);
    }
    if (!o.quiet || r.stopped)
        print_result(&o, &r, (double)(tars_mono_ns() - w.started) / 1e9);
    if (r.stopped) /* what was written is kept, but it is not what was asked for */
        fprintf(stderr, "tars db-seed: interrupted after %" PRId64 " of %" PRId64
                        " evaluations: the data is partial\n",
                r.evaluations, o.seed.rows);
    return r.stopped ? EXIT_INCONCLUSIVE : EXIT_OK;
}
