/* Sign-off internals shared by signoff*.c: ssh-keygen as a child, scratch files, payloads. */
#ifndef TARS_SIGNOFF_INT_H
#define TARS_SIGNOFF_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tars/buf.h"
#include "tars/err.h"

#define SIGNOFF_SIG_MAX (16u * 1024)            /* an SSH signature is well under 2 KiB */
#define SIGNOFF_OUTPUT_MAX (8u * 1024)          /* what is kept of ssh-keygen's output */
#define SIGNOFF_SIGN_TIMEOUT_MS (5 * 60 * 1000) /* the signer may type a passphrase */
#define SIGNOFF_VERIFY_TIMEOUT_MS (60 * 1000)

/* A private scratch directory (mode 0700) under $TMPDIR or /tmp. */
struct signoff_scratch {
    char dir[512];
    char payload[600], sig[600], out[600];
};
int signoff_scratch_open(struct signoff_scratch *s, struct tars_err *err) TARS_MUST_CHECK;
void signoff_scratch_close(struct signoff_scratch *s);

/* Runs argv (argv[0] from PATH) by fork/exec, no shell: stdin from in_path
 * (NULL: inherited, so ssh-keygen can ask for a passphrase on the terminal),
 * stdout and stderr into out_path. *exit_code: its exit status, or -1 when it
 * was killed or ran past timeout_ms (then killed). */
int signoff_exec(char *const argv[], const char *in_path, const char *out_path, int64_t timeout_ms,
                 int *exit_code, struct tars_err *err) TARS_MUST_CHECK;

/* Reads at most max bytes of path into out (NUL-terminated). */
int signoff_read_file(const char *path, size_t max, struct tars_buf *out,
                      struct tars_err *err) TARS_MUST_CHECK;

/* The signed text of a record: every field but the signature, one per line. */
int signoff_payload(json_t *record, struct tars_buf *out, struct tars_err *err) TARS_MUST_CHECK;

/* Checks one record as tars_signoff_verify does (problem empty: valid); an error
 * return means ssh-keygen could not be run. */
int signoff_check_one(const char *allowed, const char *ssh_keygen, const char *digest, json_t *rec,
                      char *problem, size_t cap, struct tars_err *err) TARS_MUST_CHECK;

/* A text field a record may carry: at most TARS_SIGNOFF_MAX_TEXT bytes, no control characters. */
bool signoff_text_ok(const char *s, bool may_be_empty);

#endif
