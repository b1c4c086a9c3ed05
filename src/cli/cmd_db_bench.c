/* tars db-bench: time the database query families, check their plans. */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "db_bench_output.h"
#include "db_url.h"
#include "output.h"
#include "run_record.h"
#include "tars/judge.h"
#include "tars/store_bench.h"
#include "tars/str.h"

#define SMALL_DATABASE 1000 /* fewer evaluations than this measure nothing real */

struct bench_opts {
    const char *db, *json_out, *run_dir;
    int iterations;
    uint64_t seed;
    bool selected[TARS_BENCH_FAMILY_COUNT], any_selected;
    double threshold_ms[TARS_BENCH_FAMILY_COUNT];
    bool allow_small, quiet, help;
};

void usage_db_bench(void)
{
    printf(
        "usage: tars db-bench --db URL [options]\n\n"
        "Runs each query family of the T.A.R.S. database N times with varied (seeded)\n"
        "parameters, reports p50/p95/p99/max, and checks that its plan reads the table\n"
        "through the index that serves it. Fill a database first with `tars db-seed`.\n\n"
        "  --db URL                 sqlite:PATH (must exist) or postgres://...\n"
        "  --iterations N           timed executions per family, default 100\n"
        "  --family NAME            run only this family (repeatable, or a comma list)\n"
        "  --threshold FAMILY=T     p95 limit, e.g. temporal=80ms or api_key_lookup=2ms\n"
        "  --seed S                 parameter seed, default 1\n"
        "  --json FILE              write the results as JSON\n"
        "  --run DIR                record them in run directory DIR (db.json, run.json \"db\")\n"
        "  --allow-small            bench a database with fewer than %d evaluations\n"
        "  -q, --quiet              no table, no progress\n\n"
        "families (default p95 limit):\n",
        SMALL_DATABASE);
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++)
        printf("  %-20s %4.0f ms  %s\n", tars_bench_family_name(f),
               tars_bench_default_threshold_ms(f), tars_bench_family_summary(f));
    printf("exit: 0 every family within its limit on an index, 1 a family over its limit or\n"
           "      without its index, 2 inconclusive (unreachable, empty or too small database,\n"
           "      a query error), 3 bad usage or --db\n");
}

static int select_families(struct bench_opts *o, const char *list)
{
    char name[64];

    while (*list) {
        size_t n = strcspn(list, ",");
        int f;
        snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), list);
        if ((f = tars_bench_family_by_name(name)) < 0)
            return cli_usage_error("db-bench", "unknown family \"%s\" (see --help)", name);
        o->selected[f] = o->any_selected = true;
        list += n + (list[n] == ',');
    }
    return 0;
}

/* FAMILY=TIME: "100" (a bare time is ms, as in every threshold), "100ms", "0.5s", "250us". */
static int parse_threshold(struct bench_opts *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const struct tars_limit_metric time = {"a db-bench threshold", 0, TARS_LIMIT_TIME};
    struct tars_err err = TARS_ERR_INIT;
    char name[64];
    double ns;
    int f;

    snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : 0, arg);
    if (!eq || (f = tars_bench_family_by_name(name)) < 0)
        return cli_usage_error("db-bench", "--threshold takes FAMILY=TIME, not \"%s\"", arg);
    if (tars_limit_value(arg, eq + 1, strlen(eq + 1), &time, &ns, &err))
        return cli_usage_error("db-bench", "--threshold: %s", err.msg);
    if (!(ns > 0) || ns > 3600e9)
        return cli_usage_error("db-bench", "--threshold time must be above 0 and at most 1 h");
    o->threshold_ms[f] = ns / 1e6;
    return 0;
}

static int parse_option(int c, struct bench_opts *o)
{
    int64_t v;

    switch (c) {
    case 'd': o->db = optarg; return 0;
    case 'j': o->json_out = optarg; return 0;
    case 'R': o->run_dir = optarg; return 0;
    case 'f': return select_families(o, optarg);
    case 't': return parse_threshold(o, optarg);
    case 'a': o->allow_small = true; return 0;
    case 'q': o->quiet = true; return 0;
    case 'h': o->help = true; return 0;
    case 'i':
        if (tars_parse_i64(optarg, 1, 1000000, &v))
            return cli_usage_error("db-bench", "--iterations must be 1..1000000");
        o->iterations = (int)v;
        return 0;
    case 's':
        if (tars_parse_i64(optarg, 0, INT64_MAX, &v))
            return cli_usage_error("db-bench", "--seed must be a number >= 0");
        o->seed = (uint64_t)v;
        return 0;
    default: return cli_usage_error("db-bench", "unknown or incomplete option");
    }
}

static int parse_bench_args(int argc, char **argv, struct bench_opts *o)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"iterations", required_argument, NULL, 'i'},
                                             {"family", required_argument, NULL, 'f'},
                                             {"threshold", required_argument, NULL, 't'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"json", required_argument, NULL, 'j'},
                                             {"run", required_argument, NULL, 'R'},
                                             {"allow-small", no_argument, NULL, 'a'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c, rc = 0;

    opterr = 0;
    optind = 1;
    o->iterations = 100;
    o->seed = 1;
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++)
        o->threshold_ms[f] = tars_bench_default_threshold_ms(f);
    while (rc == 0 && (c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1)
        rc = parse_option(c, o);
    if (rc || o->help)
        return rc;
    if (optind < argc)
        return cli_usage_error("db-bench", "unexpected argument \"%s\"", argv[optind]);
    if (!o->db)
        return cli_usage_error("db-bench", "--db URL is required");
    for (int f = 0; !o->any_selected && f < TARS_BENCH_FAMILY_COUNT; f++)
        o->selected[f] = true;
    return cli_output_prepare("db-bench", "--json", o->json_out, o->run_dir);
}

/* ---- running ---- */

/* The rule is tars_bench_judge's; this maps it to the table's words. */
static void judge(struct bench_family_outcome *fo, const tars_bench *b, int rc,
                  const struct tars_err *err)
{
    const struct tars_bench_result *r = &fo->result;
    enum tars_judgement j =
        tars_bench_judge(r, rc ? err->msg : NULL, tars_bench_table_rows(b, r->family),
                         fo->threshold_ms, &fo->p95_ms, fo->reason, sizeof(fo->reason));

    fo->status = j == TARS_JUDGE_PASS   ? BENCH_PASSED
                 : j == TARS_JUDGE_FAIL ? BENCH_FAILED
                                        : BENCH_INCONCLUSIVE;
}

static void run_families(const struct bench_opts *o, tars_bench *b,
                         struct bench_family_outcome *out, int *count)
{
    bool tty = !o->quiet && isatty(STDERR_FILENO);

    *count = 0;
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT && !cli_interrupted; f++) {
        struct bench_family_outcome *fo = &out[*count];
        struct tars_err err = TARS_ERR_INIT;
        int rc;
        if (!o->selected[f])
            continue;
        if (tty)
            fprintf(stderr, "\rbenchmarking %-20s", tars_bench_family_name(f));
        else if (!o->quiet) /* plain lines in logs */
            fprintf(stderr, "benchmarking %s\n", tars_bench_family_name(f));
        memset(fo, 0, sizeof(*fo));
        fo->threshold_ms = o->threshold_ms[f];
        rc = tars_bench_run(b, f, o->iterations, &fo->result, &err);
        judge(fo, b, rc, &err);
        (*count)++;
    }
    if (tty)
        fprintf(stderr, "\r%40s\r", "");
}

static int open_bench(const struct bench_opts *o, tars_store **st, tars_bench **b)
{
    struct tars_err err = TARS_ERR_INIT;
    int64_t n;

    if (!(*st = tars_bench_store_open(o->db, &err))) {
        fprintf(stderr, "tars db-bench: %s\n", err.msg);
        return err.code == TARS_EINVAL ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    }
    if (tars_bench_open(*st, o->seed, b, &err)) {
        fprintf(stderr, "tars db-bench: %s\n", err.msg);
        return EXIT_INCONCLUSIVE;
    }
    n = tars_bench_evaluations(*b);
    if (n < SMALL_DATABASE && !o->allow_small) {
        fprintf(
            stderr,
            "tars db-bench: the database holds %" PRId64 " evaluations (fewer than %d): "
            "a benchmark of it says nothing; fill it with `tars db-seed` or pass --allow-small\n",
            n, SMALL_DATABASE);
        return EXIT_INCONCLUSIVE;
    }
    return 0;
}

static int exit_code(const struct bench_family_outcome *fo, int n)
{
    int rc = EXIT_OK;

    for (int i = 0; i < n; i++) {
        if (fo[i].status == BENCH_FAILED)
            return EXIT_FAILED;
        if (fo[i].status == BENCH_INCONCLUSIVE)
            rc = EXIT_INCONCLUSIVE;
    }
    return rc;
}

int cmd_db_bench(int argc, char **argv)
{
    struct bench_opts o = {0};
    struct bench_family_outcome fo[TARS_BENCH_FAMILY_COUNT];
    struct bench_summary s = {0};
    tars_store *st = NULL;
    tars_bench *b = NULL;
    int n = 0, rc = parse_bench_args(argc, argv, &o), out_rc;

    if (rc || o.help) {
        if (o.help)
            usage_db_bench();
        return rc;
    }
    cli_catch_interrupt(); /* the family running stops timing, no other starts */
    rc = open_bench(&o, &st, &b);
    if (rc == 0) {
        tars_bench_set_stop(b, &cli_interrupted);
        run_families(&o, b, fo, &n);
        rc = exit_code(fo, n);
        s.interrupted = cli_interrupted != 0;
        if (s.interrupted) /* partial results are no verdict, whatever they say */
            rc = EXIT_INCONCLUSIVE;
        cli_mask_db_url(o.db, s.db, sizeof(s.db));
        s.backend = tars_store_kind(st) == TARS_STORE_POSTGRES ? "postgres" : "sqlite";
        s.evaluations = tars_bench_evaluations(b);
        s.seed = o.seed;
        s.iterations = o.iterations;
        s.exit_code = rc;
        if (!o.quiet)
            bench_print_table(stdout, &s, fo, n);
        bench_print_reasons(stderr, fo, n);
        out_rc = bench_write_outputs(&s, fo, n, o.json_out, o.run_dir);
        if (out_rc && rc == EXIT_OK)
            rc = out_rc;
        if (s.interrupted)
            fprintf(stderr, "tars db-bench: interrupted after %d famil%s: the results are partial\n",
                    n, n == 1 ? "y" : "ies");
    }
    for (int i = 0; i < n; i++)
        tars_bench_result_release(&fo[i].result);
    tars_bench_free(b);
    tars_store_close(st);
    return rc;
}
