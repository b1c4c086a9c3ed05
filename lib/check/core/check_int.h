/* Internals of lib/check shared by the loader, runner and helpers. */
#ifndef TARS_CHECK_INT_H
#define TARS_CHECK_INT_H

#include "tars/check.h"

#define CHECK_MAX_SECRETS 64

struct tars_check_secrets {
    char *value[CHECK_MAX_SECRETS];
    size_t count;
};

void secrets_add(struct tars_check_secrets *s, const char *value);
void secrets_free(struct tars_check_secrets *s);

#endif
