/*
 * Output options of every command (--json FILE, --format KIND:FILE, -o FILE,
 * --csv PREFIX, --run DIR): checked before any work, written whole. "-" names
 * standard output wherever one stream makes sense.
 */
#ifndef TARS_CLI_OUTPUT_H
#define TARS_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "tars/file.h"

/* "-": standard output. */
bool cli_output_is_stdout(const char *path);

/* Checks, creating nothing, that path can be written: "-" (when
 * allow_stdout), or a name whose folder exists and may be written and that
 * is not itself a folder. Prints `tars CMD: OPTION "path": reason` (with the
 * errno text) and returns EXIT_USAGE; 0 when it can. */
int cli_output_check(const char *cmd, const char *option, const char *path, bool allow_stdout);

/* The same for a run directory a command creates with its parent when
 * missing (--run DIR): it is a writable folder, or the nearest folder above
 * it that exists is one and at most two levels are missing. */
int cli_output_check_dir(const char *cmd, const char *option, const char *dir);

/* Writes what fill produces to path whole (tars/file.h), or to standard
 * output for "-". Prints `tars CMD: ...` and returns EXIT_INCONCLUSIVE on
 * failure; 0 on success. */
int cli_output_write(const char *cmd, const char *path, tars_file_fill_fn fill, void *ctx);

/* len bytes of data, as cli_output_write. */
int cli_output_bytes(const char *cmd, const char *path, const char *data, size_t len);

/* v as JSON (flags for json_dumpf; reals at TARS_JSON_REAL_DIGITS unless
 * flags say otherwise) and a newline, as cli_output_write. */
int cli_output_json(const char *cmd, const char *path, const json_t *v, size_t flags);

/* For a command whose own report goes to standard output while an output
 * option is "-": from here on standard output is standard error (every
 * printf lands there), and cli_output_write writes "-" to the real one. */
int cli_output_claim_stdout(const char *cmd);

/* The usual outputs of a measuring command, checked before any work: a
 * JSON file json_path (may be NULL; "-" claims standard output, above) and
 * a run directory (may be NULL). EXIT_USAGE after printing why. */
int cli_output_prepare(const char *cmd, const char *json_option, const char *json_path,
                       const char *run_dir);

/* A --format spec: "console", or KIND:FILE with KIND one of kinds
 * (NULL-terminated) and FILE checked as by cli_output_check. */
struct cli_format {
    int kind; /* index into kinds; -1 for console */
    const char *path;
};
int cli_format_parse(const char *cmd, const char *spec, const char *const *kinds,
                     struct cli_format *out);

#endif
