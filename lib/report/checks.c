/* Check results as JUnit XML, TAP and JSON. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tars/report.h"
#include "tars/report_xml.h"
#include "tars/str.h"

/* Text for TAP and its YAML: well-formed UTF-8 only; a byte that is not is
 * written as U+FFFD (XML text: tars_xml_escape, the same rule). Calls
 * put(out, bytes, n) for each piece. */
static void each_char(FILE *out, const char *s, void (*put)(FILE *, const char *, size_t))
{
    size_t n;

    while (*s) {
        n = tars_utf8_seq_len(s);
        if (n == 0) {
            put(out, "\xEF\xBF\xBD", 3);
            s++;
        } else {
            put(out, s, n);
            s += n;
        }
    }
}

/* A YAML double-quoted scalar's content: TAP readers (TAP::Parser's
 * YAMLish, PyYAML under tappy) read these escapes. */
static void yaml_char(FILE *out, const char *c, size_t n)
{
    if (n > 1) {
        fwrite(c, 1, n, out);
        return;
    }
    switch (*c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\t': fputs("\\t", out); break;
    case '\r': fputs("\\r", out); break;
    default:
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            fprintf(out, "\\x%02x", (unsigned char)*c);
        else
            fputc(*c, out);
    }
}

/* A TAP description or directive: one line, no '#' (it would start a
 * directive), valid UTF-8. */
static void tap_char(FILE *out, const char *c, size_t n)
{
    if (n > 1)
        fwrite(c, 1, n, out);
    else if (*c == '#')
        fputs("\\#", out);
    else
        fputc((unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c, out);
}

/* A check's time in whole milliseconds: the testcase, testsuite and
 * testsuites times are sums of the same figures, so they agree exactly. */
static long long case_ms(const struct tars_check_result *r)
{
    return r->total_ms > 0 ? llround(r->total_ms) : 0;
}

/* Writes the <testcase> elements of one category of one suite. */
static void junit_cases(FILE *out, const struct tars_check_run *run, const char *category)
{
    static const char *const tags[] = {"", "failure", "skipped", "error"};

    for (size_t i = 0; i < run->suite->check_count; i++) {
        const struct tars_check *c = &run->suite->checks[i];
        const struct tars_check_result *r = &run->results[i];
        const char *tag = tags[r->status <= TARS_CHECK_ERROR ? r->status : TARS_CHECK_ERROR];
        const char *text = r->reason; /* secrets masked when it was stored */
        if (!run->selected[i] || strcmp(c->category, category) != 0)
            continue;
        fputs("    <testcase classname=\"", out);
        tars_xml_escape(out, category);
        fputs("\" name=\"", out);
        tars_xml_escape(out, c->id);
        fprintf(out, "\" time=\"%.3f\">", (double)case_ms(r) / 1000);
        if (r->status == TARS_CHECK_SKIP) {
            fputs("\n      <skipped message=\"", out);
            tars_xml_escape(out, text);
            fputs("\"/>\n    ", out);
        } else if (r->status != TARS_CHECK_PASS) {
            /* type: what kind of result; message: the reason on one line; the
             * body: the reason whole. */
            fprintf(out, "\n      <%s type=\"%s\" message=\"", tag,
                    tars_check_status_name(r->status));
            tars_xml_escape(out, text);
            fputs("\">", out);
            tars_xml_escape(out, text);
            fprintf(out, "</%s>\n    ", tag);
        }
        fputs("</testcase>\n", out);
    }
}

static bool seen_before(const struct tars_check_run *run, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (run->selected[j] &&
            strcmp(run->suite->checks[j].category, run->suite->checks[i].category) == 0)
            return true;
    return false;
}

struct junit_counts {
    size_t tests, failures, errors, skipped;
    long long ms;
};

static void junit_count(const struct tars_check_run *run, const char *category,
                        struct junit_counts *n)
{
    memset(n, 0, sizeof(*n));
    for (size_t i = 0; i < run->suite->check_count; i++) {
        const struct tars_check_result *r = &run->results[i];
        if (!run->selected[i] ||
            (category && strcmp(run->suite->checks[i].category, category) != 0))
            continue;
        n->tests++;
        n->failures += r->status == TARS_CHECK_FAIL;
        n->errors += r->status == TARS_CHECK_ERROR;
        n->skipped += r->status == TARS_CHECK_SKIP;
        n->ms += case_ms(r);
    }
}

static void junit_totals(FILE *out, const struct junit_counts *n)
{
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
            n->tests, n->failures, n->errors, n->skipped, (double)n->ms / 1000);
}

static void junit_category(FILE *out, const struct tars_check_run *run, const char *category,
                           const char *stamp, const char *host)
{
    struct junit_counts n;

    junit_count(run, category, &n);
    fputs("  <testsuite name=\"", out);
    tars_xml_escape(out, run->suite->name);
    fputc('.', out);
    tars_xml_escape(out, category);
    fputc('"', out);
    junit_totals(out, &n);
    fprintf(out, " timestamp=\"%s\" hostname=\"", stamp);
    tars_xml_escape(out, host);
    fputs("\">\n", out);
    junit_cases(out, run, category);
    fputs("  </testsuite>\n", out);
}

/* When the run started, as JUnit's timestamp (UTC, no zone: its schema's
 * xs:dateTime form); the time of writing when it was not recorded. */
static void junit_stamp(const struct tars_check_run *run, char *out, size_t size)
{
    time_t t = run->started ? run->started : time(NULL);
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf(out, size, "1970-01-01T00:00:00");
}

int tars_report_junit(FILE *out, const struct tars_check_run *runs, size_t run_count)
{
    struct junit_counts all = {0, 0, 0, 0, 0}, one;
    char host[256], stamp[32];

    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    for (size_t k = 0; k < run_count; k++) {
        junit_count(&runs[k], NULL, &one);
        all.tests += one.tests;
        all.failures += one.failures;
        all.errors += one.errors;
        all.skipped += one.skipped;
        all.ms += one.ms;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
    junit_totals(out, &all);
    fputs(">\n", out);
    for (size_t k = 0; k < run_count; k++) {
        junit_stamp(&runs[k], stamp, sizeof(stamp));
        for (size_t i = 0; i < runs[k].suite->check_count; i++)
            if (runs[k].selected[i] && !seen_before(&runs[k], i))
                junit_category(out, &runs[k], runs[k].suite->checks[i].category, stamp, host);
    }
    fputs("</testsuites>\n", out);
    return ferror(out) ? TARS_EIO : TARS_OK;
}

static void tap_line(FILE *out, const struct tars_check_run *run, size_t i, size_t n)
{
    const struct tars_check_result *r = &run->results[i];
    const char *text = r->reason; /* secrets masked when it was stored */

    fprintf(out, "%s %zu - ",
            r->status == TARS_CHECK_PASS || r->status == TARS_CHECK_SKIP ? "ok" : "not ok", n);
    each_char(out, run->suite->checks[i].id, tap_char);
    if (r->status == TARS_CHECK_SKIP) {
        fputs(" # SKIP ", out);
        each_char(out, text, tap_char);
    }
    fputc('\n', out);
    if (r->status == TARS_CHECK_PASS || r->status == TARS_CHECK_SKIP)
        return;
    fprintf(out, "  ---\n  status: %s\n  reason: \"", tars_check_status_name(r->status));
    each_char(out, text, yaml_char);
    fputs("\"\n  ...\n", out);
}

int tars_report_tap(FILE *out, const struct tars_check_run *runs, size_t run_count)
{
    size_t total = 0, n = 0;

    for (size_t k = 0; k < run_count; k++)
        for (size_t i = 0; i < runs[k].suite->check_count; i++)
            total += runs[k].selected[i];
    fprintf(out, "TAP version 13\n1..%zu\n", total);
    for (size_t k = 0; k < run_count; k++)
        for (size_t i = 0; i < runs[k].suite->check_count; i++)
            if (runs[k].selected[i])
                tap_line(out, &runs[k], i, ++n);
    return ferror(out) ? TARS_EIO : TARS_OK;
}

/* Milliseconds to three decimals: what a check's timing can say. */
static double to_microseconds(double ms)
{
    return round(ms * 1000) / 1000;
}

static json_t *check_json(const struct tars_check_run *run, size_t i)
{
    const struct tars_check *c = &run->suite->checks[i];
    const struct tars_check_result *r = &run->results[i];
    const char *text = r->reason; /* secrets masked when it was stored */

    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:i}", "id", c->id, "name", c->name, "category",
                     c->category, "type", c->type->name, "status",
                     tars_check_status_name(r->status), "reason", text, "duration_ms",
                     to_microseconds(r->total_ms), "attempts", r->attempts);
}

json_t *tars_report_json(const struct tars_check_run *runs, size_t run_count)
{
    json_t *suites = json_array();
    struct tars_check_counts all;
    double wall = 0;

    tars_check_count_runs(runs, run_count, &all);
    for (size_t k = 0; k < run_count; k++) {
        json_t *checks = json_array();
        for (size_t i = 0; i < runs[k].suite->check_count; i++)
            if (runs[k].selected[i])
                json_array_append_new(checks, check_json(&runs[k], i));
        wall = runs[k].wall_ms > wall ? runs[k].wall_ms : wall;
        json_array_append_new(suites, json_pack("{s:s,s:s,s:o}", "name", runs[k].suite->name,
                                                "path", runs[k].suite->path, "checks", checks));
    }
    return json_pack("{s:o,s:{s:I,s:I,s:I,s:I},s:f}", "suites", suites, "counts", "pass",
                     (json_int_t)all.pass, "fail", (json_int_t)all.fail, "skip",
                     (json_int_t)all.skip, "error", (json_int_t)all.error, "wall_ms",
                     to_microseconds(wall));
}
