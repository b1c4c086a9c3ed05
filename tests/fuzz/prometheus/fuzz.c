/* Prometheus API answers as the prometheus, slo and canary checks judge them:
 * /api/v1/query data (vector, matrix, scalar) against a condition, and
 * /api/v1/rules data (names and health). */
#include "fuzz.h"
#include "prom/prom_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = fuzz_json(data, size), *d, *names, *want, *cond;
    struct prom_health_spec spec = {NULL, "tars", 500};
    struct prom_judge j;
    char reason[512], buf[128];
    double v;

    if (!doc)
        return 0;
    d = json_object_get(doc, "data") ? json_object_get(doc, "data") : doc;
    memset(&j, 0, sizeof(j));
    cond = json_string("< 0.15");
    (void)prom_condition_parse(cond, &j.cond, buf, sizeof(buf));
    j.scale = 1000;
    j.unit = " ms";
    j.nan_is_empty = true;
    (void)prom_judge_data(d, &j, reason, sizeof(reason));
    (void)prom_condition_parse(json_object_get(doc, "condition"), &j.cond, buf, sizeof(buf));
    (void)prom_judge_data(d, &j, reason, sizeof(reason));
    (void)prom_series_value(d, "job", "tars", &v);
    names = prom_rule_names(d);
    want = json_pack("[s,s]", "tars:http_request_rate:1m", "tars:error_ratio:5m");
    (void)prom_rules_missing(names, want, reason, sizeof(reason));
    (void)prom_rule_health(d, &spec, reason, sizeof(reason));
    json_decref(want);
    json_decref(names);
    json_decref(cond);
    json_decref(doc);
    return 0;
}
