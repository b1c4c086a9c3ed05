/*
 * Chart.yaml edited as text. A YAML library would re-serialise the whole file
 * and lose its comments and layout (and the original's regular expressions
 * rewrote "apiVersion: v2" and commented lines, docs/package.md), so this scanner
 * only finds where the value of one top-level key begins and ends and splices
 * the new value in; every other byte stays as it was.
 *
 * What counts as a top-level key: a line starting in column 0 that is not a
 * comment, a document marker or a directive, outside any value. A value is
 * consumed whole before the next key is looked for: quoted scalars (across
 * lines), flow collections, block scalars (| and >) and nested blocks
 * (indented lines, or "- " items in column 0 under a key with no inline
 * value), so a "version:" inside any of them is never taken for the key.
 */
#include "tars/package.h"

#include <string.h>

struct entry {
    size_t key_start, key_len; /* the key as written, without its quotes */
    size_t colon;              /* offset of the ':' after the key */
    size_t value_start;        /* replace [value_start, value_end) */
    size_t value_end;
    char quote;    /* '"', '\'' or 0 (plain) */
    bool one_line; /* a scalar entirely on the key's line */
    bool empty;    /* nothing but maybe a comment after the ':' */
    bool comment;  /* the key line has a comment after the value */
    size_t next;   /* offset of the first line after the entry */
};

static size_t eol(const char *t, size_t len, size_t i)
{
    while (i < len && t[i] != '\n')
        i++;
    return i;
}

static size_t after_line(const char *t, size_t len, size_t i)
{
    i = eol(t, len, i);
    return i < len ? i + 1 : len;
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static size_t skip_spaces(const char *t, size_t i, size_t end)
{
    while (i < end && space(t[i]))
        i++;
    return i;
}

/* Nothing but white space, or a comment, from i to end. */
static bool rest_is_empty(const char *t, size_t i, size_t end)
{
    i = skip_spaces(t, i, end);
    return i == end || t[i] == '#';
}

static size_t line_number(const char *t, size_t pos)
{
    size_t n = 1;

    for (size_t i = 0; i < pos; i++)
        n += t[i] == '\n';
    return n;
}

static bool dash_item(const char *t, size_t i, size_t end)
{
    return t[i] == '-' && (i + 1 == end || space(t[i + 1]));
}

/* Consumes the indented lines (and, with allow_dash, "- " lines) that follow
 * a key line starting at pos. Returns the offset after the last such line
 * (pos when none); *content_end is the end of its text. Blank lines and
 * column-0 comments between them are consumed, trailing ones are not. */
static size_t consume_block(const char *t, size_t len, size_t pos, bool allow_dash,
                            size_t *content_end)
{
    size_t last = pos;

    while (pos < len) {
        size_t e = eol(t, len, pos);
        bool indented = t[pos] == ' ' || t[pos] == '\t';
        bool empty = rest_is_empty(t, pos, e); /* blank, or only a comment */
        bool content = (indented && !empty) || (allow_dash && dash_item(t, pos, e));
        if (!content && !empty)
            break; /* a column-0 line: the next key */
        if (content) {
            size_t ce = e;
            while (ce > pos && space(t[ce - 1]))
                ce--;
            *content_end = ce;
            last = after_line(t, len, pos);
        }
        pos = after_line(t, len, pos);
    }
    return last;
}

/* i is at an opening quote; finds its closing quote (maybe on a later line). */
static int scan_quoted(const char *t, size_t len, size_t i, size_t *close)
{
    char q = t[i];

    for (size_t j = i + 1; j < len; j++) {
        if (q == '"' && t[j] == '\\') {
            j++;
        } else if (t[j] == q) {
            if (q == '\'' && j + 1 < len && t[j + 1] == '\'') {
                j++;
                continue;
            }
            *close = j;
            return TARS_OK;
        }
    }
    return TARS_EINVAL;
}

/* i is at '[' or '{'; finds the bracket that closes it. */
static int scan_flow(const char *t, size_t len, size_t i, size_t *close)
{
    int depth = 0;

    for (size_t j = i; j < len; j++) {
        if (t[j] == '"' || t[j] == '\'') {
            if (scan_quoted(t, len, j, &j) != TARS_OK)
                return TARS_EINVAL;
        } else if (t[j] == '#' && j > 0 && (space(t[j - 1]) || t[j - 1] == '\n')) {
            j = eol(t, len, j);
        } else if (t[j] == '[' || t[j] == '{') {
            depth++;
        } else if ((t[j] == ']' || t[j] == '}') && --depth == 0) {
            *close = j;
            return TARS_OK;
        }
    }
    return TARS_EINVAL;
}

/* The key of a column-0 line at pos: fills key_*, colon. */
static int parse_key(const char *t, size_t len, size_t pos, struct entry *en, struct tars_err *err)
{
    size_t e = eol(t, len, pos), j;

    if (t[pos] == '"' || t[pos] == '\'') {
        if (scan_quoted(t, e, pos, &j) != TARS_OK)
            return tars_err_set(err, TARS_EINVAL, "line %zu: unterminated quoted key",
                                line_number(t, pos));
        en->key_start = pos + 1;
        en->key_len = j - pos - 1;
        j = skip_spaces(t, j + 1, e);
        if (j == e || t[j] != ':')
            return tars_err_set(err, TARS_EINVAL, "line %zu: expected ':' after the key",
                                line_number(t, pos));
    } else {
        if (strchr("[{?-|>", t[pos]))
            return tars_err_set(err, TARS_EINVAL,
                                "line %zu: not a \"key: value\" line of a top-level mapping",
                                line_number(t, pos));
        for (j = pos; j < e; j++)
            if (t[j] == ':' && (j + 1 == e || space(t[j + 1])))
                break;
        if (j == e)
            return tars_err_set(err, TARS_EINVAL, "line %zu: expected \"key: value\"",
                                line_number(t, pos));
        en->key_start = pos;
        en->key_len = j - pos;
        while (en->key_len > 0 && space(t[pos + en->key_len - 1]))
            en->key_len--;
    }
    en->colon = j;
    return TARS_OK;
}

/* A value that closes at index close (quoted or flow): the rest of its line
 * must be empty. */
static int finish_closed(const char *t, size_t len, size_t close, struct entry *en,
                         struct tars_err *err)
{
    size_t e = eol(t, len, close);

    if (!rest_is_empty(t, close + 1, e))
        return tars_err_set(err, TARS_EINVAL, "line %zu: unexpected text after the value",
                            line_number(t, close));
    en->value_end = close + 1;
    en->comment = skip_spaces(t, close + 1, e) < e;
    en->one_line =
        en->one_line && memchr(t + en->value_start, '\n', close - en->value_start) == NULL;
    en->next = after_line(t, len, close);
    return TARS_OK;
}

static void parse_plain(const char *t, size_t len, size_t v, struct entry *en)
{
    size_t e = eol(t, len, v), end = v, content_end = 0, next;

    while (end < e && !(t[end] == '#' && space(t[end - 1])))
        end++;
    en->comment = end < e;
    while (end > v && space(t[end - 1]))
        end--;
    en->value_end = end;
    next = consume_block(t, len, after_line(t, len, v), false, &content_end);
    if (next != after_line(t, len, v)) {
        en->one_line = false; /* a plain scalar continued on indented lines */
        en->value_end = content_end;
    }
    en->next = next > after_line(t, len, v) ? next : after_line(t, len, v);
}

/* The value after the ':' of en; fills value_*, quote, flags and next. */
static int parse_value(const char *t, size_t len, struct entry *en, struct tars_err *err)
{
    size_t e = eol(t, len, en->colon), v = skip_spaces(t, en->colon + 1, e), close, content_end = 0;

    en->value_start = v;
    en->one_line = true;
    if (v == e || t[v] == '#') { /* no inline value: maybe a nested block */
        size_t next = consume_block(t, len, after_line(t, len, v), true, &content_end);
        en->empty = true;
        en->comment = v < e;
        en->value_end = v;
        en->next = after_line(t, len, v);
        if (next != en->next) {
            en->one_line = false;
            en->value_end = content_end;
            en->next = next;
        }
        return TARS_OK;
    }
    if (t[v] == '"' || t[v] == '\'') {
        en->quote = t[v];
        if (scan_quoted(t, len, v, &close) != TARS_OK)
            return tars_err_set(err, TARS_EINVAL, "line %zu: unterminated quoted value",
                                line_number(t, v));
        return finish_closed(t, len, close, en, err);
    }
    if (t[v] == '[' || t[v] == '{') {
        en->one_line = false;
        if (scan_flow(t, len, v, &close) != TARS_OK)
            return tars_err_set(err, TARS_EINVAL, "line %zu: unterminated flow collection",
                                line_number(t, v));
        return finish_closed(t, len, close, en, err);
    }
    if (t[v] == '|' || t[v] == '>') {
        en->one_line = false;
        en->next = consume_block(t, len, after_line(t, len, v), false, &content_end);
        en->value_end = en->next == after_line(t, len, v) ? e : content_end;
        if (en->next < after_line(t, len, v))
            en->next = after_line(t, len, v);
        return TARS_OK;
    }
    parse_plain(t, len, v, en);
    return TARS_OK;
}

/* Finds the top-level key; *found false when absent. Two entries with the
 * same key are an error (which one would count is up to the reader). */
static int find_key(const char *t, size_t len, const char *key, struct entry *out, bool *found,
                    struct tars_err *err)
{
    size_t pos = 0, klen = strlen(key);
    bool seen_entry = false;
    int rc;

    *found = false;
    while (pos < len) {
        size_t e = eol(t, len, pos);
        struct entry en;
        if (rest_is_empty(t, pos, e) || space(t[pos]) || t[pos] == '%') {
            pos = after_line(t, len, pos);
            continue;
        }
        if (e - pos >= 3 && (memcmp(t + pos, "---", 3) == 0 || memcmp(t + pos, "...", 3) == 0) &&
            rest_is_empty(t, pos + 3, e)) {
            if (t[pos] == '.' || seen_entry)
                break; /* the end of the (first) document */
            pos = after_line(t, len, pos);
            continue;
        }
        memset(&en, 0, sizeof(en));
        if ((rc = parse_key(t, len, pos, &en, err)) != TARS_OK ||
            (rc = parse_value(t, len, &en, err)) != TARS_OK)
            return rc;
        seen_entry = true;
        if (en.key_len == klen && memcmp(t + en.key_start, key, klen) == 0) {
            if (*found)
                return tars_err_set(err, TARS_EINVAL, "line %zu: key \"%s\" appears twice",
                                    line_number(t, pos), key);
            *out = en;
            *found = true;
        }
        pos = en.next;
    }
    return TARS_OK;
}

static bool safe_scalar(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '.' || *s == '-' || *s == '+' || *s == '_'))
            return false;
    return true;
}

/* The new text for en's value range. */
static int put_value(const char *t, const struct entry *en, const char *value, struct tars_buf *out)
{
    char q = en->one_line && !en->empty ? en->quote : '"';
    int rc = TARS_OK;

    if (t[en->value_start - 1] == ':')
        rc = tars_buf_puts(out, " ");
    if (rc == TARS_OK)
        rc = q ? tars_buf_printf(out, "%c%s%c", q, value, q) : tars_buf_puts(out, value);
    if (rc == TARS_OK && en->empty && en->one_line && en->comment)
        rc = tars_buf_puts(out, " ");
    return rc;
}

/* The file's line ending, from its first line. */
static const char *line_ending(const char *t, size_t len)
{
    const char *nl = memchr(t, '\n', len);

    return nl && nl > t && nl[-1] == '\r' ? "\r\n" : "\n";
}

int tars_chart_set_versions(const char *text, size_t len, const char *version,
                            const char *app_version, struct tars_buf *out, struct tars_err *err)
{
    struct entry en[2];
    bool found[2];
    const char *values[2] = {version, app_version}, *keys[2] = {"version", "appVersion"};
    const char *nl = line_ending(text, len);
    size_t copied = 0;
    int rc = TARS_OK;

    for (int k = 0; k < 2; k++) {
        if (!safe_scalar(values[k]))
            return tars_err_set(err, TARS_EINVAL,
                                "%s \"%s\" has characters a chart version "
                                "cannot hold",
                                keys[k], values[k]);
        if ((rc = find_key(text, len, keys[k], &en[k], &found[k], err)) != TARS_OK)
            return rc;
    }
    for (int pass = 0; pass < 2 && rc == TARS_OK; pass++) {
        /* in file order: the entry that starts first is spliced first */
        int k = (found[0] && found[1]) ? (en[0].value_start < en[1].value_start ? pass : 1 - pass)
                                       : pass;
        if (!found[k])
            continue;
        rc = tars_buf_append(out, text + copied, en[k].value_start - copied);
        if (rc == TARS_OK)
            rc = put_value(text, &en[k], values[k], out);
        copied = en[k].value_end;
    }
    if (rc == TARS_OK)
        rc = tars_buf_append(out, text + copied, len - copied);
    for (int k = 0; k < 2 && rc == TARS_OK; k++) {
        if (found[k])
            continue;
        if (out->len > 0 && out->data[out->len - 1] != '\n')
            rc = tars_buf_puts(out, nl);
        if (rc == TARS_OK)
            rc = tars_buf_printf(out, "%s: \"%s\"%s", keys[k], values[k], nl);
    }
    if (rc != TARS_OK)
        return tars_err_set(err, rc, "Chart.yaml: the edited text is too large");
    return TARS_OK;
}

/* Unquotes a one-line scalar into out. */
static int unquote(const char *s, size_t n, char q, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (q == '"' && c == '\\' && i + 1 < n) {
            c = s[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else if (q == '\'' && c == '\'' && i + 1 < n && s[i + 1] == '\'') {
            i++;
        }
        if (o + 1 >= cap)
            return TARS_ETOOBIG;
        out[o++] = c;
    }
    out[o] = '\0';
    return TARS_OK;
}

int tars_chart_get(const char *text, size_t len, const char *key, char *out, size_t cap,
                   struct tars_err *err)
{
    struct entry en;
    bool found;
    int rc = find_key(text, len, key, &en, &found, err);

    if (rc != TARS_OK)
        return rc;
    if (!found)
        return tars_err_set(err, TARS_ENOTFOUND, "no top-level key \"%s\"", key);
    if (!en.one_line || en.empty)
        return tars_err_set(err, TARS_EINVAL, "key \"%s\" (line %zu) is not a one-line value", key,
                            line_number(text, en.key_start));
    if (en.quote)
        rc = unquote(text + en.value_start + 1, en.value_end - en.value_start - 2, en.quote, out,
                     cap);
    else
        rc = unquote(text + en.value_start, en.value_end - en.value_start, 0, out, cap);
    if (rc != TARS_OK)
        return tars_err_set(err, rc, "value of \"%s\" is too long", key);
    return TARS_OK;
}
