/* tars compare BASELINE CURRENT: metric by metric, a Kayenta-style verdict
 * (docs/compare.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "output.h"
#include "run_record.h"
#include "tars/compare.h"
#include "tars/json.h"

struct compare_opts {
    const char *baseline, *current, *json_file, *run_dir;
    int quiet, canary;
    struct tars_compare_options o;
};

static struct compare_opts co;

static const char *threshold_option(const struct cli_opt *opt, const char *arg, char *why,
                                    size_t size)
{
    struct tars_err err = TARS_ERR_INIT;

    (void)opt;
    if (tars_compare_threshold_parse(&co.o, arg, &err) == 0)
        return NULL;
    snprintf(why, size, "%s", err.msg);
    return why;
}

static const char *cutoffs_option(const struct cli_opt *opt, const char *arg, char *why,
                                  size_t size)
{
    struct tars_err err = TARS_ERR_INIT;

    (void)opt;
    if (tars_compare_cutoffs_parse(&co.o, arg, &err) == 0)
        return NULL;
    snprintf(why, size, "%s", err.msg);
    return why;
}

static const struct cli_opt compare_table[] = {
    CLI_CALL(0, "threshold", "KIND=PCT", &co, threshold_option,
             "allowed change per kind (repeatable): latency=10%, errors=5%,\n"
             "throughput=25%, checks=0%, memory=20%, cpu=15%, trace=5%, loss=0%"),
    CLI_DOUBLE(0, "alpha", "A", &co.o.alpha, 1e-12, 0.5, "significance level, default 0.05"),
    CLI_DOUBLE(0, "latency-floor", "MS", &co.o.latency_floor_ms, 0, 1e6,
               "latency changes smaller than this never fail, default 2"),
    CLI_CALL(0, "cutoffs", "pass=P,marginal=M", &co, cutoffs_option,
             "score cut-offs, default pass=95,marginal=75"),
    CLI_STRING(0, "json", "FILE", &co.json_file, "the comparison as JSON (- for standard output)"),
    CLI_STRING(0, "run", "DIR", &co.run_dir,
               "record it in run directory DIR (run.json \"comparison\")"),
    CLI_FLAG(0, "canary", &co.canary,
             "canary vs stable: both measured in the same time window\n"
             "(else exit 3); with --run, recorded under \"canary\""),
    CLI_FLAG('q', "quiet", &co.quiet, "print only the verdict line"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_compare_spec = {
    .name = "compare",
    .synopsis = "tars compare BASELINE CURRENT [options]",
    .about =
        "Compares two runs metric by metric (docs/compare.md). BASELINE and CURRENT are run\n"
        "directories, run.json files or load result files (tars load --json).\n"
        "A metric fails (high/low) only when its change goes the bad way beyond its\n"
        "threshold and, for latency and error rate, the change is significant (Mann-Whitney U\n"
        "on the latency histograms, a two-proportion test on errors).",
    .opts = compare_table,
    .exits = "0 pass, 1 fail, 2 marginal or nothing to judge, 3 bad usage or input file",
};

static int parse_compare_args(int argc, char **argv, struct compare_opts *o)
{
    int n, rc;

    tars_compare_options_init(&o->o);
    rc = cli_opt_parse(&cli_compare_spec, argc, argv, &n);
    if (rc)
        return rc;
    if (n != 2)
        return cli_usage_error("compare", "give exactly two inputs: BASELINE CURRENT");
    o->baseline = argv[1];
    o->current = argv[2];
    if (o->json_file && cli_output_check("compare", "--json", o->json_file, true))
        return EXIT_USAGE;
    if (o->run_dir && cli_output_check_dir("compare", "--run", o->run_dir))
        return EXIT_USAGE;
    return 0;
}

static void print_number(double v)
{
    if (isnan(v))
        printf(" %11s", "n/a");
    else if (fabs(v) >= 1e4)
        printf(" %11.0f", v);
    else
        printf(" %11.4g", v);
}

static void print_table(const struct tars_compare_result *r)
{
    int w = 6;

    for (size_t i = 0; i < r->count; i++)
        if ((int)strlen(r->metrics[i].name) > w)
            w = (int)strlen(r->metrics[i].name);
    printf("%-*s %11s %11s %9s %7s %9s  %s\n", w, "metric", "baseline", "current", "delta",
           "thresh", "p-value", "verdict");
    for (size_t i = 0; i < r->count; i++) {
        const struct tars_compare_metric *m = &r->metrics[i];

        printf("%-*s", w, m->name);
        print_number(m->baseline);
        print_number(m->current);
        if (isnan(m->delta_pct))
            printf(" %9s", "n/a");
        else
            printf(" %+8.1f%%", m->delta_pct);
        printf(" %6g%%", m->threshold_pct);
        if (isnan(m->p_value))
            printf(" %9s", "-");
        else
            printf(" %9.2g", m->p_value);
        printf("  %s%s%s%s\n", tars_compare_verdict_name(m->verdict),
               m->direction == TARS_CMP_HIGHER_BETTER ? " (higher is better)" : "",
               m->reason[0] ? ": " : "", m->reason);
    }
}

static void print_verdict(const struct compare_opts *o, const struct tars_compare_result *r)
{
    char window[160] = "";
    size_t unjudged = r->count - r->judged;

    if (r->window != TARS_CMP_WINDOW_UNKNOWN) {
        window[0] = ';';
        window[1] = ' ';
        tars_compare_window_text(r->window, r->apart_s, window + 2, sizeof(window) - 2);
    }
    if (r->verdict == TARS_CMP_OVERALL_INCONCLUSIVE) {
        printf("compare: inconclusive: no metric could be judged (%zu without data, too few "
               "samples or reported only)%s\n",
               unjudged, window);
        return;
    }
    printf("compare: %s: score %.1f (%zu of %zu judged metrics pass, %zu not judged; pass >= %g, "
           "marginal >= %g)%s\n",
           tars_compare_overall_name(r->verdict), r->score, r->passed, r->judged, unjudged,
           o->o.pass_cutoff, o->o.marginal_cutoff, window);
}

/* --canary judges a canary against a baseline measured beside it, never
 * against an earlier run (Kayenta's rule): exit 3 otherwise. */
static int check_canary_window(const struct compare_opts *o, const struct tars_compare_result *r)
{
    char window[160];

    if (!o->canary || r->window == TARS_CMP_WINDOW_SAME)
        return 0;
    tars_compare_window_text(r->window, r->apart_s, window, sizeof(window));
    fprintf(stderr,
            "tars compare: --canary needs the baseline and the canary measured in the same time "
            "window (loads started together); %s vs %s: %s\n",
            o->baseline, o->current, window);
    return EXIT_USAGE;
}

static int write_json(const char *file, json_t *v)
{
    return cli_output_json("compare", file, v, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
}

static int exit_code(enum tars_compare_overall v)
{
    switch (v) {
    case TARS_CMP_OVERALL_PASS: return EXIT_OK;
    case TARS_CMP_OVERALL_FAIL: return EXIT_FAILED;
    case TARS_CMP_OVERALL_MARGINAL:
    case TARS_CMP_OVERALL_INCONCLUSIVE: return EXIT_INCONCLUSIVE;
    }
    return EXIT_INCONCLUSIVE;
}

/* Writes the JSON (--json, --run) and returns the exit code of the verdict,
 * or EXIT_INCONCLUSIVE when an output could not be written. */
static int publish(const struct compare_opts *o, const struct tars_compare_result *r)
{
    json_t *v = tars_compare_to_json(r, o->baseline, o->current, &o->o);
    int rc = 0;

    if (!v) {
        fprintf(stderr, "tars compare: out of memory\n");
        return EXIT_INCONCLUSIVE;
    }
    if (o->json_file)
        rc = write_json(o->json_file, v);
    if (rc == 0 && o->run_dir)
        rc = cli_run_record("compare", o->run_dir, o->canary ? "canary.json" : "comparison.json",
                            o->canary ? "canary" : "comparison", false, v);
    json_decref(v);
    return rc ? rc : exit_code(r->verdict);
}

static int load_inputs(const struct compare_opts *o, json_t **base, json_t **cur)
{
    struct tars_err err = TARS_ERR_INIT;

    if (tars_compare_input_load(o->baseline, base, &err) != TARS_OK ||
        tars_compare_input_load(o->current, cur, &err) != TARS_OK) {
        fprintf(stderr, "tars compare: %s\n", err.msg);
        return EXIT_USAGE;
    }
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    struct compare_opts *o = &co;
    struct tars_compare_result r;
    struct tars_err err = TARS_ERR_INIT;
    json_t *base = NULL, *cur = NULL;
    int rc;

    memset(&co, 0, sizeof(co));
    memset(&r, 0, sizeof(r));
    if ((rc = parse_compare_args(argc, argv, o)))
        return cli_opt_exit(rc);
    if ((rc = load_inputs(o, &base, &cur)))
        goto out;
    if (tars_compare_runs(base, cur, &o->o, &r, &err) != TARS_OK) {
        fprintf(stderr, "tars compare: %s vs %s: %s\n", o->baseline, o->current, err.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if ((rc = check_canary_window(o, &r)))
        goto out;
    if (!o->quiet && !(o->json_file && strcmp(o->json_file, "-") == 0))
        print_table(&r);
    if (!(o->json_file && strcmp(o->json_file, "-") == 0))
        print_verdict(o, &r);
    rc = publish(o, &r);
out:
    tars_compare_result_release(&r);
    json_decref(base);
    json_decref(cur);
    return rc;
}
