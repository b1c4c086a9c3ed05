/*
 * The `tars load` steps of a release config, checked before anything runs
 * (tars_release_check_loads): a threshold naming no task of its scenario
 * would otherwise be found at the perf stage, after the deployment.
 */
#include <stdio.h>
#include <string.h>

#include "tars/load.h"
#include "tars/release.h"
#include "tars/str.h"

/* The text after "--threshold" or in "--threshold=TEXT"; NULL for other args. */
static const char *threshold_arg(char *const *argv, size_t argc, size_t *i)
{
    if (strcmp(argv[*i], "--threshold") == 0 && *i + 1 < argc)
        return argv[++*i];
    if (tars_str_has_prefix(argv[*i], "--threshold="))
        return argv[*i] + strlen("--threshold=");
    return NULL;
}

static int check_thresholds(const struct tars_release_step *st, const struct tars_load_scenario *s,
                            struct tars_err *err)
{
    for (size_t i = 2; i < st->tars_argc; i++) {
        struct tars_threshold th;
        const char *text = threshold_arg(st->tars_argv, st->tars_argc, &i);
        int rc;
        if (!text || strstr(text, "${"))
            continue;
        memset(&th, 0, sizeof(th));
        rc = tars_threshold_parse(text, &th, err);
        if (rc == TARS_OK)
            rc = tars_load_scenario_check_threshold(s, &th, err);
        tars_threshold_release(&th);
        if (rc)
            return rc;
    }
    return TARS_OK;
}

static int check_step(const char *stage, size_t index, const struct tars_release_step *st,
                      struct tars_err *err)
{
    struct tars_load_scenario s;
    struct tars_err inner = TARS_ERR_INIT;
    const char *target;
    int rc;

    if (!st->tars_argv || st->tars_argc < 2 || strcmp(st->tars_argv[0], "load") != 0)
        return TARS_OK;
    target = st->tars_argv[1];
    if (target[0] == '-' || strstr(target, "${") || tars_str_has_prefix(target, "http://") ||
        tars_str_has_prefix(target, "https://"))
        return TARS_OK;
    /* A scenario that does not load is the step's own error, reported when it runs. */
    if (tars_load_scenario_load(target, &s, &inner) != TARS_OK)
        return TARS_OK;
    rc = check_thresholds(st, &s, &inner);
    tars_load_scenario_release(&s);
    if (rc)
        return tars_err_set(err, TARS_EINVAL, "%s step %zu (tars load %s): %s", stage, index + 1,
                            target, inner.msg);
    return TARS_OK;
}

int tars_release_check_loads(const struct tars_release_config *cfg, struct tars_err *err)
{
    int rc;

    for (size_t i = 0; i < cfg->perf.step_count; i++)
        if ((rc = check_step("perf", i, &cfg->perf.steps[i], err)))
            return rc;
    return check_step("canary load", 0, &cfg->canary_load, err);
}
