#include "tars/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfyaml.h>

#include "tars/alloc.h"
#include "tars/str.h"

struct node_pos {
    const json_t *node;
    int line, col; /* 1-based */
};

struct tars_yaml_doc {
    char *name;
    json_t *root;
    struct node_pos *pos; /* open addressing, keyed by node pointer */
    size_t pos_cap;
    size_t pos_count;
    size_t nodes;         /* converted so far (alias expansion included) */
};

/* ---- position table ---- */

static size_t pos_slot(const tars_yaml_doc *d, const json_t *node)
{
    uintptr_t h = (uintptr_t)node;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 7) & (d->pos_cap - 1);
}

static void pos_put(tars_yaml_doc *d, const json_t *node, int line, int col);

static void pos_grow(tars_yaml_doc *d)
{
    struct node_pos *old = d->pos;
    size_t old_cap = d->pos_cap;

    d->pos_cap = old_cap ? old_cap * 2 : 256;
    d->pos = xcalloc(d->pos_cap, sizeof(*d->pos));
    d->pos_count = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].node)
            pos_put(d, old[i].node, old[i].line, old[i].col);
    free(old);
}

static void pos_put(tars_yaml_doc *d, const json_t *node, int line, int col)
{
    size_t i;

    if ((d->pos_count + 1) * 2 > d->pos_cap)
        pos_grow(d);
    for (i = pos_slot(d, node); d->pos[i].node && d->pos[i].node != node; i = (i + 1) & (d->pos_cap - 1))
        ;
    if (!d->pos[i].node)
        d->pos_count++;
    d->pos[i].node = node;
    d->pos[i].line = line;
    d->pos[i].col = col;
}

static const struct node_pos *pos_get(const tars_yaml_doc *d, const json_t *node)
{
    if (!d->pos_cap || !node)
        return NULL;
    for (size_t i = pos_slot(d, node); d->pos[i].node; i = (i + 1) & (d->pos_cap - 1))
        if (d->pos[i].node == node)
            return &d->pos[i];
    return NULL;
}

void tars_yaml_where(const tars_yaml_doc *doc, const json_t *node, char *out, size_t size)
{
    const struct node_pos *p = pos_get(doc, node);

    if (p)
        snprintf(out, size, "%s:%d:%d", doc->name, p->line, p->col);
    else
        snprintf(out, size, "%s", doc->name);
}

int tars_yaml_error(const tars_yaml_doc *doc, const json_t *node, struct tars_err *err, int code,
                    const char *fmt, ...)
{
    char where[300], msg[TARS_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tars_yaml_where(doc, node, where, sizeof(where));
    return tars_err_set(err, code, "%s: %s", where, msg);
}

/* ---- conversion ---- */

static json_t *convert(tars_yaml_doc *d, struct fy_node *n, int line, int col,
                       struct tars_err *err, int depth);

static void mark_of(struct fy_node *n, int *line, int *col)
{
    struct fy_token *t = fy_node_get_scalar_token(n);
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;

    if (m) {
        *line = m->line + 1;
        *col = m->column + 1;
    }
}

static bool is_plain(struct fy_node *n)
{
    return fy_node_get_style(n) == FYNS_PLAIN;
}

/* A plain scalar as the core schema reads it. */
static json_t *plain_scalar(const char *s, size_t len)
{
    char buf[64];
    int64_t i;
    double f;

    if (len == 0 || (len == 1 && s[0] == '~') || (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4))))
        return json_null();
    if ((len == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))))
        return json_true();
    if ((len == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5))))
        return json_false();
    if (len < sizeof(buf)) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (tars_parse_i64(buf[0] == '+' ? buf + 1 : buf, INT64_MIN + 1, INT64_MAX, &i) == 0)
            return json_integer(i);
        if (strpbrk(buf, "0123456789") && !strpbrk(buf, "xXpP_") && tars_parse_double(buf, &f) == 0)
            return json_real(f);
    }
    return json_stringn(s, len);
}

static json_t *convert_scalar(struct fy_node *n, struct tars_err *err)
{
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    json_t *v;

    if (!s)
        return json_null();
    v = is_plain(n) ? plain_scalar(s, len) : json_stringn(s, len);
    if (!v)
        tars_err_set(err, TARS_EINVAL, "scalar is not valid UTF-8");
    return v;
}

static json_t *convert_sequence(tars_yaml_doc *d, struct fy_node *n, int line, int col,
                                struct tars_err *err, int depth)
{
    json_t *arr = json_array();
    struct fy_node *item;
    void *it = NULL;

    while ((item = fy_node_sequence_iterate(n, &it))) {
        json_t *v = convert(d, item, line, col, err, depth + 1);
        if (!v || json_array_append_new(arr, v)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *convert_mapping(tars_yaml_doc *d, struct fy_node *n, int line, int col,
                               struct tars_err *err, int depth)
{
    json_t *obj = json_object();
    struct fy_node_pair *pair;
    void *it = NULL;

    while ((pair = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_pair_key(pair);
        size_t klen = 0;
        const char *key = fy_node_is_scalar(k) ? fy_node_get_scalar(k, &klen) : NULL;
        int kl = line, kc = col;
        char kbuf[256];
        json_t *v;

        mark_of(k, &kl, &kc);
        if (!key || klen >= sizeof(kbuf) || memchr(key, 0, klen)) {
            json_decref(obj);
            tars_err_set(err, TARS_EINVAL, "%s:%d:%d: keys must be short plain strings", d->name, kl, kc);
            return NULL;
        }
        memcpy(kbuf, key, klen);
        kbuf[klen] = '\0';
        v = convert(d, fy_node_pair_value(pair), kl, kc, err, depth + 1);
        if (!v || json_object_set_new(obj, kbuf, v)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

/* line/col: where the node was introduced (its key), used when it has no
 * token of its own (mappings and sequences). */
static json_t *convert(tars_yaml_doc *d, struct fy_node *n, int line, int col,
                       struct tars_err *err, int depth)
{
    json_t *v;

    if (++d->nodes > TARS_YAML_MAX_NODES || depth > 64) {
        tars_err_set(err, TARS_ETOOBIG, "%s: more than %d nodes or too deeply nested", d->name, TARS_YAML_MAX_NODES);
        return NULL;
    }
    if (n && fy_node_is_alias(n)) {
        struct fy_node *target = fy_node_resolve_alias(n);
        mark_of(n, &line, &col);
        if (!target) {
            tars_err_set(err, TARS_EINVAL, "%s:%d:%d: unknown alias", d->name, line, col);
            return NULL;
        }
        n = target;
    }
    if (!n)
        v = json_null();
    else if (fy_node_is_mapping(n))
        v = convert_mapping(d, n, line, col, err, depth);
    else if (fy_node_is_sequence(n))
        v = convert_sequence(d, n, line, col, err, depth);
    else {
        mark_of(n, &line, &col);
        v = convert_scalar(n, err);
    }
    if (v)
        pos_put(d, v, line, col);
    return v;
}

/* ---- loading ---- */

static void first_diag_error(struct fy_diag *diag, const char *name, struct tars_err *err)
{
    void *it = NULL;
    struct fy_diag_error *e = diag ? fy_diag_errors_iterate(diag, &it) : NULL;

    if (e)
        tars_err_set(err, TARS_EINVAL, "%s:%d:%d: %s", name, e->line, e->column, e->msg); /* 1-based */
    else
        tars_err_set(err, TARS_EINVAL, "%s: not valid YAML", name);
}

static tars_yaml_doc *build(const char *name, const char *text, size_t len, struct tars_err *err)
{
    struct fy_diag_cfg dcfg;
    struct fy_parse_cfg pcfg;
    struct fy_diag *diag;
    struct fy_document *fyd;
    tars_yaml_doc *d;

    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    dcfg.colorize = false;
    diag = fy_diag_create(&dcfg);
    if (diag)
        fy_diag_set_collect_errors(diag, true);
    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_1_2;
    pcfg.diag = diag;
    fyd = fy_document_build_from_string(&pcfg, text, len);
    if (!fyd || fy_document_root(fyd) == NULL) {
        if (fyd)
            tars_err_set(err, TARS_EINVAL, "%s: the document is empty", name);
        else
            first_diag_error(diag, name, err);
        fy_document_destroy(fyd);
        fy_diag_unref(diag);
        return NULL;
    }
    d = xcalloc(1, sizeof(*d));
    d->name = xstrdup(name);
    d->root = convert(d, fy_document_root(fyd), 1, 1, err, 0);
    fy_document_destroy(fyd);
    fy_diag_unref(diag);
    if (!d->root) {
        tars_yaml_free(d);
        return NULL;
    }
    return d;
}

tars_yaml_doc *tars_yaml_load_string(const char *name, const char *text, size_t len,
                                     struct tars_err *err)
{
    if (len > TARS_YAML_MAX_BYTES) {
        tars_err_set(err, TARS_ETOOBIG, "%s: larger than %d bytes", name, TARS_YAML_MAX_BYTES);
        return NULL;
    }
    return build(name, text, len, err);
}

tars_yaml_doc *tars_yaml_load_file(const char *path, struct tars_err *err)
{
    FILE *f = fopen(path, "rb");
    tars_yaml_doc *d = NULL;
    struct stat st;
    char *text;
    size_t n;

    if (!f) {
        tars_err_set(err, TARS_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TARS_YAML_MAX_BYTES) {
        tars_err_set(err, TARS_ETOOBIG, "%s: not a regular file of at most %d bytes", path, TARS_YAML_MAX_BYTES);
        fclose(f);
        return NULL;
    }
    text = xmalloc((size_t)st.st_size + 1);
    n = fread(text, 1, (size_t)st.st_size, f);
    fclose(f);
    if (n != (size_t)st.st_size)
        tars_err_set(err, TARS_EIO, "%s: short read", path);
    else
        d = build(path, text, n, err);
    free(text);
    return d;
}

json_t *tars_yaml_root(const tars_yaml_doc *doc)
{
    return doc->root;
}

void tars_yaml_free(tars_yaml_doc *doc)
{
    if (!doc)
        return;
    json_decref(doc->root);
    free(doc->pos);
    free(doc->name);
    free(doc);
}
