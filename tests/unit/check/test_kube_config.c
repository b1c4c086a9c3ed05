/* Unit tests for the kubernetes check's credentials: kubeconfig contexts,
 * clusters and users in their data and file forms, the in-cluster service
 * account, the target's overrides, and base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kube/kube_int.h"

/* "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n" */
#define CA_PEM "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/tars-kubecfg-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static void remove_file(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static int remove_dir(void **state)
{
    static const char *const files[] = {"config",     "token",      "ca.crt",
                                        "client.crt", "client.key", "namespace"};
    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        remove_file(files[i]);
    return rmdir(dir);
}

/* Writes dir/name and returns its path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char two_contexts[] = "apiVersion: v1\n"
                                   "kind: Config\n"
                                   "current-context: staging\n"
                                   "contexts:\n"
                                   "- name: staging\n"
                                   "  context: {cluster: c1, user: u1, namespace: tars-staging}\n"
                                   "- name: files\n"
                                   "  context: {cluster: c2, user: u2}\n"
                                   "clusters:\n"
                                   "- name: c1\n"
                                   "  cluster:\n"
                                   "    server: https://127.0.0.1:6443/\n"
                                   "    certificate-authority-data: " CA_B64 "\n"
                                   "- name: c2\n"
                                   "  cluster:\n"
                                   "    server: https://k8s.example:443\n"
                                   "    certificate-authority: ca.crt\n"
                                   "    insecure-skip-tls-verify: true\n"
                                   "users:\n"
                                   "- name: u1\n"
                                   "  user: {token: s3cret-token}\n"
                                   "- name: u2\n"
                                   "  user:\n"
                                   "    client-certificate: client.crt\n"
                                   "    client-key: /abs/client.key\n";

static void test_current_context_data_and_token(void **state)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    const char *path = write_file("config", two_contexts);
    (void)state;

    assert_int_equal(kube_config_load(path, NULL, &t, &err), TARS_OK);
    assert_string_equal(t.server, "https://127.0.0.1:6443");
    assert_string_equal(t.ca_pem, CA_PEM);
    assert_null(t.ca_file);
    assert_string_equal(t.token, "s3cret-token");
    assert_null(t.cert_pem);
    assert_null(t.cert_file);
    assert_false(t.insecure);
    assert_string_equal(t.namespace, "tars-staging");
    assert_non_null(strstr(t.source, "context \"staging\""));
    kube_target_release(&t);
}

static void test_named_context_files_and_client_cert(void **state)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    char want[256];
    const char *path = write_file("config", two_contexts);
    (void)state;

    assert_int_equal(kube_config_load(path, "files", &t, &err), TARS_OK);
    assert_string_equal(t.server, "https://k8s.example:443");
    snprintf(want, sizeof(want), "%s/ca.crt", dir);
    assert_string_equal(t.ca_file, want);
    assert_null(t.ca_pem);
    assert_true(t.insecure);
    assert_null(t.token);
    snprintf(want, sizeof(want), "%s/client.crt", dir);
    assert_string_equal(t.cert_file, want);
    assert_string_equal(t.key_file, "/abs/client.key");
    assert_null(t.namespace);
    kube_target_release(&t);
}

static void test_client_cert_data_and_token_file(void **state)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    const char *path;
    (void)state;

    write_file("token", "file-token\n");
    path =
        write_file("config", "current-context: a\n"
                             "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
                             "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:8080'}}]\n"
                             "users:\n"
                             "- name: u\n"
                             "  user:\n"
                             "    tokenFile: token\n"
                             "    client-certificate-data: " CA_B64 "\n"
                             "    client-key-data: a2V5\n");
    assert_int_equal(kube_config_load(path, NULL, &t, &err), TARS_OK);
    assert_string_equal(t.token, "file-token");
    assert_string_equal(t.cert_pem, CA_PEM);
    assert_string_equal(t.key_pem, "key");
    assert_null(t.ca_pem);
    assert_null(t.ca_file);
    kube_target_release(&t);
}

static void assert_load_error(const char *yaml, const char *context, const char *message)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    const char *path = write_file("config", yaml);

    assert_int_not_equal(kube_config_load(path, context, &t, &err), TARS_OK);
    if (!strstr(err.msg, message))
        fail_msg("error \"%s\" does not say \"%s\"", err.msg, message);
    assert_null(t.server);
    assert_null(t.token);
}

static void test_errors(void **state)
{
    (void)state;
    assert_load_error(two_contexts, "prod", "context \"prod\" not found");
    assert_load_error("contexts: []\n", NULL, "no current-context");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: x}}]\n", NULL,
                      "cluster \"x\" not found");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
                      "clusters: [{name: c, cluster: {server: 'https://h'}}]\n",
                      NULL, "user \"u\" not found");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                      "clusters: [{name: c, cluster: {server: 'ftp://h'}}]\n",
                      NULL, "not an http(s) URL");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                      "clusters: [{name: c, cluster: {certificate-authority-data: eA==}}]\n",
                      NULL, "cluster has no server");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                      "clusters: [{name: c, cluster: {server: 'https://h', "
                      "certificate-authority-data: '@@@'}}]\n",
                      NULL, "certificate-authority-data is not valid base64");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
                      "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                      "users: [{name: u, user: {exec: {command: aws}}}]\n",
                      NULL, "\"exec\" are not supported");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
                      "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                      "users: [{name: u, user: {client-certificate: c.crt}}]\n",
                      NULL, "must be given together");
    assert_load_error("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
                      "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                      "users: [{name: u, user: {tokenFile: missing-token}}]\n",
                      NULL, "missing-token");
    assert_load_error("[1, 2]\n", NULL, "must be a mapping");
}

/* An error message never carries the token it could not use. */
static void test_secret_not_in_messages(void **state)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    const char *path =
        write_file("config", "current-context: a\n"
                             "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
                             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                             "users: [{name: u, user: {token: hunter2, exec: {}}}]\n");
    (void)state;

    assert_int_not_equal(kube_config_load(path, NULL, &t, &err), TARS_OK);
    assert_null(strstr(err.msg, "hunter2"));
}

static void test_in_cluster(void **state)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    char want[256];
    (void)state;

    write_file("token", "sa-token\n");
    write_file("namespace", "tars-production\n");
    assert_int_equal(kube_config_in_cluster(dir, "10.0.0.1", "6443", &t, &err), TARS_OK);
    assert_string_equal(t.server, "https://10.0.0.1:6443");
    assert_string_equal(t.token, "sa-token");
    snprintf(want, sizeof(want), "%s/ca.crt", dir);
    assert_string_equal(t.ca_file, want);
    assert_string_equal(t.namespace, "tars-production");
    kube_target_release(&t);

    assert_int_equal(kube_config_in_cluster(dir, "fd00::1", NULL, &t, &err), TARS_OK);
    assert_string_equal(t.server, "https://[fd00::1]:443");
    kube_target_release(&t);

    assert_int_not_equal(kube_config_in_cluster(dir, NULL, "443", &t, &err), TARS_OK);
    assert_non_null(strstr(err.msg, "KUBERNETES_SERVICE_HOST"));
    remove_file("token");
    assert_int_not_equal(kube_config_in_cluster(dir, "10.0.0.1", "443", &t, &err), TARS_OK);
    assert_non_null(strstr(err.msg, "/token"));
}

static struct tars_check_ctx ctx_with(json_t *params, json_t *targets)
{
    struct tars_check_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.params = params;
    ctx.targets = targets;
    return ctx;
}

static void test_resolve_from_targets(void **state)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    const char *path = write_file("config", two_contexts);
    json_t *params = json_pack("{s:s}", "check", "pods_running");
    json_t *targets =
        json_pack("{s:{s:s, s:s, s:b, s:s}}", "kubernetes", "kubeconfig", path, "context",
                  "staging", "insecure", 1, "token_env", "TARS_TEST_KUBE_TOKEN");
    struct tars_check_ctx ctx = ctx_with(params, targets);
    (void)state;

    unsetenv("TARS_TEST_KUBE_TOKEN");
    assert_int_equal(kube_target_resolve(&ctx, &t, &err), TARS_EAUTH);
    assert_non_null(strstr(err.msg, "TARS_TEST_KUBE_TOKEN"));
    setenv("TARS_TEST_KUBE_TOKEN", "env-token", 1);
    assert_int_equal(kube_target_resolve(&ctx, &t, &err), TARS_OK);
    assert_string_equal(t.token, "env-token");
    assert_true(t.insecure);
    assert_string_equal(kube_namespace(&ctx, &t), "tars-staging");
    kube_target_release(&t);
    unsetenv("TARS_TEST_KUBE_TOKEN");
    json_decref(params);
    json_decref(targets);
}

static void test_resolve_server_and_namespace(void **state)
{
    struct kube_target t;
    struct tars_err err = TARS_ERR_INIT;
    json_t *params = json_pack("{s:s, s:s}", "check", "pods_running", "namespace", "mine");
    json_t *targets = json_pack("{s:{s:s, s:s}}", "kubernetes", "server", "http://127.0.0.1:1/",
                                "namespace", "from-target");
    struct tars_check_ctx ctx = ctx_with(params, targets);
    (void)state;

    assert_int_equal(kube_target_resolve(&ctx, &t, &err), TARS_OK);
    assert_string_equal(t.server, "http://127.0.0.1:1");
    assert_null(t.token);
    assert_string_equal(kube_namespace(&ctx, &t), "mine");
    json_object_del(params, "namespace");
    assert_string_equal(kube_namespace(&ctx, &t), "from-target");
    json_object_del(json_object_get(targets, "kubernetes"), "namespace");
    assert_string_equal(kube_namespace(&ctx, &t), "default");
    kube_target_release(&t);
    json_decref(params);
    json_decref(targets);
}

static void assert_b64(const char *in, const char *want)
{
    unsigned char *out = NULL;
    size_t len = 0;

    assert_int_equal(kube_base64_decode(in, strlen(in), 1024, &out, &len), TARS_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
}

static void test_base64(void **state)
{
    unsigned char *out = NULL;
    size_t len;
    (void)state;

    assert_b64("", "");
    assert_b64("YQ==", "a");
    assert_b64("YQ", "a");
    assert_b64("YWI=", "ab");
    assert_b64("YWJj", "abc");
    assert_b64("YW\nJj\r\n ZA==", "abcd");
    assert_b64("Lz8+", "/?>");
    assert_int_equal(kube_base64_decode("YW=J", 4, 1024, &out, &len), TARS_EINVAL);
    assert_int_equal(kube_base64_decode("Y", 1, 1024, &out, &len), TARS_EINVAL);
    assert_int_equal(kube_base64_decode("YR==", 4, 1024, &out, &len), TARS_EINVAL);
    assert_int_equal(kube_base64_decode("YW_j", 4, 1024, &out, &len), TARS_EINVAL);
    assert_int_equal(kube_base64_decode("YWJjZA==", 8, 3, &out, &len), TARS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_current_context_data_and_token),
        cmocka_unit_test(test_named_context_files_and_client_cert),
        cmocka_unit_test(test_client_cert_data_and_token_file),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_secret_not_in_messages),
        cmocka_unit_test(test_in_cluster),
        cmocka_unit_test(test_resolve_from_targets),
        cmocka_unit_test(test_resolve_server_and_namespace),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
