/*
 * ssh-keygen as a child process (tars/proc.h: fork/exec, never a shell),
 * bounded in time, with its files in a private scratch directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signoff_int.h"
#include "tars/proc.h"
#include "tars/signoff.h"

/* ssh-keygen past its timeout: SIGINT, then SIGKILL after this. */
#define SIGNOFF_KILL_GRACE_MS 1000

int signoff_scratch_open(struct signoff_scratch *s, struct tars_err *err)
{
    const char *tmp = getenv("TMPDIR");

    if (!tmp || !*tmp || strlen(tmp) > 400)
        tmp = "/tmp";
    snprintf(s->dir, sizeof(s->dir), "%s/tars-signoff.XXXXXX", tmp);
    if (!mkdtemp(s->dir)) {
        int e = errno;
        s->dir[0] = '\0';
        return tars_err_set(err, TARS_EIO, "cannot make a scratch directory in \"%s\": %s", tmp,
                            strerror(e));
    }
    snprintf(s->payload, sizeof(s->payload), "%s/payload", s->dir);
    snprintf(s->sig, sizeof(s->sig), "%s/payload.sig", s->dir);
    snprintf(s->out, sizeof(s->out), "%s/output", s->dir);
    return TARS_OK;
}

void signoff_scratch_close(struct signoff_scratch *s)
{
    if (!s->dir[0])
        return;
    unlink(s->payload);
    unlink(s->sig);
    unlink(s->out);
    rmdir(s->dir);
    s->dir[0] = '\0';
}

int signoff_exec(char *const argv[], const char *in_path, const char *out_path, int64_t timeout_ms,
                 int *exit_code, struct tars_err *err)
{
    struct tars_proc p = {.argv = argv,
                          .search_path = true,
                          .stdin_path = in_path,
                          .inherit_stdin = in_path == NULL,
                          .timeout_ms = timeout_ms,
                          .grace_ms = SIGNOFF_KILL_GRACE_MS};
    struct tars_proc_result r;

    unlink(out_path); /* a fresh file in the private scratch directory each time */
    p.out_fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (p.out_fd < 0)
        return tars_err_set(err, TARS_EIO, "cannot create \"%s\": %s", out_path, strerror(errno));
    tars_proc_run(&p, &r);
    close(p.out_fd);
    if (r.start_errno)
        return tars_err_set(err, TARS_EUNAVAIL, "cannot run %s: %s (install openssh-client)",
                            argv[0], strerror(r.start_errno));
    *exit_code = r.timed_out || r.interrupted ? -1 : r.exit_code;
    return TARS_OK;
}

int signoff_read_file(const char *path, size_t max, struct tars_buf *out, struct tars_err *err)
{
    char chunk[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = TARS_OK;

    if (fd < 0)
        return tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO,
                            "cannot read \"%s\": %s", path, strerror(errno));
    tars_buf_reset(out);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = tars_err_set(err, TARS_EIO, "cannot read \"%s\": %s", path, strerror(errno));
            break;
        }
        if (out->len + (size_t)n > max || tars_buf_append(out, chunk, (size_t)n) != TARS_OK) {
            rc = tars_err_set(err, TARS_ETOOBIG, "\"%s\" is larger than %zu bytes", path, max);
            break;
        }
    }
    close(fd);
    if (rc == TARS_OK && tars_buf_append(out, "", 1) == TARS_OK)
        out->len--; /* NUL-terminated, not counted */
    return rc;
}
