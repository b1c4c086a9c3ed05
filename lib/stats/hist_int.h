/* lib/stats internals shared by hist.c and hist_json.c. */
#ifndef TARS_STATS_HIST_INT_H
#define TARS_STATS_HIST_INT_H

#include <stdint.h>

#include "tars/hist.h"

/* 128-bit sums: a GCC/Clang extension, kept out of the public header. */
__extension__ typedef unsigned __int128 hist_u128;

struct tars_hist {
    uint64_t count;
    uint64_t min; /* UINT64_MAX while empty */
    uint64_t max;
    uint64_t saturated;
    uint64_t lost; /* saturates at INT64_MAX so that JSON can carry it */
    hist_u128 sum;
    hist_u128 sum_squares;
    uint64_t buckets[TARS_HIST_BUCKETS];
};

#define HIST_LOST_MAX ((uint64_t)INT64_MAX)

/* A histogram's exact figures without its buckets (the packed form keeps
 * them so). */
struct hist_totals {
    uint64_t count, min, max, saturated, lost;
    hist_u128 sum, sum_squares;
};

void hist_totals_of(const tars_hist *h, struct hist_totals *out);
/* into's exact figures += t's; TARS_ETOOBIG, into untouched, when the count
 * would pass TARS_HIST_MAX_COUNT. The caller adds the buckets after a
 * success. */
int hist_add_totals(tars_hist *into, const struct hist_totals *t, struct tars_err *err);

#endif
