/* WebSocket frame headers as the client (ws-stress, the websocket check)
 * reads them from a server, frame after frame, with the unmasking applied. */
#include "fuzz.h"
#include "tars/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_ws_frame f;
    size_t off = 0;
    uint8_t x = 0;

    while (off < size &&
           tars_ws_frame_parse(data + off, size - off, 1 << 20, &f, &err) == TARS_OK) {
        if (f.header_len == 0 || f.payload_len > size - off - f.header_len)
            break;
        for (uint64_t i = 0; i < f.payload_len; i++) /* touch every payload byte */
            x ^= (uint8_t)(data[off + f.header_len + i] ^ (f.masked ? f.mask[i & 3] : 0));
        off += f.header_len + (size_t)f.payload_len;
    }
    volatile uint8_t sink = x; /* keeps the loop from being optimised away */
    (void)sink;
    return 0;
}
