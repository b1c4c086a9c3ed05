/* Time: monotonic for durations, wall clock for timestamps. */
#ifndef TARS_CLOCK_H
#define TARS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t tars_mono_ns(void); /* CLOCK_MONOTONIC in nanoseconds */
int64_t tars_wall_ms(void);  /* milliseconds since the Unix epoch */

/* Writes "2026-11-23T15:48:34.123Z" (24 chars + NUL) into out. */
#define TARS_ISO8601_LEN 25
void tars_iso8601(int64_t wall_ms, char out[TARS_ISO8601_LEN]);

/* Parses an ISO 8601 UTC time ("2026-11-23T15:48:34Z", optional fraction,
 * "Z" or "+00:00") to milliseconds. Returns 0 or TARS_EINVAL. */
int tars_iso8601_parse(const char *s, int64_t *wall_ms);

#endif
