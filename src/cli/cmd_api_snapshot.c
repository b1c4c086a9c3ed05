/* tars api-snapshot: record the dashboard API's statuses and JSON shapes; --compare OLD. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "output.h"
#include "tars/api_snapshot.h"
#include "tars/json.h"

static struct {
    const char *output, *token_env, *old;
    int writes, insecure;
} ao;

static const struct cli_opt api_snapshot_table[] = {
    CLI_STRING('o', "output", "FILE", &ao.output,
               "write the snapshot here (default: standard output)"),
    CLI_STRING(0, "token-env", "VAR", &ao.token_env,
               "a bearer token from this environment variable (admin sees all)"),
    CLI_FLAG(0, "writes", &ao.writes,
             "also POST, PUT and DELETE an evaluation (soft-deleted after)"),
    CLI_STRING(0, "compare", "OLD", &ao.old,
               "compare with a stored snapshot: breaking changes exit 1"),
    CLI_FLAG('k', "insecure", &ao.insecure, "do not verify TLS certificates"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_api_snapshot_spec = {
    .name = "api-snapshot",
    .synopsis = "tars api-snapshot BASE_URL [-o FILE] [--token-env VAR] [--writes] [--compare OLD]",
    .about = "Records, for every endpoint of the dashboard API (docs/api.md), the status and the\n"
             "JSON shape (keys and types, recursively) of its answer.",
    .opts = api_snapshot_table,
    .exits = "0 taken (and compatible), 1 breaking changes, 2 the service could not be read,\n"
             "3 bad usage",
};

static void print_list(const char *title, json_t *list)
{
    size_t i;
    json_t *v;

    if (!json_array_size(list))
        return;
    printf("%s:\n", title);
    json_array_foreach(list, i, v)
        printf("  %s\n", json_string_value(v));
}

static int compare_with(const char *old_path, json_t *now)
{
    struct tars_err err = TARS_ERR_INIT;
    json_t *old = NULL, *diff;
    size_t breaking;

    if (tars_json_load_file(old_path, 0, 0, &old, &err) != TARS_OK) {
        fprintf(stderr, "tars api-snapshot: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (tars_api_snapshot_check(old, &err) != TARS_OK) {
        fprintf(stderr, "tars api-snapshot: %s: %s\n", old_path, err.msg);
        json_decref(old);
        return EXIT_USAGE;
    }
    diff = tars_api_compare(old, now);
    breaking = json_array_size(json_object_get(diff, "breaking"));
    print_list("breaking", json_object_get(diff, "breaking"));
    print_list("added", json_object_get(diff, "additions"));
    print_list("not compared", json_object_get(diff, "unverified"));
    printf("%lld endpoints of %s: %zu breaking change(s)\n",
           (long long)json_integer_value(json_object_get(diff, "endpoints")), old_path, breaking);
    json_decref(diff);
    json_decref(old);
    return breaking ? EXIT_FAILED : EXIT_OK;
}

int cmd_api_snapshot(int argc, char **argv)
{
    struct tars_api_snapshot_options o = {0};
    struct tars_err err = TARS_ERR_INIT;
    const char *output, *token_env, *old;
    json_t *snap = NULL;
    int n, rc;

    memset(&ao, 0, sizeof(ao));
    rc = cli_opt_parse(&cli_api_snapshot_spec, argc, argv, &n);
    if (rc)
        return cli_opt_exit(rc);
    if (n != 1)
        return cli_usage_error("api-snapshot", "one BASE_URL, e.g. http://127.0.0.1:3001");
    o.base_url = argv[1];
    o.writes = ao.writes;
    o.insecure = ao.insecure;
    output = ao.output;
    token_env = ao.token_env;
    old = ao.old;
    if (output && cli_output_check("api-snapshot", "--output", output, true))
        return EXIT_USAGE;
    if (token_env && !(o.token = getenv(token_env)))
        return cli_usage_error("api-snapshot", "--token-env %s: the variable is not set",
                               token_env);
    if (tars_api_snapshot_take(&o, &snap, &err) != TARS_OK) {
        fprintf(stderr, "tars api-snapshot: %s\n", err.msg);
        return EXIT_INCONCLUSIVE;
    }
    rc = EXIT_OK;
    if (output || !old)
        rc = cli_output_json("api-snapshot", output ? output : "-", snap,
                             JSON_INDENT(1) | JSON_SORT_KEYS);
    if (rc == EXIT_OK && old)
        rc = compare_with(old, snap);
    json_decref(snap);
    return rc;
}
