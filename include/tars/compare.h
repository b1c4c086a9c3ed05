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
 * Score = 100 * passing / judged (judged = metrics that are not nodata).
 * Verdict: pass when score >= pass cutoff, marginal when >= marginal
 * cutoff, else fail; inconclusive when nothing could be judged.
 */
#ifndef TARS_COMPARE_H
#define TARS_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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

enum tars_compare_verdict { TARS_CMP_PASS, TARS_CMP_HIGH, TARS_CMP_LOW, TARS_CMP_NODATA };
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
    double latency_floor_ms;                   /* smaller latency changes never fail; default 1 */
    double pass_cutoff;                        /* score >= this: pass (default 95) */
    double marginal_cutoff;                    /* score >= this: marginal (default 75) */
};

/* The defaults above; thresholds as the original drift detector: latency
 * 10, errors 5, memory 20, CPU 15, trace 5; throughput 10, checks 0, loss 0. */
void tars_compare_options_init(struct tars_compare_options *o);
/* "latency=10%" (the % is optional; 0..1000). TARS_EINVAL naming the text. */
int tars_compare_threshold_parse(struct tars_compare_options *o, const char *text,
                                 struct tars_err *err) TARS_MUST_CHECK;
/* "pass=90,marginal=70" (either or both; 0..100, marginal <= pass). */
int tars_compare_cutoffs_parse(struct tars_compare_options *o, const char *text,
                               struct tars_err *err) TARS_MUST_CHECK;

#define TARS_CMP_NAME_MAX 200

struct tars_compare_metric {
    char name[TARS_CMP_NAME_MAX];      /* "quick total p95_ms", "checks pass" */
    enum tars_compare_kind kind;
    enum tars_compare_direction direction;
    double baseline, current;          /* NAN when missing */
    double delta_pct;                  /* NAN when either is missing */
    double threshold_pct;
    double p_value;                    /* NAN when the metric has no test */
    double effect;                     /* latency: P(current > baseline) + ties/2; NAN otherwise */
    enum tars_compare_verdict verdict;
};

struct tars_compare_result {
    struct tars_compare_metric *metrics;
    size_t count, cap;
    size_t judged, passed;
    double score;                      /* 0..100; NAN when nothing was judged */
    enum tars_compare_overall verdict;
};

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
