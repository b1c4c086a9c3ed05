/*
 * One release at a time per runs directory and environment, and what a
 * killed one leaves behind.
 *
 * The lock is RUNS_DIR/.release-<environment>.lock, held with flock(2) for
 * the whole pipeline and filled with who holds it (pid, run directory, start
 * time). flock dies with its process, so a release killed with SIGKILL never
 * blocks the next one; its description stays in the file, though, because
 * only a release that ends empties it. The next release finds the lock free
 * but not empty: a stale lock. It explains it (which release, which run
 * directory, the stage that run was in, from its run.json "stage_running")
 * and takes it over. A lock that is held means a release is running now:
 * that is an error naming the holder, never a wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release_pipeline.h"
#include "tars/json.h"
#include "tars/clock.h"
#include "tars/file.h"
#include "tars/run.h"
#include "tars/str.h"

#define LOCK_TEXT_MAX 4096

static void lock_path(const struct pipeline *p, char *out, size_t cap)
{
    char env[64];
    size_t n = 0;

    for (const char *s = p->c->environment ? p->c->environment : "release";
         *s && n + 1 < sizeof(env); s++) {
        char c = *s;
        env[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           c == '-' || c == '_'
                       ? c
                       : '_';
    }
    env[n] = '\0';
    snprintf(out, cap, "%s/.release-%s.lock", p->c->runs_dir, env);
}

/* What the file says about its holder; NULL when it is empty or unreadable. */
static json_t *read_holder(int fd, bool *garbled)
{
    char text[LOCK_TEXT_MAX];
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    json_t *v;

    *garbled = false;
    if (n <= 0)
        return NULL;
    text[n] = '\0';
    tars_json_parse_bounded(text, (size_t)n, 0, 0, &v, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        *garbled = true;
        return NULL;
    }
    return v;
}

static const char *text_at(json_t *h, const char *key)
{
    const char *s = json_string_value(json_object_get(h, key));
    return s ? s : "?";
}

static void describe_holder(json_t *h, char *out, size_t cap)
{
    snprintf(out, cap, "pid %lld, run directory %s, started %s",
             (long long)json_integer_value(json_object_get(h, "pid")), text_at(h, "run_dir"),
             text_at(h, "started_at"));
}

/* "at stage deploy" from the stale holder's run.json, or why it is unknown. */
static void holder_stage(json_t *h, char *out, size_t cap)
{
    const char *dir = json_string_value(json_object_get(h, "run_dir"));
    json_t *run = dir ? tars_run_load(dir, NULL) : NULL;
    const char *stage =
        json_string_value(json_object_get(json_object_get(run, "stage_running"), "name"));

    if (stage)
        snprintf(out, cap, "it was interrupted at stage %s", stage);
    else if (run && json_object_get(run, "ended_at"))
        snprintf(out, cap, "its run directory records an end, so it died while finishing");
    else if (run)
        snprintf(out, cap, "it was interrupted between stages");
    else
        snprintf(out, cap, "its run directory cannot be read");
    json_decref(run);
}

/* The explanation is cut to fit out (a long path may cut it). */
static void explain_stale(json_t *h, bool garbled, const char *path, char *out, size_t cap)
{
    char who[1024], stage[256];
    pid_t pid;
    int n;

    if (!h) {
        n = snprintf(out, cap, "stale release lock %s: %s; taken over", path,
                     garbled ? "its content is unreadable (cut short)" : "empty");
        if (n < 0 || (size_t)n >= cap)
            out[cap - 1] = '\0';
        return;
    }
    describe_holder(h, who, sizeof(who));
    holder_stage(h, stage, sizeof(stage));
    pid = (pid_t)json_integer_value(json_object_get(h, "pid"));
    n = snprintf(out, cap,
                 "stale release lock %s from an earlier release (%s): that release ended "
                 "without releasing it (killed or crashed; %s), and %s; taken over",
                 path, who, stage,
                 pid > 0 && kill(pid, 0) != 0 && errno == ESRCH ? "its process is gone"
                                                                : "no process holds the lock");
    if (n < 0 || (size_t)n >= cap)
        out[cap - 1] = '\0';
}

static int write_holder(struct pipeline *p, int fd, struct tars_err *err)
{
    char now[TARS_ISO8601_LEN];
    json_t *h;
    char *text;
    int rc = TARS_OK;

    tars_iso8601(tars_wall_ms(), now);
    h = json_pack("{s:I,s:s,s:s,s:s}", "pid", (json_int_t)getpid(), "run_dir", p->run_dir,
                  "started_at", now, "environment", p->c->environment ? p->c->environment : "");
    text = h ? json_dumps(h, JSON_COMPACT) : NULL;
    if (!text || ftruncate(fd, 0) != 0 ||
        pwrite(fd, text, strlen(text), 0) != (ssize_t)strlen(text))
        rc = tars_err_set(err, TARS_EIO, "cannot write the release lock: %s", strerror(errno));
    free(text);
    json_decref(h);
    return rc;
}

static void record(struct pipeline *p, const char *path, const char *stale)
{
    json_t *v = json_pack("{s:s}", "path", path);

    if (v && stale[0])
        json_object_set_new(v, "stale", json_string(stale));
    tars_run_put(p->run_dir, "release_lock", v, NULL);
    json_decref(v);
}

int pipeline_lock_take(struct pipeline *p, struct tars_err *err)
{
    char path[PIPELINE_PATH_MAX], who[1024];
    json_t *holder;
    bool garbled;
    int fd;

    lock_path(p, path, sizeof(path));
    if (tars_mkdirs(p->c->runs_dir, err) != TARS_OK)
        return err ? err->code : TARS_EIO;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644); /* a lock file: its holder, not a result */
    if (fd < 0)
        return tars_err_set(err, TARS_EIO, "cannot open the release lock \"%s\": %s", path,
                            strerror(errno));
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        holder = errno == EWOULDBLOCK ? read_holder(fd, &garbled) : NULL;
        if (holder)
            describe_holder(holder, who, sizeof(who));
        else
            snprintf(who, sizeof(who), "%s", strerror(errno));
        json_decref(holder);
        close(fd);
        return tars_err_set(err, TARS_ECONFLICT,
                            "another release of environment \"%s\" is running (%s); lock %s",
                            p->c->environment ? p->c->environment : "", who, path);
    }
    p->stale_lock[0] = '\0';
    holder = read_holder(fd, &garbled);
    if (holder || garbled)
        explain_stale(holder, garbled, path, p->stale_lock, sizeof(p->stale_lock));
    json_decref(holder);
    if (write_holder(p, fd, err) != TARS_OK) {
        close(fd);
        return err ? err->code : TARS_EIO;
    }
    p->lock_fd = fd;
    record(p, path, p->stale_lock);
    return TARS_OK;
}

void pipeline_lock_drop(struct pipeline *p)
{
    if (p->lock_fd < 0)
        return;
    /* Emptied first: a lock file with content and no holder means a killed release. */
    if (ftruncate(p->lock_fd, 0) != 0) {
        /* the next release will call it stale: harmless */
    }
    close(p->lock_fd);
    p->lock_fd = -1;
}

void pipeline_stage_running(struct pipeline *p, const char *stage)
{
    char now[TARS_ISO8601_LEN];
    json_t *v;

    tars_iso8601(tars_wall_ms(), now);
    v = stage ? json_pack("{s:s,s:s,s:I}", "name", stage, "started_at", now, "pid",
                          (json_int_t)getpid())
              : json_null();
    tars_run_put(p->run_dir, "stage_running", v, NULL);
    json_decref(v);
}
