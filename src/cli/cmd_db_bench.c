/* tars db-bench: placeholder until its issue lands; it refuses to run. */
#include <stdio.h>

#include "cli.h"

void usage_db_bench(void)
{
    printf("usage: tars db-bench (not built yet)\n");
}

int cmd_db_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tars db-bench: not built yet\n");
    return EXIT_USAGE;
}
