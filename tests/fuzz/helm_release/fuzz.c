/* Helm release secrets as the kubernetes helm_release check reads them from a
 * cluster: the secret list (latest revision) and data.release (base64 of
 * base64 of gzip of JSON). */
#include "fuzz.h"
#include "kube/kube_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    char *text = fuzz_string(data, size);
    json_t *rel = NULL, *items;
    long revision = 0;

    if (helm_release_decode(text, &rel, &err) == TARS_OK)
        json_decref(rel);
    items = fuzz_json(data, size);
    if (items) {
        (void)helm_latest_secret(json_is_array(items) ? items : json_object_get(items, "items"),
                                 "tars", &revision);
        json_decref(items);
    }
    free(text);
    return 0;
}
