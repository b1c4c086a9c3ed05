/*
 * `tars compare`: baseline against current, metric by metric, with a
 * Kayenta-style judgement (docs/compare.md).
 *
 * Inputs are documents shaped like run.json (tars/run.h): a run directory's
 * run.json, or a single load result file (docs/load-format.md §5), which
 * tars_compare_input_load wraps as {"loads":[{"name","result"}]}.
 *
 * Metrics: for every load present in both runs (matched by name; a single
 * load on each side is matched whatever its name), the total and, when the
 * load has more than one task, each task present in both: p50, p95, p99
 * (latency, lower is better), error rate (errors, lower is better) and
 * throughput (higher is better); from "checks", the number of passing
 * checks (higher is better); from "ws" and "db" when both runs have them,
 * the entries described in docs/compare.md.
 *
 * The rule, per metric:
 *   delta_pct = (current - baseline) / baseline * 100; with a baseline of 0,
 *   0 when current is 0 too, else +100 (the original drift detector's rule).
 *   "worse" = the delta goes the bad way beyond the threshold (above
 *   +threshold when lower is better, below -threshold when higher is better);
 *   latency metrics also need |current - baseline| >= latency_floor_ms.
 *   Metrics with a statistical test (latency: Mann-Whitney U on the two
 *   histograms, tie-corrected; error rate: two-proportion z test) must also
 *   be significant: p_value < alpha. A metric that is worse (and
 *   significant, where tested) is "high" when its value went up and "low"
 *   when it went down; every other metric with data on both sides passes,
 *   including significant improvements. A metric missing data on a side
 *   is "nodata" and left out of the score.
 *   A metric with fewer samples on a side than its minimum is "too few
 *   samples" (FEW), one that carries no signal here is REPORTED (throughput
 *   of a think-time-bound closed model, of an open model's offered rate, of a
 *   saturated generator); neither is judged.
 * Score = 100 * passing / judged (judged = pass, high or low).
 * Verdict: pass when score >= pass cutoff, marginal when >= marginal
 * cutoff, else fail; inconclusive when nothing could be judged.
 */
#ifndef TARS_COMPARE_H
#define TARS_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"

enum tars_compare_kind {
    TARS_CMP_LATENCY,
    TARS_CMP_ERRORS,
    TARS_CMP_THROUGHPUT,
    TARS_CMP_CHECKS,
    TARS_CMP_MEMORY,
    TARS_CMP_CPU,
    TARS_CMP_TRACE,
    TARS_CMP_LOSS,
    TARS_CMP_KIND_COUNT
};

/* "latency", "errors", ...: the names --threshold takes. */
const char *tars_compare_kind_name(enum tars_compare_kind k);

enum tars_compare_direction { TARS_CMP_LOWER_BETTER, TARS_CMP_HIGHER_BETTER };

/* NODATA: no finite value on a side, or a test that could not run. FEW: fewer
 * samples on a side than the metric's minimum. REPORTED: a figure that carries
 * no signal here (throughput under think time, ...), shown and never judged.
 * Only PASS, HIGH and LOW count in the score. */
enum tars_compare_verdict {
    TARS_CMP_PASS,
    TARS_CMP_HIGH,
    TARS_CMP_LOW,
    TARS_CMP_NODATA,
    TARS_CMP_FEW,
    TARS_CMP_REPORTED
};
const char *tars_compare_verdict_name(enum tars_compare_verdict v);

enum tars_compare_overall {
    TARS_CMP_OVERALL_PASS,
    TARS_CMP_OVERALL_MARGINAL,
    TARS_CMP_OVERALL_FAIL,
    TARS_CMP_OVERALL_INCONCLUSIVE
};
const char *tars_compare_overall_name(enum tars_compare_overall v);

struct tars_compare_options {
    double threshold_pct[TARS_CMP_KIND_COUNT]; /* allowed change, percent */
    double alpha;                              /* significance level, default 0.05 */
    double latency_floor_ms;                   /* smaller latency changes never fail; default 2 */
    double pass_cutoff;                        /* score >= this: pass (default 95) */
    double marginal_cutoff;                    /* score >= this: marginal (default 75) */
};

/* The defaults above; thresholds as the original drift detector: latency
 * 10, errors 5, memory 20, CPU 15, trace 5; throughput 25 (from the
 * calibration, docs/compare.md), checks 0, loss 0. */
void tars_compare_options_init(struct tars_compare_options *o);
/* "latency=10%" (the % is optional; 0..1000). TARS_EINVAL naming the text. */
int tars_compare_threshold_parse(struct tars_compare_options *o, const char *text,
                                 struct tars_err *err) TARS_MUST_CHECK;
/* "pass=90,marginal=70" (either or both; 0..100, marginal <= pass). */
int tars_compare_cutoffs_parse(struct tars_compare_options *o, const char *text,
                               struct tars_err *err) TARS_MUST_CHECK;

#define TARS_CMP_NAME_MAX 200

struct tars_compare_metric {
    char name[TARS_CMP_NAME_MAX]; /* "quick total p95_ms", "checks pass" */
    enum tars_compare_kind kind;
    enum tars_compare_direction direction;
    double baseline, current; /* NAN when missing */
    double delta_pct;         /* NAN when either is missing */
    double threshold_pct;
    double p_value;                 /* NAN when the metric has no test */
    double effect;                  /* latency: P(current > baseline) + ties/2; NAN otherwise */
    uint64_t n_baseline, n_current; /* samples on each side; 0 when not counted */
    uint64_t min_samples;           /* fewer on a side: FEW; 0: the metric has no minimum */
    bool tested;                    /* has a significance test: p_value NAN = it did not run */
    bool report_only;               /* shown, never judged: reason says why */
    char reason[160];               /* why not judged (NODATA, FEW, REPORTED); "" otherwise */
    enum tars_compare_verdict verdict;
};

/* When the two inputs were measured (from their loads' start and duration). */
enum tars_compare_window {
    TARS_CMP_WINDOW_UNKNOWN, /* a side has no timed load */
    TARS_CMP_WINDOW_SAME,    /* the two measurement windows overlap: side by side */
    TARS_CMP_WINDOW_CROSS    /* one after the other: cross-time */
};

struct tars_compare_result {
    struct tars_compare_metric *metrics;
    size_t count, cap;
    size_t judged, passed;
    double score; /* 0..100; NAN when nothing was judged */
    enum tars_compare_overall verdict;
    enum tars_compare_window window;
    double apart_s; /* current's start minus baseline's; NAN when unknown */
};

/* "side by side (measured in the same window)", "cross-time: the current run
 * started 3 min 12 s after the baseline", or "measurement times unknown (a
 * side has no timed load)", into buf. */
void tars_compare_window_text(enum tars_compare_window w, double apart_s, char *buf, size_t cap);
/* "same", "cross-time", "unknown" (the JSON's window.kind) and back
 * (TARS_CMP_WINDOW_UNKNOWN for anything else). */
const char *tars_compare_window_name(enum tars_compare_window w);
enum tars_compare_window tars_compare_window_parse(const char *name);

/* The smallest number of samples a side needs before a metric is judged
 * (docs/compare.md "Minimum sample sizes"): 60 for a median, an error rate
 * or a throughput; for a latency percentile q also at least 10 samples above
 * it, 10 / (1 - q/100): 200 for p95, 1000 for p99. */
#define TARS_CMP_MIN_SAMPLES 60
uint64_t tars_compare_min_samples(double percentile);

/* A closed-model load whose users spent less than this share of their time
 * waiting on responses (Little's law: rps x mean latency / users) is bound by
 * its think time: its throughput is reported, never judged. */
#define TARS_CMP_BUSY_MIN 0.5

/* Reads path: a directory (its run.json), a run.json-like file, or a load
 * result file. *out is a new reference shaped like run.json. TARS_EINVAL or
 * TARS_ENOTFOUND with the path in the message. */
int tars_compare_input_load(const char *path, json_t **out, struct tars_err *err) TARS_MUST_CHECK;

/* Compares two run-shaped documents (borrowed). TARS_EINVAL when an entry is
 * malformed (a load result that does not read back), or when the two share
 * nothing to compare ("mismatched"). out is filled on success and must be
 * released with tars_compare_result_release (also after a failure). */
int tars_compare_runs(json_t *baseline, json_t *current, const struct tars_compare_options *o,
                      struct tars_compare_result *out, struct tars_err *err) TARS_MUST_CHECK;
void tars_compare_result_release(struct tars_compare_result *r);

/* {"baseline","current","metrics":[{"name","baseline","current","delta_pct",
 * "direction","threshold_pct","p_value","effect","verdict"}],"judged",
 * "passed","score","verdict","alpha","latency_floor_ms","cutoffs"}; missing
 * numbers are null. New reference, NULL when out of memory. */
json_t *tars_compare_to_json(const struct tars_compare_result *r, const char *baseline_label,
                             const char *current_label, const struct tars_compare_options *o);

/* Building blocks, exposed for tests. */
/* Two-sided two-proportion z test (pooled); 1 when there is no variance. */
double tars_compare_proportion_p(double fail_a, double n_a, double fail_b, double n_b);
/* Judges one metric from its figures (m->baseline, current, direction,
 * threshold_pct, p_value, kind set): fills delta_pct and verdict. */
void tars_compare_judge(struct tars_compare_metric *m, const struct tars_compare_options *o);
/* Adds m to r (copied); score and verdict are computed by tars_compare_finish. */
void tars_compare_add(struct tars_compare_result *r, const struct tars_compare_metric *m);
void tars_compare_finish(struct tars_compare_result *r, const struct tars_compare_options *o);

#endif
