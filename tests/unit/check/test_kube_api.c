/* Unit tests for the kubernetes check's request paths: label selectors and
 * continue tokens percent-encoded, list paths per resource, names that may
 * go into a path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kube/kube_int.h"

static void assert_encoded(const char *in, const char *want)
{
    struct tars_buf b = TARS_BUF_INIT(1024);

    assert_int_equal(kube_url_encode(&b, in), TARS_OK);
    assert_string_equal(b.data ? b.data : "", want);
    tars_buf_release(&b);
}

static void test_url_encode(void **state)
{
    (void)state;
    assert_encoded("", "");
    assert_encoded("app=tars", "app%3Dtars");
    assert_encoded("app.kubernetes.io/name=tars,tier!=db",
                   "app.kubernetes.io%2Fname%3Dtars%2Ctier%21%3Ddb");
    assert_encoded("env in (prod, staging),!canary",
                   "env%20in%20%28prod%2C%20staging%29%2C%21canary");
    assert_encoded("a~b_c-d.e", "a~b_c-d.e");
    assert_encoded("x&y=z#?+%", "x%26y%3Dz%23%3F%2B%25");
    assert_encoded("\xc3\xa9", "%C3%A9");
}

static void test_url_encode_bounded(void **state)
{
    struct tars_buf b = TARS_BUF_INIT(8);
    (void)state;

    assert_int_equal(kube_url_encode(&b, "a=b"), TARS_OK);
    assert_int_equal(kube_url_encode(&b, "====="), TARS_ETOOBIG);
    tars_buf_release(&b);
}

static void assert_path(const struct kube_resource *r, const char *ns, const char *selector,
                        const char *cont, const char *want)
{
    struct tars_buf b = TARS_BUF_INIT(4096);

    assert_int_equal(kube_list_path(&b, r, ns, selector, cont), TARS_OK);
    assert_string_equal(b.data, want);
    tars_buf_release(&b);
}

static void test_list_paths(void **state)
{
    (void)state;
    assert_path(&kube_res_deployments, "tars-staging", NULL, NULL,
                "/apis/apps/v1/namespaces/tars-staging/deployments?limit=500");
    assert_path(&kube_res_pods, "ns", "app=tars-postgres", NULL,
                "/api/v1/namespaces/ns/pods?limit=500&labelSelector=app%3Dtars-postgres");
    assert_path(&kube_res_hpas, "ns", "", "eyJ2IjoibWV0YS5rOHMuaW8vdjEi+/=",
                "/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers?limit=500"
                "&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEi%2B%2F%3D");
    assert_path(&kube_res_pdbs, "ns", NULL, NULL,
                "/apis/policy/v1/namespaces/ns/poddisruptionbudgets?limit=500");
    assert_path(&kube_res_ingresses, "ns", NULL, NULL,
                "/apis/networking.k8s.io/v1/namespaces/ns/ingresses?limit=500");
    assert_path(&kube_res_netpols, "ns", NULL, NULL,
                "/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies?limit=500");
    assert_path(&kube_res_roles, "ns", NULL, NULL,
                "/apis/rbac.authorization.k8s.io/v1/namespaces/ns/roles?limit=500");
    assert_path(&kube_res_pvcs, "ns", NULL, NULL,
                "/api/v1/namespaces/ns/persistentvolumeclaims?limit=500");
    assert_path(&kube_res_namespaces, NULL, NULL, NULL, "/api/v1/namespaces?limit=500");
}

static void test_names(void **state)
{
    char long_label[70];
    (void)state;

    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    assert_true(kube_label_valid("tars-staging"));
    assert_true(kube_label_valid("a"));
    assert_true(kube_label_valid("x1"));
    assert_false(kube_label_valid(""));
    assert_false(kube_label_valid(NULL));
    assert_false(kube_label_valid("-a"));
    assert_false(kube_label_valid("a-"));
    assert_false(kube_label_valid("Tars"));
    assert_false(kube_label_valid("a.b"));
    assert_false(kube_label_valid("../x"));
    assert_false(kube_label_valid("a/b"));
    assert_false(kube_label_valid(long_label));
    long_label[63] = '\0';
    assert_true(kube_label_valid(long_label));
    assert_true(kube_name_valid("tars-dashboard-api"));
    assert_true(kube_name_valid("jaeger-query.v2"));
    assert_false(kube_name_valid("a b"));
    assert_false(kube_name_valid("a/../b"));
    assert_false(kube_name_valid("svc:80"));
    assert_false(kube_name_valid(".a"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_url_encode_bounded),
        cmocka_unit_test(test_list_paths),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
