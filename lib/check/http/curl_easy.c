/* The one libcurl set-up (tars/curl_easy.h). */
#include "tars/curl_easy.h"

#include <pthread.h>

#include "tars/buf.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

size_t tars_curl_to_buf(char *p, size_t size, size_t n, void *buf)
{
    return tars_buf_append(buf, p, size * n) ? 0 : size * n;
}

CURL *tars_curl_easy(const char *url, long timeout_ms, const char *user_agent, struct tars_err *err)
{
    CURL *h;

    pthread_once(&curl_once, curl_init_once);
    h = curl_easy_init();
    if (!h) {
        tars_err_set(err, TARS_EINTERNAL, "cannot start libcurl");
        return NULL;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (user_agent)
        curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    return h;
}

long tars_curl_perform(CURL *h, CURLcode *cc)
{
    long status = 0;

    *cc = curl_easy_perform(h);
    if (*cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return status;
}
