#include "tars/stats.h"

#include <inttypes.h>
#include <math.h>

/* U of a (pairs where a's value is above b's, ties 1/2) and the tie term
 * sum(t^3 - t) over buckets, t being the values of both in one bucket. Long
 * double: with up to 2^44 values a side the products pass 2^64. */
static void rank_sums(const tars_hist *a, const tars_hist *b, long double *u, long double *ties)
{
    long double b_below = 0;

    *u = 0;
    *ties = 0;
    for (size_t i = 0; i < TARS_HIST_BUCKETS; i++) {
        long double x = (long double)tars_hist_bucket_count(a, i);
        long double y = (long double)tars_hist_bucket_count(b, i);
        long double t = x + y;

        *u += x * (b_below + y / 2);
        *ties += t * t * t - t;
        b_below += y;
    }
}

int tars_stats_compare(const tars_hist *a, const tars_hist *b, struct tars_stats_comparison *out,
                       struct tars_err *err)
{
    long double na = (long double)tars_hist_count(a), nb = (long double)tars_hist_count(b);
    long double n = na + nb, u, ties, variance, z = 0;

    if (na == 0 || nb == 0)
        return tars_err_set(err, TARS_EINVAL,
                            "the Mann-Whitney test needs values on both sides, not %" PRIu64
                            " and %" PRIu64,
                            tars_hist_count(a), tars_hist_count(b));
    rank_sums(a, b, &u, &ties);
    variance = na * nb / 12 * ((n + 1) - ties / (n * (n - 1)));
    if (variance > 0)
        z = fmaxl(fabsl(u - na * nb / 2) - 0.5L, 0) / sqrtl(variance);
    out->u = (double)u;
    out->effect = (double)(u / (na * nb));
    out->z = (double)z;
    out->p_value = erfc((double)z / sqrt(2));
    return TARS_OK;
}
