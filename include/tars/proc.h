/*
 * Child processes: the one way tars runs another program (release steps and
 * probes, the canary's loads, ssh-keygen for sign-offs). fork and exec,
 * never a shell unless the caller asks for one; the child's standard output
 * and error go to one descriptor (or its error is discarded); bounded in time and stoppable by an
 * interrupt flag; a child that could not be started is told apart from one
 * that ran and failed.
 */
#ifndef TARS_PROC_H
#define TARS_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tars_proc {
    char *const *argv;      /* the program and its arguments; NULL: shell */
    const char *shell;      /* with argv NULL: /bin/sh -c shell */
    bool search_path;       /* argv[0] without '/' is looked up on PATH (else run as given) */
    char *const *env;       /* "NAME=value" added to the environment, NULL-terminated, or NULL */
    const char *stdin_path; /* standard input from this file; NULL: /dev/null */
    bool inherit_stdin;     /* keep the caller's standard input (a passphrase prompt) */
    int out_fd;             /* standard output and error go here; -1: inherited */
    bool discard_stderr;    /* standard error to /dev/null instead (out_fd takes only stdout) */
    bool own_group;         /* its own process group, stopped as a whole */
    int64_t timeout_ms;     /* <= 0: none */
    int64_t grace_ms;       /* SIGINT, then SIGKILL after this; <= 0: TARS_PROC_GRACE_MS */
    volatile sig_atomic_t *interrupted; /* non-zero: stop it now */
};

#define TARS_PROC_GRACE_MS 5000

struct tars_proc_result {
    int exit_code; /* -1 when killed or not started */
    int signal;    /* the signal that ended it, 0 if none */
    bool timed_out, interrupted;
    bool not_started; /* exec failed (start_errno), or a shell answered 127 */
    int start_errno;  /* why exec failed, else 0 */
    double duration_ms;
};

/* Starts p in the background: the child's pid, or -1 with *start_errno set
 * when it could not be started (fork failed, or exec: the child has then
 * been reaped). A child with own_group leads its own process group. The
 * child inherits no signal dispositions: SIGINT, SIGTERM and SIGPIPE are
 * the default again. */
pid_t tars_proc_start(const struct tars_proc *p, int *start_errno);

/* Stops pid (its whole group when group): SIGINT, SIGKILL after grace_ms
 * (<= 0: TARS_PROC_GRACE_MS) if it has not ended, then reaps it. Its exit
 * code, -1 when a signal ended it. */
int tars_proc_stop(pid_t pid, bool group, int64_t grace_ms);

/* Starts p and waits for it, stopping it as tars_proc_stop does when the
 * timeout passes or *p->interrupted is set. r is always filled. */
void tars_proc_run(const struct tars_proc *p, struct tars_proc_result *r);

#endif
