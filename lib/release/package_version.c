/*
 * Release versions: SemVer 2.0 with one optional leading "v". The files carry
 * the bare version ("1.0.1"), the git tag adds the v back ("v1.0.1"), so a
 * "v1.0.1" argument can never turn into "vv1.0.1".
 */
#include "tars/package.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* A numeric part: digits, no leading zero unless it is "0". Returns its
 * length, or 0 when s does not start with one. */
static size_t numeric_part(const char *s)
{
    size_t n = 0;

    while (is_digit(s[n]))
        n++;
    if (n > 1 && s[0] == '0')
        return 0;
    return n;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty; numeric ones
 * without leading zeros when numeric_rule. Returns the length consumed or 0. */
static size_t identifiers(const char *s, bool numeric_rule)
{
    size_t i = 0;

    for (;;) {
        size_t start = i;
        bool all_digits = true;
        while (is_ident_char(s[i])) {
            all_digits = all_digits && is_digit(s[i]);
            i++;
        }
        if (i == start)
            return 0;
        if (numeric_rule && all_digits && i - start > 1 && s[start] == '0')
            return 0;
        if (s[i] != '.')
            return i;
        i++;
    }
}

int tars_package_version(const char *in, char out[TARS_PACKAGE_VERSION_MAX], struct tars_err *err)
{
    const char *s = in;
    size_t i = 0, n;

    if (!in || !*in)
        return tars_err_set(err, TARS_EINVAL, "empty version");
    if (s[0] == 'v' || s[0] == 'V')
        s++;
    for (int part = 0; part < 3; part++) {
        n = numeric_part(s + i);
        if (n == 0 || (part < 2 && s[i + n] != '.'))
            goto bad;
        i += n + (part < 2);
    }
    if (s[i] == '-') {
        if ((n = identifiers(s + i + 1, true)) == 0)
            goto bad;
        i += 1 + n;
    }
    if (s[i] == '+') {
        if ((n = identifiers(s + i + 1, false)) == 0)
            goto bad;
        i += 1 + n;
    }
    if (s[i] != '\0')
        goto bad;
    if (i >= TARS_PACKAGE_VERSION_MAX)
        return tars_err_set(err, TARS_EINVAL, "version \"%.20s...\" is too long (at most %d)", in,
                            TARS_PACKAGE_VERSION_MAX - 1);
    memcpy(out, s, i + 1);
    return TARS_OK;
bad:
    return tars_err_set(err, TARS_EINVAL,
                        "version \"%.80s\" is not a semantic version (MAJOR.MINOR.PATCH, "
                        "optionally v-prefixed, e.g. 1.0.1 or v1.0.1-rc.1)",
                        in);
}
