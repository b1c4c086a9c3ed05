/*
 * Rough cost of the histogram operations (not a test; nothing is asserted).
 * Usage: bench_hist [records]   (default 200 million)
 * The values come from a precomputed table of 1M log-uniform latencies, so
 * the loop measures recording, not the random number generator.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tars/hist.h"

#define TABLE (1u << 20)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(uint64_t *table)
{
    uint64_t s = 12345;

    for (size_t i = 0; i < TABLE; i++) {
        s = s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        table[i] = (uint64_t)exp(log(1e4) + (double)(s >> 11) * 0x1.0p-53 * log(1e6));
    }
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000000;
    uint64_t *table = malloc(TABLE * sizeof(uint64_t));
    tars_hist *h = tars_hist_new(), *other = tars_hist_new();
    struct tars_hist_summary sum;
    struct tars_err err = TARS_ERR_INIT;
    double t0, t1;
    int rc;

    if (!table)
        return 1;
    fill(table);
    t0 = now();
    for (uint64_t i = 0; i < n; i++)
        tars_hist_record(h, table[i & (TABLE - 1)]);
    t1 = now();
    printf("record:    %.2f ns per value (%" PRIu64 " values)\n", (t1 - t0) * 1e9 / (double)n, n);
    t0 = now();
    for (int i = 0; i < 1000; i++)
        tars_hist_summarise(h, &sum);
    printf("summarise: %.1f us (7 percentiles, one pass)\n", (now() - t0) * 1e3);
    t0 = now();
    for (int i = 0; i < 1000; i++)
        if ((rc = tars_hist_merge(other, h, &err)) != TARS_OK)
            break;
    printf("merge:     %.1f us (%s)\n", (now() - t0) * 1e3, rc ? err.msg : "ok");
    printf("size:      %zu bytes; p99 %" PRIu64 " ns of %" PRIu64 "\n", tars_hist_size(), sum.p99,
           sum.count);
    tars_hist_free(h);
    tars_hist_free(other);
    free(table);
    return 0;
}
