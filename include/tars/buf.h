/*
 * A growable byte buffer with a hard maximum chosen by its owner (as curl's
 * dynbuf). data is always NUL-terminated when non-NULL. When an append would
 * pass max, the buffer frees its contents and returns TARS_ETOOBIG, so input
 * from the network can never grow memory without bound.
 */
#ifndef TARS_BUF_H
#define TARS_BUF_H

#include <stddef.h>
#include "tars/err.h"

struct tars_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

#define TARS_BUF_INIT(max_bytes)                                                                   \
    {                                                                                              \
        NULL, 0, 0, (max_bytes)                                                                    \
    }

void tars_buf_init(struct tars_buf *b, size_t max);
void tars_buf_release(struct tars_buf *b); /* frees; b stays usable */
void tars_buf_reset(struct tars_buf *b);   /* len = 0, keeps memory */
int tars_buf_append(struct tars_buf *b, const void *p, size_t n) TARS_MUST_CHECK;
int tars_buf_puts(struct tars_buf *b, const char *s) TARS_MUST_CHECK;
int tars_buf_printf(struct tars_buf *b, const char *fmt, ...) TARS_PRINTF(2, 3) TARS_MUST_CHECK;
/* Hands the contents to the caller (free() them); b is left empty. */
char *tars_buf_take(struct tars_buf *b, size_t *len);

#endif
