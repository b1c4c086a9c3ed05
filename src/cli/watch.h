/*
 * The watch loop of a running test (tars load, tars ws-stress): the main
 * thread waits on SIGINT/SIGTERM in short ticks between progress lines. A
 * signal stops the run, which then ends with its results so far; a signal
 * that comes once the run has ended is raised again for what follows (the
 * metrics linger).
 */
#ifndef TARS_CLI_WATCH_H
#define TARS_CLI_WATCH_H

#include <signal.h>
#include <stdbool.h>

struct cli_watch {
    bool (*done)(void *run);
    void (*stop)(void *run);
    void *run;
    bool quiet; /* no "stopping" line */
    bool tty;   /* standard error is a terminal (a live line to break) */
    sigset_t signals;
};

enum cli_watch_step {
    CLI_WATCH_TICK,    /* 0.1 s passed without a signal */
    CLI_WATCH_STOPPED, /* a signal: the run was told to stop */
    CLI_WATCH_OVER,    /* the run has ended */
};

/* Blocks SIGINT and SIGTERM in the calling thread (call it before the run's
 * threads start: they inherit the mask, and the caller waits for the signals
 * itself) and ignores SIGPIPE; set (may be NULL) gets the two signals. */
void cli_block_stop_signals(sigset_t *set);

/* Fills w (after cli_block_stop_signals). */
void cli_watch_init(struct cli_watch *w, bool (*done)(void *), void (*stop)(void *), void *run,
                    bool quiet);
/* Waits up to 0.1 s for SIGINT or SIGTERM and says what happened. */
enum cli_watch_step cli_watch_step(struct cli_watch *w);

#endif
