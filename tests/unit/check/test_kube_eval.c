/* Unit tests for the kubernetes sub-checks judged on canned API lists: each
 * passes on a healthy list and fails naming the object on a broken one;
 * selection by names, match and exclude; no data; parameter validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kube/kube_int.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    if (!v)
        fail_msg("bad test JSON at %d: %s", jerr.position, jerr.text);
    return v;
}

/* Judges items (and aux) with params; on_empty skip when skip_empty. */
static struct tars_check_result judge_on(const char *params, const char *items, const char *aux,
                                         bool skip_empty)
{
    struct tars_check_result r;
    struct tars_check_ctx ctx;
    json_t *p = parse(params), *i = parse(items), *a = aux ? parse(aux) : NULL;

    memset(&r, 0, sizeof(r));
    memset(&ctx, 0, sizeof(ctx));
    ctx.params = p;
    ctx.on_empty = skip_empty ? TARS_ON_EMPTY_SKIP : TARS_ON_EMPTY_ERROR;
    kube_evaluate(&ctx, i, a, &r);
    json_decref(p);
    json_decref(i);
    json_decref(a);
    return r;
}

#define assert_verdict(st, text, r)                                                                \
    do {                                                                                           \
        struct tars_check_result r_ = (r);                                                         \
        if (r_.status != (st) || strcmp(r_.reason, (text)) != 0)                                   \
            fail_msg("got %s \"%s\", want %s \"%s\"", tars_check_status_name(r_.status),           \
                     r_.reason, tars_check_status_name(st), (text));                               \
    } while (0)

#define PASS(text, params, items)                                                                  \
    assert_verdict(TARS_CHECK_PASS, text, judge_on(params, items, NULL, false))
#define FAIL(text, params, items)                                                                  \
    assert_verdict(TARS_CHECK_FAIL, text, judge_on(params, items, NULL, false))

static const char deployments[] =
    "{\"kind\":\"DeploymentList\",\"apiVersion\":\"apps/v1\",\"items\":["
    "{\"metadata\":{\"name\":\"tars-dashboard-api\"},\"spec\":{\"replicas\":3},"
    " \"status\":{\"readyReplicas\":1,\"updatedReplicas\":3}},"
    "{\"metadata\":{\"name\":\"tars-postgres\"},\"spec\":{\"replicas\":1},"
    " \"status\":{\"readyReplicas\":1,\"updatedReplicas\":0}},"
    "{\"metadata\":{\"name\":\"tars-idle\"},\"spec\":{\"replicas\":0},\"status\":{}}]}";

static void test_deployments_ready(void **state)
{
    (void)state;
    FAIL("deployment \"tars-dashboard-api\": 1/3 ready", "{\"check\":\"deployments_ready\"}",
         deployments);
    PASS("2 deployments ready", "{\"check\":\"deployments_ready\",\"exclude\":\"dashboard\"}",
         deployments);
    FAIL("deployment \"tars-postgres\": 0/1 updated",
         "{\"check\":\"deployments_ready\",\"names\":[\"tars-postgres\"],\"updated\":true}",
         deployments);
    FAIL("deployment \"tars-dashboard-api\": 1/3 ready (need 2); "
         "deployment \"tars-idle\": 0/0 ready (need 2)",
         "{\"check\":\"deployments_ready\",\"min_ready\":2,\"exclude\":[\"postgres\"]}",
         deployments);
    FAIL("deployment \"tars-canary\" not found",
         "{\"check\":\"deployments_ready\",\"names\":[\"tars-postgres\",\"tars-canary\"]}",
         deployments);
    PASS("1 deployment ready",
         "{\"check\":\"deployments_ready\",\"names\":\"postgres\",\"match\":\"substring\"}",
         deployments);
    FAIL("2 deployments, expected at least 3",
         "{\"check\":\"deployments_ready\",\"names\":\"tars-\",\"match\":\"prefix\","
         "\"exclude\":\"dashboard\",\"min_count\":3}",
         deployments);
}

static void test_no_data(void **state)
{
    const char *empty = "{\"kind\":\"DeploymentList\",\"items\":[]}";
    (void)state;

    assert_verdict(TARS_CHECK_ERROR,
                   "no data: namespace \"tars\" has no deployments matching \"app=x\"",
                   judge_on("{\"check\":\"deployments_ready\",\"namespace\":\"tars\","
                            "\"selector\":\"app=x\"}",
                            empty, NULL, false));
    assert_verdict(TARS_CHECK_SKIP,
                   "no data (on_empty: skip): namespace \"default\" has no deployments",
                   judge_on("{\"check\":\"deployments_ready\"}", empty, NULL, true));
    assert_verdict(TARS_CHECK_ERROR, "no data: namespace \"default\" has no roles",
                   judge_on("{\"check\":\"roles_present\"}", "{\"items\":[]}", NULL, false));
}

static const char pods[] =
    "{\"kind\":\"PodList\",\"items\":["
    "{\"metadata\":{\"name\":\"api-1\",\"labels\":{\"app.kubernetes.io/version\":\"1.0.1\"}},"
    " \"spec\":{\"securityContext\":{\"runAsNonRoot\":true},"
    "   \"containers\":[{\"name\":\"api\",\"resources\":{\"limits\":{\"cpu\":\"1\"},"
    "     \"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]},"
    " \"status\":{\"phase\":\"Running\",\"startTime\":\"2020-01-01T00:00:00Z\","
    "   \"containerStatuses\":[{\"name\":\"api\",\"ready\":true,\"restartCount\":1,"
    "   \"state\":{\"running\":{}}}]}},"
    "{\"metadata\":{\"name\":\"api-2\",\"labels\":{\"app.kubernetes.io/version\":\"v1.0.0\"}},"
    " \"spec\":{\"securityContext\":{\"runAsUser\":1000},"
    "   \"initContainers\":[{\"name\":\"migrate\",\"securityContext\":{\"runAsUser\":0}}],"
    "   \"containers\":[{\"name\":\"api\",\"resources\":{}},"
    "                   {\"name\":\"sidecar\",\"securityContext\":{\"runAsUser\":0}}]},"
    " \"status\":{\"phase\":\"Running\",\"startTime\":\"2999-01-01T00:00:00Z\","
    "   \"containerStatuses\":[{\"name\":\"api\",\"ready\":false,\"restartCount\":7,"
    "   \"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}},"
    "{\"metadata\":{\"name\":\"api-3\"},"
    " \"spec\":{\"containers\":[{\"name\":\"api\",\"securityContext\":{\"runAsNonRoot\":false}}]},"
    " \"status\":{\"phase\":\"Pending\",\"reason\":\"Unschedulable\"}},"
    "{\"metadata\":{\"name\":\"job-1\"},"
    " \"spec\":{\"securityContext\":{},\"containers\":[{\"name\":\"job\"}]},"
    " \"status\":{\"phase\":\"Succeeded\"}}]}";

static void test_pods(void **state)
{
    (void)state;
    FAIL("pod \"api-3\": Pending Unschedulable", "{\"check\":\"pods_running\"}", pods);
    FAIL("pod \"api-3\": Pending Unschedulable; pod \"job-1\": Succeeded",
         "{\"check\":\"pods_running\",\"phases\":\"Running\"}", pods);
    FAIL("pod \"api-2\" container \"api\": not ready",
         "{\"check\":\"pods_running\",\"ready\":true,\"names\":[\"api-1\",\"api-2\"]}", pods);
    PASS("2 pods running", "{\"check\":\"pods_running\",\"exclude\":[\"api-2\",\"api-3\"]}", pods);
    FAIL("pod \"api-2\" container \"api\": CrashLoopBackOff (7 restarts)",
         "{\"check\":\"pods_no_crashloop\"}", pods);
    PASS("3 pods without a crash loop", "{\"check\":\"pods_no_crashloop\",\"exclude\":\"api-2\"}",
         pods);
    FAIL("pod \"api-2\" container \"api\": 7 restarts (max 2)",
         "{\"check\":\"pod_restarts_max\",\"max_restarts\":2}", pods);
    FAIL("pod \"api-1\" container \"api\": 1 restarts (max 0); "
         "pod \"api-2\" container \"api\": 7 restarts (max 0)",
         "{\"check\":\"pod_restarts_max\"}", pods);
    /* api-2 started "in the future": younger than min_age, so not judged. */
    FAIL("pod \"api-1\" container \"api\": 1 restarts (max 0)",
         "{\"check\":\"pod_restarts_max\",\"min_age\":\"21600\",\"names\":[\"api-1\",\"api-2\"]}",
         pods);
}

static void test_security(void **state)
{
    (void)state;
    FAIL("pod \"api-2\" container \"migrate\": runs as root (runAsUser 0); "
         "pod \"api-2\" container \"sidecar\": runs as root (runAsUser 0); "
         "pod \"api-3\" container \"api\": runAsNonRoot false and no runAsUser; "
         "pod \"job-1\" container \"job\": runAsNonRoot unset and no runAsUser",
         "{\"check\":\"pods_non_root\"}", pods);
    PASS("1 pod running as non-root", "{\"check\":\"pods_non_root\",\"names\":\"api-1\"}", pods);
    FAIL("pod \"api-3\": no pod securityContext; pod \"job-1\": no pod securityContext",
         "{\"check\":\"pod_security_context\"}", pods);
    FAIL("pod \"api-2\": app.kubernetes.io/version=v1.0.0 (expected v1.0.1); "
         "pod \"api-3\": label \"app.kubernetes.io/version\" missing",
         "{\"check\":\"version_labels\",\"version\":\"v1.0.1\",\"exclude\":\"job\"}", pods);
    PASS("1 pod labelled",
         "{\"check\":\"version_labels\",\"version\":\"v1.0.1\",\"names\":\"api-1\"}", pods);
}

static void test_resources(void **state)
{
    const char *deploy =
        "{\"items\":[{\"metadata\":{\"name\":\"tars-frontend\"},\"spec\":{\"template\":{\"spec\":"
        "{\"containers\":[{\"name\":\"web\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}}}},"
        "{\"metadata\":{\"name\":\"tars-api\"},\"spec\":{\"template\":{\"spec\":"
        "{\"containers\":[{\"name\":\"api\",\"resources\":{\"limits\":{\"cpu\":\"1\","
        "\"memory\":\"1Gi\"},\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}}}}]}";
    (void)state;

    FAIL("deployment \"tars-frontend\" container \"web\": no limits",
         "{\"check\":\"resources_set\"}", deploy);
    FAIL("deployment \"tars-frontend\" container \"web\": no limits, no memory request",
         "{\"check\":\"resources_set\",\"resources\":[\"cpu\",\"memory\"]}", deploy);
    PASS("1 deployment with limits and requests",
         "{\"check\":\"resources_set\",\"exclude\":\"frontend\"}", deploy);
    FAIL("pod \"api-1\" container \"api\": no memory limit; "
         "pod \"api-2\" container \"api\": no limits, no requests; "
         "pod \"api-2\" container \"sidecar\": no limits, no requests",
         "{\"check\":\"resources_set\",\"kind\":\"pods\",\"resources\":[\"cpu\",\"memory\"],"
         "\"names\":[\"api-1\",\"api-2\"]}",
         pods);
}

static void test_objects(void **state)
{
    const char *pvcs = "{\"items\":[{\"metadata\":{\"name\":\"data-pg\"},\"status\":{\"phase\":"
                       "\"Bound\"}},{\"metadata\":{\"name\":\"data-redis\"},\"status\":{\"phase\":"
                       "\"Pending\"}}]}";
    const char *hpas = "{\"items\":[{\"metadata\":{\"name\":\"api\"},\"spec\":{\"minReplicas\":1,"
                       "\"maxReplicas\":4},\"status\":{\"conditions\":[{\"type\":\"ScalingActive\","
                       "\"status\":\"False\",\"reason\":\"FailedGetResourceMetric\"}]}},"
                       "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"minReplicas\":3,"
                       "\"maxReplicas\":10}}]}";
    const char *pdbs = "{\"items\":[{\"metadata\":{\"name\":\"a\"},\"spec\":{\"minAvailable\":1}},"
                       "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"selector\":{}}}]}";
    (void)state;

    FAIL("pvc \"data-redis\": Pending", "{\"check\":\"pvcs_bound\"}", pvcs);
    PASS("1 pvc bound", "{\"check\":\"pvcs_bound\",\"names\":\"data-pg\"}", pvcs);
    FAIL("hpa \"api\": minReplicas 1 < 2; hpa \"api\": maxReplicas 4 < 10; "
         "hpa \"api\": not scaling (FailedGetResourceMetric)",
         "{\"check\":\"hpa\",\"min_replicas\":2,\"max_replicas\":10}", hpas);
    PASS("1 hpa configured",
         "{\"check\":\"hpa\",\"min_replicas\":2,\"max_replicas\":10,\"names\":\"web\"}", hpas);
    FAIL("pdb \"b\": neither minAvailable nor maxUnavailable set", "{\"check\":\"pdb\"}", pdbs);
}

static const char services[] =
    "{\"items\":[{\"metadata\":{\"name\":\"tars-dashboard-api\"},\"spec\":{\"type\":\"ClusterIP\"}}"
    ","
    "{\"metadata\":{\"name\":\"tars-redis-service\"},\"spec\":{}},"
    "{\"metadata\":{\"name\":\"external-db\"},\"spec\":{\"type\":\"ExternalName\"}}]}";

static void test_presence(void **state)
{
    (void)state;
    PASS("2 services present",
         "{\"check\":\"services_present\",\"names\":[\"tars-redis\",\"dashboard-api\"],"
         "\"match\":\"substring\"}",
         services);
    FAIL("service \"tars-redis\" not found; service \"tars-hypersync-service\" not found",
         "{\"check\":\"services_present\",\"names\":[\"tars-redis\",\"tars-dashboard-api\","
         "\"tars-hypersync-service\"]}",
         services);
    assert_verdict(TARS_CHECK_ERROR, "no data: namespace \"default\" has no network policies",
                   judge_on("{\"check\":\"network_policies\"}", "{\"items\":[]}", NULL, false));
    PASS("1 cron job present",
         "{\"check\":\"cronjobs_present\",\"names\":\"backup\","
         "\"match\":\"substring\"}",
         "{\"items\":[{\"metadata\":{\"name\":\"tars-db-backup\"}}]}");
}

static void test_configmaps_and_secrets(void **state)
{
    const char *cms = "{\"items\":[{\"metadata\":{\"name\":\"prometheus-config\"},\"data\":"
                      "{\"prometheus.yml\":\"rule_files: [recording_rules.yaml]\"}},"
                      "{\"metadata\":{\"name\":\"tars-config\"},\"data\":{}}]}";
    const char *secrets = "{\"items\":[{\"metadata\":{\"name\":\"tars-jwt-secret\"},\"data\":"
                          "{\"secret\":\"aHVudGVyMg==\"}}]}";
    struct tars_check_result r;
    (void)state;

    PASS("1 config map present",
         "{\"check\":\"configmaps_present\",\"names\":\"prometheus-config\",\"key\":"
         "\"prometheus.yml\",\"contains\":\"recording_rules.yaml\"}",
         cms);
    FAIL("config map \"prometheus-config\": key \"prometheus.yml\" does not contain \"alerts\"",
         "{\"check\":\"configmaps_present\",\"names\":\"prometheus-config\",\"key\":"
         "\"prometheus.yml\",\"contains\":\"alerts\"}",
         cms);
    FAIL("config map \"tars-config\": no key \"prometheus.yml\"",
         "{\"check\":\"configmaps_present\",\"key\":\"prometheus.yml\"}", cms);
    PASS("1 secret present",
         "{\"check\":\"secrets_present\",\"names\":\"tars-jwt-secret\","
         "\"key\":\"secret\"}",
         secrets);
    r = judge_on("{\"check\":\"secrets_present\",\"names\":\"tars-jwt-secret\",\"key\":\"x\"}",
                 secrets, NULL, false);
    assert_int_equal(r.status, TARS_CHECK_FAIL);
    assert_string_equal(r.reason, "secret \"tars-jwt-secret\": no key \"x\"");
    assert_null(strstr(r.reason, "aHVudGVyMg"));
}

static void test_endpoints(void **state)
{
    const char *eps = "{\"kind\":\"EndpointsList\",\"items\":["
                      "{\"metadata\":{\"name\":\"tars-dashboard-api\"},\"subsets\":[{"
                      "\"notReadyAddresses\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"}]}]},"
                      "{\"metadata\":{\"name\":\"tars-redis-service\"},\"subsets\":[{"
                      "\"addresses\":[{\"ip\":\"10.0.0.3\"}]}]}]}";
    (void)state;

    assert_verdict(TARS_CHECK_FAIL,
                   "service \"tars-dashboard-api\": no ready endpoints (2 not ready)",
                   judge_on("{\"check\":\"endpoints_ready\"}", services, eps, false));
    assert_verdict(TARS_CHECK_PASS, "1 service with ready endpoints",
                   judge_on("{\"check\":\"endpoints_ready\",\"names\":[\"tars-redis-service\","
                            "\"external-db\"]}",
                            services, eps, false));
    assert_verdict(TARS_CHECK_FAIL, "service \"tars-redis-service\": no endpoints object",
                   judge_on("{\"check\":\"endpoints_ready\",\"names\":\"tars-redis-service\"}",
                            services, "{\"items\":[]}", false));
}

static void test_ingress(void **state)
{
    const char *ing =
        "{\"items\":[{\"metadata\":{\"name\":\"tars\"},\"spec\":{"
        "\"rules\":[{\"host\":\"staging.tars.ai\"},{\"host\":\"api.staging.tars.ai\"}],"
        "\"tls\":[{\"hosts\":[\"staging.tars.ai\"],\"secretName\":\"tars-tls\"}]}},"
        "{\"metadata\":{\"name\":\"tars-plain\"},\"spec\":{\"rules\":[{\"host\":\"tars.local\"}]}}]"
        "}";
    const char *secrets = "{\"items\":[{\"metadata\":{\"name\":\"tars-tls\"}}]}";
    (void)state;

    assert_verdict(
        TARS_CHECK_FAIL,
        "ingress \"tars\": host \"api.staging.tars.ai\" not covered by TLS; "
        "ingress \"tars-plain\": no rule for host \"staging.tars.ai\" (first host "
        "\"tars.local\"); ingress \"tars-plain\": no TLS",
        judge_on("{\"check\":\"ingress\",\"host\":\"staging.tars.ai\"}", ing, secrets, false));
    assert_verdict(TARS_CHECK_PASS, "1 ingress configured",
                   judge_on("{\"check\":\"ingress\",\"host\":\"tars.local\",\"tls\":false,"
                            "\"names\":\"tars-plain\"}",
                            ing, NULL, false));
    assert_verdict(
        TARS_CHECK_FAIL,
        "ingress \"tars\": TLS secret \"tars-tls\" not found; ingress \"tars\": host "
        "\"api.staging.tars.ai\" not covered by TLS",
        judge_on("{\"check\":\"ingress\",\"names\":\"tars\"}", ing, "{\"items\":[]}", false));
}

/* Many problems stay within the reason's bound and say how many were left out. */
static void test_reason_bounded(void **state)
{
    json_t *items = json_array();
    json_t *params = json_pack("{s:s}", "check", "pvcs_bound");
    struct tars_check_ctx ctx;
    struct tars_check_result r;
    char name[64];
    (void)state;

    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "volume-claim-number-%03d", i);
        json_array_append_new(items, json_pack("{s:{s:s}, s:{s:s}}", "metadata", "name", name,
                                               "status", "phase", "Pending"));
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.params = params;
    kube_evaluate(&ctx, items, NULL, &r);
    assert_int_equal(r.status, TARS_CHECK_FAIL);
    assert_true(strlen(r.reason) < TARS_CHECK_REASON_MAX);
    assert_non_null(strstr(r.reason, "pvc \"volume-claim-number-000\": Pending"));
    assert_non_null(strstr(r.reason, " more)"));
    json_decref(items);
    json_decref(params);
}

/* NULL when the type reads params without a problem; else the message. */
static const char *validate(const char *params)
{
    static struct tars_err err;
    const struct tars_check_type *t = tars_check_type_find("kubernetes");
    struct tars_json_reader rd = tars_json_reader_named("p", &err, true);
    json_t *p = parse(params);
    int rc;

    assert_non_null(t);
    memset(&err, 0, sizeof(err));
    rc = t->read_params(&rd, p);
    json_decref(p);
    return rc ? err.msg : NULL;
}

static void assert_invalid(const char *params, const char *message)
{
    const char *why = validate(params);

    if (!why)
        fail_msg("%s was accepted", params);
    if (!strstr(why, message))
        fail_msg("\"%s\" does not say \"%s\"", why, message);
}

static void test_validate(void **state)
{
    (void)state;
    assert_null(validate("{\"check\":\"pods_running\",\"selector\":\"app=x\",\"names\":[\"a\"],"
                         "\"namespace\":\"tars-staging\",\"phases\":\"Running\",\"ready\":true}"));
    assert_null(validate("{\"check\":\"service_proxy_get\",\"service\":\"tars-dashboard-api\","
                         "\"port\":3001,\"path\":\"/health\",\"body_contains\":[\"ok\"]}"));
    assert_null(validate("{\"check\":\"pod_restarts_max\",\"max_restarts\":\"2\"}"));
    assert_invalid("{}", "p: check is required");
    assert_invalid("{\"check\":\"pods_runing\"}",
                   "p: check must be one of namespace_exists, deployments_ready, ");
    assert_invalid("{\"check\":\"pods_runing\"}", "(did you mean \"pods_running\"?)");
    assert_invalid("{\"check\":\"etcd_healthy\"}",
                   "check must be one of namespace_exists, deployments_ready");
    assert_invalid("{\"check\":\"deployments_ready\",\"max_restarts\":2}",
                   "p: unknown key \"max_restarts\" in check deployments_ready; valid: check, "
                   "namespace, selector, names, match, exclude, min_count, min_ready, updated");
    assert_invalid("{\"check\":\"deployments_ready\",\"min_redy\":2}",
                   "p: unknown key \"min_redy\" in check deployments_ready (did you mean "
                   "\"min_ready\"?)");
    assert_invalid("{\"check\":\"helm_release\",\"selector\":\"a=b\"}",
                   "unknown key \"selector\" in check helm_release");
    assert_invalid("{\"check\":\"version_labels\"}", "p: version is required");
    assert_invalid("{\"check\":\"service_proxy_get\"}", "p: service is required");
    assert_invalid("{\"check\":\"pods_running\",\"namespace\":\"../kube-system\"}",
                   "p: namespace must be a namespace name");
    assert_invalid("{\"check\":\"service_proxy_get\",\"service\":\"a/b\"}",
                   "p: service must be a service name");
    assert_invalid("{\"check\":\"service_proxy_get\",\"service\":\"a\",\"path\":\"health\"}",
                   "path must be a path that starts with /");
    assert_invalid("{\"check\":\"service_proxy_get\",\"service\":\"a\",\"port\":70000}",
                   "port must be between 1 and 65535");
    assert_invalid("{\"check\":\"service_proxy_get\",\"service\":\"a\",\"port\":\"a b\"}",
                   "port must be a port number or a port name");
    assert_invalid("{\"check\":\"pods_running\",\"match\":\"regex\"}",
                   "match must be one of exact, substring, prefix, not \"regex\"");
    assert_invalid("{\"check\":\"pods_running\",\"names\":[]}",
                   "names must be a list of at least 1");
    assert_invalid("{\"check\":\"pods_running\",\"names\":[\"a\", 3]}",
                   "an item of names must be a string, not a number");
    assert_invalid("{\"check\":\"pods_running\",\"ready\":\"yes\"}",
                   "ready must be true or false, not \"yes\"");
    assert_invalid("{\"check\":\"pod_restarts_max\",\"max_restarts\":-1}",
                   "max_restarts must be between 0 and");
    assert_invalid("{\"check\":\"resources_set\",\"kind\":\"jobs\"}",
                   "kind must be one of deployments, pods");
    assert_invalid("{\"check\":\"configmaps_present\",\"contains\":\"x\"}", "contains needs key");
}

/* A cluster's numbers are read against the range of a long long: 1e300
 * replicas is no count (it was an undefined cast). */
static void test_numbers_out_of_range(void **state)
{
    json_t *o = parse("{\"spec\":{\"replicas\":1e300,\"n\":-1e19,\"ok\":3.0,\"i\":4}}");
    (void)state;

    assert_int_equal(kube_int_at(o, "spec.replicas", -7), -7);
    assert_int_equal(kube_int_at(o, "spec.n", -7), -7);
    assert_int_equal(kube_int_at(o, "spec.ok", -7), 3);
    assert_int_equal(kube_int_at(o, "spec.i", -7), 4);
    json_decref(o);
}

/* pod_restarts_max with nothing, or nothing usable, to judge, and at its
 * limit (max_restarts 2). */
static void test_restarts_table(void **state)
{
    static const struct {
        const char *what, *items;
        enum tars_check_status want;
        const char *reason;
    } cases[] = {
        {"no data", "{\"items\":[]}", TARS_CHECK_ERROR,
         "no data: namespace \"default\" has no pods"},
        {"not a list", "{}", TARS_CHECK_ERROR, "cannot be judged on a list"},
        {"restartCount missing",
         "{\"items\":[{\"metadata\":{\"name\":\"p\"},\"status\":{\"containerStatuses\":"
         "[{\"name\":\"c\"}]}}]}",
         TARS_CHECK_ERROR, "pod \"p\" container \"c\" has no restartCount"},
        {"restartCount not a number",
         "{\"items\":[{\"metadata\":{\"name\":\"p\"},\"status\":{\"containerStatuses\":"
         "[{\"name\":\"c\",\"restartCount\":\"NaN\"}]}}]}",
         TARS_CHECK_ERROR, "has no restartCount"},
        {"exactly at the limit",
         "{\"items\":[{\"metadata\":{\"name\":\"p\"},\"status\":{\"containerStatuses\":"
         "[{\"name\":\"c\",\"restartCount\":2}]}}]}",
         TARS_CHECK_PASS, "1 pod"},
        {"over the limit",
         "{\"items\":[{\"metadata\":{\"name\":\"p\"},\"status\":{\"containerStatuses\":"
         "[{\"name\":\"c\",\"restartCount\":3}]}}]}",
         TARS_CHECK_FAIL, "3 restarts (max 2)"},
        {"one over, one missing",
         "{\"items\":[{\"metadata\":{\"name\":\"p\"},\"status\":{\"containerStatuses\":"
         "[{\"name\":\"c\",\"restartCount\":3},{\"name\":\"d\"}]}}]}",
         TARS_CHECK_FAIL, "3 restarts (max 2)"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tars_check_result r = judge_on("{\"check\":\"pod_restarts_max\",\"max_restarts\":2}",
                                              cases[i].items, NULL, false);
        if (r.status != cases[i].want || !strstr(r.reason, cases[i].reason))
            fail_msg("%s: got %s \"%s\", want %s \"...%s...\"", cases[i].what,
                     tars_check_status_name(r.status), r.reason,
                     tars_check_status_name(cases[i].want), cases[i].reason);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restarts_table),
        cmocka_unit_test(test_deployments_ready),
        cmocka_unit_test(test_numbers_out_of_range),
        cmocka_unit_test(test_no_data),
        cmocka_unit_test(test_pods),
        cmocka_unit_test(test_security),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_presence),
        cmocka_unit_test(test_configmaps_and_secrets),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_ingress),
        cmocka_unit_test(test_reason_bounded),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
