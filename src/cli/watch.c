/* The watch loop of a running test (watch.h). */
#include "watch.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

void cli_block_stop_signals(sigset_t *set)
{
    sigset_t local;

    if (!set)
        set = &local;
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void cli_watch_init(struct cli_watch *w, bool (*done)(void *), void (*stop)(void *), void *run,
                    bool quiet)
{
    w->done = done;
    w->stop = stop;
    w->run = run;
    w->quiet = quiet;
    w->tty = isatty(STDERR_FILENO);
    sigemptyset(&w->signals);
    sigaddset(&w->signals, SIGINT);
    sigaddset(&w->signals, SIGTERM);
}

enum cli_watch_step cli_watch_step(struct cli_watch *w)
{
    struct timespec tick = {0, 100000000}; /* 0.1 s: a stop takes effect quickly */
    int sig;

    if (w->done(w->run))
        return CLI_WATCH_OVER;
    sig = sigtimedwait(&w->signals, NULL, &tick);
    if (sig != SIGINT && sig != SIGTERM)
        return CLI_WATCH_TICK;
    if (w->done(w->run)) {
        pthread_kill(pthread_self(), sig); /* ended meanwhile: the signal is for the linger */
        return CLI_WATCH_OVER;
    }
    w->stop(w->run);
    if (!w->quiet)
        fprintf(stderr, "%sstopping: finishing with the results so far\n", w->tty ? "\n" : "");
    return CLI_WATCH_STOPPED;
}
