/*
 * Typed readers over the YAML tree of a scenario: the getters of
 * tars/json.h (one wording for every config file) with the scenario's file
 * for file:line:col. Each leaves *out alone when the key is absent (or
 * null).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "tars/str.h"

int scenario_fail(const struct scenario_reader *rd, const json_t *node, const char *fmt, ...)
{
    char msg[TARS_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tars_yaml_error(rd->doc, node, rd->err, TARS_EINVAL, "%s", msg);
}

/* ---- typed readers: the getters of tars/json.h over the scenario's file ---- */

int scenario_check_keys(const struct scenario_reader *rd, json_t *obj, const char *const *allowed,
                        const char *where)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_check_keys(&r, obj, where, allowed, NULL);
}

int scenario_string_of(const struct scenario_reader *rd, json_t *v, const char *what, size_t max,
                       const char **out)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_string_of(&r, v, what, max, out);
}

int scenario_string(const struct scenario_reader *rd, json_t *obj, const char *key, size_t max,
                    char **out)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_get_strdup(&r, obj, key, TARS_JSON_OPTIONAL, max, out);
}

int scenario_int(const struct scenario_reader *rd, json_t *obj, const char *key, int64_t min,
                 int64_t max, int64_t *out)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_get_int(&r, obj, key, TARS_JSON_OPTIONAL, min, max, out);
}

int scenario_number(const struct scenario_reader *rd, json_t *obj, const char *key, double min,
                    double max, double *out)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_get_double(&r, obj, key, TARS_JSON_OPTIONAL, min, max, out);
}

int scenario_bool(const struct scenario_reader *rd, json_t *obj, const char *key, bool *out)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_get_bool(&r, obj, key, TARS_JSON_OPTIONAL, out);
}

int scenario_duration_of(const struct scenario_reader *rd, json_t *v, const char *what,
                         bool zero_ok, int64_t *out)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_duration_of(&r, v, what, zero_ok ? 0 : 1, out);
}

int scenario_duration(const struct scenario_reader *rd, json_t *obj, const char *key, bool zero_ok,
                      int64_t *out)
{
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);

    return tars_json_get_duration(&r, obj, key, TARS_JSON_OPTIONAL, zero_ok ? 0 : 1, out);
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
