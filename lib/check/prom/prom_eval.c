/*
 * Judging Prometheus answers: a condition applied to every sample of every
 * series of an instant query, rule names present in /api/v1/rules (or in a
 * rules file), and rule-group health. Pure functions over parsed JSON.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "prom_int.h"
#include "tars/judge.h"
#include "tars/str.h"

#define NAME_MAX_SHOWN 120

/* A bounded reason being written. */
struct reason {
    char *buf;
    size_t size, len;
};

static void reason_add(struct reason *r, const char *fmt, ...) TARS_PRINTF(2, 3);

static void reason_add(struct reason *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (r->len + 1 >= r->size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(r->buf + r->len, r->size - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len = r->len + (size_t)n < r->size ? r->len + (size_t)n : r->size - 1;
}

/* ---- conditions ---- */

static const char *const condition_ops[] = {"<", "<=", ">", ">=", "==", "!=", NULL};

/* "< 0.15": an operator and a number. */
static int condition_text(const struct tars_json_reader *rd, json_t *cond,
                          struct prom_condition *out)
{
    const char *text = json_string_value(cond);
    char op[3] = {0};
    size_t n;

    text += strspn(text, " ");
    n = strspn(text, "<>=!");
    if (n > 0 && n <= 2)
        memcpy(op, text, n);
    if (!tars_str_in_list(op, condition_ops))
        return tars_json_fail(rd, cond, TARS_EINVAL,
                              "condition must start with <, <=, >, >=, == or !=, not \"%.32s\"",
                              json_string_value(cond));
    if (tars_parse_double(text + n + strspn(text + n, " "), &out->value) != 0 || isnan(out->value))
        return tars_json_fail(rd, cond, TARS_EINVAL,
                              "condition must be an operator and a number, not \"%.32s\"",
                              json_string_value(cond));
    memcpy(out->op_text, op, sizeof(op));
    return TARS_OK;
}

/* {op, value}. */
static int condition_object(const struct tars_json_reader *rd, json_t *cond,
                            struct prom_condition *out)
{
    static const char *const keys[] = {"op", "value", NULL};
    int op = 0;
    int rc;

    if ((rc = tars_json_check_keys(rd, cond, "condition", keys, NULL)) ||
        (rc = tars_json_get_enum(rd, cond, "op", TARS_JSON_REQUIRED, condition_ops, &op)) ||
        (rc = tars_json_get_double(rd, cond, "value", TARS_JSON_REQUIRED, -HUGE_VAL, HUGE_VAL,
                                   &out->value)))
        return rc;
    snprintf(out->op_text, sizeof(out->op_text), "%s", condition_ops[op]);
    return TARS_OK;
}

int prom_condition_read(const struct tars_json_reader *rd, json_t *cond, struct prom_condition *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (json_is_string(cond))
        rc = condition_text(rd, cond, out);
    else if (json_is_object(cond))
        rc = condition_object(rd, cond, out);
    else
        return tars_json_fail(rd, cond, TARS_EINVAL,
                              "condition must be {op, value} or text such as \"< 0.15\", not %s",
                              tars_json_kind(cond));
    if (rc == TARS_OK && tars_judge_op_parse(out->op_text, &out->op) != 0)
        rc = tars_json_fail(rd, cond, TARS_EINVAL, "condition: unknown operator");
    out->set = rc == TARS_OK;
    return rc;
}

const char *prom_condition_parse(json_t *cond, struct prom_condition *out, char *buf, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_json_reader rd = tars_json_reader_named("parameters", &err, true);

    if (prom_condition_read(&rd, cond, out) == TARS_OK)
        return NULL;
    snprintf(buf, size, "%s", err.msg);
    return buf;
}

/* ---- series ---- */

void prom_series_name(json_t *metric, char *out, size_t size)
{
    struct reason r = {out, size < NAME_MAX_SHOWN ? size : NAME_MAX_SHOWN, 0};
    const char *key, *name = json_string_value(json_object_get(metric, "__name__"));
    json_t *v;
    int shown = 0;

    out[0] = '\0';
    reason_add(&r, "%s{", name ? name : "");
    json_object_foreach(metric, key, v) {
        if (strcmp(key, "__name__") == 0 || !json_is_string(v))
            continue;
        reason_add(&r, "%s%s=\"%s\"", shown++ ? ", " : "", key, json_string_value(v));
    }
    reason_add(&r, "}");
    if (r.len + 1 >= r.size && r.size > 4)
        memcpy(out + r.size - 4, "...", 4);
}

/* What judging saw so far. */
struct tally {
    size_t judged, bad;            /* finite samples, and those that failed the condition */
    size_t nan_empty;              /* NaN samples that mean "no traffic" (nan_is_empty) */
    size_t nan, inf;               /* other NaN and +-Inf samples: nothing to judge */
    const char *items;             /* "series", or "samples" for a range vector */
    double min, max;               /* of the finite samples */
    struct reason failing;         /* the first failing series */
    char odd[NAME_MAX_SHOWN + 32]; /* the first not-finite series and its value */
};

static bool sample_value(json_t *pair, double *v)
{
    const char *s = json_string_value(json_array_get(pair, 1));
    char *end;

    if (!json_is_array(pair) || json_array_size(pair) != 2 || !s)
        return false;
    *v = strtod(s, &end);
    return end != s && *end == '\0';
}

/* A NaN or an infinity is never judged: it is counted, and the first one
 * named, so that the verdict can say what could not be measured. */
static void count_not_finite(const struct prom_judge *j, json_t *metric, double v, struct tally *t)
{
    char name[NAME_MAX_SHOWN];

    if (isnan(v) && j->nan_is_empty) {
        t->nan_empty++;
        return;
    }
    if (t->nan + t->inf == 0) {
        prom_series_name(metric, name, sizeof(name));
        snprintf(t->odd, sizeof(t->odd), "%s %s", name, isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
    }
    if (isnan(v))
        t->nan++;
    else
        t->inf++;
}

static void judge_sample(const struct prom_judge *j, json_t *metric, double raw, struct tally *t)
{
    double v = raw * (j->scale != 0 ? j->scale : 1);
    char name[NAME_MAX_SHOWN];

    if (!isfinite(v)) {
        count_not_finite(j, metric, v, t);
        return;
    }
    if (t->judged++ == 0 || v < t->min)
        t->min = v;
    if (t->judged == 1 || v > t->max)
        t->max = v;
    if (!j->cond.set || tars_judge(v, j->cond.op, j->cond.value) == TARS_JUDGE_PASS)
        return;
    if (t->bad++ < PROM_SHOWN_SERIES) {
        prom_series_name(metric, name, sizeof(name));
        reason_add(&t->failing, "%s%s %.4g%s", t->bad > 1 ? "; " : "", name, v,
                   j->unit ? j->unit : "");
    }
}

/* One series: a vector item (value) or a matrix item (values). */
static bool judge_series(const struct prom_judge *j, json_t *item, struct tally *t)
{
    json_t *metric = json_object_get(item, "metric"), *one = json_object_get(item, "value");
    json_t *many = json_object_get(item, "values"), *pair;
    double v;
    size_t i;

    if (!json_is_object(metric) || (!one && !json_is_array(many)))
        return false;
    if (one) {
        if (!sample_value(one, &v))
            return false;
        judge_sample(j, metric, v, t);
        return true;
    }
    t->items = "samples";
    json_array_foreach(many, i, pair) {
        if (!sample_value(pair, &v))
            return false;
        judge_sample(j, metric, v, t);
    }
    return true;
}

static bool judge_result(const struct prom_judge *j, json_t *data, struct tally *t)
{
    const char *type = json_string_value(json_object_get(data, "resultType"));
    json_t *result = json_object_get(data, "result"), *item, *none = json_object();
    double v;
    size_t i;
    bool ok = true;

    if (type && strcmp(type, "scalar") == 0) {
        ok = sample_value(result, &v);
        if (ok)
            judge_sample(j, none, v, t);
    } else if (type && (strcmp(type, "vector") == 0 || strcmp(type, "matrix") == 0) &&
               json_is_array(result)) {
        json_array_foreach(result, i, item) {
            if (!(ok = judge_series(j, item, t)))
                break;
        }
    } else {
        ok = false;
    }
    json_decref(none);
    return ok;
}

static void verdict_text(const struct prom_judge *j, const struct tally *t, struct reason *r)
{
    const char *what = j->what ? j->what : "value", *unit = j->unit ? j->unit : "";
    bool upper = j->cond.op_text[0] == '<';

    if (t->bad && t->judged == 1) {
        reason_add(r, "%s %.4g%s, expected %s %g%s", what, t->min, unit, j->cond.op_text,
                   j->cond.value, unit);
    } else if (t->bad) {
        reason_add(r, "%zu of %zu %s: %s not %s %g%s: %s", t->bad, t->judged, t->items, what,
                   j->cond.op_text, j->cond.value, unit, t->failing.buf);
        if (t->bad > PROM_SHOWN_SERIES)
            reason_add(r, "; ...");
    } else if (!j->cond.set) {
        reason_add(r, "%zu %s (%s %.4g%s to %.4g%s)", t->judged, t->items, what, t->min, unit,
                   t->max, unit);
    } else if (t->judged == 1) {
        reason_add(r, "%s %.4g%s %s %g%s", what, t->min, unit, j->cond.op_text, j->cond.value,
                   unit);
    } else {
        reason_add(r, "%zu %s, %s all %s %g%s (%s %.4g%s)", t->judged, t->items, what,
                   j->cond.op_text, j->cond.value, unit, upper ? "max" : "min",
                   upper ? t->max : t->min, unit);
    }
    if (t->nan + t->inf)
        reason_add(r, "; %zu more not finite (%zu NaN, %zu Inf; first %s)", t->nan + t->inf, t->nan,
                   t->inf, t->odd);
}

/* No finite sample to judge, or a threshold that would be judged over
 * NaN or infinite samples: what could not be measured. */
static enum prom_verdict verdict_unmeasured(const struct prom_judge *j, const struct tally *t,
                                            struct reason *r)
{
    const char *what = j->what ? j->what : "value";
    size_t odd = t->nan + t->inf;

    if (t->judged == 0 && odd == 0) {
        if (t->nan_empty)
            reason_add(r, "%zu %s, every one NaN (no traffic in the window)", t->nan_empty,
                       t->items);
        else
            reason_add(r, "the query returned no series");
        return PROM_EMPTY;
    }
    if (t->judged == 0)
        reason_add(r, "%zu %s, none finite (%zu NaN, %zu Inf; first %s): no %s measured", odd,
                   t->items, t->nan, t->inf, t->odd, what);
    else
        reason_add(r,
                   "%zu of %zu %s not finite (%zu NaN, %zu Inf; first %s): %s %s %g%s "
                   "cannot be judged over them",
                   odd, odd + t->judged, t->items, t->nan, t->inf, t->odd, what, j->cond.op_text,
                   j->cond.value, j->unit ? j->unit : "");
    return PROM_UNMEASURED;
}

enum prom_verdict prom_judge_data(json_t *data, const struct prom_judge *j, char *reason,
                                  size_t size)
{
    char failing[TARS_CHECK_REASON_MAX];
    struct tally t;
    struct reason r = {reason, size, 0};

    memset(&t, 0, sizeof(t));
    t.items = "series";
    t.failing = (struct reason){failing, sizeof(failing), 0};
    failing[0] = reason[0] = '\0';
    if (!judge_result(j, data, &t)) {
        reason_add(&r, "unexpected answer from prometheus (not a vector, matrix or scalar of "
                       "[time, \"value\"] samples)");
        return PROM_BAD;
    }
    /* A finite sample that fails is evidence whatever else was seen; a pass
     * needs finite samples only, and a threshold none that is not finite. */
    if (t.bad || (t.judged && t.nan + t.inf == 0) || (t.judged && !j->cond.set)) {
        verdict_text(j, &t, &r);
        return t.bad ? PROM_FAIL : PROM_PASS;
    }
    return verdict_unmeasured(j, &t, &r);
}

bool prom_series_value(json_t *data, const char *label, const char *value, double *out)
{
    json_t *result = json_object_get(data, "result"), *item;
    size_t i;

    json_array_foreach(result, i, item) {
        const char *have =
            json_string_value(json_object_get(json_object_get(item, "metric"), label ? label : ""));
        if ((!label || (have && strcmp(have, value) == 0)) &&
            sample_value(json_object_get(item, "value"), out))
            return true;
    }
    return false;
}

/* ---- rule names ---- */

static void names_of_group(json_t *group, json_t *names)
{
    json_t *rules = json_object_get(group, "rules"), *rule;
    size_t i;

    json_array_foreach(rules, i, rule) {
        json_t *name = json_object_get(rule, "name");
        if (!json_is_string(name))
            name = json_object_get(rule, "record");
        if (!json_is_string(name))
            name = json_object_get(rule, "alert");
        if (json_is_string(name))
            json_array_append(names, name);
    }
}

json_t *prom_rule_names(json_t *groups_holder)
{
    json_t *groups = json_object_get(groups_holder, "groups"), *group, *names = json_array();
    size_t i;

    json_array_foreach(groups, i, group) {
        names_of_group(group, names);
    }
    return names;
}

static bool name_in(json_t *list, const char *name)
{
    size_t i;
    json_t *v;

    if (!name)
        return true; /* not a name: nothing to look for */
    json_array_foreach(list, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

enum prom_verdict prom_rules_missing(json_t *have, json_t *want, char *reason, size_t size)
{
    struct reason r = {reason, size, 0};
    size_t i, missing = 0;
    json_t *v;

    reason[0] = '\0';
    if (json_array_size(want) == 0) {
        reason_add(&r, "no rule names to look for");
        return PROM_EMPTY;
    }
    json_array_foreach(want, i, v) {
        if (!name_in(have, json_string_value(v)))
            missing++;
    }
    if (missing == 0) {
        reason_add(&r, "all %zu rules loaded (%zu in prometheus)", json_array_size(want),
                   json_array_size(have));
        return PROM_PASS;
    }
    reason_add(&r, "%zu of %zu rules missing:", missing, json_array_size(want));
    json_array_foreach(want, i, v) {
        if (!name_in(have, json_string_value(v)))
            reason_add(&r, " %s", json_string_value(v));
    }
    return PROM_FAIL;
}

/* ---- rule health ---- */

struct health_tally {
    size_t groups, rules, failed, pending;
    double slowest_ms;
    const char *slowest;
    const char *pending_group, *pending_rule; /* the first rule not evaluated yet */
    struct reason problems;
};

static bool group_selected(const struct prom_health_spec *spec, const char *name)
{
    if (spec->groups)
        return name_in(spec->groups, name);
    if (spec->prefix)
        return strncmp(name, spec->prefix, strlen(spec->prefix)) == 0;
    return true;
}

static void judge_rule(json_t *rule, const char *group, struct health_tally *t)
{
    const char *name = json_string_value(json_object_get(rule, "name"));
    const char *health = json_string_value(json_object_get(rule, "health"));
    const char *error = json_string_value(json_object_get(rule, "lastError"));

    t->rules++;
    if (health && strcmp(health, "unknown") == 0) {
        if (t->pending++ == 0) {
            t->pending_group = group;
            t->pending_rule = name ? name : "?";
        }
        return;
    }
    if ((health && strcmp(health, "ok") == 0) && (!error || !error[0]))
        return;
    if (t->failed++ < PROM_SHOWN_SERIES)
        reason_add(&t->problems, "%s/%s %s: %s; ", group, name ? name : "?", health ? health : "?",
                   error && error[0] ? error : "no error text");
}

static void judge_group(json_t *group, const struct prom_health_spec *spec, struct health_tally *t)
{
    const char *name = json_string_value(json_object_get(group, "name"));
    json_t *rules = json_object_get(group, "rules"), *rule;
    double ms = 0;
    size_t i;

    t->groups++;
    if (!check_json_number(json_object_get(group, "evaluationTime"), &ms) || !isfinite(ms)) {
        /* no evaluation time is no measurement of it: not evaluated yet */
        if (t->pending++ == 0) {
            t->pending_group = name;
            t->pending_rule = "(no evaluationTime)";
        }
        return;
    }
    ms *= 1000;
    if (!t->slowest || ms > t->slowest_ms) {
        t->slowest_ms = ms;
        t->slowest = name;
    }
    if (spec->max_ms > 0 && ms > spec->max_ms && t->failed++ < PROM_SHOWN_SERIES)
        reason_add(&t->problems, "group %s took %.1f ms (max %g ms); ", name, ms, spec->max_ms);
    json_array_foreach(rules, i, rule) {
        judge_rule(rule, name, t);
    }
}

static void missing_groups(json_t *data, const struct prom_health_spec *spec,
                           struct health_tally *t)
{
    json_t *have = json_array(), *group, *v;
    size_t i;

    json_array_foreach(json_object_get(data, "groups"), i, group)
        json_array_append(have, json_object_get(group, "name"));
    json_array_foreach(spec->groups, i, v) {
        if (json_is_string(v) && !name_in(have, json_string_value(v)) &&
            t->failed++ < PROM_SHOWN_SERIES)
            reason_add(&t->problems, "group %s not loaded; ", json_string_value(v));
    }
    json_decref(have);
}

enum prom_verdict prom_rule_health(json_t *data, const struct prom_health_spec *spec, char *reason,
                                   size_t size)
{
    struct health_tally t = {0, 0, 0, 0, 0, NULL, NULL, NULL, {reason, size, 0}};
    json_t *groups = json_object_get(data, "groups"), *group;
    size_t i;

    reason[0] = '\0';
    json_array_foreach(groups, i, group) {
        const char *name = json_string_value(json_object_get(group, "name"));
        if (name && group_selected(spec, name))
            judge_group(group, spec, &t);
    }
    missing_groups(data, spec, &t);
    if (t.failed) {
        if (t.failed > PROM_SHOWN_SERIES)
            reason_add(&t.problems, "%zu problems in all", t.failed);
        else if (t.problems.len >= 2)
            reason[t.problems.len -= 2] = '\0'; /* the last "; " */
        return PROM_FAIL;
    }
    if (t.groups == 0) {
        if (spec->prefix)
            reason_add(&t.problems, "no rule group named %s*", spec->prefix);
        else
            reason_add(&t.problems, "no rule groups loaded");
        return PROM_EMPTY;
    }
    if (t.rules == 0 && !t.pending) {
        reason_add(&t.problems, "the %zu selected groups hold no rules", t.groups);
        return PROM_EMPTY;
    }
    if (t.pending) {
        reason_add(&t.problems, "%zu of %zu rules not evaluated yet (first %s/%s)", t.pending,
                   t.rules, t.pending_group, t.pending_rule);
        return PROM_BAD;
    }
    reason_add(&t.problems, "%zu groups, %zu rules healthy; slowest %s %.1f ms", t.groups, t.rules,
               t.slowest ? t.slowest : "?", t.slowest_ms);
    return PROM_PASS;
}
