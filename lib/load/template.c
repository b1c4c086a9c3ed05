/*
 * Request templates: text with ${...} calls, compiled once into segments.
 *
 *   ${random.int(a,b)}         an integer in [a, b], 64-bit
 *   ${random.choice(x, "y,z")} one of the items, plain or double-quoted
 *   ${seq}                     the request's sequence number
 *   ${uuid}                    a version-4 UUID
 *   ${env.NAME}                the variable's value, read at compile time
 *   ${name}                    a virtual user's variable (journeys: an
 *                              extracted value, a data column, ${user}),
 *                              when the template was compiled with names
 *   $$                         one dollar sign
 *
 * Rendering draws from the caller's xoshiro256** state, so a thread that
 * seeds its state the same way renders the same requests, and appends to a
 * tars_buf: nothing else is allocated per request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"
#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/rng.h"

enum segment_kind { SEG_TEXT, SEG_INT, SEG_CHOICE, SEG_SEQ, SEG_UUID, SEG_VAR };

struct segment {
    enum segment_kind kind;
    size_t off, len;   /* SEG_TEXT: bytes in the pool; SEG_CHOICE: first item, item count;
                          SEG_VAR: the variable's slot */
    int64_t low, high; /* SEG_INT, inclusive; SEG_VAR: low is the enum template_escape */
};

struct span {
    size_t off, len;
};

struct tars_load_template {
    char *pool; /* literal text and choice items, back to back */
    size_t pool_len, pool_cap;
    struct segment *segs;
    size_t seg_count, seg_cap;
    struct span *items;
    size_t item_count, item_cap;
    const char *const *names; /* variables ${name} may name (borrowed), slot = index */
    size_t name_count;
    enum template_escape escape; /* of variables outside JSON-string text */
};

/* ---- building ---- */

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 8;

    if (need <= *cap)
        return p;
    while (n < need)
        n *= 2;
    *cap = n;
    return xrealloc(p, n * elem);
}

static void pool_put(tars_load_template *t, const char *s, size_t len)
{
    t->pool = grow(t->pool, &t->pool_cap, t->pool_len + len, 1);
    memcpy(t->pool + t->pool_len, s, len);
    t->pool_len += len;
}

/* The JSON-string escape of ch in esc (NUL-terminated) and its length, or 0
 * when ch stands as it is. */
static size_t json_escape_char(unsigned char ch, char esc[8])
{
    if (ch < 0x20)
        return (size_t)snprintf(esc, 8, "\\u%04x", ch);
    if (ch != '"' && ch != '\\')
        return 0;
    esc[0] = '\\';
    esc[1] = (char)ch;
    esc[2] = '\0';
    return 2;
}

/* Appends s escaped for the inside of a JSON string. */
static void pool_put_json(tars_load_template *t, const char *s, size_t len)
{
    char esc[8];

    for (size_t i = 0; i < len; i++) {
        size_t n = json_escape_char((unsigned char)s[i], esc);
        if (n)
            pool_put(t, esc, n);
        else
            pool_put(t, s + i, 1);
    }
}

static struct segment *push_segment(tars_load_template *t, enum segment_kind kind)
{
    struct segment *seg;

    t->segs = grow(t->segs, &t->seg_cap, t->seg_count + 1, sizeof(*t->segs));
    seg = &t->segs[t->seg_count++];
    memset(seg, 0, sizeof(*seg));
    seg->kind = kind;
    return seg;
}

/* Adds text to the pool, merging with the previous text segment. */
static void add_text_segment(tars_load_template *t, const char *s, size_t len, bool json)
{
    size_t off = t->pool_len;
    struct segment *last = t->seg_count ? &t->segs[t->seg_count - 1] : NULL;

    if (len == 0)
        return;
    if (json)
        pool_put_json(t, s, len);
    else
        pool_put(t, s, len);
    if (last && last->kind == SEG_TEXT && last->off + last->len == off) {
        last->len += t->pool_len - off;
        return;
    }
    last = push_segment(t, SEG_TEXT);
    last->off = off;
    last->len = t->pool_len - off;
}

/* The pool is never NULL, so an empty choice item or text is a valid
 * zero-length span of it (memcpy and pointer arithmetic on NULL are undefined). */
tars_load_template *template_new(void)
{
    tars_load_template *t = xcalloc(1, sizeof(struct tars_load_template));

    t->pool_cap = 64;
    t->pool = xmalloc(t->pool_cap);
    return t;
}

void template_add_literal(tars_load_template *t, const char *s, size_t len)
{
    add_text_segment(t, s, len, false);
}

void tars_load_template_free(tars_load_template *t)
{
    if (!t)
        return;
    free(t->pool);
    free(t->segs);
    free(t->items);
    free(t);
}

void template_set_names(tars_load_template *t, const char *const *names, size_t count,
                        enum template_escape escape)
{
    t->names = names;
    t->name_count = count;
    t->escape = escape;
}

tars_load_template *template_compile_names(const char *text, const char *const *names, size_t count,
                                           enum template_escape escape, struct tars_err *err)
{
    tars_load_template *t = template_new();

    template_set_names(t, names, count, escape);
    if (template_add_text(t, text, strlen(text), false, err)) {
        tars_load_template_free(t);
        return NULL;
    }
    t->names = NULL; /* borrowed only while compiling */
    return t;
}

bool template_uses_vars(const tars_load_template *t)
{
    for (size_t i = 0; t && i < t->seg_count; i++)
        if (t->segs[i].kind == SEG_VAR)
            return true;
    return false;
}

bool tars_load_template_is_constant(const tars_load_template *t)
{
    for (size_t i = 0; i < t->seg_count; i++)
        if (t->segs[i].kind != SEG_TEXT)
            return false;
    return true;
}

bool template_is_single_number(const tars_load_template *t)
{
    return t->seg_count == 1 && (t->segs[0].kind == SEG_INT || t->segs[0].kind == SEG_SEQ);
}

/* ---- parsing ---- */

struct cursor {
    const char *text;
    size_t len;
    size_t pos;
    size_t call; /* where the current "${" starts */
    bool json;
    struct tars_err *err;
};

/* One parsed argument: its unescaped text at off in args.text (NUL-terminated). */
struct arg {
    size_t off, len, at;
};

struct args {
    struct tars_buf text;
    struct arg *list;
    size_t count, cap;
};

static int fail_at(const struct cursor *c, size_t at, const char *fmt, ...) TARS_PRINTF(3, 4);

static int fail_at(const struct cursor *c, size_t at, const char *fmt, ...)
{
    char msg[200];
    size_t line = 1, col = 1;
    va_list ap;

    for (size_t i = 0; i < at && i < c->len; i++) {
        if (c->text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line == 1)
        return tars_err_set(c->err, TARS_EINVAL, "%s at column %zu", msg, col);
    return tars_err_set(c->err, TARS_EINVAL, "%s at line %zu, column %zu", msg, line, col);
}

static int unterminated(const struct cursor *c)
{
    return fail_at(c, c->call, "unterminated \"${\"");
}

static bool at_end(const struct cursor *c)
{
    return c->pos >= c->len;
}

static char peek(const struct cursor *c)
{
    return at_end(c) ? '\0' : c->text[c->pos];
}

static void skip_spaces(struct cursor *c)
{
    while (!at_end(c) && (c->text[c->pos] == ' ' || c->text[c->pos] == '\t'))
        c->pos++;
}

static bool is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.';
}

static int args_push(struct args *a, size_t off, size_t at)
{
    int rc = tars_buf_append(&a->text, "", 1); /* the terminator */

    if (rc)
        return rc;
    a->list = grow(a->list, &a->cap, a->count + 1, sizeof(*a->list));
    a->list[a->count].off = off;
    a->list[a->count].len = a->text.len - 1 - off;
    a->list[a->count].at = at;
    a->count++;
    return TARS_OK;
}

static const char *arg_text(const struct args *a, size_t i)
{
    return a->text.data + a->list[i].off;
}

/* "..." with \" and \\ as the only escapes. */
static int parse_quoted(struct cursor *c, struct args *a)
{
    size_t start = c->pos++, off = a->text.len;
    int rc;

    for (;;) {
        char ch = peek(c);
        if (at_end(c))
            return fail_at(c, start, "unterminated string");
        if (ch == '"')
            break;
        if (ch == '\\' && c->pos + 1 < c->len &&
            (c->text[c->pos + 1] == '"' || c->text[c->pos + 1] == '\\'))
            ch = c->text[++c->pos];
        if ((rc = tars_buf_append(&a->text, &ch, 1)))
            return tars_err_set(c->err, rc, "template too long");
        c->pos++;
    }
    c->pos++;
    return args_push(a, off, start);
}

/* A plain item ends at ',' or ')'; it cannot hold quotes, braces or '$'. */
static int parse_plain(struct cursor *c, struct args *a)
{
    size_t start = c->pos, end, off = a->text.len;
    int rc;

    while (!at_end(c) && !strchr(",)\"{}$", c->text[c->pos]))
        c->pos++;
    end = c->pos;
    while (end > start && (c->text[end - 1] == ' ' || c->text[end - 1] == '\t'))
        end--;
    if (end == start)
        return at_end(c) ? unterminated(c) : fail_at(c, start, "empty argument");
    if ((rc = tars_buf_append(&a->text, c->text + start, end - start)))
        return tars_err_set(c->err, rc, "template too long");
    return args_push(a, off, start);
}

/* "(" arg {"," arg} ")" or "()"; c->pos is at "(". */
static int parse_args(struct cursor *c, struct args *a)
{
    int rc;

    c->pos++;
    skip_spaces(c);
    if (peek(c) == ')') {
        c->pos++;
        return TARS_OK;
    }
    for (;;) {
        skip_spaces(c);
        rc = peek(c) == '"' ? parse_quoted(c, a) : parse_plain(c, a);
        if (rc)
            return rc;
        skip_spaces(c);
        if (at_end(c))
            return unterminated(c);
        if (peek(c) == ')')
            break;
        if (peek(c) != ',')
            return fail_at(c, c->pos, "expected \",\" or \")\"");
        c->pos++;
    }
    c->pos++;
    return TARS_OK;
}

/* ---- the functions ---- */

struct call {
    const char *name;
    size_t name_len, name_at;
    bool parens;
    struct args args;
};

static bool call_is(const struct call *k, const char *name)
{
    return k->name_len == strlen(name) && memcmp(k->name, name, k->name_len) == 0;
}

/* Any 64-bit decimal integer, with an optional sign. */
static bool parse_int64(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    uint64_t v = 0, limit;

    if (*s == '-' || *s == '+')
        s++;
    if (!*s)
        return false;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (d > 9 || v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return true;
}

static int compile_int(tars_load_template *t, const struct cursor *c, const struct call *k)
{
    int64_t bound[2];
    struct segment *seg;

    if (!k->parens || k->args.count != 2)
        return fail_at(c, k->name_at, "random.int takes two integers: random.int(low, high)");
    for (size_t i = 0; i < 2; i++)
        if (!parse_int64(arg_text(&k->args, i), &bound[i]))
            return fail_at(c, k->args.list[i].at, "random.int: \"%s\" is not a 64-bit integer",
                           arg_text(&k->args, i));
    if (bound[0] > bound[1])
        return fail_at(c, k->name_at, "random.int: low %lld is above high %lld",
                       (long long)bound[0], (long long)bound[1]);
    seg = push_segment(t, SEG_INT);
    seg->low = bound[0];
    seg->high = bound[1];
    return TARS_OK;
}

static int compile_choice(tars_load_template *t, const struct cursor *c, const struct call *k)
{
    struct segment *seg;
    size_t first = t->item_count;

    if (!k->parens || k->args.count == 0)
        return fail_at(c, k->name_at, "random.choice needs at least one item");
    for (size_t i = 0; i < k->args.count; i++) {
        size_t off = t->pool_len;
        if (c->json)
            pool_put_json(t, arg_text(&k->args, i), k->args.list[i].len);
        else
            pool_put(t, arg_text(&k->args, i), k->args.list[i].len);
        t->items = grow(t->items, &t->item_cap, t->item_count + 1, sizeof(*t->items));
        t->items[t->item_count].off = off;
        t->items[t->item_count].len = t->pool_len - off;
        t->item_count++;
    }
    seg = push_segment(t, SEG_CHOICE);
    seg->off = first;
    seg->len = k->args.count;
    return TARS_OK;
}

static bool is_env_name(const char *s, size_t len)
{
    if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(s[i]) || s[i] == '.')
            return false;
    return true;
}

static int compile_env(tars_load_template *t, const struct cursor *c, const struct call *k)
{
    char name[128];
    size_t len = k->name_len - 4;
    const char *value;

    if (!is_env_name(k->name + 4, len) || len >= sizeof(name))
        return fail_at(c, k->name_at, "bad environment variable name \"%.*s\"", (int)len,
                       k->name + 4);
    memcpy(name, k->name + 4, len);
    name[len] = '\0';
    value = getenv(name);
    if (!value)
        return fail_at(c, k->name_at, "environment variable \"%s\" is not set", name);
    add_text_segment(t, value, strlen(value), c->json);
    return TARS_OK;
}

/* ${name}: a variable of the names the template was compiled with. */
static int compile_var(tars_load_template *t, const struct cursor *c, const struct call *k)
{
    struct segment *seg;

    for (size_t i = 0; i < t->name_count; i++) {
        if (!call_is(k, t->names[i]))
            continue;
        if (k->parens)
            return fail_at(c, k->name_at, "variable \"%.*s\" takes no arguments", (int)k->name_len,
                           k->name);
        seg = push_segment(t, SEG_VAR);
        seg->off = i;
        seg->low = c->json ? TEMPLATE_ESCAPE_JSON : t->escape;
        return TARS_OK;
    }
    return fail_at(c, k->name_at,
                   "unknown variable \"%.*s\" (not user, a data column, nor extracted by an "
                   "earlier step)",
                   (int)k->name_len, k->name);
}

static int compile_call(tars_load_template *t, const struct cursor *c, const struct call *k)
{
    bool no_args = k->args.count == 0;

    if (call_is(k, "random.int"))
        return compile_int(t, c, k);
    if (call_is(k, "random.choice"))
        return compile_choice(t, c, k);
    if (call_is(k, "seq") || call_is(k, "uuid")) {
        if (!no_args)
            return fail_at(c, k->name_at, "\"%.*s\" takes no arguments", (int)k->name_len, k->name);
        push_segment(t, call_is(k, "seq") ? SEG_SEQ : SEG_UUID);
        return TARS_OK;
    }
    if (k->name_len > 4 && memcmp(k->name, "env.", 4) == 0) {
        if (!no_args)
            return fail_at(c, k->name_at, "\"env.\" takes no arguments");
        return compile_env(t, c, k);
    }
    if (t->names && !memchr(k->name, '.', k->name_len))
        return compile_var(t, c, k);
    return fail_at(c, k->name_at, "unknown template function \"%.*s\"", (int)k->name_len, k->name);
}

/* The function name after "${"; it must be followed by something. */
static int parse_name(struct cursor *c, struct call *k)
{
    c->call = c->pos;
    c->pos += 2;
    skip_spaces(c);
    k->name = c->text + c->pos;
    k->name_at = c->pos;
    while (!at_end(c) && is_name_char(c->text[c->pos]))
        c->pos++;
    k->name_len = c->pos - k->name_at;
    skip_spaces(c);
    if (at_end(c))
        return unterminated(c);
    if (k->name_len == 0)
        return fail_at(c, k->name_at, "expected a function name after \"${\"");
    return TARS_OK;
}

/* "${" name ["(" args ")"] "}"; c->pos is at "$". */
static int parse_call(tars_load_template *t, struct cursor *c)
{
    struct call k;
    int rc;

    memset(&k, 0, sizeof(k));
    tars_buf_init(&k.args.text, TEMPLATE_MAX_TEXT);
    if ((rc = parse_name(c, &k)))
        goto out;
    k.parens = peek(c) == '(';
    if (k.parens && (rc = parse_args(c, &k.args)))
        goto out;
    skip_spaces(c);
    if (at_end(c)) {
        rc = unterminated(c);
        goto out;
    }
    if (peek(c) != '}') {
        rc = fail_at(c, c->pos, "expected \"}\" after \"%.*s\"", (int)k.name_len, k.name);
        goto out;
    }
    c->pos++;
    rc = compile_call(t, c, &k);
out:
    tars_buf_release(&k.args.text);
    free(k.args.list);
    return rc;
}

int template_add_text(tars_load_template *t, const char *text, size_t len, bool json_string,
                      struct tars_err *err)
{
    struct cursor c = {text, len, 0, 0, json_string, err};
    size_t literal = 0;
    int rc;

    if (len > TEMPLATE_MAX_TEXT || t->pool_len > TEMPLATE_MAX_TEXT)
        return tars_err_set(err, TARS_ETOOBIG, "template longer than %d bytes", TEMPLATE_MAX_TEXT);
    while (c.pos < len) {
        char next = c.pos + 1 < len ? text[c.pos + 1] : '\0';
        if (text[c.pos] != '$' || (next != '$' && next != '{')) {
            c.pos++;
            continue;
        }
        if (next == '$') { /* keep one dollar, drop the other */
            add_text_segment(t, text + literal, c.pos + 1 - literal, json_string);
            c.pos += 2;
        } else {
            add_text_segment(t, text + literal, c.pos - literal, json_string);
            if ((rc = parse_call(t, &c)))
                return rc;
        }
        literal = c.pos;
    }
    add_text_segment(t, text + literal, len - literal, json_string);
    return TARS_OK;
}

tars_load_template *tars_load_template_compile(const char *text, struct tars_err *err)
{
    tars_load_template *t = template_new();

    if (template_add_text(t, text, strlen(text), false, err)) {
        tars_load_template_free(t);
        return NULL;
    }
    return t;
}

/* ---- rendering ---- */

static size_t format_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* low + a uniform offset, printed; the span of [INT64_MIN, INT64_MAX] wraps
 * to 0 and then every 64-bit draw is in range. */
static int render_int(const struct segment *seg, uint64_t s[4], struct tars_buf *out)
{
    uint64_t span = (uint64_t)seg->high - (uint64_t)seg->low + 1;
    uint64_t v = (uint64_t)seg->low + (span ? tars_rng_below(s, span) : tars_rng_next(s));
    char text[21];
    size_t n = 0;

    if (v > (uint64_t)INT64_MAX) { /* negative in two's complement */
        text[n++] = '-';
        v = 0 - v;
    }
    n += format_u64(text + n, v);
    return tars_buf_append(out, text, n);
}

static int render_uuid(uint64_t s[4], struct tars_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t half[2] = {tars_rng_next(s), tars_rng_next(s)};
    uint8_t b[16];
    char text[36];
    size_t n = 0;

    for (int i = 0; i < 16; i++)
        b[i] = (uint8_t)(half[i / 8] >> (56 - 8 * (i % 8)));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text[n++] = '-';
        text[n++] = hex[b[i] >> 4];
        text[n++] = hex[b[i] & 0xf];
    }
    return tars_buf_append(out, text, n);
}

/* Percent-encodes every byte outside RFC 3986's unreserved set. */
static int render_path_value(const char *v, size_t len, struct tars_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    char esc[3] = {'%', 0, 0};
    int rc = TARS_OK;

    for (size_t i = 0; i < len && rc == TARS_OK; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            rc = tars_buf_append(out, v + i, 1);
            continue;
        }
        esc[1] = hex[ch >> 4];
        esc[2] = hex[ch & 15];
        rc = tars_buf_append(out, esc, 3);
    }
    return rc;
}

static int render_json_value(const char *v, size_t len, struct tars_buf *out)
{
    char esc[8];
    size_t start = 0, n;
    int rc = TARS_OK;

    for (size_t i = 0; i < len && rc == TARS_OK; i++) {
        if (!(n = json_escape_char((unsigned char)v[i], esc)))
            continue;
        if ((rc = tars_buf_append(out, v + start, i - start)) == TARS_OK)
            rc = tars_buf_append(out, esc, n);
        start = i + 1;
    }
    return rc ? rc : tars_buf_append(out, v + start, len - start);
}

/* A variable's value, escaped for where it goes; TARS_ENOTFOUND when the
 * user has no value for it, TARS_EINVAL for a header value with a control
 * character (it would split the request). */
static int render_var(const struct segment *seg, const struct tars_load_template_value *vars,
                      size_t var_count, struct tars_buf *out)
{
    const struct tars_load_template_value *v = seg->off < var_count ? &vars[seg->off] : NULL;

    if (!v || !v->data)
        return TARS_ENOTFOUND;
    switch ((enum template_escape)seg->low) {
    case TEMPLATE_ESCAPE_PATH: return render_path_value(v->data, v->len, out);
    case TEMPLATE_ESCAPE_JSON: return render_json_value(v->data, v->len, out);
    case TEMPLATE_ESCAPE_HEADER:
        for (size_t i = 0; i < v->len; i++)
            if ((unsigned char)v->data[i] < 0x20 || v->data[i] == 0x7f)
                return TARS_EINVAL;
        return tars_buf_append(out, v->data, v->len);
    case TEMPLATE_ESCAPE_NONE: break;
    }
    return tars_buf_append(out, v->data, v->len);
}

static int render_segment(const tars_load_template *t, const struct segment *seg, uint64_t seq,
                          uint64_t s[4], const struct tars_load_template_value *vars,
                          size_t var_count, struct tars_buf *out)
{
    char text[20];
    const struct span *item;

    switch (seg->kind) {
    case SEG_TEXT: return tars_buf_append(out, t->pool + seg->off, seg->len);
    case SEG_INT: return render_int(seg, s, out);
    case SEG_CHOICE:
        item = &t->items[seg->off + tars_rng_below(s, seg->len)];
        return tars_buf_append(out, t->pool + item->off, item->len);
    case SEG_SEQ: return tars_buf_append(out, text, format_u64(text, seq));
    case SEG_UUID: return render_uuid(s, out);
    case SEG_VAR: return render_var(seg, vars, var_count, out);
    }
    return TARS_EINTERNAL;
}

int tars_load_template_render(const tars_load_template *t, uint64_t seq, uint64_t rng_state[4],
                              struct tars_buf *out)
{
    return tars_load_template_render_vars(t, seq, rng_state, NULL, 0, out);
}

int tars_load_template_render_vars(const tars_load_template *t, uint64_t seq, uint64_t rng_state[4],
                                   const struct tars_load_template_value *vars, size_t var_count,
                                   struct tars_buf *out)
{
    for (size_t i = 0; i < t->seg_count; i++) {
        int rc = render_segment(t, &t->segs[i], seq, rng_state, vars, var_count, out);
        if (rc)
            return rc;
    }
    return TARS_OK;
}
