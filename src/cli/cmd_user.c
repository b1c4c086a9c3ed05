#include <stdio.h>
#include "cli.h"
void usage_user(void) { printf("usage: tars user add NAME --role ROLE\n"); }
int cmd_user(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "tars user: not built yet\n"); return EXIT_INCONCLUSIVE; }
