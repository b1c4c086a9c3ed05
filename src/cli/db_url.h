/* Database URLs as the CLI shows them: never with a password. */
#ifndef TARS_CLI_DB_URL_H
#define TARS_CLI_DB_URL_H

#include <stddef.h>

/* Copies url into out with the password of "scheme://user:PASSWORD@host"
 * and the value of any "password=" parameter replaced by "***". */
void cli_mask_db_url(const char *url, char *out, size_t size);

#endif
