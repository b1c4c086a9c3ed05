/* HTTP for check types: one libcurl easy handle per call, bounded by the
 * check's deadline and by a body limit. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/check_int.h"
#include "tars/buf.h"
#include "tars/clock.h"
#include "tars/curl_easy.h"
#include "tars/str.h"

#define DEFAULT_MAX_BODY (8 * 1024 * 1024)
#define MAX_HEADER_BLOCK (64 * 1024)

/* scheme://host[:port]/path, without user info or query (either may hold
 * a secret). */
static void safe_url(const char *url, char *out, size_t size)
{
    const char *host = strstr(url, "://"), *at, *q;
    size_t n;

    host = host ? host + 3 : url;
    at = strchr(host, '@');
    q = strpbrk(host, "?#");
    if (at && (!q || at < q) && at < host + strcspn(host, "/"))
        host = at + 1;
    n = q ? (size_t)(q - host) : strlen(host);
    snprintf(out, size, "%.*s%.*s", (int)(strstr(url, "://") ? strstr(url, "://") - url + 3 : 0),
             url, (int)n, host);
}

static struct curl_slist *build_headers(const struct tars_check_fetch_call *call)
{
    struct curl_slist *list = NULL;
    for (size_t i = 0; call->headers && call->headers[i]; i++)
        list = curl_slist_append(list, call->headers[i]);
    return list;
}

static void set_blob(CURL *c, CURLoption opt, const char *pem)
{
    struct curl_blob blob = {(void *)pem, strlen(pem), CURL_BLOB_COPY};
    curl_easy_setopt(c, opt, &blob);
}

static void set_tls(CURL *c, const struct tars_check_fetch_call *call)
{
    if (call->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (call->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, call->ca_file);
    if (call->ca_pem)
        set_blob(c, CURLOPT_CAINFO_BLOB, call->ca_pem);
    if (call->client_cert)
        curl_easy_setopt(c, CURLOPT_SSLCERT, call->client_cert);
    if (call->client_key)
        curl_easy_setopt(c, CURLOPT_SSLKEY, call->client_key);
    if (call->client_cert_pem)
        set_blob(c, CURLOPT_SSLCERT_BLOB, call->client_cert_pem);
    if (call->client_key_pem)
        set_blob(c, CURLOPT_SSLKEY_BLOB, call->client_key_pem);
}

static void set_method(CURL *c, const struct tars_check_fetch_call *call)
{
    const char *m = call->method ? call->method : "GET";

    if (strcmp(m, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
    if (call->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)call->body_len);
    } else if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
}

static int curl_failure(CURLcode rc, const char *url, long timeout_ms, bool too_big,
                        struct tars_check_result *out)
{
    char shown[512];

    safe_url(url, shown, sizeof(shown));
    if (too_big)
        tars_check_error(out, false, "%s: the answer is larger than the limit", shown);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        tars_check_error(out, true, "%s: no complete answer within %ld ms", shown, timeout_ms);
    else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
             rc == CURLE_GOT_NOTHING)
        tars_check_error(out, true, "%s: %s", shown, curl_easy_strerror(rc));
    else
        tars_check_error(out, false, "%s: %s", shown, curl_easy_strerror(rc));
    return TARS_EUNAVAIL;
}

int tars_check_fetch(const struct tars_check_ctx *ctx, const struct tars_check_fetch_call *call,
                     struct tars_check_fetch_reply *reply, struct tars_check_result *out)
{
    struct tars_buf body = TARS_BUF_INIT(call->max_body ? call->max_body : DEFAULT_MAX_BODY);
    struct tars_buf head = TARS_BUF_INIT(MAX_HEADER_BLOCK);
    uint64_t now = tars_mono_ns(), t0 = now;
    long timeout_ms = ctx->deadline_ns > now ? (long)((ctx->deadline_ns - now) / 1000000) : 1;
    struct curl_slist *headers;
    CURLcode rc;
    CURL *c;

    memset(reply, 0, sizeof(*reply));
    if (!(c = tars_curl_easy(call->url, timeout_ms, NULL, NULL)))
        return tars_check_error(out, false, "cannot create an http client"), TARS_EIO;
    headers = build_headers(call);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tars_curl_to_buf);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tars_curl_to_buf);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    set_method(c, call);
    set_tls(c, call);
    reply->status = tars_curl_perform(c, &rc);
    if (rc == CURLE_OK) {
        reply->body = tars_buf_take(&body, &reply->body_len);
        reply->headers = tars_buf_take(&head, NULL);
        reply->total_ms = (double)(tars_mono_ns() - t0) / 1e6;
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    tars_buf_release(&head);
    if (rc != CURLE_OK) {
        bool too_big = rc == CURLE_WRITE_ERROR && body.data == NULL;
        tars_buf_release(&body);
        return curl_failure(rc, call->url, timeout_ms, too_big, out);
    }
    return TARS_OK;
}

void tars_check_fetch_reply_release(struct tars_check_fetch_reply *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

bool tars_check_fetch_reply_header(const struct tars_check_fetch_reply *r, const char *name,
                                   char *out, size_t size)
{
    size_t n = strlen(name);

    for (const char *line = r->headers; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            len = (size_t)((end ? end : line + len) - v);
            while (len && (v[len - 1] == '\r' || v[len - 1] == ' '))
                len--;
            snprintf(out, size, "%.*s", (int)len, v);
            return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}
