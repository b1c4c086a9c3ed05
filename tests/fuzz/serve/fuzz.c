/*
 * What `tars serve` reads from a request once h2o has parsed it, through the
 * functions its handlers call: the route and its path parameters, query
 * parameters, the bearer token (JWT, access and refresh) or API key, the
 * traceparent header and the JSON body with the field readers the write
 * endpoints use (evaluations, missions, users, keys). Input: four lines
 * (METHOD PATH?QUERY, credential, traceparent, rest = body).
 */
#include "fuzz.h"
#include "router.h"
#include "server_int.h"
#include "tars/auth.h"
#include "tars/trace.h"

static const char *next_line(const char **p, const char *end, size_t *len)
{
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));

    *len = nl ? (size_t)(nl - s) : (size_t)(end - s);
    *p = nl ? nl + 1 : end;
    return s;
}

static void route_and_query(const char *line, size_t len)
{
    static const char *const names[] = {"limit", "offset", "agent_id", "status",
                                        "since", "region", "token",    "q"};
    const struct srv_route *route = NULL;
    struct srv_params params;
    const char *sp = memchr(line, ' ', len), *path, *qm;
    size_t path_len;
    char allow[128], out[256];
    h2o_req_t req;
    struct srv_req r;

    if (!sp)
        return;
    path = sp + 1;
    path_len = len - (size_t)(path - line);
    qm = memchr(path, '?', path_len);
    (void)srv_route_match(srv_method_parse(line, (size_t)(sp - line)), path,
                          qm ? (size_t)(qm - path) : path_len, &route, &params, allow,
                          sizeof(allow));
    memset(&req, 0, sizeof(req));
    memset(&r, 0, sizeof(r));
    req.path = h2o_iovec_init(path, path_len);
    req.query_at = qm ? (size_t)(qm - path) : SIZE_MAX;
    r.req = &req;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        (void)srv_query_get(&r, names[i], out, sizeof(out));
}

static void credential(const tars_jwt_keys *keys, const char *s, size_t len)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    char *token = fuzz_string((const uint8_t *)s, len), hash[72];

    (void)tars_jwt_verify(keys, token, 1700000000, TARS_TOKEN_ACCESS, &p, &err);
    (void)tars_jwt_verify(keys, token, 1700000000, TARS_TOKEN_REFRESH, &p, &err);
    tars_api_key_hash(token, hash);
    free(token);
}

static void body(const char *s, size_t len)
{
    struct tars_field_errors fe;
    const char *str = NULL;
    char *details = NULL;
    json_t *v = NULL;
    int64_t i;
    double d;

    if (tars_json_parse(s, len, &v, NULL) != 0)
        return;
    tars_field_errors_init(&fe);
    tars_json_string(v, "agent_id", true, 63, &str, &fe);
    tars_json_string(v, "status", false, 15, &str, &fe);
    tars_json_string(v, "username", true, 127, &str, &fe);
    tars_json_number(v, "reward", false, &d, &fe);
    tars_json_int(v, "duration_ms", false, 0, INT32_MAX, &i, &fe);
    tars_json_int(v, "expires_in_days", false, 1, 3650, &i, &fe);
    tars_json_object_text(v, "details", 16384, &details, &fe);
    free(details);
    tars_field_errors_release(&fe);
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tars_jwt_keys *keys;
    struct tars_trace_ctx trace;
    const char *p = (const char *)data, *end = p + size, *s;
    size_t len;

    if (!keys)
        keys = tars_jwt_keys_new("fuzz-secret-of-at-least-32-bytes!!", 34, NULL);
    s = next_line(&p, end, &len);
    route_and_query(s, len);
    s = next_line(&p, end, &len);
    credential(keys, s, len);
    s = next_line(&p, end, &len);
    (void)tars_traceparent_parse(s, len, &trace);
    tars_trace_begin(s, len, &trace);
    body(p, (size_t)(end - p));
    return 0;
}
