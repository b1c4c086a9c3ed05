/*
 * `tars release`: runs the stages in order, records every one of them in the
 * run directory (run.json "stages", "decisions", events.jsonl, logs/), and
 * decides. Order: preflight, package, deploy, wait, validate, perf, decide,
 * rollback, report, notify — the report comes after the decision and the
 * rollback so that it can show both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release_pipeline.h"
#include "tars/json.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/package.h"
#include "tars/run.h"
#include "tars/str.h"

const char *const pipeline_stage_names[STAGE_COUNT] = {
    "preflight", "package", "deploy",   "wait",   "validate",
    "perf",      "decide",  "rollback", "report", "notify",
};

static const pipeline_stage_fn stage_fns[STAGE_COUNT] = {
    stage_preflight, stage_package, stage_deploy,   stage_wait,   stage_validate,
    stage_perf,      stage_decide,  stage_rollback, stage_report, stage_notify,
};

const char *tars_stage_status_name(enum tars_stage_status s)
{
    static const char *const names[] = {"pending", "pass", "fail", "skip", "error"};

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const char *verdict_name(enum tars_release_verdict v)
{
    return v == TARS_VERDICT_APPROVED   ? "approved"
           : v == TARS_VERDICT_REJECTED ? "rejected"
                                        : "inconclusive";
}

/* ---- facts about the build ---- */

/* The commit and branch: GitHub's when it says, else git's (the same probe
 * `tars package` uses), "unknown" outside git. */
static void git_facts(struct pipeline *p)
{
    const char *sha = getenv("GITHUB_SHA"), *ref = getenv("GITHUB_REF_NAME");
    struct tars_build_info info;

    /* An error (a sha git cannot resolve, a bad SOURCE_DATE_EPOCH) leaves
     * whatever was found; the time it concerns is not used here. */
    (void)tars_package_probe_build(".", sha && *sha ? sha : NULL, &info, NULL);
    tars_strlcpy(p->git_sha, info.git_sha[0] ? info.git_sha : (sha && *sha ? sha : "unknown"),
                 sizeof(p->git_sha));
    tars_strlcpy(p->branch, ref && *ref ? ref : (info.branch[0] ? info.branch : "unknown"),
                 sizeof(p->branch));
}

/* ---- events and records ---- */

static void emit(struct pipeline *p, const char *stage, const char *event, enum tars_stage_status s,
                 const char *reason, double ms)
{
    char now[TARS_ISO8601_LEN], path[PIPELINE_PATH_MAX];
    json_t *e;
    char *line;
    int fd;

    tars_iso8601(tars_wall_ms(), now);
    e = json_pack("{s:s,s:s,s:s}", "time", now, "stage", stage, "event", event);
    if (strcmp(event, "end") == 0) {
        json_object_set_new(e, "status", json_string(tars_stage_status_name(s)));
        json_object_set_new(e, "duration_ms", json_real(ms));
        if (reason && *reason)
            json_object_set_new(e, "reason", json_string(reason));
    }
    line = e ? json_dumps(e, JSON_COMPACT) : NULL;
    snprintf(path, sizeof(path), "%s/events.jsonl", p->run_dir);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0 && line) {
        dprintf(fd, "%s\n", line);
    }
    if (fd >= 0)
        close(fd);
    free(line);
    json_decref(e);
    if (p->o->on_event)
        p->o->on_event(p->o->ctx, stage, strcmp(event, "end") == 0 ? s : TARS_STAGE_PENDING, reason,
                       ms);
}

static void record_stage(struct pipeline *p, enum pipeline_stage i, double ms)
{
    char log[64];

    snprintf(log, sizeof(log), "logs/%s.log", pipeline_stage_names[i]);
    json_array_append_new(p->stages,
                          json_pack("{s:s,s:s,s:f,s:s,s:s}", "name", pipeline_stage_names[i],
                                    "status", tars_stage_status_name(p->status[i]), "duration_ms",
                                    ms, "reason", p->reason[i], "log", log));
    tars_run_put(p->run_dir, "stages", p->stages, NULL);
}

static void run_stage(struct pipeline *p, enum pipeline_stage i)
{
    uint64_t t0 = tars_mono_ns();
    double ms;

    /* The report and notify stages come after ended_at: a run killed there was decided. */
    if (i < STAGE_REPORT)
        pipeline_stage_running(p, pipeline_stage_names[i]);
    emit(p, pipeline_stage_names[i], "start", TARS_STAGE_PENDING, NULL, 0);
    p->reason[i][0] = '\0';
    p->status[i] = stage_fns[i](p, p->reason[i], sizeof(p->reason[i]));
    ms = (double)(tars_mono_ns() - t0) / 1e6;
    emit(p, pipeline_stage_names[i], "end", p->status[i], p->reason[i], ms);
    record_stage(p, i, ms);
    if (i < STAGE_REPORT)
        pipeline_stage_running(p, NULL);
}

/* ---- the zero-downtime prober ---- */

static void probe_ws_file(struct pipeline *p, const char *window, char *out, size_t cap)
{
    snprintf(out, cap, "%s/probe-ws-%s.json", p->run_dir, window);
}

/* The WebSocket side of the prober: tars ws-stress holding connections open
 * until the window ends (SIGINT makes it write what it saw). */
static void probe_ws_start(struct pipeline *p, const char *window)
{
    char json[PIPELINE_PATH_MAX], url[PIPELINE_PATH_MAX], conns[16];
    char *url_text = release_expand("${ws_url}/ws", &p->vars);
    char *argv[] = {(char *)p->o->self_exe,
                    "ws-stress",
                    url,
                    "--connections",
                    conns,
                    "--duration",
                    "24h",
                    "--drain",
                    "1s",
                    "--backoff-initial",
                    "100ms",
                    "--backoff-max",
                    "2s",
                    "--json",
                    json,
                    "-q",
                    "--token-env",
                    p->c->probe_ws_token_env,
                    NULL};
    struct tars_proc e = {.own_group = true};
    int start_errno;

    snprintf(url, sizeof(url), "%s", url_text);
    free(url_text);
    snprintf(conns, sizeof(conns), "%d", p->c->probe_ws_connections);
    probe_ws_file(p, window, json, sizeof(json));
    if (!p->c->probe_ws_token_env)
        argv[16] = NULL;
    e.argv = argv;
    e.env = p->child_env;
    e.out_fd = p->probe_ws_log = pipeline_open_log(p, window);
    p->probe_ws_pid = tars_proc_start(&e, &start_errno);
    if (p->probe_ws_pid < 0) /* the child wrote why into the log */
        p->probe_ws_pid = 0;
}

/* {"connections","established","disconnects","reconnects","reconnect_max_ms",
 * "lost","exit_code"} from the ws-stress child, or an error note. */
static json_t *probe_ws_stop(struct pipeline *p, const char *window)
{
    char path[PIPELINE_PATH_MAX];
    json_t *r, *conn, *rec, *out;
    int code;

    if (!p->probe_ws_pid)
        return NULL;
    code = tars_proc_stop(p->probe_ws_pid, true, 0);
    p->probe_ws_pid = 0;
    if (p->probe_ws_log >= 0)
        close(p->probe_ws_log);
    probe_ws_file(p, window, path, sizeof(path));
    tars_json_load_file(path, 0, 0, &r, NULL);
    if (!r)
        return json_pack("{s:i,s:s}", "exit_code", code, "error",
                         "tars ws-stress wrote no result (see the stage log)");
    conn = json_object_get(r, "connections");
    rec = json_object_get(r, "reconnects");
    /* The prober ends ws-stress with SIGINT: its exit 2 with "interrupted" is that stop. */
    out = json_pack(
        "{s:O,s:O,s:O,s:O,s:O,s:O,s:i,s:b}", "connections", json_object_get(conn, "target"),
        "established", json_object_get(conn, "established"), "disconnects",
        json_object_get(rec, "unexpected_drops"), "reconnects", json_object_get(rec, "count"),
        "reconnect_max_ms", json_object_get(json_object_get(rec, "time"), "max_ms"), "lost",
        json_object_get(json_object_get(r, "messages"), "lost"), "exit_code", code,
        "stopped_by_prober", code == 2 && json_is_true(json_object_get(r, "interrupted")));
    if (out && json_object_get(conn, "failure_reasons")) /* why connections failed, by kind */
        json_object_set(out, "failure_reasons", json_object_get(conn, "failure_reasons"));
    json_decref(r);
    return out;
}

void pipeline_probe_start(struct pipeline *p, const char *window)
{
    struct tars_err err = TARS_ERR_INIT;
    int fd;

    if (!p->c->probe_path_count || !p->c->base_url || p->probe)
        return;
    p->probe = release_probe_start(p->c->base_url, p->c->probe_paths, p->c->probe_path_count,
                                   p->c->probe_rate, p->c->probe_source, &err);
    if (!p->probe && (fd = pipeline_open_log(p, window)) >= 0) {
        dprintf(fd, "# the zero-downtime probe could not start: %s\n", err.msg);
        close(fd);
    }
    if (p->probe && p->c->probe_ws_connections > 0)
        probe_ws_start(p, window);
}

void pipeline_probe_stop(struct pipeline *p, const char *window)
{
    json_t *summary = NULL;

    if (!p->probe)
        return;
    json_t *ws = probe_ws_stop(p, window);

    release_probe_stop(p->probe, &summary);
    p->probe = NULL;
    if (!summary) {
        json_decref(ws);
        return;
    }
    if (ws) {
        json_object_set(summary, "ws_disconnects", json_object_get(ws, "disconnects"));
        json_object_set(summary, "reconnect_max_ms", json_object_get(ws, "reconnect_max_ms"));
        json_object_set_new(summary, "websocket", ws);
    }
    json_object_set_new(summary, "window", json_string(window));
    tars_run_append(p->run_dir, "probes", summary, NULL);
    if (strcmp(window, "deploy") == 0) {
        tars_run_put(p->run_dir, "zero_downtime", summary, NULL);
        json_decref(p->deploy_probe);
        p->deploy_probe = json_incref(summary);
    }
    json_decref(summary);
}

/* ---- set-up ---- */

static int make_dirs(struct pipeline *p, struct tars_err *err)
{
    char logs[PIPELINE_PATH_MAX + 8];
    int rc;

    if (p->o->run_dir &&
        tars_strlcpy(p->run_dir, p->o->run_dir, sizeof(p->run_dir)) >= sizeof(p->run_dir))
        return tars_err_set(err, TARS_ETOOBIG, "run directory name is too long");
    if (!p->o->run_dir && (rc = tars_run_default_dir(p->c->runs_dir, p->c->version, p->run_dir,
                                                     sizeof(p->run_dir), err)))
        return rc;
    if ((rc = tars_run_open(p->run_dir, true, err)))
        return rc;
    snprintf(logs, sizeof(logs), "%s/logs", p->run_dir);
    if (mkdir(logs, 0755) != 0 && errno != EEXIST)
        return tars_err_set(err, TARS_EIO, "cannot create \"%s\": %s", logs, strerror(errno));
    snprintf(p->artifacts_dir, sizeof(p->artifacts_dir), "%s/%s", p->run_dir, p->c->artifacts_dir);
    return TARS_OK;
}

static void set_env(struct pipeline *p)
{
    const char *names[] = {"TARS_RELEASE_VERSION", "TARS_RELEASE_ENVIRONMENT", "TARS_RUN_DIR",
                           "TARS_BASE_URL",        "TARS_NAMESPACE",           "TARS_ARTIFACTS_DIR",
                           "TARS_GIT_SHA",         "TARS_RELEASE_ENV",         "TARS_BIN"};
    const char *values[] = {p->c->version,  p->c->environment, p->run_dir,
                            p->c->base_url, p->c->namespace_,  p->artifacts_dir,
                            p->git_sha,     p->env_file,       p->o->self_exe};
    size_t n = 0;
    char buf[PIPELINE_PATH_MAX + 64];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(buf, sizeof(buf), "%s=%s", names[i], values[i] ? values[i] : "");
        p->child_env[n++] = xstrdup(buf);
    }
    snprintf(buf, sizeof(buf), "TARS_CANARY_WEIGHT=%d", p->o->canary_weight);
    p->child_env[n++] = xstrdup(buf);
    p->child_env[n] = NULL;
    p->base_env_count = n;
}

static void put_now(struct pipeline *p, const char *key)
{
    char now[TARS_ISO8601_LEN];
    json_t *v;

    tars_iso8601(tars_wall_ms(), now);
    v = json_string(now);
    tars_run_put(p->run_dir, key, v, NULL);
    json_decref(v);
}

/* release.deployed_at, once the deploy stage has passed. */
static void record_deployed(struct pipeline *p)
{
    json_t *run = tars_run_load(p->run_dir, NULL), *rel = json_object_get(run, "release");
    char now[TARS_ISO8601_LEN];

    if (rel) {
        tars_iso8601(tars_wall_ms(), now);
        json_object_set_new(rel, "deployed_at", json_string(now));
        tars_run_put(p->run_dir, "release", rel, NULL);
    }
    json_decref(run);
}

static void record_release(struct pipeline *p)
{
    json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:b,s:b}", "name", p->c->name, "version",
                          p->c->version, "environment", p->c->environment, "git_sha", p->git_sha,
                          "branch", p->git_sha[0] ? p->branch : "", "config", p->c->path,
                          "canary_weight", p->o->canary_weight, "skip_tests", p->o->skip_tests,
                          "force_deploy", p->o->force_deploy);

    if (r && p->c->namespace_)
        json_object_set_new(r, "namespace", json_string(p->c->namespace_));
    if (r && p->c->base_url)
        json_object_set_new(r, "base_url", json_string(p->c->base_url));
    if (r)
        tars_run_put(p->run_dir, "release", r, NULL);
    json_decref(r);
}

/* The file steps may add variables to (see pipeline_load_env_file). */
static int make_env_file(struct pipeline *p, struct tars_err *err)
{
    const char *tmp = getenv("TMPDIR");
    int fd;

    if (!tmp || !*tmp || strlen(tmp) > 32)
        tmp = "/tmp";
    snprintf(p->env_file, sizeof(p->env_file), "%s/tars-release-env.XXXXXX", tmp);
    fd = mkstemp(p->env_file); /* mode 0600 */
    if (fd < 0) {
        p->env_file[0] = '\0';
        return tars_err_set(err, TARS_EIO, "cannot create a file in %s: %s", tmp, strerror(errno));
    }
    close(fd);
    return TARS_OK;
}

static void pipeline_release(struct pipeline *p)
{
    if (p->env_file[0])
        unlink(p->env_file);
    for (size_t i = 0; p->child_env[i]; i++)
        free(p->child_env[i]);
    json_decref(p->stages);
    json_decref(p->notes);
    json_decref(p->verdict_reasons);
    json_decref(p->deploy_probe);
}

static bool stage_blocks_the_rest(struct pipeline *p, enum pipeline_stage i)
{
    /* Nothing is deployed after a failed preflight or package. */
    return (i == STAGE_PREFLIGHT || i == STAGE_PACKAGE) &&
           (p->status[i] == TARS_STAGE_FAIL || p->status[i] == TARS_STAGE_ERROR);
}

/* "rejected: perf failed: …; load tars-api: threshold … not met (measured …)": the
 * verdict and every reason, cut at cap. */
static void summarise(const struct pipeline *p, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "%s", verdict_name(p->verdict));
    json_t *reason;
    size_t i;

    json_array_foreach(p->verdict_reasons, i, reason) {
        if (len >= cap)
            break;
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "; " : ": ",
                                json_string_value(reason));
    }
}

int tars_release_run(const struct tars_release_config *cfg, const struct tars_release_options *o,
                     struct tars_release_outcome *out, struct tars_err *err)
{
    struct pipeline p;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(out, 0, sizeof(*out));
    p.c = cfg;
    p.o = o;
    p.lock_fd = -1;
    if ((rc = make_dirs(&p, err)))
        return rc;
    if ((rc = pipeline_lock_take(&p, err)))
        return rc;
    tars_strlcpy(out->lock_note, p.stale_lock, sizeof(out->lock_note));
    if ((rc = make_env_file(&p, err))) {
        pipeline_lock_drop(&p);
        return rc;
    }
    git_facts(&p);
    set_env(&p);
    p.vars =
        (struct release_vars){cfg->version, cfg->base_url,   cfg->environment, cfg->namespace_,
                              p.run_dir,    p.artifacts_dir, o->self_exe,      o->canary_weight};
    p.stages = json_array();
    p.notes = json_array();
    p.verdict_reasons = json_array();
    record_release(&p);
    pipeline_notify_slack(&p, RELEASE_MSG_START);
    for (int i = 0; i < STAGE_COUNT; i++) {
        bool blocked = false;
        for (int j = 0; j < i && i < STAGE_DECIDE; j++)
            blocked = blocked || stage_blocks_the_rest(&p, (enum pipeline_stage)j);
        if (blocked || (*o->interrupted && i < STAGE_DECIDE)) {
            p.status[i] = TARS_STAGE_SKIP;
            snprintf(p.reason[i], sizeof(p.reason[i]), "%s",
                     blocked ? "an earlier stage failed" : "interrupted");
            emit(&p, pipeline_stage_names[i], "end", p.status[i], p.reason[i], 0);
            record_stage(&p, (enum pipeline_stage)i, 0);
        } else {
            if (i == STAGE_DEPLOY)
                pipeline_probe_start(&p, "deploy");
            if (i == STAGE_REPORT)
                put_now(&p, "ended_at"); /* the report shows the run up to here */
            run_stage(&p, (enum pipeline_stage)i);
            if (i == STAGE_DEPLOY && p.status[i] == TARS_STAGE_PASS)
                record_deployed(&p);
        }
        if (i == STAGE_WAIT)
            pipeline_probe_stop(&p, "deploy");
    }
    put_now(&p, "ended_at");
    if (p.status[STAGE_REPORT] == TARS_STAGE_PASS) {
        /* Once more, now that run.json is final: the report's header must name the evidence
         * digest people sign (docs/signoff.md), which the stages after the report changed. */
        char why[256];
        (void)stage_report(&p, why, sizeof(why));
    }
    out->verdict = p.verdict;
    out->rolled_back = p.rolled_back;
    out->interrupted = *o->interrupted != 0;
    tars_strlcpy(out->run_dir, p.run_dir, sizeof(out->run_dir));
    summarise(&p, out->summary, sizeof(out->summary));
    pipeline_release(&p);
    pipeline_lock_drop(&p);
    return TARS_OK;
}
