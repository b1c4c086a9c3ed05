/*
 * Judges of namespaced objects other than workloads (PVCs, HPAs, PDBs,
 * config maps, secrets, endpoints, ingresses), and the two sub-checks that
 * make their own requests: the namespace itself and a GET through the API
 * server's service proxy (which replaces `kubectl exec … curl`).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"
#include "tars/str.h"

void kube_judge_pvc(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *phase = kube_str_at(obj, "status.phase");

    if (!phase || strcmp(phase, "Bound") != 0)
        kube_scan_problem(scan, "%s \"%s\": %s", kr->res->noun, kube_obj_name(obj),
                          phase ? phase : "no phase");
}

/* A condition of type `type` whose status is "False", or NULL. */
static json_t *false_condition(json_t *obj, const char *type)
{
    size_t i;
    json_t *c;

    json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c) {
        const char *t = kube_str_at(c, "type"), *s = kube_str_at(c, "status");
        if (t && s && strcmp(t, type) == 0 && strcmp(s, "False") == 0)
            return c;
    }
    return NULL;
}

void kube_judge_hpa(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *name = kube_obj_name(obj);
    long long min = kube_int_at(obj, "spec.minReplicas", 1);
    long long max = kube_int_at(obj, "spec.maxReplicas", 0);
    double want_min = kube_num(kr->ctx, "min_replicas", 0);
    double want_max = kube_num(kr->ctx, "max_replicas", 0);
    json_t *inactive = false_condition(obj, "ScalingActive");

    if ((double)min < want_min)
        kube_scan_problem(scan, "hpa \"%s\": minReplicas %lld < %.0f", name, min, want_min);
    if ((double)max < want_max)
        kube_scan_problem(scan, "hpa \"%s\": maxReplicas %lld < %.0f", name, max, want_max);
    if (inactive)
        kube_scan_problem(scan, "hpa \"%s\": not scaling (%s)", name,
                          kube_str_at(inactive, "reason") ? kube_str_at(inactive, "reason")
                                                          : "ScalingActive False");
}

void kube_judge_pdb(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    json_t *spec = json_object_get(obj, "spec");

    (void)kr;
    if (!json_object_get(spec, "minAvailable") && !json_object_get(spec, "maxUnavailable"))
        kube_scan_problem(scan, "pdb \"%s\": neither minAvailable nor maxUnavailable set",
                          kube_obj_name(obj));
}

void kube_judge_configmap(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *key = tars_check_param_str(kr->ctx, "key", NULL);
    const char *contains = tars_check_param_str(kr->ctx, "contains", NULL);
    json_t *data = json_object_get(obj, "data");
    const char *value;

    if (!key)
        return;
    value = json_string_value(json_object_get(data, key));
    if (!value && !json_object_get(json_object_get(obj, "binaryData"), key))
        kube_scan_problem(scan, "config map \"%s\": no key \"%s\"", kube_obj_name(obj), key);
    else if (contains && (!value || !strstr(value, contains)))
        kube_scan_problem(scan, "config map \"%s\": key \"%s\" does not contain \"%s\"",
                          kube_obj_name(obj), key, contains);
}

void kube_judge_secret(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *key = tars_check_param_str(kr->ctx, "key", NULL);

    if (key && !json_object_get(json_object_get(obj, "data"), key))
        kube_scan_problem(scan, "secret \"%s\": no key \"%s\"", kube_obj_name(obj), key);
}

static json_t *find_by_name(json_t *items, const char *name)
{
    size_t i;
    json_t *item;

    json_array_foreach(items, i, item) {
        if (strcmp(kube_obj_name(item), name) == 0)
            return item;
    }
    return NULL;
}

/* Ready and not-ready addresses over every subset. */
static void count_addresses(json_t *eps, size_t *ready, size_t *not_ready)
{
    size_t i;
    json_t *subset;

    *ready = *not_ready = 0;
    json_array_foreach(json_object_get(eps, "subsets"), i, subset) {
        *ready += json_array_size(json_object_get(subset, "addresses"));
        *not_ready += json_array_size(json_object_get(subset, "notReadyAddresses"));
    }
}

/* One service: its Endpoints (in kr->aux) must hold a ready address.
 * ExternalName services have none by design and are not judged. */
void kube_judge_endpoints(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *name = kube_obj_name(obj);
    const char *type = kube_str_at(obj, "spec.type");
    json_t *eps;
    size_t ready, not_ready;

    if (type && strcmp(type, "ExternalName") == 0) {
        scan->selected--;
        return;
    }
    eps = find_by_name(kr->aux, name);
    if (!eps) {
        kube_scan_problem(scan, "service \"%s\": no endpoints object", name);
        return;
    }
    count_addresses(eps, &ready, &not_ready);
    if (ready == 0)
        kube_scan_problem(scan, "service \"%s\": no ready endpoints (%zu not ready)", name,
                          not_ready);
}

bool kube_ingress_needs_secrets(struct kube_run *kr)
{
    return kube_bool(kr->ctx, "tls", true);
}

static bool has_rule_host(json_t *rules, const char *host)
{
    size_t i;
    json_t *rule;

    json_array_foreach(rules, i, rule) {
        const char *h = kube_str_at(rule, "host");
        if (h && strstr(h, host))
            return true;
    }
    return false;
}

static bool tls_covers(json_t *tls, const char *host)
{
    size_t i;
    json_t *entry;

    json_array_foreach(tls, i, entry) {
        if (kube_list_has(json_object_get(entry, "hosts"), host))
            return true;
    }
    return false;
}

/* Every TLS entry names a secret that exists; every rule host is covered. */
static void judge_tls(struct kube_run *kr, json_t *obj, json_t *tls, json_t *rules,
                      struct kube_scan *scan)
{
    const char *name = kube_obj_name(obj);
    size_t i;
    json_t *entry, *rule;

    json_array_foreach(tls, i, entry) {
        const char *secret = kube_str_at(entry, "secretName");
        if (!secret)
            kube_scan_problem(scan, "ingress \"%s\": tls entry %zu has no secretName", name, i);
        else if (!find_by_name(kr->aux, secret))
            kube_scan_problem(scan, "ingress \"%s\": TLS secret \"%s\" not found", name, secret);
    }
    json_array_foreach(rules, i, rule) {
        const char *h = kube_str_at(rule, "host");
        if (h && !tls_covers(tls, h))
            kube_scan_problem(scan, "ingress \"%s\": host \"%s\" not covered by TLS", name, h);
    }
}

void kube_judge_ingress(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *name = kube_obj_name(obj);
    const char *host = tars_check_param_str(kr->ctx, "host", NULL);
    json_t *rules = json_object_get(json_object_get(obj, "spec"), "rules");
    json_t *tls = json_object_get(json_object_get(obj, "spec"), "tls");

    if (json_array_size(rules) == 0)
        kube_scan_problem(scan, "ingress \"%s\": no rules", name);
    else if (host && !has_rule_host(rules, host))
        kube_scan_problem(scan, "ingress \"%s\": no rule for host \"%s\" (first host \"%s\")", name,
                          host,
                          kube_str_at(json_array_get(rules, 0), "host")
                              ? kube_str_at(json_array_get(rules, 0), "host")
                              : "none");
    if (!kube_ingress_needs_secrets(kr))
        return;
    if (json_array_size(tls) == 0)
        kube_scan_problem(scan, "ingress \"%s\": no TLS", name);
    else
        judge_tls(kr, obj, tls, rules, scan);
}

void kube_run_namespace(struct kube_run *kr, struct tars_check_result *out)
{
    char path[512];
    json_t *ns = NULL;
    const char *phase;
    int rc;

    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", kr->ns);
    rc = kube_get_json(kr->client, path, &ns, out);
    if (rc == TARS_ENOTFOUND) {
        tars_check_fail(out, "namespace \"%s\" not found", kr->ns);
        return;
    }
    if (rc)
        return;
    phase = kube_str_at(ns, "status.phase");
    if (strcmp(kube_obj_name(ns), kr->ns) != 0)
        tars_check_error(out, false, "kubernetes api: GET %s: the answer is not namespace \"%s\"",
                         path, kr->ns);
    else if (phase && strcmp(phase, "Active") != 0)
        tars_check_fail(out, "namespace \"%s\": %s", kr->ns, phase);
    else
        tars_check_pass(out, "namespace \"%s\" exists (%s)", kr->ns, phase ? phase : "no phase");
    json_decref(ns);
}
