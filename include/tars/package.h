/*
 * Release artifacts (docs/package.md): the Helm chart and the binary as
 * reproducible tar.gz archives, SHA256SUMS, manifest.json (+ one copy per
 * environment) and RELEASE_NOTES.md; and the check of all of them.
 *
 *   tars-<v>.tgz                    the chart, entries under <chart name>/,
 *                                   Chart.yaml version/appVersion = <v>
 *   tars-<v>-linux-<arch>.tar.gz    tars-<v>-linux-<arch>/{tars, README.md,
 *                                   docs/, suites/, scenarios/, templates/}
 *   manifest.json, manifest.<env>.json, RELEASE_NOTES.md, SHA256SUMS
 *
 * Archives are byte-identical for the same inputs and the same timestamp:
 * entries sorted, owner root (0/0), modes 0644/0755, every mtime the build
 * time (SOURCE_DATE_EPOCH, else the commit time), gzip without a timestamp.
 */
#ifndef TARS_PACKAGE_H
#define TARS_PACKAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/buf.h"
#include "tars/err.h"

/* ---------------------------------------------------------------- versions */

#define TARS_PACKAGE_VERSION_MAX 64

/*
 * Accepts "1.0.1" or "v1.0.1" (one leading v or V) and writes the semantic
 * version without the v ("1.0.1", "2.0.0-rc.1+build.5") to out. Anything that
 * is not SemVer 2.0 (including "vv1.0.1", "1.0", "01.0.0") is TARS_EINVAL.
 */
int tars_package_version(const char *in, char out[TARS_PACKAGE_VERSION_MAX], struct tars_err *err);

/* ---------------------------------------------------------------- Chart.yaml */

/*
 * Sets the top-level keys version and appVersion of a Chart.yaml text and
 * leaves every other byte as it was (apiVersion, comments, order, line
 * endings). Only column-0 keys of the top-level mapping count: keys inside
 * block scalars, nested mappings, flow collections and comments do not. The
 * old value's quoting is kept for a one-line value; a missing key is appended.
 * The result is appended to out. TARS_EINVAL for a key given twice or a text
 * that is not a top-level mapping.
 */
int tars_chart_set_versions(const char *text, size_t len, const char *version,
                            const char *app_version, struct tars_buf *out, struct tars_err *err);

/* Reads the scalar value of a top-level key (unquoted) into out.
 * TARS_ENOTFOUND when absent; TARS_EINVAL when not a one-line scalar. */
int tars_chart_get(const char *text, size_t len, const char *key, char *out, size_t cap,
                   struct tars_err *err);

/* ---------------------------------------------------------------- sums */

#define TARS_PACKAGE_NAME_MAX 256

/* One SHA256SUMS line as sha256sum writes it: "<64 hex>  <name>\n". Names
 * with a '/', a newline or a backslash are refused (TARS_EINVAL). */
int tars_package_sums_line(const char *hex, const char *name, struct tars_buf *out,
                           struct tars_err *err);

/* Parses one line (without its newline) back; TARS_EINVAL when malformed. */
int tars_package_sums_parse(const char *line, size_t len, char hex[65],
                            char name[TARS_PACKAGE_NAME_MAX]);

/* ---------------------------------------------------------------- archives */

struct tars_archive_file {
    char *name;   /* path inside the archive ("tars/Chart.yaml") */
    char *source; /* file on disk */
    bool executable;
};

struct tars_archive_list {
    struct tars_archive_file *files;
    size_t count, cap;
};

void tars_archive_list_release(struct tars_archive_list *l);

/* Adds every regular file under dir (recursively, following symlinks) as
 * prefix/<relative path>. A missing dir is TARS_ENOTFOUND. Bounded: depth 16,
 * 20000 files. */
int tars_archive_add_tree(struct tars_archive_list *l, const char *dir, const char *prefix,
                          struct tars_err *err);
/* Adds one file as name. */
int tars_archive_add_file(struct tars_archive_list *l, const char *source, const char *name,
                          struct tars_err *err);

/* Writes a reproducible ustar+gzip archive of the list (sorted by name). */
int tars_archive_write(const char *out_path, struct tars_archive_list *l, int64_t mtime,
                       struct tars_err *err);

/* Reads member name (at most max bytes) of a tar.gz into out. TARS_ENOTFOUND
 * when the archive has no such member. */
int tars_archive_read_member(const char *path, const char *name, size_t max, struct tars_buf *out,
                             struct tars_err *err);

/* The mode (type and permission bits) and size of member name. */
int tars_archive_stat_member(const char *path, const char *name, unsigned *mode, int64_t *size,
                             struct tars_err *err);

/* ---------------------------------------------------------------- build */

/* Where the build came from: filled by tars_package_probe_build. */
struct tars_build_info {
    char git_sha[65];        /* full, or "unknown" outside git */
    char branch[128];        /* or "unknown" */
    int64_t epoch;           /* seconds: archive mtimes and build.time */
    const char *time_source; /* "SOURCE_DATE_EPOCH", "git", "clock" */
};

/*
 * Fills info from the environment and from git run in source_dir: the sha
 * (given_sha when non-NULL: a full sha, or an abbreviation git resolves),
 * the branch, and the time (SOURCE_DATE_EPOCH when set, else the commit
 * time, else now). TARS_EINVAL for a bad SOURCE_DATE_EPOCH or sha.
 */
int tars_package_probe_build(const char *source_dir, const char *given_sha,
                             struct tars_build_info *info, struct tars_err *err);

struct tars_package_opts {
    const char *version;     /* "1.0.1" or "v1.0.1" */
    const char *output_dir;  /* created when missing */
    const char *environment; /* default "staging" */
    const char *source_dir;  /* README.md, docs/, ...; default "." */
    const char *chart_dir;   /* default <source_dir>/deploy/helm/tars */
    const char *binary;      /* default /proc/self/exe */
    const char *arch;        /* default from uname: amd64, arm64, ... */
    json_t *validation;      /* manifest "validation" (borrowed); NULL: not validated */
};

/*
 * Builds every artifact into output_dir (each file written to a temporary
 * name and renamed). On success *manifest is the manifest (a new reference).
 * TARS_EINVAL for bad options or inputs (version, environment, chart).
 */
int tars_package_build(const struct tars_package_opts *opts, const struct tars_build_info *info,
                       json_t **manifest, struct tars_err *err);

/* The manifest's "validation" object from a run.json object (its "checks"
 * counts), or {"status":"not validated"} when run is NULL. */
json_t *tars_package_validation(json_t *run, const char *run_dir);

/* The manifest for version (normalised), environment, build and artifacts
 * (an array of {name,size,sha256,type}; borrowed). */
json_t *tars_package_manifest(const char *version, const char *environment,
                              const struct tars_build_info *info, json_t *artifacts,
                              json_t *validation);

/* RELEASE_NOTES.md from a manifest, appended to out. */
int tars_package_release_notes(json_t *manifest, struct tars_buf *out);

/* ---------------------------------------------------------------- validate */

/* What --validate found: one line per problem, "<file>: <what differs>". */
struct tars_package_findings {
    size_t checked; /* things compared */
    size_t problems;
    struct tars_buf text;
};

void tars_package_findings_init(struct tars_package_findings *f);
void tars_package_findings_release(struct tars_package_findings *f);

/*
 * Re-checks an output directory: every SHA256SUMS line against its file, the
 * manifest's fields, sizes and sums, manifest.<env>.json equal to
 * manifest.json, the chart's Chart.yaml version/appVersion equal to the
 * manifest version (and to want_version when non-NULL), the binary archive's
 * tars entry, the release notes. Mismatches go to findings (returns 0);
 * TARS_ENOTFOUND only when dir itself does not exist.
 */
int tars_package_validate(const char *dir, const char *want_version,
                          struct tars_package_findings *findings, struct tars_err *err);

#endif
