/*
 * Threshold expressions (tars/judge.h): "subject op value[unit]" split,
 * comparisons read, values scaled by the unit factors of their metric's kind.
 * The one parser behind tars load, tars ws-stress and tars db-bench
 * thresholds and the comparison words of check conditions.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tars/judge.h"
#include "tars/str.h"

#define LIMIT_MAX_TEXT 256

static const char *const op_texts[] = {"<", "<=", ">", ">=", "==", "!="};

size_t tars_judge_op_read(const char *s, int *op)
{
    size_t best = 0;

    for (int i = 0; i < (int)(sizeof(op_texts) / sizeof(op_texts[0])); i++) {
        size_t n = strlen(op_texts[i]);
        if (n > best && strncmp(s, op_texts[i], n) == 0) {
            *op = i;
            best = n;
        }
    }
    return best;
}

int tars_judge_op_parse(const char *word, int *op)
{
    size_t n = tars_judge_op_read(word, op);

    return n > 0 && word[n] == '\0' ? TARS_OK : TARS_EINVAL;
}

const char *tars_judge_op_text(int op)
{
    return op >= 0 && op < (int)(sizeof(op_texts) / sizeof(op_texts[0])) ? op_texts[op] : "?";
}

void tars_limit_trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int tars_limit_split(const char *text, const char *form, struct tars_limit_parts *out,
                     struct tars_err *err)
{
    const char *s = text;
    size_t len = strlen(text), at, n;

    memset(out, 0, sizeof(*out));
    tars_limit_trim(&s, &len);
    at = strcspn(s, "<>");
    if (len == 0 || len > LIMIT_MAX_TEXT || at >= len)
        return tars_err_set(err, TARS_EINVAL, "bad threshold \"%.*s\": expected %s",
                            (int)(len > LIMIT_MAX_TEXT ? LIMIT_MAX_TEXT : len), s, form);
    n = tars_judge_op_read(s + at, &out->op);
    out->subject = s;
    out->subject_len = at;
    tars_limit_trim(&out->subject, &out->subject_len);
    out->value = s + at + n;
    out->value_len = len - at - n;
    tars_limit_trim(&out->value, &out->value_len);
    return TARS_OK;
}

const struct tars_limit_metric *tars_limit_metric_find(const struct tars_limit_metric *table,
                                                       size_t count, const char *name, size_t len)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0)
            return &table[i];
    return NULL;
}

int tars_limit_unknown_metric(const char *text, const char *name, size_t len,
                              const struct tars_limit_metric *table, size_t count,
                              struct tars_err *err)
{
    struct tars_str_suggester near;
    char names[384], word[64], hint[96] = "";
    size_t used = 0;

    snprintf(word, sizeof(word), "%.*s", (int)len, name);
    tars_str_suggest_init(&near, word);
    names[0] = '\0';
    for (size_t i = 0; i < count && used < sizeof(names); i++) {
        const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
        int w = snprintf(names + used, sizeof(names) - used, "%s%s", sep, table[i].name);
        used += w > 0 ? (size_t)w : 0;
        tars_str_suggest_add(&near, table[i].name);
    }
    if (tars_str_suggest_best(&near))
        snprintf(hint, sizeof(hint), "did you mean \"%.64s\"? ", tars_str_suggest_best(&near));
    return tars_err_set(err, TARS_EINVAL,
                        "bad threshold \"%s\": unknown metric \"%.*s\" (%suse %s)", text, (int)len,
                        name, hint, names);
}

/* The factor from unit to the kind's stored unit, or 0 when unit does not fit. */
static double unit_factor(enum tars_limit_kind kind, const char *unit, size_t len)
{
    if (kind == TARS_LIMIT_TIME) {
        if (len == 0 || (len == 2 && memcmp(unit, "ms", 2) == 0))
            return 1e6;
        if (len == 1 && unit[0] == 's')
            return 1e9;
        if (len == 2 && memcmp(unit, "us", 2) == 0)
            return 1e3;
        return 0;
    }
    if (kind == TARS_LIMIT_RATIO)
        return len == 0 ? 1 : (len == 1 && unit[0] == '%') ? 0.01 : 0;
    return len == 0 ? 1 : 0;
}

static const char *unit_hint(enum tars_limit_kind kind)
{
    return kind == TARS_LIMIT_TIME    ? "ms, s or us"
           : kind == TARS_LIMIT_RATIO ? "% or none"
                                      : "none";
}

const char *tars_limit_unit(enum tars_limit_kind kind)
{
    return kind == TARS_LIMIT_TIME ? "ns" : kind == TARS_LIMIT_RATIO ? "fraction" : "count";
}

static int not_a_number(const char *text, const char *s, size_t len, struct tars_err *err)
{
    return tars_err_set(err, TARS_EINVAL, "bad threshold \"%s\": expected a number, not \"%.*s\"",
                        text, (int)len, s);
}

int tars_limit_value(const char *text, const char *s, size_t len, const struct tars_limit_metric *m,
                     double *value, struct tars_err *err)
{
    char number[64];
    char *end;
    double factor;
    size_t n = 0;

    tars_limit_trim(&s, &len);
    while (n < len && (isdigit((unsigned char)s[n]) || s[n] == '.'))
        n++;
    if (n == 0 || n >= sizeof(number))
        return not_a_number(text, s, len, err);
    memcpy(number, s, n);
    number[n] = '\0';
    *value = strtod(number, &end);
    if (*end || !isfinite(*value))
        return not_a_number(text, s, len, err);
    s += n;
    len -= n;
    tars_limit_trim(&s, &len);
    if ((factor = unit_factor(m->kind, s, len)) == 0)
        return tars_err_set(err, TARS_EINVAL,
                            "bad threshold \"%s\": unit \"%.*s\" does not fit %s (use %s)", text,
                            (int)len, s, m->name, unit_hint(m->kind));
    *value *= factor;
    if (m->kind == TARS_LIMIT_RATIO && *value > 1)
        return tars_err_set(err, TARS_EINVAL, "bad threshold \"%s\": %s is at most 100%%", text,
                            m->name);
    return TARS_OK;
}

int tars_limit_parse(const char *text, const struct tars_limit_metric *table, size_t count,
                     struct tars_limit *out, struct tars_err *err)
{
    struct tars_limit_parts p;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = tars_limit_split(text, "metric <, <=, > or >= value, e.g. p95<150ms", &p, err)))
        return rc;
    if (!(out->metric = tars_limit_metric_find(table, count, p.subject, p.subject_len)))
        return tars_limit_unknown_metric(text, p.subject, p.subject_len, table, count, err);
    out->op = p.op;
    return tars_limit_value(text, p.value, p.value_len, out->metric, &out->value, err);
}
