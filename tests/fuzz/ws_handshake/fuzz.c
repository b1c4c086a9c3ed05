/* The server's answer to the client's WebSocket upgrade request. */
#include "fuzz.h"
#include "tars/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    char *head = fuzz_string(data, size);
    int status = 0;

    (void)tars_ws_check_answer(head, "dGhlIHNhbXBsZSBub25jZQ==", &status, &err);
    free(head);
    return 0;
}
