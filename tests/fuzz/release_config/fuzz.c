/* Release configs as `tars release --config` reads them. */
#include "fuzz.h"
#include "tars/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_release_config cfg;
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof(path));

    memset(&cfg, 0, sizeof(cfg));
    if (tars_release_config_load(path, &cfg, &err) == TARS_OK)
        tars_release_config_release(&cfg);
    close(fd);
    return 0;
}
