/*
 * SVG charts for the HTML report, drawn from a run record (run.json, see
 * tars/run.h). Each chart is one self-contained <svg> element (namespace
 * declared, sizes in px, a <title>, no scripts, no external references), so
 * it is well-formed XML on its own and inside XHTML. Output is
 * deterministic: the same input gives the same bytes (coordinates printed
 * with one decimal in the C locale, series in input order).
 *
 * Every chart function returns TARS_OK when it drew something, and
 * TARS_ENOTFOUND, writing nothing, when the run holds no data for it; err
 * then carries a one-line note for the reader ("no load history in this
 * run"). A chart is never drawn empty.
 */
#ifndef TARS_REPORT_SVG_H
#define TARS_REPORT_SVG_H

#include <jansson.h>
#include <stdio.h>

#include "tars/err.h"

/* Latency percentile curves, one per endpoint (task) of every load with a
 * latency histogram: x = percentile on HdrHistogram's log scale
 * log10(1 / (1 - p)), ticks at 0, 90, 99, 99.9 and 99.99 %; y = ms. */
int tars_svg_latency(FILE *out, json_t *run, struct tars_err *err);

/* Requests and errors per second over the run, from one "loads" entry's
 * result "history" (errors on their own right-hand axis when there are any). */
int tars_svg_throughput(FILE *out, json_t *load_entry, struct tars_err *err);

/* Check results by category (stacked bars pass / fail / skip / error) from
 * run "checks". */
int tars_svg_checks(FILE *out, json_t *run, struct tars_err *err);

/* Baseline against current per metric, from a comparison object of
 * `tars compare` (run "comparison" or "canary"); title names it. */
int tars_svg_comparison(FILE *out, json_t *comparison, const char *title, struct tars_err *err);

/* Helpers, exposed for tests. */
/* The x of percentile p (0 <= p < 100) on the log scale: log10(100 / (100 - p)). */
double tars_svg_percentile_x(double p);
/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about target
 * ticks over [0, max]; max <= 0 gives 1. */
double tars_svg_nice_step(double max, int target);

#endif
