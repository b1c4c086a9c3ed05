#include "tars/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tars/str.h"

int tars_err_set(struct tars_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void tars_err_prefix(struct tars_err *err, const char *prefix)
{
    char tmp[TARS_ERR_MSG_MAX];
    size_t n;

    if (!err)
        return;
    n = tars_strlcpy(tmp, prefix, sizeof(tmp));
    if (n < sizeof(tmp))
        n += tars_strlcpy(tmp + n, ": ", sizeof(tmp) - n);
    if (n < sizeof(tmp))
        tars_strlcpy(tmp + n, err->msg, sizeof(tmp) - n);
    memcpy(err->msg, tmp, sizeof(tmp));
}

const char *tars_code_name(int code)
{
    switch (code) {
    case TARS_OK: return "ok";
    case TARS_AGAIN: return "try again";
    case TARS_EINVAL: return "invalid input";
    case TARS_ENOTFOUND: return "not found";
    case TARS_ECONFLICT: return "conflict";
    case TARS_EIO: return "i/o error";
    case TARS_EUNAVAIL: return "unavailable";
    case TARS_ETOOBIG: return "too big";
    case TARS_EAUTH: return "not authorised";
    case TARS_ENOSPACE: return "no space left";
    default: return "internal error";
    }
}
