/* Masking passwords in database URLs (db_url.h). */
#include "db_url.h"

#include <string.h>

#include "tars/str.h"

static void append(char *out, size_t size, size_t *len, const char *s, size_t n)
{
    if (*len + 1 >= size)
        return;
    if (n > size - 1 - *len)
        n = size - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

/* "scheme://user:secret@host..." → "scheme://user:***@host...". */
static size_t mask_userinfo(const char *url, char *out, size_t size)
{
    const char *start = strstr(url, "://"), *at, *colon;
    size_t len = 0;

    if (!start)
        return 0;
    start += 3;
    at = start + strcspn(start, "@/?#");
    colon = start + strcspn(start, ":@/?#");
    if (*at != '@' || *colon != ':' || colon > at)
        return 0;
    append(out, size, &len, url, (size_t)(colon + 1 - url));
    append(out, size, &len, "***", 3);
    return (size_t)(at - url);
}

void cli_mask_db_url(const char *url, char *out, size_t size)
{
    const char *p;
    size_t len;

    if (!size)
        return;
    out[0] = '\0';
    url = url ? url : "";
    p = url + mask_userinfo(url, out, size);
    len = strlen(out);
    while (*p) {
        const char *hit = strstr(p, "password=");
        if (!hit) {
            append(out, size, &len, p, strlen(p));
            break;
        }
        hit += strlen("password=");
        append(out, size, &len, p, (size_t)(hit - p));
        append(out, size, &len, "***", 3);
        p = hit + strcspn(hit, "& ");
    }
}
