/*
 * The writer thread: every write of `tars serve` goes through one database
 * connection here. Jobs queued while a transaction commits are batched into
 * the next one (group commit): one fsync serves many requests, and a 201 is
 * sent only after the commit returned. Each job runs inside a savepoint, so
 * a failing write is undone alone; if the commit itself fails, every job of
 * the batch is told so and nothing of it is visible.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/dassert.h"
#include "tars/log.h"

#define WRITER_BATCH_MAX 1024

struct srv_write_job {
    h2o_multithread_message_t msg; /* first: completions travel as messages */
    struct srv_write_job *next;
    srv_write_fn fn;
    void *data;
    srv_write_done_fn done;    /* NULL for detached jobs */
    void (*free_data)(void *); /* detached jobs only */
    struct srv_req *req;       /* NULL once the client went away */
    struct srv_thread *origin;
    int rc;
    struct tars_err err;
};

struct srv_writer {
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct srv_write_job *head, *tail;
    bool stopping;
    tars_store *store;
    struct srv_metrics_shard *shard;  /* write_batch timings; owned by the registry */
    atomic_uint_fast64_t *generation; /* invalidates the loop threads' caches; NULL: a
                                         worker for slow reads (no transaction) */
    struct srv_writer_hook hook;      /* after each commit and when idle; fn may be NULL */
};

/* The queue's invariant, under w->lock: empty at both ends or at neither,
 * and the tail is last. */
static bool queue_valid(const struct srv_writer *w)
{
    return !w->head == !w->tail && (!w->tail || !w->tail->next);
}

static void enqueue(struct srv_writer *w, struct srv_write_job *job)
{
    TARS_DASSERT(job && job->fn && !job->next);
    pthread_mutex_lock(&w->lock);
    TARS_DASSERT(queue_valid(w) && !w->stopping);
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void srv_write(struct srv_req *r, srv_write_fn fn, void *data, srv_write_done_fn done)
{
    srv_write_on(r->th->srv->writer, r, fn, data, done);
}

void srv_write_on(struct srv_writer *w, struct srv_req *r, srv_write_fn fn, void *data,
                  srv_write_done_fn done)
{
    struct srv_write_job *job = xcalloc(1, sizeof(*job));

    job->fn = fn;
    job->data = data;
    job->done = done;
    job->req = r;
    job->origin = r->th;
    r->pending = job;
    r->th->jobs_pending++;
    enqueue(w, job);
}

void srv_write_detached(struct srv_writer *w, srv_write_fn fn, void *data,
                        void (*free_data)(void *))
{
    struct srv_write_job *job = xcalloc(1, sizeof(*job));

    job->fn = fn;
    job->data = data;
    job->free_data = free_data;
    enqueue(w, job);
}

void srv_write_forget(struct srv_write_job *job)
{
    job->req = NULL; /* same thread as the completion: no race */
}

/* The absolute CLOCK_REALTIME time ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Takes up to WRITER_BATCH_MAX jobs; blocks while there are none, or with a
 * hook until its idle period passed (then returns NULL). */
static struct srv_write_job *take_batch(struct srv_writer *w, bool *stop)
{
    struct srv_write_job *batch, *last;
    int n = 1;

    pthread_mutex_lock(&w->lock);
    if (w->hook.fn) {
        struct timespec until = deadline_in(w->hook.idle_ms);
        while (!w->head && !w->stopping)
            if (pthread_cond_timedwait(&w->wake, &w->lock, &until) != 0)
                break;
    } else {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
    }
    TARS_DASSERT(queue_valid(w));
    *stop = w->stopping && !w->head;
    batch = last = w->head;
    while (last && last->next && n < WRITER_BATCH_MAX) {
        last = last->next;
        n++;
    }
    if (last) {
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
    }
    TARS_DASSERT(queue_valid(w));
    pthread_mutex_unlock(&w->lock);
    return batch;
}

static void run_job(struct srv_writer *w, struct srv_write_job *job)
{
    if (tars_store_savepoint(w->store, &job->err)) {
        job->rc = job->err.code;
        return;
    }
    job->rc = job->fn(w->store, job->data, &job->err);
    if (job->rc)
        tars_store_savepoint_rollback(w->store, NULL);
    else if (tars_store_savepoint_release(w->store, &job->err))
        job->rc = job->err.code;
}

/* Runs a batch in one transaction; on a failed BEGIN or COMMIT every job
 * gets the failure. */
/* A worker without a generation runs slow work that writes nothing (password
 * checks): one job after another, no transaction. */
static void run_plain(struct srv_writer *w, struct srv_write_job *batch)
{
    for (struct srv_write_job *j = batch; j; j = j->next)
        j->rc = j->fn(w->store, j->data, &j->err);
}

static void run_batch(struct srv_writer *w, struct srv_write_job *batch)
{
    struct tars_err err = TARS_ERR_INIT;
    uint64_t t0 = tars_mono_ns();
    int rc = tars_store_begin(w->store, &err);

    for (struct srv_write_job *j = batch; j && rc == 0; j = j->next)
        run_job(w, j);
    if (rc == 0)
        rc = tars_store_commit(w->store, &err);
    if (rc == 0)
        atomic_fetch_add_explicit(w->generation, 1, memory_order_release);
    if (rc) {
        tars_store_rollback(w->store, NULL);
        tars_log(TARS_LOG_ERROR, NULL, NULL, "write batch failed: %s", err.msg);
        for (struct srv_write_job *j = batch; j; j = j->next) {
            j->rc = rc == TARS_EIO ? TARS_EUNAVAIL : rc;
            j->err = err;
        }
    }
    srv_metrics_db(w->shard, DB_WRITE_BATCH, tars_mono_ns() - t0);
}

static void finish_batch(struct srv_write_job *batch)
{
    while (batch) {
        struct srv_write_job *next = batch->next;
        if (batch->done) {
            h2o_multithread_send_message(&batch->origin->write_done, &batch->msg);
        } else {
            if (batch->rc)
                tars_log(TARS_LOG_WARN, NULL, NULL, "background write failed: %s", batch->err.msg);
            if (batch->free_data)
                batch->free_data(batch->data);
            free(batch);
        }
        batch = next;
    }
}

static void *writer_main(void *arg)
{
    struct srv_writer *w = arg;
    bool stop = false;

    if (w->hook.fn)
        w->hook.fn(w->store, w->hook.ctx);
    while (!stop) {
        struct srv_write_job *batch = take_batch(w, &stop);
        if (batch && w->generation)
            run_batch(w, batch);
        else if (batch)
            run_plain(w, batch);
        /* Before the answers go out: what the batch published is queued first. */
        if (w->hook.fn && !stop)
            w->hook.fn(w->store, w->hook.ctx);
        finish_batch(batch);
    }
    return NULL;
}

/* On a loop thread: hands each finished job to its request. */
void srv_writer_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        struct srv_write_job *job = (struct srv_write_job *)msg;
        struct srv_req *r = job->req;

        h2o_linklist_unlink(&msg->link);
        job->origin->jobs_pending--;
        if (r)
            r->pending = NULL;
        job->done(r, job->data, job->rc, &job->err);
        free(job);
    }
}

struct srv_writer *srv_writer_start(const char *db_url, struct srv_metrics_shard *shard,
                                    atomic_uint_fast64_t *generation,
                                    const struct srv_writer_hook *hook, struct tars_err *err)
{
    struct srv_writer *w = xcalloc(1, sizeof(*w));

    if (hook)
        w->hook = *hook;
    if (w->hook.idle_ms <= 0)
        w->hook.idle_ms = 1000;
    w->store = tars_store_open(db_url, err);
    if (!w->store) {
        free(w);
        return NULL;
    }
    w->shard = shard;
    w->generation = generation;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->tid, NULL, writer_main, w) != 0) {
        tars_store_close(w->store);
        free(w);
        tars_err_set(err, TARS_EIO, "cannot start the writer thread");
        return NULL;
    }
    return w;
}

void srv_writer_stop(struct srv_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->tid, NULL);
    tars_store_close(w->store);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
