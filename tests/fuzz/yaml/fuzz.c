/* YAML files (suites, scenarios, release configs, kubeconfigs): lib/yaml. */
#include <stddef.h>
#include <stdint.h>

#include "tars/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    tars_yaml_doc *d = tars_yaml_load_string("f.yaml", (const char *)data, size, &err);
    char where[64];

    if (d) {
        tars_yaml_where(d, tars_yaml_root(d), where, sizeof(where));
        tars_yaml_free(d);
    }
    return 0;
}
