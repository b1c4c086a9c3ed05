/* Helpers shared by the grafana, jaeger, websocket and database check types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "misc_int.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/str.h"

/* ---- parameters ---- */

int misc_number(json_t *params, const char *name, double fallback, double *out)
{
    json_t *v = json_object_get(params, name);

    *out = fallback;
    if (!v)
        return TARS_OK;
    return check_json_number(v, out) ? TARS_OK : TARS_EINVAL;
}

int misc_duration_ms(json_t *params, const char *name, int64_t fallback, int64_t *out)
{
    json_t *v = json_object_get(params, name);

    *out = fallback;
    if (!v)
        return TARS_OK;
    if (json_is_number(v)) {
        double s = json_number_value(v);
        if (s < 0 || s * 1000 > (double)TARS_DURATION_MAX_MS)
            return TARS_EINVAL;
        *out = (int64_t)(s * 1000);
        return TARS_OK;
    }
    if (!json_is_string(v) || tars_duration_parse(json_string_value(v), out) || *out < 0)
        return TARS_EINVAL;
    return TARS_OK;
}

int misc_bool(json_t *params, const char *name, bool fallback, bool *out)
{
    json_t *v = json_object_get(params, name);

    *out = fallback;
    if (!v)
        return TARS_OK;
    return check_json_bool(v, out) ? TARS_OK : TARS_EINVAL;
}

int misc_read_params(const struct tars_json_reader *rd, json_t *params, const struct misc_params *p)
{
    char text[MISC_TEXT_MAX];
    json_t *list;
    int64_t ms;
    double n;
    bool b;
    int kind, rc = tars_json_get_enum(rd, params, "check", TARS_JSON_REQUIRED, p->kinds, &kind);

    for (const char *const *k = p->numbers; rc == TARS_OK && k && *k; k++)
        rc = tars_json_get_double(rd, params, *k, TARS_JSON_OPTIONAL, 0, MISC_NUMBER_MAX, &n);
    for (const char *const *k = p->durations; rc == TARS_OK && k && *k; k++)
        rc = tars_json_get_duration(rd, params, *k, TARS_JSON_OPTIONAL, 0, &ms);
    for (const char *const *k = p->lists; rc == TARS_OK && k && *k; k++)
        rc = tars_json_get_strings(rd, params, *k, TARS_JSON_OPTIONAL, 1, SIZE_MAX, MISC_TEXT_MAX,
                                   &list);
    for (const char *const *k = p->booleans; rc == TARS_OK && k && *k; k++)
        rc = tars_json_get_bool(rd, params, *k, TARS_JSON_OPTIONAL, &b);
    for (const char *const *k = p->texts; rc == TARS_OK && k && *k; k++)
        rc = tars_json_get_text(rd, params, *k, TARS_JSON_OPTIONAL, text, sizeof(text));
    return rc;
}

/* ---- credentials and URLs ---- */

bool misc_token(const struct tars_check_ctx *ctx, const char *target, char *out, size_t size)
{
    const char *token = tars_check_param_str(ctx, "token", NULL);
    const char *env_name;

    if (!token) {
        env_name = tars_check_target_str(ctx, target, "token_env");
        token = env_name && *env_name ? getenv(env_name) : NULL;
    }
    if (!token || !*token || strlen(token) >= size)
        return false;
    tars_strlcpy(out, token, size);
    return true;
}

bool misc_auth_header(const struct tars_check_ctx *ctx, const char *target, char *out, size_t size)
{
    char token[MISC_TOKEN_MAX];
    bool ok = misc_token(ctx, target, token, sizeof(token));
    int n;

    if (!ok)
        return false;
    n = snprintf(out, size, "Authorization: Bearer %s", token);
    explicit_bzero(token, sizeof(token));
    return n > 0 && (size_t)n < size;
}

void misc_safe_url(const char *url, char *out, size_t size)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    size_t authority = strcspn(host, "/?#");
    const char *at = memchr(host, '@', authority);
    const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
    size_t keep = strcspn(url, "?#");

    if (!colon) {
        snprintf(out, size, "%.*s", (int)keep, url);
        return;
    }
    /* scheme://user:****@rest */
    snprintf(out, size, "%.*s:****%.*s", (int)(colon - url), url, (int)(keep - (size_t)(at - url)),
             at);
}

bool misc_url_encode(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     strchr("-._~", c);
        if (o + (plain ? 1 : 3) >= size)
            return false;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return true;
}

int64_t misc_ms_left(const struct tars_check_ctx *ctx)
{
    uint64_t now = tars_mono_ns();
    return now >= ctx->deadline_ns ? 0 : (int64_t)((ctx->deadline_ns - now) / 1000000);
}

void misc_list_add(char *buf, size_t size, const char *text)
{
    static const char more[] = "...";
    size_t len = strlen(buf);
    size_t sep = len ? 2 : 0;

    if (len >= 3 && strcmp(buf + len - 3, more) == 0)
        return;
    /* Every item leaves room for ", ..." so that the marker always fits. */
    if (len + sep + strlen(text) + sizeof(", ...") <= size)
        snprintf(buf + len, size - len, "%s%s", sep ? ", " : "", text);
    else
        snprintf(buf + len, size - len, "%s%s", sep ? ", " : "", more);
}

/* ---- HTTP ---- */

int misc_get_json(const struct tars_check_ctx *ctx, const char *target, const char *url,
                  bool insecure, long *status, json_t **doc, double *ms,
                  struct tars_check_result *out)
{
    char auth[MISC_TOKEN_MAX + 32];
    const char *headers[] = {"Accept: application/json", "Cache-Control: no-cache", NULL, NULL};
    struct tars_check_fetch_call call = {0};
    struct tars_check_fetch_reply reply = {0};
    struct tars_err ignored = TARS_ERR_INIT;
    int rc;

    if (misc_auth_header(ctx, target, auth, sizeof(auth)))
        headers[2] = auth;
    call.url = url;
    call.headers = headers;
    call.insecure = insecure;
    rc = tars_check_fetch(ctx, &call, &reply, out);
    explicit_bzero(auth, sizeof(auth));
    if (rc)
        return rc;
    *status = reply.status;
    *doc = NULL;
    if (ms)
        *ms = reply.total_ms;
    if (reply.body_len > 0)
        (void)tars_json_parse(reply.body, reply.body_len, doc, &ignored);
    tars_check_fetch_reply_release(&reply);
    return TARS_OK;
}

void misc_bad_status(struct tars_check_result *out, const char *what, long status)
{
    if (status == 401 || status == 403)
        tars_check_error(out, false, "%s: HTTP %ld (missing or rejected credentials)", what,
                         status);
    else if (status >= 500)
        tars_check_error(out, true, "%s: HTTP %ld", what, status);
    else
        tars_check_fail(out, "%s: HTTP %ld", what, status);
}
