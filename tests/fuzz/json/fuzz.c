/* tars' JSON reader (request bodies of `tars serve`, answers of every checked
 * service, run files), with its line:column errors. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v = NULL;

    if (tars_json_parse((const char *)data, size, &v, &err) == 0)
        json_decref(v);
    return 0;
}
