/*
 * The stages of `tars release` (docs/release-format.md). Each returns its
 * status and fills reason; a skip always says why.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "release_pipeline.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/curl_easy.h"
#include "tars/run.h"

#define TOOL_TIMEOUT_MS (5LL * 60 * 1000)
#define READY_POLL_MS 500

/* argv joined into one shell command, every argument single-quoted. */
static bool shell_join(char *const *argv, char *out, size_t cap)
{
    size_t used = 0;

    for (size_t i = 0; argv[i]; i++) {
        if (used + 3 >= cap)
            return false;
        if (i)
            out[used++] = ' ';
        out[used++] = '\'';
        for (const char *q = argv[i]; *q; q++) {
            const char *piece = *q == '\'' ? "'\\''" : NULL;
            size_t len = piece ? 4 : 1;
            if (used + len + 2 >= cap)
                return false;
            memcpy(out + used, piece ? piece : q, len);
            used += len;
        }
        out[used++] = '\'';
    }
    out[used] = '\0';
    return true;
}

/* Runs a tool found on PATH as one preflight step. */
static enum tars_stage_status run_tool(struct pipeline *p, int fd, const char *name,
                                       char *const *argv, char *why, size_t cap)
{
    char cmd[PIPELINE_PATH_MAX * 2];
    struct tars_release_step st = {0};

    if (!shell_join(argv, cmd, sizeof(cmd))) {
        snprintf(why, cap, "%s: command too long", name);
        return TARS_STAGE_ERROR;
    }
    st.name = (char *)name;
    st.shell = cmd;
    return pipeline_run_step(p, fd, &st, TOOL_TIMEOUT_MS, true, why, cap);
}

static void add_note(char *notes, size_t cap, const char *text)
{
    size_t used = strlen(notes);

    snprintf(notes + used, cap - used, "%s%s", used ? "; " : "", text);
}

enum tars_stage_status stage_preflight(struct pipeline *p, char *reason, size_t cap)
{
    const struct tars_release_config *c = p->c;
    enum tars_stage_status worst = TARS_STAGE_PASS;
    char why[512], notes[1024] = "";
    int fd = pipeline_open_log(p, "preflight");

    if (fd < 0) {
        snprintf(reason, cap, "cannot open the preflight log: %s", strerror(errno));
        return TARS_STAGE_ERROR;
    }
    for (size_t i = 0; i < c->file_count; i++) {
        if (access(c->files[i], R_OK) != 0) {
            snprintf(why, sizeof(why), "required file \"%s\" is missing", c->files[i]);
            dprintf(fd, "%s\n", why);
            add_note(notes, sizeof(notes), why);
            worst = TARS_STAGE_FAIL;
        }
    }
    dprintf(fd, "%zu required files checked\n", c->file_count);
    if (c->rules_file && !release_have_tool("promtool")) {
        add_note(notes, sizeof(notes), "promtool check rules skipped: promtool not installed");
    } else if (c->rules_file) {
        char *argv[] = {"promtool", "check", "rules", c->rules_file, NULL};
        if (run_tool(p, fd, "promtool check rules", argv, why, sizeof(why)) != TARS_STAGE_PASS) {
            add_note(notes, sizeof(notes), why);
            worst = TARS_STAGE_FAIL;
        }
    }
    if (c->chart_dir && !release_have_tool("helm")) {
        add_note(notes, sizeof(notes), "helm lint skipped: helm not installed");
    } else if (c->chart_dir) {
        char *argv[] = {"helm", "lint", c->chart_dir, NULL};
        if (run_tool(p, fd, "helm lint", argv, why, sizeof(why)) != TARS_STAGE_PASS) {
            add_note(notes, sizeof(notes), why);
            worst = TARS_STAGE_FAIL;
        }
    }
    if (c->need_cluster && !release_have_tool("kubectl")) {
        add_note(notes, sizeof(notes), "the cluster is needed but kubectl is not installed");
        worst = TARS_STAGE_FAIL;
    } else if (c->need_cluster) {
        char *argv[] = {"kubectl", "cluster-info", NULL};
        if (run_tool(p, fd, "kubectl cluster-info", argv, why, sizeof(why)) != TARS_STAGE_PASS) {
            add_note(notes, sizeof(notes), "cluster unreachable");
            worst = TARS_STAGE_FAIL;
        }
    }
    close(fd);
    snprintf(reason, cap, "%s", notes);
    return worst;
}

enum tars_stage_status stage_package(struct pipeline *p, char *reason, size_t cap)
{
    struct tars_release_stage_config sc = {0};
    char *argv[] = {
        "package",       "--version",       p->c->version, "--output-dir", p->artifacts_dir,
        "--environment", p->c->environment, "--git-sha",   p->git_sha,     NULL};
    struct tars_err err = TARS_ERR_INIT;
    enum tars_stage_status s;

    if (!p->c->package) {
        snprintf(reason, cap, "packaging not configured");
        return TARS_STAGE_SKIP;
    }
    sc.steps[0].name = "package";
    sc.steps[0].tars_argv = argv;
    sc.steps[0].tars_argc = sizeof(argv) / sizeof(argv[0]) - 1;
    sc.step_count = 1;
    sc.timeout_ms = TOOL_TIMEOUT_MS;
    s = pipeline_run_steps(p, "package", &sc, true, reason, cap);
    if (s == TARS_STAGE_PASS && tars_run_record_artifacts(p->run_dir, p->artifacts_dir, &err)) {
        snprintf(reason, cap, "the artifacts could not be recorded: %s", err.msg);
        return TARS_STAGE_ERROR;
    }
    return s;
}

/* `tars db-integrity` before a window (label "before-W", kept in
 * DIR/integrity-W.json) or after it (compared with that file). Returns the
 * step's status; a missing SQLite file before a first deployment is a skip. */
static enum tars_stage_status integrity_step(struct pipeline *p, const char *stage,
                                             const char *window, bool after, char *why, size_t cap)
{
    char file[PIPELINE_PATH_MAX], label[64];
    char *db = release_expand(p->c->integrity_db, &p->vars);
    char *argv[] = {"db-integrity", "--db",    db,    after ? "--compare" : "-o",
                    file,           "--label", label, NULL};
    struct tars_release_step st = {0};
    enum tars_stage_status s;
    int fd;

    snprintf(file, sizeof(file), "%s/integrity-%s.json", p->run_dir, window);
    snprintf(label, sizeof(label), "%s-%s", after ? "after" : "before", window);
    if ((strncmp(db, "sqlite:", 7) == 0 && access(db + 7, F_OK) != 0) ||
        (after && access(file, F_OK) != 0)) {
        free(db);
        return TARS_STAGE_SKIP; /* nothing existed before: nothing to lose */
    }
    st.name = label;
    st.tars_argv = argv;
    st.tars_argc = 7;
    fd = pipeline_open_log(p, stage);
    s = pipeline_run_step(p, fd, &st, TOOL_TIMEOUT_MS, true, why, cap);
    if (fd >= 0)
        close(fd);
    if (s == TARS_STAGE_FAIL && after)
        snprintf(why, cap, "data integrity: rows lost or changed during the %s (logs/%s.log)",
                 window, stage);
    free(db);
    return s;
}

enum tars_stage_status stage_deploy(struct pipeline *p, char *reason, size_t cap)
{
    enum tars_stage_status s;

    if (p->c->deploy.step_count == 0) {
        snprintf(reason, cap, "no deploy steps configured");
        return TARS_STAGE_SKIP;
    }
    if (p->c->integrity_db)
        integrity_step(p, "deploy", "deploy", false, reason, cap);
    reason[0] = '\0';
    s = pipeline_run_steps(p, "deploy", &p->c->deploy, true, reason, cap);
    return s;
}

/* GET url once: the HTTP status, 0 when it could not connect. */
static long probe(const char *url)
{
    long status;
    CURLcode cc;
    CURL *h = tars_curl_easy(url, 2000L, "tars-release", NULL);

    if (!h)
        return 0;
    status = tars_curl_perform(h, &cc);
    curl_easy_cleanup(h);
    return status;
}

static enum tars_stage_status wait_ready(struct pipeline *p, char *reason, size_t cap)
{
    char *url = release_expand(p->c->ready_url, &p->vars);
    uint64_t t0 = tars_mono_ns(), deadline = t0 + (uint64_t)p->c->wait_timeout_ms * 1000000ull;
    long status = 0;
    int fd = pipeline_open_log(p, "wait");

    for (;;) {
        status = probe(url);
        if (status == 200 || *p->o->interrupted || tars_mono_ns() > deadline)
            break;
        struct timespec ts = {0, READY_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (fd >= 0) {
        dprintf(fd, "GET %s -> %ld after %.0f ms\n", url, status,
                (double)(tars_mono_ns() - t0) / 1e6);
        close(fd);
    }
    free(url);
    if (status == 200)
        return TARS_STAGE_PASS;
    if (*p->o->interrupted) {
        snprintf(reason, cap, "interrupted while waiting for readiness");
        return TARS_STAGE_ERROR;
    }
    snprintf(reason, cap, "not ready within %.0f s (last answer: %s%ld)",
             (double)p->c->wait_timeout_ms / 1000, status ? "HTTP " : "no connection, ", status);
    return TARS_STAGE_FAIL;
}

enum tars_stage_status stage_wait(struct pipeline *p, char *reason, size_t cap)
{
    enum tars_stage_status s = TARS_STAGE_PASS;

    if (!p->c->ready_url && p->c->wait.step_count == 0) {
        snprintf(reason, cap, "no readiness URL or wait steps configured");
        return TARS_STAGE_SKIP;
    }
    if (p->status[STAGE_DEPLOY] != TARS_STAGE_PASS && p->status[STAGE_DEPLOY] != TARS_STAGE_SKIP) {
        snprintf(reason, cap, "deploy did not succeed");
        return TARS_STAGE_SKIP;
    }
    if (p->c->ready_url)
        s = wait_ready(p, reason, cap);
    if (s == TARS_STAGE_PASS && p->c->wait.step_count)
        s = pipeline_run_steps(p, "wait", &p->c->wait, true, reason, cap);
    if (s == TARS_STAGE_PASS && p->c->integrity_db) {
        enum tars_stage_status i = integrity_step(p, "wait", "deploy", true, reason, cap);
        s = i == TARS_STAGE_SKIP ? s : i;
    }
    return s;
}

/* validate and perf: skipped under --skip-tests or when the target is not up. */
static enum tars_stage_status test_stage(struct pipeline *p, const char *name,
                                         const struct tars_release_stage_config *sc, char *reason,
                                         size_t cap)
{
    if (p->o->skip_tests) {
        snprintf(reason, cap, "--skip-tests");
        return TARS_STAGE_SKIP;
    }
    if (sc->step_count == 0) {
        snprintf(reason, cap, "no %s steps configured", name);
        return TARS_STAGE_SKIP;
    }
    if (p->status[STAGE_DEPLOY] == TARS_STAGE_FAIL || p->status[STAGE_DEPLOY] == TARS_STAGE_ERROR ||
        p->status[STAGE_WAIT] == TARS_STAGE_FAIL || p->status[STAGE_WAIT] == TARS_STAGE_ERROR) {
        snprintf(reason, cap, "the deployment is not up");
        return TARS_STAGE_SKIP;
    }
    return pipeline_run_steps(p, name, sc, true, reason, cap);
}

enum tars_stage_status stage_validate(struct pipeline *p, char *reason, size_t cap)
{
    return test_stage(p, "validate", &p->c->validate, reason, cap);
}

enum tars_stage_status stage_perf(struct pipeline *p, char *reason, size_t cap)
{
    return test_stage(p, "perf", &p->c->perf, reason, cap);
}

enum tars_stage_status stage_rollback(struct pipeline *p, char *reason, size_t cap)
{
    enum tars_stage_status s;
    bool deployed =
        p->status[STAGE_DEPLOY] != TARS_STAGE_SKIP && p->status[STAGE_DEPLOY] != TARS_STAGE_PENDING;
    bool needed = p->verdict == TARS_VERDICT_REJECTED ||
                  (p->verdict == TARS_VERDICT_INCONCLUSIVE && !p->o->skip_tests);

    if (!needed) {
        snprintf(reason, cap,
                 p->verdict == TARS_VERDICT_APPROVED
                     ? "not needed: the release was approved"
                     : "not needed: nothing failed (tests skipped)");
        return TARS_STAGE_SKIP;
    }
    if (p->o->force_deploy) {
        snprintf(reason, cap, "--force-deploy keeps the deployment");
        return TARS_STAGE_SKIP;
    }
    if (!deployed) {
        snprintf(reason, cap, "nothing was deployed");
        return TARS_STAGE_SKIP;
    }
    if (p->c->rollback.step_count == 0) {
        snprintf(reason, cap, "needed, but no rollback steps are configured");
        return TARS_STAGE_FAIL;
    }
    /* Runs to its end (bounded by its timeout) even after an interrupt. */
    pipeline_probe_start(p, "rollback");
    if (p->c->integrity_db)
        integrity_step(p, "rollback", "rollback", false, reason, cap);
    reason[0] = '\0';
    s = pipeline_run_steps(p, "rollback", &p->c->rollback, false, reason, cap);
    pipeline_probe_stop(p, "rollback");
    if (s == TARS_STAGE_PASS && p->c->integrity_db) {
        enum tars_stage_status i = integrity_step(p, "rollback", "rollback", true, reason, cap);
        s = i == TARS_STAGE_SKIP ? s : i;
    }
    p->rolled_back = s == TARS_STAGE_PASS;
    pipeline_notify_slack(p, RELEASE_MSG_ROLLBACK);
    return s;
}

enum tars_stage_status stage_report(struct pipeline *p, char *reason, size_t cap)
{
    struct tars_release_stage_config sc = {0};
    char html[PIPELINE_PATH_MAX + 16];
    char *argv[] = {"report", p->run_dir, "--html", html, NULL};

    if (!p->c->report) {
        snprintf(reason, cap, "report not configured");
        return TARS_STAGE_SKIP;
    }
    snprintf(html, sizeof(html), "%s/report.html", p->run_dir);
    sc.steps[0].name = "report";
    sc.steps[0].tars_argv = argv;
    sc.steps[0].tars_argc = p->c->report_html ? 4 : 2;
    if (!p->c->report_html)
        argv[2] = NULL;
    sc.step_count = 1;
    sc.timeout_ms = TOOL_TIMEOUT_MS;
    return pipeline_run_steps(p, "report", &sc, false, reason, cap);
}
