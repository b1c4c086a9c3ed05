/* Hand-built load results for the threshold, result and CSV tests. */
#ifndef TARS_TEST_LOAD_RESULT_FIXTURE_H
#define TARS_TEST_LOAD_RESULT_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "tars/load.h"

/* Names t and gives it empty histograms. */
void fixture_task(struct tars_load_task_result *t, const char *name, const char *method,
                  const char *path);
/* One successful 200 response of latency ns (raw: ns / 2) and size bytes. */
void fixture_ok(struct tars_load_task_result *t, uint64_t ns, uint64_t bytes);
/* One failed request; status for TARS_LOAD_ERR_STATUS. latency_ns 0: no
 * response came (not timed); else a response of that status, timed. */
void fixture_fail(struct tars_load_task_result *t, enum tars_load_error e, int status,
                  uint64_t latency_ns);
/* Appends an empty task to r and returns it (valid until the next append). */
struct tars_load_task_result *fixture_add_task(struct tars_load_result *r, const char *name,
                                               const char *method, const char *path);
/* Appends one second to r's history. */
void fixture_second(struct tars_load_result *r, int64_t at_ms, int64_t users, uint64_t requests,
                    uint64_t failures, uint64_t p50, uint64_t p95, uint64_t p99, uint64_t max);
/* Asserts (cmocka) that a and b hold the same figures, histograms included. */
void fixture_assert_task_equal(const struct tars_load_task_result *a,
                               const struct tars_load_task_result *b);

#endif
