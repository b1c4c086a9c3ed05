/* Child processes (tars/proc.h). */
#include "tars/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tars/clock.h"

#define POLL_NS (10 * 1000000L)

static void nap(void)
{
    struct timespec ts = {0, POLL_NS};
    nanosleep(&ts, NULL);
}

static void redirect(const char *path, int flags, int to)
{
    int fd = open(path, flags);

    if (fd >= 0) {
        dup2(fd, to);
        if (fd != to)
            close(fd);
    }
}

static void child_stdin(const struct tars_proc *p)
{
    if (!p->inherit_stdin)
        redirect(p->stdin_path ? p->stdin_path : "/dev/null", O_RDONLY, STDIN_FILENO);
}

/* In the child: never returns. The exec's errno goes up report_fd (closed
 * on a successful exec, so the parent reads nothing then). */
static void child(const struct tars_proc *p, int report_fd)
{
    const char *prog = p->argv ? p->argv[0] : "/bin/sh";
    int e;

    if (p->own_group)
        setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    child_stdin(p);
    if (p->out_fd >= 0) {
        dup2(p->out_fd, STDOUT_FILENO);
        dup2(p->out_fd, STDERR_FILENO);
    }
    if (p->discard_stderr)
        redirect("/dev/null", O_WRONLY, STDERR_FILENO);
    for (size_t i = 0; p->env && p->env[i]; i++)
        putenv(p->env[i]);
    if (!p->argv)
        execl("/bin/sh", "sh", "-c", p->shell, (char *)NULL);
    else if (p->search_path)
        execvp(prog, p->argv);
    else
        execv(prog, p->argv);
    e = errno;
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", prog, strerror(e));
    if (write(report_fd, &e, sizeof(e)) < 0)
        _exit(127);
    _exit(127);
}

/* The exec's errno from the child, 0 when exec succeeded. */
static int read_start_errno(int fd)
{
    int e = 0;
    ssize_t n;

    while ((n = read(fd, &e, sizeof(e))) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof(e) ? e : 0;
}

pid_t tars_proc_start(const struct tars_proc *p, int *start_errno)
{
    int report[2], status;
    pid_t pid;

    *start_errno = 0;
    if (pipe2(report, O_CLOEXEC) != 0) {
        *start_errno = errno;
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0)
        child(p, report[1]);
    close(report[1]);
    if (pid < 0) {
        *start_errno = errno;
        close(report[0]);
        return -1;
    }
    if (p->own_group)
        setpgid(pid, pid); /* both sides, so the group exists before any kill */
    *start_errno = read_start_errno(report[0]);
    close(report[0]);
    if (*start_errno) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        return -1;
    }
    return pid;
}

/* Reaps pid without blocking: true when it has ended (status filled). */
static bool reap(pid_t pid, int *status)
{
    pid_t got = waitpid(pid, status, WNOHANG);

    return got == pid || (got < 0 && errno == ECHILD);
}

static void stop_wait(pid_t pid, bool group, int64_t grace_ms, int *status)
{
    pid_t target = group ? -pid : pid;
    uint64_t grace = (uint64_t)(grace_ms > 0 ? grace_ms : TARS_PROC_GRACE_MS) * 1000000ull;
    uint64_t deadline = tars_mono_ns() + grace;

    kill(target, SIGINT);
    while (!reap(pid, status)) {
        if (tars_mono_ns() > deadline) {
            kill(target, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        nap();
    }
    if (group)
        kill(target, SIGKILL); /* whatever the child left behind in its group */
}

int tars_proc_stop(pid_t pid, bool group, int64_t grace_ms)
{
    int status = 0;

    stop_wait(pid, group, grace_ms, &status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void tars_proc_run(const struct tars_proc *p, struct tars_proc_result *r)
{
    uint64_t t0 = tars_mono_ns();
    uint64_t deadline = p->timeout_ms > 0 ? t0 + (uint64_t)p->timeout_ms * 1000000ull : UINT64_MAX;
    int status = 0;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    r->exit_code = -1;
    pid = tars_proc_start(p, &r->start_errno);
    if (pid < 0) {
        r->not_started = true;
        return;
    }
    while (!reap(pid, &status)) {
        if (p->interrupted && *p->interrupted) {
            r->interrupted = true;
            stop_wait(pid, p->own_group, p->grace_ms, &status);
            break;
        }
        if (tars_mono_ns() > deadline) {
            r->timed_out = true;
            stop_wait(pid, p->own_group, p->grace_ms, &status);
            break;
        }
        nap();
    }
    r->duration_ms = (double)(tars_mono_ns() - t0) / 1e6;
    if (WIFEXITED(status))
        r->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r->signal = WTERMSIG(status);
    if (r->exit_code == 127 && !r->timed_out && !r->interrupted)
        r->not_started = true;
}
