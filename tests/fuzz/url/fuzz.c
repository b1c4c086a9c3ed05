/* URLs from suites, scenarios, release configs and the command line. */
#include "fuzz.h"
#include "tars/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_url u;
    char *text = fuzz_string(data, size);
    char host[300];

    memset(&u, 0, sizeof(u));
    if (tars_url_parse(&u, text, &err) == TARS_OK)
        (void)tars_url_authority(&u, host, sizeof(host));
    free(text);
    return 0;
}
