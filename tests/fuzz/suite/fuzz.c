/* Suite files as `tars validate` reads them (YAML, then every check's fields). */
#include "fuzz.h"
#include "tars/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_suite s;
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof(path));

    memset(&s, 0, sizeof(s));
    if (tars_suite_load(path, NULL, 0, &s, &err) == TARS_OK)
        tars_suite_release(&s);
    close(fd);
    return 0;
}
