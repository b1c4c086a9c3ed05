/* tars compare: placeholder until its issue lands; it refuses to run. */
#include <stdio.h>

#include "cli.h"

void usage_compare(void)
{
    printf("usage: tars compare (not built yet)\n");
}

int cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tars compare: not built yet\n");
    return EXIT_USAGE;
}
