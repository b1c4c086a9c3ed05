/*
 * The report's evidence digest and sign-off checklist (section 11): a role is
 * ticked only from a verified sign-off on this run's digest, never from text.
 */
#include <stdio.h>
#include <string.h>

#include "tars/report_vars.h"
#include "tars/signoff.h"

#define STATE_MAX 4096

/* Masks secrets in what a person typed (a reason); the renderer escapes it as
 * every value, so it can never render as a tick or a link. */
static void safe_text(const char *in, char *out, size_t cap)
{
    struct tars_buf masked = TARS_BUF_INIT(64 * 1024);
    const char *s = in ? in : "";

    if (tars_report_mask(s, &masked) == TARS_OK && masked.data)
        s = masked.data;
    snprintf(out, cap, "%s", s);
    tars_buf_release(&masked);
}

static json_t *role_row(json_t *r)
{
    const char *state = json_string_value(json_object_get(r, "state"));
    json_t *problems = json_object_get(r, "problems");
    char role[512], signer[512], when[64], reason[1200], first[1200], text[STATE_MAX];
    size_t np = json_array_size(problems);

    safe_text(json_string_value(json_object_get(r, "role")), role, sizeof(role));
    safe_text(json_string_value(json_object_get(r, "signer")), signer, sizeof(signer));
    safe_text(json_string_value(json_object_get(r, "time")), when, sizeof(when));
    safe_text(json_string_value(json_object_get(r, "reason")), reason, sizeof(reason));
    safe_text(json_string_value(json_array_get(problems, 0)), first, sizeof(first));
    if (strcmp(state, "approved") == 0)
        snprintf(text, sizeof(text), "Approved by %s at %s (signature verified)", signer, when);
    else if (strcmp(state, "rejected") == 0)
        snprintf(text, sizeof(text), "Rejected by %s at %s: %s", signer, when, reason);
    else if (strcmp(state, "invalid") == 0)
        snprintf(text, sizeof(text), "not signed off: %zu invalid sign-off%s (%s)", np,
                 np == 1 ? "" : "s", first);
    else
        snprintf(text, sizeof(text), "awaiting a signed sign-off");
    return json_pack("{s:s,s:s,s:s}", "ROLE", role, "TICK",
                     strcmp(state, "approved") == 0 ? "x" : " ", "STATE", text);
}

int tars_signoff_report_values(const char *dir, const char *allowed_signers, json_t *values,
                               json_t *reasons, struct tars_err *err)
{
    json_t *v = tars_signoff_verify(dir, allowed_signers, NULL, NULL, err), *r, *rows, *problems;
    char text[1200];
    size_t i;

    if (!v) {
        json_object_set_new(reasons, "EVIDENCE_DIGEST", json_sprintf("no digest: %s", err->msg));
        json_object_set_new(reasons, "SIGNOFFS", json_sprintf("sign-offs not read: %s", err->msg));
        return err->code ? err->code : TARS_EINTERNAL;
    }
    json_object_set(values, "EVIDENCE_DIGEST", json_object_get(v, "digest"));
    rows = json_array();
    json_array_foreach(json_object_get(v, "roles"), i, r)
        json_array_append_new(rows, role_row(r));
    json_object_set_new(values, "SIGNOFFS", rows);
    problems = json_array();
    json_array_foreach(json_object_get(v, "problems"), i, r) {
        safe_text(json_string_value(r), text, sizeof(text));
        json_array_append_new(problems, json_pack("{s:s}", "PROBLEM", text));
    }
    json_object_set_new(values, "SIGNOFF_PROBLEMS", problems);
    if (!allowed_signers && json_array_size(json_object_get(v, "records")))
        json_object_set_new(values, "SIGNOFF_UNVERIFIED",
                            json_string("No allowed_signers file was given (--allowed-signers or "
                                        "TARS_ALLOWED_SIGNERS), so no sign-off could be verified "
                                        "and none is ticked."));
    json_decref(v);
    return TARS_OK;
}
