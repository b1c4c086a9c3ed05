/*
 * One rule for every threshold evaluator (tars load, tars ws-stress,
 * tars db-bench): a measured figure against a limit. No data is never a
 * pass: a NaN or infinite figure (nothing measured, a division by zero) or
 * limit gives TARS_JUDGE_NO_DATA, which commands report as inconclusive
 * (exit 2) naming what was missing, never as a pass or a silent failure.
 * Part of lib/stats.
 */
#ifndef TARS_JUDGE_H
#define TARS_JUDGE_H

#include <stddef.h>

#include "tars/err.h"

enum tars_judgement { TARS_JUDGE_PASS, TARS_JUDGE_FAIL, TARS_JUDGE_NO_DATA };

/* The comparison a threshold asks for: measured < limit, <=, >, >=; == and !=
 * only where a caller allows them (check conditions; thresholds do not). */
enum tars_judge_op {
    TARS_JUDGE_LT,
    TARS_JUDGE_LE,
    TARS_JUDGE_GT,
    TARS_JUDGE_GE,
    TARS_JUDGE_EQ,
    TARS_JUDGE_NE
};

/* measured op limit; TARS_JUDGE_NO_DATA when either is not finite or op is
 * not one of enum tars_judge_op. */
enum tars_judgement tars_judge(double measured, int op, double limit);

/* One threshold judged: what was measured (NaN when nothing was) and, for
 * TARS_JUDGE_NO_DATA, what was missing ("no request was sent"). */
struct tars_judged {
    enum tars_judgement outcome;
    double measured;
    char missing[128];
};

/* Fills j: measured, tars_judge's outcome, and missing (why, or "" when
 * judged) -- when measured is not finite and why is NULL, a sentence naming
 * the value ("the measured value is nan"). */
void tars_judged_set(struct tars_judged *j, double measured, int op, double limit, const char *why);

/* "pass", "FAIL", "n/a" (fixed strings, for tables). */
const char *tars_judgement_word(enum tars_judgement j);
/* "pass", "fail", "no_data" (for JSON "outcome" fields). */
const char *tars_judgement_name(enum tars_judgement j);

/* ---- threshold expressions (limit.c) ----------------------------------
 * The one parser of "subject op value[unit]" for every command that takes
 * thresholds (tars load, tars ws-stress, tars db-bench) and of the
 * comparison words of check conditions. Each caller brings its own metric
 * table; the kind of a metric decides which units its value may carry and
 * what a bare number means:
 *   TARS_LIMIT_TIME   ms, s or us; a bare number is milliseconds (k6's rule,
 *                     and the unit every latency table prints); stored in ns
 *   TARS_LIMIT_RATIO  % or a bare fraction (0.01 = 1%), at most 1
 *   TARS_LIMIT_COUNT  a bare number (counts, rates per second)
 * A length of time to spend (a run's duration, a timeout: tars_duration_parse)
 * is not a limit: there a bare number stays seconds (docs/load-format.md). */

enum tars_limit_kind { TARS_LIMIT_TIME, TARS_LIMIT_RATIO, TARS_LIMIT_COUNT };

/* One row of a caller's metric table. */
struct tars_limit_metric {
    const char *name;
    int id; /* the caller's own metric number */
    enum tars_limit_kind kind;
};

/* Reads a comparison at the start of s: "<", "<=", ">", ">=", "==", "!=";
 * sets *op and returns how many characters it took, 0 when s starts with none. */
size_t tars_judge_op_read(const char *s, int *op);
/* A whole word that is one comparison ("<=" yes, "<= " no); TARS_EINVAL otherwise. */
int tars_judge_op_parse(const char *word, int *op);
/* The comparison as written: "<", "<=", ... ("?" for none). */
const char *tars_judge_op_text(int op);

/* A threshold expression split at its comparison, blanks trimmed; the spans
 * point into the text given. Only <, <=, > and >= are thresholds. */
struct tars_limit_parts {
    const char *subject;
    size_t subject_len;
    int op;
    const char *value;
    size_t value_len;
};
/* Splits text ("p95 < 150ms"); TARS_EINVAL with err naming text and the form
 * expected (form, e.g. "metric <, <=, > or >= value, e.g. p95<150ms"). */
int tars_limit_split(const char *text, const char *form, struct tars_limit_parts *out,
                     struct tars_err *err) TARS_MUST_CHECK;

/* [*s, *s + *len) without blanks at either end. */
void tars_limit_trim(const char **s, size_t *len);

/* The row of table named [name, name+len), or NULL. */
const struct tars_limit_metric *tars_limit_metric_find(const struct tars_limit_metric *table,
                                                       size_t count, const char *name, size_t len);
/* TARS_EINVAL, err: bad threshold "text": unknown metric "name" (use a, b or c). */
int tars_limit_unknown_metric(const char *text, const char *name, size_t len,
                              const struct tars_limit_metric *table, size_t count,
                              struct tars_err *err);

/* The value [s, s+len) ("150ms", "1%", "0.5") for metric m into *value, in
 * the kind's stored unit (ns, fraction, plain). Digits and one '.' only (no
 * sign, no exponent), then an optional unit; text names the threshold in
 * errors. */
int tars_limit_value(const char *text, const char *s, size_t len, const struct tars_limit_metric *m,
                     double *value, struct tars_err *err) TARS_MUST_CHECK;

/* The unit stored values of kind are in, as run records name it: "ns", "fraction", "count". */
const char *tars_limit_unit(enum tars_limit_kind kind);

/* The whole simple form "metric op value[unit]" against table. */
struct tars_limit {
    const struct tars_limit_metric *metric;
    int op;       /* enum tars_judge_op, one of the four */
    double value; /* in tars_limit_unit(metric->kind) */
};
int tars_limit_parse(const char *text, const struct tars_limit_metric *table, size_t count,
                     struct tars_limit *out, struct tars_err *err) TARS_MUST_CHECK;

#endif
