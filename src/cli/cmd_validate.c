/* tars validate: run check suites, print by category, write JUnit/JSON/TAP. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "output.h"
#include "run_record.h"
#include "term.h"
#include "tars/alloc.h"
#include "tars/check.h"
#include "tars/clock.h"
#include "tars/file.h"
#include "tars/json.h"
#include "tars/report.h"
#include "tars/str.h"

/* The checks JSON (tars_report_json) marked when the run was interrupted. */
static json_t *checks_json(const struct tars_check_run *runs, size_t n)
{
    json_t *v = tars_report_json(runs, n);

    if (v && cli_interrupted)
        json_object_set_new(v, "interrupted", json_true());
    return v;
}

#define MAX_SUITES 16
#define MAX_LIST 64

struct validate_opts {
    const char *suites[MAX_SUITES];
    size_t suite_count;
    const char *only[MAX_LIST], *tags[MAX_LIST];
    struct cli_format formats[8];
    const char *format_text[8];
    int only_count, tag_count, format_count, var_given;
    const char *var_args[MAX_LIST];
    struct tars_var vars[MAX_LIST];
    size_t var_count;
    char *var_text[MAX_LIST];
    /* The original regression CLI's flags, as suite variables (before --var,
     * which wins): ENVIRONMENT, NAMESPACE, TARGET_VERSION, CANARY_URL. */
    const char *environment, *namespace_name, *version, *target_version, *canary_url;
    int parallel, list, list_ids, strict;
    int64_t deadline_ms;
    const char *run_dir;
    FILE *console; /* standard error when a --format writes to standard output */
};

enum { FORMAT_JUNIT, FORMAT_JSON, FORMAT_TAP };
static const char *const format_kinds[] = {"junit", "json", "tap", NULL};

static int add_var(struct validate_opts *o, const char *arg)
{
    const char *eq = strchr(arg, '=');

    if (!eq || eq == arg || o->var_count == MAX_LIST)
        return cli_usage_error("validate", "--var takes NAME=VALUE, not \"%s\"", arg);
    o->var_text[o->var_count] = xstrndup(arg, (size_t)(eq - arg));
    o->vars[o->var_count].name = o->var_text[o->var_count];
    o->vars[o->var_count].value = eq + 1;
    o->var_count++;
    return 0;
}

/* Every output is checked before anything runs; at most one of them may be
 * standard output, and then the console text goes to standard error. */
static int check_outputs(struct validate_opts *o)
{
    size_t to_stdout = 0;

    o->console = stdout;
    if (o->run_dir && cli_output_check_dir("validate", "--run", o->run_dir))
        return EXIT_USAGE;
    for (int i = 0; i < o->format_count; i++)
        if (o->formats[i].path && cli_output_is_stdout(o->formats[i].path))
            to_stdout++;
    if (to_stdout > 1)
        return cli_usage_error("validate", "only one --format may write to standard output (-)");
    if (to_stdout)
        o->console = stderr;
    return 0;
}

static struct validate_opts vo;
static const char *const format_words[] = {"console", "junit:", "json:", "tap:", NULL};

static const struct cli_opt validate_table[] = {
    CLI_LIST(0, "only", "ID|CATEGORY", vo.only, &vo.only_count, MAX_LIST, "run only these checks"),
    CLI_LIST(0, "tags", "TAG", vo.tags, &vo.tag_count, MAX_LIST, "run only checks with this tag"),
    CLI_FLAG(0, "list", &vo.list, "list the checks and exit"),
    CLI_FLAG(0, "list-ids", &vo.list_ids,
             "print the selected check ids and categories, one a line, and exit\n"
             "(what shell completion offers for --only)"),
    CLI_INT(0, "parallel", "N", &vo.parallel, 1, 64, "checks at once, default 8"),
    CLI_DURATION(0, "timeout", "D", &vo.deadline_ms, 1, TARS_DURATION_MAX_MS,
                 "deadline for each whole suite (e.g. 2m)"),
    CLI_LIST(0, "var", "NAME=VALUE", vo.var_args, &vo.var_given, MAX_LIST, "set a suite variable"),
    CLI_STRING(0, "environment", "E", &vo.environment,
               "the suite's preset E (its environments:), as --var ENVIRONMENT=E"),
    CLI_STRING(0, "namespace", "NS", &vo.namespace_name, "as --var NAMESPACE=NS"),
    CLI_STRING(0, "target-version", "V", &vo.target_version, "as --var TARGET_VERSION=V"),
    CLI_STRING(0, "version", "V", &vo.version, "the same; wins over --target-version"),
    CLI_STRING(0, "canary-endpoint", "URL", &vo.canary_url, "as --var CANARY_URL=URL"),
    CLI_FLAG(0, "strict", &vo.strict, "skips make the result inconclusive (exit 2)"),
    CLI_LIST_OF(0, "format", "F", vo.format_text, &vo.format_count, 8, format_words,
                "console (default), junit:FILE, json:FILE, tap:FILE\n"
                "(FILE - is standard output, and the console goes to stderr)"),
    CLI_STRING(0, "run", "DIR", &vo.run_dir,
               "also record the results in run directory DIR (checks.json,\n"
               "checks.junit.xml, run.json \"checks\"; docs/run-format.md)"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_validate_spec = {
    .name = "validate",
    .synopsis = "tars validate SUITE.yaml... [options]",
    .about = "Runs declarative check suites in parallel (docs/suite-format.md).",
    .opts = validate_table,
    .exits = "0 all passed, 1 a check failed, 2 errors (or skips with --strict), 3 bad usage or "
             "suite",
};

static int parse_validate_args(int argc, char **argv, struct validate_opts *o)
{
    int n, rc;

    o->parallel = 8;
    rc = cli_opt_parse(&cli_validate_spec, argc, argv, &n);
    for (int i = 0; rc == 0 && i < o->var_given; i++)
        rc = add_var(o, o->var_args[i]);
    for (int i = 0; rc == 0 && i < o->format_count; i++)
        rc = cli_format_parse("validate", o->format_text[i], format_kinds, &o->formats[i]);
    if (rc)
        return rc;
    if (n > MAX_SUITES)
        return cli_usage_error("validate", "at most %d suites", MAX_SUITES);
    for (int i = 0; i < n; i++)
        o->suites[o->suite_count++] = argv[1 + i];
    if (o->suite_count == 0)
        return cli_usage_error("validate", "give at least one suite file");
    return check_outputs(o);
}

/* ---- console output ---- */

/* The verdict word, upper case as every console verdict (docs/cli-output.md),
 * padded to 5 columns, in colour on a terminal. */
static const char *mark(const struct cli_term *t, enum tars_check_status s, char *buf, size_t cap)
{
    static const char *const words[] = {"PASS ", "FAIL ", "SKIP ", "ERROR"};
    static const enum cli_tone tones[] = {CLI_TONE_PASS, CLI_TONE_FAIL, CLI_TONE_UNDECIDED,
                                          CLI_TONE_UNDECIDED};
    int i = s <= TARS_CHECK_ERROR ? (int)s : (int)TARS_CHECK_ERROR;

    return cli_term_paint(t, tones[i], words[i], buf, cap);
}

static void print_suite_header(FILE *out, const struct tars_suite *s)
{
    if (s->environment)
        fprintf(out, "%s (%s, environment %s)\n", s->name, s->path, s->environment);
    else
        fprintf(out, "%s (%s)\n", s->name, s->path);
}

static void print_category(FILE *out, const struct cli_term *t, const struct tars_check_run *run,
                           const char *category)
{
    char text[1024], word[32];

    fprintf(out, "\n%s\n", category);
    for (size_t i = 0; i < run->suite->check_count; i++) {
        const struct tars_check *c = &run->suite->checks[i];
        const struct tars_check_result *r = &run->results[i];
        if (!run->selected[i] || strcmp(c->category, category) != 0)
            continue;
        tars_strlcpy(text, r->reason, sizeof(text)); /* masked when stored (lib/check) */
        fprintf(out, "  %s %-44s %8.0f ms", mark(t, r->status, word, sizeof(word)), c->id,
                r->total_ms);
        if (r->attempts > 1)
            fprintf(out, "  (%d attempts)", r->attempts);
        if (r->status != TARS_CHECK_PASS && text[0])
            fprintf(out, "\n        %s", text);
        fprintf(out, "\n");
    }
}

static void print_console(FILE *out, const struct tars_check_run *run)
{
    struct cli_term t;

    cli_term_probe(&t, out);
    print_suite_header(out, run->suite);
    for (size_t i = 0; i < run->suite->check_count; i++) {
        bool first = run->selected[i];
        for (size_t j = 0; j < i && first; j++)
            first = !(run->selected[j] &&
                      strcmp(run->suite->checks[j].category, run->suite->checks[i].category) == 0);
        if (first)
            print_category(out, &t, run, run->suite->checks[i].category);
    }
}

static void list_checks(const struct tars_suite *s, const struct tars_check_filter *f)
{
    print_suite_header(stdout, s);
    for (size_t i = 0; i < s->check_count; i++)
        if (tars_check_selected(&s->checks[i], f))
            printf("  %-44s %-22s %-12s %s\n", s->checks[i].id, s->checks[i].category,
                   s->checks[i].type->name, s->checks[i].name);
}

/* Ids and categories (each once), one a line: what --only takes. */
static void list_ids(const struct tars_suite *s, const struct tars_check_filter *f)
{
    for (size_t i = 0; i < s->check_count; i++) {
        bool seen = false;
        if (!tars_check_selected(&s->checks[i], f))
            continue;
        printf("%s\n", s->checks[i].id);
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(s->checks[j].category, s->checks[i].category) == 0;
        if (!seen)
            printf("%s\n", s->checks[i].category);
    }
}

/* ---- files ---- */

struct report_out {
    const struct tars_check_run *runs;
    size_t n;
    int kind;
};

static int fill_report(FILE *f, void *ctx, struct tars_err *err)
{
    const struct report_out *r = ctx;
    json_t *v;
    int rc;

    if (r->kind == FORMAT_JUNIT || r->kind == FORMAT_TAP) {
        rc = r->kind == FORMAT_JUNIT ? tars_report_junit(f, r->runs, r->n)
                                     : tars_report_tap(f, r->runs, r->n);
        return rc ? tars_err_set(err, TARS_EIO, "cannot render the results") : TARS_OK;
    }
    if (!(v = checks_json(r->runs, r->n)))
        return tars_err_set(err, TARS_EINTERNAL, "out of memory");
    rc = tars_json_write_stream(f, v, JSON_INDENT(2), err);
    json_decref(v);
    return rc;
}

/* One --format output (checked before the run), written whole. */
static int write_format(const struct cli_format *fmt, const struct tars_check_run *runs, size_t n)
{
    struct report_out r = {runs, n, fmt->kind};

    if (!fmt->path)
        return 0; /* console */
    return cli_output_write("validate", fmt->path, fill_report, &r);
}

/* --run DIR: checks.json, checks.junit.xml and run.json "checks". */
static int write_run_record(const char *dir, const struct tars_check_run *runs, size_t n)
{
    char path[4096];
    struct report_out junit = {runs, n, FORMAT_JUNIT};
    json_t *v = checks_json(runs, n);
    int rc;

    if (!v) {
        fprintf(stderr, "tars validate: out of memory\n");
        return EXIT_INCONCLUSIVE;
    }
    rc = cli_run_record("validate", dir, "checks.json", "checks", false, v);
    json_decref(v);
    if (rc == 0 && cli_interrupted) {
        json_t *yes = json_true();
        rc = cli_run_record("validate", dir, NULL, "interrupted", false, yes);
        json_decref(yes);
    }
    if (rc)
        return rc;
    if (snprintf(path, sizeof(path), "%s/checks.junit.xml", dir) >= (int)sizeof(path)) {
        fprintf(stderr, "tars validate: cannot write \"%s/checks.junit.xml\": path too long\n",
                dir);
        return EXIT_INCONCLUSIVE;
    }
    return cli_output_write("validate", path, fill_report, &junit);
}

/* ---- running ---- */

/* The flags' variables first, then --var: the loader takes the last value
 * given for a name, so an explicit --var wins. */
static size_t collect_vars(const struct validate_opts *o, struct tars_var *out)
{
    const struct tars_var flags[] = {{"ENVIRONMENT", o->environment},
                                     {"NAMESPACE", o->namespace_name},
                                     {"TARGET_VERSION", o->target_version},
                                     {"TARGET_VERSION", o->version},
                                     {"CANARY_URL", o->canary_url}};
    size_t n = 0;

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (flags[i].value)
            out[n++] = flags[i];
    for (size_t i = 0; i < o->var_count; i++)
        out[n++] = o->vars[i];
    return n;
}

static int load_suites(struct validate_opts *o, struct tars_suite *suites)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_var vars[MAX_LIST + 8];
    size_t var_count = collect_vars(o, vars);

    for (size_t i = 0; i < o->suite_count; i++) {
        if (tars_suite_load(o->suites[i], vars, var_count, &suites[i], &err)) {
            fprintf(stderr, "tars validate: %s\n", err.msg);
            return EXIT_USAGE;
        }
        if (o->deadline_ms)
            suites[i].deadline_ms = o->deadline_ms;
    }
    return 0;
}

/* ---- selection ---- */

static bool any_check(const struct tars_suite *suites, size_t n,
                      bool (*match)(const struct tars_check *c, const char *v), const char *v)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < suites[k].check_count; i++)
            if (match(&suites[k].checks[i], v))
                return true;
    return false;
}

static bool id_or_category(const struct tars_check *c, const char *v)
{
    return strcmp(c->id, v) == 0 || strcmp(c->category, v) == 0;
}

static bool has_tag(const struct tars_check *c, const char *v)
{
    for (size_t t = 0; t < c->tag_count; t++)
        if (strcmp(c->tags[t], v) == 0)
            return true;
    return false;
}

static void suite_list(const struct validate_opts *o, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < o->suite_count && len < size; i++) {
        int n = snprintf(out + len, size - len, "%s%s", i ? ", " : "", o->suites[i]);
        len += n > 0 ? (size_t)n : 0;
    }
}

/* Every --only and --tags value must select something, and all of them
 * together at least one check: an empty selection is bad usage (exit 3),
 * found before anything runs. */
static int check_selection(const struct validate_opts *o, const struct tars_suite *suites,
                           const struct tars_check_filter *f)
{
    char where[512];

    suite_list(o, where, sizeof(where));
    for (int i = 0; i < o->only_count; i++)
        if (!any_check(suites, o->suite_count, id_or_category, o->only[i]))
            return cli_usage_error("validate",
                                   "--only \"%s\" matches no check id or category in %s",
                                   o->only[i], where);
    for (int i = 0; i < o->tag_count; i++)
        if (!any_check(suites, o->suite_count, has_tag, o->tags[i]))
            return cli_usage_error("validate", "--tags \"%s\" matches no check's tags in %s",
                                   o->tags[i], where);
    for (size_t k = 0; k < o->suite_count; k++)
        for (size_t i = 0; i < suites[k].check_count; i++)
            if (tars_check_selected(&suites[k].checks[i], f))
                return 0;
    return cli_usage_error("validate", "--only and --tags together select no check in %s", where);
}

static int exit_code(FILE *out, const struct tars_check_run *runs, size_t n, bool strict)
{
    struct tars_check_counts all;

    tars_check_count_runs(runs, n, &all);
    fprintf(out, "\n%zu passed, %zu failed, %zu skipped, %zu errors\n", all.pass, all.fail,
            all.skip, all.error);
    if (cli_interrupted) { /* partial results are no verdict, whatever they say */
        fprintf(stderr, "tars validate: interrupted: the results are partial\n");
        return EXIT_INCONCLUSIVE;
    }
    if (all.fail)
        return EXIT_FAILED;
    if (all.error || (strict && all.skip) || all.pass + all.skip == 0)
        return EXIT_INCONCLUSIVE;
    return EXIT_OK;
}

/* Progress on standard error while checks run: on a terminal one line redrawn
 * as each check ends (done/total, failures so far, elapsed, the check that
 * ended); elsewhere (a log, CI) a plain line when a check ends at least
 * PROGRESS_PLAIN_NS after the last one, so short runs print none. */
#define PROGRESS_PLAIN_NS (10 * 1000000000ull)
struct progress {
    struct cli_term term;
    size_t done, total, failed;
    uint64_t t0, last_line;
};

static void progress_line(struct progress *p, const char *id)
{
    double s = (double)(tars_mono_ns() - p->t0) / 1e9;

    if (p->term.live) {
        fprintf(stderr, "\r\033[K  [%zu/%zu] %zu failed  %.1f s  %.60s", p->done, p->total,
                p->failed, s, id);
    } else {
        fprintf(stderr, "tars validate: %zu of %zu checks done, %zu failed, %.0f s\n", p->done,
                p->total, p->failed, s);
    }
    fflush(stderr);
}

static void on_check_done(void *ctx, const struct tars_check *c, const struct tars_check_result *r)
{
    struct progress *p = ctx;
    uint64_t now = tars_mono_ns();

    p->done++;
    p->failed += r->status == TARS_CHECK_FAIL;
    if (p->term.live || now - p->last_line >= PROGRESS_PLAIN_NS) {
        p->last_line = now;
        progress_line(p, c->id);
    }
}

static int run_all(struct validate_opts *o, struct tars_suite *suites, struct tars_check_run *runs)
{
    struct tars_check_filter f = {o->only, o->only_count, o->tags, o->tag_count};
    struct tars_err err = TARS_ERR_INIT;
    int rc = 0;

    for (size_t i = 0; i < o->suite_count; i++) {
        uint64_t t0 = tars_mono_ns();
        struct progress pr = {.t0 = t0, .last_line = t0};
        cli_term_probe(&pr.term, stderr);
        for (size_t c = 0; c < suites[i].check_count; c++)
            pr.total += tars_check_selected(&suites[i].checks[c], &f);
        if (tars_check_run_suite(&runs[i], &suites[i], &f, o->parallel, on_check_done, &pr,
                                 &cli_interrupted, &err)) {
            fprintf(stderr, "tars validate: %s\n", err.msg);
            rc = EXIT_INCONCLUSIVE;
        }
        cli_term_clear(&pr.term, stderr);
        print_console(o->console, &runs[i]);
        fprintf(o->console, "\nwall %.0f ms\n", runs[i].wall_ms);
    }
    return rc;
}

int cmd_validate(int argc, char **argv)
{
    struct validate_opts *o = &vo;
    struct tars_suite suites[MAX_SUITES];
    struct tars_check_run runs[MAX_SUITES];
    struct tars_check_filter f;
    int rc;

    memset(&vo, 0, sizeof(vo));
    memset(suites, 0, sizeof(suites));
    memset(runs, 0, sizeof(runs));
    rc = parse_validate_args(argc, argv, o);
    if (rc) {
        rc = cli_opt_exit(rc);
        goto out;
    }
    signal(SIGPIPE, SIG_IGN); /* a wss peer resetting would kill us through write(2) */
    cli_catch_interrupt();    /* no more checks start; results so far marked interrupted */
    if ((rc = load_suites(o, suites)))
        goto out;
    f = (struct tars_check_filter){o->only, (size_t)o->only_count, o->tags, (size_t)o->tag_count};
    if ((rc = check_selection(o, suites, &f)))
        goto out;
    if (o->list || o->list_ids) {
        for (size_t i = 0; i < o->suite_count; i++)
            (o->list_ids ? list_ids : list_checks)(&suites[i], &f);
        goto out;
    }
    rc = run_all(o, suites, runs);
    for (int i = 0; rc == 0 && i < o->format_count; i++)
        rc = write_format(&o->formats[i], runs, o->suite_count);
    if (rc == 0 && o->run_dir)
        rc = write_run_record(o->run_dir, runs, o->suite_count);
    if (rc == 0)
        rc = exit_code(o->console, runs, o->suite_count, o->strict);
out:
    for (size_t i = 0; i < MAX_SUITES; i++) {
        tars_check_run_release(&runs[i]);
        tars_suite_release(&suites[i]);
    }
    for (size_t i = 0; i < o->var_count; i++)
        free(o->var_text[i]);
    return rc;
}
