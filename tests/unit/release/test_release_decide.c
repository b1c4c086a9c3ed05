/* Table-driven tests of the release decision's reading of the evidence
 * (tars_release_judge_evidence, lib/release/release_decide.c): no data, an
 * empty list, NaN, +Inf, -Inf, a value exactly at its limit and a peer error,
 * each with the verdict it must give and the words its reason must hold.
 * No data is never approved, and never a silent rejection either. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tars/release.h"

struct decide_case {
    const char *name;
    const char *run; /* run.json text; NULL: no record at all */
    enum tars_release_verdict want;
    const char *reason; /* a reason must contain this ("" when none is expected) */
};

#define TH(fields)                                                                                 \
    "{\"loads\":[{\"name\":\"api\",\"result\":{\"total\":{\"requests\":10}},"                      \
    "\"thresholds\":[{" fields "}]}]}"

static const struct decide_case cases[] = {
    /* no data */
    {"no run.json", NULL, TARS_VERDICT_INCONCLUSIVE, "run.json could not be read"},
    {"a pass claimed with nothing measured", TH("\"text\":\"p95<150ms\",\"passed\":true"),
     TARS_VERDICT_INCONCLUSIVE, "threshold p95<150ms not judged: nothing was measured"},
    {"a fail claimed with nothing measured",
     TH("\"text\":\"p95<150ms\",\"passed\":false,\"measured\":null"), TARS_VERDICT_INCONCLUSIVE,
     "nothing was measured"},
    {"no outcome at all", TH("\"text\":\"p95<150ms\",\"measured\":1.0"), TARS_VERDICT_INCONCLUSIVE,
     "the record gives no outcome"},
    {"an unknown outcome", TH("\"text\":\"p95<150ms\",\"outcome\":\"maybe\",\"measured\":1.0"),
     TARS_VERDICT_INCONCLUSIVE, "p95<150ms not judged"},
    {"a load that sent no request",
     "{\"loads\":[{\"name\":\"api\",\"result\":{\"total\":{\"requests\":0}},\"thresholds\":[]}]}",
     TARS_VERDICT_INCONCLUSIVE, "load api sent no request"},
    {"a load without its result", "{\"loads\":[{\"name\":\"api\",\"thresholds\":[]}]}",
     TARS_VERDICT_INCONCLUSIVE, "load api sent no request"},
    /* empty lists: nothing recorded is no finding (the stages decide), never a failure */
    {"empty lists", "{\"loads\":[],\"ws\":[],\"db\":[]}", TARS_VERDICT_APPROVED, ""},
    {"a load with no thresholds",
     "{\"loads\":[{\"name\":\"api\",\"result\":{\"total\":{\"requests\":10}},\"thresholds\":[]}]}",
     TARS_VERDICT_APPROVED, ""},
    /* NaN and infinities: the evaluators record them as no_data with what was missing; in
     * run.json text they are no JSON number, and a record that holds one cannot be read */
    {"NaN measured",
     TH("\"text\":\"p95<150ms\",\"outcome\":\"no_data\",\"passed\":false,\"measured\":null,"
        "\"missing\":\"the measured value is nan\""),
     TARS_VERDICT_INCONCLUSIVE, "the measured value is nan"},
    {"NaN as text", TH("\"text\":\"p95<150ms\",\"passed\":true,\"measured\":\"nan\""),
     TARS_VERDICT_INCONCLUSIVE, "nothing was measured"},
    {"+Inf limit",
     TH("\"text\":\"p95<inf\",\"outcome\":\"no_data\",\"passed\":false,\"measured\":null,"
        "\"missing\":\"the limit is inf\""),
     TARS_VERDICT_INCONCLUSIVE, "the limit is inf"},
    {"+Inf measured in ws-stress",
     "{\"ws\":[{\"name\":\"feed\",\"thresholds\":[{\"text\":\"reconnect_max<10s\","
     "\"outcome\":\"no_data\",\"passed\":false,\"measured\":null,\"missing\":\"the measured "
     "value is inf\"}]}]}",
     TARS_VERDICT_INCONCLUSIVE, "ws-stress feed: threshold reconnect_max<10s not judged"},
    {"-Inf measured",
     TH("\"text\":\"p95<150ms\",\"outcome\":\"no_data\",\"passed\":false,\"measured\":null,"
        "\"missing\":\"the measured value is -inf\""),
     TARS_VERDICT_INCONCLUSIVE, "the measured value is -inf"},
    /* exactly at the limit: the evaluator's outcome for the operator decides */
    {"at the limit of <=",
     TH("\"text\":\"p95<=150ms\",\"outcome\":\"pass\",\"passed\":true,\"measured\":150000000,"
        "\"limit\":150000000,\"unit\":\"ns\""),
     TARS_VERDICT_APPROVED, ""},
    {"at the limit of <",
     TH("\"text\":\"p95<150ms\",\"outcome\":\"fail\",\"passed\":false,\"measured\":150000000,"
        "\"limit\":150000000,\"unit\":\"ns\""),
     TARS_VERDICT_REJECTED, "threshold p95<150ms not met (measured 150.0 ms)"},
    {"a failure outweighs no data",
     "{\"loads\":[{\"name\":\"api\",\"result\":{\"total\":{\"requests\":10}},\"thresholds\":["
     "{\"text\":\"p95<1ms\",\"outcome\":\"fail\",\"measured\":2000000,\"unit\":\"ns\"},"
     "{\"text\":\"rps>1\",\"outcome\":\"no_data\",\"measured\":null}]}]}",
     TARS_VERDICT_REJECTED, "p95<1ms not met"},
    /* a peer error: the thing measured did not answer */
    {"a check that could not run",
     "{\"checks\":{\"counts\":{\"pass\":3,\"fail\":0,\"skip\":0,\"error\":1}}}",
     TARS_VERDICT_INCONCLUSIVE, "1 checks could not be run"},
    {"a db-bench family whose query failed",
     "{\"db\":[{\"family\":\"temporal\",\"passed\":false,\"status\":\"inconclusive\","
     "\"reason\":\"query failed: connection refused\",\"p95_ms\":null}]}",
     TARS_VERDICT_INCONCLUSIVE, "db-bench temporal not judged: query failed: connection refused"},
    {"a db-bench family over its limit",
     "{\"db\":[{\"family\":\"temporal\",\"passed\":false,\"status\":\"fail\",\"p95_ms\":120}]}",
     TARS_VERDICT_REJECTED, "db-bench temporal over its threshold"},
    {"a db-bench family without a result", "{\"db\":[{\"family\":\"temporal\"}]}",
     TARS_VERDICT_INCONCLUSIVE, "db-bench temporal not judged: no result recorded"},
    {"an interrupted load",
     "{\"loads\":[{\"name\":\"api\",\"interrupted\":true,\"result\":{\"total\":{\"requests\":"
     "10}},\"thresholds\":[]}]}",
     TARS_VERDICT_INCONCLUSIVE, "load api was interrupted"},
    {"a comparison without a verdict", "{\"comparison\":{\"baseline\":\"x\"}}",
     TARS_VERDICT_INCONCLUSIVE, "the baseline comparison has no verdict"},
    /* everything measured and passed */
    {"measured and passed",
     "{\"checks\":{\"counts\":{\"pass\":3,\"fail\":0,\"skip\":0,\"error\":0}},"
     "\"loads\":[{\"name\":\"api\",\"result\":{\"total\":{\"requests\":10}},\"thresholds\":["
     "{\"text\":\"p95<150ms\",\"outcome\":\"pass\",\"passed\":true,\"measured\":1000000}]}],"
     "\"db\":[{\"family\":\"temporal\",\"passed\":true,\"status\":\"pass\"}],"
     "\"comparison\":{\"verdict\":\"pass\"}}",
     TARS_VERDICT_APPROVED, ""},
};

static const char *verdict_name(enum tars_release_verdict v)
{
    return v == TARS_VERDICT_APPROVED   ? "approved"
           : v == TARS_VERDICT_REJECTED ? "rejected"
                                        : "inconclusive";
}

static void test_decide_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct decide_case *c = &cases[i];
        json_error_t jerr;
        json_t *run = c->run ? json_loads(c->run, 0, &jerr) : NULL, *reasons = json_array(), *r;
        char *text;
        enum tars_release_verdict v;
        bool found = !*c->reason;
        size_t j;

        if (c->run && !run)
            fail_msg("%s: the case's JSON does not parse: %s", c->name, jerr.text);
        v = tars_release_judge_evidence(run, c->run ? NULL : "cannot read \"run.json\"", reasons);
        json_array_foreach(reasons, j, r) {
            found = found || strstr(json_string_value(r), c->reason);
        }
        text = json_dumps(reasons, 0);
        if (v != c->want || !found)
            fail_msg("%s: %s with reasons %s (want %s, a reason with \"%s\")", c->name,
                     verdict_name(v), text, verdict_name(c->want), c->reason);
        if (c->want == TARS_VERDICT_APPROVED && json_array_size(reasons))
            fail_msg("%s: approved with reasons %s", c->name, text);
        free(text);
        json_decref(reasons);
        json_decref(run);
    }
}

/* +Inf and -Inf written as numbers (1e999) are no JSON jansson reads: the record is unreadable,
 * which is inconclusive with the parse error, never an approval. */
static void test_infinite_numbers_make_the_record_unreadable(void **state)
{
    const char *texts[] = {TH("\"text\":\"p95<150ms\",\"passed\":true,\"measured\":1e999"),
                           TH("\"text\":\"p95<150ms\",\"passed\":true,\"measured\":-1e999")};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        json_error_t jerr;
        json_t *run = json_loads(texts[i], 0, &jerr), *reasons = json_array();

        assert_null(run);
        assert_int_equal(tars_release_judge_evidence(run, jerr.text, reasons),
                         TARS_VERDICT_INCONCLUSIVE);
        assert_non_null(strstr(json_string_value(json_array_get(reasons, 0)), jerr.text));
        json_decref(reasons);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_infinite_numbers_make_the_record_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
