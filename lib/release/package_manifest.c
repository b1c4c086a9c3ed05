/*
 * manifest.json and RELEASE_NOTES.md: both made from data (the build, the
 * artifacts as written, the run that validated them), nothing typed in.
 */
#include "tars/package.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tars/version.h"

#define PACKAGE_SCHEMA "tars-package/1"

/* The five v1.0.1 hotfixes (docs/report.md). */
static const struct {
    const char *id, *title;
} hotfixes[] = {
    {"TARS-1001", "WebSocket auto-reconnect, heartbeat, resubscribe"},
    {"TARS-1002", "Prometheus recording rules plus Grafana panel rewrite"},
    {"TARS-1003", "W3C trace context through Redis Streams and across regions"},
    {"TARS-1004", "Composite DB indexes"},
    {"TARS-1005", "PPO memory leak"},
};

static json_t *hotfix_list(void)
{
    json_t *a = json_array();

    for (size_t i = 0; i < sizeof(hotfixes) / sizeof(hotfixes[0]); i++)
        json_array_append_new(
            a, json_pack("{s:s,s:s}", "id", hotfixes[i].id, "title", hotfixes[i].title));
    return a;
}

static void utc_time(int64_t epoch, char out[32])
{
    time_t t = (time_t)epoch;
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "unknown");
}

json_t *tars_package_validation(json_t *run, const char *run_dir)
{
    json_t *counts = run ? json_object_get(json_object_get(run, "checks"), "counts") : NULL;
    json_int_t pass, fail, skip, error;
    const char *status;

    if (!run)
        return json_pack("{s:s}", "status", "not validated");
    if (!json_is_object(counts))
        return json_pack("{s:s,s:s,s:s}", "status", "not validated", "run", run_dir, "reason",
                         "the run recorded no checks");
    pass = json_integer_value(json_object_get(counts, "pass"));
    fail = json_integer_value(json_object_get(counts, "fail"));
    skip = json_integer_value(json_object_get(counts, "skip"));
    error = json_integer_value(json_object_get(counts, "error"));
    /* no check passed is no evidence: never "passed" */
    status = fail > 0 ? "failed" : (error > 0 || pass == 0) ? "inconclusive" : "passed";
    return json_pack("{s:s,s:s,s:{s:I,s:I,s:I,s:I}}", "status", status, "run", run_dir, "checks",
                     "pass", pass, "fail", fail, "skip", skip, "error", error);
}

json_t *tars_package_manifest(const char *version, const char *environment,
                              const struct tars_build_info *info, json_t *artifacts,
                              json_t *validation)
{
    char tag[TARS_PACKAGE_VERSION_MAX + 2], when[32], ns[96];

    snprintf(tag, sizeof(tag), "v%s", version);
    snprintf(ns, sizeof(ns), "tars-%s", environment);
    utc_time(info->epoch, when);
    return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:I},s:O,s:o,s:O,s:{s:s,s:s},s:s}",
                     "schema", PACKAGE_SCHEMA, "name", "tars", "version", version, "environment",
                     environment, "build", "git_sha", info->git_sha, "branch", info->branch, "tag",
                     tag, "time", when, "time_source", info->time_source, "epoch",
                     (json_int_t)info->epoch, "artifacts", artifacts, "hotfixes", hotfix_list(),
                     "validation", validation, "deployment", "namespace", ns, "helm_release",
                     "tars", "generated_by", "tars package " TARS_VERSION);
}

static const char *str_at(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "?";
}

static int notes_artifacts(json_t *manifest, struct tars_buf *b)
{
    json_t *list = json_object_get(manifest, "artifacts");
    int rc = tars_buf_puts(b, "## Artifacts\n\n| File | Type | Size (bytes) | SHA-256 |\n"
                              "|---|---|---:|---|\n");

    for (size_t i = 0; i < json_array_size(list) && rc == TARS_OK; i++) {
        json_t *a = json_array_get(list, i);
        rc = tars_buf_printf(b, "| `%s` | %s | %" JSON_INTEGER_FORMAT " | `%s` |\n",
                             str_at(a, "name"), str_at(a, "type"),
                             json_integer_value(json_object_get(a, "size")), str_at(a, "sha256"));
    }
    if (rc == TARS_OK)
        rc = tars_buf_puts(b, "\nVerify them in this directory with `sha256sum -c SHA256SUMS`, "
                              "and the whole set (sums, manifest, chart metadata) with "
                              "`tars package --validate --output-dir .`.\n\n");
    return rc;
}

static int notes_hotfixes(json_t *manifest, struct tars_buf *b)
{
    json_t *list = json_object_get(manifest, "hotfixes");
    int rc = tars_buf_puts(b, "## Hotfixes\n\n| ID | Fix |\n|---|---|\n");

    for (size_t i = 0; i < json_array_size(list) && rc == TARS_OK; i++)
        rc = tars_buf_printf(b, "| %s | %s |\n", str_at(json_array_get(list, i), "id"),
                             str_at(json_array_get(list, i), "title"));
    return rc == TARS_OK ? tars_buf_puts(b, "\n") : rc;
}

static int notes_validation(json_t *manifest, struct tars_buf *b)
{
    json_t *v = json_object_get(manifest, "validation");
    json_t *c = json_object_get(v, "checks");
    int rc = tars_buf_printf(b, "## Validation\n\nStatus: **%s**", str_at(v, "status"));

    if (rc == TARS_OK && json_is_object(c))
        rc = tars_buf_printf(b,
                             " (run `%s`: %" JSON_INTEGER_FORMAT " passed, %" JSON_INTEGER_FORMAT
                             " failed, %" JSON_INTEGER_FORMAT " skipped, %" JSON_INTEGER_FORMAT
                             " errors)",
                             str_at(v, "run"), json_integer_value(json_object_get(c, "pass")),
                             json_integer_value(json_object_get(c, "fail")),
                             json_integer_value(json_object_get(c, "skip")),
                             json_integer_value(json_object_get(c, "error")));
    else if (rc == TARS_OK && json_object_get(v, "reason"))
        rc = tars_buf_printf(b, " (%s)", str_at(v, "reason"));
    if (rc == TARS_OK)
        rc = tars_buf_puts(b, ".\n");
    return rc;
}

int tars_package_release_notes(json_t *manifest, struct tars_buf *out)
{
    json_t *build = json_object_get(manifest, "build");
    int rc;

    rc = tars_buf_printf(out,
                         "# T.A.R.S. %s release notes\n\n"
                         "- Tag: `%s`\n- Commit: `%s` (branch `%s`)\n"
                         "- Built: %s (time from %s)\n- Environment: %s (namespace `%s`)\n\n",
                         str_at(manifest, "version"), str_at(build, "tag"),
                         str_at(build, "git_sha"), str_at(build, "branch"), str_at(build, "time"),
                         str_at(build, "time_source"), str_at(manifest, "environment"),
                         str_at(json_object_get(manifest, "deployment"), "namespace"));
    if (rc == TARS_OK)
        rc = notes_artifacts(manifest, out);
    if (rc == TARS_OK)
        rc = notes_hotfixes(manifest, out);
    if (rc == TARS_OK)
        rc = notes_validation(manifest, out);
    if (rc == TARS_OK)
        rc = tars_buf_printf(out, "\nGenerated by %s from manifest.json.\n",
                             str_at(manifest, "generated_by"));
    return rc;
}
