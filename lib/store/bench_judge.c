/* One db-bench family judged against its p95 limit (tars_bench_judge). */
#include <math.h>
#include <stdio.h>

#include "tars/store_bench.h"

/* "idx_a or idx_b" into out. */
static const char *expected_list(int family, char *out, size_t size)
{
    const char *const *names = tars_bench_family_indexes(family);
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; names && names[i] && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " or " : "", names[i]);
    return out;
}

enum tars_judgement tars_bench_judge(const struct tars_bench_result *r, const char *query_error,
                                     int64_t table_rows, double limit_ms, double *p95_ms,
                                     char *reason, size_t cap)
{
    const char *table = r->plan.table[0] ? r->plan.table : "its table";
    struct tars_judged j;
    char list[256];
    bool timed = r->hist && tars_hist_count(r->hist) > 0;

    *p95_ms = timed ? (double)tars_hist_percentile(r->hist, 95) / 1e6 : NAN;
    reason[0] = '\0';
    if (query_error) {
        snprintf(reason, cap, "query failed: %s", query_error);
        return TARS_JUDGE_NO_DATA;
    }
    if (table_rows == 0) {
        snprintf(reason, cap, "table %s is empty: nothing was measured", table);
        return TARS_JUDGE_NO_DATA;
    }
    if (!r->plan.uses_index) {
        snprintf(reason, cap, "the plan does not search %s by %s: %s", table,
                 expected_list(r->family, list, sizeof(list)), r->plan.detail);
        return TARS_JUDGE_FAIL;
    }
    if (!timed) {
        snprintf(reason, cap, "no execution was timed");
        return TARS_JUDGE_NO_DATA;
    }
    tars_judged_set(&j, *p95_ms, TARS_JUDGE_LE, limit_ms, NULL);
    if (j.outcome == TARS_JUDGE_NO_DATA) {
        snprintf(reason, cap, "%s", j.missing);
        return TARS_JUDGE_NO_DATA;
    }
    if (j.outcome == TARS_JUDGE_FAIL) {
        snprintf(reason, cap, "p95 %.3f ms is over the %.3f ms limit", *p95_ms, limit_ms);
        return TARS_JUDGE_FAIL;
    }
    if (r->rows == 0) {
        snprintf(reason, cap, "no execution returned a row");
        return TARS_JUDGE_NO_DATA;
    }
    return TARS_JUDGE_PASS;
}
