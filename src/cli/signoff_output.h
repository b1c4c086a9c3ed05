/* Printing sign-off states: shared by tars signoff --list and tars promote. */
#ifndef TARS_CLI_SIGNOFF_OUTPUT_H
#define TARS_CLI_SIGNOFF_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

/* "QA Lead: rejected by bob@example.com at T: reason", then one indented line
 * per invalid record of the role. */
void signoff_print_role(FILE *out, const char *indent, json_t *role);

/* Splits "A,B, C" into a NULL-terminated array of trimmed names (free with
 * signoff_free_roles); NULL when a name is empty or there are more than max. */
char **signoff_split_roles(const char *list, size_t max);
void signoff_free_roles(char **roles);

#endif
