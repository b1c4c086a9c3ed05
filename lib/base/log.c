#include "tars/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tars/clock.h"

static enum tars_log_format log_format = TARS_LOG_TEXT;
static enum tars_log_level log_min = TARS_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void tars_log_configure(enum tars_log_format format, enum tars_log_level min_level)
{
    log_format = format;
    log_min = min_level;
}

int tars_log_parse_format(const char *s, enum tars_log_format *out)
{
    if (strcmp(s, "json") == 0)
        *out = TARS_LOG_JSON;
    else if (strcmp(s, "text") == 0)
        *out = TARS_LOG_TEXT;
    else
        return TARS_EINVAL;
    return TARS_OK;
}

/* Appends s to line (at *pos, bounded by cap) escaped as a JSON string body. */
static void append_json_escaped(char *line, size_t cap, size_t *pos, const char *s)
{
    for (; *s && *pos + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            line[(*pos)++] = '\\';
            line[(*pos)++] = (char)c;
        } else if (c < 0x20) {
            *pos += (size_t)snprintf(line + *pos, cap - *pos, "\\u%04x", c);
        } else {
            line[(*pos)++] = (char)c;
        }
    }
}

static size_t format_json(char *line, size_t cap, const char *ts, enum tars_log_level level,
                          const char *trace_id, const char *span_id, const char *msg)
{
    size_t pos =
        (size_t)snprintf(line, cap, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level_names[level]);
    if (trace_id && span_id)
        pos += (size_t)snprintf(line + pos, cap - pos, ",\"trace_id\":\"%s\",\"span_id\":\"%s\"",
                                trace_id, span_id);
    pos += (size_t)snprintf(line + pos, cap - pos, ",\"msg\":\"");
    append_json_escaped(line, cap, &pos, msg);
    pos += (size_t)snprintf(line + pos, cap - pos, "\"}\n");
    return pos < cap ? pos : cap - 1;
}

static size_t format_text(char *line, size_t cap, const char *ts, enum tars_log_level level,
                          const char *trace_id, const char *span_id, const char *msg)
{
    int n;
    if (trace_id && span_id)
        n = snprintf(line, cap, "%s %-5s trace=%s span=%s %s\n", ts, level_names[level], trace_id,
                     span_id, msg);
    else
        n = snprintf(line, cap, "%s %-5s %s\n", ts, level_names[level], msg);
    if (n < 0)
        return 0;
    if ((size_t)n >= cap) {
        line[cap - 2] = '\n';
        return cap - 1;
    }
    return (size_t)n;
}

void tars_log(enum tars_log_level level, const char *trace_id, const char *span_id, const char *fmt,
              ...)
{
    char msg[1024], line[2048], ts[TARS_ISO8601_LEN];
    va_list ap;
    size_t len;

    if (level < log_min)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tars_iso8601(tars_wall_ms(), ts);
    if (log_format == TARS_LOG_JSON)
        len = format_json(line, sizeof(line), ts, level, trace_id, span_id, msg);
    else
        len = format_text(line, sizeof(line), ts, level, trace_id, span_id, msg);
    if (write(STDERR_FILENO, line, len) < 0) {
        /* nowhere left to report a failed log write */
    }
}
