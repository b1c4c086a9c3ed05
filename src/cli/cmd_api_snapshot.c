/* tars api-snapshot: record the dashboard API's statuses and JSON shapes; --compare OLD. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "tars/api_snapshot.h"
#include "tars/json.h"

void usage_api_snapshot(void)
{
    printf("usage: tars api-snapshot BASE_URL [-o FILE] [--token-env VAR] [--writes] [--compare OLD]\n\n"
           "Records, for every endpoint of the dashboard API (docs/api.md), the status and the\n"
           "JSON shape (keys and types, recursively) of its answer.\n\n"
           "  -o, --output FILE    write the snapshot here (default: standard output)\n"
           "      --token-env VAR  a bearer token from this environment variable (admin sees all)\n"
           "      --writes         also POST, PUT and DELETE an evaluation (soft-deleted after)\n"
           "      --compare OLD    compare with a stored snapshot: breaking changes exit 1\n"
           "  -k, --insecure       do not verify TLS certificates\n"
           "exit: 0 taken (and compatible), 1 breaking changes, 2 the service could not be read,\n"
           "3 bad usage\n");
}

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
    json_error_t jerr;
    json_t *old = json_load_file(old_path, 0, &jerr), *diff;
    struct tars_err err = TARS_ERR_INIT;
    size_t breaking;

    if (!old || tars_api_snapshot_check(old, &err) != TARS_OK) {
        fprintf(stderr, "tars api-snapshot: %s: %s\n", old_path, old ? err.msg : jerr.text);
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
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"token-env", required_argument, NULL, 't'},
        {"writes", no_argument, NULL, 'w'},       {"compare", required_argument, NULL, 'c'},
        {"insecure", no_argument, NULL, 'k'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct tars_api_snapshot_options o = {0};
    struct tars_err err = TARS_ERR_INIT;
    const char *output = NULL, *token_env = NULL, *old = NULL;
    json_t *snap = NULL;
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:kh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 't': token_env = optarg; break;
        case 'w': o.writes = true; break;
        case 'c': old = optarg; break;
        case 'k': o.insecure = true; break;
        case 'h': usage_api_snapshot(); return EXIT_OK;
        default:
            return cli_usage_error("api-snapshot", "unknown or incomplete option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("api-snapshot", "one BASE_URL, e.g. http://127.0.0.1:3001");
    o.base_url = argv[optind];
    if (output && cli_output_check("api-snapshot", "--output", output, true))
        return EXIT_USAGE;
    if (token_env && !(o.token = getenv(token_env)))
        return cli_usage_error("api-snapshot", "--token-env %s: the variable is not set", token_env);
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
