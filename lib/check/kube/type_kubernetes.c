/*
 * The kubernetes check type. One type; its `check` parameter picks the
 * sub-check from the table below, which says what is listed, what else is
 * read, how each object is judged and which parameters apply.
 *
 * Target (targets.kubernetes): in_cluster: true (service account), or
 * kubeconfig (+ context; default $KUBECONFIG, then ~/.kube/config), or
 * server (+ token_env, ca_file); insecure: true skips TLS verification;
 * namespace is the default for every check (then the context's, then
 * "default"). A check's own `namespace` wins.
 *
 * Every sub-check that judges a list also takes selector (a label selector,
 * sent to the server), names (string or list; with match: exact | substring |
 * prefix; each must match an object), exclude (name substrings to skip) and
 * min_count. No object at all is "no data" (fail, or skip with on_empty).
 *
 *   namespace_exists      the namespace exists and is Active
 *   deployments_ready     ready >= spec.replicas (or min_ready); updated: true
 *   pods_running          phase in phases (default Running, Succeeded); ready: true
 *   pods_no_crashloop     no container waiting in reasons (default CrashLoopBackOff)
 *   pod_restarts_max      restartCount <= max_restarts (default 0); min_age in s
 *   services_present, configmaps_present (key, contains), secrets_present (key),
 *   roles_present, network_policies, cronjobs_present
 *   pvcs_bound            every PVC Bound
 *   ingress               rules; host (a rule host contains it); tls (default
 *                         true): TLS entries, their secrets exist, hosts covered
 *   resources_set         every container has limits and requests (resources:
 *                         [cpu, memory] for specific ones); kind: deployments |
 *                         pods | statefulsets | daemonsets
 *   hpa                   minReplicas >= min_replicas, maxReplicas >= max_replicas,
 *                         not ScalingActive False
 *   pdb                   minAvailable or maxUnavailable set
 *   endpoints_ready       each service has a ready address (ExternalName aside)
 *   pods_non_root         runAsUser != 0, or runAsNonRoot true when runAsUser is
 *                         unset (unset both = fail); kind as above
 *   pod_security_context  a non-empty pod securityContext; kind as above
 *   version_labels        label (default app.kubernetes.io/version) == version,
 *                         leading v ignored; kind as above
 *   helm_release          latest sh.helm.release.v1.RELEASE.vN: info.status ==
 *                         status (default deployed), chart version == version,
 *                         app_version; release defaults to tars
 *   service_proxy_get     GET through the API server's service proxy: service,
 *                         port, scheme, path (default /health); expect_status
 *                         (default 200), body_contains (any of), case_insensitive
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"
#include "tars/str.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
static const char *const no_params[] = {NULL};
static const char *const list_params[] = {"selector", "names",     "match",
                                          "exclude",  "min_count", NULL};

static const struct kube_subcheck subchecks[] = {
    {.name = "namespace_exists",
     .params = no_params,
     .required = no_params,
     .run = kube_run_namespace},
    {.name = "deployments_ready",
     .resource = &kube_res_deployments,
     .pass_phrase = "ready",
     .params = NAMES("min_ready", "updated"),
     .required = no_params,
     .object = kube_judge_deployment},
    {.name = "pods_running",
     .resource = &kube_res_pods,
     .pass_phrase = "running",
     .params = NAMES("phases", "ready"),
     .required = no_params,
     .object = kube_judge_pod_phase},
    {.name = "pods_no_crashloop",
     .resource = &kube_res_pods,
     .pass_phrase = "without a crash loop",
     .params = NAMES("reasons"),
     .required = no_params,
     .object = kube_judge_pod_crashloop},
    {.name = "pod_restarts_max",
     .resource = &kube_res_pods,
     .pass_phrase = "within the restart limit",
     .params = NAMES("max_restarts", "min_age"),
     .required = no_params,
     .object = kube_judge_pod_restarts},
    {.name = "services_present",
     .resource = &kube_res_services,
     .params = no_params,
     .required = no_params},
    {.name = "configmaps_present",
     .resource = &kube_res_configmaps,
     .params = NAMES("key", "contains"),
     .required = no_params,
     .object = kube_judge_configmap},
    {.name = "secrets_present",
     .resource = &kube_res_secrets,
     .params = NAMES("key"),
     .required = no_params,
     .object = kube_judge_secret},
    {.name = "pvcs_bound",
     .resource = &kube_res_pvcs,
     .pass_phrase = "bound",
     .params = no_params,
     .required = no_params,
     .object = kube_judge_pvc},
    {.name = "ingress",
     .resource = &kube_res_ingresses,
     .aux = &kube_res_secrets,
     .pass_phrase = "configured",
     .params = NAMES("host", "tls"),
     .required = no_params,
     .object = kube_judge_ingress,
     .needs_aux = kube_ingress_needs_secrets},
    {.name = "resources_set",
     .resource = &kube_res_deployments,
     .pass_phrase = "with limits and requests",
     .params = NAMES("kind", "resources"),
     .required = no_params,
     .object = kube_judge_resources,
     .takes_kind = true},
    {.name = "hpa",
     .resource = &kube_res_hpas,
     .pass_phrase = "configured",
     .params = NAMES("min_replicas", "max_replicas"),
     .required = no_params,
     .object = kube_judge_hpa},
    {.name = "pdb",
     .resource = &kube_res_pdbs,
     .pass_phrase = "configured",
     .params = no_params,
     .required = no_params,
     .object = kube_judge_pdb},
    {.name = "endpoints_ready",
     .resource = &kube_res_services,
     .aux = &kube_res_endpoints,
     .pass_phrase = "with ready endpoints",
     .params = no_params,
     .required = no_params,
     .object = kube_judge_endpoints},
    {.name = "roles_present",
     .resource = &kube_res_roles,
     .params = no_params,
     .required = no_params},
    {.name = "network_policies",
     .resource = &kube_res_netpols,
     .params = no_params,
     .required = no_params},
    {.name = "cronjobs_present",
     .resource = &kube_res_cronjobs,
     .params = no_params,
     .required = no_params},
    {.name = "pods_non_root",
     .resource = &kube_res_pods,
     .pass_phrase = "running as non-root",
     .params = NAMES("kind"),
     .required = no_params,
     .object = kube_judge_non_root,
     .takes_kind = true},
    {.name = "pod_security_context",
     .resource = &kube_res_pods,
     .pass_phrase = "with a pod securityContext",
     .params = NAMES("kind"),
     .required = no_params,
     .object = kube_judge_pod_security_context,
     .takes_kind = true},
    {.name = "version_labels",
     .resource = &kube_res_pods,
     .pass_phrase = "labelled",
     .params = NAMES("version", "label", "kind"),
     .required = NAMES("version"),
     .object = kube_judge_version_label,
     .takes_kind = true},
    {.name = "helm_release",
     .resource = &kube_res_secrets,
     .params = NAMES("release", "version", "app_version", "status"),
     .required = no_params,
     .whole = kube_judge_helm,
     .selector = kube_helm_selector},
    {.name = "service_proxy_get",
     .params = NAMES("service", "port", "scheme", "path", "expect_status", "body_contains",
                     "case_insensitive"),
     .required = NAMES("service"),
     .run = kube_run_service_proxy},
};

#define SUBCHECK_COUNT (sizeof(subchecks) / sizeof(subchecks[0]))

static const struct {
    const char *kind;
    const struct kube_resource *res;
} kinds[] = {
    {"deployments", &kube_res_deployments},
    {"pods", &kube_res_pods},
    {"statefulsets", &kube_res_statefulsets},
    {"daemonsets", &kube_res_daemonsets},
};

const struct kube_subcheck *kube_subcheck_find(const char *name)
{
    for (size_t i = 0; name && i < SUBCHECK_COUNT; i++)
        if (strcmp(subchecks[i].name, name) == 0)
            return &subchecks[i];
    return NULL;
}

const struct kube_resource *kube_subcheck_resource(const struct kube_subcheck *sc,
                                                   const struct tars_check_ctx *ctx)
{
    const char *kind = sc->takes_kind ? tars_check_param_str(ctx, "kind", NULL) : NULL;

    if (!kind)
        return sc->resource;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].res;
    return NULL;
}

static bool is_list_check(const struct kube_subcheck *sc)
{
    return sc->resource && !sc->whole && !sc->run;
}

#define KUBE_PARAM_MAX 16    /* check, namespace, the list ones, a sub-check's own */
#define KUBE_TEXT_MAX 4096   /* a string parameter */
#define KUBE_NUMBER_MAX 1e12 /* counts, ages and statuses */

/* The keys sc takes: check, namespace, the list ones for a list check, its own. */
static void subcheck_keys(const struct kube_subcheck *sc, const char **out)
{
    size_t n = 0;

    out[n++] = "check";
    out[n++] = "namespace";
    for (const char *const *p = list_params; is_list_check(sc) && *p; p++)
        out[n++] = *p;
    for (const char *const *p = sc->params; *p && n < KUBE_PARAM_MAX; p++)
        out[n++] = *p;
    out[n] = NULL;
}

/* A string, or a non-empty list of strings. */
static int read_names(const struct tars_json_reader *rd, json_t *params, const char *key)
{
    const char *s;
    json_t *list;
    int rc;
    json_t *v = tars_json_member(rd, params, key, TARS_JSON_OPTIONAL, &rc);

    if (json_is_string(v))
        return tars_json_string_of(rd, v, key, KUBE_TEXT_MAX, &s);
    return v ? tars_json_get_strings(rd, params, key, TARS_JSON_OPTIONAL, 1, SIZE_MAX,
                                     KUBE_TEXT_MAX, &list)
             : rc;
}

/* A port number, or a port name. */
static int read_port(const struct tars_json_reader *rd, json_t *params)
{
    int64_t n;
    int rc;
    json_t *v = tars_json_member(rd, params, "port", TARS_JSON_OPTIONAL, &rc);
    const char *s = json_string_value(v);

    if (json_is_integer(v))
        return tars_json_get_int(rd, params, "port", TARS_JSON_OPTIONAL, 1, 65535, &n);
    if (v && !(s && strlen(s) <= 15 && kube_label_valid(s)))
        return tars_json_fail(rd, v, TARS_EINVAL, "port must be a port number or a port name");
    return rc;
}

/* A name that goes into a URL path, valid as valid() says. */
static int read_name(const struct tars_json_reader *rd, json_t *params, const char *key,
                     bool (*valid)(const char *), const char *what)
{
    const char *s = NULL;
    int rc = tars_json_get_string(rd, params, key, TARS_JSON_OPTIONAL, KUBE_TEXT_MAX, &s);

    if (rc == TARS_OK && s && !valid(s))
        return tars_json_fail(rd, json_object_get(params, key), TARS_EINVAL, "%s must be %s", key,
                              what);
    return rc;
}

static bool path_valid(const char *s)
{
    return s[0] == '/' && !strpbrk(s, " \t\r\n");
}

/* Every value of the types the sub-checks share. */
static int read_values(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const lists[] = {"names",     "exclude",       "phases", "reasons",
                                        "resources", "body_contains", NULL};
    static const char *const numbers[] = {
        "min_count",    "min_ready",    "max_restarts",  "min_age",
        "min_replicas", "max_replicas", "expect_status", NULL};
    static const char *const strings[] = {"selector",    "host",   "label", "version",  "release",
                                          "app_version", "status", "key",   "contains", NULL};
    static const char *const booleans[] = {"updated", "ready", "tls", "case_insensitive", NULL};
    const char *s;
    double d;
    bool b;
    int e, rc = TARS_OK;

    for (const char *const *k = lists; rc == TARS_OK && *k; k++)
        rc = read_names(rd, params, *k);
    for (const char *const *k = numbers; rc == TARS_OK && *k; k++)
        rc = tars_json_get_double(rd, params, *k, TARS_JSON_OPTIONAL, 0, KUBE_NUMBER_MAX, &d);
    for (const char *const *k = strings; rc == TARS_OK && *k; k++)
        rc = tars_json_get_string(rd, params, *k, TARS_JSON_OPTIONAL, KUBE_TEXT_MAX, &s);
    for (const char *const *k = booleans; rc == TARS_OK && *k; k++)
        rc = tars_json_get_bool(rd, params, *k, TARS_JSON_OPTIONAL, &b);
    if (rc ||
        (rc = tars_json_get_enum(rd, params, "match", TARS_JSON_OPTIONAL,
                                 NAMES("exact", "substring", "prefix"), &e)) ||
        (rc = tars_json_get_enum(rd, params, "kind", TARS_JSON_OPTIONAL,
                                 NAMES("deployments", "pods", "statefulsets", "daemonsets"), &e)) ||
        (rc = tars_json_get_enum(rd, params, "scheme", TARS_JSON_OPTIONAL, NAMES("http", "https"),
                                 &e)) ||
        (rc = read_port(rd, params)) ||
        (rc = read_name(rd, params, "namespace", kube_label_valid,
                        "a namespace name (lowercase letters, digits and -)")) ||
        (rc = read_name(rd, params, "service", kube_name_valid, "a service name")))
        return rc;
    return read_name(rd, params, "path", path_valid, "a path that starts with / and has no spaces");
}

static int kube_read_params(const struct tars_json_reader *rd, json_t *params)
{
    const char *names[SUBCHECK_COUNT + 1], *keys[KUBE_PARAM_MAX + 1];
    char taken[64];
    int i = 0, rc;

    for (size_t n = 0; n < SUBCHECK_COUNT; n++)
        names[n] = subchecks[n].name;
    names[SUBCHECK_COUNT] = NULL;
    if ((rc = tars_json_get_enum(rd, params, "check", TARS_JSON_REQUIRED, names, &i)))
        return rc;
    subcheck_keys(&subchecks[i], keys);
    snprintf(taken, sizeof(taken), "check %s", subchecks[i].name);
    if ((rc = tars_json_check_keys(rd, params, taken, keys, NULL)))
        return rc;
    for (const char *const *r = subchecks[i].required; *r; r++)
        if (!tars_json_member(rd, params, *r, TARS_JSON_REQUIRED, &rc))
            return rc;
    if (json_object_get(params, "contains") && !json_object_get(params, "key"))
        return tars_json_fail(rd, json_object_get(params, "contains"), TARS_EINVAL,
                              "contains needs key");
    return read_values(rd, params);
}

/* Lists what the sub-check judges (and its second list), then judges. */
static void list_and_judge(struct kube_run *kr, struct tars_check_result *out)
{
    const struct kube_subcheck *sc = kr->sc;
    char sel_buf[512];
    const char *selector = sc->selector ? sc->selector(kr, sel_buf, sizeof(sel_buf))
                                        : tars_check_param_str(kr->ctx, "selector", NULL);
    json_t *items = NULL, *aux = NULL;

    if (kube_list(kr->client, kr->res, kr->ns, selector, &items, out) != 0)
        return;
    if (sc->aux && (!sc->needs_aux || sc->needs_aux(kr)) &&
        kube_list(kr->client, sc->aux, kr->ns, NULL, &aux, out) != 0)
        goto out;
    kr->aux = aux;
    if (sc->whole)
        sc->whole(kr, items, out);
    else
        kube_scan_items(kr, items, out);
out:
    json_decref(items);
    json_decref(aux);
}

static void kube_run_check(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    const char *check = tars_check_param_str(ctx, "check", "");
    struct kube_run kr = {ctx, kube_subcheck_find(check), NULL, NULL, NULL, NULL};
    struct tars_err err = TARS_ERR_INIT;
    struct kube_target target;
    struct kube_client client;

    if (!kr.sc) {
        tars_check_error(out, false, "unknown kubernetes check \"%s\"", check);
        return;
    }
    kr.res = kube_subcheck_resource(kr.sc, ctx);
    if (kr.sc->resource && !kr.res) {
        tars_check_error(out, false, "kind \"%s\" is not a workload kind",
                         tars_check_param_str(ctx, "kind", ""));
        return;
    }
    if (kube_target_resolve(ctx, &target, &err) != 0) {
        tars_check_error(out, false, "kubernetes target: %s", err.msg);
        return;
    }
    kr.ns = kube_namespace(ctx, &target);
    if (!kube_label_valid(kr.ns)) {
        tars_check_error(out, false, "namespace \"%.100s\" is not a valid name", kr.ns);
        goto out;
    }
    kube_client_init(&client, ctx, &target);
    kr.client = &client;
    if (kr.sc->run)
        kr.sc->run(&kr, out);
    else
        list_and_judge(&kr, out);
    kube_client_release(&client);
out:
    kube_target_release(&target);
}

static const char *const all_params[] = {"check",
                                         "namespace",
                                         "selector",
                                         "names",
                                         "match",
                                         "exclude",
                                         "min_count",
                                         "min_ready",
                                         "updated",
                                         "phases",
                                         "ready",
                                         "reasons",
                                         "max_restarts",
                                         "min_age",
                                         "key",
                                         "contains",
                                         "host",
                                         "tls",
                                         "kind",
                                         "resources",
                                         "min_replicas",
                                         "max_replicas",
                                         "version",
                                         "label",
                                         "release",
                                         "app_version",
                                         "status",
                                         "service",
                                         "port",
                                         "scheme",
                                         "path",
                                         "expect_status",
                                         "body_contains",
                                         "case_insensitive",
                                         NULL};

static const char *const required_params[] = {"check", NULL};

const struct tars_check_type tars_check_kubernetes = {
    .name = "kubernetes",
    .category_hint = "kubernetes",
    .params = all_params,
    .required = required_params,
    .read_params = kube_read_params,
    .run = kube_run_check,
};
