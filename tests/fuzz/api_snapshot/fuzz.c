/* API snapshot files (`tars api-snapshot --compare OLD.json`): checked, then
 * compared with a snapshot of a live answer both ways. */
#include "fuzz.h"
#include "tars/api_snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *old = fuzz_json(data, size), *now, *body, *d;

    if (!old)
        return 0;
    body = json_pack("{s:[{s:i,s:s,s:n}],s:{s:b}}", "items", "id", 1, "name", "x", "extra", "meta",
                     "ok", 1);
    now = json_pack("{s:{s:{s:i,s:o}}}", "endpoints", "GET /api/v1/agents", "status", 200, "shape",
                    tars_api_shape(body));
    if (tars_api_snapshot_check(old, &err) == TARS_OK) {
        d = tars_api_compare(old, now);
        json_decref(d);
        d = tars_api_compare(now, old);
        json_decref(d);
    }
    d = tars_api_shape(old); /* any JSON answer's shape */
    json_decref(d);
    json_decref(body);
    json_decref(now);
    json_decref(old);
    return 0;
}
