#include "tars/json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tars/alloc.h"
#include "tars/file.h"

/* Where data first nests deeper than TARS_JSON_MAX_DEPTH (brackets outside
 * strings), so that every reader of the tree may recurse without a bound of
 * its own; false when it never does. */
static bool too_deep(const char *data, size_t len, int *line, int *col)
{
    bool in_string = false, escaped = false;
    int depth = 0;

    *line = 1;
    *col = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        (*col)++;
        if (c == '\n') {
            (*line)++;
            *col = 0;
        } else if (escaped) {
            escaped = false;
        } else if (in_string) {
            escaped = c == '\\';
            in_string = c != '"';
        } else if (c == '"') {
            in_string = true;
        } else if ((c == '[' || c == '{') && ++depth > TARS_JSON_MAX_DEPTH) {
            return true;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return false;
}

/* Size, then nesting, then jansson; path (or NULL) names the file in errors. */
static int parse_checked(const char *data, size_t len, size_t max_bytes, size_t flags,
                         const char *path, json_t **out, struct tars_err *err)
{
    json_error_t jerr;
    int line, col;

    *out = NULL;
    if (max_bytes == 0 || max_bytes > TARS_JSON_MAX_BYTES)
        max_bytes = TARS_JSON_MAX_BYTES;
    if (len > max_bytes)
        return path ? tars_err_set(err, TARS_ETOOBIG, "%s: larger than %zu bytes", path, max_bytes)
                    : tars_err_set(err, TARS_ETOOBIG, "JSON of %zu bytes: larger than %zu bytes",
                                   len, max_bytes);
    if (too_deep(data, len, &line, &col))
        return path ? tars_err_set(err, TARS_EINVAL, "%s:%d:%d: nested deeper than %d levels", path,
                                   line, col, TARS_JSON_MAX_DEPTH)
                    : tars_err_set(err, TARS_EINVAL,
                                   "line %d, column %d: nested deeper than %d levels", line, col,
                                   TARS_JSON_MAX_DEPTH);
    *out = json_loadb(data, len, flags, &jerr);
    if (*out)
        return TARS_OK;
    return path ? tars_err_set(err, TARS_EINVAL, "%s:%d:%d: not JSON: %s", path, jerr.line,
                               jerr.column, jerr.text)
                : tars_err_set(err, TARS_EINVAL, "line %d, column %d: %s", jerr.line, jerr.column,
                               jerr.text);
}

int tars_json_parse_bounded(const char *data, size_t len, size_t max_bytes, size_t flags,
                            json_t **out, struct tars_err *err)
{
    return parse_checked(data ? data : "", data ? len : 0, max_bytes, flags, NULL, out, err);
}

int tars_json_parse(const char *data, size_t len, json_t **out, struct tars_err *err)
{
    return tars_json_parse_bounded(data, len, TARS_JSON_MAX_BYTES, JSON_REJECT_DUPLICATES, out,
                                   err);
}

int tars_json_load_file(const char *path, size_t max_bytes, size_t flags, json_t **out,
                        struct tars_err *err)
{
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    int fd, rc;

    *out = NULL;
    if (max_bytes == 0 || max_bytes > TARS_JSON_MAX_BYTES)
        max_bytes = TARS_JSON_MAX_BYTES;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return tars_err_set(err, TARS_ENOTFOUND, "%s: no such file or directory", path);
    if (fd < 0)
        return tars_err_set(err, TARS_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tars_err_set(err, TARS_EINVAL, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        close(fd);
        return tars_err_set(err, TARS_ETOOBIG, "%s: larger than %zu bytes", path, max_bytes);
    }
    data = xmalloc((size_t)st.st_size + 1);
    while (len <= (size_t)st.st_size) { /* one byte more than stated: a file that grew */
        ssize_t n = read(fd, data + len, (size_t)st.st_size + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    rc = parse_checked(data, len, max_bytes, flags, path, out, err);
    free(data);
    return rc;
}

void tars_field_errors_init(struct tars_field_errors *fe)
{
    fe->count = 0;
    tars_buf_init(&fe->text, 4096);
}

void tars_field_errors_release(struct tars_field_errors *fe)
{
    tars_buf_release(&fe->text);
}

void tars_field_errors_add(struct tars_field_errors *fe, const char *field, const char *why)
{
    /* A full buffer only loses detail: the count still says something failed. */
    fe->count++;
    if (tars_buf_printf(&fe->text, "%s%s (%s)", fe->text.len ? ", " : "", field, why))
        tars_buf_init(&fe->text, fe->text.max);
}

/* Returns the member, or NULL after recording "required" when it must exist. */
static json_t *member(json_t *obj, const char *key, bool required, struct tars_field_errors *fe)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (v && json_is_null(v))
        v = NULL;
    if (!v && required)
        tars_field_errors_add(fe, key, "required");
    return v;
}

bool tars_json_string(json_t *obj, const char *key, bool required, size_t max_len, const char **out,
                      struct tars_field_errors *fe)
{
    json_t *v = member(obj, key, required, fe);
    char why[64];

    if (!v)
        return false;
    if (!json_is_string(v)) {
        tars_field_errors_add(fe, key, "must be a string");
        return false;
    }
    if (json_string_length(v) > max_len || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, sizeof(why), "must be 1..%zu characters", max_len);
        tars_field_errors_add(fe, key, why);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool tars_json_number(json_t *obj, const char *key, bool required, double *out,
                      struct tars_field_errors *fe)
{
    json_t *v = member(obj, key, required, fe);

    if (!v)
        return false;
    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        tars_field_errors_add(fe, key, "must be a number");
        return false;
    }
    *out = json_number_value(v);
    return true;
}

bool tars_json_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out, struct tars_field_errors *fe)
{
    json_t *v = member(obj, key, required, fe);
    char why[96];

    if (!v)
        return false;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(why, sizeof(why), "must be an integer in %lld..%lld", (long long)min,
                 (long long)max);
        tars_field_errors_add(fe, key, why);
        return false;
    }
    *out = (int64_t)json_integer_value(v);
    return true;
}

bool tars_json_object_text(json_t *obj, const char *key, size_t max_len, char **out,
                           struct tars_field_errors *fe)
{
    json_t *v = member(obj, key, false, fe);
    char *text;

    if (!v)
        return false;
    if (!json_is_object(v)) {
        tars_field_errors_add(fe, key, "must be an object");
        return false;
    }
    text = json_dumps(v, JSON_COMPACT);
    if (!text || strlen(text) > max_len) {
        free(text);
        tars_field_errors_add(fe, key, "too large");
        return false;
    }
    *out = text;
    return true;
}

static int dump_callback(const char *data, size_t size, void *ctx)
{
    return tars_buf_append(ctx, data, size) ? -1 : 0;
}

int tars_json_dump(json_t *v, struct tars_buf *b)
{
    size_t max = b->max;
    if (json_dump_callback(v, dump_callback, b, JSON_COMPACT | JSON_REAL_PRECISION(10)) != 0) {
        tars_buf_init(b, max);
        return TARS_ETOOBIG;
    }
    return TARS_OK;
}

struct json_file {
    const json_t *v;
    size_t flags;
};

int tars_json_write_stream(FILE *f, const json_t *v, size_t flags, struct tars_err *err)
{
    if ((flags & JSON_REAL_PRECISION(31)) == 0)
        flags |= JSON_REAL_PRECISION(TARS_JSON_REAL_DIGITS);
    if (json_dumpf(v, f, flags) != 0 && !ferror(f))
        return tars_err_set(err, TARS_EINTERNAL, "cannot serialise a JSON value");
    fputc('\n', f);
    return TARS_OK;
}

static int dump_to_file(FILE *f, void *ctx, struct tars_err *err)
{
    const struct json_file *j = ctx;
    return tars_json_write_stream(f, j->v, j->flags, err);
}

int tars_json_write_file(const char *path, const json_t *v, size_t flags, struct tars_err *err)
{
    struct json_file j = {v, flags};

    return tars_file_write_with(path, 0644, dump_to_file, &j, err);
}

json_t *tars_json_object_from_text(const char *text)
{
    json_t *v;
    if (!text || !*text)
        return NULL;
    v = json_loads(text, 0, NULL);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* ---- paths: a.b[0].c, optional leading "$" or "$." ---- */

static json_t *path_step(json_t *v, const char **p)
{
    char key[TARS_JSON_PATH_MAX_KEY + 1];
    size_t n;

    if (**p == '[') {
        char *end;
        long idx = strtol(*p + 1, &end, 10);
        if (end == *p + 1 || *end != ']' || idx < 0)
            return NULL;
        *p = end + 1;
        return json_array_get(v, (size_t)idx);
    }
    n = strcspn(*p, ".[");
    if (n == 0 || n > TARS_JSON_PATH_MAX_KEY)
        return NULL;
    memcpy(key, *p, n);
    key[n] = '\0';
    *p += n;
    return json_object_get(v, key);
}

json_t *tars_json_path(json_t *root, const char *path)
{
    json_t *v = root;
    const char *p = path;

    if (p[0] == '$')
        p += p[1] == '.' ? 2 : 1;
    while (v && *p) {
        if (*p == '.')
            p++;
        v = path_step(v, &p);
    }
    return v;
}
