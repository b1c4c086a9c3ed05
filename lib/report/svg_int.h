/* Drawing primitives shared by lib/report/svg*.c (not a public interface). */
#ifndef TARS_REPORT_SVG_INT_H
#define TARS_REPORT_SVG_INT_H

#include <stdbool.h>
#include <stdio.h>

#define SVG_PALETTE_SIZE 10

/* A plot area in px and the data range it shows. */
struct svg_plot {
    double left, top, width, height; /* the area inside the axes */
    double xmin, xmax, ymin, ymax;
};

const char *svg_color(size_t i);
double svg_px_x(const struct svg_plot *p, double x);
double svg_px_y(const struct svg_plot *p, double y);

/* <svg ...><title>title</title> ... svg_close writes </svg>. */
void svg_open(FILE *out, int width, int height, const char *title);
void svg_close(FILE *out);
/* <text> at (x, y); anchor "start", "middle" or "end"; extra attributes
 * (trusted, may be NULL) are written as they are. */
void svg_text(FILE *out, double x, double y, const char *anchor, const char *extra,
              const char *text);
void svg_line(FILE *out, double x1, double y1, double x2, double y2, const char *stroke,
              double width);
void svg_rect(FILE *out, double x, double y, double w, double h, const char *fill);
/* A tick label for v on an axis of step: as many decimals as the step needs. */
void svg_tick_label(char *buf, size_t cap, double v, double step);
/* The y axis of p on the left (or right) with grid lines (left only), from 0 to
 * p->ymax in steps of step, and its title. */
void svg_y_axis(FILE *out, const struct svg_plot *p, double step, bool right, const char *title);
/* The frame of p (bottom and left lines). */
void svg_frame(FILE *out, const struct svg_plot *p);
/* A legend entry at (x, y): a colour swatch and the escaped label, cut to
 * SVG_LEGEND_MAX bytes with an ellipsis (it then fits 680 px). */
#define SVG_LEGEND_MAX 84
/* label itself when it has at most max bytes; otherwise buf (cap >= max + 4)
 * with its first (or, keep_end, its last) max bytes and an ellipsis, cut on a
 * character boundary. */
const char *svg_fit(char *buf, size_t cap, const char *label, size_t max, bool keep_end);
void svg_legend(FILE *out, double x, double y, const char *color, const char *label);
/* A polyline path through n points (already in px). */
void svg_path(FILE *out, const double *xs, const double *ys, size_t n, const char *stroke,
              const char *dash);

#endif
