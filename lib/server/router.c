#include "router.h"

#include <stdio.h>
#include <string.h>

#include "server_int.h"

#define ROUTE(m, t, a, h)                                                                          \
    {                                                                                              \
        m, t, a, h                                                                                 \
    }

/* Order matters only for identical templates; indexes are set from position. */
static const struct srv_route routes[] = {
    ROUTE(SRV_GET, "/health", SRV_PUBLIC, h_health),
    ROUTE(SRV_GET, "/ready", SRV_PUBLIC, h_ready),
    ROUTE(SRV_GET, "/metrics", SRV_PUBLIC, h_prometheus),
    ROUTE(SRV_GET, "/ws", SRV_WEBSOCKET, h_websocket),
    ROUTE(SRV_GET, "/ws/live", SRV_WEBSOCKET, h_websocket),
    ROUTE(SRV_GET, "/api/v1/version", SRV_PUBLIC, h_version),
    ROUTE(SRV_POST, "/api/v1/auth/token", SRV_AUTH_ENDPOINT, h_auth_token),
    ROUTE(SRV_POST, "/api/v1/auth/refresh", SRV_AUTH_ENDPOINT, h_auth_refresh),
    ROUTE(SRV_GET, "/api/v1/agents", SRV_VIEWER, h_agents_list),
    ROUTE(SRV_GET, "/api/v1/agents/{id}", SRV_VIEWER, h_agent_get),
    ROUTE(SRV_GET, "/api/v1/agents/{id}/history", SRV_VIEWER, h_agent_history),
    ROUTE(SRV_GET, "/api/v1/evaluations", SRV_VIEWER, h_evaluations_list),
    ROUTE(SRV_POST, "/api/v1/evaluations", SRV_DEVELOPER, h_evaluation_create),
    ROUTE(SRV_GET, "/api/v1/evaluations/{id}", SRV_VIEWER, h_evaluation_get),
    ROUTE(SRV_PUT, "/api/v1/evaluations/{id}", SRV_DEVELOPER, h_evaluation_update),
    ROUTE(SRV_DELETE, "/api/v1/evaluations/{id}", SRV_DEVELOPER, h_evaluation_delete),
    ROUTE(SRV_GET, "/api/v1/missions", SRV_VIEWER, h_missions_list),
    ROUTE(SRV_POST, "/api/v1/missions", SRV_DEVELOPER, h_mission_create),
    ROUTE(SRV_GET, "/api/v1/metrics", SRV_VIEWER, h_metrics_summary),
    ROUTE(SRV_GET, "/api/v1/feature-flags", SRV_VIEWER, h_feature_flags),
    ROUTE(SRV_GET, "/api/v1/user", SRV_VIEWER, h_user),
    ROUTE(SRV_GET, "/api/v1/admin/users", SRV_ADMIN, h_admin_users_list),
    ROUTE(SRV_POST, "/api/v1/admin/users", SRV_ADMIN, h_admin_user_create),
    ROUTE(SRV_GET, "/api/v1/admin/api-keys", SRV_ADMIN, h_admin_keys_list),
    ROUTE(SRV_POST, "/api/v1/admin/api-keys", SRV_ADMIN, h_admin_key_create),
    ROUTE(SRV_POST, "/api/v1/admin/api-keys/{id}/rotate", SRV_ADMIN, h_admin_key_rotate),
    ROUTE(SRV_POST, "/api/v1/admin/api-keys/{id}/revoke", SRV_ADMIN, h_admin_key_revoke),
    ROUTE(SRV_GET, "/api/v1/admin/audit/logs", SRV_ADMIN, h_admin_audit),
};

#define ROUTE_COUNT (sizeof(routes) / sizeof(routes[0]))

static const char *const method_names[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "OTHER"};

enum srv_method srv_method_parse(const char *s, size_t len)
{
    for (int m = 0; m < SRV_METHOD_COUNT; m++)
        if (strlen(method_names[m]) == len && memcmp(method_names[m], s, len) == 0)
            return (enum srv_method)m;
    return SRV_METHOD_OTHER;
}

const char *srv_method_name(enum srv_method m)
{
    return method_names[m <= SRV_METHOD_OTHER ? m : SRV_METHOD_OTHER];
}

size_t srv_route_count(void)
{
    return ROUTE_COUNT;
}

const struct srv_route *srv_route_at(size_t i)
{
    return &routes[i];
}

size_t srv_route_index(const struct srv_route *route)
{
    return (size_t)(route - routes);
}

/* Matches one template against path; fills params. */
static int template_match(const char *tpl, const char *path, size_t len, struct srv_params *params)
{
    size_t p = 0;

    params->count = 0;
    while (*tpl) {
        if (*tpl == '{') {
            size_t start = p, n;
            while (p < len && path[p] != '/')
                p++;
            n = p - start;
            if (n == 0 || n >= SRV_PARAM_MAX || params->count == SRV_MAX_PARAMS)
                return 0;
            memcpy(params->value[params->count], path + start, n);
            params->value[params->count][n] = '\0';
            params->count++;
            tpl = strchr(tpl, '}') + 1;
        } else {
            if (p >= len || path[p] != *tpl)
                return 0;
            p++;
            tpl++;
        }
    }
    return p == len;
}

static void allow_append(char *allow, size_t size, enum srv_method m)
{
    size_t used = strlen(allow);
    if (strstr(allow, method_names[m]))
        return;
    snprintf(allow + used, size - used, "%s%s", used ? ", " : "", method_names[m]);
}

enum srv_match srv_route_match(enum srv_method method, const char *path, size_t len,
                               const struct srv_route **route, struct srv_params *params,
                               char *allow, size_t allow_size)
{
    struct srv_params scratch;
    bool path_known = false;

    if (allow_size)
        allow[0] = '\0';
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        if (!template_match(routes[i].template, path, len, &scratch))
            continue;
        path_known = true;
        if (routes[i].method == method) {
            *route = &routes[i];
            *params = scratch;
            return SRV_MATCHED;
        }
        allow_append(allow, allow_size, routes[i].method);
    }
    if (!path_known)
        return SRV_NOT_FOUND;
    allow_append(allow, allow_size, SRV_OPTIONS);
    return SRV_WRONG_METHOD;
}
