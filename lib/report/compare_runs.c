/* `tars compare`: the metrics of two run-shaped documents (loads, checks,
 * ws, db), each judged by tars_compare_judge. */
#include "tars/compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tars/hist.h"
#include "tars/load.h"
#include "tars/stats.h"

struct ctx {
    const struct tars_compare_options *o;
    struct tars_compare_result *r;
    const char *prefix; /* "" or "<load>/" */
};

/* How a metric is sampled: counts a side, the minimum, whether it has a test,
 * and a reason when it is reported but never judged. */
struct sampling {
    uint64_t n_base, n_cur, min;
    bool tested;
    const char *report_only; /* NULL: judged */
};

static const struct sampling unsampled = {0, 0, 0, false, NULL};

static void add_metric(struct ctx *c, const char *what, const char *figure,
                       enum tars_compare_kind kind, enum tars_compare_direction dir, double base,
                       double cur, double p_value, double effect, const struct sampling *s)
{
    struct tars_compare_metric m;

    memset(&m, 0, sizeof(m));
    snprintf(m.name, sizeof(m.name), "%s%s %s", c->prefix, what, figure);
    m.kind = kind;
    m.direction = dir;
    m.baseline = base;
    m.current = cur;
    m.threshold_pct = c->o->threshold_pct[kind];
    m.p_value = p_value;
    m.effect = effect;
    m.n_baseline = s->n_base;
    m.n_current = s->n_cur;
    m.min_samples = s->min;
    m.tested = s->tested;
    m.report_only = s->report_only != NULL;
    if (s->report_only)
        snprintf(m.reason, sizeof(m.reason), "%s", s->report_only);
    tars_compare_judge(&m, c->o);
    tars_compare_add(c->r, &m);
}

/* p50/p95/p99 with one Mann-Whitney test of current against baseline; each
 * percentile needs its own minimum of samples a side. */
static void add_latency(struct ctx *c, const char *what, const tars_hist *base,
                        const tars_hist *cur)
{
    static const double pct[] = {50, 95, 99};
    static const char *const names[] = {"p50_ms", "p95_ms", "p99_ms"};
    struct tars_stats_comparison mw = {0, NAN, 0, NAN};
    bool have = base && cur && tars_hist_count(base) > 0 && tars_hist_count(cur) > 0;
    bool tested = have;

    if (have && tars_stats_compare(cur, base, &mw, NULL) != TARS_OK)
        mw.p_value = NAN;
    for (size_t i = 0; i < 3; i++) {
        double b = have ? (double)tars_hist_percentile(base, pct[i]) / 1e6 : NAN;
        double v = have ? (double)tars_hist_percentile(cur, pct[i]) / 1e6 : NAN;
        struct sampling s = {base ? tars_hist_count(base) : 0, cur ? tars_hist_count(cur) : 0,
                             tars_compare_min_samples(pct[i]), tested, NULL};

        add_metric(c, what, names[i], TARS_CMP_LATENCY, TARS_CMP_LOWER_BETTER, b, v,
                   have ? mw.p_value : NAN, have ? mw.effect : NAN, &s);
    }
}

static double rps(const struct tars_load_task_result *t, int64_t duration_ms)
{
    return duration_ms > 0 ? (double)t->requests / ((double)duration_ms / 1000) : NAN;
}

/* The share of the time a closed model's users spent waiting on responses
 * (Little's law: requests/s x mean latency in s / users); NAN when unknown. */
static double busy_share(const struct tars_load_result *r)
{
    double rate = rps(&r->total, r->duration_ms);

    if (r->users <= 0 || !r->total.latency || tars_hist_count(r->total.latency) == 0)
        return NAN;
    return rate * tars_hist_mean(r->total.latency) / 1e9 / (double)r->users;
}

/* Why the throughput of loads b and v carries no signal (written to why), or
 * NULL when it does: docs/compare.md "Throughput". */
static const char *throughput_unjudged(const struct tars_load_result *b,
                                       const struct tars_load_result *v, char *why, size_t cap)
{
    double sb, sv;

    if (b->model != v->model)
        snprintf(why, cap, "the runs used different load models: not comparable");
    else if (b->generator_saturated || v->generator_saturated)
        snprintf(why, cap,
                 "the load generator was saturated on the %s side: it, not the target, "
                 "set the rate",
                 b->generator_saturated ? "baseline" : "current");
    else if (b->model == TARS_LOAD_OPEN)
        snprintf(why, cap, "open model: the offered rate sets it (judged as achieved_pct)");
    else if (sb = busy_share(b), sv = busy_share(v),
             !(sb >= TARS_CMP_BUSY_MIN) || !(sv >= TARS_CMP_BUSY_MIN))
        snprintf(why, cap,
                 "closed model bound by think time: users waited on responses %.0f%% and %.0f%% "
                 "of the time (judged from %.0f%%)",
                 isnan(sb) ? 0 : 100 * sb, isnan(sv) ? 0 : 100 * sv, 100 * TARS_CMP_BUSY_MIN);
    else
        return NULL;
    return why;
}

struct side {
    const struct tars_load_task_result *t;
    int64_t ms;
};

static void add_task(struct ctx *c, const char *what, struct side b, struct side v,
                     const char *throughput_why)
{
    double nb = (double)b.t->requests, nv = (double)v.t->requests;
    bool have = nb > 0 && nv > 0;
    struct sampling counted = {b.t->requests, v.t->requests, TARS_CMP_MIN_SAMPLES, true, NULL};

    add_latency(c, what, b.t->latency, v.t->latency);
    add_metric(c, what, "errors_pct", TARS_CMP_ERRORS, TARS_CMP_LOWER_BETTER,
               have ? 100 * (double)b.t->failures / nb : NAN,
               have ? 100 * (double)v.t->failures / nv : NAN,
               have
                   ? tars_compare_proportion_p((double)b.t->failures, nb, (double)v.t->failures, nv)
                   : NAN,
               NAN, &counted);
    counted.tested = false;
    counted.report_only = throughput_why;
    add_metric(c, what, "rps", TARS_CMP_THROUGHPUT, TARS_CMP_HIGHER_BETTER,
               have ? rps(b.t, b.ms) : NAN, have ? rps(v.t, v.ms) : NAN, NAN, NAN, &counted);
}

/* Open model: the achieved share of the offered rate, the throughput figure
 * that carries a signal there. */
static void add_achieved(struct ctx *c, const struct tars_load_result *b,
                         const struct tars_load_result *v)
{
    struct sampling s = {b->total.requests, v->total.requests, TARS_CMP_MIN_SAMPLES, false, NULL};
    double ab = b->rate > 0 ? 100 * rps(&b->total, b->duration_ms) / b->rate : NAN;
    double av = v->rate > 0 ? 100 * rps(&v->total, v->duration_ms) / v->rate : NAN;

    if (b->generator_saturated || v->generator_saturated)
        s.report_only = "the load generator was saturated: it, not the target, set the rate";
    add_metric(c, "total", "achieved_pct", TARS_CMP_THROUGHPUT, TARS_CMP_HIGHER_BETTER, ab, av, NAN,
               NAN, &s);
}

static void add_load(struct ctx *c, const struct tars_load_result *b,
                     const struct tars_load_result *v)
{
    char why[160];
    const char *tp = throughput_unjudged(b, v, why, sizeof(why));

    add_task(c, "total", (struct side){&b->total, b->duration_ms},
             (struct side){&v->total, v->duration_ms}, tp);
    if (b->model == TARS_LOAD_OPEN && v->model == TARS_LOAD_OPEN)
        add_achieved(c, b, v);
    if (b->task_count < 2 && v->task_count < 2)
        return;
    for (size_t i = 0; i < b->task_count; i++) {
        const struct tars_load_task_result *t = tars_load_result_task(v, b->tasks[i].name);

        if (t)
            add_task(c, b->tasks[i].name, (struct side){&b->tasks[i], b->duration_ms},
                     (struct side){t, v->duration_ms}, tp);
    }
}

/* The results of every "loads" entry named name, merged (exactly); *found
 * false when there is none. */
static int merged_load(json_t *run, const char *name, struct tars_load_result *out, bool *found,
                       struct tars_err *err)
{
    json_t *entry;
    size_t i;
    int rc = TARS_OK;

    *found = false;
    memset(out, 0, sizeof(*out));
    json_array_foreach(json_object_get(run, "loads"), i, entry) {
        struct tars_load_result one;
        const char *n = json_string_value(json_object_get(entry, "name"));

        if (!n || strcmp(n, name) != 0)
            continue;
        if ((rc = tars_load_result_from_json(json_object_get(entry, "result"), &one, err)))
            break;
        if (!*found) {
            *out = one;
            *found = true;
            continue;
        }
        rc = tars_load_result_merge(out, &one, err);
        tars_load_result_release(&one);
        if (rc)
            break;
    }
    if (rc)
        tars_load_result_release(out);
    return rc;
}

/* Distinct load names of a run, in order, into names (at most cap). */
static size_t load_names(json_t *run, const char **names, size_t cap)
{
    json_t *entry;
    size_t i, n = 0;

    json_array_foreach(json_object_get(run, "loads"), i, entry) {
        const char *name = json_string_value(json_object_get(entry, "name"));
        size_t k = 0;

        while (name && k < n && strcmp(names[k], name) != 0)
            k++;
        if (name && k == n && n < cap)
            names[n++] = name;
    }
    return n;
}

static int compare_pair(struct ctx *c, json_t *base, const char *bname, json_t *cur,
                        const char *cname, struct tars_err *err)
{
    struct tars_load_result b, v;
    bool fb, fv;
    int rc = merged_load(base, bname, &b, &fb, err);

    if (rc)
        return rc;
    if ((rc = merged_load(cur, cname, &v, &fv, err))) {
        tars_load_result_release(&b);
        return rc;
    }
    if (fb && fv)
        add_load(c, &b, &v);
    tars_load_result_release(&b);
    tars_load_result_release(&v);
    return TARS_OK;
}

#define MAX_LOADS 64

static int compare_loads(struct ctx *c, json_t *base, json_t *cur, struct tars_err *err)
{
    const char *bn[MAX_LOADS], *cn[MAX_LOADS];
    size_t nb = load_names(base, bn, MAX_LOADS), nc = load_names(cur, cn, MAX_LOADS);
    char prefix[TARS_CMP_NAME_MAX];
    int rc = TARS_OK;

    if (nb == 1 && nc == 1) {
        c->prefix = "";
        return compare_pair(c, base, bn[0], cur, cn[0], err);
    }
    for (size_t i = 0; i < nb && rc == TARS_OK; i++) {
        snprintf(prefix, sizeof(prefix), "%s/", bn[i]);
        c->prefix = prefix;
        rc = compare_pair(c, base, bn[i], cur, bn[i], err);
    }
    c->prefix = "";
    return rc;
}

static double pass_count(json_t *run)
{
    json_t *pass =
        json_object_get(json_object_get(json_object_get(run, "checks"), "counts"), "pass");

    return json_is_integer(pass) ? (double)json_integer_value(pass) : NAN;
}

static void compare_checks(struct ctx *c, json_t *base, json_t *cur)
{
    if (!json_object_get(base, "checks") || !json_object_get(cur, "checks"))
        return;
    add_metric(c, "checks", "pass", TARS_CMP_CHECKS, TARS_CMP_HIGHER_BETTER, pass_count(base),
               pass_count(cur), NAN, NAN, &unsampled);
}

static void compare_sections(struct ctx *c, json_t *base, json_t *cur);

/* The span [*start, *end] (ms since the epoch) of a run's timed loads; false
 * when it has none. */
static bool load_span(json_t *run, double *start, double *end)
{
    json_t *entry;
    size_t i;
    bool any = false;

    json_array_foreach(json_object_get(run, "loads"), i, entry) {
        json_t *res = json_object_get(entry, "result");
        json_t *at = json_object_get(res, "started_at_ms"),
               *ms = json_object_get(res, "duration_ms");
        double s, e;

        if (!json_is_integer(at) || !json_is_integer(ms) || json_integer_value(at) <= 0)
            continue;
        s = (double)json_integer_value(at);
        e = s + (double)json_integer_value(ms);
        *start = any ? fmin(*start, s) : s;
        *end = any ? fmax(*end, e) : e;
        any = true;
    }
    return any;
}

/* Side by side (the measurement windows overlap) or cross-time, and how far apart. */
static void set_window(struct tars_compare_result *r, json_t *base, json_t *cur)
{
    double bs, be, cs, ce;

    r->window = TARS_CMP_WINDOW_UNKNOWN;
    r->apart_s = NAN;
    if (!load_span(base, &bs, &be) || !load_span(cur, &cs, &ce))
        return;
    r->apart_s = (cs - bs) / 1000;
    r->window = bs < ce && cs < be ? TARS_CMP_WINDOW_SAME : TARS_CMP_WINDOW_CROSS;
}

int tars_compare_runs(json_t *baseline, json_t *current, const struct tars_compare_options *o,
                      struct tars_compare_result *out, struct tars_err *err)
{
    struct ctx c = {o, out, ""};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = compare_loads(&c, baseline, current, err)))
        return rc;
    compare_checks(&c, baseline, current);
    compare_sections(&c, baseline, current);
    if (out->count == 0)
        return tars_err_set(err, TARS_EINVAL,
                            "nothing to compare: the two inputs share no load (by name), "
                            "checks, ws or db section");
    tars_compare_finish(out, o);
    set_window(out, baseline, current);
    return TARS_OK;
}

/* ---- ws and db sections (docs/compare.md §ws and db) ---- */

/* p95 of an entry: its "latency" histogram, else its "p95_ms" number. */
static bool entry_p95(json_t *entry, double *ms, tars_hist **hist)
{
    json_t *h = json_object_get(entry, "latency"), *p95 = json_object_get(entry, "p95_ms");

    *hist = NULL;
    if (json_is_object(h) && tars_hist_from_json(h, hist, NULL) == TARS_OK &&
        tars_hist_count(*hist) > 0) {
        *ms = (double)tars_hist_percentile(*hist, 95) / 1e6;
        return true;
    }
    tars_hist_free(*hist);
    *hist = NULL;
    if (json_is_number(p95)) {
        *ms = json_number_value(p95);
        return true;
    }
    return false;
}

static void add_p95(struct ctx *c, const char *what, json_t *b, json_t *v)
{
    tars_hist *hb = NULL, *hv = NULL;
    double mb = NAN, mv = NAN;
    struct tars_stats_comparison mw = {0, NAN, 0, NAN};
    bool have_b = entry_p95(b, &mb, &hb), have_v = entry_p95(v, &mv, &hv);
    bool have = have_b && have_v;
    struct sampling s = {hb ? tars_hist_count(hb) : 0, hv ? tars_hist_count(hv) : 0,
                         tars_compare_min_samples(95), hb && hv, NULL};

    if (!have && !json_object_get(b, "p95_ms") && !json_object_get(b, "latency"))
        goto out;
    if (hb && hv && tars_stats_compare(hv, hb, &mw, NULL) != TARS_OK)
        mw.p_value = NAN;
    if (have && !(hb && hv))
        s.report_only = "a bare figure without its samples (no histogram): reported, not judged";
    add_metric(c, what, "p95_ms", TARS_CMP_LATENCY, TARS_CMP_LOWER_BETTER, have ? mb : NAN,
               have ? mv : NAN, hb && hv ? mw.p_value : NAN, hb && hv ? mw.effect : NAN, &s);
out:
    tars_hist_free(hb);
    tars_hist_free(hv);
}

static json_t *named(json_t *array, const char *name)
{
    json_t *e;
    size_t i;

    json_array_foreach(array, i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));

        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

/* A section entry's body: its "result" object when it has one. */
static json_t *body_of(json_t *entry)
{
    json_t *r = json_object_get(entry, "result");

    return json_is_object(r) ? r : entry;
}

static void compare_ws(struct ctx *c, json_t *base, json_t *cur)
{
    json_t *bs = json_object_get(base, "ws"), *cs = json_object_get(cur, "ws"), *e;
    size_t i;

    json_array_foreach(bs, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        json_t *other = name ? named(cs, name) : NULL;
        char what[TARS_CMP_NAME_MAX];
        json_t *lb, *lc;

        if (!other && json_array_size(bs) == 1 && json_array_size(cs) == 1)
            other = json_array_get(cs, 0);
        if (!other)
            continue;
        snprintf(what, sizeof(what), "ws/%s", name ? name : "ws");
        add_p95(c, what, body_of(e), body_of(other));
        lb = json_object_get(body_of(e), "loss_pct");
        lc = json_object_get(body_of(other), "loss_pct");
        if (json_is_number(lb) || json_is_number(lc))
            add_metric(c, what, "loss_pct", TARS_CMP_LOSS, TARS_CMP_LOWER_BETTER,
                       json_is_number(lb) ? json_number_value(lb) : NAN,
                       json_is_number(lc) ? json_number_value(lc) : NAN, NAN, NAN, &unsampled);
    }
}

static void compare_db(struct ctx *c, json_t *base, json_t *cur)
{
    json_t *bs = json_object_get(base, "db"), *cs = json_object_get(cur, "db"), *e, *f;
    size_t i, j;

    json_array_foreach(bs, i, e) {
        json_t *other = json_array_get(cs, i);

        json_array_foreach(json_object_get(body_of(e), "families"), j, f) {
            const char *name = json_string_value(json_object_get(f, "name"));
            json_t *g =
                name && other ? named(json_object_get(body_of(other), "families"), name) : NULL;
            char what[TARS_CMP_NAME_MAX];

            if (!g)
                continue;
            snprintf(what, sizeof(what), "db/%s", name);
            add_p95(c, what, f, g);
        }
    }
}

static void compare_sections(struct ctx *c, json_t *base, json_t *cur)
{
    compare_ws(c, base, cur);
    compare_db(c, base, cur);
}
