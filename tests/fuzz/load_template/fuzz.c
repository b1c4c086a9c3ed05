/* Request templates of load scenarios (${seq}, ${random.int(a,b)},
 * ${random.choice(...)}, ${uuid}, ${env.X}), compiled and rendered. */
#include "fuzz.h"
#include "tars/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_buf out = TARS_BUF_INIT(1 << 20);
    uint64_t rng[4] = {1, 2, 3, 4};
    char *text = fuzz_string(data, size);
    tars_load_template *t = tars_load_template_compile(text, &err);

    for (uint64_t seq = 0; t && seq < 3; seq++) {
        out.len = 0;
        (void)tars_load_template_render(t, seq, rng, &out);
    }
    tars_load_template_free(t);
    tars_buf_release(&out);
    free(text);
    return 0;
}
