/*
 * Journeys in a scenario (docs/load-format.md §1.8): a task with `steps`
 * becomes one row for the journey followed by one row per step, named
 * "journey/step". Each step is a request (scenario_read_request) whose
 * templates may name the journey's variables: ${user} and the values that
 * earlier steps extract; a name no earlier step sets is an error here, so a
 * literal "${name}" can never be sent.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "template_int.h"
#include "tars/alloc.h"

#define HEADER_NAME_CHARS "-_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* The journey being read: its variable table grows step by step. */
struct journey_reader {
    struct scenario_reader rd;
    struct tars_load_task *row;
    bool *is_list; /* per slot: set by a list extraction */
    size_t fixed;  /* slots 1..fixed: the data file's columns */
};

size_t scenario_item_rows(json_t *item)
{
    json_t *steps = json_is_object(item) ? json_object_get(item, "steps") : NULL;

    return 1 + (json_is_array(steps) ? json_array_size(steps) : 0);
}

/* The slot of name, added when new (TARS_ETOOBIG past the bound). */
static int var_slot(struct journey_reader *j, const char *name, size_t *slot)
{
    struct tars_load_task *row = j->row;

    for (size_t i = 0; i < row->var_count; i++)
        if (strcmp(row->var_names[i], name) == 0) {
            *slot = i;
            return TARS_OK;
        }
    if (row->var_count >= TARS_LOAD_MAX_VARS)
        return TARS_ETOOBIG;
    row->var_names[row->var_count] = xstrdup(name);
    *slot = row->var_count++;
    j->rd.names = (const char *const *)row->var_names;
    j->rd.name_count = row->var_count;
    return TARS_OK;
}

static int new_var(struct journey_reader *j, json_t *at, const char *name, bool list, size_t *slot)
{
    if (!scenario_is_identifier(name) || strlen(name) > 64)
        return scenario_fail(&j->rd, at,
                             "variable \"%s\" must be an identifier of at most 64 "
                             "bytes ([A-Za-z_][A-Za-z0-9_]*)",
                             name);
    if (strcmp(name, "user") == 0)
        return scenario_fail(&j->rd, at,
                             "variable \"user\" is the user's index; use another "
                             "name");
    for (size_t i = 1; i <= j->fixed; i++)
        if (strcmp(name, j->row->var_names[i]) == 0)
            return scenario_fail(
                &j->rd, at, "variable \"%s\" is a column of the data file; use another name", name);
    if (var_slot(j, name, slot))
        return scenario_fail(&j->rd, at, "a journey has at most %d variables", TARS_LOAD_MAX_VARS);
    j->is_list[*slot] = list;
    return TARS_OK;
}

/* A JSON path: not empty, no control characters, at most one "[*]"
 * (then a list: the path before it must give an array). */
static int json_extract(struct journey_reader *j, json_t *at, const char *path,
                        struct tars_load_extract *x)
{
    const char *star = strstr(path, "[*]");

    if (!*path || scenario_has_control(path) || (star && strstr(star + 3, "[*]")))
        return scenario_fail(&j->rd, at,
                             "extract: bad JSON path \"%s\" (use a.b[0].c, $.id or "
                             "one [*] for a list)",
                             path);
    x->kind = TARS_LOAD_EXTRACT_JSON;
    x->list = star != NULL;
    x->expr = star ? xstrndup(path, (size_t)(star - path)) : xstrdup(path);
    x->list_suffix = star ? xstrdup(star + 3) : NULL;
    return TARS_OK;
}

static int regex_extract(struct journey_reader *j, json_t *at, const char *re,
                         struct tars_load_extract *x)
{
    char msg[160];
    int rc;

    x->kind = TARS_LOAD_EXTRACT_REGEX;
    x->expr = xstrdup(re);
    x->regex = xcalloc(1, sizeof(regex_t));
    if ((rc = regcomp(x->regex, re, REG_EXTENDED)) != 0) {
        regerror(rc, x->regex, msg, sizeof(msg));
        free(x->regex);
        x->regex = NULL;
        return scenario_fail(&j->rd, at, "extract: bad regular expression \"%s\": %s", re, msg);
    }
    return TARS_OK;
}

/* name: PATH | {json: PATH} | {header: NAME} | {regex: RE} */
static int read_extract(struct journey_reader *j, const char *name, json_t *v,
                        struct tars_load_extract *x)
{
    static const char *const kinds[] = {"json", "header", "regex", NULL};
    const char *kind = "json", *text;
    json_t *spec = v;
    int rc;

    x->name = xstrdup(name);
    if (json_is_object(v)) {
        if (json_object_size(v) != 1)
            return scenario_fail(&j->rd, scenario_first_node(v),
                                 "extract %s: give one of json, header or regex", name);
        if ((rc = tars_json_check_keys(&j->rd.json, v, "extract", kinds, NULL)))
            return rc;
        kind = json_object_iter_key(json_object_iter(v));
        spec = json_object_get(v, kind);
    }
    if ((rc = tars_json_string_of(&j->rd.json, spec, "extract", 1024, &text)))
        return rc;
    if (strcmp(kind, "json") == 0)
        rc = json_extract(j, spec, text, x);
    else if (strcmp(kind, "regex") == 0)
        rc = regex_extract(j, spec, text, x);
    else if (strlen(text) > 64 || strspn(text, HEADER_NAME_CHARS) != strlen(text))
        rc = scenario_fail(&j->rd, spec,
                           "extract: bad header name \"%s\" (letters, digits, - "
                           "and _; at most 64 bytes)",
                           text);
    else {
        x->kind = TARS_LOAD_EXTRACT_HEADER;
        x->expr = xstrdup(text);
    }
    if (rc)
        return rc;
    return new_var(j, spec, name, x->list, &x->slot);
}

static int read_extracts(struct journey_reader *j, json_t *obj, struct tars_load_task *t)
{
    json_t *map = json_object_get(obj, "extract"), *v;
    const char *name;
    int rc, headers = 0;

    if (!map)
        return TARS_OK;
    if (!json_is_object(map) || json_object_size(map) == 0 ||
        json_object_size(map) > TARS_LOAD_MAX_VARS)
        return scenario_fail(&j->rd, map,
                             "extract must be a mapping of 1 to %d names to JSON "
                             "paths, {header: NAME} or {regex: RE}",
                             TARS_LOAD_MAX_VARS);
    t->extracts = xcalloc(json_object_size(map), sizeof(*t->extracts));
    json_object_foreach(map, name, v) {
        t->extract_count++; /* counted first, so that a half-read one is freed */
        if ((rc = read_extract(j, name, v, &t->extracts[t->extract_count - 1])))
            return rc;
        if (t->extracts[t->extract_count - 1].kind == TARS_LOAD_EXTRACT_HEADER && headers++)
            return scenario_fail(&j->rd, v,
                                 "extract: one header per step (the parser keeps "
                                 "one)");
    }
    return TARS_OK;
}

/* loop: {over: LIST, as: NAME, max: N}; `as` is visible to the step itself. */
static int read_loop(struct journey_reader *j, json_t *obj, struct tars_load_task *t)
{
    static const char *const keys[] = {"over", "as", "max", NULL};
    json_t *v = json_object_get(obj, "loop");
    const char *over = NULL, *as = NULL;
    int64_t max = TARS_LOAD_MAX_LIST;
    bool found = false;
    int rc;

    if (!v)
        return TARS_OK;
    if (!json_is_object(v))
        return scenario_fail(&j->rd, v, "loop must be a mapping {over, as, max}, not %s",
                             tars_json_kind(v));
    if ((rc = tars_json_check_keys(&j->rd.json, v, "loop", keys, NULL)))
        return rc;
    if (!json_object_get(v, "over") || !json_object_get(v, "as"))
        return scenario_fail(&j->rd, scenario_first_node(v), "loop needs over and as");
    if ((rc = tars_json_string_of(&j->rd.json, json_object_get(v, "over"), "loop over", 64,
                                  &over)) ||
        (rc = tars_json_string_of(&j->rd.json, json_object_get(v, "as"), "loop as", 64, &as)) ||
        (rc = tars_json_get_int(&j->rd.json, v, "max", TARS_JSON_OPTIONAL, 1, TARS_LOAD_MAX_LIST,
                                &max)))
        return rc;
    for (size_t i = 0; i < j->row->var_count; i++)
        if (strcmp(j->row->var_names[i], over) == 0 && j->is_list[i]) {
            t->loop_over = i;
            found = true;
        }
    if (!found)
        return scenario_fail(&j->rd, json_object_get(v, "over"),
                             "loop over \"%s\": no earlier step extracts a list of that name "
                             "(a JSON path with [*])",
                             over);
    if ((rc = new_var(j, json_object_get(v, "as"), as, false, &t->loop_as)))
        return rc;
    t->loop = true;
    t->loop_max = (size_t)max;
    return TARS_OK;
}

/* "journey/step", cut to SCENARIO_MAX_NAME bytes; step_name points inside. */
static void name_step(struct tars_load_task *row, struct tars_load_task *t)
{
    char *own = t->name, *full = xmalloc(SCENARIO_MAX_NAME + 1);
    size_t n = (size_t)snprintf(full, SCENARIO_MAX_NAME + 1, "%s/%s", row->name, own);

    if (n > SCENARIO_MAX_NAME) {
        n = SCENARIO_MAX_NAME;
        while (n > 0 && ((unsigned char)full[n] & 0xc0) == 0x80)
            n--;
        full[n] = '\0';
    }
    free(own);
    t->name = full;
    t->step_name = full + strlen(row->name) + (strlen(full) > strlen(row->name));
}

static int read_step(struct journey_reader *j, json_t *obj, size_t journey,
                     struct tars_load_task *t)
{
    static const char *const keys[] = {"name",    "method", "path", "headers",     "body", "expect",
                                       "extract", "think",  "loop", "probability", NULL};
    json_t *think = json_object_get(obj, "think");
    int rc;

    t->kind = TARS_LOAD_TASK_STEP;
    t->journey = journey;
    t->probability = 1;
    if (!json_is_object(obj))
        return scenario_fail(&j->rd, obj, "a step must be a mapping, not %s", tars_json_kind(obj));
    if ((rc = tars_json_check_keys(&j->rd.json, obj, "a step", keys, NULL)) ||
        (rc = read_loop(j, obj, t)) || (rc = scenario_read_request(&j->rd, obj, t)) ||
        (rc = tars_json_get_double(&j->rd.json, obj, "probability", TARS_JSON_OPTIONAL, 0, 1,
                                   &t->probability)) ||
        (think &&
         (rc = scenario_think(&j->rd, think, "think", &t->think_min_ms, &t->think_max_ms))))
        return rc;
    if (t->probability <= 0)
        return scenario_fail(&j->rd, json_object_get(obj, "probability"),
                             "probability must be above 0 and at most 1");
    name_step(j->row, t);
    return read_extracts(j, obj, t); /* visible from the next step on */
}

static int read_row(const struct scenario_reader *rd, json_t *item,
                    const struct tars_load_scenario *s, struct tars_load_task *row)
{
    static const char *const keys[] = {"name", "weight", "steps", NULL};
    json_t *steps = json_object_get(item, "steps");
    int64_t weight = 1;
    int rc;

    row->kind = TARS_LOAD_TASK_JOURNEY;
    if (!json_is_object(item))
        return scenario_fail(rd, item, "a task must be a mapping, not %s", tars_json_kind(item));
    if ((rc = tars_json_check_keys(&rd->json, item, "a journey", keys, NULL)) ||
        (rc = tars_json_get_strdup(&rd->json, item, "name", TARS_JSON_OPTIONAL,
                                   SCENARIO_MAX_NAME - 2, &row->name)) ||
        (rc =
             tars_json_get_int(&rd->json, item, "weight", TARS_JSON_OPTIONAL, 1, 1000000, &weight)))
        return rc;
    if (!row->name)
        return scenario_fail(rd, scenario_first_node(item), "a journey needs a name");
    if (strchr(row->name, '/'))
        return scenario_fail(rd, json_object_get(item, "name"),
                             "a journey's name may not hold \"/\" (its steps are journey/step)");
    if (!json_is_array(steps) || json_array_size(steps) == 0 ||
        json_array_size(steps) > TARS_LOAD_MAX_STEPS)
        return scenario_fail(rd, steps, "steps must be a list of 1 to %d steps",
                             TARS_LOAD_MAX_STEPS);
    row->weight = (unsigned)weight;
    row->method = xstrdup("JOURNEY");
    row->path_text = xstrdup("");
    row->path = template_new();
    row->headers = xcalloc(1, sizeof(*row->headers));
    row->step_count = json_array_size(steps);
    row->var_names = xcalloc(TARS_LOAD_MAX_VARS, sizeof(*row->var_names));
    row->var_names[row->var_count++] = xstrdup("user");
    for (size_t i = 0; i < s->data.column_count; i++) /* slots 1..: the data row's columns */
        row->var_names[row->var_count++] = xstrdup(s->data.columns[i]);
    return TARS_OK;
}

int scenario_read_journey(const struct scenario_reader *rd, json_t *item,
                          struct tars_load_scenario *s)
{
    size_t journey = s->task_count;
    struct journey_reader j = {*rd, &s->tasks[journey], NULL, s->data.column_count};
    json_t *steps;
    int rc = TARS_OK;

    s->task_count++;
    if ((rc = read_row(rd, item, s, j.row)))
        return rc;
    j.is_list = xcalloc(TARS_LOAD_MAX_VARS, sizeof(*j.is_list));
    j.rd.names = (const char *const *)j.row->var_names;
    j.rd.name_count = j.row->var_count;
    steps = json_object_get(item, "steps");
    for (size_t i = 0; i < json_array_size(steps); i++) {
        struct tars_load_task *t = &s->tasks[s->task_count++];
        if ((rc = read_step(&j, json_array_get(steps, i), journey, t)))
            break;
    }
    free(j.is_list);
    return rc;
}
