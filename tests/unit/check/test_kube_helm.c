/* Unit tests for Helm storage secrets: releases gzipped and base64-encoded
 * twice here with zlib, decoded back, the latest revision picked, judged,
 * and bad or oversized data refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>

#include "kube/kube_int.h"

static char *b64(const unsigned char *in, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    size_t o = 0;

    assert_non_null(out);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? abc[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static unsigned char *gzip(const void *in, size_t len, size_t *out_len)
{
    z_stream zs;
    size_t cap = len + 1024;
    unsigned char *out = malloc(cap);

    assert_non_null(out);
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* data.release as the API server returns it: base64(base64(gzip(json))). */
static char *storage_blob(const char *json)
{
    size_t zlen;
    unsigned char *z = gzip(json, strlen(json), &zlen);
    char *inner = b64(z, zlen);
    char *outer = b64((unsigned char *)inner, strlen(inner));

    free(z);
    free(inner);
    return outer;
}

static const char release_json[] =
    "{\"name\":\"tars\",\"version\":3,\"namespace\":\"tars-staging\","
    "\"info\":{\"status\":\"%s\"},"
    "\"chart\":{\"metadata\":{\"name\":\"tars\",\"version\":\"%s\",\"appVersion\":\"1.0.1\"}}}";

static json_t *storage_secret(const char *name, const char *status, const char *version)
{
    char json[512];
    char *blob;
    json_t *s;

    snprintf(json, sizeof(json), release_json, status, version);
    blob = storage_blob(json);
    s = json_pack("{s:{s:s, s:{s:s, s:s}}, s:s, s:{s:s}}", "metadata", "name", name, "labels",
                  "owner", "helm", "name", "tars", "type", "helm.sh/release.v1", "data", "release",
                  blob);
    free(blob);
    return s;
}

static void test_decode(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *secret = storage_secret("sh.helm.release.v1.tars.v3", "deployed", "1.0.1");
    json_t *rel = NULL;
    (void)state;

    assert_int_equal(helm_release_decode(kube_str_at(secret, "data.release"), &rel, &err), TARS_OK);
    assert_string_equal(kube_str_at(rel, "info.status"), "deployed");
    assert_string_equal(kube_str_at(rel, "chart.metadata.version"), "1.0.1");
    assert_int_equal(kube_int_at(rel, "version", 0), 3);
    json_decref(rel);
    json_decref(secret);
}

/* Old Helm stored plain JSON under its base64 layer. */
static void test_decode_uncompressed(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    const char *json = "{\"info\":{\"status\":\"superseded\"}}";
    char *inner = b64((const unsigned char *)json, strlen(json));
    char *outer = b64((unsigned char *)inner, strlen(inner));
    json_t *rel = NULL;
    (void)state;

    assert_int_equal(helm_release_decode(outer, &rel, &err), TARS_OK);
    assert_string_equal(kube_str_at(rel, "info.status"), "superseded");
    json_decref(rel);
    free(inner);
    free(outer);
}

static void assert_decode_error(const char *data, const char *message)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *rel = NULL;

    assert_int_not_equal(helm_release_decode(data, &rel, &err), TARS_OK);
    assert_null(rel);
    if (!strstr(err.msg, message))
        fail_msg("error \"%s\" does not say \"%s\"", err.msg, message);
}

static void test_decode_errors(void **state)
{
    size_t zlen;
    unsigned char *z = gzip("{\"a\":1}", 7, &zlen);
    char *inner, *outer;
    (void)state;

    assert_decode_error(NULL, "no data.release");
    assert_decode_error("!!!", "not base64");
    assert_decode_error("ISEh", "not base64 inside the secret"); /* base64("!!!") */
    inner = b64(z, zlen - 6);                                    /* truncated gzip */
    outer = b64((unsigned char *)inner, strlen(inner));
    assert_decode_error(outer, "truncated");
    free(inner);
    free(outer);
    z[12] ^= 0xff; /* corrupt deflate data */
    inner = b64(z, zlen);
    outer = b64((unsigned char *)inner, strlen(inner));
    assert_decode_error(outer, "gzip data");
    free(inner);
    free(outer);
    inner = b64((const unsigned char *)"[1,2]", 5);
    outer = b64((unsigned char *)inner, strlen(inner));
    assert_decode_error(outer, "not a JSON object");
    free(inner);
    free(outer);
    free(z);
}

/* A small gzip that inflates past the bound is refused, not inflated. */
static void test_gunzip_bound(void **state)
{
    size_t big = 9u << 20, zlen, out_len;
    char *zeros = calloc(1, big);
    unsigned char *z, *out = NULL;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_non_null(zeros);
    z = gzip(zeros, big, &zlen);
    assert_true(zlen < 64 * 1024);
    assert_int_equal(helm_gunzip(z, zlen, HELM_MAX_RELEASE, &out, &out_len, &err), TARS_ETOOBIG);
    assert_null(out);
    assert_int_equal(helm_gunzip(z, zlen, big, &out, &out_len, &err), TARS_OK);
    assert_int_equal(out_len, big);
    free(out);
    free(z);
    free(zeros);
}

static void test_latest_revision(void **state)
{
    json_t *items = json_array();
    long rev;
    (void)state;

    json_array_append_new(items, storage_secret("sh.helm.release.v1.tars.v2", "superseded", "1"));
    json_array_append_new(items, storage_secret("sh.helm.release.v1.tars.v10", "failed", "2"));
    json_array_append_new(items, storage_secret("sh.helm.release.v1.tars.v9", "deployed", "3"));
    json_array_append_new(items, storage_secret("sh.helm.release.v1.tarsx.v99", "deployed", "4"));
    json_array_append_new(items, storage_secret("sh.helm.release.v1.tars.v11x", "deployed", "5"));
    assert_string_equal(kube_obj_name(helm_latest_secret(items, "tars", &rev)),
                        "sh.helm.release.v1.tars.v10");
    assert_int_equal(rev, 10);
    assert_null(helm_latest_secret(items, "other", &rev));
    assert_int_equal(rev, -1);
    json_decref(items);
}

static void judge(json_t *items, json_t *params, struct tars_check_result *r)
{
    struct tars_check_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    memset(r, 0, sizeof(*r));
    ctx.params = params;
    kube_evaluate(&ctx, items, NULL, r);
}

static void test_judge(void **state)
{
    json_t *items = json_array();
    json_t *params = json_pack("{s:s, s:s, s:s}", "check", "helm_release", "namespace",
                               "tars-staging", "version", "v1.0.1");
    struct tars_check_result r;
    (void)state;

    json_array_append_new(items, storage_secret("sh.helm.release.v1.tars.v2", "deployed", "1.0.0"));
    json_array_append_new(items, storage_secret("sh.helm.release.v1.tars.v3", "deployed", "1.0.1"));
    judge(items, params, &r);
    assert_int_equal(r.status, TARS_CHECK_PASS);
    assert_non_null(strstr(r.reason, "revision 3: deployed"));

    json_object_set_new(params, "version", json_string("1.0.2"));
    judge(items, params, &r);
    assert_int_equal(r.status, TARS_CHECK_FAIL);
    assert_string_equal(r.reason, "helm release \"tars\" revision 3: chart version 1.0.1 "
                                  "(expected 1.0.2)");

    json_array_append_new(items, storage_secret("sh.helm.release.v1.tars.v4", "failed", "1.0.2"));
    judge(items, params, &r);
    assert_int_equal(r.status, TARS_CHECK_FAIL);
    assert_string_equal(r.reason, "helm release \"tars\" revision 4: status failed "
                                  "(expected deployed)");

    json_object_set_new(params, "release", json_string("other"));
    judge(items, params, &r);
    assert_int_equal(r.status, TARS_CHECK_FAIL);
    assert_non_null(strstr(r.reason, "helm release \"other\" not found"));
    json_decref(items);
    json_decref(params);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),          cmocka_unit_test(test_decode_uncompressed),
        cmocka_unit_test(test_decode_errors),   cmocka_unit_test(test_gunzip_bound),
        cmocka_unit_test(test_latest_revision), cmocka_unit_test(test_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
