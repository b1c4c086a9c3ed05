/*
 * The HTML form of a report: Markdown rendered by cmark-gfm (tables,
 * strikethrough, autolinks) into one self-contained page (inline CSS, inline
 * SVG charts drawn from the run record, no scripts), which prints well.
 */
#ifndef TARS_REPORT_HTML_H
#define TARS_REPORT_HTML_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "tars/err.h"

/*
 * Writes the page to out: title, the rendered markdown (len bytes), then the
 * charts drawn from run (a run.json object, borrowed; NULL: no charts):
 * latency percentile curves per endpoint, throughput and errors over time,
 * check results by category, baseline vs current when run has "comparison".
 */
int tars_report_html(FILE *out, const char *title, const char *markdown, size_t len, json_t *run,
                     struct tars_err *err);

#endif
