/* tars ws-stress: placeholder until its issue lands; it refuses to run. */
#include <stdio.h>

#include "cli.h"

void usage_ws_stress(void)
{
    printf("usage: tars ws-stress (not built yet)\n");
}

int cmd_ws_stress(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tars ws-stress: not built yet\n");
    return EXIT_USAGE;
}
