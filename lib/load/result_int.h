/*
 * lib/load internals for results: helpers the engine may use to fill a
 * struct tars_load_task_result, and the pieces result.c shares with
 * result_json.c and csv.c.
 */
#ifndef TARS_LOAD_RESULT_INT_H
#define TARS_LOAD_RESULT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "tars/load.h"

/* Bounds on what a result may hold (a read result file is checked too). */
#define RESULT_MAX_TASKS 4096
#define RESULT_MAX_HISTORY 1000000 /* seconds: 11.5 days */

/* Adds count failures of one kind (error, and status for
 * TARS_LOAD_ERR_STATUS, else 0) to t's failure table; t->failures and
 * t->errors are the caller's to count. The table holds
 * TARS_LOAD_FAILURE_KINDS distinct kinds; past that a new kind is added to
 * the first entry of the same error, or else to the last entry, so the
 * table is exact up to that many kinds and its total is always exact. */
void result_failure_add(struct tars_load_task_result *t, enum tars_load_error error, int status,
                        uint64_t count);

/* Adds from into into: counts, errors, failure kinds, histograms (created
 * in into when it has none). name, method and path are taken from from when
 * into's are empty. TARS_ETOOBIG when a histogram would overflow. */
int result_task_merge(struct tars_load_task_result *into, const struct tars_load_task_result *from,
                      struct tars_err *err) TARS_MUST_CHECK;

/* Frees t's histograms (the struct itself stays). */
void result_task_release(struct tars_load_task_result *t);

/* Merges one second of another thread or result into into, the one rule
 * for threads (engine.c), live progress and `tars load merge`: counts and
 * the running-total fields (timed, sum_ns, min_ns, bytes) are exact sums;
 * at_ms and max are the larger; a per-second percentile cannot be merged
 * without that second's histogram, so the larger of the two stands (an
 * upper bound). */
void result_second_merge(struct tars_load_second *into, const struct tars_load_second *from);

/* "request", "journey", "step"; and back (false for another name). */
const char *result_kind_name(enum tars_load_task_kind kind);
bool result_kind_by_name(const char *name, enum tars_load_task_kind *out);

/* The error whose tars_load_error_name is name; false when none. */
bool result_error_by_name(const char *name, enum tars_load_error *out);

#endif
