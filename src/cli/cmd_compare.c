/* tars compare BASELINE CURRENT: metric by metric, a Kayenta-style verdict
 * (docs/compare.md). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "run_record.h"
#include "tars/compare.h"
#include "tars/json.h"

struct compare_opts {
    const char *baseline, *current, *json_file, *run_dir;
    int quiet, canary, help;
    struct tars_compare_options o;
};

void usage_compare(void)
{
    printf(
        "usage: tars compare BASELINE CURRENT [options]\n\n"
        "Compares two runs metric by metric (docs/compare.md). BASELINE and CURRENT are run\n"
        "directories, run.json files or load result files (tars load --json).\n"
        "A metric fails (high/low) only when its change goes the bad way beyond its\n"
        "threshold and, for latency and error rate, the change is significant (Mann-Whitney U\n"
        "on the latency histograms, a two-proportion test on errors).\n\n"
        "  --threshold KIND=PCT   allowed change per kind (repeatable): latency=10%%, errors=5%%,\n"
        "                         throughput=25%%, checks=0%%, memory=20%%, cpu=15%%, trace=5%%, "
        "loss=0%%\n"
        "  --alpha A              significance level, default 0.05\n"
        "  --latency-floor MS     latency changes smaller than this never fail, default 2\n"
        "  --cutoffs pass=P,marginal=M   score cut-offs, default pass=95,marginal=75\n"
        "  --json FILE            the comparison as JSON (- for standard output)\n"
        "  --run DIR              record it in run directory DIR (run.json \"comparison\")\n"
        "  --canary               canary vs stable: both measured in the same time window\n"
        "                         (else exit 3); with --run, recorded under \"canary\"\n"
        "  -q, --quiet            print only the verdict line\n"
        "exit: 0 pass, 1 fail, 2 marginal or nothing to judge, 3 bad usage or input file\n");
}

static int parse_double_opt(const char *name, const char *arg, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(arg, &end);

    if (end == arg || *end || !isfinite(v) || v < lo || v > hi)
        return cli_usage_error("compare", "%s must be a number in %g..%g, not \"%s\"", name, lo,
                               hi, arg);
    *out = v;
    return 0;
}

static int parse_compare_args(int argc, char **argv, struct compare_opts *o)
{
    static const struct option longopts[] = {
        {"threshold", required_argument, NULL, 't'}, {"alpha", required_argument, NULL, 'a'},
        {"latency-floor", required_argument, NULL, 'f'},
        {"cutoffs", required_argument, NULL, 'c'},   {"json", required_argument, NULL, 'j'},
        {"run", required_argument, NULL, 'R'},       {"canary", no_argument, NULL, 'C'},
        {"quiet", no_argument, NULL, 'q'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct tars_err err = TARS_ERR_INIT;
    int c, rc = 0;

    opterr = 0;
    optind = 1;
    tars_compare_options_init(&o->o);
    while (rc == 0 && (c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (tars_compare_threshold_parse(&o->o, optarg, &err))
                rc = cli_usage_error("compare", "%s", err.msg);
            break;
        case 'c':
            if (tars_compare_cutoffs_parse(&o->o, optarg, &err))
                rc = cli_usage_error("compare", "%s", err.msg);
            break;
        case 'a': rc = parse_double_opt("--alpha", optarg, 1e-12, 0.5, &o->o.alpha); break;
        case 'f':
            rc = parse_double_opt("--latency-floor", optarg, 0, 1e6, &o->o.latency_floor_ms);
            break;
        case 'j': o->json_file = optarg; break;
        case 'R': o->run_dir = optarg; break;
        case 'C': o->canary = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': o->help = 1; return 0;
        default:
            return cli_usage_error("compare", "unknown or incomplete option \"%s\"",
                                   argv[optind - 1]);
        }
    }
    if (rc == 0 && argc - optind != 2)
        rc = cli_usage_error("compare", "give exactly two inputs: BASELINE CURRENT");
    if (rc == 0) {
        o->baseline = argv[optind];
        o->current = argv[optind + 1];
    }
    if (rc == 0 && o->json_file && cli_output_check("compare", "--json", o->json_file, true))
        rc = EXIT_USAGE;
    if (rc == 0 && o->run_dir && cli_output_check_dir("compare", "--run", o->run_dir))
        rc = EXIT_USAGE;
    return rc;
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
    struct compare_opts o;
    struct tars_compare_result r;
    struct tars_err err = TARS_ERR_INIT;
    json_t *base = NULL, *cur = NULL;
    int rc;

    memset(&o, 0, sizeof(o));
    memset(&r, 0, sizeof(r));
    if ((rc = parse_compare_args(argc, argv, &o)) || o.help) {
        if (o.help)
            usage_compare();
        return rc;
    }
    if ((rc = load_inputs(&o, &base, &cur)))
        goto out;
    if (tars_compare_runs(base, cur, &o.o, &r, &err) != TARS_OK) {
        fprintf(stderr, "tars compare: %s vs %s: %s\n", o.baseline, o.current, err.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if ((rc = check_canary_window(&o, &r)))
        goto out;
    if (!o.quiet && !(o.json_file && strcmp(o.json_file, "-") == 0))
        print_table(&r);
    if (!(o.json_file && strcmp(o.json_file, "-") == 0))
        print_verdict(&o, &r);
    rc = publish(&o, &r);
out:
    tars_compare_result_release(&r);
    json_decref(base);
    json_decref(cur);
    return rc;
}
