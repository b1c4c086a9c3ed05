/*
 * Errors: every fallible library function returns 0 (TARS_OK) or a negative
 * tars_code, and fills a caller-owned struct tars_err when one is given.
 * Messages are lowercase, with no final period, problem first, subject quoted:
 *   suite.yaml:12:5: unknown check type "htp"
 * Library code never prints and never exits.
 */
#ifndef TARS_ERR_H
#define TARS_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define TARS_MUST_CHECK __attribute__((warn_unused_result))
#define TARS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TARS_NORETURN __attribute__((noreturn))
#else
#define TARS_MUST_CHECK
#define TARS_PRINTF(f, a)
#define TARS_NORETURN
#endif

enum tars_code {
    TARS_OK = 0,
    TARS_AGAIN = 1,      /* would block; try again later */
    TARS_EINVAL = -1,    /* bad input (a value, a file, a request) */
    TARS_ENOTFOUND = -2, /* the named thing does not exist */
    TARS_ECONFLICT = -3, /* already exists / state does not allow it */
    TARS_EIO = -4,       /* an operating system call failed */
    TARS_EUNAVAIL = -5,  /* a dependency (database, peer) is unreachable */
    TARS_ETOOBIG = -6,   /* a bound was exceeded */
    TARS_EAUTH = -7,     /* credentials missing or wrong */
    TARS_EINTERNAL = -8, /* a bug or an impossible state */
    TARS_ENOSPACE = -9,  /* the disk (or the database's storage) is full */
};

#define TARS_ERR_MSG_MAX 256

struct tars_err {
    int code;
    char msg[TARS_ERR_MSG_MAX];
};

#define TARS_ERR_INIT                                                                              \
    {                                                                                              \
        0,                                                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Records code and message in err (when non-NULL) and returns code. */
int tars_err_set(struct tars_err *err, int code, const char *fmt, ...) TARS_PRINTF(3, 4);

/* Prefixes the message already in err with "prefix: " (e.g. a file name). */
void tars_err_prefix(struct tars_err *err, const char *prefix);

/* A short constant name for a code ("invalid input", "not found", ...). */
const char *tars_code_name(int code);

#endif
