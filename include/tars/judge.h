/*
 * One rule for every threshold evaluator (tars load, tars ws-stress,
 * tars db-bench): a measured figure against a limit. No data is never a
 * pass: a NaN or infinite figure (nothing measured, a division by zero) or
 * limit gives TARS_JUDGE_NO_DATA, which commands report as inconclusive
 * (exit 2) naming what was missing, never as a pass or a silent failure.
 * Part of lib/stats.
 */
#ifndef TARS_JUDGE_H
#define TARS_JUDGE_H

enum tars_judgement { TARS_JUDGE_PASS, TARS_JUDGE_FAIL, TARS_JUDGE_NO_DATA };

/* The comparison a threshold asks for: measured < limit, <=, >, >=. */
enum tars_judge_op { TARS_JUDGE_LT, TARS_JUDGE_LE, TARS_JUDGE_GT, TARS_JUDGE_GE };

/* measured op limit; TARS_JUDGE_NO_DATA when either is not finite or op is
 * not one of enum tars_judge_op. */
enum tars_judgement tars_judge(double measured, int op, double limit);

/* One threshold judged: what was measured (NaN when nothing was) and, for
 * TARS_JUDGE_NO_DATA, what was missing ("no request was sent"). */
struct tars_judged {
    enum tars_judgement outcome;
    double measured;
    char missing[128];
};

/* Fills j: measured, tars_judge's outcome, and missing (why, or "" when
 * judged) -- when measured is not finite and why is NULL, a sentence naming
 * the value ("the measured value is nan"). */
void tars_judged_set(struct tars_judged *j, double measured, int op, double limit, const char *why);

/* "pass", "FAIL", "n/a" (fixed strings, for tables). */
const char *tars_judgement_word(enum tars_judgement j);
/* "pass", "fail", "no_data" (for JSON "outcome" fields). */
const char *tars_judgement_name(enum tars_judgement j);

#endif
