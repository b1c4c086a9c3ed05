/* Threshold expressions: load scenarios ("p95<150ms", "error_rate<1%"),
 * ws-stress (--threshold) and tars compare ("latency=10%", cutoffs). The
 * first byte picks the grammar. */
#include "fuzz.h"
#include "tars/compare.h"
#include "tars/load.h"
#include "tars/ws_stress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_compare_options o;
    struct tars_ws_threshold wt;
    struct tars_threshold th;
    char *text;

    if (size < 1)
        return 0;
    text = fuzz_string(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        memset(&th, 0, sizeof(th));
        if (tars_threshold_parse(text, &th, &err) == TARS_OK)
            tars_threshold_release(&th);
        break;
    case 1:
        memset(&wt, 0, sizeof(wt));
        (void)tars_ws_threshold_parse(text, &wt, &err);
        break;
    case 2:
        tars_compare_options_init(&o);
        (void)tars_compare_threshold_parse(&o, text, &err);
        break;
    default:
        tars_compare_options_init(&o);
        (void)tars_compare_cutoffs_parse(&o, text, &err);
        break;
    }
    free(text);
    return 0;
}
