/*
 * Run directories (see tars/run.h). Every update of run.json is
 * read-modify-write under an exclusive flock(2) on DIR/.lock, written to a
 * temporary file, fsync'ed and renamed over the old one.
 */
#include "tars/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/json.h"
#include "tars/str.h"
#include "tars/version.h"

int tars_run_path(const char *dir, const char *name, char *out, size_t cap, struct tars_err *err)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= cap)
        return tars_err_set(err, TARS_ETOOBIG, "run path \"%s/%s\" is too long", dir, name);
    return TARS_OK;
}

int tars_run_default_dir(const char *parent, const char *version, char *out, size_t cap,
                         struct tars_err *err)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    if (!version || !*version)
        version = "dev";
    if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
        return tars_err_set(err, TARS_EINTERNAL, "cannot format the current time");
    n = snprintf(out, cap, "%s/%s-%s", parent, stamp, version);
    if (n < 0 || (size_t)n >= cap)
        return tars_err_set(err, TARS_ETOOBIG, "run directory name is too long");
    return TARS_OK;
}

static int make_dir(const char *path, struct tars_err *err)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return TARS_OK;
    return tars_err_set(err, TARS_EIO, "cannot create directory \"%s\": %s", path, strerror(errno));
}

/* Makes dir's parent (one level) and dir itself. */
static int make_run_dir(const char *dir, struct tars_err *err)
{
    char parent[PATH_MAX];
    char *slash;

    if (tars_strlcpy(parent, dir, sizeof(parent)) >= sizeof(parent))
        return tars_err_set(err, TARS_ETOOBIG, "run directory name is too long");
    slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (make_dir(parent, err) != TARS_OK)
            return err ? err->code : TARS_EIO;
    }
    return make_dir(dir, err);
}

/* Writes value to DIR/name whole: temporary file, fsync, rename (tars/file.h). */
static int write_atomic(const char *dir, const char *name, json_t *value, struct tars_err *err)
{
    char path[PATH_MAX];
    int rc;

    if ((rc = tars_run_path(dir, name, path, sizeof(path), err)) != TARS_OK)
        return rc;
    return tars_json_write_file(path, value, JSON_INDENT(1) | JSON_SORT_KEYS, err);
}

int tars_run_write_json(const char *dir, const char *name, json_t *value, struct tars_err *err)
{
    return write_atomic(dir, name, value, err);
}

json_t *tars_run_load(const char *dir, struct tars_err *err)
{
    char path[PATH_MAX];
    struct stat st;
    json_t *v;

    if (tars_run_path(dir, TARS_RUN_FILE, path, sizeof(path), err) != TARS_OK)
        return NULL;
    if (stat(path, &st) != 0) {
        tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO, "cannot read \"%s\": %s",
                     path, strerror(errno));
        return NULL;
    }
    if ((unsigned long long)st.st_size > TARS_RUN_MAX_BYTES) {
        tars_err_set(err, TARS_ETOOBIG, "\"%s\" is larger than %u bytes", path, TARS_RUN_MAX_BYTES);
        return NULL;
    }
    if (tars_json_load_file(path, TARS_RUN_MAX_BYTES, JSON_REJECT_DUPLICATES, &v, err))
        return NULL;
    if (!json_is_object(v)) {
        json_decref(v);
        tars_err_set(err, TARS_EINVAL, "%s: not a JSON object", path);
        return NULL;
    }
    return v;
}

static json_t *machine_facts(void)
{
    struct utsname u;
    char host[256] = "unknown";
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    json_t *m = json_object();

    if (!m)
        return NULL;
    if (gethostname(host, sizeof(host)) != 0)
        tars_strlcpy(host, "unknown", sizeof(host));
    host[sizeof(host) - 1] = '\0';
    json_object_set_new(m, "hostname", json_string(host));
    json_object_set_new(m, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    if (uname(&u) == 0) {
        json_object_set_new(m, "kernel", json_sprintf("%s %s", u.sysname, u.release));
        json_object_set_new(m, "arch", json_string(u.machine));
    }
    if (pages > 0 && page > 0)
        json_object_set_new(m, "memory_bytes", json_integer((json_int_t)pages * page));
    return m;
}

static json_t *fresh_record(void)
{
    char now[TARS_ISO8601_LEN];
    json_t *r = json_object(), *t = json_object();

    if (!r || !t) {
        json_decref(r);
        json_decref(t);
        return NULL;
    }
    tars_iso8601(tars_wall_ms(), now);
    json_object_set_new(t, "version", json_string(TARS_VERSION));
    json_object_set_new(t, "git_sha", json_string(TARS_GIT_SHA));
    json_object_set_new(r, "format", json_string(TARS_RUN_FORMAT));
    json_object_set_new(r, "tars", t);
    json_object_set_new(r, "machine", machine_facts());
    json_object_set_new(r, "started_at", json_string(now));
    return r;
}

static int lock_dir(const char *dir, struct tars_err *err)
{
    char path[PATH_MAX];
    int fd;

    if (tars_run_path(dir, ".lock", path, sizeof(path), err) != TARS_OK)
        return -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644); /* a lock file: never read */
    if (fd < 0) {
        tars_err_set(err, TARS_EIO, "cannot open \"%s\": %s", path, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            tars_err_set(err, TARS_EIO, "cannot lock \"%s\": %s", path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

int tars_run_open(const char *dir, bool create, struct tars_err *err)
{
    struct tars_err local = TARS_ERR_INIT;
    json_t *r;
    int fd, rc;

    if (create && make_run_dir(dir, err) != TARS_OK)
        return err ? err->code : TARS_EIO;
    if (create) {
        fd = lock_dir(dir, err);
        if (fd < 0)
            return err ? err->code : TARS_EIO;
    } else {
        fd = -1;
    }
    r = tars_run_load(dir, &local);
    if (r) {
        rc = TARS_OK;
    } else if (create && local.code == TARS_ENOTFOUND) {
        r = fresh_record();
        rc = r ? write_atomic(dir, TARS_RUN_FILE, r, err)
               : tars_err_set(err, TARS_EINTERNAL, "out of memory");
    } else {
        if (err)
            *err = local;
        rc = local.code;
    }
    json_decref(r);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Loads run.json under the lock, lets change edit it, writes it back. */
static int update(const char *dir, const char *key, json_t *value, bool append,
                  struct tars_err *err)
{
    json_t *r, *slot, *copy;
    int fd = lock_dir(dir, err), rc;

    if (fd < 0)
        return err ? err->code : TARS_EIO;
    r = tars_run_load(dir, err);
    if (!r) {
        close(fd);
        return err ? err->code : TARS_EIO;
    }
    copy = json_deep_copy(value);
    if (!copy) {
        rc = tars_err_set(err, TARS_EINTERNAL, "out of memory");
    } else if (!append) {
        rc = json_object_set_new(r, key, copy) == 0
                 ? TARS_OK
                 : tars_err_set(err, TARS_EINVAL, "bad run.json key \"%s\"", key);
    } else {
        slot = json_object_get(r, key);
        if (!slot) {
            slot = json_array();
            json_object_set_new(r, key, slot);
        }
        if (!json_is_array(slot)) {
            json_decref(copy);
            rc = tars_err_set(err, TARS_EINVAL, "run.json \"%s\" is not an array", key);
        } else {
            rc = json_array_append_new(slot, copy) == 0
                     ? TARS_OK
                     : tars_err_set(err, TARS_EINTERNAL, "out of memory");
        }
    }
    if (rc == TARS_OK)
        rc = write_atomic(dir, TARS_RUN_FILE, r, err);
    json_decref(r);
    close(fd);
    return rc;
}

int tars_run_put(const char *dir, const char *key, json_t *value, struct tars_err *err)
{
    return update(dir, key, value, false, err);
}

int tars_run_append(const char *dir, const char *key, json_t *value, struct tars_err *err)
{
    return update(dir, key, value, true, err);
}

/* The unit of a threshold written before records carried "unit": by its name. */
static const char *unit_by_name(const char *text)
{
    if (strstr(text, "error_rate") || strstr(text, "loss"))
        return "fraction";
    if (strstr(text, "rps"))
        return "per_second";
    if (strstr(text, "duplicates") || strstr(text, "out_of_order") || strstr(text, "failed") ||
        strstr(text, "resync") || strstr(text, "requests"))
        return "count";
    return "ns";
}

const char *tars_run_threshold_missing(const json_t *threshold)
{
    const char *missing = json_string_value(json_object_get(threshold, "missing"));

    if (missing && *missing)
        return missing;
    if (json_is_number(json_object_get(threshold, "measured")))
        return "the record gives no outcome";
    return "nothing was measured";
}

void tars_run_threshold_measured(const json_t *threshold, char *out, size_t cap)
{
    json_t *measured = json_object_get(threshold, "measured");
    const char *unit = json_string_value(json_object_get(threshold, "unit"));
    const char *text = json_string_value(json_object_get(threshold, "text"));
    double v = json_number_value(measured);

    if (!json_is_number(measured)) {
        snprintf(out, cap, "n/a (%s)", tars_run_threshold_missing(threshold));
        return;
    }
    if (!unit)
        unit = unit_by_name(text ? text : "");
    if (!strcmp(unit, "fraction"))
        snprintf(out, cap, "%.2f %%", v * 100.0);
    else if (!strcmp(unit, "per_second"))
        snprintf(out, cap, "%.1f req/s", v);
    else if (!strcmp(unit, "count"))
        snprintf(out, cap, "%.0f", v);
    else
        snprintf(out, cap, "%.1f ms", v / 1e6);
}

enum tars_judgement tars_run_threshold_outcome(const json_t *threshold)
{
    const char *outcome = json_string_value(json_object_get(threshold, "outcome"));
    json_t *passed = json_object_get(threshold, "passed");
    bool measured = json_is_number(json_object_get(threshold, "measured"));

    if (!measured)
        return TARS_JUDGE_NO_DATA;
    if (outcome ? !strcmp(outcome, "fail") : json_is_false(passed))
        return TARS_JUDGE_FAIL;
    if (outcome ? !strcmp(outcome, "pass") : json_is_true(passed))
        return TARS_JUDGE_PASS;
    return TARS_JUDGE_NO_DATA;
}

static int visible_file(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* {"name","size","sha256","path"} of DIR/name, or NULL (err set) when it cannot be read;
 * *skip when it is no regular file. */
static json_t *artifact_entry(const char *run_dir, const char *dir, const char *name, bool *skip,
                              struct tars_err *err)
{
    char path[PATH_MAX], hex[TARS_SHA256_HEX_LEN];
    size_t n = strlen(run_dir);
    struct stat st;
    uint64_t size = 0;

    *skip = false;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
        tars_err_set(err, TARS_ETOOBIG, "artifact path too long: %s/%s", dir, name);
        return NULL;
    }
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        *skip = true;
        return NULL;
    }
    if (tars_sha256_file(path, hex, &size, err) != TARS_OK)
        return NULL;
    return json_pack("{s:s,s:I,s:s,s:s}", "name", name, "size", (json_int_t)size, "sha256", hex,
                     "path",
                     strncmp(path, run_dir, n) == 0 && path[n] == '/' ? path + n + 1 : path);
}

int tars_run_record_artifacts(const char *dir, const char *artifacts_dir, struct tars_err *err)
{
    struct tars_err local = TARS_ERR_INIT;
    struct dirent **names = NULL;
    json_t *list, *entry;
    int n, rc = TARS_OK;

    n = scandir(artifacts_dir, &names, visible_file, alphasort);
    if (n < 0)
        return tars_err_set(err, TARS_EIO, "cannot list the artifacts in \"%s\": %s", artifacts_dir,
                            strerror(errno));
    list = json_array();
    for (int i = 0; i < n; i++) {
        bool skip;
        if (rc == TARS_OK && json_array_size(list) >= TARS_RUN_MAX_ARTIFACTS)
            rc = tars_err_set(&local, TARS_ETOOBIG, "more than %d artifacts in \"%s\"",
                              TARS_RUN_MAX_ARTIFACTS, artifacts_dir);
        if (rc == TARS_OK) {
            entry = artifact_entry(dir, artifacts_dir, names[i]->d_name, &skip, &local);
            if (entry)
                json_array_append_new(list, entry);
            else if (!skip)
                rc = local.code ? local.code : TARS_EIO;
        }
        free(names[i]);
    }
    free(names);
    if (rc == TARS_OK)
        rc = tars_run_put(dir, "artifacts", list, &local);
    json_decref(list);
    if (rc != TARS_OK && err)
        *err = local;
    return rc;
}
