/* Unit tests for the suite loader: variables, secrets, errors with positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tars/check.h"

static char path[64];

static void write_suite(const char *text)
{
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/tars-suite-test-%d.yaml", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int load(const char *text, const struct tars_var *vars, size_t n, struct tars_suite *s,
                struct tars_err *err)
{
    int rc;
    write_suite(text);
    rc = tars_suite_load(path, vars, n, s, err);
    unlink(path);
    return rc;
}

static void test_variables_precedence_and_defaults(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_var vars[] = {{"HOST", "from-cli"}};
    (void)state;

    unsetenv("TARS_UNSET_PATH_VAR");
    setenv("TARS_TEST_PORT", "9999", 1);
    setenv("HOST", "from-env", 1);
    assert_int_equal(
        load("suite: t\n"
             "variables:\n  HOST: from-suite\n  PORT: {env: TARS_TEST_PORT, default: '1'}\n"
             "checks:\n"
             "  - {id: a, category: c, type: http, url: "
             "'http://${HOST}:${PORT}${TARS_UNSET_PATH_VAR:-/health}'}\n",
             vars, 1, &s, &err),
        TARS_OK);
    assert_string_equal(json_string_value(json_object_get(s.checks[0].params, "url")),
                        "http://from-cli:9999/health");
    tars_suite_release(&s);
    assert_int_equal(
        load("suite: t\nchecks:\n  - {id: a, category: c, type: http, url: 'http://${HOST}/'}\n",
             NULL, 0, &s, &err),
        TARS_OK);
    assert_string_equal(json_string_value(json_object_get(s.checks[0].params, "url")),
                        "http://from-env/");
    tars_suite_release(&s);
    unsetenv("HOST");
}

static void test_missing_variable_is_an_error_with_position(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    unsetenv("TARS_NOT_SET_ANYWHERE");
    assert_int_equal(load("suite: t\nchecks:\n  - id: a\n    category: c\n    type: http\n"
                          "    url: 'http://${TARS_NOT_SET_ANYWHERE}/'\n",
                          NULL, 0, &s, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "TARS_NOT_SET_ANYWHERE"));
    assert_non_null(strstr(err.msg, ":6:")); /* the url line */
}

static void test_secrets_are_masked(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_var vars[] = {{"TOKEN", "s3cr3t-value"}};
    char out[128];
    (void)state;

    assert_int_equal(load("suite: t\nvariables:\n  TOKEN: {secret: true}\n"
                          "checks:\n  - {id: a, category: c, type: http, url: 'http://x/', "
                          "headers: {Authorization: 'Bearer ${TOKEN}'}}\n",
                          vars, 1, &s, &err),
                     TARS_OK);
    tars_check_secrets_mask(s.secrets, "401 for Bearer s3cr3t-value at x", out, sizeof(out));
    assert_string_equal(out, "401 for Bearer **** at x");
    tars_suite_release(&s);
}

/* A reason is masked once, as the runner stores it: the http check's error
 * names its URL, path included, and the secret in that path is gone from
 * the stored result every output writes. */
static void test_secrets_masked_when_stored(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_var vars[] = {{"TOKEN", "s3cr3t-value"}};
    struct tars_check_filter all = {0};
    struct tars_check_result results[1];
    bool selected[1];
    (void)state;

    /* port 1 on loopback: refused at once */
    assert_int_equal(load("suite: t\nvariables:\n  TOKEN: {secret: true}\n"
                          "checks:\n  - {id: a, category: c, type: http, retries: 0,"
                          " url: 'http://127.0.0.1:1/${TOKEN}'}\n",
                          vars, 1, &s, &err),
                     TARS_OK);
    assert_int_equal(tars_suite_run(&s, &all, 1, results, selected, NULL, NULL, &err), TARS_OK);
    assert_int_equal(results[0].status, TARS_CHECK_ERROR);
    assert_non_null(strstr(results[0].reason, "127.0.0.1:1/****"));
    assert_null(strstr(results[0].reason, "s3cr3t"));
    tars_suite_release(&s);
}

/* The suite's own message text after "PATH:" (the file name varies). */
static const char *after_path(const struct tars_err *err)
{
    size_t n = strlen(path);
    return strncmp(err->msg, path, n) == 0 ? err->msg + n : err->msg;
}

static void test_unknown_field_and_type_list_the_valid_ones(void **state)
{
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"suite: t\nchecks:\n  - {id: a, category: c, type: htp, url: x}\n",
         ":3:32: check \"a\": unknown check type \"htp\" (did you mean \"http\"?)"},
        {"suite: t\nchecks:\n  - {id: a, category: c, type: ftp, url: x}\n",
         ":3:32: check \"a\": unknown check type \"ftp\"; valid: "},
        {"suite: t\nchecks:\n  - {id: a, category: c, type: http, urll: x}\n",
         ":3:44: check \"a\": unknown key \"urll\" in a check (did you mean \"url\"?)"},
        {"suite: t\nchecks:\n  - {id: a, category: c, type: http, url: x, colour: red}\n",
         ":3:54: check \"a\": unknown key \"colour\" in a check; valid: id, name, description, "
         "category, "},
        {"suite: t\ndeadlin: 5m\nchecks:\n  - {id: a, category: c, type: http, url: x}\n",
         ":2:10: unknown key \"deadlin\" in a suite (did you mean \"deadline\"?)"},
        {"suite: t\ndefaults: {timeout: 1s, retires: 2}\nchecks:\n  - {id: a, category: c, type: "
         "http, "
         "url: x}\n",
         ":2:34: unknown key \"retires\" in defaults (did you mean \"retries\"?)"},
        {"suite: t\nchecks:\n  - {id: a, category: c, type: http, url: x, on_empty: skp}\n",
         ":3:56: check \"a\": on_empty must be one of error, fail, skip, not \"skp\" (did you mean "
         "\"skip\"?)"},
        {"suite: t\nchecks:\n  - {id: a, category: c, type: http, url: x, retries: 11}\n",
         ":3:55: check \"a\": retries must be between 0 and 10"},
        {"suite: t\nchecks:\n  - {id: a, category: c, type: http, url: x, tags: [1]}\n",
         ":3:53: check \"a\": an item of tags must be a string, not a number"},
        {"suite: t\nchecks:\n  - {id: a, type: http, url: x}\n",
         ":3:5: check \"a\": category is required"},
    };
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(load(cases[i].yaml, NULL, 0, &s, &err), TARS_EINVAL);
        if (strncmp(after_path(&err), cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, err.msg, cases[i].want);
    }
}

static void test_duplicate_ids_and_bad_fields(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(load("suite: t\nchecks:\n  - {id: a, category: c, type: http, url: x}\n"
                          "  - {id: a, category: c, type: http, url: y}\n",
                          NULL, 0, &s, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "duplicate check id \"a\""));
    assert_int_equal(
        load("suite: t\nchecks:\n  - {id: a, category: c, type: http, url: x, timeout: soon}\n",
             NULL, 0, &s, &err),
        TARS_EINVAL);
    assert_non_null(strstr(err.msg, "duration"));
    assert_int_equal(load("suite: t\nchecks: []\n", NULL, 0, &s, &err), TARS_EINVAL);
    assert_int_equal(
        load("suite: t\nchecks:\n  - {id: a, type: http, url: x}\n", NULL, 0, &s, &err),
        TARS_EINVAL);
    assert_non_null(strstr(err.msg, "category"));
}

static void test_defaults_apply(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(
        load("suite: t\ndefaults: {timeout: 2s, retries: 3, retry_delay: 250ms}\n"
             "checks:\n  - {id: a, category: c, type: http, url: x}\n"
             "  - {id: b, category: c, type: http, url: x, timeout: 500ms, on_empty: skip}\n",
             NULL, 0, &s, &err),
        TARS_OK);
    assert_int_equal(s.checks[0].timeout_ms, 2000);
    assert_int_equal(s.checks[0].retries, 3);
    assert_int_equal(s.checks[0].retry_delay_ms, 250);
    assert_int_equal(s.checks[1].timeout_ms, 500);
    assert_int_equal(s.checks[1].on_empty, TARS_ON_EMPTY_SKIP);
    tars_suite_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variables_precedence_and_defaults),
        cmocka_unit_test(test_missing_variable_is_an_error_with_position),
        cmocka_unit_test(test_secrets_are_masked),
        cmocka_unit_test(test_secrets_masked_when_stored),
        cmocka_unit_test(test_unknown_field_and_type_list_the_valid_ones),
        cmocka_unit_test(test_duplicate_ids_and_bad_fields),
        cmocka_unit_test(test_defaults_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
