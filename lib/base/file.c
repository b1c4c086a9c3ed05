/* Whole-file writes through a temporary file and a rename (see tars/file.h). */
#include "tars/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int io_error(const char *path, int e, struct tars_err *err)
{
    return tars_err_set(err, e == ENOSPC || e == EDQUOT ? TARS_ENOSPACE : TARS_EIO,
                        "cannot write \"%s\": %s", path, strerror(e));
}

/* "DIR/.NAME.tmp.PID": hidden, in the same directory (rename stays atomic),
 * and distinct per process. */
static int temp_name(const char *path, char *out, size_t cap, struct tars_err *err)
{
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    int n = snprintf(out, cap, "%.*s.%s.tmp.%ld", dir_len, path, slash ? slash + 1 : path,
                     (long)getpid());

    if (n < 0 || (size_t)n >= cap)
        return tars_err_set(err, TARS_ETOOBIG, "path \"%s\" is too long", path);
    return TARS_OK;
}

/* The rename itself is made durable by syncing the directory (best effort:
 * some file systems refuse to fsync a directory). */
static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >= sizeof(dir))
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Flushes and closes f, then renames tmp over path; errno of the first
 * failure in *e. */
static int finish(FILE *f, const char *tmp, const char *path, int *e)
{
    int ok = fflush(f) == 0 && !ferror(f);

    if (!ok)
        *e = errno ? errno : EIO;
    if (ok && fsync(fileno(f)) != 0) {
        *e = errno;
        ok = 0;
    }
    if (fclose(f) != 0 && ok) {
        *e = errno;
        ok = 0;
    }
    if (ok && rename(tmp, path) != 0) {
        *e = errno;
        ok = 0;
    }
    return ok;
}

int tars_file_write_with(const char *path, mode_t mode, tars_file_fill_fn fill, void *ctx,
                         struct tars_err *err)
{
    char tmp[PATH_MAX];
    FILE *f;
    int fd, rc, e = 0;

    if ((rc = temp_name(path, tmp, sizeof(tmp), err)) != TARS_OK)
        return rc;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return io_error(path, errno, err);
    if (fchmod(fd, mode) != 0 || !(f = fdopen(fd, "w"))) {
        e = errno;
        close(fd);
        unlink(tmp);
        return io_error(path, e, err);
    }
    errno = 0;
    rc = fill(f, ctx, err);
    if (rc != TARS_OK) {
        fclose(f);
        unlink(tmp);
        return rc;
    }
    if (!finish(f, tmp, path, &e)) {
        unlink(tmp);
        return io_error(path, e, err);
    }
    sync_dir(path);
    return TARS_OK;
}

int tars_mkdirs(const char *path, struct tars_err *err)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);

    if (n >= sizeof(tmp))
        return tars_err_set(err, TARS_ETOOBIG, "path \"%s\" is too long", path);
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return tars_err_set(err, TARS_EIO, "cannot create \"%s\": %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return tars_err_set(err, TARS_EIO, "cannot create \"%s\": %s", tmp, strerror(errno));
    return TARS_OK;
}

struct bytes {
    const void *data;
    size_t len;
};

static int put_bytes(FILE *f, void *ctx, struct tars_err *err)
{
    const struct bytes *b = ctx;

    (void)err;
    if (b->len)
        fwrite(b->data, 1, b->len, f);
    return TARS_OK;
}

int tars_file_write(const char *path, const void *data, size_t len, mode_t mode,
                    struct tars_err *err)
{
    struct bytes b = {data, len};

    return tars_file_write_with(path, mode, put_bytes, &b, err);
}
