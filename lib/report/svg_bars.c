/* Bar charts of the report: check results by category (stacked) and
 * baseline against current per metric. */
#include "tars/report_svg.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "svg_int.h"
#include "tars/alloc.h"

/* ---- checks by category ---- */

#define CHK_MAX_CATEGORIES 64
#define CHK_W 760
#define CHK_ROW 24

static const char *const statuses[4] = {"pass", "fail", "skip", "error"};
static const char *const status_colors[4] = {"#2ca02c", "#d62728", "#9e9e9e", "#ff7f0e"};

struct category {
    char name[96];
    unsigned count[4];
};

static int status_index(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, statuses[i]) == 0)
            return i;
    return -1;
}

static size_t collect_categories(json_t *run, struct category *cats, size_t cap, size_t *dropped)
{
    json_t *suite, *check;
    size_t i, j, n = 0;

    *dropped = 0;
    json_array_foreach(json_object_get(json_object_get(run, "checks"), "suites"), i, suite) {
        json_array_foreach(json_object_get(suite, "checks"), j, check) {
            const char *cat = json_string_value(json_object_get(check, "category"));
            int st = status_index(json_string_value(json_object_get(check, "status")));
            size_t k = 0;

            if (st < 0)
                continue;
            if (!cat)
                cat = "(none)";
            while (k < n && strcmp(cats[k].name, cat) != 0)
                k++;
            if (k == n && n == cap) {
                (*dropped)++;
                continue;
            }
            if (k == n) {
                memset(&cats[n], 0, sizeof(cats[n]));
                snprintf(cats[n++].name, sizeof(cats[0].name), "%s", cat);
            }
            cats[k].count[st]++;
        }
    }
    return n;
}

static void category_row(FILE *out, const struct category *c, double y, double scale)
{
    double x = 170;
    char text[96];

    svg_text(out, 160, y + 15, "end", NULL, svg_fit(text, sizeof(text), c->name, 20, true));
    for (int s = 0; s < 4; s++) {
        double w = c->count[s] * scale;

        if (c->count[s] == 0)
            continue;
        svg_rect(out, x, y + 3, w, CHK_ROW - 6, status_colors[s]);
        x += w;
    }
    snprintf(text, sizeof(text), "%u pass, %u fail, %u skip, %u error", c->count[0], c->count[1],
             c->count[2], c->count[3]);
    svg_text(out, x + 6, y + 15, "start", "fill=\"#333333\"", text);
}

int tars_svg_checks(FILE *out, json_t *run, struct tars_err *err)
{
    struct category *cats = xcalloc(CHK_MAX_CATEGORIES, sizeof(*cats));
    size_t dropped, n = collect_categories(run, cats, CHK_MAX_CATEGORIES, &dropped);
    unsigned most = 1;
    double height;

    if (n == 0) {
        free(cats);
        return tars_err_set(err, TARS_ENOTFOUND, "check results: no checks in this run");
    }
    for (size_t k = 0; k < n; k++)
        most = (unsigned)fmax(most, cats[k].count[0] + cats[k].count[1] + cats[k].count[2] +
                                        cats[k].count[3]);
    height = 70 + CHK_ROW * (double)n + (dropped ? 20 : 0);
    svg_open(out, CHK_W, (int)height, "Check results by category");
    for (int s = 0; s < 4; s++)
        svg_legend(out, 170 + 90 * s, 42, status_colors[s], statuses[s]);
    for (size_t k = 0; k < n; k++)
        category_row(out, &cats[k], 55 + CHK_ROW * (double)k, 380.0 / most);
    if (dropped) {
        char note[96];

        snprintf(note, sizeof(note), "(%zu checks in further categories not drawn)", dropped);
        svg_text(out, 170, height - 10, "start", NULL, note);
    }
    svg_close(out);
    free(cats);
    return TARS_OK;
}

/* ---- baseline against current ---- */

#define CMP_MAX_ROWS 40
#define CMP_W 760
#define CMP_ROW 30

static bool metric_numbers(json_t *m, double *b, double *c)
{
    json_t *jb = json_object_get(m, "baseline"), *jc = json_object_get(m, "current");

    if (!json_is_number(jb) || !json_is_number(jc))
        return false;
    *b = json_number_value(jb);
    *c = json_number_value(jc);
    return isfinite(*b) && isfinite(*c) && *b >= 0 && *c >= 0;
}

static void figure_text(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, fabs(v) >= 1e4 ? "%.0f" : "%.4g", v);
}

static void comparison_row(FILE *out, json_t *m, double y)
{
    const char *name = json_string_value(json_object_get(m, "name"));
    const char *verdict = json_string_value(json_object_get(m, "verdict"));
    json_t *delta = json_object_get(m, "delta_pct");
    bool bad = verdict && strcmp(verdict, "pass") != 0;
    double b, c, top, scale;
    char text[96];

    metric_numbers(m, &b, &c);
    top = fmax(b, c);
    scale =
        top > 0 ? 220 / top : 0; /* bars end by x = 480: their figures stay clear of the verdict */
    /* the end of a long name tells metrics apart ("…/health/total p95_ms") */
    svg_text(out, 250, y + 12, "end", NULL,
             svg_fit(text, sizeof(text), name ? name : "?", 31, true));
    svg_rect(out, 260, y + 2, b * scale, 10, "#9e9e9e");
    svg_rect(out, 260, y + 14, c * scale, 10, bad ? "#d62728" : "#1f77b4");
    figure_text(text, sizeof(text), b);
    svg_text(out, 264 + b * scale, y + 11, "start", "font-size=\"10\"", text);
    figure_text(text, sizeof(text), c);
    svg_text(out, 264 + c * scale, y + 23, "start", "font-size=\"10\"", text);
    if (json_is_number(delta))
        snprintf(text, sizeof(text), "%+.1f%% %s", json_number_value(delta),
                 verdict ? verdict : "");
    else
        snprintf(text, sizeof(text), "%s", verdict ? verdict : "");
    svg_text(out, CMP_W - 10, y + 17, "end", bad ? "fill=\"#d62728\" font-weight=\"bold\"" : NULL,
             text);
}

int tars_svg_comparison(FILE *out, json_t *comparison, const char *title, struct tars_err *err)
{
    json_t *metrics = json_object_get(comparison, "metrics"), *m;
    size_t i, rows = 0, skipped = 0;
    double b, c, y = 60;

    json_array_foreach(metrics, i, m) {
        if (metric_numbers(m, &b, &c))
            rows++;
    }
    if (rows == 0)
        return tars_err_set(err, TARS_ENOTFOUND, "%s: no metric with figures on both sides", title);
    if (rows > CMP_MAX_ROWS) {
        skipped = rows - CMP_MAX_ROWS;
        rows = CMP_MAX_ROWS;
    }
    svg_open(out, CMP_W, (int)(70 + CMP_ROW * rows + (skipped ? 20 : 0)), title);
    svg_legend(out, 260, 42, "#9e9e9e", "baseline");
    svg_legend(out, 350, 42, "#1f77b4", "current");
    svg_legend(out, 440, 42, "#d62728", "current, failing");
    json_array_foreach(metrics, i, m) {
        if (y >= 60 + CMP_ROW * (double)rows)
            break;
        if (!metric_numbers(m, &b, &c))
            continue;
        comparison_row(out, m, y);
        y += CMP_ROW;
    }
    if (skipped) {
        char note[64];

        snprintf(note, sizeof(note), "(%zu more metrics not drawn)", skipped);
        svg_text(out, 260, y + 12, "start", NULL, note);
    }
    svg_close(out);
    return TARS_OK;
}
