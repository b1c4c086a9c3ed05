/* run.json as `tars report` and `tars compare` read it: loaded from a file
 * (also a bare load result), bound to the report's variables, and compared
 * with itself. Histograms and check results inside it are read on the way. */
#include "fuzz.h"
#include "tars/compare.h"
#include "tars/report_vars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_compare_options o;
    struct tars_compare_result cr;
    struct tars_report_binding b;
    json_t *run = NULL;
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof(path));

    if (tars_compare_input_load(path, &run, &err) == TARS_OK) {
        memset(&b, 0, sizeof(b));
        if (tars_report_bind(run, NULL, 1700000000, &b, &err) == TARS_OK)
            tars_report_binding_release(&b);
        tars_compare_options_init(&o);
        memset(&cr, 0, sizeof(cr));
        if (tars_compare_runs(run, run, &o, &cr, &err) == TARS_OK)
            tars_compare_result_release(&cr);
        json_decref(run);
    }
    close(fd);
    return 0;
}
