/*
 * Scenario files (docs/load-format.md) → struct tars_load_scenario, and
 * scenarios built by code (tars load URL).
 *
 * The YAML tree is checked key by key: an unknown key, a value of the wrong
 * type or out of range is an error naming file:line:col, so a typo never
 * silently falls back to a default. Readers: scenario_read.c; tasks and
 * thresholds: scenario_task.c.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/url.h"

#define DEFAULT_AUTH_PATH "/api/v1/auth/token"

/* ---- run, models ---- */

static int read_base_url(const struct scenario_reader *rd, json_t *root,
                         struct tars_load_scenario *s)
{
    json_t *v = json_object_get(root, "base_url");
    struct tars_url *url;
    struct tars_err uerr = TARS_ERR_INIT;
    int rc;

    if (!v)
        return scenario_fail(rd, root, "base_url is missing");
    /* required: `base_url:` with no value is null, which the getter counts as absent */
    if ((rc = tars_json_get_strdup(&rd->json, root, "base_url", TARS_JSON_REQUIRED, TARS_URL_MAX,
                                   &s->base_url)))
        return rc;
    url = xmalloc(sizeof(*url));
    if (tars_url_parse(url, s->base_url, &uerr))
        rc = scenario_fail(rd, v, "bad base_url: %s", uerr.msg);
    else if (strcmp(url->path, "/") != 0)
        rc = scenario_fail(rd, v,
                           "base_url must not have a path or query (\"%s\"); put it in the task "
                           "paths",
                           url->path);
    free(url);
    return rc;
}

static int read_model(const struct scenario_reader *rd, json_t *root, struct tars_load_scenario *s)
{
    static const char *const names[] = {"closed", "open", NULL};
    static const enum tars_load_model models[] = {TARS_LOAD_CLOSED, TARS_LOAD_OPEN};
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);
    int i = s->model == TARS_LOAD_OPEN;
    int rc = tars_json_get_enum(&r, root, "model", TARS_JSON_OPTIONAL, names, &i);

    s->model = models[i];
    return rc;
}

static int read_run(const struct scenario_reader *rd, json_t *root, struct tars_load_scenario *s)
{
    int64_t threads = s->threads;
    int rc;

    if ((rc = tars_json_get_int(&rd->json, root, "threads", TARS_JSON_OPTIONAL, 0, 1024,
                                &threads)) ||
        (rc = tars_json_get_duration(&rd->json, root, "duration", TARS_JSON_OPTIONAL, 1,
                                     &s->duration_ms)) ||
        (rc = tars_json_get_duration(&rd->json, root, "timeout", TARS_JSON_OPTIONAL, 1,
                                     &s->timeout_ms)) ||
        (rc = tars_json_get_bool(&rd->json, root, "insecure", TARS_JSON_OPTIONAL, &s->insecure)))
        return rc;
    s->threads = (int)threads;
    return TARS_OK;
}

/* think_time: 2s | "between(1s, 3s)" | {min: 1s, max: 3s} */
static int read_between(const struct scenario_reader *rd, json_t *v, const char *what,
                        int64_t *min_ms, int64_t *max_ms)
{
    const char *text = json_string_value(v);
    char a[64], b[64];
    int n = 0;

    if (sscanf(text, "between( %63[^, ] , %63[^) ] )%n", a, b, &n) != 2 || text[n] != '\0' ||
        tars_duration_parse(a, min_ms) || tars_duration_parse(b, max_ms))
        return scenario_fail(rd, v,
                             "%s: expected between(min, max) with durations such as 1s, "
                             "not \"%s\"",
                             what, text);
    return TARS_OK;
}

int scenario_think(const struct scenario_reader *rd, json_t *v, const char *what, int64_t *min_ms,
                   int64_t *max_ms)
{
    static const char *const keys[] = {"min", "max", NULL};
    int rc;

    if (json_is_object(v)) {
        if ((rc = tars_json_check_keys(&rd->json, v, what, keys, NULL)) ||
            (rc = tars_json_get_duration(&rd->json, v, "min", TARS_JSON_OPTIONAL, 0, min_ms)))
            return rc;
        *max_ms = *min_ms;
        rc = tars_json_get_duration(&rd->json, v, "max", TARS_JSON_OPTIONAL, 0, max_ms);
    } else if (json_is_string(v) && strncmp(json_string_value(v), "between", 7) == 0) {
        rc = read_between(rd, v, what, min_ms, max_ms);
    } else {
        rc = tars_json_duration_of(&rd->json, v, what, 0, min_ms);
        *max_ms = *min_ms;
    }
    if (!rc && *min_ms > *max_ms)
        rc = scenario_fail(rd, v, "%s: min is above max", what);
    return rc;
}

static int read_think_time(const struct scenario_reader *rd, json_t *root,
                           struct tars_load_scenario *s)
{
    json_t *v = json_object_get(root, "think_time");

    return v ? scenario_think(rd, v, "think_time", &s->think_min_ms, &s->think_max_ms) : TARS_OK;
}

/* Keys of the other model are errors, not silently ignored. */
static int check_model_keys(const struct scenario_reader *rd, json_t *root,
                            enum tars_load_model model)
{
    static const char *const closed_only[] = {"users", "spawn_rate", "think_time", NULL};
    static const char *const open_only[] = {"rate", "connections", NULL};
    const char *const *keys = model == TARS_LOAD_CLOSED ? open_only : closed_only;

    for (; *keys; keys++) {
        json_t *v = json_object_get(root, *keys);
        if (v)
            return scenario_fail(rd, v, "%s applies to the %s model only", *keys,
                                 model == TARS_LOAD_CLOSED ? "open" : "closed");
    }
    return TARS_OK;
}

static int read_load(const struct scenario_reader *rd, json_t *root, struct tars_load_scenario *s)
{
    int rc;

    if ((rc = check_model_keys(rd, root, s->model)) ||
        (rc = tars_json_get_int(&rd->json, root, "users", TARS_JSON_OPTIONAL, 1, 1000000,
                                &s->users)) ||
        (rc = tars_json_get_double(&rd->json, root, "spawn_rate", TARS_JSON_OPTIONAL, 0, 1e6,
                                   &s->spawn_rate)) ||
        (rc = read_think_time(rd, root, s)) ||
        (rc =
             tars_json_get_double(&rd->json, root, "rate", TARS_JSON_OPTIONAL, 0, 1e7, &s->rate)) ||
        (rc = tars_json_get_int(&rd->json, root, "connections", TARS_JSON_OPTIONAL, 1, 1000000,
                                &s->connections)))
        return rc;
    if (s->model == TARS_LOAD_OPEN && json_object_get(root, "rate") && s->rate <= 0)
        return scenario_fail(rd, json_object_get(root, "rate"), "rate must be above 0");
    return TARS_OK;
}

static int read_stage(const struct scenario_reader *rd, json_t *v, struct tars_load_stage *st)
{
    static const char *const keys[] = {"duration", "target", NULL};
    int rc;

    if (!json_is_object(v))
        return scenario_fail(rd, v, "a stage must be a mapping {duration, target}, not %s",
                             tars_json_kind(v));
    if ((rc = tars_json_check_keys(&rd->json, v, "a stage", keys, NULL)))
        return rc;
    if (!json_object_get(v, "duration") || !json_object_get(v, "target"))
        return scenario_fail(rd, scenario_first_node(v), "a stage needs both duration and target");
    if ((rc = tars_json_get_duration(&rd->json, v, "duration", TARS_JSON_OPTIONAL, 1,
                                     &st->duration_ms)))
        return rc;
    return tars_json_get_double(&rd->json, v, "target", TARS_JSON_OPTIONAL, 0, 1e7, &st->target);
}

static int read_stages(const struct scenario_reader *rd, json_t *root, struct tars_load_scenario *s)
{
    json_t *list = json_object_get(root, "stages");
    size_t n;
    int rc;

    if (!list)
        return TARS_OK;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > SCENARIO_MAX_STAGES)
        return scenario_fail(rd, list, "stages must be a list of 1 to %d stages",
                             SCENARIO_MAX_STAGES);
    n = json_array_size(list);
    s->stages = xcalloc(n, sizeof(*s->stages));
    s->stage_count = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = read_stage(rd, json_array_get(list, i), &s->stages[i])))
            return rc;
    return TARS_OK;
}

/* ---- auth ---- */

static const struct auth_mode {
    const char *name;
    enum tars_load_auth_mode mode;
    const char *const keys[7];
} auth_modes[] = {
    {"none", TARS_LOAD_AUTH_NONE, {"mode", NULL}},
    {"bearer", TARS_LOAD_AUTH_BEARER, {"mode", "token_env", NULL}},
    {"login_once",
     TARS_LOAD_AUTH_LOGIN_ONCE,
     {"mode", "token_path", "username_env", "password_env", NULL}},
    {"login_per_user",
     TARS_LOAD_AUTH_LOGIN_PER_USER,
     {"mode", "token_path", "username_env", "password_env", "username_column", "password_column",
      NULL}},
};

static int read_auth_mode(const struct scenario_reader *rd, json_t *v, const struct auth_mode **out)
{
    const char *names[sizeof(auth_modes) / sizeof(auth_modes[0]) + 1];
    struct tars_json_reader r = tars_yaml_reader(rd->doc, rd->err);
    int i, rc;

    for (i = 0; i < (int)(sizeof(auth_modes) / sizeof(auth_modes[0])); i++)
        names[i] = auth_modes[i].name;
    names[i] = NULL;
    if ((rc = tars_json_enum_of(&r, v, "auth mode", names, &i)))
        return rc;
    *out = &auth_modes[i];
    return TARS_OK;
}

static int read_env_name(const struct scenario_reader *rd, json_t *obj, const char *key, char **out)
{
    int rc = tars_json_get_strdup(&rd->json, obj, key, TARS_JSON_OPTIONAL, 128, out);

    if (!rc && !scenario_is_identifier(*out))
        rc = scenario_fail(rd, json_object_get(obj, key),
                           "%s: \"%s\" is not an environment variable name", key, *out);
    return rc;
}

static int read_auth(const struct scenario_reader *rd, json_t *root, struct tars_load_auth *a)
{
    json_t *v = json_object_get(root, "auth"), *mode;
    const struct auth_mode *m = NULL;
    char what[64];
    int rc;

    if (!v)
        return TARS_OK;
    if (!json_is_object(v) && !json_is_string(v))
        return scenario_fail(rd, v, "auth must be a mapping with a mode, not %s",
                             tars_json_kind(v));
    mode = json_is_string(v) ? v : json_object_get(v, "mode");
    if (!mode)
        return scenario_fail(rd, scenario_first_node(v), "auth needs a mode");
    if ((rc = read_auth_mode(rd, mode, &m)))
        return rc;
    a->mode = m->mode;
    if (json_is_string(v))
        return TARS_OK;
    snprintf(what, sizeof(what), "auth mode %s", m->name);
    if ((rc = tars_json_check_keys(&rd->json, v, what, m->keys, NULL)))
        return rc;
    if ((rc = tars_json_get_strdup(&rd->json, v, "token_path", TARS_JSON_OPTIONAL, 1024,
                                   &a->token_path)) ||
        (rc = read_env_name(rd, v, "username_env", &a->username_env)) ||
        (rc = read_env_name(rd, v, "password_env", &a->password_env)) ||
        (rc = read_env_name(rd, v, "token_env", &a->token_env)) ||
        (rc = tars_json_get_strdup(&rd->json, v, "username_column", TARS_JSON_OPTIONAL, 64,
                                   &a->username_column)) ||
        (rc = tars_json_get_strdup(&rd->json, v, "password_column", TARS_JSON_OPTIONAL, 64,
                                   &a->password_column)))
        return rc;
    if (a->token_path[0] != '/' || scenario_has_control(a->token_path))
        return scenario_fail(rd, json_object_get(v, "token_path"),
                             "token_path must start with \"/\"");
    return TARS_OK;
}

/* login_per_user with username_column/password_column: both, naming columns
 * of the data file. */
static int check_login_columns(const struct scenario_reader *rd, json_t *root,
                               const struct tars_load_scenario *s)
{
    const struct tars_load_auth *a = &s->auth;
    json_t *at = json_object_get(root, "auth");
    const char *const cols[2] = {a->username_column, a->password_column};

    if (!cols[0] && !cols[1])
        return TARS_OK;
    if (!cols[0] || !cols[1])
        return scenario_fail(rd, scenario_first_node(at),
                             "auth: username_column and password_column go together");
    for (size_t k = 0; k < 2; k++) {
        bool found = false;
        for (size_t i = 0; i < s->data.column_count; i++)
            found = found || strcmp(s->data.columns[i], cols[k]) == 0;
        if (!found)
            return scenario_fail(rd, json_object_get(at, k ? "password_column" : "username_column"),
                                 "auth: the data file has no column \"%s\"", cols[k]);
    }
    return TARS_OK;
}

/* ---- the whole file ---- */

static double stage_peak(const struct tars_load_scenario *s)
{
    double peak = 0;

    for (size_t i = 0; i < s->stage_count; i++)
        if (s->stages[i].target > peak)
            peak = s->stages[i].target;
    return peak;
}

static int64_t stage_total_ms(const struct tars_load_scenario *s)
{
    int64_t total = 0;

    for (size_t i = 0; i < s->stage_count; i++)
        total += s->stages[i].duration_ms;
    return total;
}

/* Defaults that depend on other keys. */
static int finish(const struct scenario_reader *rd, json_t *root, struct tars_load_scenario *s)
{
    if (!json_object_get(root, "duration") && s->stage_count)
        s->duration_ms = stage_total_ms(s);
    if (s->stage_count && stage_peak(s) <= 0)
        return scenario_fail(rd, json_object_get(root, "stages"), "every stage has target 0");
    if (s->model == TARS_LOAD_CLOSED) {
        if (!json_object_get(root, "users") && !s->stage_count)
            return scenario_fail(rd, root, "the closed model needs users (or stages)");
        if (!json_object_get(root, "users"))
            s->users = (int64_t)ceil(stage_peak(s));
        s->connections = s->users;
    } else {
        if (!json_object_get(root, "rate") && !s->stage_count)
            return scenario_fail(rd, root, "the open model needs rate (or stages)");
        if (!json_object_get(root, "rate"))
            s->rate = stage_peak(s);
        if (!s->connections)
            s->connections = 100;
    }
    return TARS_OK;
}

static int read_scenario(const struct scenario_reader *rd, json_t *root,
                         struct tars_load_scenario *s)
{
    static const char *const keys[] = {
        "name",     "base_url", "model",      "threads",    "duration", "timeout",
        "insecure", "users",    "spawn_rate", "think_time", "rate",     "connections",
        "stages",   "auth",     "tasks",      "thresholds", "data",     NULL};
    int rc;

    if (!json_is_object(root))
        return scenario_fail(rd, root, "a scenario must be a mapping, not %s",
                             tars_json_kind(root));
    if ((rc = tars_json_check_keys(&rd->json, root, "the scenario", keys, NULL)) ||
        (rc = tars_json_get_strdup(&rd->json, root, "name", TARS_JSON_OPTIONAL, SCENARIO_MAX_NAME,
                                   &s->name)) ||
        (rc = read_base_url(rd, root, s)) || (rc = read_model(rd, root, s)) ||
        (rc = read_run(rd, root, s)) || (rc = read_load(rd, root, s)) ||
        (rc = read_stages(rd, root, s)) || (rc = read_auth(rd, root, &s->auth)) ||
        (rc = scenario_read_data(rd, root, s)) || (rc = check_login_columns(rd, root, s)) ||
        (rc = scenario_read_tasks(rd, root, s)) || (rc = scenario_read_thresholds(rd, root, s)))
        return rc;
    return finish(rd, root, s);
}

static void scenario_defaults(struct tars_load_scenario *s)
{
    memset(s, 0, sizeof(*s));
    s->model = TARS_LOAD_CLOSED;
    s->duration_ms = 30000;
    s->timeout_ms = 10000;
    s->auth.mode = TARS_LOAD_AUTH_NONE;
    s->auth.token_path = xstrdup(DEFAULT_AUTH_PATH);
    s->auth.username_env = xstrdup("TARS_LOAD_USERNAME");
    s->auth.password_env = xstrdup("TARS_LOAD_PASSWORD");
    s->auth.token_env = xstrdup("TARS_LOAD_TOKEN");
    s->worker_count = 1;
}

/* "scenarios/tars-api.yaml" → "tars-api" */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/'), *dot;
    size_t n;

    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n == 0)
        return xstrdup("scenario");
    return xstrndup(base, n < SCENARIO_MAX_NAME ? n : SCENARIO_MAX_NAME);
}

static int load_doc(const tars_yaml_doc *doc, const char *name, struct tars_load_scenario *out,
                    struct tars_err *err)
{
    struct scenario_reader rd = {
        .doc = doc, .err = err, .file = name, .json = tars_yaml_reader(doc, err)};
    int rc;

    scenario_defaults(out);
    rc = read_scenario(&rd, tars_yaml_root(doc), out);
    if (!rc && !out->name)
        out->name = name_from_path(name);
    if (!rc && (rc = tars_load_scenario_validate(out, err)))
        tars_err_prefix(err, name);
    if (rc)
        tars_load_scenario_release(out);
    return rc;
}

/* A scenario from the file at name, or from text (named name) when text is given. */
static int load_file_or_text(const char *name, const char *text, struct tars_load_scenario *out,
                             struct tars_err *err)
{
    struct tars_err local = TARS_ERR_INIT;
    tars_yaml_doc *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!err)
        err = &local;
    doc = text ? tars_yaml_load_string(name, text, strlen(text), err)
               : tars_yaml_load_file(name, err);
    if (!doc)
        return err->code ? err->code : TARS_EINVAL;
    rc = load_doc(doc, name, out, err);
    tars_yaml_free(doc);
    return rc;
}

int tars_load_scenario_load(const char *path, struct tars_load_scenario *out, struct tars_err *err)
{
    return load_file_or_text(path, NULL, out, err);
}

int scenario_load_string(const char *name, const char *text, struct tars_load_scenario *out,
                         struct tars_err *err)
{
    return load_file_or_text(name, text, out, err);
}

/* ---- scenarios built by code ---- */

static int validate_base_url(const char *base_url, struct tars_err *err)
{
    struct tars_url *url = xmalloc(sizeof(*url));
    int rc = TARS_OK;

    if (!base_url)
        rc = tars_err_set(err, TARS_EINVAL, "base_url is missing");
    else if ((rc = tars_url_parse(url, base_url, err)))
        tars_err_prefix(err, "bad base_url");
    else if (strcmp(url->path, "/") != 0)
        rc = tars_err_set(err, TARS_EINVAL, "base_url must not have a path or query");
    free(url);
    return rc;
}

static int validate_tasks(const struct tars_load_scenario *s, struct tars_err *err)
{
    if (!s->tasks || s->task_count == 0)
        return tars_err_set(err, TARS_EINVAL, "at least one task is needed");
    for (size_t i = 0; i < s->task_count; i++) {
        const struct tars_load_task *t = &s->tasks[i];
        if (!t->name || !t->method || !t->path || !t->path_text)
            return tars_err_set(err, TARS_EINVAL, "task %zu lacks a name, method or path", i + 1);
        if (t->weight < 1 && t->kind != TARS_LOAD_TASK_STEP)
            return tars_err_set(err, TARS_EINVAL, "task \"%s\": weight must be at least 1",
                                t->name);
        if (t->kind == TARS_LOAD_TASK_JOURNEY && s->model != TARS_LOAD_CLOSED)
            return tars_err_set(err, TARS_EINVAL,
                                "journey \"%s\": journeys run in the closed model only (a user "
                                "carries its values from step to step)",
                                t->name);
    }
    for (size_t i = 0; i < s->threshold_count; i++)
        if (tars_load_scenario_check_threshold(s, &s->thresholds[i], err))
            return TARS_EINVAL;
    return TARS_OK;
}

int tars_load_scenario_check_threshold(const struct tars_load_scenario *s,
                                       const struct tars_threshold *th, struct tars_err *err)
{
    return scenario_threshold_task(s, th, err);
}

static int validate_model(const struct tars_load_scenario *s, struct tars_err *err)
{
    if (s->model == TARS_LOAD_CLOSED) {
        if ((s->users < 1 && !s->stage_count) || s->users > 1000000)
            return tars_err_set(err, TARS_EINVAL, "users must be between 1 and 1000000");
        if (!(s->spawn_rate >= 0 && s->spawn_rate <= 1e6))
            return tars_err_set(err, TARS_EINVAL, "spawn_rate must be between 0 and 1000000");
        if (s->think_min_ms < 0 || s->think_min_ms > s->think_max_ms)
            return tars_err_set(err, TARS_EINVAL, "think time must be 0 or more, min <= max");
        return TARS_OK;
    }
    if (s->model != TARS_LOAD_OPEN)
        return tars_err_set(err, TARS_EINVAL, "unknown model %d", (int)s->model);
    if (!(s->rate > 0 && s->rate <= 1e7) && !(s->stage_count && s->rate == 0))
        return tars_err_set(err, TARS_EINVAL, "rate must be above 0 and at most 10000000");
    if (s->connections < 1 || s->connections > 1000000)
        return tars_err_set(err, TARS_EINVAL, "connections must be between 1 and 1000000");
    return TARS_OK;
}

/* A per-task history holds rows x seconds entries per thread: bounded before the run. */
static int validate_task_history(const struct tars_load_scenario *s, struct tars_err *err)
{
    size_t rows = s->task_count + (s->auth.mode == TARS_LOAD_AUTH_LOGIN_PER_USER);
    uint64_t seconds = (uint64_t)(s->duration_ms + 999) / 1000 + 1;

    if (s->task_history && rows * seconds > TARS_LOAD_MAX_TASK_SECONDS)
        return tars_err_set(err, TARS_EINVAL,
                            "--csv-full-history keeps at most %d task-seconds: %zu tasks x %" PRIu64
                            " s is more (shorten the run or drop --csv-full-history)",
                            TARS_LOAD_MAX_TASK_SECONDS, rows, seconds);
    return TARS_OK;
}

int tars_load_scenario_validate(const struct tars_load_scenario *s, struct tars_err *err)
{
    int rc;

    if ((rc = validate_base_url(s->base_url, err)))
        return rc;
    if (s->threads < 0 || s->threads > 1024)
        return tars_err_set(err, TARS_EINVAL, "threads must be between 0 and 1024");
    if (s->duration_ms <= 0 || s->duration_ms > SCENARIO_DURATION_MAX_MS)
        return tars_err_set(err, TARS_EINVAL, "duration must be above 0 and at most 366 days");
    if (s->timeout_ms <= 0 || s->timeout_ms > SCENARIO_DURATION_MAX_MS)
        return tars_err_set(err, TARS_EINVAL, "timeout must be above 0");
    if (s->worker_count < 1 || s->worker_index < 0 || s->worker_index >= s->worker_count)
        return tars_err_set(err, TARS_EINVAL, "worker index %d is not within 0..%d",
                            s->worker_index, s->worker_count - 1);
    if ((rc = validate_model(s, err)))
        return rc;
    if ((rc = validate_task_history(s, err)))
        return rc;
    return validate_tasks(s, err);
}

static int quick_task(const struct tars_url *url, const char *method, struct tars_load_task *t,
                      struct tars_err *err)
{
    t->method = xstrdup(method ? method : "GET");
    if (!scenario_method_known(t->method))
        return tars_err_set(err, TARS_EINVAL, "unknown method \"%s\"", method);
    t->path_text = xstrdup(url->path);
    if (!(t->path = tars_load_template_compile(url->path, err))) {
        tars_err_prefix(err, "URL");
        return TARS_EINVAL;
    }
    t->headers = xcalloc(1, sizeof(*t->headers));
    t->weight = 1;
    t->name = scenario_default_task_name(t);
    return TARS_OK;
}

int tars_load_scenario_quick(const char *url, const char *method, struct tars_load_scenario *out,
                             struct tars_err *err)
{
    struct tars_url *u = xmalloc(sizeof(*u));
    char authority[TARS_URL_AUTHORITY_MAX];
    struct tars_buf base = TARS_BUF_INIT(TARS_URL_MAX);
    int rc;

    scenario_defaults(out);
    out->users = TARS_LOAD_QUICK_USERS;
    out->connections = TARS_LOAD_QUICK_USERS;
    out->duration_ms = 10000;
    if ((rc = tars_url_parse(u, url, err)))
        goto out;
    if ((rc = tars_url_authority(u, authority, sizeof(authority))) ||
        (rc = tars_buf_printf(&base, "%s://%s", u->tls ? "https" : "http", authority))) {
        tars_err_set(err, rc, "URL too long");
        goto out;
    }
    out->base_url = tars_buf_take(&base, NULL);
    out->name = xstrndup(url, SCENARIO_MAX_NAME);
    out->tasks = xcalloc(1, sizeof(*out->tasks));
    out->task_count = 1;
    rc = quick_task(u, method, &out->tasks[0], err);
out:
    free(u);
    tars_buf_release(&base);
    if (rc)
        tars_load_scenario_release(out);
    return rc;
}

/* ---- release ---- */

void tars_load_scenario_release(struct tars_load_scenario *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->base_url);
    free(s->stages);
    for (size_t i = 0; i < s->task_count; i++)
        scenario_task_release(&s->tasks[i]);
    free(s->tasks);
    free(s->auth.token_path);
    free(s->auth.username_env);
    free(s->auth.password_env);
    free(s->auth.token_env);
    free(s->auth.username_column);
    free(s->auth.password_column);
    scenario_data_release(&s->data);
    for (size_t i = 0; i < s->threshold_count; i++)
        tars_threshold_release(&s->thresholds[i]);
    free(s->thresholds);
    memset(s, 0, sizeof(*s));
}
