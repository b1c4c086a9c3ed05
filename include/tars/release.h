/*
 * `tars release`: the staging gate as one pipeline (docs/release-format.md).
 *
 * A release config (YAML) names, per stage, what to run. Steps are either a
 * tars subcommand (run as a child process of this binary, with `--run DIR`
 * added so its results land in the run directory) or a shell command (for
 * deploy and rollback: helm, kubectl, a script). Every stage records its
 * status, duration, reason and log; events stream to DIR/events.jsonl.
 *
 * Stages, in order: preflight, package, deploy, wait, validate, perf, report,
 * decide, rollback, notify. Status of each: pass, fail, skip (with reason),
 * error (could not be run).
 */
#ifndef TARS_RELEASE_H
#define TARS_RELEASE_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tars/err.h"

#define TARS_RELEASE_MAX_STEPS 16
#define TARS_RELEASE_MAX_ARGS 48
#define TARS_RELEASE_MAX_FILES 64
#define TARS_RELEASE_MAX_ROLES 16

/* One thing to run: argv of a tars subcommand, or a shell command. */
struct tars_release_step {
    char *name;       /* for logs and events: "load", "helm upgrade" */
    char **tars_argv; /* {"load", "scenarios/x.yaml", ..., NULL}, or NULL */
    size_t tars_argc;
    char *shell;        /* "/bin/sh -c" text, or NULL */
    int64_t timeout_ms; /* 0: the stage's default */
    bool allow_failure; /* the stage passes even when this step fails */
};

struct tars_release_stage_config {
    struct tars_release_step steps[TARS_RELEASE_MAX_STEPS];
    size_t step_count;
    int64_t timeout_ms; /* per step unless the step says otherwise */
};

struct tars_release_config {
    char *path;
    /* release: */
    char *name;    /* "local", "staging" */
    char *version; /* normalised: "1.0.1" */
    char *environment;
    char *namespace_; /* Kubernetes namespace, optional */
    char *base_url;   /* the service under test, "http://127.0.0.1:39301" */
    char *runs_dir;   /* parent of run directories, default "runs" */
    /* preflight: */
    char *files[TARS_RELEASE_MAX_FILES];
    size_t file_count;
    char *rules_file;  /* promtool check rules, when promtool exists */
    char *chart_dir;   /* helm lint, when helm exists */
    bool need_cluster; /* kubectl cluster-info must succeed */
    /* package: */
    bool package;
    char *artifacts_dir;
    /* deploy, validate, perf, rollback: */
    struct tars_release_stage_config deploy, validate, perf, rollback;
    /* wait: */
    char *ready_url; /* polled until 200 */
    int64_t wait_timeout_ms;
    struct tars_release_stage_config wait; /* or steps (e.g. a rollout check suite) */
    /* probe (zero downtime, during deploy + wait and during rollback): */
    char *probe_paths[8];
    size_t probe_path_count;
    double probe_rate;        /* per path per second, default 20 */
    char *probe_source;       /* local address to send from, e.g. 127.0.0.2 */
    int64_t probe_max_failed; /* -1: recorded, not judged */
    int probe_ws_connections; /* WebSocket clients held open meanwhile (tars ws-stress); 0: none */
    char *probe_ws_token_env; /* the NAME of the variable holding their token */
    /* data integrity: db-integrity before deploy and rollback, compared after them */
    char *integrity_db; /* a --db URL (${...} expanded), or NULL */
    /* report: */
    bool report, report_html;
    /* decide: */
    char *baseline; /* a run directory for `tars compare`, optional */
    /* canary (with --canary-weight N > 0): the stable release and the canary
     * (base_url) loaded side by side, then `tars compare --canary`: */
    char *canary_stable_url;              /* the stable release's base URL */
    struct tars_release_step canary_load; /* tars load arguments; --host added per side */
    int64_t canary_timeout_ms;            /* both loads together, default 5 min */
    /* notify: */
    char *slack_webhook_env; /* the NAME of the variable holding the URL */
    char *slack_channel;
    char *github_repository; /* "owner/repo" */
    char *github_token_env;
    char *github_deployment_env; /* variable holding the deployment id */
    char *github_api_url;        /* default https://api.github.com */
    char *run_url;               /* link shown in notifications, optional */
    /* signoff (tars promote, docs/signoff.md): */
    char *signoff_roles[TARS_RELEASE_MAX_ROLES]; /* required roles; none: the default five */
    size_t signoff_role_count;
    char *signoff_allowed_signers; /* allowed_signers path, optional */
};

/* Reads and checks a release config; unknown keys and bad values are errors
 * with file:line:col; release.version is normalised by tars_package_version
 * ("v1.0.1" → "1.0.1"). ${version}, ${base_url}, ${environment}, ${namespace}
 * in step texts are expanded at run time, not here. */
int tars_release_config_load(const char *path, struct tars_release_config *cfg,
                             struct tars_err *err);
void tars_release_config_release(struct tars_release_config *cfg);
/* What `tars load` would refuse before its first request, found before the
 * release touches anything: in each `tars load` step of perf (and the canary
 * load) whose scenario is a file, every --threshold must parse and name one
 * of the scenario's tasks. Steps whose scenario or threshold holds a ${...}
 * are left to the step itself. */
int tars_release_check_loads(const struct tars_release_config *cfg, struct tars_err *err);

enum tars_stage_status {
    TARS_STAGE_PENDING,
    TARS_STAGE_PASS,
    TARS_STAGE_FAIL,
    TARS_STAGE_SKIP,
    TARS_STAGE_ERROR,
};
const char *tars_stage_status_name(enum tars_stage_status s);

enum tars_release_verdict {
    TARS_VERDICT_APPROVED,     /* everything measured passed */
    TARS_VERDICT_REJECTED,     /* something failed */
    TARS_VERDICT_INCONCLUSIVE, /* errors, or not everything could be measured */
};

/* The verdict the recorded evidence of a run supports (run: its run.json, NULL when it could
 * not be read, unreadable: why). Appends one sentence per finding to reasons (a JSON array):
 * a failed check, a threshold not met, a db-bench family over its limit or a comparison
 * verdict "fail" reject; a check that could not run, a threshold without data (NaN, nothing
 * measured, an unknown outcome), an interrupted load, a family not judged, a comparison
 * "marginal" or without verdict, or no record at all leave it inconclusive. No data is never
 * approved. */
enum tars_release_verdict tars_release_judge_evidence(const json_t *run, const char *unreadable,
                                                      json_t *reasons);

struct tars_release_options {
    const char *run_dir;  /* NULL: runs_dir/<UTC>-<version> */
    const char *self_exe; /* the tars binary for tars steps */
    bool skip_tests, force_deploy, dry_run, quiet;
    int canary_weight;                  /* 0: no canary */
    volatile sig_atomic_t *interrupted; /* set by the caller's SIGINT handler */
    /* Called on every stage start and end (progress); may be NULL. */
    void (*on_event)(void *ctx, const char *stage, enum tars_stage_status status,
                     const char *reason, double duration_ms);
    void *ctx;
    /* Called as each step of a stage starts (index from 0 of count); may be NULL. */
    void (*on_step)(void *ctx, const char *stage, const char *step, size_t index, size_t count);
};

struct tars_release_outcome {
    enum tars_release_verdict verdict;
    bool rolled_back;
    bool interrupted;
    char run_dir[4096];
    char summary[1024];   /* one line: the verdict and its reasons (cut to fit) */
    char lock_note[1024]; /* a stale release lock (a killed release) taken over, explained */
};

/* Runs the pipeline (or prints the plan to plan_out under dry_run). Returns
 * TARS_OK when the pipeline ran to its end (whatever the verdict), an error
 * when it could not run at all (no run directory, say). */
int tars_release_run(const struct tars_release_config *cfg, const struct tars_release_options *o,
                     struct tars_release_outcome *out, struct tars_err *err);

/* The plan without running anything: stages, commands, checks, thresholds. */
int tars_release_plan(const struct tars_release_config *cfg, const struct tars_release_options *o,
                      FILE *plan_out);

#endif
