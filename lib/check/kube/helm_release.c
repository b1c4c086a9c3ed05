/*
 * Helm 3 keeps each revision of a release in a Secret named
 * sh.helm.release.v1.NAME.vN (labels owner=helm, name=NAME, version=N)
 * whose data.release is the release JSON, gzipped, base64-encoded by Helm,
 * and base64-encoded again by the Secret. The latest revision's info.status
 * and chart.metadata.version are what `helm list` shows; this reads them
 * without helm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "kube_int.h"
#include "tars/json.h"
#include "tars/alloc.h"

#define HELM_PREFIX "sh.helm.release.v1."

/* Inflates into buf until the stream ends; *n bytes written. */
static int inflate_all(z_stream *zs, unsigned char **buf, size_t *cap, size_t max, size_t *n,
                       struct tars_err *err)
{
    for (;;) {
        int zrc;
        if (*n == *cap) {
            if (*cap >= max)
                return tars_err_set(err, TARS_ETOOBIG,
                                    "release larger than %zu bytes "
                                    "uncompressed",
                                    max);
            *cap = *cap * 2 > max ? max : *cap * 2;
            *buf = xrealloc(*buf, *cap + 1);
        }
        zs->next_out = *buf + *n;
        zs->avail_out = (uInt)(*cap - *n);
        zrc = inflate(zs, Z_NO_FLUSH);
        *n = (size_t)(zs->next_out - *buf);
        if (zrc == Z_STREAM_END)
            return TARS_OK;
        if (zrc == Z_BUF_ERROR && zs->avail_in == 0)
            return tars_err_set(err, TARS_EINVAL, "gzip data is truncated");
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            return tars_err_set(err, TARS_EINVAL, "gzip data is corrupt (%s)",
                                zs->msg ? zs->msg : "inflate failed");
    }
}

int helm_gunzip(const unsigned char *in, size_t len, size_t max, unsigned char **out,
                size_t *out_len, struct tars_err *err)
{
    z_stream zs;
    size_t cap = len * 4 < 4096 ? 4096 : len * 4, n = 0;
    unsigned char *buf;
    int rc;

    if (len > UINT32_MAX)
        return tars_err_set(err, TARS_ETOOBIG, "gzip data too large");
    if (cap > max)
        cap = max;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return tars_err_set(err, TARS_EINTERNAL, "cannot start zlib");
    buf = xmalloc(cap + 1);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    rc = inflate_all(&zs, &buf, &cap, max, &n, err);
    inflateEnd(&zs);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return TARS_OK;
}

/* Helm's own layer: base64 of gzip (or, from old Helm, of plain JSON). */
static int decode_helm_layer(const unsigned char *text, size_t len, json_t **release,
                             struct tars_err *err)
{
    unsigned char *raw = NULL, *json = NULL;
    size_t raw_len, json_len;
    struct tars_err jerr = TARS_ERR_INIT;
    int rc;

    if (kube_base64_decode((const char *)text, len, HELM_MAX_RELEASE, &raw, &raw_len) != 0)
        return tars_err_set(err, TARS_EINVAL, "release data is not base64 inside the secret");
    if (raw_len >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        rc = helm_gunzip(raw, raw_len, HELM_MAX_RELEASE, &json, &json_len, err);
        if (rc)
            goto out;
    } else {
        json = raw;
        json_len = raw_len;
        raw = NULL;
    }
    rc = TARS_EINVAL;
    tars_json_parse_bounded((const char *)json, json_len, HELM_MAX_RELEASE, 0, release, &jerr);
    if (!json_is_object(*release)) {
        tars_err_set(err, TARS_EINVAL, "release is not a JSON object (%s)",
                     *release ? "another JSON value" : jerr.msg);
        json_decref(*release);
        *release = NULL;
        goto out;
    }
    rc = TARS_OK;
out:
    free(raw);
    free(json);
    return rc;
}

int helm_release_decode(const char *data, json_t **release, struct tars_err *err)
{
    unsigned char *text = NULL;
    size_t len;
    int rc;

    *release = NULL;
    if (!data || !data[0])
        return tars_err_set(err, TARS_EINVAL, "secret has no data.release");
    if (kube_base64_decode(data, strlen(data), HELM_MAX_RELEASE, &text, &len) != 0)
        return tars_err_set(err, TARS_EINVAL, "data.release is not base64");
    rc = decode_helm_layer(text, len, release, err);
    free(text);
    return rc;
}

/* N of "sh.helm.release.v1.NAME.vN", or -1. */
static long revision_of(const char *secret, const char *release)
{
    size_t plen = strlen(HELM_PREFIX), rlen = strlen(release);
    const char *p;
    char *end;
    long n;

    if (strncmp(secret, HELM_PREFIX, plen) != 0 || strncmp(secret + plen, release, rlen) != 0)
        return -1;
    p = secret + plen + rlen;
    if (p[0] != '.' || p[1] != 'v' || p[2] < '0' || p[2] > '9')
        return -1;
    errno = 0;
    n = strtol(p + 2, &end, 10);
    return (*end || errno || n < 0) ? -1 : n;
}

json_t *helm_latest_secret(json_t *items, const char *release, long *revision)
{
    json_t *best = NULL, *item;
    size_t i;

    *revision = -1;
    json_array_foreach(items, i, item) {
        long n = revision_of(kube_obj_name(item), release);
        if (n > *revision) {
            *revision = n;
            best = item;
        }
    }
    return best;
}

const char *kube_helm_selector(struct kube_run *kr, char *buf, size_t size)
{
    snprintf(buf, size, "owner=helm,name=%s", tars_check_param_str(kr->ctx, "release", "tars"));
    return buf;
}

static const char *skip_v(const char *s)
{
    return s && (s[0] == 'v' || s[0] == 'V') ? s + 1 : s;
}

/* Compares the decoded release with the expected status and versions. */
static void judge_release(struct kube_run *kr, json_t *rel, const char *name, long rev,
                          struct tars_check_result *out)
{
    const char *want_status = tars_check_param_str(kr->ctx, "status", "deployed");
    const char *want_version = tars_check_param_str(kr->ctx, "version", NULL);
    const char *want_app = tars_check_param_str(kr->ctx, "app_version", NULL);
    const char *status = kube_str_at(rel, "info.status");
    const char *version = kube_str_at(rel, "chart.metadata.version");
    const char *app = kube_str_at(rel, "chart.metadata.appVersion");

    if (!status || strcmp(status, want_status) != 0)
        tars_check_fail(out, "helm release \"%s\" revision %ld: status %s (expected %s)", name, rev,
                        status ? status : "missing", want_status);
    else if (want_version && (!version || strcmp(skip_v(version), skip_v(want_version)) != 0))
        tars_check_fail(out, "helm release \"%s\" revision %ld: chart version %s (expected %s)",
                        name, rev, version ? version : "missing", want_version);
    else if (want_app && (!app || strcmp(skip_v(app), skip_v(want_app)) != 0))
        tars_check_fail(out, "helm release \"%s\" revision %ld: app version %s (expected %s)", name,
                        rev, app ? app : "missing", want_app);
    else
        tars_check_pass(out, "helm release \"%s\" revision %ld: %s, chart %s, app %s", name, rev,
                        status, version ? version : "?", app ? app : "?");
}

void kube_judge_helm(struct kube_run *kr, json_t *items, struct tars_check_result *out)
{
    const char *name = tars_check_param_str(kr->ctx, "release", "tars");
    struct tars_err err = TARS_ERR_INIT;
    json_t *secret, *release = NULL;
    long rev;

    secret = helm_latest_secret(items, name, &rev);
    if (!secret) {
        tars_check_fail(out,
                        "helm release \"%s\" not found (no secret %s%s.vN in namespace "
                        "\"%s\")",
                        name, HELM_PREFIX, name, kr->ns ? kr->ns : "?");
        return;
    }
    if (helm_release_decode(kube_str_at(secret, "data.release"), &release, &err) != 0) {
        tars_check_error(out, false, "helm release \"%s\" secret \"%s\": %s", name,
                         kube_obj_name(secret), err.msg);
        return;
    }
    judge_release(kr, release, name, rev, out);
    json_decref(release);
}
