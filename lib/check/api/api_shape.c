/* JSON shapes and the comparison of API snapshots (see tars/api_snapshot.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tars/api_snapshot.h"

#define SHAPE_MAX_DEPTH 32

static json_t *shape_at(json_t *v, int depth);

static json_t *array_shape(json_t *v, int depth)
{
    json_t *items = NULL, *e, *merged;
    size_t i;

    json_array_foreach(v, i, e) {
        json_t *one = shape_at(e, depth + 1);
        merged = items ? tars_api_shape_union(items, one) : json_incref(one);
        json_decref(items);
        json_decref(one);
        items = merged;
    }
    return items ? json_pack("[o]", items) : json_array();
}

static json_t *shape_at(json_t *v, int depth)
{
    const char *key;
    json_t *member, *out;

    if (depth > SHAPE_MAX_DEPTH)
        return json_string("mixed");
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        out = json_object();
        json_object_foreach(v, key, member)
            json_object_set_new(out, key, shape_at(member, depth + 1));
        return out;
    case JSON_ARRAY: return array_shape(v, depth);
    case JSON_STRING: return json_string("string");
    case JSON_INTEGER:
    case JSON_REAL: return json_string("number");
    case JSON_TRUE:
    case JSON_FALSE: return json_string("boolean");
    default: return json_string("null");
    }
}

json_t *tars_api_shape(json_t *v)
{
    return shape_at(v, 0);
}

static bool is_scalar(json_t *s, const char *name)
{
    return json_is_string(s) && strcmp(json_string_value(s), name) == 0;
}

json_t *tars_api_shape_union(json_t *a, json_t *b)
{
    const char *key;
    json_t *v, *out;

    if (is_scalar(a, "null"))
        return json_incref(b);
    if (is_scalar(b, "null"))
        return json_incref(a);
    if (json_is_object(a) && json_is_object(b)) {
        out = json_deep_copy(a);
        json_object_foreach(b, key, v) {
            json_t *mine = json_object_get(out, key);
            json_object_set_new(out, key, mine ? tars_api_shape_union(mine, v) : json_incref(v));
        }
        return out;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) == 0)
            return json_incref(b);
        if (json_array_size(b) == 0)
            return json_incref(a);
        return json_pack("[o]", tars_api_shape_union(json_array_get(a, 0), json_array_get(b, 0)));
    }
    if (json_equal(a, b))
        return json_incref(a);
    return json_string("mixed");
}

/* Never NULL: a baseline read from a file may hold anything (tars_api_snapshot_check
 * rejects it first; this keeps the comparison defined regardless). */
static const char *kind(json_t *s)
{
    const char *name = json_string_value(s);

    return json_is_object(s) ? "object" : json_is_array(s) ? "array" : name ? name : "invalid";
}

static const char *const shape_names[] = {"string", "number", "boolean", "null", "text", "mixed"};

/* Whether s is a shape (see tars/api_snapshot.h); where names it in the error. */
static int check_shape(json_t *s, const char *where, int depth, struct tars_err *err)
{
    char path[512];
    const char *key;
    json_t *v;

    if (depth > SHAPE_MAX_DEPTH + 1)
        return tars_err_set(err, TARS_ETOOBIG, "%s: shape nested deeper than %d levels", where,
                            SHAPE_MAX_DEPTH);
    if (json_is_string(s)) {
        for (size_t i = 0; i < sizeof(shape_names) / sizeof(shape_names[0]); i++)
            if (strcmp(json_string_value(s), shape_names[i]) == 0)
                return TARS_OK;
        return tars_err_set(err, TARS_EINVAL, "%s: unknown shape \"%.40s\"", where,
                            json_string_value(s));
    }
    if (json_is_array(s)) {
        if (json_array_size(s) > 1)
            return tars_err_set(err, TARS_EINVAL, "%s: an array shape holds at most one shape",
                                where);
        snprintf(path, sizeof(path), "%s[]", where);
        return json_array_size(s) ? check_shape(json_array_get(s, 0), path, depth + 1, err)
                                  : TARS_OK;
    }
    if (!json_is_object(s))
        return tars_err_set(
            err, TARS_EINVAL,
            "%s: not a shape (a type name such as \"number\", an object or an array)", where);
    json_object_foreach(s, key, v) {
        snprintf(path, sizeof(path), "%s.%s", where, key);
        if (check_shape(v, path, depth + 1, err) != TARS_OK)
            return err->code;
    }
    return TARS_OK;
}

int tars_api_snapshot_check(json_t *snapshot, struct tars_err *err)
{
    json_t *eps = json_object_get(snapshot, "endpoints"), *ep;
    const char *name;
    json_int_t status;

    if (!json_is_object(eps))
        return tars_err_set(err, TARS_EINVAL, "not a snapshot (no \"endpoints\" object)");
    json_object_foreach(eps, name, ep) {
        status = json_integer_value(json_object_get(ep, "status"));
        if (!json_is_object(ep) || !json_is_integer(json_object_get(ep, "status")) ||
            status < 100 || status > 599)
            return tars_err_set(err, TARS_EINVAL,
                                "endpoints.\"%.100s\": needs a \"status\" from 100 to 599", name);
        if (check_shape(json_object_get(ep, "shape"), name, 0, err) != TARS_OK)
            return err->code;
    }
    return TARS_OK;
}

static void add(json_t *list, const char *fmt, ...) TARS_PRINTF(2, 3);
static void add(json_t *list, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    json_array_append_new(list, json_vsprintf(fmt, ap));
    va_end(ap);
}

struct diff {
    json_t *breaking, *additions, *unverified;
};

static void compare_shapes(struct diff *d, const char *where, json_t *old, json_t *now);

static void compare_objects(struct diff *d, const char *where, json_t *old, json_t *now)
{
    char path[512];
    const char *key;
    json_t *v;

    json_object_foreach(old, key, v) {
        json_t *mine = json_object_get(now, key);
        snprintf(path, sizeof(path), "%s.%s", where, key);
        if (!mine)
            add(d->breaking, "%s: field removed", path);
        else
            compare_shapes(d, path, v, mine);
    }
    json_object_foreach(now, key, v) {
        if (!json_object_get(old, key)) {
            snprintf(path, sizeof(path), "%s.%s", where, key);
            add(d->additions, "%s: field added", path);
        }
    }
}

static void compare_shapes(struct diff *d, const char *where, json_t *old, json_t *now)
{
    char path[512];

    if (is_scalar(old, "null") || is_scalar(now, "null") || is_scalar(old, "mixed"))
        return; /* nullable, or no single type to hold on to */
    if (strcmp(kind(old), kind(now)) != 0) {
        add(d->breaking, "%s: type changed from %s to %s", where, kind(old), kind(now));
        return;
    }
    if (json_is_object(old)) {
        compare_objects(d, where, old, now);
    } else if (json_is_array(old) && json_array_size(old) && !json_array_size(now)) {
        add(d->unverified, "%s: now an empty list, its items were not compared", where);
    } else if (json_is_array(old) && json_array_size(old)) {
        snprintf(path, sizeof(path), "%s[]", where);
        compare_shapes(d, path, json_array_get(old, 0), json_array_get(now, 0));
    }
}

static bool ok_status(json_int_t s)
{
    return s >= 200 && s < 300;
}

json_t *tars_api_compare(json_t *old_snapshot, json_t *new_snapshot)
{
    struct diff d = {json_array(), json_array(), json_array()};
    json_t *old_eps = json_object_get(old_snapshot, "endpoints");
    json_t *new_eps = json_object_get(new_snapshot, "endpoints"), *o, *n;
    const char *name;
    char status[2][16];

    bool new_writes = json_is_true(json_object_get(new_snapshot, "writes"));

    json_object_foreach(old_eps, name, o) {
        json_int_t os = json_integer_value(json_object_get(o, "status"));
        n = json_object_get(new_eps, name);
        if (!n && !new_writes && strncmp(name, "GET ", 4) != 0) {
            add(d.unverified, "%s: not exercised (the new snapshot was taken without writes)",
                name);
            continue;
        }
        json_int_t ns = json_integer_value(json_object_get(n, "status"));
        snprintf(status[0], sizeof(status[0]), "%lld", (long long)os);
        snprintf(status[1], sizeof(status[1]), "%lld", (long long)ns);
        if (!n) {
            add(d.breaking, "%s: endpoint not in the new snapshot", name);
        } else if (ok_status(os) != ok_status(ns) || (!ok_status(os) && os != ns)) {
            add(d.breaking, "%s: status %s became %s", name, status[0], status[1]);
        } else {
            compare_shapes(&d, name, json_object_get(o, "shape"), json_object_get(n, "shape"));
        }
    }
    json_object_foreach(new_eps, name, n) {
        if (!json_object_get(old_eps, name))
            add(d.additions, "%s: new endpoint", name);
    }
    return json_pack("{s:o,s:o,s:o,s:i}", "breaking", d.breaking, "additions", d.additions,
                     "unverified", d.unverified, "endpoints", (int)json_object_size(old_eps));
}
