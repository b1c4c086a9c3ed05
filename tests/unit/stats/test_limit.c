/* Unit tests for lib/stats/limit.c (the one threshold-expression parser) and
 * tars_judge's comparisons, table-driven: every operator, unit factor, bare
 * number rule and error message, and the no-data rule (NaN never passes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "tars/judge.h"

enum { M_P95, M_LOSS, M_COUNT };

static const struct tars_limit_metric table[] = {
    {"p95", M_P95, TARS_LIMIT_TIME},
    {"loss", M_LOSS, TARS_LIMIT_RATIO},
    {"count", M_COUNT, TARS_LIMIT_COUNT},
};

#define N (sizeof(table) / sizeof(table[0]))

static void test_operators(void **state)
{
    static const struct {
        const char *text;
        size_t taken;
        int op;
    } cases[] = {
        {"<", 1, TARS_JUDGE_LT},
        {"<=", 2, TARS_JUDGE_LE},
        {">", 1, TARS_JUDGE_GT},
        {">=", 2, TARS_JUDGE_GE},
        {"==", 2, TARS_JUDGE_EQ},
        {"!=", 2, TARS_JUDGE_NE},
        {"<5", 1, TARS_JUDGE_LT},
        {">= 5", 2, TARS_JUDGE_GE},
        {"=<", 0, -1},
        {"=", 0, -1},
        {"!", 0, -1},
        {"", 0, -1},
        {"p95<1", 0, -1},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int op = -1;
        size_t taken = tars_judge_op_read(cases[i].text, &op);
        if (taken != cases[i].taken || (taken && op != cases[i].op))
            fail_msg("\"%s\": took %zu op %d, expected %zu op %d", cases[i].text, taken, op,
                     cases[i].taken, cases[i].op);
    }
}

static void test_op_words(void **state)
{
    static const char *const good[] = {"<", "<=", ">", ">=", "==", "!="};
    static const char *const bad[] = {"=<", "<= ", " <", "<>", "===", "", "lt"};
    int op;
    (void)state;

    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(tars_judge_op_parse(good[i], &op), TARS_OK);
        assert_string_equal(tars_judge_op_text(op), good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (tars_judge_op_parse(bad[i], &op) != TARS_EINVAL)
            fail_msg("\"%s\" read as a comparison", bad[i]);
    assert_string_equal(tars_judge_op_text(99), "?");
}

/* Judging: each comparison at and beside its boundary; NaN and infinities
 * are no data, never a pass, for every operator. */
static void test_judge_table(void **state)
{
    static const struct {
        double measured;
        int op;
        double limit;
        enum tars_judgement want;
    } cases[] = {
        {1, TARS_JUDGE_LT, 2, TARS_JUDGE_PASS}, {2, TARS_JUDGE_LT, 2, TARS_JUDGE_FAIL},
        {2, TARS_JUDGE_LE, 2, TARS_JUDGE_PASS}, {3, TARS_JUDGE_LE, 2, TARS_JUDGE_FAIL},
        {3, TARS_JUDGE_GT, 2, TARS_JUDGE_PASS}, {2, TARS_JUDGE_GT, 2, TARS_JUDGE_FAIL},
        {2, TARS_JUDGE_GE, 2, TARS_JUDGE_PASS}, {1, TARS_JUDGE_GE, 2, TARS_JUDGE_FAIL},
        {2, TARS_JUDGE_EQ, 2, TARS_JUDGE_PASS}, {1, TARS_JUDGE_EQ, 2, TARS_JUDGE_FAIL},
        {1, TARS_JUDGE_NE, 2, TARS_JUDGE_PASS}, {2, TARS_JUDGE_NE, 2, TARS_JUDGE_FAIL},
        {1, 6, 2, TARS_JUDGE_NO_DATA},          {1, -1, 2, TARS_JUDGE_NO_DATA},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (tars_judge(cases[i].measured, cases[i].op, cases[i].limit) != cases[i].want)
            fail_msg("case %zu: %g %s %g not %s", i, cases[i].measured,
                     tars_judge_op_text(cases[i].op), cases[i].limit,
                     tars_judgement_name(cases[i].want));
    for (int op = TARS_JUDGE_LT; op <= TARS_JUDGE_NE; op++) {
        assert_int_equal(tars_judge(NAN, op, 1), TARS_JUDGE_NO_DATA);
        assert_int_equal(tars_judge(INFINITY, op, 1), TARS_JUDGE_NO_DATA);
        assert_int_equal(tars_judge(-INFINITY, op, 1), TARS_JUDGE_NO_DATA);
        assert_int_equal(tars_judge(1, op, NAN), TARS_JUDGE_NO_DATA);
    }
}

/* Parsed expressions: metric, comparison, the value in the stored unit
 * (ns, fraction, plain), including the bare-number rule for each kind. */
static void test_parse_table(void **state)
{
    static const struct {
        const char *text;
        int metric, op;
        double value;
    } cases[] = {
        {"p95<150", M_P95, TARS_JUDGE_LT, 150e6}, /* a bare time is milliseconds */
        {"p95<150ms", M_P95, TARS_JUDGE_LT, 150e6},
        {"p95 <= 0.5s", M_P95, TARS_JUDGE_LE, 5e8},
        {" p95>250us ", M_P95, TARS_JUDGE_GT, 250e3},
        {"p95 >= 2 s", M_P95, TARS_JUDGE_GE, 2e9},
        {"loss<1%", M_LOSS, TARS_JUDGE_LT, 0.01},
        {"loss<0.01", M_LOSS, TARS_JUDGE_LT, 0.01}, /* a bare ratio is a fraction */
        {"loss<=100%", M_LOSS, TARS_JUDGE_LE, 1},
        {"count>100", M_COUNT, TARS_JUDGE_GT, 100},
        {"count>=0", M_COUNT, TARS_JUDGE_GE, 0},
    };
    struct tars_err err = TARS_ERR_INIT;
    struct tars_limit lim;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (tars_limit_parse(cases[i].text, table, N, &lim, &err))
            fail_msg("\"%s\": %s", cases[i].text, err.msg);
        if (lim.metric->id != cases[i].metric || lim.op != cases[i].op ||
            fabs(lim.value - cases[i].value) > 1e-9 * fabs(cases[i].value))
            fail_msg("\"%s\": metric %d op %d value %.17g", cases[i].text, lim.metric->id, lim.op,
                     lim.value);
    }
    assert_string_equal(tars_limit_unit(TARS_LIMIT_TIME), "ns");
    assert_string_equal(tars_limit_unit(TARS_LIMIT_RATIO), "fraction");
    assert_string_equal(tars_limit_unit(TARS_LIMIT_COUNT), "count");
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"p95", "bad threshold \"p95\": expected metric <, <=, > or >= value, e.g. p95<150ms"},
        {"  ", "bad threshold \"\": expected metric <, <=, > or >= value, e.g. p95<150ms"},
        {"loss=0", "bad threshold \"loss=0\": expected metric <, <=, > or >= value, e.g. "
                   "p95<150ms"},
        {"p96<1", "bad threshold \"p96<1\": unknown metric \"p96\" (did you mean \"p95\"? use p95, "
                  "loss or count)"},
        {"lost<1", "bad threshold \"lost<1\": unknown metric \"lost\" (did you mean \"loss\"? use "
                   "p95, loss or count)"},
        {"rtt<1", "bad threshold \"rtt<1\": unknown metric \"rtt\" (use p95, loss or count)"},
        {"<1", "bad threshold \"<1\": unknown metric \"\" (use p95, loss or count)"},
        {"p95<", "bad threshold \"p95<\": expected a number, not \"\""},
        {"p95<fast", "bad threshold \"p95<fast\": expected a number, not \"fast\""},
        {"p95<-1", "bad threshold \"p95<-1\": expected a number, not \"-1\""},
        {"p95<1e3", "bad threshold \"p95<1e3\": unit \"e3\" does not fit p95 (use ms, s or us)"},
        {"p95<1.2.3", "bad threshold \"p95<1.2.3\": expected a number, not \"1.2.3\""},
        {"p95<5%", "bad threshold \"p95<5%\": unit \"%\" does not fit p95 (use ms, s or us)"},
        {"p95<5m", "bad threshold \"p95<5m\": unit \"m\" does not fit p95 (use ms, s or us)"},
        {"loss<5ms", "bad threshold \"loss<5ms\": unit \"ms\" does not fit loss (use % or none)"},
        {"loss<101%", "bad threshold \"loss<101%\": loss is at most 100%"},
        {"loss<1.5", "bad threshold \"loss<1.5\": loss is at most 100%"},
        {"count>5s", "bad threshold \"count>5s\": unit \"s\" does not fit count (use none)"},
    };
    struct tars_err err = TARS_ERR_INIT;
    struct tars_limit lim;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (tars_limit_parse(cases[i].text, table, N, &lim, &err) != TARS_EINVAL)
            fail_msg("\"%s\" parsed", cases[i].text);
        if (strcmp(err.msg, cases[i].message) != 0)
            fail_msg("\"%s\": got \"%s\"\n  expected \"%s\"", cases[i].text, err.msg,
                     cases[i].message);
    }
}

static void test_split(void **state)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_limit_parts p;
    char long_text[300];
    (void)state;

    assert_int_equal(tars_limit_split("  a b : p95 <= 150 ms ", "form", &p, &err), TARS_OK);
    assert_int_equal((int)p.subject_len, 9);
    assert_memory_equal(p.subject, "a b : p95", 9);
    assert_int_equal(p.op, TARS_JUDGE_LE);
    assert_int_equal((int)p.value_len, 6);
    assert_memory_equal(p.value, "150 ms", 6);
    memset(long_text, 'x', sizeof(long_text) - 3);
    memcpy(long_text + sizeof(long_text) - 3, "<1", 3);
    assert_int_equal(tars_limit_split(long_text, "form", &p, &err), TARS_EINVAL);
    assert_int_equal(strncmp(err.msg, "bad threshold \"xxxx", 18), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operators),    cmocka_unit_test(test_op_words),
        cmocka_unit_test(test_judge_table),  cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
