/* Printing sign-off states (tars signoff --list, tars promote). */
#include "signoff_output.h"

#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"

static const char *field(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

void signoff_print_role(FILE *out, const char *indent, json_t *role)
{
    const char *state = field(role, "state");
    json_t *p;
    size_t i;

    fprintf(out, "%s%s: %s", indent, field(role, "role"), state);
    if (strcmp(state, "approved") == 0 || strcmp(state, "rejected") == 0)
        fprintf(out, " by %s at %s", field(role, "signer"), field(role, "time"));
    if (strcmp(state, "rejected") == 0)
        fprintf(out, ": %s", field(role, "reason"));
    if (strcmp(state, "missing") == 0)
        fprintf(out, " (no sign-off recorded)");
    fputc('\n', out);
    json_array_foreach(json_object_get(role, "problems"), i, p)
        fprintf(out, "%s    invalid: %s\n", indent, json_string_value(p));
}

char **signoff_split_roles(const char *list, size_t max)
{
    char **roles = xcalloc(max + 1, sizeof(*roles));
    size_t n = 0;

    for (const char *p = list;; p++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (!len || n == max) {
            signoff_free_roles(roles);
            return NULL;
        }
        roles[n++] = xstrndup(p, len);
        if (!end)
            break;
        p = end;
    }
    return roles;
}

void signoff_free_roles(char **roles)
{
    for (size_t i = 0; roles && roles[i]; i++)
        free(roles[i]);
    free(roles);
}
