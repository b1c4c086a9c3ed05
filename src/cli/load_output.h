/* Terminal and file output of tars load (src/cli only). */
#ifndef TARS_CLI_LOAD_OUTPUT_H
#define TARS_CLI_LOAD_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "tars/load.h"

/* One live line: on a terminal it rewrites itself, otherwise a plain line. */
void load_print_progress(FILE *out, bool tty, const struct tars_load_second *last,
                         int64_t elapsed_ms, int64_t duration_ms);
/* The final per-task table, error breakdown and generator note. */
void load_print_summary(FILE *out, const struct tars_load_result *r);
/* Evaluates and prints thresholds; returns the number that failed, or -1
 * after printing an error (unknown task). *no_data counts those that could
 * not be judged (printed "n/a" with what was missing). */
int load_print_thresholds(FILE *out, const struct tars_threshold *th, size_t n,
                          const struct tars_load_result *r, int *no_data);

#endif
