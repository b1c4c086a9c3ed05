/*
 * The runner: a pool of worker threads takes checks one by one. Each
 * attempt is bounded by the check's timeout; an error or failure the check
 * marks transient is retried after retry_delay, up to retries times. A 429 is
 * never transient (the types say so). Past the suite's deadline, or once the
 * caller's stop flag is set (an interrupt), checks not yet started end as
 * errors without running.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"

#define MAX_WORKERS 64

struct run_state {
    const struct tars_suite *suite;
    const bool *selected;
    struct tars_check_result *results;
    size_t next;
    uint64_t deadline_ns; /* suite deadline, 0 = none */
    pthread_mutex_t lock; /* guards next and on_done */
    tars_check_done_fn on_done;
    void *done_ctx;
    const volatile sig_atomic_t *stop; /* non-zero: start no more checks */
};

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void run_attempt(const struct tars_check *c, json_t *targets, struct tars_check_result *r)
{
    struct tars_check_ctx ctx;
    uint64_t t0 = tars_mono_ns();

    memset(&ctx, 0, sizeof(ctx));
    ctx.check = c;
    ctx.params = c->params;
    ctx.targets = targets;
    ctx.timeout_ms = c->timeout_ms;
    ctx.deadline_ns = t0 + (uint64_t)c->timeout_ms * 1000000u;
    ctx.on_empty = c->on_empty;
    memset(r->reason, 0, sizeof(r->reason));
    r->transient = false;
    r->status = TARS_CHECK_ERROR;
    tars_check_error(r, false, "the check returned no result");
    c->type->run(&ctx, r);
    r->duration_ms = (double)(tars_mono_ns() - t0) / 1e6;
    if (tars_mono_ns() > ctx.deadline_ns + 1000000000ull && r->status == TARS_CHECK_PASS)
        tars_check_error(r, false, "ran %.0f ms, past its %lld ms timeout", r->duration_ms,
                         (long long)c->timeout_ms);
}

static void run_check(struct run_state *st, const struct tars_check *c, struct tars_check_result *r)
{
    uint64_t t0 = tars_mono_ns();

    for (r->attempts = 1;; r->attempts++) {
        run_attempt(c, st->suite->targets, r);
        /* A transient outcome may be an error (refused, timeout) or a failure
         * the peer may not repeat (a 5xx); either is worth another attempt. */
        if (!r->transient || r->status == TARS_CHECK_PASS || r->status == TARS_CHECK_SKIP ||
            r->attempts > c->retries)
            break;
        if (st->deadline_ns &&
            tars_mono_ns() + (uint64_t)c->retry_delay_ms * 1000000u > st->deadline_ns)
            break;
        sleep_ms(c->retry_delay_ms);
    }
    r->total_ms = (double)(tars_mono_ns() - t0) / 1e6;
}

/* The suite's secrets masked once, as the result is stored: every output
 * (console, JUnit, TAP, JSON, run.json) then writes the reason as it is. */
static void mask_reason(const struct tars_suite *suite, struct tars_check_result *r)
{
    char masked[TARS_CHECK_REASON_MAX];

    tars_check_secrets_mask(suite->secrets, r->reason, masked, sizeof(masked));
    memcpy(r->reason, masked, sizeof(masked));
}

/* Hands out the next selected check, or SIZE_MAX when none is left. */
static size_t take(struct run_state *st)
{
    size_t i;

    pthread_mutex_lock(&st->lock);
    while (st->next < st->suite->check_count && !st->selected[st->next])
        st->next++;
    i = st->next < st->suite->check_count ? st->next++ : SIZE_MAX;
    pthread_mutex_unlock(&st->lock);
    return i;
}

static void *worker(void *arg)
{
    struct run_state *st = arg;
    size_t i;

    while ((i = take(st)) != SIZE_MAX) {
        const struct tars_check *c = &st->suite->checks[i];
        struct tars_check_result *r = &st->results[i];
        if (c->skip)
            tars_check_skip(r, "%s", c->skip); /* skip: deliberately never run */
        else if (st->deadline_ns && tars_mono_ns() >= st->deadline_ns)
            tars_check_error(r, false, "not run: the suite's deadline passed");
        else if (st->stop && *st->stop)
            tars_check_error(r, false, "not run: interrupted");
        else
            run_check(st, c, r);
        mask_reason(st->suite, r);
        if (st->on_done) {
            pthread_mutex_lock(&st->lock);
            st->on_done(st->done_ctx, c, r);
            pthread_mutex_unlock(&st->lock);
        }
    }
    return NULL;
}

int tars_suite_run(const struct tars_suite *suite, const struct tars_check_filter *filter,
                   int parallel, struct tars_check_result *results, bool *selected,
                   tars_check_done_fn on_done, void *done_ctx, struct tars_err *err)
{
    return tars_suite_run_until(suite, filter, parallel, results, selected, on_done, done_ctx, NULL,
                                err);
}

int tars_suite_run_until(const struct tars_suite *suite, const struct tars_check_filter *filter,
                         int parallel, struct tars_check_result *results, bool *selected,
                         tars_check_done_fn on_done, void *done_ctx,
                         const volatile sig_atomic_t *stop, struct tars_err *err)
{
    struct run_state st = {suite,   selected, results, 0, 0, PTHREAD_MUTEX_INITIALIZER,
                           on_done, done_ctx, stop};
    pthread_t tids[MAX_WORKERS];
    int n = parallel < 1 ? 1 : parallel > MAX_WORKERS ? MAX_WORKERS : parallel, started = 0;

    for (size_t i = 0; i < suite->check_count; i++) {
        memset(&results[i], 0, sizeof(results[i]));
        selected[i] = tars_check_selected(&suite->checks[i], filter);
        if (!selected[i])
            tars_check_skip(&results[i], "not selected");
    }
    if (suite->deadline_ms > 0)
        st.deadline_ns = tars_mono_ns() + (uint64_t)suite->deadline_ms * 1000000u;
    for (int i = 0; i < n; i++)
        if (pthread_create(&tids[i], NULL, worker, &st) == 0)
            started++;
    if (started == 0) {
        pthread_mutex_destroy(&st.lock);
        for (size_t i = 0; i < suite->check_count; i++)
            if (selected[i])
                tars_check_error(&results[i], false, "not run: cannot start check workers");
        return tars_err_set(err, TARS_EIO, "cannot start check workers");
    }
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&st.lock);
    return TARS_OK;
}

int tars_check_run_suite(struct tars_check_run *run, const struct tars_suite *suite,
                         const struct tars_check_filter *filter, int parallel,
                         tars_check_done_fn on_done, void *done_ctx,
                         const volatile sig_atomic_t *stop, struct tars_err *err)
{
    uint64_t t0 = tars_mono_ns();
    int rc;

    memset(run, 0, sizeof(*run));
    run->suite = suite;
    run->results = xcalloc(suite->check_count, sizeof(*run->results));
    run->selected = xcalloc(suite->check_count, sizeof(*run->selected));
    run->started = time(NULL);
    rc = tars_suite_run_until(suite, filter, parallel, run->results, run->selected, on_done,
                              done_ctx, stop, err);
    run->wall_ms = (double)(tars_mono_ns() - t0) / 1e6;
    return rc;
}

void tars_check_run_release(struct tars_check_run *run)
{
    free(run->results);
    free(run->selected);
    memset(run, 0, sizeof(*run));
}

static void count_into(const struct tars_check_run *run, struct tars_check_counts *out)
{
    for (size_t i = 0; i < run->suite->check_count; i++) {
        if (!run->selected[i])
            continue;
        switch (run->results[i].status) {
        case TARS_CHECK_PASS: out->pass++; break;
        case TARS_CHECK_FAIL: out->fail++; break;
        case TARS_CHECK_SKIP: out->skip++; break;
        default: out->error++; break;
        }
    }
}

void tars_check_count(const struct tars_check_run *run, struct tars_check_counts *out)
{
    memset(out, 0, sizeof(*out));
    count_into(run, out);
}

void tars_check_count_runs(const struct tars_check_run *runs, size_t n,
                           struct tars_check_counts *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        count_into(&runs[i], out);
}
