/*
 * Command-line options from one table per command (git's parse-options is
 * the model): each entry names a long option, its short letter, the type of
 * its value (with range or allowed values), where the value goes and one help
 * line. One parser reads argv with the table, checks every value with one
 * wording of errors (exit 3), answers an unknown flag with the nearest one,
 * and prints --help; `tars help --markdown` and `tars completion` read the
 * same tables, so help, docs and completion cannot drift from the parser.
 */
#ifndef TARS_CLI_OPT_H
#define TARS_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_opt_type {
    CLI_OPT_END = 0,
    CLI_OPT_FLAG,     /* no value: *(int *)value = 1 */
    CLI_OPT_STRING,   /* *(const char **)value = the argument (the last one given wins) */
    CLI_OPT_INT,      /* *(int *)value, a whole number in min..max */
    CLI_OPT_I64,      /* *(int64_t *)value, a whole number in min..max */
    CLI_OPT_DOUBLE,   /* *(double *)value, a number in min..max (above min with above_min) */
    CLI_OPT_DURATION, /* *(int64_t *)value in ms: 250ms, 30s, 5m, 1h30m; min..max in ms */
    CLI_OPT_SIZE,     /* *(int64_t *)value in bytes: 512, 64k, 16M, 1G (1024-based); min..max */
    CLI_OPT_ENUM,     /* *(const char **)value = the one of values given */
    CLI_OPT_LIST,     /* ((const char **)value)[(*count)++] = argument, at most max of them */
    CLI_OPT_CALL,     /* call(opt, argument): the value needs its own reading */
};

struct cli_opt;
/* Reads arg into opt->value; NULL when good, else why not, in why (printed
 * after "tars CMD: --NAME: "). */
typedef const char *(*cli_opt_fn)(const struct cli_opt *opt, const char *arg, char *why,
                                  size_t size);

struct cli_opt {
    enum cli_opt_type type;
    char short_name;        /* 0: none */
    const char *long_name;  /* without "--" */
    const char *value_name; /* "N", "FILE"; NULL for flags */
    const char *help;       /* one line; "\n" starts a continuation line */
    void *value;
    int *count;                /* LIST: how many so far */
    double min, max;           /* INT, I64, DOUBLE, DURATION, SIZE range; LIST: max entries */
    bool above_min;            /* DOUBLE: min itself excluded */
    const char *const *values; /* ENUM; for LIST what completion offers; NULL-terminated */
    cli_opt_fn call;           /* CALL */
    const char *env;           /* when the flag is not given: read from this environment variable
                                  (set and not empty) with the same checks */
};

#define CLI_FLAG(s, l, v, h)                                                                       \
    {                                                                                              \
        .type = CLI_OPT_FLAG, .short_name = s, .long_name = l, .help = h, .value = v               \
    }
#define CLI_STRING(s, l, n, v, h)                                                                  \
    {                                                                                              \
        .type = CLI_OPT_STRING, .short_name = s, .long_name = l, .value_name = n, .help = h,       \
        .value = v                                                                                 \
    }
#define CLI_INT(s, l, n, v, lo, hi, h)                                                             \
    {                                                                                              \
        .type = CLI_OPT_INT, .short_name = s, .long_name = l, .value_name = n, .help = h,          \
        .value = v, .min = lo, .max = hi                                                           \
    }
#define CLI_I64(s, l, n, v, lo, hi, h)                                                             \
    {                                                                                              \
        .type = CLI_OPT_I64, .short_name = s, .long_name = l, .value_name = n, .help = h,          \
        .value = v, .min = lo, .max = hi                                                           \
    }
#define CLI_DOUBLE(s, l, n, v, lo, hi, h)                                                          \
    {                                                                                              \
        .type = CLI_OPT_DOUBLE, .short_name = s, .long_name = l, .value_name = n, .help = h,       \
        .value = v, .min = lo, .max = hi                                                           \
    }
/* A number above lo (lo itself refused) and at most hi. */
#define CLI_POSITIVE(s, l, n, v, lo, hi, h)                                                        \
    {                                                                                              \
        .type = CLI_OPT_DOUBLE, .short_name = s, .long_name = l, .value_name = n, .help = h,       \
        .value = v, .min = lo, .max = hi, .above_min = true                                        \
    }
#define CLI_DURATION(s, l, n, v, lo, hi, h)                                                        \
    {                                                                                              \
        .type = CLI_OPT_DURATION, .short_name = s, .long_name = l, .value_name = n, .help = h,     \
        .value = v, .min = lo, .max = hi                                                           \
    }
#define CLI_SIZE(s, l, n, v, lo, hi, h)                                                            \
    {                                                                                              \
        .type = CLI_OPT_SIZE, .short_name = s, .long_name = l, .value_name = n, .help = h,         \
        .value = v, .min = lo, .max = hi                                                           \
    }
#define CLI_ENUM(s, l, n, v, vals, h)                                                              \
    {                                                                                              \
        .type = CLI_OPT_ENUM, .short_name = s, .long_name = l, .value_name = n, .help = h,         \
        .value = v, .values = vals                                                                 \
    }
#define CLI_LIST(s, l, n, arr, cnt, most, h)                                                       \
    {                                                                                              \
        .type = CLI_OPT_LIST, .short_name = s, .long_name = l, .value_name = n, .help = h,         \
        .value = arr, .count = cnt, .max = most                                                    \
    }
/* A list whose values completion offers (the parser takes any). */
#define CLI_LIST_OF(s, l, n, arr, cnt, most, vals, h)                                              \
    {                                                                                              \
        .type = CLI_OPT_LIST, .short_name = s, .long_name = l, .value_name = n, .help = h,         \
        .value = arr, .count = cnt, .max = most, .values = vals                                    \
    }
#define CLI_CALL(s, l, n, v, fn, h)                                                                \
    {                                                                                              \
        .type = CLI_OPT_CALL, .short_name = s, .long_name = l, .value_name = n, .help = h,         \
        .value = v, .call = fn                                                                     \
    }
/* A long option (STRING, INT, I64, DOUBLE, DURATION, SIZE or ENUM) whose value,
 * when the flag is not given, comes from the environment variable var; help and
 * docs name the variable. */
#define CLI_ENV_OPT(t, l, n, v, lo, hi, vals, var, h)                                              \
    {                                                                                              \
        .type = t, .long_name = l, .value_name = n, .help = h, .value = v, .min = lo, .max = hi,   \
        .values = vals, .env = var                                                                 \
    }
#define CLI_OPT_END_MARK                                                                           \
    {                                                                                              \
        .type = CLI_OPT_END                                                                        \
    }

/* One command's (or sub-command's) usage: everything `--help` prints. */
struct cli_spec {
    const char *name;     /* "load", "load merge" */
    const char *synopsis; /* lines "tars load URL [options]", "\n"-separated */
    const char *about;    /* what it does, a paragraph or two */
    const struct cli_opt *opts;
    const char *notes;       /* printed after the options (may be NULL) */
    void (*more)(FILE *out); /* more text after the notes, made at run time (may be NULL) */
    const char *exits;       /* "0 ..., 1 ..., 2 ..., 3 ..." (docs/exit-codes.md) */
};

/* Returned by cli_opt_parse when --help was given and printed. */
#define CLI_OPT_HELP (-1)

/* Reads argv[1..argc-1] with spec's table. Options and operands may come in
 * any order; "--" ends the options. The operands are moved to argv[1..] in
 * their order and counted in *nargs. Then each option with an env that was
 * not given reads its variable, when set and not empty, as if given. Returns
 * 0, CLI_OPT_HELP (help printed to standard output) or EXIT_USAGE (the error
 * printed to standard error). */
int cli_opt_parse(const struct cli_spec *spec, int argc, char **argv, int *nargs);

/* cli_opt_parse for a command that takes no operands: one is refused. */
int cli_opt_parse_no_operands(const struct cli_spec *spec, int argc, char **argv);

/* The exit code for a non-zero cli_opt_parse result. */
static inline int cli_opt_exit(int rc)
{
    return rc == CLI_OPT_HELP ? 0 : rc;
}

/* --help text, or the Markdown of docs/cli.md for the command. */
void cli_opt_help(FILE *out, const struct cli_spec *spec);
void cli_opt_markdown(FILE *out, const struct cli_spec *spec);

/* "-c, --connections" of an option, for messages and help. */
void cli_opt_names(const struct cli_opt *opt, char *buf, size_t size);

/* Durations as the help shows them: 250ms, 30s, 5m, 1h, 1h30m. */
void cli_opt_duration_text(int64_t ms, char *buf, size_t size);

#endif
