/*
 * Reproducible tar.gz archives with libarchive: the same files and the same
 * timestamp give the same bytes. Entries are sorted by name and carry only
 * what the content decides (the executable bit); owner, group, names, times
 * and the gzip header are fixed.
 */
#include "tars/package.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tars/alloc.h"

#define TREE_MAX_DEPTH 16
#define TREE_MAX_FILES 20000

void tars_archive_list_release(struct tars_archive_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->files[i].name);
        free(l->files[i].source);
    }
    free(l->files);
    memset(l, 0, sizeof(*l));
}

static int list_add(struct tars_archive_list *l, const char *source, const char *name, mode_t mode,
                    struct tars_err *err)
{
    if (l->count >= TREE_MAX_FILES)
        return tars_err_set(err, TARS_ETOOBIG, "more than %d files to archive", TREE_MAX_FILES);
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->files = xrealloc(l->files, l->cap * sizeof(*l->files));
    }
    l->files[l->count].name = xstrdup(name);
    l->files[l->count].source = xstrdup(source);
    l->files[l->count].executable = (mode & 0111) != 0;
    l->count++;
    return TARS_OK;
}

int tars_archive_add_file(struct tars_archive_list *l, const char *source, const char *name,
                          struct tars_err *err)
{
    struct stat st;

    if (stat(source, &st) != 0)
        return tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO, "\"%s\": %s", source,
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tars_err_set(err, TARS_EINVAL, "\"%s\" is not a regular file", source);
    return list_add(l, source, name, st.st_mode, err);
}

static int join(char *out, size_t cap, const char *a, const char *b, struct tars_err *err)
{
    int n = *a ? snprintf(out, cap, "%s/%s", a, b) : snprintf(out, cap, "%s", b);

    if (n < 0 || (size_t)n >= cap)
        return tars_err_set(err, TARS_ETOOBIG, "path \"%s/%s\" is too long", a, b);
    return TARS_OK;
}

static int add_tree(struct tars_archive_list *l, const char *dir, const char *prefix, int depth,
                    struct tars_err *err)
{
    DIR *d;
    struct dirent *de;
    int rc = TARS_OK;

    if (depth > TREE_MAX_DEPTH)
        return tars_err_set(err, TARS_ETOOBIG, "\"%s\" is nested too deeply", dir);
    if (!(d = opendir(dir)))
        return tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO, "\"%s\": %s", dir,
                            strerror(errno));
    while (rc == TARS_OK && (de = readdir(d)) != NULL) {
        char source[PATH_MAX], name[PATH_MAX];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((rc = join(source, sizeof(source), dir, de->d_name, err)) != TARS_OK ||
            (rc = join(name, sizeof(name), prefix, de->d_name, err)) != TARS_OK)
            break;
        if (stat(source, &st) != 0)
            continue; /* a dangling symlink: nothing to ship */
        if (S_ISDIR(st.st_mode))
            rc = add_tree(l, source, name, depth + 1, err);
        else if (S_ISREG(st.st_mode))
            rc = list_add(l, source, name, st.st_mode, err);
    }
    closedir(d);
    return rc;
}

int tars_archive_add_tree(struct tars_archive_list *l, const char *dir, const char *prefix,
                          struct tars_err *err)
{
    return add_tree(l, dir, prefix, 0, err);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct tars_archive_file *)a)->name,
                  ((const struct tars_archive_file *)b)->name);
}

static int archive_fail(struct archive *a, const char *what, const char *path, struct tars_err *err)
{
    return tars_err_set(err, TARS_EIO, "%s \"%s\": %s", what, path,
                        archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

/* Header of one regular file: owner root, fixed mode and time. */
static struct archive_entry *file_entry(const struct tars_archive_file *f, int64_t size,
                                        int64_t mtime)
{
    struct archive_entry *e = archive_entry_new();

    if (!e)
        return NULL;
    archive_entry_set_pathname(e, f->name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, f->executable ? 0755 : 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_uname(e, "root");
    archive_entry_set_gname(e, "root");
    archive_entry_set_mtime(e, (time_t)mtime, 0);
    return e;
}

static int write_member(struct archive *a, const struct tars_archive_file *f, int64_t mtime,
                        struct tars_err *err)
{
    struct archive_entry *e = NULL;
    struct stat st;
    char block[65536];
    ssize_t n;
    int fd, rc = TARS_OK;
    int64_t left;

    if ((fd = open(f->source, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        rc = tars_err_set(err, TARS_EIO, "cannot read \"%s\": %s", f->source, strerror(errno));
        goto out;
    }
    if (!(e = file_entry(f, st.st_size, mtime))) {
        rc = tars_err_set(err, TARS_EIO, "out of memory for an archive entry");
        goto out;
    }
    if (archive_write_header(a, e) != ARCHIVE_OK) {
        rc = archive_fail(a, "cannot add", f->name, err);
        goto out;
    }
    for (left = st.st_size; left > 0; left -= n) {
        n = read(fd, block, sizeof(block) < (size_t)left ? sizeof(block) : (size_t)left);
        if (n <= 0) {
            rc = tars_err_set(err, TARS_EIO, "\"%s\" changed while it was archived", f->source);
            goto out;
        }
        if (archive_write_data(a, block, (size_t)n) != n) {
            rc = archive_fail(a, "cannot write", f->name, err);
            goto out;
        }
    }
out:
    if (e)
        archive_entry_free(e);
    if (fd >= 0)
        close(fd);
    return rc;
}

int tars_archive_write(const char *out_path, struct tars_archive_list *l, int64_t mtime,
                       struct tars_err *err)
{
    struct archive *a = archive_write_new();
    int rc = TARS_OK;

    if (!a)
        return tars_err_set(err, TARS_EIO, "out of memory for an archive");
    qsort(l->files, l->count, sizeof(*l->files), by_name);
    for (size_t i = 1; i < l->count; i++)
        if (strcmp(l->files[i - 1].name, l->files[i].name) == 0) {
            rc = tars_err_set(err, TARS_EINVAL, "\"%s\" would be archived twice", l->files[i].name);
            goto out;
        }
    /* ustar: no extended headers carrying access times or pids; gzip with no
     * timestamp (libarchive writes no file name and a fixed OS byte) */
    if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
        archive_write_set_filter_option(a, "gzip", "compression-level", "6") != ARCHIVE_OK ||
        archive_write_open_filename(a, out_path) != ARCHIVE_OK) {
        rc = archive_fail(a, "cannot create", out_path, err);
        goto out;
    }
    for (size_t i = 0; i < l->count && rc == TARS_OK; i++)
        rc = write_member(a, &l->files[i], mtime, err);
    if (archive_write_close(a) != ARCHIVE_OK && rc == TARS_OK)
        rc = archive_fail(a, "cannot finish", out_path, err);
out:
    archive_write_free(a);
    return rc;
}

/* Opens path (a tar, gzipped or not) and finds the member name: TARS_OK with
 * *a open on its header (free it with archive_read_free), else an error
 * naming the archive and *a freed. */
static int find_member(const char *path, const char *name, struct archive **out,
                       struct archive_entry **e, struct tars_err *err)
{
    struct archive *a = archive_read_new();
    int rc, r;

    *out = NULL;
    if (!a)
        return tars_err_set(err, TARS_EIO, "out of memory for an archive");
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        rc = archive_fail(a, "cannot open", path, err);
        archive_read_free(a);
        return rc;
    }
    while ((r = archive_read_next_header(a, e)) == ARCHIVE_OK) {
        if (strcmp(archive_entry_pathname(*e), name) == 0) {
            *out = a;
            return TARS_OK;
        }
    }
    if (r != ARCHIVE_EOF)
        rc = archive_fail(a, "cannot read", path, err);
    else
        rc = tars_err_set(err, TARS_ENOTFOUND, "\"%s\" has no member \"%s\"", path, name);
    archive_read_free(a);
    return rc;
}

int tars_archive_read_member(const char *path, const char *name, size_t max, struct tars_buf *out,
                             struct tars_err *err)
{
    struct archive *a;
    struct archive_entry *e;
    char block[16384];
    ssize_t n = 0;
    int rc = find_member(path, name, &a, &e, err);

    if (rc != TARS_OK)
        return rc;
    if (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > max) {
        rc = tars_err_set(err, TARS_ETOOBIG, "\"%s\" in \"%s\" is larger than %zu bytes", name,
                          path, max);
    } else {
        while (rc == TARS_OK && (n = archive_read_data(a, block, sizeof(block))) > 0)
            rc = tars_buf_append(out, block, (size_t)n);
        if (rc == TARS_OK && n < 0)
            rc = archive_fail(a, "cannot read", path, err);
        else if (rc != TARS_OK)
            rc = tars_err_set(err, rc, "\"%s\" in \"%s\" is too large", name, path);
    }
    archive_read_free(a);
    return rc;
}

int tars_archive_stat_member(const char *path, const char *name, unsigned *mode, int64_t *size,
                             struct tars_err *err)
{
    struct archive *a;
    struct archive_entry *e;
    int rc = find_member(path, name, &a, &e, err);

    if (rc != TARS_OK)
        return rc;
    *mode = (unsigned)archive_entry_mode(e);
    *size = archive_entry_size(e);
    archive_read_free(a);
    return TARS_OK;
}
