/* tars db-bench: time the database query families, check their plans. */
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
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
    int64_t seed; /* 0.. */
    bool selected[TARS_BENCH_FAMILY_COUNT], any_selected;
    double threshold_ms[TARS_BENCH_FAMILY_COUNT];
    int allow_small, quiet;
};

static struct bench_opts bo;

static void print_families(FILE *out)
{
    fprintf(out, "families (default p95 limit):\n");
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++)
        fprintf(out, "  %-20s %4.0f ms  %s\n", tars_bench_family_name(f),
                tars_bench_default_threshold_ms(f), tars_bench_family_summary(f));
}

/* "a,b": each a family name. */
static const char *family_option(const struct cli_opt *opt, const char *list, char *why,
                                 size_t size)
{
    struct bench_opts *o = opt->value;
    char name[64];

    while (*list) {
        size_t n = strcspn(list, ",");
        int f;
        snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), list);
        if ((f = tars_bench_family_by_name(name)) < 0) {
            snprintf(why, size, "unknown family \"%s\" (see --help)", name);
            return why;
        }
        o->selected[f] = o->any_selected = true;
        list += n + (list[n] == ',');
    }
    return NULL;
}

/* FAMILY=TIME: "100" (a bare time is ms, as in every threshold), "100ms", "0.5s", "250us". */
static const char *threshold_option(const struct cli_opt *opt, const char *arg, char *why,
                                    size_t size)
{
    struct bench_opts *o = opt->value;
    const char *eq = strchr(arg, '=');
    const struct tars_limit_metric time = {"a db-bench threshold", 0, TARS_LIMIT_TIME};
    struct tars_err err = TARS_ERR_INIT;
    char name[64];
    double ns;
    int f;

    snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : 0, arg);
    if (!eq || (f = tars_bench_family_by_name(name)) < 0) {
        snprintf(why, size, "\"%s\" is not FAMILY=TIME", arg);
        return why;
    }
    if (tars_limit_value(arg, eq + 1, strlen(eq + 1), &time, &ns, &err)) {
        snprintf(why, size, "%s", err.msg);
        return why;
    }
    if (!(ns > 0) || ns > 3600e9) {
        snprintf(why, size, "\"%s\": the time must be above 0 and at most 1 h", arg);
        return why;
    }
    o->threshold_ms[f] = ns / 1e6;
    return NULL;
}

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct cli_opt db_bench_table[] = {
    CLI_STRING(0, "db", "URL", &bo.db, "sqlite:PATH (must exist) or postgres://..."),
    CLI_INT(0, "iterations", "N", &bo.iterations, 1, 1000000,
            "timed executions per family, default 100"),
    CLI_CALL(0, "family", "NAME", &bo, family_option,
             "run only this family (repeatable, or a comma list)"),
    CLI_CALL(0, "threshold", "FAMILY=T", &bo, threshold_option,
             "p95 limit, e.g. temporal=80ms or api_key_lookup=2ms"),
    CLI_I64(0, "seed", "S", &bo.seed, 0, 9.2e18, "parameter seed, default 1"),
    CLI_STRING(0, "json", "FILE", &bo.json_out, "write the results as JSON"),
    CLI_STRING(0, "run", "DIR", &bo.run_dir,
               "record them in run directory DIR (db.json, run.json \"db\")"),
    CLI_FLAG(0, "allow-small", &bo.allow_small,
             "bench a database with fewer than " STR(SMALL_DATABASE) " evaluations"),
    CLI_FLAG('q', "quiet", &bo.quiet, "no table, no progress"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_db_bench_spec = {
    .name = "db-bench",
    .synopsis = "tars db-bench --db URL [options]",
    .about = "Runs each query family of the T.A.R.S. database N times with varied (seeded)\n"
             "parameters, reports p50/p95/p99/max, and checks that its plan reads the table\n"
             "through the index that serves it. Fill a database first with `tars db-seed`.",
    .opts = db_bench_table,
    .more = print_families,
    .exits = "0 every family within its limit on an index, 1 a family over its limit or\n"
             "without its index, 2 inconclusive (unreachable, empty or too small database,\n"
             "a query error), 3 bad usage or --db",
};

static int parse_bench_args(int argc, char **argv, struct bench_opts *o)
{
    int rc;

    o->iterations = 100;
    o->seed = 1;
    for (int f = 0; f < TARS_BENCH_FAMILY_COUNT; f++)
        o->threshold_ms[f] = tars_bench_default_threshold_ms(f);
    rc = cli_opt_parse_no_operands(&cli_db_bench_spec, argc, argv);
    if (rc)
        return rc;
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
    struct bench_opts *o = &bo;
    struct bench_family_outcome fo[TARS_BENCH_FAMILY_COUNT];
    struct bench_summary s = {0};
    tars_store *st = NULL;
    tars_bench *b = NULL;
    int n = 0, rc, out_rc;

    memset(&bo, 0, sizeof(bo));
    if ((rc = parse_bench_args(argc, argv, o)) != 0)
        return cli_opt_exit(rc);
    cli_catch_interrupt(); /* the family running stops timing, no other starts */
    rc = open_bench(o, &st, &b);
    if (rc == 0) {
        tars_bench_set_stop(b, &cli_interrupted);
        run_families(o, b, fo, &n);
        rc = exit_code(fo, n);
        s.interrupted = cli_interrupted != 0;
        if (s.interrupted) /* partial results are no verdict, whatever they say */
            rc = EXIT_INCONCLUSIVE;
        cli_mask_db_url(o->db, s.db, sizeof(s.db));
        s.backend = tars_store_kind(st) == TARS_STORE_POSTGRES ? "postgres" : "sqlite";
        s.evaluations = tars_bench_evaluations(b);
        s.seed = o->seed;
        s.iterations = o->iterations;
        s.exit_code = rc;
        if (!o->quiet)
            bench_print_table(stdout, &s, fo, n);
        bench_print_reasons(stderr, fo, n);
        out_rc = bench_write_outputs(&s, fo, n, o->json_out, o->run_dir);
        if (out_rc && rc == EXIT_OK)
            rc = out_rc;
        if (s.interrupted)
            fprintf(stderr,
                    "tars db-bench: interrupted after %d famil%s: the results are partial\n", n,
                    n == 1 ? "y" : "ies");
    }
    for (int i = 0; i < n; i++)
        tars_bench_result_release(&fo[i].result);
    tars_bench_free(b);
    tars_store_close(st);
    return rc;
}
