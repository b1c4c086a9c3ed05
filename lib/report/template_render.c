/* Report templates: rendering a parsed tree against a variable environment. */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tars/report_template.h"
#include "template_int.h"

#define DEFAULT_REASON "not recorded"
#define NA_REASON_MAX 1024

struct render {
    const struct tars_tpl *t;
    const struct tars_tpl_env *env;
    struct tars_buf *out;
    json_t *unresolved;
    json_t *noted; /* the names in unresolved, as a hash: a scan per placeholder was quadratic */
    struct tars_err *err;
    json_t *scopes[TARS_TEMPLATE_MAX_DEPTH + 1]; /* #each elements, innermost last */
    size_t depth;
    unsigned long steps;  /* work done so far, against TARS_TEMPLATE_MAX_STEPS */
    size_t line_start;    /* offset in out where the current line begins */
    json_t *line_reasons; /* the n/a texts written on the line that begins at reasons_line */
    size_t reasons_line;
};

/* One unit of work: a node rendered or one round of an #each. The output cap
 * alone does not bound the time: nested #each blocks that print nothing
 * multiply their list lengths. */
static int step(struct render *r, const struct tpl_node *n)
{
    int line, col;

    if (++r->steps <= TARS_TEMPLATE_MAX_STEPS)
        return TARS_OK;
    tpl_position(r->t, n->offset, &line, &col);
    return tars_err_set(r->err, TARS_ETOOBIG,
                        "%s:%d:%d: rendering takes more than %u steps (the template work budget)",
                        r->t->file, line, col, TARS_TEMPLATE_MAX_STEPS);
}

static int put(struct render *r, const char *s, size_t n)
{
    const char *nl = n ? memrchr(s, '\n', n) : NULL;
    size_t at = r->out->len;

    if (r->out->len + n > TARS_TEMPLATE_MAX_OUTPUT || tars_buf_append(r->out, s, n) != TARS_OK)
        return tars_err_set(r->err, TARS_ETOOBIG, "report larger than %u bytes",
                            TARS_TEMPLATE_MAX_OUTPUT);
    if (nl)
        r->line_start = at + (size_t)(nl - s) + 1;
    return TARS_OK;
}

static int put_str(struct render *r, const char *s)
{
    return put(r, s, strlen(s));
}

/* The value of name, innermost scope first; NULL when it has none. */
static json_t *lookup(const struct render *r, const char *name)
{
    for (size_t i = r->depth; i > 0; i--) {
        json_t *v = json_object_get(r->scopes[i - 1], name);
        if (v && !json_is_null(v))
            return v;
    }
    return json_object_get(r->env->values, name);
}

static bool truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    return true;
}

static void note_unresolved(struct render *r, const char *name)
{
    if (!r->unresolved || json_object_get(r->noted, name))
        return;
    json_object_set_new(r->noted, name, json_true());
    json_array_append_new(r->unresolved, json_string(name));
}

static const char *reason_for(const struct render *r, const char *name)
{
    const char *why = json_string_value(json_object_get(r->env->reasons, name));

    if (!why)
        why = r->env->default_reason ? r->env->default_reason : DEFAULT_REASON;
    return why;
}

/* True when the output's current line has an open code span: an odd number of
 * backticks, a value's escaped ones ("\`") not counted. */
static bool in_code_span(const struct render *r)
{
    const char *d = r->out->data;
    size_t ticks = 0;

    for (size_t i = r->line_start; i < r->out->len; i++)
        ticks += d[i] == '`' && !(i > r->line_start && d[i - 1] == '\\');
    return ticks % 2 == 1;
}

/* True when '_' at s[i] could open or close emphasis (not between two word characters). */
static bool underscore_at_edge(const char *s, size_t i, size_t n)
{
    bool before = i > 0 && isalnum((unsigned char)s[i - 1]);
    bool after = i + 1 < n && isalnum((unsigned char)s[i + 1]);

    return !(before && after);
}

/* True when Markdown outside a code span could read s[i] as syntax. at_line_start:
 * s begins a line (only spaces before it), where '#', '>', '-', '+', '=' start blocks. */
static bool md_special(const char *s, size_t i, size_t n, bool at_line_start)
{
    unsigned char c = (unsigned char)s[i], next = i + 1 < n ? (unsigned char)s[i + 1] : 0;

    if (c == '\0')
        return false;
    if (strchr("\\`*[]|~", c))
        return true;
    if (c == '_')
        return underscore_at_edge(s, i, n);
    if (c == '<')
        return isalpha(next) || next == '/' || next == '!' || next == '?';
    if (c == '&')
        return isalnum(next) || next == '#';
    return at_line_start && i == 0 && strchr("#>-+=", c);
}

/* One character of a value: into out (2 bytes at most), as the context needs. */
static size_t text_char(const char *s, size_t i, size_t n, bool code, bool at_line_start,
                        char out[2])
{
    char c = s[i];
    size_t k = 0;

    if (c == '\n' || c == '\r')
        c = ' ';
    else if (code && c == '`')
        c = '\'';
    else if ((code && c == '|') || (!code && md_special(s, i, n, at_line_start)))
        out[k++] = '\\';
    out[k++] = c;
    return k;
}

int tars_tpl_escape(const char *s, size_t n, struct tars_buf *out)
{
    char two[2];
    int rc = TARS_OK;

    for (size_t i = 0; i < n && rc == TARS_OK; i++)
        rc = tars_buf_append(out, two, text_char(s, i, n, false, false, two));
    return rc;
}

/* True when only spaces stand between the start of the output's line and its end. */
static bool line_blank(const struct render *r)
{
    for (size_t i = r->line_start; i < r->out->len; i++)
        if (r->out->data[i] != ' ')
            return false;
    return true;
}

/*
 * A string value is text, never Markdown: what a server, a cluster or a person
 * wrote ("expected <token>", "a|b", "*") must read the same in report.md and
 * report.html. Outside a code span, what Markdown would read as syntax is
 * backslash-escaped; inside one (the template wrote `{ID}`) escapes are not
 * read, so only what would end the span or the table cell changes: '`' becomes
 * '\'' and '|' becomes "\|" (GFM reads that in a cell). A line break becomes a
 * space either way: one value stays on its line, a table row stays one row.
 * Values named in env->markdown are Markdown tars composed (their parts escaped
 * with tars_tpl_escape) and go out as they are.
 */
static int put_text(struct render *r, const char *name, const char *s, size_t n)
{
    bool code = in_code_span(r), at_start = line_blank(r);
    char two[2];
    int rc = TARS_OK;

    if (r->env->markdown && json_object_get(r->env->markdown, name))
        return put(r, s, n);
    for (size_t i = 0; i < n && rc == TARS_OK; i++)
        rc = put(r, two, text_char(s, i, n, code, at_start, two));
    return rc;
}

static int put_scalar(struct render *r, const char *name, json_t *v)
{
    char num[64];

    if (json_is_string(v))
        return put_text(r, name, json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return put_str(r, num);
    }
    if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%.15g", json_real_value(v));
        return put_str(r, num);
    }
    if (json_is_boolean(v))
        return put_str(r, json_is_true(v) ? "yes" : "no");
    return tars_err_set(r->err, TARS_EINVAL, "{%s} is a list or object; use {#each %s}", name,
                        name);
}

/* The units a template writes after a figure ("{P95} ms"). After an n/a they would read
 * "n/a (why) ms": the renderer leaves them out there. */
static const char *const units_after[] = {" req/s", " ms", " s", " %", NULL};

/* The length of the unit that starts text (followed by no letter or digit), or 0. */
static size_t unit_prefix(const char *text, size_t len)
{
    for (const char *const *u = units_after; *u; u++) {
        size_t n = strlen(*u);
        if (len >= n && memcmp(text, *u, n) == 0 &&
            (len == n || !(isalnum((unsigned char)text[n]) || text[n] == '/')))
            return n;
    }
    return 0;
}

/* "n/a (reason)", the reason flattened to one level of parentheses ("no load test recorded
 * (tars load --run DIR)" reads "no load test recorded: tars load --run DIR"), and given once
 * a line: a later n/a on the same line (a table row) with the same reason is a bare "n/a". */
static int put_na(struct render *r, const char *reason)
{
    char text[NA_REASON_MAX + 8];
    size_t n = 0;

    n += (size_t)snprintf(text, sizeof(text), "n/a (");
    for (const char *c = reason; *c && n + 4 < sizeof(text); c++) {
        if (*c == '(') {
            while (n > 5 && text[n - 1] == ' ')
                n--;
            text[n++] = ':';
            text[n++] = ' ';
        } else if (*c != ')') {
            text[n++] = *c;
        }
    }
    text[n++] = ')';
    text[n] = '\0';
    if (!r->line_reasons || r->reasons_line != r->line_start) {
        if (!r->line_reasons && !(r->line_reasons = json_object()))
            return tars_err_set(r->err, TARS_EINTERNAL, "out of memory");
        json_object_clear(r->line_reasons);
        r->reasons_line = r->line_start;
    }
    if (json_object_get(r->line_reasons, text))
        return put_str(r, "n/a");
    json_object_set_new(r->line_reasons, text, json_true());
    return put(r, text, n);
}

static int render_var(struct render *r, const struct tpl_node *n, bool *na)
{
    json_t *v = lookup(r, n->name);
    char mark[1];
    int rc;

    if (r->env->mark_values) {
        mark[0] = TARS_TEMPLATE_MARK_OPEN;
        if ((rc = put(r, mark, 1)) != TARS_OK)
            return rc;
    }
    *na = !v || json_is_null(v);
    if (*na) {
        note_unresolved(r, n->name);
        rc = put_na(r, reason_for(r, n->name));
    } else {
        rc = put_scalar(r, n->name, v);
    }
    if (rc == TARS_OK && r->env->mark_values) {
        mark[0] = TARS_TEMPLATE_MARK_CLOSE;
        rc = put(r, mark, 1);
    }
    return rc;
}

static int render_list(struct render *r, const struct tpl_list *l);

static int render_each(struct render *r, const struct tpl_node *n)
{
    json_t *list = lookup(r, n->name), *item;
    size_t i;
    int rc;

    if (!list || json_is_null(list))
        return TARS_OK; /* wrap in {#if LIST}...{else}...{/if} to say why it is empty */
    if (!json_is_array(list))
        return tars_err_set(r->err, TARS_EINVAL, "{#each %s}: %s is not a list", n->name, n->name);
    if (json_array_size(list) > TARS_TEMPLATE_MAX_ITEMS)
        return tars_err_set(r->err, TARS_ETOOBIG, "{#each %s}: more than %d elements", n->name,
                            TARS_TEMPLATE_MAX_ITEMS);
    json_array_foreach(list, i, item) {
        if (!json_is_object(item))
            return tars_err_set(r->err, TARS_EINVAL, "{#each %s}: element %zu is not an object",
                                n->name, i);
        if ((rc = step(r, n)) != TARS_OK)
            return rc;
        r->scopes[r->depth++] = item;
        rc = render_list(r, &n->body);
        r->depth--;
        if (rc != TARS_OK)
            return rc;
    }
    return TARS_OK;
}

static int render_list(struct render *r, const struct tpl_list *l)
{
    int rc = TARS_OK;
    bool na = false; /* the node before was a variable rendered as n/a */

    for (size_t i = 0; rc == TARS_OK && i < l->count; i++) {
        const struct tpl_node *n = &l->items[i];
        size_t skip = 0;
        if ((rc = step(r, n)) != TARS_OK)
            break;
        if (n->kind == TPL_TEXT && na)
            skip = unit_prefix(n->text, n->len);
        na = false;
        switch (n->kind) {
        case TPL_TEXT: rc = put(r, n->text + skip, n->len - skip); break;
        case TPL_VAR: rc = render_var(r, n, &na); break;
        case TPL_EACH: rc = render_each(r, n); break;
        case TPL_IF: rc = render_list(r, truthy(lookup(r, n->name)) ? &n->body : &n->alt); break;
        }
    }
    return rc;
}

int tars_tpl_render(const tars_tpl *t, const struct tars_tpl_env *env, struct tars_buf *out,
                    json_t *unresolved, struct tars_err *err)
{
    struct render r;
    int rc;

    if (!env->values || !json_is_object(env->values))
        return tars_err_set(err, TARS_EINVAL, "template values must be an object");
    memset(&r, 0, sizeof(r));
    r.t = t;
    r.env = env;
    r.out = out;
    r.unresolved = unresolved;
    r.err = err;
    if (unresolved) { /* names noted by an earlier rendering into the same list count */
        size_t i;
        json_t *v;
        r.noted = json_object();
        json_array_foreach(unresolved, i, v)
            if (json_is_string(v))
                json_object_set_new(r.noted, json_string_value(v), json_true());
    }
    rc = render_list(&r, &t->root);
    json_decref(r.noted);
    json_decref(r.line_reasons);
    return rc;
}
