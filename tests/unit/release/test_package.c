/* Unit tests for tars package: version normalisation, SHA256SUMS lines,
 * file sums, the manifest and release notes, reproducible archives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tars/crypto.h"
#include "tars/package.h"

static void expect_version(const char *in, const char *want)
{
    char out[TARS_PACKAGE_VERSION_MAX];
    struct tars_err err = TARS_ERR_INIT;

    if (tars_package_version(in, out, &err) != TARS_OK)
        fail_msg("\"%s\" refused: %s", in, err.msg);
    assert_string_equal(out, want);
}

static void test_versions_normalised(void **state)
{
    (void)state;
    expect_version("1.0.1", "1.0.1");
    expect_version("v1.0.1", "1.0.1");
    expect_version("V10.20.30", "10.20.30");
    expect_version("v2.0.0-rc.1+build.005", "2.0.0-rc.1+build.005");
    expect_version("0.0.0-alpha-1", "0.0.0-alpha-1");
}

static void test_bad_versions_refused(void **state)
{
    static const char *const bad[] = {"",         "v",       "vv1.0.1",     "1.0",      "1.0.1.2",
                                      "01.0.0",   "1.00.0",  "1.0.1-",      "1.0.1-01", "1.0.1+",
                                      "1.0.1 ",   " 1.0.1",  "1.0.1-rc..1", "1.0.x",    "-1.0.0",
                                      "1.0.1_rc", "v1.0.1\n"};
    char out[TARS_PACKAGE_VERSION_MAX], longv[100];
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (tars_package_version(bad[i], out, &err) != TARS_EINVAL)
            fail_msg("\"%s\" accepted as %s", bad[i], out);
    assert_non_null(strstr(err.msg, "not a semantic version"));
    memset(longv, 'a', sizeof(longv));
    memcpy(longv, "1.0.0-", 6);
    longv[99] = '\0';
    assert_int_equal(tars_package_version(longv, out, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "too long"));
}

static void test_sums_line_format(void **state)
{
    const char *hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    struct tars_buf b = TARS_BUF_INIT(4096);
    struct tars_err err = TARS_ERR_INIT;
    char h[65], name[TARS_PACKAGE_NAME_MAX];
    (void)state;

    assert_int_equal(tars_package_sums_line(hex, "tars-1.0.1.tgz", &b, &err), TARS_OK);
    /* what sha256sum writes: the digest, two spaces (text mode), the name */
    assert_string_equal(b.data, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                                "  tars-1.0.1.tgz\n");
    assert_int_equal(tars_package_sums_parse(b.data, b.len - 1, h, name), TARS_OK);
    assert_string_equal(h, hex);
    assert_string_equal(name, "tars-1.0.1.tgz");
    assert_int_equal(tars_package_sums_line(hex, "dir/x", &b, &err), TARS_EINVAL);
    assert_int_equal(tars_package_sums_line(hex, "a\nb", &b, &err), TARS_EINVAL);
    assert_int_equal(tars_package_sums_line("ABC", "x", &b, &err), TARS_EINVAL);
    /* binary mode ("*name") parses too; malformed lines do not */
    assert_int_equal(tars_package_sums_parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb41"
                                             "0ff61f20015ad *x.tgz",
                                             71, h, name),
                     TARS_OK);
    assert_string_equal(name, "x.tgz");
    assert_int_equal(tars_package_sums_parse(hex, 64, h, name), TARS_EINVAL);
    assert_int_equal(tars_package_sums_parse("BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb41"
                                             "0ff61f20015ad  x",
                                             67, h, name),
                     TARS_EINVAL);
    assert_int_equal(tars_package_sums_parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb41"
                                             "0ff61f20015ad x",
                                             66, h, name),
                     TARS_EINVAL);
    tars_buf_release(&b);
}

static char tmpdir[64];

static void write_text(const char *name, const char *text, char *path, size_t cap)
{
    FILE *f;

    snprintf(path, cap, "%s/%s", tmpdir, name);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static void test_file_sum(void **state)
{
    char path[128], hex[65];
    uint64_t size = 0;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    write_text("abc", "abc", path, sizeof(path));
    assert_int_equal(tars_sha256_file(path, hex, &size, &err), TARS_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(size, 3);
    snprintf(path, sizeof(path), "%s/none", tmpdir);
    assert_int_equal(tars_sha256_file(path, hex, &size, &err), TARS_ENOTFOUND);
}

static struct tars_build_info test_info(void)
{
    struct tars_build_info info;

    memset(&info, 0, sizeof(info));
    strcpy(info.git_sha, "0123456789abcdef0123456789abcdef01234567");
    strcpy(info.branch, "release/v1.0.1");
    info.epoch = 1700000000;
    info.time_source = "SOURCE_DATE_EPOCH";
    return info;
}

static void test_manifest_fields(void **state)
{
    struct tars_build_info info = test_info();
    json_t *artifacts = json_pack("[{s:s,s:i,s:s,s:s}]", "name", "tars-1.0.1.tgz", "size", 42,
                                  "sha256", "ab", "type", "helm_chart");
    json_t *validation = tars_package_validation(NULL, NULL);
    json_t *m = tars_package_manifest("1.0.1", "production", &info, artifacts, validation);
    json_t *build = json_object_get(m, "build"), *hot = json_object_get(m, "hotfixes");
    (void)state;

    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "version")), "1.0.1");
    assert_string_equal(json_string_value(json_object_get(m, "environment")), "production");
    assert_string_equal(json_string_value(json_object_get(build, "tag")), "v1.0.1");
    assert_string_equal(json_string_value(json_object_get(build, "git_sha")), info.git_sha);
    assert_string_equal(json_string_value(json_object_get(build, "branch")), "release/v1.0.1");
    assert_string_equal(json_string_value(json_object_get(build, "time")), "2023-11-14T22:13:20Z");
    assert_int_equal(json_array_size(hot), 5);
    for (size_t i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "TARS-%zu", 1001 + i);
        assert_string_equal(json_string_value(json_object_get(json_array_get(hot, i), "id")), id);
        assert_true(strlen(json_string_value(json_object_get(json_array_get(hot, i), "title"))) >
                    5);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(hot, 4), "title")),
                        "PPO memory leak");
    assert_true(json_equal(json_object_get(m, "artifacts"), artifacts));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "validation"), "status")),
        "not validated");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "deployment"), "namespace")),
        "tars-production");
    json_decref(m);
    json_decref(artifacts);
    json_decref(validation);
}

static const char *validation_status(const char *run_text)
{
    static char status[32];
    json_t *run = json_loads(run_text, 0, NULL), *v;

    assert_non_null(run);
    v = tars_package_validation(run, "runs/x");
    snprintf(status, sizeof(status), "%s", json_string_value(json_object_get(v, "status")));
    json_decref(v);
    json_decref(run);
    return status;
}

static void test_validation_from_run(void **state)
{
    (void)state;
    assert_string_equal(validation_status("{\"checks\":{\"counts\":{\"pass\":48,\"fail\":0,"
                                          "\"skip\":2,\"error\":0}}}"),
                        "passed");
    assert_string_equal(validation_status("{\"checks\":{\"counts\":{\"pass\":40,\"fail\":1,"
                                          "\"skip\":0,\"error\":3}}}"),
                        "failed");
    assert_string_equal(validation_status("{\"checks\":{\"counts\":{\"pass\":40,\"fail\":0,"
                                          "\"skip\":0,\"error\":1}}}"),
                        "inconclusive");
    /* no check passed: no evidence, never a pass */
    assert_string_equal(validation_status("{\"checks\":{\"counts\":{\"pass\":0,\"fail\":0,"
                                          "\"skip\":5,\"error\":0}}}"),
                        "inconclusive");
    assert_string_equal(validation_status("{\"format\":\"tars-run/1\"}"), "not validated");
}

static void test_release_notes_from_data(void **state)
{
    struct tars_build_info info = test_info();
    const char *sha = "e71544eade3c9d8eedcdb114ca80acc354e849bbe0ccf3e6bd756d6b57fc534d";
    json_t *artifacts = json_pack("[{s:s,s:i,s:s,s:s}]", "name", "tars-2.3.4.tgz", "size", 4321,
                                  "sha256", sha, "type", "helm_chart");
    json_t *run = json_loads("{\"checks\":{\"counts\":{\"pass\":7,\"fail\":0,\"skip\":1,"
                             "\"error\":0}}}",
                             0, NULL);
    json_t *validation = tars_package_validation(run, "runs/r1");
    json_t *m = tars_package_manifest("2.3.4", "staging", &info, artifacts, validation);
    struct tars_buf notes = TARS_BUF_INIT(1 << 20);
    (void)state;

    assert_int_equal(tars_package_release_notes(m, &notes), TARS_OK);
    assert_non_null(strstr(notes.data, "# T.A.R.S. 2.3.4 release notes"));
    assert_non_null(strstr(notes.data, "Tag: `v2.3.4`"));
    assert_non_null(strstr(notes.data, "| `tars-2.3.4.tgz` | helm_chart | 4321 | `"));
    assert_non_null(strstr(notes.data, sha));
    assert_non_null(strstr(notes.data, "| TARS-1003 | W3C trace context"));
    assert_non_null(strstr(notes.data, "**passed** (run `runs/r1`: 7 passed, 0 failed, 1 skipped"));
    assert_null(strstr(notes.data, "vv"));
    tars_buf_release(&notes);
    json_decref(m);
    json_decref(artifacts);
    json_decref(validation);
    json_decref(run);
}

static void read_all(const char *path, struct tars_buf *b)
{
    FILE *f = fopen(path, "rb");
    char block[4096];
    size_t n;

    assert_non_null(f);
    while ((n = fread(block, 1, sizeof(block), f)) > 0)
        assert_int_equal(tars_buf_append(b, block, n), TARS_OK);
    fclose(f);
}

/* Builds an archive of two files added in the given order. */
static void make_archive(const char *out, bool reverse, int64_t mtime)
{
    struct tars_archive_list l = {0};
    struct tars_err err = TARS_ERR_INIT;
    char a[128], b[128];

    write_text("a.txt", "alpha\n", a, sizeof(a));
    write_text("b.sh", "#!/bin/sh\n", b, sizeof(b));
    assert_int_equal(chmod(b, 0700), 0);
    if (reverse) {
        assert_int_equal(tars_archive_add_file(&l, b, "x/b.sh", &err), TARS_OK);
        assert_int_equal(tars_archive_add_file(&l, a, "x/a.txt", &err), TARS_OK);
    } else {
        assert_int_equal(tars_archive_add_file(&l, a, "x/a.txt", &err), TARS_OK);
        assert_int_equal(tars_archive_add_file(&l, b, "x/b.sh", &err), TARS_OK);
    }
    assert_int_equal(tars_archive_write(out, &l, mtime, &err), TARS_OK);
    tars_archive_list_release(&l);
}

static void test_archives_reproducible(void **state)
{
    struct tars_buf one = TARS_BUF_INIT(1 << 20), two = TARS_BUF_INIT(1 << 20);
    struct tars_buf member = TARS_BUF_INIT(1 << 10);
    struct tars_err err = TARS_ERR_INIT;
    char p1[128], p2[128], p3[128];
    unsigned mode = 0;
    int64_t size = 0;
    (void)state;

    snprintf(p1, sizeof(p1), "%s/one.tar.gz", tmpdir);
    snprintf(p2, sizeof(p2), "%s/two.tar.gz", tmpdir);
    snprintf(p3, sizeof(p3), "%s/three.tar.gz", tmpdir);
    make_archive(p1, false, 1700000000);
    sleep(1); /* a different wall clock must not matter */
    make_archive(p2, true, 1700000000);
    read_all(p1, &one);
    read_all(p2, &two);
    assert_int_equal(one.len, two.len);
    assert_memory_equal(one.data, two.data, one.len);
    /* gzip header: magic, deflate, then a zero MTIME field */
    assert_int_equal((unsigned char)one.data[0], 0x1f);
    assert_int_equal((unsigned char)one.data[1], 0x8b);
    assert_memory_equal(one.data + 4, "\0\0\0\0", 4);
    /* a different timestamp gives different bytes */
    make_archive(p3, false, 1700000001);
    tars_buf_reset(&two);
    read_all(p3, &two);
    assert_true(one.len != two.len || memcmp(one.data, two.data, one.len) != 0);
    assert_int_equal(tars_archive_read_member(p1, "x/a.txt", 1024, &member, &err), TARS_OK);
    assert_string_equal(member.data, "alpha\n");
    assert_int_equal(tars_archive_stat_member(p1, "x/b.sh", &mode, &size, &err), TARS_OK);
    assert_int_equal(mode & 07777, 0755);
    assert_int_equal(tars_archive_stat_member(p1, "x/a.txt", &mode, &size, &err), TARS_OK);
    assert_int_equal(mode & 07777, 0644);
    assert_int_equal(tars_archive_read_member(p1, "x/none", 1024, &member, &err), TARS_ENOTFOUND);
    tars_buf_release(&one);
    tars_buf_release(&two);
    tars_buf_release(&member);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/tars-unit-package-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_normalised),
        cmocka_unit_test(test_bad_versions_refused),
        cmocka_unit_test(test_sums_line_format),
        cmocka_unit_test(test_file_sum),
        cmocka_unit_test(test_manifest_fields),
        cmocka_unit_test(test_validation_from_run),
        cmocka_unit_test(test_release_notes_from_data),
        cmocka_unit_test(test_archives_reproducible),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
