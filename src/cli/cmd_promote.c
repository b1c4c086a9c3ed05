/*
 * tars promote: refuse unless the run was approved and every required role
 * approved this exact evidence with a verified signature; then record the
 * promotion and run the promotion release config (docs/signoff.md).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "signoff_output.h"
#include "tars/clock.h"
#include "tars/proc.h"
#include "tars/release.h"
#include "tars/run.h"
#include "tars/signoff.h"
#include "tars/str.h"

#define PROMOTIONS_FILE "promotions.jsonl"

struct promote_opts {
    const char *dir, *to, *require, *config, *allowed, *run_dir;
    int quiet;
};

static struct promote_opts pr;

static const struct cli_opt promote_table[] = {
    CLI_STRING(0, "to", "ENV", &pr.to, "the target, e.g. production"),
    CLI_STRING(0, "config", "FILE", &pr.config, "its release config (default release/ENV.yaml)"),
    CLI_STRING(0, "require", "A,B", &pr.require,
               "required roles (default: the config's signoff.require,\n"
               "else Engineering Lead, QA Lead, SRE Lead, Security Lead,\n"
               "Release Manager)"),
    CLI_STRING(0, "allowed-signers", "FILE", &pr.allowed,
               "default: the config's signoff.allowed_signers, else\n"
               "$TARS_ALLOWED_SIGNERS"),
    CLI_STRING(0, "run", "DIR", &pr.run_dir,
               "the promotion's own run directory\n"
               "(default RUN_DIR/../<time>-<version>-ENV)"),
    CLI_FLAG('q', "quiet", &pr.quiet, "no progress lines from the promotion steps"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_promote_spec = {
    .name = "promote",
    .synopsis = "tars promote RUN_DIR --to ENV [--require ROLES] [--config FILE]\n"
                "                    [--allowed-signers FILE] [--run DIR] [-q]",
    .about = "Promotes a run: refuses (exit 1, naming each problem) unless run.json's decision is\n"
             "approved and every required role approved this run's evidence digest with a\n"
             "signature that verifies against allowed_signers (tars signoff). Then records the\n"
             "promotion in RUN_DIR/" PROMOTIONS_FILE " and runs the release config of ENV with\n"
             "TARS_PROMOTED_RUN, TARS_PROMOTED_ARTIFACTS and TARS_PROMOTED_DIGEST set.",
    .opts = promote_table,
    .exits = "0 promoted, 1 refused or a promotion step failed, 2 inconclusive (a step\n"
             "could not run, ssh-keygen unavailable), 3 bad usage, config or run directory",
};

static int parse_promote_args(int argc, char **argv, struct promote_opts *o)
{
    int n, rc = cli_opt_parse(&cli_promote_spec, argc, argv, &n);

    if (rc)
        return rc;
    if (n == 0)
        return cli_usage_error("promote", "give a run directory");
    if (n > 1)
        return cli_usage_error("promote", "one run directory only, not \"%s\"", argv[2]);
    o->dir = argv[1];
    if (!o->to || !*o->to || strpbrk(o->to, "/ "))
        return cli_usage_error("promote", "give --to ENV (e.g. production)");
    return 0;
}

/* run.json's decision named "promote" (tars release's verdict), or NULL. */
static const char *run_decision(json_t *run)
{
    json_t *d;
    size_t i;

    json_array_foreach(json_object_get(run, "decisions"), i, d) {
        const char *name = json_string_value(json_object_get(d, "name"));
        if (name && strcmp(name, "promote") == 0)
            return json_string_value(json_object_get(d, "decision"));
    }
    return NULL;
}

/* Prints every reason to refuse; returns how many there are. */
static int refusals(json_t *run, json_t *v, char **roles, const char *dir, const char *to)
{
    const char *decision = run_decision(run);
    int n = 0;
    json_t *r;
    size_t i;

    if (!decision || strcmp(decision, "approved") != 0) {
        fprintf(stderr, "tars promote: refused to promote %s to %s:\n", dir, to);
        n++;
        fprintf(stderr, "  the run's decision is %s%s%s, not approved\n", decision ? "\"" : "",
                decision ? decision : "not recorded", decision ? "\"" : "");
    }
    json_array_foreach(json_object_get(v, "problems"), i, r) {
        if (n++ == 0)
            fprintf(stderr, "tars promote: refused to promote %s to %s:\n", dir, to);
        fprintf(stderr, "  %s\n", json_string_value(r));
    }
    for (size_t k = 0; roles[k]; k++) {
        json_array_foreach(json_object_get(v, "roles"), i, r) {
            if (strcmp(json_string_value(json_object_get(r, "role")), roles[k]) != 0)
                continue;
            if (strcmp(json_string_value(json_object_get(r, "state")), "approved") == 0)
                break;
            if (n++ == 0)
                fprintf(stderr, "tars promote: refused to promote %s to %s:\n", dir, to);
            signoff_print_role(stderr, "  ", r);
            break;
        }
    }
    return n;
}

/* The subdirectory whose SHA256SUMS is evidence (the packaged artifacts), as an absolute path. */
static void artifacts_dir(const char *dir, char *out, size_t cap)
{
    struct tars_buf listing = TARS_BUF_INIT(1024 * 1024);
    char digest[TARS_DIGEST_LEN], abs[PATH_MAX];
    const char *sums = NULL;

    if (!realpath(dir, abs))
        tars_strlcpy(abs, dir, sizeof(abs));
    snprintf(out, cap, "%s/artifacts", abs);
    if (tars_evidence_digest(dir, digest, &listing, NULL) == TARS_OK && listing.data)
        sums = strstr(listing.data, "/SHA256SUMS\n");
    if (sums) {
        const char *start = sums;
        while (start > listing.data && start[-1] != ' ')
            start--;
        snprintf(out, cap, "%s/%.*s", abs, (int)(sums - start), start);
    }
    tars_buf_release(&listing);
}

static json_t *approvals(json_t *v, char **roles)
{
    json_t *list = json_array(), *r;
    size_t i;

    for (size_t k = 0; roles[k]; k++) {
        json_array_foreach(json_object_get(v, "roles"), i, r) {
            if (strcmp(json_string_value(json_object_get(r, "role")), roles[k]) == 0)
                json_array_append_new(list,
                                      json_pack("{s:O,s:O,s:O}", "role", json_object_get(r, "role"),
                                                "signer", json_object_get(r, "signer"), "time",
                                                json_object_get(r, "time")));
        }
    }
    return list;
}

/* Runs `tars release --config CFG --run DIR [--version V] [-q]` as a child; its exit code. */
static int run_steps(const struct promote_opts *o, const char *config, const char *prod_dir,
                     const char *version, const char *promoted, const char *artifacts,
                     const char *digest)
{
    char self[PATH_MAX], env_run[PATH_MAX + 32], env_artifacts[PATH_MAX + 96],
        env_digest[TARS_DIGEST_LEN + 32];
    char *argv[12], *env[] = {env_run, env_artifacts, env_digest, NULL};
    struct tars_proc p = {.argv = argv, .env = env, .inherit_stdin = true, .out_fd = -1};
    struct tars_proc_result r;
    int n = 0;
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

    self[len > 0 ? len : 0] = '\0';
    argv[n++] = self;
    argv[n++] = "release";
    argv[n++] = "--config";
    argv[n++] = (char *)config;
    argv[n++] = "--run";
    argv[n++] = (char *)prod_dir;
    if (version) {
        argv[n++] = "--version";
        argv[n++] = (char *)version;
    }
    if (o->quiet)
        argv[n++] = "-q";
    argv[n] = NULL;
    snprintf(env_run, sizeof(env_run), "TARS_PROMOTED_RUN=%s", promoted);
    snprintf(env_artifacts, sizeof(env_artifacts), "TARS_PROMOTED_ARTIFACTS=%s", artifacts);
    snprintf(env_digest, sizeof(env_digest), "TARS_PROMOTED_DIGEST=%s", digest);
    tars_proc_run(&p, &r);
    if (r.not_started && r.start_errno) {
        fprintf(stderr, "tars promote: cannot run the promotion steps: %s\n",
                strerror(r.start_errno));
        return EXIT_INCONCLUSIVE;
    }
    return r.exit_code >= 0 ? r.exit_code : EXIT_INCONCLUSIVE;
}

static void record(const char *dir, json_t *entry)
{
    struct tars_err err = TARS_ERR_INIT;

    if (tars_signoff_append(dir, PROMOTIONS_FILE, entry, &err) != TARS_OK)
        fprintf(stderr, "tars promote: %s\n", err.msg);
}

static int promote(const struct promote_opts *o, const char *config, const char *allowed,
                   char **roles, json_t *run)
{
    struct tars_err err = TARS_ERR_INIT;
    char prod_dir[PATH_MAX], promoted[PATH_MAX], artifacts[PATH_MAX + 64], when[TARS_ISO8601_LEN];
    char version_env[256];
    const char *version =
        json_string_value(json_object_get(json_object_get(run, "release"), "version"));
    json_t *v = tars_signoff_verify(o->dir, allowed, (const char *const *)roles, NULL, &err),
           *entry;
    int rc;

    if (!v) {
        fprintf(stderr, "tars promote: %s\n", err.msg);
        return err.code == TARS_EUNAVAIL || err.code == TARS_EIO ? EXIT_INCONCLUSIVE : EXIT_USAGE;
    }
    if (refusals(run, v, roles, o->dir, o->to) > 0) {
        json_decref(v);
        return EXIT_FAILED;
    }
    snprintf(version_env, sizeof(version_env), "%s-%s", version ? version : "dev", o->to);
    if (!realpath(o->dir, promoted))
        tars_strlcpy(promoted, o->dir, sizeof(promoted));
    if (o->run_dir) {
        tars_strlcpy(prod_dir, o->run_dir, sizeof(prod_dir));
    } else {
        char parent[PATH_MAX], *slash;
        tars_strlcpy(parent, promoted, sizeof(parent));
        slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        else
            tars_strlcpy(parent, ".", sizeof(parent));
        if (tars_run_default_dir(parent, version_env, prod_dir, sizeof(prod_dir), &err)) {
            fprintf(stderr, "tars promote: %s\n", err.msg);
            json_decref(v);
            return EXIT_USAGE;
        }
    }
    artifacts_dir(o->dir, artifacts, sizeof(artifacts));
    tars_iso8601(tars_wall_ms(), when);
    entry =
        json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "to", o->to, "digest",
                  json_string_value(json_object_get(v, "digest")), "config", config, "approvals",
                  approvals(v, roles), "run", prod_dir, "at", when, "status", "started");
    record(o->dir, entry);
    printf("promoting %s to %s: every required role approved %s\n", o->dir, o->to,
           json_string_value(json_object_get(v, "digest")));
    rc = run_steps(o, config, prod_dir, version, promoted, artifacts,
                   json_string_value(json_object_get(v, "digest")));
    tars_iso8601(tars_wall_ms(), when);
    json_object_set_new(entry, "status", json_string(rc == 0 ? "promoted" : "failed"));
    json_object_set_new(entry, "exit_code", json_integer(rc));
    json_object_set_new(entry, "at", json_string(when));
    record(o->dir, entry);
    printf("%s: %s to %s (promotion run %s)\n", o->dir, rc == 0 ? "promoted" : "promotion failed",
           o->to, prod_dir);
    json_decref(entry);
    json_decref(v);
    return rc == 0             ? EXIT_OK
           : rc == EXIT_USAGE  ? EXIT_USAGE
           : rc == EXIT_FAILED ? EXIT_FAILED
                               : EXIT_INCONCLUSIVE;
}

int cmd_promote(int argc, char **argv)
{
    struct promote_opts *o = &pr;
    struct tars_release_config cfg;
    struct tars_err err = TARS_ERR_INIT;
    char config[PATH_MAX], **roles = NULL;
    const char *allowed;
    json_t *run = NULL;
    int rc;

    memset(&pr, 0, sizeof(pr));
    if ((rc = parse_promote_args(argc, argv, o)) != 0)
        return cli_opt_exit(rc);
    if (o->config)
        tars_strlcpy(config, o->config, sizeof(config));
    else
        snprintf(config, sizeof(config), "release/%s.yaml", o->to);
    if (tars_release_config_load(config, &cfg, &err)) {
        fprintf(stderr, "tars promote: %s\n", err.msg);
        return EXIT_USAGE;
    }
    allowed = cli_env_or(o->allowed, NULL, cfg.signoff_allowed_signers);
    allowed = cli_env_or(allowed, "TARS_ALLOWED_SIGNERS", NULL);
    if (o->require) {
        roles = signoff_split_roles(o->require, TARS_RELEASE_MAX_ROLES);
    } else {
        roles = calloc(TARS_RELEASE_MAX_ROLES + 1, sizeof(*roles));
        for (size_t i = 0; roles && i < cfg.signoff_role_count; i++)
            roles[i] = strdup(cfg.signoff_roles[i]);
        for (size_t i = 0; roles && !cfg.signoff_role_count && tars_signoff_default_roles[i]; i++)
            roles[i] = strdup(tars_signoff_default_roles[i]);
    }
    if (!roles) {
        rc = cli_usage_error("promote", "--require: a comma-separated list of at most %d roles",
                             TARS_RELEASE_MAX_ROLES);
    } else if (!allowed) {
        rc = cli_usage_error("promote",
                             "no allowed_signers: give --allowed-signers, signoff.allowed_signers "
                             "in %s or TARS_ALLOWED_SIGNERS",
                             config);
    } else if (!(run = tars_run_load(o->dir, &err))) {
        fprintf(stderr, "tars promote: %s\n", err.msg);
        rc = EXIT_USAGE;
    } else {
        rc = promote(o, config, allowed, roles, run);
    }
    json_decref(run);
    signoff_free_roles(roles);
    tars_release_config_release(&cfg);
    return rc;
}
