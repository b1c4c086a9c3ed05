/* The HTML report: Markdown rendered by cmark-gfm (tables, strikethrough,
 * autolinks) and the SVG charts of the run, in one self-contained page that
 * is also well-formed XML (XHTML-compatible HTML5: no named entities beyond
 * XML's, every element closed). Raw HTML in the Markdown is dropped by
 * cmark-gfm (no CMARK_OPT_UNSAFE), so only tars writes markup here. */
#include "tars/report_html.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <stdlib.h>
#include <string.h>

#include "tars/report_svg.h"

static const char css[] =
    "body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "color:#1b1b1b;background:#fff;margin:0;line-height:1.5}"
    "main{max-width:64rem;margin:0 auto;padding:1.5rem 2rem}"
    "h1,h2,h3{line-height:1.25}h1{border-bottom:2px solid #333;padding-bottom:.3rem}"
    "h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}"
    "table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}"
    "th,td{border:1px solid #bbb;padding:.3rem .6rem;vertical-align:top}"
    "th{background:#f0f0f0}tr:nth-child(even) td{background:#fafafa}"
    "code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.9em}"
    "pre{background:#f6f8fa;padding:.8rem;overflow-x:auto;border-radius:4px}"
    "blockquote{border-left:4px solid #ccc;margin:0;padding-left:1rem;color:#555}"
    "figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:.85rem;color:#555}p.note{color:#666;font-style:italic}"
    "@media print{main{max-width:none;padding:0}body{font-size:10.5pt}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "table,figure,pre{break-inside:avoid;page-break-inside:avoid}"
    "figure svg{border:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "a{color:inherit;text-decoration:none}}";

/* Copies html to out with control characters XML forbids replaced. */
static void write_clean(FILE *out, const char *html)
{
    for (const char *p = html; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            fputs("\xef\xbf\xbd", out);
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

static int write_markdown(FILE *out, const char *markdown, size_t len, struct tars_err *err)
{
    int options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
    cmark_parser *parser;
    cmark_node *doc = NULL;
    char *html = NULL;
    int rc;

    cmark_gfm_core_extensions_ensure_registered();
    parser = cmark_parser_new(options);
    if (!parser)
        return tars_err_set(err, TARS_EINTERNAL, "cmark-gfm: out of memory");
    if ((rc = attach(parser, "table", err)) || (rc = attach(parser, "strikethrough", err)) ||
        (rc = attach(parser, "autolink", err)))
        goto out;
    cmark_parser_feed(parser, markdown ? markdown : "", markdown ? len : 0);
    doc = cmark_parser_finish(parser);
    html = doc ? cmark_render_html(doc, options, cmark_parser_get_syntax_extensions(parser)) : NULL;
    if (!html) {
        rc = tars_err_set(err, TARS_EINTERNAL, "cmark-gfm: could not render the Markdown");
        goto out;
    }
    write_clean(out, html);
out:
    free(html);
    if (doc)
        cmark_node_free(doc);
    cmark_parser_free(parser);
    return rc;
}

static void note(FILE *out, const char *text)
{
    fputs("<p class=\"note\">", out);
    tars_svg_escape(out, text);
    fputs("</p>\n", out);
}

/* One chart in a <figure>, or a one-line note when it has no data. */
typedef int (*chart_fn)(FILE *out, json_t *v, struct tars_err *err);

/* Charts are drawn into memory first, so that a chart without data leaves
 * no empty <figure> behind (tars/report_svg.h: nothing is written then). */
static void figure(FILE *out, chart_fn draw, json_t *v)
{
    struct tars_err err = TARS_ERR_INIT;
    char *svg = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&svg, &len);
    int rc;

    if (!mem) {
        note(out, "chart: out of memory");
        return;
    }
    rc = draw(mem, v, &err);
    if (fclose(mem) != 0)
        rc = tars_err_set(&err, TARS_EINTERNAL, "chart: out of memory");
    if (rc == TARS_OK) {
        fputs("<figure>\n", out);
        fwrite(svg, 1, len, out);
        fputs("</figure>\n", out);
    } else {
        note(out, err.msg);
    }
    free(svg);
}

static int draw_comparison(FILE *out, json_t *v, struct tars_err *err)
{
    return tars_svg_comparison(out, v, "Baseline vs current", err);
}

static int draw_canary(FILE *out, json_t *v, struct tars_err *err)
{
    return tars_svg_comparison(out, v, "Canary vs stable", err);
}

static void write_charts(FILE *out, json_t *run)
{
    json_t *loads = json_object_get(run, "loads"), *entry;
    size_t i;

    fputs("<section class=\"charts\">\n<h2>Charts</h2>\n", out);
    figure(out, tars_svg_latency, run);
    if (json_array_size(loads) == 0)
        note(out, "throughput and errors: no load in this run");
    json_array_foreach(loads, i, entry)
        figure(out, tars_svg_throughput, entry);
    figure(out, tars_svg_checks, run);
    if (!json_object_get(run, "comparison") && !json_object_get(run, "canary"))
        note(out, "baseline vs current: no comparison in this run (tars compare --run)");
    if (json_object_get(run, "comparison"))
        figure(out, draw_comparison, json_object_get(run, "comparison"));
    if (json_object_get(run, "canary"))
        figure(out, draw_canary, json_object_get(run, "canary"));
    fputs("</section>\n", out);
}

int tars_report_html(FILE *out, const char *title, const char *markdown, size_t len, json_t *run,
                     struct tars_err *err)
{
    int rc;

    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          out);
    tars_svg_escape(out, title ? title : "tars report");
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<article>\n", css);
    if ((rc = write_markdown(out, markdown, len, err)) != TARS_OK)
        return rc;
    fputs("</article>\n", out);
    if (run)
        write_charts(out, run);
    fputs("</main>\n</body>\n</html>\n", out);
    if (fflush(out) != 0 || ferror(out))
        return tars_err_set(err, TARS_EIO, "cannot write the HTML report");
    return TARS_OK;
}
