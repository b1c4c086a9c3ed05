/* Unit tests for the Prometheus check types' pure pieces: conditions, the
 * judging of every series of canned /api/v1/query answers, rule names and
 * rule-group health from canned /api/v1/rules answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prom/prom_int.h"
#include "tars/check.h"

extern const struct tars_check_type tars_check_prometheus, tars_check_prometheus_rules,
    tars_check_prometheus_rule_health;

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, e.text);
    return v;
}

/* ---- conditions ---- */

static const char *condition(const char *text, struct prom_condition *c, char *buf, size_t size)
{
    json_t *v = parse(text);
    const char *why = prom_condition_parse(v, c, buf, size);
    json_decref(v);
    return why;
}

static void test_condition_forms(void **state)
{
    struct prom_condition c;
    char buf[128];

    (void)state;
    assert_null(condition("{\"op\":\"<\",\"value\":0.15}", &c, buf, sizeof(buf)));
    assert_true(c.set);
    assert_string_equal(c.op_text, "<");
    assert_true(c.value == 0.15);
    assert_null(condition("{\"op\":\">=\",\"value\":\"99.9\"}", &c, buf, sizeof(buf)));
    assert_true(c.value == 99.9);
    assert_null(condition("\"<= 1e3\"", &c, buf, sizeof(buf)));
    assert_string_equal(c.op_text, "<=");
    assert_true(c.value == 1000);
    assert_null(condition("\"== 0\"", &c, buf, sizeof(buf)));
    assert_int_equal(tars_judge(0, c.op, c.value), TARS_JUDGE_PASS);
    assert_non_null(condition("{\"op\":\"=<\",\"value\":1}", &c, buf, sizeof(buf)));
    assert_non_null(condition("{\"op\":\"<\",\"value\":\"fast\"}", &c, buf, sizeof(buf)));
    assert_string_equal(buf, "parameters: value must be a number, not \"fast\"");
    assert_non_null(condition("{\"op\":\"<\"}", &c, buf, sizeof(buf)));
    assert_non_null(condition("\"below 3\"", &c, buf, sizeof(buf)));
    assert_non_null(condition("\"< \"", &c, buf, sizeof(buf)));
    assert_non_null(condition("{\"op\":\"<\",\"value\":1,\"extra\":2}", &c, buf, sizeof(buf)));
}

/* ---- judging series ---- */

static const char *vector3 =
    "{\"resultType\":\"vector\",\"result\":["
    "{\"metric\":{\"endpoint\":\"/health\",\"method\":\"GET\"},\"value\":[1700000000.1,\"0.004\"]},"
    "{\"metric\":{\"endpoint\":\"/api/v1/"
    "agents\",\"method\":\"GET\"},\"value\":[1700000000.1,\"0.2\"]},"
    "{\"metric\":{\"__name__\":\"x\",\"endpoint\":\"/ready\"},\"value\":[1700000000.1,\"0.01\"]}]}";

static enum prom_verdict judge(const char *data, const struct prom_judge *j, char *reason,
                               size_t size)
{
    json_t *d = parse(data);
    enum prom_verdict v = prom_judge_data(d, j, reason, size);
    json_decref(d);
    return v;
}

static struct prom_judge judge_lt(double value, double scale, const char *unit, const char *what)
{
    struct prom_judge j = {{true, 0, "<", value}, scale, unit, what, false};
    assert_int_equal(tars_judge_op_parse("<", &j.cond.op), 0);
    return j;
}

static void test_judge_every_series(void **state)
{
    struct prom_judge j = judge_lt(150, 1000, " ms", "p95 latency");
    char reason[512];

    (void)state;
    assert_int_equal(judge(vector3, &j, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(reason, "1 of 3 series: p95 latency not < 150 ms: "
                                "{endpoint=\"/api/v1/agents\", method=\"GET\"} 200 ms");
    j.cond.value = 250;
    assert_int_equal(judge(vector3, &j, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason, "3 series, p95 latency all < 250 ms (max 200 ms)");
    j.cond.value = 1;
    assert_int_equal(judge(vector3, &j, reason, sizeof(reason)), PROM_FAIL);
    assert_true(strncmp(reason, "3 of 3 series", 13) == 0);
    assert_non_null(strstr(reason, "x{endpoint=\"/ready\"} 10 ms"));
}

static void test_judge_single_and_no_condition(void **state)
{
    struct prom_judge j = judge_lt(0.01, 0, NULL, "5xx ratio"), any = {0};
    const char *one =
        "{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"0.02\"]}]}";
    char reason[512];

    (void)state;
    assert_int_equal(judge(one, &j, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(reason, "5xx ratio 0.02, expected < 0.01");
    j.cond.value = 0.05;
    assert_int_equal(judge(one, &j, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason, "5xx ratio 0.02 < 0.05");
    assert_int_equal(judge(vector3, &any, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason, "3 series (value 0.004 to 0.2)");
}

static void test_judge_empty_and_nan(void **state)
{
    struct prom_judge j = judge_lt(1, 0, NULL, NULL);
    const char *empty = "{\"resultType\":\"vector\",\"result\":[]}";
    const char *nan =
        "{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"a\":\"1\"},\"value\":[1,\"NaN\"]},"
        "{\"metric\":{\"a\":\"2\"},\"value\":[1,\"NaN\"]}]}";
    const char *half =
        "{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"a\":\"1\"},\"value\":[1,\"NaN\"]},"
        "{\"metric\":{\"a\":\"2\"},\"value\":[1,\"0.5\"]}]}";
    char reason[512];

    (void)state;
    assert_int_equal(judge(empty, &j, reason, sizeof(reason)), PROM_EMPTY);
    assert_string_equal(reason, "the query returned no series");
    /* NaN is never judged: a condition over it is inconclusive... */
    assert_int_equal(judge(nan, &j, reason, sizeof(reason)), PROM_UNMEASURED);
    assert_string_equal(reason, "2 series, none finite (2 NaN, 0 Inf; first {a=\"1\"} NaN): "
                                "no value measured");
    /* ...unless it means "no traffic" (0/0), then it is no data */
    j.nan_is_empty = true;
    assert_int_equal(judge(nan, &j, reason, sizeof(reason)), PROM_EMPTY);
    assert_string_equal(reason, "2 series, every one NaN (no traffic in the window)");
    assert_int_equal(judge(half, &j, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason, "value 0.5 < 1");
}

static void test_judge_scalar_matrix_and_infinity(void **state)
{
    struct prom_judge j = judge_lt(10, 0, NULL, NULL);
    const char *scalar = "{\"resultType\":\"scalar\",\"result\":[1,\"3\"]}";
    const char *matrix = "{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"job\":\"tars\"},"
                         "\"values\":[[1,\"1\"],[2,\"12\"],[3,\"2\"]]}]}";
    const char *inf =
        "{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"+Inf\"]}]}";
    char reason[512];

    (void)state;
    assert_int_equal(judge(scalar, &j, reason, sizeof(reason)), PROM_PASS);
    assert_int_equal(judge(matrix, &j, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(reason, "1 of 3 samples: value not < 10: {job=\"tars\"} 12");
    assert_int_equal(judge(inf, &j, reason, sizeof(reason)), PROM_UNMEASURED);
}

/* Every way of having nothing to judge, and the edges of what is judged,
 * for a threshold (< 150 ms, values in seconds scaled to ms) and for a bare
 * "has data" query. */
#define V1(value)                                                                                  \
    "{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"e\":\"/a\"},\"value\":[1,\"" value      \
    "\"]}]}"
#define V2(a, b)                                                                                   \
    "{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"e\":\"/a\"},\"value\":[1,\"" a "\"]},"  \
    "{\"metric\":{\"e\":\"/b\"},\"value\":[1,\"" b "\"]}]}"

static void test_judge_table(void **state)
{
    static const struct {
        const char *what, *data;
        bool cond, nan_is_empty;
        enum prom_verdict want;
        const char *reason; /* a part of it */
    } cases[] = {
        {"no data member", "null", true, false, PROM_BAD, "unexpected answer"},
        {"no result member", "{\"resultType\":\"vector\"}", true, false, PROM_BAD,
         "unexpected answer"},
        {"empty list", "{\"resultType\":\"vector\",\"result\":[]}", true, false, PROM_EMPTY,
         "no series"},
        {"empty list, has data", "{\"resultType\":\"vector\",\"result\":[]}", false, false,
         PROM_EMPTY, "no series"},
        {"NaN", V1("NaN"), true, false, PROM_UNMEASURED, "1 NaN"},
        {"NaN, has data", V1("NaN"), false, false, PROM_UNMEASURED, "none finite"},
        {"NaN as no traffic", V1("NaN"), true, true, PROM_EMPTY, "every one NaN"},
        {"+Inf", V1("+Inf"), true, false, PROM_UNMEASURED, "{e=\"/a\"} +Inf"},
        {"+Inf, has data", V1("+Inf"), false, false, PROM_UNMEASURED, "1 Inf"},
        {"+Inf is not no traffic", V1("+Inf"), true, true, PROM_UNMEASURED, "+Inf"},
        {"-Inf", V1("-Inf"), true, false, PROM_UNMEASURED, "-Inf"},
        {"at the limit", V1("0.150"), true, false, PROM_FAIL, "expected < 150 ms"},
        {"just under", V1("0.1499"), true, false, PROM_PASS, "149.9 ms < 150 ms"},
        {"finite and NaN", V2("0.01", "NaN"), true, false, PROM_UNMEASURED,
         "1 of 2 series not finite"},
        {"finite and NaN as no traffic", V2("0.01", "NaN"), true, true, PROM_PASS, "10 ms < 150"},
        {"finite and NaN, has data", V2("0.01", "NaN"), false, false, PROM_PASS,
         "1 more not finite"},
        {"failing and Inf", V2("0.5", "+Inf"), true, false, PROM_FAIL, "500 ms"},
        {"peer error answer", "{\"status\":\"error\",\"error\":\"bad_data\"}", true, false,
         PROM_BAD, "unexpected answer"},
    };
    char reason[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct prom_judge j = judge_lt(150, 1000, " ms", "p95");
        enum prom_verdict got;
        j.cond.set = cases[i].cond;
        j.nan_is_empty = cases[i].nan_is_empty;
        got = judge(cases[i].data, &j, reason, sizeof(reason));
        if (got != cases[i].want || !strstr(reason, cases[i].reason))
            fail_msg("%s: got %d \"%s\", want %d \"...%s...\"", cases[i].what, got, reason,
                     cases[i].want, cases[i].reason);
    }
}

static void test_judge_bad_answers(void **state)
{
    struct prom_judge j = judge_lt(10, 0, NULL, NULL);
    const char *bad[] = {
        "{\"resultType\":\"vector\"}",
        "{\"resultType\":\"string\",\"result\":[1,\"x\"]}",
        "{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"fast\"]}]}",
        "{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,2]}]}",
        "{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"2\"]}]}",
        "{\"resultType\":\"scalar\",\"result\":[1]}",
    };
    char reason[512];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(judge(bad[i], &j, reason, sizeof(reason)), PROM_BAD);
}

static void test_series_name_bounded(void **state)
{
    json_t *m = parse("{\"__name__\":\"up\",\"job\":\"tars\",\"instance\":\"127.0.0.1:9\"}");
    char small[20], name[200];
    double v;
    json_t *d = parse(vector3);

    (void)state;
    prom_series_name(m, name, sizeof(name));
    assert_string_equal(name, "up{job=\"tars\", instance=\"127.0.0.1:9\"}");
    prom_series_name(m, small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_string_equal(small + sizeof(small) - 4, "...");
    assert_true(prom_series_value(d, "endpoint", "/api/v1/agents", &v));
    assert_true(v == 0.2);
    assert_false(prom_series_value(d, "endpoint", "/nope", &v));
    json_decref(m);
    json_decref(d);
}

/* ---- rules ---- */

static const char *rules_answer =
    "{\"groups\":["
    "{\"name\":\"tars_api_aggregations\",\"file\":\"/"
    "r.yaml\",\"interval\":15,\"evaluationTime\":0.0012,"
    " \"rules\":[{\"name\":\"tars:http_request_rate:1m\",\"health\":\"ok\",\"lastError\":\"\","
    "\"type\":\"recording\"},"
    "            {\"name\":\"tars:http_error_rate:1m\",\"health\":\"ok\",\"type\":\"recording\"}]},"
    "{\"name\":\"tars_slo_compliance\",\"file\":\"/"
    "r.yaml\",\"interval\":60,\"evaluationTime\":0.0004,"
    " \"rules\":[{\"name\":\"tars:slo:error_rate:compliance:1h\",\"health\":\"ok\",\"lastError\":"
    "\"\"}]},"
    "{\"name\":\"other\",\"evaluationTime\":2.5,"
    " \"rules\":[{\"name\":\"broken\",\"health\":\"err\",\"lastError\":\"many-to-many matching not "
    "allowed\"}]}]}";

static void test_rule_names_from_api_and_file(void **state)
{
    json_t *api = parse(rules_answer);
    json_t *file =
        parse("{\"groups\":[{\"name\":\"g\",\"rules\":[{\"record\":\"a:b\",\"expr\":\"up\"},"
              "{\"alert\":\"High\",\"expr\":\"up == 0\"}]}]}");
    json_t *names = prom_rule_names(api), *fnames = prom_rule_names(file);

    (void)state;
    assert_int_equal(json_array_size(names), 4);
    assert_string_equal(json_string_value(json_array_get(names, 2)),
                        "tars:slo:error_rate:compliance:1h");
    assert_int_equal(json_array_size(fnames), 2);
    assert_string_equal(json_string_value(json_array_get(fnames, 1)), "High");
    json_decref(names);
    json_decref(fnames);
    json_decref(api);
    json_decref(file);
}

static void test_rules_missing(void **state)
{
    json_t *api = parse(rules_answer), *have = prom_rule_names(api);
    json_t *all = parse("[\"tars:http_request_rate:1m\",\"tars:http_error_rate:1m\"]");
    json_t *some =
        parse("[\"tars:http_request_rate:1m\",\"tars:queue_depth:current\",\"tars:nope\"]");
    json_t *none = parse("[]");
    char reason[512];

    (void)state;
    assert_int_equal(prom_rules_missing(have, all, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason, "all 2 rules loaded (4 in prometheus)");
    assert_int_equal(prom_rules_missing(have, some, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(reason, "2 of 3 rules missing: tars:queue_depth:current tars:nope");
    assert_int_equal(prom_rules_missing(have, none, reason, sizeof(reason)), PROM_EMPTY);
    json_decref(api);
    json_decref(have);
    json_decref(all);
    json_decref(some);
    json_decref(none);
}

static enum prom_verdict health(const char *answer, const char *groups, const char *prefix,
                                double max_ms, char *reason, size_t size)
{
    json_t *data = parse(answer), *g = groups ? parse(groups) : NULL;
    struct prom_health_spec spec = {g, prefix, max_ms};
    enum prom_verdict v = prom_rule_health(data, &spec, reason, size);
    json_decref(data);
    json_decref(g);
    return v;
}

static void test_rule_health(void **state)
{
    char reason[512];
    const char *pending =
        "{\"groups\":[{\"name\":\"tars_x\",\"evaluationTime\":0,\"rules\":["
        "{\"name\":\"a\",\"health\":\"ok\"},{\"name\":\"b\",\"health\":\"unknown\"}]}]}";

    (void)state;
    assert_int_equal(health(rules_answer, NULL, "tars_", 1000, reason, sizeof(reason)), PROM_PASS);
    assert_string_equal(reason, "2 groups, 3 rules healthy; slowest tars_api_aggregations 1.2 ms");
    assert_int_equal(health(rules_answer, NULL, "tars_", 1, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(reason, "group tars_api_aggregations took 1.2 ms (max 1 ms)");
    assert_int_equal(health(rules_answer, NULL, NULL, 1000, reason, sizeof(reason)), PROM_FAIL);
    assert_string_equal(reason, "group other took 2500.0 ms (max 1000 ms); "
                                "other/broken err: many-to-many matching not allowed");
    assert_int_equal(health(rules_answer, "[\"tars_slo_compliance\",\"tars_gone\"]", NULL, 1000,
                            reason, sizeof(reason)),
                     PROM_FAIL);
    assert_string_equal(reason, "group tars_gone not loaded");
    assert_int_equal(health(rules_answer, NULL, "nothing_", 1000, reason, sizeof(reason)),
                     PROM_EMPTY);
    assert_string_equal(reason, "no rule group named nothing_*");
    assert_int_equal(health(pending, NULL, NULL, 1000, reason, sizeof(reason)), PROM_BAD);
    assert_string_equal(reason, "1 of 2 rules not evaluated yet (first tars_x/b)");
}

/* Rule health with nothing to judge: never a pass. */
static void test_rule_health_table(void **state)
{
    static const struct {
        const char *what, *answer, *prefix;
        enum prom_verdict want;
        const char *reason;
    } cases[] = {
        {"no data", "{}", NULL, PROM_EMPTY, "no rule groups loaded"},
        {"empty list", "{\"groups\":[]}", NULL, PROM_EMPTY, "no rule groups loaded"},
        {"groups without rules",
         "{\"groups\":[{\"name\":\"g\",\"evaluationTime\":0.1,\"rules\":[]}]}", NULL, PROM_EMPTY,
         "hold no rules"},
        {"no evaluation time",
         "{\"groups\":[{\"name\":\"g\",\"rules\":[{\"name\":\"a\",\"health\":\"ok\"}]}]}", NULL,
         PROM_BAD, "not evaluated yet (first g/(no evaluationTime))"},
        {"evaluation time exactly at the limit",
         "{\"groups\":[{\"name\":\"g\",\"evaluationTime\":0.5,\"rules\":[{\"name\":\"a\","
         "\"health\":\"ok\"}]}]}",
         NULL, PROM_PASS, "1 groups, 1 rules healthy"},
        {"a rule in error",
         "{\"groups\":[{\"name\":\"g\",\"evaluationTime\":0.1,\"rules\":[{\"name\":\"a\","
         "\"health\":\"err\",\"lastError\":\"boom\"}]}]}",
         NULL, PROM_FAIL, "g/a err: boom"},
    };
    char reason[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum prom_verdict got =
            health(cases[i].answer, NULL, cases[i].prefix, 500, reason, sizeof(reason));
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
    assert_null(validate(&tars_check_prometheus, "{\"query\":\"up\",\"condition\":\"== 1\"}", buf,
                         sizeof(buf)));
    assert_non_null(validate(&tars_check_prometheus, "{\"query\":\"\"}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_prometheus,
                             "{\"query\":\"up\",\"condition\":{\"op\":\"~\",\"value\":1}}", buf,
                             sizeof(buf)));
    assert_non_null(validate(&tars_check_prometheus,
                             "{\"query\":\"up\",\"url\":\"localhost:9090\"}", buf, sizeof(buf)));
    assert_null(validate(&tars_check_prometheus_rules, "{\"names\":[\"a:b\"]}", buf, sizeof(buf)));
    assert_null(
        validate(&tars_check_prometheus_rules, "{\"file\":\"rules.yaml\"}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_prometheus_rules, "{}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_prometheus_rules, "{\"names\":[]}", buf, sizeof(buf)));
    assert_null(validate(&tars_check_prometheus_rule_health,
                         "{\"group_prefix\":\"tars_\",\"max_ms\":100}", buf, sizeof(buf)));
    assert_non_null(
        validate(&tars_check_prometheus_rule_health, "{\"max_ms\":0}", buf, sizeof(buf)));
    assert_non_null(validate(&tars_check_prometheus_rule_health,
                             "{\"groups\":[\"a\"],\"group_prefix\":\"b\"}", buf, sizeof(buf)));
}

/* ---- URL encoding ---- */

static void test_url_encode(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(1024);

    (void)state;
    assert_int_equal(prom_url_encode(&b, "sum(rate(x{a=\"b c\"}[5m])) / 2 + é"), 0);
    assert_string_equal(
        b.data, "sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29%29%20%2F%202%20%2B%20%C3%A9");
    tars_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_condition_forms),
        cmocka_unit_test(test_judge_every_series),
        cmocka_unit_test(test_judge_single_and_no_condition),
        cmocka_unit_test(test_judge_empty_and_nan),
        cmocka_unit_test(test_judge_scalar_matrix_and_infinity),
        cmocka_unit_test(test_judge_bad_answers),
        cmocka_unit_test(test_judge_table),
        cmocka_unit_test(test_series_name_bounded),
        cmocka_unit_test(test_rule_names_from_api_and_file),
        cmocka_unit_test(test_rules_missing),
        cmocka_unit_test(test_rule_health),
        cmocka_unit_test(test_rule_health_table),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_url_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
