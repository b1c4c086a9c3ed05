/*
 * Requests to the Kubernetes API server: paths for the resources the checks
 * read, GETs with the target's credentials through tars_check_fetch, API
 * errors turned into check errors (the server's own Status message, never a
 * credential), and lists followed through `continue` with bounds on pages
 * and bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"
#include "tars/json.h"
#include "tars/alloc.h"

const struct kube_resource kube_res_namespaces = {"/api/v1", "namespaces", "namespace",
                                                  "namespaces"};
const struct kube_resource kube_res_deployments = {"/apis/apps/v1", "deployments", "deployment",
                                                   "deployments"};
const struct kube_resource kube_res_pods = {"/api/v1", "pods", "pod", "pods"};
const struct kube_resource kube_res_services = {"/api/v1", "services", "service", "services"};
const struct kube_resource kube_res_configmaps = {"/api/v1", "configmaps", "config map",
                                                  "config maps"};
const struct kube_resource kube_res_secrets = {"/api/v1", "secrets", "secret", "secrets"};
const struct kube_resource kube_res_pvcs = {"/api/v1", "persistentvolumeclaims", "pvc", "pvcs"};
const struct kube_resource kube_res_ingresses = {"/apis/networking.k8s.io/v1", "ingresses",
                                                 "ingress", "ingresses"};
const struct kube_resource kube_res_hpas = {"/apis/autoscaling/v2", "horizontalpodautoscalers",
                                            "hpa", "hpas"};
const struct kube_resource kube_res_pdbs = {"/apis/policy/v1", "poddisruptionbudgets", "pdb",
                                            "pdbs"};
const struct kube_resource kube_res_endpoints = {"/api/v1", "endpoints", "endpoints", "endpoints"};
const struct kube_resource kube_res_roles = {"/apis/rbac.authorization.k8s.io/v1", "roles", "role",
                                             "roles"};
const struct kube_resource kube_res_netpols = {"/apis/networking.k8s.io/v1", "networkpolicies",
                                               "network policy", "network policies"};
const struct kube_resource kube_res_cronjobs = {"/apis/batch/v1", "cronjobs", "cron job",
                                                "cron jobs"};
const struct kube_resource kube_res_statefulsets = {"/apis/apps/v1", "statefulsets", "statefulset",
                                                    "statefulsets"};
const struct kube_resource kube_res_daemonsets = {"/apis/apps/v1", "daemonsets", "daemonset",
                                                  "daemonsets"};

#define KUBE_MAX_PATH 4096

void kube_client_init(struct kube_client *c, const struct tars_check_ctx *ctx,
                      const struct kube_target *target)
{
    static const char prefix[] = "Authorization: Bearer ";
    size_t need;

    c->ctx = ctx;
    c->target = target;
    c->auth_header = NULL;
    if (!target->token)
        return;
    need = sizeof(prefix) + strlen(target->token);
    c->auth_header = xmalloc(need);
    snprintf(c->auth_header, need, "%s%s", prefix, target->token);
}

void kube_client_release(struct kube_client *c)
{
    if (c->auth_header) {
        memset(c->auth_header, 0, strlen(c->auth_header));
        free(c->auth_header);
    }
    c->auth_header = NULL;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int kube_url_encode(struct tars_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = TARS_OK;

    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        rc = unreserved(*p) ? tars_buf_append(b, p, 1) : tars_buf_append(b, esc, 3);
    }
    return rc;
}

static bool dns_char(char c, bool dot)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (dot && c == '.');
}

static bool dns_valid(const char *s, size_t max, bool dot)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > max || !dns_char(s[0], false) || s[0] == '-' || !dns_char(s[n - 1], false) ||
        s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!dns_char(s[i], dot))
            return false;
    return true;
}

bool kube_name_valid(const char *s)
{
    return dns_valid(s, KUBE_MAX_NAME, true);
}

bool kube_label_valid(const char *s)
{
    return dns_valid(s, 63, false);
}

int kube_list_path(struct tars_buf *b, const struct kube_resource *r, const char *ns,
                   const char *selector, const char *cont)
{
    int rc;

    if (ns)
        rc = tars_buf_printf(b, "%s/namespaces/%s/%s?limit=%d", r->api, ns, r->plural,
                             KUBE_PAGE_LIMIT);
    else
        rc = tars_buf_printf(b, "%s/%s?limit=%d", r->api, r->plural, KUBE_PAGE_LIMIT);
    if (rc == 0 && selector && selector[0]) {
        rc = tars_buf_puts(b, "&labelSelector=");
        if (rc == 0)
            rc = kube_url_encode(b, selector);
    }
    if (rc == 0 && cont && cont[0]) {
        rc = tars_buf_puts(b, "&continue=");
        if (rc == 0)
            rc = kube_url_encode(b, cont);
    }
    return rc;
}

int kube_get_raw(struct kube_client *c, const char *path, struct tars_check_fetch_reply *reply,
                 struct tars_check_result *out)
{
    const struct kube_target *t = c->target;
    const char *headers[3] = {"Accept: application/json", c->auth_header, NULL};
    struct tars_buf url = TARS_BUF_INIT(KUBE_MAX_PATH + 1024);
    struct tars_check_fetch_call call;
    int rc;

    if (tars_buf_printf(&url, "%s%s", t->server, path) != 0) {
        tars_check_error(out, false, "kubernetes api: path too long");
        return TARS_ETOOBIG;
    }
    memset(&call, 0, sizeof(call));
    call.method = "GET";
    call.url = url.data;
    call.headers = headers;
    call.insecure = t->insecure;
    call.ca_file = t->ca_file;
    call.ca_pem = t->ca_pem;
    call.client_cert = t->cert_file;
    call.client_cert_pem = t->cert_pem;
    call.client_key = t->key_file;
    call.client_key_pem = t->key_pem;
    call.max_body = KUBE_MAX_BODY;
    memset(reply, 0, sizeof(*reply));
    rc = tars_check_fetch(c->ctx, &call, reply, out);
    tars_buf_release(&url);
    return rc;
}

static const char *status_words(long status)
{
    switch (status) {
    case 401: return "unauthorized (check the token or client certificate)";
    case 403: return "forbidden";
    case 404: return "not found";
    case 429: return "too many requests";
    default: return status >= 500 ? "server error" : "unexpected status";
    }
}

/* An answer other than 200: an error naming the path and the server's
 * Status message when it sent one. */
static void api_error(const char *path, const struct tars_check_fetch_reply *reply,
                      struct tars_check_result *out)
{
    json_t *st = NULL;
    const char *msg;
    bool transient = reply->status == 429 || reply->status >= 500;

    tars_json_parse_bounded(reply->body, reply->body_len, 0, 0, &st, NULL);
    msg = json_string_value(json_object_get(st, "message"));
    tars_check_error(out, transient, "kubernetes api: GET %.200s: %ld %s%s%.200s", path,
                     reply->status, status_words(reply->status), msg ? ": " : "", msg ? msg : "");
    json_decref(st);
}

/* kube_get_json, also giving the size of the answer. */
static int get_json_sized(struct kube_client *c, const char *path, json_t **json, size_t *size,
                          struct tars_check_result *out)
{
    struct tars_check_fetch_reply reply;
    struct tars_err jerr = TARS_ERR_INIT;
    int rc = kube_get_raw(c, path, &reply, out);

    if (rc)
        return rc;
    *size = reply.body_len;
    rc = TARS_ENOTFOUND;
    if (reply.status == 404)
        goto out;
    rc = TARS_EINVAL;
    if (reply.status != 200) {
        api_error(path, &reply, out);
        goto out;
    }
    tars_json_parse_bounded(reply.body, reply.body_len, 0, 0, json, &jerr);
    if (!json_is_object(*json)) {
        tars_check_error(out, false, "kubernetes api: GET %.200s: answer is not a JSON object (%s)",
                         path, *json ? "another JSON value" : jerr.msg);
        json_decref(*json);
        *json = NULL;
        goto out;
    }
    rc = TARS_OK;
out:
    tars_check_fetch_reply_release(&reply);
    return rc;
}

int kube_get_json(struct kube_client *c, const char *path, json_t **json,
                  struct tars_check_result *out)
{
    size_t size;
    return get_json_sized(c, path, json, &size, out);
}

/* Appends one page's items to all; *cont gets the next continue token
 * (heap-owned) or NULL. */
static int list_page(struct kube_client *c, const char *path, json_t *all, char **cont,
                     size_t *bytes, struct tars_check_result *out)
{
    json_t *page = NULL, *items;
    const char *next;
    size_t size = 0;
    int rc = get_json_sized(c, path, &page, &size, out);

    if (rc == TARS_ENOTFOUND)
        tars_check_error(out, false, "kubernetes api: GET %.200s: 404 not found", path);
    if (rc)
        return rc;
    *bytes += size;
    items = json_object_get(page, "items");
    if (!json_is_array(items) && !json_is_null(items)) {
        tars_check_error(out, false, "kubernetes api: GET %.200s: answer has no items list", path);
        json_decref(page);
        return TARS_EINVAL;
    }
    if (items)
        json_array_extend(all, items);
    next = json_string_value(json_object_get(json_object_get(page, "metadata"), "continue"));
    *cont = next && next[0] ? xstrdup(next) : NULL;
    json_decref(page);
    return TARS_OK;
}

int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
              const char *selector, json_t **items, struct tars_check_result *out)
{
    struct tars_buf path = TARS_BUF_INIT(KUBE_MAX_PATH);
    json_t *all = json_array();
    char *cont = NULL;
    size_t bytes = 0;
    int rc = TARS_OK;

    for (int page = 0; page == 0 || cont; page++) {
        char *next = NULL;
        if (page >= KUBE_MAX_PAGES || bytes > KUBE_MAX_LIST_BYTES) {
            tars_check_error(out, false,
                             "kubernetes api: the list of %s is too long "
                             "(more than %d pages or %d MiB)",
                             r->nouns, KUBE_MAX_PAGES, KUBE_MAX_LIST_BYTES >> 20);
            rc = TARS_ETOOBIG;
            break;
        }
        tars_buf_reset(&path);
        if (kube_list_path(&path, r, ns, selector, cont) != 0) {
            tars_check_error(out, false, "kubernetes api: the request path is too long");
            rc = TARS_ETOOBIG;
            break;
        }
        rc = list_page(c, path.data, all, &next, &bytes, out);
        free(cont);
        cont = next;
        if (rc)
            break;
    }
    free(cont);
    tars_buf_release(&path);
    if (rc)
        json_decref(all);
    else
        *items = all;
    return rc;
}
