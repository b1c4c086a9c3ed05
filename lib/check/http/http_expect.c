/*
 * Judging an HTTP reply against a check's `expect` mapping: status (a code,
 * a class such as "2xx", or a list), JSON paths (equals, contains, exists,
 * in, min_length), body text (contains, optionally case-insensitive, or any
 * of a list) and headers present. Pure functions over a reply, so the unit
 * tests feed them canned answers.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "tars/json.h"
#include "tars/str.h"

#define SHOWN_VALUE_MAX 80

bool check_json_number(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    return json_is_string(v) && tars_parse_double(json_string_value(v), out) == 0;
}

bool check_json_bool(json_t *v, bool *out)
{
    const char *s = json_string_value(v);

    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
        *out = s[0] == 't';
    else
        return false;
    return true;
}

/* ---- status ---- */

static bool status_one(json_t *want, long status)
{
    const char *s = json_string_value(want);
    double n;

    if (s && strlen(s) == 3 && isdigit((unsigned char)s[0]) && (s[1] == 'x' || s[1] == 'X') &&
        (s[2] == 'x' || s[2] == 'X'))
        return status / 100 == s[0] - '0';
    return check_json_number(want, &n) && (double)status == n;
}

bool http_status_matches(json_t *want, long status)
{
    size_t i;
    json_t *w;

    if (!want)
        return status >= 200 && status < 300;
    if (!json_is_array(want))
        return status_one(want, status);
    json_array_foreach(want, i, w) {
        if (status_one(w, status))
            return true;
    }
    return false;
}

static void status_one_text(json_t *w, char *buf, size_t size)
{
    double n;

    if (json_is_string(w))
        snprintf(buf, size, "%s", json_string_value(w));
    else if (check_json_number(w, &n))
        snprintf(buf, size, "%.0f", n);
    else
        snprintf(buf, size, "?");
}

void http_status_describe(json_t *want, char *buf, size_t size)
{
    size_t i, len = 0;
    json_t *w;
    char one[32];

    if (!want) {
        snprintf(buf, size, "2xx");
        return;
    }
    if (!json_is_array(want)) {
        status_one_text(want, buf, size);
        return;
    }
    buf[0] = '\0';
    json_array_foreach(want, i, w) {
        status_one_text(w, one, sizeof(one));
        if (len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " or " : "", one);
    }
}

/* ---- values ---- */

static void value_text(json_t *v, char *out, size_t size)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

    if (!text) {
        snprintf(out, size, "?");
        return;
    }
    if (strlen(text) > SHOWN_VALUE_MAX)
        snprintf(out, size, "%.*s...", SHOWN_VALUE_MAX, text);
    else
        snprintf(out, size, "%s", text);
    free(text);
}

/* Equal as JSON, except that numbers compare by value and a numeric (or
 * boolean) string written in a suite matches the number (or boolean). */
static bool loose_equal(json_t *have, json_t *want)
{
    double a, b;
    bool x, y;

    if (json_is_number(have) && check_json_number(want, &b))
        return check_json_number(have, &a) && a == b;
    if (json_is_boolean(have) && check_json_bool(want, &y))
        return check_json_bool(have, &x) && x == y;
    return json_equal(have, want);
}

static bool list_has(json_t *list, json_t *want)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v) {
        if (loose_equal(v, want))
            return true;
    }
    return false;
}

static bool contains(json_t *have, json_t *want)
{
    if (json_is_string(have) && json_is_string(want))
        return strstr(json_string_value(have), json_string_value(want)) != NULL;
    if (json_is_array(have))
        return list_has(have, want);
    if (json_is_object(have) && json_is_string(want))
        return json_object_get(have, json_string_value(want)) != NULL;
    return false;
}

static size_t length_of(json_t *v)
{
    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_object(v))
        return json_object_size(v);
    return json_is_string(v) ? json_string_length(v) : 0;
}

/* ---- JSON expectations ---- */

static bool expect_exists(json_t *e, json_t *v, const char *path, char *why, size_t size)
{
    bool want = true;

    if (!json_object_get(e, "exists"))
        return true;
    check_json_bool(json_object_get(e, "exists"), &want);
    if ((v != NULL) == want)
        return true;
    snprintf(why, size, "json %s is %s", path, want ? "absent" : "present, expected absent");
    return false;
}

static bool expect_value(json_t *e, json_t *v, const char *path, char *why, size_t size)
{
    json_t *eq = json_object_get(e, "equals"), *in = json_object_get(e, "in");
    json_t *has = json_object_get(e, "contains"), *min = json_object_get(e, "min_length");
    char seen[SHOWN_VALUE_MAX + 8], want[SHOWN_VALUE_MAX + 8];
    double n = 0;

    if (!eq && !in && !has && !min)
        return true;
    if (!v) {
        snprintf(why, size, "json %s is absent", path);
        return false;
    }
    value_text(v, seen, sizeof(seen));
    if (eq && !loose_equal(v, eq)) {
        value_text(eq, want, sizeof(want));
        snprintf(why, size, "json %s is %s, expected %s", path, seen, want);
    } else if (in && !list_has(in, v)) {
        value_text(in, want, sizeof(want));
        snprintf(why, size, "json %s is %s, expected one of %s", path, seen, want);
    } else if (has && !contains(v, has)) {
        value_text(has, want, sizeof(want));
        snprintf(why, size, "json %s is %s, which does not contain %s", path, seen, want);
    } else if (min && check_json_number(min, &n) && (double)length_of(v) < n) {
        snprintf(why, size, "json %s has length %zu, expected at least %.0f", path, length_of(v),
                 n);
    } else {
        return true;
    }
    return false;
}

bool http_expect_json(json_t *list, json_t *doc, char *why, size_t size)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        json_t *v = path ? tars_json_path(doc, path) : NULL;
        if (!path) {
            snprintf(why, size, "json expectation %zu has no path", i + 1);
            return false;
        }
        if (!expect_exists(e, v, path, why, size) || !expect_value(e, v, path, why, size))
            return false;
    }
    return true;
}

/* ---- body and headers ---- */

void http_body_excerpt(const char *body, size_t len, char *out, size_t size)
{
    size_t n = len < 120 ? len : 120, o = 0;

    for (size_t i = 0; body && i < n && o + 1 < size; i++)
        out[o++] = isprint((unsigned char)body[i]) ? body[i] : ' ';
    if (o + 4 < size && n < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static bool body_has(const char *body, const char *needle, bool nocase)
{
    if (!body)
        return needle[0] == '\0';
    return nocase ? strcasestr(body, needle) != NULL : strstr(body, needle) != NULL;
}

static bool expect_body(json_t *expect, const struct tars_check_fetch_reply *r, char *why,
                        size_t size)
{
    json_t *one = json_object_get(expect, "body_contains");
    json_t *any = json_object_get(expect, "body_contains_any"), *v;
    char list[SHOWN_VALUE_MAX + 8];
    bool nocase = false;
    size_t i;

    check_json_bool(json_object_get(expect, "case_insensitive"), &nocase);
    if (json_is_string(one) && !body_has(r->body, json_string_value(one), nocase)) {
        snprintf(why, size, "body does not contain \"%s\"", json_string_value(one));
        return false;
    }
    if (!json_is_array(any))
        return true;
    json_array_foreach(any, i, v) {
        if (json_is_string(v) && body_has(r->body, json_string_value(v), nocase))
            return true;
    }
    value_text(any, list, sizeof(list));
    snprintf(why, size, "body contains none of %s", list);
    return false;
}

static bool expect_headers(json_t *expect, const struct tars_check_fetch_reply *r, char *why,
                           size_t size)
{
    json_t *list = json_object_get(expect, "header_present"), *v;
    char value[256];
    size_t i;

    json_array_foreach(list, i, v) {
        if (json_is_string(v) &&
            !tars_check_fetch_reply_header(r, json_string_value(v), value, sizeof(value))) {
            snprintf(why, size, "header %s is missing", json_string_value(v));
            return false;
        }
    }
    return true;
}

static bool expect_json_body(json_t *expect, const struct tars_check_fetch_reply *r, char *why,
                             size_t size)
{
    json_t *list = json_object_get(expect, "json"), *doc = NULL;
    struct tars_err err = TARS_ERR_INIT;
    bool ok;

    if (!list)
        return true;
    if (!r->body || tars_json_parse(r->body, r->body_len, &doc, &err) != 0) {
        snprintf(why, size, "body is not JSON (%s)", r->body ? err.msg : "empty");
        return false;
    }
    ok = http_expect_json(list, doc, why, size);
    json_decref(doc);
    return ok;
}

bool http_expect_content(json_t *expect, const struct tars_check_fetch_reply *reply, char *why,
                         size_t size)
{
    if (!expect)
        return true;
    return expect_headers(expect, reply, why, size) && expect_body(expect, reply, why, size) &&
           expect_json_body(expect, reply, why, size);
}

/* ---- latency ---- */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double http_percentile(double *v, size_t n, double p)
{
    size_t rank;

    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), compare_doubles);
    rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

void http_latency_judge(double *times, size_t kept, long samples, double percentile,
                        double below_ms, const char *wanted, struct tars_check_result *out)
{
    double p;

    if (kept == 0) {
        tars_check_error(out, false, "no latency sample: none of %ld requests answered %s", samples,
                         wanted);
        return;
    }
    for (size_t i = 0; i < kept; i++)
        if (!isfinite(times[i])) {
            tars_check_error(out, false, "latency sample %zu is %s: nothing to judge", i + 1,
                             isnan(times[i]) ? "NaN"
                             : times[i] > 0  ? "+Inf"
                                             : "-Inf");
            return;
        }
    p = http_percentile(times, kept, percentile);
    if (p < below_ms)
        tars_check_pass(out, "p%g %.1f ms < %g ms over %zu samples", percentile, p, below_ms, kept);
    else
        tars_check_fail(out, "p%g %.1f ms, expected < %g ms (%zu samples, max %.1f ms)", percentile,
                        p, below_ms, kept, times[kept - 1]);
}

/* ---- validation ---- */

static const char *const json_ops[] = {"path", "equals",     "contains", "exists",
                                       "in",   "min_length", NULL};
static const char *const expect_keys[] = {
    "status",         "json", "body_contains", "case_insensitive", "body_contains_any",
    "header_present", NULL};

static bool status_valid(json_t *w)
{
    const char *s = json_string_value(w);
    double n;

    if (s && strlen(s) == 3 && strchr("12345", s[0]) && strcasecmp(s + 1, "xx") == 0)
        return true;
    return check_json_number(w, &n) && n >= 100 && n <= 599 && n == floor(n);
}

bool http_status_valid(json_t *want)
{
    size_t i;
    json_t *w;

    if (!json_is_array(want))
        return status_valid(want);
    json_array_foreach(want, i, w) {
        if (!status_valid(w))
            return false;
    }
    return json_array_size(want) > 0;
}

#define EXPECT_TEXT_MAX 65536 /* a string to look for */

/* A status (200), a class ("2xx") or a non-empty list of them, if present. */
int http_status_read(const struct tars_json_reader *rd, json_t *obj, const char *key,
                     enum tars_json_need need)
{
    int rc;
    json_t *v = tars_json_member(rd, obj, key, need, &rc);

    if (v && !http_status_valid(v))
        return tars_json_fail(rd, v, TARS_EINVAL,
                              "%s must be a status (200), a class (\"2xx\") or a list of them",
                              key);
    return rc;
}

/* One item of expect.json: a path and at least one test of what is there. */
static int json_item_read(const struct tars_json_reader *rd, json_t *e)
{
    const char *path;
    json_t *in;
    bool exists;
    int rc;

    if ((rc = tars_json_check_keys(rd, e, "an item of json", json_ops, NULL)) ||
        (rc = tars_json_get_string(rd, e, "path", TARS_JSON_REQUIRED, EXPECT_TEXT_MAX, &path)) ||
        (rc = tars_json_get_bool(rd, e, "exists", TARS_JSON_OPTIONAL, &exists)))
        return rc;
    if (json_object_size(e) < 2)
        return tars_json_fail(rd, e, TARS_EINVAL,
                              "an item of json needs equals, contains, exists, in or min_length");
    in = json_object_get(e, "in");
    if (in && !json_is_array(in))
        return tars_json_fail(rd, in, TARS_EINVAL, "in must be a list, not %s", tars_json_kind(in));
    return TARS_OK;
}

static int json_list_read(const struct tars_json_reader *rd, json_t *expect)
{
    json_t *list = json_object_get(expect, "json"), *e;
    size_t i;
    int rc;

    if (!list)
        return TARS_OK;
    if (!json_is_array(list))
        return tars_json_fail(
            rd, list, TARS_EINVAL,
            "json must be a list of {path, equals|contains|exists|in|min_length}, "
            "not %s",
            tars_json_kind(list));
    json_array_foreach(list, i, e)
        if ((rc = json_item_read(rd, e)))
            return rc;
    return TARS_OK;
}

int http_expect_read(const struct tars_json_reader *rd, json_t *expect)
{
    json_t *list;
    const char *text;
    bool nocase;
    int rc;

    if ((rc = tars_json_check_keys(rd, expect, "expect", expect_keys, NULL)) ||
        (rc = http_status_read(rd, expect, "status", TARS_JSON_OPTIONAL)) ||
        (rc = json_list_read(rd, expect)) ||
        (rc = tars_json_get_string(rd, expect, "body_contains", TARS_JSON_OPTIONAL, EXPECT_TEXT_MAX,
                                   &text)) ||
        (rc = tars_json_get_bool(rd, expect, "case_insensitive", TARS_JSON_OPTIONAL, &nocase)) ||
        (rc = tars_json_get_strings(rd, expect, "body_contains_any", TARS_JSON_OPTIONAL, 0,
                                    SIZE_MAX, EXPECT_TEXT_MAX, &list)))
        return rc;
    return tars_json_get_strings(rd, expect, "header_present", TARS_JSON_OPTIONAL, 0, SIZE_MAX,
                                 EXPECT_TEXT_MAX, &list);
}
