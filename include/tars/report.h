/*
 * Output formats (only this module knows them): check results as JUnit XML,
 * TAP and JSON. A check's reason had the suite's secrets masked when it was
 * stored (tars_check_run_suite, tars/check.h), so it is written as it is.
 */
#ifndef TARS_REPORT_H
#define TARS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "tars/check.h"

/* JUnit XML: <testsuites> with the totals, one <testsuite> per category
 * (tests, failures, errors, skipped, time, timestamp, hostname), <failure>
 * and <error> with a type and the reason as message and text, <skipped>.
 * Text goes through tars_xml_escape (tars/report_xml.h). */
int tars_report_junit(FILE *out, const struct tars_check_run *runs, size_t run_count);
/* TAP version 13: "ok N - id # SKIP reason", "not ok N - id" followed by
 * a YAML block (status, reason as an escaped double-quoted string). */
int tars_report_tap(FILE *out, const struct tars_check_run *runs, size_t run_count);
/* JSON: {"suites":[{"name","checks":[{"id","category","type","status","reason",
 * "duration_ms","attempts"}]}],"counts":{...},"wall_ms"}. New reference. */
json_t *tars_report_json(const struct tars_check_run *runs, size_t run_count);

#endif
