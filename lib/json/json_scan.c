/*
 * tars_json_path over JSON text (tars/json.h): one pass that checks the whole
 * text as jansson would and notes where the path's value lies, so that a
 * load step extracting one value from each response builds no tree.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tars/json.h"
#include "tars/str.h"

#define SCAN_NONE SIZE_MAX /* a value off the path */
/* A value at step TARS_JSON_MAX_DEPTH + 1 would sit deeper than allowed. */
#define SCAN_MAX_STEPS (TARS_JSON_MAX_DEPTH + 1)
#define SCAN_NUMBER_MAX 64

enum step_kind { STEP_KEY, STEP_INDEX, STEP_BAD };

struct scan_step {
    enum step_kind kind;
    const char *key;
    size_t key_len;
    size_t index;
};

struct scan {
    const char *p, *end;
    const struct scan_step *steps;
    size_t nsteps;
    int depth;
    bool found, found_escaped;
    struct tars_json_span span;
};

/* The steps of path, read as tars_json_path reads them; a malformed step
 * (which tars_json_path answers with NULL) is STEP_BAD and matches nothing. */
static size_t scan_steps(const char *path, struct scan_step *st)
{
    const char *p = path;
    size_t n = 0;

    if (p[0] == '$')
        p += p[1] == '.' ? 2 : 1;
    while (*p) {
        if (n == SCAN_MAX_STEPS) {
            st[n++].kind = STEP_BAD;
            break;
        }
        if (*p == '.')
            p++;
        if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || idx < 0) {
                st[n++].kind = STEP_BAD;
                break;
            }
            st[n++] = (struct scan_step){STEP_INDEX, NULL, 0, (size_t)idx};
            p = end + 1;
            continue;
        }
        st[n].key_len = strcspn(p, ".[");
        if (st[n].key_len == 0 || st[n].key_len > TARS_JSON_PATH_MAX_KEY) {
            st[n++].kind = STEP_BAD;
            break;
        }
        st[n].kind = STEP_KEY;
        st[n].key = p;
        p += st[n++].key_len;
    }
    return n;
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool at(const struct scan *s, char c)
{
    return s->p < s->end && *s->p == c;
}

static bool hex4(const char *p, const char *end, unsigned *out)
{
    *out = 0;
    if (end - p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        *out = *out << 4 | d;
    }
    return true;
}

/* The escape at *pp (its backslash) as jansson accepts it: no \u0000, a high
 * surrogate only with its low one. */
static bool scan_escape(const char **pp, const char *end)
{
    const char *p = *pp + 1;
    unsigned hi, lo;

    if (p < end && *p && strchr("\"\\/bfnrt", *p)) {
        *pp = p + 1;
        return true;
    }
    if (p >= end || *p != 'u' || !hex4(p + 1, end, &hi) || hi == 0 ||
        (hi >= 0xDC00 && hi <= 0xDFFF))
        return false;
    p += 5;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (end - p < 2 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, &lo) || lo < 0xDC00 ||
            lo > 0xDFFF)
            return false;
        p += 6;
    }
    *pp = p;
    return true;
}

/* The UTF-8 sequence at p, read without passing end. */
static size_t utf8_len(const char *p, const char *end)
{
    char tail[5] = {0};

    if (end - p >= 4)
        return tars_utf8_seq_len(p);
    memcpy(tail, p, (size_t)(end - p));
    return tars_utf8_seq_len(tail);
}

static enum tars_json_scan_rc scan_string(struct scan *s, const char **text, size_t *len,
                                          bool *escaped)
{
    const char *p = s->p + 1;

    *text = p;
    *escaped = false;
    while (p < s->end && *p != '"') {
        unsigned char c = (unsigned char)*p;
        size_t n = 1;
        if (c >= 0x20 && c < 0x80 && c != '\\') { /* printable ASCII: nothing to check */
            p++;
            continue;
        }
        if (c < 0x20)
            return TARS_JSON_SCAN_INVALID;
        if (c == '\\') {
            *escaped = true;
            if (!scan_escape(&p, s->end))
                return TARS_JSON_SCAN_INVALID;
            continue;
        }
        if (c >= 0x80 && (n = utf8_len(p, s->end)) == 0)
            return TARS_JSON_SCAN_INVALID;
        p += n;
    }
    if (p >= s->end)
        return TARS_JSON_SCAN_INVALID;
    *len = (size_t)(p - *text);
    s->p = p + 1;
    return TARS_JSON_SCAN_FOUND;
}

static const char *skip_digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

static bool is_digit_at(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* A number by jansson's grammar and range: integers fit in long long, reals
 * do not overflow a double. */
static enum tars_json_scan_rc scan_number(struct scan *s, json_type *type)
{
    const char *p = s->p, *end = s->end, *digits;
    char buf[SCAN_NUMBER_MAX];
    bool real = false, exponent = false;
    size_t n;

    if (p < end && *p == '-')
        p++;
    if (!is_digit_at(p, end))
        return TARS_JSON_SCAN_INVALID;
    if (*p == '0' && is_digit_at(p + 1, end))
        return TARS_JSON_SCAN_INVALID;
    digits = p;
    p = skip_digits(p, end);
    if (p < end && *p == '.') {
        real = true;
        if (!is_digit_at(++p, end))
            return TARS_JSON_SCAN_INVALID;
        p = skip_digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = exponent = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit_at(p, end))
            return TARS_JSON_SCAN_INVALID;
        p = skip_digits(p, end);
    }
    n = (size_t)(p - s->p);
    if (n >= sizeof(buf))
        return TARS_JSON_SCAN_UNSUPPORTED;
    *type = real ? JSON_REAL : JSON_INTEGER;
    /* Out of range is only possible for an integer of 19 digits or more, or
     * a real with an exponent (without one, under 64 bytes, it is below
     * 1e64): the others need no conversion. */
    if (real ? !exponent : p - digits <= 18) {
        s->p = p;
        return TARS_JSON_SCAN_FOUND;
    }
    memcpy(buf, s->p, n);
    buf[n] = '\0';
    errno = 0;
    if (real) {
        double d = strtod(buf, NULL);
        if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
            return TARS_JSON_SCAN_INVALID;
    } else if ((void)strtoll(buf, NULL, 10), errno == ERANGE) {
        return TARS_JSON_SCAN_INVALID;
    }
    s->p = p;
    return TARS_JSON_SCAN_FOUND;
}

static enum tars_json_scan_rc scan_literal(struct scan *s, json_type *type)
{
    static const struct {
        const char *text;
        json_type type;
    } lits[] = {{"true", JSON_TRUE}, {"false", JSON_FALSE}, {"null", JSON_NULL}};

    for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
        size_t n = strlen(lits[i].text);
        if ((size_t)(s->end - s->p) >= n && memcmp(s->p, lits[i].text, n) == 0) {
            s->p += n;
            *type = lits[i].type;
            return TARS_JSON_SCAN_FOUND;
        }
    }
    return TARS_JSON_SCAN_INVALID;
}

static enum tars_json_scan_rc scan_value(struct scan *s, size_t want);

/* After a member or element: ',' (true) or the closing c (false, *rc ok). */
static bool scan_next(struct scan *s, char c, enum tars_json_scan_rc *rc)
{
    skip_ws(s);
    if (at(s, ',')) {
        s->p++;
        skip_ws(s);
        return true;
    }
    *rc = at(s, c) ? TARS_JSON_SCAN_FOUND : TARS_JSON_SCAN_INVALID;
    if (*rc == TARS_JSON_SCAN_FOUND)
        s->p++;
    return false;
}

static enum tars_json_scan_rc scan_object(struct scan *s, size_t want)
{
    const struct scan_step *st = want < s->nsteps ? &s->steps[want] : NULL;
    enum tars_json_scan_rc rc = TARS_JSON_SCAN_FOUND;
    const char *key;
    size_t key_len, next;
    bool escaped;

    s->p++;
    skip_ws(s);
    if (at(s, '}')) {
        s->p++;
        return rc;
    }
    do {
        if (!at(s, '"'))
            return TARS_JSON_SCAN_INVALID;
        if ((rc = scan_string(s, &key, &key_len, &escaped)) != TARS_JSON_SCAN_FOUND)
            return rc;
        skip_ws(s);
        if (!at(s, ':'))
            return TARS_JSON_SCAN_INVALID;
        s->p++;
        skip_ws(s);
        next = SCAN_NONE;
        if (st && st->kind == STEP_KEY) {
            if (escaped)
                return TARS_JSON_SCAN_UNSUPPORTED;
            if (key_len == st->key_len && memcmp(key, st->key, key_len) == 0) {
                next = want + 1;
                s->found = false; /* a later duplicate replaces an earlier one */
            }
        }
        if ((rc = scan_value(s, next)) != TARS_JSON_SCAN_FOUND)
            return rc;
    } while (scan_next(s, '}', &rc));
    return rc;
}

static enum tars_json_scan_rc scan_array(struct scan *s, size_t want)
{
    const struct scan_step *st = want < s->nsteps ? &s->steps[want] : NULL;
    enum tars_json_scan_rc rc = TARS_JSON_SCAN_FOUND;
    size_t i = 0;

    s->p++;
    skip_ws(s);
    if (at(s, ']')) {
        s->p++;
        return rc;
    }
    do {
        size_t next = st && st->kind == STEP_INDEX && st->index == i ? want + 1 : SCAN_NONE;
        if ((rc = scan_value(s, next)) != TARS_JSON_SCAN_FOUND)
            return rc;
        i++;
    } while (scan_next(s, ']', &rc));
    return rc;
}

/* One value; want is the index of the step that picks among its members (its
 * own text is the answer when want is nsteps), SCAN_NONE off the path. */
static enum tars_json_scan_rc scan_value(struct scan *s, size_t want)
{
    const char *start = s->p, *text = NULL;
    size_t len = 0, inner = want == s->nsteps ? SCAN_NONE : want;
    enum tars_json_scan_rc rc;
    bool escaped = false;
    json_type type;

    if (s->p >= s->end)
        return TARS_JSON_SCAN_INVALID;
    switch (*s->p) {
    case '{':
    case '[':
        if (++s->depth > TARS_JSON_MAX_DEPTH)
            return TARS_JSON_SCAN_INVALID;
        type = *s->p == '{' ? JSON_OBJECT : JSON_ARRAY;
        rc = type == JSON_OBJECT ? scan_object(s, inner) : scan_array(s, inner);
        s->depth--;
        break;
    case '"':
        type = JSON_STRING;
        rc = scan_string(s, &text, &len, &escaped);
        break;
    case 't':
    case 'f':
    case 'n': rc = scan_literal(s, &type); break;
    default: rc = scan_number(s, &type); break;
    }
    /* jansson drops a NUL byte right after a number or a literal (its
     * lexer's look-ahead): a text the scanner leaves to the tree */
    if (rc == TARS_JSON_SCAN_FOUND && type != JSON_STRING && type != JSON_OBJECT &&
        type != JSON_ARRAY && at(s, '\0'))
        return TARS_JSON_SCAN_UNSUPPORTED;
    if (rc != TARS_JSON_SCAN_FOUND || want != s->nsteps)
        return rc;
    s->found = true;
    s->found_escaped = escaped;
    s->span.type = type;
    s->span.at = text ? text : start;
    s->span.len = text ? len : (size_t)(s->p - start);
    return rc;
}

enum tars_json_scan_rc tars_json_scan_path(const char *data, size_t len, const char *path,
                                           struct tars_json_span *out)
{
    struct scan_step steps[SCAN_MAX_STEPS + 1];
    struct scan s = {0};
    enum tars_json_scan_rc rc;

    if (!data)
        data = "", len = 0;
    if (len > TARS_JSON_MAX_BYTES)
        return TARS_JSON_SCAN_INVALID;
    s.p = data;
    s.end = data + len;
    s.steps = steps;
    s.nsteps = scan_steps(path, steps);
    skip_ws(&s);
    if (!at(&s, '{') && !at(&s, '['))
        return TARS_JSON_SCAN_INVALID; /* jansson's default: an object or an array */
    if ((rc = scan_value(&s, 0)) != TARS_JSON_SCAN_FOUND)
        return rc;
    skip_ws(&s);
    if (s.p != s.end)
        return TARS_JSON_SCAN_INVALID;
    if (!s.found)
        return TARS_JSON_SCAN_ABSENT;
    if (s.found_escaped)
        return TARS_JSON_SCAN_UNSUPPORTED;
    *out = s.span;
    return TARS_JSON_SCAN_FOUND;
}
