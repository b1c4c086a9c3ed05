/* The grafana check type: panel expression scanning and parameter checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/misc_int.h"

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *v = json_loads(text, 0, &error);
    if (!v)
        fail_msg("bad test JSON: %s", error.text);
    return v;
}

static void test_expr_uses_rule(void **state)
{
    (void)state;
    assert_true(grafana_expr_uses_rule("tars:http_request_rate:1m", "tars:"));
    assert_true(grafana_expr_uses_rule("sum(tars:evaluation_rate:1m) by (agent)", "tars:"));
    assert_true(grafana_expr_uses_rule("tars:queue_depth:current{region=\"eu\"} > 5", "tars:"));
    assert_true(grafana_expr_uses_rule("1 - tars:evaluation_success_rate:1m", "tars:"));
    assert_true(grafana_expr_uses_rule("rate(x[5m]) / on() tars:a:b", "tars:"));
}

static void test_expr_without_rule(void **state)
{
    (void)state;
    /* Raw metrics, the query the rules were meant to replace. */
    assert_false(grafana_expr_uses_rule(
        "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))",
        "tars:"));
    /* "tars:" inside a label value or a string is not a rule. */
    assert_false(grafana_expr_uses_rule("up{job=\"tars:api\"}", "tars:"));
    assert_false(grafana_expr_uses_rule("label_replace(up, 'x', 'tars:y', '', '')", "tars:"));
    assert_false(grafana_expr_uses_rule("up{job=\"a\\\"tars:b\"}", "tars:"));
    /* The tail of a longer name, or a comment. */
    assert_false(grafana_expr_uses_rule("mytars:rate", "tars:"));
    assert_false(grafana_expr_uses_rule("app_tars:rate", "tars:"));
    assert_false(grafana_expr_uses_rule("up # tars:rate\n", "tars:"));
    /* The prefix alone names nothing. */
    assert_false(grafana_expr_uses_rule("tars: ", "tars:"));
    assert_false(grafana_expr_uses_rule("", "tars:"));
    /* A different prefix. */
    assert_true(grafana_expr_uses_rule("job:up:sum", "job:"));
    assert_false(grafana_expr_uses_rule("tars:x", "job:"));
}

static const char healthy[] =
    "{\"uid\":\"tars-evaluation\",\"panels\":["
    " {\"id\":1,\"title\":\"Rate\",\"targets\":[{\"expr\":\"tars:evaluation_rate:1m\"}]},"
    " {\"id\":2,\"title\":\"Notes\",\"type\":\"text\"},"
    " {\"id\":3,\"type\":\"row\",\"collapsed\":true,\"panels\":["
    "   {\"id\":4,\"title\":\"P95\",\"targets\":[{\"expr\":\"tars:evaluation_latency:p95:1m\"},"
    "                                          {\"expr\":\"tars:http_request_latency:p95:1m\"}]}]},"
    " {\"id\":5,\"title\":\"Empty target\",\"targets\":[{\"refId\":\"A\"}]}"
    "]}";

static void test_scan_healthy(void **state)
{
    struct grafana_panel_scan scan;
    json_t *d = parse(healthy);

    (void)state;
    grafana_scan_panels(d, "tars:", &scan);
    assert_int_equal(scan.panels, 2);
    assert_int_equal(scan.expressions, 3);
    assert_int_equal(scan.offending, 0);
    assert_string_equal(scan.list, "");
    json_decref(d);
}

static const char broken[] =
    "{\"panels\":["
    " {\"id\":1,\"title\":\"Rate\",\"targets\":[{\"expr\":\"tars:evaluation_rate:1m\"}]},"
    " {\"id\":7,\"title\":\"Latency\",\"targets\":[{\"expr\":\"tars:a:b\"},"
    "   {\"expr\":\"histogram_quantile(0.95, rate(x_bucket[5m]))\"}]},"
    " {\"id\":3,\"type\":\"row\",\"panels\":["
    "   {\"id\":9,\"title\":\"Errors\",\"targets\":[{\"expr\":\"rate(errors_total[1m])\"}]}]}"
    "],\"rows\":[{\"panels\":[{\"title\":\"Old\",\"targets\":[{\"expr\":\"up\"}]}]}]}";

static void test_scan_broken_lists_panels(void **state)
{
    struct grafana_panel_scan scan;
    json_t *d = parse(broken);

    (void)state;
    grafana_scan_panels(d, "tars:", &scan);
    assert_int_equal(scan.panels, 4);
    assert_int_equal(scan.expressions, 5);
    assert_int_equal(scan.offending, 3);
    assert_string_equal(scan.list, "\"Latency\" (id 7), \"Errors\" (id 9), \"Old\"");
    json_decref(d);
}

static void test_scan_no_panels(void **state)
{
    struct grafana_panel_scan scan;
    json_t *d = parse("{\"title\":\"x\"}");

    (void)state;
    grafana_scan_panels(d, "tars:", &scan);
    assert_int_equal(scan.panels, 0);
    assert_int_equal(scan.expressions, 0);
    grafana_scan_panels(NULL, "tars:", &scan);
    assert_int_equal(scan.expressions, 0);
    json_decref(d);
}

static void test_list_is_bounded(void **state)
{
    struct grafana_panel_scan scan;
    json_t *d = json_object(), *panels = json_array();

    (void)state;
    for (int i = 0; i < 200; i++)
        json_array_append_new(panels, json_pack("{s:i, s:s, s:[{s:s}]}", "id", i, "title",
                                                "a rather long panel title to fill the list",
                                                "targets", "expr", "raw_metric"));
    json_object_set_new(d, "panels", panels);
    grafana_scan_panels(d, "tars:", &scan);
    assert_int_equal(scan.offending, 200);
    assert_true(strlen(scan.list) < sizeof(scan.list));
    assert_non_null(strstr(scan.list, "..."));
    json_decref(d);
}

static const char *validate(const char *params_json)
{
    static struct tars_err err;
    const struct tars_check_type *t = tars_check_type_find("grafana");
    struct tars_json_reader rd = tars_json_reader_named("p", &err, true);
    json_t *p = parse(params_json);
    int rc;

    assert_non_null(t);
    memset(&err, 0, sizeof(err));
    rc = t->read_params(&rd, p);
    json_decref(p);
    return rc ? err.msg : NULL;
}

static void test_validate(void **state)
{
    (void)state;
    assert_null(validate("{\"check\":\"dashboard\",\"samples\":5,\"max_p95_ms\":\"5000\"}"));
    assert_null(validate("{\"check\":\"panels_use_rules\"}"));
    assert_non_null(strstr(validate("{\"check\":\"dashbord\"}"), "health, search, dashboard"));
    assert_non_null(strstr(validate("{\"check\":\"dashboard\",\"samples\":0}"), "samples"));
    assert_non_null(strstr(validate("{\"check\":\"dashboard\",\"max_ms\":\"fast\"}"), "max_ms"));
}

/* Dashboard load times with nothing, or nothing finite, to judge, and at
 * the limit (max_p95_ms 100). */
static void test_load_time_table(void **state)
{
    static const struct {
        const char *what;
        double ms[3];
        size_t n;
        enum tars_check_status want;
        const char *reason;
    } cases[] = {
        {"no data", {0}, 0, TARS_CHECK_ERROR, "no load measured"},
        {"NaN", {5, NAN}, 2, TARS_CHECK_ERROR, "load 2 took NaN ms"},
        {"+Inf", {INFINITY}, 1, TARS_CHECK_ERROR, "load 1 took +Inf ms"},
        {"-Inf", {-INFINITY, 4}, 2, TARS_CHECK_ERROR, "took -Inf ms"},
        {"exactly at the limit", {100, 20, 30}, 3, TARS_CHECK_FAIL, "p95 100.0 ms >= 100 ms"},
        {"just under", {99.9, 20, 30}, 3, TARS_CHECK_PASS, "3 cold loads"},
    };
    json_t *params = parse("{\"max_p95_ms\":100}");
    struct tars_check_result r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double ms[3];
        memcpy(ms, cases[i].ms, sizeof(ms));
        memset(&r, 0, sizeof(r));
        grafana_judge_loads(params, "d", ms, cases[i].n, &r);
        if (r.status != cases[i].want || !strstr(r.reason, cases[i].reason))
            fail_msg("%s: got %s \"%s\", want %s \"...%s...\"", cases[i].what,
                     tars_check_status_name(r.status), r.reason,
                     tars_check_status_name(cases[i].want), cases[i].reason);
    }
    json_decref(params);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_time_table),          cmocka_unit_test(test_expr_uses_rule),
        cmocka_unit_test(test_expr_without_rule),        cmocka_unit_test(test_scan_healthy),
        cmocka_unit_test(test_scan_broken_lists_panels), cmocka_unit_test(test_scan_no_panels),
        cmocka_unit_test(test_list_is_bounded),          cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests_name("check_type_grafana", tests, NULL, NULL);
}
