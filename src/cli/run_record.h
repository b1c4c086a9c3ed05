/* `--run DIR`: how commands add what they measured to a run directory. */
#ifndef TARS_CLI_RUN_RECORD_H
#define TARS_CLI_RUN_RECORD_H

#include <jansson.h>
#include <stdbool.h>

/*
 * Opens (creating) the run directory dir, writes value to dir/file (when file
 * is non-NULL) and, when key is non-NULL, puts it into run.json under key
 * (appended to the array key when append). Prints "tars <cmd>: ..." on failure and returns
 * EXIT_INCONCLUSIVE; 0 on success.
 */
int cli_run_record(const char *cmd, const char *dir, const char *file, const char *key, bool append,
                   json_t *value);

/* A file name made of prefix + name (anything outside [A-Za-z0-9._-]
 * becomes '_') + ".json", into out. */
void cli_run_file_name(const char *prefix, const char *name, char *out, size_t cap);

#endif
