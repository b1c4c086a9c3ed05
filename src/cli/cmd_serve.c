#include <stdio.h>
#include "cli.h"
void usage_serve(void) { printf("usage: tars serve [options]\n"); }
int cmd_serve(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "tars serve: not built yet\n"); return EXIT_INCONCLUSIVE; }
