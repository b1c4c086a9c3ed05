/*
 * Typed readers over the YAML tree of a scenario, and durations. Each
 * reader leaves *out alone when the key is absent and names file:line:col
 * when the value has the wrong type or range.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "tars/alloc.h"

int scenario_fail(const struct scenario_reader *rd, const json_t *node, const char *fmt, ...)
{
    char msg[TARS_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tars_yaml_error(rd->doc, node, rd->err, TARS_EINVAL, "%s", msg);
}

/* ---- typed readers: an absent key leaves *out alone ---- */

const char *scenario_kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
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

bool scenario_in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

int scenario_check_keys(const struct scenario_reader *rd, json_t *obj, const char *const *allowed,
                        const char *where)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v) if (!scenario_in_list(key, allowed)) return scenario_fail(
        rd, v, "unknown key \"%s\" in %s", key, where);
    return TARS_OK;
}

int scenario_string_of(const struct scenario_reader *rd, json_t *v, const char *what, size_t max,
                       const char **out)
{
    if (!json_is_string(v))
        return scenario_fail(rd, v, "%s must be a string, not %s", what, scenario_kind_of(v));
    if (json_string_length(v) == 0 || json_string_length(v) > max)
        return scenario_fail(rd, v, "%s must be 1 to %zu bytes long", what, max);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return scenario_fail(rd, v, "%s contains a NUL byte", what);
    *out = json_string_value(v);
    return TARS_OK;
}

int scenario_string(const struct scenario_reader *rd, json_t *obj, const char *key, size_t max,
                    char **out)
{
    json_t *v = json_object_get(obj, key);
    const char *s;
    int rc;

    if (!v)
        return TARS_OK;
    if ((rc = scenario_string_of(rd, v, key, max, &s)))
        return rc;
    free(*out);
    *out = xstrdup(s);
    return TARS_OK;
}

int scenario_int(const struct scenario_reader *rd, json_t *obj, const char *key, int64_t min,
                 int64_t max, int64_t *out)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return TARS_OK;
    if (!json_is_integer(v))
        return scenario_fail(rd, v, "%s must be an integer, not %s", key, scenario_kind_of(v));
    if (json_integer_value(v) < min || json_integer_value(v) > max)
        return scenario_fail(rd, v, "%s must be between %lld and %lld", key, (long long)min,
                             (long long)max);
    *out = json_integer_value(v);
    return TARS_OK;
}

int scenario_number(const struct scenario_reader *rd, json_t *obj, const char *key, double min,
                    double max, double *out)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return TARS_OK;
    if (!json_is_number(v))
        return scenario_fail(rd, v, "%s must be a number, not %s", key, scenario_kind_of(v));
    if (!(json_number_value(v) >= min && json_number_value(v) <= max))
        return scenario_fail(rd, v, "%s must be between %g and %g", key, min, max);
    *out = json_number_value(v);
    return TARS_OK;
}

int scenario_bool(const struct scenario_reader *rd, json_t *obj, const char *key, bool *out)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return TARS_OK;
    if (!json_is_boolean(v))
        return scenario_fail(rd, v, "%s must be true or false, not %s", key, scenario_kind_of(v));
    *out = json_is_true(v);
    return TARS_OK;
}

/* A duration string, or a non-negative number of seconds. */
int scenario_duration_of(const struct scenario_reader *rd, json_t *v, const char *what,
                         bool zero_ok, int64_t *out)
{
    int64_t ms = 0;

    if (json_is_string(v)) {
        if (tars_duration_parse(json_string_value(v), &ms))
            return scenario_fail(rd, v, "%s: bad duration \"%s\" (use e.g. 500ms, 30s, 5m, 1h30m)",
                                 what, json_string_value(v));
    } else if (json_is_number(v)) {
        double s = json_number_value(v);
        if (!(s >= 0 && s * 1000 <= (double)SCENARIO_DURATION_MAX_MS))
            return scenario_fail(rd, v, "%s must be between 0 and 366 days", what);
        ms = (int64_t)llround(s * 1000);
    } else {
        return scenario_fail(rd, v, "%s must be a duration such as 30s, not %s", what,
                             scenario_kind_of(v));
    }
    if (ms == 0 && !zero_ok)
        return scenario_fail(rd, v, "%s must be longer than 0", what);
    *out = ms;
    return TARS_OK;
}

int scenario_duration(const struct scenario_reader *rd, json_t *obj, const char *key, bool zero_ok,
                      int64_t *out)
{
    json_t *v = json_object_get(obj, key);

    return v ? scenario_duration_of(rd, v, key, zero_ok, out) : TARS_OK;
}

/* Where to point for a problem with a whole mapping: its first value (a
 * mapping inside a list has no position of its own). */
const json_t *scenario_first_node(json_t *obj)
{
    void *it = json_object_iter(obj);

    return it ? json_object_iter_value(it) : obj;
}

bool scenario_is_identifier(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

bool scenario_has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}
