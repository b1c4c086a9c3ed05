/* Unit tests for lib/base: buffers, parsers, time, encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tars/buf.h"
#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/err.h"
#include "tars/file.h"
#include "tars/str.h"

static void test_buf_grows_and_stops_at_max(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(10);
    (void)state;
    assert_int_equal(tars_buf_puts(&b, "hello"), TARS_OK);
    assert_int_equal(tars_buf_printf(&b, "%d", 1234), TARS_OK);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(b.len, 9);
    assert_int_equal(tars_buf_puts(&b, "xy"), TARS_ETOOBIG);
    assert_null(b.data); /* freed itself on overflow */
    assert_int_equal(b.len, 0);
    assert_int_equal(tars_buf_puts(&b, "0123456789"), TARS_OK);
    assert_int_equal(b.len, 10);
    tars_buf_release(&b);
}

static void test_buf_take_hands_over(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(100);
    size_t len;
    char *s;
    (void)state;
    assert_int_equal(tars_buf_puts(&b, "abc"), TARS_OK);
    s = tars_buf_take(&b, &len);
    assert_string_equal(s, "abc");
    assert_int_equal(len, 3);
    assert_null(b.data);
    free(s);
}

static void test_parse_i64_is_strict(void **state)
{
    int64_t v = 0;
    (void)state;
    assert_int_equal(tars_parse_i64("42", 0, 100, &v), TARS_OK);
    assert_int_equal(v, 42);
    assert_int_equal(tars_parse_i64("-3", -10, 10, &v), TARS_OK);
    assert_int_equal(v, -3);
    assert_int_equal(tars_parse_i64("101", 0, 100, &v), TARS_EINVAL);
    assert_int_equal(tars_parse_i64("4x", 0, 100, &v), TARS_EINVAL);
    assert_int_equal(tars_parse_i64("", 0, 100, &v), TARS_EINVAL);
    assert_int_equal(tars_parse_i64(" 4", 0, 100, &v), TARS_EINVAL);
    assert_int_equal(tars_parse_i64("-", -5, 100, &v), TARS_EINVAL);
    assert_int_equal(tars_parse_i64("9999999999999999999999", 0, INT64_MAX, &v), TARS_EINVAL);
}

static void test_suggest_finds_typos_only(void **state)
{
    static const char *const cmds[] = {"load",         "lint",     "db-bench", "db-seed",
                                       "db-integrity", "validate", "report",   NULL};
    static const char *const keys[] = {"duration", "users", "rate", "worker-index", "worker-count"};
    struct tars_str_suggester s;
    (void)state;
    assert_string_equal(tars_str_suggest("lod", cmds, 99), "load");  /* deletion */
    assert_string_equal(tars_str_suggest("laod", cmds, 99), "load"); /* swap */
    assert_string_equal(tars_str_suggest("LOAD", cmds, 99), "load"); /* case */
    assert_string_equal(tars_str_suggest("validtae", cmds, 99), "validate");
    assert_string_equal(tars_str_suggest("repotr", cmds, 99), "report");
    assert_string_equal(tars_str_suggest("db-sed", cmds, 99), "db-seed");
    assert_string_equal(tars_str_suggest("duraton", keys, 5), "duration");
    assert_string_equal(tars_str_suggest("dur", keys, 5), "duration"); /* prefix */
    assert_null(tars_str_suggest("worker", keys, 5));                  /* two prefixes */
    assert_null(tars_str_suggest("db", cmds, 99));                     /* too short a prefix */
    assert_null(tars_str_suggest("xyzzy", cmds, 99));
    assert_null(tars_str_suggest("load", cmds, 99)); /* itself */
    assert_null(tars_str_suggest("users", keys, 0)); /* count honoured */
    static const char *const two[] = {"seed", "send"};
    assert_null(tars_str_suggest("sed", two, 2)); /* both one edit away */
    assert_string_equal(tars_str_suggest("sed", two, 1), "seed");
    /* a name far longer than any typo is no match, and nothing overflows */
    char long_word[300];
    memset(long_word, 'a', sizeof(long_word) - 1);
    long_word[sizeof(long_word) - 1] = '\0';
    assert_null(tars_str_suggest(long_word, cmds, 99));
    tars_str_suggest_init(&s, "rte");
    tars_str_suggest_add(&s, "users");
    tars_str_suggest_add(&s, "rate");
    tars_str_suggest_add(&s, "rate"); /* the same name twice is not ambiguous */
    assert_string_equal(tars_str_suggest_best(&s), "rate");
}

static void test_iso8601_round_trip(void **state)
{
    char s[TARS_ISO8601_LEN];
    int64_t ms = 0;
    (void)state;
    tars_iso8601(1795450114123, s);
    assert_string_equal(s, "2026-11-23T16:08:34.123Z");
    assert_int_equal(tars_iso8601_parse(s, &ms), TARS_OK);
    assert_int_equal(ms, 1795450114123);
    assert_int_equal(tars_iso8601_parse("2026-11-23T16:08:34Z", &ms), TARS_OK);
    assert_int_equal(ms, 1795450114000);
    assert_int_equal(tars_iso8601_parse("2026-13-23T14:48:34Z", &ms), TARS_EINVAL);
    assert_int_equal(tars_iso8601_parse("2026-11-23 14:48:34Z", &ms), TARS_EINVAL);
    assert_int_equal(tars_iso8601_parse("2026-11-23T14:48:34+02:00", &ms), TARS_EINVAL);
}

static void test_sha256_known_answer(void **state)
{
    char hex[TARS_SHA256_HEX_LEN];
    (void)state;
    tars_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_base64url(void **state)
{
    char out[16];
    (void)state;
    assert_int_equal(tars_base64url_encode((const uint8_t *)"\xfb\xff", 2, out), 3);
    assert_string_equal(out, "-_8");
    assert_int_equal(tars_base64url_encode((const uint8_t *)"foobar", 6, out), 8);
    assert_string_equal(out, "Zm9vYmFy");
}

static void test_uuid4_shape(void **state)
{
    char a[TARS_UUID_LEN], b[TARS_UUID_LEN];
    (void)state;
    tars_uuid4(a);
    tars_uuid4(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4');
    assert_true(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
    assert_string_not_equal(a, b);
}

static void test_err_prefix(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_int_equal(tars_err_set(&err, TARS_EINVAL, "unknown key \"%s\"", "x"), TARS_EINVAL);
    tars_err_prefix(&err, "suite.yaml:3:1");
    assert_string_equal(err.msg, "suite.yaml:3:1: unknown key \"x\"");
    assert_int_equal(err.code, TARS_EINVAL);
}

/* Reads a whole small file into buf; returns its length or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return -1;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static int fill_then_fail(FILE *f, void *ctx, struct tars_err *err)
{
    (void)ctx;
    fputs("half of it", f);
    return tars_err_set(err, TARS_EINVAL, "the producer gave up");
}

static void test_file_write_whole_or_nothing(void **state)
{
    char dir[] = "/tmp/tars-test-file-XXXXXX", path[256], missing[256], buf[64];
    struct tars_err err = TARS_ERR_INIT;
    struct stat st;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.json", dir);
    assert_int_equal(tars_file_write(path, "first\n", 6, 0640, &err), TARS_OK);
    assert_int_equal(slurp(path, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "first\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(tars_file_write(path, "second", 6, 0644, &err), TARS_OK);
    assert_int_equal(slurp(path, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "second");

    /* a producer that fails leaves the old file and no temporary one */
    assert_int_equal(tars_file_write_with(path, 0644, fill_then_fail, NULL, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "the producer gave up");
    assert_int_equal(slurp(path, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "second");
    assert_int_equal(count_entries(dir), 1);

    /* a directory that does not exist: the error names the file and the cause */
    snprintf(missing, sizeof(missing), "%s/no/such.json", dir);
    assert_int_equal(tars_file_write(missing, "x", 1, 0644, &err), TARS_EIO);
    assert_non_null(strstr(err.msg, missing));
    assert_non_null(strstr(err.msg, "No such file or directory"));

    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

/* tars_str_in_list: NULL-terminated; a NULL list holds nothing. */
static void test_str_in_list(void **state)
{
    static const char *const listed[] = {"a", "b", NULL};
    (void)state;
    assert_true(tars_str_in_list("b", listed));
    assert_false(tars_str_in_list("c", listed));
    assert_false(tars_str_in_list("a", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows_and_stops_at_max),
        cmocka_unit_test(test_buf_take_hands_over),
        cmocka_unit_test(test_parse_i64_is_strict),
        cmocka_unit_test(test_suggest_finds_typos_only),
        cmocka_unit_test(test_iso8601_round_trip),
        cmocka_unit_test(test_sha256_known_answer),
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_uuid4_shape),
        cmocka_unit_test(test_err_prefix),
        cmocka_unit_test(test_file_write_whole_or_nothing),
        cmocka_unit_test(test_str_in_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
