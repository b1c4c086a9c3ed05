/* Helpers for check types: results, parameters, comparisons,
 * and secret masking. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "tars/alloc.h"
#include "tars/str.h"

const char *tars_check_status_name(enum tars_check_status s)
{
    static const char *const names[] = {"pass", "fail", "skip", "error"};
    return (unsigned)s < 4 ? names[s] : "error";
}

static TARS_PRINTF(4, 0) void set_result(struct tars_check_result *r, enum tars_check_status st,
                                         bool transient, const char *fmt, va_list ap)
{
    r->status = st;
    r->transient = transient;
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
}

#define DEFINE_SETTER(fn, status)                                                                  \
    void fn(struct tars_check_result *r, const char *fmt, ...)                                     \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        set_result(r, status, false, fmt, ap);                                                     \
        va_end(ap);                                                                                \
    }
DEFINE_SETTER(tars_check_pass, TARS_CHECK_PASS)
DEFINE_SETTER(tars_check_fail, TARS_CHECK_FAIL)
DEFINE_SETTER(tars_check_skip, TARS_CHECK_SKIP)
#undef DEFINE_SETTER

void tars_check_error(struct tars_check_result *r, bool transient, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_result(r, TARS_CHECK_ERROR, transient, fmt, ap);
    va_end(ap);
}

void tars_check_empty(const struct tars_check_ctx *ctx, struct tars_check_result *r,
                      const char *fmt, ...)
{
    char msg[TARS_CHECK_REASON_MAX - 32];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx->on_empty == TARS_ON_EMPTY_SKIP)
        tars_check_skip(r, "no data (on_empty: skip): %s", msg);
    else if (ctx->on_empty == TARS_ON_EMPTY_FAIL)
        tars_check_fail(r, "no data (on_empty: fail): %s", msg);
    else
        tars_check_error(r, true, "no data: %s", msg); /* it may yet come: retried */
}

/* ---- parameters ---- */

const char *tars_check_param_str(const struct tars_check_ctx *ctx, const char *name,
                                 const char *fallback)
{
    json_t *v = json_object_get(ctx->params, name);
    return json_is_string(v) ? json_string_value(v) : fallback;
}

double tars_check_param_num(const struct tars_check_ctx *ctx, const char *name, double fallback)
{
    json_t *v = json_object_get(ctx->params, name);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

bool tars_check_param_bool(const struct tars_check_ctx *ctx, const char *name, bool fallback)
{
    json_t *v = json_object_get(ctx->params, name);
    const char *s = json_string_value(v);

    if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
        return s[0] == 't'; /* as a ${VAR} substitution leaves it */
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

const char *tars_check_target_str(const struct tars_check_ctx *ctx, const char *target,
                                  const char *field)
{
    const char *own = tars_check_param_str(ctx, field, NULL);
    json_t *v;

    if (own)
        return own;
    v = json_object_get(json_object_get(ctx->targets, target), field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- secrets ---- */

void secrets_add(struct tars_check_secrets *s, const char *value)
{
    if (!value || strlen(value) < 4 || s->count == CHECK_MAX_SECRETS)
        return; /* very short values would mask ordinary words */
    s->value[s->count++] = xstrdup(value);
}

void secrets_free(struct tars_check_secrets *s)
{
    for (size_t i = 0; s && i < s->count; i++) {
        explicit_bzero(s->value[i], strlen(s->value[i]));
        free(s->value[i]);
    }
    free(s);
}

void tars_check_secrets_mask(const struct tars_check_secrets *s, const char *in, char *out,
                             size_t size)
{
    size_t o = 0;

    while (*in && o + 1 < size) {
        size_t hit = 0;
        for (size_t i = 0; s && i < s->count && !hit; i++)
            if (strncmp(in, s->value[i], strlen(s->value[i])) == 0)
                hit = strlen(s->value[i]);
        if (hit) {
            for (int k = 0; k < 4 && o + 1 < size; k++)
                out[o++] = '*';
            in += hit;
        } else {
            out[o++] = *in++;
        }
    }
    out[o] = '\0';
}
