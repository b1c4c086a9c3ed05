/*
 * tars package --validate: re-reads an output directory and compares
 * everything that can disagree: the files against SHA256SUMS, the manifest's
 * fields, sizes and sums against the files, every manifest.<env>.json against
 * manifest.json, the chart's Chart.yaml inside the archive against the
 * manifest version, the binary archive's tars entry, the release notes.
 * Each mismatch is one finding naming the file and what differs.
 */
#include "tars/package.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tars/crypto.h"
#include "tars/json.h"

#define META_MAX (16u * 1024 * 1024)

struct vctx {
    const char *dir;
    struct tars_package_findings *f;
    json_t *listed;   /* name -> hex, from SHA256SUMS */
    json_t *computed; /* name -> {sha256, size}, hashed once */
    json_t *manifest; /* NULL when unreadable */
    char version[TARS_PACKAGE_VERSION_MAX];
};

void tars_package_findings_init(struct tars_package_findings *f)
{
    memset(f, 0, sizeof(*f));
    tars_buf_init(&f->text, 1024 * 1024);
}

void tars_package_findings_release(struct tars_package_findings *f)
{
    tars_buf_release(&f->text);
}

static void problem(struct vctx *v, const char *file, const char *fmt, ...) TARS_PRINTF(3, 4);
static void problem(struct vctx *v, const char *file, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    v->f->problems++;
    if (tars_buf_printf(&v->f->text, "%s: %s\n", file, msg) != TARS_OK)
        tars_buf_init(&v->f->text, v->f->text.max); /* full: the count still says it */
}

static void path_of(const struct vctx *v, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", v->dir, name);
}

/* The file's sum and size, hashed once; false (with a finding) when missing. */
static bool file_sum(struct vctx *v, const char *name, const char **hex, json_int_t *size)
{
    json_t *c = json_object_get(v->computed, name);
    struct tars_err err = TARS_ERR_INIT;
    char path[PATH_MAX], h[65];
    uint64_t n;

    if (!c) {
        path_of(v, name, path, sizeof(path));
        if (tars_sha256_file(path, h, &n, &err) != TARS_OK) {
            problem(v, name, "%s", err.code == TARS_ENOTFOUND ? "missing" : err.msg);
            return false;
        }
        c = json_pack("{s:s,s:I}", "sha256", h, "size", (json_int_t)n);
        json_object_set_new(v->computed, name, c);
    }
    *hex = json_string_value(json_object_get(c, "sha256"));
    *size = json_integer_value(json_object_get(c, "size"));
    return true;
}

static int read_small(const char *path, struct tars_buf *out)
{
    FILE *f = fopen(path, "rb");
    char block[16384];
    size_t n;
    int rc = TARS_OK;

    if (!f)
        return errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO;
    while (rc == TARS_OK && (n = fread(block, 1, sizeof(block), f)) > 0)
        rc = tars_buf_append(out, block, n);
    if (rc == TARS_OK && ferror(f))
        rc = TARS_EIO;
    fclose(f);
    return rc;
}

/* Every SHA256SUMS line against its file. */
static void check_sums(struct vctx *v)
{
    struct tars_buf b = TARS_BUF_INIT(1024 * 1024);
    char path[PATH_MAX], hex[65], name[TARS_PACKAGE_NAME_MAX];
    size_t line_no = 0, pos = 0;
    int rc;

    path_of(v, "SHA256SUMS", path, sizeof(path));
    if ((rc = read_small(path, &b)) != TARS_OK) {
        problem(v, "SHA256SUMS", "%s", rc == TARS_ENOTFOUND ? "missing" : "unreadable");
        goto out;
    }
    while (pos < b.len) {
        const char *line = b.data + pos, *nl = memchr(line, '\n', b.len - pos);
        size_t len = nl ? (size_t)(nl - line) : b.len - pos;
        const char *have;
        json_int_t size;
        pos += len + 1;
        line_no++;
        v->f->checked++;
        if (tars_package_sums_parse(line, len, hex, name) != TARS_OK) {
            problem(v, "SHA256SUMS", "line %zu is not \"<sha256>  <file name>\"", line_no);
            continue;
        }
        if (json_object_get(v->listed, name)) {
            problem(v, "SHA256SUMS", "lists \"%s\" twice", name);
            continue;
        }
        json_object_set_new(v->listed, name, json_string(hex));
        if (file_sum(v, name, &have, &size) && strcmp(have, hex) != 0)
            problem(v, name, "sha256 %s differs from SHA256SUMS (%s)", have, hex);
    }
    if (line_no == 0)
        problem(v, "SHA256SUMS", "is empty");
out:
    tars_buf_release(&b);
}

static json_t *load_json(struct vctx *v, const char *name)
{
    struct tars_buf b = TARS_BUF_INIT(META_MAX);
    struct tars_err err = TARS_ERR_INIT;
    char path[PATH_MAX];
    json_t *j = NULL;
    int rc;

    path_of(v, name, path, sizeof(path));
    if ((rc = read_small(path, &b)) != TARS_OK)
        problem(v, name, "%s", rc == TARS_ENOTFOUND ? "missing" : "unreadable or too large");
    else if (tars_json_parse(b.data, b.len, &j, &err) != TARS_OK)
        problem(v, name, "not JSON: %s", err.msg);
    else if (!json_is_object(j)) {
        problem(v, name, "not a JSON object");
        json_decref(j);
        j = NULL;
    }
    tars_buf_release(&b);
    return j;
}

static const char *str_field(json_t *obj, const char *path_key)
{
    return json_string_value(json_object_get(obj, path_key));
}

static bool is_hex_sha(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n != 40 && n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* version, build, hotfixes, validation. */
static void check_manifest_fields(struct vctx *v, const char *want)
{
    json_t *m = v->manifest, *build = json_object_get(m, "build");
    json_t *hot = json_object_get(m, "hotfixes");
    const char *version = str_field(m, "version"), *sha = str_field(build, "git_sha");
    const char *tag = str_field(build, "tag");
    char norm[TARS_PACKAGE_VERSION_MAX], want_tag[TARS_PACKAGE_VERSION_MAX + 2];

    v->f->checked += 6;
    if (!version || tars_package_version(version, norm, NULL) != TARS_OK ||
        strcmp(norm, version) != 0) {
        problem(v, "manifest.json", "version \"%s\" is not a bare semantic version",
                version ? version : "(missing)");
        return;
    }
    snprintf(v->version, sizeof(v->version), "%s", version);
    if (want && (tars_package_version(want, norm, NULL) != TARS_OK || strcmp(norm, version) != 0))
        problem(v, "manifest.json", "version \"%s\" differs from --version \"%s\"", version, want);
    if (!sha || (strcmp(sha, "unknown") != 0 && !is_hex_sha(sha)))
        problem(v, "manifest.json", "build.git_sha \"%s\" is not a full commit id",
                sha ? sha : "(missing)");
    snprintf(want_tag, sizeof(want_tag), "v%s", version);
    if (!tag || strcmp(tag, want_tag) != 0)
        problem(v, "manifest.json", "build.tag \"%s\" differs from \"%s\"", tag ? tag : "(missing)",
                want_tag);
    if (!str_field(build, "time") || !str_field(build, "branch"))
        problem(v, "manifest.json", "build.time or build.branch is missing");
    if (json_array_size(hot) != 5)
        problem(v, "manifest.json", "hotfixes has %zu entries, not 5", json_array_size(hot));
    for (size_t i = 0; i < json_array_size(hot) && i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "TARS-%zu", 1001 + i);
        if (!str_field(json_array_get(hot, i), "id") ||
            strcmp(str_field(json_array_get(hot, i), "id"), id) != 0)
            problem(v, "manifest.json", "hotfixes[%zu] is not %s", i, id);
    }
    if (!str_field(json_object_get(m, "validation"), "status"))
        problem(v, "manifest.json", "validation.status is missing");
}

/* Every manifest.<env>.json equals manifest.json; the manifest's own
 * environment has one. */
static void check_env_manifests(struct vctx *v)
{
    const char *env = str_field(v->manifest, "environment");
    char own[TARS_PACKAGE_NAME_MAX];
    struct dirent *de;
    bool seen_own = false;
    DIR *d;

    snprintf(own, sizeof(own), "manifest.%s.json", env ? env : "?");
    if ((d = opendir(v->dir)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            size_t n = strlen(de->d_name);
            json_t *copy;
            if (n < 15 || strncmp(de->d_name, "manifest.", 9) != 0 ||
                strcmp(de->d_name + n - 5, ".json") != 0 ||
                strcmp(de->d_name, "manifest.json") == 0)
                continue;
            seen_own = seen_own || strcmp(de->d_name, own) == 0;
            v->f->checked++;
            if ((copy = load_json(v, de->d_name)) != NULL && !json_equal(copy, v->manifest))
                problem(v, de->d_name, "differs from manifest.json");
            json_decref(copy);
        }
        closedir(d);
    }
    if (!seen_own)
        problem(v, own, "missing (manifest.json says environment \"%s\")", env ? env : "?");
}

/* Chart.yaml inside the chart archive: version and appVersion equal the
 * manifest version, apiVersion still a chart API version. */
static void check_chart(struct vctx *v, const char *name)
{
    struct tars_buf text = TARS_BUF_INIT(1024 * 1024);
    struct tars_err err = TARS_ERR_INIT;
    char path[PATH_MAX], member[TARS_PACKAGE_NAME_MAX + 16], chart[TARS_PACKAGE_NAME_MAX];
    char value[128];
    static const char *const keys[] = {"version", "appVersion"};
    size_t n = strlen(name), vlen = strlen(v->version);

    v->f->checked++;
    if (n < vlen + 6 || strcmp(name + n - 4, ".tgz") != 0 || name[n - vlen - 5] != '-' ||
        strncmp(name + n - vlen - 4, v->version, vlen) != 0) {
        problem(v, name, "chart archive name is not <chart>-%s.tgz", v->version);
        goto out;
    }
    snprintf(chart, sizeof(chart), "%.*s", (int)(n - vlen - 5), name);
    snprintf(member, sizeof(member), "%s/Chart.yaml", chart);
    path_of(v, name, path, sizeof(path));
    if (tars_archive_read_member(path, member, 1024 * 1024, &text, &err) != TARS_OK) {
        problem(v, name, "%s", err.msg);
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        v->f->checked++;
        if (tars_chart_get(text.data, text.len, keys[k], value, sizeof(value), &err) != TARS_OK)
            problem(v, name, "%s: %s", member, err.msg);
        else if (strcmp(value, v->version) != 0)
            problem(v, name, "%s: %s is \"%s\", the manifest says \"%s\"", member, keys[k], value,
                    v->version);
    }
    v->f->checked++;
    if (tars_chart_get(text.data, text.len, "apiVersion", value, sizeof(value), &err) != TARS_OK ||
        (strcmp(value, "v1") != 0 && strcmp(value, "v2") != 0))
        problem(v, name, "%s: apiVersion is not v1 or v2", member);
out:
    tars_buf_release(&text);
}

/* The binary archive holds an executable <stem>/tars. */
static void check_binary(struct vctx *v, const char *name)
{
    struct tars_err err = TARS_ERR_INIT;
    char path[PATH_MAX], member[TARS_PACKAGE_NAME_MAX + 8];
    size_t n = strlen(name);
    unsigned mode = 0;
    int64_t size = 0;

    v->f->checked++;
    if (n < 8 || strcmp(name + n - 7, ".tar.gz") != 0) {
        problem(v, name, "binary archive name does not end in .tar.gz");
        return;
    }
    snprintf(member, sizeof(member), "%.*s/tars", (int)(n - 7), name);
    path_of(v, name, path, sizeof(path));
    if (tars_archive_stat_member(path, member, &mode, &size, &err) != TARS_OK)
        problem(v, name, "%s", err.msg);
    else if (!S_ISREG(mode) || !(mode & 0111) || size <= 0)
        problem(v, name, "%s is not a non-empty executable file", member);
}

/* Each artifact: present, size and sum as the manifest says, listed in
 * SHA256SUMS with the same sum; then the per-type checks. */
static void check_artifacts(struct vctx *v)
{
    json_t *list = json_object_get(v->manifest, "artifacts");
    size_t charts = 0;

    if (json_array_size(list) == 0)
        problem(v, "manifest.json", "lists no artifacts");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *a = json_array_get(list, i);
        const char *name = str_field(a, "name"), *sha = str_field(a, "sha256");
        const char *type = str_field(a, "type"), *listed, *have;
        json_int_t size;
        v->f->checked++;
        if (!name || !sha || !type || !json_is_integer(json_object_get(a, "size")) ||
            strchr(name, '/')) {
            problem(v, "manifest.json", "artifacts[%zu] lacks a plain name, size, sha256 or type",
                    i);
            continue;
        }
        if (!file_sum(v, name, &have, &size))
            continue;
        if (size != json_integer_value(json_object_get(a, "size")))
            problem(v, name,
                    "size %" JSON_INTEGER_FORMAT " bytes, the manifest says %" JSON_INTEGER_FORMAT,
                    size, json_integer_value(json_object_get(a, "size")));
        if (strcmp(have, sha) != 0)
            problem(v, name, "sha256 %s, the manifest says %s", have, sha);
        listed = json_string_value(json_object_get(v->listed, name));
        if (!listed)
            problem(v, "SHA256SUMS", "does not list \"%s\"", name);
        else if (strcmp(listed, sha) != 0)
            problem(v, name, "SHA256SUMS says %s, the manifest says %s", listed, sha);
        if (strcmp(type, "helm_chart") == 0 && ++charts)
            check_chart(v, name);
        else if (strcmp(type, "binary") == 0)
            check_binary(v, name);
    }
    if (charts != 1)
        problem(v, "manifest.json", "lists %zu helm charts, not 1", charts);
}

/* RELEASE_NOTES.md names the version and every artifact's sum. */
static void check_notes(struct vctx *v)
{
    struct tars_buf b = TARS_BUF_INIT(4u * 1024 * 1024);
    json_t *list = json_object_get(v->manifest, "artifacts");
    char path[PATH_MAX];

    v->f->checked++;
    path_of(v, "RELEASE_NOTES.md", path, sizeof(path));
    if (read_small(path, &b) != TARS_OK || !b.data) {
        problem(v, "RELEASE_NOTES.md", "missing or unreadable");
        goto out;
    }
    if (!strstr(b.data, v->version))
        problem(v, "RELEASE_NOTES.md", "does not mention version %s", v->version);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *sha = str_field(json_array_get(list, i), "sha256");
        if (sha && !strstr(b.data, sha))
            problem(v, "RELEASE_NOTES.md", "does not give the sha256 of \"%s\"",
                    str_field(json_array_get(list, i), "name"));
    }
out:
    tars_buf_release(&b);
}

int tars_package_validate(const char *dir, const char *want_version,
                          struct tars_package_findings *findings, struct tars_err *err)
{
    struct vctx v = {.dir = dir, .f = findings};
    struct stat st;
    static const char *const must_list[] = {"manifest.json", "RELEASE_NOTES.md"};

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return tars_err_set(err, TARS_ENOTFOUND, "output directory \"%s\" does not exist", dir);
    v.listed = json_object();
    v.computed = json_object();
    check_sums(&v);
    if ((v.manifest = load_json(&v, "manifest.json")) != NULL) {
        check_manifest_fields(&v, want_version);
        check_env_manifests(&v);
        if (v.version[0]) {
            check_artifacts(&v);
            check_notes(&v);
        }
    }
    for (size_t i = 0; i < 2; i++)
        if (!json_object_get(v.listed, must_list[i]))
            problem(&v, "SHA256SUMS", "does not list \"%s\"", must_list[i]);
    json_decref(v.manifest);
    json_decref(v.listed);
    json_decref(v.computed);
    return TARS_OK;
}
