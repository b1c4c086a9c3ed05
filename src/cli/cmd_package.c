/* tars package: placeholder until its issue lands; it refuses to run. */
#include <stdio.h>

#include "cli.h"

void usage_package(void)
{
    printf("usage: tars package (not built yet)\n");
}

int cmd_package(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tars package: not built yet\n");
    return EXIT_USAGE;
}
