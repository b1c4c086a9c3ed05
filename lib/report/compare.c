/* `tars compare`: options, the per-metric rule, the score and the JSON form
 * (the rule itself is stated in tars/compare.h and docs/compare.md). */
#include "tars/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"

static const char *const kind_names[TARS_CMP_KIND_COUNT] = {
    [TARS_CMP_LATENCY] = "latency",       [TARS_CMP_ERRORS] = "errors",
    [TARS_CMP_THROUGHPUT] = "throughput", [TARS_CMP_CHECKS] = "checks",
    [TARS_CMP_MEMORY] = "memory",         [TARS_CMP_CPU] = "cpu",
    [TARS_CMP_TRACE] = "trace",           [TARS_CMP_LOSS] = "loss",
};

const char *tars_compare_kind_name(enum tars_compare_kind k)
{
    return (unsigned)k < TARS_CMP_KIND_COUNT ? kind_names[k] : "?";
}

const char *tars_compare_verdict_name(enum tars_compare_verdict v)
{
    switch (v) {
    case TARS_CMP_PASS: return "pass";
    case TARS_CMP_HIGH: return "high";
    case TARS_CMP_LOW: return "low";
    case TARS_CMP_NODATA: return "nodata";
    case TARS_CMP_FEW: return "too_few_samples";
    case TARS_CMP_REPORTED: return "reported";
    }
    return "?";
}

const char *tars_compare_overall_name(enum tars_compare_overall v)
{
    switch (v) {
    case TARS_CMP_OVERALL_PASS: return "pass";
    case TARS_CMP_OVERALL_MARGINAL: return "marginal";
    case TARS_CMP_OVERALL_FAIL: return "fail";
    case TARS_CMP_OVERALL_INCONCLUSIVE: return "inconclusive";
    }
    return "?";
}

void tars_compare_options_init(struct tars_compare_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threshold_pct[TARS_CMP_LATENCY] = 10;
    o->threshold_pct[TARS_CMP_ERRORS] = 5;
    o->threshold_pct[TARS_CMP_THROUGHPUT] = 25; /* docs/compare.md "Calibration" */
    o->threshold_pct[TARS_CMP_CHECKS] = 0;
    o->threshold_pct[TARS_CMP_MEMORY] = 20;
    o->threshold_pct[TARS_CMP_CPU] = 15;
    o->threshold_pct[TARS_CMP_TRACE] = 5;
    o->threshold_pct[TARS_CMP_LOSS] = 0;
    o->alpha = 0.05;
    o->latency_floor_ms = 2;
    o->pass_cutoff = 95;
    o->marginal_cutoff = 75;
}

/* A number in [lo, hi] with an optional trailing '%'; false otherwise. */
static bool parse_number(const char *s, double lo, double hi, bool percent_ok, double *out)
{
    char *end;
    double v;

    if (!s || !*s)
        return false;
    v = strtod(s, &end);
    if (end == s)
        return false;
    if (percent_ok && *end == '%')
        end++;
    if (*end || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int tars_compare_threshold_parse(struct tars_compare_options *o, const char *text,
                                 struct tars_err *err)
{
    const char *eq = strchr(text, '=');
    double v;

    if (!eq)
        return tars_err_set(err, TARS_EINVAL, "bad threshold \"%s\" (use e.g. latency=10%%)", text);
    for (int k = 0; k < TARS_CMP_KIND_COUNT; k++) {
        if (strlen(kind_names[k]) != (size_t)(eq - text) ||
            strncmp(kind_names[k], text, (size_t)(eq - text)) != 0)
            continue;
        if (!parse_number(eq + 1, 0, 1000, true, &v))
            return tars_err_set(err, TARS_EINVAL,
                                "bad threshold \"%s\": the value must be a percentage in 0..1000",
                                text);
        o->threshold_pct[k] = v;
        return TARS_OK;
    }
    return tars_err_set(err, TARS_EINVAL,
                        "bad threshold \"%s\": unknown metric kind (latency, errors, throughput, "
                        "checks, memory, cpu, trace, loss)",
                        text);
}

int tars_compare_cutoffs_parse(struct tars_compare_options *o, const char *text,
                               struct tars_err *err)
{
    double pass = o->pass_cutoff, marginal = o->marginal_cutoff;
    char item[64];
    const char *p = text;

    while (*p) {
        size_t n = strcspn(p, ",");
        double v;

        if (n == 0 || n >= sizeof(item))
            return tars_err_set(err, TARS_EINVAL, "bad cutoffs \"%s\"", text);
        memcpy(item, p, n);
        item[n] = '\0';
        if (strncmp(item, "pass=", 5) == 0 && parse_number(item + 5, 0, 100, false, &v))
            pass = v;
        else if (strncmp(item, "marginal=", 9) == 0 && parse_number(item + 9, 0, 100, false, &v))
            marginal = v;
        else
            return tars_err_set(err, TARS_EINVAL,
                                "bad cutoffs \"%s\" (use e.g. pass=95,marginal=75, each 0..100)",
                                text);
        p += n;
        if (*p == ',')
            p++;
    }
    if (marginal > pass)
        return tars_err_set(err, TARS_EINVAL, "bad cutoffs \"%s\": marginal above pass", text);
    o->pass_cutoff = pass;
    o->marginal_cutoff = marginal;
    return TARS_OK;
}

double tars_compare_proportion_p(double fail_a, double n_a, double fail_b, double n_b)
{
    double pooled, se, z;

    if (n_a <= 0 || n_b <= 0)
        return 1;
    pooled = (fail_a + fail_b) / (n_a + n_b);
    se = sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b));
    if (!(se > 0))
        return 1;
    z = fabs(fail_a / n_a - fail_b / n_b) / se;
    return erfc(z / sqrt(2));
}

static double delta_pct(double baseline, double current)
{
    if (baseline == 0)
        return current == 0 ? 0 : (current > 0 ? 100 : -100);
    return (current - baseline) / fabs(baseline) * 100;
}

uint64_t tars_compare_min_samples(double percentile)
{
    double tail = percentile > 0 && percentile < 100 ? ceil(10 / (1 - percentile / 100)) : 0;

    return tail > TARS_CMP_MIN_SAMPLES ? (uint64_t)tail : TARS_CMP_MIN_SAMPLES;
}

/* NODATA, FEW or REPORTED with its reason when m cannot be judged; false when it can. */
static bool unjudged(struct tars_compare_metric *m)
{
    if (!isfinite(m->baseline) || !isfinite(m->current)) {
        snprintf(m->reason, sizeof(m->reason), "no finite value on the %s side",
                 !isfinite(m->baseline) ? "baseline" : "current");
        m->verdict = TARS_CMP_NODATA;
    } else if (m->min_samples &&
               (m->n_baseline < m->min_samples || m->n_current < m->min_samples)) {
        snprintf(m->reason, sizeof(m->reason),
                 "too few samples (n = %llu and %llu; at least %llu a side)",
                 (unsigned long long)m->n_baseline, (unsigned long long)m->n_current,
                 (unsigned long long)m->min_samples);
        m->verdict = TARS_CMP_FEW;
    } else if (m->tested && isnan(m->p_value)) {
        snprintf(m->reason, sizeof(m->reason), "the significance test could not run");
        m->verdict = TARS_CMP_NODATA;
    } else if (m->report_only) {
        if (!m->reason[0])
            snprintf(m->reason, sizeof(m->reason), "reported, not judged");
        m->verdict = TARS_CMP_REPORTED;
    } else {
        return false;
    }
    return true;
}

void tars_compare_judge(struct tars_compare_metric *m, const struct tars_compare_options *o)
{
    bool worse, significant;

    m->delta_pct =
        isfinite(m->baseline) && isfinite(m->current) ? delta_pct(m->baseline, m->current) : NAN;
    if (unjudged(m))
        return;
    m->reason[0] = '\0';
    if (m->direction == TARS_CMP_LOWER_BETTER)
        worse = m->delta_pct > m->threshold_pct;
    else
        worse = m->delta_pct < -m->threshold_pct;
    if (m->kind == TARS_CMP_LATENCY && fabs(m->current - m->baseline) < o->latency_floor_ms)
        worse = false;
    significant = isnan(m->p_value) || m->p_value < o->alpha;
    if (worse && significant)
        m->verdict = m->current > m->baseline ? TARS_CMP_HIGH : TARS_CMP_LOW;
    else
        m->verdict = TARS_CMP_PASS;
}

void tars_compare_add(struct tars_compare_result *r, const struct tars_compare_metric *m)
{
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->metrics = xrealloc(r->metrics, r->cap * sizeof(*r->metrics));
    }
    r->metrics[r->count++] = *m;
}

void tars_compare_finish(struct tars_compare_result *r, const struct tars_compare_options *o)
{
    r->judged = r->passed = 0;
    for (size_t i = 0; i < r->count; i++) {
        enum tars_compare_verdict v = r->metrics[i].verdict;

        if (v != TARS_CMP_PASS && v != TARS_CMP_HIGH && v != TARS_CMP_LOW)
            continue;
        r->judged++;
        if (r->metrics[i].verdict == TARS_CMP_PASS)
            r->passed++;
    }
    if (r->judged == 0) {
        r->score = NAN;
        r->verdict = TARS_CMP_OVERALL_INCONCLUSIVE;
        return;
    }
    r->score = 100.0 * (double)r->passed / (double)r->judged;
    if (r->score >= o->pass_cutoff)
        r->verdict = TARS_CMP_OVERALL_PASS;
    else if (r->score >= o->marginal_cutoff)
        r->verdict = TARS_CMP_OVERALL_MARGINAL;
    else
        r->verdict = TARS_CMP_OVERALL_FAIL;
}

void tars_compare_result_release(struct tars_compare_result *r)
{
    if (!r)
        return;
    free(r->metrics);
    memset(r, 0, sizeof(*r));
}

static json_t *number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *count_or_null(uint64_t n, uint64_t min)
{
    return min ? json_integer((json_int_t)n) : json_null();
}

static json_t *metric_json(const struct tars_compare_metric *m)
{
    return json_pack(
        "{s:s,s:s,s:o,s:o,s:o,s:s,s:f,s:o,s:o,s:o,s:o,s:o,s:s,s:s?}", "name", m->name, "kind",
        tars_compare_kind_name(m->kind), "baseline", number_or_null(m->baseline), "current",
        number_or_null(m->current), "delta_pct", number_or_null(m->delta_pct), "direction",
        m->direction == TARS_CMP_LOWER_BETTER ? "lower" : "higher", "threshold_pct",
        m->threshold_pct, "p_value", number_or_null(m->p_value), "effect",
        number_or_null(m->effect), "n_baseline", count_or_null(m->n_baseline, m->min_samples),
        "n_current", count_or_null(m->n_current, m->min_samples), "min_samples",
        m->min_samples ? json_integer((json_int_t)m->min_samples) : json_null(), "verdict",
        tars_compare_verdict_name(m->verdict), "reason", m->reason[0] ? m->reason : NULL);
}

static const char *const window_names[] = {"unknown", "same", "cross-time"};

const char *tars_compare_window_name(enum tars_compare_window w)
{
    return (unsigned)w <= TARS_CMP_WINDOW_CROSS ? window_names[w] : "unknown";
}

enum tars_compare_window tars_compare_window_parse(const char *name)
{
    for (int w = TARS_CMP_WINDOW_UNKNOWN; name && w <= TARS_CMP_WINDOW_CROSS; w++)
        if (strcmp(name, window_names[w]) == 0)
            return (enum tars_compare_window)w;
    return TARS_CMP_WINDOW_UNKNOWN;
}

void tars_compare_window_text(enum tars_compare_window w, double apart_s, char *buf, size_t cap)
{
    double a = fabs(apart_s);
    char span[64];

    if (w == TARS_CMP_WINDOW_SAME) {
        snprintf(buf, cap, "side by side (measured in the same window)");
        return;
    }
    if (w != TARS_CMP_WINDOW_CROSS || !isfinite(apart_s)) {
        snprintf(buf, cap, "measurement times unknown (a side has no timed load)");
        return;
    }
    if (a >= 86400)
        snprintf(span, sizeof(span), "%.0f d %.0f h", floor(a / 86400),
                 floor(fmod(a, 86400) / 3600));
    else if (a >= 3600)
        snprintf(span, sizeof(span), "%.0f h %.0f min", floor(a / 3600), floor(fmod(a, 3600) / 60));
    else if (a >= 60)
        snprintf(span, sizeof(span), "%.0f min %.0f s", floor(a / 60), floor(fmod(a, 60)));
    else
        snprintf(span, sizeof(span), "%.1f s", a);
    snprintf(buf, cap, "cross-time: the current run started %s %s the baseline", span,
             apart_s >= 0 ? "after" : "before");
}

static json_t *window_json(const struct tars_compare_result *r)
{
    return json_pack("{s:s,s:o}", "kind", tars_compare_window_name(r->window), "apart_s",
                     number_or_null(r->apart_s));
}

json_t *tars_compare_to_json(const struct tars_compare_result *r, const char *baseline_label,
                             const char *current_label, const struct tars_compare_options *o)
{
    json_t *metrics = json_array(), *out;

    if (!metrics)
        return NULL;
    for (size_t i = 0; i < r->count; i++) {
        json_t *m = metric_json(&r->metrics[i]);

        if (!m || json_array_append_new(metrics, m) != 0) {
            json_decref(metrics);
            return NULL;
        }
    }
    out = json_pack("{s:s,s:s,s:o,s:I,s:I,s:o,s:s,s:o,s:f,s:f,s:{s:f,s:f}}", "baseline",
                    baseline_label, "current", current_label, "metrics", metrics, "judged",
                    (json_int_t)r->judged, "passed", (json_int_t)r->passed, "score",
                    number_or_null(r->score), "verdict", tars_compare_overall_name(r->verdict),
                    "window", window_json(r), "alpha", o->alpha, "latency_floor_ms",
                    o->latency_floor_ms, "cutoffs", "pass", o->pass_cutoff, "marginal",
                    o->marginal_cutoff);
    return out;
}
