/* Unit tests for lib/auth passwords (scrypt), API keys and roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/auth.h"
#include "tars/clock.h"

/* RFC 7914 section 12, second vector: P "password", S "NaCl", N 1024, r 8, p 16. */
#define RFC7914_ENCODED                                                                            \
    "scrypt$1024$8$16$4e61436c$fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731"     \
    "622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"

static void test_hash_then_verify(void **state)
{
    char enc[TARS_PASSWORD_HASH_MAX];
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_int_equal(tars_password_hash("correct horse", enc, sizeof(enc), &err), TARS_OK);
    assert_true(strncmp(enc, "scrypt$16384$8$1$", 17) == 0);
    assert_int_equal(strlen(enc), 17 + 32 + 1 + 64);
    assert_int_equal(enc[17 + 32], '$');
    assert_int_equal(tars_password_verify("correct horse", enc, &err), TARS_OK);
    assert_int_equal(tars_password_verify("correct horsf", enc, &err), TARS_EAUTH);
    assert_string_equal(err.msg, "wrong password");
    assert_int_equal(tars_password_verify("correct hors", enc, &err), TARS_EAUTH);
    assert_int_equal(tars_password_verify("", enc, &err), TARS_EAUTH);
    assert_int_equal(tars_password_verify(NULL, enc, &err), TARS_EAUTH);
}

static void test_known_answer(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_int_equal(tars_password_verify("password", RFC7914_ENCODED, &err), TARS_OK);
    assert_int_equal(tars_password_verify("Password", RFC7914_ENCODED, &err), TARS_EAUTH);
}

static void test_salted(void **state)
{
    char a[TARS_PASSWORD_HASH_MAX], b[TARS_PASSWORD_HASH_MAX];
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_int_equal(tars_password_hash("same", a, sizeof(a), &err), TARS_OK);
    assert_int_equal(tars_password_hash("same", b, sizeof(b), &err), TARS_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(tars_password_verify("same", a, &err), TARS_OK);
    assert_int_equal(tars_password_verify("same", b, &err), TARS_OK);
}

static void test_hash_rejects_bad_input(void **state)
{
    char enc[TARS_PASSWORD_HASH_MAX], small[40];
    char *long_pw = malloc(2000);
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    assert_int_equal(tars_password_hash("", enc, sizeof(enc), &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "empty"));
    assert_int_equal(tars_password_hash(NULL, enc, sizeof(enc), &err), TARS_EINVAL);
    memset(long_pw, 'x', 1999);
    long_pw[1999] = '\0';
    assert_int_equal(tars_password_hash(long_pw, enc, sizeof(enc), &err), TARS_EINVAL);
    free(long_pw);
    assert_int_equal(tars_password_hash("pw", small, sizeof(small), &err), TARS_ETOOBIG);
}

static void test_malformed_encodings(void **state)
{
    static const char *const bad[] = {
        "",
        "scrypt",
        "bcrypt$16384$8$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$16383$8$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$1048576$8$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$65536$16$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$16$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$16384$0$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$0$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$1$00112233445566778899AABBCCDDEEFF$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$1$00112233445566778899aabbccddeef$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$1$001122$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$1$00112233445566778899aabbccddeeff$",
        "scrypt$16384$8$1$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff$",
        "scrypt$16384$8$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff$00",
        "scrypt$ 16384$8$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
        "scrypt$16384$8$1$$00112233445566778899aabbccddeeff",
        "scrypt$$$$$",
    };
    struct tars_err err = TARS_ERR_INIT;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = tars_password_verify("pw", bad[i], &err);
        if (rc != TARS_EINVAL)
            fail_msg("encoding %zu (%s) gave %d", i, bad[i], rc);
        assert_string_equal(err.msg, "malformed password hash");
    }
    assert_int_equal(tars_password_verify("pw", NULL, &err), TARS_EINVAL);
}

/* Measures one verify (figure quoted in password.c); fails only if absurd. */
static void test_verify_cost(void **state)
{
    char enc[TARS_PASSWORD_HASH_MAX];
    struct tars_err err = TARS_ERR_INIT;
    uint64_t t0;
    double ms;
    (void)state;
    assert_int_equal(tars_password_hash("timing", enc, sizeof(enc), &err), TARS_OK);
    t0 = tars_mono_ns();
    for (int i = 0; i < 3; i++)
        assert_int_equal(tars_password_verify("timing", enc, &err), TARS_OK);
    ms = (double)(tars_mono_ns() - t0) / 3e6;
    print_message("scrypt verify: %.1f ms\n", ms);
    assert_true(ms > 2.0);
}

static void test_api_keys(void **state)
{
    char a[64], b[64], h[72];
    (void)state;
    tars_api_key_generate(a);
    tars_api_key_generate(b);
    assert_int_equal(strlen(a), 5 + 43);
    assert_true(strncmp(a, "tars_", 5) == 0);
    assert_int_equal(
        strspn(a + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    assert_string_not_equal(a, b);
    tars_api_key_hash("abc", h);
    assert_string_equal(h,
                        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(strlen(h), 71);
}

static void test_roles(void **state)
{
    enum tars_role r = TARS_ROLE_NONE;
    (void)state;
    assert_int_equal(tars_role_parse("viewer", &r), TARS_OK);
    assert_int_equal(r, TARS_ROLE_VIEWER);
    assert_int_equal(tars_role_parse("developer", &r), TARS_OK);
    assert_int_equal(r, TARS_ROLE_DEVELOPER);
    assert_int_equal(tars_role_parse("admin", &r), TARS_OK);
    assert_int_equal(r, TARS_ROLE_ADMIN);
    assert_int_equal(tars_role_parse("Admin", &r), TARS_EINVAL);
    assert_int_equal(tars_role_parse("", &r), TARS_EINVAL);
    assert_int_equal(tars_role_parse("none", &r), TARS_EINVAL);
    assert_int_equal(tars_role_parse(NULL, &r), TARS_EINVAL);
    assert_int_equal(r, TARS_ROLE_ADMIN); /* untouched on failure */
    assert_string_equal(tars_role_name(TARS_ROLE_VIEWER), "viewer");
    assert_string_equal(tars_role_name(TARS_ROLE_DEVELOPER), "developer");
    assert_string_equal(tars_role_name(TARS_ROLE_ADMIN), "admin");
    assert_string_equal(tars_role_name(TARS_ROLE_NONE), "none");
    assert_true(TARS_ROLE_VIEWER < TARS_ROLE_DEVELOPER && TARS_ROLE_DEVELOPER < TARS_ROLE_ADMIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_then_verify),
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_salted),
        cmocka_unit_test(test_hash_rejects_bad_input),
        cmocka_unit_test(test_malformed_encodings),
        cmocka_unit_test(test_verify_cost),
        cmocka_unit_test(test_api_keys),
        cmocka_unit_test(test_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
