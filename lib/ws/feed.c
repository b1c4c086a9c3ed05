/*
 * The server messages of the feed protocol (docs/api.md), read by scanning
 * the top-level object once: ws-stress reads every push on every connection,
 * and building a jansson tree for each would cost more than the rest of the
 * client together. Nested values are skipped, never interpreted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/ws.h"

#define FEED_DEPTH_MAX 32

struct scan {
    const char *p, *end;
    const char *bad_field; /* a number outside the range its field can hold */
};

/* The peer's numbers are checked before any cast: a sequence number is a
 * whole number from 0 to 2^53 (exact in a double, so differences of two never
 * overflow), a timestamp a finite count of ms from 0 to
 * TARS_WS_FEED_MAX_TIMESTAMP_MS (still an int64 once in nanoseconds). */
static bool seq_in_range(double d)
{
    return isfinite(d) && d >= 0 && d <= TARS_WS_FEED_MAX_SEQ && d == floor(d);
}

static bool timestamp_in_range(double d)
{
    return isfinite(d) && d >= 0 && d <= TARS_WS_FEED_MAX_TIMESTAMP_MS;
}

static void skip_blanks(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* At '"': moves past the closing quote; the content is [*start, *start+*len). */
static bool scan_string(struct scan *s, const char **start, size_t *len)
{
    const char *q;

    if (s->p >= s->end || *s->p != '"')
        return false;
    for (q = s->p + 1; q < s->end && *q != '"'; q++)
        if (*q == '\\' && ++q >= s->end)
            return false;
    if (q >= s->end)
        return false;
    *start = s->p + 1;
    *len = (size_t)(q - s->p - 1);
    s->p = q + 1;
    return true;
}

static bool skip_value(struct scan *s, int depth);

/* An object or array: values (and keys) until the closing bracket. */
static bool skip_container(struct scan *s, int depth)
{
    char close = *s->p == '{' ? '}' : ']';
    bool object = close == '}';
    const char *k;
    size_t kl;

    if (depth >= FEED_DEPTH_MAX)
        return false;
    s->p++;
    skip_blanks(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return true;
    }
    for (;;) {
        skip_blanks(s);
        if (object) {
            if (!scan_string(s, &k, &kl))
                return false;
            skip_blanks(s);
            if (s->p >= s->end || *s->p++ != ':')
                return false;
        }
        if (!skip_value(s, depth + 1))
            return false;
        skip_blanks(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == close) {
            s->p++;
            return true;
        }
        if (*s->p++ != ',')
            return false;
    }
}

static bool skip_value(struct scan *s, int depth)
{
    const char *str;
    size_t len;

    skip_blanks(s);
    if (s->p >= s->end)
        return false;
    if (*s->p == '"')
        return scan_string(s, &str, &len);
    if (*s->p == '{' || *s->p == '[')
        return skip_container(s, depth);
    str = s->p;
    while (s->p < s->end && strchr("+-.0123456789eEtruefalsn", *s->p))
        s->p++;
    return s->p > str;
}

/* A number value into *out. */
static bool scan_number(struct scan *s, double *out)
{
    char text[48];
    const char *start;
    char *stop;
    size_t n;

    skip_blanks(s);
    start = s->p;
    if (!skip_value(s, 0))
        return false;
    n = (size_t)(s->p - start);
    if (n == 0 || n >= sizeof(text))
        return false;
    memcpy(text, start, n);
    text[n] = '\0';
    *out = strtod(text, &stop);
    return *stop == '\0';
}

static bool key_is(const char *k, size_t kl, const char *name)
{
    return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

static int type_of(const char *v, size_t len)
{
    static const struct {
        const char *name;
        int type;
    } types[] = {
        {"message", TARS_WS_FEED_MESSAGE},        {"subscribed", TARS_WS_FEED_SUBSCRIBED},
        {"heartbeat", TARS_WS_FEED_HEARTBEAT},    {"pong", TARS_WS_FEED_PONG},
        {"resync_required", TARS_WS_FEED_RESYNC}, {"error", TARS_WS_FEED_ERROR},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (key_is(v, len, types[i].name))
            return types[i].type;
    return TARS_WS_FEED_OTHER;
}

/* One member "key": value of the top-level object. */
static bool scan_member(struct scan *s, struct tars_ws_feed_msg *m, int64_t *last_seq)
{
    const char *k, *v;
    size_t kl, vl;
    double d;

    if (!scan_string(s, &k, &kl))
        return false;
    skip_blanks(s);
    if (s->p >= s->end || *s->p++ != ':')
        return false;
    skip_blanks(s);
    if (key_is(k, kl, "type") && s->p < s->end && *s->p == '"') {
        if (!scan_string(s, &v, &vl))
            return false;
        m->type = type_of(v, vl);
        return true;
    }
    if (key_is(k, kl, "channel") && s->p < s->end && *s->p == '"')
        return scan_string(s, &m->channel, &m->channel_len);
    if (key_is(k, kl, "message") && s->p < s->end && *s->p == '"')
        return scan_string(s, &m->text, &m->text_len);
    if (key_is(k, kl, "seq") || key_is(k, kl, "last_seq") || key_is(k, kl, "oldest_seq") ||
        key_is(k, kl, "timestamp")) {
        if (s->p < s->end && *s->p == '"')
            return scan_string(s, &v, &vl); /* an ISO timestamp: not ours to time */
        if (!scan_number(s, &d))
            return skip_value(s, 0);
        if (!(key_is(k, kl, "timestamp") ? timestamp_in_range(d) : seq_in_range(d))) {
            s->bad_field = key_is(k, kl, "timestamp")  ? "timestamp"
                           : key_is(k, kl, "seq")      ? "seq"
                           : key_is(k, kl, "last_seq") ? "last_seq"
                                                       : "oldest_seq";
            return false;
        }
        if (key_is(k, kl, "timestamp")) {
            m->has_timestamp = true;
            m->timestamp = d;
        } else if (key_is(k, kl, "oldest_seq")) {
            m->oldest_seq = (int64_t)d;
        } else if (key_is(k, kl, "last_seq")) {
            *last_seq = (int64_t)d;
        } else {
            m->has_seq = true;
            m->seq = (int64_t)d;
        }
        return true;
    }
    return skip_value(s, 0);
}

static int out_of_range(const char *field, struct tars_err *err)
{
    return tars_err_set(err, TARS_EINVAL, "feed message: \"%s\" is out of range (%s)", field,
                        strcmp(field, "timestamp") == 0 ? "ms since the epoch, 0 to 9e12"
                                                        : "a whole number, 0 to 2^53");
}

int tars_ws_feed_parse(const char *text, size_t len, struct tars_ws_feed_msg *m,
                       struct tars_err *err)
{
    struct scan s = {text, text + len, NULL};
    int64_t last_seq = -1;

    memset(m, 0, sizeof(*m));
    skip_blanks(&s);
    if (s.p >= s.end || *s.p++ != '{')
        return tars_err_set(err, TARS_EINVAL, "feed message is not a JSON object");
    skip_blanks(&s);
    if (s.p < s.end && *s.p == '}')
        return TARS_OK;
    for (;;) {
        skip_blanks(&s);
        if (!scan_member(&s, m, &last_seq))
            return s.bad_field ? out_of_range(s.bad_field, err)
                               : tars_err_set(err, TARS_EINVAL, "feed message is not valid JSON");
        skip_blanks(&s);
        if (s.p < s.end && *s.p == '}')
            break;
        if (s.p >= s.end || *s.p++ != ',')
            return tars_err_set(err, TARS_EINVAL, "feed message is not valid JSON");
    }
    if (m->type == TARS_WS_FEED_RESYNC && last_seq >= 0) {
        m->has_seq = true;
        m->seq = last_seq;
    }
    return TARS_OK;
}

size_t tars_ws_feed_subscribe(char *out, size_t cap, const char *channel, int64_t since_seq)
{
    int n;

    if (!*channel || strspn(channel, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789._-") != strlen(channel))
        return 0;
    if (since_seq >= 0)
        n = snprintf(out, cap, "{\"type\":\"subscribe\",\"channel\":\"%s\",\"since_seq\":%lld}",
                     channel, (long long)since_seq);
    else
        n = snprintf(out, cap, "{\"type\":\"subscribe\",\"channel\":\"%s\"}", channel);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
