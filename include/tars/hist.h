/*
 * A log-linear histogram of durations in nanoseconds: fixed memory, bounded
 * relative error, exact merge, sparse JSON.
 *
 * Buckets. Values 0..255 ns have one bucket each, so they are exact. Above
 * that, every power of two [2^k, 2^(k+1)) is cut into 128 equal buckets of
 * width 2^(k-7): a bucket is never wider than 1/128 of its lowest value. A
 * bucket is reported as its midpoint (low + width/2), which is within 1/256
 * (0.39 %) of every value the bucket holds. The index of a value needs one
 * count-leading-zeros and two shifts (see tars_hist_bucket_of).
 *
 * Range. 0 to TARS_HIST_HIGHEST = 2^42 - 1 ns (73 min 18 s), which covers
 * 1 us to 1 h and more. A larger value is recorded as TARS_HIST_HIGHEST and
 * also counted by tars_hist_saturated(): a saturated histogram's max and top
 * percentiles are lower bounds.
 *
 * Memory. TARS_HIST_BUCKETS = 4608 counters of 8 bytes plus a header, about
 * 36 KiB (tars_hist_size()), allocated once by tars_hist_new. Recording and
 * merging never allocate.
 *
 * Exact figures. Count, min, max, the sum and the sum of squares (128-bit
 * integers) are kept beside the buckets, so min, max, mean and stddev are
 * exact for the recorded values; only percentiles carry the bucket error.
 * To keep the sum of squares within 128 bits a histogram holds at most
 * TARS_HIST_MAX_COUNT values (1.7e13: 200 days at a million per second);
 * values offered beyond that are not recorded and are counted by
 * tars_hist_lost() instead.
 *
 * Percentiles. The value at percentile p (0..100) is the sample of rank
 * r = ceil(p/100 * count) in ascending order, r at least 1 (the
 * "nearest-rank" rule: p50 of 1..10 is 5, p90 is 9, p0 is the min, p100 the
 * max). Rank 1 reports the exact min and rank count the exact max; other
 * ranks report their bucket's midpoint, clamped to [min, max].
 *
 * Threads. A histogram has no locks and no atomics: give each thread its
 * own and merge them after the threads are joined.
 */
#ifndef TARS_HIST_H
#define TARS_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/err.h"

struct json_t; /* jansson's json_t; include tars/json.h to build or read one */

typedef struct tars_hist tars_hist;

#define TARS_HIST_SUB_BUCKET_BITS 7 /* 128 buckets per power of two */
#define TARS_HIST_HIGHEST_BITS 42
#define TARS_HIST_HIGHEST ((UINT64_C(1) << TARS_HIST_HIGHEST_BITS) - 1)
#define TARS_HIST_BUCKETS                                                                          \
    ((TARS_HIST_HIGHEST_BITS - TARS_HIST_SUB_BUCKET_BITS + 1) << TARS_HIST_SUB_BUCKET_BITS)
#define TARS_HIST_MAX_COUNT ((UINT64_C(1) << 44) - 1)

/* Lifecycle. tars_hist_new never returns NULL (it aborts when memory is
 * exhausted, as xmalloc does); tars_hist_free accepts NULL. reset empties a
 * histogram and keeps its memory; copy makes dst equal to src. */
tars_hist *tars_hist_new(void);
void tars_hist_free(tars_hist *h);
void tars_hist_reset(tars_hist *h);
void tars_hist_copy(tars_hist *dst, const tars_hist *src);
/* Bytes one histogram takes (the same for all). */
size_t tars_hist_size(void);

/* Records one value in nanoseconds. A few ns, no allocation, no failure:
 * a value above TARS_HIST_HIGHEST is recorded as TARS_HIST_HIGHEST and
 * counted as saturated; a histogram already holding TARS_HIST_MAX_COUNT
 * values counts the value as lost. */
void tars_hist_record(tars_hist *h, uint64_t value);
/* Records count copies of value (none when count is 0). All are lost when
 * they would take the total past TARS_HIST_MAX_COUNT. */
void tars_hist_record_n(tars_hist *h, uint64_t value, uint64_t count);
/* Coordinated-omission correction as wrk2 (HdrHistogram) does it, for a
 * closed loop that meant to send every interval ns: records value, then the
 * values the requests it held back would have seen, value - k*interval for
 * k = 1, 2, ... while that is >= interval. interval 0 records value alone.
 * The back-fill costs at most one step per bucket, however many values it
 * adds. When the histogram cannot hold them all, all are counted as lost. */
void tars_hist_record_corrected(tars_hist *h, uint64_t value, uint64_t interval);

/* Adds from into into, bucket by bucket: the result equals a histogram that
 * recorded both streams. TARS_ETOOBIG, into unchanged, when the total would
 * pass TARS_HIST_MAX_COUNT. */
int tars_hist_merge(tars_hist *into, const tars_hist *from, struct tars_err *err) TARS_MUST_CHECK;

/* Figures. On an empty histogram all of them are 0. min and max are exact
 * (a saturated value counts as TARS_HIST_HIGHEST), mean and stddev (the
 * population standard deviation, dividing by count) are exact up to the
 * final rounding to double. */
uint64_t tars_hist_count(const tars_hist *h);
uint64_t tars_hist_min(const tars_hist *h);
uint64_t tars_hist_max(const tars_hist *h);
uint64_t tars_hist_saturated(const tars_hist *h);
uint64_t tars_hist_lost(const tars_hist *h);
double tars_hist_mean(const tars_hist *h);
double tars_hist_stddev(const tars_hist *h);

/* The 1-based rank the percentile rule picks among count sorted values:
 * ceil(p/100 * count), at least 1, 0 when count is 0. The product is taken
 * with a relative tolerance of 1e-12, so that p = 99.9 of 1000 values is rank
 * 999 despite binary rounding. p below 0 (or NaN) counts as 0, above 100 as
 * 100. */
uint64_t tars_hist_rank(uint64_t count, double p);
/* The value at percentile p (rule above), within 1/256 of the sample of that
 * rank; 0 when empty. */
uint64_t tars_hist_percentile(const tars_hist *h, double p);
/* n percentiles in one pass when p is ascending (any order works; each
 * descent restarts the scan). out[i] is the value at p[i]. */
void tars_hist_percentiles(const tars_hist *h, const double *p, uint64_t *out, size_t n);

struct tars_hist_summary {
    uint64_t count;
    uint64_t saturated;
    uint64_t min;
    uint64_t max;
    double mean;
    double stddev;
    uint64_t p50;
    uint64_t p75;
    uint64_t p90;
    uint64_t p95;
    uint64_t p99;
    uint64_t p99_9;
    uint64_t p99_99;
};

/* Fills s with every figure above (one pass for the percentiles). */
void tars_hist_summarise(const tars_hist *h, struct tars_hist_summary *s);

/* Buckets, for renderers and tests. bucket_of maps a value (clamped to
 * TARS_HIST_HIGHEST) to its index in [0, TARS_HIST_BUCKETS); low and high
 * are the smallest and largest value an index holds (inclusive); index must
 * be below TARS_HIST_BUCKETS. */
size_t tars_hist_bucket_of(uint64_t value);
uint64_t tars_hist_bucket_low(size_t index);
uint64_t tars_hist_bucket_high(size_t index);
uint64_t tars_hist_bucket_count(const tars_hist *h, size_t index);
/* Cumulative counts at n ascending bounds (ns), as a Prometheus histogram's
 * "le" buckets: out[i] counts the values in the buckets whose highest value
 * is at most bounds[i]. Bounds need not be bucket edges: a value in the bucket
 * that straddles a bound (at most 1/128 below it) is counted at the next
 * bound. One pass over the buckets up to the maximum. */
void tars_hist_cumulative(const tars_hist *h, const uint64_t *bounds, size_t n, uint64_t *out);
/* The exact sum of the recorded values in seconds (rounded to double). */
double tars_hist_sum_seconds(const tars_hist *h);
/* True when a and b hold the same buckets and the same exact figures. */
bool tars_hist_equal(const tars_hist *a, const tars_hist *b);

/*
 * Packed form, for keeping many small histograms (one a second of a run) in
 * little memory: the exact figures and only the non-empty buckets, 10 bytes
 * each (a 2-byte index and an 8-byte count), against tars_hist_size() for a
 * full histogram. Read-only once made; merged into a full histogram exactly,
 * as tars_hist_merge does.
 */
typedef struct tars_hist_packed tars_hist_packed;
/* A packed copy of h (never NULL: it aborts when memory is exhausted, as
 * xmalloc does). One pass over the buckets to count, one to copy. */
tars_hist_packed *tars_hist_pack(const tars_hist *h);
void tars_hist_packed_free(tars_hist_packed *p);
/* Bytes the packed copy occupies. */
size_t tars_hist_packed_size(const tars_hist_packed *p);
/* into += from, exactly; TARS_ETOOBIG as tars_hist_merge. */
int tars_hist_merge_packed(tars_hist *into, const tars_hist_packed *from,
                           struct tars_err *err) TARS_MUST_CHECK;

/*
 * JSON. The object names the layout, so a reader can refuse a histogram cut
 * differently, then the exact figures, then only the non-empty buckets as
 * [index, count] pairs in ascending index order:
 *
 *   {"unit": "ns", "sub_bucket_bits": 7, "highest": 4398046511103,
 *    "bucket_count": 4608, "count": 3, "min": 1000, "max": 2000,
 *    "sum": "5000", "sum_squares": "9000000", "saturated": 0, "lost": 0,
 *    "buckets": [[506, 1], [634, 2]]}
 *
 * sum and sum_squares are 128-bit, so they are decimal strings. A bucket
 * index i holds [tars_hist_bucket_low(i), tars_hist_bucket_high(i)].
 */
/* A new JSON object for h in *out (json_decref it). TARS_EINTERNAL if
 * jansson runs out of memory. */
int tars_hist_to_json(const tars_hist *h, struct json_t **out,
                      struct tars_err *err) TARS_MUST_CHECK;
/* A new histogram in *out read from v. TARS_EINVAL, *out untouched, when the
 * layout differs from this build's, a field is missing or of the wrong type,
 * a count is negative or not an integer, a bucket index is out of range or
 * not ascending, or the totals disagree (count with the buckets, min and max
 * with the first and last bucket, sum and sum_squares with the buckets). */
int tars_hist_from_json(const struct json_t *v, tars_hist **out,
                        struct tars_err *err) TARS_MUST_CHECK;

#endif
