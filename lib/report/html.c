/* The HTML report: Markdown rendered by cmark-gfm (tables, strikethrough,
 * autolinks) and the SVG charts of the run, in one self-contained page that
 * is also well-formed XML (XHTML-compatible HTML5: no named entities beyond
 * XML's, every element closed). Raw HTML in the Markdown is dropped by
 * cmark-gfm (no CMARK_OPT_UNSAFE), so only tars writes markup here. */
#include "tars/report_html.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tars/report_svg.h"
#include "tars/report_xml.h"

static const char css[] =
    ":root{--fg:#1b1b1b;--bg:#fff;--muted:#555;--rule:#ccc;--cell:#bbb;--th:#f0f0f0;"
    "--zebra:#fafafa;--pre:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#6e7781}"
    "@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#16181d;--muted:#a8a8a8;"
    "--rule:#444;--cell:#555;--th:#262a31;--zebra:#1d2026;--pre:#22262d;--pass:#3fb950;"
    "--fail:#f85149;--warn:#d29922;--skip:#8b949e}a{color:#79b8ff}}"
    "body{font-family:'DejaVu Sans',-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "color:var(--fg);background:var(--bg);margin:0;line-height:1.45}"
    "main{max-width:72rem;margin:0 auto;padding:1rem 2rem}"
    "h1,h2,h3{line-height:1.25}h1{border-bottom:2px solid var(--fg);padding-bottom:.3rem;"
    "margin:.4rem 0 .8rem}"
    "h2{border-bottom:1px solid var(--rule);padding-bottom:.2rem;margin-top:1.6rem}"
    "main hr{display:none}"
    "table{border-collapse:collapse;margin:1rem 0;font-size:.92rem;max-width:100%}"
    "th,td{border:1px solid var(--cell);padding:.3rem .6rem;vertical-align:top;"
    "overflow-wrap:anywhere}"
    "th{background:var(--th)}tr:nth-child(even) td{background:var(--zebra)}"
    "code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.9em;"
    "overflow-wrap:anywhere}"
    "pre{background:var(--pre);padding:.8rem;overflow-x:auto;border-radius:4px}"
    "blockquote{border-left:4px solid var(--rule);margin:0;padding-left:1rem;color:var(--muted)}"
    "figure{margin:1rem 0;min-width:0}figure svg{max-width:100%;height:auto;box-sizing:border-box;"
    "border:1px solid var(--rule);"
    "border-radius:4px}"
    "p.note{color:var(--muted);font-style:italic}"
    "section.summary{border:2px solid var(--rule);border-radius:6px;padding:0 1.2rem .6rem;"
    "margin:.6rem 0 1.2rem}"
    "section.summary h2{margin-top:.8rem}section.summary ul{margin:.3rem 0}"
    ".lead-text>p:first-of-type{font-size:1.3rem;margin:.4rem 0}" /* the verdict line */
    ".lead{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.2rem}"
    "@media (max-width:60rem){.lead{grid-template-columns:minmax(0,1fr)}}"
    ".glance figure{margin:.8rem 0 0}details.more summary{cursor:pointer;color:var(--muted)}"
    ".one h2,.one h3{display:inline;border:none;font-size:1rem;margin:0 .6rem 0 0}"
    ".one p{display:inline;margin:0;color:var(--muted)}"
    "section.one,div.one{margin:.5rem 0;padding:.25rem 0;border-bottom:1px solid var(--rule)}"
    ".badge{display:inline-block;position:relative;width:1em;height:1em;border-radius:50%;"
    "vertical-align:-.15em;box-sizing:border-box}"
    ".badge-pass{background:var(--pass)}.badge-fail{background:var(--fail)}"
    ".badge-warn{background:var(--warn);border-radius:2px;"
    "clip-path:polygon(50% 0,100% 100%,0 100%)}.badge-skip{background:var(--skip)}"
    ".badge-pass::after{content:'';position:absolute;left:.33em;top:.16em;width:.22em;"
    "height:.45em;border:solid #fff;border-width:0 .12em .12em 0;transform:rotate(45deg)}"
    ".badge-fail::before,.badge-fail::after{content:'';position:absolute;left:.44em;top:.2em;"
    "width:.12em;height:.6em;background:#fff;transform:rotate(45deg)}"
    ".badge-fail::after{transform:rotate(-45deg)}"
    ".badge-warn::after{content:'';position:absolute;left:.45em;top:.35em;width:.1em;"
    "height:.3em;background:#fff;box-shadow:0 .4em 0 #fff}"
    ".badge-warn::after{height:.28em;box-shadow:0 .36em 0 #fff}"
    ".badge-skip::after{content:'';position:absolute;left:.3em;top:.28em;border-style:solid;"
    "border-width:.22em 0 .22em .4em;border-color:transparent transparent transparent #fff}"
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "white-space:nowrap}"
    "@media print{main{max-width:none;padding:0}body{font-size:10.5pt}"
    "section.sec{break-before:page;page-break-before:always}"
    "section.one,section.summary{break-before:auto;page-break-before:auto}"
    "h2,h3{break-after:avoid;page-break-after:avoid}"
    "table,figure,pre,.one{break-inside:avoid;page-break-inside:avoid}"
    "figure svg{border:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "a{color:inherit;text-decoration:none}}";

/* Verdict symbols the Markdown writes as emoji: drawn as CSS badges instead,
 * so that no verdict depends on an emoji font being installed. A trailing
 * variation selector (U+FE0F) belongs to the symbol. */
static const struct {
    const char *utf8, *kind, *label;
} badges[] = {
    {"\xe2\x9c\x85", "pass", "pass"},    /* U+2705 */
    {"\xe2\x9d\x8c", "fail", "FAIL"},    /* U+274C */
    {"\xe2\x9a\xa0", "warn", "warning"}, /* U+26A0 */
    {"\xe2\x8f\xad", "skip", "skipped"}, /* U+23ED */
};

static size_t write_badge(FILE *out, const char *p)
{
    for (size_t i = 0; i < sizeof(badges) / sizeof(badges[0]); i++) {
        size_t n = strlen(badges[i].utf8);

        if (strncmp(p, badges[i].utf8, n) != 0)
            continue;
        if (strncmp(p + n, "\xef\xb8\x8f", 3) == 0)
            n += 3;
        fprintf(out,
                "<span class=\"badge badge-%s\" role=\"img\" aria-label=\"%s\" title=\"%s\">"
                "<span class=\"vh\">%s</span></span>",
                badges[i].kind, badges[i].label, badges[i].label, badges[i].label);
        return n;
    }
    return 0;
}

/* Copies n bytes of html to out with control characters XML forbids
 * replaced and verdict emoji drawn as badges. */
static void write_clean(FILE *out, const char *html, size_t n)
{
    const char *end = html + n;

    for (const char *p = html; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        size_t used;

        if (tars_xml_forbidden(c))
            fputs("\xef\xbf\xbd", out);
        else if (c == 0xe2 && (used = write_badge(out, p)) > 0)
            p += used - 1;
        else
            fputc(c, out);
    }
}

static int attach(cmark_parser *parser, const char *name, struct tars_err *err)
{
    cmark_syntax_extension *ext = cmark_find_syntax_extension(name);

    if (!ext || !cmark_parser_attach_syntax_extension(parser, ext))
        return tars_err_set(err, TARS_EINTERNAL, "cmark-gfm has no \"%s\" extension", name);
    return TARS_OK;
}

/* The Markdown rendered to HTML in *html (malloc'd by cmark-gfm). */
static int render_markdown(const char *markdown, size_t len, char **html, struct tars_err *err)
{
    int options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
    cmark_parser *parser;
    cmark_node *doc = NULL;
    int rc;

    *html = NULL;
    cmark_gfm_core_extensions_ensure_registered();
    parser = cmark_parser_new(options);
    if (!parser)
        return tars_err_set(err, TARS_EINTERNAL, "cmark-gfm: out of memory");
    if ((rc = attach(parser, "table", err)) || (rc = attach(parser, "strikethrough", err)) ||
        (rc = attach(parser, "autolink", err)))
        goto out;
    cmark_parser_feed(parser, markdown ? markdown : "", markdown ? len : 0);
    doc = cmark_parser_finish(parser);
    *html =
        doc ? cmark_render_html(doc, options, cmark_parser_get_syntax_extensions(parser)) : NULL;
    if (!*html)
        rc = tars_err_set(err, TARS_EINTERNAL, "cmark-gfm: could not render the Markdown");
out:
    if (doc)
        cmark_node_free(doc);
    cmark_parser_free(parser);
    return rc;
}

static void note(FILE *out, const char *text)
{
    fputs("<p class=\"note\">", out);
    tars_xml_escape(out, text);
    fputs("</p>\n", out);
}

/* One chart in a <figure>, or a one-line note when it has no data. */
typedef int (*chart_fn)(FILE *out, json_t *v, struct tars_err *err);

/* Charts are drawn into memory first, so that a chart without data leaves
 * no empty <figure> behind (tars/report_svg.h: nothing is written then).
 * Returns whether a chart was drawn. */
static bool figure(FILE *out, chart_fn draw, json_t *v, bool with_note)
{
    struct tars_err err = TARS_ERR_INIT;
    char *svg = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&svg, &len);
    int rc;

    if (!mem) {
        note(out, "chart: out of memory");
        return false;
    }
    rc = draw(mem, v, &err);
    if (fclose(mem) != 0)
        rc = tars_err_set(&err, TARS_EINTERNAL, "chart: out of memory");
    if (rc == TARS_OK) {
        fputs("<figure>\n", out);
        fwrite(svg, 1, len, out);
        fputs("</figure>\n", out);
    } else if (with_note) {
        note(out, err.msg);
    }
    free(svg);
    return rc == TARS_OK;
}

static int draw_comparison(FILE *out, json_t *v, struct tars_err *err)
{
    return tars_svg_comparison(out, v, "Baseline vs current", err);
}

static int draw_canary(FILE *out, json_t *v, struct tars_err *err)
{
    return tars_svg_comparison(out, v, "Canary vs stable", err);
}

/* The report's charts, each drawn once, in the section it supports. */
enum chart_kind { CHART_LATENCY, CHART_CHECKS, CHART_COMPARISON, CHART_CANARY, CHART_COUNT };

/* Which chart belongs to a section, by the words of its heading. */
static const struct {
    enum chart_kind kind;
    const char *word;
} chart_home[] = {
    {CHART_LATENCY, "performance"},
    {CHART_CHECKS, "suite"},
    {CHART_COMPARISON, "baseline"},
    {CHART_CANARY, "canary"},
};

static void write_chart(FILE *out, json_t *run, enum chart_kind kind)
{
    json_t *loads = json_object_get(run, "loads"), *entry;
    size_t i;

    switch (kind) {
    case CHART_LATENCY:
        figure(out, tars_svg_latency, run, true);
        if (json_array_size(loads) == 0)
            note(out, "throughput and errors: no load in this run");
        json_array_foreach(loads, i, entry)
            figure(out, tars_svg_throughput, entry, true);
        break;
    case CHART_CHECKS: figure(out, tars_svg_checks, run, true); break;
    case CHART_COMPARISON:
        if (json_object_get(run, "comparison"))
            figure(out, draw_comparison, json_object_get(run, "comparison"), true);
        else if (!json_object_get(run, "canary"))
            note(out, "baseline vs current: no comparison in this run (tars compare --run)");
        break;
    case CHART_CANARY:
        if (json_object_get(run, "canary"))
            figure(out, draw_canary, json_object_get(run, "canary"), true);
        break;
    default: break;
    }
}

/* The Markdown's HTML cut at its <h2> headings: head (before the first), then
 * one part per section. */
struct part {
    const char *start;
    size_t len;
};

#define MAX_PARTS 64

struct layout {
    json_t *run;
    bool placed[CHART_COUNT];
};

static bool heading_has(const struct part *sec, const char *word)
{
    const char *end = strstr(sec->start, "</h2>");
    size_t n = end && end < sec->start + sec->len ? (size_t)(end - sec->start) : sec->len;
    char buf[256];

    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, sec->start, n);
    buf[n] = '\0';
    return strcasestr(buf, word) != NULL;
}

/* A (sub)section whose body is one paragraph: shown as one line, heading
 * and paragraph side by side ("1.2 Artifacts  No artifacts recorded"). */
static bool one_paragraph(const char *start, size_t len, const char *close)
{
    const char *body = strstr(start, close), *end = start + len, *p, *q;

    if (!body || body >= end)
        return false;
    body += strlen(close);
    while (body < end && (*body == '\n' || *body == ' '))
        body++;
    if (end - body < 7 || strncmp(body, "<p>", 3) != 0)
        return false;
    p = strstr(body + 3, "</p>");
    if (!p || p >= end || ((q = strstr(body + 3, "<p>")) && q < p))
        return false;
    for (p += 4; p < end; p++) {
        if (strncmp(p, "<hr />", 6) == 0)
            p += 5;
        else if (*p != '\n' && *p != ' ')
            return false;
    }
    return true;
}

/* A section's body with its <h3> subsections; one-paragraph ones collapsed. */
static void write_subsections(FILE *out, const char *start, size_t len)
{
    const char *end = start + len, *p = start;

    while (p < end) {
        const char *next = strstr(p + 1, "<h3>");
        size_t n = (next && next < end ? next : end) - p;

        if (strncmp(p, "<h3>", 4) == 0 && one_paragraph(p, n, "</h3>")) {
            fputs("<div class=\"one\">", out);
            write_clean(out, p, n);
            fputs("</div>\n", out);
        } else {
            write_clean(out, p, n);
        }
        p += n;
    }
}

/* The summary's lists show their first SUMMARY_ITEMS items; the rest fold
 * into a <details> ("28 more"), so that the verdict, the first reasons and
 * the charts fit the first screen. A list with a nested list is kept whole. */
#define SUMMARY_ITEMS 5

static void write_summary_text(FILE *out, const char *start, size_t len)
{
    const char *end = start + len, *p = start;

    while (p < end) {
        const char *ul = strstr(p, "<ul>\n"), *close, *li = NULL, *q;
        int items = 0;

        if (!ul || ul >= end || !(close = strstr(ul + 5, "</ul>")) || close >= end) {
            write_clean(out, p, (size_t)(end - p));
            return;
        }
        q = strstr(ul + 5, "<ul>");
        for (const char *i = strstr(ul, "<li>"); i && i < close; i = strstr(i + 4, "<li>"))
            if (++items == SUMMARY_ITEMS + 1)
                li = i;
        if (!li || items == SUMMARY_ITEMS + 1 || (q && q < close)) {
            write_clean(out, p, (size_t)(close - p));
            p = close;
            continue;
        }
        write_clean(out, p, (size_t)(li - p));
        fprintf(out, "</ul>\n<details class=\"more\"><summary>%d more</summary>\n<ul>\n",
                items - SUMMARY_ITEMS);
        write_clean(out, li, (size_t)(close + 6 - li));
        fputs("</details>\n", out);
        p = close + 6;
    }
}

static void write_section(FILE *out, struct layout *lay, const struct part *sec, int index,
                          bool summary)
{
    bool one = !summary && one_paragraph(sec->start, sec->len, "</h2>");

    fprintf(out, "<section class=\"%s\" id=\"section-%d\">\n",
            summary ? "summary"
            : one   ? "sec one"
                    : "sec",
            index);
    if (summary) {
        /* the verdict and its reasons beside the charts behind them */
        fputs("<div class=\"lead\">\n<div class=\"lead-text\">\n", out);
        write_summary_text(out, sec->start, sec->len);
        fputs("</div>\n<div class=\"glance\">\n", out);
        if (lay->run) {
            figure(out, tars_svg_checks, lay->run, false);
            figure(out, tars_svg_latency, lay->run, false);
        }
        fputs("</div>\n</div>\n", out);
    } else {
        write_subsections(out, sec->start, sec->len);
    }
    for (size_t i = 0; lay->run && i < sizeof(chart_home) / sizeof(chart_home[0]); i++) {
        if (lay->placed[chart_home[i].kind] || !heading_has(sec, chart_home[i].word))
            continue;
        lay->placed[chart_home[i].kind] = true;
        write_chart(out, lay->run, chart_home[i].kind);
    }
    fputs("</section>\n", out);
}

/* Charts whose section the Markdown does not have, at the end. */
static void write_rest(FILE *out, struct layout *lay)
{
    bool any = false;

    for (int k = 0; k < CHART_COUNT; k++)
        any |= !lay->placed[k];
    if (!lay->run || !any)
        return;
    fputs("<section class=\"sec charts\">\n<h2>Charts</h2>\n", out);
    for (int k = 0; k < CHART_COUNT; k++)
        if (!lay->placed[k])
            write_chart(out, lay->run, (enum chart_kind)k);
    fputs("</section>\n", out);
}

/* Page order: the title, the executive summary (verdict first), the rest of
 * the head (run metadata), then every section with its charts. */
static void write_body(FILE *out, const char *html, json_t *run)
{
    struct part parts[MAX_PARTS];
    struct layout lay = {.run = run};
    const char *p = strstr(html, "<h2>"), *h1_end;
    size_t n = 0, head_len = p ? (size_t)(p - html) : strlen(html);
    int summary = -1;

    while (p) {
        const char *next = strstr(p + 4, "<h2>");

        if (n == MAX_PARTS - 1)
            next = NULL; /* the last part takes the rest */
        parts[n].start = p;
        parts[n].len = next ? (size_t)(next - p) : strlen(p);
        if (summary < 0 && heading_has(&parts[n], "summary"))
            summary = (int)n;
        n++;
        p = next;
    }
    h1_end = strstr(html, "</h1>");
    if (summary >= 0 && h1_end && h1_end < html + head_len) {
        size_t title = (size_t)(h1_end - html) + 5;

        write_clean(out, html, title);
        write_section(out, &lay, &parts[summary], summary, true);
        write_clean(out, html + title, head_len - title);
    } else {
        write_clean(out, html, head_len);
        if (summary >= 0)
            write_section(out, &lay, &parts[summary], summary, true);
    }
    for (size_t i = 0; i < n; i++)
        if ((int)i != summary)
            write_section(out, &lay, &parts[i], (int)i, false);
    write_rest(out, &lay);
}

int tars_report_html(FILE *out, const char *title, const char *markdown, size_t len, json_t *run,
                     struct tars_err *err)
{
    char *html = NULL;
    int rc;

    if ((rc = render_markdown(markdown, len, &html, err)) != TARS_OK)
        return rc;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta name=\"color-scheme\" content=\"light dark\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          out);
    tars_xml_escape(out, title ? title : "tars report");
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<article>\n", css);
    write_body(out, html, run);
    free(html);
    fputs("</article>\n</main>\n</body>\n</html>\n", out);
    if (fflush(out) != 0 || ferror(out))
        return tars_err_set(err, TARS_EIO, "cannot write the HTML report");
    return TARS_OK;
}
