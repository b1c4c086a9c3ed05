/* Unit tests for lib/load templates: every function, escaping, errors with
 * their columns, determinism, ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "template_int.h"
#include "tars/buf.h"
#include "tars/load.h"

/* Renders text once with a fixed state; returns a static copy. */
static const char *render_once(const char *text, uint64_t seq)
{
    static char out[512];
    uint64_t rng[4] = {1, 2, 3, 4};
    struct tars_buf b = TARS_BUF_INIT(4096);
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = tars_load_template_compile(text, &err);

    assert_non_null(t);
    assert_int_equal(tars_load_template_render(t, seq, rng, &b), TARS_OK);
    snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
    tars_buf_release(&b);
    tars_load_template_free(t);
    return out;
}

static void assert_compile_error(const char *text, const char *message)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = tars_load_template_compile(text, &err);

    if (t)
        fail_msg("\"%s\" compiled", text);
    assert_int_equal(err.code, TARS_EINVAL);
    assert_string_equal(err.msg, message);
}

static void test_literals_and_dollars(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = tars_load_template_compile("/api/v1/agents", &err);
    (void)state;

    assert_non_null(t);
    assert_true(tars_load_template_is_constant(t));
    tars_load_template_free(t);
    assert_string_equal(render_once("/api/v1/agents", 0), "/api/v1/agents");
    assert_string_equal(render_once("a$$b", 0), "a$b");
    assert_string_equal(render_once("$$${seq}", 7), "$7");
    assert_string_equal(render_once("$${seq}", 7), "${seq}");
    assert_string_equal(render_once("price $5 or $", 0), "price $5 or $");
    assert_string_equal(render_once("", 0), "");
}

static void test_seq(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = tars_load_template_compile("/e/${seq}?n=${ seq }", &err);
    (void)state;

    assert_non_null(t);
    assert_false(tars_load_template_is_constant(t));
    tars_load_template_free(t);
    assert_string_equal(render_once("/e/${seq}?n=${ seq }", 42), "/e/42?n=42");
    assert_string_equal(render_once("${seq()}", 18446744073709551615ull), "18446744073709551615");
}

static void test_random_int_range_and_ends(void **state)
{
    uint64_t rng[4] = {11, 22, 33, 44};
    struct tars_buf b = TARS_BUF_INIT(64);
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = tars_load_template_compile("${random.int( -2 , 2 )}", &err);
    int hits[5] = {0};
    (void)state;

    assert_non_null(t);
    for (int i = 0; i < 2000; i++) {
        long v;
        tars_buf_reset(&b);
        assert_int_equal(tars_load_template_render(t, 0, rng, &b), TARS_OK);
        v = strtol(b.data, NULL, 10);
        assert_in_range(v + 2, 0, 4);
        hits[v + 2]++;
    }
    for (int i = 0; i < 5; i++)
        assert_true(hits[i] > 0);
    tars_load_template_free(t);
    tars_buf_release(&b);
    assert_string_equal(render_once("${random.int(7,7)}", 0), "7");
    assert_string_equal(render_once("${random.int(-9223372036854775808,-9223372036854775808)}", 0),
                        "-9223372036854775808");
    assert_string_equal(render_once("${random.int(9223372036854775807,9223372036854775807)}", 0),
                        "9223372036854775807");
    /* the whole 64-bit range renders some integer */
    assert_true(strlen(render_once("${random.int(-9223372036854775808,9223372036854775807)}", 0)) >
                0);
}

static void test_random_choice_hits_every_item(void **state)
{
    uint64_t rng[4] = {5, 6, 7, 8};
    struct tars_buf b = TARS_BUF_INIT(64);
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t =
        tars_load_template_compile("${random.choice(policy, \"z, with comma\", \"q\\\"x\")}", &err);
    int hits[3] = {0};
    (void)state;

    assert_non_null(t);
    for (int i = 0; i < 600; i++) {
        tars_buf_reset(&b);
        assert_int_equal(tars_load_template_render(t, 0, rng, &b), TARS_OK);
        if (strcmp(b.data, "policy") == 0)
            hits[0]++;
        else if (strcmp(b.data, "z, with comma") == 0)
            hits[1]++;
        else if (strcmp(b.data, "q\"x") == 0)
            hits[2]++;
        else
            fail_msg("unexpected item \"%s\"", b.data);
    }
    assert_true(hits[0] > 100 && hits[1] > 100 && hits[2] > 100);
    tars_load_template_free(t);
    tars_buf_release(&b);
    assert_string_equal(render_once("${random.choice(only one)}", 0), "only one");
    /* Empty items render as nothing (once copied to a NULL pool: UBSan). */
    assert_string_equal(render_once("${random.choice(\"\")}", 0), "");
    assert_string_equal(render_once("${random.choice(\"\", \"\")}x", 0), "x");
}

static void test_uuid(void **state)
{
    const char *u = render_once("${uuid}", 0);
    char first[40];
    (void)state;

    assert_int_equal(strlen(u), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", u[i]));
    }
    assert_int_equal(u[14], '4');
    assert_non_null(strchr("89ab", u[19]));
    snprintf(first, sizeof(first), "%s", u);
    u = render_once("${uuid} ${uuid}", 0);
    assert_int_equal(strncmp(u, first, 36), 0); /* same state, same first UUID */
    assert_int_not_equal(strncmp(u, u + 37, 36), 0);
}

static void test_env(void **state)
{
    (void)state;
    setenv("TARS_TEST_TEMPLATE_VAR", "v1", 1);
    assert_string_equal(render_once("x=${env.TARS_TEST_TEMPLATE_VAR}", 0), "x=v1");
    unsetenv("TARS_TEST_TEMPLATE_MISSING");
    assert_compile_error("ab${env.TARS_TEST_TEMPLATE_MISSING}",
                         "environment variable \"TARS_TEST_TEMPLATE_MISSING\" is not set at "
                         "column 5");
    assert_compile_error("${env.9x}", "bad environment variable name \"9x\" at column 3");
}

static void test_errors_name_their_column(void **state)
{
    (void)state;
    assert_compile_error("ab${random.foo(1)}",
                         "unknown template function \"random.foo\" at column 5");
    assert_compile_error("x${seq", "unterminated \"${\" at column 2");
    assert_compile_error("x${random.int(1,", "unterminated \"${\" at column 2");
    assert_compile_error("${random.int(5,1)}", "random.int: low 5 is above high 1 at column 3");
    assert_compile_error("${random.int(1)}",
                         "random.int takes two integers: random.int(low, high) at column 3");
    assert_compile_error("${random.int(a,2)}",
                         "random.int: \"a\" is not a 64-bit integer at column 14");
    assert_compile_error(
        "${random.int(1,9223372036854775808)}",
        "random.int: \"9223372036854775808\" is not a 64-bit integer at column 16");
    assert_compile_error("${random.choice()}", "random.choice needs at least one item at column 3");
    assert_compile_error("${random.choice(a,,b)}", "empty argument at column 19");
    assert_compile_error("${random.choice(\"abc)}", "unterminated string at column 17");
    assert_compile_error("${random.choice(a b\"c\")}", "expected \",\" or \")\" at column 20");
    assert_compile_error("${seq(1)}", "\"seq\" takes no arguments at column 3");
    assert_compile_error("${}", "expected a function name after \"${\" at column 3");
    assert_compile_error("${seq x}", "expected \"}\" after \"seq\" at column 7");
    assert_compile_error("{\n  \"a\": ${nope}\n}",
                         "unknown template function \"nope\" at line 2, column 10");
}

static void render_many(const char *text, uint64_t seed, struct tars_buf *b)
{
    uint64_t rng[4] = {seed, seed * 3 + 1, seed * 7 + 2, seed * 13 + 3};
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = tars_load_template_compile(text, &err);

    assert_non_null(t);
    for (uint64_t i = 0; i < 200; i++) {
        assert_int_equal(tars_load_template_render(t, i, rng, b), TARS_OK);
        assert_int_equal(tars_buf_append(b, "\n", 1), TARS_OK);
    }
    tars_load_template_free(t);
}

static void test_same_seed_same_renders(void **state)
{
    const char *text = "${seq}:${random.int(0,1000000)}:${uuid}:${random.choice(a,b,c)}";
    struct tars_buf a = TARS_BUF_INIT(1 << 20), b = TARS_BUF_INIT(1 << 20),
                    c = TARS_BUF_INIT(1 << 20);
    (void)state;

    render_many(text, 99, &a);
    render_many(text, 99, &b);
    render_many(text, 100, &c);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_false(a.len == c.len && memcmp(a.data, c.data, a.len) == 0);
    tars_buf_release(&a);
    tars_buf_release(&b);
    tars_buf_release(&c);
}

static void test_render_respects_the_buffer_bound(void **state)
{
    uint64_t rng[4] = {1, 2, 3, 4};
    struct tars_buf b = TARS_BUF_INIT(10);
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = tars_load_template_compile("0123456789-${uuid}", &err);
    (void)state;

    assert_non_null(t);
    assert_int_equal(tars_load_template_render(t, 0, rng, &b), TARS_ETOOBIG);
    tars_load_template_free(t);
    tars_buf_release(&b);
}

/* The JSON-string mode a mapping body uses: literals and items escaped. */
static void test_json_string_mode(void **state)
{
    uint64_t rng[4] = {1, 2, 3, 4};
    struct tars_buf b = TARS_BUF_INIT(256);
    struct tars_err err = TARS_ERR_INIT;
    tars_load_template *t = template_new(), *n = template_new();
    const char *text = "say \"${random.choice(\"a\\\"b\")}\"\n";
    (void)state;

    template_add_literal(t, "\"", 1);
    assert_int_equal(template_add_text(t, text, strlen(text), true, &err), TARS_OK);
    template_add_literal(t, "\"", 1);
    assert_int_equal(tars_load_template_render(t, 0, rng, &b), TARS_OK);
    assert_string_equal(b.data, "\"say \\\"a\\\"b\\\"\\u000a\"");
    assert_false(template_is_single_number(t));
    assert_int_equal(template_add_text(n, "${random.int(1,2)}", 18, false, &err), TARS_OK);
    assert_true(template_is_single_number(n));
    tars_load_template_free(t);
    tars_load_template_free(n);
    tars_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_and_dollars),
        cmocka_unit_test(test_seq),
        cmocka_unit_test(test_random_int_range_and_ends),
        cmocka_unit_test(test_random_choice_hits_every_item),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_errors_name_their_column),
        cmocka_unit_test(test_same_seed_same_renders),
        cmocka_unit_test(test_render_respects_the_buffer_bound),
        cmocka_unit_test(test_json_string_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
