#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tars/version.h"

void usage_version(void)
{
    printf("usage: tars version [--json]\n\nPrints the version, the git commit and the build time.\n");
}

int cmd_version(int argc, char **argv)
{
    int json = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_version();
            return EXIT_OK;
        } else
            return cli_usage_error("version", "unknown option \"%s\"", argv[i]);
    }
    if (json)
        printf("{\"version\":\"%s\",\"git_sha\":\"%s\",\"build_time\":\"%s\"}\n", TARS_VERSION,
               TARS_GIT_SHA, TARS_BUILD_TIME);
    else
        printf("tars %s (git %s, built %s)\n", TARS_VERSION, TARS_GIT_SHA, TARS_BUILD_TIME);
    return EXIT_OK;
}
