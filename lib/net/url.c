#include "tars/url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "tars/str.h"

/* Quoted excerpts in messages are cut here so they fit the error buffer. */
#define QUOTE_MAX 64

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_host_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_scheme_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}

/* Reads "http://" or "https://"; *rest points after the "://". */
static int parse_scheme(struct tars_url *url, const char *text, const char **rest,
                        struct tars_err *err)
{
    size_t n = 0;

    if (is_alpha(text[0]))
        while (is_scheme_char(text[n]))
            n++;
    if (n == 0 || strncmp(text + n, "://", 3) != 0)
        return tars_err_set(err, TARS_EINVAL, "missing \"http://\" or \"https://\" in \"%.*s\"",
                            QUOTE_MAX, text);
    if (tars_memeq_nocase(text, n, "http"))
        url->tls = false;
    else if (tars_memeq_nocase(text, n, "https"))
        url->tls = true;
    else
        return tars_err_set(err, TARS_EINVAL, "unsupported scheme \"%.*s\"",
                            (int)(n < QUOTE_MAX ? n : QUOTE_MAX), text);
    *rest = text + n + 3;
    return TARS_OK;
}

static int parse_port(struct tars_url *url, const char *s, size_t len, struct tars_err *err)
{
    int64_t v;

    if (len > 5 || tars_parse_i64n(s, len, 1, 65535, &v) != TARS_OK)
        return tars_err_set(err, TARS_EINVAL, "bad port \"%.*s\"",
                            (int)(len < QUOTE_MAX ? len : QUOTE_MAX), s);
    url->port = (uint16_t)v;
    return TARS_OK;
}

/* "[v6]" → host without brackets; *end is the length including brackets. */
static int parse_ipv6(struct tars_url *url, const char *s, size_t len, size_t *end,
                      struct tars_err *err)
{
    const char *close = memchr(s, ']', len);
    unsigned char bin[16];
    size_t n;

    if (!close)
        return tars_err_set(err, TARS_EINVAL, "missing \"]\" after IPv6 address \"%.*s\"",
                            (int)(len < QUOTE_MAX ? len : QUOTE_MAX), s);
    n = (size_t)(close - s - 1);
    if (n == 0)
        return tars_err_set(err, TARS_EINVAL, "empty host");
    if (n < sizeof(url->host)) {
        memcpy(url->host, s + 1, n);
        url->host[n] = '\0';
    }
    if (n >= sizeof(url->host) || inet_pton(AF_INET6, url->host, bin) != 1)
        return tars_err_set(err, TARS_EINVAL, "bad IPv6 address \"%.*s\"",
                            (int)(n < QUOTE_MAX ? n : QUOTE_MAX), s + 1);
    url->ipv6 = true;
    *end = n + 2;
    return TARS_OK;
}

static int parse_name(struct tars_url *url, const char *s, size_t len, struct tars_err *err)
{
    if (len == 0)
        return tars_err_set(err, TARS_EINVAL, "empty host");
    if (len > TARS_URL_HOST_MAX)
        return tars_err_set(err, TARS_EINVAL, "host too long (%zu bytes, at most %d)", len,
                            TARS_URL_HOST_MAX);
    for (size_t i = 0; i < len; i++)
        if (!is_host_char(s[i]))
            return tars_err_set(err, TARS_EINVAL, "bad character 0x%02x in host \"%.*s\"",
                                (unsigned char)s[i], (int)(len < QUOTE_MAX ? len : QUOTE_MAX), s);
    memcpy(url->host, s, len);
    url->host[len] = '\0';
    return TARS_OK;
}

/* host [":" port], len bytes long (the authority without user info). */
static int parse_authority(struct tars_url *url, const char *s, size_t len, struct tars_err *err)
{
    size_t host_end = 0;
    int rc;

    if (memchr(s, '@', len))
        return tars_err_set(err, TARS_EINVAL, "user info (\"user@host\") is not supported");
    if (len > 0 && s[0] == '[') {
        rc = parse_ipv6(url, s, len, &host_end, err);
    } else {
        const char *colon = memchr(s, ':', len);
        host_end = colon ? (size_t)(colon - s) : len;
        rc = parse_name(url, s, host_end, err);
    }
    if (rc)
        return rc;
    url->port = url->tls ? 443 : 80;
    if (host_end == len)
        return TARS_OK;
    if (s[host_end] != ':')
        return tars_err_set(err, TARS_EINVAL, "bad character 0x%02x after host",
                            (unsigned char)s[host_end]);
    return parse_port(url, s + host_end + 1, len - host_end - 1, err);
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Path and query: printable ASCII, every '%' followed by two hex digits. */
static int check_path(const char *s, size_t len, struct tars_err *err)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return tars_err_set(err, TARS_EINVAL, "bad character 0x%02x in path", c);
        if (c == '%' && (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
            return tars_err_set(err, TARS_EINVAL, "bad percent-encoding in path");
    }
    return TARS_OK;
}

/* s starts with '/', '?' or is empty; stops at '#'. */
static int parse_path(struct tars_url *url, const char *s, struct tars_err *err)
{
    size_t len = strcspn(s, "#");
    size_t at = 0;
    int rc = check_path(s, len, err);

    if (rc)
        return rc;
    if (len == 0 || s[0] == '?')
        url->path[at++] = '/';
    memcpy(url->path + at, s, len);
    url->path[at + len] = '\0';
    return TARS_OK;
}

int tars_url_parse(struct tars_url *url, const char *text, struct tars_err *err)
{
    size_t total = strnlen(text, TARS_URL_MAX + 1);
    const char *s = text;
    size_t auth_len;
    int rc;

    if (total > TARS_URL_MAX)
        return tars_err_set(err, TARS_EINVAL, "URL too long (more than %d bytes)", TARS_URL_MAX);
    memset(url, 0, offsetof(struct tars_url, path));
    rc = parse_scheme(url, text, &s, err);
    if (rc)
        return rc;
    auth_len = strcspn(s, "/?#");
    rc = parse_authority(url, s, auth_len, err);
    if (rc)
        return rc;
    return parse_path(url, s + auth_len, err);
}

int tars_url_authority(const struct tars_url *url, char *out, size_t size)
{
    const char *open = url->ipv6 ? "[" : "";
    const char *close = url->ipv6 ? "]" : "";
    bool default_port = url->port == (url->tls ? 443 : 80);
    int n;

    if (default_port)
        n = snprintf(out, size, "%s%s%s", open, url->host, close);
    else
        n = snprintf(out, size, "%s%s%s:%u", open, url->host, close, (unsigned)url->port);
    if (n < 0 || (size_t)n >= size)
        return TARS_ETOOBIG;
    return TARS_OK;
}
