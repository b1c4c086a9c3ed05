/*
 * service_proxy_get: a GET to a service through the API server's proxy,
 * /api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/PATH, judged on
 * its status and body. It stands in for the original's
 * `kubectl exec POD -- curl http://SVC.NS.svc.cluster.local:PORT/health`
 * without a pod, a shell or curl inside the cluster.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"
#include "tars/json.h"

#define PROXY_SNIPPET 120

/* The port parameter as text (a number or a port name), or NULL. */
static const char *port_text(const struct tars_check_ctx *ctx, char *buf, size_t size)
{
    json_t *v = json_object_get(ctx->params, "port");

    if (json_is_integer(v)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return json_string_value(v) && json_string_value(v)[0] ? json_string_value(v) : NULL;
}

static int proxy_path(struct kube_run *kr, struct tars_buf *b)
{
    const char *service = tars_check_param_str(kr->ctx, "service", "");
    const char *scheme = tars_check_param_str(kr->ctx, "scheme", NULL);
    const char *path = tars_check_param_str(kr->ctx, "path", "/health");
    char port_buf[32];
    const char *port = port_text(kr->ctx, port_buf, sizeof(port_buf));

    return tars_buf_printf(b, "/api/v1/namespaces/%s/services/%s%s%s%s%s/proxy%s", kr->ns,
                           scheme ? scheme : "", scheme ? ":" : "", service, port ? ":" : "",
                           port ? port : "", path);
}

/* The first printable part of body, for a failure message; the message
 * of an API server Status (no endpoints, no such service) when it is one. */
static void snippet(const char *body, size_t len, char *out, size_t size)
{
    json_t *st = NULL;
    const char *kind, *msg;
    size_t n = 0;

    tars_json_parse_bounded(body, len, 0, 0, &st, NULL);
    kind = json_string_value(json_object_get(st, "kind"));
    msg = json_string_value(json_object_get(st, "message"));
    if (kind && msg && strcmp(kind, "Status") == 0) {
        body = msg;
        len = strlen(msg);
    }

    for (size_t i = 0; i < len && n + 1 < size && n < PROXY_SNIPPET; i++) {
        unsigned char c = (unsigned char)body[i];
        out[n++] = (char)(isprint(c) ? c : ' ');
    }
    out[n] = '\0';
    json_decref(st);
}

/* The first entry of wanted the body contains, or NULL. */
static const char *body_match(json_t *wanted, const char *body, bool nocase)
{
    size_t i;
    json_t *w;

    json_array_foreach(wanted, i, w) {
        const char *s = json_string_value(w);
        if (s && (nocase ? strcasestr(body, s) : strstr(body, s)))
            return s;
    }
    return NULL;
}

/* "\"a\", \"b\"" for a failure message. */
static void list_text(json_t *list, char *out, size_t size)
{
    size_t i, len = 0;
    json_t *w;

    out[0] = '\0';
    json_array_foreach(list, i, w) {
        if (len + 4 >= size)
            break;
        len += (size_t)snprintf(out + len, size - len, "%s\"%s\"", i ? ", " : "",
                                json_string_value(w) ? json_string_value(w) : "?");
        if (len >= size)
            len = size - 1;
    }
}

static void judge_reply(struct kube_run *kr, const struct tars_check_fetch_reply *reply,
                        struct tars_check_result *out)
{
    const char *service = tars_check_param_str(kr->ctx, "service", "");
    const char *path = tars_check_param_str(kr->ctx, "path", "/health");
    long want = (long)kube_num(kr->ctx, "expect_status", 200);
    json_t *wanted = kube_param_list(kr->ctx, "body_contains");
    const char *body = reply->body ? reply->body : "";
    const char *hit = NULL;
    char seen[PROXY_SNIPPET + 1], list[200];

    snippet(body, reply->body_len, seen, sizeof(seen));
    if (reply->status != want)
        tars_check_fail(out, "service \"%s\" %s: status %ld (expected %ld): %s", service, path,
                        reply->status, want, seen);
    else if (wanted &&
             !(hit = body_match(wanted, body, kube_bool(kr->ctx, "case_insensitive", false)))) {
        list_text(wanted, list, sizeof(list));
        tars_check_fail(out, "service \"%s\" %s: body contains none of %s: %s", service, path, list,
                        seen);
    } else {
        tars_check_pass(out, "service \"%s\" %s: %ld%s%s%s", service, path, reply->status,
                        hit ? ", body contains \"" : "", hit ? hit : "", hit ? "\"" : "");
    }
    json_decref(wanted);
}

/* A 401/403 Status from the API server itself (our credentials), as
 * opposed to an answer of the service behind the proxy. */
static bool api_refused(const struct tars_check_fetch_reply *reply)
{
    json_t *st;
    bool refused;

    if (reply->status != 401 && reply->status != 403)
        return false;
    tars_json_parse_bounded(reply->body, reply->body_len, 0, 0, &st, NULL);
    refused = json_is_string(json_object_get(st, "kind")) &&
              strcmp(json_string_value(json_object_get(st, "kind")), "Status") == 0;
    json_decref(st);
    return refused;
}

/* A path to append to the proxy URL: absolute, printable, no spaces. */
static bool path_valid(const char *p)
{
    if (p[0] != '/' || strlen(p) > 1024)
        return false;
    for (; *p; p++)
        if (!isgraph((unsigned char)*p))
            return false;
    return true;
}

void kube_run_service_proxy(struct kube_run *kr, struct tars_check_result *out)
{
    struct tars_buf path = TARS_BUF_INIT(4096);
    struct tars_check_fetch_reply reply;
    const char *service = tars_check_param_str(kr->ctx, "service", "");

    if (!kube_name_valid(service)) {
        tars_check_error(out, false, "service \"%.100s\" is not a valid name", service);
        return;
    }
    if (!path_valid(tars_check_param_str(kr->ctx, "path", "/health"))) {
        tars_check_error(out, false, "path must start with / and hold no spaces");
        return;
    }
    if (proxy_path(kr, &path) != 0) {
        tars_check_error(out, false, "service proxy path too long");
        return;
    }
    if (kube_get_raw(kr->client, path.data, &reply, out) == 0) {
        if (api_refused(&reply))
            tars_check_error(out, false,
                             "kubernetes api: GET %.200s: %ld (check the token or "
                             "client certificate)",
                             path.data, reply.status);
        else
            judge_reply(kr, &reply, out);
        tars_check_fetch_reply_release(&reply);
    }
    tars_buf_release(&path);
}
