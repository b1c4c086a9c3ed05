/* `tars compare`: reading its inputs (a run directory, a run.json, or a load
 * result file) into one run-shaped document, checked before anything is
 * compared so that a bad file is named. */
#include "tars/json.h"
#include "tars/compare.h"

#include <string.h>
#include <sys/stat.h>

#include "tars/load.h"
#include "tars/run.h"

/* Reads a JSON file of at most TARS_RUN_MAX_BYTES. */
static int read_json_file(const char *path, json_t **out, struct tars_err *err)
{
    int rc = tars_json_load_file(path, TARS_RUN_MAX_BYTES, JSON_REJECT_DUPLICATES, out, err);
    if (rc)
        return rc;
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return tars_err_set(err, TARS_EINVAL, "%s: not a JSON object", path);
    }
    return TARS_OK;
}

/* {"loads":[{"name": scenario, "result": result}]}, taking result. */
static json_t *wrap_load_result(json_t *result)
{
    json_t *name = json_object_get(result, "scenario");
    json_t *entry =
        json_pack("{s:s,s:O}", "name", json_is_string(name) ? json_string_value(name) : "load",
                  "result", result);
    json_t *run =
        entry ? json_pack("{s:s,s:[o]}", "format", "tars-load-result", "loads", entry) : NULL;

    json_decref(result);
    return run;
}

/* Every "loads" entry must be {"name": string, "result": a load result that
 * reads back}; the message names the entry. */
static int check_loads(const char *path, json_t *run, struct tars_err *err)
{
    json_t *loads = json_object_get(run, "loads"), *entry;
    size_t i;

    if (!loads)
        return TARS_OK;
    if (!json_is_array(loads))
        return tars_err_set(err, TARS_EINVAL, "%s: \"loads\" is not an array", path);
    json_array_foreach(loads, i, entry) {
        struct tars_load_result r;
        int rc;

        if (!json_is_string(json_object_get(entry, "name")))
            return tars_err_set(err, TARS_EINVAL, "%s: loads[%zu]: no \"name\" string", path, i);
        rc = tars_load_result_from_json(json_object_get(entry, "result"), &r, err);
        if (rc != TARS_OK) {
            char prefix[512];

            snprintf(prefix, sizeof(prefix), "%s: loads[%zu]", path, i);
            tars_err_prefix(err, prefix);
            return TARS_EINVAL;
        }
        tars_load_result_release(&r);
    }
    return TARS_OK;
}

static int read_run_shaped(const char *path, json_t **out, struct tars_err *err)
{
    json_t *v = NULL, *format;
    const char *f;
    int rc = read_json_file(path, &v, err);

    if (rc != TARS_OK)
        return rc;
    format = json_object_get(v, "format");
    f = json_is_string(format) ? json_string_value(format) : "";
    if (strcmp(f, "tars-load-result") == 0) {
        v = wrap_load_result(v);
        if (!v)
            return tars_err_set(err, TARS_EINTERNAL, "%s: out of memory", path);
    } else if (strcmp(f, TARS_RUN_FORMAT) != 0) {
        json_decref(v);
        return tars_err_set(err, TARS_EINVAL,
                            "%s: neither a run record (\"format\": \"%s\") nor a load result "
                            "(\"format\": \"tars-load-result\")",
                            path, TARS_RUN_FORMAT);
    }
    if ((rc = check_loads(path, v, err)) != TARS_OK) {
        json_decref(v);
        return rc;
    }
    *out = v;
    return TARS_OK;
}

int tars_compare_input_load(const char *path, json_t **out, struct tars_err *err)
{
    struct stat st;
    char file[4096];

    *out = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (snprintf(file, sizeof(file), "%s/%s", path, TARS_RUN_FILE) >= (int)sizeof(file))
            return tars_err_set(err, TARS_ETOOBIG, "%s: path too long", path);
        if (stat(file, &st) != 0)
            return tars_err_set(err, TARS_ENOTFOUND, "%s: a directory without %s", path,
                                TARS_RUN_FILE);
        return read_run_shaped(file, out, err);
    }
    return read_run_shaped(path, out, err);
}
