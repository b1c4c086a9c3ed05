/* Roles: viewer < developer < admin (docs/api.md). */
#include <string.h>

#include "tars/auth.h"

static const char *const role_names[] = {"viewer", "developer", "admin"};

int tars_role_parse(const char *s, enum tars_role *out)
{
    if (!s)
        return TARS_EINVAL;
    for (int i = 0; i < (int)(sizeof(role_names) / sizeof(role_names[0])); i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum tars_role)i;
            return TARS_OK;
        }
    }
    return TARS_EINVAL;
}

const char *tars_role_name(enum tars_role r)
{
    if (r < TARS_ROLE_VIEWER || r > TARS_ROLE_ADMIN)
        return "none";
    return role_names[r];
}
