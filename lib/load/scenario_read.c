/*
 * Helpers for reading the YAML tree of a scenario; typed values are read
 * with the getters of tars/json.h through scenario_reader.json.
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
