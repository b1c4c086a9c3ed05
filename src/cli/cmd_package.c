/* tars package: release artifacts, and --validate to re-check them (docs/package.md). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "opt.h"
#include "run_record.h"
#include "tars/package.h"
#include "tars/run.h"

struct package_opts {
    const char *version, *output_dir, *git_sha, *environment, *chart, *binary, *source_dir;
    const char *arch, *run_dir;
    int validate, quiet;
};

static struct package_opts pk;

static const struct cli_opt package_table[] = {
    CLI_STRING('v', "version", "V", &pk.version,
               "1.0.1 or v1.0.1 (files say 1.0.1, the tag v1.0.1)"),
    CLI_STRING('o', "output-dir", "DIR", &pk.output_dir,
               "where the artifacts go (created when missing)"),
    CLI_STRING(0, "git-sha", "SHA", &pk.git_sha,
               "the commit (default: git rev-parse HEAD; \"unknown\" outside git)"),
    CLI_STRING('e', "environment", "ENV", &pk.environment,
               "names manifest.ENV.json and the namespace tars-ENV (default staging)"),
    CLI_STRING(0, "chart", "DIR", &pk.chart,
               "the chart to package (default SOURCE/deploy/helm/tars)"),
    CLI_STRING(0, "binary", "PATH", &pk.binary, "the tars binary to ship (default: this one)"),
    CLI_STRING(0, "source-dir", "DIR", &pk.source_dir,
               "where README.md, docs/, suites/ ... are (default .)"),
    CLI_STRING(0, "arch", "ARCH", &pk.arch,
               "the archive's architecture (default from uname: amd64, arm64)"),
    CLI_STRING(0, "run", "DIR", &pk.run_dir,
               "take the validation counts from run directory DIR and record\n"
               "the artifacts in its run.json (\"artifacts\")"),
    CLI_FLAG(0, "validate", &pk.validate,
             "re-check DIR: sums, manifest, sizes, chart metadata, notes\n"
             "(after building, when --version is given too)"),
    CLI_FLAG('q', "quiet", &pk.quiet, "print only problems"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_package_spec = {
    .name = "package",
    .synopsis = "tars package --version V --output-dir DIR [options]\n"
                "tars package --validate --output-dir DIR [--version V]",
    .about = "Builds the release artifacts into DIR: the Helm chart tars-V.tgz (Chart.yaml\n"
             "version/appVersion set to V in a copy), tars-V-linux-ARCH.tar.gz (the binary, "
             "README.md,\n"
             "docs/, suites/, scenarios/, templates/), manifest.json, manifest.ENV.json,\n"
             "RELEASE_NOTES.md and SHA256SUMS. Archives are reproducible: the same inputs and\n"
             "SOURCE_DATE_EPOCH (default: the commit time) give the same bytes.",
    .opts = package_table,
    .exits = "0 artifacts written or verified, 1 --validate found a mismatch, 2 an I/O error, 3 "
             "bad usage or input",
};

static int parse_package_args(int argc, char **argv, struct package_opts *o)
{
    int rc = cli_opt_parse_no_operands(&cli_package_spec, argc, argv);

    if (rc)
        return rc;
    if (!o->output_dir)
        return cli_usage_error("package", "give --output-dir DIR");
    if (!o->version && !o->validate)
        return cli_usage_error("package", "give --version V (to build) or --validate (to check)");
    return 0;
}

/* Library failures: bad input is usage (3), anything else an error (2). */
static int fail(const struct tars_err *err)
{
    fprintf(stderr, "tars package: %s\n", err->msg);
    return err->code == TARS_EINVAL || err->code == TARS_ENOTFOUND ? EXIT_USAGE : EXIT_INCONCLUSIVE;
}

static void print_artifacts(json_t *manifest, const char *dir)
{
    json_t *list = json_object_get(manifest, "artifacts");
    const char *env = json_string_value(json_object_get(manifest, "environment"));

    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *a = json_array_get(list, i);
        printf("  %-40s %12" JSON_INTEGER_FORMAT " bytes  sha256 %s\n",
               json_string_value(json_object_get(a, "name")),
               json_integer_value(json_object_get(a, "size")),
               json_string_value(json_object_get(a, "sha256")));
    }
    printf("tars package: %s %s (tag %s, commit %.12s) in %s: SHA256SUMS, manifest.json, "
           "manifest.%s.json, RELEASE_NOTES.md\n",
           json_string_value(json_object_get(manifest, "name")),
           json_string_value(json_object_get(manifest, "version")),
           json_string_value(json_object_get(json_object_get(manifest, "build"), "tag")),
           json_string_value(json_object_get(json_object_get(manifest, "build"), "git_sha")), dir,
           env);
}

/* --run DIR: the validation it recorded, as the manifest's "validation". */
static int run_validation(const char *run_dir, json_t **out)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *run = tars_run_load(run_dir, &err);

    if (!run) {
        fprintf(stderr, "tars package: --run %s: %s\n", run_dir, err.msg);
        return EXIT_USAGE;
    }
    *out = tars_package_validation(run, run_dir);
    json_decref(run);
    return 0;
}

static int build(const struct package_opts *o)
{
    struct tars_package_opts po = {.version = o->version,
                                   .output_dir = o->output_dir,
                                   .environment = o->environment,
                                   .source_dir = o->source_dir,
                                   .chart_dir = o->chart,
                                   .binary = o->binary,
                                   .arch = o->arch};
    char version[TARS_PACKAGE_VERSION_MAX];
    struct tars_err err = TARS_ERR_INIT;
    struct tars_build_info info;
    json_t *manifest = NULL, *validation = NULL;
    int rc;

    if (tars_package_version(o->version, version, &err) != TARS_OK)
        return fail(&err);
    if (o->run_dir && (rc = run_validation(o->run_dir, &validation)) != 0)
        return rc;
    po.validation = validation;
    if (tars_package_probe_build(o->source_dir, o->git_sha, &info, &err) != TARS_OK ||
        tars_package_build(&po, &info, &manifest, &err) != TARS_OK) {
        json_decref(validation);
        return fail(&err);
    }
    if (!o->quiet)
        print_artifacts(manifest, o->output_dir);
    rc = 0;
    if (o->run_dir && tars_run_record_artifacts(o->run_dir, o->output_dir, &err) != TARS_OK) {
        fprintf(stderr, "tars package: --run %s: the artifacts could not be recorded: %s\n",
                o->run_dir, err.msg);
        rc = EXIT_INCONCLUSIVE;
    }
    json_decref(validation);
    json_decref(manifest);
    return rc;
}

static int validate(const struct package_opts *o)
{
    struct tars_package_findings f;
    struct tars_err err = TARS_ERR_INIT;
    int rc;

    tars_package_findings_init(&f);
    if (tars_package_validate(o->output_dir, o->version, &f, &err) != TARS_OK) {
        tars_package_findings_release(&f);
        return fail(&err);
    }
    if (f.problems > 0) {
        fprintf(stderr, "%s", f.text.data ? f.text.data : "");
        fprintf(stderr, "tars package: %s: INVALID, %zu problem%s in %zu checks\n", o->output_dir,
                f.problems, f.problems == 1 ? "" : "s", f.checked);
        rc = EXIT_FAILED;
    } else {
        if (!o->quiet)
            printf("tars package: %s: valid (%zu checks: sums, manifest, sizes, chart metadata, "
                   "release notes)\n",
                   o->output_dir, f.checked);
        rc = EXIT_OK;
    }
    tars_package_findings_release(&f);
    return rc;
}

int cmd_package(int argc, char **argv)
{
    struct package_opts *o = &pk;
    int rc;

    memset(&pk, 0, sizeof(pk));
    if ((rc = parse_package_args(argc, argv, o)) != 0)
        return cli_opt_exit(rc);
    if (o->version && (rc = build(o)) != 0)
        return rc;
    return o->validate ? validate(o) : EXIT_OK;
}
