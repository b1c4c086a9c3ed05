/*
 * The api_compat check type: takes a snapshot of the running dashboard API
 * and compares it with the stored snapshot of the previous version
 * (tars/api_snapshot.h). A removed endpoint, a removed field or a changed
 * type fails; additions are listed in the reason of a pass.
 *
 *   type: api_compat
 *   snapshot: tests/fixtures/api-snapshot-v1.0.1.json
 *   token: ${API_TOKEN}          # any role; admin endpoints answer 403 to others
 *   writes: false                # true: POST, PUT and DELETE an evaluation too
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tars/json.h"
#include "tars/api_snapshot.h"
#include "tars/check.h"

static void summarise(json_t *list, char *out, size_t cap)
{
    size_t used = 0, i;
    json_t *v;

    out[0] = '\0';
    json_array_foreach(list, i, v) {
        int n = snprintf(out + used, cap - used, "%s%s", i ? "; " : "", json_string_value(v));
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
}

static void api_compat_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    const char *path = tars_check_param_str(ctx, "snapshot", NULL);
    struct tars_api_snapshot_options o = {0};
    struct tars_err err = TARS_ERR_INIT;
    json_t *old = NULL, *now = NULL, *diff;
    char text[TARS_CHECK_REASON_MAX];

    tars_json_load_file(path, 0, 0, &old, &err);
    if (!old || !json_is_object(json_object_get(old, "endpoints"))) {
        tars_check_error(out, false, "cannot read the snapshot \"%s\": %s", path,
                         old ? "no \"endpoints\"" : err.msg);
        json_decref(old);
        return;
    }
    o.base_url =
        tars_check_param_str(ctx, "base_url", tars_check_target_str(ctx, "api", "base_url"));
    o.token = tars_check_param_str(ctx, "token", NULL);
    o.token = o.token && *o.token ? o.token : NULL;
    o.writes = tars_check_param_bool(ctx, "writes", false);
    o.insecure = tars_check_param_bool(ctx, "insecure", false);
    o.timeout_ms = ctx->timeout_ms > 0 ? ctx->timeout_ms / 4 : 0;
    if (!o.base_url) {
        tars_check_error(out, false, "no base_url: give base_url or targets.api.base_url");
    } else if (tars_api_snapshot_take(&o, &now, &err) != TARS_OK) {
        tars_check_error(out, true, "%s", err.msg);
    } else {
        diff = tars_api_compare(old, now);
        if (json_integer_value(json_object_get(diff, "endpoints")) <= 0 &&
            !json_array_size(json_object_get(diff, "breaking"))) {
            /* an empty snapshot compares nothing: no data, never a pass */
            tars_check_empty(ctx, out, "the snapshot %s lists no endpoint to compare", path);
        } else if (json_array_size(json_object_get(diff, "breaking"))) {
            summarise(json_object_get(diff, "breaking"), text, sizeof(text));
            tars_check_fail(out, "%zu breaking change(s) against %s: %s",
                            json_array_size(json_object_get(diff, "breaking")), path, text);
        } else {
            summarise(json_object_get(diff, "additions"), text, sizeof(text));
            tars_check_pass(out, "%d endpoints compatible with %s%s%s",
                            (int)json_integer_value(json_object_get(diff, "endpoints")), path,
                            text[0] ? "; added: " : "", text);
        }
        json_decref(diff);
    }
    json_decref(now);
    json_decref(old);
}

static int api_compat_read_params(const struct tars_json_reader *rd, json_t *params)
{
    const char *snapshot;
    char text[4096];
    bool b;
    int rc;

    if ((rc = tars_json_get_string(rd, params, "snapshot", TARS_JSON_REQUIRED, PATH_MAX,
                                   &snapshot)) ||
        (rc = tars_json_get_text(rd, params, "base_url", TARS_JSON_OPTIONAL, text, sizeof(text))) ||
        (rc = tars_json_get_text(rd, params, "token", TARS_JSON_OPTIONAL, text, sizeof(text))) ||
        (rc = tars_json_get_bool(rd, params, "writes", TARS_JSON_OPTIONAL, &b)))
        return rc;
    return tars_json_get_bool(rd, params, "insecure", TARS_JSON_OPTIONAL, &b);
}

static const char *const api_compat_params[] = {"snapshot", "base_url", "token",
                                                "writes",   "insecure", NULL};
static const char *const api_compat_required[] = {"snapshot", NULL};

const struct tars_check_type tars_check_api_compat = {
    .name = "api_compat",
    .category_hint = "upgrade safety",
    .params = api_compat_params,
    .required = api_compat_required,
    .read_params = api_compat_read_params,
    .run = api_compat_run,
};
