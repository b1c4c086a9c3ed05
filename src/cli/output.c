/* Output options: checked before any work, written whole (see output.h). */
#include "output.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tars/json.h"

/* Standard output as it was before cli_output_claim_stdout, or NULL. */
static FILE *claimed_stdout;

bool cli_output_is_stdout(const char *path)
{
    return strcmp(path, "-") == 0;
}

/* The folder part of path ("." when there is none) into out. */
static void folder_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;

    if (!slash)
        snprintf(out, size, ".");
    else if (n == 0)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), path);
}

/* NULL when dir is a folder this process may create files in, else why not. */
static const char *folder_problem(const char *dir)
{
    struct stat st;

    if (stat(dir, &st) != 0)
        return strerror(errno);
    if (!S_ISDIR(st.st_mode))
        return strerror(ENOTDIR);
    if (access(dir, W_OK | X_OK) != 0)
        return strerror(errno);
    return NULL;
}

static int refuse(const char *cmd, const char *option, const char *path, const char *what,
                  const char *why)
{
    return cli_usage_error(cmd, "%s \"%s\": %s%s%s", option, path, what ? what : "",
                           what ? ": " : "", why);
}

int cli_output_check(const char *cmd, const char *option, const char *path, bool allow_stdout)
{
    char dir[PATH_MAX];
    struct stat st;
    const char *why;

    if (!path[0])
        return refuse(cmd, option, path, NULL, "no file name");
    if (cli_output_is_stdout(path))
        return allow_stdout ? 0
                            : refuse(cmd, option, path, NULL,
                                     "writes several files, so it cannot be standard output");
    if (path[strlen(path) - 1] == '/')
        return refuse(cmd, option, path, NULL, strerror(EISDIR));
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return refuse(cmd, option, path, NULL, strerror(EISDIR));
        if (access(path, W_OK) != 0)
            return refuse(cmd, option, path, NULL, strerror(errno));
    }
    folder_of(path, dir, sizeof(dir));
    if ((why = folder_problem(dir)))
        return refuse(cmd, option, path, dir, why);
    return 0;
}

int cli_output_check_dir(const char *cmd, const char *option, const char *dir)
{
    char name[PATH_MAX], parent[PATH_MAX];
    struct stat st;
    const char *why;

    if (!dir[0])
        return refuse(cmd, option, dir, NULL, "no folder name");
    snprintf(name, sizeof(name), "%s", dir);
    /* The folder and its parent are created when missing (tars/run.h);
     * what is above them must be there already, and writable. */
    for (int missing = 0;; missing++) {
        while (strlen(name) > 1 && name[strlen(name) - 1] == '/')
            name[strlen(name) - 1] = '\0';
        if (stat(name, &st) == 0) {
            if ((why = folder_problem(name)))
                return refuse(cmd, option, dir, missing ? name : NULL, why);
            return 0;
        }
        if (errno != ENOENT || missing == 2)
            return refuse(cmd, option, dir, name, strerror(errno));
        folder_of(name, parent, sizeof(parent));
        snprintf(name, sizeof(name), "%s", parent);
    }
}

int cli_output_write(const char *cmd, const char *path, tars_file_fill_fn fill, void *ctx)
{
    struct tars_err err = TARS_ERR_INIT;

    if (cli_output_is_stdout(path)) {
        FILE *out = claimed_stdout ? claimed_stdout : stdout;
        if (fill(out, ctx, &err) != TARS_OK || fflush(out) != 0 || ferror(out)) {
            fprintf(stderr, "tars %s: cannot write to standard output%s%s\n", cmd,
                    err.msg[0] ? ": " : "", err.msg);
            return EXIT_INCONCLUSIVE;
        }
        return 0;
    }
    if (tars_file_write_with(path, 0644, fill, ctx, &err) != TARS_OK) {
        fprintf(stderr, "tars %s: %s\n", cmd, err.msg);
        return EXIT_INCONCLUSIVE;
    }
    return 0;
}

struct json_out {
    const json_t *v;
    size_t flags;
};

static int fill_json(FILE *f, void *ctx, struct tars_err *err)
{
    const struct json_out *j = ctx;
    return tars_json_write_stream(f, j->v, j->flags, err);
}

int cli_output_json(const char *cmd, const char *path, const json_t *v, size_t flags)
{
    struct json_out j = {v, flags};
    return cli_output_write(cmd, path, fill_json, &j);
}

int cli_format_parse(const char *cmd, const char *spec, const char *const *kinds,
                     struct cli_format *out)
{
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    char option[64];

    out->kind = -1;
    out->path = NULL;
    if (strcmp(spec, "console") == 0)
        return 0;
    for (int i = 0; kinds[i]; i++)
        if (strlen(kinds[i]) == n && strncmp(spec, kinds[i], n) == 0)
            out->kind = i;
    if (out->kind < 0) {
        char known[256];
        size_t len = (size_t)snprintf(known, sizeof(known), "console");
        for (int i = 0; kinds[i] && len < sizeof(known); i++)
            len += (size_t)snprintf(known + len, sizeof(known) - len, ", %s:FILE", kinds[i]);
        return cli_usage_error(cmd,
                               "--format \"%s\": unknown format \"%.*s\" (%s; FILE may be - "
                               "for standard output)",
                               spec, (int)n, spec, known);
    }
    if (!colon || !colon[1])
        return cli_usage_error(cmd, "--format \"%s\" needs a file: %s:FILE (- for standard output)",
                               spec, kinds[out->kind]);
    out->path = colon + 1;
    snprintf(option, sizeof(option), "--format %s", kinds[out->kind]);
    return cli_output_check(cmd, option, out->path, true);
}

int cli_output_claim_stdout(const char *cmd)
{
    int fd;

    if (claimed_stdout)
        return 0;
    fflush(stdout);
    if ((fd = dup(STDOUT_FILENO)) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
        !(claimed_stdout = fdopen(fd, "w"))) {
        fprintf(stderr, "tars %s: cannot set standard output aside: %s\n", cmd, strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_INCONCLUSIVE;
    }
    return 0;
}

int cli_output_prepare(const char *cmd, const char *json_option, const char *json_path,
                       const char *run_dir)
{
    if (json_path && cli_output_check(cmd, json_option, json_path, true))
        return EXIT_USAGE;
    if (run_dir && cli_output_check_dir(cmd, "--run", run_dir))
        return EXIT_USAGE;
    if (json_path && cli_output_is_stdout(json_path))
        return cli_output_claim_stdout(cmd);
    return 0;
}

struct bytes_out {
    const char *data;
    size_t len;
};

static int fill_bytes(FILE *f, void *ctx, struct tars_err *err)
{
    const struct bytes_out *b = ctx;

    (void)err;
    if (b->len)
        fwrite(b->data, 1, b->len, f);
    return TARS_OK;
}

int cli_output_bytes(const char *cmd, const char *path, const char *data, size_t len)
{
    struct bytes_out b = {data, len};
    return cli_output_write(cmd, path, fill_bytes, &b);
}
