/* JSON form of a histogram (layout in tars/hist.h) and its validation. */
#include "hist_int.h"

#include <inttypes.h>
#include <string.h>

#include "tars/json.h"

#define U128_DIGITS 40 /* 2^128 has 39 decimal digits */

static void u128_format(hist_u128 v, char out[U128_DIGITS])
{
    char rev[U128_DIGITS];
    size_t n = 0;

    do {
        rev[n++] = (char)('0' + (unsigned)(v % 10));
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = '\0';
}

/* Digits only, no sign, no leading zero, below 2^128. */
static bool u128_parse(const char *s, hist_u128 *out)
{
    const hist_u128 top = ~(hist_u128)0;
    hist_u128 v = 0;

    if (!*s || (s[0] == '0' && s[1]))
        return false;
    for (; *s; s++) {
        unsigned digit = (unsigned)(*s - '0');

        if (*s < '0' || *s > '9' || v > (top - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *out = v;
    return true;
}

static json_t *buckets_to_json(const tars_hist *h)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < TARS_HIST_BUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        if (json_array_append_new(list,
                                  json_pack("[II]", (json_int_t)i, (json_int_t)h->buckets[i]))) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

int tars_hist_to_json(const tars_hist *h, json_t **out, struct tars_err *err)
{
    char sum[U128_DIGITS], squares[U128_DIGITS];
    json_t *v;

    u128_format(h->sum, sum);
    u128_format(h->sum_squares, squares);
    v = json_pack("{s:s, s:i, s:I, s:i, s:I, s:I, s:I, s:s, s:s, s:I, s:I}", "unit", "ns",
                  "sub_bucket_bits", TARS_HIST_SUB_BUCKET_BITS, "highest",
                  (json_int_t)TARS_HIST_HIGHEST, "bucket_count", TARS_HIST_BUCKETS, "count",
                  (json_int_t)h->count, "min", (json_int_t)tars_hist_min(h), "max",
                  (json_int_t)h->max, "sum", sum, "sum_squares", squares, "saturated",
                  (json_int_t)h->saturated, "lost", (json_int_t)h->lost);
    /* json_object_set_new releases the buckets even when it fails. */
    if (!v || json_object_set_new(v, "buckets", buckets_to_json(h))) {
        json_decref(v);
        return tars_err_set(err, TARS_EINTERNAL, "out of memory writing a histogram");
    }
    *out = v;
    return TARS_OK;
}

/* A JSON integer in [0, max]. */
static bool integer_in(const json_t *v, uint64_t max, uint64_t *out)
{
    json_int_t i;

    if (!json_is_integer(v))
        return false;
    i = json_integer_value(v);
    if (i < 0 || (uint64_t)i > max)
        return false;
    *out = (uint64_t)i;
    return true;
}

static int read_uint(const json_t *obj, const char *key, uint64_t max, uint64_t *out,
                     struct tars_err *err)
{
    const json_t *v = json_object_get(obj, key);

    if (!v)
        return tars_err_set(err, TARS_EINVAL, "missing \"%s\"", key);
    if (!integer_in(v, max, out))
        return tars_err_set(err, TARS_EINVAL, "invalid \"%s\": must be an integer in 0..%" PRIu64,
                            key, max);
    return TARS_OK;
}

static int read_u128(const json_t *obj, const char *key, hist_u128 *out, struct tars_err *err)
{
    const json_t *v = json_object_get(obj, key);

    if (!v)
        return tars_err_set(err, TARS_EINVAL, "missing \"%s\"", key);
    if (!json_is_string(v) || !u128_parse(json_string_value(v), out))
        return tars_err_set(err, TARS_EINVAL,
                            "invalid \"%s\": must be a string of decimal digits below 2^128", key);
    return TARS_OK;
}

/* One layout parameter: present, an integer, equal to this build's. */
static int check_parameter(const json_t *v, const char *key, uint64_t expected,
                           struct tars_err *err)
{
    const json_t *p = json_object_get(v, key);

    if (!json_is_integer(p) || json_integer_value(p) != (json_int_t)expected)
        return tars_err_set(err, TARS_EINVAL,
                            "incompatible histogram: \"%s\" must be %" PRIu64 " in this build", key,
                            expected);
    return TARS_OK;
}

static int check_layout(const json_t *v, struct tars_err *err)
{
    const json_t *unit = json_object_get(v, "unit");
    int rc;

    if (!json_is_string(unit) || strcmp(json_string_value(unit), "ns") != 0)
        return tars_err_set(err, TARS_EINVAL, "incompatible histogram: \"unit\" must be \"ns\"");
    rc = check_parameter(v, "sub_bucket_bits", TARS_HIST_SUB_BUCKET_BITS, err);
    if (!rc)
        rc = check_parameter(v, "highest", TARS_HIST_HIGHEST, err);
    if (!rc)
        rc = check_parameter(v, "bucket_count", TARS_HIST_BUCKETS, err);
    return rc;
}

static int read_totals(const json_t *v, tars_hist *h, struct tars_err *err)
{
    int rc = read_uint(v, "count", TARS_HIST_MAX_COUNT, &h->count, err);

    if (!rc)
        rc = read_uint(v, "min", TARS_HIST_HIGHEST, &h->min, err);
    if (!rc)
        rc = read_uint(v, "max", TARS_HIST_HIGHEST, &h->max, err);
    if (!rc)
        rc = read_uint(v, "saturated", TARS_HIST_MAX_COUNT, &h->saturated, err);
    if (!rc)
        rc = read_uint(v, "lost", HIST_LOST_MAX, &h->lost, err);
    if (!rc)
        rc = read_u128(v, "sum", &h->sum, err);
    if (!rc)
        rc = read_u128(v, "sum_squares", &h->sum_squares, err);
    return rc;
}

/* buckets[i] = [index, count], index above *next, count >= 0; adds to *total. */
static int read_bucket(const json_t *pair, size_t i, size_t *next, uint64_t *total, tars_hist *h,
                       struct tars_err *err)
{
    uint64_t index, count;

    if (!json_is_array(pair) || json_array_size(pair) != 2)
        return tars_err_set(err, TARS_EINVAL, "invalid \"buckets\"[%zu]: must be [index, count]",
                            i);
    if (!integer_in(json_array_get(pair, 0), TARS_HIST_BUCKETS - 1, &index))
        return tars_err_set(err, TARS_EINVAL,
                            "invalid \"buckets\"[%zu]: index must be an integer in 0..%d", i,
                            TARS_HIST_BUCKETS - 1);
    if (index < *next)
        return tars_err_set(err, TARS_EINVAL,
                            "invalid \"buckets\"[%zu]: index %" PRIu64 " is not above the last", i,
                            index);
    if (!integer_in(json_array_get(pair, 1), TARS_HIST_MAX_COUNT - *total, &count))
        return tars_err_set(err, TARS_EINVAL,
                            "invalid \"buckets\"[%zu]: count must be a non-negative integer, "
                            "all together at most %" PRIu64,
                            i, TARS_HIST_MAX_COUNT);
    h->buckets[index] = count;
    *total += count;
    *next = (size_t)index + 1;
    return TARS_OK;
}

static int read_buckets(const json_t *v, tars_hist *h, uint64_t *total, struct tars_err *err)
{
    const json_t *list = json_object_get(v, "buckets");
    size_t next = 0;

    if (!json_is_array(list))
        return tars_err_set(err, TARS_EINVAL, "invalid \"buckets\": must be an array");
    *total = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        int rc = read_bucket(json_array_get(list, i), i, &next, total, h, err);
        if (rc)
            return rc;
    }
    return TARS_OK;
}

static int inconsistent(struct tars_err *err, const char *what)
{
    return tars_err_set(err, TARS_EINVAL, "inconsistent histogram: %s", what);
}

/* The exact sums must lie between what the buckets' bounds (narrowed by
 * min and max) allow, and the variance they imply must not be negative. */
static int check_sums(const tars_hist *h, struct tars_err *err)
{
    hist_u128 lo = 0, hi = 0, lo2 = 0, hi2 = 0, need;
    uint64_t whole = (uint64_t)(h->sum / h->count), rest = (uint64_t)(h->sum % h->count);

    for (size_t i = 0; i < TARS_HIST_BUCKETS; i++) {
        uint64_t low = tars_hist_bucket_low(i), high = tars_hist_bucket_high(i);
        uint64_t n = h->buckets[i];

        low = low < h->min ? h->min : low;
        high = high > h->max ? h->max : high;
        lo += (hist_u128)low * n;
        hi += (hist_u128)high * n;
        lo2 += (hist_u128)low * low * n;
        hi2 += (hist_u128)high * high * n;
    }
    if (h->sum < lo || h->sum > hi)
        return inconsistent(err, "\"sum\" is outside what the buckets allow");
    if (h->sum_squares < lo2 || h->sum_squares > hi2)
        return inconsistent(err, "\"sum_squares\" is outside what the buckets allow");
    need = (hist_u128)h->count * whole * whole + (hist_u128)2 * whole * rest +
           ((hist_u128)rest * rest + h->count - 1) / h->count;
    if (h->sum_squares < need)
        return inconsistent(err, "\"sum_squares\" is below \"sum\" squared over \"count\"");
    return TARS_OK;
}

static int check_range(const tars_hist *h, struct tars_err *err)
{
    size_t first = 0, last = TARS_HIST_BUCKETS - 1;

    while (!h->buckets[first])
        first++;
    while (!h->buckets[last])
        last--;
    if (h->min > h->max)
        return inconsistent(err, "\"min\" is above \"max\"");
    if (tars_hist_bucket_of(h->min) != first)
        return inconsistent(err, "\"min\" is not in the first non-empty bucket");
    if (tars_hist_bucket_of(h->max) != last)
        return inconsistent(err, "\"max\" is not in the last non-empty bucket");
    if (h->saturated > h->buckets[TARS_HIST_BUCKETS - 1] ||
        (h->saturated && h->max != TARS_HIST_HIGHEST))
        return inconsistent(err, "\"saturated\" is more than the top bucket holds");
    return TARS_OK;
}

static int check_totals(tars_hist *h, uint64_t total, struct tars_err *err)
{
    int rc;

    if (total != h->count)
        return tars_err_set(err, TARS_EINVAL,
                            "inconsistent histogram: \"count\" is %" PRIu64
                            " but the buckets hold %" PRIu64,
                            h->count, total);
    if (h->count == 0) {
        if (h->min || h->max || h->sum || h->sum_squares || h->saturated)
            return inconsistent(err, "an empty histogram must have zero min, max, sums and "
                                     "saturated");
        h->min = UINT64_MAX;
        return TARS_OK;
    }
    rc = check_range(h, err);
    return rc ? rc : check_sums(h, err);
}

int tars_hist_from_json(const json_t *v, tars_hist **out, struct tars_err *err)
{
    tars_hist *h = NULL;
    uint64_t total = 0;
    int rc;

    if (!json_is_object(v))
        return tars_err_set(err, TARS_EINVAL, "a histogram must be a JSON object");
    rc = check_layout(v, err);
    if (rc)
        return rc;
    h = tars_hist_new();
    rc = read_totals(v, h, err);
    if (rc)
        goto out;
    rc = read_buckets(v, h, &total, err);
    if (rc)
        goto out;
    rc = check_totals(h, total, err);
    if (rc)
        goto out;
    *out = h;
    h = NULL;
out:
    tars_hist_free(h);
    return rc;
}
