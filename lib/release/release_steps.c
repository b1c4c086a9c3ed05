/*
 * Running a stage's steps: tars subcommands (this binary, with --run DIR
 * added for the commands that record into a run directory) and shell
 * commands, each with its output appended to DIR/logs/<stage>.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "release_pipeline.h"
#include "tars/alloc.h"

/* Subcommands that take --run DIR and record their results there. */
static bool records_into_run(const char *sub)
{
    static const char *const names[] = {"validate", "load",    "ws-stress",
                                        "db-bench", "compare", "db-integrity"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(sub, names[i]) == 0)
            return true;
    return false;
}

int pipeline_open_log(struct pipeline *p, const char *stage)
{
    char path[PIPELINE_PATH_MAX];

    if (snprintf(path, sizeof(path), "%s/logs/%s.log", p->run_dir, stage) >= (int)sizeof(path))
        return -1;
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* A variable name ([A-Za-z_][A-Za-z0-9_]*) that the pipeline does not set itself. */
static bool env_name_ok(const struct pipeline *p, const char *line, size_t len)
{
    if (len == 0 || len > 128 || (line[0] >= '0' && line[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    for (size_t i = 0; i < p->base_env_count; i++)
        if (strncmp(p->child_env[i], line, len) == 0 && p->child_env[i][len] == '=')
            return false;
    return true;
}

void pipeline_load_env_file(struct pipeline *p)
{
    char line[8192];
    size_t n = p->base_env_count;
    FILE *f = p->env_file[0] ? fopen(p->env_file, "r") : NULL;

    if (!f)
        return;
    for (size_t i = p->base_env_count; p->child_env[i]; i++) {
        free(p->child_env[i]);
        p->child_env[i] = NULL;
    }
    while (n < PIPELINE_ENV_MAX && fgets(line, sizeof(line), f)) {
        char *eq = strchr(line, '=');
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !eq || !env_name_ok(p, line, (size_t)(eq - line)))
            continue;
        p->child_env[n++] = xstrdup(line);
    }
    p->child_env[n] = NULL;
    fclose(f);
}

void pipeline_free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* argv for a tars step: self, the expanded arguments, then --run DIR. */
static char **tars_argv(struct pipeline *p, const struct tars_release_step *st)
{
    char **argv = xcalloc(st->tars_argc + 4, sizeof(char *));
    size_t n = 0;

    argv[n++] = xstrdup(p->o->self_exe);
    for (size_t i = 0; i < st->tars_argc; i++)
        argv[n++] = release_expand(st->tars_argv[i], &p->vars);
    if (records_into_run(st->tars_argv[0])) {
        argv[n++] = xstrdup("--run");
        argv[n++] = xstrdup(p->run_dir);
    }
    return argv;
}

void pipeline_describe_step(struct pipeline *p, const struct tars_release_step *st, char *out,
                            size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    if (st->shell) {
        char *text = release_expand(st->shell, &p->vars);
        snprintf(out, cap, "$ %s", text);
        free(text);
        return;
    }
    char **argv = tars_argv(p, st);
    used = (size_t)snprintf(out, cap, "$ tars");
    for (size_t i = 1; argv[i] && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, " %s", argv[i]);
    pipeline_free_argv(argv);
}

/* What a step's ending means for its stage. */
static enum tars_stage_status judge(const struct tars_release_step *st,
                                    const struct tars_proc_result *r, char *why, size_t cap)
{
    if (r->not_started) {
        snprintf(why, cap, "%s could not be started", st->name);
        return TARS_STAGE_ERROR;
    }
    if (r->interrupted) {
        snprintf(why, cap, "%s interrupted", st->name);
        return TARS_STAGE_ERROR;
    }
    if (r->timed_out) {
        snprintf(why, cap, "%s timed out after %.0f s", st->name, r->duration_ms / 1000);
        return TARS_STAGE_FAIL;
    }
    if (r->signal) {
        snprintf(why, cap, "%s killed by signal %d", st->name, r->signal);
        return TARS_STAGE_ERROR;
    }
    if (r->exit_code == 0)
        return TARS_STAGE_PASS;
    if (st->tars_argv && r->exit_code != 1) { /* tars: 2 inconclusive, 3 bad usage */
        snprintf(why, cap, "%s was inconclusive (exit %d)", st->name, r->exit_code);
        return TARS_STAGE_ERROR;
    }
    snprintf(why, cap, "%s failed (exit %d)", st->name, r->exit_code);
    return TARS_STAGE_FAIL;
}

static int severity(enum tars_stage_status s)
{
    return s == TARS_STAGE_FAIL ? 3 : s == TARS_STAGE_ERROR ? 2 : s == TARS_STAGE_PASS ? 1 : 0;
}

enum tars_stage_status pipeline_run_step(struct pipeline *p, int log_fd,
                                         const struct tars_release_step *st, int64_t timeout_ms,
                                         bool interruptible, char *why, size_t cap)
{
    struct tars_proc e = {.own_group = true};
    struct tars_proc_result r;
    char line[2048];
    char **argv = st->tars_argv ? tars_argv(p, st) : NULL;
    char *shell = st->shell ? release_expand(st->shell, &p->vars) : NULL;
    enum tars_stage_status s;

    pipeline_describe_step(p, st, line, sizeof(line));
    dprintf(log_fd, "%s\n", line);
    e.argv = argv;
    e.shell = shell;
    e.env = p->child_env;
    e.out_fd = log_fd;
    e.timeout_ms = st->timeout_ms ? st->timeout_ms : timeout_ms;
    e.interrupted = interruptible ? p->o->interrupted : NULL;
    tars_proc_run(&e, &r);
    dprintf(log_fd, "# %s: exit %d after %.0f ms%s%s\n\n", st->name, r.exit_code, r.duration_ms,
            r.timed_out ? " (timed out)" : "", r.interrupted ? " (interrupted)" : "");
    s = judge(st, &r, why, cap);
    pipeline_load_env_file(p);
    if (s != TARS_STAGE_PASS && st->allow_failure) {
        dprintf(log_fd, "# allowed to fail: %s\n", why);
        s = TARS_STAGE_PASS;
        why[0] = '\0';
    }
    pipeline_free_argv(argv);
    free(shell);
    return s;
}

enum tars_stage_status pipeline_run_steps(struct pipeline *p, const char *stage,
                                          const struct tars_release_stage_config *sc,
                                          bool interruptible, char *reason, size_t cap)
{
    enum tars_stage_status worst = TARS_STAGE_PASS;
    char why[512];
    int fd = pipeline_open_log(p, stage);

    reason[0] = '\0';
    if (fd < 0) {
        snprintf(reason, cap, "cannot open the %s log: %s", stage, strerror(errno));
        return TARS_STAGE_ERROR;
    }
    for (size_t i = 0; i < sc->step_count; i++) {
        enum tars_stage_status s;
        why[0] = '\0';
        if (interruptible && *p->o->interrupted) {
            snprintf(reason, cap, "interrupted before %s", sc->steps[i].name);
            worst = TARS_STAGE_ERROR;
            break;
        }
        if (p->o->on_step)
            p->o->on_step(p->o->ctx, stage, sc->steps[i].name, i, sc->step_count);
        s = pipeline_run_step(p, fd, &sc->steps[i], sc->timeout_ms, interruptible, why,
                              sizeof(why));
        if (severity(s) > severity(worst)) {
            worst = s;
            snprintf(reason, cap, "%s", why);
        }
    }
    close(fd);
    return worst;
}
