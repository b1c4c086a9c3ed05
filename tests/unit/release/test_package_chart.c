/* Unit tests for the Chart.yaml editor: only the top-level version and
 * appVersion change; every other byte (apiVersion, comments, order, line
 * endings) stays as it was, whatever tricks the file plays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/package.h"

/* Edits in to 1.0.1 and compares with want. */
static void expect_edit(const char *in, const char *want)
{
    struct tars_buf out = TARS_BUF_INIT(1 << 20);
    struct tars_err err = TARS_ERR_INIT;

    if (tars_chart_set_versions(in, strlen(in), "1.0.1", "1.0.1", &out, &err) != TARS_OK)
        fail_msg("edit failed: %s\n--- input\n%s", err.msg, in);
    if (strcmp(out.data, want) != 0)
        fail_msg("--- got\n%s--- want\n%s", out.data, want);
    tars_buf_release(&out);
}

static void expect_refused(const char *in, const char *what)
{
    struct tars_buf out = TARS_BUF_INIT(1 << 20);
    struct tars_err err = TARS_ERR_INIT;

    assert_int_equal(tars_chart_set_versions(in, strlen(in), "1.0.1", "1.0.1", &out, &err),
                     TARS_EINVAL);
    if (!strstr(err.msg, what))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, what);
    tars_buf_release(&out);
}

static void test_api_version_and_comments_untouched(void **state)
{
    (void)state;
    /* the original's regex turned this apiVersion into v1.0.1 (docs/package.md) */
    expect_edit("apiVersion: v2\n"
                "# version: 0.0.1 was the first release\n"
                "name: tars\n"
                "version: 0.3.0 # bumped by CI; version: here is a comment\n"
                "appVersion: 0.3.0-alpha\n"
                "kubeVersion: \">=1.24.0\"\n",
                "apiVersion: v2\n"
                "# version: 0.0.1 was the first release\n"
                "name: tars\n"
                "version: 1.0.1 # bumped by CI; version: here is a comment\n"
                "appVersion: 1.0.1\n"
                "kubeVersion: \">=1.24.0\"\n");
}

static void test_quoting_kept(void **state)
{
    (void)state;
    /* the original made appVersion: "1.0.1"-alpha" of this */
    expect_edit("apiVersion: v2\nname: tars\nversion: '0.3.0'\nappVersion: \"0.3.0-alpha\"\n",
                "apiVersion: v2\nname: tars\nversion: '1.0.1'\nappVersion: \"1.0.1\"\n");
}

static void test_absent_keys_are_added(void **state)
{
    (void)state;
    expect_edit("apiVersion: v2\nname: tars\n",
                "apiVersion: v2\nname: tars\nversion: \"1.0.1\"\nappVersion: \"1.0.1\"\n");
    /* no final newline: one is added before the new keys */
    expect_edit("apiVersion: v2\nversion: 0.1.0\nname: tars",
                "apiVersion: v2\nversion: 1.0.1\nname: tars\nappVersion: \"1.0.1\"\n");
}

static void test_nested_and_block_values_ignored(void **state)
{
    (void)state;
    expect_edit("apiVersion: v2\n"
                "description: |\n"
                "  version: 9.9.9 inside a literal block\n"
                "\n"
                "  appVersion: 9\n"
                "dependencies:\n"
                "  - name: postgresql\n"
                "    version: 12.1.0\n"
                "keywords:\n"
                "- version\n"
                "- name: x\n"
                "  version: 1\n"
                "maintainers: [{name: a, version: 3}, \n"
                "  {name: b}]\n"
                "annotations:\n"
                "  appVersion: \"7\"\n"
                "version: 0.1.0\n"
                "appVersion: 0.1.0\n",
                "apiVersion: v2\n"
                "description: |\n"
                "  version: 9.9.9 inside a literal block\n"
                "\n"
                "  appVersion: 9\n"
                "dependencies:\n"
                "  - name: postgresql\n"
                "    version: 12.1.0\n"
                "keywords:\n"
                "- version\n"
                "- name: x\n"
                "  version: 1\n"
                "maintainers: [{name: a, version: 3}, \n"
                "  {name: b}]\n"
                "annotations:\n"
                "  appVersion: \"7\"\n"
                "version: 1.0.1\n"
                "appVersion: 1.0.1\n");
}

static void test_multiline_quoted_value_is_one_value(void **state)
{
    (void)state;
    /* the second line starts in column 0 but belongs to the quoted scalar */
    expect_edit("description: \"a chart\n"
                "version: 5.5.5 is text\"\n"
                "appVersion: '1\n"
                "  2'\n"
                "version: 0.0.1\n",
                "description: \"a chart\n"
                "version: 5.5.5 is text\"\n"
                "appVersion: \"1.0.1\"\n"
                "version: 1.0.1\n");
}

static void test_crlf_and_document_marker(void **state)
{
    (void)state;
    expect_edit("---\r\napiVersion: v2\r\nversion: 0.1.0\r\n",
                "---\r\napiVersion: v2\r\nversion: 1.0.1\r\nappVersion: \"1.0.1\"\r\n");
}

static void test_empty_values(void **state)
{
    (void)state;
    expect_edit("version:\nappVersion: # to be set\nname: tars\n",
                "version: \"1.0.1\"\nappVersion: \"1.0.1\" # to be set\nname: tars\n");
}

static void test_edit_is_idempotent(void **state)
{
    const char *in = "apiVersion: v2\n# c\nversion: 0.1.0\nname: t\n";
    struct tars_buf once = TARS_BUF_INIT(1 << 16), twice = TARS_BUF_INIT(1 << 16);
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_chart_set_versions(in, strlen(in), "1.0.1", "1.0.1", &once, &err), 0);
    assert_int_equal(tars_chart_set_versions(once.data, once.len, "1.0.1", "1.0.1", &twice, &err),
                     0);
    assert_string_equal(once.data, twice.data);
    tars_buf_release(&once);
    tars_buf_release(&twice);
}

static void test_bad_charts_refused(void **state)
{
    (void)state;
    expect_refused("version: 1\nname: a\nversion: 2\n", "appears twice");
    expect_refused("- a\n- b\n", "not a \"key: value\" line");
    expect_refused("name: \"unterminated\nversion: 1\n", "unterminated");
    expect_refused("just text\n", "expected \"key: value\"");
}

static void test_unsafe_value_refused(void **state)
{
    struct tars_buf out = TARS_BUF_INIT(1024);
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_chart_set_versions("a: 1\n", 5, "1.0\"\n", "1", &out, &err), TARS_EINVAL);
    tars_buf_release(&out);
}

static void test_get_values(void **state)
{
    const char *t = "apiVersion: v2\n# version: 7\nname: 'it''s'\nversion: 1.2.3 # c\n"
                    "appVersion: \"1.2.3\\\"x\"\ndescription: |\n  text\n";
    char v[64];
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_chart_get(t, strlen(t), "version", v, sizeof(v), &err), TARS_OK);
    assert_string_equal(v, "1.2.3");
    assert_int_equal(tars_chart_get(t, strlen(t), "appVersion", v, sizeof(v), &err), TARS_OK);
    assert_string_equal(v, "1.2.3\"x");
    assert_int_equal(tars_chart_get(t, strlen(t), "name", v, sizeof(v), &err), TARS_OK);
    assert_string_equal(v, "it's");
    assert_int_equal(tars_chart_get(t, strlen(t), "apiVersion", v, sizeof(v), &err), TARS_OK);
    assert_string_equal(v, "v2");
    assert_int_equal(tars_chart_get(t, strlen(t), "kubeVersion", v, sizeof(v), &err),
                     TARS_ENOTFOUND);
    assert_int_equal(tars_chart_get(t, strlen(t), "description", v, sizeof(v), &err), TARS_EINVAL);
    assert_int_equal(tars_chart_get(t, strlen(t), "version", v, 3, &err), TARS_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_version_and_comments_untouched),
        cmocka_unit_test(test_quoting_kept),
        cmocka_unit_test(test_absent_keys_are_added),
        cmocka_unit_test(test_nested_and_block_values_ignored),
        cmocka_unit_test(test_multiline_quoted_value_is_one_value),
        cmocka_unit_test(test_crlf_and_document_marker),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_edit_is_idempotent),
        cmocka_unit_test(test_bad_charts_refused),
        cmocka_unit_test(test_unsafe_value_refused),
        cmocka_unit_test(test_get_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
