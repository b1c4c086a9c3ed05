/* Check results as JUnit XML, TAP and JSON. */
#include <string.h>

#include "tars/report.h"

#define MASKED_MAX 1024

void tars_check_count(const struct tars_check_run *run, struct tars_check_counts *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < run->suite->check_count; i++) {
        if (!run->selected[i])
            continue;
        switch (run->results[i].status) {
        case TARS_CHECK_PASS: out->pass++; break;
        case TARS_CHECK_FAIL: out->fail++; break;
        case TARS_CHECK_SKIP: out->skip++; break;
        default: out->error++; break;
        }
    }
}

static void masked(const struct tars_check_run *run, const char *in, char *out)
{
    tars_secrets_mask(run->suite->secrets, in, out, MASKED_MAX);
}

static void xml_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, out);
        }
    }
}

/* Writes the <testcase> elements of one category of one suite. */
static void junit_cases(FILE *out, const struct tars_check_run *run, const char *category)
{
    char text[MASKED_MAX];

    for (size_t i = 0; i < run->suite->check_count; i++) {
        const struct tars_check *c = &run->suite->checks[i];
        const struct tars_check_result *r = &run->results[i];
        if (!run->selected[i] || strcmp(c->category, category) != 0)
            continue;
        fputs("    <testcase classname=\"", out);
        xml_escaped(out, category);
        fputs("\" name=\"", out);
        xml_escaped(out, c->id);
        fprintf(out, "\" time=\"%.3f\">", r->total_ms / 1000);
        masked(run, r->reason, text);
        if (r->status != TARS_CHECK_PASS) {
            static const char *const tags[] = {"", "failure", "skipped", "error"};
            fprintf(out, "\n      <%s message=\"", tags[r->status]);
            xml_escaped(out, text);
            fprintf(out, "\"/>\n    ");
        }
        fputs("</testcase>\n", out);
    }
}

static bool seen_before(const struct tars_check_run *run, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (run->selected[j] && strcmp(run->suite->checks[j].category, run->suite->checks[i].category) == 0)
            return true;
    return false;
}

static void junit_category(FILE *out, const struct tars_check_run *run, const char *category)
{
    size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double secs = 0;

    for (size_t i = 0; i < run->suite->check_count; i++) {
        const struct tars_check_result *r = &run->results[i];
        if (!run->selected[i] || strcmp(run->suite->checks[i].category, category) != 0)
            continue;
        tests++;
        failures += r->status == TARS_CHECK_FAIL;
        errors += r->status == TARS_CHECK_ERROR;
        skipped += r->status == TARS_CHECK_SKIP;
        secs += r->total_ms / 1000;
    }
    fputs("  <testsuite name=\"", out);
    xml_escaped(out, run->suite->name);
    fputc('.', out);
    xml_escaped(out, category);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
            tests, failures, errors, skipped, secs);
    junit_cases(out, run, category);
    fputs("  </testsuite>\n", out);
}

int tars_report_junit(FILE *out, const struct tars_check_run *runs, size_t run_count)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", out);
    for (size_t k = 0; k < run_count; k++)
        for (size_t i = 0; i < runs[k].suite->check_count; i++)
            if (runs[k].selected[i] && !seen_before(&runs[k], i))
                junit_category(out, &runs[k], runs[k].suite->checks[i].category);
    fputs("</testsuites>\n", out);
    return ferror(out) ? TARS_EIO : TARS_OK;
}

int tars_report_tap(FILE *out, const struct tars_check_run *runs, size_t run_count)
{
    size_t total = 0, n = 0;
    char text[MASKED_MAX];

    for (size_t k = 0; k < run_count; k++)
        for (size_t i = 0; i < runs[k].suite->check_count; i++)
            total += runs[k].selected[i];
    fprintf(out, "TAP version 13\n1..%zu\n", total);
    for (size_t k = 0; k < run_count; k++)
        for (size_t i = 0; i < runs[k].suite->check_count; i++) {
            const struct tars_check_result *r = &runs[k].results[i];
            if (!runs[k].selected[i])
                continue;
            masked(&runs[k], r->reason, text);
            for (char *p = text; *p; p++)
                if (*p == '\n' || *p == '#')
                    *p = ' ';
            if (r->status == TARS_CHECK_SKIP)
                fprintf(out, "ok %zu - %s # SKIP %s\n", ++n, runs[k].suite->checks[i].id, text);
            else if (r->status == TARS_CHECK_PASS)
                fprintf(out, "ok %zu - %s\n", ++n, runs[k].suite->checks[i].id);
            else
                fprintf(out, "not ok %zu - %s\n  ---\n  status: %s\n  reason: \"%s\"\n  ...\n", ++n,
                        runs[k].suite->checks[i].id, tars_check_status_name(r->status), text);
        }
    return ferror(out) ? TARS_EIO : TARS_OK;
}

static json_t *check_json(const struct tars_check_run *run, size_t i)
{
    const struct tars_check *c = &run->suite->checks[i];
    const struct tars_check_result *r = &run->results[i];
    char text[MASKED_MAX];

    masked(run, r->reason, text);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:i}", "id", c->id, "name", c->name,
                     "category", c->category, "type", c->type->name, "status",
                     tars_check_status_name(r->status), "reason", text, "duration_ms",
                     r->total_ms, "attempts", r->attempts);
}

json_t *tars_report_json(const struct tars_check_run *runs, size_t run_count)
{
    json_t *suites = json_array();
    struct tars_check_counts all = {0, 0, 0, 0}, one;
    double wall = 0;

    for (size_t k = 0; k < run_count; k++) {
        json_t *checks = json_array();
        for (size_t i = 0; i < runs[k].suite->check_count; i++)
            if (runs[k].selected[i])
                json_array_append_new(checks, check_json(&runs[k], i));
        tars_check_count(&runs[k], &one);
        all.pass += one.pass;
        all.fail += one.fail;
        all.skip += one.skip;
        all.error += one.error;
        wall = runs[k].wall_ms > wall ? runs[k].wall_ms : wall;
        json_array_append_new(suites, json_pack("{s:s,s:s,s:o}", "name", runs[k].suite->name,
                                                "path", runs[k].suite->path, "checks", checks));
    }
    return json_pack("{s:o,s:{s:I,s:I,s:I,s:I},s:f}", "suites", suites, "counts", "pass",
                     (json_int_t)all.pass, "fail", (json_int_t)all.fail, "skip",
                     (json_int_t)all.skip, "error", (json_int_t)all.error, "wall_ms", wall);
}
