/*
 * Typed getters for configuration (tars/json.h): one wording for every
 * problem, after where the value is, so that a suite, a scenario, a release
 * config and a load result all say it the same way.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/json.h"
#include "tars/str.h"

#define DURATION_EXAMPLES "a duration such as 500ms, 30s or 5m"

int tars_json_fail(const struct tars_json_reader *rd, const json_t *node, int code, const char *fmt,
                   ...)
{
    char where[300], msg[TARS_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rd->where(rd->ctx, node, where, sizeof(where));
    return tars_err_set(rd->err, code, "%s: %s", where, msg);
}

static void named_where(const void *ctx, const json_t *node, char *out, size_t size)
{
    (void)node;
    snprintf(out, size, "%s", (const char *)ctx);
}

struct tars_json_reader tars_json_reader_named(const char *name, struct tars_err *err,
                                               bool text_scalars)
{
    struct tars_json_reader rd = {named_where, name, err, text_scalars};
    return rd;
}

const char *tars_json_kind(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: break;
    }
    return "empty";
}

json_t *tars_json_member(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, int *rc)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

    if (json_is_null(v))
        v = NULL;
    *rc = !v && need == TARS_JSON_REQUIRED
              ? tars_json_fail(rd, obj, TARS_EINVAL, "%s is required", key)
              : TARS_OK;
    return v;
}

static int string_in(const struct tars_json_reader *rd, const json_t *v, const char *what,
                     size_t min_len, size_t max_len, const char **out)
{
    if (!json_is_string(v))
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be a string, not %s", what,
                              tars_json_kind(v));
    if (json_string_length(v) < min_len || json_string_length(v) > max_len)
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be %zu to %zu bytes long", what, min_len,
                              max_len);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return tars_json_fail(rd, v, TARS_EINVAL, "%s contains a NUL byte", what);
    *out = json_string_value(v);
    return TARS_OK;
}

int tars_json_string_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                        size_t max_len, const char **out)
{
    return string_in(rd, v, what, 1, max_len, out);
}

static int duration_range(const struct tars_json_reader *rd, const json_t *v, const char *what,
                          int64_t min_ms, int64_t ms, int64_t *out_ms)
{
    if (ms < min_ms && min_ms <= 1)
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be longer than 0", what);
    if (ms < min_ms)
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be at least %lld ms", what,
                              (long long)min_ms);
    *out_ms = ms;
    return TARS_OK;
}

int tars_json_duration_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                          int64_t min_ms, int64_t *out_ms)
{
    int64_t ms = 0;
    double s;

    if (json_is_string(v)) {
        if (tars_duration_parse(json_string_value(v), &ms))
            return tars_json_fail(rd, v, TARS_EINVAL,
                                  "%s must be " DURATION_EXAMPLES ", not \"%s\"", what,
                                  json_string_value(v));
    } else if (json_is_number(v)) {
        s = json_number_value(v);
        if (!(s >= 0 && s * 1000 <= (double)TARS_DURATION_MAX_MS))
            return tars_json_fail(rd, v, TARS_EINVAL, "%s must be between 0 and %lld days", what,
                                  TARS_DURATION_MAX_MS / (24LL * 3600 * 1000));
        ms = (int64_t)llround(s * 1000);
    } else {
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be " DURATION_EXAMPLES ", not %s", what,
                              tars_json_kind(v));
    }
    return duration_range(rd, v, what, min_ms, ms, out_ms);
}

int tars_json_get_string(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, size_t max_len, const char **out)
{
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    return v ? tars_json_string_of(rd, v, key, max_len, out) : rc;
}

int tars_json_get_strdup(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, size_t max_len, char **out)
{
    const char *s = NULL;
    int rc = tars_json_get_string(rd, obj, key, need, max_len, &s);

    if (rc == TARS_OK && s) {
        free(*out);
        *out = xstrdup(s);
    }
    return rc;
}

int tars_json_get_text(const struct tars_json_reader *rd, json_t *obj, const char *key,
                       enum tars_json_need need, char *out, size_t size)
{
    const char *s;
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    if (!v || (rc = string_in(rd, v, key, 0, size - 1, &s)))
        return rc;
    tars_strlcpy(out, s, size);
    return TARS_OK;
}

/* "a string" or, for text that was allowed and not understood, the text. */
static void kind_of(const struct tars_json_reader *rd, const json_t *v, char *out, size_t size)
{
    if (rd->text_scalars && json_is_string(v))
        snprintf(out, size, "\"%.64s\"", json_string_value(v));
    else
        snprintf(out, size, "%s", tars_json_kind(v));
}

/* A number, or numeric text when the reader allows text scalars. */
static bool number_in(const struct tars_json_reader *rd, const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    return rd->text_scalars && json_is_string(v) &&
           tars_parse_double(json_string_value(v), out) == 0 && !isnan(*out);
}

int tars_json_get_int(const struct tars_json_reader *rd, json_t *obj, const char *key,
                      enum tars_json_need need, int64_t min, int64_t max, int64_t *out)
{
    char kind[80];
    int64_t n = 0;
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    if (!v)
        return rc;
    if (json_is_integer(v))
        n = json_integer_value(v);
    else if (!rd->text_scalars || !json_is_string(v) ||
             tars_parse_i64(json_string_value(v), INT64_MIN, INT64_MAX, &n) != 0) {
        kind_of(rd, v, kind, sizeof(kind));
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be an integer, not %s", key, kind);
    }
    if (n < min || n > max)
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be between %lld and %lld", key,
                              (long long)min, (long long)max);
    *out = n;
    return TARS_OK;
}

int tars_json_double_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                        double min, double max, double *out)
{
    char kind[80];
    double n;

    if (!number_in(rd, v, &n)) {
        kind_of(rd, v, kind, sizeof(kind));
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be a number, not %s", what, kind);
    }
    if (!(n >= min && n <= max))
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be between %g and %g", what, min, max);
    *out = n;
    return TARS_OK;
}

int tars_json_get_double(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, double min, double max, double *out)
{
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    return v ? tars_json_double_of(rd, v, key, min, max, out) : rc;
}

int tars_json_get_double_above(const struct tars_json_reader *rd, json_t *obj, const char *key,
                               enum tars_json_need need, double above, double max, double *out)
{
    double n = 0;
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    if (!v || (rc = tars_json_double_of(rd, v, key, -HUGE_VAL, HUGE_VAL, &n)))
        return rc;
    if (!(n > above && n <= max))
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be greater than %g and at most %g", key,
                              above, max);
    *out = n;
    return TARS_OK;
}

int tars_json_get_bool(const struct tars_json_reader *rd, json_t *obj, const char *key,
                       enum tars_json_need need, bool *out)
{
    char kind[80];
    const char *s;
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    if (!v)
        return rc;
    s = rd->text_scalars ? json_string_value(v) : NULL;
    if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
        *out = s[0] == 't';
        return TARS_OK;
    }
    if (!json_is_boolean(v)) {
        kind_of(rd, v, kind, sizeof(kind));
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be true or false, not %s", key, kind);
    }
    *out = json_is_true(v);
    return TARS_OK;
}

int tars_json_get_duration(const struct tars_json_reader *rd, json_t *obj, const char *key,
                           enum tars_json_need need, int64_t min_ms, int64_t *out_ms)
{
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    return v ? tars_json_duration_of(rd, v, key, min_ms, out_ms) : rc;
}

static size_t count(const char *const *list)
{
    size_t n = 0;

    while (list && list[n])
        n++;
    return n;
}

int tars_json_enum_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                      const char *const *names, int *out)
{
    char valid[200], hint[96] = "";
    const char *s, *near;

    tars_str_join(names, valid, sizeof(valid));
    if (!json_is_string(v))
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be one of %s, not %s", what, valid,
                              tars_json_kind(v));
    s = json_string_value(v);
    for (size_t i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return TARS_OK;
        }
    if ((near = tars_str_suggest(s, names, count(names)))) {
        snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", near);
        tars_str_join(names, valid, 80); /* a long list cut short: the suggestion must fit */
    }
    return tars_json_fail(rd, v, TARS_EINVAL, "%s must be one of %s, not \"%.64s\"%s", what, valid,
                          s, hint);
}

int tars_json_get_enum(const struct tars_json_reader *rd, json_t *obj, const char *key,
                       enum tars_json_need need, const char *const *names, int *out)
{
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    return v ? tars_json_enum_of(rd, v, key, names, out) : rc;
}

static void list_words(size_t min, size_t max, char *out, size_t size)
{
    if (max == SIZE_MAX && min == 0)
        snprintf(out, size, "a list of strings");
    else if (max == SIZE_MAX)
        snprintf(out, size, "a list of at least %zu strings", min);
    else
        snprintf(out, size, "a list of %zu to %zu strings", min, max);
}

int tars_json_get_strings(const struct tars_json_reader *rd, json_t *obj, const char *key,
                          enum tars_json_need need, size_t min, size_t max, size_t max_len,
                          json_t **out)
{
    char words[64], what[80];
    const char *s;
    size_t i;
    json_t *item;
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    if (!v)
        return rc;
    list_words(min, max, words, sizeof(words));
    if (!json_is_array(v))
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be %s, not %s", key, words,
                              tars_json_kind(v));
    if (json_array_size(v) < min || json_array_size(v) > max)
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be %s", key, words);
    snprintf(what, sizeof(what), "an item of %s", key);
    json_array_foreach(v, i, item)
        if ((rc = tars_json_string_of(rd, item, what, max_len, &s)))
            return rc;
    *out = v;
    return TARS_OK;
}

int tars_json_get_object(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, json_t **out)
{
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    if (!v)
        return rc;
    if (!json_is_object(v))
        return tars_json_fail(rd, v, TARS_EINVAL, "%s must be a mapping, not %s", key,
                              tars_json_kind(v));
    *out = v;
    return TARS_OK;
}

/* The message for an unknown key: the closest allowed one, or all of them. */
static int unknown_key(const struct tars_json_reader *rd, const json_t *v, const char *key,
                       const char *what, const char *const *allowed, const char *const *more)
{
    struct tars_str_suggester sg;
    char valid[200], more_text[200];
    const char *near;

    tars_str_suggest_init(&sg, key);
    for (const char *const *l = allowed; l && *l; l++)
        tars_str_suggest_add(&sg, *l);
    for (const char *const *l = more; l && *l; l++)
        tars_str_suggest_add(&sg, *l);
    if ((near = tars_str_suggest_best(&sg)))
        return tars_json_fail(rd, v, TARS_EINVAL,
                              "unknown key \"%.64s\" in %s (did you mean \"%s\"?)", key, what,
                              near);
    tars_str_join(allowed, valid, sizeof(valid));
    tars_str_join(more, more_text, sizeof(more_text));
    return tars_json_fail(rd, v, TARS_EINVAL, "unknown key \"%.64s\" in %s; valid: %s%s%s", key,
                          what, valid, *valid && *more_text ? ", " : "", more_text);
}

int tars_json_check_keys(const struct tars_json_reader *rd, json_t *obj, const char *what,
                         const char *const *allowed, const char *const *more)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return tars_json_fail(rd, obj, TARS_EINVAL, "%s must be a mapping, not %s", what,
                              tars_json_kind(obj));
    json_object_foreach(obj, key, v)
        if (!tars_str_in_list(key, allowed) && !tars_str_in_list(key, more))
            return unknown_key(rd, v, key, what, allowed, more);
    return TARS_OK;
}
