/*
 * Taking an API snapshot (see tars/api_snapshot.h): every endpoint of the
 * dashboard API (docs/api.md) once, the status and the shape of its answer.
 * Path parameters come from the lists (the first agent, the first
 * evaluation). With writes, an evaluation is created, updated and deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/api_snapshot.h"
#include "tars/check.h"
#include "tars/clock.h"
#include "tars/json.h"

#define DEFAULT_TIMEOUT_MS 10000
#define AUTH_HEADER_MAX 4200

struct snap {
    const struct tars_api_snapshot_options *o;
    json_t *endpoints;
    char auth[AUTH_HEADER_MAX];
    char agent[128], evaluation[128], created[128];
    struct tars_err *err;
};

/* One request; the parsed body (or NULL) in *doc. Records it under name. */
static int request(struct snap *s, const char *method, const char *path, bool with_token,
                   const char *body, const char *name, json_t **doc)
{
    struct tars_check_ctx ctx = {0};
    struct tars_check_fetch_call call = {0};
    struct tars_check_fetch_reply reply = {0};
    struct tars_check_result res = {0};
    const char *headers[3] = {NULL, NULL, NULL};
    char url[2048], content_type[128] = "";
    size_t h = 0;
    json_t *parsed = NULL, *entry;

    if (doc)
        *doc = NULL;
    snprintf(url, sizeof(url), "%s%s", s->o->base_url, path);
    if (with_token && s->auth[0])
        headers[h++] = s->auth;
    if (body)
        headers[h++] = "Content-Type: application/json";
    ctx.deadline_ns = tars_mono_ns() + (uint64_t)s->o->timeout_ms * 1000000ull;
    call.method = method;
    call.url = url;
    call.headers = headers;
    call.body = body;
    call.body_len = body ? strlen(body) : 0;
    call.insecure = s->o->insecure;
    if (tars_check_fetch(&ctx, &call, &reply, &res) != 0)
        return tars_err_set(s->err, TARS_EUNAVAIL, "%s %s: %s", method, path, res.reason);
    tars_check_fetch_reply_header(&reply, "Content-Type", content_type, sizeof(content_type));
    if (strstr(content_type, "json"))
        tars_json_parse_bounded(reply.body, reply.body_len, 0, 0, &parsed, NULL);
    entry = json_pack("{s:i,s:o}", "status", (int)reply.status, "shape",
                      parsed ? tars_api_shape(parsed) : json_string("text"));
    json_object_set_new(s->endpoints, name, entry);
    if (doc)
        *doc = parsed;
    else
        json_decref(parsed);
    tars_check_fetch_reply_release(&reply);
    return TARS_OK;
}

/* GET path (with the token) recorded as "GET path"; keeps the document. */
static int get(struct snap *s, const char *path, const char *name, json_t **doc)
{
    char label[512];

    snprintf(label, sizeof(label), "GET %s", name ? name : path);
    return request(s, "GET", path, true, NULL, label, doc);
}

static void first_id(json_t *doc, const char *list, char *out, size_t cap)
{
    const char *id =
        json_string_value(json_object_get(json_array_get(json_object_get(doc, list), 0), "id"));

    snprintf(out, cap, "%s", id ? id : "");
}

static int public_and_lists(struct snap *s)
{
    static const char *const plain[] = {"/health",
                                        "/ready",
                                        "/metrics",
                                        "/api/v1/version",
                                        "/api/v1/missions",
                                        "/api/v1/feature-flags",
                                        "/api/v1/user",
                                        "/api/v1/admin/users",
                                        "/api/v1/admin/api-keys",
                                        "/api/v1/admin/audit/logs",
                                        "/api/v1/metrics?metric=agent_reward&agent_type=ppo"};
    json_t *doc;
    int rc;

    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if ((rc = get(s, plain[i], NULL, NULL)))
            return rc;
    if ((rc = request(s, "GET", "/api/v1/agents", false, NULL, "GET /api/v1/agents (no token)",
                      NULL)))
        return rc;
    if ((rc = get(s, "/api/v1/agents", NULL, &doc)))
        return rc;
    first_id(doc, "agents", s->agent, sizeof(s->agent));
    json_decref(doc);
    if ((rc = get(s, "/api/v1/evaluations", NULL, &doc)))
        return rc;
    first_id(doc, "evaluations", s->evaluation, sizeof(s->evaluation));
    json_decref(doc);
    return TARS_OK;
}

static int by_id(struct snap *s)
{
    char path[512];
    int rc;

    if (s->agent[0]) {
        snprintf(path, sizeof(path), "/api/v1/agents/%s", s->agent);
        if ((rc = get(s, path, "/api/v1/agents/{id}", NULL)))
            return rc;
        snprintf(path, sizeof(path), "/api/v1/agents/%s/history", s->agent);
        if ((rc = get(s, path, "/api/v1/agents/{id}/history", NULL)))
            return rc;
    }
    if (s->evaluation[0]) {
        snprintf(path, sizeof(path), "/api/v1/evaluations/%s", s->evaluation);
        if ((rc = get(s, path, "/api/v1/evaluations/{id}", NULL)))
            return rc;
    }
    return get(s, "/api/v1/evaluations/no-such-evaluation", "/api/v1/evaluations/{unknown id}",
               NULL);
}

static int writes(struct snap *s)
{
    static const char body[] = "{\"agent_id\":\"policy\",\"region\":\"us-east-1\",\"status\":"
                               "\"completed\",\"reward\":0.5,\"duration_ms\":10,"
                               "\"details\":{\"source\":\"tars api-snapshot\"}}";
    char path[256];
    json_t *doc;
    int rc;

    if ((rc = request(s, "POST", "/api/v1/evaluations", true, body, "POST /api/v1/evaluations",
                      &doc)))
        return rc;
    snprintf(s->created, sizeof(s->created), "%s",
             json_string_value(json_object_get(doc, "id"))
                 ? json_string_value(json_object_get(doc, "id"))
                 : "");
    json_decref(doc);
    if (!s->created[0])
        return TARS_OK; /* the POST's status is recorded; nothing to update */
    snprintf(path, sizeof(path), "/api/v1/evaluations/%s", s->created);
    if ((rc = request(s, "PUT", path, true, body, "PUT /api/v1/evaluations/{id}", NULL)))
        return rc;
    return request(s, "DELETE", path, true, NULL, "DELETE /api/v1/evaluations/{id}", NULL);
}

int tars_api_snapshot_take(const struct tars_api_snapshot_options *o, json_t **out,
                           struct tars_err *err)
{
    struct tars_api_snapshot_options opts = *o;
    struct snap s = {&opts, json_object(), "", "", "", "", err};
    char now[TARS_ISO8601_LEN];
    json_t *version = NULL;
    int rc;

    *out = NULL;
    if (!opts.timeout_ms)
        opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (o->token && snprintf(s.auth, sizeof(s.auth), "Authorization: Bearer %s", o->token) >=
                        (int)sizeof(s.auth)) {
        json_decref(s.endpoints);
        return tars_err_set(err, TARS_EINVAL, "the token is too long");
    }
    rc = public_and_lists(&s);
    if (rc == TARS_OK)
        rc = by_id(&s);
    if (rc == TARS_OK && o->writes)
        rc = writes(&s);
    explicit_bzero(s.auth, sizeof(s.auth));
    if (rc != TARS_OK) {
        json_decref(s.endpoints);
        return rc;
    }
    request(&s, "GET", "/api/v1/version", false, NULL, "GET /api/v1/version", &version);
    tars_iso8601(tars_wall_ms(), now);
    *out = json_pack("{s:s,s:b,s:s,s:s,s:o}", "format", TARS_API_SNAPSHOT_FORMAT, "writes",
                     o->writes, "version",
                     json_string_value(json_object_get(version, "version"))
                         ? json_string_value(json_object_get(version, "version"))
                         : "unknown",
                     "taken_at", now, "endpoints", s.endpoints);
    json_decref(version);
    return *out ? TARS_OK : tars_err_set(err, TARS_EINTERNAL, "out of memory");
}
