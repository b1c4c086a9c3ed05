/* tars db-integrity: row counts and checksums of the tables a release must not lose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "output.h"
#include "run_record.h"
#include "tars/json.h"
#include "tars/store_integrity.h"

static struct {
    const char *db, *output, *compare, *run_dir, *label;
} io;

static const struct cli_opt db_integrity_table[] = {
    CLI_ENV_OPT(CLI_OPT_STRING, "db", "URL", &io.db, 0, 0, NULL, "TARS_DB",
                "sqlite:PATH or postgres://..."),
    CLI_STRING('o', "output", "FILE", &io.output,
               "write the snapshot here (default: standard output)"),
    CLI_STRING(0, "compare", "FILE", &io.compare, "an earlier snapshot of the same database"),
    CLI_STRING(0, "run", "DIR", &io.run_dir,
               "record the result in run directory DIR (run.json \"integrity\")"),
    CLI_STRING(0, "label", "L", &io.label,
               "what this snapshot is, e.g. before-deploy, after-rollback"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_db_integrity_spec = {
    .name = "db-integrity",
    .synopsis =
        "tars db-integrity --db URL [-o FILE] [--compare BEFORE.json] [--run DIR] [--label L]",
    .about = "Records, per table a release must not lose (users, api_keys, agents, agent_states,\n"
             "evaluations, missions), the rows and an order-independent checksum of the columns\n"
             "that identify a row. With --compare, counts only the rows inside BEFORE's cutoffs\n"
             "(rows written since do not count) and fails on any row lost or changed.",
    .opts = db_integrity_table,
    .exits = "0 taken (and intact), 1 rows lost or changed, 2 database unreachable, 3 bad usage",
};

static json_t *read_snapshot(const char *path)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *v = NULL;

    tars_json_load_file(path, 0, 0, &v, &err);
    if (!v || !json_is_object(json_object_get(v, "tables"))) {
        if (v)
            fprintf(stderr, "tars db-integrity: %s: not an integrity snapshot\n", path);
        else
            fprintf(stderr, "tars db-integrity: %s\n", err.msg);
        json_decref(v);
        return NULL;
    }
    return v;
}

static int report(const char *label, const char *compare, json_t *snap, json_t *diffs,
                  const char *run_dir)
{
    size_t i;
    json_t *d, *entry;
    int rc = 0;

    json_array_foreach(diffs, i, d)
        printf("  LOST OR CHANGED  %s\n", json_string_value(d));
    if (compare)
        printf("%s: %zu difference(s) against %s\n", label ? label : "integrity",
               json_array_size(diffs), compare);
    if (run_dir) {
        entry = json_pack("{s:s,s:O,s:O}", "label", label ? label : "", "tables",
                          json_object_get(snap, "tables"), "differences", diffs);
        if (compare)
            json_object_set_new(entry, "compared_with", json_string(compare));
        rc = cli_run_record("db-integrity", run_dir, NULL, "integrity", true, entry);
        json_decref(entry);
    }
    return rc;
}

int cmd_db_integrity(int argc, char **argv)
{
    const char *db, *output, *compare, *run_dir, *label;
    struct tars_err err = TARS_ERR_INIT;
    json_t *before = NULL, *snap = NULL, *diffs = NULL;
    tars_store *st;
    int rc;

    memset(&io, 0, sizeof(io));
    rc = cli_opt_parse_no_operands(&cli_db_integrity_spec, argc, argv);
    if (rc)
        return cli_opt_exit(rc);
    db = io.db;
    output = io.output;
    compare = io.compare;
    run_dir = io.run_dir;
    label = io.label;
    if (!db)
        return cli_usage_error("db-integrity", "--db URL is required (or TARS_DB)");
    if (output && cli_output_check("db-integrity", "--output", output, true))
        return EXIT_USAGE;
    if (run_dir && cli_output_check_dir("db-integrity", "--run", run_dir))
        return EXIT_USAGE;
    if (compare && !(before = read_snapshot(compare)))
        return EXIT_USAGE;
    st = tars_store_open(db, &err);
    if (!st || tars_store_integrity(st, before, &snap, &err) != TARS_OK) {
        fprintf(stderr, "tars db-integrity: %s\n", err.msg);
        tars_store_close(st);
        json_decref(before);
        return err.code == TARS_EINVAL ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    }
    tars_store_close(st);
    diffs = before ? tars_store_integrity_compare(before, snap) : json_array();
    rc = 0;
    if (output || !compare)
        rc = cli_output_json("db-integrity", output ? output : "-", snap,
                             JSON_INDENT(1) | JSON_SORT_KEYS);
    if (rc == 0)
        rc = report(label, compare, snap, diffs, run_dir);
    if (rc == 0 && json_array_size(diffs))
        rc = EXIT_FAILED;
    json_decref(diffs);
    json_decref(snap);
    json_decref(before);
    return rc;
}
