/* tars release: placeholder until its issue lands; it refuses to run. */
#include <stdio.h>

#include "cli.h"

void usage_release(void)
{
    printf("usage: tars release (not built yet)\n");
}

int cmd_release(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tars release: not built yet\n");
    return EXIT_USAGE;
}
