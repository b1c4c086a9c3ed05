#include "tars/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tars/err.h"
#include "tars/str.h"

uint64_t tars_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t tars_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tars_iso8601(int64_t wall_ms, char out[TARS_ISO8601_LEN])
{
    time_t secs = (time_t)(wall_ms / 1000);
    int ms = (int)(wall_ms % 1000);
    struct tm tm;
    char tmp[64];

    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    tars_strlcpy(out, tmp, TARS_ISO8601_LEN);
}

static int read_digits(const char **p, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return TARS_EINVAL;
        v = v * 10 + (c - '0');
    }
    *p += count;
    *out = v;
    return TARS_OK;
}

static int expect_char(const char **p, char c)
{
    if (**p != c)
        return TARS_EINVAL;
    (*p)++;
    return TARS_OK;
}

/* Reads ".123" (any number of digits, milliseconds kept) if present. */
static int read_fraction(const char **p, int *ms)
{
    int scale = 100;

    *ms = 0;
    if (**p != '.')
        return TARS_OK;
    (*p)++;
    if (**p < '0' || **p > '9')
        return TARS_EINVAL;
    while (**p >= '0' && **p <= '9') {
        *ms += (**p - '0') * scale;
        scale /= 10;
        (*p)++;
    }
    return TARS_OK;
}

int tars_iso8601_parse(const char *s, int64_t *wall_ms)
{
    struct tm tm;
    int y, mo, d, h, mi, se, ms;
    const char *p = s;

    memset(&tm, 0, sizeof(tm));
    if (read_digits(&p, 4, &y) || expect_char(&p, '-') || read_digits(&p, 2, &mo) ||
        expect_char(&p, '-') || read_digits(&p, 2, &d) || expect_char(&p, 'T') ||
        read_digits(&p, 2, &h) || expect_char(&p, ':') || read_digits(&p, 2, &mi) ||
        expect_char(&p, ':') || read_digits(&p, 2, &se) || read_fraction(&p, &ms))
        return TARS_EINVAL;
    if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
        return TARS_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return TARS_EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *wall_ms = (int64_t)timegm(&tm) * 1000 + ms;
    return TARS_OK;
}
