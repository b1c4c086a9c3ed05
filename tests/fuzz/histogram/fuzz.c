/* Histogram JSON (latencies in run.json and load results) and whole load
 * results as `tars compare` and `tars load merge` read them. */
#include "fuzz.h"
#include "tars/hist.h"
#include "tars/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_load_result r, sum;
    json_t *v = fuzz_json(data, size);
    tars_hist *h = NULL;

    if (!v)
        return 0;
    if (tars_hist_from_json(v, &h, &err) == TARS_OK)
        tars_hist_free(h);
    memset(&r, 0, sizeof(r));
    if (tars_load_result_from_json(v, &r, &err) == TARS_OK) {
        memset(&sum, 0, sizeof(sum));
        if (tars_load_result_from_json(v, &sum, &err) == TARS_OK) {
            (void)tars_load_result_merge(&sum, &r, &err);
            tars_load_result_release(&sum);
        }
        tars_load_result_release(&r);
    }
    json_decref(v);
    return 0;
}
