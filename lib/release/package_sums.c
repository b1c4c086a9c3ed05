/* SHA-256 of files and SHA256SUMS lines in sha256sum's text format. */
#include "tars/package.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tars/crypto.h"

int tars_package_sha256_file(const char *path, char hex[65], uint64_t *size, struct tars_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char block[65536], digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    uint64_t total = 0;
    ssize_t n;
    int fd = -1, rc = TARS_OK;

    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = tars_err_set(err, TARS_EINTERNAL, "cannot start a SHA-256 digest");
        goto out;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = tars_err_set(err, errno == ENOENT ? TARS_ENOTFOUND : TARS_EIO,
                          "cannot read \"%s\": %s", path, strerror(errno));
        goto out;
    }
    while ((n = read(fd, block, sizeof(block))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = tars_err_set(err, TARS_EIO, "cannot read \"%s\": %s", path, strerror(errno));
            goto out;
        }
        EVP_DigestUpdate(ctx, block, (size_t)n);
        total += (uint64_t)n;
    }
    if (EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1 || digest_len != TARS_SHA256_LEN) {
        rc = tars_err_set(err, TARS_EINTERNAL, "cannot finish a SHA-256 digest");
        goto out;
    }
    tars_hex_encode(digest, digest_len, hex);
    if (size)
        *size = total;
out:
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(ctx);
    return rc;
}

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
