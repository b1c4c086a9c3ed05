/* Unit tests for lib/json: body parsing with positions, field validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tars/json.h"

static void test_parse_reports_position(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v = NULL;
    const char *bad = "{\n  \"a\": 1,\n  \"b\": }";
    (void)state;
    assert_int_equal(tars_json_parse(bad, strlen(bad), &v, &err), TARS_EINVAL);
    assert_null(v);
    assert_non_null(strstr(err.msg, "line 3"));
    assert_non_null(strstr(err.msg, "column"));
}

static void test_parse_rejects_duplicates_and_trailing(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v = NULL;
    (void)state;
    assert_int_equal(tars_json_parse("{\"a\":1,\"a\":2}", 13, &v, &err), TARS_EINVAL);
    assert_int_equal(tars_json_parse("{} {}", 5, &v, &err), TARS_EINVAL);
    assert_int_equal(tars_json_parse("{\"a\":[1]}", 9, &v, &err), TARS_OK);
    json_decref(v);
}

/* The stated depth bound holds, with the position of the level too many;
 * brackets inside strings do not count. */
static void test_parse_depth_bound(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char text[400] = "{\"s\":\"[[[[\\\"{{\",\n\"a\":";
    size_t at = strlen(text);
    json_t *v = NULL;
    (void)state;

    for (int i = 0; i < TARS_JSON_MAX_DEPTH - 1; i++)
        text[at++] = '[';
    for (int i = 0; i < TARS_JSON_MAX_DEPTH - 1; i++)
        text[at++] = ']';
    text[at++] = '}';
    text[at] = '\0';
    assert_int_equal(tars_json_parse(text, strlen(text), &v, &err), TARS_OK);
    json_decref(v);
    memmove(text + 22, text + 21, strlen(text + 21) + 1); /* one more level */
    assert_int_equal(tars_json_parse(text, strlen(text), &v, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "line 2, column 68: nested deeper than 64 levels");
}

/* The size bound of a buffer reader, and both bounds of the file reader,
 * whose errors name the file (every reader of outside JSON is one of the
 * two: tars_json_parse_bounded or tars_json_load_file). */
static void test_bounded_readers(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    char path[] = "/tmp/tars-test-json-XXXXXX", deep[200];
    json_t *v = NULL;
    FILE *f;
    int fd;
    (void)state;

    assert_int_equal(tars_json_parse_bounded("[1,2]", 5, 4, 0, &v, &err), TARS_ETOOBIG);
    assert_null(v);
    assert_string_equal(err.msg, "JSON of 5 bytes: larger than 4 bytes");
    assert_int_equal(tars_json_parse_bounded("[1,2]", 5, 5, 0, &v, &err), TARS_OK);
    json_decref(v);
    memset(deep, '[', TARS_JSON_MAX_DEPTH + 1);
    memset(deep + TARS_JSON_MAX_DEPTH + 1, ']', TARS_JSON_MAX_DEPTH + 1);
    assert_int_equal(tars_json_parse_bounded(deep, 2 * (TARS_JSON_MAX_DEPTH + 1), 0, 0, &v, &err),
                     TARS_EINVAL);
    assert_string_equal(err.msg, "line 1, column 65: nested deeper than 64 levels");
    assert_int_equal(tars_json_parse_bounded(NULL, 0, 0, 0, &v, &err), TARS_EINVAL);

    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("{\"a\":\n", f);
    fwrite(deep, 1, 2 * (TARS_JSON_MAX_DEPTH + 1), f);
    fputs("}", f);
    fclose(f);
    assert_int_equal(tars_json_load_file(path, 0, 0, &v, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, ":2:64: nested deeper than 64 levels"));
    assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
    assert_int_equal(tars_json_load_file(path, 100, 0, &v, &err), TARS_ETOOBIG);
    assert_non_null(strstr(err.msg, ": larger than 100 bytes"));
    unlink(path);
    assert_int_equal(tars_json_load_file(path, 0, 0, &v, &err), TARS_ENOTFOUND);
    assert_null(v);
}

static void test_fields_collect_every_problem(void **state)
{
    struct tars_field_errors fe;
    struct tars_err err = TARS_ERR_INIT;
    const char *s = NULL;
    double d = 0;
    int64_t i = 0;
    json_t *v = NULL;
    const char *body = "{\"name\":\"\",\"reward\":\"high\",\"limit\":5000,\"ok\":\"yes\"}";
    (void)state;

    assert_int_equal(tars_json_parse(body, strlen(body), &v, &err), TARS_OK);
    tars_field_errors_init(&fe);
    assert_false(tars_json_string(v, "agent_id", true, 64, &s, &fe));
    assert_false(tars_json_string(v, "name", true, 64, &s, &fe));
    assert_false(tars_json_number(v, "reward", false, &d, &fe));
    assert_false(tars_json_int(v, "limit", false, 1, 1000, &i, &fe));
    assert_true(tars_json_string(v, "ok", true, 8, &s, &fe));
    assert_string_equal(s, "yes");
    assert_false(tars_json_number(v, "absent", false, &d, &fe));
    assert_int_equal(fe.count, 4);
    assert_non_null(strstr(fe.text.data, "agent_id (required)"));
    assert_non_null(strstr(fe.text.data, "name (must be 1..64 characters)"));
    assert_non_null(strstr(fe.text.data, "reward (must be a number)"));
    assert_non_null(strstr(fe.text.data, "limit (must be an integer in 1..1000)"));
    tars_field_errors_release(&fe);
    json_decref(v);
}

static void test_string_length_bound(void **state)
{
    struct tars_field_errors fe;
    const char *s = NULL;
    json_t *v = json_pack("{s:s}", "id", "0123456789");
    (void)state;
    tars_field_errors_init(&fe);
    assert_false(tars_json_string(v, "id", true, 9, &s, &fe));
    assert_true(tars_json_string(v, "id", true, 10, &s, &fe));
    assert_int_equal(fe.count, 1);
    tars_field_errors_release(&fe);
    json_decref(v);
}

static void test_object_text_and_dump_bound(void **state)
{
    struct tars_field_errors fe;
    struct tars_buf b = TARS_BUF_INIT(8);
    char *text = NULL;
    json_t *v = json_pack("{s:{s:i}}", "details", "k", 1);
    (void)state;
    tars_field_errors_init(&fe);
    assert_true(tars_json_object_text(v, "details", 100, &text, &fe));
    assert_string_equal(text, "{\"k\":1}");
    free(text);
    assert_false(tars_json_object_text(v, "details", 3, &text, &fe));
    assert_int_equal(fe.count, 1);
    assert_int_equal(tars_json_dump(v, &b), TARS_ETOOBIG);
    assert_null(b.data);
    tars_field_errors_release(&fe);
    json_decref(v);
}

static void test_path_walks_keys_and_indexes(void **state)
{
    json_t *doc = json_loads("{\"data\":{\"result\":[{\"value\":[1,\"0.5\"]}]},"
                             "\"metadata\":{\"name\":\"web\"},\"n\":null}",
                             0, NULL);
    char longkey[TARS_JSON_PATH_MAX_KEY + 2];
    (void)state;
    assert_non_null(doc);
    assert_string_equal(json_string_value(tars_json_path(doc, "$.data.result[0].value[1]")), "0.5");
    assert_string_equal(json_string_value(tars_json_path(doc, "data.result[0].value[1]")), "0.5");
    assert_string_equal(json_string_value(tars_json_path(doc, "metadata.name")), "web");
    assert_ptr_equal(tars_json_path(doc, ""), doc);
    assert_ptr_equal(tars_json_path(doc, "$"), doc);
    /* present but null is present */
    assert_true(json_is_null(tars_json_path(doc, "n")));
    assert_null(tars_json_path(doc, "data.result[3]"));
    assert_null(tars_json_path(doc, "data.nope.x"));
    assert_null(tars_json_path(doc, "metadata.name.x")); /* key of a string */
    assert_null(tars_json_path(doc, "metadata[0]"));     /* index of an object */
    assert_null(tars_json_path(doc, "data..result"));
    assert_null(tars_json_path(doc, "data.result[x]"));
    assert_null(tars_json_path(doc, "data.result[-1]"));
    assert_null(tars_json_path(doc, "data.result[0"));
    assert_null(tars_json_path(NULL, "a"));
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_null(tars_json_path(doc, longkey));
    json_decref(doc);
}

/* The tree-less scanner: each row's answer, and where it answers, the tree
 * (tars_json_parse_bounded + tars_json_path) must say the same. */
static void test_scan_path_table(void **state)
{
    static const struct {
        const char *doc, *path;
        enum tars_json_scan_rc rc;
        json_type type;
        const char *text; /* FOUND: the span */
    } rows[] = {
        {"{\"a\":{\"b\":[1,{\"c\":\"x\"}]}}", "a.b[1].c", TARS_JSON_SCAN_FOUND, JSON_STRING, "x"},
        {"{\"a\":{\"b\":[1,{\"c\":\"x\"}]}}", "$.a.b[0]", TARS_JSON_SCAN_FOUND, JSON_INTEGER, "1"},
        {"{\"a\":{\"b\":[1,{\"c\":\"x\"}]}}", "a.b", TARS_JSON_SCAN_FOUND, JSON_ARRAY,
         "[1,{\"c\":\"x\"}]"},
        {" [ true , null ] ", "$", TARS_JSON_SCAN_FOUND, JSON_ARRAY, "[ true , null ]"},
        {"[true,null]", "[1]", TARS_JSON_SCAN_FOUND, JSON_NULL, "null"},
        {"{\"a\":-1.5e2}", "a", TARS_JSON_SCAN_FOUND, JSON_REAL, "-1.5e2"},
        /* skipped values with escapes, surrogate pairs and UTF-8 */
        {"{\"s\":\"q\\\"\\\\\\ud83d\\ude00\",\"t\":\"caf\xc3\xa9\"}", "t", TARS_JSON_SCAN_FOUND,
         JSON_STRING, "caf\xc3\xa9"},
        /* the last of duplicate keys wins, as in jansson's tree */
        {"{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "a.b", TARS_JSON_SCAN_ABSENT, 0, NULL},
        {"{\"a\":1,\"a\":2}", "a", TARS_JSON_SCAN_FOUND, JSON_INTEGER, "2"},
        /* missing */
        {"{\"a\":[1,2]}", "a[2]", TARS_JSON_SCAN_ABSENT, 0, NULL},
        {"{\"a\":[1,2]}", "b", TARS_JSON_SCAN_ABSENT, 0, NULL},
        {"{\"a\":[1,2]}", "a.x", TARS_JSON_SCAN_ABSENT, 0, NULL},
        {"{\"a\":{\"0\":1}}", "a[0]", TARS_JSON_SCAN_ABSENT, 0, NULL},
        {"{\"a\":[1]}", "a..b", TARS_JSON_SCAN_ABSENT, 0, NULL},
        {"{\"a\":[1]}", "a[-1]", TARS_JSON_SCAN_ABSENT, 0, NULL},
        {"{\"a\":[1]}", "a.", TARS_JSON_SCAN_ABSENT, 0, NULL},
        /* escapes the scanner leaves to the tree */
        {"{\"a\":\"x\\ny\"}", "a", TARS_JSON_SCAN_UNSUPPORTED, 0, NULL},
        {"{\"\\u0061\":1}", "a", TARS_JSON_SCAN_UNSUPPORTED, 0, NULL},
        /* malformed: the tree fails too, even where the path is found first */
        {"{\"a\":1,}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1} x", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":\"unterminated", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":01}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1,\"b\":9223372036854775808}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1,\"b\":1e400}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1,\"b\":-9223372036854775809}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1,\"b\":-1.5E+309}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        /* the edges of the range: read without a conversion up to 18 digits
         * or a real without an exponent, converted beyond */
        {"{\"a\":999999999999999999}", "a", TARS_JSON_SCAN_FOUND, JSON_INTEGER,
         "999999999999999999"},
        {"{\"a\":-9223372036854775808}", "a", TARS_JSON_SCAN_FOUND, JSON_INTEGER,
         "-9223372036854775808"},
        {"{\"a\":9223372036854775807}", "a", TARS_JSON_SCAN_FOUND, JSON_INTEGER,
         "9223372036854775807"},
        {"{\"a\":99999999999999999999999999999999999999999999999999999999999.5}", "a",
         TARS_JSON_SCAN_FOUND, JSON_REAL,
         "99999999999999999999999999999999999999999999999999999999999.5"},
        {"{\"a\":1.7e308}", "a", TARS_JSON_SCAN_FOUND, JSON_REAL, "1.7e308"},
        {"{\"a\":1e-400}", "a", TARS_JSON_SCAN_FOUND, JSON_REAL, "1e-400"},
        {"{\"a\":1,\"b\":\"\\u0000\"}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1,\"b\":\"\\ud800x\"}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1,\"b\":\"\xc0\xaf\"}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":1,\"b\":\"\x01\"}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"{\"a\":tru}", "a", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"\"top\"", "", TARS_JSON_SCAN_INVALID, 0, NULL},
        {"", "", TARS_JSON_SCAN_INVALID, 0, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct tars_json_span sp = {0};
        json_t *doc = NULL, *v;
        enum tars_json_scan_rc rc =
            tars_json_scan_path(rows[i].doc, strlen(rows[i].doc), rows[i].path, &sp);
        print_message("row %zu: %s / %s -> %d\n", i, rows[i].doc, rows[i].path, rc);
        assert_int_equal(rc, rows[i].rc);
        tars_json_parse_bounded(rows[i].doc, strlen(rows[i].doc), 0, 0, &doc, NULL);
        v = doc ? tars_json_path(doc, rows[i].path) : NULL;
        if (rc == TARS_JSON_SCAN_INVALID)
            assert_null(doc);
        if (rc == TARS_JSON_SCAN_ABSENT)
            assert_true(doc && !v);
        if (rc == TARS_JSON_SCAN_FOUND) {
            assert_non_null(v);
            assert_int_equal(sp.type, rows[i].type);
            assert_int_equal(json_typeof(v), sp.type);
            assert_int_equal(sp.len, strlen(rows[i].text));
            assert_memory_equal(sp.at, rows[i].text, sp.len);
        }
        json_decref(doc);
    }
}

/* Nesting: TARS_JSON_MAX_DEPTH levels are read, one more is not JSON. */
static void test_scan_path_depth(void **state)
{
    char doc[2 * (TARS_JSON_MAX_DEPTH + 1) + 1], path[4 * TARS_JSON_MAX_DEPTH + 1];
    struct tars_json_span sp;
    size_t n = TARS_JSON_MAX_DEPTH;
    (void)state;
    memset(doc, '[', n);
    memset(doc + n, ']', n);
    doc[2 * n] = '\0';
    path[0] = '\0';
    for (size_t i = 0; i + 1 < n; i++)
        strcat(path, "[0]");
    assert_int_equal(tars_json_scan_path(doc, 2 * n, path, &sp), TARS_JSON_SCAN_FOUND);
    assert_int_equal(sp.type, JSON_ARRAY);
    assert_int_equal(sp.len, 2);
    memset(doc, '[', n + 1);
    memset(doc + n + 1, ']', n + 1);
    assert_int_equal(tars_json_scan_path(doc, 2 * (n + 1), "", &sp), TARS_JSON_SCAN_INVALID);
    /* a length that ends inside the text: nothing past it is read */
    assert_int_equal(tars_json_scan_path("{\"a\":\"bc\"}", 7, "a", &sp), TARS_JSON_SCAN_INVALID);
    /* jansson reads [1<NUL>] as [1]: the scanner leaves that to the tree; a
     * NUL anywhere else is not JSON for either */
    assert_int_equal(tars_json_scan_path("[1\0]", 4, "[0]", &sp), TARS_JSON_SCAN_UNSUPPORTED);
    assert_int_equal(tars_json_scan_path("[\"1\"\0]", 6, "[0]", &sp), TARS_JSON_SCAN_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_reports_position),
        cmocka_unit_test(test_parse_rejects_duplicates_and_trailing),
        cmocka_unit_test(test_fields_collect_every_problem),
        cmocka_unit_test(test_parse_depth_bound),
        cmocka_unit_test(test_bounded_readers),
        cmocka_unit_test(test_string_length_bound),
        cmocka_unit_test(test_object_text_and_dump_bound),
        cmocka_unit_test(test_path_walks_keys_and_indexes),
        cmocka_unit_test(test_scan_path_table),
        cmocka_unit_test(test_scan_path_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
