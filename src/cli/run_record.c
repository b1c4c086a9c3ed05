/* `--run DIR` for every measuring command (see run_record.h). */
#include "run_record.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tars/run.h"

int cli_run_record(const char *cmd, const char *dir, const char *file, const char *key, bool append,
                   json_t *value)
{
    struct tars_err err = TARS_ERR_INIT;
    int rc = tars_run_open(dir, true, &err);

    if (rc == TARS_OK && file)
        rc = tars_run_write_json(dir, file, value, &err);
    if (rc == TARS_OK && key)
        rc = append ? tars_run_append(dir, key, value, &err) : tars_run_put(dir, key, value, &err);
    if (rc != TARS_OK) {
        fprintf(stderr, "tars %s: run directory: %s\n", cmd, err.msg);
        return EXIT_INCONCLUSIVE;
    }
    return 0;
}

void cli_run_file_name(const char *prefix, const char *name, char *out, size_t cap)
{
    size_t n = 0;

    if (cap == 0)
        return;
    for (const char *p = prefix; *p && n + 1 < cap; p++)
        out[n++] = *p;
    for (const char *p = name ? name : ""; *p && n + 6 < cap; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n + 5 < cap)
        memcpy(out + n, ".json", 6);
}
