/* Unit tests for lib/report/template*.c: the report template language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "tars/report_template.h"

/* Renders text against values (a JSON object text); returns a heap string
 * (or NULL with the error in err) and the unresolved names in *unresolved. */
static char *render(const char *text, const char *values, const char *reasons, bool mark,
                    json_t **unresolved, struct tars_err *err)
{
    tars_tpl *t = NULL;
    struct tars_buf out = TARS_BUF_INIT(1 << 20);
    struct tars_tpl_env env = {0};
    json_t *un = json_array();
    char *s = NULL;

    env.values = json_loads(values, 0, NULL);
    env.reasons = reasons ? json_loads(reasons, 0, NULL) : NULL;
    env.mark_values = mark;
    assert_non_null(env.values);
    if (tars_tpl_parse("t.md", text, strlen(text), &t, err) == TARS_OK &&
        tars_tpl_render(t, &env, &out, un, err) == TARS_OK)
        s = tars_buf_take(&out, NULL);
    if (s == NULL && out.data == NULL && err->code == 0)
        s = strdup("");
    tars_buf_release(&out);
    tars_tpl_free(t);
    json_decref(env.values);
    json_decref(env.reasons);
    if (unresolved)
        *unresolved = un;
    else
        json_decref(un);
    return s;
}

static void expect_render(const char *text, const char *values, const char *want)
{
    struct tars_err err = TARS_ERR_INIT;
    char *s = render(text, values, NULL, false, NULL, &err);

    if (!s)
        fail_msg("render failed: %s", err.msg);
    assert_string_equal(s, want);
    free(s);
}

/* A value is text: escaped outside a code span, kept in its span and table cell inside one. */
static void test_values_are_text(void **state)
{
    struct tars_buf out = TARS_BUF_INIT(1024);

    (void)state;
    expect_render("r: {R}", "{\"R\": \"<b> *x* [l](u) a_b _c_ a|b ~s~ &amp; 3 < 4\"}",
                  "r: \\<b> \\*x\\* \\[l\\](u) a_b \\_c\\_ a\\|b \\~s\\~ \\&amp; 3 < 4");
    expect_render("| `{ID}` | {R} |", "{\"ID\": \"a`b|c\", \"R\": \"one\\ntwo\"}",
                  "| `a'b\\|c` | one two |");
    expect_render("{H}", "{\"H\": \"# not a heading\"}", "\\# not a heading");
    expect_render("x {H}", "{\"H\": \"# mid-line\"}", "x # mid-line");
    assert_int_equal(tars_tpl_escape("[a]", 3, &out), TARS_OK);
    assert_int_equal(out.len, 5);
    assert_memory_equal(out.data, "\\[a\\]", 5);
    tars_buf_release(&out);
}

static void expect_error(const char *text, const char *want)
{
    struct tars_err err = TARS_ERR_INIT;
    char *s = render(text, "{}", NULL, false, NULL, &err);

    assert_null(s);
    assert_int_not_equal(err.code, 0);
    if (!strstr(err.msg, want))
        fail_msg("error \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_placeholders(void **state)
{
    (void)state;
    expect_render("", "{}", "");
    expect_render("plain text", "{}", "plain text");
    expect_render("**SHA:** {GIT_SHA}.", "{\"GIT_SHA\":\"abc123\"}", "**SHA:** abc123.");
    expect_render("{A}{B_2}{A}", "{\"A\":\"x\",\"B_2\":7}", "x7x");
    expect_render("{R} {T} {F}", "{\"R\":1.5,\"T\":true,\"F\":false}", "1.5 yes no");
    /* braces that are not tags stay text; {{ writes one brace */
    expect_render("{ } {1} {\"a\":1} {{NAME}", "{}", "{ } {1} {\"a\":1} {NAME}");
    expect_render("a{! a comment }b", "{}", "ab");
    expect_render("ünï {X} ✅", "{\"X\":\"ok\"}", "ünï ok ✅");
}

static void test_unresolved(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *un;
    char *s;
    (void)state;

    s = render("{WS_P95} and {DB_P95} and {WS_P95} {NULLED}", "{\"NULLED\":null}",
               "{\"WS_P95\":\"no WebSocket run recorded\"}", false, &un, &err);
    assert_non_null(s);
    /* a reason is given once a line: the repeats read a bare n/a */
    assert_string_equal(s, "n/a (no WebSocket run recorded) and n/a (not recorded) and n/a n/a");
    assert_int_equal(json_array_size(un), 3);
    assert_string_equal(json_string_value(json_array_get(un, 0)), "WS_P95");
    assert_string_equal(json_string_value(json_array_get(un, 1)), "DB_P95");
    free(s);
    json_decref(un);
}

/* No unit after an n/a: "{P95} ms" without a value reads "n/a (why)", not "n/a (why) ms". */
static void test_no_unit_after_na(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char *s;
    (void)state;

    s = render("p95 {P95} ms, {RPS} req/s, {UP} %, {T} s; {G} ms.", "{\"G\":\"4.2\"}",
               "{\"P95\":\"no load\"}", false, NULL, &err);
    assert_non_null(s);
    assert_string_equal(s, "p95 n/a (no load), n/a (not recorded), n/a, n/a; 4.2 ms.");
    free(s);
    /* only a whole unit goes: "{X} seconds" and "{X} msgs" keep their words */
    s = render("{X} seconds\n{X} msgs\n{X} %s", "{}", "{}", false, NULL, &err);
    assert_non_null(s);
    assert_string_equal(s, "n/a (not recorded) seconds\nn/a (not recorded) msgs\n"
                           "n/a (not recorded) %s");
    free(s);
}

/* Each n/a gives its reason once, one level deep: "(hint)" inside a reason becomes ": hint",
 * and a second n/a with the same reason on the same line (a table row) is a bare n/a. */
static void test_na_reason_once(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char *s;
    (void)state;

    s = render("| {A} | {B} | {C} |\n| {A} |", "{}",
               "{\"A\":\"no stage recorded (tars release records stages)\","
               "\"B\":\"no stage recorded (tars release records stages)\",\"C\":\"other\"}",
               false, NULL, &err);
    assert_non_null(s);
    assert_string_equal(s,
                        "| n/a (no stage recorded: tars release records stages) | n/a | "
                        "n/a (other) |\n| n/a (no stage recorded: tars release records stages) |");
    free(s);
}

static void test_each(void **state)
{
    (void)state;
    expect_render("{#each L}[{N}:{OUTER}]{/each}",
                  "{\"OUTER\":\"o\",\"L\":[{\"N\":1},{\"N\":2,\"OUTER\":\"inner\"}]}",
                  "[1:o][2:inner]");
    expect_render("{#each L}x{/each}", "{\"L\":[]}", "");
    expect_render("{#each L}x{/each}", "{}", "");
    expect_render("{#each L}{#each M}{A}{B}{/each};{/each}",
                  "{\"L\":[{\"A\":\"a\",\"M\":[{\"B\":1},{\"B\":2}]},{\"A\":\"b\",\"M\":[]}]}",
                  "a1a2;;");
}

static void test_if_else(void **state)
{
    (void)state;
    expect_render("{#if X}yes{/if}", "{\"X\":\"v\"}", "yes");
    expect_render("{#if X}yes{/if}", "{}", "");
    expect_render("{#if X}yes{else}no{/if}", "{\"X\":false}", "no");
    expect_render("{#if X}yes{else}no{/if}", "{\"X\":\"\"}", "no");
    expect_render("{#if X}yes{else}no{/if}", "{\"X\":[]}", "no");
    expect_render("{#if X}yes{else}no{/if}", "{\"X\":0}", "yes");
    expect_render("{#if X}{#if Y}both{else}x{/if}{else}none{/if}", "{\"X\":1}", "x");
    expect_render("{#each L}{#if OK}+{else}-{/if}{/each}",
                  "{\"L\":[{\"OK\":true},{\"OK\":false},{}]}", "+--");
}

static void test_errors_with_positions(void **state)
{
    (void)state;
    expect_error("line one\n  {#each L}x", "t.md:2:3: unclosed {#each L} (missing {/each})");
    expect_error("{#if A}\n{/each}", "t.md:2:1: {/each} does not close an {#if} (the open block "
                                     "is {#if A} from 1:1)");
    expect_error("ab\ncd {/if}", "t.md:2:4: {/if} without an open block");
    expect_error("{#loop L}{/loop}", "t.md:1:1: unknown block");
    expect_error("x {else}", "t.md:1:3: {else} outside an {#if} block");
    expect_error("{#if A}{else}{else}{/if}", "t.md:1:14: second {else}");
    expect_error("{NAME", "t.md:1:1: unclosed tag");
    expect_error("{NAME lower}", "t.md:1:6: expected '}'");
    expect_error("é {lower}", "t.md:1:3: unknown tag");
    expect_error("{#each lower}{/each}", "t.md:1:8: expected a NAME");
    expect_error("{! never closed", "t.md:1:1: unclosed comment");
    expect_error("{/close}", "unknown closing tag");
}

static void test_bounds(void **state)
{
    char deep[2048] = "", name[100];
    struct tars_err err = TARS_ERR_INIT;
    tars_tpl *t = NULL;
    (void)state;

    for (int i = 0; i <= TARS_TEMPLATE_MAX_DEPTH; i++)
        strcat(deep, "{#if A}");
    expect_error(deep, "nested too deeply");
    memset(name, 'A', sizeof(name) - 1);
    name[0] = '{';
    name[sizeof(name) - 1] = '\0';
    expect_error(name, "name is too long");
    assert_int_equal(tars_tpl_parse("big", "x", TARS_TEMPLATE_MAX_BYTES + 1, &t, &err),
                     TARS_ETOOBIG);
    assert_null(t);
}

static void test_output_bound(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_tpl *t = NULL;
    struct tars_buf out = TARS_BUF_INIT(1000);
    struct tars_tpl_env env = {0};
    (void)state;

    env.values = json_pack("{s:[{},{},{},{},{},{},{},{},{},{},{},{}]}", "L");
    assert_int_equal(tars_tpl_parse("t",
                                    "{#each L}0123456789012345678901234567890123456789"
                                    "01234567890123456789012345678901234567890123456789"
                                    "{/each}",
                                    107, &t, &err),
                     TARS_OK);
    assert_int_equal(tars_tpl_render(t, &env, &out, NULL, &err), TARS_ETOOBIG);
    tars_buf_release(&out);
    tars_tpl_free(t);
    json_decref(env.values);
}

/* Nested #each blocks that print nothing: 8^12 rounds, no output at all. The
 * work budget stops them with the position of the block that ran out. */
static void test_work_budget(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char text[512] = "";
    tars_tpl *t = NULL;
    struct tars_buf out = TARS_BUF_INIT(1000);
    struct tars_tpl_env env = {0};
    (void)state;

    for (int i = 0; i < 12; i++)
        strcat(text, "{#each L}");
    for (int i = 0; i < 12; i++)
        strcat(text, "{/each}");
    env.values = json_pack("{s:[{},{},{},{},{},{},{},{}]}", "L");
    assert_int_equal(tars_tpl_parse("t.md", text, strlen(text), &t, &err), TARS_OK);
    assert_int_equal(tars_tpl_render(t, &env, &out, NULL, &err), TARS_ETOOBIG);
    assert_non_null(strstr(err.msg, "t.md:1:"));
    assert_non_null(strstr(err.msg, "work budget"));
    assert_int_equal(out.len, 0);
    tars_buf_release(&out);
    tars_tpl_free(t);
    json_decref(env.values);
}

/* 300,000 distinct placeholders without values: each is noted once without
 * scanning the ones before (a scan made this take minutes). */
static void test_many_unresolved_names_stay_fast(void **state)
{
    enum { N = 300000 };
    struct tars_err err = TARS_ERR_INIT;
    size_t cap = (size_t)N * 12, len = 0;
    char *text = malloc(cap);
    tars_tpl *t = NULL;
    struct tars_buf out = TARS_BUF_INIT(64u << 20);
    struct tars_tpl_env env = {0};
    json_t *un = json_array(), *names;
    struct timespec t0, t1;
    (void)state;

    assert_non_null(text);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len, "{N%d}", i);
    env.values = json_object();
    assert_int_equal(tars_tpl_parse("t.md", text, len, &t, &err), TARS_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    names = tars_tpl_names(t);
    assert_int_equal(tars_tpl_render(t, &env, &out, un, &err), TARS_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(json_array_size(names), N);
    assert_int_equal(json_array_size(un), N);
    assert_true(t1.tv_sec - t0.tv_sec < 30);
    json_decref(names);
    json_decref(un);
    json_decref(env.values);
    tars_buf_release(&out);
    tars_tpl_free(t);
    free(text);
}

static void test_type_errors_and_marks(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char *s;
    (void)state;

    assert_null(render("{L}", "{\"L\":[1]}", NULL, false, NULL, &err));
    assert_non_null(strstr(err.msg, "use {#each L}"));
    assert_null(render("{#each L}{/each}", "{\"L\":\"text\"}", NULL, false, NULL, &err));
    assert_non_null(strstr(err.msg, "not a list"));
    s = render("a {X} {Y}", "{\"X\":\"1\"}", NULL, true, NULL, &err);
    assert_string_equal(s, "a \x1e"
                           "1\x1f \x1en/a (not recorded)\x1f");
    free(s);
}

static void test_names(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_tpl *t = NULL;
    const char *text = "{A} {#each L}{B}{A}{/each}{#if C}{D}{else}{E}{/if}";
    json_t *names;
    char *dump;
    (void)state;

    assert_int_equal(tars_tpl_parse("t", text, strlen(text), &t, &err), TARS_OK);
    names = tars_tpl_names(t);
    dump = json_dumps(names, JSON_COMPACT);
    assert_string_equal(dump, "[\"A\",\"L\",\"B\",\"C\",\"D\",\"E\"]");
    free(dump);
    json_decref(names);
    tars_tpl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_unresolved),
        cmocka_unit_test(test_no_unit_after_na),
        cmocka_unit_test(test_na_reason_once),
        cmocka_unit_test(test_each),
        cmocka_unit_test(test_if_else),
        cmocka_unit_test(test_errors_with_positions),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_output_bound),
        cmocka_unit_test(test_type_errors_and_marks),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_work_budget),
        cmocka_unit_test(test_values_are_text),
        cmocka_unit_test(test_many_unresolved_names_stay_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
