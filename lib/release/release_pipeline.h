/* The pipeline's state, shared by release_run.c, release_stages.c and
 * release_steps.c; not a public header. */
#ifndef TARS_RELEASE_PIPELINE_H
#define TARS_RELEASE_PIPELINE_H

#include "release_int.h"

#define PIPELINE_PATH_MAX 4096
#define PIPELINE_RUN_DIR_MAX 1024 /* leaves room for the file names inside it */
#define PIPELINE_ENV_BASE 10      /* TARS_* variables set by the pipeline */
#define PIPELINE_ENV_FILE_MAX 32  /* KEY=VALUE lines taken from DIR/release.env */
#define PIPELINE_ENV_MAX (PIPELINE_ENV_BASE + PIPELINE_ENV_FILE_MAX)

enum pipeline_stage {
    STAGE_PREFLIGHT,
    STAGE_PACKAGE,
    STAGE_DEPLOY,
    STAGE_WAIT,
    STAGE_VALIDATE,
    STAGE_PERF,
    STAGE_DECIDE,
    STAGE_ROLLBACK,
    STAGE_REPORT,
    STAGE_NOTIFY,
    STAGE_COUNT
};

struct pipeline {
    const struct tars_release_config *c;
    const struct tars_release_options *o;
    struct release_vars vars;
    char run_dir[PIPELINE_RUN_DIR_MAX];
    char artifacts_dir[PIPELINE_PATH_MAX];
    char git_sha[65], branch[128];
    char *child_env[PIPELINE_ENV_MAX + 1];
    size_t base_env_count; /* child_env[0..base) are the pipeline's own */
    /* TARS_RELEASE_ENV: mode 0600, outside the run directory, removed at the end */
    char env_file[64];
    enum tars_stage_status status[STAGE_COUNT];
    char reason[STAGE_COUNT][512];
    json_t *stages; /* records of the stages that ran, for run.json */
    json_t *notes;  /* notification outcomes */
    enum tars_release_verdict verdict;
    json_t *verdict_reasons;
    bool rolled_back;
    struct release_probe *probe; /* running during deploy + wait, and during rollback */
    pid_t probe_ws_pid;          /* its WebSocket side: a tars ws-stress child, or 0 */
    int probe_ws_log;
    json_t *deploy_probe;  /* the deploy window's summary, for decide */
    int lock_fd;           /* the release lock, held (flock) while the pipeline runs; -1 */
    char stale_lock[1024]; /* a stale lock taken over, explained; "" when there was none */
};

/* The release lock and the stage record a killed release leaves (release_lock.c). */
int pipeline_lock_take(struct pipeline *p, struct tars_err *err);
void pipeline_lock_drop(struct pipeline *p);
/* run.json "stage_running": the stage about to run, or null (stage NULL) once it ended. */
void pipeline_stage_running(struct pipeline *p, const char *stage);

/* The prober around a window of stages (release_run.c). */
void pipeline_probe_start(struct pipeline *p, const char *window);
void pipeline_probe_stop(struct pipeline *p, const char *window);

extern const char *const pipeline_stage_names[STAGE_COUNT];

int pipeline_open_log(struct pipeline *p, const char *stage);
/* Re-reads the file $TARS_RELEASE_ENV (KEY=VALUE lines a step may write, as
 * GitHub's $GITHUB_ENV; e.g. a token for the tests) into the environment of
 * the following steps. It may hold secrets: it lives outside the run
 * directory with mode 0600 and is removed when the pipeline ends. */
void pipeline_load_env_file(struct pipeline *p);
void pipeline_describe_step(struct pipeline *p, const struct tars_release_step *st, char *out,
                            size_t cap);
enum tars_stage_status pipeline_run_step(struct pipeline *p, int log_fd,
                                         const struct tars_release_step *st, int64_t timeout_ms,
                                         bool interruptible, char *why, size_t cap);
/* Frees a NULL-terminated argv of malloc'd strings (and argv). */
void pipeline_free_argv(char **argv);
/* The canary analysis (release_canary.c): with --canary-weight N > 0 and a
 * canary section, loads the stable release and the canary side by side and
 * runs tars compare --canary. PASS/FAIL: its verdict; ERROR: marginal,
 * inconclusive or not measured (reason says which); SKIP: not configured. */
enum tars_stage_status pipeline_canary(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status pipeline_run_steps(struct pipeline *p, const char *stage,
                                          const struct tars_release_stage_config *sc,
                                          bool interruptible, char *reason, size_t cap);

/* One function per stage (release_stages.c): returns the status, reason filled. */
typedef enum tars_stage_status (*pipeline_stage_fn)(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_preflight(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_package(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_deploy(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_wait(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_validate(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_perf(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_decide(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_rollback(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_report(struct pipeline *p, char *reason, size_t cap);
enum tars_stage_status stage_notify(struct pipeline *p, char *reason, size_t cap);

/* Sends one Slack message when configured; the outcome goes to p->notes. */
void pipeline_notify_slack(struct pipeline *p, enum release_message m);

#endif
