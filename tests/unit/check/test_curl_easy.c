/* Unit tests for the one libcurl set-up: http and https only, the status
 * 0 when nothing answered, a body writer bounded by its buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/buf.h"
#include "tars/curl_easy.h"

static void test_only_http_and_https(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    CURLcode cc;
    CURL *h = tars_curl_easy("file:///etc/hostname", 1000, "tars-test", &err);
    (void)state;

    assert_non_null(h);
    assert_int_equal(tars_curl_perform(h, &cc), 0);
    assert_int_equal(cc, CURLE_UNSUPPORTED_PROTOCOL);
    curl_easy_cleanup(h);
}

static void test_to_buf_stops_at_the_limit(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(4);
    char data[] = "abcdef";
    (void)state;

    assert_int_equal(tars_curl_to_buf(data, 1, 3, &b), 3);
    assert_int_equal(b.len, 3);
    assert_int_equal(tars_curl_to_buf(data + 3, 1, 3, &b), 0); /* 6 > 4: stop */
    assert_null(b.data);
    tars_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_http_and_https),
        cmocka_unit_test(test_to_buf_stops_at_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
