/* Kubernetes API list answers as every kubernetes sub-check judges them. The
 * first byte picks the sub-check; the rest is the list (items, or a List
 * object), also given as the auxiliary list (endpoints, secrets). */
#include "fuzz.h"
#include "kube/kube_int.h"
#include "tars/check.h"

static const char *const subchecks[] = {
    "namespace_exists",
    "deployments_ready",
    "pods_running",
    "pods_no_crashloop",
    "pod_restarts_max",
    "services_present",
    "configmaps_present",
    "secrets_present",
    "pvcs_bound",
    "ingress",
    "resources_set",
    "hpa",
    "pdb",
    "endpoints_ready",
    "roles_present",
    "network_policies",
    "cronjobs_present",
    "pods_non_root",
    "pod_security_context",
    "version_labels",
    "helm_release",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_check_result r;
    struct tars_check_ctx ctx;
    json_t *items, *params;
    size_t n = sizeof(subchecks) / sizeof(subchecks[0]);

    if (size < 1 || !(items = fuzz_json(data + 1, size - 1)))
        return 0;
    params = json_pack("{s:s,s:s,s:[s,s],s:i,s:s,s:b}", "check", subchecks[data[0] % n],
                       "namespace", "tars", "names", "tars", "tars-db", "max", 3, "host",
                       "tars.example.com", "tls", 1);
    memset(&r, 0, sizeof(r));
    memset(&ctx, 0, sizeof(ctx));
    ctx.params = params;
    ctx.on_empty = (data[0] & 0x80) ? TARS_ON_EMPTY_SKIP : TARS_ON_EMPTY_FAIL;
    kube_evaluate(&ctx, items, items, &r);
    json_decref(params);
    json_decref(items);
    return 0;
}
