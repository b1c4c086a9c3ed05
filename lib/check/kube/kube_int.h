/*
 * The kubernetes check type's internals, shared by type_kubernetes.c (the
 * vtable and the sub-check table), kube_config.c (kubeconfig and in-cluster
 * credentials), kube_api.c (requests and lists), kube_scan.c (selecting and
 * judging listed objects), kube_workloads.c, kube_objects.c and kube_proxy.c
 * (the sub-checks) and helm_release.c (Helm storage secrets), and reachable from
 * the unit tests. Nothing here shells out: every question goes to the API
 * server over HTTPS.
 */
#ifndef TARS_CHECK_KUBE_INT_H
#define TARS_CHECK_KUBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tars/buf.h"
#include "tars/check.h"
#include "tars/err.h"

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_MAX_FILE (1024 * 1024)            /* a token, CA or key file */
#define KUBE_MAX_BODY (8 * 1024 * 1024)        /* one API answer */
#define KUBE_MAX_LIST_BYTES (32 * 1024 * 1024) /* every page of one list */
#define KUBE_MAX_PAGES 64
#define KUBE_PAGE_LIMIT 500
#define KUBE_MAX_NAME 253                  /* a DNS-1123 subdomain */
#define HELM_MAX_RELEASE (8 * 1024 * 1024) /* a decoded Helm release */

/* ---- kube_config.c: where the API server is and who we are ---- */

/* Every string is heap-owned or NULL. token and the key are secrets: they
 * never appear in a message. */
struct kube_target {
    char *server; /* "https://host:port[/prefix]", no trailing slash */
    char *token;
    char *ca_pem, *ca_file;
    char *cert_pem, *cert_file;
    char *key_pem, *key_file;
    bool insecure;
    char *namespace; /* the context's (or service account's) namespace */
    char *source;    /* "kubeconfig \"path\" context \"x\"", for messages */
};

void kube_target_release(struct kube_target *t);

/* Reads a kubeconfig: context (or, when NULL, current-context) → cluster
 * and user. Relative file paths are relative to the kubeconfig's folder.
 * TARS_EINVAL naming the file (and line) for anything missing or wrong. */
int kube_config_load(const char *path, const char *context, struct kube_target *out,
                     struct tars_err *err) TARS_MUST_CHECK;

/* The in-cluster service account: sa_dir/{token,ca.crt,namespace} and the
 * API server at host:port (KUBERNETES_SERVICE_HOST/PORT). */
int kube_config_in_cluster(const char *sa_dir, const char *host, const char *port,
                           struct kube_target *out, struct tars_err *err) TARS_MUST_CHECK;

/* From the check's targets.kubernetes (or its parameters): in_cluster,
 * server (+ token_env, ca_file, insecure), or kubeconfig (+ context; else
 * $KUBECONFIG, else ~/.kube/config). */
int kube_target_resolve(const struct tars_check_ctx *ctx, struct kube_target *out,
                        struct tars_err *err) TARS_MUST_CHECK;

/* Standard base64 (whitespace ignored, padding optional) into a new
 * NUL-terminated buffer of at most max bytes. */
int kube_base64_decode(const char *in, size_t len, size_t max, unsigned char **out,
                       size_t *out_len) TARS_MUST_CHECK;

/* A whole small file (at most max bytes) into a new NUL-terminated string. */
int kube_read_file(const char *path, size_t max, char **out, size_t *len,
                   struct tars_err *err) TARS_MUST_CHECK;

/* ---- kube_api.c: requests ---- */

struct kube_resource {
    const char *api;    /* "/api/v1", "/apis/apps/v1" */
    const char *plural; /* "deployments", the path segment */
    const char *noun;   /* "deployment", in messages */
    const char *nouns;  /* "deployments" */
};

extern const struct kube_resource kube_res_namespaces, kube_res_deployments, kube_res_pods,
    kube_res_services, kube_res_configmaps, kube_res_secrets, kube_res_pvcs, kube_res_ingresses,
    kube_res_hpas, kube_res_pdbs, kube_res_endpoints, kube_res_roles, kube_res_netpols,
    kube_res_cronjobs, kube_res_statefulsets, kube_res_daemonsets;

struct kube_client {
    const struct tars_check_ctx *ctx;
    const struct kube_target *target;
    char *auth_header; /* "Authorization: Bearer ..." or NULL; a secret */
};

void kube_client_init(struct kube_client *c, const struct tars_check_ctx *ctx,
                      const struct kube_target *target);
void kube_client_release(struct kube_client *c);

/* Percent-encodes everything but RFC 3986 unreserved characters. */
int kube_url_encode(struct tars_buf *b, const char *s) TARS_MUST_CHECK;

/* true for a DNS-1123 subdomain (names) or label (namespaces). */
bool kube_name_valid(const char *s);
bool kube_label_valid(const char *s);

/* "/apis/apps/v1/namespaces/NS/deployments?limit=500&labelSelector=..." */
int kube_list_path(struct tars_buf *b, const struct kube_resource *r, const char *ns,
                   const char *selector, const char *cont) TARS_MUST_CHECK;

/* GET path (below the server) as JSON. 0 with *json owned by the caller;
 * TARS_ENOTFOUND on a 404 (out untouched); any other failure fills out as an
 * error (transient for 429 and 5xx) and returns a negative code. */
int kube_get_json(struct kube_client *c, const char *path, json_t **json,
                  struct tars_check_result *out);

/* Every item of a namespaced list, following `continue` (bounded). */
int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
              const char *selector, json_t **items, struct tars_check_result *out);

/* GET path without parsing: the status and body (owned by the caller). */
int kube_get_raw(struct kube_client *c, const char *path, struct tars_check_fetch_reply *reply,
                 struct tars_check_result *out);

/* ---- helm_release.c ---- */

/* Inflates gzip data into at most max bytes (NUL-terminated). */
int helm_gunzip(const unsigned char *in, size_t len, size_t max, unsigned char **out,
                size_t *out_len, struct tars_err *err) TARS_MUST_CHECK;

/* data.release of a Helm storage secret (base64 of base64 of gzip of JSON,
 * as the API server returns it) → the release object. */
int helm_release_decode(const char *data, json_t **release, struct tars_err *err) TARS_MUST_CHECK;

/* The highest revision among items that are storage secrets of release
 * (name "sh.helm.release.v1.NAME.vN"); NULL when none. */
json_t *helm_latest_secret(json_t *items, const char *release, long *revision);

/* ---- kube_scan.c: selecting objects and collecting problems ---- */

struct kube_subcheck;

/* One run of one sub-check. */
struct kube_run {
    const struct tars_check_ctx *ctx;
    const struct kube_subcheck *sc;
    struct kube_client *client;      /* NULL in unit tests */
    const struct kube_resource *res; /* what is listed (sc->resource or `kind`) */
    const char *ns;
    json_t *aux; /* the items of sc->aux (borrowed) */
};

/* Problems found so far, joined into one bounded reason. */
struct kube_scan {
    size_t selected; /* objects judged */
    size_t bad;      /* problems found */
    size_t omitted;  /* problems that did not fit */
    size_t len;
    char text[TARS_CHECK_REASON_MAX - 24];
    size_t unmeasured; /* figures the cluster did not report */
    char first_unmeasured[160];
};

void kube_scan_problem(struct kube_scan *s, const char *fmt, ...) TARS_PRINTF(2, 3);
/* A figure that should be judged is missing from an object: never a pass. */
void kube_scan_unmeasured(struct kube_scan *s, const char *fmt, ...) TARS_PRINTF(2, 3);
/* The verdict: fail with the problems found; else an error when a figure
 * was missing (nothing to judge it by); else pass saying pass_text. */
void kube_scan_finish(const struct kube_scan *s, const char *pass_text,
                      struct tars_check_result *out);

typedef void (*kube_object_fn)(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
typedef void (*kube_whole_fn)(struct kube_run *kr, json_t *items, struct tars_check_result *out);
typedef void (*kube_run_fn)(struct kube_run *kr, struct tars_check_result *out);
/* A label selector the sub-check imposes (written into buf), or NULL. */
typedef const char *(*kube_selector_fn)(struct kube_run *kr, char *buf, size_t size);

struct kube_subcheck {
    const char *name;
    const struct kube_resource *resource; /* the list judged; NULL with run */
    const struct kube_resource *aux;      /* a second list the judge reads */
    const char *pass_phrase;              /* "ready": "3 deployments ready" */
    const char *const *params;            /* beyond the common ones */
    const char *const *required;
    kube_object_fn object;                  /* judges one selected object; NULL: presence */
    kube_whole_fn whole;                    /* judges the whole list instead */
    kube_run_fn run;                        /* does everything itself */
    kube_selector_fn selector;              /* instead of the selector parameter */
    bool (*needs_aux)(struct kube_run *kr); /* NULL: aux is always read */
    bool takes_kind;                        /* `kind` picks the workload listed */
};

const struct kube_subcheck *kube_subcheck_find(const char *name);
/* sc->resource, or the workload the `kind` parameter names (NULL when it
 * names none). */
const struct kube_resource *kube_subcheck_resource(const struct kube_subcheck *sc,
                                                   const struct tars_check_ctx *ctx);

/* Selects items (names/match/exclude/min_count) and judges them with
 * kr->sc->object; fills out. */
void kube_scan_items(struct kube_run *kr, json_t *items, struct tars_check_result *out);

/* Evaluates a sub-check on lists already fetched (the unit tests' door):
 * items (a JSON array or a List object) and aux likewise (may be NULL). */
void kube_evaluate(const struct tars_check_ctx *ctx, json_t *items, json_t *aux,
                   struct tars_check_result *out);

/* Small readers over objects. */
const char *kube_obj_name(json_t *obj); /* metadata.name or "?" */
const char *kube_str_at(json_t *obj, const char *path);
/* An integer at path, or fallback when absent or not a number. */
long long kube_int_at(json_t *obj, const char *path, long long fallback);
/* The parameter `name`, a string or a list of strings, as a new list
 * reference (json_decref it), or NULL when absent. */
json_t *kube_param_list(const struct tars_check_ctx *ctx, const char *name);
/* The namespace to look in: the parameter, targets.kubernetes.namespace,
 * the context's, or "default". */
const char *kube_namespace(const struct tars_check_ctx *ctx, const struct kube_target *t);
bool kube_list_has(json_t *list, const char *s);
/* Number and boolean parameters, also when written as strings ("2",
 * "true"), which is what a ${VARIABLE} becomes. */
double kube_num(const struct tars_check_ctx *ctx, const char *name, double fallback);
bool kube_bool(const struct tars_check_ctx *ctx, const char *name, bool fallback);

/* ---- the sub-checks (kube_workloads.c, kube_objects.c) ---- */

void kube_judge_deployment(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_pod_phase(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_pod_crashloop(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_pod_restarts(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_resources(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_non_root(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_pod_security_context(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_version_label(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_pvc(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_hpa(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_pdb(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_configmap(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_secret(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_endpoints(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
void kube_judge_ingress(struct kube_run *kr, json_t *obj, struct kube_scan *scan);
bool kube_ingress_needs_secrets(struct kube_run *kr);
void kube_judge_helm(struct kube_run *kr, json_t *items, struct tars_check_result *out);
const char *kube_helm_selector(struct kube_run *kr, char *buf, size_t size);
void kube_run_namespace(struct kube_run *kr, struct tars_check_result *out);
void kube_run_service_proxy(struct kube_run *kr, struct tars_check_result *out);

#endif
