/* W3C trace context (traceparent), parsed strictly. */
#ifndef TARS_TRACE_H
#define TARS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TARS_TRACE_ID_HEX 33    /* 32 hex + NUL */
#define TARS_SPAN_ID_HEX 17     /* 16 hex + NUL */
#define TARS_TRACEPARENT_LEN 56 /* 55 chars + NUL */

struct tars_trace_ctx {
    char trace_id[TARS_TRACE_ID_HEX];
    char parent_id[TARS_SPAN_ID_HEX]; /* the caller's span, or empty */
    char span_id[TARS_SPAN_ID_HEX];   /* this server's span */
    uint8_t flags;
};

/* Parses "00-<32 hex>-<16 hex>-<2 hex>": version 00 exactly 55 chars (a
 * future version may be longer, then the first four fields are read),
 * lowercase hex only, trace and parent ids not all zero, version not "ff".
 * Returns 0 and fills trace_id/parent_id/flags, or TARS_EINVAL. */
int tars_traceparent_parse(const char *s, size_t len, struct tars_trace_ctx *out);

/* Continues a valid incoming traceparent (may be NULL) or starts a new
 * trace; always makes a fresh span id. */
void tars_trace_begin(const char *header, size_t len, struct tars_trace_ctx *out);

/* "00-<trace>-<span>-<flags>" for this server's span. */
void tars_traceparent_format(const struct tars_trace_ctx *ctx, char out[TARS_TRACEPARENT_LEN]);

#endif
