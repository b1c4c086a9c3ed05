/* ws-stress pieces: threshold parsing and judging, the sequence window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "stress_internal.h"
#include "tars/ws_stress.h"

static void test_threshold_parse(void **state)
{
    struct tars_ws_threshold th;
    struct tars_err err = TARS_ERR_INIT;

    (void)state;
    assert_int_equal(tars_ws_threshold_parse("loss<0.1%", &th, &err), TARS_OK);
    assert_int_equal(th.metric, TARS_WS_TH_LOSS);
    assert_int_equal(th.op, TARS_WS_TH_LT);
    assert_true(fabs(th.value - 0.001) < 1e-12);
    assert_int_equal(tars_ws_threshold_parse(" p99 <= 50ms ", &th, &err), TARS_OK);
    assert_int_equal(th.metric, TARS_WS_TH_P99);
    assert_int_equal(th.op, TARS_WS_TH_LE);
    assert_true(th.value == 50e6);
    assert_int_equal(tars_ws_threshold_parse("reconnect_avg<5s", &th, &err), TARS_OK);
    assert_true(th.value == 5e9);
    assert_int_equal(tars_ws_threshold_parse("failed_connections<=0", &th, &err), TARS_OK);
    assert_int_equal(th.metric, TARS_WS_TH_FAILED);
    assert_int_equal(tars_ws_threshold_parse("duplicates>=2", &th, &err), TARS_OK);
    assert_int_equal(th.op, TARS_WS_TH_GE);
    assert_string_equal(th.text, "duplicates>=2");

    assert_int_equal(tars_ws_threshold_parse("lossy<1%", &th, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "unknown metric"));
    assert_int_equal(tars_ws_threshold_parse("loss<5ms", &th, &err), TARS_EINVAL);
    assert_int_equal(tars_ws_threshold_parse("p95<5%", &th, &err), TARS_EINVAL);
    assert_int_equal(tars_ws_threshold_parse("duplicates<1s", &th, &err), TARS_EINVAL);
    assert_int_equal(tars_ws_threshold_parse("loss=0", &th, &err), TARS_EINVAL);
    assert_int_equal(tars_ws_threshold_parse("loss<", &th, &err), TARS_EINVAL);
    assert_int_equal(tars_ws_threshold_parse("loss<-1", &th, &err), TARS_EINVAL);
}

static enum tars_judgement judged(const char *text, const struct tars_ws_stress_result *r,
                                  double *measured)
{
    struct tars_ws_threshold th;
    struct tars_judged j;

    assert_int_equal(tars_ws_threshold_parse(text, &th, NULL), TARS_OK);
    tars_ws_threshold_check(&th, r, &j);
    *measured = j.measured;
    return j.outcome;
}

static void test_threshold_check(void **state)
{
    struct tars_ws_stress_result r;
    double measured;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.latency = tars_hist_new();
    r.connect_time = tars_hist_new();
    r.reconnect_time = tars_hist_new();
    r.expected = 10000;
    r.lost = 9;
    assert_int_equal(judged("loss<0.1%", &r, &measured), TARS_JUDGE_PASS);
    assert_true(fabs(measured - 0.0009) < 1e-12);
    r.lost = 10;
    assert_int_equal(judged("loss<0.1%", &r, &measured), TARS_JUDGE_FAIL); /* 0.1 % is not < */
    for (int i = 0; i < 100; i++)
        tars_hist_record(r.latency, (uint64_t)(i < 98 ? 1e6 : 80e6));
    assert_int_equal(judged("p99<50ms", &r, &measured), TARS_JUDGE_FAIL); /* p99 is 80 ms */
    tars_hist_record_n(r.latency, 1000000, 1000);
    assert_int_equal(judged("p99<50ms", &r, &measured), TARS_JUDGE_PASS);
    tars_hist_record(r.reconnect_time, 1000000000ull);
    assert_int_equal(judged("reconnect_max<5s", &r, &measured), TARS_JUDGE_PASS);
    tars_ws_stress_result_release(&r);
}

/* The table every evaluator gets: no data, an empty list, NaN, +Inf, -Inf,
 * exactly at the limit, a peer error. No data is NO_DATA naming what was
 * missing: never a pass, never a silent fail. */
enum input { NOTHING, EMPTY_HISTS, AT_LIMIT, PEER_ERROR };

static void build_input(struct tars_ws_stress_result *r, enum input in)
{
    memset(r, 0, sizeof(*r));
    if (in == NOTHING)
        return; /* no histogram at all */
    r->latency = tars_hist_new();
    r->connect_time = tars_hist_new();
    r->reconnect_time = tars_hist_new();
    if (in == AT_LIMIT) {
        r->started = r->established = 4;
        r->expected = 1000;
        r->lost = 1;                                  /* 0.1 % */
        tars_hist_record_n(r->latency, 50000000, 10); /* 50 ms */
        tars_hist_record_n(r->connect_time, 2000000, 4);
        tars_hist_record(r->reconnect_time, 1000000000ull);
    } else if (in == PEER_ERROR) { /* every connection refused by the server */
        r->started = r->failed = 4;
    }
}

static void test_no_data_table(void **state)
{
    static const struct row {
        enum input in;
        const char *threshold;
        double limit; /* replaces the parsed limit unless 0 */
        enum tars_judgement expect;
        const char *missing;
    } rows[] = {
        {NOTHING, "loss<0.1%", 0, TARS_JUDGE_NO_DATA, "no message was expected"},
        {NOTHING, "duplicates<=0", 0, TARS_JUDGE_NO_DATA, "no message was expected"},
        {NOTHING, "p99<50ms", 0, TARS_JUDGE_NO_DATA, "no message latency"},
        {NOTHING, "connect_p95<1s", 0, TARS_JUDGE_NO_DATA, "no connection was established"},
        {NOTHING, "reconnect_avg<5s", 0, TARS_JUDGE_NO_DATA, "no reconnect happened"},
        {NOTHING, "failed_connections<=0", 0, TARS_JUDGE_NO_DATA, "no connection was attempted"},
        {NOTHING, "resync_required<=0", 0, TARS_JUDGE_NO_DATA, "no connection was established"},
        {EMPTY_HISTS, "p50<50ms", 0, TARS_JUDGE_NO_DATA, "no message latency"},
        {EMPTY_HISTS, "reconnect_max<5s", 0, TARS_JUDGE_NO_DATA, "no reconnect happened"},
        {EMPTY_HISTS, "out_of_order<=0", 0, TARS_JUDGE_NO_DATA, "no message was expected"},
        {AT_LIMIT, "loss<0.1%", 0, TARS_JUDGE_FAIL, NULL},
        {AT_LIMIT, "loss<=0.1%", 0, TARS_JUDGE_PASS, NULL},
        {AT_LIMIT, "p99<50ms", 0, TARS_JUDGE_FAIL, NULL},
        {AT_LIMIT, "p99<=50ms", 0, TARS_JUDGE_PASS, NULL},
        {AT_LIMIT, "reconnect_avg>=1s", 0, TARS_JUDGE_PASS, NULL},
        {AT_LIMIT, "failed_connections<=0", 0, TARS_JUDGE_PASS, NULL},
        {AT_LIMIT, "p99<50ms", NAN, TARS_JUDGE_NO_DATA, "the limit is NaN"},
        {AT_LIMIT, "p99<50ms", INFINITY, TARS_JUDGE_NO_DATA, "the limit is +Inf"},
        {AT_LIMIT, "p99>50ms", -INFINITY, TARS_JUDGE_NO_DATA, "the limit is -Inf"},
        {PEER_ERROR, "failed_connections<=0", 0, TARS_JUDGE_FAIL, NULL},
        {PEER_ERROR, "loss<0.1%", 0, TARS_JUDGE_NO_DATA, "no message was expected"},
        {PEER_ERROR, "connect_p95<1s", 0, TARS_JUDGE_NO_DATA, "no connection was established"},
        {PEER_ERROR, "resync_required<=0", 0, TARS_JUDGE_NO_DATA, "no connection was established"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct tars_ws_stress_result r;
        struct tars_ws_threshold th;
        struct tars_judged j;
        build_input(&r, rows[i].in);
        assert_int_equal(tars_ws_threshold_parse(rows[i].threshold, &th, NULL), TARS_OK);
        if (rows[i].limit != 0)
            th.value = rows[i].limit;
        tars_ws_threshold_check(&th, &r, &j);
        if (j.outcome != rows[i].expect)
            fail_msg("row %zu \"%s\": %s (%s), expected %s", i, rows[i].threshold,
                     tars_judgement_name(j.outcome), j.missing,
                     tars_judgement_name(rows[i].expect));
        if (rows[i].missing && !strstr(j.missing, rows[i].missing))
            fail_msg("row %zu \"%s\": missing \"%s\" lacks \"%s\"", i, rows[i].threshold, j.missing,
                     rows[i].missing);
        if (j.outcome == TARS_JUDGE_NO_DATA)
            assert_true(!rows[i].missing || isnan(j.measured) || rows[i].limit != 0);
        tars_ws_stress_result_release(&r);
    }
}

static void test_seq_window(void **state)
{
    static struct seq_track t;

    (void)state;
    assert_int_equal(seq_track_add(&t, 1), 2); /* no base yet: untracked */
    seq_track_start(&t, 100);
    assert_int_equal(seq_track_add(&t, 101), 0);
    assert_int_equal(seq_track_add(&t, 103), 0);
    assert_int_equal(seq_track_add(&t, 103), 1);
    assert_int_equal(seq_track_add(&t, 102), 0); /* late, fills the gap */
    assert_int_equal(seq_track_add(&t, 100), 1); /* before the start */
    assert_int_equal(t.distinct, 3);
    assert_int_equal(t.duplicated, 2);
    assert_int_equal(t.out_of_order, 1);
    assert_int_equal(t.max_seq, 103);
    /* past the window: it slides, and old seqs can no longer count as new */
    for (int64_t s = 104; s <= 100 + 3 * SEQ_WINDOW; s++)
        assert_int_equal(seq_track_add(&t, s), 0);
    assert_int_equal(t.distinct, 3 * SEQ_WINDOW);
    assert_int_equal(seq_track_add(&t, 150), 1);
    /* a huge jump (a resync gap) resets the window without a long loop */
    assert_int_equal(seq_track_add(&t, 1000000000), 0);
    assert_int_equal(seq_track_add(&t, 1000000000), 1);
    assert_int_equal(seq_track_add(&t, 999999999), 0);
    assert_int_equal(t.max_seq, 1000000000);
}

static void test_seq_above(void **state)
{
    static struct seq_track t;

    (void)state;
    seq_track_start(&t, 10);
    for (int64_t s = 11; s <= 20; s++)
        if (s != 18)
            assert_int_equal(seq_track_add(&t, s), 0);
    assert_int_equal(seq_track_above(&t, 20), 0);
    assert_int_equal(seq_track_above(&t, 15), 4); /* 16, 17, 19, 20 */
    assert_int_equal(seq_track_above(&t, 10), 9);
    /* below the start nothing was tracked: the same 9, not 9 + the seqs before it */
    assert_int_equal(seq_track_above(&t, 3), 9);
    /* slid out of the window: counted as received */
    for (int64_t s = 21; s <= 10 + 2 * SEQ_WINDOW; s++)
        assert_int_equal(seq_track_add(&t, s), 0);
    assert_int_equal(seq_track_above(&t, 10), 2 * SEQ_WINDOW);
}

/* Subscribed at seq 13 of a stream that published nothing more (the run saw seq 0 at
 * most): nothing was expected, so nothing can be lost. */
static void test_seq_above_a_later_start(void **state)
{
    static struct seq_track t;

    (void)state;
    seq_track_start(&t, 13);
    assert_int_equal(seq_track_above(&t, 0), 0);
    assert_int_equal(seq_track_add(&t, 14), 0);
    assert_int_equal(seq_track_above(&t, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_above_a_later_start),
        cmocka_unit_test(test_threshold_parse),
        cmocka_unit_test(test_threshold_check),
        cmocka_unit_test(test_no_data_table),
        cmocka_unit_test(test_seq_window),
        cmocka_unit_test(test_seq_above),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
