/*
 * URLs for the HTTP client: http:// and https:// only, parsed strictly.
 *
 *   scheme "://" host [":" port] [path] ["?" query] ["#" fragment]
 *
 * The scheme is case-insensitive. The host is a name (letters, digits, "-",
 * ".", "_", "~") or an IPv6 literal in brackets ("[::1]", stored without the
 * brackets; zone ids are rejected). The port defaults to 80 or 443 and must
 * be 1..65535 when given (an empty port after ":" is an error). Path and query are kept as written,
 * default "/"; they must be printable ASCII with well-formed %XX escapes. The fragment is dropped
 * (it is never sent to a server). User info ("user@host") is rejected.
 *
 * Errors name the problem: unsupported scheme "ftp", bad port "99999",
 * empty host, bad character ' ' in path, URL too long.
 */
#ifndef TARS_URL_H
#define TARS_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"

#define TARS_URL_MAX 8192     /* longest accepted URL, in bytes */
#define TARS_URL_HOST_MAX 253 /* longest host name (DNS limit) */
/* Room for "[" host "]:" port and the terminator. */
#define TARS_URL_AUTHORITY_MAX (TARS_URL_HOST_MAX + 9)

struct tars_url {
    bool tls;  /* https */
    bool ipv6; /* host is an IPv6 literal */
    uint16_t port;
    char host[TARS_URL_HOST_MAX + 1];
    char path[TARS_URL_MAX + 1]; /* path and query, at least "/" */
};

/* Parses text into *url. On failure *url is unspecified. */
int tars_url_parse(struct tars_url *url, const char *text, struct tars_err *err) TARS_MUST_CHECK;

/*
 * Writes the Host header value: "host", or "host:port" when the port is not
 * the scheme's default; IPv6 literals get their brackets back. size of at
 * least TARS_URL_AUTHORITY_MAX always suffices; smaller → TARS_ETOOBIG.
 */
int tars_url_authority(const struct tars_url *url, char *out, size_t size) TARS_MUST_CHECK;

#endif
