/*
 * Secret masking for everything a report writes. The report never knows the
 * secret values themselves (the suite that had them is gone), so it masks
 * by shape: "Bearer <token>", JWTs, passwords in URLs, password/token/secret/
 * key = value pairs and webhook URLs all become "****".
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "tars/report_vars.h"

#define MASK "****"

static bool token_char(char c)
{
    return isalnum((unsigned char)c) || strchr("-._~+/=", c) != NULL;
}

static bool value_end(char c)
{
    return c == '\0' || isspace((unsigned char)c) || strchr("&,;\"'}<>)]", c) != NULL;
}

static bool url_char(char c)
{
    return !value_end(c);
}

static bool secret_key_before(const char *start, const char *sep)
{
    static const char *const keys[] = {"password", "passwd",  "secret",        "token", "api_key",
                                       "apikey",   "api-key", "authorization", NULL};
    const char *end = sep, *w;

    while (end > start && (end[-1] == '"' || end[-1] == '\'' || end[-1] == ' '))
        end--;
    w = end;
    while (w > start && (isalnum((unsigned char)w[-1]) || w[-1] == '_' || w[-1] == '-'))
        w--;
    for (size_t i = 0; keys[i]; i++) {
        size_t n = strlen(keys[i]);
        if ((size_t)(end - w) >= n && strncasecmp(end - n, keys[i], n) == 0)
            return true;
    }
    return false;
}

/* Length of a JWT at s (three base64url parts), or 0. */
static size_t jwt_length(const char *s)
{
    size_t n = 0;
    int dots = 0;

    if (strncmp(s, "eyJ", 3) != 0)
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '-' || s[n] == '_' || s[n] == '.')
        dots += s[n++] == '.';
    return dots >= 2 ? n : 0;
}

static bool webhook_at(const char *s, size_t *prefix)
{
    static const char *const hosts[] = {"hooks.slack.com/", "/api/webhooks/", "webhook.office.com/",
                                        "/webhooks/",       "/webhook/",      NULL};
    for (size_t i = 0; hosts[i]; i++) {
        size_t n = strlen(hosts[i]);
        if (strncasecmp(s, hosts[i], n) == 0) {
            *prefix = n;
            return true;
        }
    }
    return false;
}

/* A password in a URL ("scheme://user:pass@host"): the bytes from "://" to "@", or 0. */
static size_t userinfo_length(const char *s)
{
    const char *p, *at;
    size_t n;

    if (strncmp(s, "://", 3) != 0)
        return 0;
    p = s + 3;
    n = strcspn(p, "/@ \t\n\"'");
    at = p + n;
    if (*at != '@' || !memchr(p, ':', n))
        return 0;
    return (size_t)(at - s);
}

int tars_report_mask(const char *in, struct tars_buf *out)
{
    const char *p = in;
    size_t n;
    int rc = TARS_OK;

    while (rc == TARS_OK && *p) {
        if (strncasecmp(p, "bearer ", 7) == 0 && token_char(p[7])) {
            rc = tars_buf_append(out, p, 7);
            for (p += 7; token_char(*p); p++) {
            }
            rc = rc ? rc : tars_buf_puts(out, MASK);
        } else if ((n = jwt_length(p)) > 0) {
            p += n;
            rc = tars_buf_puts(out, MASK);
        } else if ((n = userinfo_length(p)) > 0) {
            p += n;
            rc = tars_buf_puts(out, "://" MASK);
        } else if (webhook_at(p, &n)) {
            rc = tars_buf_append(out, p, n);
            for (p += n; url_char(*p); p++) {
            }
            rc = rc ? rc : tars_buf_puts(out, MASK);
        } else if ((*p == '=' || *p == ':') && p[1] != '/' && secret_key_before(in, p)) {
            const char *v = p + 1;
            while (*v == ' ' || *v == '"' || *v == '\'')
                v++;
            rc = tars_buf_append(out, p, (size_t)(v - p));
            if (!value_end(*v)) {
                for (p = v; !value_end(*p); p++) {
                }
                rc = rc ? rc : tars_buf_puts(out, MASK);
            } else {
                p = v;
            }
        } else {
            rc = tars_buf_append(out, p++, 1);
        }
    }
    if (rc == TARS_OK && !out->data)
        rc = tars_buf_append(out, "", 0);
    return rc;
}
