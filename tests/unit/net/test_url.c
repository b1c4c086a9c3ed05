/* Unit tests for lib/net/url.c: strict http(s) URL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/url.h"

static struct tars_url url;

static void parse_ok(const char *text)
{
    struct tars_err err = TARS_ERR_INIT;
    int rc = tars_url_parse(&url, text, &err);
    if (rc != TARS_OK)
        fail_msg("%s: %s", text, err.msg);
}

/* Parses text, expects TARS_EINVAL and exactly message. */
static void parse_fails(const char *text, const char *message)
{
    struct tars_err err = TARS_ERR_INIT;
    assert_int_equal(tars_url_parse(&url, text, &err), TARS_EINVAL);
    assert_int_equal(err.code, TARS_EINVAL);
    assert_string_equal(err.msg, message);
}

static void test_plain_http_defaults(void **state)
{
    (void)state;
    parse_ok("http://example.com");
    assert_false(url.tls);
    assert_false(url.ipv6);
    assert_string_equal(url.host, "example.com");
    assert_int_equal(url.port, 80);
    assert_string_equal(url.path, "/");
}

static void test_https_with_port_path_query_fragment(void **state)
{
    (void)state;
    parse_ok("HTTPS://api.Example-1.com:8443/api/v1/agents?limit=10&q=a%20b#top");
    assert_true(url.tls);
    assert_string_equal(url.host, "api.Example-1.com");
    assert_int_equal(url.port, 8443);
    assert_string_equal(url.path, "/api/v1/agents?limit=10&q=a%20b");
}

static void test_https_default_port_and_query_only(void **state)
{
    (void)state;
    parse_ok("https://127.0.0.1?x=1");
    assert_true(url.tls);
    assert_int_equal(url.port, 443);
    assert_string_equal(url.host, "127.0.0.1");
    assert_string_equal(url.path, "/?x=1");
    parse_ok("http://h#only-a-fragment");
    assert_string_equal(url.path, "/");
}

static void test_ipv6_literal(void **state)
{
    char auth[TARS_URL_AUTHORITY_MAX];
    (void)state;
    parse_ok("http://[::1]:8080/x");
    assert_true(url.ipv6);
    assert_string_equal(url.host, "::1");
    assert_int_equal(url.port, 8080);
    assert_string_equal(url.path, "/x");
    assert_int_equal(tars_url_authority(&url, auth, sizeof(auth)), TARS_OK);
    assert_string_equal(auth, "[::1]:8080");
    parse_ok("https://[2001:db8::7]");
    assert_int_equal(url.port, 443);
    assert_string_equal(url.host, "2001:db8::7");
}

static void test_authority_omits_default_port(void **state)
{
    char auth[TARS_URL_AUTHORITY_MAX];
    char tiny[4];
    (void)state;
    parse_ok("https://example.com:443/");
    assert_int_equal(tars_url_authority(&url, auth, sizeof(auth)), TARS_OK);
    assert_string_equal(auth, "example.com");
    parse_ok("http://example.com:443/");
    assert_int_equal(tars_url_authority(&url, auth, sizeof(auth)), TARS_OK);
    assert_string_equal(auth, "example.com:443");
    assert_int_equal(tars_url_authority(&url, tiny, sizeof(tiny)), TARS_ETOOBIG);
}

static void test_bad_scheme(void **state)
{
    (void)state;
    parse_fails("ftp://example.com/", "unsupported scheme \"ftp\"");
    parse_fails("ws://example.com/", "unsupported scheme \"ws\"");
    parse_fails("example.com:8080/x",
                "missing \"http://\" or \"https://\" in \"example.com:8080/x\"");
    parse_fails("", "missing \"http://\" or \"https://\" in \"\"");
    parse_fails("http:/example.com",
                "missing \"http://\" or \"https://\" in \"http:/example.com\"");
}

static void test_bad_port(void **state)
{
    (void)state;
    parse_fails("http://example.com:99999/", "bad port \"99999\"");
    parse_fails("http://example.com:0/", "bad port \"0\"");
    parse_fails("http://example.com:80a/", "bad port \"80a\"");
    parse_fails("http://example.com:-1/", "bad port \"-1\"");
    parse_fails("http://example.com:/", "bad port \"\"");
    parse_fails("http://example.com:000000080/", "bad port \"000000080\"");
}

static void test_bad_host(void **state)
{
    char long_host[300];
    char text[400];
    (void)state;
    parse_fails("http:///path", "empty host");
    parse_fails("http://:8080/", "empty host");
    parse_fails("https://[]/", "empty host");
    parse_fails("http://exa mple.com/", "bad character 0x20 in host \"exa mple.com\"");
    parse_fails("http://user:pw@example.com/", "user info (\"user@host\") is not supported");
    parse_fails("http://[::1/", "missing \"]\" after IPv6 address \"[::1\"");
    parse_fails("http://[zz::1]/", "bad IPv6 address \"zz::1\"");
    parse_fails("http://[fe80::1%25eth0]/", "bad IPv6 address \"fe80::1%25eth0\"");
    parse_fails("http://[::1]x/", "bad character 0x78 after host");
    memset(long_host, 'a', 254);
    long_host[254] = '\0';
    snprintf(text, sizeof(text), "http://%s/", long_host);
    parse_fails(text, "host too long (254 bytes, at most 253)");
}

static void test_bad_path(void **state)
{
    (void)state;
    parse_fails("http://h/a b", "bad character 0x20 in path");
    parse_fails("http://h/a\x7f", "bad character 0x7f in path");
    parse_fails("http://h/caf\xc3\xa9", "bad character 0xc3 in path");
    parse_fails("http://h/a%zz", "bad percent-encoding in path");
    parse_fails("http://h/a%2", "bad percent-encoding in path");
}

static void test_length_bound(void **state)
{
    size_t n = TARS_URL_MAX + 10;
    char *text = malloc(n + 1);
    (void)state;
    assert_non_null(text);
    memcpy(text, "http://h/", 9);
    memset(text + 9, 'a', n - 9);
    text[n] = '\0';
    parse_fails(text, "URL too long (more than 8192 bytes)");
    text[TARS_URL_MAX] = '\0'; /* exactly at the bound: accepted */
    parse_ok(text);
    assert_int_equal(strlen(url.path), TARS_URL_MAX - 8);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_http_defaults),
        cmocka_unit_test(test_https_with_port_path_query_fragment),
        cmocka_unit_test(test_https_default_port_and_query_only),
        cmocka_unit_test(test_ipv6_literal),
        cmocka_unit_test(test_authority_omits_default_port),
        cmocka_unit_test(test_bad_scheme),
        cmocka_unit_test(test_bad_port),
        cmocka_unit_test(test_bad_host),
        cmocka_unit_test(test_bad_path),
        cmocka_unit_test(test_length_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
