/*
 * Writing result files whole. Every file tars leaves for a later command or a
 * person (run.json, reports, JSON and CSV outputs, package artifacts) is
 * written to a temporary file in the same directory, flushed to disk and
 * renamed over its name: a reader sees the old file or the new one, never a
 * half. On any failure (a full disk, a missing directory) the temporary file
 * is removed, the old file is left as it was, and the error names the file
 * and the cause; a full disk is TARS_ENOSPACE.
 */
#ifndef TARS_FILE_H
#define TARS_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "tars/err.h"

/* Produces a file's content on f; returns TARS_OK or a tars code with err
 * set. A failed write to f needs no check here: it is caught at the flush. */
typedef int (*tars_file_fill_fn)(FILE *f, void *ctx, struct tars_err *err);

/* Writes path (with mode) from what fill writes, atomically as above. */
int tars_file_write_with(const char *path, mode_t mode, tars_file_fill_fn fill, void *ctx,
                         struct tars_err *err) TARS_MUST_CHECK;

/* Writes len bytes of data to path, atomically as above. */
int tars_file_write(const char *path, const void *data, size_t len, mode_t mode,
                    struct tars_err *err) TARS_MUST_CHECK;

/* mkdir -p path (mode 0755); TARS_EIO naming the directory that failed. */
int tars_mkdirs(const char *path, struct tars_err *err) TARS_MUST_CHECK;

#endif
