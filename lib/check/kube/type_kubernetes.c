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

static bool param_applies(const struct kube_subcheck *sc, const char *key)
{
    return strcmp(key, "check") == 0 || strcmp(key, "namespace") == 0 ||
           (is_list_check(sc) && tars_str_in_list(key, list_params)) ||
           tars_str_in_list(key, sc->params);
}

/* "a, b, c" of the parameters sc takes. */
static void params_text(const struct kube_subcheck *sc, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "check, namespace");

    for (const char *const *p = list_params; is_list_check(sc) && *p && len < size; p++)
        len += (size_t)snprintf(buf + len, size - len, ", %s", *p);
    for (const char *const *p = sc->params; *p && len < size; p++)
        len += (size_t)snprintf(buf + len, size - len, ", %s", *p);
}

/* The sub-check name closest to a misspelt one, or NULL. */
static const char *closest(const char *name)
{
    struct tars_str_suggester sg;

    tars_str_suggest_init(&sg, name);
    for (size_t i = 0; i < SUBCHECK_COUNT; i++)
        tars_str_suggest_add(&sg, subchecks[i].name);
    return tars_str_suggest_best(&sg);
}

static void names_text(char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < SUBCHECK_COUNT && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", subchecks[i].name);
}

static bool string_or_strings(json_t *v)
{
    size_t i;
    json_t *e;

    if (json_is_string(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

static bool non_negative(json_t *v)
{
    double d;

    if (json_is_number(v))
        return json_number_value(v) >= 0;
    return json_is_string(v) && tars_parse_double(json_string_value(v), &d) == 0 && d >= 0;
}

static bool boolean(json_t *v)
{
    const char *s = json_string_value(v);
    return json_is_boolean(v) || (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0));
}

static bool one_of(json_t *v, const char *const *allowed)
{
    const char *s = json_string_value(v);
    return s && tars_str_in_list(s, allowed);
}

static bool port_valid(json_t *v)
{
    const char *s = json_string_value(v);

    if (json_is_integer(v))
        return json_integer_value(v) > 0 && json_integer_value(v) < 65536;
    return s && strlen(s) <= 15 && kube_label_valid(s);
}

/* The type of one parameter's value; NULL or what is wrong. */
static const char *value_problem(const char *key, json_t *v)
{
    static const char *const lists[] = {"names",     "exclude",       "phases", "reasons",
                                        "resources", "body_contains", NULL};
    static const char *const numbers[] = {
        "min_count",    "min_ready",    "max_restarts",  "min_age",
        "min_replicas", "max_replicas", "expect_status", NULL};
    static const char *const strings[] = {"selector",    "host",   "label", "version",  "release",
                                          "app_version", "status", "key",   "contains", NULL};
    static const char *const booleans[] = {"updated", "ready", "tls", "case_insensitive", NULL};

    if (tars_str_in_list(key, lists) && !string_or_strings(v))
        return "must be a string or a non-empty list of strings";
    if (tars_str_in_list(key, numbers) && !non_negative(v))
        return "must be a number >= 0";
    if (tars_str_in_list(key, strings) && (!json_is_string(v) || !json_string_value(v)[0]))
        return "must be a non-empty string";
    if (tars_str_in_list(key, booleans) && !boolean(v))
        return "must be true or false";
    if (strcmp(key, "match") == 0 && !one_of(v, NAMES("exact", "substring", "prefix")))
        return "must be exact, substring or prefix";
    if (strcmp(key, "kind") == 0 &&
        !one_of(v, NAMES("deployments", "pods", "statefulsets", "daemonsets")))
        return "must be deployments, pods, statefulsets or daemonsets";
    if (strcmp(key, "scheme") == 0 && !one_of(v, NAMES("http", "https")))
        return "must be http or https";
    if (strcmp(key, "port") == 0 && !port_valid(v))
        return "must be a port number or a port name";
    return NULL;
}

/* Names that go into URL paths. */
static const char *name_problem(const char *key, json_t *v)
{
    const char *s = json_string_value(v);

    if (strcmp(key, "namespace") == 0 && !kube_label_valid(s))
        return "must be a namespace name (lowercase letters, digits and -)";
    if (strcmp(key, "service") == 0 && !kube_name_valid(s))
        return "must be a service name";
    if (strcmp(key, "path") == 0 && (!s || s[0] != '/' || strpbrk(s, " \t\r\n")))
        return "must start with / and hold no spaces";
    return NULL;
}

static const char *check_params(const struct kube_subcheck *sc, json_t *params, char *buf,
                                size_t size)
{
    char taken[400];
    const char *key, *why;
    json_t *v;

    json_object_foreach(params, key, v) {
        if (!param_applies(sc, key)) {
            params_text(sc, taken, sizeof(taken));
            snprintf(buf, size, "parameter \"%s\" does not apply to check \"%s\" (it takes: %s)",
                     key, sc->name, taken);
            return buf;
        }
        why = strcmp(key, "check") == 0 ? NULL : value_problem(key, v);
        if (!why)
            why = name_problem(key, v);
        if (why) {
            snprintf(buf, size, "parameter \"%s\" %s", key, why);
            return buf;
        }
    }
    return NULL;
}

static const char *kube_validate(json_t *params, char *buf, size_t size)
{
    const char *check = json_string_value(json_object_get(params, "check"));
    const struct kube_subcheck *sc = kube_subcheck_find(check);
    char names[600];

    if (!sc) {
        names_text(names, sizeof(names));
        if (check && closest(check))
            snprintf(buf, size, "unknown kubernetes check \"%s\" (did you mean \"%s\"? valid: %s)",
                     check, closest(check), names);
        else if (check)
            snprintf(buf, size, "unknown kubernetes check \"%s\" (valid: %s)", check, names);
        else
            snprintf(buf, size, "parameter \"check\" is required (one of: %s)", names);
        return buf;
    }
    for (const char *const *r = sc->required; *r; r++) {
        if (!json_object_get(params, *r)) {
            snprintf(buf, size, "check \"%s\" needs parameter \"%s\"", sc->name, *r);
            return buf;
        }
    }
    if (json_object_get(params, "contains") && !json_object_get(params, "key")) {
        snprintf(buf, size, "parameter \"contains\" needs \"key\"");
        return buf;
    }
    return check_params(sc, params, buf, size);
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
    .validate = kube_validate,
    .run = kube_run_check,
};
