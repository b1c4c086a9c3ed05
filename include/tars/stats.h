/*
 * Comparisons between latency histograms (tars/hist.h), for telling whether
 * a candidate run is slower than a baseline beyond noise.
 */
#ifndef TARS_STATS_H
#define TARS_STATS_H

#include "tars/err.h"
#include "tars/hist.h"

struct tars_stats_comparison {
    double u;       /* pairs (x from a, y from b) with x > y, ties counting 1/2 */
    double effect;  /* u / (count(a) * count(b)): P(a > b) + P(a = b) / 2; 0.5 = no shift,
                       above 0.5 = a tends to be slower */
    double z;       /* normal approximation, tie-corrected, continuity-corrected, >= 0 */
    double p_value; /* two-sided, from z */
};

/*
 * The Mann-Whitney U test (Wilcoxon rank-sum) of a against b, computed from
 * the buckets in one pass: values that share a bucket (within 1/128 of each
 * other) are treated as ties. Uses the normal approximation with the tie
 * correction, so it is meant for the thousands of values a load run gives,
 * not for a handful. TARS_EINVAL when either histogram is empty.
 */
int tars_stats_compare(const tars_hist *a, const tars_hist *b, struct tars_stats_comparison *out,
                       struct tars_err *err) TARS_MUST_CHECK;

#endif
