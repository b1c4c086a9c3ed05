/* HTTP/1.1 responses as the load engine and the checks parse them: the
 * stream is fed in two pieces (split by the first byte), pipelined responses
 * are read one after the other, then the peer closes. */
#include "fuzz.h"
#include "tars/http.h"

static void run(const char *data, size_t size, size_t split, size_t keep)
{
    struct tars_http_parser_opts opts = {0};
    struct tars_err err = TARS_ERR_INIT;
    tars_http_parser *p = NULL;
    size_t off = 0, stop, used;
    int rc = TARS_AGAIN;

    opts.max_body_keep = keep;
    if (tars_http_parser_new(&p, &opts, &err) != TARS_OK)
        return;
    while (off < size) {
        stop = off < split ? split : size;
        used = 0;
        rc = tars_http_parser_feed(p, data + off, stop - off, &used, &err);
        if (rc < 0)
            break;
        if (rc == TARS_OK) {
            (void)tars_http_parser_response(p);
            if (used == 0)
                break;
            off += used;
        } else {
            off = stop;
        }
    }
    if (rc >= 0)
        (void)tars_http_parser_eof(p, &err);
    tars_http_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t split;

    if (size < 1)
        return 0;
    split = 1 + (data[0] % (size));
    run((const char *)data + 1, size - 1, split - 1, 0);
    run((const char *)data + 1, size - 1, split - 1, 4096);
    return 0;
}
