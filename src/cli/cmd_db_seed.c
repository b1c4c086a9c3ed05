/* tars db-seed: placeholder until its issue lands; it refuses to run. */
#include <stdio.h>

#include "cli.h"

void usage_db_seed(void)
{
    printf("usage: tars db-seed (not built yet)\n");
}

int cmd_db_seed(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tars db-seed: not built yet\n");
    return EXIT_USAGE;
}
