/* Kubeconfigs as the kubernetes and helm checks read them (current context
 * and a named one). */
#include "fuzz.h"
#include "kube/kube_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct kube_target t;
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof(path));

    memset(&t, 0, sizeof(t));
    if (kube_config_load(path, NULL, &t, &err) == TARS_OK)
        kube_target_release(&t);
    memset(&t, 0, sizeof(t));
    if (kube_config_load(path, "staging", &t, &err) == TARS_OK)
        kube_target_release(&t);
    close(fd);
    return 0;
}
