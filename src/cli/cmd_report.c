/* tars report: placeholder until its issue lands; it refuses to run. */
#include <stdio.h>

#include "cli.h"

void usage_report(void)
{
    printf("usage: tars report (not built yet)\n");
}

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tars report: not built yet\n");
    return EXIT_USAGE;
}
