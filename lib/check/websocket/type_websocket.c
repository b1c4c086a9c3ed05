/*
 * The websocket check type (docs/api.md: path /ws, JSON ping answered by
 * JSON pong, a heartbeat every 30 s, nothing else unsolicited):
 *
 *   check: ping_pong  sends {"type":"ping"}; the FIRST message received must
 *                     be JSON with type "pong" (expect_type) within `within`
 *                     (default 5 s)
 *   check: heartbeat  sends nothing; the first message within `within`
 *                     (default 35 s: a 30 s heartbeat plus margin) must be
 *                     JSON with a type in `types` (default ping, heartbeat)
 *
 * The URL: url, else targets.api.ws_url, else targets.api.base_url with
 * http(s) turned into ws(s) and "/ws" appended. A token (token, or the
 * variable named by token_env, here or in targets.api) is sent as
 * "Authorization: Bearer ...". Protocol-level pings are answered and are not
 * messages. When the check's own timeout ends before `within`, the check
 * errors (it could not wait long enough) instead of failing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/misc_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/str.h"
#include "ws_client.h"

#define PING_WITHIN_MS 5000
#define HEARTBEAT_WITHIN_MS 35000
#define WS_URL_MAX 2048
#define EXCERPT_MAX 80

static const char *const ws_kinds[] = {"ping_pong", "heartbeat", NULL};

struct ws_check {
    const struct tars_check_ctx *ctx;
    struct tars_check_result *out;
    char url[WS_URL_MAX];
    int64_t within_ms;
};

/* The URL to use, or false when the suite gives none. */
static bool ws_url(const struct tars_check_ctx *ctx, char *out, size_t size)
{
    const char *url = tars_check_param_str(ctx, "url", NULL);
    const char *base;
    size_t len;

    if (!url)
        url = tars_check_target_str(ctx, "api", "ws_url");
    if (url)
        return tars_strlcpy(out, url, size) < size;
    base = tars_check_target_str(ctx, "api", "base_url");
    if (!base || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
        return false;
    len = strlen(base);
    while (len && base[len - 1] == '/')
        len--;
    return snprintf(out, size, "ws%.*s/ws", (int)(len - 4), base + 4) < (int)size;
}

/* A short printable excerpt of a message for reasons. */
static void excerpt(const char *data, size_t len, char *out, size_t size)
{
    size_t n = len < size - 1 ? len : size - 1;

    for (size_t i = 0; i < n; i++)
        out[i] = data[i] >= 32 && data[i] < 127 ? data[i] : '.';
    out[n] = '\0';
}

/* The "type" of a JSON text message; false (with why) when it has none. */
static bool message_type(const struct check_ws_message *m, char *type, size_t size, char *why,
                         size_t why_size)
{
    struct tars_err err = TARS_ERR_INIT;
    char shown[EXCERPT_MAX];
    json_t *doc = NULL;
    const char *t;

    excerpt(m->data, m->len, shown, sizeof(shown));
    if (m->opcode != TARS_WS_TEXT || tars_json_parse(m->data, m->len, &doc, &err)) {
        snprintf(why, why_size, "is not JSON text: \"%s\"", shown);
        return false;
    }
    t = json_string_value(json_object_get(doc, "type"));
    if (t)
        tars_strlcpy(type, t, size);
    else
        snprintf(why, why_size, "has no \"type\": %s", shown);
    json_decref(doc);
    return t != NULL;
}

/* A connection failure: refused or timed out is a transient error, an
 * upgrade the server refuses or gets wrong is a failure. */
static void connect_failed(struct ws_check *w, int rc, const struct tars_err *err)
{
    char shown[MISC_URL_SHOWN_MAX];

    misc_safe_url(w->url, shown, sizeof(shown));
    if (rc == TARS_EUNAVAIL)
        tars_check_error(w->out, true, "websocket %s: %s", shown, err->msg);
    else if (rc == TARS_ECONFLICT || rc == TARS_EINVAL)
        tars_check_fail(w->out, "websocket %s: %s", shown, err->msg);
    else
        tars_check_error(w->out, false, "websocket %s: %s", shown, err->msg);
}

static int ws_open(struct ws_check *w, check_ws_client **c)
{
    struct check_ws_options o = {0};
    struct tars_err err = TARS_ERR_INIT;
    char token[MISC_TOKEN_MAX], auth[MISC_TOKEN_MAX + 16];
    int rc;

    o.url = w->url;
    if (misc_token(w->ctx, "api", token, sizeof(token))) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
        o.authorization = auth;
    }
    (void)misc_bool(w->ctx->params, "insecure", false, &o.insecure);
    o.ca_file = tars_check_param_str(w->ctx, "ca_file", NULL);
    rc = check_ws_connect(&o, w->ctx->deadline_ns, c, &err);
    explicit_bzero(token, sizeof(token));
    explicit_bzero(auth, sizeof(auth));
    if (rc)
        connect_failed(w, rc, &err);
    return rc;
}

/* Waits for the first message until start + within (or the check's
 * deadline). TARS_OK with m; otherwise out is filled. */
static int first_message(struct ws_check *w, check_ws_client *c, uint64_t start_ns,
                         struct check_ws_message *m)
{
    uint64_t window_end = start_ns + (uint64_t)w->within_ms * 1000000ull;
    uint64_t until = window_end < w->ctx->deadline_ns ? window_end : w->ctx->deadline_ns;
    struct tars_err err = TARS_ERR_INIT;
    int rc = check_ws_recv(c, until, m, &err);

    if (rc == TARS_AGAIN && window_end <= w->ctx->deadline_ns)
        tars_check_fail(w->out, "no websocket message within %lld ms", (long long)w->within_ms);
    else if (rc == TARS_AGAIN)
        tars_check_error(w->out, false,
                         "the check's timeout ended before its %lld ms window "
                         "(raise timeout above within)",
                         (long long)w->within_ms);
    else if (rc == TARS_EUNAVAIL)
        tars_check_fail(w->out, "websocket broke before the first message: %s", err.msg);
    else if (rc)
        tars_check_fail(w->out, "websocket protocol error: %s", err.msg);
    else if (m->opcode == TARS_WS_CLOSE)
        tars_check_fail(w->out,
                        "the server closed the websocket (code %d%s%.80s) before any "
                        "message",
                        m->close_code, m->len ? ": " : "", m->data);
    return rc || m->opcode == TARS_WS_CLOSE ? TARS_EINVAL : TARS_OK;
}

static double ms_since(uint64_t start_ns)
{
    return (double)(tars_mono_ns() - start_ns) / 1e6;
}

static void ws_ping_pong(struct ws_check *w, check_ws_client *c)
{
    static const char ping[] = "{\"type\":\"ping\"}";
    const char *expect = tars_check_param_str(w->ctx, "expect_type", "pong");
    struct tars_err err = TARS_ERR_INIT;
    struct check_ws_message m;
    char type[64] = "", why[160];
    uint64_t start = tars_mono_ns();

    if (check_ws_send(c, TARS_WS_TEXT, ping, sizeof(ping) - 1, w->ctx->deadline_ns, &err)) {
        tars_check_error(w->out, true, "websocket: cannot send the ping: %s", err.msg);
        return;
    }
    if (first_message(w, c, start, &m))
        return;
    if (!message_type(&m, type, sizeof(type), why, sizeof(why)))
        tars_check_fail(w->out, "the first message after the ping %s", why);
    else if (strcmp(type, expect) != 0)
        tars_check_fail(w->out,
                        "the first message after the ping has type \"%s\", expected "
                        "\"%.40s\"",
                        type, expect);
    else
        tars_check_pass(w->out, "%s %.1f ms after the ping", expect, ms_since(start));
}

/* Is type one of the heartbeat types? expected lists them for messages. */
static bool type_allowed(json_t *types, const char *type, char *expected, size_t size)
{
    static const char *const defaults[] = {"ping", "heartbeat", NULL};
    bool found = false;
    json_t *v;
    size_t i;

    expected[0] = '\0';
    if (!types) {
        for (i = 0; defaults[i]; i++) {
            found = found || strcmp(type, defaults[i]) == 0;
            misc_list_add(expected, size, defaults[i]);
        }
        return found;
    }
    json_array_foreach(types, i, v) {
        found = found || strcmp(json_string_value(v), type) == 0;
        misc_list_add(expected, size, json_string_value(v));
    }
    return found;
}

static void ws_heartbeat(struct ws_check *w, check_ws_client *c)
{
    struct check_ws_message m;
    char type[64] = "", why[160], expected[160];
    uint64_t start = tars_mono_ns();

    if (first_message(w, c, start, &m))
        return;
    if (!message_type(&m, type, sizeof(type), why, sizeof(why)))
        tars_check_fail(w->out, "the first message %s", why);
    else if (!type_allowed(json_object_get(w->ctx->params, "types"), type, expected,
                           sizeof(expected)))
        tars_check_fail(w->out, "the first message has type \"%s\", expected one of: %s", type,
                        expected);
    else
        tars_check_pass(w->out, "%s after %.1f ms of silence", type, ms_since(start));
}

static void websocket_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    const char *kind = tars_check_param_str(ctx, "check", "");
    bool ping = strcmp(kind, "ping_pong") == 0;
    struct ws_check *w = xcalloc(1, sizeof(*w));
    check_ws_client *c = NULL;

    w->ctx = ctx;
    w->out = out;
    (void)misc_duration_ms(ctx->params, "within", ping ? PING_WITHIN_MS : HEARTBEAT_WITHIN_MS,
                           &w->within_ms);
    if (!ws_url(ctx, w->url, sizeof(w->url)))
        tars_check_error(out, false,
                         "no websocket URL (url, targets.api.ws_url or "
                         "targets.api.base_url)");
    else if (ws_open(w, &c) == TARS_OK)
        (ping ? ws_ping_pong : ws_heartbeat)(w, c);
    check_ws_close(c);
    free(w);
}

static int websocket_read_params(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const durations[] = {"within", NULL};
    static const char *const lists[] = {"types", NULL};
    static const char *const booleans[] = {"insecure", NULL};
    static const char *const texts[] = {"url",     "token",       "token_env",
                                        "ca_file", "expect_type", NULL};
    static const struct misc_params shapes = {.kinds = ws_kinds,
                                              .durations = durations,
                                              .lists = lists,
                                              .booleans = booleans,
                                              .texts = texts};

    return misc_read_params(rd, params, &shapes);
}

static const char *const websocket_params[] = {"check",       "url",     "token",  "token_env",
                                               "insecure",    "ca_file", "within", "types",
                                               "expect_type", NULL};
static const char *const websocket_required[] = {"check", NULL};

const struct tars_check_type tars_check_websocket = {
    .name = "websocket",
    .category_hint = "websocket",
    .params = websocket_params,
    .required = websocket_required,
    .read_params = websocket_read_params,
    .run = websocket_run,
};
