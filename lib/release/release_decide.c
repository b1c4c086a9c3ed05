/*
 * The decision of a release, its notifications, and the dry-run plan.
 *
 * Approved only when everything that had to be measured was measured and
 * passed: no failed or erroring stage, some validation actually ran, every
 * threshold recorded in run.json held. Rejected when something failed;
 * inconclusive when something could not be measured (errors, interruption,
 * --skip-tests, nothing validated).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release_pipeline.h"
#include "tars/compare.h"
#include "tars/run.h"

static const char *str_or(json_t *obj, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : fallback;
}

/* A verdict and its reasons, as the evidence adds to them. */
struct judged {
    enum tars_release_verdict verdict;
    json_t *reasons;
};

static TARS_PRINTF(3, 0) void add_reason(struct judged *j, enum tars_release_verdict v,
                                         const char *fmt, va_list ap)
{
    char text[512];

    vsnprintf(text, sizeof(text), fmt, ap);
    json_array_append_new(j->reasons, json_string(text));
    if (v == TARS_VERDICT_REJECTED || j->verdict == TARS_VERDICT_APPROVED)
        j->verdict = v;
}

static void judged_because(struct judged *j, enum tars_release_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void judged_because(struct judged *j, enum tars_release_verdict v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_reason(j, v, fmt, ap);
    va_end(ap);
}

static void because(struct pipeline *p, enum tars_release_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void because(struct pipeline *p, enum tars_release_verdict v, const char *fmt, ...)
{
    struct judged j = {p->verdict, p->verdict_reasons};
    va_list ap;

    va_start(ap, fmt);
    add_reason(&j, v, fmt, ap);
    va_end(ap);
    p->verdict = j.verdict;
}

/* Thresholds recorded by load / ws-stress ("thresholds":[{"text","outcome","measured",...}]):
 * a failed one rejects, one without data leaves the release inconclusive. */
static void threshold_reasons(struct judged *jd, const json_t *run, const char *key,
                              const char *what)
{
    json_t *list = json_object_get(run, key), *entry, *th;
    size_t i, j;

    json_array_foreach(list, i, entry) {
        json_t *total = json_object_get(json_object_get(entry, "result"), "total");
        if (!strcmp(key, "loads") && json_integer_value(json_object_get(total, "requests")) <= 0)
            judged_because(jd, TARS_VERDICT_INCONCLUSIVE, "load %s sent no request",
                           str_or(entry, "name", ""));
        json_array_foreach(json_object_get(entry, "thresholds"), j, th) {
            enum tars_judgement o = tars_run_threshold_outcome(th);
            char measured[160];
            if (o == TARS_JUDGE_PASS)
                continue;
            tars_run_threshold_measured(th, measured, sizeof(measured));
            if (o == TARS_JUDGE_FAIL)
                judged_because(jd, TARS_VERDICT_REJECTED,
                               "%s %s: threshold %s not met (measured %s)", what,
                               str_or(entry, "name", ""), str_or(th, "text", "?"), measured);
            else
                judged_because(jd, TARS_VERDICT_INCONCLUSIVE, "%s %s: threshold %s not judged: %s",
                               what, str_or(entry, "name", ""), str_or(th, "text", "?"),
                               tars_run_threshold_missing(th));
        }
        if (json_is_true(json_object_get(entry, "interrupted")))
            judged_because(jd, TARS_VERDICT_INCONCLUSIVE, "%s %s was interrupted", what,
                           str_or(entry, "name", ""));
    }
}

/* db-bench families: "status" pass / fail / inconclusive (older records: "passed" only). */
static void db_reasons(struct judged *jd, const json_t *run)
{
    json_t *entry;
    size_t i;

    json_array_foreach(json_object_get(run, "db"), i, entry) {
        const char *status = str_or(entry, "status", "");
        const char *family = str_or(entry, "family", "?"), *why = str_or(entry, "reason", "");
        bool failed =
            *status ? !strcmp(status, "fail") : json_is_false(json_object_get(entry, "passed"));
        bool passed =
            *status ? !strcmp(status, "pass") : json_is_true(json_object_get(entry, "passed"));
        if (failed)
            judged_because(jd, TARS_VERDICT_REJECTED, "db-bench %s over its threshold%s%s", family,
                           *why ? ": " : "", why);
        else if (!passed)
            judged_because(jd, TARS_VERDICT_INCONCLUSIVE, "db-bench %s not judged: %s", family,
                           *why ? why : "no result recorded");
    }
}

static void comparison_reasons(struct judged *jd, const json_t *run)
{
    json_t *comparison = json_object_get(run, "comparison");
    const char *cmp = json_string_value(json_object_get(comparison, "verdict"));
    char when[160];

    if (!comparison)
        return;
    tars_compare_window_text(
        tars_compare_window_parse(str_or(json_object_get(comparison, "window"), "kind", "")),
        json_number_value(json_object_get(json_object_get(comparison, "window"), "apart_s")), when,
        sizeof(when));
    if (cmp && strcmp(cmp, "fail") == 0)
        judged_because(jd, TARS_VERDICT_REJECTED, "regression against the baseline (%s)", when);
    else if (cmp && strcmp(cmp, "marginal") == 0)
        judged_because(jd, TARS_VERDICT_INCONCLUSIVE, "marginal against the baseline (%s)", when);
    else if (!cmp || strcmp(cmp, "pass") != 0)
        judged_because(jd, TARS_VERDICT_INCONCLUSIVE, "the baseline comparison has no verdict");
}

enum tars_release_verdict tars_release_judge_evidence(const json_t *run, const char *unreadable,
                                                      json_t *reasons)
{
    struct judged jd = {TARS_VERDICT_APPROVED, reasons};
    json_t *counts = json_object_get(json_object_get(run, "checks"), "counts");

    if (!json_is_object(run)) {
        judged_because(&jd, TARS_VERDICT_INCONCLUSIVE, "run.json could not be read: %s",
                       unreadable && *unreadable ? unreadable : "no record");
        return jd.verdict;
    }
    if (json_integer_value(json_object_get(counts, "fail")) > 0)
        judged_because(&jd, TARS_VERDICT_REJECTED, "%lld checks failed",
                       (long long)json_integer_value(json_object_get(counts, "fail")));
    if (json_integer_value(json_object_get(counts, "error")) > 0)
        judged_because(&jd, TARS_VERDICT_INCONCLUSIVE, "%lld checks could not be run",
                       (long long)json_integer_value(json_object_get(counts, "error")));
    threshold_reasons(&jd, run, "loads", "load");
    threshold_reasons(&jd, run, "ws", "ws-stress");
    db_reasons(&jd, run);
    comparison_reasons(&jd, run);
    return jd.verdict;
}

static void evidence_reasons(struct pipeline *p)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *run = tars_run_load(p->run_dir, &err);
    struct judged j = {p->verdict, p->verdict_reasons};
    enum tars_release_verdict v = tars_release_judge_evidence(run, err.msg, p->verdict_reasons);

    if (v == TARS_VERDICT_REJECTED || j.verdict == TARS_VERDICT_APPROVED)
        p->verdict = v;
    json_decref(run);
}

static void stage_reasons(struct pipeline *p)
{
    for (int i = STAGE_PREFLIGHT; i < STAGE_DECIDE; i++) {
        enum tars_stage_status s = p->status[i];
        if (s == TARS_STAGE_FAIL)
            because(p, TARS_VERDICT_REJECTED, "%s failed: %s", pipeline_stage_names[i],
                    p->reason[i]);
        else if (s == TARS_STAGE_ERROR)
            because(p, TARS_VERDICT_INCONCLUSIVE, "%s: %s", pipeline_stage_names[i], p->reason[i]);
    }
    if (p->status[STAGE_VALIDATE] == TARS_STAGE_SKIP)
        because(p, TARS_VERDICT_INCONCLUSIVE, "not validated: %s", p->reason[STAGE_VALIDATE]);
    if (*p->o->interrupted)
        because(p, TARS_VERDICT_INCONCLUSIVE, "interrupted");
}

static enum tars_stage_status compare_baseline(struct pipeline *p, char *reason, size_t cap)
{
    struct tars_release_stage_config sc = {0};
    char *argv[] = {"compare", p->c->baseline, p->run_dir, NULL};

    sc.steps[0].name = "compare";
    sc.steps[0].tars_argv = argv;
    sc.steps[0].tars_argc = 3;
    sc.step_count = 1;
    sc.timeout_ms = 5LL * 60 * 1000;
    return pipeline_run_steps(p, "decide", &sc, true, reason, cap);
}

enum tars_stage_status stage_decide(struct pipeline *p, char *reason, size_t cap)
{
    json_t *decision;
    char why[512];

    p->verdict = TARS_VERDICT_APPROVED;
    stage_reasons(p);
    if (p->c->baseline && p->status[STAGE_PERF] == TARS_STAGE_PASS) {
        enum tars_stage_status s = compare_baseline(p, why, sizeof(why));
        if (s == TARS_STAGE_ERROR)
            because(p, TARS_VERDICT_INCONCLUSIVE, "baseline comparison: %s", why);
    }
    if (p->status[STAGE_PERF] == TARS_STAGE_PASS) {
        enum tars_stage_status s = pipeline_canary(p, why, sizeof(why));
        if (s == TARS_STAGE_FAIL)
            because(p, TARS_VERDICT_REJECTED, "canary analysis: %s", why);
        else if (s == TARS_STAGE_ERROR)
            because(p, TARS_VERDICT_INCONCLUSIVE, "canary analysis: %s", why);
    }
    evidence_reasons(p);
    json_t *ws_probe = json_object_get(p->deploy_probe, "websocket");
    json_int_t ws_exit = json_integer_value(json_object_get(ws_probe, "exit_code"));
    bool ws_stopped = json_is_true(json_object_get(ws_probe, "stopped_by_prober"));
    if (ws_probe &&
        (json_object_get(ws_probe, "error") || ws_exit < 0 || (ws_exit > 1 && !ws_stopped)))
        because(p, TARS_VERDICT_INCONCLUSIVE,
                "zero downtime: the WebSocket probe could not run (tars ws-stress exit %lld; see "
                "logs/deploy.log)",
                (long long)ws_exit);
    if (p->c->probe_max_failed >= 0 && p->deploy_probe) {
        json_int_t failed = json_integer_value(json_object_get(p->deploy_probe, "failed"));
        if (failed > p->c->probe_max_failed)
            because(p, TARS_VERDICT_REJECTED,
                    "zero downtime: %lld probe requests failed during the deployment (at most %lld "
                    "allowed)",
                    (long long)failed, (long long)p->c->probe_max_failed);
    }
    decision = json_pack("{s:s,s:s,s:O}", "name", "promote", "decision",
                         p->verdict == TARS_VERDICT_APPROVED   ? "approved"
                         : p->verdict == TARS_VERDICT_REJECTED ? "rejected"
                                                               : "inconclusive",
                         "reasons", p->verdict_reasons);
    if (decision) {
        json_t *list = json_pack("[o]", decision);
        tars_run_put(p->run_dir, "decisions", list, NULL);
        json_decref(list);
    }
    snprintf(reason, cap, "%s",
             json_array_size(p->verdict_reasons)
                 ? json_string_value(json_array_get(p->verdict_reasons, 0))
                 : "every stage passed and every threshold held");
    return p->verdict == TARS_VERDICT_APPROVED   ? TARS_STAGE_PASS
           : p->verdict == TARS_VERDICT_REJECTED ? TARS_STAGE_FAIL
                                                 : TARS_STAGE_ERROR;
}

/* ---- notifications ---- */

static void note(struct pipeline *p, const char *target, const char *what, int rc,
                 const struct tars_err *err)
{
    json_array_append_new(p->notes, json_pack("{s:s,s:s,s:s,s:s}", "target", target, "message",
                                              what, "status", rc == TARS_OK ? "sent" : "failed",
                                              "error", rc == TARS_OK ? "" : err->msg));
}

void pipeline_notify_slack(struct pipeline *p, enum release_message m)
{
    static const char *const names[] = {"start", "rollback", "success"};
    const char *url = p->c->slack_webhook_env ? getenv(p->c->slack_webhook_env) : NULL;
    struct tars_err err = TARS_ERR_INIT;
    json_t *payload;
    int rc;

    if (!url || !*url)
        return;
    payload = release_slack_payload(p->c, m, p->git_sha, p->branch);
    rc = payload ? release_post_json(url, NULL, payload, &err)
                 : tars_err_set(&err, TARS_EINTERNAL, "out of memory");
    note(p, "slack", names[m], rc, &err);
    json_decref(payload);
}

static void notify_github(struct pipeline *p)
{
    const char *token = p->c->github_token_env ? getenv(p->c->github_token_env) : NULL;
    const char *id = p->c->github_deployment_env ? getenv(p->c->github_deployment_env) : NULL;
    const char *api = p->c->github_api_url ? p->c->github_api_url : "https://api.github.com";
    const char *state = p->verdict == TARS_VERDICT_APPROVED   ? "success"
                        : p->verdict == TARS_VERDICT_REJECTED ? "failure"
                                                              : "error";
    struct tars_err err = TARS_ERR_INIT;
    char url[1024], description[140];
    json_t *payload;
    int rc;

    if (!p->c->github_repository || !token || !*token || !id || !*id) {
        if (p->c->github_repository)
            note(p, "github", "deployment status",
                 tars_err_set(&err, TARS_EINVAL, "token or deployment id variable not set"), &err);
        return;
    }
    snprintf(url, sizeof(url), "%s/repos/%s/deployments/%s/statuses", api, p->c->github_repository,
             id);
    snprintf(description, sizeof(description), "T.A.R.S. v%s %s deployment: %s", p->c->version,
             p->c->environment, state);
    payload = json_pack("{s:s,s:s,s:s}", "state", state, "environment", p->c->environment,
                        "description", description);
    rc = release_post_json(url, token, payload, &err);
    note(p, "github", "deployment status", rc, &err);
    json_decref(payload);
}

enum tars_stage_status stage_notify(struct pipeline *p, char *reason, size_t cap)
{
    size_t i, failed = 0;
    json_t *n;

    if (p->verdict == TARS_VERDICT_APPROVED)
        pipeline_notify_slack(p, RELEASE_MSG_SUCCESS);
    notify_github(p);
    tars_run_put(p->run_dir, "notifications", p->notes, NULL);
    if (json_array_size(p->notes) == 0) {
        snprintf(reason, cap, "no notification configured (or its variables are unset)");
        return TARS_STAGE_SKIP;
    }
    json_array_foreach(p->notes, i, n) {
        if (strcmp(json_string_value(json_object_get(n, "status")), "failed") == 0) {
            if (!failed)
                snprintf(reason, cap, "%s %s: %s", json_string_value(json_object_get(n, "target")),
                         json_string_value(json_object_get(n, "message")),
                         json_string_value(json_object_get(n, "error")));
            failed++;
        }
    }
    return failed ? TARS_STAGE_FAIL : TARS_STAGE_PASS; /* never changes the verdict */
}
