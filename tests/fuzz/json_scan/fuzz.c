/* The load engine's tree-less path scanner (tars_json_scan_path) against
 * what it stands for, jansson's tree and tars_json_path: the input is a path,
 * a newline, then JSON text; wherever the scanner answers, the answer must be
 * the tree's (valid or not, present or not, the value's type and text). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void agree(const struct tars_json_span *sp, json_t *v)
{
    char num[64];

    if (!v || json_typeof(v) != sp->type)
        abort();
    switch (sp->type) {
    case JSON_STRING:
        if (json_string_length(v) != sp->len || memcmp(json_string_value(v), sp->at, sp->len))
            abort();
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        if (sp->len >= sizeof(num))
            abort();
        memcpy(num, sp->at, sp->len);
        num[sp->len] = '\0';
        if (sp->type == JSON_INTEGER ? strtoll(num, NULL, 10) != json_integer_value(v)
                                     : strtod(num, NULL) != json_real_value(v))
            abort();
        break;
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (sp->len < 2 || sp->at[0] != (sp->type == JSON_OBJECT ? '{' : '['))
            abort();
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size < 300 ? size : 300);
    struct tars_json_span sp;
    enum tars_json_scan_rc rc;
    char path[301];
    json_t *doc = NULL, *v;
    size_t plen, len;
    char *body;

    if (!nl)
        return 0;
    plen = (size_t)(nl - (const char *)data);
    memcpy(path, data, plen);
    path[plen] = '\0';
    len = size - plen - 1;
    body = malloc(len ? len : 1); /* its own allocation: ASan sees any over-read */
    if (!body)
        return 0;
    memcpy(body, nl + 1, len);
    rc = tars_json_scan_path(body, len, path, &sp);
    tars_json_parse_bounded(body, len, 0, 0, &doc, NULL);
    v = doc ? tars_json_path(doc, path) : NULL;
    switch (rc) {
    case TARS_JSON_SCAN_INVALID:
        if (doc)
            abort();
        break;
    case TARS_JSON_SCAN_ABSENT:
        if (!doc || v)
            abort();
        break;
    case TARS_JSON_SCAN_FOUND: agree(&sp, v); break;
    case TARS_JSON_SCAN_UNSUPPORTED: break;
    }
    json_decref(doc);
    free(body);
    return 0;
}
