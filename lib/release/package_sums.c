/* SHA-256 of files and SHA256SUMS lines in sha256sum's text format. */
#include "tars/package.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tars/crypto.h"

static bool plain_name(const char *name)
{
    size_t n = strlen(name);

    return n > 0 && n < TARS_PACKAGE_NAME_MAX && !strpbrk(name, "/\\\n\r") &&
           strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static bool lower_hex64(const char *s, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int tars_package_sums_line(const char *hex, const char *name, struct tars_buf *out,
                           struct tars_err *err)
{
    if (!lower_hex64(hex, strlen(hex)))
        return tars_err_set(err, TARS_EINVAL, "\"%s\" is not a SHA-256 in hex", hex);
    /* sha256sum escapes such names with a leading backslash; we never make them */
    if (!plain_name(name))
        return tars_err_set(err, TARS_EINVAL, "artifact name \"%s\" cannot go in SHA256SUMS", name);
    if (tars_buf_printf(out, "%s  %s\n", hex, name) != TARS_OK)
        return tars_err_set(err, TARS_ETOOBIG, "SHA256SUMS is too large");
    return TARS_OK;
}

int tars_package_sums_parse(const char *line, size_t len, char hex[65],
                            char name[TARS_PACKAGE_NAME_MAX])
{
    size_t name_len;

    /* "<hex>  <name>" (text mode) or "<hex> *<name>" (binary mode) */
    if (len < 67 || !lower_hex64(line, 64) || line[64] != ' ' ||
        (line[65] != ' ' && line[65] != '*'))
        return TARS_EINVAL;
    name_len = len - 66;
    if (name_len >= TARS_PACKAGE_NAME_MAX)
        return TARS_EINVAL;
    memcpy(hex, line, 64);
    hex[64] = '\0';
    memcpy(name, line + 66, name_len);
    name[name_len] = '\0';
    return plain_name(name) && strlen(name) == name_len ? TARS_OK : TARS_EINVAL;
}
