/* The packed form of a histogram (include/tars/hist.h, "Packed form"). */
#include "hist_int.h"

#include <stdlib.h>

#include "tars/alloc.h"

_Static_assert(TARS_HIST_BUCKETS <= UINT16_MAX + 1, "a bucket index must fit 16 bits");

/* The exact figures of a tars_hist, then n counts and n indexes (ascending)
 * in the same allocation, counts first so that they stay aligned. */
struct tars_hist_packed {
    struct hist_totals totals;
    size_t n;
    uint64_t cells[];
};

/* The indexes follow the n counts. */
static uint16_t *indexes_of(uint64_t *cells, size_t n)
{
    return (uint16_t *)(void *)(cells + n);
}

static size_t cells_size(size_t n)
{
    return n * (sizeof(uint64_t) + sizeof(uint16_t));
}

tars_hist_packed *tars_hist_pack(const tars_hist *h)
{
    size_t n = 0, k = 0;

    for (size_t i = 0; i < TARS_HIST_BUCKETS; i++)
        n += h->buckets[i] != 0;
    tars_hist_packed *p = xmalloc(sizeof(*p) + cells_size(n));
    hist_totals_of(h, &p->totals);
    p->n = n;
    uint64_t *counts = p->cells;
    uint16_t *indexes = indexes_of(p->cells, n);
    for (size_t i = 0; i < TARS_HIST_BUCKETS && k < n; i++) {
        if (!h->buckets[i])
            continue;
        counts[k] = h->buckets[i];
        indexes[k++] = (uint16_t)i;
    }
    return p;
}

void tars_hist_packed_free(tars_hist_packed *p)
{
    free(p);
}

size_t tars_hist_packed_size(const tars_hist_packed *p)
{
    return sizeof(*p) + cells_size(p->n);
}

int tars_hist_merge_packed(tars_hist *into, const tars_hist_packed *from, struct tars_err *err)
{
    const uint64_t *counts = from->cells;
    const uint16_t *indexes = (const uint16_t *)(const void *)(from->cells + from->n);

    if (hist_add_totals(into, &from->totals, err) != TARS_OK)
        return TARS_ETOOBIG;
    for (size_t k = 0; k < from->n; k++)
        into->buckets[indexes[k]] += counts[k];
    return TARS_OK;
}
