/*
 * ssh-keygen as a child process (fork/exec through posix_spawnp, never a
 * shell), bounded in time, with its files in a private scratch directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "signoff_int.h"
#include "tars/clock.h"
#include "tars/signoff.h"

extern char **environ;

#define POLL_NS (10 * 1000000L)

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

static int wait_bounded(pid_t pid, int64_t timeout_ms, int *exit_code)
{
    uint64_t deadline = tars_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
    int status = 0;

    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR)
            return TARS_EIO;
        if (tars_mono_ns() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            *exit_code = -1;
            return TARS_OK;
        }
        nanosleep(&(struct timespec){0, POLL_NS}, NULL);
    }
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return TARS_OK;
}

int signoff_exec(char *const argv[], const char *in_path, const char *out_path, int64_t timeout_ms,
                 int *exit_code, struct tars_err *err)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    unlink(out_path); /* a fresh file in the private scratch directory each time */
    posix_spawn_file_actions_init(&fa);
    if (in_path)
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, in_path, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_EXCL,
                                     0600);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return tars_err_set(err, TARS_EUNAVAIL, "cannot run %s: %s (install openssh-client)",
                            argv[0], strerror(rc));
    if (wait_bounded(pid, timeout_ms, exit_code) != TARS_OK)
        return tars_err_set(err, TARS_EIO, "cannot wait for %s: %s", argv[0], strerror(errno));
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
