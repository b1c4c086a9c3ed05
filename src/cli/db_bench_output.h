/* tars db-bench output: the console table, the JSON document, the run record. */
#ifndef TARS_CLI_DB_BENCH_OUTPUT_H
#define TARS_CLI_DB_BENCH_OUTPUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "tars/store_bench.h"

enum bench_status { BENCH_PASSED, BENCH_FAILED, BENCH_INCONCLUSIVE };

/* One family, measured and judged. */
struct bench_family_outcome {
    struct tars_bench_result result;
    double threshold_ms, p95_ms;
    enum bench_status status;
    char reason[TARS_BENCH_DETAIL_MAX + 512];
};

struct bench_summary {
    char db[1024]; /* password masked */
    const char *backend;
    int64_t evaluations;
    uint64_t seed;
    int iterations;
    int exit_code;
    bool interrupted; /* SIGINT/SIGTERM: the families are partial or missing */
};

void bench_print_table(FILE *out, const struct bench_summary *s,
                       const struct bench_family_outcome *fo, int n);
/* "tars db-bench: FAMILY: reason" for every family that did not pass. */
void bench_print_reasons(FILE *out, const struct bench_family_outcome *fo, int n);
/* {"family","iterations",...,"plan":{...},"histogram":{...}}; a new reference. */
json_t *bench_family_json(const struct bench_summary *s, const struct bench_family_outcome *fo);
/* {"db","backend",...,"families":[...]}; a new reference. */
json_t *bench_json(const struct bench_summary *s, const struct bench_family_outcome *fo, int n);
/* --json FILE and --run DIR; 0 or EXIT_INCONCLUSIVE (a message printed). */
int bench_write_outputs(const struct bench_summary *s, const struct bench_family_outcome *fo, int n,
                        const char *json_file, const char *run_dir);

#endif
