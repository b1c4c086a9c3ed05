/* Load scenarios as `tars load` reads them (YAML, tasks, templates, thresholds). */
#include "fuzz.h"
#include "tars/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_load_scenario s;
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof(path));

    memset(&s, 0, sizeof(s));
    if (tars_load_scenario_load(path, &s, &err) == TARS_OK) {
        (void)tars_load_scenario_validate(&s, &err);
        tars_load_scenario_release(&s);
    }
    close(fd);
    return 0;
}
