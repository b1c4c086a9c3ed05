/* Line charts of the report: latency percentile curves (HdrHistogram's log
 * percentile axis) and throughput / errors over time. */
#include "tars/report_svg.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "svg_int.h"
#include "tars/alloc.h"
#include "tars/hist.h"

#define LAT_W 760
#define LAT_H 380
#define LAT_MAX_SERIES 12
#define LAT_X_MAX 4.0 /* 99.99 % */
#define LAT_POINTS 81 /* x = 0, 0.05, ..., 4 */

struct series {
    char label[160];
    double ms[LAT_POINTS];
};

static const struct svg_plot lat_plot = {70, 40, 660, 290, 0, LAT_X_MAX, 0, 1};

/* The curve of one histogram: the value at each x (ms). */
static void curve(const tars_hist *h, struct series *s)
{
    double p[LAT_POINTS];
    uint64_t v[LAT_POINTS];

    for (size_t i = 0; i < LAT_POINTS; i++)
        p[i] = 100 * (1 - pow(10, -LAT_X_MAX * (double)i / (LAT_POINTS - 1)));
    tars_hist_percentiles(h, p, v, LAT_POINTS);
    for (size_t i = 0; i < LAT_POINTS; i++)
        s->ms[i] = (double)v[i] / 1e6;
}

/* Series of every task with a non-empty latency histogram, in run order. */
static size_t collect_series(json_t *run, struct series *out, size_t cap, size_t *skipped)
{
    json_t *loads = json_object_get(run, "loads"), *entry, *task;
    size_t i, j, n = 0;
    bool many = json_array_size(loads) > 1;

    *skipped = 0;
    json_array_foreach(loads, i, entry) {
        json_t *result = json_object_get(entry, "result");

        json_array_foreach(json_object_get(result, "tasks"), j, task) {
            tars_hist *h = NULL;
            const char *name = json_string_value(json_object_get(task, "name"));

            if (tars_hist_from_json(json_object_get(task, "latency"), &h, NULL) != TARS_OK)
                continue;
            if (tars_hist_count(h) > 0 && n < cap) {
                snprintf(out[n].label, sizeof(out[n].label), "%s%s%s",
                         many ? json_string_value(json_object_get(entry, "name")) : "",
                         many ? ": " : "", name ? name : "?");
                curve(h, &out[n++]);
            } else if (tars_hist_count(h) > 0) {
                (*skipped)++;
            }
            tars_hist_free(h);
        }
    }
    return n;
}

static void percentile_axis(FILE *out, const struct svg_plot *p)
{
    static const char *const labels[] = {"0%", "90%", "99%", "99.9%", "99.99%"};
    double y = p->top + p->height;

    for (int i = 0; i <= 4; i++) {
        double x = svg_px_x(p, i);

        if (i > 0)
            svg_line(out, x, p->top, x, y, "#e0e0e0", 1);
        svg_line(out, x, y, x, y + 4, "#333333", 1);
        /* "0%" starts at the axis, clear of the y axis' "0" */
        svg_text(out, x, y + 17, i == 0 ? "start" : "middle", NULL, labels[i]);
    }
    svg_text(out, p->left + p->width / 2, y + 36, "middle", NULL, "percentile (log scale)");
}

int tars_svg_latency(FILE *out, json_t *run, struct tars_err *err)
{
    struct series *s = xcalloc(LAT_MAX_SERIES, sizeof(*s));
    struct svg_plot p = lat_plot;
    double xs[LAT_POINTS], ys[LAT_POINTS], top = 0, step;
    size_t skipped, n = collect_series(run, s, LAT_MAX_SERIES, &skipped);

    if (n == 0) {
        free(s);
        return tars_err_set(err, TARS_ENOTFOUND,
                            "latency percentiles: no load result with a latency histogram");
    }
    for (size_t k = 0; k < n; k++)
        top = fmax(top, s[k].ms[LAT_POINTS - 1]);
    step = tars_svg_nice_step(top, 5);
    p.ymax = fmax(step, ceil(top / step - 1e-9) * step);
    /* the legend below the axis, one line per curve, so that long names fit */
    svg_open(out, LAT_W, LAT_H + 18 * (int)(n + (skipped ? 1 : 0)), "Latency by percentile");
    svg_y_axis(out, &p, step, false, "latency (ms)");
    percentile_axis(out, &p);
    svg_frame(out, &p);
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < LAT_POINTS; i++) {
            xs[i] = svg_px_x(&p, LAT_X_MAX * (double)i / (LAT_POINTS - 1));
            ys[i] = svg_px_y(&p, s[k].ms[i]);
        }
        svg_path(out, xs, ys, LAT_POINTS, svg_color(k), k >= SVG_PALETTE_SIZE ? "6 3" : NULL);
        svg_legend(out, p.left, LAT_H + 4 + 18 * (double)k, svg_color(k), s[k].label);
    }
    if (skipped) {
        char note[64];

        snprintf(note, sizeof(note), "(%zu more endpoints not drawn)", skipped);
        svg_text(out, p.left, LAT_H + 4 + 18 * (double)n, "start", NULL, note);
    }
    svg_close(out);
    free(s);
    return TARS_OK;
}

/* ---- throughput and errors over time ---- */

#define TP_W 760
#define TP_H 340
#define TP_MAX_SECONDS 86400

static double number_at(json_t *second, const char *key)
{
    json_t *v = json_object_get(second, key);

    return json_is_number(v) ? json_number_value(v) : 0;
}

/* The series of one history field, into px coordinates. */
static void history_series(json_t *history, const char *key, const struct svg_plot *p, double *xs,
                           double *ys)
{
    json_t *second;
    size_t i;

    json_array_foreach(history, i, second) {
        xs[i] = svg_px_x(p, (double)(i + 1));
        ys[i] = svg_px_y(p, number_at(second, key));
    }
}

static double history_max(json_t *history, const char *key, double *total)
{
    json_t *second;
    size_t i;
    double top = 0;

    *total = 0;
    json_array_foreach(history, i, second) {
        top = fmax(top, number_at(second, key));
        *total += number_at(second, key);
    }
    return top;
}

static void time_axis(FILE *out, const struct svg_plot *p, size_t seconds)
{
    double step = tars_svg_nice_step((double)seconds, 8);
    char label[32];

    if (step < 1)
        step = 1;
    for (double t = step; t <= (double)seconds + 1e-9; t += step) {
        double x = svg_px_x(p, t);

        svg_line(out, x, p->top + p->height, x, p->top + p->height + 4, "#333333", 1);
        svg_tick_label(label, sizeof(label), t, step);
        svg_text(out, x, p->top + p->height + 17, "middle", NULL, label);
    }
    svg_text(out, p->left + p->width / 2, p->top + p->height + 36, "middle", NULL,
             "seconds since start");
}

static void draw_history(FILE *out, json_t *history, const char *title)
{
    struct svg_plot p = {70, 50, 560, 240, 0, 1, 0, 1}, pe;
    size_t n = json_array_size(history);
    double *xs = xcalloc(n, sizeof(double)), *ys = xcalloc(n, sizeof(double));
    double requests, errors, step, estep;
    double rmax = history_max(history, "requests", &requests);
    double emax = history_max(history, "failures", &errors);
    char label[96];

    p.xmax = n > 1 ? (double)n : 2;
    p.xmin = n > 1 ? 1 : 0;
    step = tars_svg_nice_step(rmax, 5);
    p.ymax = fmax(step, ceil(rmax / step - 1e-9) * step);
    svg_open(out, TP_W, TP_H, title);
    svg_y_axis(out, &p, step, false, "requests per second");
    time_axis(out, &p, n);
    svg_frame(out, &p);
    history_series(history, "requests", &p, xs, ys);
    svg_path(out, xs, ys, n, svg_color(0), NULL);
    snprintf(label, sizeof(label), "requests/s (%.0f in all)", requests);
    svg_legend(out, p.left, 38, svg_color(0), label);
    pe = p;
    if (emax > 0) {
        estep = tars_svg_nice_step(emax, 5);
        pe.ymax = fmax(estep, ceil(emax / estep - 1e-9) * estep);
        svg_y_axis(out, &pe, estep, true, "errors per second");
    }
    history_series(history, "failures", &pe, xs, ys);
    svg_path(out, xs, ys, n, "#d62728", "5 3");
    snprintf(label, sizeof(label), "errors/s (%.0f in all)", errors);
    svg_legend(out, p.left + 280, 38, "#d62728", label);
    svg_close(out);
    free(xs);
    free(ys);
}

int tars_svg_throughput(FILE *out, json_t *load_entry, struct tars_err *err)
{
    json_t *history = json_object_get(json_object_get(load_entry, "result"), "history");
    const char *name = json_string_value(json_object_get(load_entry, "name"));
    char title[200];

    if (!json_is_array(history) || json_array_size(history) == 0)
        return tars_err_set(err, TARS_ENOTFOUND, "throughput of load \"%s\": no per-second history",
                            name ? name : "?");
    if (json_array_size(history) > TP_MAX_SECONDS)
        return tars_err_set(err, TARS_ENOTFOUND,
                            "throughput of load \"%s\": history longer than %d seconds, not drawn",
                            name ? name : "?", TP_MAX_SECONDS);
    snprintf(title, sizeof(title), "Throughput and errors: %s", name ? name : "?");
    draw_history(out, history, title);
    return TARS_OK;
}
