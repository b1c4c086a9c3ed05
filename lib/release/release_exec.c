/*
 * Tools the release pipeline needs, found on PATH (the children themselves
 * run through tars/proc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "release_int.h"

bool release_have_tool(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];

    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (len > 0 &&
            snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name) < (int)sizeof(buf) &&
            access(buf, X_OK) == 0)
            return true;
        path += len + (colon ? 1 : 0);
    }
    return false;
}
