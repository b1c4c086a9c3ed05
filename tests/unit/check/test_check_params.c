/* Every check type reads its parameters through the typed getters of
 * tars/json.h: a problem in them is worded as the suite's own keys are, at
 * the file:line:col of the value (of the value the suite wrote, when it went
 * through a ${VAR} substitution), after the check's id; a mistyped key gets
 * the closest valid one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tars/check.h"

#define HEAD "suite: t\nchecks:\n  - id: x\n    category: c\n"

struct params_case {
    const char *yaml; /* the suite from its fifth line: the check's type and parameters */
    const char *want; /* the message after "PATH:", or NULL: the suite loads */
};

/* Loads HEAD + c->yaml with T=abc and N=150 given as --var; false (and
 * what went wrong, printed) when the outcome is not the case's. */
static bool run_case(size_t i, const struct params_case *c)
{
    static const struct tars_var vars[] = {{"T", "abc"}, {"N", "150"}};
    struct tars_err err = TARS_ERR_INIT;
    struct tars_suite s;
    char path[64], want[512];
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "/tmp/tars-params-%d.yaml", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s%s", HEAD, c->yaml);
    assert_int_equal(fclose(f), 0);
    rc = tars_suite_load(path, vars, 2, &s, &err);
    unlink(path);
    if (rc == TARS_OK)
        tars_suite_release(&s);
    if (!c->want) {
        if (rc != TARS_OK)
            print_error("case %zu: rejected: %s\n", i, err.msg);
        return rc == TARS_OK;
    }
    snprintf(want, sizeof(want), "%s:%s", path, c->want);
    if (rc == TARS_EINVAL && strcmp(err.msg, want) == 0)
        return true;
    print_error("case %zu: rc %d\n  got  \"%s\"\n  want \"%s\"\n", i, rc, err.msg, want);
    return false;
}

static void run_cases(const struct params_case *cases, size_t n)
{
    size_t failed = 0;

    for (size_t i = 0; i < n; i++)
        failed += !run_case(i, &cases[i]);
    if (failed)
        fail_msg("%zu of %zu cases went wrong", failed, n);
}

static void test_kubernetes(void **state)
{
    static const struct params_case cases[] = {
        {"    type: kubernetes\n    check: pods_runing\n",
         "6:12: check \"x\": check must be one of namespace_exists, deployments_ready, "
         "pods_running, pods_no_crashloop..., not \"pods_runing\" (did you mean "
         "\"pods_running\"?)"},
        /* a key of another sub-check */
        {"    type: kubernetes\n    check: deployments_ready\n    min_redy: 2\n",
         "7:15: check \"x\": unknown key \"min_redy\" in a check (did you mean \"min_ready\"?)"},
        {"    type: kubernetes\n    check: deployments_ready\n    ready: true\n",
         "7:12: check \"x\": unknown key \"ready\" in check deployments_ready; valid: check, "
         "namespace, selector, names, match, exclude, min_count, min_ready, updated"},
        {"    type: kubernetes\n    check: pod_restarts_max\n    max_restarts: many\n",
         "7:19: check \"x\": max_restarts must be a number, not \"many\""},
        {"    type: kubernetes\n    check: pods_running\n    names: [a, [b]]\n",
         "7:16: check \"x\": an item of names must be a string, not a list"},
        {"    type: kubernetes\n    check: pod_restarts_max\n    max_restarts: '${T}'\n",
         "7:20: check \"x\": max_restarts must be a number, not \"abc\""},
        {"    type: kubernetes\n    check: pod_restarts_max\n    max_restarts: '${N}'\n", NULL},
        /* a secret value quoted in a message is masked */
        {"    type: kubernetes\n    check: pod_restarts_max\n    max_restarts: '${PW}'\n"
         "variables:\n  PW: {value: hunter22, secret: true}\n",
         "7:20: check \"x\": max_restarts must be a number, not \"****\""},
        {"    type: kubernetes\n    check: pods_running\n    names: [a, b]\n    ready: true\n",
         NULL},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_prometheus(void **state)
{
    static const struct params_case cases[] = {
        {"    type: prometheus\n    query: up\n    condition: {op: '<', vale: 1}\n",
         "7:32: check \"x\": unknown key \"vale\" in condition (did you mean \"value\"?)"},
        {"    type: prometheus\n    query: up\n    condition:\n      op: '=<'\n      value: 1\n",
         "8:12: check \"x\": op must be one of <, <=, >, >=, ==, !=, not \"=<\""},
        {"    type: prometheus\n    query: up\n    condition: {op: '<', value: '${T}'}\n",
         "7:34: check \"x\": value must be a number, not \"abc\""},
        {"    type: prometheus\n    query: up\n    insecure: maybe\n",
         "7:15: check \"x\": insecure must be true or false, not \"maybe\""},
        {"    type: prometheus_rule_health\n    max_ms: 0\n",
         "6:13: check \"x\": max_ms must be greater than 0 and at most 8.64e+07"},
        {"    type: prometheus_rules\n    names: [a, '']\n",
         "6:17: check \"x\": an item of names must be 1 to 8192 bytes long"},
        {"    type: prometheus\n    query: up\n    condition: {op: '<', value: '${N}'}\n", NULL},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_slo_ppo_canary(void **state)
{
    static const struct params_case cases[] = {
        {"    type: slo\n    objective: latncy\n",
         "6:16: check \"x\": objective must be one of latency, error_rate, evaluation_success, "
         "not \"latncy\" (did you mean \"latency\"?)"},
        {"    type: slo\n    objective: latency\n    threshold: [1]\n",
         "7:5: check \"x\": threshold must be a number, not a list"},
        {"    type: slo\n    objective: latency\n    threshold: '${T}'\n",
         "7:17: check \"x\": threshold must be a number, not \"abc\""},
        {"    type: slo\n    objective: latency\n    window: 5 minutes\n",
         "7:13: check \"x\": window must be a duration such as 5m or 1h, not \"5 minutes\""},
        {"    type: ppo\n    source: pod\n",
         "6:13: check \"x\": source must be one of process, container, not \"pod\""},
        {"    type: canary\n    quantile: 95\n",
         "6:15: check \"x\": quantile must be greater than 0 and at most 1"},
        {"    type: canary\n    max_p95_ms: fast\n",
         "6:17: check \"x\": max_p95_ms must be a number, not \"fast\""},
        {"    type: slo\n    objective: latency\n    threshold: '${N}'\n    by: [endpoint]\n",
         NULL},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_http(void **state)
{
    static const struct params_case cases[] = {
        {"    type: http\n    path: /\n    expect: {stauts: 200}\n",
         "7:22: check \"x\": unknown key \"stauts\" in expect (did you mean \"status\"?)"},
        {"    type: http\n    path: /\n    expect:\n      json:\n        - {path: a, exist: "
         "true}\n",
         "9:28: check \"x\": unknown key \"exist\" in an item of json (did you mean "
         "\"exists\"?)"},
        {"    type: http\n    path: /\n    latency: {below_ms: 5, sampels: 3}\n",
         "7:37: check \"x\": unknown key \"sampels\" in latency (did you mean \"samples\"?)"},
        {"    type: http\n    path: /\n    latency: {below_ms: 5, samples: many}\n",
         "7:37: check \"x\": samples must be an integer, not \"many\""},
        {"    type: http\n    path: /\n    expect_status_within: {status: 429, requests: 0}\n",
         "7:51: check \"x\": requests must be between 1 and 10000"},
        {"    type: http\n    path: /\n    method: [GET]\n",
         "7:5: check \"x\": method must be a string, not a list"},
        {"    type: http\n    path: /\n    expect: {status: '${N}', body_contains: ok}\n", NULL},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_grafana_jaeger_websocket(void **state)
{
    static const struct params_case cases[] = {
        {"    type: grafana\n    check: dashbord\n",
         "6:12: check \"x\": check must be one of health, search, dashboard, panels_use_rules, "
         "not \"dashbord\" (did you mean \"dashboard\"?)"},
        {"    type: grafana\n    check: dashboard\n    max_p95_ms: fast\n",
         "7:17: check \"x\": max_p95_ms must be a number, not \"fast\""},
        {"    type: jaeger\n    check: continuity\n    lookback: soon\n",
         "7:15: check \"x\": lookback must be a duration such as 500ms, 30s or 5m, not \"soon\""},
        {"    type: jaeger\n    check: services\n    services: [a, 1]\n",
         "7:19: check \"x\": an item of services must be a string, not a number"},
        {"    type: websocket\n    check: heartbeat\n    insecure: '${T}'\n",
         "7:16: check \"x\": insecure must be true or false, not \"abc\""},
        {"    type: websocket\n    check: heartbeat\n    within: '${N}'\n", NULL},
        {"    type: jaeger\n    check: services\n    url: {host: x}\n",
         "7:5: check \"x\": url must be a string, not a mapping"},
        {"    type: grafana\n    check: health\n    token: ''\n    url: http://g/\n", NULL},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_database_api_compat(void **state)
{
    static const struct params_case cases[] = {
        {"    type: database\n    check: query\n    sql: select 1\n    op: '=<'\n    value: 1\n",
         "8:10: check \"x\": op must be one of <, <=, >, >=, ==, !=, not \"=<\""},
        {"    type: database\n    check: query\n    sql: select 1\n    op: '<'\n    value: ok\n",
         "9:12: check \"x\": value must be a number, not \"ok\""},
        {"    type: database\n    check: query\n    sql: select 1\n    samples: 0\n",
         "8:14: check \"x\": samples must be between 1 and 100"},
        {"    type: database\n    check: indexes_exist\n", "3:5: check \"x\": names is required"},
        {"    type: api_compat\n    snapshot: s.json\n    writes: 'yes'\n",
         "7:14: check \"x\": writes must be true or false, not \"yes\""},
        {"    type: api_compat\n    snapshot: [s.json]\n",
         "6:5: check \"x\": snapshot must be a string, not a list"},
        {"    type: database\n    check: query\n    sql: select 1\n    op: '=='\n    value: ok\n",
         NULL},
    };
    (void)state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubernetes),
        cmocka_unit_test(test_prometheus),
        cmocka_unit_test(test_slo_ppo_canary),
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_grafana_jaeger_websocket),
        cmocka_unit_test(test_database_api_compat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
