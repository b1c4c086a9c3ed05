/* Unit tests for lib/auth network lists (rate-limit exemptions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tars/ratelimit.h"

/* Whether nl contains the textual address (IPv4 or IPv6). */
static bool has(const struct tars_netlist *nl, const char *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
    }
    return tars_netlist_contains(nl, &ss);
}

static void test_contains(void **state)
{
    char err[128] = "";
    struct tars_netlist *nl = tars_netlist_parse(
        "127.0.0.0/8, ::1/128,10.0.0.0/8 ,192.168.1.5,2001:db8::/32,172.16.0.0/12", err,
        sizeof(err));
    (void)state;
    assert_non_null(nl);
    assert_true(has(nl, "127.1.2.3"));
    assert_false(has(nl, "128.0.0.1"));
    assert_true(has(nl, "10.255.255.255"));
    assert_false(has(nl, "11.0.0.0"));
    assert_true(has(nl, "192.168.1.5"));
    assert_false(has(nl, "192.168.1.6"));
    assert_true(has(nl, "172.16.0.1"));
    assert_true(has(nl, "172.31.255.255"));
    assert_false(has(nl, "172.32.0.0"));
    assert_false(has(nl, "172.15.255.255"));
    assert_true(has(nl, "::1"));
    assert_false(has(nl, "::2"));
    assert_true(has(nl, "2001:db8:1::1"));
    assert_false(has(nl, "2001:db9::"));
    /* IPv4-mapped IPv6 peers match IPv4 entries */
    assert_true(has(nl, "::ffff:127.0.0.1"));
    assert_true(has(nl, "::ffff:10.1.1.1"));
    assert_false(has(nl, "::ffff:11.0.0.1"));
    assert_false(has(nl, "::7f00:1")); /* IPv4-compatible is not mapped */
    tars_netlist_free(nl);
}

static void test_edges(void **state)
{
    char err[128] = "";
    struct tars_netlist *nl = tars_netlist_parse("0.0.0.0/0", err, sizeof(err));
    struct sockaddr_un un;
    (void)state;
    assert_non_null(nl);
    assert_true(has(nl, "1.2.3.4"));
    assert_true(has(nl, "255.255.255.255"));
    assert_false(has(nl, "2001:db8::1"));
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    assert_false(tars_netlist_contains(nl, &un));
    assert_false(tars_netlist_contains(nl, NULL));
    tars_netlist_free(nl);
    /* host bits are ignored */
    nl = tars_netlist_parse("10.1.2.3/8,fe80::1/10", err, sizeof(err));
    assert_non_null(nl);
    assert_true(has(nl, "10.9.9.9"));
    assert_true(has(nl, "febf::1"));
    assert_false(has(nl, "fec0::1"));
    tars_netlist_free(nl);
    /* an empty list contains nothing */
    nl = tars_netlist_parse("  ", err, sizeof(err));
    assert_non_null(nl);
    assert_false(has(nl, "127.0.0.1"));
    tars_netlist_free(nl);
    assert_false(tars_netlist_contains(NULL, NULL));
}

static void expect_error(const char *spec, const char *named)
{
    char err[128] = "";
    struct tars_netlist *nl = tars_netlist_parse(spec, err, sizeof(err));
    if (nl)
        fail_msg("\"%s\" was accepted", spec);
    if (!strstr(err, named))
        fail_msg("error \"%s\" does not name \"%s\"", err, named);
}

static void test_errors_name_the_entry(void **state)
{
    (void)state;
    expect_error("10.0.0.0/33", "\"10.0.0.0/33\"");
    expect_error("127.0.0.0/8,abc", "\"abc\"");
    expect_error("1.2.3.4/", "\"1.2.3.4/\"");
    expect_error("1.2.3.4/-1", "\"1.2.3.4/-1\"");
    expect_error("1.2.3.4/8x", "\"1.2.3.4/8x\"");
    expect_error("::1/129", "\"::1/129\"");
    expect_error("300.1.1.1", "\"300.1.1.1\"");
    expect_error("10.0.0.0/8,,1.2.3.4", "empty entry");
    expect_error("10.0.0.0/8,", "empty entry");
    expect_error("1.2.3.4 5.6.7.8", "\"1.2.3.4 5.6.7.8\"");
    /* NULL errbuf is allowed */
    assert_null(tars_netlist_parse("bad", NULL, 0));
}

static void test_too_many_entries(void **state)
{
    char *spec = malloc(300 * 12), err[128] = "";
    size_t n = 0;
    (void)state;
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(spec + n, "%s10.0.%d.%d", i ? "," : "", i / 250, i % 250);
    assert_null(tars_netlist_parse(spec, err, sizeof(err)));
    assert_non_null(strstr(err, "too many"));
    free(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_errors_name_the_entry),
        cmocka_unit_test(test_too_many_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
