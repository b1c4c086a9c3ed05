/* Unit tests for the route table of tars serve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"

static enum srv_match match(enum srv_method m, const char *path, const struct srv_route **route,
                            struct srv_params *params, char *allow)
{
    return srv_route_match(m, path, strlen(path), route, params, allow, 64);
}

static void test_exact_and_param_routes(void **state)
{
    const struct srv_route *route = NULL;
    struct srv_params params;
    char allow[64];
    (void)state;

    assert_int_equal(match(SRV_GET, "/api/v1/agents", &route, &params, allow), SRV_MATCHED);
    assert_string_equal(route->template, "/api/v1/agents");
    assert_int_equal(params.count, 0);

    assert_int_equal(match(SRV_GET, "/api/v1/agents/ethical/history", &route, &params, allow),
                     SRV_MATCHED);
    assert_string_equal(route->template, "/api/v1/agents/{id}/history");
    assert_int_equal(params.count, 1);
    assert_string_equal(params.value[0], "ethical");

    assert_int_equal(match(SRV_POST, "/api/v1/admin/api-keys/svc_a/rotate", &route, &params, allow),
                     SRV_MATCHED);
    assert_string_equal(route->template, "/api/v1/admin/api-keys/{id}/rotate");
    assert_string_equal(params.value[0], "svc_a");
    assert_int_equal(route->access, SRV_ADMIN);
}

static void test_access_levels(void **state)
{
    const struct srv_route *route = NULL;
    struct srv_params params;
    char allow[64];
    (void)state;

    assert_int_equal(match(SRV_GET, "/health", &route, &params, allow), SRV_MATCHED);
    assert_int_equal(route->access, SRV_PUBLIC);
    assert_int_equal(match(SRV_DELETE, "/api/v1/evaluations/x", &route, &params, allow),
                     SRV_MATCHED);
    assert_int_equal(route->access, SRV_DEVELOPER);
    assert_int_equal(match(SRV_GET, "/api/v1/evaluations/x", &route, &params, allow), SRV_MATCHED);
    assert_int_equal(route->access, SRV_VIEWER);
    assert_int_equal(match(SRV_POST, "/api/v1/auth/token", &route, &params, allow), SRV_MATCHED);
    assert_int_equal(route->access, SRV_AUTH_ENDPOINT);
}

static void test_not_found_and_wrong_method(void **state)
{
    const struct srv_route *route = NULL;
    struct srv_params params;
    char allow[64];
    (void)state;

    assert_int_equal(match(SRV_GET, "/api/v1/nope", &route, &params, allow), SRV_NOT_FOUND);
    assert_int_equal(match(SRV_GET, "/api/v1/agents/", &route, &params, allow), SRV_NOT_FOUND);
    assert_int_equal(match(SRV_GET, "/api/v1/agents/a/b", &route, &params, allow), SRV_NOT_FOUND);
    assert_int_equal(match(SRV_GET, "/healthz", &route, &params, allow), SRV_NOT_FOUND);
    assert_int_equal(match(SRV_METHOD_OTHER, "/api/v1/evaluations/x", &route, &params, allow),
                     SRV_WRONG_METHOD);
    assert_string_equal(allow, "GET, PUT, DELETE, OPTIONS");
    assert_int_equal(match(SRV_DELETE, "/api/v1/agents", &route, &params, allow), SRV_WRONG_METHOD);
    assert_string_equal(allow, "GET, OPTIONS");
}

static void test_long_parameter_is_not_found(void **state)
{
    const struct srv_route *route = NULL;
    struct srv_params params;
    char allow[64], path[512] = "/api/v1/evaluations/";
    (void)state;

    memset(path + strlen(path), 'a', 300);
    path[20 + 300] = '\0';
    assert_int_equal(match(SRV_GET, path, &route, &params, allow), SRV_NOT_FOUND);
}

static void test_methods(void **state)
{
    (void)state;
    assert_int_equal(srv_method_parse("GET", 3), SRV_GET);
    assert_int_equal(srv_method_parse("DELETE", 6), SRV_DELETE);
    assert_int_equal(srv_method_parse("GETX", 4), SRV_METHOD_OTHER);
    assert_string_equal(srv_method_name(SRV_PUT), "PUT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_param_routes),
        cmocka_unit_test(test_access_levels),
        cmocka_unit_test(test_not_found_and_wrong_method),
        cmocka_unit_test(test_long_parameter_is_not_found),
        cmocka_unit_test(test_methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
