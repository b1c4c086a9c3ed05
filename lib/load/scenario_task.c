/*
 * The tasks of a scenario (method, path, headers, body, weight, expect) and
 * its thresholds. A mapping body becomes one JSON template: punctuation as
 * literals, every string value compiled in JSON-string mode.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scenario_int.h"
#include "template_int.h"
#include "tars/alloc.h"
#include "tars/str.h"
#include "tars/url.h"

/* ---- tasks ---- */

/* Compiles v's string; in a journey step with its variables, written with
 * escape where ${name} stands. */
static int compile_at(const struct scenario_reader *rd, json_t *v, const char *what,
                      enum template_escape escape, tars_load_template **out)
{
    struct tars_err terr = TARS_ERR_INIT;

    if (rd->names)
        *out =
            template_compile_names(json_string_value(v), rd->names, rd->name_count, escape, &terr);
    else
        *out = tars_load_template_compile(json_string_value(v), &terr);
    return *out ? TARS_OK : scenario_fail(rd, v, "%s: %s", what, terr.msg);
}

/* Upper-cases method in place; true when it is one tars sends. */
bool scenario_method_known(char *method)
{
    static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                          "PATCH", "DELETE", "OPTIONS", NULL};

    for (char *p = method; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return tars_str_in_list(method, methods);
}

static int read_method(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t)
{
    json_t *v = json_object_get(obj, "method");
    int rc;

    t->method = xstrdup("GET");
    if (!v)
        return TARS_OK;
    if ((rc = tars_json_get_strdup(&rd->json, obj, "method", TARS_JSON_OPTIONAL, 16, &t->method)))
        return rc;
    if (!scenario_method_known(t->method))
        return scenario_fail(rd, v, "unknown method \"%s\"", json_string_value(v));
    return TARS_OK;
}

static int read_path(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t)
{
    json_t *v = json_object_get(obj, "path");
    int rc;

    if (!v)
        return scenario_fail(rd, scenario_first_node(obj), "a task needs a path");
    /* required: `path:` with no value is null, which the getter counts as absent */
    if ((rc = tars_json_get_strdup(&rd->json, obj, "path", TARS_JSON_REQUIRED, TARS_URL_MAX,
                                   &t->path_text)))
        return rc;
    if (t->path_text[0] != '/' || scenario_has_control(t->path_text))
        return scenario_fail(rd, v, "path must start with \"/\" and hold no control characters");
    return compile_at(rd, v, "path", TEMPLATE_ESCAPE_PATH, &t->path);
}

/* The default name "METHOD path", cut to SCENARIO_MAX_NAME bytes on a
 * UTF-8 character boundary. */
char *scenario_default_task_name(const struct tars_load_task *t)
{
    char *name = xmalloc(SCENARIO_MAX_NAME + 1);
    size_t n = (size_t)snprintf(name, SCENARIO_MAX_NAME + 1, "%s %s", t->method, t->path_text);

    if (n > SCENARIO_MAX_NAME) {
        n = SCENARIO_MAX_NAME;
        while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
            n--;
        name[n] = '\0';
    }
    return name;
}

static bool is_token(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return false;
    return true;
}

static int read_header(const struct scenario_reader *rd, const char *name, json_t *v,
                       struct tars_load_header *h)
{
    static const char *const reserved[] = {"content-length", "transfer-encoding", "connection"};
    char number[32];
    const char *text = number;

    if (!*name || strlen(name) > 127 || !is_token(name))
        return scenario_fail(rd, v, "bad header name \"%s\"", name);
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return scenario_fail(rd, v, "header \"%s\" is set by tars, not by the scenario", name);
    if (json_is_integer(v))
        snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
        text = json_string_value(v);
    else
        return scenario_fail(rd, v, "header \"%s\" must be a string, not %s", name,
                             tars_json_kind(v));
    if (scenario_has_control(text))
        return scenario_fail(rd, v, "header \"%s\" holds a control character", name);
    h->name = xstrdup(name);
    if (json_is_string(v))
        return compile_at(rd, v, "header value", TEMPLATE_ESCAPE_HEADER, &h->value);
    h->value = tars_load_template_compile(text, NULL);
    return h->value ? TARS_OK : TARS_EINTERNAL;
}

static int read_headers(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t)
{
    json_t *map = json_object_get(obj, "headers"), *v;
    const char *name;
    int rc;

    t->headers = xcalloc((map ? json_object_size(map) : 0) + 1, sizeof(*t->headers));
    if (!map)
        return TARS_OK;
    if (!json_is_object(map) || json_object_size(map) > SCENARIO_MAX_HEADERS)
        return scenario_fail(rd, map, "headers must be a mapping of at most %d names to values",
                             SCENARIO_MAX_HEADERS);
    json_object_foreach(map, name, v) {
        t->header_count++; /* counted first, so that a half-read one is freed */
        if ((rc = read_header(rd, name, v, &t->headers[t->header_count - 1])))
            return rc;
    }
    return TARS_OK;
}

static int body_value(const struct scenario_reader *rd, json_t *v, tars_load_template *t);

/* A string value: quoted, with its calls rendered inside the quotes; but
 * exactly one ${random.int(..)} or ${seq} is a bare JSON number. */
static int body_string(const struct scenario_reader *rd, json_t *v, tars_load_template *t)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    struct tars_err terr = TARS_ERR_INIT;
    tars_load_template *probe = template_new();
    int rc;

    template_set_names(probe, rd->names, rd->name_count, TEMPLATE_ESCAPE_NONE);
    rc = template_add_text(probe, s, len, false, &terr);

    if (!rc && template_is_single_number(probe)) {
        rc = template_add_text(t, s, len, false, &terr);
    } else if (!rc) {
        template_add_literal(t, "\"", 1);
        rc = template_add_text(t, s, len, true, &terr);
        template_add_literal(t, "\"", 1);
    }
    tars_load_template_free(probe);
    return rc ? scenario_fail(rd, v, "body: %s", terr.msg) : TARS_OK;
}

/* Numbers, booleans, null and object keys go in as jansson writes them. */
static int body_literal(tars_load_template *t, json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

    if (!text)
        return TARS_EINTERNAL;
    template_add_literal(t, text, strlen(text));
    free(text);
    return TARS_OK;
}

static int body_object(const struct scenario_reader *rd, json_t *v, tars_load_template *t)
{
    const char *key;
    json_t *item, *k;
    bool first = true;
    int rc = TARS_OK;

    template_add_literal(t, "{", 1);
    json_object_foreach(v, key, item) {
        if (!first)
            template_add_literal(t, ",", 1);
        first = false;
        if (!(k = json_string(key)))
            return scenario_fail(rd, item, "body: key \"%s\" is not valid UTF-8", key);
        rc = body_literal(t, k);
        json_decref(k);
        template_add_literal(t, ":", 1);
        if (rc || (rc = body_value(rd, item, t)))
            return rc;
    }
    template_add_literal(t, "}", 1);
    return TARS_OK;
}

static int body_value(const struct scenario_reader *rd, json_t *v, tars_load_template *t)
{
    size_t i;
    json_t *item;
    int rc;

    switch (json_typeof(v)) {
    case JSON_OBJECT: return body_object(rd, v, t);
    case JSON_ARRAY:
        template_add_literal(t, "[", 1);
        json_array_foreach(v, i, item) {
            if (i > 0)
                template_add_literal(t, ",", 1);
            if ((rc = body_value(rd, item, t)))
                return rc;
        }
        template_add_literal(t, "]", 1);
        return TARS_OK;
    case JSON_STRING: return body_string(rd, v, t);
    default: return body_literal(t, v);
    }
}

static int read_body(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t)
{
    json_t *v = json_object_get(obj, "body");

    if (!v)
        return TARS_OK;
    int rc;

    if (json_is_string(v))
        return compile_at(rd, v, "body", TEMPLATE_ESCAPE_NONE, &t->body);
    if (!json_is_object(v) && !json_is_array(v))
        return scenario_fail(rd, v, "body must be a string or a mapping, not %s",
                             tars_json_kind(v));
    t->body = template_new();
    template_set_names(t->body, rd->names, rd->name_count, TEMPLATE_ESCAPE_NONE);
    rc = body_value(rd, v, t->body);
    template_set_names(t->body, NULL, 0, TEMPLATE_ESCAPE_NONE); /* borrowed while compiling */
    return rc;
}

/* A scalar or a list of them, as a list. */
static int expect_list(const struct scenario_reader *rd, json_t *v, const char *what,
                       json_t **items, size_t *n)
{
    if (!json_is_array(v)) {
        items[0] = v;
        *n = 1;
        return TARS_OK;
    }
    *n = json_array_size(v);
    if (*n == 0 || *n > SCENARIO_MAX_EXPECT)
        return scenario_fail(rd, v, "expect %s must list 1 to %d items", what, SCENARIO_MAX_EXPECT);
    for (size_t i = 0; i < *n; i++)
        items[i] = json_array_get(v, i);
    return TARS_OK;
}

static int read_expect_status(const struct scenario_reader *rd, json_t *v, struct tars_load_task *t)
{
    json_t *items[SCENARIO_MAX_EXPECT];
    size_t n;
    int rc;

    if (!v)
        return TARS_OK;
    if ((rc = expect_list(rd, v, "status", items, &n)))
        return rc;
    t->expect_status = xcalloc(n, sizeof(*t->expect_status));
    for (size_t i = 0; i < n; i++) {
        if (!json_is_integer(items[i]) || json_integer_value(items[i]) < 100 ||
            json_integer_value(items[i]) > 599)
            return scenario_fail(rd, items[i], "expect status must be an HTTP status 100..599");
        t->expect_status[t->expect_status_count++] = (int)json_integer_value(items[i]);
    }
    return TARS_OK;
}

static bool is_field_path(const char *s)
{
    size_t len = strlen(s);

    return len > 0 && s[0] != '.' && s[len - 1] != '.' && !strstr(s, "..");
}

static int read_expect_json(const struct scenario_reader *rd, json_t *v, struct tars_load_task *t)
{
    json_t *items[SCENARIO_MAX_EXPECT];
    const char *field;
    size_t n;
    int rc;

    if (!v)
        return TARS_OK;
    if ((rc = expect_list(rd, v, "json", items, &n)))
        return rc;
    t->expect_json_fields = xcalloc(n, sizeof(*t->expect_json_fields));
    for (size_t i = 0; i < n; i++) {
        if ((rc = tars_json_string_of(&rd->json, items[i], "expect json field", 256, &field)))
            return rc;
        if (!is_field_path(field))
            return scenario_fail(rd, items[i], "bad JSON field \"%s\" (use name or a.b.c)", field);
        t->expect_json_fields[t->expect_json_count++] = xstrdup(field);
    }
    return TARS_OK;
}

static int read_expect(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t)
{
    static const char *const keys[] = {"status", "json", NULL};
    json_t *v = json_object_get(obj, "expect");
    int rc;

    if (!v)
        return TARS_OK;
    if (!json_is_object(v))
        return scenario_fail(rd, v, "expect must be a mapping {status, json}, not %s",
                             tars_json_kind(v));
    if ((rc = tars_json_check_keys(&rd->json, v, "expect", keys, NULL)) ||
        (rc = read_expect_status(rd, json_object_get(v, "status"), t)))
        return rc;
    return read_expect_json(rd, json_object_get(v, "json"), t);
}

int scenario_read_request(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t)
{
    int rc;

    if ((rc = read_method(rd, obj, t)) || (rc = read_path(rd, obj, t)) ||
        (rc = tars_json_get_strdup(&rd->json, obj, "name", TARS_JSON_OPTIONAL, SCENARIO_MAX_NAME,
                                   &t->name)) ||
        (rc = read_headers(rd, obj, t)) || (rc = read_body(rd, obj, t)) ||
        (rc = read_expect(rd, obj, t)))
        return rc;
    if (!t->name)
        t->name = scenario_default_task_name(t);
    return TARS_OK;
}

static int read_task(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t)
{
    static const char *const keys[] = {"name", "method", "path",   "headers",
                                       "body", "weight", "expect", NULL};
    int64_t weight = 1;
    int rc;

    if (!json_is_object(obj))
        return scenario_fail(rd, obj, "a task must be a mapping, not %s", tars_json_kind(obj));
    if ((rc = tars_json_check_keys(&rd->json, obj, "a task", keys, NULL)) ||
        (rc = scenario_read_request(rd, obj, t)) ||
        (rc = tars_json_get_int(&rd->json, obj, "weight", TARS_JSON_OPTIONAL, 1, 1000000, &weight)))
        return rc;
    t->weight = (unsigned)weight;
    return TARS_OK;
}

const struct tars_load_task *scenario_find_task(const struct tars_load_scenario *s,
                                                const char *name, size_t before)
{
    for (size_t i = 0; i < before; i++)
        if (strcmp(s->tasks[i].name, name) == 0)
            return &s->tasks[i];
    return NULL;
}

int scenario_threshold_task(const struct tars_load_scenario *s, const struct tars_threshold *th,
                            struct tars_err *err)
{
    struct tars_str_suggester near;
    char hint[192] = "";

    if (!th->task || scenario_find_task(s, th->task, s->task_count))
        return TARS_OK;
    tars_str_suggest_init(&near, th->task);
    for (size_t i = 0; i < s->task_count; i++)
        tars_str_suggest_add(&near, s->tasks[i].name);
    if (tars_str_suggest_best(&near))
        snprintf(hint, sizeof(hint), " (did you mean \"%.160s\"?)", tars_str_suggest_best(&near));
    return tars_err_set(err, TARS_EINVAL, "threshold \"%s\": no task named \"%s\"%s",
                        th->text ? th->text : "", th->task, hint);
}

int scenario_read_tasks(const struct scenario_reader *rd, json_t *root,
                        struct tars_load_scenario *s)
{
    json_t *list = json_object_get(root, "tasks"), *item;
    size_t rows = 0, first;
    int rc;

    if (!list)
        return scenario_fail(rd, root, "tasks is missing: at least one task is needed");
    if (!json_is_array(list))
        return scenario_fail(rd, list, "tasks must be a list, not %s", tars_json_kind(list));
    for (size_t i = 0; i < json_array_size(list); i++)
        rows += scenario_item_rows(json_array_get(list, i));
    if (json_array_size(list) == 0 || rows > SCENARIO_MAX_TASKS)
        return scenario_fail(rd, list, "tasks must list 1 to %d tasks", /* a journey: 1 + steps */
                             SCENARIO_MAX_TASKS);
    s->tasks = xcalloc(rows, sizeof(*s->tasks));
    for (size_t i = 0; i < json_array_size(list); i++) {
        item = json_array_get(list, i);
        first = s->task_count;
        if (scenario_item_rows(item) > 1 || json_object_get(item, "steps")) {
            rc = scenario_read_journey(rd, item, s);
        } else {
            s->task_count++;
            rc = read_task(rd, item, &s->tasks[first]);
        }
        if (rc)
            return rc;
        for (size_t k = first; k < s->task_count; k++)
            if (scenario_find_task(s, s->tasks[k].name, k))
                return scenario_fail(rd, scenario_first_node(item), "duplicate task name \"%s\"",
                                     s->tasks[k].name);
    }
    return TARS_OK;
}

/* ---- thresholds ---- */

/* One threshold: text, or, from k6's map form, metric + ": " + text. */
static int read_threshold(const struct scenario_reader *rd, json_t *v, const char *metric,
                          struct tars_load_scenario *s)
{
    struct tars_threshold *th = &s->thresholds[s->threshold_count];
    struct tars_err terr = TARS_ERR_INIT;
    const char *text;
    char joined[512];
    int rc;

    if ((rc = tars_json_string_of(&rd->json, v, "a threshold", 256, &text)))
        return rc;
    if (metric) {
        snprintf(joined, sizeof(joined), "%s: %s", metric, text);
        text = joined;
    }
    if (tars_threshold_parse(text, th, &terr))
        return scenario_fail(rd, v, "%s", terr.msg);
    s->threshold_count++;
    if (scenario_threshold_task(s, th, &terr))
        return scenario_fail(rd, v, "%s", terr.msg);
    return TARS_OK;
}

/* k6's {threshold: "p(95)<150", abortOnFail: false}: the expression (tars
 * judges every threshold at the end of the run, so abortOnFail: true is an error). */
static int k6_threshold_object(const struct scenario_reader *rd, json_t *item, json_t **text)
{
    static const char *const keys[] = {"threshold", "abortOnFail", NULL};
    json_t *abort = json_object_get(item, "abortOnFail");
    int rc;

    if ((rc = tars_json_check_keys(&rd->json, item, "a k6 threshold", keys, NULL)))
        return rc;
    if (abort && !json_is_false(abort))
        return scenario_fail(rd, abort,
                             "abortOnFail: tars judges thresholds when the run ends; "
                             "only false is accepted");
    if (!(*text = json_object_get(item, "threshold")))
        return scenario_fail(rd, item, "a k6 threshold object needs \"threshold\"");
    return TARS_OK;
}

/* k6's form: a mapping of metric (tags included) to a list of expressions. */
static int read_k6_thresholds(const struct scenario_reader *rd, json_t *map,
                              struct tars_load_scenario *s)
{
    size_t total = 0;
    const char *metric;
    json_t *list, *item;
    int rc;

    json_object_foreach(map, metric, list) {
        if (!json_is_array(list) && !json_is_string(list))
            return scenario_fail(rd, list, "thresholds.%s must be a list of expressions, not %s",
                                 metric, tars_json_kind(list));
        total += json_is_array(list) ? json_array_size(list) : 1;
    }
    if (total > SCENARIO_MAX_THRESHOLDS)
        return scenario_fail(rd, map, "thresholds: at most %d", SCENARIO_MAX_THRESHOLDS);
    s->thresholds = xcalloc(total + 1, sizeof(*s->thresholds));
    json_object_foreach(map, metric, list) {
        for (size_t i = 0; i < (json_is_array(list) ? json_array_size(list) : 1); i++) {
            item = json_is_array(list) ? json_array_get(list, i) : list;
            if (json_is_object(item) && (rc = k6_threshold_object(rd, item, &item)))
                return rc;
            if ((rc = read_threshold(rd, item, metric, s)))
                return rc;
        }
    }
    return TARS_OK;
}

int scenario_read_thresholds(const struct scenario_reader *rd, json_t *root,
                             struct tars_load_scenario *s)
{
    json_t *list = json_object_get(root, "thresholds");
    int rc;

    if (!list)
        return TARS_OK;
    if (json_is_object(list))
        return read_k6_thresholds(rd, list, s);
    if (json_is_string(list)) { /* a single one */
        s->thresholds = xcalloc(1, sizeof(*s->thresholds));
        return read_threshold(rd, list, NULL, s);
    }
    if (!json_is_array(list) || json_array_size(list) > SCENARIO_MAX_THRESHOLDS)
        return scenario_fail(rd, list,
                             "thresholds must be a list of at most %d strings, or k6's mapping "
                             "of metric to expressions",
                             SCENARIO_MAX_THRESHOLDS);
    s->thresholds = xcalloc(json_array_size(list) + 1, sizeof(*s->thresholds));
    for (size_t i = 0; i < json_array_size(list); i++)
        if ((rc = read_threshold(rd, json_array_get(list, i), NULL, s)))
            return rc;
    return TARS_OK;
}

/* ---- release ---- */

void scenario_task_release(struct tars_load_task *t)
{
    free(t->name);
    free(t->method);
    tars_load_template_free(t->path);
    free(t->path_text);
    for (size_t i = 0; i < t->header_count; i++) {
        free(t->headers[i].name);
        tars_load_template_free(t->headers[i].value);
    }
    free(t->headers);
    tars_load_template_free(t->body);
    free(t->expect_status);
    for (size_t i = 0; i < t->expect_json_count; i++)
        free(t->expect_json_fields[i]);
    free(t->expect_json_fields);
    for (size_t i = 0; i < t->var_count; i++)
        free(t->var_names[i]);
    free(t->var_names);
    for (size_t i = 0; i < t->extract_count; i++) {
        free(t->extracts[i].name);
        free(t->extracts[i].expr);
        free(t->extracts[i].list_suffix);
        if (t->extracts[i].regex)
            regfree(t->extracts[i].regex);
        free(t->extracts[i].regex);
    }
    free(t->extracts);
}
