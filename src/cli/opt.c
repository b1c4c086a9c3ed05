/* The option parser and help printer driven by one table per command (opt.h). */
#include "opt.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tars/alloc.h"
#include "tars/err.h"
#include "tars/str.h"

#define HELP_COLUMN 26
#define HELP_WIDTH 100

void cli_opt_names(const struct cli_opt *opt, char *buf, size_t size)
{
    if (opt->short_name && opt->long_name)
        snprintf(buf, size, "-%c, --%s", opt->short_name, opt->long_name);
    else if (opt->short_name)
        snprintf(buf, size, "-%c", opt->short_name);
    else
        snprintf(buf, size, "--%s", opt->long_name);
}

void cli_opt_duration_text(int64_t ms, char *buf, size_t size)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}};
    size_t len = 0;

    buf[0] = '\0';
    if (ms == 0 || ms % 1000 != 0) {
        snprintf(buf, size, "%" PRId64 "ms", ms);
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && len < size; i++) {
        if (ms >= units[i].ms) {
            len += (size_t)snprintf(buf + len, size - len, "%" PRId64 "%s", ms / units[i].ms,
                                    units[i].unit);
            ms %= units[i].ms;
        }
    }
}

/* "512", "64k", "16M", "1G" (1024-based, an optional trailing B) into bytes. */
static int parse_size(const char *s, int64_t *out)
{
    char digits[32];
    size_t n = strspn(s, "0123456789");
    const char *unit = s + n;
    int64_t v, mul = 1;

    if (n == 0 || n >= sizeof(digits))
        return TARS_EINVAL;
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (*unit == 'k' || *unit == 'K')
        mul = 1024;
    else if (*unit == 'm' || *unit == 'M')
        mul = 1024 * 1024;
    else if (*unit == 'g' || *unit == 'G')
        mul = 1024 * 1024 * 1024;
    if (mul > 1)
        unit++;
    if ((*unit == 'b' || *unit == 'B') && (mul > 1 || unit[1] == '\0'))
        unit++;
    if (*unit || tars_parse_i64(digits, 0, INT64_MAX / mul, &v))
        return TARS_EINVAL;
    *out = v * mul;
    return TARS_OK;
}

static void range_text(const struct cli_opt *opt, char *buf, size_t size)
{
    char lo[32], hi[32];

    if (opt->type == CLI_OPT_DURATION) {
        cli_opt_duration_text((int64_t)opt->min, lo, sizeof(lo));
        cli_opt_duration_text((int64_t)opt->max, hi, sizeof(hi));
    } else {
        snprintf(lo, sizeof(lo), "%.15g", opt->min);
        snprintf(hi, sizeof(hi), "%.15g", opt->max);
    }
    if (opt->above_min && isinf(opt->max))
        snprintf(buf, size, "above %s", lo);
    else if (opt->above_min)
        snprintf(buf, size, "above %s and at most %s", lo, hi);
    else if (isinf(opt->max))
        snprintf(buf, size, "at least %s", lo);
    else
        snprintf(buf, size, "%s..%s", lo, hi);
}

static void values_text(const char *const *values, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; values && values[i] && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", values[i]);
}

static bool in_range(const struct cli_opt *opt, double v)
{
    if (opt->above_min ? !(v > opt->min) : !(v >= opt->min))
        return false;
    return v <= opt->max;
}

/* Reads a number of opt's type; NULL when good, else why not. */
static const char *read_number(const struct cli_opt *opt, const char *arg, char *why, size_t size)
{
    char range[96];
    int64_t i = 0;
    double d = 0;
    int bad;

    if (opt->type == CLI_OPT_DOUBLE) {
        bad = tars_parse_double(arg, &d);
    } else if (opt->type == CLI_OPT_DURATION) {
        bad = tars_duration_parse(arg, &i);
        d = (double)i;
    } else if (opt->type == CLI_OPT_SIZE) {
        bad = parse_size(arg, &i);
        d = (double)i;
    } else {
        bad = tars_parse_i64(arg, INT64_MIN + 1, INT64_MAX, &i);
        d = (double)i;
    }
    if (bad) {
        static const char *const kinds[] = {
            [CLI_OPT_INT] = "not a whole number",
            [CLI_OPT_I64] = "not a whole number",
            [CLI_OPT_DOUBLE] = "not a number",
            [CLI_OPT_DURATION] = "not a duration (e.g. 250ms, 30s, 5m, 1h30m)",
            [CLI_OPT_SIZE] = "not a size (e.g. 512, 64k, 16M)",
        };
        snprintf(why, size, "\"%s\" is %s", arg, kinds[opt->type]);
        return why;
    }
    if (!in_range(opt, d)) {
        range_text(opt, range, sizeof(range));
        snprintf(why, size, "\"%s\" must be %s", arg, range);
        return why;
    }
    if (opt->type == CLI_OPT_INT)
        *(int *)opt->value = (int)i;
    else if (opt->type == CLI_OPT_DOUBLE)
        *(double *)opt->value = d;
    else
        *(int64_t *)opt->value = i;
    return NULL;
}

static const char *take_value(const struct cli_opt *opt, const char *arg, char *why, size_t size)
{
    char list[512];

    switch (opt->type) {
    case CLI_OPT_STRING: *(const char **)opt->value = arg; return NULL;
    case CLI_OPT_ENUM:
        for (size_t i = 0; opt->values[i]; i++) {
            if (strcmp(opt->values[i], arg) == 0) {
                *(const char **)opt->value = opt->values[i];
                return NULL;
            }
        }
        values_text(opt->values, list, sizeof(list));
        snprintf(why, size, "\"%s\" is not one of %s", arg, list);
        return why;
    case CLI_OPT_LIST:
        if (*opt->count >= (int)opt->max) {
            snprintf(why, size, "given more than %d times", (int)opt->max);
            return why;
        }
        ((const char **)opt->value)[(*opt->count)++] = arg;
        return NULL;
    case CLI_OPT_CALL: return opt->call(opt, arg, why, size);
    default: return read_number(opt, arg, why, size);
    }
}

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len)
{
    for (const struct cli_opt *o = opts; o->type != CLI_OPT_END; o++)
        if (o->long_name && strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
            return o;
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
    for (const struct cli_opt *o = opts; o->type != CLI_OPT_END; o++)
        if (o->short_name == c)
            return o;
    return NULL;
}

static int unknown_option(const struct cli_spec *spec, const char *word)
{
    struct tars_str_suggester sg;
    char name[96];
    const char *best;

    snprintf(name, sizeof(name), "%s", word + 2);
    name[strcspn(name, "=")] = '\0';
    tars_str_suggest_init(&sg, name);
    for (const struct cli_opt *o = spec->opts; o->type != CLI_OPT_END; o++)
        if (o->long_name)
            tars_str_suggest_add(&sg, o->long_name);
    tars_str_suggest_add(&sg, "help");
    best = word[1] == '-' ? tars_str_suggest_best(&sg) : NULL;
    if (best)
        return cli_usage_error(spec->name, "unknown option \"%s\" (did you mean --%s?)", word,
                               best);
    return cli_usage_error(spec->name, "unknown option \"%s\"", word);
}

/* One option with its argument (NULL if none came); *used tells whether arg was consumed. */
static int apply(const struct cli_spec *spec, const struct cli_opt *opt, const char *shown,
                 const char *arg, bool inline_arg, bool *used, bool *given)
{
    char why[640];
    const char *bad;

    *used = false;
    given[opt - spec->opts] = true;
    if (opt->type == CLI_OPT_FLAG) {
        if (inline_arg)
            return cli_usage_error(spec->name, "%s takes no value", shown);
        *(int *)opt->value = 1;
        return 0;
    }
    if (!arg)
        return cli_usage_error(spec->name, "%s requires a value", shown);
    *used = true;
    bad = take_value(opt, arg, why, sizeof(why));
    if (bad)
        return cli_usage_error(spec->name, "%s: %s", shown, bad);
    return 0;
}

static int parse_long(const struct cli_spec *spec, char **argv, int argc, int *i, bool *given)
{
    const char *word = argv[*i], *eq = strchr(word, '=');
    size_t len = eq ? (size_t)(eq - word - 2) : strlen(word + 2);
    const struct cli_opt *opt = find_long(spec->opts, word + 2, len);
    const char *arg = eq ? eq + 1 : (*i + 1 < argc ? argv[*i + 1] : NULL);
    char shown[96];
    bool used;
    int rc;

    if (!opt && len == 4 && strncmp(word + 2, "help", 4) == 0 && !eq)
        return CLI_OPT_HELP;
    if (!opt)
        return unknown_option(spec, word);
    snprintf(shown, sizeof(shown), "--%s", opt->long_name);
    rc = apply(spec, opt, shown, arg, eq != NULL, &used, given);
    if (rc == 0 && used && !eq)
        (*i)++;
    return rc;
}

/* "-kq", "-c50", "-c 50". */
static int parse_short(const struct cli_spec *spec, char **argv, int argc, int *i, bool *given)
{
    const char *word = argv[*i];

    for (size_t k = 1; word[k]; k++) {
        const struct cli_opt *opt = find_short(spec->opts, word[k]);
        const char *arg;
        char shown[8];
        bool used;
        int rc;

        if (!opt && word[k] == 'h')
            return CLI_OPT_HELP;
        snprintf(shown, sizeof(shown), "-%c", word[k]);
        if (!opt)
            return cli_usage_error(spec->name, "unknown option \"%s\"", shown);
        if (opt->type == CLI_OPT_FLAG) {
            rc = apply(spec, opt, shown, NULL, false, &used, given);
            if (rc)
                return rc;
            continue;
        }
        arg = word[k + 1] ? word + k + 1 : (*i + 1 < argc ? argv[*i + 1] : NULL);
        rc = apply(spec, opt, shown, arg, false, &used, given);
        if (rc == 0 && !word[k + 1])
            (*i)++;
        return rc;
    }
    return 0;
}

/* The options with an env that were not given, from their variables. */
static int apply_env(const struct cli_spec *spec, const bool *given)
{
    char why[640];
    const char *bad, *v;

    for (const struct cli_opt *o = spec->opts; o->type != CLI_OPT_END; o++) {
        if (!o->env || given[o - spec->opts] || !(v = getenv(o->env)) || !*v)
            continue;
        bad = take_value(o, v, why, sizeof(why));
        if (bad)
            return cli_usage_error(spec->name, "%s (for --%s): %s", o->env, o->long_name, bad);
    }
    return 0;
}

int cli_opt_parse(const struct cli_spec *spec, int argc, char **argv, int *nargs)
{
    size_t count = 0;
    int n = 0, rc = 0;
    bool options = true, *given;

    while (spec->opts[count].type != CLI_OPT_END)
        count++;
    given = xcalloc(count + 1, sizeof(*given));
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *w = argv[i];
        if (options && strcmp(w, "--") == 0)
            options = false;
        else if (options && w[0] == '-' && w[1] == '-')
            rc = parse_long(spec, argv, argc, &i, given);
        else if (options && w[0] == '-' && w[1])
            rc = parse_short(spec, argv, argc, &i, given);
        else
            argv[1 + n++] = argv[i]; /* never past i: the slot was read already */
    }
    *nargs = n;
    if (rc == 0)
        rc = apply_env(spec, given);
    free(given);
    if (rc == CLI_OPT_HELP)
        cli_opt_help(stdout, spec);
    return rc;
}

int cli_opt_parse_no_operands(const struct cli_spec *spec, int argc, char **argv)
{
    int n, rc = cli_opt_parse(spec, argc, argv, &n);

    if (rc == 0 && n > 0)
        return cli_usage_error(spec->name, "unexpected argument \"%s\"", argv[1]);
    return rc;
}

/* ---- help ---- */

static void value_hint(const struct cli_opt *opt, char *buf, size_t size)
{
    char text[512];
    size_t len;

    buf[0] = '\0';
    switch (opt->type) {
    case CLI_OPT_DURATION:
        if (opt->min <= 1 && opt->max >= (double)TARS_DURATION_MAX_MS)
            break; /* any duration: the value name says enough */
        /* fall through */
    case CLI_OPT_INT:
    case CLI_OPT_I64:
    case CLI_OPT_DOUBLE:
    case CLI_OPT_SIZE:
        range_text(opt, text, sizeof(text));
        snprintf(buf, size, "%s", text);
        break;
    case CLI_OPT_ENUM:
        values_text(opt->values, text, sizeof(text));
        snprintf(buf, size, "one of %s", text);
        break;
    case CLI_OPT_LIST: snprintf(buf, size, "repeatable"); break;
    default: break;
    }
    len = strlen(buf);
    if (opt->env && len + 1 < size)
        snprintf(buf + len, size - len, "%senv %s", len ? "; " : "", opt->env);
}

static void print_help_line(FILE *out, const struct cli_opt *opt)
{
    char names[128], hint[560];
    const char *h = opt->help, *nl;
    int width;

    cli_opt_names(opt, names, sizeof(names));
    width = fprintf(out, "  %s%s%s%s", opt->short_name ? "" : "    ", names,
                    opt->value_name ? " " : "", opt->value_name ? opt->value_name : "");
    if (width >= HELP_COLUMN - 1) {
        fputc('\n', out);
        width = 0;
    }
    while ((nl = strchr(h, '\n')) != NULL) {
        fprintf(out, "%*s%.*s\n", HELP_COLUMN - width, "", (int)(nl - h), h);
        h = nl + 1;
        width = 0;
    }
    value_hint(opt, hint, sizeof(hint));
    if (hint[0] && HELP_COLUMN + strlen(h) + strlen(hint) + 3 > HELP_WIDTH)
        fprintf(out, "%*s%s\n%*s[%s]\n", HELP_COLUMN - width, "", h, HELP_COLUMN, "", hint);
    else if (hint[0])
        fprintf(out, "%*s%s [%s]\n", HELP_COLUMN - width, "", h, hint);
    else
        fprintf(out, "%*s%s\n", HELP_COLUMN - width, "", h);
}

/* Text with its continuation lines indented by indent. */
static void print_indented(FILE *out, const char *s, int indent)
{
    for (const char *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1)
        fprintf(out, "%.*s\n%*s", (int)(nl - s), s, indent, "");
    fprintf(out, "%s\n", s);
}

void cli_opt_help(FILE *out, const struct cli_spec *spec)
{
    const char *s = spec->synopsis, *nl;
    bool first = true;

    do {
        nl = strchr(s, '\n');
        fprintf(out, "%s%.*s\n", first ? "usage: " : "       ", nl ? (int)(nl - s) : (int)strlen(s),
                s);
        s = nl ? nl + 1 : s;
        first = false;
    } while (nl);
    if (spec->about)
        fprintf(out, "\n%s\n", spec->about);
    fprintf(out, "\noptions:\n");
    for (const struct cli_opt *o = spec->opts; o->type != CLI_OPT_END; o++)
        print_help_line(out, o);
    fprintf(out, "  -h, --help              this help\n");
    if (spec->notes)
        fprintf(out, "\n%s\n", spec->notes);
    if (spec->more) {
        fputc('\n', out);
        spec->more(out);
    }
    if (spec->exits) {
        fputs("\nexit: ", out);
        print_indented(out, spec->exits, 6);
    }
}

/* Text in a Markdown table cell: "|" escaped, lines joined. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

void cli_opt_markdown(FILE *out, const struct cli_spec *spec)
{
    const char *s = spec->synopsis;
    char hint[560];

    fprintf(out, "## tars %s\n\n```\n", spec->name);
    for (const char *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1)
        fprintf(out, "%.*s\n", (int)(nl - s), s);
    fprintf(out, "%s\n```\n\n", s);
    if (spec->about)
        fprintf(out, "%s\n\n", spec->about);
    fprintf(out, "| option | value | meaning |\n|---|---|---|\n");
    for (const struct cli_opt *o = spec->opts; o->type != CLI_OPT_END; o++) {
        value_hint(o, hint, sizeof(hint));
        if (o->short_name && o->long_name)
            fprintf(out, "| `-%c`, `--%s` | ", o->short_name, o->long_name);
        else if (o->short_name)
            fprintf(out, "| `-%c` | ", o->short_name);
        else
            fprintf(out, "| `--%s` | ", o->long_name);
        if (o->value_name) {
            fputc('`', out);
            md_cell(out, o->value_name);
            fprintf(out, "`%s", hint[0] ? " " : "");
        }
        md_cell(out, hint);
        fputs(" | ", out);
        md_cell(out, o->help);
        fputs(" |\n", out);
    }
    fprintf(out, "| `-h`, `--help` | | this help |\n\n");
    if (spec->notes)
        fprintf(out, "```\n%s\n```\n\n", spec->notes);
    if (spec->more) {
        fputs("```\n", out);
        spec->more(out);
        fputs("```\n\n", out);
    }
    if (spec->exits) {
        fputs("Exit: ", out);
        md_cell(out, spec->exits);
        fputs("\n\n", out);
    }
}
