/*
 * Release configs (docs/release-format.md): YAML → struct tars_release_config.
 * Unknown keys are errors, so a typo never silently disables a stage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/package.h"
#include "tars/release.h"
#include "tars/str.h"
#include "tars/yaml.h"

#define DEFAULT_STEP_TIMEOUT_MS (10LL * 60 * 1000)
#define DEFAULT_WAIT_TIMEOUT_MS (60LL * 1000)

#define TEXT_MAX 4096

struct reader {
    tars_yaml_doc *doc;
    struct tars_json_reader rd; /* the typed getters of tars/json.h over doc */
    struct tars_err *err;
};

/* Every key of obj must be one of allowed (NULL-terminated). */
static int only_keys(struct reader *rd, json_t *obj, const char *what, const char *const *allowed)
{
    return tars_json_check_keys(&rd->rd, obj, what, allowed, NULL);
}

static int get_string(struct reader *rd, json_t *obj, const char *key, char **out)
{
    return tars_json_get_strdup(&rd->rd, obj, key, TARS_JSON_OPTIONAL, TEXT_MAX, out);
}

static int get_bool(struct reader *rd, json_t *obj, const char *key, bool *out)
{
    return tars_json_get_bool(&rd->rd, obj, key, TARS_JSON_OPTIONAL, out);
}

static int get_duration(struct reader *rd, json_t *obj, const char *key, int64_t *out)
{
    return tars_json_get_duration(&rd->rd, obj, key, TARS_JSON_OPTIONAL, 1, out);
}

/* A top-level section; an empty one (only comments under it) counts as absent. */
static json_t *section(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);

    return json_is_null(v) ? NULL : v;
}

static int read_argv(struct reader *rd, json_t *list, struct tars_release_step *st)
{
    char num[64];
    size_t i;
    json_t *v;

    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) >= TARS_RELEASE_MAX_ARGS)
        return tars_yaml_error(rd->doc, list, rd->err, TARS_EINVAL,
                               "\"tars\" must be a list of 1 to %d arguments",
                               TARS_RELEASE_MAX_ARGS - 1);
    st->tars_argv = xcalloc(json_array_size(list) + 1, sizeof(char *));
    json_array_foreach(list, i, v) {
        if (json_is_string(v))
            tars_strlcpy(num, "", sizeof(num));
        else if (json_is_integer(v))
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(num, sizeof(num), "%g", json_real_value(v));
        else
            return tars_yaml_error(rd->doc, v, rd->err, TARS_EINVAL,
                                   "tars arguments must be strings");
        st->tars_argv[i] = xstrdup(json_is_string(v) ? json_string_value(v) : num);
        st->tars_argc = i + 1;
    }
    return TARS_OK;
}

static int read_step(struct reader *rd, json_t *obj, struct tars_release_step *st)
{
    static const char *const keys[] = {"name", "tars", "run", "timeout", "allow_failure", NULL};
    json_t *argv = json_object_get(obj, "tars");
    int rc;

    if ((rc = only_keys(rd, obj, "a step", keys)))
        return rc;
    if ((argv != NULL) == (json_object_get(obj, "run") != NULL))
        return tars_yaml_error(rd->doc, obj, rd->err, TARS_EINVAL,
                               "a step needs exactly one of \"tars\" (a tars command) or "
                               "\"run\" (a shell command)");
    if (argv && (rc = read_argv(rd, argv, st)))
        return rc;
    if ((rc = get_string(rd, obj, "run", &st->shell)) ||
        (rc = get_string(rd, obj, "name", &st->name)) ||
        (rc = get_duration(rd, obj, "timeout", &st->timeout_ms)) ||
        (rc = get_bool(rd, obj, "allow_failure", &st->allow_failure)))
        return rc;
    if (!st->name)
        st->name = xstrdup(argv ? st->tars_argv[0] : "run");
    return TARS_OK;
}

/* A stage mapping: {timeout, steps: [...]} plus the extra keys the caller allows. */
static int read_stage(struct reader *rd, json_t *obj, const char *what, const char *const *keys,
                      struct tars_release_stage_config *sc)
{
    json_t *steps, *v;
    size_t i;
    int rc;

    sc->timeout_ms = DEFAULT_STEP_TIMEOUT_MS;
    if (!obj)
        return TARS_OK;
    if ((rc = only_keys(rd, obj, what, keys)) ||
        (rc = get_duration(rd, obj, "timeout", &sc->timeout_ms)))
        return rc;
    steps = json_object_get(obj, "steps");
    if (!steps)
        return TARS_OK;
    if (!json_is_array(steps) || json_array_size(steps) > TARS_RELEASE_MAX_STEPS)
        return tars_yaml_error(rd->doc, steps, rd->err, TARS_EINVAL,
                               "\"steps\" must be a list of at most %d steps",
                               TARS_RELEASE_MAX_STEPS);
    json_array_foreach(steps, i, v) {
        if ((rc = read_step(rd, v, &sc->steps[i])))
            return rc;
        sc->step_count = i + 1;
    }
    return TARS_OK;
}

static int read_release(struct reader *rd, json_t *obj, struct tars_release_config *c)
{
    static const char *const keys[] = {"name",     "version",  "environment", "namespace",
                                       "base_url", "runs_dir", "run_url",     NULL};
    char version[TARS_PACKAGE_VERSION_MAX];
    char *raw = NULL;
    int rc;

    if (!obj)
        return tars_yaml_error(rd->doc, NULL, rd->err, TARS_EINVAL, "missing \"release\" section");
    if ((rc = only_keys(rd, obj, "release", keys)) ||
        (rc = get_string(rd, obj, "name", &c->name)) ||
        (rc = get_string(rd, obj, "version", &raw)) ||
        (rc = get_string(rd, obj, "environment", &c->environment)) ||
        (rc = get_string(rd, obj, "namespace", &c->namespace_)) ||
        (rc = get_string(rd, obj, "base_url", &c->base_url)) ||
        (rc = get_string(rd, obj, "runs_dir", &c->runs_dir)) ||
        (rc = get_string(rd, obj, "run_url", &c->run_url)))
        goto out;
    if (!raw) {
        rc = tars_yaml_error(rd->doc, obj, rd->err, TARS_EINVAL, "release.version is required");
        goto out;
    }
    if ((rc = tars_package_version(raw, version, rd->err))) {
        tars_yaml_error(rd->doc, json_object_get(obj, "version"), rd->err, rc, "%s", rd->err->msg);
        goto out;
    }
    c->version = xstrdup(version);
out:
    free(raw);
    return rc;
}

static int read_preflight(struct reader *rd, json_t *obj, struct tars_release_config *c)
{
    static const char *const keys[] = {"files", "rules", "chart", "cluster", NULL};
    json_t *files, *v;
    size_t i;
    int rc;

    if (!obj)
        return TARS_OK;
    if ((rc = only_keys(rd, obj, "preflight", keys)) ||
        (rc = get_string(rd, obj, "rules", &c->rules_file)) ||
        (rc = get_string(rd, obj, "chart", &c->chart_dir)) ||
        (rc = get_bool(rd, obj, "cluster", &c->need_cluster)))
        return rc;
    files = NULL;
    if ((rc = tars_json_get_strings(&rd->rd, obj, "files", TARS_JSON_OPTIONAL, 0,
                                    TARS_RELEASE_MAX_FILES, TEXT_MAX, &files)) ||
        !files)
        return rc;
    json_array_foreach(files, i, v) {
        c->files[i] = xstrdup(json_string_value(v));
        c->file_count = i + 1;
    }
    return TARS_OK;
}

/* signoff: {require: [roles], allowed_signers: FILE} (docs/signoff.md), read by tars promote. */
static int read_signoff(struct reader *rd, json_t *obj, struct tars_release_config *c)
{
    static const char *const keys[] = {"require", "allowed_signers", NULL};
    json_t *roles, *v;
    size_t i;
    int rc;

    if (!obj)
        return TARS_OK;
    if ((rc = only_keys(rd, obj, "signoff", keys)) ||
        (rc = get_string(rd, obj, "allowed_signers", &c->signoff_allowed_signers)))
        return rc;
    roles = NULL;
    if ((rc = tars_json_get_strings(&rd->rd, obj, "require", TARS_JSON_OPTIONAL, 1,
                                    TARS_RELEASE_MAX_ROLES, TEXT_MAX, &roles)) ||
        !roles)
        return rc;
    json_array_foreach(roles, i, v) {
        c->signoff_roles[i] = xstrdup(json_string_value(v));
        c->signoff_role_count = i + 1;
    }
    return TARS_OK;
}

/* canary: {stable_url, load: [tars load arguments], timeout} (docs/release-format.md). */
static int read_canary(struct reader *rd, json_t *v, struct tars_release_config *c)
{
    static const char *const keys[] = {"stable_url", "load", "timeout", NULL};
    json_t *load = json_object_get(v, "load");
    int rc;

    c->canary_timeout_ms = 5LL * 60 * 1000;
    if (!v)
        return TARS_OK;
    if ((rc = only_keys(rd, v, "canary", keys)) ||
        (rc = get_string(rd, v, "stable_url", &c->canary_stable_url)) ||
        (rc = get_duration(rd, v, "timeout", &c->canary_timeout_ms)))
        return rc;
    if (!c->canary_stable_url || !load)
        return tars_yaml_error(rd->doc, v, rd->err, TARS_EINVAL,
                               "canary needs stable_url and load (tars load arguments)");
    if ((rc = read_argv(rd, load, &c->canary_load)))
        return rc;
    if (strcmp(c->canary_load.tars_argv[0], "load") != 0)
        return tars_yaml_error(rd->doc, load, rd->err, TARS_EINVAL,
                               "canary.load must be a tars load command: [load, SCENARIO, ...]");
    c->canary_load.name = xstrdup("canary load");
    return TARS_OK;
}

static int read_simple_sections(struct reader *rd, json_t *root, struct tars_release_config *c)
{
    static const char *const package_keys[] = {"enabled", "output_dir", NULL};
    static const char *const report_keys[] = {"enabled", "html", NULL};
    static const char *const decide_keys[] = {"baseline", NULL};
    static const char *const integrity_keys[] = {"db", NULL};
    json_t *v;
    int rc;

    c->package = false;
    if ((v = section(root, "package"))) {
        c->package = true;
        if ((rc = only_keys(rd, v, "package", package_keys)) ||
            (rc = get_bool(rd, v, "enabled", &c->package)) ||
            (rc = get_string(rd, v, "output_dir", &c->artifacts_dir)))
            return rc;
    }
    c->report = true;
    if ((v = section(root, "report")) && ((rc = only_keys(rd, v, "report", report_keys)) ||
                                          (rc = get_bool(rd, v, "enabled", &c->report)) ||
                                          (rc = get_bool(rd, v, "html", &c->report_html))))
        return rc;
    if ((v = section(root, "integrity")) && ((rc = only_keys(rd, v, "integrity", integrity_keys)) ||
                                             (rc = get_string(rd, v, "db", &c->integrity_db))))
        return rc;
    if ((v = section(root, "decide")) && ((rc = only_keys(rd, v, "decide", decide_keys)) ||
                                          (rc = get_string(rd, v, "baseline", &c->baseline))))
        return rc;
    return read_canary(rd, section(root, "canary"), c);
}

static int read_notify(struct reader *rd, json_t *obj, struct tars_release_config *c)
{
    static const char *const keys[] = {"slack", "github", NULL};
    static const char *const slack_keys[] = {"webhook_env", "channel", NULL};
    static const char *const github_keys[] = {"repository", "token_env", "deployment_id_env",
                                              "api_url", NULL};
    json_t *v;
    int rc;

    if (!obj)
        return TARS_OK;
    if ((rc = only_keys(rd, obj, "notify", keys)))
        return rc;
    if ((v = json_object_get(obj, "slack")) &&
        ((rc = only_keys(rd, v, "notify.slack", slack_keys)) ||
         (rc = get_string(rd, v, "webhook_env", &c->slack_webhook_env)) ||
         (rc = get_string(rd, v, "channel", &c->slack_channel))))
        return rc;
    if ((v = json_object_get(obj, "github")) &&
        ((rc = only_keys(rd, v, "notify.github", github_keys)) ||
         (rc = get_string(rd, v, "repository", &c->github_repository)) ||
         (rc = get_string(rd, v, "token_env", &c->github_token_env)) ||
         (rc = get_string(rd, v, "deployment_id_env", &c->github_deployment_env)) ||
         (rc = get_string(rd, v, "api_url", &c->github_api_url))))
        return rc;
    return TARS_OK;
}

static int read_wait(struct reader *rd, json_t *obj, struct tars_release_config *c)
{
    static const char *const keys[] = {"ready_url", "timeout", "steps", NULL};
    int rc;

    c->wait_timeout_ms = DEFAULT_WAIT_TIMEOUT_MS;
    if ((rc = read_stage(rd, obj, "wait", keys, &c->wait)))
        return rc;
    if (!obj)
        return TARS_OK;
    if ((rc = get_string(rd, obj, "ready_url", &c->ready_url)) ||
        (rc = get_duration(rd, obj, "timeout", &c->wait_timeout_ms)))
        return rc;
    return TARS_OK;
}

static int read_probe_paths(struct reader *rd, json_t *obj, struct tars_release_config *c)
{
    json_t *paths = NULL, *v;
    size_t i;
    int rc =
        tars_json_get_strings(&rd->rd, obj, "paths", TARS_JSON_REQUIRED, 1, 8, TEXT_MAX, &paths);

    if (rc)
        return rc;
    json_array_foreach(paths, i, v) {
        if (json_string_value(v)[0] != '/')
            return tars_yaml_error(rd->doc, v, rd->err, TARS_EINVAL,
                                   "a probe path starts with \"/\"");
        c->probe_paths[i] = xstrdup(json_string_value(v));
        c->probe_path_count = i + 1;
    }
    return TARS_OK;
}

static int read_probe(struct reader *rd, json_t *obj, struct tars_release_config *c)
{
    static const char *const keys[] = {"paths",      "rate",      "source_address",
                                       "max_failed", "websocket", NULL};
    static const char *const ws_keys[] = {"connections", "token_env", NULL};
    json_t *ws;
    int64_t conns;
    int rc;

    c->probe_max_failed = -1;
    c->probe_rate = 20;
    if (!obj)
        return TARS_OK;
    if ((rc = only_keys(rd, obj, "probe", keys)) ||
        (rc = get_string(rd, obj, "source_address", &c->probe_source)) ||
        (rc = read_probe_paths(rd, obj, c)) ||
        (rc = tars_json_get_double(&rd->rd, obj, "rate", TARS_JSON_OPTIONAL, 0.001, 1000,
                                   &c->probe_rate)) ||
        (rc = tars_json_get_int(&rd->rd, obj, "max_failed", TARS_JSON_OPTIONAL, 0, INT64_MAX,
                                &c->probe_max_failed)))
        return rc;
    if (!(ws = json_object_get(obj, "websocket")))
        return TARS_OK;
    if ((rc = only_keys(rd, ws, "probe.websocket", ws_keys)) ||
        (rc = get_string(rd, ws, "token_env", &c->probe_ws_token_env)) ||
        (rc = tars_json_get_int(&rd->rd, ws, "connections", TARS_JSON_REQUIRED, 1, 10000, &conns)))
        return rc;
    c->probe_ws_connections = (int)conns;
    return TARS_OK;
}

static int read_root(struct reader *rd, json_t *root, struct tars_release_config *c)
{
    static const char *const keys[] = {
        "release", "preflight", "package", "deploy", "wait",      "validate", "perf",   "report",
        "decide",  "rollback",  "notify",  "probe",  "integrity", "signoff",  "canary", NULL};
    static const char *const stage_keys[] = {"timeout", "steps", NULL};
    int rc;

    if ((rc = only_keys(rd, root, "the release config", keys)) ||
        (rc = read_release(rd, section(root, "release"), c)) ||
        (rc = read_preflight(rd, section(root, "preflight"), c)) ||
        (rc = read_simple_sections(rd, root, c)) ||
        (rc = read_stage(rd, section(root, "deploy"), "deploy", stage_keys, &c->deploy)) ||
        (rc = read_wait(rd, section(root, "wait"), c)) ||
        (rc = read_stage(rd, section(root, "validate"), "validate", stage_keys, &c->validate)) ||
        (rc = read_stage(rd, section(root, "perf"), "perf", stage_keys, &c->perf)) ||
        (rc = read_stage(rd, section(root, "rollback"), "rollback", stage_keys, &c->rollback)) ||
        (rc = read_notify(rd, section(root, "notify"), c)) ||
        (rc = read_probe(rd, section(root, "probe"), c)) ||
        (rc = read_signoff(rd, section(root, "signoff"), c)))
        return rc;
    if (!c->runs_dir)
        c->runs_dir = xstrdup("runs");
    if (!c->artifacts_dir)
        c->artifacts_dir = xstrdup("artifacts");
    if (!c->environment)
        c->environment = xstrdup(c->name ? c->name : "staging");
    if (!c->name)
        c->name = xstrdup(c->environment);
    return TARS_OK;
}

int tars_release_config_load(const char *path, struct tars_release_config *cfg,
                             struct tars_err *err)
{
    struct reader rd = {NULL, {0}, err};
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    rd.doc = tars_yaml_load_file(path, err);
    if (!rd.doc)
        return err ? err->code : TARS_EINVAL;
    rd.rd = tars_yaml_reader(rd.doc, err);
    cfg->path = xstrdup(path);
    rc = read_root(&rd, tars_yaml_root(rd.doc), cfg);
    tars_yaml_free(rd.doc);
    if (rc)
        tars_release_config_release(cfg);
    return rc;
}

static void free_stage(struct tars_release_stage_config *sc)
{
    for (size_t i = 0; i < TARS_RELEASE_MAX_STEPS; i++) { /* a half-read step too */
        struct tars_release_step *st = &sc->steps[i];
        for (size_t a = 0; st->tars_argv && st->tars_argv[a]; a++)
            free(st->tars_argv[a]);
        free(st->tars_argv);
        free(st->shell);
        free(st->name);
    }
    memset(sc, 0, sizeof(*sc));
}

void tars_release_config_release(struct tars_release_config *c)
{
    char **strings[] = {&c->path,
                        &c->name,
                        &c->version,
                        &c->environment,
                        &c->namespace_,
                        &c->base_url,
                        &c->runs_dir,
                        &c->rules_file,
                        &c->chart_dir,
                        &c->artifacts_dir,
                        &c->ready_url,
                        &c->baseline,
                        &c->slack_webhook_env,
                        &c->slack_channel,
                        &c->github_repository,
                        &c->github_token_env,
                        &c->github_deployment_env,
                        &c->github_api_url,
                        &c->run_url,
                        &c->probe_source,
                        &c->probe_ws_token_env,
                        &c->integrity_db,
                        &c->signoff_allowed_signers,
                        &c->canary_stable_url};

    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    for (size_t i = 0; i < c->file_count; i++)
        free(c->files[i]);
    for (size_t i = 0; i < c->probe_path_count; i++)
        free(c->probe_paths[i]);
    for (size_t i = 0; i < c->signoff_role_count; i++)
        free(c->signoff_roles[i]);
    free_stage(&c->deploy);
    free_stage(&c->wait);
    free_stage(&c->validate);
    free_stage(&c->perf);
    free_stage(&c->rollback);
    for (size_t a = 0; c->canary_load.tars_argv && c->canary_load.tars_argv[a]; a++)
        free(c->canary_load.tars_argv[a]);
    free(c->canary_load.tars_argv);
    free(c->canary_load.name);
    memset(c, 0, sizeof(*c));
}
