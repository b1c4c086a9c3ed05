/* Unit tests for lib/report/svg*.c and html.c: well-formed output (checked
 * by a tiny XML well-formedness checker below), escaping, the log-scale
 * percentile axis, nice ticks, determinism, and notes instead of empty
 * charts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "result_fixture.h"
#include "tars/report_html.h"
#include "tars/report_svg.h"
#include "tars/report_xml.h"

/* ---- a tiny XML well-formedness checker: balanced tags, quoted
 * attributes, only the five XML entities and numeric references, no raw
 * '<' or '&' in text, no forbidden control characters ---- */

#define XML_DEPTH 64

static const char *xml_name(const char *p, char *out, size_t cap)
{
    size_t n = 0;

    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '-' || *p == '_' || *p == ':' || *p == '.') {
        if (n + 1 < cap)
            out[n++] = *p;
        p++;
    }
    out[n] = '\0';
    return n ? p : NULL;
}

static const char *xml_entity(const char *p)
{
    static const char *const ok[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};

    for (size_t i = 0; i < 5; i++)
        if (strncmp(p, ok[i], strlen(ok[i])) == 0)
            return p + strlen(ok[i]);
    if (p[1] == '#') {
        const char *q = p + 2;

        while ((*q >= '0' && *q <= '9'))
            q++;
        return q > p + 2 && *q == ';' ? q + 1 : NULL;
    }
    return NULL;
}

/* Attributes up to '>' or '/>'; returns the position after the tag. */
static const char *xml_attributes(const char *p, bool *empty)
{
    char name[64];

    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++;
        if (*p == '>' || (p[0] == '/' && p[1] == '>')) {
            *empty = *p == '/';
            return p + (*empty ? 2 : 1);
        }
        if (!(p = xml_name(p, name, sizeof(name))) || *p != '=' || (p[1] != '"' && p[1] != '\''))
            return NULL;
        char quote = p[1];
        for (p += 2; *p != quote; p++) {
            if (!*p || *p == '<')
                return NULL;
            if (*p == '&') {
                const char *q = xml_entity(p);

                if (!q)
                    return NULL;
                p = q - 1;
            }
        }
        p++;
    }
}

/* True when text is one well-formed element (optionally after a doctype). */
static bool xml_well_formed(const char *text)
{
    char stack[XML_DEPTH][64], name[64];
    int depth = 0, roots = 0;
    const char *p = text;

    if (strncmp(p, "<!DOCTYPE html>", 15) == 0)
        p += 15;
    while (*p) {
        unsigned char c = (unsigned char)*p;

        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
            return false;
        if (strncmp(p, "<!--", 4) == 0) {
            const char *end = strstr(p + 4, "-->");
            if (!end)
                return false;
            p = end + 3;
        } else if (p[0] == '<' && p[1] == '/') {
            if (!(p = xml_name(p + 2, name, sizeof(name))) || *p != '>' || depth == 0 ||
                strcmp(stack[depth - 1], name) != 0)
                return false;
            depth--;
            p++;
        } else if (*p == '<') {
            bool empty;

            if (!(p = xml_name(p + 1, name, sizeof(name))) || !(p = xml_attributes(p, &empty)))
                return false;
            if (depth == 0)
                roots++;
            if (!empty) {
                if (depth == XML_DEPTH)
                    return false;
                strcpy(stack[depth++], name);
            }
        } else if (*p == '&') {
            if (!(p = xml_entity(p)))
                return false;
        } else {
            if (depth == 0 && c != '\n' && c != ' ')
                return false;
            p++;
        }
    }
    return depth == 0 && roots == 1;
}

static void test_checker_itself(void **state)
{
    (void)state;
    assert_true(xml_well_formed("<a x=\"1\"><b/>t &amp; u</a>\n"));
    assert_false(xml_well_formed("<a><b></a></b>"));
    assert_false(xml_well_formed("<a>x & y</a>"));
    assert_false(xml_well_formed("<a x=1></a>"));
    assert_false(xml_well_formed("<a>&nbsp;</a>"));
    assert_false(xml_well_formed("<a>\x01</a>"));
    assert_false(xml_well_formed("<a x=\"<\"></a>"));
    assert_false(xml_well_formed("<a></a><b></b>"));
}

/* ---- capture ---- */

typedef int (*chart_fn)(FILE *out, json_t *v, struct tars_err *err);

static char *draw(chart_fn fn, json_t *v, int *rc, struct tars_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    assert_non_null(mem);
    *rc = fn(mem, v, err);
    assert_int_equal(fclose(mem), 0);
    return buf;
}

static json_t *run_with_load(const char *task_name, size_t seconds)
{
    struct tars_load_result r;
    struct tars_load_task_result *t;
    json_t *res, *run;

    memset(&r, 0, sizeof(r));
    strcpy(r.scenario, "svc <&> \"q\"");
    r.duration_ms = 1000 * (int64_t)seconds;
    fixture_task(&r.total, "svc", "GET", "/");
    t = fixture_add_task(&r, task_name, "GET", "/a");
    for (uint64_t i = 1; i <= 10000; i++)
        fixture_ok(t, i * 1000, 10);
    for (size_t s = 0; s < seconds; s++)
        fixture_second(&r, 1000 * (int64_t)(s + 1), 1, 100 + s, s % 2, 1, 2, 3, 4);
    res = tars_load_result_to_json(&r);
    tars_load_result_release(&r);
    run = json_pack("{s:s,s:[{s:s,s:o}]}", "format", "tars-run/1", "loads", "name", "svc <&> \"q\"",
                    "result", res);
    assert_non_null(run);
    return run;
}

static void test_latency_chart(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *run = run_with_load("agents <script>&", 3);
    int rc;
    char *svg = draw(tars_svg_latency, run, &rc, &err), *again;
    (void)state;

    assert_int_equal(rc, TARS_OK);
    assert_true(xml_well_formed(svg));
    assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    /* the label is escaped, never raw */
    assert_non_null(strstr(svg, "agents &lt;script&gt;&amp;"));
    assert_null(strstr(svg, "<script"));
    /* percentile ticks on the log axis: 0, 90, 99, 99.9, 99.99 %, equally spaced */
    for (const char *const *t =
             (const char *const[]){">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<", NULL};
         *t; t++)
        assert_non_null(strstr(svg, *t));
    /* "0%" starts at the axis, clear of the y axis' "0" */
    assert_non_null(strstr(svg, "<text x=\"70.0\" y=\"347.0\" text-anchor=\"start\">0%<"));
    assert_non_null(strstr(svg, "<text x=\"235.0\" y=\"347.0\" text-anchor=\"middle\">90%<"));
    assert_non_null(strstr(svg, "<text x=\"400.0\" y=\"347.0\" text-anchor=\"middle\">99%<"));
    assert_non_null(strstr(svg, "<text x=\"730.0\" y=\"347.0\" text-anchor=\"middle\">99.99%<"));
    /* deterministic */
    again = draw(tars_svg_latency, run, &rc, &err);
    assert_string_equal(svg, again);
    free(svg);
    free(again);
    json_decref(run);
}

static void test_throughput_and_history(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *run = run_with_load("t", 5);
    int rc;
    char *svg =
        draw(tars_svg_throughput, json_array_get(json_object_get(run, "loads"), 0), &rc, &err);
    (void)state;

    assert_int_equal(rc, TARS_OK);
    assert_true(xml_well_formed(svg));
    assert_non_null(strstr(svg, "Throughput and errors: svc &lt;&amp;&gt; &quot;q&quot;"));
    assert_non_null(strstr(svg, "requests/s (510 in all)"));
    assert_non_null(strstr(svg, "errors/s (2 in all)"));
    assert_non_null(strstr(svg, "errors per second")); /* its own axis */
    free(svg);
    json_decref(run);
}

static void test_checks_and_comparison(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *run = json_pack("{s:{s:[{s:s,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]}]}}", "checks",
                            "suites", "name", "s", "checks", "category", "api", "status", "pass",
                            "category", "api", "status", "fail", "category", "db<1>", "status",
                            "error", "category", "api", "status", "skip");
    json_t *cmp = json_pack("{s:[{s:s,s:f,s:f,s:f,s:s},{s:s,s:n,s:f,s:n,s:s}]}", "metrics", "name",
                            "total p95_ms", "baseline", 1.0, "current", 2.0, "delta_pct", 100.0,
                            "verdict", "high", "name", "x", "baseline", "current", 1.0, "delta_pct",
                            "verdict", "nodata");
    int rc;
    char *svg = draw(tars_svg_checks, run, &rc, &err);
    (void)state;

    assert_int_equal(rc, TARS_OK);
    assert_true(xml_well_formed(svg));
    assert_non_null(strstr(svg, "1 pass, 1 fail, 1 skip, 0 error"));
    assert_non_null(strstr(svg, ">db&lt;1&gt;<"));
    free(svg);
    svg = NULL;
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);

        assert_int_equal(tars_svg_comparison(mem, cmp, "Baseline & current", &err), TARS_OK);
        fclose(mem);
        assert_true(xml_well_formed(buf));
        assert_non_null(strstr(buf, "+100.0% high"));
        assert_null(strstr(buf, ">x<")); /* no figures on one side: not drawn */
        free(buf);
    }
    json_decref(run);
    json_decref(cmp);
}

static void test_no_data_is_a_note(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *run = json_pack("{s:s,s:[]}", "format", "tars-run/1", "loads");
    json_t *entry = json_pack("{s:s,s:{s:[]}}", "name", "l", "result", "history");
    int rc;
    char *svg;
    (void)state;

    svg = draw(tars_svg_latency, run, &rc, &err);
    assert_int_equal(rc, TARS_ENOTFOUND);
    assert_string_equal(svg, "");
    assert_non_null(strstr(err.msg, "latency"));
    free(svg);
    svg = draw(tars_svg_checks, run, &rc, &err);
    assert_int_equal(rc, TARS_ENOTFOUND);
    assert_string_equal(svg, "");
    free(svg);
    svg = draw(tars_svg_throughput, entry, &rc, &err);
    assert_int_equal(rc, TARS_ENOTFOUND);
    assert_string_equal(svg, "");
    free(svg);
    json_decref(run);
    json_decref(entry);
}

static void test_escape_and_axes(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    (void)state;

    tars_xml_escape(mem, "a<b>&\"c'\x01\x7f\xc3\xa9");
    fclose(mem);
    assert_string_equal(buf, "a&lt;b&gt;&amp;&quot;c&#39;\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
    free(buf);
    /* The rule of JUnit, SVG and XHTML alike: line breaks survive in an
     * attribute, a byte outside well-formed UTF-8 is U+FFFD. */
    mem = open_memstream(&buf, &len);
    tars_xml_escape(mem, "x\ny\tz\xff\xc3");
    tars_xml_escape(mem, NULL);
    fclose(mem);
    assert_string_equal(buf, "x&#10;y&#9;z\xef\xbf\xbd\xef\xbf\xbd");
    free(buf);

    assert_true(fabs(tars_svg_percentile_x(0)) < 1e-12);
    assert_true(fabs(tars_svg_percentile_x(90) - 1) < 1e-12);
    assert_true(fabs(tars_svg_percentile_x(99) - 2) < 1e-12);
    assert_true(fabs(tars_svg_percentile_x(99.9) - 3) < 1e-9);
    assert_true(fabs(tars_svg_percentile_x(99.99) - 4) < 1e-9);
    assert_true(isinf(tars_svg_percentile_x(100)));

    assert_true(tars_svg_nice_step(10, 5) == 2);
    assert_true(tars_svg_nice_step(7.3, 5) == 2);
    assert_true(tars_svg_nice_step(0.8, 4) == 0.2);
    assert_true(tars_svg_nice_step(40000, 5) == 10000);
    assert_true(tars_svg_nice_step(0, 5) == 1);
}

static void test_html_page(void **state)
{
    static const char md[] = "# T <x> & y\n\n| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\n"
                             "<script>alert(1)</script>\n\nsee https://example.com\n";
    json_t *run = run_with_load("t", 2);
    struct tars_err err = TARS_ERR_INIT;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    (void)state;

    assert_int_equal(tars_report_html(mem, "a & b", md, strlen(md), run, &err), TARS_OK);
    fclose(mem);
    assert_true(xml_well_formed(buf));
    assert_null(strstr(buf, "<script"));
    assert_non_null(strstr(buf, "<title>a &amp; b</title>"));
    assert_non_null(strstr(buf, "<table>"));
    assert_non_null(strstr(buf, "<del>2</del>"));
    assert_non_null(strstr(buf, "<a href=\"https://example.com\">"));
    assert_non_null(strstr(buf, "@media print"));
    assert_non_null(strstr(buf, "check results: no checks in this run"));
    assert_non_null(strstr(buf, "Latency by percentile"));
    free(buf);
    json_decref(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_itself),
        cmocka_unit_test(test_latency_chart),
        cmocka_unit_test(test_throughput_and_history),
        cmocka_unit_test(test_checks_and_comparison),
        cmocka_unit_test(test_no_data_is_a_note),
        cmocka_unit_test(test_escape_and_axes),
        cmocka_unit_test(test_html_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
