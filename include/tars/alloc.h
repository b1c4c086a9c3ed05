/*
 * Allocation that never returns NULL: on exhaustion it prints one line and
 * aborts, so callers need not test (the policy h2o and jq follow). Use these
 * for memory whose size we bound ourselves; sizes taken from input must be
 * checked against a limit before they get here.
 */
#ifndef TARS_ALLOC_H
#define TARS_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
