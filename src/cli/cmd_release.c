/* tars release: the whole staging gate in one command (docs/release-format.md). */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "output.h"
#include "tars/clock.h"
#include "tars/package.h"
#include "tars/release.h"
#include "tars/str.h"
#include "term.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Progress on standard error (docs/cli-output.md): each stage as it starts and
 * ends, with its elapsed time and the step running inside it. On a terminal
 * the running stage is one line redrawn every second; in a log (no terminal,
 * or CI set) plain lines. Stage verdicts in upper case, in colour on a
 * terminal without NO_COLOR. */
struct progress {
    bool quiet;
    struct cli_term term;
    pthread_mutex_t lock;
    pthread_t ticker;
    bool ticking;
    atomic_bool stop;
    bool running; /* a stage has started and not ended */
    char stage[32], step[96];
    size_t step_index, step_count;
    uint64_t stage_t0;
};

static void draw(struct progress *pr)
{
    double s = (double)(tars_mono_ns() - pr->stage_t0) / 1e9;

    if (!pr->running)
        return;
    fprintf(stderr, "\r\033[K==> %s  %.0f s", pr->stage, s);
    if (pr->step[0])
        fprintf(stderr, "  step %zu of %zu: %s", pr->step_index + 1, pr->step_count, pr->step);
    fflush(stderr);
}

static void *tick(void *arg)
{
    struct progress *pr = arg;
    struct timespec pause = {0, 200000000};
    int n = 0;

    while (!atomic_load(&pr->stop)) {
        nanosleep(&pause, NULL);
        if (++n % 5)
            continue;
        pthread_mutex_lock(&pr->lock);
        draw(pr);
        pthread_mutex_unlock(&pr->lock);
    }
    return NULL;
}

static void progress_start(struct progress *pr, bool quiet)
{
    memset(pr, 0, sizeof(*pr));
    pr->quiet = quiet;
    cli_term_probe(&pr->term, stderr);
    pthread_mutex_init(&pr->lock, NULL);
    if (!quiet && pr->term.live)
        pr->ticking = pthread_create(&pr->ticker, NULL, tick, pr) == 0;
}

static void progress_stop(struct progress *pr)
{
    atomic_store(&pr->stop, true);
    if (pr->ticking)
        pthread_join(pr->ticker, NULL);
    pr->ticking = false;
    pthread_mutex_destroy(&pr->lock);
}

static enum cli_tone stage_tone(enum tars_stage_status s)
{
    return s == TARS_STAGE_PASS   ? CLI_TONE_PASS
           : s == TARS_STAGE_FAIL ? CLI_TONE_FAIL
                                  : CLI_TONE_UNDECIDED;
}

static void on_event(void *ctx, const char *stage, enum tars_stage_status s, const char *reason,
                     double ms)
{
    struct progress *pr = ctx;
    char word[16], painted[48];

    if (pr->quiet)
        return;
    pthread_mutex_lock(&pr->lock);
    if (s == TARS_STAGE_PENDING) {
        snprintf(pr->stage, sizeof(pr->stage), "%s", stage);
        pr->step[0] = '\0';
        pr->stage_t0 = tars_mono_ns();
        pr->running = true;
        if (pr->term.live)
            draw(pr);
        else
            fprintf(stderr, "==> %s\n", stage);
    } else {
        pr->running = false;
        cli_term_clear(&pr->term, stderr);
        snprintf(word, sizeof(word), "%s", tars_stage_status_name(s));
        for (char *c = word; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        fprintf(stderr, "    %s %s (%.1f s)%s%s\n", stage,
                cli_term_paint(&pr->term, stage_tone(s), word, painted, sizeof(painted)), ms / 1000,
                reason && *reason ? ": " : "", reason ? reason : "");
    }
    pthread_mutex_unlock(&pr->lock);
}

static void on_step(void *ctx, const char *stage, const char *step, size_t index, size_t count)
{
    struct progress *pr = ctx;

    if (pr->quiet || count < 2) /* a stage of one step: the stage line says it all */
        return;
    pthread_mutex_lock(&pr->lock);
    snprintf(pr->step, sizeof(pr->step), "%s", step ? step : "");
    pr->step_index = index;
    pr->step_count = count;
    if (pr->term.live)
        draw(pr);
    else
        fprintf(stderr, "    %s: step %zu of %zu: %s\n", stage, index + 1, count, pr->step);
    pthread_mutex_unlock(&pr->lock);
}

struct release_args {
    const char *config, *run_dir, *version, *base_url, *baseline;
    int skip_tests, force_deploy, dry_run, quiet;
    int canary_weight;
};

static struct release_args ra;

static const struct cli_opt release_table[] = {
    CLI_STRING('c', "config", "FILE", &ra.config,
               "release config (docs/release-format.md), e.g. release/local.yaml"),
    CLI_STRING(0, "run", "DIR", &ra.run_dir, "run directory (default: RUNS/<UTC time>-<version>)"),
    CLI_STRING(0, "version", "V", &ra.version, "override release.version (v1.0.1 or 1.0.1)"),
    CLI_STRING(0, "base-url", "URL", &ra.base_url,
               "override release.base_url (the service under test)"),
    CLI_STRING(0, "baseline", "DIR", &ra.baseline,
               "compare with this earlier run directory (decide.baseline)"),
    CLI_FLAG(0, "skip-tests", &ra.skip_tests,
             "skip validate and perf (the verdict is then inconclusive)"),
    CLI_FLAG(0, "force-deploy", &ra.force_deploy, "never roll back, whatever fails"),
    CLI_INT(0, "canary-weight", "N", &ra.canary_weight, 0, 100,
            "passed to deploy steps as ${canary_weight}"),
    CLI_FLAG(0, "dry-run", &ra.dry_run, "print the plan and run nothing"),
    CLI_FLAG('q', "quiet", &ra.quiet, "no progress lines"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_release_spec = {
    .name = "release",
    .synopsis = "tars release --config FILE [options]",
    .about = "Runs the release gate: preflight, package, deploy, wait, validate, perf, decide,\n"
             "rollback (on failure), report, notify. Everything lands in a run directory.",
    .opts = release_table,
    .exits = "0 approved, 1 rejected, 2 inconclusive or interrupted, 3 bad usage or config",
};

static int parse_args(int argc, char **argv, struct release_args *a)
{
    int rc = cli_opt_parse_no_operands(&cli_release_spec, argc, argv);

    if (rc)
        return rc;
    if (!a->config)
        return cli_usage_error("release", "--config FILE is required (e.g. release/local.yaml)");
    if (a->run_dir && cli_output_check_dir("release", "--run", a->run_dir))
        return EXIT_USAGE;
    return 0;
}

static int apply_version(struct tars_release_config *cfg, const char *version)
{
    char norm[TARS_PACKAGE_VERSION_MAX];
    struct tars_err err = TARS_ERR_INIT;

    if (!version)
        return 0;
    if (tars_package_version(version, norm, &err))
        return cli_usage_error("release", "%s", err.msg);
    free(cfg->version);
    cfg->version = strdup(norm);
    return cfg->version ? 0 : EXIT_INCONCLUSIVE;
}

static int exit_code(const struct tars_release_outcome *out)
{
    if (out->interrupted)
        return EXIT_INCONCLUSIVE;
    return out->verdict == TARS_VERDICT_APPROVED   ? EXIT_OK
           : out->verdict == TARS_VERDICT_REJECTED ? EXIT_FAILED
                                                   : EXIT_INCONCLUSIVE;
}

int cmd_release(int argc, char **argv)
{
    struct release_args *a = &ra;
    struct tars_release_config cfg;
    struct tars_release_options o = {0};
    struct tars_release_outcome out;
    struct tars_err err = TARS_ERR_INIT;
    struct progress pr;
    char self[PATH_MAX];
    ssize_t len;
    int rc;

    memset(&ra, 0, sizeof(ra));
    if ((rc = parse_args(argc, argv, a)) != 0)
        return cli_opt_exit(rc);
    if (tars_release_config_load(a->config, &cfg, &err)) {
        fprintf(stderr, "tars release: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (tars_release_check_loads(&cfg, &err)) { /* before anything is touched */
        fprintf(stderr, "tars release: %s: %s\n", a->config, err.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if ((rc = apply_version(&cfg, a->version)))
        goto out;
    if (a->base_url) {
        free(cfg.base_url);
        cfg.base_url = strdup(a->base_url);
    }
    if (a->baseline) {
        free(cfg.baseline);
        cfg.baseline = strdup(a->baseline);
    }
    len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[len > 0 ? len : 0] = '\0';
    o = (struct tars_release_options){a->run_dir, self,     a->skip_tests,    a->force_deploy,
                                      a->dry_run, a->quiet, a->canary_weight, &interrupted,
                                      on_event,   &pr,      on_step};
    if (a->dry_run) {
        o.on_event = NULL; /* nothing runs: no progress */
        o.on_step = NULL;
        rc = tars_release_plan(&cfg, &o, stdout) ? EXIT_INCONCLUSIVE : EXIT_OK;
        goto out;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    progress_start(&pr, a->quiet);
    rc = tars_release_run(&cfg, &o, &out, &err);
    progress_stop(&pr);
    if (rc) {
        fprintf(stderr, "tars release: %s\n", err.msg);
        rc = EXIT_INCONCLUSIVE;
        goto out;
    }
    if (out.lock_note[0])
        fprintf(stderr, "tars release: note: %s\n", out.lock_note);
    printf("release %s v%s: %s%s\n", cfg.name, cfg.version, out.summary,
           out.rolled_back ? " (rolled back)" : "");
    printf("run directory: %s\n", out.run_dir);
    rc = exit_code(&out);
out:
    tars_release_config_release(&cfg);
    return rc;
}
