/* A measured figure against a limit (tars/judge.h). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tars/judge.h"

enum tars_judgement tars_judge(double measured, int op, double limit)
{
    bool ok;

    if (!isfinite(measured) || !isfinite(limit))
        return TARS_JUDGE_NO_DATA;
    switch (op) {
    case TARS_JUDGE_LT: ok = measured < limit; break;
    case TARS_JUDGE_LE: ok = measured <= limit; break;
    case TARS_JUDGE_GT: ok = measured > limit; break;
    case TARS_JUDGE_GE: ok = measured >= limit; break;
    case TARS_JUDGE_EQ: ok = measured == limit; break;
    case TARS_JUDGE_NE: ok = measured != limit; break;
    default: return TARS_JUDGE_NO_DATA;
    }
    return ok ? TARS_JUDGE_PASS : TARS_JUDGE_FAIL;
}

const char *tars_judgement_name(enum tars_judgement j)
{
    return j == TARS_JUDGE_PASS ? "pass" : j == TARS_JUDGE_FAIL ? "fail" : "no_data";
}

const char *tars_judgement_word(enum tars_judgement j)
{
    return j == TARS_JUDGE_PASS ? "PASS" : j == TARS_JUDGE_FAIL ? "FAIL" : "N/A";
}

void tars_judged_set(struct tars_judged *j, double measured, int op, double limit, const char *why)
{
    j->measured = measured;
    j->outcome = why ? TARS_JUDGE_NO_DATA : tars_judge(measured, op, limit);
    j->missing[0] = '\0';
    if (why)
        snprintf(j->missing, sizeof(j->missing), "%s", why);
    else if (!isfinite(measured))
        snprintf(j->missing, sizeof(j->missing), "the measured value is %s",
                 isnan(measured) ? "NaN"
                 : measured > 0  ? "+Inf"
                                 : "-Inf");
    else if (!isfinite(limit))
        snprintf(j->missing, sizeof(j->missing), "the limit is %s",
                 isnan(limit) ? "NaN"
                 : limit > 0  ? "+Inf"
                              : "-Inf");
    else if (j->outcome == TARS_JUDGE_NO_DATA)
        snprintf(j->missing, sizeof(j->missing), "unknown comparison %d", op);
}
