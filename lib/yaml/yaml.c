#include "tars/yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

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
    size_t nodes; /* converted so far (alias expansion included) */
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
    for (i = pos_slot(d, node); d->pos[i].node && d->pos[i].node != node;
         i = (i + 1) & (d->pos_cap - 1))
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

static void reader_where(const void *ctx, const json_t *node, char *out, size_t size)
{
    tars_yaml_where(ctx, node, out, size);
}

struct tars_json_reader tars_yaml_reader(const tars_yaml_doc *doc, struct tars_err *err)
{
    struct tars_json_reader rd = {reader_where, doc, err, false};
    return rd;
}

int tars_yaml_error(const tars_yaml_doc *doc, const json_t *node, struct tars_err *err, int code,
                    const char *fmt, ...)
{
    struct tars_json_reader rd = tars_yaml_reader(doc, err);
    char msg[TARS_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tars_json_fail(&rd, node, code, "%s", msg);
}

/* ---- building the tree from libyaml's events ---- */

struct builder {
    tars_yaml_doc *d;
    yaml_parser_t parser;
    const char *text;
    size_t len;
    json_t *anchors; /* name -> the anchored value (a hash: lookups stay O(1) however many) */
    struct tars_err *err;
};

/* 1-based line and column of a byte offset (libyaml's reader errors carry
 * only the offset). */
static void offset_position(const struct builder *b, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < b->len; i++) {
        if (b->text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void parse_error(struct builder *b)
{
    const yaml_parser_t *p = &b->parser;
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "not valid YAML";

    if (p->error == YAML_READER_ERROR)
        offset_position(b, p->problem_offset, &line, &col);
    if (p->error == YAML_MEMORY_ERROR)
        tars_err_set(b->err, TARS_EINTERNAL, "%s: out of memory", b->d->name);
    else if (p->context)
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: %s (%s)", b->d->name, line, col, problem,
                     p->context);
    else
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: %s", b->d->name, line, col, problem);
}

static bool next(struct builder *b, yaml_event_t *ev)
{
    if (yaml_parser_parse(&b->parser, ev))
        return true;
    parse_error(b);
    return false;
}

static bool count_node(struct builder *b, int line, int col, int depth)
{
    if (depth > TARS_YAML_MAX_DEPTH) {
        tars_err_set(b->err, TARS_ETOOBIG, "%s:%d:%d: nested deeper than %d levels", b->d->name,
                     line, col, TARS_YAML_MAX_DEPTH);
        return false;
    }
    if (++b->d->nodes > TARS_YAML_MAX_NODES) {
        tars_err_set(b->err, TARS_ETOOBIG, "%s:%d:%d: more than %d nodes (aliases expanded)",
                     b->d->name, line, col, TARS_YAML_MAX_NODES);
        return false;
    }
    return true;
}

/* A plain scalar as the core schema reads it. */
static json_t *plain_scalar(const char *s, size_t len)
{
    char buf[64];
    int64_t i;
    double f;

    if (len == 0 || (len == 1 && s[0] == '~') ||
        (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4))))
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

static json_t *scalar(struct builder *b, const yaml_event_t *ev, int line, int col)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    json_t *v = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(s, len)
                                                                 : json_stringn(s, len);

    if (!v)
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: scalar is not valid UTF-8", b->d->name, line,
                     col);
    return v;
}

/* A deep copy of an anchored value for one of its aliases, positions kept;
 * every copied node counts against TARS_YAML_MAX_NODES ("billion laughs"). */
static json_t *copy(struct builder *b, json_t *src, int line, int col, int depth)
{
    const struct node_pos *p = pos_get(b->d, src);
    int src_line = p ? p->line : line, src_col = p ? p->col : col; /* the table may grow below */
    const char *key;
    json_t *out, *v, *c;
    size_t i;

    if (!count_node(b, line, col, depth))
        return NULL;
    if (json_is_object(src)) {
        out = json_object();
        json_object_foreach(src, key, v) {
            if (!(c = copy(b, v, line, col, depth + 1)) || json_object_set_new(out, key, c))
                goto fail;
        }
    } else if (json_is_array(src)) {
        out = json_array();
        json_array_foreach(src, i, v) {
            if (!(c = copy(b, v, line, col, depth + 1)) || json_array_append_new(out, c))
                goto fail;
        }
    } else {
        out = json_copy(src);
    }
    pos_put(b->d, out, src_line, src_col);
    return out;
fail:
    json_decref(out);
    return NULL;
}

static json_t *alias(struct builder *b, const yaml_event_t *ev, int line, int col, int depth)
{
    const char *name = (const char *)ev->data.alias.anchor;
    json_t *target = json_object_get(b->anchors, name); /* the latest definition wins */

    if (target)
        return copy(b, target, line, col, depth);
    tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: unknown alias *%.64s", b->d->name, line, col,
                 name);
    return NULL;
}

static json_t *node(struct builder *b, yaml_event_t *ev, int line, int col, int depth);

static json_t *sequence(struct builder *b, int depth)
{
    json_t *arr = json_array(), *v;
    yaml_event_t ev;

    for (;;) {
        if (!next(b, &ev))
            goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return arr;
        }
        v = node(b, &ev, 0, 0, depth + 1); /* an item is placed where it starts */
        if (!v || json_array_append_new(arr, v))
            goto fail;
    }
fail:
    json_decref(arr);
    return NULL;
}

/* One "key: value" of a mapping; ev is the key's event (consumed). */
static bool member(struct builder *b, json_t *obj, yaml_event_t *ev, int depth)
{
    int kl = (int)ev->start_mark.line + 1, kc = (int)ev->start_mark.column + 1;
    const char *key = (const char *)ev->data.scalar.value;
    char kbuf[256];
    yaml_event_t vev;
    json_t *v;

    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.length >= sizeof(kbuf) ||
        memchr(key, 0, ev->data.scalar.length)) {
        yaml_event_delete(ev);
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: keys must be short plain strings", b->d->name,
                     kl, kc);
        return false;
    }
    memcpy(kbuf, key, ev->data.scalar.length + 1);
    yaml_event_delete(ev);
    if (json_object_get(obj, kbuf)) {
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: duplicate key \"%s\"", b->d->name, kl, kc,
                     kbuf);
        return false;
    }
    if (!next(b, &vev))
        return false;
    v = node(b, &vev, kl, kc, depth + 1);
    if (v && json_object_set_new(obj, kbuf, v)) {
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: key is not valid UTF-8", b->d->name, kl, kc);
        return false;
    }
    return v != NULL;
}

static json_t *mapping(struct builder *b, int depth)
{
    json_t *obj = json_object();
    yaml_event_t ev;

    for (;;) {
        if (!next(b, &ev))
            goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return obj;
        }
        if (!member(b, obj, &ev, depth))
            goto fail;
    }
fail:
    json_decref(obj);
    return NULL;
}

/* The value that starts with ev (consumed). line/col: where the node was
 * introduced (its key), used for collections; a scalar has its own, and so
 * has a collection introduced by no key (line 0: an item of a list). */
static json_t *node(struct builder *b, yaml_event_t *ev, int line, int col, int depth)
{
    const yaml_char_t *anchor = NULL;
    char *name = NULL;
    json_t *v = NULL;

    if (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT || line == 0) {
        line = (int)ev->start_mark.line + 1;
        col = (int)ev->start_mark.column + 1;
        /* A quoted scalar's position is its first character, past the quote,
         * so that a column inside the value adds up. */
        if (ev->type == YAML_SCALAR_EVENT &&
            (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
             ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE))
            col++;
    }
    if (!count_node(b, line, col, depth)) {
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        v = scalar(b, ev, line, col);
        break;
    case YAML_ALIAS_EVENT:
        b->d->nodes--; /* the copy counts each node it makes */
        v = alias(b, ev, line, col, depth);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        name = anchor ? xstrdup((const char *)anchor) : NULL;
        yaml_event_delete(ev);
        v = sequence(b, depth);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        name = anchor ? xstrdup((const char *)anchor) : NULL;
        yaml_event_delete(ev);
        v = mapping(b, depth);
        break;
    default:
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: unexpected YAML event", b->d->name, line, col);
        break;
    }
    if (v) {
        pos_put(b->d, v, line, col);
        if (name || anchor)
            json_object_set(b->anchors, name ? name : (const char *)anchor, v);
    }
    free(name);
    if (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT)
        yaml_event_delete(ev);
    return v;
}

/* ---- loading ---- */

/* The stream holds one document whose root becomes d->root. */
static bool document(struct builder *b)
{
    yaml_event_t ev;
    int line, col;

    if (!next(b, &ev))
        return false;
    yaml_event_delete(&ev); /* STREAM-START */
    if (!next(b, &ev))
        return false;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        tars_err_set(b->err, TARS_EINVAL, "%s: the document is empty", b->d->name);
        return false;
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */
    if (!next(b, &ev) || !(b->d->root = node(b, &ev, 1, 1, 0)))
        return false;
    if (!next(b, &ev))
        return false;
    yaml_event_delete(&ev); /* DOCUMENT-END */
    if (!next(b, &ev))
        return false;
    line = (int)ev.start_mark.line + 1;
    col = (int)ev.start_mark.column + 1;
    if (ev.type != YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        tars_err_set(b->err, TARS_EINVAL, "%s:%d:%d: only one document per file", b->d->name, line,
                     col);
        return false;
    }
    yaml_event_delete(&ev);
    return true;
}

static tars_yaml_doc *build(const char *name, const char *text, size_t len, struct tars_err *err)
{
    struct builder b;
    bool ok;

    memset(&b, 0, sizeof(b));
    b.d = xcalloc(1, sizeof(*b.d));
    b.d->name = xstrdup(name);
    b.text = text;
    b.len = len;
    b.err = err;
    if (!yaml_parser_initialize(&b.parser)) {
        tars_yaml_free(b.d);
        tars_err_set(err, TARS_EINTERNAL, "%s: out of memory", name);
        return NULL;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
    b.anchors = json_object();
    ok = document(&b);
    yaml_parser_delete(&b.parser);
    json_decref(b.anchors);
    if (!ok) {
        tars_yaml_free(b.d);
        return NULL;
    }
    return b.d;
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
        tars_err_set(err, TARS_ETOOBIG, "%s: not a regular file of at most %d bytes", path,
                     TARS_YAML_MAX_BYTES);
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
