/*
 * Child processes of the release pipeline: each step runs in its own process
 * group with its output in the stage log, bounded by a timeout, stoppable by
 * the caller's interrupt flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "release_int.h"
#include "tars/clock.h"

#define POLL_NS (20 * 1000000L)
#define GRACE_NS (5ull * 1000000000ull)

static void child(const struct release_exec *e)
{
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (null_fd >= 0)
        dup2(null_fd, STDIN_FILENO);
    if (e->log_fd >= 0) {
        dup2(e->log_fd, STDOUT_FILENO);
        dup2(e->log_fd, STDERR_FILENO);
    }
    for (size_t i = 0; e->env && e->env[i]; i++)
        putenv(e->env[i]);
    if (e->argv)
        execv(e->argv[0], e->argv);
    else
        execl("/bin/sh", "sh", "-c", e->shell, (char *)NULL);
    dprintf(STDERR_FILENO, "tars release: cannot run %s: %s\n",
            e->argv ? e->argv[0] : "/bin/sh", strerror(errno));
    _exit(127);
}

static void nap(void)
{
    struct timespec ts = {0, POLL_NS};
    nanosleep(&ts, NULL);
}

/* Waits for pid; returns true when it ended (status filled). */
static bool reap(pid_t pid, int *status)
{
    pid_t got = waitpid(pid, status, WNOHANG);

    return got == pid || (got < 0 && errno == ECHILD);
}

/* Stops the group: SIGINT, then SIGKILL after the grace period. */
static void stop_group(pid_t pid, int *status)
{
    uint64_t deadline = tars_mono_ns() + GRACE_NS;

    kill(-pid, SIGINT);
    while (!reap(pid, status)) {
        if (tars_mono_ns() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, status, 0);
            break;
        }
        nap();
    }
    kill(-pid, SIGKILL); /* whatever the step left behind in its group */
}

pid_t release_exec_start(const struct release_exec *e)
{
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid == 0)
        child(e);
    if (pid > 0)
        setpgid(pid, pid); /* both sides, so the group exists before any kill */
    return pid;
}

int release_exec_stop(pid_t pid)
{
    int status = 0;

    stop_group(pid, &status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void release_exec_run(const struct release_exec *e, struct release_exec_result *r)
{
    uint64_t t0 = tars_mono_ns();
    uint64_t deadline = e->timeout_ms > 0 ? t0 + (uint64_t)e->timeout_ms * 1000000ull : UINT64_MAX;
    int status = 0;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    r->exit_code = -1;
    pid = release_exec_start(e);
    if (pid < 0) {
        r->not_started = true;
        return;
    }
    while (!reap(pid, &status)) {
        if (e->interrupted && *e->interrupted) {
            r->interrupted = true;
            stop_group(pid, &status);
            break;
        }
        if (tars_mono_ns() > deadline) {
            r->timed_out = true;
            stop_group(pid, &status);
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

bool release_have_tool(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];

    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (len > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name) < (int)sizeof(buf) &&
            access(buf, X_OK) == 0)
            return true;
        path += len + (colon ? 1 : 0);
    }
    return false;
}
