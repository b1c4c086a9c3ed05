/* Unit tests for lib/yaml: core-schema scalars, positions, errors, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "tars/yaml.h"

static tars_yaml_doc *load(const char *text, struct tars_err *err)
{
    return tars_yaml_load_string("t.yaml", text, strlen(text), err);
}

static void test_core_schema_scalars(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_yaml_doc *d =
        load("a: 1\nb: -2.5\nc: true\nd: ~\ne: '1'\nf: hello world\ng: 0x10\nh:\n", &err);
    json_t *r;
    (void)state;

    assert_non_null(d);
    r = tars_yaml_root(d);
    assert_int_equal(json_integer_value(json_object_get(r, "a")), 1);
    assert_true(json_is_real(json_object_get(r, "b")));
    assert_true(json_real_value(json_object_get(r, "b")) == -2.5);
    assert_true(json_is_true(json_object_get(r, "c")));
    assert_true(json_is_null(json_object_get(r, "d")));
    assert_string_equal(json_string_value(json_object_get(r, "e")), "1");
    assert_string_equal(json_string_value(json_object_get(r, "f")), "hello world");
    assert_string_equal(json_string_value(json_object_get(r, "g")), "0x10");
    assert_true(json_is_null(json_object_get(r, "h")));
    tars_yaml_free(d);
}

static void test_positions_point_at_nodes(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_yaml_doc *d = load("checks:\n  - name: x\n    type: htp\n", &err);
    json_t *check, *type;
    char where[64];
    (void)state;

    assert_non_null(d);
    check = json_array_get(json_object_get(tars_yaml_root(d), "checks"), 0);
    type = json_object_get(check, "type");
    tars_yaml_where(d, type, where, sizeof(where));
    assert_string_equal(where, "t.yaml:3:11");
    assert_int_equal(tars_yaml_error(d, type, &err, TARS_EINVAL, "unknown check type \"%s\"",
                                     json_string_value(type)),
                     TARS_EINVAL);
    assert_string_equal(err.msg, "t.yaml:3:11: unknown check type \"htp\"");
    tars_yaml_free(d);
}

static void test_syntax_error_has_position(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_null(load("a: [1, 2\nb: 3\n", &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_non_null(strstr(err.msg, "t.yaml:"));
    assert_null(load("a: [1\n", &err));
    assert_true(strncmp(err.msg, "t.yaml:1:", 9) == 0 || strncmp(err.msg, "t.yaml:2:", 9) == 0);
    assert_null(strstr(err.msg, "not valid YAML"));
    assert_null(load("a: 1\na: 2\n", &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_null(load("", &err));
    assert_int_equal(err.code, TARS_EINVAL);
}

static void test_aliases_expand_and_bombs_stop(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_yaml_doc *d = load("base: &b {x: 1}\nuse: *b\n", &err);
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    (void)state;

    assert_non_null(d);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(tars_yaml_root(d), "use"), "x")), 1);
    tars_yaml_free(d);
    assert_null(load(bomb, &err));
    assert_int_equal(err.code, TARS_ETOOBIG);
}

/* "%n" and a byte that is not UTF-8: libfyaml 0.7.12 spun forever on these
 * three bytes (fy_scan_directive). Now an error naming the spot. */
static void test_three_byte_hang_is_an_error(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_null(tars_yaml_load_string("t.yaml", "%n\xb6", 3, &err));
    assert_int_equal(err.code, TARS_EINVAL);
    assert_true(strncmp(err.msg, "t.yaml:1:", 9) == 0);
    assert_null(load("a: \xb6\n", &err));
    assert_non_null(strstr(err.msg, "t.yaml:1:4: invalid leading UTF-8 octet"));
}

static void test_limits_name_the_spot(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char deep[300] = "a: ";
    (void)state;

    for (int i = 0; i <= TARS_YAML_MAX_DEPTH; i++)
        strcat(deep, "[");
    assert_null(load(deep, &err));
    assert_int_equal(err.code, TARS_ETOOBIG);
    assert_non_null(strstr(err.msg, "nested deeper than 64 levels"));
    assert_null(load("a: 1\n---\nb: 2\n", &err));
    assert_string_equal(err.msg, "t.yaml:2:1: only one document per file");
    assert_null(load("a: 1\na: 2\n", &err));
    assert_string_equal(err.msg, "t.yaml:2:1: duplicate key \"a\"");
    assert_null(load("a: *nope\n", &err));
    assert_string_equal(err.msg, "t.yaml:1:4: unknown alias *nope");
    assert_null(load("# only a comment\n", &err));
    assert_string_equal(err.msg, "t.yaml: the document is empty");
}

/* 90,000 anchors, then 90,000 aliases of the first: each alias is found
 * without scanning the anchors (a scan made this 2 MB file take minutes). */
static void test_many_anchors_stay_fast(void **state)
{
    enum { N = 90000 };
    struct tars_err err = TARS_ERR_INIT;
    size_t cap = (size_t)N * 24 + 64, len = 0;
    char *text = malloc(cap);
    struct timespec t0, t1;
    tars_yaml_doc *d;
    (void)state;

    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "a:\n");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len, "  - &a%d x\n", i);
    len += (size_t)snprintf(text + len, cap - len, "b:\n");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len, "  - *a0\n");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    d = tars_yaml_load_string("t.yaml", text, len, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!d)
        fail_msg("%s", err.msg);
    assert_int_equal(json_array_size(json_object_get(tars_yaml_root(d), "b")), N);
    assert_true(t1.tv_sec - t0.tv_sec < 30);
    tars_yaml_free(d);
    free(text);
}

static void test_missing_file(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_null(tars_yaml_load_file("/nonexistent/suite.yaml", &err));
    assert_int_equal(err.code, TARS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/suite.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_schema_scalars),
        cmocka_unit_test(test_positions_point_at_nodes),
        cmocka_unit_test(test_syntax_error_has_position),
        cmocka_unit_test(test_aliases_expand_and_bombs_stop),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_three_byte_hang_is_an_error),
        cmocka_unit_test(test_limits_name_the_spot),
        cmocka_unit_test(test_many_anchors_stay_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
