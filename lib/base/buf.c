#include "tars/buf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/dassert.h"

/* The invariants every operation keeps (checked in debug builds). */
static inline bool buf_valid(const struct tars_buf *b)
{
    if (!b)
        return false;
    if (!b->data)
        return b->len == 0 && b->cap == 0;
    return b->len < b->cap && b->len <= b->max && b->cap <= b->max + 1 && b->data[b->len] == '\0';
}

void tars_buf_init(struct tars_buf *b, size_t max)
{
    TARS_DASSERT(b);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void tars_buf_release(struct tars_buf *b)
{
    TARS_DASSERT(buf_valid(b));
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void tars_buf_reset(struct tars_buf *b)
{
    TARS_DASSERT(buf_valid(b));
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for n more bytes plus the terminator. */
static int buf_reserve(struct tars_buf *b, size_t n)
{
    size_t need, cap;

    if (n > b->max || b->len > b->max - n) {
        tars_buf_release(b);
        return TARS_ETOOBIG;
    }
    need = b->len + n + 1;
    if (need <= b->cap)
        return TARS_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return TARS_OK;
}

int tars_buf_append(struct tars_buf *b, const void *p, size_t n)
{
    int rc;

    TARS_DASSERT(buf_valid(b) && (p || n == 0));
    rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TARS_OK;
}

int tars_buf_puts(struct tars_buf *b, const char *s)
{
    return tars_buf_append(b, s, strlen(s));
}

int tars_buf_printf(struct tars_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    TARS_DASSERT(buf_valid(b) && fmt);
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return TARS_EINVAL;
    rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return TARS_OK;
}

char *tars_buf_take(struct tars_buf *b, size_t *len)
{
    char *p = b->data;

    TARS_DASSERT(buf_valid(b));
    if (len)
        *len = b->len;
    if (!p)
        p = xstrdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
