/* Unit tests for environments: presets, nested variable references, skip:,
 * and the presets of the shipped suites/regression.yaml: the URLs each
 * environment builds (no doubled /api/v1 as the original built). */
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

static char path[64];

static int load(const char *text, const struct tars_var *vars, size_t n, struct tars_suite *s,
                struct tars_err *err)
{
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "/tmp/tars-suite-env-test-%d.yaml", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    rc = tars_suite_load(path, vars, n, s, err);
    unlink(path);
    return rc;
}

static const char *param(const struct tars_suite *s, size_t i, const char *name)
{
    return json_string_value(json_object_get(s->checks[i].params, name));
}

static const char *const PRESET_SUITE =
    "suite: t\n"
    "variables:\n"
    "  ENVIRONMENT: local\n"
    "  NAMESPACE: tars\n"
    "  API_URL: http://127.0.0.1:3001\n"
    "  PROM: http://prometheus.${NAMESPACE}.svc:9090\n"
    "environments:\n"
    "  local: {}\n"
    "  staging: {API_URL: 'https://staging.example', NAMESPACE: tars-staging}\n"
    "checks:\n"
    "  - {id: a, category: c, type: http, url: '${API_URL}/health'}\n"
    "  - {id: b, category: c, type: http, url: '${PROM}/-/healthy'}\n";

static void test_environment_picks_a_preset(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_var staging[] = {{"ENVIRONMENT", "staging"}};
    struct tars_var override[] = {{"ENVIRONMENT", "staging"}, {"NAMESPACE", "ns-2"}};
    (void)state;

    unsetenv("ENVIRONMENT");
    unsetenv("NAMESPACE");
    unsetenv("API_URL");
    assert_int_equal(load(PRESET_SUITE, NULL, 0, &s, &err), TARS_OK);
    assert_string_equal(s.environment, "local");
    assert_string_equal(param(&s, 0, "url"), "http://127.0.0.1:3001/health");
    assert_string_equal(param(&s, 1, "url"), "http://prometheus.tars.svc:9090/-/healthy");
    tars_suite_release(&s);

    assert_int_equal(load(PRESET_SUITE, staging, 1, &s, &err), TARS_OK);
    assert_string_equal(s.environment, "staging");
    assert_string_equal(param(&s, 0, "url"), "https://staging.example/health");
    /* a variables-block value refers to a preset's value */
    assert_string_equal(param(&s, 1, "url"), "http://prometheus.tars-staging.svc:9090/-/healthy");
    tars_suite_release(&s);

    /* --var (and the process environment) win over the preset */
    assert_int_equal(load(PRESET_SUITE, override, 2, &s, &err), TARS_OK);
    assert_string_equal(param(&s, 1, "url"), "http://prometheus.ns-2.svc:9090/-/healthy");
    tars_suite_release(&s);
    setenv("API_URL", "http://from-env", 1);
    assert_int_equal(load(PRESET_SUITE, staging, 1, &s, &err), TARS_OK);
    assert_string_equal(param(&s, 0, "url"), "http://from-env/health");
    tars_suite_release(&s);
    unsetenv("API_URL");
}

static void test_environment_errors(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_var nowhere[] = {{"ENVIRONMENT", "nowhere"}};
    struct tars_var staging[] = {{"ENVIRONMENT", "staging"}};
    (void)state;

    unsetenv("ENVIRONMENT");
    assert_int_equal(load(PRESET_SUITE, nowhere, 1, &s, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "unknown environment \"nowhere\""));
    assert_non_null(strstr(err.msg, "local, staging"));
    /* no default environment and none chosen */
    assert_int_equal(load("suite: t\nenvironments: {a: {X: '1'}, b: {X: '2'}}\n"
                          "checks:\n  - {id: a, category: c, type: http, url: 'http://h/${X}'}\n",
                          NULL, 0, &s, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "--environment"));
    /* a preset value must be text */
    assert_int_equal(load("suite: t\nvariables: {ENVIRONMENT: a}\nenvironments: {a: {X: [1]}}\n"
                          "checks:\n  - {id: a, category: c, type: http, url: 'http://h/'}\n",
                          NULL, 0, &s, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "must be text"));
    /* an environment chosen for a suite that has none */
    assert_int_equal(
        load("suite: t\nchecks:\n  - {id: a, category: c, type: http, url: 'http://h/'}\n", staging,
             1, &s, &err),
        TARS_EINVAL);
    assert_non_null(strstr(err.msg, "no \"environments\""));
    /* references in a loop end with a message, not a stack overflow */
    assert_int_equal(load("suite: t\nvariables: {A: '${B}', B: 'x${A}'}\n"
                          "checks:\n  - {id: a, category: c, type: http, url: 'http://h/${A}'}\n",
                          NULL, 0, &s, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "loop"));
    /* values from --var are taken as they are, never expanded */
    {
        struct tars_var literal[] = {{"A", "${NOT_A_VARIABLE}"}};
        assert_int_equal(
            load("suite: t\nchecks:\n  - {id: a, category: c, type: http, url: 'http://h/${A}'}\n",
                 literal, 1, &s, &err),
            TARS_OK);
        assert_string_equal(param(&s, 0, "url"), "http://h/${NOT_A_VARIABLE}");
        tars_suite_release(&s);
    }
}

static void test_skip_is_listed_and_never_run(void **state)
{
    struct tars_suite s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_check_result results[3];
    bool selected[3];
    struct tars_check_filter all = {NULL, 0, NULL, 0};
    (void)state;

    assert_int_equal(
        load("suite: t\nvariables: {CMD: tars ws-stress}\n"
             "checks:\n"
             "  - {id: a, category: c, skip: 'measured by ${CMD}'}\n"
             "  - {id: b, category: c, type: http, url: 'http://127.0.0.1:1/', skip: later}\n"
             "  - {id: c, category: c, type: http, url: 'http://127.0.0.1:1/', timeout: 1s}\n",
             NULL, 0, &s, &err),
        TARS_OK);
    assert_string_equal(s.checks[0].type->name, "skip");
    assert_string_equal(s.checks[1].type->name, "http");
    assert_int_equal(tars_suite_run(&s, &all, 2, results, selected, NULL, NULL, &err), TARS_OK);
    assert_int_equal(results[0].status, TARS_CHECK_SKIP);
    assert_string_equal(results[0].reason, "measured by tars ws-stress");
    assert_int_equal(results[1].status, TARS_CHECK_SKIP);
    assert_string_equal(results[1].reason, "later");
    assert_int_equal(results[2].status, TARS_CHECK_ERROR); /* port 1 refuses: it did run */
    tars_suite_release(&s);

    assert_int_equal(
        load("suite: t\nchecks:\n  - {id: a, category: c, skip: ''}\n", NULL, 0, &s, &err),
        TARS_EINVAL);
    assert_non_null(strstr(err.msg, "skip"));
    assert_int_equal(
        load("suite: t\nchecks:\n  - {id: a, category: c, skip: why, url: x}\n", NULL, 0, &s, &err),
        TARS_EINVAL);
    assert_non_null(strstr(err.msg, "unknown key \"url\" in a check; valid: "));
}

/* ---- suites/regression.yaml ---- */

/* The URL an http or api_compat check requests, as type_http joins it. */
static void check_url(const struct tars_suite *s, size_t i, char *out, size_t size)
{
    const char *url = param(s, i, "url"), *p = param(s, i, "path"), *base = param(s, i, "base_url");

    if (!base)
        base = json_string_value(json_object_get(json_object_get(s->targets, "api"), "base_url"));
    if (url || (p && strstr(p, "://"))) {
        snprintf(out, size, "%s", url ? url : p);
        return;
    }
    assert_non_null(base);
    snprintf(out, size, "%.*s/%s", (int)(strlen(base) - (base[strlen(base) - 1] == '/')), base,
             p ? p + (p[0] == '/') : "");
}

static const char *url_of(const struct tars_suite *s, const char *id, char *out, size_t size)
{
    for (size_t i = 0; i < s->check_count; i++)
        if (strcmp(s->checks[i].id, id) == 0) {
            check_url(s, i, out, size);
            return out;
        }
    fail_msg("no check %s", id);
    return NULL;
}

struct preset_expect {
    const char *environment, *health, *evaluations, *prometheus;
};

static void test_regression_presets_build_single_prefixes(void **state)
{
    static const struct preset_expect expect[] = {
        {"local", "http://127.0.0.1:3001/health",
         "http://127.0.0.1:3001/api/v1/evaluations?limit=100", "http://127.0.0.1:9090"},
        {"staging", "https://staging.tars.ai/health",
         "https://staging.tars.ai/api/v1/evaluations?limit=100",
         "http://prometheus.tars-staging.svc.cluster.local:9090"},
        {"production", "https://api.tars.ai/health",
         "https://api.tars.ai/api/v1/evaluations?limit=100",
         "http://prometheus.tars-production.svc.cluster.local:9090"},
    };
    char file[512], url[1024];
    (void)state;

    snprintf(file, sizeof(file), "%s/regression.yaml", TARS_SUITES_DIR);
    for (const char *const *v = (const char *const[]){"API_URL", "PROMETHEUS_URL", "NAMESPACE",
                                                      "ENVIRONMENT", "CANARY_URL", NULL};
         *v; v++)
        unsetenv(*v);
    for (size_t e = 0; e < sizeof(expect) / sizeof(expect[0]); e++) {
        struct tars_var vars[] = {{"ENVIRONMENT", expect[e].environment}};
        struct tars_suite s;
        struct tars_err err = TARS_ERR_INIT;
        size_t http = 0;

        if (tars_suite_load(file, vars, 1, &s, &err) != TARS_OK)
            fail_msg("%s: %s", expect[e].environment, err.msg);
        assert_string_equal(url_of(&s, "regression.websocket.reconnection_e2e", url, sizeof(url)),
                            expect[e].health);
        assert_string_equal(url_of(&s, "regression.database.api_latency_p95", url, sizeof(url)),
                            expect[e].evaluations);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(s.targets, "prometheus"), "url")),
            expect[e].prometheus);
        for (size_t i = 0; i < s.check_count; i++) {
            if (strcmp(s.checks[i].type->name, "http") != 0 &&
                strcmp(s.checks[i].type->name, "api_compat") != 0)
                continue;
            check_url(&s, i, url, sizeof(url));
            if (strstr(url, "/api/v1/api/v1") || !strstr(url, "://") ||
                strstr(strstr(url, "://") + 3, "//") || strstr(url, "${"))
                fail_msg("%s: %s builds %s", expect[e].environment, s.checks[i].id, url);
            http++;
        }
        assert_true(http >= 10);
        tars_suite_release(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_environment_picks_a_preset),
        cmocka_unit_test(test_environment_errors),
        cmocka_unit_test(test_skip_is_listed_and_never_run),
        cmocka_unit_test(test_regression_presets_build_single_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
