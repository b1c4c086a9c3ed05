/* Internals of thresholds (threshold.c, threshold_k6.c); not a public header. */
#ifndef TARS_THRESHOLD_INT_H
#define TARS_THRESHOLD_INT_H

#include <stddef.h>

#include "tars/judge.h"
#include "tars/load.h"

/*
 * k6's form of the left side, "http_req_duration{name:agents}: p(95)", when
 * [subject, subject+len) is in it: fills th's task, metric, percentile and
 * ok_only, *m with the row whose kind reads the value. 1 when the subject
 * is not in k6's form (tars' own form applies), 0 when read, TARS_EINVAL
 * with err naming text otherwise.
 */
int threshold_k6_subject(const char *text, const char *subject, size_t len,
                         struct tars_threshold *th, const struct tars_limit_metric **m,
                         struct tars_err *err);

#endif
