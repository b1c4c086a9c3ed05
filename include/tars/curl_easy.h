/*
 * The set-up of every libcurl handle tars makes (checks, release probes,
 * readiness waits, notifications): libcurl's global state initialised once
 * and thread-safely, no signals, http and https only, a timeout, a user
 * agent if given, and the body discarded unless the caller sets its own writer.
 * The other HTTP client, lib/net + lib/http, is for load and ws only
 * (docs/architecture.md says why there are two).
 */
#ifndef TARS_CURL_EASY_H
#define TARS_CURL_EASY_H

#include <curl/curl.h>

#include "tars/err.h"

/* A new easy handle for url with the settings above (timeout_ms below 1
 * is 1; user_agent NULL: no User-Agent header), or NULL with TARS_EINTERNAL in err. The caller
 * adds its own options and frees it with curl_easy_cleanup. */
CURL *tars_curl_easy(const char *url, long timeout_ms, const char *user_agent,
                     struct tars_err *err);

/* A libcurl write or header callback appending to the struct tars_buf in
 * its userdata; stops the transfer (CURLE_WRITE_ERROR) past the buffer's
 * limit, the buffer then released. */
size_t tars_curl_to_buf(char *p, size_t size, size_t n, void *buf);

/* Performs h: the HTTP status, or 0 when no answer came (cc says why). */
long tars_curl_perform(CURL *h, CURLcode *cc);

#endif
