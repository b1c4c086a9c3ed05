#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "tars/version.h"

static int version_json;

static const struct cli_opt version_table[] = {
    CLI_FLAG(0, "json", &version_json, "as one JSON object: version, git_sha, build_time"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_version_spec = {
    .name = "version",
    .synopsis = "tars version [--json]",
    .about = "Prints the version, the git commit and the build time.",
    .opts = version_table,
    .exits = "0 printed, 2 standard output could not be written, 3 unexpected argument",
};

int cmd_version(int argc, char **argv)
{
    int rc;

    version_json = 0;
    rc = cli_opt_parse_no_operands(&cli_version_spec, argc, argv);
    if (rc)
        return cli_opt_exit(rc);
    if (version_json)
        printf("{\"version\":\"%s\",\"git_sha\":\"%s\",\"build_time\":\"%s\"}\n", TARS_VERSION,
               TARS_GIT_SHA, TARS_BUILD_TIME);
    else
        printf("tars %s (git %s, built %s)\n", TARS_VERSION, TARS_GIT_SHA, TARS_BUILD_TIME);
    return EXIT_OK;
}
