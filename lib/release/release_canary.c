/*
 * The canary analysis of `tars release --canary-weight N` (docs/release-format.md
 * "Canary analysis"): the stable release and the canary (base_url) are loaded
 * side by side, two `tars load` children forked together with the same
 * arguments, so the machine's and the network's state weighs on both alike;
 * then `tars compare --canary` judges the canary against the stable one and
 * records the result in run.json "canary".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "release_pipeline.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/run.h"

struct arm {
    const char *side; /* "stable", "canary" */
    char dir[PIPELINE_PATH_MAX];
    char **argv;
    pid_t pid;
    bool done;
    struct tars_proc_result r;
};

/* self load ARGS... --host URL --run DIR */
static char **load_argv(struct pipeline *p, const char *url, const char *dir)
{
    const struct tars_release_step *st = &p->c->canary_load;
    char **argv = xcalloc(st->tars_argc + 6, sizeof(char *));
    size_t n = 0;

    argv[n++] = xstrdup(p->o->self_exe);
    for (size_t i = 0; i < st->tars_argc; i++)
        argv[n++] = release_expand(st->tars_argv[i], &p->vars);
    argv[n++] = xstrdup("--host");
    argv[n++] = xstrdup(url);
    argv[n++] = xstrdup("--run");
    argv[n++] = xstrdup(dir);
    return argv;
}

/* Why an arm's load gives no figures to judge, or NULL (exit 0 or 1: a load
 * threshold that failed still measured). */
static const char *arm_failed(const struct arm *a, char *why, size_t cap)
{
    if (a->r.not_started)
        snprintf(why, cap, "the %s load could not be started", a->side);
    else if (a->r.interrupted)
        snprintf(why, cap, "the %s load was interrupted", a->side);
    else if (a->r.timed_out)
        snprintf(why, cap, "the %s load timed out", a->side);
    else if (a->r.signal)
        snprintf(why, cap, "the %s load was killed by signal %d", a->side, a->r.signal);
    else if (a->r.exit_code != 0 && a->r.exit_code != 1)
        snprintf(why, cap, "the %s load was inconclusive (exit %d)", a->side, a->r.exit_code);
    else
        return NULL;
    return why;
}

/* Waits for both children until the timeout or an interruption (then stops
 * what still runs), filling each arm's result. */
static void wait_arms(struct pipeline *p, struct arm arms[2])
{
    uint64_t t0 = tars_mono_ns(), limit = (uint64_t)p->c->canary_timeout_ms * 1000000ull;
    const struct timespec nap = {0, 20 * 1000 * 1000};

    while (!(arms[0].done && arms[1].done)) {
        bool interrupted = *p->o->interrupted, late = tars_mono_ns() - t0 > limit;

        for (int i = 0; i < 2; i++) {
            struct arm *a = &arms[i];
            int status = 0;

            if (a->done)
                continue;
            if (interrupted || late) {
                a->r.exit_code = tars_proc_stop(a->pid, true, 0);
                a->r.interrupted = interrupted;
                a->r.timed_out = !interrupted;
                a->done = true;
            } else if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
                a->r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                a->r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
                a->done = true;
            }
            a->r.duration_ms = (double)(tars_mono_ns() - t0) / 1e6;
        }
        if (!(arms[0].done && arms[1].done))
            nanosleep(&nap, NULL);
    }
}

/* Both loads, started together; TARS_STAGE_PASS when both measured. */
static enum tars_stage_status run_arms(struct pipeline *p, struct arm arms[2], int fd, char *reason,
                                       size_t cap)
{
    char *stable = release_expand(p->c->canary_stable_url, &p->vars);
    const char *urls[2] = {stable, p->vars.base_url};
    enum tars_stage_status s = TARS_STAGE_PASS;

    for (int i = 0; i < 2; i++) {
        struct tars_proc e = {.own_group = true};

        arms[i].argv = load_argv(p, urls[i], arms[i].dir);
        e.argv = arms[i].argv;
        e.env = p->child_env;
        e.out_fd = fd;
        dprintf(fd, "$ tars load ... --host %s --run %s   (%s, started together)\n", urls[i],
                arms[i].dir, arms[i].side);
        arms[i].r.exit_code = -1;
        arms[i].pid = tars_proc_start(&e, &arms[i].r.start_errno);
        arms[i].r.not_started = arms[i].done = arms[i].pid < 0;
    }
    wait_arms(p, arms);
    for (int i = 0; i < 2 && s == TARS_STAGE_PASS; i++) {
        dprintf(fd, "# %s load: exit %d after %.0f ms\n", arms[i].side, arms[i].r.exit_code,
                arms[i].r.duration_ms);
        if (arm_failed(&arms[i], reason, cap))
            s = TARS_STAGE_ERROR;
    }
    free(stable);
    return s;
}

/* The verdict `tars compare --canary` recorded in run.json "canary". */
static enum tars_stage_status canary_verdict(struct pipeline *p, char *reason, size_t cap)
{
    json_t *run = tars_run_load(p->run_dir, NULL);
    json_t *canary = json_object_get(run, "canary");
    const char *v = json_string_value(json_object_get(canary, "verdict"));
    double score = json_number_value(json_object_get(canary, "score"));
    enum tars_stage_status s;

    if (!v) {
        snprintf(reason, cap, "tars compare --canary recorded no verdict (see logs/canary.log)");
        s = TARS_STAGE_ERROR;
    } else {
        snprintf(reason, cap, "%s (score %.0f; stable and canary measured side by side)", v,
                 json_is_number(json_object_get(canary, "score")) ? score : 0);
        s = strcmp(v, "pass") == 0   ? TARS_STAGE_PASS
            : strcmp(v, "fail") == 0 ? TARS_STAGE_FAIL
                                     : TARS_STAGE_ERROR;
    }
    json_decref(run);
    return s;
}

enum tars_stage_status pipeline_canary(struct pipeline *p, char *reason, size_t cap)
{
    struct arm arms[2] = {{.side = "stable"}, {.side = "canary"}};
    struct tars_release_stage_config sc = {0};
    char *argv[] = {"compare", arms[0].dir, arms[1].dir, "--canary", NULL};
    enum tars_stage_status s;
    int fd;

    reason[0] = '\0';
    if (p->o->canary_weight <= 0 || !p->c->canary_stable_url)
        return TARS_STAGE_SKIP;
    for (int i = 0; i < 2; i++)
        snprintf(arms[i].dir, sizeof(arms[i].dir), "%s/canary-%s", p->run_dir, arms[i].side);
    if ((fd = pipeline_open_log(p, "canary")) < 0) {
        snprintf(reason, cap, "cannot open the canary log: %s", strerror(errno));
        return TARS_STAGE_ERROR;
    }
    s = run_arms(p, arms, fd, reason, cap);
    close(fd);
    for (int i = 0; i < 2; i++)
        pipeline_free_argv(arms[i].argv);
    if (s != TARS_STAGE_PASS)
        return s;
    sc.steps[0].name = "compare --canary";
    sc.steps[0].tars_argv = argv;
    sc.steps[0].tars_argc = 4;
    sc.step_count = 1;
    sc.timeout_ms = 5LL * 60 * 1000;
    s = pipeline_run_steps(p, "canary", &sc, true, reason, cap);
    if (s == TARS_STAGE_ERROR && !strstr(reason, "exit 2"))
        return s; /* could not compare at all (bad input: exit 3, interrupted, ...) */
    return canary_verdict(p, reason, cap);
}
