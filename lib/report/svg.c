/* SVG primitives for the report's charts: escaping, axes, legends, paths.
 * Coordinates are printed with one decimal, so output is deterministic and
 * small. */
#include "tars/report_svg.h"

#include <math.h>
#include <string.h>

#include "svg_int.h"
#include "tars/report_xml.h"

static const char *const palette[SVG_PALETTE_SIZE] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};

const char *svg_color(size_t i)
{
    return palette[i % SVG_PALETTE_SIZE];
}

double tars_svg_percentile_x(double p)
{
    if (!(p > 0))
        return 0;
    if (p >= 100)
        return INFINITY;
    return log10(100 / (100 - p));
}

double tars_svg_nice_step(double max, int target)
{
    double raw, mag, f;

    if (!(max > 0) || target < 1)
        return 1;
    raw = max / target;
    mag = pow(10, floor(log10(raw)));
    f = raw / mag;
    if (f <= 1)
        return mag;
    if (f <= 2)
        return 2 * mag;
    if (f <= 5)
        return 5 * mag;
    return 10 * mag;
}

double svg_px_x(const struct svg_plot *p, double x)
{
    double span = p->xmax - p->xmin;

    return p->left + (span > 0 ? (x - p->xmin) / span * p->width : 0);
}

double svg_px_y(const struct svg_plot *p, double y)
{
    double span = p->ymax - p->ymin;

    return p->top + p->height - (span > 0 ? (y - p->ymin) / span * p->height : 0);
}

void svg_open(FILE *out, int width, int height, const char *title)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">"
            "<title>",
            width, height, width, height);
    tars_xml_escape(out, title);
    fputs("</title>\n", out);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width,
            height);
    fputs("<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
    tars_xml_escape(out, title);
    fputs("</text>\n", out);
}

void svg_close(FILE *out)
{
    fputs("</svg>\n", out);
}

void svg_text(FILE *out, double x, double y, const char *anchor, const char *extra,
              const char *text)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
            extra ? " " : "", extra ? extra : "");
    tars_xml_escape(out, text);
    fputs("</text>\n", out);
}

void svg_line(FILE *out, double x1, double y1, double x2, double y2, const char *stroke,
              double width)
{
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"%.1f\"/>\n",
            x1, y1, x2, y2, stroke, width);
}

void svg_rect(FILE *out, double x, double y, double w, double h, const char *fill)
{
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y,
            w < 0 ? 0 : w, h < 0 ? 0 : h, fill);
}

void svg_tick_label(char *buf, size_t cap, double v, double step)
{
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

    if (decimals > 6)
        decimals = 6;
    snprintf(buf, cap, "%.*f", decimals, v);
}

/* About how wide a tick label of n characters is at font-size 12. */
#define SVG_CHAR_PX 7.5

void svg_y_axis(FILE *out, const struct svg_plot *p, double step, bool right, const char *title)
{
    double x = right ? p->left + p->width : p->left, widest = 0, tx;
    char label[32];

    for (int i = 0; i <= 50; i++) {
        double v = step * i, y;

        if (v > p->ymax * (1 + 1e-9))
            break;
        y = svg_px_y(p, v);
        if (!right && i > 0)
            svg_line(out, p->left, y, p->left + p->width, y, "#e0e0e0", 1);
        svg_line(out, x, y, right ? x + 4 : x - 4, y, "#333333", 1);
        svg_tick_label(label, sizeof(label), v, step);
        widest = fmax(widest, SVG_CHAR_PX * (double)strlen(label));
        svg_text(out, right ? x + 6 : x - 6, y + 4, right ? "start" : "end", NULL, label);
    }
    /* the title clear of the widest tick label, and inside the drawing */
    tx = right ? x + 6 + widest + 12 : fmax(12, x - 6 - widest - 10);
    fprintf(
        out,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(%d %.1f %.1f)\">",
        tx, p->top + p->height / 2, right ? 90 : -90, tx, p->top + p->height / 2);
    tars_xml_escape(out, title);
    fputs("</text>\n", out);
}

void svg_frame(FILE *out, const struct svg_plot *p)
{
    svg_line(out, p->left, p->top + p->height, p->left + p->width, p->top + p->height, "#333333",
             1);
    svg_line(out, p->left, p->top, p->left, p->top + p->height, "#333333", 1);
}

const char *svg_fit(char *buf, size_t cap, const char *label, size_t max, bool keep_end)
{
    size_t n = strlen(label), from;

    if (n <= max || cap < max + 4)
        return label;
    if (!keep_end) {
        /* the first max bytes, cut on a character boundary, then an ellipsis */
        while (max > 0 && ((unsigned char)label[max] & 0xc0) == 0x80)
            max--;
        memcpy(buf, label, max);
        memcpy(buf + max, "\xe2\x80\xa6", 4);
        return buf;
    }
    from = n - max;
    while (label[from] && ((unsigned char)label[from] & 0xc0) == 0x80)
        from++;
    memcpy(buf, "\xe2\x80\xa6", 3);
    memcpy(buf + 3, label + from, n - from + 1);
    return buf;
}

void svg_legend(FILE *out, double x, double y, const char *color, const char *label)
{
    char cut[SVG_LEGEND_MAX + 4];

    svg_rect(out, x, y - 9, 12, 10, color);
    svg_text(out, x + 17, y, "start", NULL,
             svg_fit(cut, sizeof(cut), label, SVG_LEGEND_MAX, false));
}

void svg_path(FILE *out, const double *xs, const double *ys, size_t n, const char *stroke,
              const char *dash)
{
    if (n == 0)
        return;
    fputs("<path d=\"", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%.1f %.1f", i == 0 ? "M" : " L", xs[i], ys[i]);
    fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n", stroke,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
}
