/* Unit tests for lib/stats/hist_json.c: exact round trips, and every kind of
 * malformed histogram rejected with a message that names the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/hist.h"
#include "tars/json.h"

#define MS UINT64_C(1000000)

/* Serialises h to text and reads it back. */
static tars_hist *round_trip(const tars_hist *h)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_buf text = TARS_BUF_INIT(1 << 20);
    json_t *v = NULL, *parsed = NULL;
    tars_hist *back = NULL;

    assert_int_equal(tars_hist_to_json(h, &v, &err), TARS_OK);
    assert_int_equal(tars_json_dump(v, &text), TARS_OK);
    assert_int_equal(tars_json_parse(text.data, text.len, &parsed, &err), TARS_OK);
    if (tars_hist_from_json(parsed, &back, &err))
        fail_msg("reading our own output failed: %s", err.msg);
    json_decref(v);
    json_decref(parsed);
    tars_buf_release(&text);
    return back;
}

static void check_round_trip(const tars_hist *h)
{
    tars_hist *back = round_trip(h);

    assert_true(tars_hist_equal(h, back));
    assert_int_equal(tars_hist_percentile(back, 99.9), tars_hist_percentile(h, 99.9));
    assert_true(tars_hist_stddev(back) == tars_hist_stddev(h));
    tars_hist_free(back);
}

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void test_round_trip(void **state)
{
    tars_hist *h = tars_hist_new();
    uint64_t seed = 1;
    (void)state;

    check_round_trip(h); /* empty */
    tars_hist_record(h, 0);
    check_round_trip(h);             /* one zero */
    for (int i = 0; i < 200000; i++) /* log-uniform over 1 ns .. 2^40 ns */
        tars_hist_record(h, next_u64(&seed) >> (24 + next_u64(&seed) % 40));
    tars_hist_record_corrected(h, 2000 * MS, MS);
    check_round_trip(h);
    tars_hist_record_n(h, UINT64_MAX, 3); /* saturated */
    check_round_trip(h);
    tars_hist_reset(h);
    tars_hist_record_n(h, TARS_HIST_HIGHEST, TARS_HIST_MAX_COUNT); /* sums near 2^128 */
    tars_hist_record(h, 5);                                        /* lost */
    assert_int_equal(tars_hist_lost(h), 1);
    check_round_trip(h);
    tars_hist_free(h);
}

/* The example in tars/hist.h, byte for byte. */
static const char example[] =
    "{\"unit\": \"ns\", \"sub_bucket_bits\": 7, \"highest\": 4398046511103, "
    "\"bucket_count\": 4608, \"count\": 3, \"min\": 1000, \"max\": 2000, "
    "\"sum\": \"5000\", \"sum_squares\": \"9000000\", \"saturated\": 0, \"lost\": 0, "
    "\"buckets\": [[506, 1], [634, 2]]}";

static void test_documented_example(void **state)
{
    tars_hist *h = tars_hist_new();
    json_t *v = NULL;
    char *text;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    tars_hist_record(h, 1000);
    tars_hist_record_n(h, 2000, 2);
    assert_int_equal(tars_hist_to_json(h, &v, &err), TARS_OK);
    text = json_dumps(v, JSON_PRESERVE_ORDER);
    assert_non_null(text);
    assert_string_equal(text, example);
    free(text);
    json_decref(v);
    tars_hist_free(h);
}

/* Merging histograms read back from JSON (tars load merge) is exact too. */
static void test_merge_after_json(void **state)
{
    tars_hist *a = tars_hist_new(), *b = tars_hist_new(), *all = tars_hist_new();
    tars_hist *a2, *b2;
    struct tars_err err = TARS_ERR_INIT;
    uint64_t seed = 9;
    (void)state;

    for (int i = 0; i < 50000; i++) {
        uint64_t v = next_u64(&seed) % (3000 * MS);
        tars_hist_record(i % 2 ? a : b, v);
        tars_hist_record(all, v);
    }
    a2 = round_trip(a);
    b2 = round_trip(b);
    assert_int_equal(tars_hist_merge(a2, b2, &err), TARS_OK);
    assert_true(tars_hist_equal(a2, all));
    tars_hist_free(a);
    tars_hist_free(b);
    tars_hist_free(a2);
    tars_hist_free(b2);
    tars_hist_free(all);
}

#define LAYOUT                                                                                     \
    "\"unit\":\"ns\",\"sub_bucket_bits\":7,\"highest\":4398046511103,\"bucket_count\":4608"
#define FIGURES(count, min, max, sum, squares, saturated, lost)                                    \
    "\"count\":" count ",\"min\":" min ",\"max\":" max ",\"sum\":" sum ",\"sum_squares\":" squares \
    ",\"saturated\":" saturated ",\"lost\":" lost
#define GOOD_FIGURES FIGURES("3", "1000", "2000", "\"5000\"", "\"9000000\"", "0", "0")
#define GOOD_BUCKETS "\"buckets\":[[506,1],[634,2]]"
#define HIST(layout, figures, buckets) "{" layout "," figures "," buckets "}"

struct bad_case {
    const char *json;
    const char *message; /* a part of the expected message */
};

static const struct bad_case bad_cases[] = {
    {"[]", "must be a JSON object"},
    {"{}", "\"unit\" must be \"ns\""},
    {HIST("\"unit\":\"us\",\"sub_bucket_bits\":7,\"highest\":4398046511103,\"bucket_count\":4608",
          GOOD_FIGURES, GOOD_BUCKETS),
     "incompatible histogram: \"unit\""},
    {HIST("\"unit\":\"ns\",\"sub_bucket_bits\":6,\"highest\":4398046511103,\"bucket_count\":4608",
          GOOD_FIGURES, GOOD_BUCKETS),
     "incompatible histogram: \"sub_bucket_bits\" must be 7"},
    {HIST("\"unit\":\"ns\",\"sub_bucket_bits\":7,\"highest\":3600000000000,\"bucket_count\":4608",
          GOOD_FIGURES, GOOD_BUCKETS),
     "incompatible histogram: \"highest\""},
    {HIST("\"unit\":\"ns\",\"sub_bucket_bits\":7,\"highest\":4398046511103,\"bucket_count\":"
          "\"4608\"",
          GOOD_FIGURES, GOOD_BUCKETS),
     "incompatible histogram: \"bucket_count\""},
    {"{" LAYOUT ",\"min\":1000}", "missing \"count\""},
    {HIST(LAYOUT, FIGURES("-3", "1000", "2000", "\"5000\"", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "invalid \"count\": must be an integer"},
    {HIST(LAYOUT, FIGURES("3.0", "1000", "2000", "\"5000\"", "\"9000000\"", "0", "0"),
          GOOD_BUCKETS),
     "invalid \"count\""},
    {HIST(LAYOUT, FIGURES("\"3\"", "1000", "2000", "\"5000\"", "\"9000000\"", "0", "0"),
          GOOD_BUCKETS),
     "invalid \"count\""},
    {HIST(LAYOUT, FIGURES("3", "1000", "4398046511104", "\"5000\"", "\"9000000\"", "0", "0"),
          GOOD_BUCKETS),
     "invalid \"max\""},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "\"5000\"", "\"9000000\"", "0", "-1"), GOOD_BUCKETS),
     "invalid \"lost\""},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "5000", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "invalid \"sum\": must be a string of decimal digits"},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "\"-5000\"", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "invalid \"sum\""},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "\"05000\"", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "invalid \"sum\""},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "\"\"", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "invalid \"sum\""},
    {HIST(LAYOUT,
          FIGURES("3", "1000", "2000", "\"5000\"", "\"340282366920938463463374607431768211456\"",
                  "0", "0"),
          GOOD_BUCKETS),
     "invalid \"sum_squares\""},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":{}"), "invalid \"buckets\": must be an array"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506,1],[634]]"),
     "invalid \"buckets\"[1]: must be [index, count]"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506,1],[4608,2]]"),
     "invalid \"buckets\"[1]: index must be an integer in 0..4607"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[-1,1],[634,2]]"), "invalid \"buckets\"[0]: index"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506.0,1],[634,2]]"),
     "invalid \"buckets\"[0]: index"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[634,2],[506,1]]"),
     "invalid \"buckets\"[1]: index 506 is not above the last"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506,1],[506,2]]"), "is not above the last"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506,4],[634,-1]]"),
     "invalid \"buckets\"[1]: count must be a non-negative integer"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506,1],[634,1.5]]"),
     "invalid \"buckets\"[1]: count"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506,17592186044415],[634,1]]"),
     "invalid \"buckets\"[1]: count"},
    {HIST(LAYOUT, GOOD_FIGURES, "\"buckets\":[[506,1],[634,3]]"),
     "inconsistent histogram: \"count\" is 3 but the buckets hold 4"},
    {HIST(LAYOUT, FIGURES("3", "1100", "2000", "\"5000\"", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "\"min\" is not in the first non-empty bucket"},
    {HIST(LAYOUT, FIGURES("3", "1000", "1990", "\"5000\"", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "\"max\" is not in the last non-empty bucket"},
    {HIST(LAYOUT, FIGURES("1", "1003", "1001", "\"1002\"", "\"1004004\"", "0", "0"),
          "\"buckets\":[[506,1]]"),
     "\"min\" is above \"max\""},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "\"4000\"", "\"9000000\"", "0", "0"), GOOD_BUCKETS),
     "\"sum\" is outside what the buckets allow"},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "\"5000\"", "\"1\"", "0", "0"), GOOD_BUCKETS),
     "\"sum_squares\" is outside what the buckets allow"},
    /* values 2000 and 2007 (one bucket): sum_squares must be 8028049 */
    {HIST(LAYOUT, FIGURES("2", "2000", "2007", "\"4007\"", "\"8000001\"", "0", "0"),
          "\"buckets\":[[634,2]]"),
     "\"sum_squares\" is below \"sum\" squared over \"count\""},
    {HIST(LAYOUT, FIGURES("3", "1000", "2000", "\"5000\"", "\"9000000\"", "1", "0"), GOOD_BUCKETS),
     "\"saturated\" is more than the top bucket holds"},
    {HIST(LAYOUT, FIGURES("0", "1000", "0", "\"0\"", "\"0\"", "0", "0"), "\"buckets\":[]"),
     "an empty histogram must have zero"},
};

static void test_rejects_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct tars_err err = TARS_ERR_INIT;
        json_t *v = NULL;
        tars_hist *h = NULL;
        const char *text = bad_cases[i].json;

        if (tars_json_parse(text, strlen(text), &v, &err))
            fail_msg("case %zu is not JSON: %s", i, err.msg);
        if (tars_hist_from_json(v, &h, &err) != TARS_EINVAL || h)
            fail_msg("case %zu accepted: %s", i, text);
        assert_int_equal(err.code, TARS_EINVAL);
        if (!strstr(err.msg, bad_cases[i].message))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.msg, bad_cases[i].message);
        json_decref(v);
    }
}

/* The valid cases next to the bad ones: each bad case differs in one place. */
static void test_accepts_consistent(void **state)
{
    const char *good[] = {
        HIST(LAYOUT, GOOD_FIGURES, GOOD_BUCKETS),
        HIST(LAYOUT, FIGURES("2", "2000", "2007", "\"4007\"", "\"8028049\"", "0", "0"),
             "\"buckets\":[[634,2]]"),
        HIST(LAYOUT, FIGURES("0", "0", "0", "\"0\"", "\"0\"", "0", "12"), "\"buckets\":[]"),
        HIST(LAYOUT, GOOD_FIGURES ",\"note\":\"extra fields are ignored\"", GOOD_BUCKETS),
    };
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct tars_err err = TARS_ERR_INIT;
        json_t *v = NULL;
        tars_hist *h = NULL;

        assert_int_equal(tars_json_parse(good[i], strlen(good[i]), &v, &err), TARS_OK);
        if (tars_hist_from_json(v, &h, &err))
            fail_msg("good case %zu rejected: %s", i, err.msg);
        json_decref(v);
        tars_hist_free(h);
    }
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_documented_example),
        cmocka_unit_test(test_merge_after_json),
        cmocka_unit_test(test_rejects_malformed),
        cmocka_unit_test(test_accepts_consistent),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
