/*
 * Report templates: the parser (text -> tree). The tree keeps pointers into
 * its own copy of the text, so text nodes cost no copies.
 */
#include "tars/report_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/alloc.h"
#include "tars/str.h"
#include "template_int.h"

#define FILE_NAME_MAX 200

struct parser {
    tars_tpl *t;
    const char *p, *end;
    struct tars_err *err;
    struct tpl_node *open[TARS_TEMPLATE_MAX_DEPTH]; /* open #each / #if blocks */
    size_t depth;
};

void tpl_position(const tars_tpl *t, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < t->len; i++) {
        if (t->source[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)t->source[i] & 0xC0) != 0x80) {
            (*col)++; /* columns count characters, not UTF-8 continuation bytes */
        }
    }
}

static int fail_at(struct parser *ps, const char *at, const char *what, const char *detail)
{
    int line, col;

    tpl_position(ps->t, (size_t)(at - ps->t->source), &line, &col);
    return tars_err_set(ps->err, TARS_EINVAL, "%s:%d:%d: %s%s", ps->t->file, line, col, what,
                        detail ? detail : "");
}

static struct tpl_list *current(struct parser *ps)
{
    struct tpl_node *n;

    if (ps->depth == 0)
        return &ps->t->root;
    n = ps->open[ps->depth - 1];
    return n->has_else ? &n->alt : &n->body;
}

static struct tpl_node *push_node(struct tpl_list *l, enum tpl_kind kind, size_t offset)
{
    struct tpl_node *n;

    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    n = &l->items[l->count++];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->offset = offset;
    return n;
}

static void add_text(struct parser *ps, const char *from, size_t len)
{
    struct tpl_list *l = current(ps);
    struct tpl_node *last = l->count ? &l->items[l->count - 1] : NULL;

    if (len == 0)
        return;
    if (last && last->kind == TPL_TEXT && last->text + last->len == from) {
        last->len += len;
        return;
    }
    last = push_node(l, TPL_TEXT, (size_t)(from - ps->t->source));
    last->text = from;
    last->len = len;
}

static bool is_name_start(char c)
{
    return c >= 'A' && c <= 'Z';
}
static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '_';
}

/* Reads NAME at ps->p into name; the caller checks what follows. */
static int read_name(struct parser *ps, char *name)
{
    const char *s = ps->p;
    size_t n = 0;

    if (ps->p >= ps->end || !is_name_start(*ps->p))
        return fail_at(ps, s, "expected a NAME of capital letters, digits and '_'", NULL);
    while (ps->p < ps->end && is_name_char(*ps->p)) {
        if (n == TARS_TEMPLATE_MAX_NAME)
            return fail_at(ps, s, "name is too long", NULL);
        name[n++] = *ps->p++;
    }
    name[n] = '\0';
    return TARS_OK;
}

static int expect_close(struct parser *ps, const char *tag_start)
{
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return TARS_OK;
    }
    if (ps->p >= ps->end)
        return fail_at(ps, tag_start, "unclosed tag: missing '}'", NULL);
    return fail_at(ps, ps->p, "expected '}'", NULL);
}

static bool word_is(const struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0;
}

static int open_block(struct parser *ps, const char *tag)
{
    enum tpl_kind kind;
    struct tpl_node *n;
    char name[TARS_TEMPLATE_MAX_NAME + 1];
    int rc;

    if (word_is(ps, "each ")) {
        kind = TPL_EACH;
        ps->p += 5;
    } else if (word_is(ps, "if ")) {
        kind = TPL_IF;
        ps->p += 3;
    } else {
        return fail_at(ps, tag, "unknown block (use {#each LIST} or {#if NAME})", NULL);
    }
    if ((rc = read_name(ps, name)) != TARS_OK || (rc = expect_close(ps, tag)) != TARS_OK)
        return rc;
    if (ps->depth == TARS_TEMPLATE_MAX_DEPTH)
        return fail_at(ps, tag, "blocks nested too deeply", NULL);
    n = push_node(current(ps), kind, (size_t)(tag - ps->t->source));
    memcpy(n->name, name, sizeof(name));
    ps->open[ps->depth++] = n;
    return TARS_OK;
}

static const char *kind_word(enum tpl_kind k)
{
    return k == TPL_EACH ? "each" : "if";
}

static int close_block(struct parser *ps, const char *tag)
{
    struct tpl_node *top = ps->depth ? ps->open[ps->depth - 1] : NULL;
    enum tpl_kind kind;
    int line, col;

    if (word_is(ps, "each}"))
        kind = TPL_EACH;
    else if (word_is(ps, "if}"))
        kind = TPL_IF;
    else
        return fail_at(ps, tag, "unknown closing tag (use {/each} or {/if})", NULL);
    if (!top)
        return fail_at(ps, tag, kind == TPL_EACH ? "{/each}" : "{/if}", " without an open block");
    if (top->kind != kind) {
        char detail[160];
        tpl_position(ps->t, top->offset, &line, &col);
        snprintf(detail, sizeof(detail), " (the open block is {#%s %s} from %d:%d)",
                 kind_word(top->kind), top->name, line, col);
        return fail_at(ps, tag,
                       kind == TPL_EACH ? "{/each} does not close an {#if}"
                                        : "{/if} does not close an {#each}",
                       detail);
    }
    ps->p += kind == TPL_EACH ? 5 : 3;
    ps->depth--;
    return TARS_OK;
}

static int else_tag(struct parser *ps, const char *tag)
{
    struct tpl_node *top = ps->depth ? ps->open[ps->depth - 1] : NULL;

    if (!top || top->kind != TPL_IF)
        return fail_at(ps, tag, "{else} outside an {#if} block", NULL);
    if (top->has_else)
        return fail_at(ps, tag, "second {else} in one {#if} block", NULL);
    top->has_else = true;
    ps->p += 5;
    return TARS_OK;
}

static int comment(struct parser *ps, const char *tag)
{
    const char *close = memchr(ps->p, '}', (size_t)(ps->end - ps->p));

    if (!close)
        return fail_at(ps, tag, "unclosed comment: missing '}'", NULL);
    ps->p = close + 1;
    return TARS_OK;
}

/* ps->p is just after a '{' at tag. */
static int parse_tag(struct parser *ps, const char *tag)
{
    char c = ps->p < ps->end ? *ps->p : '\0';
    struct tpl_node *n;
    char name[TARS_TEMPLATE_MAX_NAME + 1];
    int rc;

    if (c == '{') {
        add_text(ps, ps->p, 1);
        ps->p++;
        return TARS_OK;
    }
    if (c == '#' || c == '/') {
        ps->p++;
        return c == '#' ? open_block(ps, tag) : close_block(ps, tag);
    }
    if (c == '!') {
        ps->p++;
        return comment(ps, tag);
    }
    if (word_is(ps, "else}"))
        return else_tag(ps, tag);
    if (c >= 'a' && c <= 'z')
        return fail_at(ps, tag, "unknown tag (names are capital letters; \"{{\" writes a '{')",
                       NULL);
    if (!is_name_start(c)) {
        add_text(ps, tag, 1); /* "{" before anything else is text: "{ }", "{1}", "{\"a\"" */
        return TARS_OK;
    }
    if ((rc = read_name(ps, name)) != TARS_OK || (rc = expect_close(ps, tag)) != TARS_OK)
        return rc;
    n = push_node(current(ps), TPL_VAR, (size_t)(tag - ps->t->source));
    memcpy(n->name, name, sizeof(name));
    return TARS_OK;
}

static int parse_all(struct parser *ps)
{
    int rc, line, col;

    while (ps->p < ps->end) {
        const char *brace = memchr(ps->p, '{', (size_t)(ps->end - ps->p));
        if (!brace) {
            add_text(ps, ps->p, (size_t)(ps->end - ps->p));
            break;
        }
        add_text(ps, ps->p, (size_t)(brace - ps->p));
        ps->p = brace + 1;
        if ((rc = parse_tag(ps, brace)) != TARS_OK)
            return rc;
    }
    if (ps->depth) {
        const struct tpl_node *top = ps->open[ps->depth - 1];
        tpl_position(ps->t, top->offset, &line, &col);
        return tars_err_set(ps->err, TARS_EINVAL, "%s:%d:%d: unclosed {#%s %s} (missing {/%s})",
                            ps->t->file, line, col, kind_word(top->kind), top->name,
                            kind_word(top->kind));
    }
    return TARS_OK;
}

int tars_tpl_parse(const char *name, const char *text, size_t len, tars_tpl **out,
                   struct tars_err *err)
{
    struct parser ps;
    tars_tpl *t;
    int rc;

    *out = NULL;
    if (len > TARS_TEMPLATE_MAX_BYTES)
        return tars_err_set(err, TARS_ETOOBIG, "%s: template larger than %u bytes", name,
                            TARS_TEMPLATE_MAX_BYTES);
    t = xcalloc(1, sizeof(*t));
    t->source = xmalloc(len + 1);
    memcpy(t->source, text, len);
    t->source[len] = '\0';
    t->len = len;
    tars_strlcpy(t->file, name ? name : "template", sizeof(t->file));
    memset(&ps, 0, sizeof(ps));
    ps.t = t;
    ps.p = t->source;
    ps.end = t->source + len;
    ps.err = err;
    rc = parse_all(&ps);
    if (rc != TARS_OK) {
        tars_tpl_free(t);
        return rc;
    }
    *out = t;
    return TARS_OK;
}

static void free_list(struct tpl_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free_list(&l->items[i].body);
        free_list(&l->items[i].alt);
    }
    free(l->items);
}

void tars_tpl_free(tars_tpl *t)
{
    if (!t)
        return;
    free_list(&t->root);
    free(t->source);
    free(t);
}

/* seen: the names already listed, as a hash (a scan of the list made a
 * template of many names quadratic). */
static void collect_names(const struct tpl_list *l, json_t *names, json_t *seen)
{
    for (size_t i = 0; i < l->count; i++) {
        const struct tpl_node *n = &l->items[i];

        if (n->kind != TPL_TEXT && !json_object_get(seen, n->name)) {
            json_object_set_new(seen, n->name, json_true());
            json_array_append_new(names, json_string(n->name));
        }
        collect_names(&n->body, names, seen);
        collect_names(&n->alt, names, seen);
    }
}

json_t *tars_tpl_names(const tars_tpl *t)
{
    json_t *names = json_array(), *seen = json_object();

    if (names && seen)
        collect_names(&t->root, names, seen);
    json_decref(seen);
    return names;
}
