/*
 * The evidence digest of a run directory (docs/signoff.md): which files are
 * evidence, their canonical listing, and its SHA-256.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tars/alloc.h"
#include "tars/crypto.h"
#include "tars/signoff.h"
#include "tars/str.h"

#define MAX_EVIDENCE 4096
#define LISTING_MAX (1024u * 1024)

struct pattern {
    const char *prefix, *suffix;
};

/* Top-level evidence: run.json and what the measuring commands write beside it. */
static const struct pattern top_patterns[] = {
    {"run.json", ""},  {"checks", ".json"},    {"checks", ".xml"},
    {"load", ".json"}, {"load", ".csv"},       {"ws", ".json"},
    {"db", ".json"},   {"integrity", ".json"}, {NULL, NULL}};

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_top_evidence(const char *name)
{
    for (const struct pattern *p = top_patterns; p->prefix; p++) {
        if (tars_str_has_prefix(name, p->prefix) && has_suffix(name, p->suffix))
            return true;
    }
    return false;
}

struct listing {
    char **paths; /* relative to the run directory */
    size_t count;
};

static int add_path(struct listing *l, const char *rel, struct tars_err *err)
{
    if (l->count >= MAX_EVIDENCE)
        return tars_err_set(err, TARS_ETOOBIG, "more than %d evidence files", MAX_EVIDENCE);
    if (strpbrk(rel, "\n\r\t"))
        return tars_err_set(err, TARS_EINVAL, "evidence file name with a control character");
    l->paths = xrealloc(l->paths, (l->count + 1) * sizeof(*l->paths));
    l->paths[l->count++] = xstrdup(rel);
    return TARS_OK;
}

/* rel must be a regular file, not a link (a link could point anywhere). */
static int check_regular(const char *dir, const char *rel, bool *present, struct tars_err *err)
{
    char path[4096];
    struct stat st;

    *present = false;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
        return tars_err_set(err, TARS_ETOOBIG, "path of \"%s\" is too long", rel);
    if (lstat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR
                   ? TARS_OK
                   : tars_err_set(err, TARS_EIO, "cannot stat \"%s\": %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return tars_err_set(err, TARS_EINVAL, "evidence file \"%s\" is a symbolic link", path);
    *present = S_ISREG(st.st_mode);
    return TARS_OK;
}

static int collect(const char *dir, struct listing *l, struct tars_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = TARS_OK;

    if (!d)
        return tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO,
                            "cannot read run directory \"%s\": %s", dir, strerror(errno));
    while (rc == TARS_OK && (e = readdir(d))) {
        char rel[1024];
        bool regular;

        if (e->d_name[0] == '.')
            continue;
        if (is_top_evidence(e->d_name)) {
            if ((rc = check_regular(dir, e->d_name, &regular, err)) == TARS_OK && regular)
                rc = add_path(l, e->d_name, err);
            continue;
        }
        /* SHA256SUMS one directory down: the artifacts' sums (the artifacts
         * themselves are checked against them when they are promoted). */
        if ((size_t)snprintf(rel, sizeof(rel), "%s/SHA256SUMS", e->d_name) >= sizeof(rel))
            continue;
        if ((rc = check_regular(dir, rel, &regular, err)) == TARS_OK && regular)
            rc = add_path(l, rel, err);
    }
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_and_hash(const char *dir, struct listing *l, struct tars_buf *out,
                         struct tars_err *err)
{
    int rc;

    if ((rc = tars_buf_puts(out, TARS_EVIDENCE_FORMAT "\n")))
        return tars_err_set(err, rc, "evidence listing too long");
    if (l->count > 1)
        qsort(l->paths, l->count, sizeof(*l->paths), by_path);
    for (size_t i = 0; i < l->count; i++) {
        char path[4096], hex[TARS_SHA256_HEX_LEN];
        uint64_t size = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, l->paths[i]);
        if ((rc = tars_sha256_file(path, hex, &size, err)))
            return rc;
        if ((rc = tars_buf_printf(out, "%s  %llu  %s\n", hex, (unsigned long long)size,
                                  l->paths[i])))
            return tars_err_set(err, rc, "evidence listing too long");
    }
    return TARS_OK;
}

int tars_evidence_digest(const char *dir, char digest[TARS_DIGEST_LEN], struct tars_buf *listing,
                         struct tars_err *err)
{
    struct listing l = {0};
    struct tars_buf own = TARS_BUF_INIT(LISTING_MAX);
    char hex[TARS_SHA256_HEX_LEN];
    bool has_run = false;
    int rc;

    if ((rc = collect(dir, &l, err)) || (rc = list_and_hash(dir, &l, &own, err)))
        goto out;
    for (size_t i = 0; i < l.count; i++)
        has_run = has_run || strcmp(l.paths[i], "run.json") == 0;
    if (!has_run) {
        rc = tars_err_set(err, TARS_ENOTFOUND, "\"%s\" has no run.json: not a run directory", dir);
        goto out;
    }
    tars_sha256_hex(own.data, own.len, hex);
    snprintf(digest, TARS_DIGEST_LEN, "sha256:%s", hex);
    if (listing && (rc = tars_buf_append(listing, own.data, own.len)))
        tars_err_set(err, rc, "evidence listing too long");
out:
    for (size_t i = 0; i < l.count; i++)
        free(l.paths[i]);
    free(l.paths);
    tars_buf_release(&own);
    return rc;
}

int tars_signoff_report_digest(const char *report_path, char digest[TARS_DIGEST_LEN],
                               struct tars_err *err)
{
    static const char marker[] = "**Evidence digest:** `sha256:";
    char line[1024];
    FILE *f = fopen(report_path, "r");
    int rc = TARS_ENOTFOUND;

    if (!f)
        return tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO,
                            "cannot read \"%s\": %s", report_path, strerror(errno));
    /* The header is at the top; 200 lines is plenty and bounds the work. */
    for (int n = 0; n < 200 && fgets(line, sizeof(line), f); n++) {
        char *at = strstr(line, marker);
        size_t hex = 0;

        if (!at)
            continue;
        at += strlen(marker) - strlen("sha256:");
        while (at[7 + hex] && strchr("0123456789abcdef", at[7 + hex]))
            hex++;
        if (hex == 64) {
            snprintf(digest, TARS_DIGEST_LEN, "%.71s", at);
            rc = TARS_OK;
        }
        break;
    }
    fclose(f);
    if (rc != TARS_OK)
        tars_err_set(err, rc, "\"%s\" names no evidence digest", report_path);
    return rc;
}
