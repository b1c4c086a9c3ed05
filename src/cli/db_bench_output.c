/* tars db-bench output (db_bench_output.h). */
#include "db_bench_output.h"

#include <string.h>

#include "cli.h"
#include "output.h"
#include "run_record.h"
#include "tars/json.h"

static const char *status_name(enum bench_status s)
{
    static const char *const names[] = {"pass", "fail", "inconclusive"};
    return names[s];
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

void bench_print_table(FILE *out, const struct bench_summary *s,
                       const struct bench_family_outcome *fo, int n)
{
    fprintf(out, "%s (%s, %lld evaluations), %d iterations per family\n\n", s->db, s->backend,
            (long long)s->evaluations, s->iterations);
    fprintf(out, "%-20s %6s %9s %9s %9s %9s %8s  %-36s %s\n", "family", "iter", "p50 ms", "p95 ms",
            "p99 ms", "max ms", "limit", "index", "result");
    for (int i = 0; i < n; i++) {
        const struct tars_bench_result *r = &fo[i].result;
        struct tars_hist_summary h;
        tars_hist_summarise(r->hist, &h);
        fprintf(out, "%-20s %6d %9.3f %9.3f %9.3f %9.3f %8.1f  %-36s %s\n",
                tars_bench_family_name(r->family), r->iterations, ms(h.p50), ms(h.p95), ms(h.p99),
                ms(h.max), fo[i].threshold_ms, r->plan.index[0] ? r->plan.index : "(none)",
                fo[i].status == BENCH_PASSED   ? "PASS"
                : fo[i].status == BENCH_FAILED ? "FAIL"
                                               : "INCONCLUSIVE");
    }
}

void bench_print_reasons(FILE *out, const struct bench_family_outcome *fo, int n)
{
    for (int i = 0; i < n; i++)
        if (fo[i].status != BENCH_PASSED)
            fprintf(out, "tars db-bench: %s: %s\n", tars_bench_family_name(fo[i].result.family),
                    fo[i].reason);
}

static json_t *plan_json(const struct tars_bench_result *r)
{
    const char *const *names = tars_bench_family_indexes(r->family);
    json_t *expected = json_array();

    for (size_t i = 0; names && names[i]; i++)
        json_array_append_new(expected, json_string(names[i]));
    return json_pack("{s:b,s:s?,s:s,s:o,s:s}", "uses_index", r->plan.uses_index, "index",
                     r->plan.index[0] ? r->plan.index : NULL, "table", r->plan.table, "expected",
                     expected, "detail", r->plan.detail);
}

json_t *bench_family_json(const struct bench_summary *s, const struct bench_family_outcome *fo)
{
    const struct tars_bench_result *r = &fo->result;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_hist_summary h;
    json_t *hist = NULL, *v;

    tars_hist_summarise(r->hist, &h);
    if (tars_hist_to_json(r->hist, &hist, &err))
        hist = json_null();
    v = json_pack("{s:s,s:s,s:s,s:i,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:b,s:s,s:s?,s:o,s:o,s:b}",
                  "family", tars_bench_family_name(r->family), "db", s->db, "backend", s->backend,
                  "iterations", r->iterations, "rows", (json_int_t)r->rows, "p50_ms", ms(h.p50),
                  "p95_ms", ms(h.p95), "p99_ms", ms(h.p99), "max_ms", ms(h.max), "mean_ms",
                  h.mean / 1e6, "threshold_ms", fo->threshold_ms, "passed",
                  fo->status == BENCH_PASSED, "status", status_name(fo->status), "reason",
                  fo->status == BENCH_PASSED ? NULL : fo->reason, "plan", plan_json(r), "histogram",
                  hist, "interrupted", s->interrupted);
    return v;
}

json_t *bench_json(const struct bench_summary *s, const struct bench_family_outcome *fo, int n)
{
    json_t *list = json_array();
    const char *status = s->exit_code == EXIT_OK       ? "pass"
                         : s->exit_code == EXIT_FAILED ? "fail"
                                                       : "inconclusive";

    for (int i = 0; i < n; i++)
        json_array_append_new(list, bench_family_json(s, &fo[i]));
    return json_pack("{s:s,s:s,s:I,s:I,s:i,s:b,s:s,s:b,s:o}", "db", s->db, "backend", s->backend,
                     "evaluations", (json_int_t)s->evaluations, "seed", (json_int_t)s->seed,
                     "iterations", s->iterations, "passed", s->exit_code == EXIT_OK, "status",
                     status, "interrupted", s->interrupted, "families", list);
}

int bench_write_outputs(const struct bench_summary *s, const struct bench_family_outcome *fo, int n,
                        const char *json_file, const char *run_dir)
{
    json_t *doc = bench_json(s, fo, n);
    int rc = 0;

    if (!doc) {
        fprintf(stderr, "tars db-bench: cannot build the JSON result\n");
        return EXIT_INCONCLUSIVE;
    }
    if (json_file && cli_output_json("db-bench", json_file, doc, JSON_INDENT(2)) != 0) {
        rc = EXIT_INCONCLUSIVE;
    }
    if (run_dir && rc == 0)
        rc = cli_run_record("db-bench", run_dir, "db.json", NULL, false, doc);
    for (int i = 0; run_dir && rc == 0 && i < n; i++) {
        json_t *family = json_incref(json_array_get(json_object_get(doc, "families"), (size_t)i));
        rc = cli_run_record("db-bench", run_dir, NULL, "db", true, family);
        json_decref(family);
    }
    json_decref(doc);
    return rc;
}
