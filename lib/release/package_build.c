/*
 * tars package: the chart (edited in a staging copy, never in place), the
 * binary archive, then manifest.json, manifest.<env>.json, RELEASE_NOTES.md
 * and last SHA256SUMS over all of them. Every file is written under a
 * temporary name and renamed, so a failed build leaves no half artifact.
 */
#define _XOPEN_SOURCE 700
#include "tars/package.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tars/crypto.h"
#include "tars/file.h"
#include "tars/str.h"

#define CHART_YAML_MAX (1024 * 1024)
#define FILE_COPY_MAX (64u * 1024 * 1024)

struct build {
    const struct tars_package_opts *o;
    const struct tars_build_info *info;
    char version[TARS_PACKAGE_VERSION_MAX];
    char chart_name[64], arch[32];
    const char *env, *source, *binary;
    char chart_dir[PATH_MAX];
    json_t *artifacts; /* [{name,size,sha256,type}] */
};

static int path_join(char *out, size_t cap, const char *a, const char *b, struct tars_err *err)
{
    int n = snprintf(out, cap, "%s/%s", a, b);

    if (n < 0 || (size_t)n >= cap)
        return tars_err_set(err, TARS_ETOOBIG, "path \"%s/%s\" is too long", a, b);
    return TARS_OK;
}

static int read_file(const char *path, size_t max, struct tars_buf *out, struct tars_err *err)
{
    FILE *f = fopen(path, "rb");
    char block[16384];
    size_t n;
    int rc = TARS_OK;

    if (!f)
        return tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO,
                            "cannot read \"%s\": %s", path, strerror(errno));
    out->max = max;
    while (rc == TARS_OK && (n = fread(block, 1, sizeof(block), f)) > 0)
        rc = tars_buf_append(out, block, n);
    if (rc == TARS_OK && ferror(f))
        rc = tars_err_set(err, TARS_EIO, "cannot read \"%s\"", path);
    else if (rc != TARS_OK)
        rc = tars_err_set(err, rc, "\"%s\" is larger than %zu bytes", path, max);
    fclose(f);
    return rc;
}

static int copy_file(const char *from, const char *to, bool executable, struct tars_err *err)
{
    struct tars_buf b = TARS_BUF_INIT(FILE_COPY_MAX);
    int rc = read_file(from, FILE_COPY_MAX, &b, err);

    if (rc == TARS_OK)
        rc = tars_file_write(to, b.data ? b.data : "", b.len, executable ? 0755 : 0644, err);
    tars_buf_release(&b);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 ? 0 : -1;
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Adds name to the artifact list with its size and sum. */
static int add_artifact(struct build *b, const char *name, const char *type, struct tars_err *err)
{
    char path[PATH_MAX], hex[65];
    uint64_t size;
    int rc;

    if ((rc = path_join(path, sizeof(path), b->o->output_dir, name, err)) != TARS_OK ||
        (rc = tars_sha256_file(path, hex, &size, err)) != TARS_OK)
        return rc;
    json_array_append_new(b->artifacts, json_pack("{s:s,s:I,s:s,s:s}", "name", name, "size",
                                                  (json_int_t)size, "sha256", hex, "type", type));
    return TARS_OK;
}

/* Writes the archive of list as output_dir/name (through a temporary name). */
static int write_archive(struct build *b, struct tars_archive_list *list, const char *name,
                         const char *type, struct tars_err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    int rc;

    if ((rc = path_join(path, sizeof(path), b->o->output_dir, name, err)) != TARS_OK)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((rc = tars_archive_write(tmp, list, b->info->epoch, err)) != TARS_OK) {
        unlink(tmp);
        return rc;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return tars_err_set(err, TARS_EIO, "cannot rename \"%s\": %s", tmp, strerror(errno));
    }
    return add_artifact(b, name, type, err);
}

/* Copies the chart into staging/<name>/ with the edited Chart.yaml. */
static int stage_chart(struct build *b, const char *staging, const struct tars_buf *chart_yaml,
                       struct tars_err *err)
{
    struct tars_archive_list src = {0};
    char to[PATH_MAX], dir[PATH_MAX];
    int rc = tars_archive_add_tree(&src, b->chart_dir, "", err);

    for (size_t i = 0; i < src.count && rc == TARS_OK; i++) {
        char *slash;
        if ((rc = snprintf(to, sizeof(to), "%s/%s/%s", staging, b->chart_name,
                           src.files[i].name)) >= (int)sizeof(to)) {
            rc =
                tars_err_set(err, TARS_ETOOBIG, "chart path \"%s\" is too long", src.files[i].name);
            break;
        }
        tars_strlcpy(dir, to, sizeof(dir));
        slash = strrchr(dir, '/');
        *slash = '\0';
        if ((rc = tars_mkdirs(dir, err)) != TARS_OK)
            break;
        if (strcmp(src.files[i].name, "Chart.yaml") == 0)
            rc = tars_file_write(to, chart_yaml->data, chart_yaml->len, 0644, err);
        else
            rc = copy_file(src.files[i].source, to, src.files[i].executable, err);
    }
    tars_archive_list_release(&src);
    return rc;
}

static bool plain_word(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n >= max)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

/* Reads Chart.yaml, sets its versions, learns the chart's name. */
static int edit_chart(struct build *b, struct tars_buf *edited, struct tars_err *err)
{
    struct tars_buf text = TARS_BUF_INIT(CHART_YAML_MAX);
    char path[PATH_MAX];
    int rc;

    if ((rc = path_join(path, sizeof(path), b->chart_dir, "Chart.yaml", err)) != TARS_OK ||
        (rc = read_file(path, CHART_YAML_MAX, &text, err)) != TARS_OK)
        goto out;
    rc = tars_chart_get(text.data, text.len, "name", b->chart_name, sizeof(b->chart_name), err);
    if (rc == TARS_OK && !plain_word(b->chart_name, sizeof(b->chart_name)))
        rc = tars_err_set(err, TARS_EINVAL, "chart name \"%s\" is not a plain name", b->chart_name);
    if (rc == TARS_OK)
        rc = tars_chart_set_versions(text.data, text.len, b->version, b->version, edited, err);
    if (rc != TARS_OK)
        tars_err_prefix(err, path);
out:
    tars_buf_release(&text);
    return rc;
}

static int build_chart(struct build *b, struct tars_err *err)
{
    struct tars_buf edited = TARS_BUF_INIT(CHART_YAML_MAX * 2);
    struct tars_archive_list list = {0};
    char staging[PATH_MAX], staged[PATH_MAX], name[TARS_PACKAGE_NAME_MAX];
    const char *tmpdir = getenv("TMPDIR");
    bool made = false;
    int rc;

    if ((rc = edit_chart(b, &edited, err)) != TARS_OK)
        goto out;
    snprintf(staging, sizeof(staging), "%s/tars-package-XXXXXX",
             tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(staging)) {
        rc = tars_err_set(err, TARS_EIO, "cannot make a staging directory: %s", strerror(errno));
        goto out;
    }
    made = true;
    snprintf(name, sizeof(name), "%s-%s.tgz", b->chart_name, b->version);
    if ((rc = path_join(staged, sizeof(staged), staging, b->chart_name, err)) == TARS_OK &&
        (rc = stage_chart(b, staging, &edited, err)) == TARS_OK &&
        (rc = tars_archive_add_tree(&list, staged, b->chart_name, err)) == TARS_OK)
        rc = write_archive(b, &list, name, "helm_chart", err);
out:
    if (made)
        remove_tree(staging);
    tars_archive_list_release(&list);
    tars_buf_release(&edited);
    return rc;
}

/* The binary and what documents it, under one directory named like the file. */
static int build_binary(struct build *b, struct tars_err *err)
{
    static const char *const trees[] = {"docs", "suites", "scenarios", "templates"};
    struct tars_archive_list list = {0};
    char prefix[160], name[TARS_PACKAGE_NAME_MAX], path[PATH_MAX], inner[PATH_MAX];
    int rc;

    snprintf(prefix, sizeof(prefix), "tars-%s-linux-%s", b->version, b->arch);
    snprintf(name, sizeof(name), "%s.tar.gz", prefix);
    snprintf(inner, sizeof(inner), "%s/tars", prefix);
    if ((rc = tars_archive_add_file(&list, b->binary, inner, err)) != TARS_OK) {
        tars_err_prefix(err, "--binary");
        goto out;
    }
    list.files[list.count - 1].executable = true;
    snprintf(inner, sizeof(inner), "%s/README.md", prefix);
    if ((rc = path_join(path, sizeof(path), b->source, "README.md", err)) != TARS_OK)
        goto out;
    if (access(path, F_OK) == 0 && (rc = tars_archive_add_file(&list, path, inner, err)) != TARS_OK)
        goto out;
    for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
        snprintf(inner, sizeof(inner), "%s/%s", prefix, trees[i]);
        if ((rc = path_join(path, sizeof(path), b->source, trees[i], err)) != TARS_OK)
            goto out;
        rc = tars_archive_add_tree(&list, path, inner, err);
        if (rc == TARS_ENOTFOUND)
            rc = TARS_OK; /* ship what exists */
        else if (rc != TARS_OK)
            goto out;
    }
    rc = write_archive(b, &list, name, "binary", err);
out:
    tars_archive_list_release(&list);
    return rc;
}

/* manifest.json, manifest.<env>.json (the same bytes), RELEASE_NOTES.md. */
static int write_metadata(struct build *b, json_t *manifest, struct tars_err *err)
{
    struct tars_buf notes = TARS_BUF_INIT(4u * 1024 * 1024);
    char *text = json_dumps(manifest, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    char path[PATH_MAX], name[TARS_PACKAGE_NAME_MAX];
    int rc = TARS_OK;

    if (!text) {
        rc = tars_err_set(err, TARS_EINTERNAL, "cannot serialise the manifest");
        goto out;
    }
    snprintf(name, sizeof(name), "manifest.%s.json", b->env);
    for (int i = 0; i < 2 && rc == TARS_OK; i++) {
        struct tars_buf t = TARS_BUF_INIT(16u * 1024 * 1024);
        if (tars_buf_printf(&t, "%s\n", text) != TARS_OK)
            rc = tars_err_set(err, TARS_ETOOBIG, "the manifest is too large");
        if (rc == TARS_OK && (rc = path_join(path, sizeof(path), b->o->output_dir,
                                             i ? name : "manifest.json", err)) == TARS_OK)
            rc = tars_file_write(path, t.data, t.len, 0644, err);
        tars_buf_release(&t);
    }
    if (rc == TARS_OK && tars_package_release_notes(manifest, &notes) != TARS_OK)
        rc = tars_err_set(err, TARS_ETOOBIG, "the release notes are too large");
    if (rc == TARS_OK &&
        (rc = path_join(path, sizeof(path), b->o->output_dir, "RELEASE_NOTES.md", err)) == TARS_OK)
        rc = tars_file_write(path, notes.data, notes.len, 0644, err);
out:
    free(text);
    tars_buf_release(&notes);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SHA256SUMS over the archives and the metadata files, sorted by name. */
static int write_sums(struct build *b, struct tars_err *err)
{
    struct tars_buf sums = TARS_BUF_INIT(1024 * 1024);
    char env_manifest[TARS_PACKAGE_NAME_MAX], path[PATH_MAX], hex[65];
    const char *names[8];
    size_t n = 0;
    int rc = TARS_OK;

    for (size_t i = 0; i < json_array_size(b->artifacts) && n < 5; i++)
        names[n++] = json_string_value(json_object_get(json_array_get(b->artifacts, i), "name"));
    snprintf(env_manifest, sizeof(env_manifest), "manifest.%s.json", b->env);
    names[n++] = "RELEASE_NOTES.md";
    names[n++] = "manifest.json";
    names[n++] = env_manifest;
    qsort(names, n, sizeof(names[0]), by_string);
    for (size_t i = 0; i < n && rc == TARS_OK; i++)
        if ((rc = path_join(path, sizeof(path), b->o->output_dir, names[i], err)) == TARS_OK &&
            (rc = tars_sha256_file(path, hex, NULL, err)) == TARS_OK)
            rc = tars_package_sums_line(hex, names[i], &sums, err);
    if (rc == TARS_OK &&
        (rc = path_join(path, sizeof(path), b->o->output_dir, "SHA256SUMS", err)) == TARS_OK)
        rc = tars_file_write(path, sums.data, sums.len, 0644, err);
    tars_buf_release(&sums);
    return rc;
}

static void machine_arch(char *out, size_t cap)
{
    struct utsname u;
    const char *m = uname(&u) == 0 ? u.machine : "unknown";

    if (strcmp(m, "x86_64") == 0)
        m = "amd64";
    else if (strcmp(m, "aarch64") == 0)
        m = "arm64";
    tars_strlcpy(out, m, cap);
}

static int prepare(struct build *b, const struct tars_package_opts *o, struct tars_err *err)
{
    int rc;

    if (!o->output_dir || !*o->output_dir)
        return tars_err_set(err, TARS_EINVAL, "no output directory");
    if ((rc = tars_package_version(o->version, b->version, err)) != TARS_OK)
        return rc;
    b->env = o->environment ? o->environment : "staging";
    if (!plain_word(b->env, 41))
        return tars_err_set(err, TARS_EINVAL,
                            "environment \"%.40s\" must be lowercase letters, digits, - or _",
                            b->env);
    b->source = o->source_dir ? o->source_dir : ".";
    b->binary = o->binary ? o->binary : "/proc/self/exe";
    if (o->arch)
        tars_strlcpy(b->arch, o->arch, sizeof(b->arch));
    else
        machine_arch(b->arch, sizeof(b->arch));
    if (!plain_word(b->arch, sizeof(b->arch)))
        return tars_err_set(err, TARS_EINVAL, "architecture \"%s\" is not a plain name", b->arch);
    if (o->chart_dir)
        tars_strlcpy(b->chart_dir, o->chart_dir, sizeof(b->chart_dir));
    else if ((rc = path_join(b->chart_dir, sizeof(b->chart_dir), b->source, "deploy/helm/tars",
                             err)) != TARS_OK)
        return rc;
    return tars_mkdirs(o->output_dir, err);
}

int tars_package_build(const struct tars_package_opts *opts, const struct tars_build_info *info,
                       json_t **manifest, struct tars_err *err)
{
    struct build b;
    json_t *m = NULL, *validation = NULL;
    int rc;

    memset(&b, 0, sizeof(b));
    b.o = opts;
    b.info = info;
    *manifest = NULL;
    if ((rc = prepare(&b, opts, err)) != TARS_OK)
        return rc;
    b.artifacts = json_array();
    if ((rc = build_chart(&b, err)) != TARS_OK || (rc = build_binary(&b, err)) != TARS_OK)
        goto out;
    validation =
        opts->validation ? json_incref(opts->validation) : tars_package_validation(NULL, NULL);
    m = tars_package_manifest(b.version, b.env, info, b.artifacts, validation);
    if (!m) {
        rc = tars_err_set(err, TARS_EINTERNAL, "cannot build the manifest");
        goto out;
    }
    if ((rc = write_metadata(&b, m, err)) != TARS_OK || (rc = write_sums(&b, err)) != TARS_OK)
        goto out;
    *manifest = m;
    m = NULL;
out:
    json_decref(m);
    json_decref(validation);
    json_decref(b.artifacts);
    return rc;
}
