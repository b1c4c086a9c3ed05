/*
 * Test driver for the grafana, jaeger, websocket and database check types:
 * loads a suite with the real loader, runs it with the real runner, and
 * prints one JSON object per check on stdout:
 *   {"id":..., "status":"pass|fail|skip|error", "reason":..., "ms":...}
 * Reasons pass through the suite's secret masking, as every output does.
 *
 *   check_driver SUITE.yaml [NAME=VALUE ...]
 *
 * Exit 0 when the suite ran (whatever the results), 3 when it did not load
 * or when one of the four types is not what the registry finds by its name.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tars/check.h"

extern const struct tars_check_type tars_check_grafana;
extern const struct tars_check_type tars_check_jaeger;
extern const struct tars_check_type tars_check_websocket;
extern const struct tars_check_type tars_check_database;

static const struct tars_check_type *const keep[] = {
    &tars_check_grafana,
    &tars_check_jaeger,
    &tars_check_websocket,
    &tars_check_database,
};

#define MAX_VARS 32

/* Each kept type must be what the registry finds under its name. */
static int check_registry(void)
{
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        if (tars_check_type_find(keep[i]->name) != keep[i]) {
            fprintf(stderr, "check_driver: type \"%s\" is not registered\n", keep[i]->name);
            return 3;
        }
    return 0;
}

static int print_results(const struct tars_suite *suite, const struct tars_check_result *results)
{
    char masked[TARS_CHECK_REASON_MAX];

    for (size_t i = 0; i < suite->check_count; i++) {
        json_t *line;
        char *text;
        tars_check_secrets_mask(suite->secrets, results[i].reason, masked, sizeof(masked));
        line = json_pack("{s:s, s:s, s:s, s:f, s:i}", "id", suite->checks[i].id, "status",
                         tars_check_status_name(results[i].status), "reason", masked, "ms",
                         results[i].duration_ms, "attempts", results[i].attempts);
        text = line ? json_dumps(line, JSON_COMPACT) : NULL;
        if (!text)
            return 1;
        printf("%s\n", text);
        free(text);
        json_decref(line);
    }
    return fflush(stdout) != 0;
}

int main(int argc, char **argv)
{
    struct tars_var vars[MAX_VARS];
    struct tars_suite suite;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_check_filter filter = {NULL, 0, NULL, 0};
    struct tars_check_result *results;
    bool *selected;
    int n = 0, rc;

    if (argc < 2) {
        fprintf(stderr, "usage: check_driver SUITE.yaml [NAME=VALUE ...]\n");
        return 3;
    }
    if (check_registry())
        return 3;
    signal(SIGPIPE, SIG_IGN);
    for (int i = 2; i < argc && n < MAX_VARS; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            continue;
        *eq = '\0';
        vars[n].name = argv[i];
        vars[n++].value = eq + 1;
    }
    if (tars_suite_load(argv[1], vars, (size_t)n, &suite, &err)) {
        fprintf(stderr, "check_driver: %s\n", err.msg);
        return 3;
    }
    results = calloc(suite.check_count + 1, sizeof(*results));
    selected = calloc(suite.check_count + 1, sizeof(*selected));
    rc = !results || !selected ||
         tars_suite_run(&suite, &filter, 8, results, selected, NULL, NULL, &err);
    if (rc)
        fprintf(stderr, "check_driver: %s\n", err.msg[0] ? err.msg : "out of memory");
    else
        rc = print_results(&suite, results);
    free(results);
    free(selected);
    tars_suite_release(&suite);
    return rc ? 1 : 0;
}
