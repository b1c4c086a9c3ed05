/* Unit tests for the slo, ppo and canary presets: the PromQL they build, the
 * checks on the pieces that go into it, the canary judgement and the static
 * validation of parameters. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prom/prom_int.h"
#include "tars/check.h"

extern const struct tars_check_type tars_check_slo, tars_check_ppo, tars_check_canary;

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, e.text);
    return v;
}

/* ---- PromQL ---- */

static void test_quantile_query(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(4096);
    struct promql_scope plain = {NULL, "5m", NULL};
    struct promql_scope scoped = {"endpoint!=\"/metrics\"", "1m", "endpoint, method"};

    (void)state;
    assert_int_equal(promql_quantile(&b, "tars_http_request_duration_seconds", 0.95, &plain), 0);
    assert_string_equal(b.data, "histogram_quantile(0.95, sum by (le) "
                                "(rate(tars_http_request_duration_seconds_bucket[5m])))");
    tars_buf_reset(&b);
    assert_int_equal(promql_quantile(&b, "h", 0.99, &scoped), 0);
    assert_string_equal(b.data, "histogram_quantile(0.99, sum by (le, endpoint, method) "
                                "(rate(h_bucket{endpoint!=\"/metrics\"}[1m])))");
    tars_buf_release(&b);
}

static void test_ratio_query(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(4096);
    struct promql_scope plain = {NULL, "5m", NULL};
    struct promql_scope scoped = {"job=\"tars\"", "10m", "deployment"};

    (void)state;
    assert_int_equal(promql_ratio(&b, "tars_http_requests_total", "status=~\"5..\"", &plain), 0);
    assert_string_equal(b.data, "(sum(rate(tars_http_requests_total{status=~\"5..\"}[5m]))"
                                " or 0 * sum(rate(tars_http_requests_total[5m])))"
                                " / sum(rate(tars_http_requests_total[5m]))");
    tars_buf_reset(&b);
    assert_int_equal(promql_ratio(&b, "c", "status!=\"error\"", &scoped), 0);
    assert_string_equal(b.data,
                        "(sum by (deployment) (rate(c{status!=\"error\", job=\"tars\"}[10m]))"
                        " or 0 * sum by (deployment) (rate(c{job=\"tars\"}[10m])))"
                        " / sum by (deployment) (rate(c{job=\"tars\"}[10m]))");
    tars_buf_release(&b);
}

static void test_query_bounded(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(64);
    struct promql_scope plain = {NULL, "5m", NULL};

    (void)state;
    assert_int_equal(promql_ratio(&b, "tars_http_requests_total", "status=~\"5..\"", &plain),
                     TARS_ETOOBIG);
    tars_buf_release(&b);
}

static void test_pieces(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(256);

    (void)state;
    assert_true(promql_window_valid("5m"));
    assert_true(promql_window_valid("1h30m"));
    assert_true(promql_window_valid("500ms"));
    assert_false(promql_window_valid("5"));
    assert_false(promql_window_valid("m"));
    assert_false(promql_window_valid("5m]"));
    assert_false(promql_window_valid(""));
    assert_true(promql_label_name_valid("deployment"));
    assert_false(promql_label_name_valid("2x"));
    assert_false(promql_label_name_valid("a-b"));
    assert_true(promql_label_list_valid("endpoint, method"));
    assert_true(promql_label_list_valid("endpoint"));
    assert_false(promql_label_list_valid("endpoint,"));
    assert_false(promql_label_list_valid("end point"));
    assert_true(promql_selector_valid("endpoint!=\"/metrics\", job=\"tars\""));
    assert_false(promql_selector_valid("a=\"b\"} or vector(1) or up{"));
    assert_int_equal(promql_matcher(&b, "deployment", "can\"ary\\"), 0);
    assert_string_equal(b.data, "deployment=\"can\\\"ary\\\\\"");
    tars_buf_release(&b);
}

/* ---- canary ---- */

static const struct canary_limits limits = {0.01, 100, 0.005, 1.5};

static void test_canary_pass_and_compare(void **state)
{
    struct canary_figures f = {{true, true, true, true}, {0.001, 0.0005, 12.0, 10.0}};
    char reason[512];

    (void)state;
    assert_int_equal(prom_canary_judge(&f, &limits, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason, "canary 5xx ratio 0.001, p95 12.0 ms (stable 0.0005, 10.0 ms)");
    f.has[STABLE_ERROR] = f.has[STABLE_P95] = false;
    assert_int_equal(prom_canary_judge(&f, &limits, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason,
                        "canary 5xx ratio 0.001, p95 12.0 ms (no stable traffic to compare)");
}

static void test_canary_fails_name_every_limit(void **state)
{
    struct canary_figures abs = {{true, true, true, true}, {0.02, 0.02, 150.0, 140.0}};
    struct canary_figures rel = {{true, true, true, true}, {0.008, 0.001, 40.0, 20.0}};
    char reason[512];

    (void)state;
    assert_int_equal(prom_canary_judge(&abs, &limits, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(
        reason, "canary 5xx ratio 0.02, expected < 0.01; canary p95 150.0 ms, expected < 100 ms");
    assert_int_equal(prom_canary_judge(&rel, &limits, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(reason, "canary 5xx ratio 0.008 is more than 0.005 above stable's 0.001; "
                                "canary p95 40.0 ms is more than 1.5 x stable's 20.0 ms");
}

static void test_canary_without_traffic_is_empty(void **state)
{
    struct canary_figures f = {{false, true, false, true}, {0, 0.001, 0, 10}};
    char reason[512];

    (void)state;
    assert_int_equal(prom_canary_judge(&f, &limits, reason, sizeof(reason)), PROM_EMPTY);
    assert_string_equal(reason, "no canary traffic in the window (no 5xx ratio or p95)");
}

/* The canary judgement with nothing, or nothing finite, to judge. */
static void test_canary_table(void **state)
{
    static const struct {
        const char *what;
        struct canary_figures f;
        enum prom_verdict want;
        const char *reason;
    } cases[] = {
        {"no data", {{false, false, false, false}, {0, 0, 0, 0}}, PROM_EMPTY, "no canary traffic"},
        {"no p95", {{true, true, false, true}, {0, 0, 0, 5}}, PROM_EMPTY, "no canary traffic"},
        {"NaN ratio",
         {{true, false, true, false}, {NAN, 0, 5, 0}},
         PROM_UNMEASURED,
         "canary 5xx ratio is NaN"},
        {"+Inf p95",
         {{true, false, true, false}, {0, 0, INFINITY, 0}},
         PROM_UNMEASURED,
         "canary p95 is +Inf"},
        {"-Inf stable p95",
         {{true, true, true, true}, {0, 0, 5, -INFINITY}},
         PROM_UNMEASURED,
         "stable p95 is -Inf"},
        {"+Inf stable p95",
         {{true, true, true, true}, {0, 0, 5, INFINITY}},
         PROM_UNMEASURED,
         "stable p95 is +Inf"},
        {"p95 at the limit",
         {{true, false, true, false}, {0, 0, 100, 0}},
         PROM_FAIL,
         "canary p95 100.0 ms, expected < 100 ms"},
        {"ratio at the limit",
         {{true, false, true, false}, {0.01, 0, 5, 0}},
         PROM_FAIL,
         "expected < 0.01"},
        {"under the limits",
         {{true, false, true, false}, {0.0099, 0, 99.9, 0}},
         PROM_PASS,
         "no stable traffic to compare"},
    };
    char reason[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum prom_verdict got = prom_canary_judge(&cases[i].f, &limits, reason, sizeof(reason));
        if (got != cases[i].want || !strstr(reason, cases[i].reason))
            fail_msg("%s: got %d \"%s\", want %d \"...%s...\"", cases[i].what, got, reason,
                     cases[i].want, cases[i].reason);
    }
}

/* ---- validation ---- */

static const char *validate(const struct tars_check_type *t, const char *params, char *buf,
                            size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_json_reader rd = tars_json_reader_named("p", &err, true);
    json_t *p = parse(params);
    int rc = t->read_params(&rd, p);

    json_decref(p);
    snprintf(buf, size, "%s", err.msg);
    return rc ? buf : NULL;
}

static void test_validate(void **state)
{
    char buf[256];

    (void)state;
    assert_null(
        validate(&tars_check_slo,
                 "{\"objective\":\"latency\",\"threshold\":\"150\",\"window\":\"1m\","
                 "\"by\":[\"endpoint\",\"method\"],\"selector\":\"endpoint!=\\\"/metrics\\\"\"}",
                 buf, sizeof(buf)));
    assert_null(validate(&tars_check_slo, "{\"objective\":\"error_rate\",\"by\":\"endpoint\"}", buf,
                         sizeof(buf)));
    assert_null(validate(&tars_check_slo,
                         "{\"objective\":\"evaluation_success\",\"threshold\":0.99}", buf,
                         sizeof(buf)));
    assert_non_null(validate(&tars_check_slo, "{\"objective\":\"speed\"}", buf, sizeof(buf)));
    assert_string_equal(buf, "p: objective must be one of latency, error_rate, evaluation_success, "
                             "not \"speed\"");
    assert_non_null(validate(
        &tars_check_slo, "{\"objective\":\"latency\",\"window\":\"5 minutes\"}", buf, sizeof(buf)));
    assert_non_null(
        validate(&tars_check_slo, "{\"objective\":\"latency\",\"quantile\":95}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_slo, "{\"objective\":\"error_rate\",\"quantile\":0.5}",
                             buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_slo,
                             "{\"objective\":\"latency\",\"selector\":\"a=\\\"b\\\"}\"}", buf,
                             sizeof(buf)));
    assert_non_null(validate(&tars_check_slo, "{\"objective\":\"latency\",\"metric\":\"a-b\"}", buf,
                             sizeof(buf)));
    assert_null(validate(&tars_check_ppo, "{}", buf, sizeof(buf)));
    assert_null(validate(&tars_check_ppo,
                         "{\"objective\":\"growth\",\"window\":\"6h\",\"threshold\":10,"
                         "\"source\":\"container\"}",
                         buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_ppo, "{\"source\":\"pod\"}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_ppo, "{\"threshold\":-1}", buf, sizeof(buf)));
    assert_null(validate(&tars_check_canary,
                         "{\"label\":\"track\",\"canary\":\"v2\",\"stable\":\"v1\","
                         "\"max_error_rate_delta\":0}",
                         buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_canary, "{\"label\":\"a-b\"}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_canary, "{\"max_p95_ms\":\"fast\"}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_canary, "{\"canary\":\"\"}", buf, sizeof(buf)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_query),
        cmocka_unit_test(test_ratio_query),
        cmocka_unit_test(test_query_bounded),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_canary_pass_and_compare),
        cmocka_unit_test(test_canary_fails_name_every_limit),
        cmocka_unit_test(test_canary_without_traffic_is_empty),
        cmocka_unit_test(test_canary_table),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
