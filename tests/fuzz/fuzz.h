/* Shared by the libFuzzer harnesses of tests/fuzz: the entry point's
 * prototype and ways to hand the fuzzer's bytes to code that wants a string,
 * a JSON tree or a file. */
#ifndef TARS_FUZZ_H
#define TARS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "tars/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a NUL-terminated heap string (the caller frees). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The bytes parsed as JSON the way tars reads answers and files (NULL when
 * they are not JSON). */
static inline json_t *fuzz_json(const uint8_t *data, size_t size)
{
    json_t *v = NULL;

    if (tars_json_parse((const char *)data, size, &v, NULL) != 0)
        return NULL;
    return v;
}

/* A memory file holding the bytes; *path gets a name fopen() can open. The
 * caller closes the returned descriptor. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_size)
{
    int fd = memfd_create("fuzz", 0);

    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
        abort();
    snprintf(path, path_size, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
