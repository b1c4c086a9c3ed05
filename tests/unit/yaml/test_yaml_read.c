/* Table tests of the typed getters (tars/json.h) over YAML: every problem
 * worded one way, at file:line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/yaml.h"

enum op { STRING, INT, DOUBLE, ABOVE, BOOL, DURATION, ENUM, STRINGS, OBJECT, KEYS, ITEM_STRING };

struct getter_case {
    const char *yaml;
    enum op op;
    const char *key;
    const char *want; /* the whole message, or NULL: accepted */
};

static const char *const modes[] = {"error", "fail", "skip", NULL};
static const char *const allowed[] = {"duration", "users", NULL};

/* Runs one getter as the case says, on the root mapping of c.yaml. */
static int run(const struct getter_case *c, json_t *root, const struct tars_json_reader *rd)
{
    const char *s = NULL;
    int64_t i = 0;
    double d = 0;
    bool b = false;
    int e = 0;
    json_t *j = NULL;

    switch (c->op) {
    case STRING: return tars_json_get_string(rd, root, c->key, TARS_JSON_REQUIRED, 8, &s);
    case INT: return tars_json_get_int(rd, root, c->key, TARS_JSON_OPTIONAL, 0, 10, &i);
    case DOUBLE: return tars_json_get_double(rd, root, c->key, TARS_JSON_OPTIONAL, 1, 100, &d);
    case ABOVE: return tars_json_get_double_above(rd, root, c->key, TARS_JSON_OPTIONAL, 0, 1, &d);
    case BOOL: return tars_json_get_bool(rd, root, c->key, TARS_JSON_OPTIONAL, &b);
    case DURATION: return tars_json_get_duration(rd, root, c->key, TARS_JSON_OPTIONAL, 1, &i);
    case ENUM: return tars_json_get_enum(rd, root, c->key, TARS_JSON_OPTIONAL, modes, &e);
    case STRINGS: return tars_json_get_strings(rd, root, c->key, TARS_JSON_OPTIONAL, 1, 4, 8, &j);
    case OBJECT: return tars_json_get_object(rd, root, c->key, TARS_JSON_REQUIRED, &j);
    case KEYS: return tars_json_check_keys(rd, root, "the scenario", allowed, NULL);
    case ITEM_STRING:
        j = json_array_get(json_object_get(root, "checks"), 1);
        return tars_json_get_string(rd, j, c->key, TARS_JSON_REQUIRED, 8, &s);
    }
    return TARS_EINTERNAL;
}

static void run_cases(const struct getter_case *cases, size_t n, bool text)
{
    for (size_t i = 0; i < n; i++) {
        const struct getter_case *c = &cases[i];
        struct tars_err err = TARS_ERR_INIT;
        tars_yaml_doc *doc = tars_yaml_load_string("c.yaml", c->yaml, strlen(c->yaml), &err);
        struct tars_json_reader rd;
        int rc;

        if (!doc)
            fail_msg("case %zu: %s", i, err.msg);
        rd = tars_yaml_reader(doc, &err);
        rd.text_scalars = text;
        rc = run(c, tars_yaml_root(doc), &rd);
        tars_yaml_free(doc);
        if (c->want && (rc != TARS_EINVAL || strcmp(err.msg, c->want) != 0))
            fail_msg("case %zu: rc %d, \"%s\", want \"%s\"", i, rc, err.msg, c->want);
        if (!c->want && rc != TARS_OK)
            fail_msg("case %zu: rejected: %s", i, err.msg);
    }
}

static void test_getter_messages(void **state)
{
    static const struct getter_case cases[] = {
        /* missing, and null counts as missing */
        {"a: 1\n", STRING, "name", "c.yaml:1:1: name is required"},
        {"name:\n", STRING, "name", "c.yaml:1:1: name is required"},
        {"a: 1\n", OBJECT, "targets", "c.yaml:1:1: targets is required"},
        /* a required key missing from an item of a list points at the item */
        {"checks:\n  - id: a\n  - name: b\n", ITEM_STRING, "id", "c.yaml:3:5: id is required"},
        /* wrong type */
        {"name: [x]\n", STRING, "name", "c.yaml:1:1: name must be a string, not a list"},
        {"retries: two\n", INT, "retries", "c.yaml:1:10: retries must be an integer, not a string"},
        {"rate: fast\n", DOUBLE, "rate", "c.yaml:1:7: rate must be a number, not a string"},
        {"html: yes\n", BOOL, "html", "c.yaml:1:7: html must be true or false, not a string"},
        {"timeout: [1]\n", DURATION, "timeout",
         "c.yaml:1:1: timeout must be a duration such as 500ms, 30s or 5m, not a list"},
        {"timeout: 5 min\n", DURATION, "timeout",
         "c.yaml:1:10: timeout must be a duration such as 500ms, 30s or 5m, not \"5 min\""},
        {"on_empty: 3\n", ENUM, "on_empty",
         "c.yaml:1:11: on_empty must be one of error, fail, skip, not a number"},
        {"tags: a\n", STRINGS, "tags",
         "c.yaml:1:7: tags must be a list of 1 to 4 strings, not a string"},
        {"tags: [a, 3]\n", STRINGS, "tags",
         "c.yaml:1:11: an item of tags must be a string, not a number"},
        {"targets: 1\n", OBJECT, "targets", "c.yaml:1:10: targets must be a mapping, not a number"},
        /* out of range */
        {"name: \"abcdefghi\"\n", STRING, "name", "c.yaml:1:8: name must be 1 to 8 bytes long"},
        {"retries: 11\n", INT, "retries", "c.yaml:1:10: retries must be between 0 and 10"},
        {"rate: 0.5\n", DOUBLE, "rate", "c.yaml:1:7: rate must be between 1 and 100"},
        {"timeout: 0s\n", DURATION, "timeout", "c.yaml:1:10: timeout must be longer than 0"},
        {"timeout: -1\n", DURATION, "timeout",
         "c.yaml:1:10: timeout must be between 0 and 366 days"},
        {"tags: []\n", STRINGS, "tags", "c.yaml:1:1: tags must be a list of 1 to 4 strings"},
        {"on_empty: skp\n", ENUM, "on_empty",
         "c.yaml:1:11: on_empty must be one of error, fail, skip, not \"skp\" "
         "(did you mean \"skip\"?)"},
        {"on_empty: never\n", ENUM, "on_empty",
         "c.yaml:1:11: on_empty must be one of error, fail, skip, not \"never\""},
        /* unknown keys, with and without a suggestion */
        {"duraton: 5s\nusers: 2\n", KEYS, NULL,
         "c.yaml:1:10: unknown key \"duraton\" in the scenario (did you mean \"duration\"?)"},
        {"users: 2\ncolour: red\n", KEYS, NULL,
         "c.yaml:2:9: unknown key \"colour\" in the scenario; valid: duration, users"},
        {"- users\n", KEYS, NULL, "c.yaml:1:1: the scenario must be a mapping, not a list"},
        /* accepted */
        {"name: abc\n", STRING, "name", NULL},
        {"retries: 10\n", INT, "retries", NULL},
        {"timeout: 1.5\n", DURATION, "timeout", NULL},
        {"on_empty: fail\n", ENUM, "on_empty", NULL},
        {"tags: [a, b]\n", STRINGS, "tags", NULL},
        {"users: 2\nduration:\n", KEYS, NULL, NULL},
        /* a number greater than a bound */
        {"q: 0\n", ABOVE, "q", "c.yaml:1:4: q must be greater than 0 and at most 1"},
        {"q: 1.5\n", ABOVE, "q", "c.yaml:1:4: q must be greater than 0 and at most 1"},
        {"q: 1\n", ABOVE, "q", NULL},
        {"rate: \"2.5\"\n", DOUBLE, "rate", "c.yaml:1:8: rate must be a number, not a string"},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]), false);
}

/* A reader for a check's parameters takes numbers and booleans written as
 * text, as a ${VAR} substitution leaves them, and still says what is wrong. */
static void test_text_scalars(void **state)
{
    static const struct getter_case cases[] = {
        {"rate: \"2.5\"\n", DOUBLE, "rate", NULL},
        {
            "rate: \"fast\"\n",
            DOUBLE,
            "rate",
            "c.yaml:1:8: rate must be a number, not \"fast\"",
        },
        {"rate: \"200\"\n", DOUBLE, "rate", "c.yaml:1:8: rate must be between 1 and 100"},
        {"retries: \"3\"\n", INT, "retries", NULL},
        {"retries: \"3.5\"\n", INT, "retries",
         "c.yaml:1:11: retries must be an integer, not \"3.5\""},
        {"html: \"true\"\n", BOOL, "html", NULL},
        {
            "html: \"yes\"\n",
            BOOL,
            "html",
            "c.yaml:1:8: html must be true or false, not \"yes\"",
        },
        {"q: \"0.5\"\n", ABOVE, "q", NULL},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]), true);
}

/* What the getters store, and that an absent optional key leaves it alone. */
static void test_getter_values(void **state)
{
    static const char text[] = "name: abc\nretries: 3\nrate: 2.5\nhtml: true\n"
                               "timeout: 1.5\nwait: 2m\non_empty: skip\ntags: [x, y]\n";
    struct tars_err err = TARS_ERR_INIT;
    tars_yaml_doc *doc = tars_yaml_load_string("v.yaml", text, strlen(text), &err);
    struct tars_json_reader rd = tars_yaml_reader(doc, &err);
    json_t *root = tars_yaml_root(doc), *tags = NULL;
    char *copy = NULL;
    int64_t retries = 0, timeout = 0, wait = 0, absent = 77;
    double rate = 0;
    bool html = false;
    int mode = -1;
    (void)state;
    assert_int_equal(tars_json_get_strdup(&rd, root, "name", TARS_JSON_REQUIRED, 8, &copy), 0);
    assert_int_equal(tars_json_get_int(&rd, root, "retries", TARS_JSON_OPTIONAL, 0, 9, &retries),
                     0);
    assert_int_equal(tars_json_get_double(&rd, root, "rate", TARS_JSON_OPTIONAL, 0, 9, &rate), 0);
    assert_int_equal(tars_json_get_bool(&rd, root, "html", TARS_JSON_OPTIONAL, &html), 0);
    assert_int_equal(tars_json_get_duration(&rd, root, "timeout", TARS_JSON_OPTIONAL, 0, &timeout),
                     0);
    assert_int_equal(tars_json_get_duration(&rd, root, "wait", TARS_JSON_OPTIONAL, 0, &wait), 0);
    assert_int_equal(tars_json_get_duration(&rd, root, "none", TARS_JSON_OPTIONAL, 0, &absent), 0);
    assert_int_equal(tars_json_get_enum(&rd, root, "on_empty", TARS_JSON_OPTIONAL, modes, &mode),
                     0);
    assert_int_equal(
        tars_json_get_strings(&rd, root, "tags", TARS_JSON_OPTIONAL, 0, SIZE_MAX, 4, &tags), 0);
    assert_string_equal(copy, "abc");
    assert_int_equal(retries, 3);
    assert_true(rate == 2.5);
    assert_true(html);
    assert_int_equal(timeout, 1500);
    assert_int_equal(wait, 120000);
    assert_int_equal(absent, 77);
    assert_int_equal(mode, 2);
    assert_int_equal(json_array_size(tags), 2);
    free(copy);
    tars_yaml_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getter_messages),
        cmocka_unit_test(test_getter_values),
        cmocka_unit_test(test_text_scalars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
