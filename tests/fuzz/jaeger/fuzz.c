/* Jaeger /api/traces answers as the jaeger check counts trace continuity and
 * regions. */
#include "fuzz.h"
#include "core/misc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jaeger_continuity c;
    json_t *doc = fuzz_json(data, size);
    char why[256];

    if (!doc)
        return 0;
    memset(&c, 0, sizeof(c));
    (void)jaeger_continuity_compute(
        json_object_get(doc, "data") ? json_object_get(doc, "data") : doc, &c, why, sizeof(why));
    json_decref(doc);
    return 0;
}
