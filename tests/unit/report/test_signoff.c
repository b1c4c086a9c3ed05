/* Unit tests for lib/report/signoff*.c: the evidence digest, role principals, the report header. */
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
#include "tars/signoff.h"

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int make_run(void **state)
{
    char dir[128];
    (void)state;
    strcpy(root, "/tmp/tars-signoff-test-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(dir, sizeof(dir), "%s/artifacts", root);
    mkdir(dir, 0700);
    snprintf(dir, sizeof(dir), "%s/logs", root);
    mkdir(dir, 0700);
    put("run.json", "{}\n");
    put("checks.json", "[]\n");
    put("artifacts/SHA256SUMS", "x\n");
    put("artifacts/tars.tgz", "chart");
    put("report.md", "**Evidence digest:** `sha256:0000`\n");
    put("signoffs.jsonl", "");
    put("logs/deploy.log", "log\n");
    put("events.jsonl", "{}\n");
    return 0;
}

static int remove_run(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* The listing is exactly the evidence, sorted, and the digest is its SHA-256. */
static void test_listing_and_digest(void **state)
{
    struct tars_buf listing = TARS_BUF_INIT(1 << 20);
    struct tars_err err = TARS_ERR_INIT;
    char digest[TARS_DIGEST_LEN], again[TARS_DIGEST_LEN], hex[TARS_SHA256_HEX_LEN], want[512];
    char h_sums[TARS_SHA256_HEX_LEN], h_checks[TARS_SHA256_HEX_LEN], h_run[TARS_SHA256_HEX_LEN];
    (void)state;

    assert_int_equal(tars_evidence_digest(root, digest, &listing, &err), TARS_OK);
    tars_sha256_hex("x\n", 2, h_sums);
    tars_sha256_hex("[]\n", 3, h_checks);
    tars_sha256_hex("{}\n", 3, h_run);
    snprintf(want, sizeof(want),
             "tars-evidence/1\n%s  2  artifacts/SHA256SUMS\n%s  3  checks.json\n%s  3  run.json\n",
             h_sums, h_checks, h_run);
    assert_string_equal(listing.data, want);
    tars_sha256_hex(listing.data, listing.len, hex);
    assert_memory_equal(digest, "sha256:", 7);
    assert_string_equal(digest + 7, hex);

    /* What is not evidence changes nothing; one byte of evidence changes the digest. */
    put("report.md", "edited");
    put("signoffs.jsonl", "{}\n");
    put("artifacts/tars.tgz", "other chart");
    assert_int_equal(tars_evidence_digest(root, again, NULL, &err), TARS_OK);
    assert_string_equal(again, digest);
    put("checks.json", "[] \n");
    assert_int_equal(tars_evidence_digest(root, again, NULL, &err), TARS_OK);
    assert_string_not_equal(again, digest);
    put("checks.json", "[]\n");
    tars_buf_release(&listing);
}

static void test_a_link_or_no_run_json_is_refused(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char digest[TARS_DIGEST_LEN], link[256], dir[128];
    (void)state;

    snprintf(link, sizeof(link), "%s/db.json", root);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    assert_int_equal(tars_evidence_digest(root, digest, NULL, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "symbolic link"));
    unlink(link);

    snprintf(dir, sizeof(dir), "%s/logs", root);
    assert_int_equal(tars_evidence_digest(dir, digest, NULL, &err), TARS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no run.json"));
}

static void test_role_principals(void **state)
{
    char out[64];
    (void)state;

    tars_signoff_role_principal("QA Lead", out, sizeof(out));
    assert_string_equal(out, "role:qa-lead");
    tars_signoff_role_principal("  Release  Manager! ", out, sizeof(out));
    assert_string_equal(out, "role:release-manager");
    tars_signoff_role_principal("SRE Lead/On-call 2", out, sizeof(out));
    assert_string_equal(out, "role:sre-lead-on-call-2");
}

static void test_report_header_digest(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char path[256], digest[TARS_DIGEST_LEN], text[256];
    (void)state;

    snprintf(path, sizeof(path), "%s/report.md", root);
    put("report.md", "**Evidence digest:** `sha256:0000`\n");
    assert_int_equal(tars_signoff_report_digest(path, digest, &err), TARS_ENOTFOUND);
    snprintf(text, sizeof(text), "# R\n**Evidence digest:** `sha256:%064d` (section 11)\n", 7);
    put("report.md", text);
    assert_int_equal(tars_signoff_report_digest(path, digest, &err), TARS_OK);
    assert_int_equal(strlen(digest), 71);
    assert_string_equal(digest + 70, "7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing_and_digest),
        cmocka_unit_test(test_a_link_or_no_run_json_is_refused),
        cmocka_unit_test(test_role_principals),
        cmocka_unit_test(test_report_header_digest),
    };
    return cmocka_run_group_tests(tests, make_run, remove_run);
}
