/* Loading a suite: YAML → validated checks with variables substituted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/str.h"
#include "tars/yaml.h"

#define MAX_CHECKS 2000
#define VAR_VALUE_MAX 4096
#define VAR_NESTING_MAX 8
#define ENVIRONMENT_VAR "ENVIRONMENT"
#define TEXT_MAX 4096 /* id, name, category */

static const char *const suite_keys[] = {"suite",        "name",     "description", "variables",
                                         "defaults",     "deadline", "targets",     "checks",
                                         "environments", NULL};
static const char *const check_keys[] = {"id",          "name",     "description", "category",
                                         "type",        "tags",     "timeout",     "retries",
                                         "retry_delay", "on_empty", "skip",        NULL};
static const char *const default_keys[] = {"timeout", "retries", "retry_delay", NULL};

/* Where a value of a check's parameters is. The parameters the type reads
 * are expand()'s copy of what the suite wrote: each copy is mapped back to
 * its original node, and the whole (a new mapping) to the check. */
struct param_place {
    const tars_yaml_doc *doc;
    const char *id;
    const json_t *check, *params;
    const json_t **pairs; /* copy, original, copy, original, ... */
    size_t count, cap;    /* in pairs */
};

struct loader {
    tars_yaml_doc *doc;
    struct tars_json_reader rd; /* the typed getters of tars/json.h over doc */
    const struct tars_var *vars;
    size_t var_count;
    json_t *variables; /* the suite's own variables block */
    json_t *preset;    /* environments.<ENVIRONMENT>, or NULL */
    int nesting;       /* suite-written values being expanded inside each other */
    struct tars_check_secrets *secrets;
    struct param_place *place; /* while a check's parameters are copied */
    int64_t timeout_ms, retry_delay_ms;
    int retries;
    struct tars_err *err;
};

/* ---- variables ---- */

/* The value of name: --var, then the environment, then the selected
 * environment's preset, then the suite's own variables block (value, env,
 * default). NULL when none. *written is true when the value was written in
 * the suite (a preset or the variables block): such a value may itself
 * refer to variables. */
static const char *var_lookup(struct loader *L, const char *name, bool *secret, bool *written)
{
    json_t *decl = json_object_get(L->variables, name);
    const char *v = NULL;

    *secret = json_is_object(decl) && json_is_true(json_object_get(decl, "secret"));
    *written = false;
    for (size_t i = 0; i < L->var_count; i++)
        if (strcmp(L->vars[i].name, name) == 0)
            v = L->vars[i].value;
    if (!v && getenv(name) && *getenv(name))
        v = getenv(name);
    if (!v && json_is_object(decl)) {
        const char *env = json_string_value(json_object_get(decl, "env"));
        v = env && getenv(env) && *getenv(env) ? getenv(env) : NULL;
    }
    if (v)
        return v;
    *written = true;
    v = json_string_value(json_object_get(L->preset, name));
    if (!v && json_is_string(decl))
        v = json_string_value(decl);
    if (!v && json_is_object(decl)) {
        v = json_string_value(json_object_get(decl, "value"));
        if (!v)
            v = json_string_value(json_object_get(decl, "default"));
    }
    return v;
}

static int expand_text(struct loader *L, json_t *node, const char *text, struct tars_buf *out);

/* Appends a variable's value; one written in the suite is expanded in turn. */
static int put_value(struct loader *L, json_t *node, const char *name, const char *v, bool written,
                     struct tars_buf *out)
{
    int rc;

    if (!written || !strstr(v, "${"))
        return tars_buf_puts(out, v);
    if (L->nesting >= VAR_NESTING_MAX)
        return tars_json_fail(&L->rd, node, TARS_EINVAL,
                              "variable \"%s\": references nest more than %d deep (a loop?)", name,
                              VAR_NESTING_MAX);
    L->nesting++;
    rc = expand_text(L, node, v, out);
    L->nesting--;
    return rc;
}

/* Expands one "${NAME}" or "${NAME:-default}" at text (after "${"). */
static int expand_one(struct loader *L, json_t *node, const char **p, struct tars_buf *out)
{
    const char *end = strchr(*p, '}'), *dflt = NULL, *v;
    char name[128];
    size_t n;
    bool secret, written;

    if (!end)
        return tars_json_fail(&L->rd, node, TARS_EINVAL, "unterminated \"${\"");
    n = (size_t)(end - *p);
    if (strstr(*p, ":-") && strstr(*p, ":-") < end) {
        dflt = strstr(*p, ":-") + 2;
        n = (size_t)(dflt - 2 - *p);
    }
    if (n == 0 || n >= sizeof(name))
        return tars_json_fail(&L->rd, node, TARS_EINVAL, "bad variable reference");
    memcpy(name, *p, n);
    name[n] = '\0';
    v = var_lookup(L, name, &secret, &written);
    if (secret && v)
        secrets_add(L->secrets, v);
    *p = end + 1;
    if (v)
        return put_value(L, node, name, v, written, out);
    if (dflt)
        return tars_buf_append(out, dflt, (size_t)(end - dflt));
    return tars_json_fail(&L->rd, node, TARS_EINVAL,
                          "variable \"%s\" is not set (use --var %s=..., the environment, or "
                          "${%s:-default})",
                          name, name, name);
}

static int expand_text(struct loader *L, json_t *node, const char *text, struct tars_buf *out)
{
    const char *p = text;
    int rc = TARS_OK;

    while (*p && rc == TARS_OK) {
        const char *next = strstr(p, "${");
        if (!next)
            return tars_buf_puts(out, p);
        rc = tars_buf_append(out, p, (size_t)(next - p));
        p = next + 2;
        if (rc == TARS_OK)
            rc = expand_one(L, node, &p, out);
    }
    return rc;
}

static int expand_string(struct loader *L, json_t *node, const char *text, json_t **out)
{
    struct tars_buf b = TARS_BUF_INIT(VAR_VALUE_MAX * 4);
    int rc = expand_text(L, node, text, &b);

    if (rc == TARS_ETOOBIG)
        rc = tars_json_fail(&L->rd, node, TARS_ETOOBIG, "value too long after substitution");
    if (rc == TARS_OK)
        *out = json_string(b.data ? b.data : "");
    tars_buf_release(&b);
    return rc;
}

static void place_add(struct param_place *p, const json_t *copy, const json_t *orig)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 32;
        p->pairs = xrealloc(p->pairs, p->cap * 2 * sizeof(*p->pairs));
    }
    p->pairs[2 * p->count] = copy;
    p->pairs[2 * p->count + 1] = orig;
    p->count++;
}

static int expand_node(struct loader *L, json_t *v, json_t **out);

/* Returns a deep copy of v with variables substituted in every string. */
static int expand(struct loader *L, json_t *v, json_t **out)
{
    int rc = expand_node(L, v, out);

    if (rc == TARS_OK && L->place)
        place_add(L->place, *out, v);
    return rc;
}

static int expand_node(struct loader *L, json_t *v, json_t **out)
{
    const char *key;
    size_t i;
    json_t *item, *copy, *x;
    int rc = TARS_OK;

    if (json_is_string(v))
        return expand_string(L, v, json_string_value(v), out);
    if (!json_is_object(v) && !json_is_array(v)) {
        *out = json_deep_copy(v);
        return TARS_OK;
    }
    copy = json_is_object(v) ? json_object() : json_array();
    if (json_is_object(v)) {
        json_object_foreach(v, key, item) {
            if ((rc = expand(L, item, &x)))
                break;
            json_object_set_new(copy, key, x);
        }
    } else {
        json_array_foreach(v, i, item) {
            if ((rc = expand(L, item, &x)))
                break;
            json_array_append_new(copy, x);
        }
    }
    if (rc)
        json_decref(copy);
    else
        *out = copy;
    return rc;
}

/* ---- typed fields ---- */

static int get_retries(struct loader *L, json_t *obj, int *out)
{
    int64_t v = *out;
    int rc = tars_json_get_int(&L->rd, obj, "retries", TARS_JSON_OPTIONAL, 0, 10, &v);

    *out = (int)v;
    return rc;
}

static int get_tags(struct loader *L, json_t *obj, struct tars_check *c)
{
    json_t *list = NULL, *t;
    size_t i;
    int rc = tars_json_get_strings(&L->rd, obj, "tags", TARS_JSON_OPTIONAL, 0, SIZE_MAX, TEXT_MAX,
                                   &list);

    if (rc || !list)
        return rc;
    c->tags = xcalloc(json_array_size(list) + 1, sizeof(*c->tags));
    json_array_foreach(list, i, t)
        c->tags[c->tag_count++] = xstrdup(json_string_value(t));
    return TARS_OK;
}

static void skip_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    tars_check_skip(out, "%s", ctx->check->skip ? ctx->check->skip : "skipped");
}

/* The type of a check that only says why it is not run (skip: without type:). */
static const struct tars_check_type skip_type = {.name = "skip", .run = skip_run};

static int get_type(struct loader *L, json_t *obj, struct tars_check *c)
{
    json_t *v = json_object_get(obj, "type");
    const char *names[64], *near;
    char valid[1024];
    size_t n;

    if (!v && json_object_get(obj, "skip")) {
        c->type = &skip_type;
        return TARS_OK;
    }
    if (!v)
        return tars_json_fail(&L->rd, obj, TARS_EINVAL, "type is required");
    if (!json_is_string(v))
        return tars_json_fail(&L->rd, v, TARS_EINVAL, "type must be a string, not %s",
                              tars_json_kind(v));
    c->type = tars_check_type_find(json_string_value(v));
    if (c->type)
        return TARS_OK;
    n = tars_check_type_names(names, 63);
    names[n] = NULL;
    if ((near = tars_str_suggest(json_string_value(v), names, n)))
        return tars_json_fail(&L->rd, v, TARS_EINVAL,
                              "unknown check type \"%.64s\" (did you mean \"%s\"?)",
                              json_string_value(v), near);
    tars_str_join(names, valid, sizeof(valid));
    return tars_json_fail(&L->rd, v, TARS_EINVAL, "unknown check type \"%.64s\"; valid: %s",
                          json_string_value(v), valid);
}

/* "suite.yaml:14:9: check \"ID\"": where the suite wrote node's original. */
static void param_where(const void *ctx, const json_t *node, char *out, size_t size)
{
    const struct param_place *p = ctx;
    const json_t *orig = node && node != p->params ? node : p->check;
    char at[256];

    for (size_t i = 0; orig == node && i < p->count; i++)
        if (p->pairs[2 * i] == node)
            orig = p->pairs[2 * i + 1];
    tars_yaml_where(p->doc, orig, at, sizeof(at));
    snprintf(out, size, "%s: check \"%.64s\"", at, p->id);
}

/* The check's own parameters: every key that is not a common one. */
static int get_params(struct loader *L, json_t *obj, struct tars_check *c,
                      struct param_place *place)
{
    struct tars_json_reader rd = {param_where, place, L->err, true};
    json_t *raw = json_object(), *v;
    const char *key;
    int rc = tars_json_check_keys(&rd, obj, "a check", check_keys, c->type->params);

    json_object_foreach(obj, key, v)
        if (!tars_str_in_list(key, check_keys))
            json_object_set(raw, key, v);
    for (const char *const *r = c->type->required; rc == 0 && r && *r; r++)
        if (!json_object_get(raw, *r))
            rc =
                tars_json_fail(&L->rd, obj, TARS_EINVAL, "type %s needs \"%s\"", c->type->name, *r);
    L->place = place;
    if (rc == 0)
        rc = expand(L, raw, &c->params);
    L->place = NULL;
    json_decref(raw);
    place->params = c->params;
    if (rc == TARS_OK && c->type->read_params)
        rc = c->type->read_params(&rd, c->params);
    return rc;
}

static int get_on_empty(struct loader *L, json_t *obj, struct tars_check *c)
{
    static const char *const names[] = {"error", "fail", "skip", NULL};
    static const enum tars_on_empty values[] = {TARS_ON_EMPTY_ERROR, TARS_ON_EMPTY_FAIL,
                                                TARS_ON_EMPTY_SKIP};
    int i = 0;
    int rc = tars_json_get_enum(&L->rd, obj, "on_empty", TARS_JSON_OPTIONAL, names, &i);

    c->on_empty = values[i];
    return rc;
}

/* skip: TEXT: the check is listed but not run; the text (variables
 * substituted) is its reason. */
static int get_skip(struct loader *L, json_t *obj, struct tars_check *c)
{
    json_t *v = json_object_get(obj, "skip"), *text = NULL;
    const char *reason;
    int rc;

    if (!v)
        return TARS_OK;
    if ((rc = tars_json_string_of(&L->rd, v, "skip (the reason the check is not run)",
                                  VAR_VALUE_MAX, &reason)) ||
        (rc = expand(L, v, &text)))
        return rc;
    if (json_string_length(text) >= TARS_CHECK_REASON_MAX) {
        json_decref(text);
        return tars_json_fail(&L->rd, v, TARS_ETOOBIG,
                              "\"skip\": the reason is longer than %d characters",
                              TARS_CHECK_REASON_MAX - 1);
    }
    c->skip = xstrdup(json_string_value(text));
    json_decref(text);
    return TARS_OK;
}

static void mask_message(const struct tars_check_secrets *secrets, struct tars_err *err)
{
    char msg[sizeof(err->msg)];

    memcpy(msg, err->msg, sizeof(msg));
    tars_check_secrets_mask(secrets, msg, err->msg, sizeof(err->msg));
}

/* Everything of the check after its id; every problem names the check. */
static int load_check_fields(struct loader *L, json_t *obj, struct tars_check *c,
                             struct param_place *place)
{
    int rc;

    if ((rc = tars_json_get_strdup(&L->rd, obj, "name", TARS_JSON_OPTIONAL, TEXT_MAX, &c->name)) ||
        (rc = tars_json_get_strdup(&L->rd, obj, "category", TARS_JSON_REQUIRED, TEXT_MAX,
                                   &c->category)) ||
        (rc = get_type(L, obj, c)) || (rc = get_tags(L, obj, c)) ||
        (rc = tars_json_get_duration(&L->rd, obj, "timeout", TARS_JSON_OPTIONAL, 0,
                                     &c->timeout_ms)) ||
        (rc = get_retries(L, obj, &c->retries)) ||
        (rc = tars_json_get_duration(&L->rd, obj, "retry_delay", TARS_JSON_OPTIONAL, 0,
                                     &c->retry_delay_ms)) ||
        (rc = get_on_empty(L, obj, c)) || (rc = get_skip(L, obj, c)) ||
        (rc = get_params(L, obj, c, place)))
        return rc;
    if (c->timeout_ms <= 0)
        return tars_json_fail(&L->rd, obj, TARS_EINVAL, "timeout must be > 0");
    return TARS_OK;
}

static int load_check(struct loader *L, json_t *obj, struct tars_check *c)
{
    struct tars_json_reader suite_rd = L->rd;
    struct param_place place = {L->doc, NULL, obj, NULL, NULL, 0, 0};
    char where[300];
    int rc;

    if (!json_is_object(obj))
        return tars_json_fail(&L->rd, obj, TARS_EINVAL, "a check must be a mapping");
    tars_yaml_where(L->doc, obj, where, sizeof(where));
    c->where = xstrdup(where);
    c->timeout_ms = L->timeout_ms;
    c->retries = L->retries;
    c->retry_delay_ms = L->retry_delay_ms;
    if ((rc = tars_json_get_strdup(&L->rd, obj, "id", TARS_JSON_REQUIRED, TEXT_MAX, &c->id)))
        return rc;
    place.id = c->id;
    L->rd = (struct tars_json_reader){param_where, &place, L->err, false};
    rc = load_check_fields(L, obj, c, &place);
    L->rd = suite_rd;
    if (rc && L->err) /* a message that quotes a value may quote a secret one */
        mask_message(L->secrets, L->err);
    free(place.pairs);
    if (rc == TARS_OK && !c->name)
        c->name = xstrdup(c->id);
    return rc;
}

/* ---- the suite ---- */

static int load_defaults(struct loader *L, json_t *root)
{
    json_t *d = NULL;
    int rc;

    L->timeout_ms = 10000;
    L->retries = 0;
    L->retry_delay_ms = 1000;
    if ((rc = tars_json_get_object(&L->rd, root, "defaults", TARS_JSON_OPTIONAL, &d)) || !d)
        return rc;
    if ((rc = tars_json_check_keys(&L->rd, d, "defaults", default_keys, NULL)) ||
        (rc =
             tars_json_get_duration(&L->rd, d, "timeout", TARS_JSON_OPTIONAL, 0, &L->timeout_ms)) ||
        (rc = get_retries(L, d, &L->retries)))
        return rc;
    return tars_json_get_duration(&L->rd, d, "retry_delay", TARS_JSON_OPTIONAL, 0,
                                  &L->retry_delay_ms);
}

static int unique_ids(struct loader *L, json_t *list, const struct tars_suite *s)
{
    for (size_t i = 0; i < s->check_count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->checks[i].id, s->checks[j].id) == 0)
                return tars_json_fail(&L->rd, json_array_get(list, i), TARS_EINVAL,
                                      "duplicate check id \"%s\" (first at %s)", s->checks[i].id,
                                      s->checks[j].where);
    return TARS_OK;
}

static int load_checks(struct loader *L, json_t *root, struct tars_suite *s)
{
    json_t *list = json_object_get(root, "checks"), *c;
    size_t i;
    int rc;

    if (!json_is_array(list) || json_array_size(list) == 0)
        return tars_json_fail(&L->rd, list ? list : root, TARS_EINVAL,
                              "\"checks\" must be a non-empty list");
    if (json_array_size(list) > MAX_CHECKS)
        return tars_json_fail(&L->rd, list, TARS_ETOOBIG, "more than %d checks", MAX_CHECKS);
    s->checks = xcalloc(json_array_size(list), sizeof(*s->checks));
    json_array_foreach(list, i, c) {
        s->check_count = i + 1;
        if ((rc = load_check(L, c, &s->checks[i])))
            return rc;
    }
    return unique_ids(L, list, s);
}

static bool given_on_command_line(const struct loader *L, const char *name)
{
    for (size_t i = 0; i < L->var_count; i++)
        if (strcmp(L->vars[i].name, name) == 0)
            return true;
    return false;
}

/* environments: {NAME: {VAR: value, ...}, ...}: the variable ENVIRONMENT
 * (--environment) picks one, whose values come after --var and the process
 * environment but before the variables block. */
static int select_environment(struct loader *L, json_t *root, struct tars_suite *s)
{
    json_t *envs = json_object_get(root, "environments"), *preset, *v;
    const char *names[65], *name, *key, *pick;
    char valid[1024];
    bool secret, written;
    size_t n = 0;

    if (!envs) {
        if (given_on_command_line(L, ENVIRONMENT_VAR) &&
            !json_object_get(L->variables, ENVIRONMENT_VAR))
            return tars_err_set(
                L->err, TARS_EINVAL,
                "%s: an environment was chosen, but the suite has no \"environments\"", s->path);
        return TARS_OK;
    }
    if (!json_is_object(envs) || json_object_size(envs) == 0 || json_object_size(envs) > 64)
        return tars_json_fail(&L->rd, envs, TARS_EINVAL,
                              "\"environments\" must map 1 to 64 names to their variables");
    json_object_foreach(envs, name, preset) {
        names[n++] = name;
        if (!json_is_object(preset))
            return tars_json_fail(&L->rd, preset, TARS_EINVAL,
                                  "environment \"%s\" must be a mapping of variables", name);
        json_object_foreach(preset, key, v)
            if (!json_is_string(v))
                return tars_json_fail(&L->rd, v, TARS_EINVAL,
                                      "environment \"%s\": \"%s\" must be text", name, key);
    }
    names[n] = NULL;
    tars_str_join(names, valid, sizeof(valid));
    pick = var_lookup(L, ENVIRONMENT_VAR, &secret, &written);
    if (!pick || !*pick)
        return tars_json_fail(&L->rd, envs, TARS_EINVAL,
                              "choose an environment with --environment NAME (or %s): %s",
                              ENVIRONMENT_VAR, valid);
    L->preset = json_object_get(envs, pick);
    if (!L->preset)
        return tars_json_fail(&L->rd, envs, TARS_EINVAL, "unknown environment \"%s\"; valid: %s",
                              pick, valid);
    s->environment = xstrdup(pick);
    return TARS_OK;
}

static int load_root(struct loader *L, json_t *root, struct tars_suite *s)
{
    json_t *targets = NULL;
    int rc;

    if ((rc = tars_json_check_keys(&L->rd, root, "a suite", suite_keys, NULL)) ||
        (rc = tars_json_get_object(&L->rd, root, "variables", TARS_JSON_OPTIONAL, &L->variables)) ||
        (rc = select_environment(L, root, s)) ||
        (rc =
             tars_json_get_strdup(&L->rd, root, "suite", TARS_JSON_OPTIONAL, TEXT_MAX, &s->name)) ||
        (!s->name && (rc = tars_json_get_strdup(&L->rd, root, "name", TARS_JSON_OPTIONAL, TEXT_MAX,
                                                &s->name))) ||
        (rc = tars_json_get_duration(&L->rd, root, "deadline", TARS_JSON_OPTIONAL, 0,
                                     &s->deadline_ms)) ||
        (rc = load_defaults(L, root)) ||
        (rc = tars_json_get_object(&L->rd, root, "targets", TARS_JSON_OPTIONAL, &targets)))
        return rc;
    if (!targets)
        s->targets = json_object();
    else if ((rc = expand(L, targets, &s->targets)))
        return rc;
    return load_checks(L, root, s);
}

int tars_suite_load(const char *path, const struct tars_var *vars, size_t var_count,
                    struct tars_suite *out, struct tars_err *err)
{
    struct loader L = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    L.doc = tars_yaml_load_file(path, err);
    if (!L.doc)
        return err && err->code ? err->code : TARS_EINVAL;
    L.rd = tars_yaml_reader(L.doc, err);
    L.vars = vars;
    L.var_count = var_count;
    L.err = err;
    L.secrets = out->secrets = xcalloc(1, sizeof(*out->secrets));
    out->path = xstrdup(path);
    rc = load_root(&L, tars_yaml_root(L.doc), out);
    if (rc == 0 && !out->name)
        out->name = xstrdup(path);
    tars_yaml_free(L.doc);
    if (rc)
        tars_suite_release(out);
    return rc;
}

void tars_suite_release(struct tars_suite *s)
{
    for (size_t i = 0; s->checks && i < s->check_count; i++) {
        struct tars_check *c = &s->checks[i];
        free(c->id);
        free(c->name);
        free(c->category);
        for (size_t t = 0; t < c->tag_count; t++)
            free(c->tags[t]);
        free(c->tags);
        json_decref(c->params);
        free(c->where);
        free(c->skip);
    }
    free(s->checks);
    json_decref(s->targets);
    secrets_free(s->secrets);
    free(s->name);
    free(s->path);
    free(s->environment);
    memset(s, 0, sizeof(*s));
}

bool tars_check_selected(const struct tars_check *c, const struct tars_check_filter *f)
{
    bool only = f->only_count == 0, tag = f->tag_count == 0;

    for (size_t i = 0; i < f->only_count && !only; i++)
        only = strcmp(f->only[i], c->id) == 0 || strcmp(f->only[i], c->category) == 0;
    for (size_t i = 0; i < f->tag_count && !tag; i++)
        for (size_t t = 0; t < c->tag_count && !tag; t++)
            tag = strcmp(f->tags[i], c->tags[t]) == 0;
    return only && tag;
}
