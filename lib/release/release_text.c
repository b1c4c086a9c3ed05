/* ${...} expansion in release steps (see release_int.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "release_int.h"
#include "tars/buf.h"
#include "tars/alloc.h"

static const char *lookup(const char *name, size_t len, const struct release_vars *v, char *num,
                          size_t cap)
{
    static const char *const names[] = {"version",   "base_url",      "environment",
                                        "namespace", "run_dir",       "artifacts_dir",
                                        "tars",      "canary_weight", "ws_url"};
    const char *values[] = {v->version, v->base_url,      v->environment, v->namespace_,
                            v->run_dir, v->artifacts_dir, v->tars,        NULL};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) != len || memcmp(names[i], name, len) != 0)
            continue;
        if (i == 7) {
            snprintf(num, cap, "%d", v->canary_weight);
            return num;
        }
        if (i == 8) { /* http://h:p/x -> ws://h:p/x */
            const char *b = v->base_url ? v->base_url : "";
            bool tls = strncmp(b, "https://", 8) == 0;
            const char *rest = strstr(b, "://");
            snprintf(num, cap, "%s%s", tls ? "wss://" : "ws://", rest ? rest + 3 : b);
            return num;
        }
        return values[i] ? values[i] : "";
    }
    return NULL;
}

char *release_expand(const char *text, const struct release_vars *v)
{
    struct tars_buf out = TARS_BUF_INIT(1 << 20);
    char num[1024], *s;
    int rc = TARS_OK;

    for (const char *p = text; *p && rc == TARS_OK;) {
        const char *end = p[0] == '$' && p[1] == '{' ? strchr(p + 2, '}') : NULL;
        const char *value = end ? lookup(p + 2, (size_t)(end - p - 2), v, num, sizeof(num)) : NULL;
        if (value) {
            rc = tars_buf_puts(&out, value);
            p = end + 1;
        } else {
            rc = tars_buf_append(&out, p, 1);
            p++;
        }
    }
    s = rc == TARS_OK ? tars_buf_take(&out, NULL) : NULL;
    tars_buf_release(&out);
    return s ? s : xstrdup("");
}
