#include "tars/str.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/err.h"

size_t tars_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

int tars_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    return tars_parse_i64n(s, strlen(s), min, max, out);
}

int tars_parse_i64n(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    int64_t v = 0;
    size_t i = 0;
    int neg = 0;

    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len || len - i > 18)
        return TARS_EINVAL;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return TARS_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return TARS_EINVAL;
    *out = v;
    return TARS_OK;
}

int tars_parse_double(const char *s, double *out)
{
    char *end;
    double v;

    if (!*s || isspace((unsigned char)*s))
        return TARS_EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return TARS_EINVAL;
    *out = v;
    return TARS_OK;
}

static bool continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t tars_utf8_seq_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;
    unsigned cp;

    if (u[0] < 0x80)
        return u[0] ? 1 : 0;
    if (u[0] >= 0xC2 && u[0] <= 0xDF)
        n = 2, cp = u[0] & 0x1Fu;
    else if (u[0] >= 0xE0 && u[0] <= 0xEF)
        n = 3, cp = u[0] & 0x0Fu;
    else if (u[0] >= 0xF0 && u[0] <= 0xF4)
        n = 4, cp = u[0] & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (!continuation(u[i]))
            return 0;
        cp = cp << 6 | (u[i] & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

bool tars_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool tars_str_in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

void tars_str_join(const char *const *list, char *out, size_t size)
{
    size_t o = 0;

    out[0] = '\0';
    for (; list && *list; list++) {
        int n = snprintf(out + o, size - o, "%s%s", o ? ", " : "", *list);
        if (n < 0 || (size_t)n >= size - o) {
            memcpy(out + (o < size - 4 ? o : size - 4), "...", 4);
            return;
        }
        o += (size_t)n;
    }
}

bool tars_memeq_nocase(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

/* ---- durations ---- */

static const char *duration_number(const char *p, double *v)
{
    double scale = 0.1;

    if (*p < '0' || *p > '9')
        return NULL;
    for (*v = 0; *p >= '0' && *p <= '9'; p++)
        if ((*v = *v * 10 + (*p - '0')) > 1e15)
            return NULL;
    if (*p != '.')
        return p;
    if (*++p < '0' || *p > '9')
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
        *v += (*p - '0') * scale;
    return p;
}

/* Milliseconds per unit at *p, advancing past it; 0 when unknown. */
static double duration_unit(const char **p)
{
    static const struct {
        const char *name;
        double ms;
    } units[] = {{"ms", 1}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t n = strlen(units[i].name);
        if (strncmp(*p, units[i].name, n) == 0) {
            *p += n;
            return units[i].ms;
        }
    }
    return 0;
}

int tars_duration_parse(const char *s, int64_t *ms)
{
    const char *p = s;
    double total = 0, v, unit;

    if (!(p = duration_number(p, &v)))
        return TARS_EINVAL;
    if (!*p) { /* a bare number: seconds */
        total = v * 1000;
    } else {
        for (;;) {
            if ((unit = duration_unit(&p)) == 0)
                return TARS_EINVAL;
            total += v * unit;
            if (!*p)
                break;
            if (!(p = duration_number(p, &v)))
                return TARS_EINVAL;
        }
    }
    if (total > (double)TARS_DURATION_MAX_MS)
        return TARS_EINVAL;
    *ms = (int64_t)llround(total);
    return TARS_OK;
}

#define SUGGEST_MAX_LEN 64

static unsigned char lower(char c)
{
    return (unsigned char)tolower((unsigned char)c);
}

/* Optimal string alignment distance, or SIZE_MAX for names too long to be
 * typos of one another. Three rows of at most SUGGEST_MAX_LEN + 1 cells. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][SUGGEST_MAX_LEN + 1], *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *t;
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower(a[i - 1]) != lower(b[j - 1]);
            size_t d = prev[j - 1] + cost;
            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

static bool prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (!*s || lower(*s) != lower(*prefix))
            return false;
    return true;
}

void tars_str_suggest_init(struct tars_str_suggester *s, const char *word)
{
    size_t len = strlen(word);

    s->word = word;
    s->best = NULL;
    s->ambiguous = false;
    /* one past the farthest edit distance still taken for a typo */
    s->best_distance = len <= 3 ? 2 : len <= 6 ? 3 : 4;
}

void tars_str_suggest_add(struct tars_str_suggester *s, const char *candidate)
{
    size_t d = edit_distance(s->word, candidate);

    if (strlen(s->word) >= 3 && prefix_nocase(candidate, s->word) && d > 1)
        d = 1;
    if (d == 0 && strcmp(s->word, candidate) == 0)
        return; /* the word itself is no suggestion */
    if (d < s->best_distance) {
        s->best = candidate;
        s->best_distance = d;
        s->ambiguous = false;
    } else if (d == s->best_distance && s->best && strcmp(s->best, candidate) != 0) {
        s->ambiguous = true;
    }
}

const char *tars_str_suggest_best(const struct tars_str_suggester *s)
{
    return s->ambiguous ? NULL : s->best;
}

const char *tars_str_suggest(const char *word, const char *const *candidates, size_t count)
{
    struct tars_str_suggester s;

    tars_str_suggest_init(&s, word);
    for (size_t i = 0; i < count && candidates[i]; i++)
        tars_str_suggest_add(&s, candidates[i]);
    return tars_str_suggest_best(&s);
}
