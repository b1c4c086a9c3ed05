/*
 * Structured logging to stderr, one line per event, as JSON or as text.
 * Every line may carry a trace and span id (W3C trace context). Secrets must
 * never be passed in; callers mask them first.
 */
#ifndef TARS_LOG_H
#define TARS_LOG_H

#include "tars/err.h"

enum tars_log_level { TARS_LOG_DEBUG, TARS_LOG_INFO, TARS_LOG_WARN, TARS_LOG_ERROR };
enum tars_log_format { TARS_LOG_TEXT, TARS_LOG_JSON };

void tars_log_configure(enum tars_log_format format, enum tars_log_level min_level);
int tars_log_parse_format(const char *s, enum tars_log_format *out);

/* trace_id and span_id may be NULL. msg is a printf format; the expanded
 * text is escaped for JSON output. Thread-safe (one write(2) per line). */
void tars_log(enum tars_log_level level, const char *trace_id, const char *span_id, const char *fmt,
              ...) TARS_PRINTF(4, 5);

#endif
