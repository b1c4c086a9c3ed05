/*
 * Making a sign-off (docs/signoff.md): the record, its payload, the signature
 * by the signer's own ssh-keygen, and the locked append to signoffs.jsonl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signoff_int.h"
#include "tars/file.h"
#include "tars/clock.h"
#include "tars/signoff.h"

const char *const tars_signoff_default_roles[] = {"Engineering Lead", "QA Lead",         "SRE Lead",
                                                  "Security Lead",    "Release Manager", NULL};

/* The signed fields, in the order the payload lists them. */
static const char *const payload_fields[] = {"digest", "role",   "decision", "signer",
                                             "time",   "reason", NULL};

bool signoff_text_ok(const char *s, bool may_be_empty)
{
    size_t n = 0;

    if (!s || (!may_be_empty && !*s))
        return false;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return n <= TARS_SIGNOFF_MAX_TEXT;
}

void tars_signoff_role_principal(const char *role, char *out, size_t cap)
{
    size_t n = 0;
    bool dash = false;

    n = (size_t)snprintf(out, cap, "role:");
    for (const char *p = role; *p && n + 2 < cap; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out[n++] = c;
            dash = false;
        } else if (c >= 'A' && c <= 'Z') {
            out[n++] = (char)(c - 'A' + 'a');
            dash = false;
        } else if (!dash && n > 5) {
            out[n++] = '-';
            dash = true;
        }
    }
    if (dash)
        n--;
    out[n] = '\0';
}

int signoff_payload(json_t *record, struct tars_buf *out, struct tars_err *err)
{
    tars_buf_reset(out);
    if (tars_buf_puts(out, TARS_SIGNOFF_FORMAT "\n") != TARS_OK)
        return tars_err_set(err, TARS_ETOOBIG, "sign-off payload too long");
    for (const char *const *f = payload_fields; *f; f++) {
        const char *v = json_string_value(json_object_get(record, *f));
        if (!signoff_text_ok(v, strcmp(*f, "reason") == 0))
            return tars_err_set(
                err, TARS_EINVAL,
                "field \"%s\" is missing, not text, too long or holds a control character", *f);
        if (tars_buf_printf(out, "%s: %s\n", *f, v) != TARS_OK)
            return tars_err_set(err, TARS_ETOOBIG, "sign-off payload too long");
    }
    return TARS_OK;
}

/* The signer must have read a report of this evidence: DIR/report.md names the digest. */
static int check_report(const char *dir, const char *digest, struct tars_err *err)
{
    char path[4096], named[TARS_DIGEST_LEN];
    struct tars_err e = TARS_ERR_INIT;

    snprintf(path, sizeof(path), "%s/report.md", dir);
    if (tars_signoff_report_digest(path, named, &e) != TARS_OK)
        return tars_err_set(err, TARS_ECONFLICT,
                            "%s; render the report of this evidence (tars report %s) and read it "
                            "before signing",
                            e.msg, dir);
    if (strcmp(named, digest) != 0)
        return tars_err_set(err, TARS_ECONFLICT,
                            "report.md shows evidence %.19s… but the run's evidence is now %.19s…: "
                            "render it again (tars report %s) and read it before signing",
                            named, digest, dir);
    return TARS_OK;
}

static json_t *new_record(const struct tars_signoff_request *req, const char *digest,
                          struct tars_err *err)
{
    char when[TARS_ISO8601_LEN];
    json_t *r;

    if (!signoff_text_ok(req->role, false))
        return tars_err_set(err, TARS_EINVAL,
                            "the role must be 1 to %d characters, no control "
                            "characters",
                            TARS_SIGNOFF_MAX_TEXT),
               NULL;
    if (!signoff_text_ok(req->identity, false) || strpbrk(req->identity, " ,*?!\""))
        return tars_err_set(err, TARS_EINVAL,
                            "the signer identity must be one allowed_signers "
                            "principal (no spaces, commas or patterns)"),
               NULL;
    if (!signoff_text_ok(req->reason ? req->reason : "", req->approve))
        return tars_err_set(err, TARS_EINVAL, "%s",
                            req->approve ? "the reason may not hold control characters"
                                         : "a rejection needs a reason (one line)"),
               NULL;
    tars_iso8601(req->now_ms, when);
    r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "format", TARS_SIGNOFF_FORMAT, "digest", digest,
                  "role", req->role, "decision", req->approve ? "approved" : "rejected", "signer",
                  req->identity, "time", when, "reason", req->reason ? req->reason : "");
    if (!r)
        tars_err_set(err, TARS_EINVAL, "the role, identity and reason must be UTF-8 text");
    return r;
}

static int sign_payload(const struct tars_signoff_request *req, json_t *record,
                        struct tars_err *err)
{
    struct signoff_scratch s = {0};
    struct tars_buf text = TARS_BUF_INIT(64 * 1024), sig = TARS_BUF_INIT(SIGNOFF_SIG_MAX);
    char *argv[] = {(char *)(req->ssh_keygen ? req->ssh_keygen : "ssh-keygen"),
                    "-q",
                    "-Y",
                    "sign",
                    "-f",
                    (char *)req->key_file,
                    "-n",
                    TARS_SIGNOFF_NAMESPACE,
                    NULL,
                    NULL};
    int rc, code = 0;

    if ((rc = signoff_payload(record, &text, err)) || (rc = signoff_scratch_open(&s, err)) ||
        (rc = tars_file_write(s.payload, text.data, text.len, 0600, err)))
        goto out;
    argv[8] = s.payload;
    if ((rc = signoff_exec(argv, NULL, s.out, SIGNOFF_SIGN_TIMEOUT_MS, &code, err)))
        goto out;
    if (code != 0) {
        struct tars_buf o = TARS_BUF_INIT(SIGNOFF_OUTPUT_MAX);
        bool got = signoff_read_file(s.out, SIGNOFF_OUTPUT_MAX, &o, NULL) == TARS_OK && o.data;
        char *nl = got ? strchr(o.data, '\n') : NULL;
        if (nl && nl[1] == '\0')
            *nl = '\0';
        rc =
            tars_err_set(err, TARS_EAUTH, "ssh-keygen could not sign with \"%s\" (exit %d): %.150s",
                         req->key_file, code, got ? o.data : "no output");
        tars_buf_release(&o);
        goto out;
    }
    if ((rc = signoff_read_file(s.sig, SIGNOFF_SIG_MAX, &sig, err)))
        goto out;
    json_object_set_new(record, "signature", json_string(sig.data ? sig.data : ""));
out:
    signoff_scratch_close(&s);
    tars_buf_release(&text);
    tars_buf_release(&sig);
    return rc;
}

/* A record that would be invalid is refused before it is written (an unknown key, a role the
 * key may not sign for), so the signer learns it now, not at promotion. */
static int check_own(const struct tars_signoff_request *req, json_t *r, const char *digest,
                     struct tars_err *err)
{
    char problem[1024];
    int rc = signoff_check_one(req->allowed_signers, req->ssh_keygen, digest, r, problem,
                               sizeof(problem), err);

    if (rc == TARS_OK && problem[0])
        rc =
            tars_err_set(err, TARS_ECONFLICT, "not recorded, it would be invalid: %.200s", problem);
    return rc;
}

int tars_signoff_sign(const struct tars_signoff_request *req, json_t **record, struct tars_err *err)
{
    char digest[TARS_DIGEST_LEN];
    json_t *r = NULL;
    int rc;

    if (!req->key_file || !*req->key_file)
        return tars_err_set(err, TARS_EINVAL, "no signing key given");
    if ((rc = tars_evidence_digest(req->dir, digest, NULL, err)) ||
        (rc = check_report(req->dir, digest, err)))
        return rc;
    if (!(r = new_record(req, digest, err)))
        return TARS_EINVAL;
    if ((rc = sign_payload(req, r, err)) == TARS_OK && req->allowed_signers)
        rc = check_own(req, r, digest, err);
    if (rc == TARS_OK)
        rc = tars_signoff_append(req->dir, TARS_SIGNOFF_FILE, r, err);
    if (rc == TARS_OK && record)
        *record = json_incref(r);
    json_decref(r);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int tars_signoff_append(const char *dir, const char *name, json_t *line, struct tars_err *err)
{
    char path[4096], last = '\n';
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    struct stat st;
    int fd = -1, rc = TARS_OK;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!text)
        return tars_err_set(err, TARS_EINTERNAL, "cannot encode the record");
    if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0 ||
        flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
        rc = tars_err_set(err, TARS_EIO, "cannot open \"%s\" for appending: %s", path,
                          strerror(errno));
        goto out;
    }
    /* A record cut short (a crash, a full disk) must not swallow this one. */
    if (st.st_size > 0) {
        int rfd = open(path, O_RDONLY | O_CLOEXEC);
        if (rfd < 0 || pread(rfd, &last, 1, st.st_size - 1) != 1)
            last = '\n';
        if (rfd >= 0)
            close(rfd);
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps' NUL becomes the line's end: one write per record */
    if ((last != '\n' && write_all(fd, "\n", 1) != 0) || write_all(fd, text, n + 1) != 0 ||
        fsync(fd) != 0)
        rc = tars_err_set(err, TARS_EIO, "cannot append to \"%s\": %s", path, strerror(errno));
out:
    if (fd >= 0)
        close(fd); /* releases the lock */
    free(text);
    return rc;
}
