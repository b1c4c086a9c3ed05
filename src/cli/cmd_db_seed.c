/* tars db-seed: fill a database with deterministic, realistic volumes. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "db_url.h"
#include "tars/clock.h"
#include "tars/store_bench.h"
#include "tars/str.h"

struct seed_opts {
    const char *db;
    struct tars_seed_options seed;
    int64_t seed_value; /* --seed, 0.. */
    int quiet;
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

static struct seed_opts so;

static const char *now_option(const struct cli_opt *opt, const char *arg, char *why, size_t size)
{
    if (tars_parse_i64(arg, 0, INT64_MAX / 2, opt->value) == 0 ||
        tars_iso8601_parse(arg, opt->value) == 0)
        return NULL;
    snprintf(why, size, "\"%s\" is neither an ISO 8601 UTC time nor epoch ms", arg);
    return why;
}

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct cli_opt db_seed_table[] = {
    CLI_STRING(0, "db", "URL", &so.db, "sqlite:PATH (created) or postgres://... (migrated first)"),
    CLI_I64(0, "rows", "N", &so.seed.rows, 1, TARS_SEED_MAX_ROWS, "evaluations to write"),
    CLI_I64(0, "seed", "S", &so.seed_value, 0, 9.2e18, "random seed, default 1"),
    CLI_INT(0, "agents", "A", &so.seed.agents, 1, TARS_SEED_MAX_AGENTS,
            "distinct agents, default 20"),
    CLI_INT(0, "regions", "R", &so.seed.regions, 1, TARS_SEED_MAX_REGIONS,
            "distinct regions, default 4"),
    CLI_I64(0, "missions", "M", &so.seed.missions, 0, TARS_SEED_MAX_ROWS,
            "missions, default max(1000, N/20)"),
    CLI_I64(0, "api-keys", "K", &so.seed.api_keys, 0, TARS_SEED_MAX_ROWS,
            "API keys, default max(1000, N/100)"),
    CLI_I64(0, "batch", "B", &so.seed.batch, 1, 10000000,
            "rows per COPY (PostgreSQL) or progress step (SQLite), default 50000"),
    CLI_CALL(0, "now", "TIME", &so.seed.now_ms, now_option,
             "newest time, ISO 8601 UTC or epoch ms; default now"),
    CLI_FLAG('q', "quiet", &so.quiet, "no progress line"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_db_seed_spec = {
    .name = "db-seed",
    .synopsis = "tars db-seed --db URL --rows N [options]",
    .about = "Fills an empty database with deterministic data for `tars db-bench`: N evaluations\n"
             "spread over agents, regions and the last " STR(
                 TARS_SEED_DAYS) " days, missions, API "
                                 "keys and agents.\n"
                                 "The same options give the same rows (the checksum printed at the "
                                 "end says so).",
    .opts = db_seed_table,
    .exits = "0 rows written, 2 database unreachable or stopped early, 3 bad usage or a database\n"
             "that already holds evaluations, missions or API keys",
};

static int parse_seed_args(int argc, char **argv, struct seed_opts *o)
{
    int rc;

    tars_seed_defaults(&o->seed);
    o->seed_value = (int64_t)o->seed.seed;
    o->seed.rows = 0;
    o->seed.missions = o->seed.api_keys = -1; /* not given */
    rc = cli_opt_parse_no_operands(&cli_db_seed_spec, argc, argv);
    if (rc)
        return rc;
    o->seed.seed = (uint64_t)o->seed_value;
    if (!o->db || o->seed.rows == 0)
        return cli_usage_error("db-seed", "--db URL and --rows N are required");
    if (o->seed.missions < 0)
        o->seed.missions = tars_seed_default_missions(o->seed.rows);
    if (o->seed.api_keys < 0)
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
    struct seed_opts *o = &so;
    struct seed_watch w = {isatty(STDERR_FILENO) != 0, false, tars_mono_ns()};
    struct tars_seed_result r;
    struct tars_err err = TARS_ERR_INIT;
    tars_store *st;
    int rc;

    memset(&so, 0, sizeof(so));
    if ((rc = parse_seed_args(argc, argv, o)) != 0)
        return cli_opt_exit(rc);
    w.quiet = o->quiet;
    o->seed.progress = progress;
    o->seed.progress_ctx = &w;
    if (!(st = tars_store_open(o->db, &err))) {
        fprintf(stderr, "tars db-seed: %s\n", err.msg);
        return exit_code_of(err.code);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = tars_store_seed(st, &o->seed, &r, &err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    tars_store_close(st);
    if (!o->quiet && w.tty)
        fputc('\n', stderr);
    if (rc) {
        fprintf(stderr, "tars db-seed: %s\n", err.msg);
        return exit_code_of(rc);
    }
    if (!o->quiet || r.stopped)
        print_result(o, &r, (double)(tars_mono_ns() - w.started) / 1e9);
    if (r.stopped) /* what was written is kept, but it is not what was asked for */
        fprintf(stderr,
                "tars db-seed: interrupted after %" PRId64 " of %" PRId64
                " evaluations: the data is partial\n",
                r.evaluations, o->seed.rows);
    return r.stopped ? EXIT_INCONCLUSIVE : EXIT_OK;
}
