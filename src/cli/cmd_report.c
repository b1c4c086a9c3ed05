/* tars report: render the release report from a run directory (docs/report.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "opt.h"
#include "output.h"
#include "tars/buf.h"
#include "tars/embed.h"
#include "tars/file.h"
#include "tars/report_html.h"
#include "tars/report_vars.h"
#include "tars/run.h"
#include "tars/signoff.h"
#include "tars/str.h"
#include "tars/report_template.h"

#define DEFAULT_TEMPLATE "staging-release-report.md"

extern const struct tars_embedded_file tars_report_templates[];

struct report_opts {
    const char *dir, *template_file, *output, *html, *title, *allowed;
    int strict, gate, mark;
};

static struct report_opts ro;

static const struct cli_opt report_table[] = {
    CLI_STRING(0, "template", "FILE", &ro.template_file,
               "a template of your own (default: the embedded\n"
               "templates/" DEFAULT_TEMPLATE ")"),
    CLI_STRING('o', "output", "FILE", &ro.output,
               "the Markdown report, default RUN_DIR/report.md (- for stdout)"),
    CLI_STRING(0, "html", "FILE", &ro.html, "also a self-contained HTML page with charts"),
    CLI_STRING(0, "title", "T", &ro.title, "the report's title"),
    CLI_FLAG(0, "strict", &ro.strict, "a variable without a value is an error (exit 2)"),
    CLI_FLAG(0, "gate", &ro.gate,
             "exit 1 when the recommendation is NOT APPROVED, 2 when INCONCLUSIVE"),
    CLI_ENV_OPT(CLI_OPT_STRING, "allowed-signers", "FILE", &ro.allowed, 0, 0, NULL,
                "TARS_ALLOWED_SIGNERS",
                "verify the sign-offs of section 11 against it\n"
                "(without one nothing is ticked)"),
    CLI_FLAG(0, "mark-values", &ro.mark,
             "wrap every substituted value in the bytes 0x1E and 0x1F, so a test can\n"
             "tell generated text from the template's own"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_report_spec = {
    .name = "report",
    .synopsis = "tars report RUN_DIR [options]",
    .about = "Renders the release report from the evidence in RUN_DIR/run.json (docs/report.md).\n"
             "Every figure comes from the run; what it lacks reads \"n/a (reason)\".",
    .opts = report_table,
    .exits = "0 written (and approved with --gate), 1 not approved (--gate), 2 inconclusive\n"
             "(--gate), unresolved variables (--strict) or HTML failed, 3 bad usage or run "
             "directory",
};

static int parse_report_args(int argc, char **argv, struct report_opts *o)
{
    int n, rc = cli_opt_parse(&cli_report_spec, argc, argv, &n);

    if (rc)
        return rc;
    if (n == 0)
        return cli_usage_error("report", "give a run directory");
    if (n > 1)
        return cli_usage_error("report", "one run directory only, not \"%s\"", argv[2]);
    o->dir = argv[1];
    if (o->output && cli_output_check("report", "--output", o->output, true))
        return EXIT_USAGE;
    if (o->html && cli_output_check("report", "--html", o->html, true))
        return EXIT_USAGE;
    if (o->output && o->html && cli_output_is_stdout(o->output) && cli_output_is_stdout(o->html))
        return cli_usage_error("report",
                               "only one of --output and --html may be - (standard output)");
    return 0;
}

/* The template text: the file, or the embedded default. Returns a heap copy. */
static char *read_template(const char *path, size_t *len)
{
    struct tars_buf b = TARS_BUF_INIT(TARS_TEMPLATE_MAX_BYTES);
    char chunk[65536];
    size_t n;
    FILE *f;

    if (!path) {
        for (const struct tars_embedded_file *e = tars_report_templates; e->name; e++) {
            if (strcmp(e->name, DEFAULT_TEMPLATE) == 0) {
                *len = strlen(e->text);
                return strdup(e->text);
            }
        }
        return NULL;
    }
    if (!(f = fopen(path, "rb"))) {
        fprintf(stderr, "tars report: cannot open template \"%s\"\n", path);
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (tars_buf_append(&b, chunk, n) != TARS_OK) {
            fprintf(stderr, "tars report: template \"%s\" is larger than %u bytes\n", path,
                    TARS_TEMPLATE_MAX_BYTES);
            fclose(f);
            return NULL;
        }
    }
    fclose(f);
    if (!b.data && tars_buf_append(&b, "", 0) != TARS_OK)
        return NULL;
    return tars_buf_take(&b, len);
}

/* Writes len bytes to path whole (tars/file.h), so no half file is left. */
static int write_file(const char *path, const char *data, size_t len)
{
    struct tars_err err = TARS_ERR_INIT;

    if (cli_output_is_stdout(path))
        return cli_output_bytes("report", path, data, len);
    if (tars_file_write(path, data, len, 0644, &err) != TARS_OK) {
        fprintf(stderr, "tars report: %s\n", err.msg);
        return err.code == TARS_ETOOBIG ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    }
    return 0;
}

struct html_doc {
    const struct tars_buf *md;
    json_t *run;
    const char *title;
};

static int fill_html(FILE *f, void *ctx, struct tars_err *err)
{
    const struct html_doc *d = ctx;

    return tars_report_html(f, d->title, d->md->data, d->md->len, d->run, err);
}

static int write_html(const struct report_opts *o, const struct tars_buf *md, json_t *run,
                      const char *title)
{
    struct html_doc d = {md, run, title};

    return cli_output_write("report", o->html, fill_html, &d);
}

static time_t report_time(void)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    int64_t t;

    if (epoch && tars_parse_i64(epoch, 0, INT64_C(253402300799), &t) == 0)
        return (time_t)t;
    return time(NULL);
}

static int print_unresolved(json_t *unresolved, json_t *reasons)
{
    size_t i;
    json_t *v;

    fprintf(stderr, "tars report: %zu variables have no value (--strict):\n",
            json_array_size(unresolved));
    json_array_foreach(unresolved, i, v) {
        const char *why = json_string_value(json_object_get(reasons, json_string_value(v)));
        fprintf(stderr, "  %s: %s\n", json_string_value(v), why ? why : "not recorded");
    }
    return EXIT_INCONCLUSIVE;
}

static int gate_result(const struct tars_report_binding *b)
{
    static const char *const words[] = {"APPROVED", "NOT APPROVED", "INCONCLUSIVE"};
    size_t i;
    json_t *v;

    printf("recommendation: %s\n", words[b->verdict]);
    json_array_foreach(b->verdict_reasons, i, v)
        printf("  - %s\n", json_string_value(v));
    return b->verdict == TARS_REPORT_APPROVED       ? 0
           : b->verdict == TARS_REPORT_NOT_APPROVED ? EXIT_FAILED
                                                    : EXIT_INCONCLUSIVE;
}

static int render(const struct report_opts *o, json_t *run, tars_tpl *t)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_report_binding b;
    struct tars_tpl_env env = {0};
    struct tars_buf out = TARS_BUF_INIT(TARS_TEMPLATE_MAX_OUTPUT);
    json_t *unresolved = json_array();
    char path[4096];
    int rc;

    if (tars_report_bind(run, o->title, report_time(), &b, &err) != TARS_OK) {
        fprintf(stderr, "tars report: %s\n", err.msg);
        json_decref(unresolved);
        return EXIT_USAGE;
    }
    /* The digest and section 11 (docs/signoff.md); a failure leaves them n/a with the reason. */
    if (tars_signoff_report_values(o->dir, o->allowed, b.values, b.reasons, &err) == TARS_OK)
        printf("tars report: evidence digest %s\n",
               json_string_value(json_object_get(b.values, "EVIDENCE_DIGEST")));
    else
        fprintf(stderr, "tars report: sign-offs: %s\n", err.msg);
    env.values = b.values;
    env.reasons = b.reasons;
    env.mark_values = o->mark;
    env.markdown = b.markdown;
    if (tars_tpl_render(t, &env, &out, unresolved, &err) != TARS_OK) {
        fprintf(stderr, "tars report: %s\n", err.msg);
        rc = EXIT_USAGE;
    } else if (o->strict && json_array_size(unresolved)) {
        rc = print_unresolved(unresolved, b.reasons);
    } else {
        if (o->output)
            tars_strlcpy(path, o->output, sizeof(path));
        else
            tars_run_path(o->dir, "report.md", path, sizeof(path), NULL);
        rc = write_file(path, out.data ? out.data : "", out.len);
        if (rc == 0 && o->html)
            rc = write_html(o, &out, run, json_string_value(json_object_get(b.values, "TITLE")));
        if (rc == 0)
            fprintf(
                cli_output_is_stdout(path) || (o->html && cli_output_is_stdout(o->html)) ? stderr
                                                                                         : stdout,
                "tars report: wrote %s (%zu variables n/a)\n",
                cli_output_is_stdout(path) ? "standard output" : path, json_array_size(unresolved));
        if (rc == 0 && o->gate)
            rc = gate_result(&b);
    }
    tars_buf_release(&out);
    json_decref(unresolved);
    tars_report_binding_release(&b);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    struct report_opts *o = &ro;
    struct tars_err err = TARS_ERR_INIT;
    tars_tpl *t = NULL;
    json_t *run = NULL;
    char *text;
    size_t len = 0;
    int rc;

    memset(&ro, 0, sizeof(ro));
    if ((rc = parse_report_args(argc, argv, o)) != 0)
        return cli_opt_exit(rc);
    if (!(text = read_template(o->template_file, &len)))
        return EXIT_USAGE;
    rc =
        tars_tpl_parse(o->template_file ? o->template_file : DEFAULT_TEMPLATE, text, len, &t, &err);
    free(text);
    if (rc != TARS_OK) {
        fprintf(stderr, "tars report: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (!(run = tars_run_load(o->dir, &err))) {
        fprintf(stderr, "tars report: %s\n", err.msg);
        tars_tpl_free(t);
        return EXIT_USAGE;
    }
    rc = render(o, run, t);
    json_decref(run);
    tars_tpl_free(t);
    return rc;
}
