/*
 * Judges of workloads and their pods: deployments ready, pod phases, crash
 * loops, restarts, resource limits and requests, running as non-root, the
 * pod security context and version labels. Each adds one problem per bad
 * object (or container) to the scan, naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"
#include "tars/clock.h"

void kube_judge_deployment(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *name = kube_obj_name(obj);
    long long desired = kube_int_at(obj, "spec.replicas", 1);
    long long ready = kube_int_at(obj, "status.readyReplicas", 0);
    long long updated = kube_int_at(obj, "status.updatedReplicas", 0);
    double min_ready = kube_num(kr->ctx, "min_ready", -1);

    if (min_ready >= 0 && (double)ready < min_ready)
        kube_scan_problem(scan, "%s \"%s\": %lld/%lld ready (need %.0f)", kr->res->noun, name,
                          ready, desired, min_ready);
    else if (min_ready < 0 && ready < desired)
        kube_scan_problem(scan, "%s \"%s\": %lld/%lld ready", kr->res->noun, name, ready, desired);
    if (kube_bool(kr->ctx, "updated", false) && updated < desired)
        kube_scan_problem(scan, "%s \"%s\": %lld/%lld updated", kr->res->noun, name, updated,
                          desired);
}

/* A pod's spec, or a workload's pod template spec. */
static json_t *pod_spec(json_t *obj)
{
    json_t *tmpl =
        json_object_get(json_object_get(json_object_get(obj, "spec"), "template"), "spec");
    return tmpl ? tmpl : json_object_get(obj, "spec");
}

static void judge_container_ready(struct kube_run *kr, json_t *pod, struct kube_scan *scan)
{
    json_t *statuses = json_object_get(json_object_get(pod, "status"), "containerStatuses");
    size_t i;
    json_t *cs;

    json_array_foreach(statuses, i, cs) {
        if (!json_is_true(json_object_get(cs, "ready")))
            kube_scan_problem(scan, "%s \"%s\" container \"%s\": not ready", kr->res->noun,
                              kube_obj_name(pod),
                              kube_str_at(cs, "name") ? kube_str_at(cs, "name") : "?");
    }
}

void kube_judge_pod_phase(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    json_t *phases = kube_param_list(kr->ctx, "phases");
    const char *phase = kube_str_at(obj, "status.phase");
    const char *reason = kube_str_at(obj, "status.reason");

    if (!phases)
        phases = json_pack("[ss]", "Running", "Succeeded");
    if (!phase)
        phase = "Unknown";
    if (!kube_list_has(phases, phase))
        kube_scan_problem(scan, "%s \"%s\": %s%s%s", kr->res->noun, kube_obj_name(obj), phase,
                          reason ? " " : "", reason ? reason : "");
    else if (strcmp(phase, "Running") == 0 && kube_bool(kr->ctx, "ready", false))
        judge_container_ready(kr, obj, scan);
    json_decref(phases);
}

/* Calls fn on every init and app container status of a pod. */
static void each_status(struct kube_run *kr, json_t *pod, struct kube_scan *scan,
                        void (*fn)(struct kube_run *, json_t *, json_t *, struct kube_scan *))
{
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
    json_t *status = json_object_get(pod, "status");

    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *cs;
        json_array_foreach(json_object_get(status, lists[l]), i, cs)
            fn(kr, pod, cs, scan);
    }
}

static const char *cname(json_t *c)
{
    const char *s = kube_str_at(c, "name");
    return s ? s : "?";
}

static void crashloop_one(struct kube_run *kr, json_t *pod, json_t *cs, struct kube_scan *scan)
{
    json_t *reasons = kube_param_list(kr->ctx, "reasons");
    const char *reason = kube_str_at(cs, "state.waiting.reason");

    if (!reasons)
        reasons = json_pack("[s]", "CrashLoopBackOff");
    if (reason && kube_list_has(reasons, reason))
        kube_scan_problem(scan, "%s \"%s\" container \"%s\": %s (%lld restarts)", kr->res->noun,
                          kube_obj_name(pod), cname(cs), reason,
                          kube_int_at(cs, "restartCount", 0));
    json_decref(reasons);
}

void kube_judge_pod_crashloop(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    each_status(kr, obj, scan, crashloop_one);
}

static void restarts_one(struct kube_run *kr, json_t *pod, json_t *cs, struct kube_scan *scan)
{
    long long max = (long long)kube_num(kr->ctx, "max_restarts", 0);
    long long n = kube_int_at(cs, "restartCount", -1);

    if (n < 0)
        kube_scan_unmeasured(scan, "%s \"%s\" container \"%s\" has no restartCount", kr->res->noun,
                             kube_obj_name(pod), cname(cs));
    else if (n > max)
        kube_scan_problem(scan, "%s \"%s\" container \"%s\": %lld restarts (max %lld)",
                          kr->res->noun, kube_obj_name(pod), cname(cs), n, max);
}

/* True when min_age (seconds) is set and the pod started more recently. */
static bool too_young(struct kube_run *kr, json_t *pod)
{
    double min_age = kube_num(kr->ctx, "min_age", 0);
    const char *start = kube_str_at(pod, "status.startTime");
    int64_t start_ms;

    if (min_age <= 0)
        return false;
    if (!start || tars_iso8601_parse(start, &start_ms) != 0)
        return true;
    return (double)(tars_wall_ms() - start_ms) < min_age * 1000.0;
}

void kube_judge_pod_restarts(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    if (too_young(kr, obj)) {
        scan->selected--;
        return;
    }
    each_status(kr, obj, scan, restarts_one);
}

/* "no limits", "no cpu limit", ... for one of limits/requests. */
static void judge_resource_map(json_t *map, json_t *want, const char *what, char *buf, size_t size)
{
    size_t i, len = strlen(buf);
    json_t *w;

    if (json_object_size(map) == 0) {
        snprintf(buf + len, size - len, "%sno %ss", len ? ", " : "", what);
        return;
    }
    json_array_foreach(want, i, w) {
        const char *r = json_string_value(w);
        len = strlen(buf);
        if (r && !json_object_get(map, r))
            snprintf(buf + len, size - len, "%sno %s %s", len ? ", " : "", r, what);
    }
}

void kube_judge_resources(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    json_t *want = kube_param_list(kr->ctx, "resources");
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(pod_spec(obj), "containers"), i, c) {
        json_t *res = json_object_get(c, "resources");
        char buf[256] = "";
        judge_resource_map(json_object_get(res, "limits"), want, "limit", buf, sizeof(buf));
        judge_resource_map(json_object_get(res, "requests"), want, "request", buf, sizeof(buf));
        if (buf[0])
            kube_scan_problem(scan, "%s \"%s\" container \"%s\": %s", kr->res->noun,
                              kube_obj_name(obj), cname(c), buf);
    }
    json_decref(want);
}

/* The container's securityContext field, else the pod's. */
static json_t *effective(json_t *pod_ctx, json_t *c, const char *field)
{
    json_t *v = json_object_get(json_object_get(c, "securityContext"), field);
    return v ? v : json_object_get(pod_ctx, field);
}

/* runAsUser decides when set; otherwise only runAsNonRoot: true proves the
 * container cannot run as root. Unset is a failure, not a pass. */
static void non_root_one(struct kube_run *kr, json_t *obj, json_t *pod_ctx, json_t *c,
                         struct kube_scan *scan)
{
    json_t *user = effective(pod_ctx, c, "runAsUser");
    json_t *non_root = effective(pod_ctx, c, "runAsNonRoot");

    if (json_is_integer(user) && json_integer_value(user) == 0)
        kube_scan_problem(scan, "%s \"%s\" container \"%s\": runs as root (runAsUser 0)",
                          kr->res->noun, kube_obj_name(obj), cname(c));
    else if (!json_is_integer(user) && !json_is_true(non_root))
        kube_scan_problem(scan, "%s \"%s\" container \"%s\": %s and no runAsUser", kr->res->noun,
                          kube_obj_name(obj), cname(c),
                          json_is_false(non_root) ? "runAsNonRoot false" : "runAsNonRoot unset");
}

void kube_judge_non_root(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    static const char *const lists[] = {"initContainers", "containers"};
    json_t *spec = pod_spec(obj);
    json_t *pod_ctx = json_object_get(spec, "securityContext");

    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(spec, lists[l]), i, c)
            non_root_one(kr, obj, pod_ctx, c, scan);
    }
}

void kube_judge_pod_security_context(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    json_t *ctx = json_object_get(pod_spec(obj), "securityContext");

    if (json_object_size(ctx) == 0)
        kube_scan_problem(scan, "%s \"%s\": no pod securityContext", kr->res->noun,
                          kube_obj_name(obj));
}

static const char *skip_v(const char *s)
{
    return s[0] == 'v' || s[0] == 'V' ? s + 1 : s;
}

void kube_judge_version_label(struct kube_run *kr, json_t *obj, struct kube_scan *scan)
{
    const char *label = tars_check_param_str(kr->ctx, "label", "app.kubernetes.io/version");
    const char *want = tars_check_param_str(kr->ctx, "version", "");
    json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    const char *have = json_string_value(json_object_get(labels, label));

    if (!have)
        kube_scan_problem(scan, "%s \"%s\": label \"%s\" missing", kr->res->noun,
                          kube_obj_name(obj), label);
    else if (strcmp(skip_v(have), skip_v(want)) != 0)
        kube_scan_problem(scan, "%s \"%s\": %s=%s (expected %s)", kr->res->noun, kube_obj_name(obj),
                          label, have, want);
}
