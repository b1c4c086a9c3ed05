/*
 * Checking sign-offs (docs/signoff.md): each record of signoffs.jsonl against
 * allowed_signers with ssh-keygen, then each role's state from the valid ones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "signoff_int.h"
#include "tars/json.h"
#include "tars/file.h"
#include "tars/signoff.h"

#define SIGNOFFS_MAX_BYTES (16u * 1024 * 1024)

struct verifier {
    const char *allowed;    /* allowed_signers path, or NULL */
    const char *ssh_keygen; /* "ssh-keygen" */
    const char *digest;     /* the run's evidence digest */
    struct signoff_scratch s;
    bool scratch_open;
};

/* ssh-keygen -Y find-principals: the principals allowed_signers gives the key
 * that made the signature (one per line), or false when it names no such key. */
static int find_principals(struct verifier *v, json_t *principals, bool *known,
                           struct tars_err *err)
{
    char *argv[] = {(char *)v->ssh_keygen, "-Y", "find-principals", "-s", v->s.sig, "-f",
                    (char *)v->allowed,    NULL};
    struct tars_buf out = TARS_BUF_INIT(SIGNOFF_OUTPUT_MAX);
    int rc, code = 0;

    *known = false;
    if ((rc = signoff_exec(argv, "/dev/null", v->s.out, SIGNOFF_VERIFY_TIMEOUT_MS, &code, err)))
        return rc;
    if (code != 0)
        return TARS_OK;
    if ((rc = signoff_read_file(v->s.out, SIGNOFF_OUTPUT_MAX, &out, err)))
        return rc;
    for (char *line = out.data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line)
            json_array_append_new(principals, json_string(line));
    }
    *known = json_array_size(principals) > 0;
    tars_buf_release(&out);
    return TARS_OK;
}

static bool has_principal(json_t *principals, const char *name)
{
    json_t *p;
    size_t i;

    json_array_foreach(principals, i, p) {
        if (json_string_value(p) && strcmp(json_string_value(p), name) == 0)
            return true;
    }
    return false;
}

/* The identities among principals (role principals left out), comma-separated. */
static void identities(json_t *principals, char *out, size_t cap)
{
    json_t *p;
    size_t i, n = 0;

    out[0] = '\0';
    json_array_foreach(principals, i, p) {
        const char *s = json_string_value(p);
        if (s && strncmp(s, "role:", 5) != 0 && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", s);
    }
}

static int verify_signature(struct verifier *v, const char *identity, bool *good,
                            struct tars_err *err)
{
    char *argv[] = {(char *)v->ssh_keygen,  "-Y", "verify",         "-f",
                    (char *)v->allowed,     "-I", (char *)identity, "-n",
                    TARS_SIGNOFF_NAMESPACE, "-s", v->s.sig,         NULL};
    int rc, code = 0;

    if ((rc = signoff_exec(argv, v->s.payload, v->s.out, SIGNOFF_VERIFY_TIMEOUT_MS, &code, err)))
        return rc;
    *good = code == 0;
    return TARS_OK;
}

/* Checks one parsed record; problem empty when it is valid. An error return
 * means ssh-keygen itself could not be run (nothing can be verified). */
static int check_record(struct verifier *v, json_t *rec, char *problem, size_t cap,
                        struct tars_err *err)
{
    struct tars_buf text = TARS_BUF_INIT(64 * 1024);
    struct tars_err e = TARS_ERR_INIT;
    const char *sig = json_string_value(json_object_get(rec, "signature"));
    const char *signer = json_string_value(json_object_get(rec, "signer"));
    const char *role = json_string_value(json_object_get(rec, "role"));
    const char *decision = json_string_value(json_object_get(rec, "decision"));
    const char *digest = json_string_value(json_object_get(rec, "digest"));
    const char *format = json_string_value(json_object_get(rec, "format"));
    json_t *principals = json_array();
    char role_p[TARS_SIGNOFF_MAX_TEXT + 8], ids[512];
    bool known = false, good = false;
    int rc = TARS_OK;

    problem[0] = '\0';
    if (!format || strcmp(format, TARS_SIGNOFF_FORMAT) != 0)
        snprintf(problem, cap, "not a %s record", TARS_SIGNOFF_FORMAT);
    else if (signoff_payload(rec, &text, &e) != TARS_OK)
        snprintf(problem, cap, "malformed record: %s", e.msg);
    else if (strcmp(decision, "approved") != 0 && strcmp(decision, "rejected") != 0)
        snprintf(problem, cap, "malformed record: decision \"%.40s\"", decision);
    else if (!sig || !*sig || strlen(sig) > SIGNOFF_SIG_MAX)
        snprintf(problem, cap, "not signed");
    else if (!v->allowed)
        snprintf(problem, cap, "not verified: no allowed_signers file given");
    if (problem[0])
        goto out;
    if (!v->scratch_open) {
        if ((rc = signoff_scratch_open(&v->s, err)))
            goto out;
        v->scratch_open = true;
    }
    if ((rc = tars_file_write(v->s.payload, text.data, text.len, 0600, err)) ||
        (rc = tars_file_write(v->s.sig, sig, strlen(sig), 0600, err)) ||
        (rc = find_principals(v, principals, &known, err)))
        goto out;
    tars_signoff_role_principal(role, role_p, sizeof(role_p));
    identities(principals, ids, sizeof(ids));
    if (!known)
        snprintf(problem, cap, "unknown signer: the key that signed is not in allowed_signers");
    else if (!has_principal(principals, signer))
        snprintf(problem, cap,
                 "unknown signer: the key that signed is %.200s's in allowed_signers, "
                 "not %.200s's",
                 ids, signer);
    else if ((rc = verify_signature(v, signer, &good, err)))
        goto out;
    else if (!good)
        snprintf(problem, cap, "bad signature: the record was changed after %.200s signed it",
                 signer);
    else if (!has_principal(principals, role_p))
        snprintf(problem, cap,
                 "signer %.200s is not allowed the role %.200s (allowed_signers "
                 "gives the key no %.200s)",
                 signer, role, role_p);
    else if (strcmp(digest, v->digest) != 0)
        snprintf(problem, cap, "signed other evidence (%.19s…; this run's evidence is %.19s…)",
                 digest, v->digest);
out:
    json_decref(principals);
    tars_buf_release(&text);
    return rc;
}

int signoff_check_one(const char *allowed, const char *ssh_keygen, const char *digest, json_t *rec,
                      char *problem, size_t cap, struct tars_err *err)
{
    struct verifier v = {
        .allowed = allowed, .ssh_keygen = ssh_keygen ? ssh_keygen : "ssh-keygen", .digest = digest};
    int rc = check_record(&v, rec, problem, cap, err);

    if (v.scratch_open)
        signoff_scratch_close(&v.s);
    return rc;
}

static json_t *record_entry(size_t line, json_t *rec, const char *problem)
{
    static const char *const keys[] = {"role",   "decision", "signer", "time",
                                       "reason", "digest",   NULL};
    json_t *e = json_pack("{s:I,s:b}", "line", (json_int_t)line, "valid", !problem[0]);

    for (const char *const *k = keys; *k; k++) {
        const char *s = json_string_value(json_object_get(rec, *k));
        if (s)
            json_object_set_new(e, *k, json_string(s));
    }
    if (problem[0])
        json_object_set_new(e, "problem", json_string(problem));
    return e;
}

/* Reads and checks every line; file-level problems (truncation, bad JSON) go to problems. */
static int check_file(struct verifier *v, const char *dir, json_t *records, json_t *problems,
                      struct tars_err *err)
{
    struct tars_buf data = TARS_BUF_INIT(SIGNOFFS_MAX_BYTES);
    char path[4096], problem[1024];
    size_t line = 0;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, TARS_SIGNOFF_FILE);
    rc = signoff_read_file(path, SIGNOFFS_MAX_BYTES, &data, err);
    if (rc == TARS_ENOTFOUND)
        return TARS_OK; /* nobody has signed yet */
    if (rc)
        return rc;
    for (char *p = data.data; rc == TARS_OK && p && *p;) {
        char *nl = strchr(p, '\n');
        bool whole = nl != NULL;
        json_t *rec;

        line++;
        if (nl)
            *nl = '\0';
        if (line > TARS_SIGNOFF_MAX_RECORDS) {
            json_array_append_new(problems,
                                  json_sprintf("%s: more than %d records; the rest is "
                                               "not read",
                                               TARS_SIGNOFF_FILE, TARS_SIGNOFF_MAX_RECORDS));
            break;
        }
        if (*p) {
            tars_json_parse_bounded(p, strlen(p), 0, JSON_REJECT_DUPLICATES, &rec, NULL);
            if (!whole || !json_is_object(rec)) {
                json_array_append_new(
                    problems, json_sprintf("%s:%zu: %s", TARS_SIGNOFF_FILE, line,
                                           !whole ? "truncated record (the file ends inside it)"
                                                  : "not a JSON record (truncated or edited)"));
                problem[0] = '\0';
                snprintf(problem, sizeof(problem), "%s",
                         !whole ? "truncated record" : "not a JSON record");
                if (json_is_object(rec))
                    json_array_append_new(records, record_entry(line, rec, problem));
            } else if ((rc = check_record(v, rec, problem, sizeof(problem), err)) == TARS_OK) {
                json_array_append_new(records, record_entry(line, rec, problem));
            }
            json_decref(rec);
        }
        p = nl ? nl + 1 : NULL;
    }
    tars_buf_release(&data);
    return rc;
}

static json_t *find_role(json_t *roles, const char *name)
{
    json_t *r;
    size_t i;

    json_array_foreach(roles, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "role")), name) == 0)
            return r;
    }
    r = json_pack("{s:s,s:s,s:[]}", "role", name, "state", "missing", "problems");
    json_array_append_new(roles, r);
    return r;
}

/* The last valid record of each signer for role r decides (see signoff.h). */
static void state_role(json_t *r, json_t *records)
{
    const char *role = json_string_value(json_object_get(r, "role"));
    json_t *last = json_object(), *rec, *approved = NULL, *rejected = NULL;
    const char *signer;
    size_t i;

    json_array_foreach(records, i, rec) {
        const char *rr = json_string_value(json_object_get(rec, "role"));
        if (!rr || strcmp(rr, role) != 0)
            continue;
        if (!json_is_true(json_object_get(rec, "valid"))) {
            json_array_append_new(
                json_object_get(r, "problems"),
                json_sprintf("%s:%lld: %s", TARS_SIGNOFF_FILE,
                             (long long)json_integer_value(json_object_get(rec, "line")),
                             json_string_value(json_object_get(rec, "problem"))));
            continue;
        }
        json_object_set(last, json_string_value(json_object_get(rec, "signer")), rec);
    }
    json_object_foreach(last, signer, rec) {
        if (strcmp(json_string_value(json_object_get(rec, "decision")), "rejected") == 0)
            rejected = rec;
        else if (!approved || strcmp(json_string_value(json_object_get(rec, "time")),
                                     json_string_value(json_object_get(approved, "time"))) > 0)
            approved = rec;
    }
    rec = rejected ? rejected : approved;
    if (rec) {
        json_object_set_new(r, "state", json_string(rejected ? "rejected" : "approved"));
        json_object_set(r, "signer", json_object_get(rec, "signer"));
        json_object_set(r, "time", json_object_get(rec, "time"));
        json_object_set(r, "reason", json_object_get(rec, "reason"));
    } else if (json_array_size(json_object_get(r, "problems"))) {
        json_object_set_new(r, "state", json_string("invalid"));
    }
    json_decref(last);
}

json_t *tars_signoff_verify(const char *dir, const char *allowed_signers, const char *const *roles,
                            const char *ssh_keygen, struct tars_err *err)
{
    struct verifier v = {.allowed = allowed_signers,
                         .ssh_keygen = ssh_keygen ? ssh_keygen : "ssh-keygen"};
    char digest[TARS_DIGEST_LEN];
    json_t *out = NULL, *records = json_array(), *problems = json_array(), *states = json_array(),
           *rec;
    size_t i;

    if (tars_evidence_digest(dir, digest, NULL, err) != TARS_OK)
        goto out;
    v.digest = digest;
    if (check_file(&v, dir, records, problems, err) != TARS_OK)
        goto out;
    for (const char *const *r = roles ? roles : tars_signoff_default_roles; *r; r++)
        find_role(states, *r);
    json_array_foreach(records, i, rec) {
        const char *role = json_string_value(json_object_get(rec, "role"));
        if (role && signoff_text_ok(role, false))
            find_role(states, role);
    }
    json_array_foreach(states, i, rec)
        state_role(rec, records);
    out = json_pack("{s:s,s:O,s:O,s:O}", "digest", digest, "problems", problems, "records", records,
                    "roles", states);
out:
    if (v.scratch_open)
        signoff_scratch_close(&v.s);
    json_decref(records);
    json_decref(problems);
    json_decref(states);
    return out;
}
