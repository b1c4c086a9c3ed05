#include "hist_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/dassert.h"

#define SUB_BITS TARS_HIST_SUB_BUCKET_BITS
#define LINEAR_LIMIT ((size_t)2 << SUB_BITS) /* indexes below are the value itself */

/*
 * Bucket index of value <= TARS_HIST_HIGHEST. With msb the position of the
 * highest set bit, shifting by msb - SUB_BITS leaves a mantissa in
 * [2^SUB_BITS, 2^(SUB_BITS+1)): the top SUB_BITS+1 bits of the value. Each
 * shift owns 2^SUB_BITS consecutive indexes, so index = shift * 2^SUB_BITS +
 * mantissa. Small values (msb <= SUB_BITS) take shift 0 and index = value,
 * which joins the first shifted range without a gap.
 */
static inline size_t bucket_index(uint64_t value)
{
    unsigned msb = 63u - (unsigned)__builtin_clzll(value | 1);
    unsigned shift = msb > SUB_BITS ? msb - SUB_BITS : 0;

    return ((size_t)shift << SUB_BITS) + (size_t)(value >> shift);
}

static unsigned bucket_shift(size_t index)
{
    return index < LINEAR_LIMIT ? 0 : (unsigned)(index >> SUB_BITS) - 1;
}

size_t tars_hist_bucket_of(uint64_t value)
{
    return bucket_index(value > TARS_HIST_HIGHEST ? TARS_HIST_HIGHEST : value);
}

uint64_t tars_hist_bucket_low(size_t index)
{
    unsigned shift = bucket_shift(index);

    return (uint64_t)(index - ((size_t)shift << SUB_BITS)) << shift;
}

uint64_t tars_hist_bucket_high(size_t index)
{
    return tars_hist_bucket_low(index) + ((UINT64_C(1) << bucket_shift(index)) - 1);
}

static uint64_t bucket_mid(size_t index)
{
    return tars_hist_bucket_low(index) + ((UINT64_C(1) << bucket_shift(index)) >> 1);
}

/* The invariants every operation keeps (checked in debug builds): empty is
 * min UINT64_MAX and max 0, else min <= max within range. */
static inline bool hist_valid(const tars_hist *h)
{
    if (!h || h->count > TARS_HIST_MAX_COUNT || h->lost > HIST_LOST_MAX)
        return false;
    if (h->count == 0)
        return h->min == UINT64_MAX && h->max == 0;
    return h->min <= h->max && h->max <= TARS_HIST_HIGHEST;
}

uint64_t tars_hist_bucket_count(const tars_hist *h, size_t index)
{
    return index < TARS_HIST_BUCKETS ? h->buckets[index] : 0;
}

tars_hist *tars_hist_new(void)
{
    tars_hist *h = xcalloc(1, sizeof(*h));

    tars_hist_reset(h);
    return h;
}

void tars_hist_free(tars_hist *h)
{
    free(h);
}

void tars_hist_reset(tars_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void tars_hist_copy(tars_hist *dst, const tars_hist *src)
{
    TARS_DASSERT(dst && hist_valid(src));
    if (dst != src)
        memcpy(dst, src, sizeof(*dst));
}

size_t tars_hist_size(void)
{
    return sizeof(struct tars_hist);
}

/* True when n more values fit; otherwise counts them as lost. */
static bool has_room(tars_hist *h, uint64_t n)
{
    if (n <= TARS_HIST_MAX_COUNT - h->count)
        return true;
    h->lost = n > HIST_LOST_MAX - h->lost ? HIST_LOST_MAX : h->lost + n;
    return false;
}

static uint64_t clamp_value(tars_hist *h, uint64_t value, uint64_t n)
{
    if (value <= TARS_HIST_HIGHEST)
        return value;
    h->saturated += n;
    return TARS_HIST_HIGHEST;
}

static void add_values(tars_hist *h, size_t index, uint64_t n, hist_u128 sum, hist_u128 squares)
{
    h->buckets[index] += n;
    h->count += n;
    h->sum += sum;
    h->sum_squares += squares;
}

static void widen_range(tars_hist *h, uint64_t lowest, uint64_t highest)
{
    if (lowest < h->min)
        h->min = lowest;
    if (highest > h->max)
        h->max = highest;
}

void tars_hist_record(tars_hist *h, uint64_t value)
{
    TARS_DASSERT(hist_valid(h));
    if (__builtin_expect(!has_room(h, 1), 0))
        return;
    value = clamp_value(h, value, 1);
    h->buckets[bucket_index(value)]++;
    h->count++;
    h->sum += value;
    h->sum_squares += (hist_u128)value * value;
    widen_range(h, value, value);
}

void tars_hist_record_n(tars_hist *h, uint64_t value, uint64_t count)
{
    TARS_DASSERT(hist_valid(h));
    if (count == 0 || !has_room(h, count))
        return;
    value = clamp_value(h, value, count);
    add_values(h, bucket_index(value), count, (hist_u128)value * count,
               (hist_u128)value * value * count);
    widen_range(h, value, value);
}

/*
 * Adds the n values first, first - step, ..., first - (n-1)*step, all in
 * bucket index, with closed forms for their sum and sum of squares. With
 * first < 2^42 and n*step <= first every term stays below 2^127.
 */
static void add_run(tars_hist *h, size_t index, uint64_t first, uint64_t step, uint64_t n)
{
    hist_u128 pairs = (hist_u128)n * (n - 1) / 2;                 /* sum of k */
    hist_u128 squares = (hist_u128)n * (n - 1) * (2 * n - 1) / 6; /* sum of k^2 */
    hist_u128 sum = (hist_u128)first * n - pairs * step;
    hist_u128 sq = (hist_u128)first * first * n + (hist_u128)step * step * squares -
                   (hist_u128)2 * first * step * pairs;

    add_values(h, index, n, sum, sq);
    widen_range(h, first - (n - 1) * step, first);
}

/* The back-fill of tars_hist_record_corrected, one add_run per bucket. */
static void backfill(tars_hist *h, uint64_t value, uint64_t interval)
{
    uint64_t next;

    if (interval == 0 || value < interval)
        return;
    next = value - interval;
    while (next >= interval) {
        size_t index = bucket_index(next);
        uint64_t low = tars_hist_bucket_low(index);
        uint64_t floor = low > interval ? low : interval;
        uint64_t n = (next - floor) / interval + 1;

        add_run(h, index, next, interval, n);
        next -= n * interval;
    }
}

void tars_hist_record_corrected(tars_hist *h, uint64_t value, uint64_t interval)
{
    uint64_t kept = value > TARS_HIST_HIGHEST ? TARS_HIST_HIGHEST : value;
    uint64_t extra = interval && kept >= interval ? kept / interval - 1 : 0;

    TARS_DASSERT(hist_valid(h));
    if (!has_room(h, extra + 1))
        return;
    tars_hist_record(h, value);
    backfill(h, kept, interval);
}

void hist_totals_of(const tars_hist *h, struct hist_totals *out)
{
    *out = (struct hist_totals){.count = h->count,
                                .min = h->min,
                                .max = h->max,
                                .saturated = h->saturated,
                                .lost = h->lost,
                                .sum = h->sum,
                                .sum_squares = h->sum_squares};
}

int hist_add_totals(tars_hist *into, const struct hist_totals *t, struct tars_err *err)
{
    if (t->count > TARS_HIST_MAX_COUNT - into->count)
        return tars_err_set(err, TARS_ETOOBIG,
                            "merged histogram would hold %" PRIu64 " + %" PRIu64
                            " values, more than %" PRIu64,
                            into->count, t->count, TARS_HIST_MAX_COUNT);
    into->count += t->count;
    into->sum += t->sum;
    into->sum_squares += t->sum_squares;
    into->saturated += t->saturated;
    into->lost = t->lost > HIST_LOST_MAX - into->lost ? HIST_LOST_MAX : into->lost + t->lost;
    widen_range(into, t->min, t->max);
    return TARS_OK;
}

int tars_hist_merge(tars_hist *into, const tars_hist *from, struct tars_err *err)
{
    struct hist_totals t;

    TARS_DASSERT(hist_valid(into) && hist_valid(from));
    hist_totals_of(from, &t);
    if (hist_add_totals(into, &t, err) != TARS_OK)
        return TARS_ETOOBIG;
    for (size_t i = 0; i < TARS_HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
    return TARS_OK;
}

uint64_t tars_hist_count(const tars_hist *h)
{
    return h->count;
}

uint64_t tars_hist_min(const tars_hist *h)
{
    return h->count ? h->min : 0;
}

uint64_t tars_hist_max(const tars_hist *h)
{
    return h->max;
}

uint64_t tars_hist_saturated(const tars_hist *h)
{
    return h->saturated;
}

uint64_t tars_hist_lost(const tars_hist *h)
{
    return h->lost;
}

double tars_hist_mean(const tars_hist *h)
{
    long double whole, rest;

    if (!h->count)
        return 0;
    whole = (long double)(uint64_t)(h->sum / h->count);
    rest = (long double)(uint64_t)(h->sum % h->count);
    return (double)(whole + rest / (long double)h->count);
}

/*
 * With sum = count*whole + rest, the squared deviations from the integer
 * whole are sum_squares - count*whole^2 - 2*whole*rest, an exact integer;
 * the true mean lies rest/count above whole, which removes
 * (rest/count)^2 from the variance. Only the last steps are floating point.
 */
double tars_hist_stddev(const tars_hist *h)
{
    uint64_t whole, rest;
    hist_u128 around;
    long double spread, shift, variance;

    if (!h->count)
        return 0;
    whole = (uint64_t)(h->sum / h->count);
    rest = (uint64_t)(h->sum % h->count);
    around = (hist_u128)h->count * whole * whole + (hist_u128)2 * whole * rest;
    if (h->sum_squares < around)
        return 0; /* impossible for a histogram that passed tars_hist_from_json */
    spread = (long double)(h->sum_squares - around) / (long double)h->count;
    shift = (long double)rest / (long double)h->count;
    variance = spread - shift * shift;
    return variance > 0 ? (double)sqrtl(variance) : 0;
}

uint64_t tars_hist_rank(uint64_t count, double p)
{
    double x;

    if (count == 0)
        return 0;
    if (!(p > 0))
        return 1;
    if (p >= 100)
        return count;
    x = p / 100.0 * (double)count;
    x = ceil(x - x * 1e-12);
    if (x < 1)
        return 1;
    return x >= (double)count ? count : (uint64_t)x;
}

static uint64_t value_at_rank(const tars_hist *h, size_t index, uint64_t rank)
{
    uint64_t v;

    if (rank <= 1)
        return h->min;
    if (rank >= h->count)
        return h->max;
    v = bucket_mid(index);
    return v < h->min ? h->min : v > h->max ? h->max : v;
}

void tars_hist_percentiles(const tars_hist *h, const double *p, uint64_t *out, size_t n)
{
    size_t index = 0;
    uint64_t below = 0; /* values in the buckets before index */

    TARS_DASSERT(hist_valid(h) && (p || n == 0) && (out || n == 0));
    for (size_t i = 0; i < n; i++) {
        uint64_t rank = tars_hist_rank(h->count, p[i]);

        if (rank == 0) {
            out[i] = 0;
            continue;
        }
        if (rank <= below) {
            index = 0;
            below = 0;
        }
        while (below + h->buckets[index] < rank && index + 1 < TARS_HIST_BUCKETS)
            below += h->buckets[index++];
        out[i] = value_at_rank(h, index, rank);
    }
}

uint64_t tars_hist_percentile(const tars_hist *h, double p)
{
    uint64_t v;

    tars_hist_percentiles(h, &p, &v, 1);
    return v;
}

void tars_hist_summarise(const tars_hist *h, struct tars_hist_summary *s)
{
    static const double p[] = {50, 75, 90, 95, 99, 99.9, 99.99};
    uint64_t v[sizeof(p) / sizeof(p[0])];

    tars_hist_percentiles(h, p, v, sizeof(p) / sizeof(p[0]));
    s->count = h->count;
    s->saturated = h->saturated;
    s->min = tars_hist_min(h);
    s->max = tars_hist_max(h);
    s->mean = tars_hist_mean(h);
    s->stddev = tars_hist_stddev(h);
    s->p50 = v[0];
    s->p75 = v[1];
    s->p90 = v[2];
    s->p95 = v[3];
    s->p99 = v[4];
    s->p99_9 = v[5];
    s->p99_99 = v[6];
}

void tars_hist_cumulative(const tars_hist *h, const uint64_t *bounds, size_t n, uint64_t *out)
{
    size_t last = h->count ? bucket_index(h->max) : 0, b = 0;
    uint64_t sum = 0;

    TARS_DASSERT(hist_valid(h));
    for (size_t i = 0; i <= last && b < n; i++) {
        uint64_t high = tars_hist_bucket_high(i);
        while (b < n && high > bounds[b])
            out[b++] = sum;
        sum += h->buckets[i];
    }
    while (b < n)
        out[b++] = sum;
}

double tars_hist_sum_seconds(const tars_hist *h)
{
    return (double)((long double)(h->sum / 1000000000u) +
                    (long double)(uint64_t)(h->sum % 1000000000u) / 1e9L);
}

bool tars_hist_equal(const tars_hist *a, const tars_hist *b)
{
    return a->count == b->count && a->min == b->min && a->max == b->max &&
           a->saturated == b->saturated && a->lost == b->lost && a->sum == b->sum &&
           a->sum_squares == b->sum_squares &&
           memcmp(a->buckets, b->buckets, sizeof(a->buckets)) == 0;
}
