/*
 * Sign-offs (docs/signoff.md): people approve the exact evidence they read.
 *
 * The evidence digest of a run directory is SHA-256 over a canonical listing
 * ("tars-evidence/1", then "<sha256>  <size>  <path>" per file, sorted by path)
 * of its evidence files: run.json, checks*.json|xml, load*.json|csv, ws*.json,
 * db*.json, integrity*.json and every SHA256SUMS one directory down. The report
 * is rendered from that evidence and names the digest in its header; it is not
 * itself hashed (it shows the sign-offs, which come after it).
 *
 * A sign-off is one line of DIR/signoffs.jsonl: role, decision, reason, signer
 * identity, time and the digest it applies to, with an SSH signature (namespace
 * "tars-signoff") made by the signer's own ssh-keygen over the record's payload.
 * It is verified with ssh-keygen against an allowed_signers file whose lines
 * name each key's identity and its roles as "role:<slug>" principals.
 *
 * tars never opens key material: ssh-keygen is run with fork/exec (no shell),
 * the key's path on its argv, the payload and signature in a private temporary
 * directory. Records are appended under an exclusive flock(2), one write(2)
 * per record, so concurrent signers never lose one.
 */
#ifndef TARS_SIGNOFF_H
#define TARS_SIGNOFF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/buf.h"
#include "tars/err.h"

#define TARS_SIGNOFF_NAMESPACE "tars-signoff"
#define TARS_SIGNOFF_FORMAT "tars-signoff/1"
#define TARS_SIGNOFF_FILE "signoffs.jsonl"
#define TARS_EVIDENCE_FORMAT "tars-evidence/1"
#define TARS_DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */
#define TARS_SIGNOFF_MAX_RECORDS 1000
#define TARS_SIGNOFF_MAX_TEXT 1024 /* role, reason, identity: bytes each */

/* The five roles of the seed's checklist, NULL-terminated. */
extern const char *const tars_signoff_default_roles[];

/* The evidence digest of dir ("sha256:<hex>"); listing, when given, receives
 * the canonical listing it hashes. A symbolic link or a file that cannot be
 * read among the evidence is an error (TARS_EINVAL, TARS_EIO). */
int tars_evidence_digest(const char *dir, char digest[TARS_DIGEST_LEN], struct tars_buf *listing,
                         struct tars_err *err) TARS_MUST_CHECK;

/* The digest a report names in its header ("**Evidence digest:** `sha256:…`"),
 * into digest; TARS_ENOTFOUND when the file has none. */
int tars_signoff_report_digest(const char *report_path, char digest[TARS_DIGEST_LEN],
                               struct tars_err *err) TARS_MUST_CHECK;

/* "role:engineering-lead" for "Engineering Lead": the allowed_signers
 * principal that grants a role (lowercase; runs of other bytes become "-"). */
void tars_signoff_role_principal(const char *role, char *out, size_t cap);

struct tars_signoff_request {
    const char *dir;      /* the run directory */
    const char *role;     /* "QA Lead" */
    int approve;          /* 1 approve, 0 reject */
    const char *reason;   /* required for a rejection; may be NULL otherwise */
    const char *identity; /* the signer, as allowed_signers names them */
    const char *key_file; /* handed to ssh-keygen -f (a private key, or a public key in an agent) */
    int64_t now_ms;       /* the record's time */
    const char *ssh_keygen;      /* NULL: "ssh-keygen" from PATH */
    const char *allowed_signers; /* optional: the new record must verify against it */
};

/* Signs and appends one record; *record (when given) receives it. Refuses
 * (TARS_ECONFLICT) when DIR/report.md does not name the current digest: the
 * signer must have read a report of this evidence; and, with allowed_signers,
 * when the new record would not verify (its problem named; nothing appended). */
int tars_signoff_sign(const struct tars_signoff_request *req, json_t **record,
                      struct tars_err *err) TARS_MUST_CHECK;

/*
 * Verifies every record of dir against allowed_signers (a path; NULL: nothing
 * can be verified, every record is "not verified") and states each role of
 * roles (NULL-terminated; NULL: the default five) plus any other role a record
 * names. Returns a new object:
 *   {"digest", "problems":[text],            file-level: truncated, unreadable lines
 *    "records":[{"line","role","decision","signer","time","reason","digest",
 *                "valid":bool,"problem"}],
 *    "roles":[{"role","state":"approved|rejected|missing|invalid",
 *              "signer","time","reason","problems":[text]}]}
 * Per (role, signer) the last valid record counts; a role is rejected when any
 * signer's last word is a rejection, approved when at least one approved and
 * none rejected, invalid when it only has invalid records, else missing.
 */
json_t *tars_signoff_verify(const char *dir, const char *allowed_signers, const char *const *roles,
                            const char *ssh_keygen, struct tars_err *err);

/* The report's variables (docs/report.md): EVIDENCE_DIGEST; SIGNOFFS, one
 * {ROLE, TICK ("x" only for a verified approval of this digest), STATE} per
 * role; SIGNOFF_PROBLEMS [{PROBLEM}]; SIGNOFF_UNVERIFIED without allowed_signers.
 * Text a person typed is masked and Markdown-escaped. On error the reasons say why. */
int tars_signoff_report_values(const char *dir, const char *allowed_signers, json_t *values,
                               json_t *reasons, struct tars_err *err);

/* Appends one line (a JSON object, compact) to DIR/name under an exclusive
 * lock; a last line left without its newline is closed first. */
int tars_signoff_append(const char *dir, const char *name, json_t *line,
                        struct tars_err *err) TARS_MUST_CHECK;

#endif
