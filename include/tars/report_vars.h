/*
 * The data binding of the release report (docs/report.md, docs/report-variables.md):
 * from a run record (run.json) to the variables a report template uses, the
 * reason for each one that cannot be known, and the recommendation computed
 * from the evidence.
 *
 * Units (one rule everywhere, so a figure can be traced back to run.json):
 * durations in milliseconds with one decimal ("12.3"; from *_ms fields, or
 * *_ns / 1e6), seconds with two decimals (from milliseconds / 1000), shares of
 * a fraction as percent with two decimals (0.0025 -> "0.25"), pass rates as
 * percent with one decimal, counts and requests/s as written. Every string
 * taken from the run is masked (tokens, passwords, webhook URLs).
 */
#ifndef TARS_REPORT_VARS_H
#define TARS_REPORT_VARS_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "tars/buf.h"
#include "tars/err.h"

enum tars_report_verdict {
    TARS_REPORT_APPROVED = 0,     /* every required check passed, no threshold failed */
    TARS_REPORT_NOT_APPROVED = 1, /* something failed (reasons say what) */
    TARS_REPORT_INCONCLUSIVE = 2, /* evidence is missing (reasons say which) */
};

struct tars_report_binding {
    json_t *values;  /* NAME -> string, or list of objects */
    json_t *reasons; /* NAME -> why it has no value */
    enum tars_report_verdict verdict;
    json_t *verdict_reasons; /* array of strings: what failed, or what is missing */
    json_t *markdown;        /* NAME -> true: values that are Markdown (tars_tpl_env.markdown) */
};

/* Binds run (a run.json object, borrowed). now: the report's time stamp.
 * title: NULL for the default. Fills out (release it with the function below). */
int tars_report_bind(json_t *run, const char *title, time_t now, struct tars_report_binding *out,
                     struct tars_err *err) TARS_MUST_CHECK;
void tars_report_binding_release(struct tars_report_binding *b);

/* The 389 variables of the original report template (seeds/003), each with
 * where its value comes from in a run, or why no run can know it. */
struct tars_report_var_doc {
    const char *name;
    const char *source; /* "run.json ..." or the reason */
    int from_run;       /* 1: computed from the run when the section exists */
};
const struct tars_report_var_doc *tars_report_var_docs(size_t *count);

/* Copies in to out with secrets replaced by "****": Bearer tokens, JWTs, URL
 * passwords, password/token/secret/key=value pairs, webhook URLs. */
int tars_report_mask(const char *in, struct tars_buf *out) TARS_MUST_CHECK;

#endif
